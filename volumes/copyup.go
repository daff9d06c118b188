package volumes

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// CopyUp copies what the image holds at a mount's path into a new volume, as Docker does
// when it first mounts an empty volume: srcDir is that path inside the container's root
// filesystem, already resolved within the root (the caller joins it securely; symlinks
// inside it are copied as links, never followed). It copies only into an empty volume
// that has never been copied into, keeping modes, owners, modification times, symlinks,
// hard links and device nodes, and gives the volume's root the mode and owner of srcDir.
// A srcDir that is missing or not a directory copies nothing. A copy that fails is
// undone, leaving the volume empty for the next mount to try again.
func (s *Store) CopyUp(name, srcDir string) error {
	defer s.lock(name)()
	r, err := s.record(name)
	if err != nil {
		return err
	}
	if r.Removing {
		return notFound(name)
	}
	if r.CopyUp == copyUpDone {
		return nil
	}
	fi, err := os.Lstat(srcDir)
	if errors.Is(err, fs.ErrNotExist) || err == nil && !fi.IsDir() {
		return nil
	}
	if err != nil {
		return fmt.Errorf("copy %s into volume %s: %w", srcDir, name, err)
	}
	if empty, err := isEmpty(r.Mountpoint); err != nil || !empty {
		if err != nil {
			return fmt.Errorf("copy %s into volume %s: %w", srcDir, name, err)
		}
		return nil
	}
	r.CopyUp = copyUpCopying
	if err := s.put(r); err != nil {
		return fmt.Errorf("copy %s into volume %s: %w", srcDir, name, err)
	}
	if err := copyTree(srcDir, r.Mountpoint); err != nil {
		if uerr := s.undoCopyUp(name); uerr != nil {
			err = errors.Join(err, fmt.Errorf("undo: %w", uerr))
		}
		return fmt.Errorf("copy %s into volume %s: %w", srcDir, name, err)
	}
	r.CopyUp = copyUpDone
	if err := s.put(r); err != nil {
		return fmt.Errorf("copy %s into volume %s: %w", srcDir, name, err)
	}
	return nil
}

// undoCopyUp empties a volume whose copy-up was cut short and forgets it began. It
// empties _data in place rather than replacing it, since a running container may have
// it mounted.
func (s *Store) undoCopyUp(name string) error {
	data := s.data(name)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
			return err
		}
	}
	if err := os.Lchown(data, os.Getuid(), os.Getgid()); err != nil {
		return err
	}
	if err := os.Chmod(data, 0o755); err != nil {
		return err
	}
	r, err := s.record(name)
	if err != nil {
		return err
	}
	r.CopyUp = ""
	return s.put(r)
}

func isEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// copyTree copies the tree at src into the existing directory dst.
func copyTree(src, dst string) error {
	links := map[uint64]string{} // inode of a hard-linked file -> its first copy
	var dirs []string            // copied directories, to set their times after their content
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat data", path)
		}
		if !fi.IsDir() && st.Nlink > 1 {
			if first, ok := links[st.Ino]; ok {
				return os.Link(first, target)
			}
			links[st.Ino] = target
		}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			dirs = append(dirs, path)
		case mode.IsRegular():
			if err := copyFile(path, target); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			dest, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(dest, target); err != nil {
				return err
			}
		case mode&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
			if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
		default:
			return nil // sockets belong to a process, not to the image
		}
		return setMeta(target, fi, st)
	})
	if err != nil {
		return err
	}
	// A directory's mtime changes as entries are added: set it once they all are.
	for i := len(dirs) - 1; i >= 0; i-- {
		fi, err := os.Lstat(dirs[i])
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, dirs[i])
		if err := os.Chtimes(filepath.Join(dst, rel), time.Time{}, fi.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// setMeta gives target the owner, mode and modification time of the source.
func setMeta(target string, fi fs.FileInfo, st *syscall.Stat_t) error {
	if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		ts := []unix.Timespec{unix.NsecToTimespec(fi.ModTime().UnixNano()), unix.NsecToTimespec(fi.ModTime().UnixNano())}
		return unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW)
	}
	// chmod after chown: chown clears setuid and setgid bits.
	if err := os.Chmod(target, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return os.Chtimes(target, time.Time{}, fi.ModTime())
}
