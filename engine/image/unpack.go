package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// decompress returns r uncompressed, detecting gzip and zstd by their magic
// numbers; anything else is passed through.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// unpacker extracts one layer tar into a directory, converting OCI whiteouts
// to overlayfs ones. The directory is private to the unpacker (under tmp/),
// so nothing else changes it while it runs.
type unpacker struct {
	root   string
	isRoot bool
	dirs   []dirTimes
}

type dirTimes struct {
	path         string
	atime, mtime time.Time
}

// unpack extracts the uncompressed tar stream r into dest, which must exist.
func unpack(r io.Reader, dest string) error {
	u := &unpacker{root: dest, isRoot: os.Geteuid() == 0}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return errorf(errdefs.ErrInvalidArgument, "layer is truncated or corrupt: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("unpack %s: %w", hdr.Name, err)
		}
	}
	// Directory times last: creating entries inside a directory changes them.
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		if err := setTimes(d.path, d.atime, d.mtime); err != nil {
			return err
		}
	}
	return nil
}

// cleanName turns a tar entry name into a clean relative path, rejecting
// names that climb out of the layer.
func cleanName(n string) (string, error) {
	c := path.Clean(strings.TrimPrefix(n, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errorf(errdefs.ErrInvalidArgument, "path %q escapes the layer", n)
	}
	return c, nil
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		return nil // the layer root itself; overlay takes the root from upper
	}
	parent, err := securejoin.SecureJoin(u.root, path.Dir(rel))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	base := path.Base(rel)
	if base == opaqueMarker {
		if !u.isRoot {
			return fmt.Errorf("opaque directory marker needs root (trusted.overlay.opaque xattr)")
		}
		return unix.Setxattr(parent, "trusted.overlay.opaque", []byte("y"), 0)
	}
	if wh, ok := strings.CutPrefix(base, whiteoutPrefix); ok {
		if !u.isRoot {
			return fmt.Errorf("whiteout needs root (a 0/0 character device)")
		}
		target := filepath.Join(parent, wh)
		if err := os.RemoveAll(target); err != nil {
			return err
		}
		if err := unix.Mknod(target, unix.S_IFCHR, 0); err != nil {
			return fmt.Errorf("create whiteout %s: %w", wh, err)
		}
		return u.chown(target, hdr)
	}
	target := filepath.Join(parent, base)

	// A later entry replaces an earlier one, except directory over directory.
	if fi, err := os.Lstat(target); err == nil {
		if !(fi.IsDir() && hdr.Typeflag == tar.TypeDir) {
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
	}

	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(target, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	case tar.TypeReg, tar.TypeRegA:
		f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := os.Symlink(hdr.Linkname, target); err != nil {
			return err
		}
	case tar.TypeLink:
		lrel, err := cleanName(hdr.Linkname)
		if err != nil {
			return err
		}
		lparent, err := securejoin.SecureJoin(u.root, path.Dir(lrel))
		if err != nil {
			return err
		}
		// link(2) does not follow a symlink in the old path: a hard link
		// to a symlink links the symlink, which stays inside the layer.
		if err := os.Link(filepath.Join(lparent, path.Base(lrel)), target); err != nil {
			return err
		}
		return nil // the inode's metadata came with its first entry
	case tar.TypeFifo:
		if err := unix.Mkfifo(target, uint32(hdr.Mode&0o7777)); err != nil {
			return err
		}
	case tar.TypeChar, tar.TypeBlock:
		if !u.isRoot {
			return nil // devices need root; rootless stores skip them, as Docker does
		}
		mode := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			mode = unix.S_IFBLK
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknod(target, mode|uint32(hdr.Mode&0o7777), int(dev)); err != nil {
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return errorf(errdefs.ErrInvalidArgument, "unsupported tar entry type %q", hdr.Typeflag)
	}
	return u.meta(target, hdr)
}

// chown applies the owner; it must precede chmod, which chown would undo for
// setuid and setgid bits.
func (u *unpacker) chown(target string, hdr *tar.Header) error {
	if !u.isRoot {
		return nil
	}
	return unix.Lchown(target, hdr.Uid, hdr.Gid)
}

func (u *unpacker) meta(target string, hdr *tar.Header) error {
	if err := u.chown(target, hdr); err != nil {
		return err
	}
	if u.isRoot {
		for k, v := range hdr.PAXRecords {
			if x, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
				if err := unix.Lsetxattr(target, x, []byte(v), 0); err != nil {
					return fmt.Errorf("set xattr %s: %w", x, err)
				}
			}
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := unix.Chmod(target, uint32(hdr.Mode&0o7777)); err != nil {
			return err
		}
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	if hdr.Typeflag == tar.TypeDir {
		u.dirs = append(u.dirs, dirTimes{target, atime, hdr.ModTime})
		return nil
	}
	return setTimes(target, atime, hdr.ModTime)
}

func setTimes(p string, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}
