package image

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestLoad(t *testing.T) {
	ctx := context.Background()
	img := buildImage(t, "sh", baseLayer(t), fileLayer(t, "etc/motd", "hi\n"))
	id := digestOf(t, img)
	tests := []struct {
		name     string
		archive  []byte
		wantTags []string
	}{
		{"docker save", dockerArchive(t, map[string]v1Image{"busybox:latest": img}), []string{"busybox:latest"}},
		{"docker save other registry", dockerArchive(t, map[string]v1Image{"127.0.0.1:5000/x/y:1": img}), []string{"127.0.0.1:5000/x/y:1"}},
		{"oci layout containerd name", ociArchive(t, img, map[string]string{annotationContainerdName: "docker.io/library/busybox:1.36", annotationRefName: "1.36"}), []string{"busybox:1.36"}},
		{"oci layout ref name", ociArchive(t, img, map[string]string{annotationRefName: "example.com/app:v2"}), []string{"example.com/app:v2"}},
		{"oci layout untagged", ociArchive(t, img, nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			var out bytes.Buffer
			imgs, err := s.Load(ctx, bytes.NewReader(tt.archive), &out)
			if err != nil {
				t.Fatal(err)
			}
			if len(imgs) != 1 || imgs[0].ID != id {
				t.Fatalf("loaded %+v, want one image %s", imgs, id)
			}
			got := imgs[0]
			if !slices.Equal(got.RepoTags, tt.wantTags) {
				t.Errorf("RepoTags = %q, want %q", got.RepoTags, tt.wantTags)
			}
			if len(got.DiffIDs) != 2 || got.Size == 0 || got.Config.Config.Cmd[0] != "sh" {
				t.Errorf("image = %+v", got)
			}
			raw, err := os.ReadFile(s.blobPath(id))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := img.RawConfigFile()
			if !bytes.Equal(raw, want) {
				t.Error("stored config differs from the archive's")
			}
			dirs, err := s.LayerDirs(id)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := os.ReadFile(filepath.Join(dirs[1], "etc/motd")); err != nil || string(b) != "hi\n" {
				t.Errorf("etc/motd = %q, %v", b, err)
			}
			if l, err := os.Readlink(filepath.Join(dirs[0], "bin/sh")); err != nil || l != "busybox" {
				t.Errorf("bin/sh -> %q, %v", l, err)
			}
			var st1, st2 os.FileInfo
			st1, _ = os.Stat(filepath.Join(dirs[0], "bin/busybox"))
			st2, _ = os.Stat(filepath.Join(dirs[0], "bin/ls"))
			if !os.SameFile(st1, st2) {
				t.Error("bin/ls is not a hard link of bin/busybox")
			}
			if st1.Mode().Perm() != 0o755 {
				t.Errorf("bin/busybox mode %v", st1.Mode())
			}
			if len(tt.wantTags) > 0 && !strings.Contains(out.String(), "Loaded image: "+tt.wantTags[0]) {
				t.Errorf("progress = %q", out.String())
			}
		})
	}
}

func TestGetForms(t *testing.T) {
	s := newStore(t)
	img := buildImage(t, "sh", baseLayer(t))
	id := digestOf(t, img)
	if _, err := s.Load(context.Background(), bytes.NewReader(dockerArchive(t, map[string]v1Image{"busybox:latest": img, "127.0.0.1:5000/x/y:tag": img})), nil); err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(id, "sha256:")
	for _, tt := range []struct {
		name, ref string
		err       error
	}{
		{"short name", "busybox", nil},
		{"name and tag", "busybox:latest", nil},
		{"library name", "library/busybox", nil},
		{"full name", "docker.io/library/busybox:latest", nil},
		{"index name", "index.docker.io/library/busybox:latest", nil},
		{"other registry", "127.0.0.1:5000/x/y:tag", nil},
		{"full ID", id, nil},
		{"ID without sha256", hex, nil},
		{"ID prefix", hex[:4], nil},
		{"sha256 ID prefix", "sha256:" + hex[:12], nil},
		{"unknown tag", "busybox:nope", errdefs.ErrNotFound},
		{"unknown name", "nothing", errdefs.ErrNotFound},
		{"too short prefix", hex[:3], errdefs.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Get(tt.ref)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Get(%q) err = %v, want %v", tt.ref, err, tt.err)
				}
				return
			}
			if err != nil || got.ID != id {
				t.Fatalf("Get(%q) = %s, %v", tt.ref, got.ID, err)
			}
			want := []string{"127.0.0.1:5000/x/y:tag", "busybox:latest"}
			if tags := slices.Sorted(slices.Values(got.RepoTags)); !slices.Equal(tags, want) {
				t.Errorf("RepoTags = %q, want %q", tags, want)
			}
		})
	}
	if _, err := s.Get("busybox:nope"); err == nil || !strings.Contains(err.Error(), "no such image: busybox:nope") {
		t.Errorf("error text = %v", err)
	}
}

func TestTagAndList(t *testing.T) {
	s := newStore(t)
	a := buildImage(t, "a", baseLayer(t))
	b := buildImage(t, "b", baseLayer(t), fileLayer(t, "b", "b"))
	if _, err := s.Load(context.Background(), bytes.NewReader(dockerArchive(t, map[string]v1Image{"a:1": a, "b:1": b})), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("a:1", "example.com/a:2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("b:1", "a:1"); err != nil { // moves a:1 to b
		t.Fatal(err)
	}
	if err := s.Tag("a:1", "x@sha256:"+strings.Repeat("0", 64)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("tag with digest: %v", err)
	}
	if err := s.Tag("nope", "x:1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("tag unknown: %v", err)
	}
	imgs, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, i := range imgs {
		got[i.Config.Config.Cmd[0]] = slices.Sorted(slices.Values(i.RepoTags))
	}
	if !slices.Equal(got["a"], []string{"example.com/a:2"}) || !slices.Equal(got["b"], []string{"a:1", "b:1"}) {
		t.Errorf("tags = %v", got)
	}
}

func TestRemove(t *testing.T) {
	shared := baseLayer(t)
	a := buildImage(t, "a", shared, fileLayer(t, "only-a", "a"))
	b := buildImage(t, "b", shared)
	aID, bID := digestOf(t, a), digestOf(t, b)
	setup := func(t *testing.T) *Store {
		s := newStore(t)
		if _, err := s.Load(context.Background(), bytes.NewReader(dockerArchive(t, map[string]v1Image{"a:1": a, "a:2": a, "b:1": b})), nil); err != nil {
			t.Fatal(err)
		}
		return s
	}
	never := func(string) bool { return false }
	tests := []struct {
		name         string
		ref          string
		force        bool
		inUse        func(string) bool
		wantUntagged []string
		wantDeleted  int // image plus layers
		err          error
	}{
		{"tag with other tags untags", "a:1", false, never, []string{"a:1"}, 0, nil},
		{"last tag deletes", "b:1", false, never, []string{"b:1"}, 1, nil}, // shared layer stays
		{"ID with several tags needs force", aID, false, never, nil, 0, errdefs.ErrConflict},
		{"ID forced deletes", aID, true, never, []string{"a:1", "a:2"}, 2, nil},
		{"in use conflicts", "b:1", false, func(id string) bool { return id == bID }, nil, 0, errdefs.ErrConflict},
		{"in use forced only untags", "b:1", true, func(id string) bool { return id == bID }, []string{"b:1"}, 0, nil},
		{"not found", "c:1", false, never, nil, 0, errdefs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			before := snapshot(t, s)
			untagged, deleted, err := s.Remove(tt.ref, tt.force, tt.inUse)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if after := snapshot(t, s); after != before {
					t.Errorf("failed remove changed the store")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(slices.Sorted(slices.Values(untagged)), tt.wantUntagged) {
				t.Errorf("untagged = %q, want %q", untagged, tt.wantUntagged)
			}
			if len(deleted) != tt.wantDeleted {
				t.Errorf("deleted = %q, want %d entries", deleted, tt.wantDeleted)
			}
			for _, d := range deleted[min(1, len(deleted)):] {
				if _, err := os.Stat(s.layerPath(d)); !os.IsNotExist(err) {
					t.Errorf("layer %s still there", d)
				}
			}
			// The shared layer stays while any image uses it.
			if _, err := s.LayerDirs("b:1"); err == nil {
				dirs, _ := s.LayerDirs("b:1")
				if _, err := os.Stat(dirs[0]); err != nil {
					t.Errorf("shared layer gone: %v", err)
				}
			}
		})
	}
	t.Run("in use message", func(t *testing.T) {
		s := setup(t)
		_, _, err := s.Remove("b:1", false, func(string) bool { return true })
		want := "image b:1 (" + strings.TrimPrefix(bID, "sha256:")[:12] + ") is in use by a container; remove the container first"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
	t.Run("delete all leaves nothing", func(t *testing.T) {
		s := setup(t)
		for _, r := range []string{"a:1", "a:2", "b:1"} {
			if _, _, err := s.Remove(r, false, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{"blobs/sha256", "layers"} {
			if ents, _ := os.ReadDir(s.path(d)); len(ents) != 0 {
				t.Errorf("%s still holds %d entries", d, len(ents))
			}
		}
	})
}

func TestLoadBadArchiveLeavesStoreUnchanged(t *testing.T) {
	ctx := context.Background()
	img := buildImage(t, "sh", baseLayer(t), fileLayer(t, "big", strings.Repeat("x", 100000)))
	good := dockerArchive(t, map[string]v1Image{"busybox:latest": img})
	other := buildImage(t, "other", fileLayer(t, "o", "o"))
	for _, tt := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"truncated", good[:len(good)*2/3], "truncated or corrupt"},
		{"garbage", []byte("this is not a tar archive at all, not even close......................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................................."), "truncated or corrupt"},
		{"empty", nil, "archive is empty"},
		{"no manifest", tarBytes(t, entry{name: "x", typ: '0', body: "x"}), "neither manifest.json"},
		{"escaping name", tarBytes(t, entry{name: "../x", typ: '0', body: "x"}), "escapes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, map[string]v1Image{"other:1": other})), nil); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, s)
			_, err := s.Load(ctx, bytes.NewReader(tt.archive), nil)
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "load image: ") {
				t.Fatalf("err = %v, want invalid argument containing %q", err, tt.want)
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("store changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestOpenClearsInterruptedWork(t *testing.T) {
	root := t.TempDir()
	s := openStore(t, root)
	img := buildImage(t, "sh", baseLayer(t))
	if _, err := s.Load(context.Background(), bytes.NewReader(dockerArchive(t, map[string]v1Image{"a:1": img})), nil); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s)
	// An unpack killed half-way, and a layer renamed into place whose
	// records were never committed.
	os.MkdirAll(s.path("tmp", "ingest-1", "layer-2", "etc"), 0o755)
	os.WriteFile(s.path("tmp", "ingest-1", "layer-2", "etc", "half"), []byte("x"), 0o644)
	os.MkdirAll(s.path("layers", strings.Repeat("ab", 32), "etc"), 0o755)
	os.WriteFile(s.path("blobs", "sha256", strings.Repeat("cd", 32)), []byte("x"), 0o644)
	s.db.Close()
	s2 := openStore(t, root)
	if after := snapshot(t, s2); after != before {
		t.Errorf("Open left junk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if _, err := s2.Get("a:1"); err != nil {
		t.Error(err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	shared := baseLayer(t)
	a := buildImage(t, "a", shared, fileLayer(t, "a", "a"))
	b := buildImage(t, "b", shared)
	s := newStore(t)
	// OCI source with gzip layers: Save must write them uncompressed.
	if _, err := s.Load(ctx, bytes.NewReader(ociArchive(t, a, map[string]string{annotationContainerdName: "docker.io/library/a:1"})), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, map[string]v1Image{"b:1": b})), nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bID := digestOf(t, b)
	if err := s.Save(ctx, &buf, []string{"a:1", bID}); err != nil {
		t.Fatal(err)
	}
	s2 := newStore(t)
	imgs, err := s2.Load(ctx, bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].ID != digestOf(t, a) || imgs[1].ID != bID {
		t.Fatalf("round trip gave %v", imgs)
	}
	if !slices.Equal(imgs[0].RepoTags, []string{"a:1"}) || len(imgs[1].RepoTags) != 0 {
		t.Errorf("tags = %q, %q", imgs[0].RepoTags, imgs[1].RepoTags)
	}
	if ents, _ := os.ReadDir(s2.path("layers")); len(ents) != 2 {
		t.Errorf("%d layer dirs, want 2 (shared layer once)", len(ents))
	}
	// The saved archive is an OCI layout too.
	s3 := newStore(t)
	oci := stripFile(t, buf.Bytes(), "manifest.json")
	imgs, err = s3.Load(ctx, bytes.NewReader(oci), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || !slices.Equal(imgs[0].RepoTags, []string{"a:1"}) {
		t.Errorf("OCI side gave %v", imgs)
	}
}

func TestLoadDedupe(t *testing.T) {
	ctx := context.Background()
	shared := baseLayer(t)
	a := buildImage(t, "a", shared)
	b := buildImage(t, "b", shared, fileLayer(t, "b", "b"))
	s := newStore(t)
	if _, err := s.Load(ctx, bytes.NewReader(dockerArchive(t, map[string]v1Image{"a:1": a})), nil); err != nil {
		t.Fatal(err)
	}
	dirs, _ := s.LayerDirs("a:1")
	marker := filepath.Join(dirs[0], "marker")
	os.WriteFile(marker, nil, 0o644)
	if _, err := s.Load(ctx, bytes.NewReader(ociArchive(t, b, nil)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("shared layer was unpacked again")
	}
	if ents, _ := os.ReadDir(s.path("layers")); len(ents) != 2 {
		t.Errorf("%d layer dirs, want 2", len(ents))
	}
}

func TestErrorMessages(t *testing.T) {
	s := newStore(t)
	noise := make([]byte, 100000)
	rand.New(rand.NewSource(1)).Read(noise)
	img := buildImage(t, "sh", fileLayer(t, "big", string(noise)))
	good := dockerArchive(t, map[string]v1Image{"busybox:latest": img})
	_, err := s.Load(context.Background(), bytes.NewReader(good[:len(good)/2]), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "load image: archive is truncated or corrupt: unexpected EOF reading ") {
		t.Errorf("truncated: %v", err)
	}
	_, err = s.Get("foo")
	if err == nil || err.Error() != "get image: no such image: foo" {
		t.Errorf("not found: %v", err)
	}
}
