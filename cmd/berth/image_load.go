package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type imageLoadOptions struct {
	input string
	quiet bool
}

func newImageLoadCommand(g *globalOptions) *cobra.Command {
	var opts imageLoadOptions
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImageLoad(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.input, "input", "i", "", "read from a tar archive file instead of STDIN")
	f.BoolVarP(&opts.quiet, "quiet", "q", false, "suppress the load output")
	return cmd
}

func runImageLoad(ctx context.Context, g *globalOptions, opts imageLoadOptions) error {
	var in io.Reader = os.Stdin
	if opts.input != "" {
		f, err := os.Open(opts.input)
		if err != nil {
			return fmt.Errorf("load image: %w", err)
		}
		defer f.Close()
		in = f
	} else if term.IsTerminal(int(os.Stdin.Fd())) {
		return errors.New("requested load from stdin, but stdin is a terminal; use -i FILE or redirect stdin")
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ImageLoad(ctx, in, client.ImageLoadWithQuiet(opts.quiet))
	if err != nil {
		return fmt.Errorf("load image: %w", err)
	}
	defer res.Close()
	return displayStream(res, os.Stdout)
}
