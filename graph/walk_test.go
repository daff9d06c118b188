package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder logs fn's start and finish events in the order they happen.
type recorder struct {
	mu     sync.Mutex
	events []string // "start web", "finish web"
}

func (r *recorder) add(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) index(ev string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Index(r.events, ev)
}

func (r *recorder) started() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, ev := range r.events {
		if n, ok := strings.CutPrefix(ev, "start "); ok {
			s = append(s, n)
		}
	}
	slices.Sort(s)
	return s
}

// enter counts a fn in, raises most to the count if higher, and returns the
// func that counts it out.
func enter(inside, most *atomic.Int32) func() {
	now := inside.Add(1)
	for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
	}
	return func() { inside.Add(-1) }
}

func TestWalkOrder(t *testing.T) {
	tests := []struct {
		name  string
		graph *Graph[string]
		limit int
	}{
		{"chain", edges("web:api", "api:db"), 0},
		{"diamond", edges("top:left,right", "left:base", "right:base"), 0},
		{"wide", edges("web:api,cache,static", "api:db,queue", "worker:db,queue", "admin:api", "cron"), 0},
		{"wide limit 1", edges("web:api,cache,static", "api:db,queue", "worker:db,queue", "admin:api", "cron"), 1},
		{"wide limit 2", edges("web:api,cache,static", "api:db,queue", "worker:db,queue", "admin:api", "cron"), 2},
		{"empty", New[string](), 0},
	}
	for _, tt := range tests {
		for _, reverse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s reverse=%v", tt.name, reverse), func(t *testing.T) {
				var r recorder
				var inside, most atomic.Int32
				err := Walk(t.Context(), tt.graph, WalkOptions{Limit: tt.limit, Reverse: reverse},
					func(_ context.Context, n string) error {
						defer enter(&inside, &most)()
						r.add("start " + n)
						r.add("finish " + n)
						return nil
					})
				if err != nil {
					t.Fatalf("Walk: %v", err)
				}
				if tt.limit > 0 && most.Load() > int32(tt.limit) {
					t.Errorf("%d fns ran at once, limit %d", most.Load(), tt.limit)
				}
				if got, want := r.started(), tt.graph.Nodes(); !slices.Equal(got, want) && len(want) > 0 {
					t.Fatalf("started %v, want each of %v once", got, want)
				}
				for _, n := range tt.graph.Nodes() {
					first := tt.graph.Deps(n)
					if reverse {
						first = tt.graph.Dependents(n)
					}
					for _, f := range first {
						if r.index("start "+n) < r.index("finish "+f) {
							t.Errorf("%s started before %s finished: %v", n, f, r.events)
						}
					}
				}
			})
		}
	}
}

// TestWalkLimit holds every fn until want of them are inside at once, so the
// walk only finishes if it reaches that parallelism, and counts the most ever
// inside to check it never passes the limit.
func TestWalkLimit(t *testing.T) {
	tests := []struct {
		name  string
		graph *Graph[string]
		limit int
		want  int // concurrency the walk must reach
	}{
		{"limit 3 of 6 independent", edges("a", "b", "c", "d", "e", "f"), 3, 3},
		{"limit 1", edges("a", "b", "c"), 1, 1},
		{"unlimited", edges("a", "b", "c", "d", "e", "f"), 0, 6},
		{"limit above width", edges("a", "b"), 5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inside, most atomic.Int32
			release := make(chan struct{})
			entered := make(chan struct{}, tt.graph.Len())
			done := make(chan error, 1)
			go func() {
				done <- Walk(t.Context(), tt.graph, WalkOptions{Limit: tt.limit},
					func(_ context.Context, n string) error {
						defer enter(&inside, &most)()
						entered <- struct{}{}
						<-release
						return nil
					})
			}()
			deadline := time.After(10 * time.Second)
			for i := range tt.want {
				select {
				case <-entered:
				case <-deadline:
					close(release)
					<-done
					t.Fatalf("only %d of %d fns entered at once", i, tt.want)
				}
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatalf("Walk: %v", err)
			}
			if got := most.Load(); got != int32(tt.want) {
				t.Errorf("at most %d fns ran at once, want %d", got, tt.want)
			}
		})
	}
}

func TestWalkFailure(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		graph   *Graph[string]
		reverse bool
		fail    []string
		wantRan []string
		wantErr string
	}{
		{
			name:    "dependents skipped, independent branch runs",
			graph:   edges("web:api", "api:db", "admin:api", "worker:queue", "queue", "cron"),
			fail:    []string{"db"},
			wantRan: []string{"cron", "db", "queue", "worker"},
			wantErr: "db: boom",
		},
		{
			name:    "node needing a failed and a good dep is skipped",
			graph:   edges("web:db,cache"),
			fail:    []string{"cache"},
			wantRan: []string{"cache", "db"},
			wantErr: "cache: boom",
		},
		{
			name:    "two failures joined in key order",
			graph:   edges("web:db", "worker:queue", "cron"),
			fail:    []string{"queue", "db"},
			wantRan: []string{"cron", "db", "queue"},
			wantErr: "db: boom\nqueue: boom",
		},
		{
			name:    "reverse skips what the failed node depends on",
			graph:   edges("web:api", "api:db", "worker:queue"),
			reverse: true,
			fail:    []string{"api"},
			wantRan: []string{"api", "queue", "web", "worker"},
			wantErr: "api: boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recorder
			err := Walk(t.Context(), tt.graph, WalkOptions{Reverse: tt.reverse},
				func(_ context.Context, n string) error {
					r.add("start " + n)
					if slices.Contains(tt.fail, n) {
						return boom
					}
					return nil
				})
			if got := r.started(); !slices.Equal(got, tt.wantRan) {
				t.Errorf("ran %v, want %v", got, tt.wantRan)
			}
			if !errors.Is(err, boom) {
				t.Errorf("Walk error %v does not wrap boom", err)
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Walk error = %q, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestWalkCancel(t *testing.T) {
	t.Run("cancel mid-walk stops new starts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var r recorder
		err := Walk(ctx, edges("c:b", "b:a"), WalkOptions{}, func(ctx context.Context, n string) error {
			r.add("start " + n)
			if n == "a" {
				cancel()
			}
			return nil
		})
		if got := r.started(); !slices.Equal(got, []string{"a"}) {
			t.Errorf("ran %v, want [a]", got)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Walk error = %v, want context.Canceled", err)
		}
	})
	t.Run("running fns see the cancel and their errors are kept", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var inside sync.WaitGroup
		inside.Add(2)
		go func() { inside.Wait(); cancel() }()
		err := Walk(ctx, edges("a", "b", "c"), WalkOptions{Limit: 2}, func(ctx context.Context, n string) error {
			inside.Done()
			<-ctx.Done()
			return ctx.Err()
		})
		if want := "a: context canceled\nb: context canceled\ncontext canceled"; err == nil || err.Error() != want {
			t.Errorf("Walk error = %q, want %q", err, want)
		}
	})
	t.Run("already cancelled runs nothing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		called := false
		err := Walk(ctx, edges("a", "b"), WalkOptions{}, func(context.Context, string) error {
			called = true
			return nil
		})
		if called {
			t.Error("fn called with a cancelled context")
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Walk error = %v, want context.Canceled", err)
		}
	})
	t.Run("cancel after the last node is not an error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		err := Walk(ctx, edges("b:a"), WalkOptions{}, func(_ context.Context, n string) error {
			if n == "b" {
				cancel()
			}
			return nil
		})
		if err != nil {
			t.Errorf("Walk error = %v, want nil", err)
		}
	})
}

func TestWalkCycle(t *testing.T) {
	called := false
	err := Walk(t.Context(), edges("ok", "web:db", "db:web"), WalkOptions{}, func(context.Context, string) error {
		called = true
		return nil
	})
	var ce *CycleError[string]
	if !errors.As(err, &ce) || err.Error() != "dependency cycle: db -> web -> db" {
		t.Errorf("Walk error = %v, want the cycle db -> web -> db", err)
	}
	if called {
		t.Error("fn called on a cyclic graph")
	}
}

func BenchmarkWalk(b *testing.B) {
	const n = 1000
	chain, fanOut := New[int](), New[int]()
	chain.Add(0)
	fanOut.Add(0)
	for i := 1; i < n; i++ {
		chain.Add(i, i-1)
		fanOut.Add(i, 0)
	}
	nop := func(context.Context, int) error { return nil }
	for _, bc := range []struct {
		name  string
		graph *Graph[int]
		limit int
	}{
		{"chain", chain, 0},
		{"fan-out", fanOut, 0},
		{"fan-out limit 8", fanOut, 8},
	} {
		b.Run(bc.name+"/"+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if err := Walk(b.Context(), bc.graph, WalkOptions{Limit: bc.limit}, nop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
