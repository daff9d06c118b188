package main

import (
	"context"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeStopOptions struct {
	compose    composeOptions
	timeout    int
	timeoutSet bool
}

func newComposeStopCommand(g *globalOptions) *cobra.Command {
	var o composeStopOptions
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] [SERVICE...]",
		Short: "Stop a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runComposeStop(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	cmd.Flags().IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait before killing a container (default: its stop_grace_period)")
	return cmd
}

// runComposeStop stops the services' running containers, dependents first.
func runComposeStop(ctx context.Context, g *globalOptions, o composeStopOptions, services []string) error {
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
	return changeEach(ctx, os.Stderr, list, "Stopping", "Stopped", func(ctx context.Context, ct container.Summary) error {
		return stopContainer(ctx, c, ct.ID, o.timeout, o.timeoutSet)
	})
}

// stopContainer stops id, after timeout seconds if set, else the container's own grace.
func stopContainer(ctx context.Context, c *client.Client, id string, timeout int, set bool) error {
	opts := client.ContainerStopOptions{}
	if set {
		opts.Timeout = &timeout
	}
	_, err := c.ContainerStop(ctx, id, opts)
	return err
}
