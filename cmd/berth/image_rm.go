package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type imageRmOptions struct {
	force   bool
	noPrune bool
}

func newImageRmCommand(g *globalOptions) *cobra.Command {
	var opts imageRmOptions
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] IMAGE [IMAGE...]",
		Aliases: []string{"remove", "rmi"},
		Short:   "Remove one or more images",
		Args:    requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageRm(cmd.Context(), g, opts, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.force, "force", "f", false, "force removal of the image")
	f.BoolVar(&opts.noPrune, "no-prune", false, "do not delete untagged parents")
	return cmd
}

func runImageRm(ctx context.Context, g *globalOptions, opts imageRmOptions, names []string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return forEach(ctx, names, false, func(ctx context.Context, name string) error {
		res, err := c.ImageRemove(ctx, name, client.ImageRemoveOptions{Force: opts.force, PruneChildren: !opts.noPrune})
		if err != nil {
			return fmt.Errorf("remove image %s: %w", name, err)
		}
		for _, d := range res.Items {
			if d.Untagged != "" {
				fmt.Printf("Untagged: %s\n", d.Untagged)
			}
			if d.Deleted != "" {
				fmt.Printf("Deleted: %s\n", d.Deleted)
			}
		}
		return nil
	})
}
