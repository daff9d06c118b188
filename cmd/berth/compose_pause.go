package main

import (
	"context"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composePauseOptions struct {
	compose composeOptions
}

func newComposePauseCommand(g *globalOptions) *cobra.Command {
	var o composePauseOptions
	cmd := &cobra.Command{
		Use:   "pause [SERVICE...]",
		Short: "Pause a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposePause(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	return cmd
}

// runComposePause pauses the services' running containers.
func runComposePause(ctx context.Context, g *globalOptions, o composePauseOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, true, false)
	if err != nil {
		return err
	}
	var todo []container.Summary
	for _, ct := range list {
		if ct.State == container.StateRunning {
			todo = append(todo, ct)
		}
	}
	return changeEach(ctx, os.Stderr, todo, "Pausing", "Paused", func(ctx context.Context, ct container.Summary) error {
		_, err := c.ContainerPause(ctx, ct.ID, client.ContainerPauseOptions{})
		return err
	})
}
