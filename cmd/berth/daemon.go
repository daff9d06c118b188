package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"berth/daemon"
	"berth/statedir"
)

func newDaemonCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon [--root DIR] [--log-format text|json] [-D] [--insecure-registry HOST:PORT]...",
		Short: "Run the berth daemon in the foreground",
		// The daemon parses its own flags, so berth-daemon and this command take the same.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDaemon(g, args)
		},
	}
	return cmd
}

// runDaemon installs the helpers built into berth and becomes berth-daemon (same pid,
// so whoever started it keeps its ready pipe), or runs the daemon in-process when no
// berth-daemon is at hand.
func runDaemon(g *globalOptions, args []string) error {
	root := rootFromArgs(args, g.root)
	binDir, err := installHelpers(statedir.Resolve(root).Root)
	if err != nil {
		reportNotReady(args, err)
		return err
	}
	if binDir == "" {
		if exe, err := os.Executable(); err == nil {
			binDir = filepath.Dir(exe)
		}
	}
	if g.root != "" && root == g.root && !hasFlag(args, "root") {
		args = append([]string{"--root", g.root}, args...)
	}
	if bin := filepath.Join(binDir, "berth-daemon"); binDir != "" {
		if _, err := os.Stat(bin); err == nil {
			return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
		}
	}
	debug.SetGCPercent(100) // a long-lived process: the default collector
	if code := daemon.Main(args, binDir, os.Stderr); code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// rootFromArgs finds --root in the daemon's own arguments, else the global flag's value.
func rootFromArgs(args []string, global string) string {
	for i, a := range args {
		switch {
		case (a == "--root" || a == "-root") && i+1 < len(args):
			return args[i+1]
		case len(a) > 7 && (a[:7] == "--root=" || a[:6] == "-root="):
			return a[len("--root="):]
		}
	}
	return global
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--"+name || a == "-"+name || len(a) > len(name)+3 && a[:len(name)+3] == "--"+name+"=" {
			return true
		}
	}
	return false
}

// reportNotReady tells a waiting CLI (--ready-fd) why the daemon will not start.
func reportNotReady(args []string, err error) {
	for i, a := range args {
		if (a == "--ready-fd" || a == "-ready-fd") && i+1 < len(args) {
			var fd int
			if _, scanErr := fmt.Sscan(args[i+1], &fd); scanErr == nil {
				f := os.NewFile(uintptr(fd), "ready")
				fmt.Fprintf(f, "error: %v\n", err)
				f.Close()
			}
		}
	}
}
