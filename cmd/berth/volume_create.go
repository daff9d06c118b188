package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type volumeCreateOptions struct {
	name       string
	driver     string
	driverOpts []string
	labels     []string
}

func newVolumeCreateCommand(g *globalOptions) *cobra.Command {
	var opts volumeCreateOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.name != "" {
					return errors.New("conflicting options: cannot specify a volume-name through both --name and as a positional arg")
				}
				opts.name = args[0]
			}
			return runVolumeCreate(cmd.Context(), g, opts)
		},
	}
	addVolumeCreateFlags(cmd.Flags(), &opts)
	return cmd
}

func addVolumeCreateFlags(f *pflag.FlagSet, opts *volumeCreateOptions) {
	f.StringVarP(&opts.driver, "driver", "d", "local", "volume driver name")
	f.StringVar(&opts.name, "name", "", "volume name")
	_ = f.MarkHidden("name")
	f.StringArrayVarP(&opts.driverOpts, "opt", "o", nil, "driver option (KEY=VALUE, e.g. type=tmpfs)")
	f.StringArrayVar(&opts.labels, "label", nil, "set a label on the volume (KEY=VALUE)")
}

// request checks the flags and builds the create request.
func (o volumeCreateOptions) request() (client.VolumeCreateOptions, error) {
	driverOpts, err := parseKeyValues("--opt", o.driverOpts, "KEY=VALUE, e.g. -o type=tmpfs", false)
	if err != nil {
		return client.VolumeCreateOptions{}, err
	}
	labels, err := parseKeyValues("--label", o.labels, "KEY=VALUE, e.g. team=web", true)
	if err != nil {
		return client.VolumeCreateOptions{}, err
	}
	return client.VolumeCreateOptions{Name: o.name, Driver: o.driver, DriverOpts: driverOpts, Labels: labels}, nil
}

// runVolumeCreate creates the volume and prints its name, as docker volume create does.
func runVolumeCreate(ctx context.Context, g *globalOptions, opts volumeCreateOptions) error {
	req, err := opts.request()
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.VolumeCreate(ctx, req)
	if err != nil {
		return err // the daemon's message names the volume
	}
	fmt.Println(res.Volume.Name)
	return nil
}

// maxArgs is cobra.MaximumNArgs with a message that names the command's usage.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return fmt.Errorf("%q requires at most %d argument(s)\nUsage: %s", cmd.CommandPath(), n, cmd.UseLine())
		}
		return nil
	}
}
