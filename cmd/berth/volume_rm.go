package main

import (
	"context"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type volumeRmOptions struct {
	force bool
}

func newVolumeRmCommand(g *globalOptions) *cobra.Command {
	var opts volumeRmOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME [VOLUME...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more volumes",
		Long:    "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
		Args:    requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVolumeRm(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().BoolVarP(&opts.force, "force", "f", false, "do not error if a volume does not exist")
	return cmd
}

// runVolumeRm removes each volume and prints its name, as docker volume rm does. With
// --force the daemon skips a volume that does not exist; one in use is still refused.
func runVolumeRm(ctx context.Context, g *globalOptions, opts volumeRmOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		_, err := c.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: opts.force})
		return err // the daemon's message names the volume
	})
}
