package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type killOptions struct {
	signal string
}

func newKillCommand(g *globalOptions) *cobra.Command {
	var opts killOptions
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runKill(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.signal, "signal", "s", "", "signal to send to the container (default KILL)")
	return cmd
}

func runKill(ctx context.Context, g *globalOptions, opts killOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		if _, err := c.ContainerKill(ctx, name, client.ContainerKillOptions{Signal: opts.signal}); err != nil {
			return fmt.Errorf("kill container %s: %w", name, err)
		}
		return nil
	})
}
