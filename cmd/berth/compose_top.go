package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeTopOptions struct {
	compose composeOptions
}

func newComposeTopCommand(g *globalOptions) *cobra.Command {
	var o composeTopOptions
	cmd := &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Show the running processes of a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeTop(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	return cmd
}

func runComposeTop(ctx context.Context, g *globalOptions, o composeTopOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, false, false)
	if err != nil {
		return err
	}
	for i, ct := range list {
		res, err := c.ContainerTop(ctx, ct.ID, client.ContainerTopOptions{})
		if err != nil {
			return fmt.Errorf("processes of %s: %w", summaryName(ct), err)
		}
		if i > 0 {
			fmt.Println()
		}
		if err := printTop(os.Stdout, summaryName(ct), res.Titles, res.Processes); err != nil {
			return err
		}
	}
	return nil
}

// printTop prints one container's processes under its name, as Compose does.
func printTop(w io.Writer, name string, titles []string, procs [][]string) error {
	fmt.Fprintln(w, name)
	tw := newTable(w)
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, p := range procs {
		fmt.Fprintln(tw, strings.Join(p, "\t"))
	}
	return tw.Flush()
}
