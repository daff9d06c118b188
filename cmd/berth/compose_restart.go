package main

import (
	"context"
	"os"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeRestartOptions struct {
	compose    composeOptions
	timeout    int
	timeoutSet bool
	noDeps     bool
}

func newComposeRestartCommand(g *globalOptions) *cobra.Command {
	var o composeRestartOptions
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] [SERVICE...]",
		Short: "Restart a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.timeoutSet = cmd.Flags().Changed("timeout")
			return runComposeRestart(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait before killing a container (default: its stop_grace_period)")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not restart dependent services (berth never does)")
	return cmd
}

// runComposeRestart restarts the services' containers, stopped ones included, as Compose
// does; the configuration is not re-read (use up for that).
func runComposeRestart(ctx context.Context, g *globalOptions, o composeRestartOptions, services []string) error {
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
	return changeEach(ctx, os.Stderr, list, "Restarting", "Started", func(ctx context.Context, ct container.Summary) error {
		opts := client.ContainerRestartOptions{}
		if o.timeoutSet {
			opts.Timeout = &o.timeout
		}
		_, err := c.ContainerRestart(ctx, ct.ID, opts)
		return err
	})
}
