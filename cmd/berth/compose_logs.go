package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

type composeLogsOptions struct {
	compose composeOptions
	logs    stackLogOptions
}

func newComposeLogsCommand(g *globalOptions) *cobra.Command {
	var o composeLogsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] [SERVICE...]",
		Short: "Show the output of a Compose stack's containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeLogs(cmd.Context(), g, o, args)
		},
	}
	f := cmd.Flags()
	o.compose.addFlagsFile(f, "")
	f.BoolVarP(&o.logs.follow, "follow", "f", false, "follow new output")
	f.BoolVarP(&o.logs.timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVarP(&o.logs.tail, "tail", "n", "all", "lines from the end of each container's log")
	f.StringVar(&o.logs.since, "since", "", "show output since a time (e.g. 2013-01-02T13:23:37Z) or a duration (e.g. 42m)")
	f.BoolVar(&o.logs.noColor, "no-color", false, "no colours in the prefixes")
	f.BoolVar(&o.logs.noPrefix, "no-log-prefix", false, "no container name before each line")
	return cmd
}

func runComposeLogs(ctx context.Context, g *globalOptions, o composeLogsOptions, services []string) error {
	name, err := o.compose.stackName(ctx)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	var only map[string]bool
	if len(services) > 0 {
		only = map[string]bool{}
		for _, s := range services {
			only[s] = true
		}
	}
	return printStackLogs(ctx, c, name, only, o.logs, nil)
}
