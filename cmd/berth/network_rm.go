package main

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkRmOptions struct {
	force bool
}

func newNetworkRmCommand(g *globalOptions) *cobra.Command {
	var opts networkRmOptions
	cmd := &cobra.Command{
		Use:     "rm NETWORK [NETWORK...]",
		Aliases: []string{"remove"},
		Short:   "Remove one or more networks",
		Args:    requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runNetworkRm(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().BoolVarP(&opts.force, "force", "f", false, "do not error if the network does not exist")
	return cmd
}

// runNetworkRm removes each network and prints its name, as docker network rm does; with
// --force a network that does not exist is skipped silently.
func runNetworkRm(ctx context.Context, g *globalOptions, opts networkRmOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, false, func(ctx context.Context, name string) error {
		if _, err := c.NetworkRemove(ctx, name, client.NetworkRemoveOptions{}); err != nil {
			if opts.force && errdefs.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("remove network %s: %w", name, err)
		}
		fmt.Println(name)
		return nil
	})
}
