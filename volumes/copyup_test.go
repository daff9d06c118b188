package volumes

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
)

// image makes a small image directory: modes, a symlink, a hard link, a nested dir.
func image(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "var", "lib", "app")
	must(t, os.MkdirAll(filepath.Join(src, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "config"), []byte("key=value\n"), 0o640))
	must(t, os.WriteFile(filepath.Join(src, "sub", "run.sh"), []byte("#!/bin/sh\n"), 0o755))
	must(t, os.Symlink("../config", filepath.Join(src, "sub", "link")))
	must(t, os.Symlink("/etc/passwd", filepath.Join(src, "abs")))
	must(t, os.Link(filepath.Join(src, "config"), filepath.Join(src, "hard")))
	must(t, os.Chmod(filepath.Join(src, "sub"), 0o750))
	must(t, os.Chmod(src, 0o770))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	must(t, os.Chtimes(filepath.Join(src, "config"), old, old))
	must(t, os.Chtimes(filepath.Join(src, "sub"), old, old))
	return src
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestCopyUp(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	src := image(t)
	must(t, s.CopyUp("data", src))

	dst := v.Mountpoint
	if b, err := os.ReadFile(filepath.Join(dst, "config")); err != nil || string(b) != "key=value\n" {
		t.Errorf("config: %q, %v", b, err)
	}
	for p, want := range map[string]os.FileMode{
		".":          os.ModeDir | 0o770,
		"config":     0o640,
		"sub":        os.ModeDir | 0o750,
		"sub/run.sh": 0o755,
	} {
		if got := mode(t, filepath.Join(dst, p)); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]string{"sub/link": "../config", "abs": "/etc/passwd"} {
		if got, err := os.Readlink(filepath.Join(dst, p)); err != nil || got != want {
			t.Errorf("%s: link to %q, %v; want %q", p, got, err, want)
		}
	}
	a, _ := os.Stat(filepath.Join(dst, "config"))
	b, _ := os.Stat(filepath.Join(dst, "hard"))
	if !os.SameFile(a, b) {
		t.Error("hard link copied as two files")
	}
	if !a.ModTime().Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("config mtime %v", a.ModTime())
	}
	if fi, _ := os.Stat(filepath.Join(dst, "sub")); !fi.ModTime().Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("sub mtime %v", fi.ModTime())
	}
	if r, _ := s.record("data"); r.CopyUp != copyUpDone {
		t.Errorf("copy-up state %q", r.CopyUp)
	}
}

func TestCopyUpOnlyOnce(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	src := image(t)
	must(t, s.CopyUp("data", src))
	// The user empties the volume; the next mount must not copy the image back.
	entries, _ := os.ReadDir(v.Mountpoint)
	for _, e := range entries {
		must(t, os.RemoveAll(filepath.Join(v.Mountpoint, e.Name())))
	}
	must(t, s.CopyUp("data", src))
	if entries, _ := os.ReadDir(v.Mountpoint); len(entries) != 0 {
		t.Errorf("copied twice: %v", entries)
	}
}

func TestCopyUpNotIntoNonEmpty(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(v.Mountpoint, "mine"), []byte("user data"), 0o600))
	must(t, s.CopyUp("data", image(t)))
	entries, _ := os.ReadDir(v.Mountpoint)
	if len(entries) != 1 || entries[0].Name() != "mine" {
		t.Errorf("volume holds %v, want only mine", entries)
	}
}

func TestCopyUpNothingToCopy(t *testing.T) {
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	// The image lacks the path: nothing copied, and a later mount may still copy.
	must(t, s.CopyUp("data", filepath.Join(t.TempDir(), "missing")))
	if r, _ := s.record("data"); r.CopyUp != "" {
		t.Errorf("copy-up state %q after copying nothing", r.CopyUp)
	}
	must(t, s.CopyUp("data", image(t)))
	if _, err := os.Stat(filepath.Join(v.Mountpoint, "config")); err != nil {
		t.Error(err)
	}
	if err := s.CopyUp("nope", image(t)); !errdefs.IsNotFound(err) {
		t.Errorf("copy into a missing volume: %v", err)
	}
}

func TestCopyUpOwners(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root")
	}
	s, _, _ := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	src := image(t)
	must(t, os.Lchown(src, 70, 70))
	must(t, os.Lchown(filepath.Join(src, "config"), 1000, 1001))
	must(t, os.Lchown(filepath.Join(src, "sub", "link"), 1002, 1003))
	must(t, os.Chmod(filepath.Join(src, "sub", "run.sh"), os.ModeSetuid|0o755))
	must(t, s.CopyUp("data", src))
	for p, want := range map[string][2]uint32{".": {70, 70}, "config": {1000, 1001}, "sub/link": {1002, 1003}} {
		fi, err := os.Lstat(filepath.Join(v.Mountpoint, p))
		must(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, want[0], want[1])
		}
	}
	if got := mode(t, filepath.Join(v.Mountpoint, "sub", "run.sh")); got != os.ModeSetuid|0o755 {
		t.Errorf("setuid lost: %v", got)
	}
}

// A daemon killed during a copy-up: Open empties the volume so the next mount copies
// the whole image content again.
func TestOpenUndoesCopyUp(t *testing.T) {
	s, root, db := open(t)
	v, err := s.Create("data", nil, nil)
	must(t, err)
	r, _ := s.record("data")
	r.CopyUp = copyUpCopying
	must(t, s.put(r))
	must(t, os.WriteFile(filepath.Join(v.Mountpoint, "half"), bytes.Repeat([]byte("x"), 10), 0o644))
	must(t, os.Chmod(v.Mountpoint, 0o700))

	s2, err := Open(root, db)
	must(t, err)
	if entries, _ := os.ReadDir(v.Mountpoint); len(entries) != 0 {
		t.Errorf("partial copy left: %v", entries)
	}
	if r, _ := s2.record("data"); r.CopyUp != "" {
		t.Errorf("copy-up state %q", r.CopyUp)
	}
	must(t, s2.CopyUp("data", image(t)))
	if _, err := os.Stat(filepath.Join(v.Mountpoint, "config")); err != nil {
		t.Errorf("copy after undo: %v", err)
	}
}
