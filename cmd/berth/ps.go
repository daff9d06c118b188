package main

import (
	"context"
	"fmt"
	"io"
	"net"
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

// formatPorts renders ports as docker ps does (DisplayablePorts): consecutive ports that
// are not published, or published on the same number, fold into ranges such as
// "0.0.0.0:8000-8001->8000-8001/tcp" or "80-81/tcp"; ports published on another number
// come last, one by one: "0.0.0.0:8080->80/tcp".
func formatPorts(ports []container.PortSummary) string {
	type group struct{ first, last uint16 }
	sorted := append([]container.PortSummary(nil), ports...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.PrivatePort != b.PrivatePort {
			return a.PrivatePort < b.PrivatePort
		}
		if a.IP != b.IP {
			return ipString(a) < ipString(b)
		}
		if a.PublicPort != b.PublicPort {
			return a.PublicPort < b.PublicPort
		}
		return a.Type < b.Type
	})
	groups := map[string]*group{}
	var keys, result, mappings []string
	for _, p := range sorted {
		cur := p.PrivatePort
		ip := ipString(p)
		key := "/" + p.Type
		if ip != "" {
			if p.PublicPort != cur {
				mappings = append(mappings, fmt.Sprintf("%s->%d/%s", net.JoinHostPort(ip, strconv.Itoa(int(p.PublicPort))), cur, p.Type))
				continue
			}
			key = ip + "/" + p.Type
		}
		g := groups[key]
		if g == nil {
			groups[key] = &group{cur, cur}
			keys = append(keys, key)
			continue
		}
		if cur == g.last+1 {
			g.last = cur
			continue
		}
		result = append(result, formatPortGroup(key, g.first, g.last))
		groups[key] = &group{cur, cur}
	}
	for _, k := range keys {
		g := groups[k]
		result = append(result, formatPortGroup(k, g.first, g.last))
	}
	return strings.Join(append(result, mappings...), ", ")
}

// ipString is the host address of p, "" when the port is not published.
func ipString(p container.PortSummary) string {
	if !p.IP.IsValid() {
		return ""
	}
	return p.IP.String()
}

// formatPortGroup renders a run of ports keyed by "IP/PROTO" ("/PROTO" when unpublished).
func formatPortGroup(key string, first, last uint16) string {
	i := strings.LastIndex(key, "/")
	ip, proto := key[:i], key[i+1:]
	g := strconv.Itoa(int(first))
	if first != last {
		g = fmt.Sprintf("%s-%d", g, last)
	}
	if ip != "" {
		g = fmt.Sprintf("%s->%s", net.JoinHostPort(ip, g), g)
	}
	return g + "/" + proto
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
