package main

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
)

type imageImportOptions struct {
	changes []string
	message string
}

func newImageImportCommand(g *globalOptions) *cobra.Command {
	var opts imageImportOptions
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|DIR|URL|- [REPOSITORY[:TAG]]",
		Short: "Create an image from a tarball, a directory or a URL",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return fmt.Errorf("%q requires 1 or 2 arguments\nUsage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := ""
			if len(args) == 2 {
				ref = args[1]
			}
			return runImageImport(cmd.Context(), g, opts, args[0], ref)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&opts.changes, "change", "c", nil, `apply a Dockerfile instruction to the image, e.g. 'CMD ["sh"]'`)
	f.StringVarP(&opts.message, "message", "m", "", "set the commit message of the image")
	return cmd
}

func runImageImport(ctx context.Context, g *globalOptions, opts imageImportOptions, source, ref string) error {
	src := client.ImageImportSource{SourceName: "-"}
	var tarErr chan error
	switch {
	case source == "-":
		src.Source = os.Stdin
	case isURL(source):
		src.SourceName = source
	default:
		fi, err := os.Stat(source)
		if err != nil {
			return fmt.Errorf("import %s: %w", source, err)
		}
		if fi.IsDir() {
			pr, pw := io.Pipe()
			tarErr = make(chan error, 1)
			go func() {
				err := writeTar(pw, source)
				pw.CloseWithError(err)
				tarErr <- err
			}()
			defer pr.Close()
			src.Source = pr
		} else {
			f, err := os.Open(source)
			if err != nil {
				return fmt.Errorf("import %s: %w", source, err)
			}
			defer f.Close()
			src.Source = f
		}
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.ImageImport(ctx, src, ref, client.ImageImportOptions{Changes: opts.changes, Message: opts.message})
	if err == nil {
		defer res.Close()
		err = displayStream(res, os.Stdout)
	}
	if tarErr != nil {
		if pr, ok := src.Source.(*io.PipeReader); ok {
			pr.Close() // unblocks the tar writer if the daemon stopped reading
		}
		if terr := <-tarErr; terr != nil && err == nil {
			err = terr
		}
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", source, err)
	}
	return nil
}

func isURL(s string) bool {
	for _, p := range []string{"http://", "https://"} {
		if len(s) > len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// writeTar writes the tree under dir to w as a tar stream whose paths are relative to
// dir, keeping modes, owners, symlinks and hard links.
func writeTar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	links := map[inode]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil // sockets cannot be archived
		}
		target := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if target, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, target)
		if err != nil {
			return fmt.Errorf("archive %s: %w", path, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			key := inode{uint64(st.Dev), st.Ino}
			if first, seen := links[key]; seen {
				hdr.Typeflag = tar.TypeLink
				hdr.Linkname = first
				hdr.Size = 0
			} else {
				links[key] = hdr.Name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("archive %s: %w", path, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("archive %s: %w", path, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
