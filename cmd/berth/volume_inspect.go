package main

import (
	"context"
	"encoding/json"
	"os"

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
	var raws []json.RawMessage
	err = forEach(ctx, names, false, func(ctx context.Context, name string) error {
		res, err := c.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
		if err != nil {
			return err // the daemon's message names the volume
		}
		raws = append(raws, res.Raw)
		return nil
	})
	if werr := writeInspect(os.Stdout, opts.format, raws); werr != nil {
		return werr
	}
	return err
}
