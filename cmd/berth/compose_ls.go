package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"berth/api/stackapi"
)

type composeLsOptions struct {
	all    bool
	quiet  bool
	format string
}

func newComposeLsCommand(g *globalOptions) *cobra.Command {
	var o composeLsOptions
	cmd := &cobra.Command{
		Use:   "ls [OPTIONS]",
		Short: "List Compose stacks",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runComposeLs(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all", "a", false, "also show stopped stacks")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only show names")
	f.StringVar(&o.format, "format", "table", "table or json")
	return cmd
}

func runComposeLs(ctx context.Context, g *globalOptions, o composeLsOptions) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var list []stackapi.Summary
	err = getJSON(ctx, c, "/berth/stacks", &list)
	if err != nil {
		return err
	}
	var rows []stackapi.Summary
	for _, s := range list {
		if o.all || containsRunning(s.Status) {
			rows = append(rows, s)
		}
	}
	switch {
	case o.quiet:
		for _, s := range rows {
			fmt.Println(s.Name)
		}
	case o.format == "json":
		out := []map[string]string{}
		for _, s := range rows {
			out = append(out, map[string]string{"Name": s.Name, "Status": s.Status, "ConfigFiles": s.ConfigFiles})
		}
		return json.NewEncoder(os.Stdout).Encode(out)
	default:
		tw := newTable(os.Stdout)
		fmt.Fprintln(tw, "NAME\tSTATUS\tCONFIG FILES")
		for _, s := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.ConfigFiles)
		}
		return tw.Flush()
	}
	return nil
}

// containsRunning reports whether a stack's status has a running or paused container.
func containsRunning(status string) bool {
	return strings.Contains(status, "running(") || strings.Contains(status, "paused(")
}
