package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sync/errgroup"

	"berth/graph"
	"berth/project"
	"berth/store"
)

// StackOp is a change to the existing containers of a stack: Compose's start, stop,
// restart, kill, pause and unpause.
type StackOp string

// The stack operations.
const (
	OpStart   StackOp = "start"
	OpStop    StackOp = "stop"
	OpRestart StackOp = "restart"
	OpKill    StackOp = "kill"
	OpPause   StackOp = "pause"
	OpUnpause StackOp = "unpause"
)

// The container actions of stack operations.
const (
	ActionStop    Action = "stop"
	ActionRestart Action = "restart"
	ActionKill    Action = "kill"
	ActionPause   Action = "pause"
	ActionUnpause Action = "unpause"
)

// OpOptions shape a stack operation.
type OpOptions struct {
	Services []string       // only these services' containers; empty: every service
	Timeout  *time.Duration // stop and restart: nil for each container's own grace
	Signal   string         // kill: "" for SIGKILL
}

// ops says, per operation, which containers it changes, what it does to them, and
// whether it walks dependents first.
var ops = map[StackOp]struct {
	action   Action
	from     []container.ContainerState // the states it acts on; nil: any
	reverse  bool
	doing    string
	done     string
	noneText string // the error when the stack has no container at all
}{
	OpStart:   {ActionStart, []container.ContainerState{container.StateCreated, container.StateExited, container.StateDead}, false, "Starting", "Started", "no containers to start; create them with berth up or berth create"},
	OpStop:    {ActionStop, []container.ContainerState{container.StateRunning, container.StatePaused, container.StateRestarting}, true, "Stopping", "Stopped", ""},
	OpRestart: {ActionRestart, nil, false, "Restarting", "Started", ""},
	OpKill:    {ActionKill, []container.ContainerState{container.StateRunning, container.StatePaused, container.StateRestarting}, true, "Killing", "Killed", ""},
	OpPause:   {ActionPause, []container.ContainerState{container.StateRunning}, true, "Pausing", "Paused", ""},
	OpUnpause: {ActionUnpause, []container.ContainerState{container.StatePaused}, false, "Unpausing", "Unpaused", ""},
}

// OpPlan is what a stack operation will do: its steps in an order the walk may take
// them, and the dependencies among the services it changes.
type OpPlan struct {
	Stack   string
	Op      StackOp
	Steps   []Step
	Reverse bool                // dependents first
	Deps    map[string][]string // service -> the planned services it depends on
}

// String lists the steps, each with the services it waits for: its dependencies, or its
// dependents when the walk is reversed.
func (p OpPlan) String() string {
	waits := p.Deps
	if p.Reverse {
		waits = map[string][]string{}
		for svc, deps := range p.Deps {
			for _, d := range deps {
				waits[d] = append(waits[d], svc)
			}
		}
		for _, w := range waits {
			slices.Sort(w)
		}
	}
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(s.String())
		if n := waits[s.Service]; len(n) > 0 {
			fmt.Fprintf(&b, " after %s", strings.Join(n, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PlanOp plans op on the stack's existing containers, from their labels alone: a stack
// can be stopped without its Compose file.
func (e *Engine) PlanOp(stack string, op StackOp, o OpOptions) (OpPlan, error) {
	list, err := e.containers.List()
	if err != nil {
		return OpPlan{}, err
	}
	return planOp(stack, list, op, o)
}

// planOp orders the stack's containers by the depends_on labels of their services and
// keeps those op changes.
func planOp(stack string, list []*store.Container, op StackOp, o OpOptions) (OpPlan, error) {
	spec, ok := ops[op]
	if !ok {
		return OpPlan{}, fmt.Errorf("unknown stack operation %q: %w", op, errdefs.ErrInvalidArgument)
	}
	p := OpPlan{Stack: stack, Op: op, Reverse: spec.reverse, Deps: map[string][]string{}}
	byService := map[string][]*store.Container{}
	deps := map[string][]string{}
	found := false
	for _, c := range list {
		l := c.Config.Labels
		if l[project.LabelProject] != stack || l[project.LabelOneoff] == "True" {
			continue
		}
		found = true
		svc := l[project.LabelService]
		if len(o.Services) > 0 && !slices.Contains(o.Services, svc) {
			continue
		}
		if spec.from != nil && !slices.Contains(spec.from, c.State.Status) {
			continue
		}
		byService[svc] = append(byService[svc], c)
		deps[svc] = labelDeps(l[project.LabelDependsOn])
	}
	if !found && spec.noneText != "" {
		return OpPlan{}, fmt.Errorf("%s: %w", spec.noneText, errdefs.ErrNotFound)
	}
	g := graph.New[string]()
	for svc := range byService {
		var planned []string
		for _, d := range deps[svc] {
			if _, ok := byService[d]; ok && d != svc {
				planned = append(planned, d)
			}
		}
		g.Add(svc, planned...)
	}
	order, err := g.Order()
	if err != nil {
		return OpPlan{}, fmt.Errorf("stack %s: %w", stack, err)
	}
	if spec.reverse {
		slices.Reverse(order)
	}
	for _, svc := range order {
		cs := byService[svc]
		slices.SortFunc(cs, func(a, b *store.Container) int { return containerNumber(a) - containerNumber(b) })
		for _, c := range cs {
			p.Steps = append(p.Steps, Step{Service: svc, Container: c.Name, Action: spec.action, Cause: string(c.State.Status), Existing: c})
		}
		p.Deps[svc] = g.Deps(svc)
	}
	return p, nil
}

// labelDeps reads the services of a com.docker.compose.depends_on label
// ("db:service_healthy:false,cache:service_started:false").
func labelDeps(v string) []string {
	var out []string
	for _, d := range strings.Split(v, ",") {
		if name, _, _ := strings.Cut(d, ":"); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func containerNumber(c *store.Container) int {
	n, _ := strconv.Atoi(c.Config.Labels[project.LabelContainerNumber])
	return n
}

// lockStack serialises the changes to one stack: an up, a down and a restart of the
// same project never interleave; other projects go on in parallel.
func (e *Engine) lockStack(name string) func() { return e.lock("stack:" + name) }

// RunOp plans op and carries it out: services in dependency order (dependents first for
// stop, kill and pause), a service's replicas together.
func (e *Engine) RunOp(ctx context.Context, stack string, op StackOp, o OpOptions) error {
	unlock := e.lockStack(stack)
	defer unlock()
	p, err := e.PlanOp(stack, op, o)
	if err != nil {
		return err
	}
	var sig syscall.Signal
	if op == OpKill {
		if sig, err = ParseSignal(o.Signal); err != nil {
			return err
		}
		if o.Signal == "" {
			sig = syscall.SIGKILL
		}
	}
	steps := map[string][]Step{}
	g := graph.New[string]()
	for _, s := range p.Steps {
		steps[s.Service] = append(steps[s.Service], s)
	}
	for svc := range steps {
		g.Add(svc, p.Deps[svc]...)
	}
	spec := ops[op]
	return graph.Walk(ctx, g, graph.WalkOptions{Limit: walkLimit, Reverse: p.Reverse}, func(ctx context.Context, svc string) error {
		var group errgroup.Group
		for _, st := range steps[svc] {
			group.Go(func() error {
				e.progress(stack, "Container", st.Container, spec.doing, "")
				if err := e.applyOp(ctx, st, o.Timeout, sig); err != nil {
					e.progressError(stack, "Container", st.Container, err)
					return fmt.Errorf("container %s: %w", st.Container, err)
				}
				e.progress(stack, "Container", st.Container, spec.done, "")
				return nil
			})
		}
		return group.Wait()
	})
}

func (e *Engine) applyOp(ctx context.Context, st Step, timeout *time.Duration, sig syscall.Signal) error {
	id := st.Existing.ID
	switch st.Action {
	case ActionStart:
		return e.Start(ctx, id)
	case ActionStop:
		return ignoreNotModified(e.Stop(ctx, id, timeout, ""))
	case ActionRestart:
		if err := ignoreNotModified(e.Stop(ctx, id, timeout, "")); err != nil {
			return err
		}
		return e.Start(ctx, id)
	case ActionKill:
		return e.Kill(ctx, id, sig)
	case ActionPause:
		return e.Pause(ctx, id)
	case ActionUnpause:
		return e.Unpause(ctx, id)
	}
	return fmt.Errorf("action %s is not a stack operation's: %w", st.Action, errdefs.ErrInvalidArgument)
}

// progressError reports that a step on object name failed.
func (e *Engine) progressError(stack, object, name string, err error) {
	e.events.Publish(Event{Type: "stack", Action: "Error", ID: name, Attributes: map[string]string{
		"stack": stack, "object": object, "error": err.Error()}})
}

func ignoreNotModified(err error) error {
	if errdefs.IsNotModified(err) {
		return nil
	}
	return err
}
