package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type imageSaveOptions struct {
	output string
}

func newImageSaveCommand(g *globalOptions) *cobra.Command {
	var opts imageSaveOptions
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  requireArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImageSave(cmd.Context(), g, opts, args)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write to a file instead of STDOUT")
	return cmd
}

// runImageSave writes the archive to a temporary file beside -o and renames it into
// place, so a failed save never leaves a truncated archive under the asked name.
func runImageSave(ctx context.Context, g *globalOptions, opts imageSaveOptions, names []string) error {
	if opts.output == "" && term.IsTerminal(int(os.Stdout.Fd())) {
		return errors.New("refusing to write an archive to a terminal; use -o FILE or redirect stdout")
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ImageSave(ctx, names)
	if err != nil {
		return fmt.Errorf("save images: %w", err)
	}
	defer res.Close()
	if opts.output == "" {
		if _, err := io.Copy(os.Stdout, res); err != nil {
			return fmt.Errorf("save images: %w", err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(opts.output), "."+filepath.Base(opts.output)+".*")
	if err != nil {
		return fmt.Errorf("save images: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, res)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), opts.output)
	}
	if err != nil {
		return fmt.Errorf("save images to %s: %w", opts.output, err)
	}
	return nil
}
