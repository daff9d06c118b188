package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type psOptions struct {
	all     bool
	quiet   bool
	noTrunc bool
	format  string
	filters []string
}

func newPsCommand(g *globalOptions) *cobra.Command {
	var opts psOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"ps", "list"},
		Short:   "List containers",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPs(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "only show container IDs")
	f.BoolVar(&opts.noTrunc, "no-trunc", false, "do not truncate output")
	f.StringVar(&opts.format, "format", "", "output format: table, json or a Go template")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "filter output (KEY=VALUE, e.g. name=web)")
	return cmd
}

func runPs(ctx context.Context, g *globalOptions, opts psOptions) error {
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
	res, err := c.ContainerList(ctx, client.ContainerListOptions{All: opts.all, Filters: filters})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	return printContainers(os.Stdout, p, res.Items, opts.quiet, !opts.noTrunc, time.Now())
}

// parseFilters parses --filter KEY=VALUE flags.
func parseFilters(values []string) (client.Filters, error) {
	f := client.Filters{}
	for _, v := range values {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --filter %q: use KEY=VALUE, e.g. name=web", v)
		}
		f.Add(k, val)
	}
	return f, nil
}

// containerRow is one container as docker's formatter presents it to --format.
type containerRow struct {
	Command      string
	CreatedAt    string
	ID           string
	Image        string
	Labels       string
	LocalVolumes string
	Mounts       string
	Names        string
	Networks     string
	Ports        string
	RunningFor   string
	Size         string
	State        string
	Status       string
}

func newContainerRow(s container.Summary, trunc bool, now time.Time) containerRow {
	created := time.Unix(s.Created, 0)
	cmd := strings.ReplaceAll(s.Command, "\n", " ")
	id, img := s.ID, s.Image
	if trunc {
		cmd = ellipsis(cmd, 20)
		id = shortID(id)
		if strings.HasPrefix(img, "sha256:") {
			img = shortID(img)
		}
	}
	var labels []string
	for k, v := range s.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	var mounts []string
	for _, m := range s.Mounts {
		name := m.Name
		if name == "" {
			name = m.Source
		}
		if trunc {
			name = ellipsis(name, 15)
		}
		mounts = append(mounts, name)
	}
	var networks []string
	if s.NetworkSettings != nil {
		for n := range s.NetworkSettings.Networks {
			networks = append(networks, n)
		}
		sort.Strings(networks)
	}
	locals := 0
	for _, m := range s.Mounts {
		if m.Driver == "local" {
			locals++
		}
	}
	return containerRow{
		Command:      strconv.Quote(cmd),
		CreatedAt:    created.Format("2006-01-02 15:04:05 -0700 MST"),
		ID:           id,
		Image:        img,
		Labels:       strings.Join(labels, ","),
		LocalVolumes: strconv.Itoa(locals),
		Mounts:       strings.Join(mounts, ","),
		Names:        strings.Join(containerNames(s.Names), ","),
		Networks:     strings.Join(networks, ","),
		Ports:        formatPorts(s.Ports),
		RunningFor:   since(now, created),
		Size:         humanSize(s.SizeRw),
		State:        string(s.State),
		Status:       s.Status,
	}
}

// containerNames drops the leading slash and the link names ("/other/alias").
func containerNames(names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimPrefix(n, "/")
		if strings.Contains(n, "/") {
			continue
		}
		out = append(out, n)
	}
	return out
}

// formatPorts renders published ports as docker ps does: "0.0.0.0:8080->80/tcp, 443/tcp".
func formatPorts(ports []container.PortSummary) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range ports {
		var s string
		if p.PublicPort == 0 {
			s = fmt.Sprintf("%d/%s", p.PrivatePort, p.Type)
		} else {
			ip := ""
			if p.IP.IsValid() {
				ip = p.IP.String()
				if p.IP.Is6() {
					ip = "[" + ip + "]"
				}
				ip += ":"
			}
			s = fmt.Sprintf("%s%d->%d/%s", ip, p.PublicPort, p.PrivatePort, p.Type)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

func printContainers(w io.Writer, p *printer, items []container.Summary, quiet, trunc bool, now time.Time) error {
	if quiet {
		for _, s := range items {
			id := s.ID
			if trunc {
				id = shortID(id)
			}
			if _, err := fmt.Fprintln(w, id); err != nil {
				return err
			}
		}
		return nil
	}
	if !p.isTable() {
		for _, s := range items {
			if err := p.row(w, newContainerRow(s, trunc, now)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
	for _, s := range items {
		r := newContainerRow(s, trunc, now)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names)
	}
	return tw.Flush()
}
