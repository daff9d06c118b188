package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newPauseCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "pause CONTAINER [CONTAINER...]",
		Short: "Pause all processes within one or more containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd.Context(), g, args)
		},
	}
}

func runPause(ctx context.Context, g *globalOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		if _, err := c.ContainerPause(ctx, name, client.ContainerPauseOptions{}); err != nil {
			return fmt.Errorf("pause container %s: %w", name, err)
		}
		return nil
	})
}
