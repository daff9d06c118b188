package main

import (
	"context"
	"encoding/json"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type volumeInspectOptions struct {
	format string
}

func newVolumeInspectCommand(g *globalOptions) *cobra.Command {
	var opts volumeInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME [VOLUME...]",
		Short: "Display detailed information on one or more volumes",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVolumeInspect(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	return cmd
}

func runVolumeInspect(ctx context.Context, g *globalOptions, opts volumeInspectOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return inspectEach(ctx, names, opts.format, func(ctx context.Context, name string) (json.RawMessage, error) {
		res, err := c.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
		if err != nil {
			return nil, err // the daemon's message names the volume
		}
		return res.Raw, nil
	})
}
