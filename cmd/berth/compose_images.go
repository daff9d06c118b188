package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

type composeImagesOptions struct {
	compose composeOptions
	quiet   bool
}

func newComposeImagesCommand(g *globalOptions) *cobra.Command {
	var o composeImagesOptions
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [SERVICE...]",
		Short: "List the images a Compose stack's containers use",
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeImages(cmd.Context(), g, o, args)
		},
	}
	o.compose.addFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "only show image IDs")
	return cmd
}

// composeImageRow is one line of berth images.
type composeImageRow struct {
	container, repository, tag, id string
	size                           int64
}

func runComposeImages(ctx context.Context, g *globalOptions, o composeImagesOptions, services []string) error {
	t, err := o.compose.target(ctx, services)
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	list, err := serviceContainers(ctx, c, t, services, true, false)
	if err != nil {
		return err
	}
	var rows []composeImageRow
	for _, ct := range list {
		res, err := c.ImageInspect(ctx, ct.ImageID)
		if err != nil {
			return fmt.Errorf("image of %s: %w", summaryName(ct), err)
		}
		repo, tag := splitRepoTag(ct.Image)
		rows = append(rows, composeImageRow{container: summaryName(ct), repository: repo, tag: tag, id: ct.ImageID, size: res.Size})
	}
	return printComposeImages(os.Stdout, rows, o.quiet)
}

func printComposeImages(w io.Writer, rows []composeImageRow, quiet bool) error {
	if quiet {
		seen := map[string]bool{}
		for _, r := range rows {
			if !seen[r.id] {
				fmt.Fprintln(w, r.id)
			}
			seen[r.id] = true
		}
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "CONTAINER\tREPOSITORY\tTAG\tIMAGE ID\tSIZE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.container, r.repository, r.tag, shortID(r.id), humanSize(r.size))
	}
	return tw.Flush()
}

// splitRepoTag splits "repo[:tag][@digest]" as docker prints it; the tag is "latest"
// when none is given and "<none>" for a digest.
func splitRepoTag(ref string) (repo, tag string) {
	if r, _, ok := strings.Cut(ref, "@"); ok {
		return r, "<none>"
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}
