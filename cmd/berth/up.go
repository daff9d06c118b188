package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/api/stackapi"
	"berth/project"
)

type upOptions struct {
	compose            composeOptions
	detach             bool
	wait               bool
	waitTimeout        int
	forceRecreate      bool
	noRecreate         bool
	alwaysRecreateDeps bool
	noStart            bool
	noDeps             bool
	removeOrphans      bool
	scale              []string
	pull               string
	dryRun             bool
	progress           string
	abortOnExit        bool
	exitCodeFrom       string
	attach             []string
	noAttach           []string
	timeout            int
}

func newUpCommand(g *globalOptions) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up [OPTIONS] [SERVICE...]",
		Short: "Create and start a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUp(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVarP(&o.detach, "detach", "d", false, "run containers in the background")
	f.BoolVar(&o.wait, "wait", false, "wait until services are running (healthy, when they have a healthcheck); implies -d")
	f.IntVar(&o.waitTimeout, "wait-timeout", 0, "seconds to wait with --wait (0: no limit)")
	f.BoolVar(&o.forceRecreate, "force-recreate", false, "recreate containers even if nothing changed")
	f.BoolVar(&o.noRecreate, "no-recreate", false, "never recreate existing containers")
	f.BoolVar(&o.alwaysRecreateDeps, "always-recreate-deps", false, "recreate dependent containers")
	f.BoolVar(&o.noStart, "no-start", false, "create, but do not start")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not start the services the named ones depend on")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "remove containers of services not in the file")
	f.StringArrayVar(&o.scale, "scale", nil, "SERVICE=N replicas, overriding the file")
	f.StringVar(&o.pull, "pull", "policy", "pull images: always, missing, never, or policy (the service's pull_policy)")
	f.BoolVar(&o.dryRun, "dry-run", false, "show what would change, and why, without changing anything")
	f.StringVar(&o.progress, "progress", "auto", "progress output: auto, tty, plain, quiet")
	f.BoolVar(&o.abortOnExit, "abort-on-container-exit", false, "stop every container when one exits")
	f.StringVar(&o.exitCodeFrom, "exit-code-from", "", "exit with this service's container's exit code (implies --abort-on-container-exit)")
	f.StringArrayVar(&o.attach, "attach", nil, "services whose output to show")
	f.StringArrayVar(&o.noAttach, "no-attach", nil, "services whose output not to show")
	f.IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait for containers to stop on Ctrl-C")
	return cmd
}

func runUp(ctx context.Context, g *globalOptions, o upOptions, services []string) error {
	if o.forceRecreate && o.noRecreate {
		return fmt.Errorf("--force-recreate and --no-recreate cannot be combined")
	}
	if o.exitCodeFrom != "" {
		o.abortOnExit = true
	}
	if o.wait {
		o.detach = true
	}
	if o.detach && o.abortOnExit {
		return fmt.Errorf("-d and --abort-on-container-exit cannot be combined")
	}
	scale := map[string]int{}
	for _, s := range o.scale {
		name, n, ok := strings.Cut(s, "=")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || v < 0 {
			return fmt.Errorf("invalid --scale %q: use SERVICE=N, e.g. web=3", s)
		}
		scale[name] = v
	}
	stack, err := o.compose.load(ctx, services, nil, scale)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	req := stackapi.UpRequest{Stack: *stack, DryRun: o.dryRun, Options: stackapi.UpOptions{
		Services: services, ForceRecreate: o.forceRecreate, NoRecreate: o.noRecreate,
		AlwaysRecreateDeps: o.alwaysRecreateDeps, NoStart: o.noStart, NoDeps: o.noDeps,
		RemoveOrphans: o.removeOrphans, Wait: o.wait, WaitTimeout: time.Duration(o.waitTimeout) * time.Second,
	}}
	if o.dryRun {
		return stackCall(ctx, c, "POST", "/berth/stacks/up", req, func(l stackapi.StreamLine) {
			fmt.Print(l.Plan)
		})
	}
	if err := pullForUp(ctx, c, stack, o.pull); err != nil {
		return err
	}
	view := newStackView("Running", o.progress)
	if err := stackCall(ctx, c, "POST", "/berth/stacks/up", req, view.line); err != nil {
		return err
	}
	if o.detach || o.noStart {
		return nil
	}
	return attachStack(ctx, c, stack, services, o)
}

// pullForUp pulls what the stack needs, by --pull or each service's pull_policy.
func pullForUp(ctx context.Context, c *client.Client, stack *project.Stack, mode string) error {
	present := map[string]bool{} // services often share an image: ask once
	pulled := map[string]bool{}
	for _, svc := range stack.Services {
		policy := mode
		if policy == "policy" {
			policy = svc.PullPolicy
		}
		if policy == "" {
			policy = "missing"
		}
		have, known := present[svc.Image]
		if !known {
			_, err := c.ImageInspect(ctx, svc.Image)
			if err != nil && !errdefs.IsNotFound(err) {
				return err
			}
			have = err == nil
			present[svc.Image] = have
		}
		if pulled[svc.Image] {
			continue
		}
		switch policy {
		case "always":
		case "never":
			if !have {
				return fmt.Errorf("service %s: image %s is not present and pull is never; pull or load it first", svc.Name, svc.Image)
			}
			continue
		default: // missing, if_not_present, daily...
			if have {
				continue
			}
		}
		fmt.Fprintf(os.Stderr, " Image %s  Pulling\n", svc.Image)
		if err := pullImage(ctx, c, svc.Image, false); err != nil {
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		pulled[svc.Image], present[svc.Image] = true, true
	}
	return nil
}

// attachStack follows the stack's logs until Ctrl-C, which stops it gracefully (a second
// one kills), or until a container exits with --abort-on-container-exit.
func attachStack(ctx context.Context, c *client.Client, stack *project.Stack, services []string, o upOptions) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	attached := attachedServices(stack, services, o.attach, o.noAttach)
	exits := make(chan exitInfo, 16)
	go func() { _ = followStack(lctx, c, stack.Name, attached, true, exits) }()
	stop := func(kill bool) error {
		fmt.Fprintln(os.Stderr, "Gracefully stopping... (press Ctrl+C again to force)")
		t := o.timeout
		if kill {
			t = 0
		}
		return stopStack(context.WithoutCancel(ctx), c, stack, t)
	}
	code := 0
	for {
		select {
		case <-sigs:
			done := make(chan error, 1)
			go func() { done <- stop(false) }()
			select {
			case err := <-done:
				return err
			case <-sigs:
				return stop(true)
			}
		case ex := <-exits:
			if !o.abortOnExit {
				continue
			}
			if o.exitCodeFrom == "" || ex.service == o.exitCodeFrom {
				code = ex.code
			} else if o.exitCodeFrom != "" {
				code = waitServiceCode(ctx, c, stack.Name, o.exitCodeFrom)
			}
			if err := stop(false); err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func attachedServices(stack *project.Stack, args, attach, noAttach []string) map[string]bool {
	out := map[string]bool{}
	for _, s := range stack.Services {
		if len(args) > 0 && !contains(args, s.Name) {
			continue
		}
		if len(attach) > 0 && !contains(attach, s.Name) {
			continue
		}
		if contains(noAttach, s.Name) {
			continue
		}
		out[s.Name] = true
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stopStack stops every container of the stack, dependents first, as down does but
// keeping them.
func stopStack(ctx context.Context, c *client.Client, stack *project.Stack, timeout int) error {
	// The daemon stops them, dependents first, as Compose does.
	req := stackapi.OpRequest{Stack: stack.Name, Op: "stop", TimeoutSecs: &timeout}
	return stackCall(ctx, c, "POST", "/berth/stacks/op", req, newStackView("Running", "plain").line)
}

func waitServiceCode(ctx context.Context, c *client.Client, stackName, service string) int {
	list, err := stackContainers(ctx, c, stackName, true)
	if err != nil {
		return 1
	}
	for _, ct := range list {
		if ct.Labels[project.LabelService] != service {
			continue
		}
		res := c.ContainerWait(ctx, ct.ID, client.ContainerWaitOptions{})
		select {
		case r := <-res.Result:
			return int(r.StatusCode)
		case <-res.Error:
			return 1
		}
	}
	return 1
}
