package main

import (
	"context"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeStartOptions struct {
	compose composeOptions
	op      opFlags
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
	o.op.add(cmd.Flags())
	return cmd
}

// runComposeStart starts the services' stopped containers, dependencies first; unlike up
// it never creates or recreates one.
func runComposeStart(ctx context.Context, g *globalOptions, o composeStartOptions, services []string) error {
	return runStackOp(ctx, g, &o.compose, services, stackapi.OpRequest{Op: "start", DryRun: o.op.dryRun})
}
