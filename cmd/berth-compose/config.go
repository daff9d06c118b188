package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"berth/compose"
	"berth/compose/helperapi"
	"berth/graph"
)

// config prints the project of r.Options as berth config does.
func config(ctx context.Context, r helperapi.ConfigRequest, stdin io.Reader, stdout io.Writer) (helperapi.Response, error) {
	if r.Format != "yaml" && r.Format != "json" {
		return helperapi.Response{}, fmt.Errorf("--format %q: use yaml or json", r.Format)
	}
	p, ws, err := compose.Load(ctx, options(r.Options, stdin))
	if err != nil {
		return helperapi.Response{}, err
	}
	resp := helperapi.Response{Warnings: warnings(ws)}
	return resp, render(p, r, stdout)
}

func render(p *types.Project, r helperapi.ConfigRequest, stdout io.Writer) error {
	services := r.Services
	if r.Quiet {
		return nil
	}
	var err error
	if r.List == "profiles" {
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
	switch r.List {
	case "services":
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
	case "volumes":
		return printLines(stdout, slices.Sorted(maps.Keys(p.Volumes)))
	case "networks":
		return printLines(stdout, slices.Sorted(maps.Keys(p.Networks)))
	case "images":
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
	if r.Format == "json" {
		out, err = p.MarshalJSON()
	} else {
		out, err = p.MarshalYAML()
	}
	if err != nil {
		return fmt.Errorf("render project: %w", err)
	}
	if r.Output != "" {
		return os.WriteFile(r.Output, out, 0o644)
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
