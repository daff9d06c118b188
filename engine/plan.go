package engine

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"

	"berth/project"
	"berth/store"
)

// UpOptions are berth up's flags that shape the plan.
type UpOptions struct {
	Services           []string // SERVICE... arguments; empty: every service
	ForceRecreate      bool
	NoRecreate         bool
	AlwaysRecreateDeps bool
	NoStart            bool
	NoDeps             bool
	RemoveOrphans      bool
	Wait               bool
	WaitTimeout        time.Duration
}

// Action is what a step does to a container.
type Action string

// The actions of a plan.
const (
	ActionCreate   Action = "create"
	ActionRecreate Action = "recreate"
	ActionStart    Action = "start"
	ActionKeep     Action = "keep"
	ActionRemove   Action = "remove"
)

// Step is one change to one container, with its cause.
type Step struct {
	Service   string
	Container string // the desired (or, for remove, the existing) name
	Action    Action
	Cause     string
	// Desired is the container to create; nil for start, keep and remove.
	Desired *project.Container
	// Existing is the container there is now, if any.
	Existing *store.Container
}

func (s Step) String() string {
	if s.Cause == "" {
		return fmt.Sprintf("%s: %s", s.Container, s.Action)
	}
	return fmt.Sprintf("%s: %s (%s)", s.Container, s.Action, s.Cause)
}

// Plan is what up will do, service by service; data with a String, decided before
// anything changes.
type Plan struct {
	Stack    string
	Networks []string // networks to create
	Steps    []Step
	// Orphans are containers of services no longer in the file.
	Orphans []*store.Container
}

func (p Plan) String() string {
	var b strings.Builder
	for _, n := range p.Networks {
		fmt.Fprintf(&b, "network %s: create\n", n)
	}
	for _, s := range p.Steps {
		b.WriteString(s.String() + "\n")
	}
	for _, o := range p.Orphans {
		fmt.Fprintf(&b, "%s: orphan (service %s is not in the file)\n", o.Name, o.Config.Labels[project.LabelService])
	}
	return b.String()
}

// observed is what exists of a stack: its containers by service and number.
type observed struct {
	byService map[string]map[int]*store.Container
	orphans   []*store.Container
}

func observe(stack *project.Stack, list []*store.Container) observed {
	o := observed{byService: map[string]map[int]*store.Container{}}
	known := map[string]bool{}
	for _, s := range stack.Services {
		known[s.Name] = true
	}
	for _, c := range list {
		l := c.Config.Labels
		if l[project.LabelProject] != stack.Name || l[project.LabelOneoff] == "True" {
			continue
		}
		svc := l[project.LabelService]
		if !known[svc] {
			o.orphans = append(o.orphans, c)
			continue
		}
		n, _ := strconv.Atoi(l[project.LabelContainerNumber])
		if o.byService[svc] == nil {
			o.byService[svc] = map[int]*store.Container{}
		}
		o.byService[svc][n] = c
	}
	return o
}

// planUp diffs the desired stack against what exists. imageID resolves a service's
// image to the ID it would run now ("" if unknown, e.g. to be pulled). existingNets
// names the networks that exist.
func planUp(stack *project.Stack, list []*store.Container, o UpOptions, imageID func(string) string, existingNets func(string) bool) Plan {
	obs := observe(stack, list)
	plan := Plan{Stack: stack.Name, Orphans: obs.orphans}
	for _, n := range stack.Networks {
		if !n.External && !existingNets(n.Name) {
			plan.Networks = append(plan.Networks, n.Name)
		}
	}
	selected := func(name string) bool { return len(o.Services) == 0 || slices.Contains(o.Services, name) }
	recreated := map[string]bool{}
	// Services in dependency order, so a dependency's recreate is known to its dependents.
	for _, svc := range orderServices(stack) {
		if !selected(svc.Name) && (o.NoDeps || !neededBy(stack, o.Services, svc.Name)) {
			continue
		}
		have := obs.byService[svc.Name]
		for i := range svc.Containers {
			want := &svc.Containers[i]
			cur := have[want.Number]
			step := Step{Service: svc.Name, Container: want.Name, Desired: want, Existing: cur}
			switch {
			case cur == nil:
				step.Action = ActionCreate
			case o.NoRecreate:
				step.Action, step.Desired = startOrKeep(cur), nil
			case o.ForceRecreate && selected(svc.Name):
				step.Action, step.Cause = ActionRecreate, "--force-recreate"
			case o.AlwaysRecreateDeps && !selected(svc.Name):
				step.Action, step.Cause = ActionRecreate, "--always-recreate-deps"
			case cur.Config.Labels[project.LabelConfigHash] != want.Hash:
				step.Action, step.Cause = ActionRecreate, configDiff(cur, want)
			case imageID(want.Config.Image) != "" && imageID(want.Config.Image) != cur.ImageID:
				step.Action, step.Cause = ActionRecreate, "image digest changed"
			case dependencyRecreated(svc, recreated) != "":
				step.Action, step.Cause = ActionRecreate, "dependency "+dependencyRecreated(svc, recreated)+" was recreated"
			default:
				step.Action, step.Desired = startOrKeep(cur), nil
				if step.Action == ActionStart {
					step.Cause = "stopped"
				}
			}
			if step.Action == ActionRecreate {
				recreated[svc.Name] = true
			}
			plan.Steps = append(plan.Steps, step)
		}
		// Scale down: the highest numbers go.
		var extra []int
		for n := range have {
			if n > len(svc.Containers) || n < 1 {
				extra = append(extra, n)
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(extra)))
		for _, n := range extra {
			plan.Steps = append(plan.Steps, Step{Service: svc.Name, Container: have[n].Name, Action: ActionRemove,
				Cause: fmt.Sprintf("scaled to %d", len(svc.Containers)), Existing: have[n]})
		}
	}
	return plan
}

func startOrKeep(c *store.Container) Action {
	if c.State.Status == container.StateRunning || c.State.Status == container.StatePaused {
		return ActionKeep
	}
	return ActionStart
}

// dependencyRecreated names a dependency of svc that was recreated and that asks its
// dependents to follow (depends_on restart: true).
func dependencyRecreated(svc project.Service, recreated map[string]bool) string {
	for _, d := range svc.DependsOn {
		if recreated[d.Service] && d.Restart {
			return d.Service
		}
	}
	return ""
}

// neededBy reports whether some selected service depends (transitively) on name.
func neededBy(stack *project.Stack, selected []string, name string) bool {
	deps := map[string][]string{}
	for _, s := range stack.Services {
		for _, d := range s.DependsOn {
			deps[s.Name] = append(deps[s.Name], d.Service)
		}
	}
	seen := map[string]bool{}
	var visit func(string) bool
	visit = func(s string) bool {
		if seen[s] {
			return false
		}
		seen[s] = true
		for _, d := range deps[s] {
			if d == name || visit(d) {
				return true
			}
		}
		return false
	}
	for _, s := range selected {
		if visit(s) {
			return true
		}
	}
	return false
}

// orderServices returns the services, dependencies first (ties by name). The stack was
// checked for cycles when it was loaded; a cycle here falls back to name order.
func orderServices(stack *project.Stack) []project.Service {
	byName := map[string]project.Service{}
	for _, s := range stack.Services {
		byName[s.Name] = s
	}
	var out []project.Service
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string)
	visit = func(n string) {
		if state[n] != 0 {
			return
		}
		state[n] = 1
		s, ok := byName[n]
		if !ok {
			return
		}
		deps := make([]string, 0, len(s.DependsOn))
		for _, d := range s.DependsOn {
			deps = append(deps, d.Service)
		}
		sort.Strings(deps)
		for _, d := range deps {
			visit(d)
		}
		state[n] = 2
		out = append(out, s)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		visit(n)
	}
	return out
}

// configDiff says what changed between a container and its desired replacement, in the
// words a user would look for.
func configDiff(cur *store.Container, want *project.Container) string {
	var out []string
	cc, wc := cur.Config, want.Config
	if cur.Requested != nil {
		cc = cur.Requested
	}
	if cc.Image != wc.Image {
		out = append(out, fmt.Sprintf("image changed: %s -> %s", cc.Image, wc.Image))
	}
	if d := envDiff(cc.Env, wc.Env); d != "" {
		out = append(out, "environment changed: "+d)
	}
	if !slices.Equal(cc.Cmd, wc.Cmd) {
		out = append(out, "command changed")
	}
	if !slices.Equal(cc.Entrypoint, wc.Entrypoint) {
		out = append(out, "entrypoint changed")
	}
	if fmt.Sprint(cur.HostConfig.PortBindings) != fmt.Sprint(want.HostConfig.PortBindings) {
		out = append(out, "ports changed")
	}
	if !slices.Equal(cur.HostConfig.Binds, want.HostConfig.Binds) || fmt.Sprint(cur.HostConfig.Tmpfs) != fmt.Sprint(want.HostConfig.Tmpfs) {
		out = append(out, "volumes changed")
	}
	if cur.HostConfig.NetworkMode != want.HostConfig.NetworkMode || fmt.Sprint(netNames(cur)) != fmt.Sprint(netNamesWant(want)) {
		out = append(out, "networks changed")
	}
	if labelsDiffer(cc.Labels, wc.Labels) {
		out = append(out, "labels changed")
	}
	if len(out) == 0 {
		return "configuration changed"
	}
	return strings.Join(out, ", ")
}

// envDiff names the variables added, removed or changed.
func envDiff(a, b []string) string {
	am, bm := envMap(a), envMap(b)
	var names []string
	for k, v := range bm {
		if av, ok := am[k]; !ok || av != v {
			names = append(names, k)
		}
	}
	for k := range am {
		if _, ok := bm[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// labelsDiffer compares user labels, not the ones berth computes.
func labelsDiffer(a, b map[string]string) bool {
	skip := func(k string) bool { return strings.HasPrefix(k, "com.docker.compose.") }
	for k, v := range b {
		if !skip(k) && a[k] != v {
			return true
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok && !skip(k) {
			return true
		}
	}
	return false
}

func netNames(c *store.Container) []string {
	var out []string
	if c.Networking != nil {
		for n := range c.Networking.EndpointsConfig {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func netNamesWant(c *project.Container) []string {
	var out []string
	for n := range c.Networking.EndpointsConfig {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
