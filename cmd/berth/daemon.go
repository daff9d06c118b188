package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"berth/daemon"
	"berth/statedir"
)

type daemonOptions struct {
	readyFD   int
	logFormat string
	debug     bool
	insecure  []string
}

func newDaemonCommand(g *globalOptions) *cobra.Command {
	opts := daemonOptions{readyFD: -1}
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the berth daemon in the foreground",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDaemon(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.readyFD, "ready-fd", -1, "file descriptor that receives one line once the daemon is ready or failed")
	_ = f.MarkHidden("ready-fd")
	f.StringVar(&opts.logFormat, "log-format", "text", "log format: text or json")
	f.BoolVarP(&opts.debug, "debug", "D", false, "log debug messages")
	f.StringArrayVar(&opts.insecure, "insecure-registry", nil, "registry (HOST:PORT) to reach over plain HTTP; also read from ROOT/daemon.json \"insecure-registries\"")
	return cmd
}

func runDaemon(ctx context.Context, g *globalOptions, opts daemonOptions) error {
	level := slog.LevelInfo
	if opts.debug {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch opts.logFormat {
	case "text":
		h = slog.NewTextHandler(os.Stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, hopts)
	default:
		return fmt.Errorf("invalid --log-format %q: use text or json", opts.logFormat)
	}
	dirs := statedir.Resolve(g.root)
	cfg := daemon.Config{Dirs: dirs, Log: slog.New(h), InsecureRegistries: opts.insecure}
	if opts.readyFD >= 0 {
		cfg.Ready = os.NewFile(uintptr(opts.readyFD), "ready")
		if cfg.Ready == nil {
			return fmt.Errorf("invalid --ready-fd %d", opts.readyFD)
		}
	}
	binDir, err := installHelpers(dirs.Root)
	if err != nil {
		if cfg.Ready != nil {
			fmt.Fprintf(cfg.Ready, "error: %v\n", err)
		}
		return err
	}
	cfg.BinDir = binDir
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := daemon.Run(ctx, cfg); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	return nil
}
