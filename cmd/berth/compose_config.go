package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"berth/compose/helperapi"
)

type configOptions struct {
	compose  composeOptions
	format   string
	output   string
	quiet    bool
	services bool
	volumes  bool
	networks bool
	profiles bool
	images   bool
}

func newConfigCommand() *cobra.Command {
	var opts configOptions
	cmd := &cobra.Command{
		Use:   "config [OPTIONS] [SERVICE...]",
		Short: "Parse, resolve and render the compose file in canonical format",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.compose.stdin, opts.compose.stderr = cmd.InOrStdin(), cmd.ErrOrStderr()
			return runConfig(cmd.Context(), cmd.OutOrStdout(), opts, args)
		},
	}
	opts.compose.addFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&opts.format, "format", "yaml", "output format: yaml or json")
	f.StringVarP(&opts.output, "output", "o", "", "save to this file instead of printing")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "only validate the configuration, print nothing")
	f.BoolVar(&opts.services, "services", false, "print the service names, one per line")
	f.BoolVar(&opts.volumes, "volumes", false, "print the volume names, one per line")
	f.BoolVar(&opts.networks, "networks", false, "print the network names, one per line")
	f.BoolVar(&opts.profiles, "profiles", false, "print the profile names, one per line")
	f.BoolVar(&opts.images, "images", false, "print the image names, one per line")
	f.BoolVar(&opts.compose.noInterpolate, "no-interpolate", false, "do not interpolate environment variables")
	return cmd
}

func runConfig(ctx context.Context, stdout io.Writer, opts configOptions, services []string) error {
	o, err := opts.compose.request(ctx, services)
	if err != nil {
		return err
	}
	req := helperapi.ConfigRequest{Options: o, Services: services, Format: opts.format, Output: opts.output, Quiet: opts.quiet}
	for _, l := range []struct {
		on   bool
		name string
	}{{opts.profiles, "profiles"}, {opts.services, "services"}, {opts.volumes, "volumes"}, {opts.networks, "networks"}, {opts.images, "images"}} {
		if l.on && req.List == "" {
			req.List = l.name
		}
	}
	stdin, stderr := opts.compose.streams()
	_, err = callCompose(ctx, "config", req, stdin, stdout, stderr)
	return err
}
