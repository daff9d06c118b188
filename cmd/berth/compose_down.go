package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/api/stackapi"
	"berth/project"
)

type downOptions struct {
	compose       composeOptions
	volumes       bool
	removeOrphans bool
	timeout       int
	timeoutSet    bool
	rmi           string
	progress      string
}

func newDownCommand(g *globalOptions) *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down [OPTIONS] [SERVICE...]",
		Short: "Stop and remove a Compose stack's containers and networks",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runDown(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVarP(&o.volumes, "volumes", "v", false, "also remove named volumes declared in the file and anonymous volumes")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "remove containers of services not in the file")
	f.IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait for each container to stop")
	f.StringVar(&o.rmi, "rmi", "", `remove images used by services: "local" (those without a custom tag) or "all"`)
	f.StringVar(&o.progress, "progress", "auto", "progress output: auto, tty, plain, quiet")
	return cmd
}

func runDown(ctx context.Context, g *globalOptions, o downOptions, services []string) error {
	if o.rmi != "" && o.rmi != "local" && o.rmi != "all" {
		return fmt.Errorf(`invalid --rmi %q: use "local" or "all"`, o.rmi)
	}
	stack, err := o.stackForDown(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	req := stackapi.DownRequest{Stack: *stack, RemoveOrphans: o.removeOrphans, Volumes: o.volumes}
	if o.timeoutSet {
		req.TimeoutSecs = &o.timeout
	}
	view := newStackView("Running", o.progress)
	if err := stackCall(ctx, c, "POST", "/berth/stacks/down", req, view.line); err != nil {
		return err
	}
	if o.rmi == "" {
		return nil
	}
	for _, svc := range stack.Services {
		if o.rmi == "local" && svc.Image != stack.Name+"-"+svc.Name {
			continue
		}
		if err := removeImage(ctx, c, svc.Image); err != nil {
			fmt.Fprintf(os.Stderr, "berth: image %s: %v\n", svc.Image, err)
		}
	}
	return nil
}

// removeImage removes one image as down --rmi does, reporting it like Compose.
func removeImage(ctx context.Context, c *client.Client, ref string) error {
	if _, err := c.ImageRemove(ctx, ref, client.ImageRemoveOptions{}); err != nil {
		if errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	fmt.Fprintf(os.Stderr, " Image %s  Removed\n", ref)
	return nil
}

// stackForDown is the stack the files describe, or, with no file but a project name
// (-p or COMPOSE_PROJECT_NAME), just the name: down then removes what carries its label,
// as docker compose -p NAME down does.
func (o downOptions) stackForDown(ctx context.Context, services []string) (*project.Stack, error) {
	stack, err := o.compose.load(ctx, services, nil, nil)
	if errors.Is(err, errNoComposeFile) {
		name := o.compose.projectName
		if name == "" {
			name = os.Getenv("COMPOSE_PROJECT_NAME")
		}
		if name != "" {
			return &project.Stack{Name: name}, nil
		}
	}
	return stack, err
}
