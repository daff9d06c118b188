package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

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
	var raws []json.RawMessage
	err = forEach(ctx, names, false, func(ctx context.Context, name string) error {
		res, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{Size: opts.size})
		if err != nil {
			return fmt.Errorf("inspect container %s: %w", name, err)
		}
		raws = append(raws, res.Raw)
		return nil
	})
	if werr := writeInspect(os.Stdout, opts.format, raws); werr != nil {
		return werr
	}
	return err
}
