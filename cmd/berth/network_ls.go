package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkLsOptions struct {
	quiet   bool
	noTrunc bool
	format  string
	filters []string
}

func newNetworkLsCommand(g *globalOptions) *cobra.Command {
	var opts networkLsOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetworkLs(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "only display network IDs")
	f.BoolVar(&opts.noTrunc, "no-trunc", false, "do not truncate the output")
	f.StringVar(&opts.format, "format", "", "output format: table, json or a Go template")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "filter output (KEY=VALUE, e.g. driver=bridge)")
	return cmd
}

func runNetworkLs(ctx context.Context, g *globalOptions, opts networkLsOptions) error {
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
	res, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: filters})
	if err != nil {
		return fmt.Errorf("list networks: %w", err)
	}
	return printNetworks(os.Stdout, p, res.Items, opts.quiet, !opts.noTrunc)
}

// networkRow is one network as docker's formatter presents it to --format.
type networkRow struct {
	CreatedAt string
	Driver    string
	ID        string
	IPv4      string
	IPv6      string
	Internal  string
	Labels    string
	Name      string
	Scope     string
}

func newNetworkRow(n network.Summary, trunc bool) networkRow {
	id := n.ID
	if trunc {
		id = shortID(id)
	}
	var labels []string
	for k, v := range n.Labels {
		labels = append(labels, k+"="+v)
	}
	sort.Strings(labels)
	return networkRow{
		CreatedAt: n.Created.String(),
		Driver:    n.Driver,
		ID:        id,
		IPv4:      strconv.FormatBool(n.EnableIPv4),
		IPv6:      strconv.FormatBool(n.EnableIPv6),
		Internal:  strconv.FormatBool(n.Internal),
		Labels:    strings.Join(labels, ","),
		Name:      n.Name,
		Scope:     n.Scope,
	}
}

// printNetworks prints networks sorted by name, as docker network ls does.
func printNetworks(w io.Writer, p *printer, items []network.Summary, quiet, trunc bool) error {
	items = append([]network.Summary(nil), items...)
	sort.SliceStable(items, func(i, j int) bool { return naturalLess(items[i].Name, items[j].Name) })
	if quiet {
		for _, n := range items {
			if _, err := fmt.Fprintln(w, newNetworkRow(n, trunc).ID); err != nil {
				return err
			}
		}
		return nil
	}
	if !p.isTable() {
		for _, n := range items {
			if err := p.row(w, newNetworkRow(n, trunc)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "NETWORK ID\tNAME\tDRIVER\tSCOPE")
	for _, n := range items {
		r := newNetworkRow(n, trunc)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Driver, r.Scope)
	}
	return tw.Flush()
}

// naturalLess orders strings with their digit runs compared as numbers, so net2 sorts
// before net10, as docker's sortorder.NaturalLess does.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			da, db := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			if da != db {
				return da < db // fewer leading zeros first
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}
