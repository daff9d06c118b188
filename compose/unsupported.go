package compose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
)

// unsupported lists the service keys berth accepts but does not implement yet. Remove a
// line when its feature lands.
var unsupported = []struct {
	key    string           // below services.NAME; "[]" stands for each list item
	ignore func(any) bool   // values berth does implement; nil: none
	msg    func(any) string // nil: "not supported yet and ignored"
}{
	{key: "build"},
	{key: "develop"},
	{key: "deploy.restart_policy"},
	{key: "restart", ignore: is("no")},
	{key: "secrets"},
	{key: "configs"},
	{key: "logging.driver", ignore: is("json-file"), msg: quoted("not supported yet, json-file is used")},
	{key: "devices"},
	{key: "gpus"},
	{key: "runtime"},
	{key: "platform"},
	{key: "userns_mode"},
	{key: "cgroup_parent"},
	{key: "ipc"},
	{key: "pid"},
	{key: "security_opt.[]", ignore: is("no-new-privileges", "no-new-privileges:true", "no-new-privileges=true",
		"seccomp=unconfined", "seccomp:unconfined"), msg: quoted("not supported yet and ignored")},
	{key: "dns"},
	{key: "dns_search"},
	{key: "mac_address"},
	{key: "links"},
	{key: "external_links"},
}

func is(values ...string) func(any) bool {
	return func(v any) bool {
		s, ok := v.(string)
		return ok && slices.Contains(values, s)
	}
}

func quoted(msg string) func(any) string {
	return func(v any) string { return fmt.Sprintf("%q %s", fmt.Sprint(v), msg) }
}

// unsupportedPatterns gives the list to compose-go's check of the merged model.
func unsupportedPatterns() []loader.UnsupportedAttributePattern {
	var out []loader.UnsupportedAttributePattern
	for _, u := range unsupported {
		p := loader.UnsupportedAttributePattern{
			Path: tree.NewPath(append([]string{"services", tree.PathMatchAll}, strings.Split(u.key, ".")...)...),
		}
		if u.ignore != nil {
			ignore := u.ignore
			p.Detect = func(v any) bool { return !ignore(v) }
		}
		out = append(out, p)
	}
	return out
}

// warnings turns what the check found into warnings for the services left enabled.
func warnings(p *types.Project, found []loader.UnsupportedAttribute, srcs []*source) []Warning {
	var out []Warning
	for _, f := range found {
		parts := f.Path.Parts()
		if len(parts) < 3 {
			continue
		}
		if _, ok := p.Services[parts[1]]; !ok {
			continue
		}
		path := slices.DeleteFunc(slices.Clone(parts), func(s string) bool { return s == tree.PathMatchList })
		w := Warning{Service: parts[1], Key: displayKey(path), Msg: "not supported yet and ignored"}
		w.File, _ = locate(srcs, path)
		for _, u := range unsupported {
			if u.msg != nil && f.Path.Matches(tree.NewPath(append([]string{"services", tree.PathMatchAll}, strings.Split(u.key, ".")...)...)) {
				w.Msg = u.msg(f.Value)
			}
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
