package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// WalkOptions controls [Walk].
type WalkOptions struct {
	// Limit is the most nodes running at once; zero or less means no limit.
	Limit int
	// Reverse starts a node only after its dependents have finished instead
	// of its dependencies, as when stopping or removing.
	Reverse bool
}

type walkResult[K cmp.Ordered] struct {
	node K
	err  error
}

// Walk calls fn once for every node of g, each as soon as all its dependencies
// (its dependents when o.Reverse is set) have finished successfully, and at
// most o.Limit at a time. Among nodes ready together, smaller keys start first.
//
// When fn fails for a node, the nodes that need it, directly or not, are not
// started; independent branches still run to completion, as docker compose
// does. Walk returns the errors of every failed node joined with
// [errors.Join] in key order, each prefixed with its node ("web: ...").
//
// fn gets ctx unchanged. Once ctx is done Walk starts no more nodes, waits for
// those running, and includes ctx.Err() in its result if any node was left
// unstarted. A cyclic graph gives a *[CycleError] before fn is called. Every
// goroutine Walk starts has returned by the time Walk does.
func Walk[K cmp.Ordered](ctx context.Context, g *Graph[K], o WalkOptions, fn func(ctx context.Context, node K) error) error {
	if c := g.Cycle(); c != nil {
		return &CycleError[K]{Path: c}
	}
	before, after := g.deps, g.dependents // before[n] must finish before n starts
	if o.Reverse {
		before, after = after, before
	}

	waiting := make(map[K]int, len(before)) // unfinished prerequisites per node
	var ready []K                           // sorted, ready to start
	for n, bs := range before {
		waiting[n] = len(bs)
		if len(bs) == 0 {
			ready = insertSorted(ready, n)
		}
	}

	var eg errgroup.Group
	if o.Limit > 0 {
		eg.SetLimit(o.Limit)
	}
	// The loop counts running nodes itself; eg's limit is a backstop. A worker
	// frees its slot just after reporting, so eg.Go may wait for it briefly,
	// and a buffer of one result per node means no worker ever waits on us.
	results := make(chan walkResult[K], len(before))
	failed := make(map[K]error)
	running := 0
	for {
		for len(ready) > 0 && (o.Limit <= 0 || running < o.Limit) && ctx.Err() == nil {
			n := ready[0]
			ready = ready[1:]
			running++
			eg.Go(func() error {
				results <- walkResult[K]{n, fn(ctx, n)}
				return nil
			})
		}
		if running == 0 {
			break
		}
		r := <-results
		running--
		if r.err != nil {
			// Its dependents never reach zero waiting, so they never start.
			failed[r.node] = fmt.Errorf("%v: %w", r.node, r.err)
			continue
		}
		for d := range after[r.node] {
			if waiting[d]--; waiting[d] == 0 {
				ready = insertSorted(ready, d)
			}
		}
	}
	_ = eg.Wait() // workers report through results and always return nil

	errs := make([]error, 0, len(failed)+1)
	for _, n := range sortedKeys(failed) {
		errs = append(errs, failed[n])
	}
	if len(ready) > 0 { // the loop only leaves ready nodes behind once ctx is done
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}
