package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/jsonstream"
)

func TestWriteTar(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "app"), []byte("hello"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("bin/app", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "bin", "app"), filepath.Join(dir, "hard")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeTar(&buf, dir); err != nil {
		t.Fatal(err)
	}
	var got []string
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entry := h.Name
		switch h.Typeflag {
		case tar.TypeSymlink:
			entry += " -> " + h.Linkname
		case tar.TypeLink:
			entry += " => " + h.Linkname
		case tar.TypeReg:
			body, _ := io.ReadAll(tr)
			entry += " " + string(body)
		}
		got = append(got, entry)
	}
	want := []string{"bin/", "bin/app hello", "hard => bin/app", "link -> bin/app"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDisplayStream(t *testing.T) {
	stream := `{"status":"Pulling fs layer","id":"abc"}
{"status":"Downloading","id":"abc","progressDetail":{"current":1000,"total":2000}}
{"status":"Downloading","id":"abc","progressDetail":{"current":2000,"total":2000}}
{"status":"Pull complete","id":"abc"}
{"stream":"Loaded image: alpine:3.20\n"}
`
	var out bytes.Buffer
	if err := displayMessages(decodeMessages(strings.NewReader(stream)), &out, false); err != nil {
		t.Fatal(err)
	}
	want := "abc: Pulling fs layer\nabc: Downloading\nabc: Pull complete\nLoaded image: alpine:3.20\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}

	err := displayMessages(decodeMessages(strings.NewReader(`{"errorDetail":{"message":"no such image"},"error":"no such image"}`)), io.Discard, false)
	if err == nil || err.Error() != "no such image" {
		t.Errorf("error %v, want the stream's error", err)
	}
	if got := renderProgress(&jsonstream.Progress{Current: 1000, Total: 2000}); got != "1kB/2kB" {
		t.Errorf("renderProgress = %q", got)
	}
}
