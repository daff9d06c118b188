package main

import (
	"context"

	"github.com/spf13/cobra"
)

type composeExecOptions struct {
	compose    composeOptions
	detach     bool
	noTTY      bool
	env        []string
	user       string
	workdir    string
	index      int
	privileged bool
}

func newComposeExecCommand(g *globalOptions) *cobra.Command {
	var o composeExecOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] SERVICE COMMAND [ARGS...]",
		Short: "Run a command in a service's running container",
		Args:  requireArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeExec(cmd.Context(), g, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	o.compose.addFlags(f)
	f.BoolVarP(&o.detach, "detach", "d", false, "run the command in the background")
	f.BoolVarP(&o.noTTY, "no-TTY", "T", false, "do not allocate a pseudo-TTY (the default when stdin is not a terminal)")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set an environment variable")
	f.StringVarP(&o.user, "user", "u", "", "user to run as")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working directory inside the container")
	f.IntVar(&o.index, "index", 1, "replica of the service, from 1")
	f.BoolVar(&o.privileged, "privileged", false, "give extended privileges to the command")
	// Compose keeps stdin attached and has -i only for compatibility.
	f.BoolP("interactive", "i", true, "keep STDIN open")
	_ = f.MarkHidden("interactive")
	return cmd
}

// execOptionsFor maps Compose's exec flags onto container exec's: stdin is always
// attached unless detached, and a TTY is used when stdin is a terminal and -T is unset.
func execOptionsFor(o composeExecOptions, stdinTerminal bool) execOptions {
	return execOptions{
		interactive: !o.detach,
		tty:         !o.noTTY && !o.detach && stdinTerminal,
		detach:      o.detach,
		env:         o.env,
		user:        o.user,
		workdir:     o.workdir,
		privileged:  o.privileged,
	}
}

func runComposeExec(ctx context.Context, g *globalOptions, o composeExecOptions, service string, cmd []string) error {
	t, err := o.compose.target(ctx, []string{service})
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	ct, err := serviceContainer(ctx, c, t, service, o.index, false)
	c.Close()
	if err != nil {
		return err
	}
	return runExec(ctx, g, execOptionsFor(o, stdinIsTerminal()), ct.ID, cmd)
}
