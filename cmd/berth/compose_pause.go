package main

import (
	"context"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composePauseOptions struct {
	compose composeOptions
	op      opFlags
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
	o.op.add(cmd.Flags())
	return cmd
}

// runComposePause pauses the services' running containers (dependents first), or unpauses
// their paused ones.
func runComposePause(ctx context.Context, g *globalOptions, o composePauseOptions, services []string, pause bool) error {
	op := "pause"
	if !pause {
		op = "unpause"
	}
	return runStackOp(ctx, g, &o.compose, services, stackapi.OpRequest{Op: op, DryRun: o.op.dryRun})
}
