package main

import (
	"context"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeStopOptions struct {
	compose    composeOptions
	op         opFlags
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
	o.op.add(cmd.Flags())
	cmd.Flags().IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait before killing a container (default: its stop_grace_period)")
	return cmd
}

// runComposeStop stops the services' running containers, dependents first.
func runComposeStop(ctx context.Context, g *globalOptions, o composeStopOptions, services []string) error {
	req := stackapi.OpRequest{Op: "stop", DryRun: o.op.dryRun}
	if o.timeoutSet {
		req.TimeoutSecs = &o.timeout
	}
	return runStackOp(ctx, g, &o.compose, services, req)
}
