// A command runs for milliseconds: finding the CPU limit of its cgroup at start (Go's
// default) costs more than it could save.
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0

// Command berth is the command-line client of the berth container engine. It speaks the
// Docker Engine API to the daemon and starts the daemon on first use when none answers.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// globalOptions are the flags shared by every command.
type globalOptions struct {
	root string // state root; "" means BERTH_ROOT, else the default root
	host string // daemon address; "" means BERTH_HOST, else the root's socket
}

// exitError makes berth exit with code. A nil err exits silently (the container's own
// output has already said what happened).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func main() {
	// A command lives for milliseconds: a lazier collector saves time.
	debug.SetGCPercent(400)
	os.Exit(execute(context.Background(), os.Args[1:]))
}

// execute runs berth with args and returns the process exit code.
func execute(ctx context.Context, args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(os.Stderr, "berth: %v\n", err)
	return code
}

func newRootCommand() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Run and manage containers with the berth engine",
		SilenceUsage:  true,
		SilenceErrors: true,
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true,
		},
	}
	root.SetFlagErrorFunc(flagError)
	// Commands that reach g only through their context (Compose loading) find it there.
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		cmd.SetContext(context.WithValue(cmd.Context(), globalKey{}, g))
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.root, "root", "", "state root (default $BERTH_ROOT, else /var/lib/berth)")
	pf.StringVarP(&g.host, "host", "H", "", "daemon address, e.g. unix:///run/berth/berth.sock (default $BERTH_HOST, else the root's socket)")

	container := &cobra.Command{Use: "container", Short: "Manage containers"}
	container.AddCommand(
		newRunCommand(g),
		newCreateCommand(g),
		newPsCommand(g),
		newLogsCommand(g),
		newStopCommand(g),
		newKillCommand(g),
		newRmCommand(g),
		newInspectCommand(g),
		newStartCommand(g),
		newWaitCommand(g),
		newPauseCommand(g),
		newUnpauseCommand(g),
		newExecCommand(g),
		newPortCommand(g),
	)
	image := &cobra.Command{Use: "image", Short: "Manage images"}
	image.AddCommand(
		newImageLoadCommand(g),
		newImageImportCommand(g),
		newImagePullCommand(g),
		newImageLsCommand(g),
		newImageInspectCommand(g),
		newImageRmCommand(g),
		newImageSaveCommand(g),
		newImageTagCommand(g),
	)
	root.AddCommand(
		newVersionCommand(g),
		newInfoCommand(g),
		newDaemonCommand(g),
		container,
		image,
		newNetworkCommand(g),
		newVolumeCommand(g),
	)
	// Compose stack commands, at the top level as in docker compose.
	root.AddCommand(
		newConfigCommand(),
		newUpCommand(g),
		newDownCommand(g),
		newComposePsCommand(g),
		newComposeLogsCommand(g),
		newComposeLsCommand(g),
		newComposeExecCommand(g),
		newComposeRunCommand(g),
		newComposeCreateCommand(g),
		newComposeStartCommand(g),
		newComposeStopCommand(g),
		newComposeRestartCommand(g),
		newComposeKillCommand(g),
		newComposeRmCommand(g),
		newComposePauseCommand(g),
		newComposeUnpauseCommand(g),
		newComposeTopCommand(g),
		newComposePortCommand(g),
		newComposeImagesCommand(g),
		newComposePullCommand(g),
		newComposeWaitCommand(g),
		newComposeCpCommand(g),
	)
	return root
}

// flagError adds Docker's pointer to the help text to a flag parsing error.
func flagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%w\nSee '%s --help'", err, cmd.CommandPath())
}

// requireArgs is cobra.MinimumNArgs with a message that names the command's usage.
func requireArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("%q requires at least %d argument(s)\nUsage: %s", cmd.CommandPath(), n, cmd.UseLine())
		}
		return nil
	}
}

// exactArgs is cobra.ExactArgs with a message that names the command's usage.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%q requires exactly %d argument(s)\nUsage: %s", cmd.CommandPath(), n, cmd.UseLine())
		}
		return nil
	}
}
