package compose

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// serviceName is Compose's rule for a service name. The schema's own pattern lets
// through ".", ".." and names starting with "-" or "."; those end up in container and
// host names.
var serviceName = lazyRegexp(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// checkServiceNames refuses a service name that breaks Compose's rule, before compose-go
// reads the files: its schema calls a name with "/" an unknown key.
func checkServiceNames(srcs []*source) error {
	for _, s := range srcs {
		if s.root == nil {
			continue
		}
		services := deref(value(deref(s.root), "services"))
		if services == nil || services.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(services.Content); i += 2 {
			k := services.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" || serviceName().MatchString(k.Value) {
				continue
			}
			return serviceNameError(s.display, k.Line, k.Value)
		}
	}
	return nil
}

// checkLoadedServiceNames applies the rule to the services of files checkServiceNames
// did not see, those pulled in by include and extends.
func checkLoadedServiceNames(p *types.Project, srcs []*source) error {
	all := p.AllServices()
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if serviceName().MatchString(name) {
			continue
		}
		path := []string{"services", name}
		if _, ok := locateFull(srcs, path); ok {
			file, line := locate(srcs, path)
			return serviceNameError(file, line, name)
		}
		e := serviceNameError("", 0, name)
		e.Msg += " in a file pulled in by include or extends"
		return e
	}
	return nil
}

func serviceNameError(file string, line int, name string) *Error {
	return &Error{File: file, Line: line, Key: "services", Msg: fmt.Sprintf("invalid service name %q", name),
		Hint: `use letters, digits, "_", "." and "-", starting with a letter or digit, e.g. "` + suggestServiceName(name) + `"`}
}

// suggestServiceName is name with what the rule forbids left out.
func suggestServiceName(name string) string {
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case b.Len() > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			continue
		}
		b.WriteRune(c)
	}
	if b.Len() == 0 {
		return "web"
	}
	return b.String()
}

// checkContainerNames refuses two enabled services with the same container_name: the
// engine would create the first and fail on the second, leaving half a stack up.
// compose-go has this check (Project.CheckContainerNameUnicity) but its loader never
// calls it, and it names the services in map order; this one reports the later
// declaration in the files, pointing at the earlier.
func checkContainerNames(p *types.Project, srcs []*source) error {
	type decl struct {
		service, file string
		order, line   int // file's index in srcs, then line: where it is declared
	}
	var decls []decl
	for name, s := range p.Services {
		if s.ContainerName == "" {
			continue
		}
		file, line := locate(srcs, []string{"services", name, "container_name"})
		order := slices.IndexFunc(srcs, func(s *source) bool { return s.display == file })
		decls = append(decls, decl{service: name, file: file, order: order, line: line})
	}
	slices.SortFunc(decls, func(a, b decl) int {
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.line, b.line), cmp.Compare(a.service, b.service))
	})
	first := map[string]decl{}
	for _, d := range decls {
		cn := p.Services[d.service].ContainerName
		f, ok := first[cn]
		if !ok {
			first[cn] = d
			continue
		}
		return &Error{File: d.file, Line: d.line, Key: "services." + d.service + ".container_name",
			Msg:  fmt.Sprintf("container name %q is already that of service %q (%s)", cn, f.service, where(f.file, f.line)),
			Hint: "give each service its own container_name, or remove it to let berth name the container"}
	}
	return nil
}

// where writes a position as FILE:LINE, or FILE when the line is unknown.
func where(file string, line int) string {
	if line > 0 {
		return file + ":" + strconv.Itoa(line)
	}
	return file
}
