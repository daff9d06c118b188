package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newUnpauseCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "unpause CONTAINER [CONTAINER...]",
		Short: "Unpause all processes within one or more containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUnpause(cmd.Context(), g, args)
		},
	}
}

func runUnpause(ctx context.Context, g *globalOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		if _, err := c.ContainerUnpause(ctx, name, client.ContainerUnpauseOptions{}); err != nil {
			return fmt.Errorf("unpause container %s: %w", name, err)
		}
		return nil
	})
}
