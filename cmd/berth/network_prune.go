package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type networkPruneOptions struct {
	force   bool
	filters []string
}

const networkPruneWarning = "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] "

func newNetworkPruneCommand(g *globalOptions) *cobra.Command {
	var opts networkPruneOptions
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all unused networks",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runNetworkPrune(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.force, "force", "f", false, "do not prompt for confirmation")
	f.StringArrayVar(&opts.filters, "filter", nil, "provide filter values (e.g. until=24h or label=team=web)")
	return cmd
}

func runNetworkPrune(ctx context.Context, g *globalOptions, opts networkPruneOptions) error {
	filters, err := parseFilters(opts.filters)
	if err != nil {
		return err
	}
	if !opts.force && !confirm(os.Stdin, os.Stdout, networkPruneWarning) {
		return nil
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.NetworkPrune(ctx, client.NetworkPruneOptions{Filters: filters})
	if err != nil {
		return fmt.Errorf("prune networks: %w", err)
	}
	if out := pruneReport(res.Report.NetworksDeleted); out != "" {
		fmt.Println(out)
	}
	return nil
}

// pruneReport is docker's "Deleted Networks:" list, or "" when nothing went.
func pruneReport(deleted []string) string {
	if len(deleted) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Deleted Networks:\n")
	for _, n := range deleted {
		b.WriteString(n + "\n")
	}
	return b.String()
}

// confirm prints question and reports whether the answer is y or Y; anything else,
// including end of input, is no.
func confirm(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprint(out, question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y")
}
