package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeStartOptions struct {
	compose composeOptions
}

func newComposeStartCommand(g *globalOptions) *cobra.Command {
	var o composeStartOptions
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] [SERVICE...]",
		Short: "Start a Compose stack's existing containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeStart(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	return cmd
}

// runComposeStart starts the services' stopped containers, dependencies first; unlike up
// it never creates or recreates one.
func runComposeStart(ctx context.Context, g *globalOptions, o composeStartOptions, services []string) error {
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
	if len(list) == 0 {
		return fmt.Errorf("no containers to start; create them with berth up or berth create")
	}
	var todo []container.Summary
	for _, ct := range list {
		if ct.State != container.StateRunning && ct.State != container.StatePaused {
			todo = append(todo, ct)
		}
	}
	return changeEach(ctx, os.Stderr, todo, "Starting", "Started", func(ctx context.Context, ct container.Summary) error {
		_, err := c.ContainerStart(ctx, ct.ID, client.ContainerStartOptions{})
		return err
	})
}
