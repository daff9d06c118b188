package compose

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// edge is a reason a service must start after another.
type edge struct {
	to  string
	key string // depends_on, network_mode or volumes_from
}

// checkCycles reports a cycle among services through depends_on, network_mode
// "service:" and volumes_from. compose-go checks depends_on alone.
func checkCycles(p *types.Project, srcs []*source) error {
	edges := map[string][]edge{}
	for name, s := range p.Services {
		for dep := range s.DependsOn {
			edges[name] = append(edges[name], edge{dep, "depends_on"})
		}
		if dep, ok := strings.CutPrefix(s.NetworkMode, types.ServicePrefix); ok {
			edges[name] = append(edges[name], edge{dep, "network_mode"})
		}
		for _, v := range s.VolumesFrom {
			if strings.HasPrefix(v, types.ContainerPrefix) {
				continue
			}
			dep, _, _ := strings.Cut(v, ":")
			edges[name] = append(edges[name], edge{dep, "volumes_from"})
		}
		slices.SortFunc(edges[name], func(a, b edge) int { return strings.Compare(a.to, b.to) })
	}
	done := map[string]bool{}
	var path []string
	var keys []string
	var visit func(n string) []string
	visit = func(n string) []string {
		if i := slices.Index(path, n); i >= 0 {
			return append(slices.Clone(path[i:]), n)
		}
		if done[n] {
			return nil
		}
		path = append(path, n)
		for _, e := range edges[n] {
			if _, ok := p.Services[e.to]; !ok {
				continue
			}
			keys = append(keys, e.key)
			if c := visit(e.to); c != nil {
				return c
			}
			keys = keys[:len(keys)-1]
		}
		path = path[:len(path)-1]
		done[n] = true
		return nil
	}
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		if c := visit(n); c != nil {
			start := len(keys) - (len(c) - 1)
			return cycleError(c, keys[start], srcs)
		}
	}
	return nil
}

// cycleError names a cycle as "web -> db -> web", pointing at the first service's key
// that leads to the second.
func cycleError(cycle []string, key string, srcs []*source) error {
	path := []string{"services", cycle[0], key}
	if key != "network_mode" {
		path = append(path, cycle[1])
	}
	e := &Error{Key: displayKey(path[:3]), Msg: "dependency cycle: " + strings.Join(cycle, " -> "),
		Hint: "remove one of these dependencies"}
	e.File, e.Line = locate(srcs, path)
	return e
}
