package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type imageLsOptions struct {
	all     bool
	quiet   bool
	noTrunc bool
	format  string
	filters []string
}

func newImageLsCommand(g *globalOptions) *cobra.Command {
	var opts imageLsOptions
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS] [REPOSITORY[:TAG]]",
		Aliases: []string{"list", "images"},
		Short:   "List images",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.filters = append(opts.filters, "reference="+args[0])
			}
			return runImageLs(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.all, "all", "a", false, "show all images")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "only show image IDs")
	f.BoolVar(&opts.noTrunc, "no-trunc", false, "do not truncate output")
	f.StringVar(&opts.format, "format", "", "output format: table, json or a Go template")
	f.StringArrayVarP(&opts.filters, "filter", "f", nil, "filter output (KEY=VALUE, e.g. reference=alpine)")
	return cmd
}

func runImageLs(ctx context.Context, g *globalOptions, opts imageLsOptions) error {
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
	res, err := c.ImageList(ctx, client.ImageListOptions{All: opts.all, Filters: filters})
	if err != nil {
		return fmt.Errorf("list images: %w", err)
	}
	return printImages(os.Stdout, p, res.Items, opts.quiet, !opts.noTrunc, time.Now())
}

// imageRow is one repository:tag of an image as docker's formatter presents it.
type imageRow struct {
	Containers   string
	CreatedAt    string
	CreatedSince string
	Digest       string
	ID           string
	Repository   string
	SharedSize   string
	Size         string
	Tag          string
	UniqueSize   string
	VirtualSize  string
}

// imageRows expands an image into one row per tag ("<none>" when untagged).
func imageRows(s image.Summary, trunc bool, now time.Time) []imageRow {
	created := time.Unix(s.Created, 0)
	id := s.ID
	if trunc {
		id = shortID(id)
	}
	base := imageRow{
		Containers:   "N/A",
		CreatedAt:    created.Format("2006-01-02 15:04:05 -0700 MST"),
		CreatedSince: since(now, created),
		Digest:       "<none>",
		ID:           id,
		SharedSize:   "N/A",
		Size:         humanSize(s.Size),
		UniqueSize:   "N/A",
		VirtualSize:  humanSize(s.Size),
	}
	if s.Containers >= 0 {
		base.Containers = fmt.Sprint(s.Containers)
	}
	if len(s.RepoDigests) > 0 {
		if _, d, ok := strings.Cut(s.RepoDigests[0], "@"); ok {
			base.Digest = d
		}
	}
	if len(s.RepoTags) == 0 {
		r := base
		r.Repository, r.Tag = "<none>", "<none>"
		if len(s.RepoDigests) > 0 {
			r.Repository, _, _ = strings.Cut(s.RepoDigests[0], "@")
		}
		return []imageRow{r}
	}
	var rows []imageRow
	for _, rt := range s.RepoTags {
		r := base
		i := strings.LastIndex(rt, ":")
		if i < 0 || strings.Contains(rt[i:], "/") {
			r.Repository, r.Tag = rt, "<none>"
		} else {
			r.Repository, r.Tag = rt[:i], rt[i+1:]
		}
		rows = append(rows, r)
	}
	return rows
}

func printImages(w io.Writer, p *printer, items []image.Summary, quiet, trunc bool, now time.Time) error {
	if quiet {
		seen := map[string]bool{}
		for _, s := range items {
			id := s.ID
			if trunc {
				id = shortID(id)
			}
			if !seen[id] {
				seen[id] = true
				if _, err := fmt.Fprintln(w, id); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if !p.isTable() {
		for _, s := range items {
			for _, r := range imageRows(s, trunc, now) {
				if err := p.row(w, r); err != nil {
					return err
				}
			}
		}
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	for _, s := range items {
		for _, r := range imageRows(s, trunc, now) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size)
		}
	}
	return tw.Flush()
}
