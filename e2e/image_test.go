package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageRefs lists the images as "repo:tag id" lines, which do not change with time.
func (e *env) imageRefs() string {
	e.t.Helper()
	return e.must("image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
}

func TestImageSaveRmLoadRoundTrip(t *testing.T) {
	e := newEnv(t)
	before := e.imageRefs()
	if !strings.Contains(before, testImage) {
		t.Fatalf("image ls does not list the imported image:\n%s", before)
	}
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.must("image", "save", "-o", archive, testImage)
	e.must("image", "rm", testImage)
	if out := e.imageRefs(); strings.Contains(out, testImage) {
		t.Fatalf("image ls lists the removed image:\n%s", out)
	}
	if r := e.run("image", "inspect", testImage); r.code == 0 {
		t.Fatalf("inspect of a removed image worked:\n%s", r)
	}

	out := e.must("image", "load", "-i", archive)
	if !strings.Contains(out, "Loaded image: "+testImage) {
		t.Fatalf("image load printed %q, want %q", out, "Loaded image: "+testImage)
	}
	if after := e.imageRefs(); after != before {
		t.Fatalf("image ls after save, rm, load:\n%s\nwant:\n%s", after, before)
	}
	if r := e.run("container", "run", "--rm", testImage, "echo", "loaded"); r.code != 0 || r.stdout != "loaded\n" {
		t.Fatalf("run of the loaded image:\n%s", r)
	}
	// The image keeps the CMD it was imported with.
	var imgs []struct{ Config struct{ Cmd []string } }
	if err := json.Unmarshal([]byte(e.must("image", "inspect", testImage)), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	if cmd := imgs[0].Config.Cmd; len(cmd) != 1 || cmd[0] != "sh" {
		t.Fatalf("image CMD = %q, want [sh]", cmd)
	}
}

func TestImageLoadOfTruncatedArchiveFailsAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	archive := filepath.Join(dir, "full.tar")
	e.must("image", "tag", testImage, "berth-test/other:1")
	e.must("image", "save", "-o", archive, "berth-test/other:1")
	e.must("image", "rm", "berth-test/other:1")
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	before := e.imageRefs()
	// (Cutting only the two zero blocks that end a tar leaves a complete archive.)
	for _, cut := range []int{len(data) / 2, len(data) * 9 / 10, 100} {
		truncated := filepath.Join(dir, "truncated.tar")
		if err := os.WriteFile(truncated, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		r := e.run("image", "load", "-i", truncated)
		if r.code == 0 || strings.TrimSpace(r.stderr) == "" {
			t.Fatalf("load of an archive cut at %d of %d bytes: want an error:\n%s", cut, len(data), r)
		}
		if after := e.imageRefs(); after != before {
			t.Fatalf("a failed load changed the images:\n%s\nwant:\n%s", after, before)
		}
	}
	if r := e.run("image", "load", "-i", filepath.Join(dir, "missing.tar")); r.code == 0 || !strings.Contains(r.stderr, "missing.tar") {
		t.Fatalf("load of a missing file: want an error naming it:\n%s", r)
	}
}

func TestImageRmOfImageInUseFails(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sleep", "1000")
	r := e.run("image", "rm", testImage)
	if r.code == 0 {
		t.Fatalf("image rm of an image a container uses worked:\n%s", r)
	}
	if !strings.Contains(r.stderr, id[:12]) && !strings.Contains(r.stderr, "in use") && !strings.Contains(r.stderr, "is using") {
		t.Fatalf("want an error saying which container uses the image:\n%s", r)
	}
	if out := e.imageRefs(); !strings.Contains(out, testImage) {
		t.Fatalf("the image is gone after a refused rm:\n%s", out)
	}
	if r := e.run("container", "run", "--rm", testImage, "true"); r.code != 0 {
		t.Fatalf("the image does not run after a refused rm:\n%s", r)
	}
}

// rootfsImage returns the test rootfs as a one-layer image with CMD ["sh"].
func rootfsImage(t *testing.T) v1.Image {
	t.Helper()
	dir := rootfs(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr.Name = rel
		if d.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatalf("tar the rootfs: %v", err)
	}
	layerData := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerData)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Cmd = []string{"sh"}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestImagePullFromRegistry(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref := host + "/x/busybox:1"
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img := rootfsImage(t)
	if err := remote.Write(r, img); err != nil {
		t.Fatalf("push to the test registry: %v", err)
	}
	digest, _ := img.Digest()

	if res := e.run("image", "pull", ref); res.code != 0 {
		t.Fatalf("pull:\n%s", res)
	}
	if out := e.imageRefs(); !strings.Contains(out, ref) {
		t.Fatalf("image ls does not list %s:\n%s", ref, out)
	}
	var imgs []struct{ RepoDigests []string }
	if err := json.Unmarshal([]byte(e.must("image", "inspect", ref)), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	if want := host + "/x/busybox@" + digest.String(); len(imgs[0].RepoDigests) == 0 || imgs[0].RepoDigests[0] != want {
		t.Errorf("RepoDigests = %q, want [%s]", imgs[0].RepoDigests, want)
	}
	if res := e.run("container", "run", "--rm", ref, "echo", "pulled"); res.code != 0 || res.stdout != "pulled\n" {
		t.Fatalf("run of the pulled image:\n%s", res)
	}
	// Pulling again is a no-op that still succeeds.
	if res := e.run("image", "pull", ref); res.code != 0 {
		t.Fatalf("second pull:\n%s", res)
	}
	if res := e.run("image", "pull", host+"/x/missing:1"); res.code == 0 || !strings.Contains(res.stderr, "x/missing") {
		t.Fatalf("pull of a missing repository: want an error naming it:\n%s", res)
	}
}

func TestImagePullFromFailingRegistryFailsClearly(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "registry is down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/x/busybox:1"
	before := e.imageRefs()
	r := e.run("image", "pull", ref)
	if r.code == 0 {
		t.Fatalf("pull from a failing registry worked:\n%s", r)
	}
	if !strings.Contains(r.stderr, "500") && !strings.Contains(r.stderr, "Internal Server Error") {
		t.Fatalf("want an error with the registry's status:\n%s", r)
	}
	if !strings.Contains(r.stderr, "x/busybox") {
		t.Fatalf("want an error naming the image:\n%s", r)
	}
	if after := e.imageRefs(); after != before {
		t.Fatalf("a failed pull changed the images:\n%s\nwant:\n%s", after, before)
	}
}
