package image

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations that name an image in an OCI layout index.
const (
	annotationContainerdName = "io.containerd.image.name"
	annotationRefName        = "org.opencontainers.image.ref.name"
)

// Load adds the images of a `docker save` archive (manifest.json) or an OCI
// image-layout archive (index.json), optionally gzip-compressed, tagged as
// the archive says. It writes "Loaded image: NAME" lines to progress, like
// docker load. Either every image of the archive is added or, on error, none
// of the archive's new files or records are left.
func (s *Store) Load(ctx context.Context, r io.Reader, progress io.Writer) ([]Image, error) {
	if progress == nil {
		progress = io.Discard
	}
	work, err := os.MkdirTemp(s.path("tmp"), "load-")
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	defer os.RemoveAll(work)
	if err := extractArchive(ctx, r, work); err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	var srcs []source
	switch {
	case exists(filepath.Join(work, "manifest.json")):
		srcs, err = dockerSources(work)
	case exists(filepath.Join(work, "index.json")):
		srcs, err = ociSources(work)
	default:
		err = errorf(errdefs.ErrInvalidArgument, "archive has neither manifest.json (docker save) nor index.json (OCI image layout); is it complete?")
	}
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	var imgs []Image
	for _, src := range srcs {
		id, err := s.ingest(ctx, src)
		if err != nil {
			return nil, fmt.Errorf("load image: %w", err)
		}
		img, err := s.Get(id)
		if err != nil {
			return nil, fmt.Errorf("load image: %w", err)
		}
		imgs = append(imgs, img)
		if len(src.tags) == 0 {
			fmt.Fprintf(progress, "Loaded image ID: %s\n", id)
		}
		for _, t := range src.tags {
			fmt.Fprintf(progress, "Loaded image: %s\n", familiar(t))
		}
	}
	return imgs, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// extractArchive writes the regular files, directories and symlinks of the
// archive into dir; names that climb out of dir are refused, and symlinks
// are only ever followed with securejoin.
func extractArchive(ctx context.Context, r io.Reader, dir string) error {
	dr, err := decompress(r)
	if err != nil {
		return errorf(errdefs.ErrInvalidArgument, "archive is not a tar (or gzip of one): %w", err)
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	n := 0
	for ; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errorf(errdefs.ErrInvalidArgument, "archive is empty")
			}
			return nil
		}
		if err != nil {
			return errorf(errdefs.ErrInvalidArgument, "archive is truncated or corrupt: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := cleanName(hdr.Name)
		if err != nil {
			return err
		}
		if rel == "." {
			continue
		}
		parent, err := securejoin.SecureJoin(dir, path.Dir(rel))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return err
		}
		target := filepath.Join(parent, path.Base(rel))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg, tar.TypeRegA:
			os.Remove(target)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return errorf(errdefs.ErrInvalidArgument, "archive is truncated or corrupt: %w reading %s", err, rel)
			}
		case tar.TypeSymlink:
			os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		}
	}
}

// readIn reads a file of an extracted archive, resolving symlinks inside it.
func openIn(dir, rel string) (*os.File, error) {
	p, err := securejoin.SecureJoin(dir, rel)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "archive lacks %s", rel)
	}
	return f, nil
}

// dockerManifest is an entry of a docker-save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func dockerSources(dir string) ([]source, error) {
	f, err := openIn(dir, "manifest.json")
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	err = json.NewDecoder(f).Decode(&ms)
	f.Close()
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "manifest.json: %w", err)
	}
	var srcs []source
	for _, m := range ms {
		cf, err := openIn(dir, m.Config)
		if err != nil {
			return nil, err
		}
		raw, err := io.ReadAll(cf)
		cf.Close()
		if err != nil {
			return nil, err
		}
		src := source{rawConfig: raw}
		for _, t := range m.RepoTags {
			c, err := normalize(t)
			if err != nil {
				return nil, fmt.Errorf("manifest.json: RepoTags: %w", err)
			}
			src.tags = append(src.tags, c)
		}
		for _, lp := range m.Layers {
			src.layers = append(src.layers, layerSource{
				mediaType: string(types.DockerLayer),
				open: func() (io.ReadCloser, error) {
					return openIn(dir, lp)
				},
			})
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}

func ociSources(dir string) ([]source, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "index.json: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "index.json: %w", err)
	}
	var srcs []source
	for _, d := range im.Manifests {
		img, err := pickImage(idx, d)
		if err != nil {
			return nil, err
		}
		src, err := imageSource(img)
		if err != nil {
			return nil, err
		}
		if n := ociName(d.Annotations); n != "" {
			src.tags = []string{n}
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}

// ociName returns the canonical tag an index entry's annotations give, or "".
func ociName(a map[string]string) string {
	for _, n := range []string{a[annotationContainerdName], a[annotationRefName]} {
		// A bare ref.name such as "latest" names only a tag, not an image.
		if n == "" || !strings.ContainsAny(n, ":/") {
			continue
		}
		if c, err := normalize(n); err == nil && !strings.Contains(c, "@") {
			return c
		}
	}
	return ""
}

// pickImage returns the image d describes, choosing linux/GOARCH from an index.
func pickImage(idx v1.ImageIndex, d v1.Descriptor) (v1.Image, error) {
	if !d.MediaType.IsIndex() {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, errorf(errdefs.ErrInvalidArgument, "image %s: %w", d.Digest, err)
		}
		return img, nil
	}
	child, err := idx.ImageIndex(d.Digest)
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "index %s: %w", d.Digest, err)
	}
	cm, err := child.IndexManifest()
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "index %s: %w", d.Digest, err)
	}
	want := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	for _, c := range cm.Manifests {
		if c.Platform == nil || c.Platform.Satisfies(want) || len(cm.Manifests) == 1 {
			return pickImage(child, c)
		}
	}
	return nil, errorf(errdefs.ErrNotFound, "index %s has no image for linux/%s", d.Digest, runtime.GOARCH)
}

// imageSource describes a ggcr image (from a layout, a registry or mutate).
func imageSource(img v1.Image) (source, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return source{}, fmt.Errorf("read image config: %w", err)
	}
	man, err := img.RawManifest()
	if err != nil {
		return source{}, fmt.Errorf("read image manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return source{}, err
	}
	ls, err := img.Layers()
	if err != nil {
		return source{}, fmt.Errorf("read image layers: %w", err)
	}
	src := source{rawConfig: raw, rawManifest: man, manifestMediaType: string(mt)}
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return source{}, err
		}
		lmt, err := l.MediaType()
		if err != nil {
			return source{}, err
		}
		src.layers = append(src.layers, layerSource{digest: d.String(), mediaType: string(lmt), open: l.Compressed})
	}
	return src, nil
}
