package compose

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"berth/internal/version"
)

// validationCache remembers which inputs compose-go's schema validation accepted, so
// that loading the same files again (every Compose command, a no-op up) skips it: the
// schema's compilation and the validation are a third of loading a 50-service file.
// The key covers everything validation sees: berth's and compose-go's builds, the
// files' paths and contents, the variables they name and COMPOSE_* (from the
// environment and .env), the project's name and directory, the profiles and whether
// variables are interpolated. Files that pull in others (include, extends) are never
// cached: those others are not in the key; nor are files of several documents or with
// merge keys (<<), where such keys can hide; nor files with the obsolete top-level
// version key, whose warning compose-go gives only while it validates.
type validationCache struct {
	path string // the marker file; "" when not cacheable
}

// varName finds the variables a Compose file names: $VAR and ${VAR...}, nested too.
var varName = lazyRegexp(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// maxValidated bounds the markers kept; the oldest go first.
const maxValidated = 64

func newValidationCache(dir string, srcs []*source, env types.Mapping, parts ...string) validationCache {
	if dir == "" {
		return validationCache{}
	}
	h := sha256.New()
	write := func(s string) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	write(buildID())
	for _, s := range srcs {
		if s.root == nil || s.more || bytes.Contains(s.content, []byte("<<")) || pullsInFiles(s.root) ||
			value(deref(s.root), "version") != nil {
			return validationCache{}
		}
		write(s.path)
		write(string(s.content))
	}
	names := map[string]bool{}
	for _, s := range srcs {
		for _, m := range varName().FindAllSubmatch(s.content, -1) {
			names[string(m[1])] = true
		}
	}
	keys := make([]string, 0, len(names))
	for k := range env {
		if names[k] || strings.HasPrefix(k, "COMPOSE_") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		write(k + "=" + env[k])
	}
	for _, p := range parts {
		write(p)
	}
	return validationCache{path: filepath.Join(dir, hex.EncodeToString(h.Sum(nil)))}
}

// hit reports whether these inputs were validated before.
func (c validationCache) hit() bool {
	if c.path == "" {
		return false
	}
	_, err := os.Stat(c.path)
	return err == nil
}

// remember records that these inputs passed validation. It is best effort: a root
// that cannot be written to only means validating every time.
func (c validationCache) remember() {
	if c.path == "" {
		return
	}
	dir := filepath.Dir(c.path)
	if os.MkdirAll(dir, 0o700) != nil || os.WriteFile(c.path, nil, 0o600) != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= maxValidated {
		return
	}
	type marker struct {
		name string
		mod  int64
	}
	var ms []marker
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			ms = append(ms, marker{e.Name(), info.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(ms, func(a, b marker) int { return int(a.mod - b.mod) })
	for _, m := range ms[:max(len(ms)-maxValidated, 0)] {
		_ = os.Remove(filepath.Join(dir, m.name))
	}
}

// pullsInFiles reports whether a Compose file includes others or extends from them.
func pullsInFiles(root *yaml.Node) bool {
	if value(deref(root), "include") != nil {
		return true
	}
	services := deref(value(deref(root), "services"))
	if services == nil || services.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(services.Content); i += 2 {
		if value(deref(services.Content[i]), "extends") != nil {
			return true
		}
	}
	return false
}

// value is the value of key in mapping n, nil when n is no mapping or has no key.
func value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// buildID names this build's code: the main module's version and compose-go's.
var buildID = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString(version.Version + " " + bi.Main.Path + "@" + bi.Main.Version)
	for _, d := range bi.Deps {
		if strings.HasPrefix(d.Path, "github.com/compose-spec/") || strings.HasPrefix(d.Path, "github.com/santhosh-tekuri/") {
			b.WriteString(" " + d.Path + "@" + d.Version)
		}
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			b.WriteString(" " + s.Key + "=" + s.Value)
		}
	}
	return b.String()
})
