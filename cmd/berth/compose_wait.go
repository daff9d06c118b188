package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type composeWaitOptions struct {
	compose     composeOptions
	downProject bool
}

func newComposeWaitCommand(g *globalOptions) *cobra.Command {
	var o composeWaitOptions
	cmd := &cobra.Command{
		Use:   "wait SERVICE [SERVICE...] [OPTIONS]",
		Short: "Block until the first service container stops",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeWait(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.downProject, "down-project", false, "drop the project once the first container stops")
	return cmd
}

// runComposeWait waits for the first of the services' containers to stop and exits with
// its code; with --down-project it then takes the whole stack down.
func runComposeWait(ctx context.Context, g *globalOptions, o composeWaitOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, true, false)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("no containers for %v", services)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		code int
		err  error
	}
	results := make(chan result, len(list))
	for _, ct := range list {
		w := c.ContainerWait(wctx, ct.ID, client.ContainerWaitOptions{})
		go func() {
			code, err := exitStatus(wctx, w)
			results <- result{code, err}
		}()
	}
	first := <-results
	cancel()
	if first.err != nil {
		return first.err
	}
	if o.downProject {
		down := downOptions{compose: o.compose, progress: "auto"}
		if err := runDown(ctx, g, down, nil); err != nil {
			return err
		}
	}
	if first.code != 0 {
		return &exitError{code: first.code}
	}
	return nil
}
