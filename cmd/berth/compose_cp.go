package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"

	"berth/untar"
)

type composeCpOptions struct {
	compose    composeOptions
	archive    bool
	followLink bool
	index      int
}

func newComposeCpCommand(g *globalOptions) *cobra.Command {
	var o composeCpOptions
	cmd := &cobra.Command{
		Use:   "cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
		Short: "Copy files between a service's container and the local filesystem",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runComposeCp(cmd.Context(), g, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	o.compose.addFlags(f)
	f.BoolVarP(&o.archive, "archive", "a", false, "keep the files' owners (uid:gid)")
	f.BoolVarP(&o.followLink, "follow-link", "L", false, "follow a symlink given as the source")
	f.IntVar(&o.index, "index", 1, "replica of the service, from 1")
	return cmd
}

// splitCpArg splits SERVICE:PATH; a path that starts with / or . is local even with a colon.
func splitCpArg(arg string) (service, p string) {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return "", arg
	}
	if s, rest, ok := strings.Cut(arg, ":"); ok && s != "" && !strings.Contains(s, "/") {
		return s, rest
	}
	return "", arg
}

func runComposeCp(ctx context.Context, g *globalOptions, o composeCpOptions, src, dst string) error {
	srcSvc, srcPath := splitCpArg(src)
	dstSvc, dstPath := splitCpArg(dst)
	switch {
	case srcSvc != "" && dstSvc != "":
		return errors.New("copying between services is not supported; copy to the local filesystem first")
	case srcSvc == "" && dstSvc == "":
		return errors.New("one of the paths must name a service: SERVICE:PATH")
	}
	svc := srcSvc + dstSvc
	t, err := o.compose.target(ctx, []string{svc})
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	ct, err := serviceContainer(ctx, c, t, svc, o.index, true)
	if err != nil {
		return err
	}
	if srcSvc != "" {
		return copyFromService(ctx, c, ct.ID, srcPath, dstPath, o)
	}
	return copyToService(ctx, c, ct.ID, srcPath, dstPath, o)
}

func copyFromService(ctx context.Context, c *client.Client, id, src, dst string, o composeCpOptions) error {
	if o.followLink {
		if st, err := c.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: src}); err == nil && st.Stat.LinkTarget != "" {
			src = st.Stat.LinkTarget
		}
	}
	res, err := c.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: src})
	if err != nil {
		return err
	}
	defer res.Content.Close()
	if dst == "-" {
		_, err := io.Copy(os.Stdout, res.Content)
		return err
	}
	top := archiveTop(src)
	dir, rename, err := localDestination(dst, res.Stat.Mode.IsDir(), top)
	if err != nil {
		return err
	}
	return untarLocal(res.Content, dir, top, rename, o.archive)
}

// archiveTop is the top name of a copy of container path p, as the daemon names it.
func archiveTop(p string) string {
	if strings.HasSuffix(p, "/.") || p == "." {
		return "."
	}
	b := path.Base(path.Clean("/" + p))
	if b == "/" {
		return "."
	}
	return b
}

// localDestination decides where a copy lands, as docker cp does: into dst if it is a
// directory; otherwise as dst itself, in its parent directory, under its name.
func localDestination(dst string, srcIsDir bool, top string) (dir, rename string, err error) {
	fi, err := os.Stat(dst)
	switch {
	case err == nil && fi.IsDir():
		return dst, "", nil
	case err == nil && srcIsDir:
		return "", "", fmt.Errorf("cannot copy a directory to the file %s", dst)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", "", err
	case strings.HasSuffix(dst, "/") && !srcIsDir:
		return "", "", fmt.Errorf("destination directory %s does not exist", dst)
	}
	parent := filepath.Dir(filepath.Clean(dst))
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return "", "", fmt.Errorf("destination directory %s does not exist", parent)
	}
	if top == "." {
		if err := os.Mkdir(dst, 0o755); err != nil {
			return "", "", err
		}
		return dst, "", nil
	}
	return parent, filepath.Base(filepath.Clean(dst)), nil
}

// untarLocal extracts a tar from a container into dir: the copy of top (its first
// component, or "." for a directory's contents), renamed to rename when not "". The
// container is not trusted: untar lets no entry leave dir, even through links made by
// earlier entries, nor land beside top, nor replace a directory with a file, as docker
// cp does.
func untarLocal(r io.Reader, dir, top, rename string, keepOwner bool) error {
	return untar.Extract(context.Background(), r, dir, "/", untar.Options{Owners: keepOwner, Top: top, Rename: rename, NoOverwriteDirNonDir: true})
}

func copyToService(ctx context.Context, c *client.Client, id, src, dst string, o composeCpOptions) error {
	if src == "-" {
		_, err := c.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: dst, Content: os.Stdin})
		return err
	}
	if o.followLink {
		if p, err := filepath.EvalSymlinks(src); err == nil {
			src = p
		}
	}
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	dir, top := dst, localTop(src)
	st, err := c.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: dst})
	switch {
	case err == nil && st.Stat.Mode.IsDir():
	case err == nil && fi.IsDir():
		return fmt.Errorf("cannot copy a directory to the file %s", dst)
	case err != nil && !errdefs.IsNotFound(err):
		return err
	default:
		dir, top = path.Dir(path.Clean("/"+dst)), path.Base(path.Clean("/"+dst))
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarLocal(pw, src, top, o.archive)) }()
	_, err = c.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: dir, Content: pr})
	pr.Close()
	return err
}

// localTop is the name the top of a local copy of p gets: its base name, or "." for
// the contents of a directory ("dir/.").
func localTop(p string) string {
	if strings.HasSuffix(p, string(filepath.Separator)+".") || p == "." {
		return "."
	}
	return filepath.Base(p)
}

// tarLocal writes src as a tar whose top is named top. Without keepOwner the files go in
// owned by root, as docker cp does.
func tarLocal(w io.Writer, src, top string, keepOwner bool) error {
	tw := tar.NewWriter(w)
	err := filepath.Walk(src, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if fi.Mode()&(fs.ModeSocket|fs.ModeNamedPipe|fs.ModeDevice) != 0 {
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name, hdr.Uname, hdr.Gname = path.Join(top, filepath.ToSlash(rel)), "", ""
		if fi.IsDir() {
			hdr.Name += "/"
		}
		if !keepOwner {
			hdr.Uid, hdr.Gid = 0, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.CopyN(tw, f, hdr.Size)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
