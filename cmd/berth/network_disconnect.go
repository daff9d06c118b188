package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkDisconnectOptions struct {
	force bool
}

func newNetworkDisconnectCommand(g *globalOptions) *cobra.Command {
	var opts networkDisconnectOptions
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNetworkDisconnect(cmd.Context(), g, opts, args[0], args[1])
		},
	}
	cmd.Flags().BoolVarP(&opts.force, "force", "f", false, "force the container to disconnect from a network")
	return cmd
}

func runNetworkDisconnect(ctx context.Context, g *globalOptions, opts networkDisconnectOptions, net, ctr string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.NetworkDisconnect(ctx, net, client.NetworkDisconnectOptions{Container: ctr, Force: opts.force}); err != nil {
		return fmt.Errorf("disconnect container %s from network %s: %w", ctr, net, err)
	}
	return nil
}
