package image

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

func TestUnpackEscapes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		entries []entry
		reject  bool
	}{
		{"dotdot name", []entry{{name: "../evil", typ: tar.TypeReg, body: "x"}}, true},
		{"nested dotdot", []entry{{name: "a/../../evil", typ: tar.TypeReg, body: "x"}}, true},
		{"hardlink out", []entry{{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}}, true},
		{"absolute name stays inside", []entry{{name: "/evil", typ: tar.TypeReg, body: "x"}}, false},
		{"through absolute symlink", []entry{
			{name: "l", typ: tar.TypeSymlink, link: "/"},
			{name: "l/evil", typ: tar.TypeReg, body: "x"},
		}, false},
		{"through relative symlink", []entry{
			{name: "d/", typ: tar.TypeDir},
			{name: "d/l", typ: tar.TypeSymlink, link: "../../../../.."},
			{name: "d/l/evil", typ: tar.TypeReg, body: "x"},
		}, false},
		{"overwrite symlink target", []entry{
			{name: "evil", typ: tar.TypeSymlink, link: "../outside/evil"},
			{name: "evil", typ: tar.TypeReg, body: "x"},
		}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			top := t.TempDir()
			dest := filepath.Join(top, "layer", "root")
			os.MkdirAll(dest, 0o755)
			os.MkdirAll(filepath.Join(top, "outside"), 0o755)
			err := unpack(bytes.NewReader(tarBytes(t, tt.entries...)), dest)
			if tt.reject {
				if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "escapes") {
					t.Fatalf("err = %v, want an escape error", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			filepath.Walk(top, func(p string, fi os.FileInfo, err error) error {
				if err == nil && fi.Name() == "evil" && !strings.HasPrefix(p, dest+"/") {
					t.Errorf("wrote %s outside the layer", p)
				}
				return nil
			})
			for _, p := range []string{"/evil", filepath.Join(top, "evil"), filepath.Join(top, "outside", "evil")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s exists", p)
				}
			}
		})
	}
}

func TestUnpackWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts are character devices and trusted.* xattrs: needs root")
	}
	dest := t.TempDir()
	layer := tarBytes(t,
		entry{name: "bin/", typ: tar.TypeDir},
		entry{name: "bin/.wh.vi", typ: tar.TypeReg},
		entry{name: "etc/", typ: tar.TypeDir},
		entry{name: "etc/.wh..wh..opq", typ: tar.TypeReg},
		entry{name: "etc/new", typ: tar.TypeReg, body: "n"},
		entry{name: "etc/suid", typ: tar.TypeReg, body: "s", mode: 0o4755},
	)
	if err := unpack(bytes.NewReader(layer), dest); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dest, "bin/vi"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("bin/vi is not a 0/0 char device: %+v %v", st, err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "bin/.wh.vi")); err == nil {
		t.Error(".wh.vi was written as a file")
	}
	buf := make([]byte, 8)
	n, err := unix.Getxattr(filepath.Join(dest, "etc"), "trusted.overlay.opaque", buf)
	if err != nil || string(buf[:n]) != "y" {
		t.Errorf("etc opaque xattr = %q, %v", buf[:n], err)
	}
	if fi, _ := os.Stat(filepath.Join(dest, "etc/suid")); fi.Mode()&os.ModeSetuid == 0 {
		t.Error("setuid bit lost")
	}
}

// A whiteout may name only an entry of its own directory: ".wh.." and ".wh..." would
// remove the directory or its parent.
func TestUnpackWhiteoutEscapes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts need root")
	}
	for _, name := range []string{".wh..", ".wh...", "d/.wh...", ".wh."} {
		t.Run(name, func(t *testing.T) {
			top := t.TempDir()
			dest := filepath.Join(top, "layer")
			os.MkdirAll(filepath.Join(dest, "d"), 0o755)
			os.WriteFile(filepath.Join(top, "keep"), nil, 0o644)
			err := unpack(bytes.NewReader(tarBytes(t, entry{name: name, typ: tar.TypeReg})), dest)
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("err = %v, want an invalid argument", err)
			}
			if fi, err := os.Lstat(dest); err != nil || !fi.IsDir() {
				t.Errorf("the layer directory was replaced: %v", err)
			}
			if _, err := os.Lstat(filepath.Join(top, "keep")); err != nil {
				t.Errorf("the directory above the layer changed: %v", err)
			}
		})
	}
}
