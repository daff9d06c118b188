package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

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
// so whoever started it keeps its ready pipe). The CLI does not carry the daemon's code:
// every berth command would pay for its start-up.
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
	bin := filepath.Join(binDir, "berth-daemon")
	if _, err := os.Stat(bin); err != nil {
		err = fmt.Errorf("berth-daemon is missing: it must be installed beside berth (in %s)", binDir)
		reportNotReady(args, err)
		return err
	}
	return syscall.Exec(bin, append([]string{bin}, args...), os.Environ())
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
