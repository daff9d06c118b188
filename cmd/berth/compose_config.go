package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"berth/graph"
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
	if opts.format != "yaml" && opts.format != "json" {
		return fmt.Errorf("--format %q: use yaml or json", opts.format)
	}
	p, err := opts.compose.load(ctx, services)
	if err != nil {
		return err
	}
	if opts.quiet {
		return nil
	}
	if opts.profiles {
		// every profile the files declare, enabled or not
		var names []string
		for _, s := range p.AllServices() {
			for _, pr := range s.Profiles {
				if !slices.Contains(names, pr) {
					names = append(names, pr)
				}
			}
		}
		slices.Sort(names)
		return printLines(stdout, names)
	}
	if len(services) > 0 {
		if p, err = p.WithSelectedServices(services); err != nil {
			return err
		}
	}
	switch {
	case opts.services:
		// Dependencies first, ties by name, so the order is the same on every run.
		g := graph.New[string]()
		for name, svc := range p.Services {
			g.Add(name, slices.Collect(maps.Keys(svc.DependsOn))...)
		}
		names, err := g.Order()
		if err != nil {
			return err
		}
		names = slices.DeleteFunc(names, func(n string) bool { _, ok := p.Services[n]; return !ok })
		return printLines(stdout, names)
	case opts.volumes:
		return printLines(stdout, slices.Sorted(maps.Keys(p.Volumes)))
	case opts.networks:
		return printLines(stdout, slices.Sorted(maps.Keys(p.Networks)))
	case opts.images:
		var names []string
		for _, name := range p.ServiceNames() {
			img := p.Services[name].Image
			if img == "" {
				img = p.Name + "-" + name // the name Compose gives a built image
			}
			names = append(names, img)
		}
		return printLines(stdout, names)
	}
	var out []byte
	if opts.format == "json" {
		out, err = p.MarshalJSON()
	} else {
		out, err = p.MarshalYAML()
	}
	if err != nil {
		return fmt.Errorf("render project: %w", err)
	}
	if opts.output != "" {
		return os.WriteFile(opts.output, out, 0o644)
	}
	_, err = stdout.Write(out)
	return err
}

func printLines(w io.Writer, lines []string) error {
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
