package main

import (
	"github.com/spf13/cobra"
)

func newComposeCreateCommand(g *globalOptions) *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [SERVICE...]",
		Short: "Create a Compose stack's containers without starting them",
		RunE: func(cmd *cobra.Command, args []string) error {
			// create is up --no-start, as in Compose.
			o.noStart, o.detach = true, true
			return runUp(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVar(&o.forceRecreate, "force-recreate", false, "recreate containers even if nothing changed")
	f.BoolVar(&o.noRecreate, "no-recreate", false, "never recreate existing containers")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "remove containers of services not in the file")
	f.StringArrayVar(&o.scale, "scale", nil, "SERVICE=N replicas, overriding the file")
	f.StringVar(&o.pull, "pull", "policy", "pull images: always, missing, never, or policy (the service's pull_policy)")
	f.StringVar(&o.progress, "progress", "auto", "progress output: auto, tty, plain, quiet")
	return cmd
}
