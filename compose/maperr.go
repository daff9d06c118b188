package compose

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/template"
	"gopkg.in/yaml.v3"
)

// compose-go's errors carry their details only in their text; these patterns read them.
var (
	reInterpolate = lazyRegexp(`error while interpolating (\S+): required variable (\S+) is missing a value`)
	reParse       = lazyRegexp(`(?s)^failed to parse (.+?): (yaml: .*)$`)
	reUndefined   = lazyRegexp(`^service "([^"]+)" refers to undefined (network|volume|secret|config|model|build secret) ([^\s:]+)`)
	reDependsOn   = lazyRegexp(`^service "([^"]+)" depends on (?:undefined|unknown) service "([^"]+)"`)
	reDisabled    = lazyRegexp(`^service "([^"]+)" is required by "([^"]+)" but is disabled. Can be enabled by profiles (.*)$`)
	reCycle       = lazyRegexp(`^dependency cycle detected: (.*)$`)
	reNoImage     = lazyRegexp(`^service "([^"]+)" has neither an image nor a build context specified`)
	reExclusive   = lazyRegexp(`^service (\S+) declares mutually exclusive .network_mode. and .networks.`)
	reExtends     = lazyRegexp(`^cannot extend service "([^"]+)" in (.+?): service "([^"]+)" not found`)
	reKeyed       = lazyRegexp(`^((?:services|networks|volumes|secrets|configs)\.[^\s:]+): (.*)$`)
	reNotAllowed  = lazyRegexp(`^additional properties '([^']+)'.* not allowed$`)
	reFalseSchema = lazyRegexp(`^false schema$`)
	reMustBe      = lazyRegexp(`^must be a (.+)$`)
)

// kindKey is where a service refers to each kind of top-level object.
var kindKey = map[string][]string{
	"network":      {"networks"},
	"volume":       {"volumes"},
	"secret":       {"secrets"},
	"config":       {"configs"},
	"model":        {"models"},
	"build secret": {"build", "secrets"},
}

// mapError turns an error of compose-go's loader into an *Error naming the file, line and
// key, with a hint. Errors it does not recognise keep their text.
func mapError(err error, srcs []*source, wd string) error {
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")

	var missing *template.MissingRequiredError
	if errors.As(err, &missing) {
		e := &Error{Msg: fmt.Sprintf("required variable %s is missing a value", missing.Variable),
			Hint: fmt.Sprintf("set %s in the environment or in .env", missing.Variable)}
		if missing.Reason != "" {
			e.Msg += ": " + missing.Reason
		}
		for _, m := range reInterpolate().FindAllStringSubmatch(msg, -1) {
			if m[2] != missing.Variable {
				continue
			}
			path := strings.Split(m[1], ".")
			e.Key = displayKey(path)
			for _, s := range srcs {
				if l := s.lineOfVar(path, missing.Variable); l > 0 {
					e.File, e.Line = s.display, l
					break
				}
			}
			break
		}
		return e
	}

	if rest, ok := strings.CutPrefix(first, "validating "); ok {
		return schemaError(rest, srcs, wd)
	}
	if m := reParse().FindStringSubmatch(msg); m != nil { // the whole text: its cause may be on the next line
		return yamlError(displayPath(wd, m[1]), m[2])
	}
	if m := reUndefined().FindStringSubmatch(first); m != nil {
		svc, kind, name := m[1], m[2], m[3]
		top := kindKey[kind][len(kindKey[kind])-1]
		path := append(append([]string{"services", svc}, kindKey[kind]...), name)
		e := &Error{Key: displayKey(path[:len(path)-1]), Msg: fmt.Sprintf("%s %q is not defined", kind, name)}
		e.File, e.Line = locate(srcs, path)
		defined := topLevelNames(srcs, top)
		if top == "networks" {
			defined = append(defined, "default")
		}
		if s := suggest(name, defined); s != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", s)
		} else {
			e.Hint = fmt.Sprintf("declare it under the top-level %q key", top+":")
		}
		return e
	}
	if m := reDependsOn().FindStringSubmatch(first); m != nil {
		path := []string{"services", m[1], "depends_on", m[2]}
		e := &Error{Key: displayKey(path[:3]), Msg: fmt.Sprintf("service %q is not defined", m[2])}
		e.File, e.Line = locate(srcs, path)
		if s := suggest(m[2], topLevelNames(srcs, "services")); s != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", s)
		} else {
			e.Hint = "define that service or remove it from depends_on"
		}
		return e
	}
	if m := reDisabled().FindStringSubmatch(first); m != nil {
		path := []string{"services", m[2], "depends_on", m[1]}
		e := &Error{Key: displayKey(path[:3]), Msg: fmt.Sprintf("service %q is disabled by its profiles %s", m[1], m[3]),
			Hint: "enable one of them with --profile, or set required: false on this dependency"}
		e.File, e.Line = locate(srcs, path)
		return e
	}
	if m := reCycle().FindStringSubmatch(first); m != nil {
		// the loader adds depends_on for network_mode and volumes_from: find the one written
		cycle := strings.Split(m[1], " -> ")
		for _, key := range []string{"depends_on", "network_mode", "volumes_from"} {
			if _, ok := locateFull(srcs, []string{"services", cycle[0], key}); ok {
				return cycleError(cycle, key, srcs)
			}
		}
		return cycleError(cycle, "depends_on", srcs)
	}
	if m := reNoImage().FindStringSubmatch(first); m != nil {
		path := []string{"services", m[1]}
		e := &Error{Key: displayKey(path), Msg: "neither image nor build is set", Hint: `add image:, e.g. "image: nginx"`}
		e.File, e.Line = locate(srcs, path)
		return e
	}
	if m := reExclusive().FindStringSubmatch(first); m != nil {
		path := []string{"services", m[1], "network_mode"}
		e := &Error{Key: displayKey(path), Msg: "network_mode and networks exclude each other", Hint: "remove one of them"}
		e.File, e.Line = locate(srcs, path)
		return e
	}
	if m := reExtends().FindStringSubmatch(first); m != nil {
		e := &Error{File: displayPath(wd, m[2]), Key: "services." + m[1] + ".extends",
			Msg: fmt.Sprintf("service %q not found in %s", m[3], displayPath(wd, m[2]))}
		if s := suggest(m[3], topLevelNames(srcs, "services")); s != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", s)
		}
		e.File, e.Line = locate(srcs, []string{"services", m[1], "extends"})
		return e
	}
	switch first {
	case "project name must not be empty":
		return &Error{Msg: "the project name is empty", Hint: "give -p NAME or set name: in the compose file"}
	case "empty compose file":
		return &Error{File: srcs[0].display, Msg: "empty compose file", Hint: "add a services: section"}
	case "top-level object must be a mapping":
		return &Error{File: srcs[0].display, Line: 1, Msg: "the top level must be a mapping", Hint: "start with a key such as services:"}
	}
	if m := reKeyed().FindStringSubmatch(first); m != nil {
		path := strings.Split(m[1], ".")
		e := &Error{Key: displayKey(path), Msg: m[2]}
		e.File, e.Line = locate(srcs, path)
		return e
	}
	return &Error{Msg: msg}
}

// schemaError maps a schema violation, "FILE: PATH MESSAGE", found while merging FILE.
func schemaError(rest string, srcs []*source, wd string) error {
	var src *source
	for _, s := range srcs {
		if body, ok := strings.CutPrefix(rest, s.path+": "); ok {
			src, rest = s, body
			break
		}
	}
	file := ""
	if src == nil {
		f, body, _ := strings.Cut(rest, ": ")
		file, rest = displayPath(wd, f), body
	}
	keyPath, body, _ := strings.Cut(rest, " ")
	var path []string
	if keyPath != "" {
		path = strings.Split(keyPath, ".")
	}
	e := &Error{Key: displayKey(path), Msg: body}
	if m := reNotAllowed().FindStringSubmatch(body); m != nil && keyPath == "services" && !serviceName().MatchString(m[1]) {
		// a service of an included file: the schema knows no name rule, only a pattern
		name := m[1]
		line := 0
		if src != nil {
			line, _ = src.lineOf([]string{"services", name})
		}
		if file == "" && src != nil {
			file = src.display
		}
		return serviceNameError(file, line, name)
	} else if m != nil {
		unknown := m[1]
		path = append(path, unknown)
		e.Key, e.Msg = displayKey(path), "unknown key"
		if s := suggest(unknown, schemaSiblings(path[:len(path)-1])); s != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", s)
		} else {
			e.Hint = `remove it, or name it "x-` + unknown + `" to keep it as an extension`
		}
	} else if reFalseSchema().MatchString(body) && len(path) > 0 {
		unknown := path[len(path)-1]
		e.Msg = "unknown key"
		if s := suggest(unknown, schemaSiblings(path[:len(path)-1])); s != "" {
			e.Hint = fmt.Sprintf("did you mean %q?", s)
		} else {
			e.Hint = `remove it, or name it "x-` + unknown + `" to keep it as an extension`
		}
	} else if m := reMustBe().FindStringSubmatch(body); m != nil {
		e.Msg = "must be " + article(strings.ReplaceAll(m[1], "array", "list"))
	}
	switch {
	case src != nil:
		if l, ok := src.lineOf(path); ok || l > 0 {
			e.File, e.Line = src.display, l
		}
		if e.File == "" {
			e.File, e.Line = locate(srcs, path)
		}
	default:
		e.File = file
	}
	return e
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// schemaSiblings lists the keys the Compose schema allows beside the last part of path.
func schemaSiblings(parent []string) []string {
	var out []string
	for _, p := range schema.AttributePaths() {
		parts := p.Parts()
		if len(parts) != len(parent)+1 {
			continue
		}
		match := true
		for i, want := range parts[:len(parent)] {
			got := parent[i]
			if want != got && want != "*" && !(want == "[]" && isIndex(got)) {
				match = false
				break
			}
		}
		last := parts[len(parts)-1]
		if match && last != "*" && last != "[]" && !slices.Contains(out, last) {
			out = append(out, last)
		}
	}
	return out
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// locate finds the file that defines path (the last one, as overrides win) and its line;
// failing that, the deepest part of path found in any file; failing that, the first file.
func locate(srcs []*source, path []string) (string, int) {
	for i := len(srcs) - 1; i >= 0; i-- {
		if l, ok := srcs[i].lineOf(path); ok {
			return srcs[i].display, l
		}
	}
	for _, s := range srcs {
		if l, _ := s.lineOf(path); l > 0 {
			return s.display, l
		}
	}
	return srcs[0].display, 0
}

// locateFull reports whether any file defines path, and which one.
func locateFull(srcs []*source, path []string) (string, bool) {
	for i := len(srcs) - 1; i >= 0; i-- {
		if _, ok := srcs[i].lineOf(path); ok {
			return srcs[i].display, true
		}
	}
	return "", false
}

// topLevelNames lists the names declared under a top-level key in any of the files.
func topLevelNames(srcs []*source, key string) []string {
	var out []string
	for _, s := range srcs {
		if s.root == nil {
			continue
		}
		n, ok := find(s.root, []string{key})
		if !ok {
			continue
		}
		root := deref(s.root)
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i] != n {
				continue
			}
			v := deref(root.Content[i+1])
			if v != nil && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					out = append(out, v.Content[j].Value)
				}
			}
		}
	}
	return out
}

// lazyRegexp compiles on first use: package init runs in every berth command, and in
// the daemon, most of which never load a Compose file.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
