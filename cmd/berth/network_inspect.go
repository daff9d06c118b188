package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkInspectOptions struct {
	format  string
	verbose bool
}

func newNetworkInspectCommand(g *globalOptions) *cobra.Command {
	var opts networkInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK [NETWORK...]",
		Short: "Display detailed information on one or more networks",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNetworkInspect(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	f.BoolVarP(&opts.verbose, "verbose", "v", false, "verbose output for diagnostics")
	return cmd
}

func runNetworkInspect(ctx context.Context, g *globalOptions, opts networkInspectOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return inspectEach(ctx, names, opts.format, func(ctx context.Context, name string) (json.RawMessage, error) {
		res, err := c.NetworkInspect(ctx, name, client.NetworkInspectOptions{Verbose: opts.verbose})
		if err != nil {
			return nil, fmt.Errorf("inspect network %s: %w", name, err)
		}
		return res.Raw, nil
	})
}
