package image

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/containerd/errdefs"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestImportDir(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "app"), []byte("#!/bin/sh\n"), 0o750)
	os.Symlink("app", filepath.Join(src, "bin", "run"))
	os.Link(filepath.Join(src, "bin", "app"), filepath.Join(src, "bin", "app2"))
	s := newStore(t)
	img, err := s.Import(context.Background(), src, "myapp:1", []string{
		`CMD ["/bin/app", "serve"]`, "ENV A=1 B=\"two words\"", "WORKDIR /srv", "EXPOSE 80 53/udp", "LABEL k=v",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config
	if !slices.Equal(c.Config.Cmd, []string{"/bin/app", "serve"}) || c.Config.WorkingDir != "/srv" ||
		!slices.Equal(c.Config.Env, []string{defaultPath, "A=1", "B=two words"}) || c.Config.Labels["k"] != "v" ||
		len(c.Config.ExposedPorts) != 2 || c.Architecture != runtime.GOARCH || c.OS != "linux" {
		t.Errorf("config = %+v", c)
	}
	if !slices.Equal(img.RepoTags, []string{"myapp:1"}) || len(img.DiffIDs) != 1 {
		t.Errorf("image = %+v", img)
	}
	dirs, _ := s.LayerDirs(img.ID)
	fi, err := os.Stat(filepath.Join(dirs[0], "bin", "app"))
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("bin/app: %v %v", fi, err)
	}
	fi2, _ := os.Stat(filepath.Join(dirs[0], "bin", "app2"))
	if !os.SameFile(fi, fi2) {
		t.Error("hard link lost")
	}
	if l, _ := os.Readlink(filepath.Join(dirs[0], "bin", "run")); l != "app" {
		t.Errorf("symlink = %q", l)
	}
}

func TestImportTar(t *testing.T) {
	f := filepath.Join(t.TempDir(), "rootfs.tar")
	os.WriteFile(f, tarBytes(t, entry{name: "hello", typ: '0', body: "hi"}), 0o644)
	s := newStore(t)
	img, err := s.Import(context.Background(), f, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(img.RepoTags) != 0 || !slices.Equal(img.Config.Config.Env, []string{defaultPath}) {
		t.Errorf("image = %+v", img)
	}
	if _, err := s.Import(context.Background(), f, "", []string{"FROM x"}); !errdefsIsInvalid(err) {
		t.Errorf("bad change: %v", err)
	}
}

func errdefsIsInvalid(err error) bool { return errdefs.IsInvalidArgument(err) }

func TestApplyChange(t *testing.T) {
	for _, tt := range []struct {
		name, change string
		check        func(c v1.Config) bool
		bad          bool
	}{
		{"cmd shell", "CMD echo hi", func(c v1.Config) bool { return slices.Equal(c.Cmd, []string{"/bin/sh", "-c", "echo hi"}) }, false},
		{"entrypoint json", `ENTRYPOINT ["a","b"]`, func(c v1.Config) bool { return slices.Equal(c.Entrypoint, []string{"a", "b"}) }, false},
		{"env old form", "ENV K some value", func(c v1.Config) bool { return slices.Contains(c.Env, "K=some value") }, false},
		{"env replaces PATH", "ENV PATH=/x", func(c v1.Config) bool { return slices.Equal(c.Env, []string{"PATH=/x"}) }, false},
		{"user", "USER 1000:1000", func(c v1.Config) bool { return c.User == "1000:1000" }, false},
		{"volume json", `VOLUME ["/data", "/logs"]`, func(c v1.Config) bool { return len(c.Volumes) == 2 }, false},
		{"expose default tcp", "EXPOSE 8080", func(c v1.Config) bool { _, ok := c.ExposedPorts["8080/tcp"]; return ok }, false},
		{"expose bad", "EXPOSE http", nil, true},
		{"cmd bad json", "CMD [oops", nil, true},
		{"unknown", "RUN make", nil, true},
		{"empty", "CMD", nil, true},
		{"env bad", "ENV =x", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := v1.Config{Env: []string{defaultPath}}
			err := applyChange(&c, tt.change)
			if tt.bad {
				if !errdefs.IsInvalidArgument(err) {
					t.Errorf("err = %v, want invalid argument", err)
				}
				return
			}
			if err != nil || !tt.check(c) {
				t.Errorf("config = %+v, err = %v", c, err)
			}
		})
	}
}

func FuzzApplyChange(f *testing.F) {
	for _, s := range []string{"CMD [\"a\"]", "ENV A=1 B=\"x y\"", "EXPOSE 80/udp", "LABEL a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c v1.Config
		_ = applyChange(&c, s)
	})
}
