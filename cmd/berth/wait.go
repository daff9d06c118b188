package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

func newWaitCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWait(cmd.Context(), g, args)
		},
	}
}

func runWait(ctx context.Context, g *globalOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, false, func(ctx context.Context, name string) error {
		code, err := exitStatus(ctx, c.ContainerWait(ctx, name, client.ContainerWaitOptions{}))
		if err != nil {
			return fmt.Errorf("wait for container %s: %w", name, err)
		}
		fmt.Println(code)
		return nil
	})
}
