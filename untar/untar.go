package untar

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix     = ".wh."
	whiteoutMetaPrefix = ".wh..wh."
	opaqueMarker       = ".wh..wh..opq"
)

// Options say what an archive may create.
type Options struct {
	// Whiteouts turns OCI whiteouts (.wh.NAME, .wh..wh..opq) into overlayfs ones, as
	// image layers need. It needs root.
	Whiteouts bool
	// Special makes device nodes (as root) and FIFOs; without it they are skipped.
	Special bool
	// Owners gives entries the archive's uid, gid and extended attributes; errors
	// from chown are ignored when not running as root.
	Owners bool
	// NoOverwriteDirNonDir refuses an entry that would replace a directory with a
	// non-directory or the reverse (docker cp's noOverwriteDirNonDir).
	NoOverwriteDirNonDir bool
	// Top, if set and not ".", is the only first component an entry's name may have: a
	// copy of one file or directory brings nothing beside it.
	Top string
	// Rename, if set, replaces the first component of every entry's name, and of every
	// hard link's target, except ".": a copy that lands under a new name.
	Rename string
}

// categoryError puts an error in one of errdefs' categories without adding the
// category's name to the message.
type categoryError struct{ cat, err error }

func (e *categoryError) Error() string   { return e.err.Error() }
func (e *categoryError) Unwrap() []error { return []error{e.err, e.cat} }

// errTruncated marks an archive that ended inside an entry's content.
var errTruncated = errors.New("archive truncated")

func invalid(format string, args ...any) error {
	return &categoryError{cat: errdefs.ErrInvalidArgument, err: fmt.Errorf(format, args...)}
}

// Extract reads the tar stream r into dest, a directory inside the tree at root given
// as the tree sees it ("/" or "" for root itself); dest must exist. A failed extract
// may leave the entries before the failing one.
func Extract(ctx context.Context, r io.Reader, root, dest string, opts Options) error {
	rootDir, err := os.OpenFile(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer rootDir.Close()
	x := &extractor{root: rootDir, dest: path.Clean("/" + dest), opts: opts, isRoot: os.Geteuid() == 0}
	defer x.forgetDir()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return invalid("archive is truncated or corrupt: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := x.entry(hdr, tr); err != nil {
			if errors.Is(err, errTruncated) {
				return err
			}
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	}
	// A directory's times change as entries land in it, so they are set last.
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		pd, err := x.dir(path.Dir(d.name), false)
		if err != nil {
			continue // removed by a later entry
		}
		_ = setTimes(int(pd.Fd()), path.Base(d.name), d.atime, d.mtime)
	}
	return nil
}

type extractor struct {
	root   *os.File
	dest   string
	opts   Options
	isRoot bool
	dirs   []dirTimes
	// The last parent directory's handle: entries come grouped by directory. An entry
	// changes only a child of its parent, so the handle never goes stale under it; the
	// next entry's lookup replaces it.
	lastName string
	lastDir  *os.File
}

type dirTimes struct {
	name         string // relative to dest
	atime, mtime time.Time
}

// Clean turns an entry name into a clean path relative to the destination, refusing
// names that climb out of it.
func Clean(name string) (string, error) {
	if len(name) > unix.PathMax {
		// No file of a real tree has a longer path, and each component costs a mkdir.
		return "", invalid("name of %d bytes is longer than a path may be (%d)", len(name), unix.PathMax)
	}
	if strings.ContainsRune(name, 0) {
		return "", invalid("name %q has a NUL byte", name)
	}
	c := path.Clean(strings.TrimLeft(name, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", invalid("name %q escapes the destination", name)
	}
	return c, nil
}

// dir returns a handle to directory rel (relative to dest), resolved inside root and
// made, with its parents, when create is set.
func (x *extractor) dir(rel string, create bool) (*os.File, error) {
	if x.lastDir != nil && x.lastName == rel {
		return x.lastDir, nil
	}
	full := path.Join(x.dest, rel)
	var d *os.File
	var err error
	if create {
		d, err = pathrs.MkdirAllHandle(x.root, full, 0o755)
	} else {
		d, err = pathrs.OpenatInRoot(x.root, full)
	}
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EXDEV) {
			return nil, invalid("directory %s: %w", full, err)
		}
		return nil, fmt.Errorf("directory %s: %w", full, err)
	}
	x.forgetDir()
	x.lastName, x.lastDir = rel, d
	return d, nil
}

// forgetDir drops the cached handle, after a change that may have replaced it.
func (x *extractor) forgetDir() {
	if x.lastDir != nil {
		x.lastDir.Close()
	}
	x.lastName, x.lastDir = "", nil
}

func (x *extractor) entry(hdr *tar.Header, r io.Reader) error {
	name, err := Clean(hdr.Name)
	if err != nil {
		return err
	}
	if top := x.opts.Top; top != "" && top != "." && name != "." {
		if first, _, _ := strings.Cut(name, "/"); first != top {
			return invalid("the copy of %s brings %s beside it", top, name)
		}
	}
	name = x.rename(name)
	if name == "." {
		return nil // the destination itself, which exists
	}
	parent, base := path.Dir(name), path.Base(name)
	pd, err := x.dir(parent, true)
	if err != nil {
		return err
	}
	pfd := int(pd.Fd())

	if x.opts.Whiteouts && strings.HasPrefix(base, whiteoutPrefix) {
		return x.whiteout(pd, base, hdr)
	}

	var st unix.Stat_t
	exists := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
	isDir := hdr.Typeflag == tar.TypeDir
	if exists {
		wasDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if x.opts.NoOverwriteDirNonDir && wasDir != isDir {
			if wasDir {
				return invalid("cannot overwrite directory %s with a non-directory", path.Join(x.dest, name))
			}
			return invalid("cannot overwrite non-directory %s with a directory", path.Join(x.dest, name))
		}
		if !(wasDir && isDir) {
			if err := removeAt(pfd, base); err != nil {
				return fmt.Errorf("replace: %w", err)
			}
		}
	}

	mode := uint32(hdr.Mode & 0o7777)
	if !x.opts.Owners {
		// Without the archive's owners, setuid and setgid would be the extracting user's.
		mode &^= 0o6000
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		if err := x.meta(pfd, base, hdr, mode); err != nil {
			return err
		}
		atime := hdr.AccessTime
		if atime.IsZero() {
			atime = hdr.ModTime
		}
		x.dirs = append(x.dirs, dirTimes{name, atime, hdr.ModTime})
		return nil
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		fd, err := unix.Openat(pfd, base, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		f := os.NewFile(uintptr(fd), base)
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("write %s: %w", name, err) // the disk's fault, not the archive's
		}
		if err != nil {
			return &categoryError{cat: errdefs.ErrInvalidArgument, err: fmt.Errorf("archive is truncated or corrupt: %w reading %s: %w", err, name, errTruncated)}
		}
	case tar.TypeSymlink:
		// The target is only text; it is resolved inside the root whenever it is used.
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
	case tar.TypeLink:
		return x.hardlink(pfd, base, hdr.Linkname)
	case tar.TypeFifo:
		if !x.opts.Special {
			return nil
		}
		if err := unix.Mknodat(pfd, base, unix.S_IFIFO|mode, 0); err != nil {
			return err
		}
	case tar.TypeChar, tar.TypeBlock:
		if !x.opts.Special || !x.isRoot {
			return nil // devices need root; without it they are skipped, as Docker does
		}
		kind := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			kind = unix.S_IFBLK
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, kind|mode, int(dev)); err != nil {
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return invalid("unsupported entry type %q", hdr.Typeflag)
	}
	if err := x.meta(pfd, base, hdr, mode); err != nil {
		return err
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	return setTimes(pfd, base, atime, hdr.ModTime)
}

// rename applies Options.Rename to a cleaned name.
func (x *extractor) rename(name string) string {
	if x.opts.Rename == "" || name == "." {
		return name
	}
	_, rest, _ := strings.Cut(name, "/")
	return path.Join(x.opts.Rename, rest)
}

// whiteout applies an OCI whiteout entry in directory pd.
func (x *extractor) whiteout(pd *os.File, base string, hdr *tar.Header) error {
	if !x.isRoot {
		return errors.New("whiteouts need root (overlayfs whiteouts are 0/0 devices and trusted xattrs)")
	}
	if base == opaqueMarker {
		return setxattr(pd, "", "trusted.overlay.opaque", "y")
	}
	if strings.HasPrefix(base, whiteoutMetaPrefix) {
		return nil // aufs metadata (.wh..wh.plnk and the like): nothing to apply
	}
	target := strings.TrimPrefix(base, whiteoutPrefix)
	if target == "" || target == "." || target == ".." {
		return invalid("whiteout %q names no entry", base)
	}
	pfd := int(pd.Fd())
	if err := removeAt(pfd, target); err != nil {
		return err
	}
	if err := unix.Mknodat(pfd, target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout %s: %w", target, err)
	}
	return unix.Fchownat(pfd, target, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW)
}

// hardlink links base in pfd to the existing entry linkname (relative to dest).
func (x *extractor) hardlink(pfd int, base, linkname string) error {
	old, err := Clean(linkname)
	if err != nil {
		return err
	}
	if old == "." {
		return invalid("hard link to the destination itself")
	}
	if top := x.opts.Top; top != "" && top != "." {
		if first, _, _ := strings.Cut(old, "/"); first != top {
			return invalid("hard link to %s, outside the copy of %s", linkname, top)
		}
	}
	old = x.rename(old)
	od, err := pathrs.OpenatInRoot(x.root, path.Join(x.dest, path.Dir(old)))
	if err != nil {
		return invalid("hard link target %s: %w", linkname, err)
	}
	defer od.Close()
	// linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it names.
	if err := unix.Linkat(int(od.Fd()), path.Base(old), pfd, base, 0); err != nil {
		return fmt.Errorf("hard link to %s: %w", linkname, err)
	}
	return nil
}

// meta applies owner, extended attributes and mode, in that order: chown clears setuid
// bits and file capabilities.
func (x *extractor) meta(pfd int, base string, hdr *tar.Header, mode uint32) error {
	if x.opts.Owners {
		if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil && (x.isRoot || !errors.Is(err, unix.EPERM)) {
			return fmt.Errorf("chown: %w", err)
		}
		if x.isRoot {
			for k, v := range hdr.PAXRecords {
				attr, ok := strings.CutPrefix(k, "SCHILY.xattr.")
				if !ok || strings.HasPrefix(attr, "trusted.") {
					continue
				}
				// As moby: an attribute this filesystem or this entry cannot hold
				// (user.* on a symlink) is left out rather than failing the whole archive.
				if err := unix.Lsetxattr(procPath(pfd, base), attr, []byte(v), 0); err != nil &&
					!errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
					return fmt.Errorf("set xattr %s: %w", attr, err)
				}
			}
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil
	}
	// chmod follows symlinks: change the inode through an O_PATH handle that did not.
	fd, err := unix.Openat(pfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return invalid("%s was replaced by a symlink", base)
	}
	return unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), mode)
}

func procPath(dirfd int, name string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + name
}

func setxattr(d *os.File, name, attr, value string) error {
	p := "/proc/self/fd/" + strconv.Itoa(int(d.Fd()))
	if name != "" {
		p += "/" + name
	}
	return unix.Setxattr(p, attr, []byte(value), 0)
}

func setTimes(dirfd int, name string, atime, mtime time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return unix.UtimesNanoAt(dirfd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// removeAt removes name in dirfd and, for a directory, everything in it, never
// following a symlink.
func removeAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	for {
		names, err := d.Readdirnames(512)
		for _, n := range names {
			if rerr := removeAt(fd, n); rerr != nil {
				d.Close()
				return rerr
			}
		}
		if errors.Is(err, io.EOF) || len(names) == 0 {
			break
		}
		if err != nil {
			d.Close()
			return err
		}
	}
	d.Close()
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}
