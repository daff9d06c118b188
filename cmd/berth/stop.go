package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type stopOptions struct {
	signal     string
	timeout    int
	timeoutSet bool
}

func newStopCommand(g *globalOptions) *cobra.Command {
	var opts stopOptions
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.timeoutSet = cmd.Flags().Changed("timeout")
			return runStop(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.signal, "signal", "s", "", "signal to send to the container")
	f.IntVarP(&opts.timeout, "timeout", "t", 0, "seconds to wait before killing the container")
	return cmd
}

func runStop(ctx context.Context, g *globalOptions, opts stopOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	o := client.ContainerStopOptions{Signal: opts.signal}
	if opts.timeoutSet {
		t := opts.timeout
		o.Timeout = &t
	}
	return forEach(ctx, names, true, func(ctx context.Context, name string) error {
		if _, err := c.ContainerStop(ctx, name, o); err != nil {
			return fmt.Errorf("stop container %s: %w", name, err)
		}
		return nil
	})
}
