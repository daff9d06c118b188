package main

import (
	"context"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeKillOptions struct {
	compose       composeOptions
	signal        string
	removeOrphans bool
}

func newComposeKillCommand(g *globalOptions) *cobra.Command {
	var o composeKillOptions
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] [SERVICE...]",
		Short: "Force stop a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeKill(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.StringVarP(&o.signal, "signal", "s", "SIGKILL", "signal to send to the containers")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "accepted for Compose compatibility; orphans are left alone")
	return cmd
}

// runComposeKill sends a signal to the services' running containers.
func runComposeKill(ctx context.Context, g *globalOptions, o composeKillOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, false, true)
	if err != nil {
		return err
	}
	return changeEach(ctx, os.Stderr, list, "Killing", "Killed", func(ctx context.Context, ct container.Summary) error {
		_, err := c.ContainerKill(ctx, ct.ID, client.ContainerKillOptions{Signal: o.signal})
		return err
	})
}
