package main

import (
	"context"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeRestartOptions struct {
	compose    composeOptions
	timeout    int
	timeoutSet bool
	noDeps     bool
	op         opFlags
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
	o.op.add(f)
	f.IntVarP(&o.timeout, "timeout", "t", 10, "seconds to wait before killing a container (default: its stop_grace_period)")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not restart dependent services (berth never does)")
	return cmd
}

// runComposeRestart restarts the services' containers, stopped ones included, as Compose
// does, dependencies first; the configuration is not re-read (use up for that).
func runComposeRestart(ctx context.Context, g *globalOptions, o composeRestartOptions, services []string) error {
	req := stackapi.OpRequest{Op: "restart", DryRun: o.op.dryRun}
	if o.timeoutSet {
		req.TimeoutSecs = &o.timeout
	}
	return runStackOp(ctx, g, &o.compose, services, req)
}
