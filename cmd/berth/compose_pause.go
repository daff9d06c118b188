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
	return newComposePausing(g, true)
}

func newComposeUnpauseCommand(g *globalOptions) *cobra.Command {
	return newComposePausing(g, false)
}

// newComposePausing builds pause (pause true) or unpause: the same command both ways.
func newComposePausing(g *globalOptions, pause bool) *cobra.Command {
	var o composePauseOptions
	use, short := "pause [SERVICE...]", "Pause a Compose stack's containers"
	if !pause {
		use, short = "unpause [SERVICE...]", "Unpause a Compose stack's containers"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposePause(cmd.Context(), g, o, args, pause)
		},
	}
	o.compose.addFlags(cmd.Flags())
	return cmd
}

// runComposePause pauses the services' running containers, or unpauses their paused ones.
func runComposePause(ctx context.Context, g *globalOptions, o composePauseOptions, services []string, pause bool) error {
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
	from, doing, done := container.StateRunning, "Pausing", "Paused"
	if !pause {
		from, doing, done = container.StatePaused, "Unpausing", "Unpaused"
	}
	var todo []container.Summary
	for _, ct := range list {
		if ct.State == from {
			todo = append(todo, ct)
		}
	}
	return changeEach(ctx, os.Stderr, todo, doing, done, func(ctx context.Context, ct container.Summary) error {
		var err error
		if pause {
			_, err = c.ContainerPause(ctx, ct.ID, client.ContainerPauseOptions{})
		} else {
			_, err = c.ContainerUnpause(ctx, ct.ID, client.ContainerUnpauseOptions{})
		}
		return err
	})
}
