package main

import (
	"context"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeUnpauseOptions struct {
	compose composeOptions
}

func newComposeUnpauseCommand(g *globalOptions) *cobra.Command {
	var o composeUnpauseOptions
	cmd := &cobra.Command{
		Use:   "unpause [SERVICE...]",
		Short: "Unpause a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeUnpause(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	return cmd
}

// runComposeUnpause unpauses the services' paused containers.
func runComposeUnpause(ctx context.Context, g *globalOptions, o composeUnpauseOptions, services []string) error {
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
		if ct.State == container.StatePaused {
			todo = append(todo, ct)
		}
	}
	return changeEach(ctx, os.Stderr, todo, "Unpausing", "Unpaused", func(ctx context.Context, ct container.Summary) error {
		_, err := c.ContainerUnpause(ctx, ct.ID, client.ContainerUnpauseOptions{})
		return err
	})
}
