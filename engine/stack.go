package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sync/errgroup"

	"berth/graph"
	"berth/netstack"
	"berth/project"
	"berth/store"
)

// walkLimit bounds how many services change at once.
const walkLimit = 8

// Progress is one line of a stack operation's progress: what happened to which object,
// as Compose shows it ("Container web-1  Started").
type Progress struct {
	Stack  string
	Object string // "Container", "Network", "Volume"
	Name   string
	Status string // "Creating", "Created", "Starting", "Started", "Healthy", "Stopping", ...
	Cause  string
	Error  string
}

func (e *Engine) progress(stack string, object, name, status, cause string) {
	e.events.Publish(Event{Type: "stack", Action: status, ID: name, Attributes: map[string]string{
		"stack": stack, "object": object, "cause": cause}})
}

// ProgressOf reads a Progress out of a stack event.
func ProgressOf(ev Event) (Progress, bool) {
	if ev.Type != "stack" {
		return Progress{}, false
	}
	a := ev.Attributes
	return Progress{Stack: a["stack"], Object: a["object"], Name: ev.ID, Status: ev.Action, Cause: a["cause"], Error: a["error"]}, true
}

// PlanUp returns what Up would do, changing nothing (up --dry-run).
func (e *Engine) PlanUp(stack *project.Stack, o UpOptions) (Plan, error) {
	list, err := e.containers.List()
	if err != nil {
		return Plan{}, err
	}
	ids := map[string]string{} // services share images: resolve each once
	imageID := func(ref string) string {
		if id, ok := ids[ref]; ok {
			return id
		}
		img, err := e.images.Get(ref)
		if err != nil {
			img.ID = ""
		}
		ids[ref] = img.ID
		return img.ID
	}
	exists := func(name string) bool { _, err := e.net.Network(name); return err == nil }
	return planUp(stack, list, o, imageID, exists), nil
}

// Up converges the host to stack: networks, then containers service by service in
// dependency order (independent services in parallel), each after its dependencies meet
// their depends_on conditions. What it started stays running if it fails, as in Compose.
func (e *Engine) Up(ctx context.Context, stack *project.Stack, o UpOptions) error {
	unlock := e.lockStack(stack.Name)
	defer unlock()
	if err := e.checkStack(stack); err != nil {
		return err
	}
	plan, err := e.PlanUp(stack, o)
	if err != nil {
		return err
	}
	for _, n := range stack.Networks {
		if n.External {
			if _, err := e.net.Network(n.Name); err != nil {
				return fmt.Errorf("network %s declared as external, but could not be found; create it first (berth network create %s): %w", n.Name, n.Name, errdefs.ErrNotFound)
			}
			continue
		}
		if !slices.Contains(plan.Networks, n.Name) {
			continue
		}
		e.progress(stack.Name, "Network", n.Name, "Creating", "")
		spec := netstack.NetworkSpec{Name: n.Name, Internal: n.Internal, Labels: n.Labels}
		if n.Subnet != "" {
			if spec.Subnet, err = netip.ParsePrefix(n.Subnet); err != nil {
				return fmt.Errorf("network %s: subnet %q: %v: %w", n.Key, n.Subnet, err, errdefs.ErrInvalidArgument)
			}
		}
		if n.Gateway != "" {
			if spec.Gateway, err = netip.ParseAddr(n.Gateway); err != nil {
				return fmt.Errorf("network %s: gateway %q: %v: %w", n.Key, n.Gateway, err, errdefs.ErrInvalidArgument)
			}
		}
		if _, err := e.CreateNetwork(ctx, spec); err != nil {
			return fmt.Errorf("network %s: %w", n.Name, err)
		}
		e.progress(stack.Name, "Network", n.Name, "Created", "")
	}
	for _, v := range stack.Volumes {
		if v.External {
			if _, err := e.volumes.Get(v.Name); err != nil {
				return fmt.Errorf("volume %s declared as external, but could not be found; create it first (berth volume create %s): %w", v.Name, v.Name, errdefs.ErrNotFound)
			}
			continue
		}
		if _, err := e.volumes.Get(v.Name); err == nil {
			continue
		}
		e.progress(stack.Name, "Volume", v.Name, "Creating", "")
		if _, err := e.CreateVolume(v.Name, v.Labels, nil); err != nil {
			return fmt.Errorf("volume %s: %w", v.Key, err)
		}
		e.progress(stack.Name, "Volume", v.Name, "Created", "")
	}
	for _, o2 := range plan.Orphans {
		if o.RemoveOrphans {
			if err := e.removeForStack(ctx, stack.Name, o2, nil, false); err != nil {
				return err
			}
		} else {
			e.progress(stack.Name, "Container", o2.Name, "Orphan", "service "+o2.Config.Labels[project.LabelService]+" is not in the file; remove it with --remove-orphans")
		}
	}
	steps := map[string][]Step{}
	for _, s := range plan.Steps {
		steps[s.Service] = append(steps[s.Service], s)
	}
	g := graph.New[string]()
	services := map[string]project.Service{}
	for _, svc := range stack.Services {
		if _, planned := steps[svc.Name]; !planned {
			continue
		}
		services[svc.Name] = svc
		var deps []string
		for _, d := range svc.DependsOn {
			if _, planned := steps[d.Service]; planned {
				deps = append(deps, d.Service)
			}
		}
		g.Add(svc.Name, deps...)
	}
	err = graph.Walk(ctx, g, graph.WalkOptions{Limit: walkLimit}, func(ctx context.Context, name string) error {
		svc := services[name]
		if err := e.waitDependencies(ctx, stack, svc); err != nil {
			return err
		}
		// Replicas do not cancel each other: what starts stays started, as in Compose.
		var group errgroup.Group
		for _, st := range steps[name] {
			group.Go(func() error { return e.apply(ctx, stack.Name, st, o.NoStart) })
		}
		return group.Wait()
	})
	if err != nil || !o.Wait || o.NoStart {
		return err
	}
	return e.waitStack(ctx, stack, services, o.WaitTimeout)
}

// waitStack waits until every container of the services runs, healthy when it has a
// healthcheck; one that exited with 0 counts as done (a one-shot job).
func (e *Engine) waitStack(ctx context.Context, stack *project.Stack, services map[string]project.Service, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	for _, name := range sortedNames(services) {
		svc := services[name]
		cond := "service_started"
		if svc.Healthcheck != nil && len(svc.Healthcheck.Test) > 0 && svc.Healthcheck.Test[0] != "NONE" {
			cond = "service_healthy"
		}
		err := e.waitCondition(ctx, stack.Name, project.Dependency{Service: name, Condition: cond, Required: true})
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("service %s did not become ready within %s", name, timeout)
		}
		if err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
		// A one-shot job that finished with 0 is done; one that failed is not ready.
		cs, err := e.stackContainers(stack.Name, name)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.State.Status == container.StateExited && c.State.ExitCode != 0 {
				return fmt.Errorf("service %s: %s exited with code %d", name, c.Name, c.State.ExitCode)
			}
		}
		if cond == "service_healthy" {
			for _, c := range svc.Containers {
				e.progress(stack.Name, "Container", c.Name, "Healthy", "")
			}
		}
	}
	return nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkStack refuses what cannot be done before anything changes.
func (e *Engine) checkStack(stack *project.Stack) error {
	for _, svc := range stack.Services {
		if svc.Image == "" {
			return fmt.Errorf("service %s has no image (building images is not supported yet): %w", svc.Name, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// apply carries out one step; it decides nothing.
func (e *Engine) apply(ctx context.Context, stack string, st Step, noStart bool) error {
	switch st.Action {
	case ActionKeep:
		e.progress(stack, "Container", st.Container, "Running", "")
		return nil
	case ActionStart:
		if noStart {
			return nil
		}
		e.progress(stack, "Container", st.Container, "Starting", st.Cause)
		if err := e.Start(ctx, st.Existing.ID); err != nil {
			return fmt.Errorf("start %s: %w", st.Container, err)
		}
		e.progress(stack, "Container", st.Container, "Started", "")
		return nil
	case ActionRemove:
		return e.removeForStack(ctx, stack, st.Existing, nil, false)
	case ActionRecreate:
		e.progress(stack, "Container", st.Container, "Recreate", st.Cause)
		if err := e.removeForStack(ctx, stack, st.Existing, nil, false); err != nil {
			return err
		}
	}
	d := st.Desired
	e.progress(stack, "Container", d.Name, "Creating", st.Cause)
	cfg, hc, nc := d.Config, d.HostConfig, d.Networking
	if st.Existing != nil {
		// As Compose: a recreated container keeps its anonymous volumes' data.
		hc.Binds = append(slices.Clone(hc.Binds), anonymousBinds(st.Existing)...)
	}
	c, _, err := e.Create(ctx, d.Name, &cfg, &hc, &nc)
	if err != nil {
		return fmt.Errorf("create %s: %w", d.Name, err)
	}
	e.progress(stack, "Container", d.Name, "Created", "")
	if noStart {
		return nil
	}
	e.progress(stack, "Container", d.Name, "Starting", "")
	if err := e.Start(ctx, c.ID); err != nil {
		return fmt.Errorf("start %s: %w", d.Name, err)
	}
	e.progress(stack, "Container", d.Name, "Started", "")
	return nil
}

// removeForStack stops (with the service's grace) and removes one container.
func (e *Engine) removeForStack(ctx context.Context, stack string, c *store.Container, timeout *time.Duration, volumes bool) error {
	e.progress(stack, "Container", c.Name, "Stopping", "")
	if err := e.Stop(ctx, c.ID, timeout, ""); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("stop %s: %w", c.Name, err)
	}
	e.progress(stack, "Container", c.Name, "Stopped", "")
	e.progress(stack, "Container", c.Name, "Removing", "")
	if err := e.Remove(ctx, c.ID, RemoveOptions{Force: true, Volumes: volumes}); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("remove %s: %w", c.Name, err)
	}
	e.progress(stack, "Container", c.Name, "Removed", "")
	return nil
}

// waitDependencies waits, on events, until every dependency of svc meets its condition.
func (e *Engine) waitDependencies(ctx context.Context, stack *project.Stack, svc project.Service) error {
	for _, d := range svc.DependsOn {
		if err := e.waitCondition(ctx, stack.Name, d); err != nil {
			if !d.Required {
				e.progress(stack.Name, "Container", svc.Name, "Warning", fmt.Sprintf("optional dependency %s: %v", d.Service, err))
				continue
			}
			return fmt.Errorf("dependency %s of %s: %w", d.Service, svc.Name, err)
		}
	}
	return nil
}

// stackContainers lists the containers of one service of a stack.
func (e *Engine) stackContainers(stack, service string) ([]*store.Container, error) {
	list, err := e.containers.List()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(c *store.Container) bool {
		l := c.Config.Labels
		return l[project.LabelProject] != stack || l[project.LabelService] != service || l[project.LabelOneoff] == "True"
	}), nil
}

func (e *Engine) waitCondition(ctx context.Context, stack string, d project.Dependency) error {
	events, done := e.events.Subscribe()
	defer done()
	for {
		cs, err := e.stackContainers(stack, d.Service)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return fmt.Errorf("service %s has no container", d.Service)
		}
		met, err := e.conditionMet(cs, d.Condition)
		if err != nil || met {
			return err
		}
		select {
		case _, ok := <-events:
			if !ok {
				events, done = e.events.Subscribe()
				defer done()
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// conditionMet checks a depends_on condition against the containers' recorded state.
func (e *Engine) conditionMet(cs []*store.Container, cond string) (bool, error) {
	for _, c := range cs {
		st := c.State
		switch cond {
		case "service_completed_successfully":
			if st.Status != container.StateExited {
				return false, nil
			}
			if st.ExitCode != 0 {
				return false, fmt.Errorf("%s exited with code %d, and completing successfully was required", c.Name, st.ExitCode)
			}
		case "service_healthy":
			if st.Status == container.StateExited {
				return false, fmt.Errorf("%s exited (code %d) before it was healthy", c.Name, st.ExitCode)
			}
			h := e.health(c.ID)
			switch h {
			case container.Healthy:
			case container.Unhealthy:
				return false, fmt.Errorf("%s is unhealthy", c.Name)
			case container.NoHealthcheck:
				return false, fmt.Errorf("%s has no healthcheck; service_healthy needs one", c.Name)
			default:
				return false, nil
			}
		default: // service_started
			if st.Status != container.StateRunning && st.Status != container.StateExited {
				return false, nil
			}
		}
	}
	return true, nil
}

// DownOptions are berth down's flags.
type DownOptions struct {
	Timeout       *time.Duration
	RemoveOrphans bool
	Volumes       bool
}

// Down removes a stack's containers, dependents first, then its networks.
func (e *Engine) Down(ctx context.Context, stack *project.Stack, o DownOptions) error {
	unlock := e.lockStack(stack.Name)
	defer unlock()
	list, err := e.containers.List()
	if err != nil {
		return err
	}
	obs := observe(stack, list)
	byName := len(stack.Services) == 0
	if byName {
		// Known by name only (no file): everything with the project's label goes.
		o.RemoveOrphans = true
		stack = e.labelledResources(stack)
	}
	g := graph.New[string]()
	for _, svc := range stack.Services {
		var deps []string
		for _, d := range svc.DependsOn {
			deps = append(deps, d.Service)
		}
		g.Add(svc.Name, deps...)
	}
	err = graph.Walk(ctx, g, graph.WalkOptions{Limit: walkLimit, Reverse: true}, func(ctx context.Context, name string) error {
		timeout := o.Timeout
		for _, svc := range stack.Services {
			if svc.Name == name && timeout == nil && svc.StopGrace != nil {
				timeout = svc.StopGrace
			}
		}
		group, gctx := errgroup.WithContext(ctx)
		for _, c := range obs.byService[name] {
			group.Go(func() error { return e.removeForStack(gctx, stack.Name, c, timeout, o.Volumes) })
		}
		return group.Wait()
	})
	if err != nil {
		return err
	}
	if o.RemoveOrphans {
		for _, c := range obs.orphans {
			if err := e.removeForStack(ctx, stack.Name, c, o.Timeout, o.Volumes); err != nil {
				return err
			}
		}
	}
	// One-off containers (berth run) belong to the stack too.
	for _, c := range list {
		if c.Config.Labels[project.LabelProject] == stack.Name && c.Config.Labels[project.LabelOneoff] == "True" {
			if err := e.removeForStack(ctx, stack.Name, c, o.Timeout, o.Volumes); err != nil {
				return err
			}
		}
	}
	var errs []error
	if o.Volumes {
		for _, v := range stack.Volumes {
			if v.External {
				continue
			}
			if _, err := e.volumes.Get(v.Name); err != nil {
				continue
			}
			e.progress(stack.Name, "Volume", v.Name, "Removing", "")
			if err := e.RemoveVolume(v.Name, false); err != nil {
				errs = append(errs, fmt.Errorf("volume %s: %w", v.Name, err))
				continue
			}
			e.progress(stack.Name, "Volume", v.Name, "Removed", "")
		}
	}
	for _, n := range stack.Networks {
		if n.External {
			continue
		}
		if _, err := e.net.Network(n.Name); err != nil {
			continue
		}
		e.progress(stack.Name, "Network", n.Name, "Removing", "")
		if err := e.RemoveNetwork(ctx, n.Name); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", n.Name, err))
			continue
		}
		e.progress(stack.Name, "Network", n.Name, "Removed", "")
	}
	return errors.Join(errs...)
}

// Stacks lists the projects that have containers, with their containers' states, as
// docker compose ls shows them.
func (e *Engine) Stacks() (map[string][]*store.Container, error) {
	list, err := e.containers.List()
	if err != nil {
		return nil, err
	}
	out := map[string][]*store.Container{}
	for _, c := range list {
		if p := c.Config.Labels[project.LabelProject]; p != "" {
			out[p] = append(out[p], c)
		}
	}
	return out, nil
}

// StatusSummary is docker compose ls's STATUS: "running(2), exited(1)".
func StatusSummary(cs []*store.Container) string {
	counts := map[string]int{}
	for _, c := range cs {
		counts[string(c.State.Status)]++
	}
	var parts []string
	for _, s := range []string{"running", "paused", "restarting", "created", "exited", "dead", "removing"} {
		if n := counts[s]; n > 0 {
			parts = append(parts, s+"("+strconv.Itoa(n)+")")
		}
	}
	return strings.Join(parts, ", ")
}

// labelledResources fills a stack known only by name with the networks and volumes that
// carry its project label.
func (e *Engine) labelledResources(stack *project.Stack) *project.Stack {
	out := *stack
	if nets, err := e.net.Networks(); err == nil {
		for _, n := range nets {
			if n.Labels[project.LabelProject] == stack.Name {
				out.Networks = append(out.Networks, project.Network{Key: n.Labels[project.LabelNetwork], Name: n.Name})
			}
		}
	}
	if vols, err := e.volumes.List(); err == nil {
		for _, v := range vols {
			if v.Labels[project.LabelProject] == stack.Name {
				out.Volumes = append(out.Volumes, project.Volume{Key: v.Labels[project.LabelVolume], Name: v.Name})
			}
		}
	}
	return &out
}

// anonymousBinds are a container's binds of its anonymous volumes.
func anonymousBinds(c *store.Container) []string {
	var out []string
	for _, b := range c.HostConfig.Binds {
		if m, err := parseBind(b); err == nil && m.Type == "volume" && slices.Contains(c.Anonymous, m.Source) {
			out = append(out, b)
		}
	}
	return out
}
