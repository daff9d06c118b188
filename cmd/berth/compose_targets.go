package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"berth/project"
)

// The helpers here are shared by the Compose commands that act on a stack's existing
// containers (start, stop, kill, rm, exec, cp…): they find the containers by Compose's
// labels and report each state change as Compose does.

// composeTarget is the stack a command acts on: its name and, when the Compose file
// could be read, its desired state (for service names and dependency order).
type composeTarget struct {
	name  string
	stack *project.Stack // nil without a readable Compose file
}

// target resolves the stack and checks the named services exist in its file.
func (o *composeOptions) target(ctx context.Context, services []string) (composeTarget, error) {
	stack, err := o.load(ctx, services, services, nil)
	if err != nil {
		if o.projectName == "" && os.Getenv("COMPOSE_PROJECT_NAME") == "" {
			return composeTarget{}, err
		}
		name, nerr := o.stackName(ctx)
		return composeTarget{name: name}, nerr
	}
	return composeTarget{name: stack.Name, stack: stack}, nil
}

// service returns the desired state of service name.
func (t composeTarget) service(name string) (project.Service, error) {
	if t.stack != nil {
		for _, s := range t.stack.Services {
			if s.Name == name {
				return s, nil
			}
		}
	}
	return project.Service{}, fmt.Errorf("no such service: %s", name)
}

// order returns service names with each one's dependencies before it (by name when the
// file could not be read).
func (t composeTarget) order() []string {
	if t.stack == nil {
		return nil
	}
	deps := map[string][]string{}
	for _, s := range t.stack.Services {
		for _, d := range s.DependsOn {
			deps[s.Name] = append(deps[s.Name], d.Service)
		}
	}
	var out []string
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, d := range deps[n] {
			visit(d)
		}
		out = append(out, n)
	}
	for _, s := range t.stack.Services {
		visit(s.Name)
	}
	return out
}

// sortByOrder sorts containers so a service's dependencies come first (reverse for a
// stop), keeping the replicas of a service in number order.
func sortByOrder(list []container.Summary, order []string, reverse bool) {
	rank := func(ct container.Summary) int {
		i := slices.Index(order, ct.Labels[project.LabelService])
		if reverse {
			return -i
		}
		return i
	}
	slices.SortStableFunc(list, func(a, b container.Summary) int { return rank(a) - rank(b) })
}

// serviceContainers returns the stack's containers of services (every service when
// empty), stopped ones too with all, in dependency order (reversed with reverse).
func serviceContainers(ctx context.Context, c *client.Client, t composeTarget, services []string, all, reverse bool) ([]container.Summary, error) {
	list, err := stackContainers(ctx, c, t.name, all)
	if err != nil {
		return nil, err
	}
	var out []container.Summary
	for _, ct := range list {
		if len(services) == 0 || contains(services, ct.Labels[project.LabelService]) {
			out = append(out, ct)
		}
	}
	sortByOrder(out, t.order(), reverse)
	return out, nil
}

// serviceContainer returns replica index (from 1) of service, which must be running
// unless stopped is true.
func serviceContainer(ctx context.Context, c *client.Client, t composeTarget, service string, index int, stopped bool) (container.Summary, error) {
	if index < 1 {
		return container.Summary{}, fmt.Errorf("invalid --index %d: replicas are numbered from 1", index)
	}
	list, err := serviceContainers(ctx, c, t, []string{service}, true, false)
	if err != nil {
		return container.Summary{}, err
	}
	for _, ct := range list {
		if ct.Labels[project.LabelContainerNumber] != fmt.Sprint(index) {
			continue
		}
		if !stopped && ct.State != container.StateRunning {
			return container.Summary{}, fmt.Errorf("service %q is not running container #%d", service, index)
		}
		return ct, nil
	}
	if index > 1 {
		return container.Summary{}, fmt.Errorf("service %q is not running container #%d", service, index)
	}
	return container.Summary{}, fmt.Errorf("service %q is not running", service)
}

// summaryName is a container's name without docker's leading slash.
func summaryName(ct container.Summary) string {
	if len(ct.Names) == 0 {
		return shortID(ct.ID)
	}
	return strings.TrimPrefix(ct.Names[0], "/")
}

// changeEach applies fn to each container, reporting " Container NAME  Doing" before
// and " Container NAME  Done" after on w, as Compose does; it stops at the first failure.
func changeEach(ctx context.Context, w io.Writer, list []container.Summary, doing, done string, fn func(ctx context.Context, ct container.Summary) error) error {
	for _, ct := range list {
		name := summaryName(ct)
		fmt.Fprintf(w, " Container %s  %s\n", name, doing)
		if err := fn(ctx, ct); err != nil {
			fmt.Fprintf(w, " Container %s  Error\n", name)
			return fmt.Errorf("container %s: %w", name, err)
		}
		fmt.Fprintf(w, " Container %s  %s\n", name, done)
	}
	return nil
}
