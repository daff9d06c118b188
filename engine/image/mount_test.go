package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay mounts need root")
	}
	ctx := context.Background()
	img := buildImage(t, "sh", baseLayer(t), layerOf(t, tarBytes(t,
		entry{name: "etc/", typ: '5'},
		entry{name: "etc/.wh.hostname", typ: '0'},
		entry{name: "etc/motd", typ: '0', body: "top"},
	)))
	empty := buildImage(t, "none")
	for _, tt := range []struct {
		name         string
		maxMountData int
		img          v1Image
		check        func(t *testing.T, merged string)
	}{
		{"mount(2)", 4000, img, checkMerged},
		{"fsconfig lowerdir+", 10, img, checkMerged},
		{"no layers", 4000, empty, func(t *testing.T, merged string) {
			if ents, err := os.ReadDir(merged); err != nil || len(ents) != 0 {
				t.Errorf("merged = %v, %v", ents, err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			s.maxMountData = tt.maxMountData
			if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, map[string]v1Image{"x:1": tt.img})), nil); err != nil {
				t.Fatal(err)
			}
			merged, err := s.Mount("c1", "x:1")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.RemoveRoot("c1") })
			again, err := s.Mount("c1", "x:1")
			if err != nil || again != merged {
				t.Fatalf("second Mount = %q, %v", again, err)
			}
			tt.check(t, merged)
			if err := os.WriteFile(filepath.Join(merged, "new"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := s.Unmount("c1"); err != nil {
				t.Fatal(err)
			}
			if err := s.Unmount("c1"); err != nil {
				t.Errorf("second Unmount: %v", err)
			}
			if _, err := os.Stat(filepath.Join(s.path("roots", "c1", "upper", "new"))); err != nil {
				t.Errorf("write did not reach upper: %v", err)
			}
			if err := s.RemoveRoot("c1"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(s.path("roots", "c1")); !os.IsNotExist(err) {
				t.Errorf("root still there: %v", err)
			}
		})
	}
	t.Run("volatile twice", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, map[string]v1Image{"x:1": img})), nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.RemoveRoot("c1") })
		for i := range 2 {
			merged, err := s.MountVolatile("c1", "x:1")
			if err != nil {
				t.Fatalf("mount %d: %v", i+1, err)
			}
			checkMerged(t, merged)
			if err := s.Unmount("c1"); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("bad key", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Mount("../x", "x"); err == nil {
			t.Error("Mount accepted ../x")
		}
	})
}

func checkMerged(t *testing.T, merged string) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(merged, "etc/motd")); err != nil || string(b) != "top" {
		t.Errorf("etc/motd = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(merged, "etc/hostname")); !os.IsNotExist(err) {
		t.Errorf("whiteout did not hide etc/hostname: %v", err)
	}
	if _, err := os.Stat(filepath.Join(merged, "bin/busybox")); err != nil {
		t.Error(err)
	}
}
