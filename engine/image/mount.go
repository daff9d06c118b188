package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// MountError is a failed overlay mount or unmount.
type MountError struct {
	Op     string // "mount" or "unmount"
	Target string
	Data   string // overlay options, for mount
	Err    error
}

func (e *MountError) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("%s overlay on %s (%s): %v", e.Op, e.Target, e.Data, e.Err)
	}
	return fmt.Sprintf("%s overlay on %s: %v", e.Op, e.Target, e.Err)
}

func (e *MountError) Unwrap() error { return e.Err }

func (s *Store) rootPath(key string, elem ...string) (string, error) {
	if key == "" || key == "." || key == ".." || strings.ContainsAny(key, "/\x00") {
		return "", errorf(errdefs.ErrInvalidArgument, "root key %q must be a non-empty name without '/'", key)
	}
	return s.path(append([]string{"roots", key}, elem...)...), nil
}

// Mount makes the overlayfs root of a container, roots/<key>/merged, from
// image imageID and returns its path. The image's layers are the lower
// directories, roots/<key>/upper holds the container's changes. Mounting a
// key that is already mounted returns it again.
func (s *Store) Mount(key, imageID string) (string, error) {
	return s.mount(key, imageID, false)
}

// MountVolatile is Mount for a root that is thrown away with its container (run --rm):
// overlayfs's volatile option skips every sync to the upper directory, which makes the
// unmount about ten times faster. After a crash such a root cannot be mounted again;
// it is not meant to be.
func (s *Store) MountVolatile(key, imageID string) (string, error) {
	return s.mount(key, imageID, true)
}

func (s *Store) mount(key, imageID string, volatile bool) (string, error) {
	merged, err := s.rootPath(key, "merged")
	if err != nil {
		return "", fmt.Errorf("mount root: %w", err)
	}
	if mounted(merged) {
		return merged, nil
	}
	layers, err := s.LayerDirs(imageID)
	if err != nil {
		return "", fmt.Errorf("mount root %s: %w", key, err)
	}
	upper, _ := s.rootPath(key, "upper")
	work, _ := s.rootPath(key, "work")
	if volatile {
		// A volatile mount leaves work/incompat/volatile behind, and overlayfs refuses
		// to mount over it again; work holds nothing else between mounts.
		if err := os.RemoveAll(work); err != nil {
			return "", fmt.Errorf("mount root %s: %w", key, err)
		}
	}
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("mount root %s: %w", key, err)
		}
	}
	if len(layers) == 0 {
		empty, _ := s.rootPath(key, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return "", fmt.Errorf("mount root %s: %w", key, err)
		}
		layers = []string{empty}
	}
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = l
	}
	data := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + upper + ",workdir=" + work
	if volatile {
		data += ",volatile"
	}
	if len(data) <= s.maxMountData {
		err := unix.Mount("overlay", merged, "overlay", 0, data)
		if volatile && errors.Is(err, unix.EINVAL) {
			// Linux before 5.10 has no volatile option: a plain root then.
			data = strings.TrimSuffix(data, ",volatile")
			err = unix.Mount("overlay", merged, "overlay", 0, data)
		}
		if err != nil {
			return "", fmt.Errorf("mount root %s: %w", key, &MountError{Op: "mount", Target: merged, Data: data, Err: err})
		}
		return merged, nil
	}
	if err := fsconfigMount(lower, upper, work, merged, volatile); err != nil {
		return "", fmt.Errorf("mount root %s: %w", key, &MountError{Op: "mount", Target: merged, Err: err})
	}
	return merged, nil
}

// fsconfigMount mounts overlay with the new mount API, one "lowerdir+" per
// layer, for option strings longer than mount(2)'s one page (Linux >= 6.8).
func fsconfigMount(lower []string, upper, work, target string, volatile bool) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("fsopen: %w", err)
	}
	defer unix.Close(fd)
	for _, l := range lower {
		if err := unix.FsconfigSetString(fd, "lowerdir+", l); err != nil {
			return fmt.Errorf("fsconfig lowerdir+ %s (needs Linux 6.8 or later): %w", l, err)
		}
	}
	if err := unix.FsconfigSetString(fd, "upperdir", upper); err != nil {
		return fmt.Errorf("fsconfig upperdir: %w", err)
	}
	if err := unix.FsconfigSetString(fd, "workdir", work); err != nil {
		return fmt.Errorf("fsconfig workdir: %w", err)
	}
	if volatile {
		if err := unix.FsconfigSetFlag(fd, "volatile"); err != nil {
			return fmt.Errorf("fsconfig volatile: %w", err)
		}
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return fmt.Errorf("fsconfig create: %w", err)
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	// The mount fd is closed before returning: an open one makes umount EBUSY.
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// mounted reports whether p is a mount point: on another device than its parent.
func mounted(p string) bool {
	var st, pst unix.Stat_t
	if unix.Lstat(p, &st) != nil || unix.Lstat(filepath.Dir(p), &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev
}

// Unmount unmounts the root of key; a root that is not mounted is fine.
func (s *Store) Unmount(key string) error {
	merged, err := s.rootPath(key, "merged")
	if err != nil {
		return fmt.Errorf("unmount root: %w", err)
	}
	for mounted(merged) {
		if err := unix.Unmount(merged, 0); err != nil {
			if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
				return nil
			}
			return fmt.Errorf("unmount root %s: %w", key, &MountError{Op: "unmount", Target: merged, Err: err})
		}
	}
	return nil
}

// RootDir is the directory that holds the root of key: merged, upper and work.
func (s *Store) RootDir(key string) (string, error) { return s.rootPath(key) }

// RemoveRoot unmounts the root of key if needed and deletes its directories.
func (s *Store) RemoveRoot(key string) error {
	if err := s.Unmount(key); err != nil {
		return fmt.Errorf("remove root: %w", err)
	}
	p, err := s.rootPath(key)
	if err != nil {
		return fmt.Errorf("remove root: %w", err)
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("remove root %s: %w", key, err)
	}
	return nil
}
