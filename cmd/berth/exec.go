package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type execOptions struct {
	interactive bool
	tty         bool
	detach      bool
	env         []string
	envFiles    []string
	user        string
	workdir     string
	privileged  bool
}

func newExecCommand(g *globalOptions) *cobra.Command {
	var opts execOptions
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Args:  requireArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), g, opts, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&opts.interactive, "interactive", "i", false, "keep STDIN open even if not attached")
	f.BoolVarP(&opts.tty, "tty", "t", false, "allocate a pseudo-TTY")
	f.BoolVarP(&opts.detach, "detach", "d", false, "run the command in the background")
	f.StringArrayVarP(&opts.env, "env", "e", nil, "set an environment variable")
	f.StringArrayVar(&opts.envFiles, "env-file", nil, "read environment variables from a file")
	f.StringVarP(&opts.user, "user", "u", "", "user to run as (NAME|UID[:GROUP|GID])")
	f.StringVarP(&opts.workdir, "workdir", "w", "", "working directory inside the container")
	f.BoolVar(&opts.privileged, "privileged", false, "give extended privileges to the command")
	return cmd
}

// runExec runs cmd in container name and exits with its exit code, as docker exec does.
func runExec(ctx context.Context, g *globalOptions, opts execOptions, name string, cmd []string) error {
	env, err := parseEnv(opts.envFiles, opts.env)
	if err != nil {
		return err
	}
	stdin := opts.interactive && !opts.detach
	if stdin && opts.tty && !stdinIsTerminal() {
		return errors.New("the input device is not a TTY; drop -t, or run berth from a terminal")
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var size client.ConsoleSize
	if opts.tty {
		if h, w, ok := terminalSize(); ok {
			size = client.ConsoleSize{Height: h, Width: w}
		}
	}
	created, err := c.ExecCreate(ctx, name, client.ExecCreateOptions{
		User:         opts.user,
		Privileged:   opts.privileged,
		TTY:          opts.tty,
		ConsoleSize:  size,
		AttachStdin:  stdin,
		AttachStdout: !opts.detach,
		AttachStderr: !opts.detach,
		Env:          env,
		WorkingDir:   opts.workdir,
		Cmd:          cmd,
	})
	if err != nil {
		return fmt.Errorf("exec in container %s: %w", name, err)
	}
	id := created.ID
	if opts.detach {
		if _, err := c.ExecStart(ctx, id, client.ExecStartOptions{Detach: true, TTY: opts.tty, ConsoleSize: size}); err != nil {
			return fmt.Errorf("start exec in container %s: %w", name, err)
		}
		return nil
	}
	att, err := c.ExecAttach(ctx, id, client.ExecAttachOptions{TTY: opts.tty, ConsoleSize: size})
	if err != nil {
		return fmt.Errorf("start exec in container %s: %w", name, err)
	}
	resp := att.HijackedResponse
	defer resp.Close()
	if stdin && opts.tty {
		restore, err := rawTerminal()
		if err != nil {
			return err
		}
		defer restore()
	}
	if opts.tty {
		stop := watchResize(ctx, func(ctx context.Context, h, w uint) error {
			_, err := c.ExecResize(ctx, id, client.ExecResizeOptions{Height: h, Width: w})
			return err
		})
		defer stop()
	}
	if err := pumpStreams(ctx, &resp, stdin, opts.tty); err != nil {
		return err
	}
	res, err := c.ExecInspect(ctx, id, client.ExecInspectOptions{})
	if err != nil {
		return fmt.Errorf("exit code of exec in container %s: %w", name, err)
	}
	if res.ExitCode != 0 {
		return &exitError{code: res.ExitCode}
	}
	return nil
}
