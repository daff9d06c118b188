package engine

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
	"syscall"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/moby/api/types/container"

	"berth/store"
	"berth/untar"
)

// Copying in and out of a container works on its root filesystem (the overlay mount of
// the image and the container's layer), mounted for the copy when the container is not
// running. Bind mounts, volumes, tmpfs and the /etc/hostname, hosts and resolv.conf files
// are mounted only inside the container's mount namespace, so the root does not show
// them: a copy at or below such a destination is refused rather than silently reading or
// writing the hidden directory beneath it.
//
// Paths are resolved twice over: securejoin gives them the container's meaning (an
// absolute symlink points inside the root), then every file operation goes through an
// os.Root, so a process in the container that swaps a directory for a symlink meanwhile
// still cannot make the daemon touch a file outside the root.

// noFollow keeps an open from following a symlink put in place since it was checked.
const noFollow = syscall.O_NOFOLLOW

// StatPath describes path inside container ref, as HEAD /containers/{id}/archive does.
func (e *Engine) StatPath(ref, p string) (container.PathStat, error) {
	var st container.PathStat
	err := e.withRoot(ref, p, func(root string) error {
		var err error
		st, err = statPath(root, p)
		return err
	})
	return st, err
}

// CopyFrom writes a tar of path inside container ref to w, after calling begin with its
// stat (so a server can send it as a header before the body).
func (e *Engine) CopyFrom(ref, p string, w io.Writer, begin func(container.PathStat)) error {
	return e.withRoot(ref, p, func(root string) error {
		st, err := statPath(root, p)
		if err != nil {
			return err
		}
		begin(st)
		return writeArchive(w, root, p)
	})
}

// CopyTo extracts the tar r into directory path inside container ref. With
// noOverwriteDirNonDir, an entry may not replace a directory with a file or the reverse.
func (e *Engine) CopyTo(ref, p string, r io.Reader, noOverwriteDirNonDir bool) error {
	return e.withRoot(ref, p, func(root string) error {
		if c, err := e.containers.Get(ref); err == nil && c.HostConfig != nil && c.HostConfig.ReadonlyRootfs {
			return fmt.Errorf("container %s has a read-only root filesystem: %w", c.Name, errdefs.ErrPermissionDenied)
		}
		return extractArchive(r, root, p, noOverwriteDirNonDir)
	})
}

// withRoot runs fn with the mounted root of container ref. The container's lock is held
// only to mount and to unmount: a copy to a slow client must not hold up a stop. While
// copies run, the root stays mounted (cleanupRuntime and Remove see e.copies).
func (e *Engine) withRoot(ref, p string, fn func(root string) error) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	unlock := e.lock(c.ID)
	if c, err = e.containers.Get(c.ID); err != nil {
		unlock()
		return err
	}
	if dst, ok := hiddenMount(c, p); ok {
		unlock()
		return fmt.Errorf("path %s of container %s is under the mount at %s, which berth cannot copy through (the mount exists only inside the container); use its host path, or copy with exec and tar: %w",
			p, c.Name, dst, errdefs.ErrNotImplemented)
	}
	root, err := e.images.Mount(c.ID, c.ImageID)
	if err != nil {
		unlock()
		return fmt.Errorf("mount root of %s: %w", c.Name, err)
	}
	e.mu.Lock()
	e.copies[c.ID]++
	e.mu.Unlock()
	unlock()

	err = fn(root)

	unlock = e.lock(c.ID)
	defer unlock()
	e.mu.Lock()
	e.copies[c.ID]--
	last := e.copies[c.ID] == 0
	if last {
		delete(e.copies, c.ID)
	}
	e.mu.Unlock()
	if cur, gerr := e.containers.Get(c.ID); last && gerr == nil {
		if s := cur.State.Status; s != container.StateRunning && s != container.StatePaused && s != container.StateRestarting {
			if uerr := e.images.Unmount(c.ID); uerr != nil {
				e.log.Warn("unmount root after copy", "container", c.ID[:12], "err", uerr)
			}
		}
	}
	return err
}

// copying reports whether a copy is using the container's root.
func (e *Engine) copying(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.copies[id] > 0
}

// hiddenMount returns the destination of the mount that covers p in the container, if any.
func hiddenMount(c *store.Container, p string) (string, bool) {
	dsts := []string{"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"}
	if hc := c.HostConfig; hc != nil {
		for _, b := range hc.Binds {
			if m, err := parseBind(b); err == nil {
				dsts = append(dsts, m.Destination)
			}
		}
		for _, m := range hc.Mounts {
			dsts = append(dsts, m.Target)
		}
		for dst := range hc.Tmpfs {
			dsts = append(dsts, dst)
		}
	}
	if c.Config != nil {
		for dst := range c.Config.Volumes {
			dsts = append(dsts, dst)
		}
	}
	clean := path.Clean("/" + p)
	for _, d := range dsts {
		d = path.Clean("/" + d)
		if d != "/" && (clean == d || strings.HasPrefix(clean, d+"/")) {
			return d, true
		}
	}
	return "", false
}

// resolve returns the path, relative to root, of container path p with every symlink
// but the last component's resolved inside root.
func resolve(root, p string) (string, error) {
	clean := path.Clean("/" + p)
	if clean == "/" {
		return ".", nil
	}
	if strings.HasSuffix(p, "/.") {
		return containedPath(root, clean) // the contents of a directory: follow it
	}
	dir, base := path.Split(clean)
	hostDir, err := securejoin.SecureJoin(root, dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	rel, err := filepath.Rel(root, filepath.Join(hostDir, base))
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("path %s escapes the container's root: %w", p, errdefs.ErrInvalidArgument)
	}
	return rel, nil
}

// statPath stats container path p under root without following a final symlink, whose
// target it reports in container terms.
func statPath(root, p string) (container.PathStat, error) {
	rel, err := resolve(root, p)
	if err != nil {
		return container.PathStat{}, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return container.PathStat{}, err
	}
	defer r.Close()
	fi, err := r.Lstat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return container.PathStat{}, fmt.Errorf("could not find the file %s in container: %w", p, errdefs.ErrNotFound)
		}
		return container.PathStat{}, fmt.Errorf("stat %s: %w", p, err)
	}
	name := path.Base(path.Clean("/" + p))
	st := container.PathStat{Name: name, Size: fi.Size(), Mode: fi.Mode(), Mtime: fi.ModTime()}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if full, err := securejoin.SecureJoin(root, p); err == nil {
			if t, err := filepath.Rel(root, full); err == nil {
				st.LinkTarget = path.Clean("/" + filepath.ToSlash(t))
			}
		}
	}
	return st, nil
}

// archivePrefix is the name the top of a copy of p gets in the tar: its base name, or
// "." for the contents of a directory ("dir/.") and for "/".
func archivePrefix(p string) string {
	if strings.HasSuffix(p, "/.") || p == "." {
		return "."
	}
	b := path.Base(path.Clean("/" + p))
	if b == "/" {
		return "."
	}
	return b
}

// writeArchive writes container path p under root to w as a tar whose names start with
// archivePrefix(p). Symlinks are archived as links; sockets are skipped.
func writeArchive(w io.Writer, root, p string) error {
	rel, err := resolve(root, p)
	if err != nil {
		return err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer r.Close()
	tw := tar.NewWriter(w)
	if err := addToArchive(tw, r, rel, archivePrefix(p)); err != nil {
		return err
	}
	return tw.Close()
}

func addToArchive(tw *tar.Writer, r *os.Root, rel, name string) error {
	fi, err := r.Lstat(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("could not find the file %s in container: %w", rel, errdefs.ErrNotFound)
		}
		return err
	}
	if fi.Mode()&fs.ModeSocket != 0 {
		return nil
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = r.Readlink(rel); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return fmt.Errorf("archive %s: %w", rel, err)
	}
	hdr.Name, hdr.Uname, hdr.Gname = name, "", "" // host user names mean nothing inside
	if fi.IsDir() {
		hdr.Name += "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	switch {
	case fi.Mode().IsRegular():
		f, err := r.OpenFile(rel, os.O_RDONLY|noFollow, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
			return fmt.Errorf("archive %s: %w", rel, err)
		}
	case fi.IsDir():
		d, err := r.Open(rel)
		if err != nil {
			return err
		}
		entries, err := d.ReadDir(-1)
		d.Close()
		if err != nil {
			return err
		}
		for _, de := range entries {
			if err := addToArchive(tw, r, filepath.Join(rel, de.Name()), path.Join(name, de.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// extractArchive extracts the tar r into the existing directory dst (a container path)
// under root with untar: no entry leaves dst by its name, links resolve as the container
// would see them, never out of root, and missing parent directories are made, as
// dockerd does. Devices and FIFOs are skipped.
func extractArchive(r io.Reader, root, dst string, noOverwriteDirNonDir bool) error {
	dstRel, err := containedPath(root, path.Clean("/"+dst))
	if err != nil {
		return err
	}
	fi, err := os.Lstat(filepath.Join(root, dstRel))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("could not find the file %s in container: %w", dst, errdefs.ErrNotFound)
		}
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("extraction point %s is not a directory: %w", dst, errdefs.ErrInvalidArgument)
	}
	return untar.Extract(context.Background(), r, root, dst, untar.Options{Owners: true, NoOverwriteDirNonDir: noOverwriteDirNonDir})
}

// containedPath resolves container path p (all symlinks included) to a path relative to root.
func containedPath(root, p string) (string, error) {
	host, err := securejoin.SecureJoin(root, p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	rel, err := filepath.Rel(root, host)
	if err != nil || (rel != "." && !filepath.IsLocal(rel)) {
		return "", fmt.Errorf("path %s escapes the container's root: %w", p, errdefs.ErrInvalidArgument)
	}
	return rel, nil
}
