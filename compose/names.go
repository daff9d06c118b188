package compose

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"
)

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
