package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestValidationCache(t *testing.T) {
	cache := t.TempDir()
	dir := writeFiles(t, t.TempDir(), map[string]string{"compose.yaml": "services:\n  web:\n    image: ${IMG}\n"})
	o := Options{WorkingDir: dir, Environ: []string{"IMG=nginx"}, ValidationCache: cache}
	markers := func() int {
		entries, _ := os.ReadDir(cache)
		return len(entries)
	}
	ctx := context.Background()
	for i := range 2 {
		p, _, err := Load(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := image(t, p, "web"); got != "nginx" {
			t.Errorf("load %d: image %q", i+1, got)
		}
		if markers() != 1 {
			t.Fatalf("load %d: %d markers, want 1", i+1, markers())
		}
	}
	// A variable the files do not name does not count.
	o.Environ = append(o.Environ, "UNRELATED=1")
	if _, _, err := Load(ctx, o); err != nil || markers() != 1 {
		t.Fatalf("unrelated variable: %v, %d markers", err, markers())
	}
	// Other inputs are validated again, and an invalid file is never remembered.
	o.Environ = []string{"IMG=redis"}
	if _, _, err := Load(ctx, o); err != nil || markers() != 2 {
		t.Fatalf("new environment: %v, %d markers", err, markers())
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    imagee: nginx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ce *Error
	if _, _, err := Load(ctx, o); !errors.As(err, &ce) || markers() != 2 {
		t.Fatalf("invalid file: %v, %d markers", err, markers())
	}
	// A file that pulls in others is not cached: they are not in the key.
	incl := writeFiles(t, t.TempDir(), map[string]string{
		"compose.yaml": "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n",
		"other.yaml":   "services:\n  db:\n    image: postgres\n",
	})
	if _, _, err := Load(ctx, Options{WorkingDir: incl, ValidationCache: cache}); err != nil || markers() != 2 {
		t.Fatalf("include: %v, %d markers", err, markers())
	}
	// Nor one whose keys can hide in merge keys or further documents, nor one whose
	// obsolete version key compose-go warns about only while it validates.
	for name, content := range map[string]string{
		"merge key":      "x-base: &base\n  image: nginx\nservices:\n  web:\n    <<: *base\n",
		"more documents": "services:\n  web:\n    image: nginx\n---\nservices:\n  db:\n    image: postgres\n",
		"version key":    "version: \"3\"\nservices:\n  web:\n    image: nginx\n",
	} {
		d := writeFiles(t, t.TempDir(), map[string]string{"compose.yaml": content})
		if _, _, err := Load(ctx, Options{WorkingDir: d, ValidationCache: cache}); err != nil || markers() != 2 {
			t.Fatalf("%s: %v, %d markers", name, err, markers())
		}
	}
}
