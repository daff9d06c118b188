package main

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type runOptions struct {
	container containerOptions
	detach    bool
}

func newRunCommand(g *globalOptions) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a container",
		Args: func(cmd *cobra.Command, args []string) error {
			if err := requireArgs(1)(cmd, args); err != nil {
				return &exitError{code: 125, err: err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.container.noteSetFlags(cmd.Flags())
			return runRun(cmd.Context(), g, opts, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	addContainerFlags(f, &opts.container)
	f.BoolVarP(&opts.detach, "detach", "d", false, "run in the background and print the container ID")
	cmd.SetFlagErrorFunc(flagError125)
	return cmd
}

// runRun does what docker run does over the API: create; unless detached, attach and
// register a wait before starting, so no output and no exit is missed; then start, copy
// the streams and exit with the container's code.
func runRun(ctx context.Context, g *globalOptions, opts runOptions, image string, args []string) error {
	o := opts.container
	spec, err := o.parse(image, args)
	if err != nil {
		return &exitError{code: 125, err: err}
	}
	if !opts.detach {
		spec.Config.AttachStdin = o.interactive
		spec.Config.StdinOnce = o.interactive
		spec.Config.AttachStdout, spec.Config.AttachStderr = true, true
		if o.tty {
			if h, w, ok := terminalSize(); ok {
				spec.HostConfig.ConsoleSize = [2]uint{h, w}
			}
		}
		if o.interactive && o.tty && !stdinIsTerminal() {
			return &exitError{code: 125, err: fmt.Errorf("the input device is not a TTY; drop -t, or run berth from a terminal")}
		}
	}
	c, err := g.connect(ctx)
	if err != nil {
		return &exitError{code: 125, err: err}
	}
	defer c.Close()
	id, err := createContainer(ctx, c, spec)
	if err != nil {
		return err
	}
	start := func(ctx context.Context) error {
		if _, err := c.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			return fmt.Errorf("start container %s: %w", shortID(id), err)
		}
		return nil
	}
	if opts.detach {
		if err := start(ctx); err != nil {
			return &exitError{code: startFailureCode(err), err: err}
		}
		fmt.Println(id)
		return nil
	}
	code, err := attachAndStart(ctx, c, id, o.interactive, o.tty, o.autoRemove, start)
	if err != nil {
		return &exitError{code: code, err: err}
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}
