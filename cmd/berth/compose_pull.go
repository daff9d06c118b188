package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

type composePullOptions struct {
	compose            composeOptions
	quiet              bool
	ignorePullFailures bool
	ignoreBuildable    bool
}

func newComposePullCommand(g *globalOptions) *cobra.Command {
	var o composePullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] [SERVICE...]",
		Short: "Pull the images of a Compose stack's services",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposePull(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVarP(&o.quiet, "quiet", "q", false, "pull without printing progress")
	f.BoolVar(&o.ignorePullFailures, "ignore-pull-failures", false, "pull what it can and ignore images that fail")
	f.BoolVar(&o.ignoreBuildable, "ignore-buildable", false, "skip images that can be built")
	return cmd
}

func runComposePull(ctx context.Context, g *globalOptions, o composePullOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	if t.stack == nil {
		return fmt.Errorf("pull needs a Compose file to know the images")
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pulled := map[string]bool{}
	for _, svc := range t.stack.Services {
		if len(services) > 0 && !contains(services, svc.Name) || pulled[svc.Image] {
			continue
		}
		if svc.PullPolicy == "build" || (o.ignoreBuildable && svc.Image == t.name+"-"+svc.Name) {
			continue
		}
		pulled[svc.Image] = true
		if !o.quiet {
			fmt.Fprintf(os.Stderr, " Image %s  Pulling\n", svc.Image)
		}
		if err := pullImage(ctx, c, svc.Image, o.quiet); err != nil {
			if o.ignorePullFailures {
				fmt.Fprintf(os.Stderr, "berth: warning: service %s: %v\n", svc.Name, err)
				continue
			}
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		if !o.quiet {
			fmt.Fprintf(os.Stderr, " Image %s  Pulled\n", svc.Image)
		}
	}
	return nil
}
