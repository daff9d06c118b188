package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type startOptions struct {
	attach      bool
	interactive bool
}

func newStartCommand(g *globalOptions) *cobra.Command {
	var opts startOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.attach, "attach", "a", false, "attach STDOUT/STDERR and forward signals")
	f.BoolVarP(&opts.interactive, "interactive", "i", false, "attach the container's STDIN")
	return cmd
}

func runStart(ctx context.Context, g *globalOptions, opts startOptions, names []string) error {
	attach := opts.attach || opts.interactive
	if attach && len(names) > 1 {
		return errors.New("cannot start and attach several containers at once; name one, or drop -a and -i")
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if !attach {
		return forEach(ctx, names, true, func(ctx context.Context, name string) error {
			if _, err := c.ContainerStart(ctx, name, client.ContainerStartOptions{}); err != nil {
				return fmt.Errorf("start container %s: %w", name, err)
			}
			return nil
		})
	}
	info, err := c.ContainerInspect(ctx, names[0], client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", names[0], err)
	}
	ct := info.Container
	tty := ct.Config != nil && ct.Config.Tty
	stdin := opts.interactive && ct.Config != nil && ct.Config.OpenStdin
	autoRemove := ct.HostConfig != nil && ct.HostConfig.AutoRemove
	code, err := attachAndStart(ctx, c, ct.ID, stdin, tty, autoRemove, func(ctx context.Context) error {
		if _, err := c.ContainerStart(ctx, ct.ID, client.ContainerStartOptions{}); err != nil {
			return fmt.Errorf("start container %s: %w", names[0], err)
		}
		return nil
	})
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}
