package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"

	"berth/engine"
)

// filters is Docker's ?filters= argument: {"key": {"value": true}} or, from older
// clients, {"key": ["value"]}.
type filters map[string][]string

func parseFilters(r *http.Request, known ...string) (filters, error) {
	raw := r.URL.Query().Get("filters")
	f := filters{}
	if raw == "" {
		return f, nil
	}
	var m map[string]map[string]bool
	if err := json.Unmarshal([]byte(raw), &m); err == nil {
		for k, vs := range m {
			for v, on := range vs {
				if on {
					f[k] = append(f[k], v)
				}
			}
		}
	} else {
		var l map[string][]string
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return nil, fmt.Errorf("invalid filters %q: %w", raw, errdefs.ErrInvalidArgument)
		}
		f = l
	}
	for k := range f {
		ok := false
		for _, kn := range known {
			ok = ok || k == kn
		}
		if !ok {
			return nil, fmt.Errorf("invalid filter %q; berth knows %s: %w", k, strings.Join(known, ", "), errdefs.ErrInvalidArgument)
		}
	}
	return f, nil
}

// any reports whether key is unset or one of its values satisfies match.
func (f filters) any(key string, match func(string) bool) bool {
	vs, ok := f[key]
	if !ok {
		return true
	}
	for _, v := range vs {
		if match(v) {
			return true
		}
	}
	return false
}

func labelMatch(labels map[string]string) func(string) bool {
	return func(v string) bool {
		k, want, hasValue := strings.Cut(v, "=")
		got, ok := labels[k]
		return ok && (!hasValue || got == want)
	}
}

var containerFilterKeys = []string{"id", "name", "status", "label", "ancestor", "exited"}

func (f filters) container(c *engine.Container) bool {
	// Labels must all match, as in Docker; other keys match any of their values.
	for _, l := range f["label"] {
		if !labelMatch(c.Config.Labels)(l) {
			return false
		}
	}
	return f.any("id", func(v string) bool { return strings.HasPrefix(c.ID, v) }) &&
		f.any("name", func(v string) bool { return strings.Contains(c.Name, strings.TrimPrefix(v, "/")) }) &&
		f.any("status", func(v string) bool { return string(c.State.Status) == v }) &&
		f.any("ancestor", func(v string) bool {
			return c.Image == v || c.ImageID == v || strings.HasPrefix(c.ImageID, "sha256:"+v)
		}) &&
		f.any("exited", func(v string) bool {
			n, err := strconv.Atoi(v)
			return err == nil && string(c.State.Status) == "exited" && c.State.ExitCode == n
		})
}

var imageFilterKeys = []string{"reference", "dangling", "label"}

func (f filters) image(img engine.Image) bool {
	for _, l := range f["label"] {
		if !labelMatch(img.Config.Config.Labels)(l) {
			return false
		}
	}
	return f.any("dangling", func(v string) bool { return (v == "true" || v == "1") == (len(img.RepoTags) == 0) }) &&
		f.any("reference", func(v string) bool {
			for _, t := range img.RepoTags {
				repo := t
				if i := strings.LastIndex(t, ":"); i > strings.LastIndex(t, "/") {
					repo = t[:i]
				}
				if ok, _ := path.Match(v, t); ok {
					return true
				}
				if ok, _ := path.Match(v, repo); ok {
					return true
				}
			}
			return false
		})
}
