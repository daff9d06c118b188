package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	format string
	size   bool
}

func newInspectCommand(g *globalOptions) *cobra.Command {
	var opts inspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Show detailed information on one or more containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	f.BoolVarP(&opts.size, "size", "s", false, "display total file sizes")
	return cmd
}

func runInspect(ctx context.Context, g *globalOptions, opts inspectOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return inspectEach(ctx, names, opts.format, func(ctx context.Context, name string) (json.RawMessage, error) {
		res, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{Size: opts.size})
		if err != nil {
			return nil, fmt.Errorf("inspect container %s: %w", name, err)
		}
		return res.Raw, nil
	})
}
