package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// trash moves dir into the root's trash directory, from which emptyTrash deletes it. A
// dir that does not exist is fine.
func (e *Engine) trash(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	t := filepath.Join(e.dirs.Root, "trash")
	if err := os.MkdirAll(t, 0o700); err != nil {
		return err
	}
	e.mu.Lock()
	e.trashed++
	name := fmt.Sprintf("%d-%d-%s", os.Getpid(), e.trashed, filepath.Base(dir))
	e.mu.Unlock()
	if err := os.Rename(dir, filepath.Join(t, name)); err != nil {
		return os.RemoveAll(dir)
	}
	return nil
}

// emptyTrash deletes the trash directory's contents in the background. A daemon that
// stops does not wait for it (a big container's files can take seconds): the next one
// empties what is left.
func (e *Engine) emptyTrash() {
	go func() {
		e.trashMu.Lock()
		defer e.trashMu.Unlock()
		t := filepath.Join(e.dirs.Root, "trash")
		entries, _ := os.ReadDir(t)
		for _, d := range entries {
			if err := os.RemoveAll(filepath.Join(t, d.Name())); err != nil {
				e.log.Warn("empty trash", "path", filepath.Join(t, d.Name()), "err", err)
			}
		}
	}()
}
