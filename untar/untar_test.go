package untar

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

type entry struct {
	name, link, body string
	typ              byte
	mode             int64
	pax              map[string]string
}

func tarOf(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: mode, Size: int64(len(e.body)), PAXRecords: e.pax}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox returns a root to extract into, inside a directory that also holds a file
// and a directory the archive must never touch.
func sandbox(t testing.TB) (root, outside string) {
	t.Helper()
	top := t.TempDir()
	root = filepath.Join(top, "root")
	outside = filepath.Join(top, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, outside
}

// untouched fails unless the sandbox's outside holds exactly its file, and the top
// directory exactly root and outside.
func untouched(t testing.TB, root, outside string) {
	t.Helper()
	top := filepath.Dir(root)
	names, err := os.ReadDir(top)
	if err != nil || len(names) != 2 {
		t.Fatalf("the directory around the root changed: %v %v", names, err)
	}
	names, err = os.ReadDir(outside)
	if err != nil || len(names) != 1 || names[0].Name() != "keep" {
		t.Fatalf("a directory outside the root changed: %v %v", names, err)
	}
	if b, err := os.ReadFile(filepath.Join(outside, "keep")); err != nil || string(b) != "keep" {
		t.Fatalf("a file outside the root changed: %q %v", b, err)
	}
}

func TestExtractStaysInside(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts and owners need root")
	}
	cases := []struct {
		name    string
		entries func(outside string) []entry
		opts    Options
		wantErr bool // an invalid-argument error
	}{
		{"climbing name", func(string) []entry { return []entry{{name: "../x", body: "x"}} }, Options{}, true},
		{"climbing name after a directory", func(string) []entry { return []entry{{name: "a/../../x", body: "x"}} }, Options{}, true},
		{"absolute name lands inside", func(o string) []entry { return []entry{{name: o + "/x", body: "x"}} }, Options{}, false},
		{"write through a dangling absolute symlink", func(o string) []entry {
			return []entry{{name: "l", link: o, typ: tar.TypeSymlink}, {name: "l/x", body: "x"}}
		}, Options{}, true},
		{"write through an absolute symlink", func(o string) []entry {
			return []entry{{name: o + "/", typ: tar.TypeDir}, {name: "l", link: o, typ: tar.TypeSymlink}, {name: "l/keep", body: "inside"}}
		}, Options{}, false},
		{"write through a climbing symlink", func(o string) []entry {
			return []entry{{name: o + "/", typ: tar.TypeDir}, {name: "l", link: "../../../../../../" + o, typ: tar.TypeSymlink}, {name: "l/keep", body: "inside"}}
		}, Options{}, false},
		{"hard link out by name", func(o string) []entry {
			return []entry{{name: "h", link: "../outside/keep", typ: tar.TypeLink}}
		}, Options{}, true},
		{"hard link through a symlink", func(o string) []entry {
			return []entry{{name: "l", link: o, typ: tar.TypeSymlink}, {name: "h", link: "l/keep", typ: tar.TypeLink}}
		}, Options{}, true},
		{"whiteout of the parent", func(string) []entry { return []entry{{name: "a/.wh..."}} }, Options{Whiteouts: true}, true},
		{"whiteout of the directory itself", func(string) []entry { return []entry{{name: "a/.wh.."}} }, Options{Whiteouts: true}, true},
		{"empty whiteout", func(string) []entry { return []entry{{name: ".wh."}} }, Options{Whiteouts: true}, true},
		{"whiteout through a symlink", func(o string) []entry {
			return []entry{{name: "l", link: o, typ: tar.TypeSymlink}, {name: "l/.wh.keep"}}
		}, Options{Whiteouts: true}, true},
		{"opaque through a symlink", func(o string) []entry {
			return []entry{{name: "l", link: o, typ: tar.TypeSymlink}, {name: "l/.wh..wh..opq"}}
		}, Options{Whiteouts: true}, true},
		{"chmod through a symlink", func(o string) []entry {
			return []entry{{name: "l", link: o + "/keep", typ: tar.TypeSymlink}, {name: "l", typ: tar.TypeDir, mode: 0o777}}
		}, Options{Owners: true}, false},
		{"device in a copy", func(string) []entry { return []entry{{name: "null", typ: tar.TypeChar}} }, Options{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root, outside := sandbox(t)
			err := Extract(context.Background(), bytes.NewReader(tarOf(t, c.entries(outside)...)), root, "/", c.opts)
			if c.wantErr != (err != nil) {
				t.Fatalf("err = %v, want an error: %v", err, c.wantErr)
			}
			if err != nil && !errdefs.IsInvalidArgument(err) {
				t.Errorf("err = %v, not an invalid argument", err)
			}
			untouched(t, root, outside)
		})
	}
}

func TestExtractLayer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts need root")
	}
	root, outside := sandbox(t)
	for _, d := range []string{"old", "dir/sub", "lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	layer := tarOf(t,
		entry{name: "dir/", typ: tar.TypeDir, mode: 0o750},
		entry{name: "dir/.wh..wh..opq"},
		entry{name: ".wh.old"},
		entry{name: ".wh..wh.plnk"},
		entry{name: "f", body: "hi", mode: 0o4755, pax: map[string]string{"SCHILY.xattr.user.k": "v", "SCHILY.xattr.trusted.overlay.redirect": "/x"}},
		entry{name: "fifo", typ: tar.TypeFifo},
		entry{name: "usr/lib", link: "/lib", typ: tar.TypeSymlink},
		entry{name: "usr/lib/libc", body: "c"},
		entry{name: "hl", link: "f", typ: tar.TypeLink},
	)
	if err := Extract(context.Background(), bytes.NewReader(layer), root, "/", Options{Whiteouts: true, Special: true, Owners: true}); err != nil {
		t.Fatal(err)
	}
	untouched(t, root, outside)
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(root, "old"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("old is not a whiteout: %v %o", err, st.Mode)
	}
	if v := make([]byte, 8); true {
		n, err := unix.Getxattr(filepath.Join(root, "dir"), "trusted.overlay.opaque", v)
		if err != nil || string(v[:n]) != "y" {
			t.Errorf("dir is not opaque: %v", err)
		}
		if _, err := unix.Getxattr(filepath.Join(root, "f"), "trusted.overlay.redirect", v); !errors.Is(err, unix.ENODATA) {
			t.Errorf("a trusted xattr was applied: %v", err)
		}
		if n, err := unix.Getxattr(filepath.Join(root, "f"), "user.k", v); err != nil || string(v[:n]) != "v" {
			t.Errorf("user xattr: %v", err)
		}
	}
	if fi, err := os.Stat(filepath.Join(root, "f")); err != nil || fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("f mode: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "dir")); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("dir mode: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("fifo: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "lib/libc")); err != nil || string(b) != "c" {
		t.Errorf("a write through an absolute symlink did not land inside the root: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "hl")); err != nil || string(b) != "hi" {
		t.Errorf("hard link: %q %v", b, err)
	}
}

func TestExtractCopy(t *testing.T) {
	root, outside := sandbox(t)
	if err := os.MkdirAll(filepath.Join(root, "dst/isdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Extract(context.Background(), bytes.NewReader(tarOf(t, entry{name: "isdir", body: "x"})), root, "/dst", Options{NoOverwriteDirNonDir: true})
	if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "cannot overwrite directory /dst/isdir with a non-directory") {
		t.Errorf("err = %v", err)
	}
	err = Extract(context.Background(), bytes.NewReader(tarOf(t, entry{name: "top/", typ: tar.TypeDir}, entry{name: "top/a/b", body: "b"})), root, "/dst", Options{Rename: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "dst/new/a/b")); err != nil || string(b) != "b" {
		t.Errorf("renamed copy with missing parents: %q %v", b, err)
	}
	untouched(t, root, outside)
}

// A copy out of a container brings only what was asked for, renamed with its hard links,
// never replaces a directory with a file, and keeps no setuid bit for the copying user.
func TestExtractCopyOut(t *testing.T) {
	root, outside := sandbox(t)
	if err := os.MkdirAll(filepath.Join(root, "src/keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := Options{Top: "log.txt", Rename: "copy.txt", NoOverwriteDirNonDir: true}
	for _, es := range [][]entry{
		{{name: "log.txt", body: "x"}, {name: ".git/hooks/post-checkout", body: "evil"}},
		{{name: "log.txt", body: "x"}, {name: "src", body: "over a directory"}},
	} {
		if err := Extract(context.Background(), bytes.NewReader(tarOf(t, es...)), root, "/", opts); !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: err = %v, want a refusal", es[1].name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err == nil {
		t.Error("an entry beside the copy was written")
	}
	if fi, err := os.Stat(filepath.Join(root, "src/keep")); err != nil || !fi.IsDir() {
		t.Errorf("a directory was replaced: %v", err)
	}
	err := Extract(context.Background(), bytes.NewReader(tarOf(t,
		entry{name: "dir/", typ: tar.TypeDir}, entry{name: "dir/a", body: "a", mode: 0o4755},
		entry{name: "dir/b", link: "dir/a", typ: tar.TypeLink})), root, "/", Options{Top: "dir", Rename: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "new/b")); err != nil || string(b) != "a" {
		t.Errorf("renamed hard link: %q %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "new/a")); err != nil || fi.Mode()&os.ModeSetuid != 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("mode of a copy without owners: %v %v", fi.Mode(), err)
	}
	untouched(t, root, outside)
}

// FuzzExtract extracts arbitrary archives with every option and checks that nothing
// outside the root changes.
func FuzzExtract(f *testing.F) {
	f.Add(tarOf(f, entry{name: "l", link: "/", typ: tar.TypeSymlink}, entry{name: "l/../x", body: "x"}), uint8(7))
	f.Add(tarOf(f, entry{name: "a/.wh...", typ: tar.TypeReg}), uint8(1))
	f.Add(tarOf(f, entry{name: "l", link: "../outside", typ: tar.TypeSymlink}, entry{name: "l/keep", body: "x"}, entry{name: "h", link: "l/keep", typ: tar.TypeLink}), uint8(0))
	f.Fuzz(func(t *testing.T, archive []byte, flags uint8) {
		root, outside := sandbox(t)
		opts := Options{Whiteouts: flags&1 != 0 && os.Geteuid() == 0, Special: flags&2 != 0, Owners: flags&4 != 0, NoOverwriteDirNonDir: flags&8 != 0}
		_ = Extract(context.Background(), bytes.NewReader(archive), root, "/", opts)
		untouched(t, root, outside)
	})
}
