package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"berth/api/stackapi"
	"berth/project"
)

type composeRunOptions struct {
	compose       composeOptions
	rm            bool
	detach        bool
	env           []string
	volumes       []string
	publish       []string
	servicePorts  bool
	entrypoint    string
	entrypointSet bool
	noDeps        bool
	name          string
	noTTY         bool
	workdir       string
	user          string
	labels        []string
}

func newComposeRunCommand(g *globalOptions) *cobra.Command {
	var o composeRunOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] SERVICE [COMMAND] [ARGS...]",
		Short: "Run a one-off command in a new container of a service",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.entrypointSet = cmd.Flags().Changed("entrypoint")
			return runComposeRun(cmd.Context(), g, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	// run's -p is --publish, as in Compose, so --project-name keeps only its long form.
	compose := pflag.NewFlagSet("compose", pflag.ContinueOnError)
	o.compose.addFlags(compose)
	compose.VisitAll(func(fl *pflag.Flag) {
		if fl.Name == "project-name" {
			fl.Shorthand = ""
		}
		f.AddFlag(fl)
	})
	f.BoolVar(&o.rm, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.detach, "detach", "d", false, "run in the background and print the container's name")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable")
	f.StringArrayVarP(&o.volumes, "volume", "v", nil, "bind mount a volume")
	f.StringArrayVarP(&o.publish, "publish", "p", nil, "publish a container's port to the host")
	f.BoolVarP(&o.servicePorts, "service-ports", "P", false, "publish the service's ports, which run ignores otherwise")
	f.StringVar(&o.entrypoint, "entrypoint", "", "override the image's entrypoint")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not start the services it depends on")
	f.StringVar(&o.name, "name", "", "name of the container (default PROJECT-SERVICE-run-ID)")
	f.BoolVarP(&o.noTTY, "no-TTY", "T", false, "do not allocate a pseudo-TTY (the default when stdin is not a terminal)")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the container")
	f.StringVarP(&o.user, "user", "u", "", "user to run as")
	f.StringArrayVarP(&o.labels, "label", "l", nil, "add or override a label")
	f.BoolP("interactive", "i", true, "keep STDIN open")
	_ = f.MarkHidden("interactive")
	return cmd
}

// oneOffSpec turns a service's first desired container into a one-off container, as
// Compose's run does: its own name and labels, no restart policy, the service's ports
// only with --service-ports, and the command line's overrides.
func oneOffSpec(stackName string, svc project.Service, o composeRunOptions, args []string, tty bool) (*containerSpec, error) {
	if len(svc.Containers) == 0 {
		return nil, fmt.Errorf("service %s has no container to run", svc.Name)
	}
	base := svc.Containers[0]
	cfg, hc := base.Config, base.HostConfig
	nc := base.Networking
	cfg.Labels = maps.Clone(cfg.Labels)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	delete(cfg.Labels, project.LabelConfigHash)
	cfg.Labels[project.LabelOneoff] = "True"
	cfg.Labels[project.LabelContainerNumber] = "1"
	extra, err := parseKeyValues("label", o.labels, "com.example.key=value", true)
	if err != nil {
		return nil, err
	}
	maps.Copy(cfg.Labels, extra)
	name := o.name
	if name == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		name = fmt.Sprintf("%s-%s-run-%s", stackName, svc.Name, hex.EncodeToString(b))
	}
	if len(args) > 0 {
		cfg.Cmd = args
	}
	if o.entrypointSet {
		cfg.Entrypoint = strings.Fields(o.entrypoint)
		if len(args) == 0 {
			cfg.Cmd = nil // as docker run: a new entrypoint drops the old command
		}
	}
	env, err := parseEnv(nil, o.env)
	if err != nil {
		return nil, err
	}
	cfg.Env = append(append([]string(nil), cfg.Env...), env...)
	binds, anon, err := parseVolumes(o.volumes)
	if err != nil {
		return nil, err
	}
	hc.Binds = append(append([]string(nil), hc.Binds...), binds...)
	if len(anon) > 0 {
		cfg.Volumes = maps.Clone(cfg.Volumes)
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		maps.Copy(cfg.Volumes, anon)
	}
	if !o.servicePorts {
		hc.PortBindings = nil
	}
	exposed, bindings, err := parsePublish(o.publish)
	if err != nil {
		return nil, err
	}
	if len(bindings) > 0 {
		hc.PortBindings = maps.Clone(hc.PortBindings)
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		maps.Copy(hc.PortBindings, bindings)
		cfg.ExposedPorts = maps.Clone(cfg.ExposedPorts)
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		maps.Copy(cfg.ExposedPorts, exposed)
	}
	if o.workdir != "" {
		cfg.WorkingDir = o.workdir
	}
	if o.user != "" {
		cfg.User = o.user
	}
	hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
	hc.AutoRemove = o.rm
	cfg.Tty = tty
	interactive := !o.detach
	cfg.OpenStdin, cfg.StdinOnce, cfg.AttachStdin = interactive, interactive, interactive
	cfg.AttachStdout, cfg.AttachStderr = !o.detach, !o.detach
	return &containerSpec{Config: &cfg, HostConfig: &hc, NetworkingConfig: &nc, Name: name}, nil
}

func runComposeRun(ctx context.Context, g *globalOptions, o composeRunOptions, service string, args []string) error {
	stack, err := o.compose.load(ctx, []string{service}, []string{service}, map[string]int{service: 1})
	if err != nil {
		return err
	}
	t := composeTarget{name: stack.Name, stack: stack}
	svc, err := t.service(service)
	if err != nil {
		return err
	}
	tty := !o.noTTY && !o.detach && stdinIsTerminal()
	spec, err := oneOffSpec(stack.Name, svc, o, args, tty)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := runDependencies(ctx, c, stack, svc, o.noDeps); err != nil {
		return err
	}
	if err := pullForUp(ctx, c, &project.Stack{Name: stack.Name, Services: []project.Service{svc}}, "policy"); err != nil {
		return err
	}
	if tty {
		if h, w, ok := terminalSize(); ok {
			spec.HostConfig.ConsoleSize = [2]uint{h, w}
		}
	}
	id, err := createContainer(ctx, c, spec)
	if err != nil {
		return err
	}
	start := func(ctx context.Context) error {
		if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			return fmt.Errorf("start container %s: %w", spec.Name, err)
		}
		return nil
	}
	if o.detach {
		if err := start(ctx); err != nil {
			return err
		}
		fmt.Println(spec.Name)
		return nil
	}
	code, err := attachAndStart(ctx, c, id, true, tty, o.rm, start)
	if err != nil {
		return &exitError{code: code, err: err}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// runDependencies brings up the services svc depends on (and theirs) through the stack
// up endpoint. With none, or with --no-deps, it only makes sure the stack's networks
// exist, which the one-off container joins.
func runDependencies(ctx context.Context, c *client.Client, stack *project.Stack, svc project.Service, noDeps bool) error {
	var deps []string
	for _, d := range svc.DependsOn {
		deps = append(deps, d.Service)
	}
	if !noDeps && len(deps) > 0 {
		req := stackapi.UpRequest{Stack: *stack, Options: stackapi.UpOptions{Services: deps}}
		return stackCall(ctx, c, "POST", "/berth/stacks/up", req, newStackView("Running", "auto").line)
	}
	for _, n := range stack.Networks {
		if n.External {
			continue
		}
		if _, err := c.NetworkInspect(ctx, n.Name, client.NetworkInspectOptions{}); err == nil {
			continue
		} else if !errdefs.IsNotFound(err) {
			return err
		}
		opts := client.NetworkCreateOptions{Driver: n.Driver, Internal: n.Internal, Labels: n.Labels, Options: n.DriverOpts}
		if n.Subnet != "" {
			cfg := network.IPAMConfig{}
			if cfg.Subnet, _ = netip.ParsePrefix(n.Subnet); n.Gateway != "" {
				cfg.Gateway, _ = netip.ParseAddr(n.Gateway)
			}
			opts.IPAM = &network.IPAM{Config: []network.IPAMConfig{cfg}}
		}
		fmt.Fprintf(os.Stderr, " Network %s  Creating\n", n.Name)
		if _, err := c.NetworkCreate(ctx, n.Name, opts); err != nil {
			return fmt.Errorf("create network %s: %w", n.Name, err)
		}
		fmt.Fprintf(os.Stderr, " Network %s  Created\n", n.Name)
	}
	return nil
}
