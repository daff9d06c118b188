package engine

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/store"
)

func writeTree(t *testing.T, root string) {
	t.Helper()
	for name, data := range map[string]string{"etc/app/conf": "x=1\n", "etc/app/sub/deep": "deep"} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc/app", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
}

func TestArchiveRoundTrip(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeTree(t, src)
	if err := os.MkdirAll(filepath.Join(dst, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeArchive(&buf, src, "/etc/app"); err != nil {
		t.Fatal(err)
	}
	if err := extractArchive(&buf, dst, "/target", true); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"target/app/conf": "x=1\n", "target/app/sub/deep": "deep"} {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dst, "target/app/conf")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode not kept: %v %v", fi.Mode(), err)
	}

	// "dir/." copies the contents; a symlink resolves inside the root.
	buf.Reset()
	if err := writeArchive(&buf, src, "/link/."); err != nil {
		t.Fatal(err)
	}
	if err := extractArchive(&buf, dst, "/target", true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "target/sub/deep")); err != nil {
		t.Errorf("contents copy: %v", err)
	}
}

func TestStatPath(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root)
	st, err := statPath(root, "/link")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "link" || st.Mode&os.ModeSymlink == 0 || st.LinkTarget != "/etc/app" {
		t.Errorf("stat of a symlink: %+v", st)
	}
	if st, err := statPath(root, "/etc/app/conf"); err != nil || st.Size != 4 || st.Name != "conf" {
		t.Errorf("stat of a file: %+v %v", st, err)
	}
	if _, err := statPath(root, "/nope"); !errdefs.IsNotFound(err) {
		t.Errorf("missing path: %v, want not found", err)
	}
}

func tarOf(t *testing.T, entries ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = 2
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			_, _ = tw.Write([]byte("hi"))
		}
	}
	_ = tw.Close()
	return &buf
}

func TestExtractRejectsEscapes(t *testing.T) {
	outside := t.TempDir()
	tests := []struct {
		name    string
		entries []*tar.Header
		wantErr bool
		mayFail bool // what matters is that nothing lands outside
	}{
		{"dotdot", []*tar.Header{{Name: "../../escape", Typeflag: tar.TypeReg, Mode: 0o644}}, true, false},
		{"hardlink out", []*tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../../etc/passwd"}}, true, false},
		// A symlink to the host's directory, then a file through it: the file must land
		// inside the root (the link means the container's path), never in outside.
		{"symlink then file", []*tar.Header{
			{Name: "evil", Typeflag: tar.TypeSymlink, Linkname: outside},
			{Name: "evil/pwned", Typeflag: tar.TypeReg, Mode: 0o644},
		}, false, true},
		{"absolute name", []*tar.Header{{Name: "/abs", Typeflag: tar.TypeReg, Mode: 0o644}}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.Mkdir(filepath.Join(root, "d"), 0o755); err != nil {
				t.Fatal(err)
			}
			err := extractArchive(tarOf(t, tt.entries...), root, "/d", false)
			if !tt.mayFail && (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errdefs.IsInvalidArgument(err) {
				t.Errorf("err = %v, want invalid argument", err)
			}
			if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
				t.Fatal("a file was written outside the root")
			}
		})
	}
}

func TestExtractNoOverwriteDirNonDir(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "d", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := extractArchive(tarOf(t, &tar.Header{Name: "sub", Typeflag: tar.TypeReg, Mode: 0o644}), root, "/d", true)
	if !errdefs.IsInvalidArgument(err) {
		t.Errorf("err = %v, want invalid argument", err)
	}
	if err := extractArchive(tarOf(t, &tar.Header{Name: "x", Typeflag: tar.TypeReg}), root, "/d/missing", false); !errdefs.IsNotFound(err) {
		t.Errorf("missing destination: %v, want not found", err)
	}
}

func TestHiddenMount(t *testing.T) {
	c := &store.Container{HostConfig: &container.HostConfig{Binds: []string{"/srv/data:/data:ro", "vol:/var/lib/db"},
		Tmpfs: map[string]string{"/run": ""}}, Config: &container.Config{}}
	for p, want := range map[string]bool{"/data": true, "/data/x": true, "/database": false, "/var/lib/db/f": true,
		"/run/x": true, "/etc/hosts": true, "/etc": false, "/": false} {
		if _, got := hiddenMount(c, p); got != want {
			t.Errorf("hiddenMount(%q) = %v, want %v", p, got, want)
		}
	}
}

// An archive whose entries lack their parent directories lands as dockerd lands it: the
// parents are made.
func TestExtractMakesParents(t *testing.T) {
	root := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "a/b/c.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.Close()
	if err := extractArchive(&buf, root, "/", false); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "a/b/c.txt")); err != nil || string(b) != "hi" {
		t.Errorf("a/b/c.txt = %q, %v", b, err)
	}
}
