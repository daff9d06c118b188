package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type rmOptions struct {
	force   bool
	volumes bool
}

func newRmCommand(g *globalOptions) *cobra.Command {
	var opts rmOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more containers",
		Args:    requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRm(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.force, "force", "f", false, "kill and remove a running container")
	f.BoolVarP(&opts.volumes, "volumes", "v", false, "remove the anonymous volumes of the container")
	return cmd
}

func runRm(ctx context.Context, g *globalOptions, opts rmOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		_, err := c.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: opts.force, RemoveVolumes: opts.volumes})
		if err != nil {
			return fmt.Errorf("remove container %s: %w", name, err)
		}
		return nil
	})
}
