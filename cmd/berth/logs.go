package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type logsOptions struct {
	follow     bool
	tail       string
	timestamps bool
	since      string
	until      string
	details    bool
}

func newLogsCommand(g *globalOptions) *cobra.Command {
	var opts logsOptions
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Show the logs of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLogs(cmd.Context(), g, opts, args[0])
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.follow, "follow", "f", false, "follow log output")
	f.StringVarP(&opts.tail, "tail", "n", "all", "number of lines to show from the end of the logs")
	f.BoolVarP(&opts.timestamps, "timestamps", "t", false, "show timestamps")
	f.StringVar(&opts.since, "since", "", "show logs since a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m)")
	f.StringVar(&opts.until, "until", "", "show logs before a timestamp or relative time")
	f.BoolVar(&opts.details, "details", false, "show extra details provided to logs")
	return cmd
}

func runLogs(ctx context.Context, g *globalOptions, opts logsOptions, name string) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	info, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", name, err)
	}
	rc, err := c.ContainerLogs(ctx, info.Container.ID, client.ContainerLogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Since:      opts.since,
		Until:      opts.until,
		Timestamps: opts.timestamps,
		Follow:     opts.follow,
		Tail:       opts.tail,
		Details:    opts.details,
	})
	if err != nil {
		return fmt.Errorf("logs of container %s: %w", name, err)
	}
	defer rc.Close()
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	defer stop()
	if info.Container.Config != nil && info.Container.Config.Tty {
		_, err = io.Copy(os.Stdout, rc)
	} else {
		_, err = stdcopy.StdCopy(os.Stdout, os.Stderr, rc)
	}
	if err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil {
		return fmt.Errorf("logs of container %s: %w", name, err)
	}
	return nil
}
