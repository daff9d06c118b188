package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type volumeLsOptions struct {
	quiet   bool
	format  string
	filters []string
}

func newVolumeLsCommand(g *globalOptions) *cobra.Command {
	var opts volumeLsOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVolumeLs(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "only display volume names")
	f.StringVar(&opts.format, "format", "", "output format: table, json or a Go template")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "filter output (KEY=VALUE, e.g. dangling=true)")
	return cmd
}

func runVolumeLs(ctx context.Context, g *globalOptions, opts volumeLsOptions) error {
	p, err := newPrinter(opts.format)
	if err != nil {
		return err
	}
	filters, err := parseFilters(opts.filters)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.VolumeList(ctx, client.VolumeListOptions{Filters: filters})
	if err != nil {
		return fmt.Errorf("list volumes: %w", err)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	return printVolumes(os.Stdout, p, res.Items, opts.quiet)
}

// volumeRow is one volume as docker's formatter presents it to --format.
type volumeRow struct {
	Availability string
	Driver       string
	Group        string
	Labels       string
	Links        string
	Mountpoint   string
	Name         string
	Scope        string
	Size         string
	Status       string
}

func newVolumeRow(v volume.Volume) volumeRow {
	labels := make([]string, 0, len(v.Labels))
	for k, val := range v.Labels {
		labels = append(labels, k+"="+val)
	}
	sort.Strings(labels)
	r := volumeRow{
		Availability: "N/A", Driver: v.Driver, Group: "N/A", Labels: strings.Join(labels, ","),
		Links: "N/A", Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: "N/A", Status: "N/A",
	}
	if v.UsageData != nil {
		r.Links = fmt.Sprint(v.UsageData.RefCount)
		r.Size = units.HumanSize(float64(v.UsageData.Size))
	}
	return r
}

// printVolumes prints volumes sorted by name, as docker volume ls does.
func printVolumes(w io.Writer, p *printer, items []volume.Volume, quiet bool) error {
	items = append([]volume.Volume(nil), items...)
	sort.SliceStable(items, func(i, j int) bool { return naturalLess(items[i].Name, items[j].Name) })
	if quiet {
		for _, v := range items {
			if _, err := fmt.Fprintln(w, v.Name); err != nil {
				return err
			}
		}
		return nil
	}
	if !p.isTable() {
		for _, v := range items {
			if err := p.row(w, newVolumeRow(v)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DRIVER\tVOLUME NAME")
	for _, v := range items {
		fmt.Fprintf(tw, "%s\t%s\n", v.Driver, v.Name)
	}
	return tw.Flush()
}
