package main

import (
	"context"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeKillOptions struct {
	compose       composeOptions
	signal        string
	removeOrphans bool
	op            opFlags
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
	o.op.add(f)
	f.StringVarP(&o.signal, "signal", "s", "SIGKILL", "signal to send to the containers")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "accepted for Compose compatibility; orphans are left alone")
	return cmd
}

// runComposeKill sends a signal to the services' running containers, dependents first.
func runComposeKill(ctx context.Context, g *globalOptions, o composeKillOptions, services []string) error {
	return runStackOp(ctx, g, &o.compose, services, stackapi.OpRequest{Op: "kill", Signal: o.signal, DryRun: o.op.dryRun})
}
