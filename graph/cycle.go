package graph

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// CycleError reports that nodes depend on each other in a loop, so no order
// can put each after what it needs.
type CycleError[K cmp.Ordered] struct {
	// Path is the loop, following what each node needs, starting and ending
	// at its smallest node: [db web db] means db needs web and web needs db.
	Path []K
}

func (e *CycleError[K]) Error() string {
	parts := make([]string, len(e.Path))
	for i, n := range e.Path {
		parts[i] = fmt.Sprint(n)
	}
	return "dependency cycle: " + strings.Join(parts, " -> ")
}

// Cycle returns nil if g is acyclic. Otherwise it returns one cycle as a path
// along dependency edges that starts and ends at the same node, the smallest
// in the cycle, e.g. [db web db]; a self-loop is [a a]. The same graph always
// gives the same cycle.
func (g *Graph[K]) Cycle() []K {
	const (
		unvisited = iota
		onPath
		done
	)
	state := make(map[K]int, len(g.deps))
	var path, found []K
	var visit func(n K) bool
	visit = func(n K) bool {
		state[n] = onPath
		path = append(path, n)
		for _, d := range g.Deps(n) {
			switch state[d] {
			case onPath:
				found = slices.Clone(path[slices.Index(path, d):])
				return true
			case unvisited:
				if visit(d) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return false
	}
	for _, n := range g.Nodes() {
		if state[n] == unvisited && visit(n) {
			break
		}
	}
	if found == nil {
		return nil
	}
	// Rotate so the smallest node leads, then close the loop.
	i := slices.Index(found, slices.Min(found))
	cycle := append(slices.Clone(found[i:]), found[:i]...)
	return append(cycle, cycle[0])
}
