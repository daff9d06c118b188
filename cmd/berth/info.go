package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type infoOptions struct {
	format string
}

func newInfoCommand(g *globalOptions) *cobra.Command {
	var opts infoOptions
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show what the daemon reports about itself",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInfo(cmd.Context(), g, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.format, "format", "f", "", "output format: json or a Go template")
	return cmd
}

func runInfo(ctx context.Context, g *globalOptions, opts infoOptions) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return fmt.Errorf("daemon info: %w", err)
	}
	switch opts.format {
	case "":
		return printInfo(os.Stdout, res.Info)
	case "json":
		b, err := json.Marshal(res.Info)
		if err != nil {
			return err
		}
		_, err = fmt.Printf("%s\n", b)
		return err
	default:
		p, err := newPrinter(opts.format)
		if err != nil {
			return err
		}
		return p.row(os.Stdout, res.Info)
	}
}

func printInfo(w io.Writer, in system.Info) error {
	var b strings.Builder
	line := func(key string, value any) {
		fmt.Fprintf(&b, " %s: %v\n", key, value)
	}
	b.WriteString("Server:\n")
	line("Containers", in.Containers)
	fmt.Fprintf(&b, "  Running: %d\n  Paused: %d\n  Stopped: %d\n", in.ContainersRunning, in.ContainersPaused, in.ContainersStopped)
	line("Images", in.Images)
	line("Server Version", in.ServerVersion)
	line("Storage Driver", in.Driver)
	for _, kv := range in.DriverStatus {
		fmt.Fprintf(&b, "  %s: %s\n", kv[0], kv[1])
	}
	if in.LoggingDriver != "" {
		line("Logging Driver", in.LoggingDriver)
	}
	if in.CgroupDriver != "" {
		line("Cgroup Driver", in.CgroupDriver)
	}
	if in.CgroupVersion != "" {
		line("Cgroup Version", in.CgroupVersion)
	}
	if in.DefaultRuntime != "" {
		line("Default Runtime", in.DefaultRuntime)
	}
	if len(in.SecurityOptions) > 0 {
		b.WriteString(" Security Options:\n")
		for _, o := range in.SecurityOptions {
			fmt.Fprintf(&b, "  %s\n", o)
		}
	}
	for _, kv := range []struct {
		k string
		v string
	}{
		{"Kernel Version", in.KernelVersion},
		{"Operating System", in.OperatingSystem},
		{"OSType", in.OSType},
		{"Architecture", in.Architecture},
	} {
		if kv.v != "" {
			line(kv.k, kv.v)
		}
	}
	if in.NCPU > 0 {
		line("CPUs", in.NCPU)
	}
	if in.MemTotal > 0 {
		line("Total Memory", humanSize(in.MemTotal))
	}
	if in.Name != "" {
		line("Name", in.Name)
	}
	if in.ID != "" {
		line("ID", in.ID)
	}
	line("Docker Root Dir", in.DockerRootDir)
	line("Debug Mode", in.Debug)
	if len(in.Labels) > 0 {
		b.WriteString(" Labels:\n")
		for _, l := range in.Labels {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	line("Experimental", in.ExperimentalBuild)
	line("Live Restore Enabled", in.LiveRestoreEnabled)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, warn := range in.Warnings {
		fmt.Fprintln(os.Stderr, warn)
	}
	return nil
}
