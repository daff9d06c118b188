package graph

import (
	"errors"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// edges builds a graph from "node:dep,dep" specs; a bare name is a lone node.
func edges(specs ...string) *Graph[string] {
	g := New[string]()
	for _, s := range specs {
		node, deps, _ := strings.Cut(s, ":")
		if deps == "" {
			g.Add(node)
			continue
		}
		g.Add(node, strings.Split(deps, ",")...)
	}
	return g
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name  string
		graph *Graph[string]
		want  []string
	}{
		{"empty", New[string](), []string{}},
		{"single", edges("a"), []string{"a"}},
		{"chain", edges("web:api", "api:db"), []string{"db", "api", "web"}},
		{"diamond", edges("top:left,right", "left:base", "right:base"), []string{"base", "left", "right", "top"}},
		{"disconnected", edges("z", "b:a", "y", "c"), []string{"a", "b", "c", "y", "z"}},
		{"ties by key after each step", edges("b:z", "a:z", "c"), []string{"c", "z", "a", "b"}},
		{"dependency unlocks smaller key", edges("m", "a:n", "n"), []string{"m", "n", "a"}},
		{"zero value", &Graph[string]{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.graph.Order()
			if err != nil {
				t.Fatalf("Order: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOrderDeterministic(t *testing.T) {
	specs := []string{"web:api,cache", "api:db,queue", "worker:queue,db", "cache", "db", "queue", "cron:worker"}
	want, err := edges(specs...).Order()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		// Insertion order must not matter, nor map iteration order.
		s := slices.Clone(specs)
		if i%2 == 1 {
			slices.Reverse(s)
		}
		got, err := edges(s...).Order()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d: Order = %v, want %v", i, got, want)
		}
	}
}

func TestOrderInts(t *testing.T) {
	g := New[int]()
	g.Add(10, 2)
	g.Add(2, 1)
	g.Add(3)
	got, err := g.Order()
	if err != nil || !slices.Equal(got, []int{1, 2, 3, 10}) {
		t.Errorf("Order = %v, %v; want [1 2 3 10]", got, err)
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		name    string
		graph   *Graph[string]
		want    []string
		wantErr string
	}{
		{"acyclic", edges("web:db"), nil, ""},
		{"self loop", edges("a:a"), []string{"a", "a"}, "dependency cycle: a -> a"},
		{"two", edges("web:db", "db:web"), []string{"db", "web", "db"}, "dependency cycle: db -> web -> db"},
		{"three", edges("c:a", "a:b", "b:c"), []string{"a", "b", "c", "a"}, "dependency cycle: a -> b -> c -> a"},
		{"three entered from the middle", edges("a:c", "c:d", "d:b", "b:c"), []string{"b", "c", "d", "b"}, "dependency cycle: b -> c -> d -> b"},
		{"cycle beside acyclic part", edges("app:lib", "x:y", "y:x", "lib"), []string{"x", "y", "x"}, "dependency cycle: x -> y -> x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.graph.Cycle(); !slices.Equal(got, tt.want) {
				t.Errorf("Cycle = %v, want %v", got, tt.want)
			}
			order, err := tt.graph.Order()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Order: %v", err)
				}
				return
			}
			if order != nil {
				t.Errorf("Order = %v, want nil with an error", order)
			}
			var ce *CycleError[string]
			if !errors.As(err, &ce) {
				t.Fatalf("Order error = %v (%T), want *CycleError", err, err)
			}
			if !slices.Equal(ce.Path, tt.want) {
				t.Errorf("CycleError.Path = %v, want %v", ce.Path, tt.want)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Error() = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNeighbours(t *testing.T) {
	g := edges("web:db,cache", "worker:db", "db")
	g.Add("web", "db") // repeated edge
	if got, want := g.Nodes(), []string{"cache", "db", "web", "worker"}; !slices.Equal(got, want) {
		t.Errorf("Nodes = %v, want %v", got, want)
	}
	tests := []struct {
		node             string
		deps, dependents []string
	}{
		{"web", []string{"cache", "db"}, []string{}},
		{"db", []string{}, []string{"web", "worker"}},
		{"cache", []string{}, []string{"web"}},
		{"missing", []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			if got := g.Deps(tt.node); !slices.Equal(got, tt.deps) {
				t.Errorf("Deps = %v, want %v", got, tt.deps)
			}
			if got := g.Dependents(tt.node); !slices.Equal(got, tt.dependents) {
				t.Errorf("Dependents = %v, want %v", got, tt.dependents)
			}
		})
	}
}

func TestSubgraph(t *testing.T) {
	g := edges("web:api,static", "api:db,cache", "worker:db,queue", "admin:api", "cron")
	tests := []struct {
		name      string
		roots     []string
		wantNodes []string
		wantEdges map[string][]string // deps of each node that has any
	}{
		{"none", nil, []string{}, nil},
		{"leaf", []string{"db"}, []string{"db"}, nil},
		{"transitive", []string{"web"}, []string{"api", "cache", "db", "static", "web"},
			map[string][]string{"web": {"api", "static"}, "api": {"cache", "db"}}},
		{"several roots share deps", []string{"admin", "worker"}, []string{"admin", "api", "cache", "db", "queue", "worker"},
			map[string][]string{"admin": {"api"}, "api": {"cache", "db"}, "worker": {"db", "queue"}}},
		{"lone and unknown", []string{"cron", "ghost"}, []string{"cron", "ghost"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := g.Subgraph(tt.roots)
			if got := sub.Nodes(); !slices.Equal(got, tt.wantNodes) {
				t.Errorf("Nodes = %v, want %v", got, tt.wantNodes)
			}
			for _, n := range sub.Nodes() {
				want := tt.wantEdges[n]
				if want == nil {
					want = []string{}
				}
				if got := sub.Deps(n); !slices.Equal(got, want) {
					t.Errorf("Deps(%s) = %v, want %v", n, got, want)
				}
			}
		})
	}
	// The subgraph is a copy.
	sub := g.Subgraph([]string{"api"})
	sub.Add("api", "extra")
	if slices.Contains(g.Deps("api"), "extra") {
		t.Error("adding to a subgraph changed the original")
	}
}

// TestImports guards the package's place at the bottom of berth: it must not
// know about anything else in the module.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "berth" || strings.HasPrefix(p, "berth/") {
				t.Errorf("%s imports %s; graph must import nothing of berth", f, p)
			}
		}
	}
}
