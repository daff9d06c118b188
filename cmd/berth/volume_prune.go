package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/docker/go-units"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type volumePruneOptions struct {
	all     bool
	force   bool
	filters []string
}

const (
	volumePruneWarning    = "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
	volumePruneAllWarning = "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
)

func newVolumePruneCommand(g *globalOptions) *cobra.Command {
	var opts volumePruneOptions
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused local volumes",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVolumePrune(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.all, "all", "a", false, "remove all unused volumes, not just anonymous ones")
	f.BoolVarP(&opts.force, "force", "f", false, "do not prompt for confirmation")
	f.StringArrayVar(&opts.filters, "filter", nil, "provide filter values (e.g. label=team=web)")
	return cmd
}

// request checks the flags and returns the prune request and the question to ask.
func (o volumePruneOptions) request() (client.VolumePruneOptions, string, error) {
	filters, err := parseFilters(o.filters)
	if err != nil {
		return client.VolumePruneOptions{}, "", err
	}
	warning := volumePruneWarning
	if o.all {
		if _, ok := filters["all"]; ok {
			return client.VolumePruneOptions{}, "", errors.New("conflicting options: cannot specify both --all and --filter all=1")
		}
		filters.Add("all", "true")
		warning = volumePruneAllWarning
	}
	return client.VolumePruneOptions{Filters: filters}, warning, nil
}

func runVolumePrune(ctx context.Context, g *globalOptions, opts volumePruneOptions) error {
	req, warning, err := opts.request()
	if err != nil {
		return err
	}
	if !opts.force && !confirm(os.Stdin, os.Stdout, warning) {
		return nil
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.VolumePrune(ctx, req)
	if err != nil {
		return fmt.Errorf("prune volumes: %w", err)
	}
	fmt.Print(volumePruneReport(res.Report.VolumesDeleted, res.Report.SpaceReclaimed))
	return nil
}

// volumePruneReport is docker's "Deleted Volumes:" list, if any, and the space reclaimed.
func volumePruneReport(deleted []string, reclaimed uint64) string {
	var b strings.Builder
	if len(deleted) > 0 {
		b.WriteString("Deleted Volumes:\n")
		for _, n := range deleted {
			b.WriteString(n + "\n")
		}
		b.WriteString("\n")
	} else {
		reclaimed = 0
	}
	fmt.Fprintf(&b, "Total reclaimed space: %s\n", units.HumanSize(float64(reclaimed)))
	return b.String()
}
