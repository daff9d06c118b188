package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"
)

// withEntries returns archive with the named entries dropped and extra appended.
func withEntries(t testing.TB, archive []byte, drop []string, extra ...entry) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		skip := false
		for _, d := range drop {
			skip = skip || h.Name == d || strings.HasPrefix(h.Name, d+"/")
		}
		if skip {
			continue
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	for _, e := range extra {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		tw.Write([]byte(e.body))
	}
	tw.Close()
	return buf.Bytes()
}

// Archives whose links point out of the archive, or whose metadata is huge, are refused
// without reading the host's files, and the store is as before.
func TestLoadHostileArchives(t *testing.T) {
	good := ociArchive(t, buildImage(t, "sh", fileLayer(t, "f", "x")), map[string]string{annotationRefName: "docker.io/library/good:1"})
	// The host side: a directory holding the image's real blobs, and a FIFO.
	host := t.TempDir()
	blobs := filepath.Join(host, "blobs")
	tr := tar.NewReader(bytes.NewReader(good))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		p := filepath.Join(host, h.Name)
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		b, _ := io.ReadAll(tr)
		os.WriteFile(p, b, 0o644)
	}
	fifo := filepath.Join(host, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(filepath.Join(host, "index.json"))

	cases := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"index.json to /dev/zero", withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeSymlink, link: "/dev/zero"}), "archive lacks index.json"},
		{"index.json to a FIFO", withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeSymlink, link: fifo}), "archive lacks index.json"},
		{"index.json climbing to a FIFO", withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeSymlink, link: "../../../../../../../../.." + fifo}), "archive lacks index.json"},
		{"blobs to a host directory", withEntries(t, good, []string{"blobs"}, entry{name: "blobs", typ: tar.TypeSymlink, link: blobs}), "archive lacks blobs/sha256/"},
		{"manifest.json to /etc/passwd", withEntries(t, good, []string{"index.json"}, entry{name: "manifest.json", typ: tar.TypeSymlink, link: "/etc/passwd"}), "archive lacks manifest.json"},
		{"huge index.json", withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeReg, body: string(index) + strings.Repeat(" ", 5<<20)}), "index.json in the archive is larger than 4 MiB"},
		{"index.json a FIFO entry", withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeFifo}), "archive has neither manifest.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			before := snapshot(t, s)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { _, err := s.Load(ctx, bytes.NewReader(c.archive), nil); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-ctx.Done():
				t.Fatal("load hangs")
			}
			if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want an invalid argument saying %q", err, c.want)
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("store changed:\n%s\nwas\n%s", after, before)
			}
		})
	}
	// The good archive loads, links inside it resolving inside it.
	s := newStore(t)
	linked := withEntries(t, good, []string{"index.json"}, entry{name: "meta/index.json", typ: tar.TypeReg, body: string(index)}, entry{name: "index.json", typ: tar.TypeSymlink, link: "/meta/index.json"})
	if _, err := s.Load(context.Background(), bytes.NewReader(linked), nil); err != nil {
		t.Fatalf("an archive with a link inside it: %v", err)
	}
}

// FuzzLoad loads arbitrary archives: each loads or is refused, and a refused one leaves
// the store as it was.
func FuzzLoad(f *testing.F) {
	img := buildImage(f, "sh", fileLayer(f, "f", "x"))
	good := ociArchive(f, img, map[string]string{annotationRefName: "docker.io/library/good:1"})
	f.Add(good)
	f.Add(dockerArchive(f, map[string]v1Image{"a:1": img}))
	f.Add(withEntries(f, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeSymlink, link: "/dev/zero"}))
	f.Add(withEntries(f, good, []string{"blobs"}, entry{name: "blobs", typ: tar.TypeSymlink, link: "/"}))
	f.Add(tarBytes(f, entry{name: ".wh...", typ: tar.TypeReg}))
	s := newStore(f) // one store: each load is compared with the state just before it
	f.Fuzz(func(t *testing.T, archive []byte) {
		before := snapshot(t, s)
		if _, err := s.Load(context.Background(), bytes.NewReader(archive), nil); err != nil {
			if after := snapshot(t, s); after != before {
				t.Errorf("a refused load (%v) changed the store:\n%s", err, after)
			}
		}
	})
}

// An archive naming one image thousands of times reads its config once and adds it once.
func TestLoadRepeatedEntries(t *testing.T) {
	img := buildImage(t, "sh", fileLayer(t, "f", "x"))
	good := ociArchive(t, img, nil)
	idx := ""
	tr := tar.NewReader(bytes.NewReader(good))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Name == "index.json" {
			b, _ := io.ReadAll(tr)
			idx = string(b)
		}
	}
	var im struct{ Manifests []map[string]any }
	if err := json.Unmarshal([]byte(idx), &im); err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index.json: %v %s", err, idx)
	}
	var many []map[string]any
	for range 5000 {
		many = append(many, im.Manifests[0])
	}
	raw, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": many})
	archive := withEntries(t, good, []string{"index.json"}, entry{name: "index.json", typ: tar.TypeReg, body: string(raw)})
	s := newStore(t)
	imgs, err := s.Load(context.Background(), bytes.NewReader(archive), nil)
	if err != nil || len(imgs) != 1 {
		t.Fatalf("load: %d images, %v", len(imgs), err)
	}
}
