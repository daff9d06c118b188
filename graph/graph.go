package graph

import (
	"cmp"
	"maps"
	"slices"
)

// Graph is a set of nodes and the dependencies between them. The zero value is
// an empty graph ready to use. A Graph is not safe for concurrent mutation, but
// any number of readers, [Walk] included, may share one that is not changing.
type Graph[K cmp.Ordered] struct {
	// deps holds every node, mapped to the nodes it needs; dependents is the
	// same edges reversed and holds the same keys.
	deps       map[K]map[K]struct{}
	dependents map[K]map[K]struct{}
}

// New returns an empty graph.
func New[K cmp.Ordered]() *Graph[K] {
	return &Graph[K]{}
}

// Add adds node, and an edge from node to each of deps, meaning node needs it.
// Each dep is added as a node too. Adding a node or edge twice is harmless.
func (g *Graph[K]) Add(node K, deps ...K) {
	g.addNode(node)
	for _, d := range deps {
		g.addNode(d)
		g.deps[node][d] = struct{}{}
		g.dependents[d][node] = struct{}{}
	}
}

func (g *Graph[K]) addNode(n K) {
	if g.deps == nil {
		g.deps = make(map[K]map[K]struct{})
		g.dependents = make(map[K]map[K]struct{})
	}
	if _, ok := g.deps[n]; !ok {
		g.deps[n] = make(map[K]struct{})
		g.dependents[n] = make(map[K]struct{})
	}
}

// Len returns the number of nodes.
func (g *Graph[K]) Len() int { return len(g.deps) }

// Nodes returns every node, sorted.
func (g *Graph[K]) Nodes() []K { return sortedKeys(g.deps) }

// Deps returns the nodes that node needs directly, sorted.
func (g *Graph[K]) Deps(node K) []K { return sortedKeys(g.deps[node]) }

// Dependents returns the nodes that need node directly, sorted.
func (g *Graph[K]) Dependents(node K) []K { return sortedKeys(g.dependents[node]) }

// Order returns every node with each one after everything it needs; among
// nodes that could come next, the smallest key goes first. A cyclic graph has
// no such order and gives a *[CycleError].
func (g *Graph[K]) Order() ([]K, error) {
	waiting := make(map[K]int, len(g.deps)) // unmet dependencies per node
	var ready []K
	for n, ds := range g.deps {
		waiting[n] = len(ds)
		if len(ds) == 0 {
			ready = append(ready, n)
		}
	}
	slices.Sort(ready)
	order := make([]K, 0, len(g.deps))
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		for d := range g.dependents[n] {
			if waiting[d]--; waiting[d] == 0 {
				ready = insertSorted(ready, d)
			}
		}
	}
	if len(order) < len(g.deps) {
		return nil, &CycleError[K]{Path: g.Cycle()}
	}
	return order, nil
}

// Subgraph returns a new graph of roots and everything they need, directly or
// not, with the edges between them. A root not in g becomes a lone node.
func (g *Graph[K]) Subgraph(roots []K) *Graph[K] {
	sub := New[K]()
	seen := make(map[K]bool)
	todo := slices.Clone(roots)
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		sub.Add(n, g.Deps(n)...)
		for d := range g.deps[n] {
			if !seen[d] {
				todo = append(todo, d)
			}
		}
	}
	return sub
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func insertSorted[K cmp.Ordered](s []K, v K) []K {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}
