package main

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type createOptions struct {
	container containerOptions
}

func newCreateCommand(g *globalOptions) *cobra.Command {
	var opts createOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a container without starting it",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.container.noteSetFlags(cmd.Flags())
			return runCreate(cmd.Context(), g, opts, args[0], args[1:])
		},
	}
	addContainerFlags(cmd.Flags(), &opts.container)
	cmd.SetFlagErrorFunc(flagError125)
	return cmd
}

func runCreate(ctx context.Context, g *globalOptions, opts createOptions, image string, args []string) error {
	spec, err := opts.container.parse(image, args)
	if err != nil {
		return &exitError{code: 125, err: err}
	}
	if opts.container.interactive {
		spec.Config.AttachStdin = true
		spec.Config.StdinOnce = true
	}
	spec.Config.AttachStdout, spec.Config.AttachStderr = true, true
	c, err := g.connect(ctx)
	if err != nil {
		return &exitError{code: 125, err: err}
	}
	defer c.Close()
	id, err := createContainer(ctx, c, spec)
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

// createContainer creates the container of spec and prints the daemon's warnings. Its
// errors carry exit code 125, as docker's do.
func createContainer(ctx context.Context, c *client.Client, spec *containerSpec) (string, error) {
	res, err := c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:           spec.Config,
		HostConfig:       spec.HostConfig,
		NetworkingConfig: spec.NetworkingConfig,
		Name:             spec.Name,
	})
	if err != nil {
		// A missing network is "not found" too; blame the image only when it is missing.
		if errdefs.IsNotFound(err) && imageMissing(ctx, c, spec.Config.Image) {
			img := spec.Config.Image
			return "", &exitError{code: 125, err: fmt.Errorf("unable to find image %q locally; pull or load it first (berth image pull %s): %w", img, img, err)}
		}
		return "", &exitError{code: 125, err: fmt.Errorf("create container: %w", err)}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	return res.ID, nil
}

// imageMissing reports whether the daemon has no image named ref.
func imageMissing(ctx context.Context, c *client.Client, ref string) bool {
	_, err := c.ImageInspect(ctx, ref)
	return errdefs.IsNotFound(err)
}

// flagError125 is flagError with docker run's exit code for its own failures.
func flagError125(cmd *cobra.Command, err error) error {
	return &exitError{code: 125, err: flagError(cmd, err)}
}
