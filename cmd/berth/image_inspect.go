package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type imageInspectOptions struct {
	format string
}

func newImageInspectCommand(g *globalOptions) *cobra.Command {
	var opts imageInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE [IMAGE...]",
		Short: "Show detailed information on one or more images",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageInspect(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	return cmd
}

func runImageInspect(ctx context.Context, g *globalOptions, opts imageInspectOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return inspectEach(ctx, names, opts.format, func(ctx context.Context, name string) (json.RawMessage, error) {
		var buf bytes.Buffer
		if _, err := c.ImageInspect(ctx, name, client.ImageInspectWithRawResponse(&buf)); err != nil {
			return nil, fmt.Errorf("inspect image %s: %w", name, err)
		}
		return json.RawMessage(buf.Bytes()), nil
	})
}
