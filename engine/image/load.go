package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/containerd/errdefs"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"

	"berth/untar"
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
		srcs, err = dockerSources(&archiveDir{path: work})
	case exists(filepath.Join(work, "index.json")):
		srcs, err = ociSources(&archiveDir{path: work})
	default:
		err = errorf(errdefs.ErrInvalidArgument, "archive has neither manifest.json (docker save) nor index.json (OCI image layout); is it complete?")
	}
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	var imgs []Image
	for _, src := range mergeSources(srcs) {
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

// mergeSources folds entries of one image (the same config) into one, with the tags of
// all: an archive that names an image thousands of times adds it once.
func mergeSources(srcs []source) []source {
	var out []source
	byConfig := map[[32]byte]int{}
	for _, src := range srcs {
		k := sha256.Sum256(src.rawConfig)
		if i, ok := byConfig[k]; ok {
			for _, t := range src.tags {
				if !slices.Contains(out[i].tags, t) {
					out[i].tags = append(out[i].tags, t)
				}
			}
			continue
		}
		byConfig[k] = len(out)
		out = append(out, src)
	}
	return out
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Bounds on the JSON an archive holds, read into memory whole: far above any real
// image's, so a crafted archive gets an error rather than an allocation.
const (
	maxManifestBytes = 4 << 20  // manifest.json, index.json, image manifests and indexes
	maxConfigBytes   = 16 << 20 // image configs (their history can be long)
	maxIndexDepth    = 4        // indexes nested in indexes
	maxMetadataBytes = 64 << 20 // all of an archive's manifests, indexes and configs
)

// extractArchive unpacks the archive into dir with untar: no entry lands outside dir,
// and no device node or FIFO is made.
func extractArchive(ctx context.Context, r io.Reader, dir string) error {
	dr, err := decompress(r)
	if err != nil {
		return errorf(errdefs.ErrInvalidArgument, "archive is not a tar (or gzip of one): %w", err)
	}
	defer dr.Close()
	cr := &countReader{r: dr}
	if err := untar.Extract(ctx, cr, dir, "/", untar.Options{}); err != nil {
		return err
	}
	if cr.n == 0 {
		return errorf(errdefs.ErrInvalidArgument, "archive is empty")
	}
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openIn opens the regular file rel of an extracted archive. Symlinks resolve inside
// dir, as inside a chroot, so no link in an archive reaches a file of the host.
func openIn(dir, rel string) (*os.File, error) {
	h, err := pathrs.OpenInRoot(dir, rel)
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "archive lacks %s", rel)
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, errorf(errdefs.ErrInvalidArgument, "%s in the archive is not a regular file", rel)
	}
	return pathrs.Reopen(h, unix.O_RDONLY|unix.O_CLOEXEC)
}

// archiveDir is an extracted archive whose metadata is being read: what has been read is
// remembered and counted, so that many entries naming one large file cost it once and an
// archive's metadata altogether stays bounded.
type archiveDir struct {
	path string
	read int64
	seen map[string][]byte
}

// readIn reads the regular file rel of the archive, refusing one over limit bytes, or
// more than maxMetadataBytes read from the archive in all.
func (a *archiveDir) readIn(rel string, limit int64) ([]byte, error) {
	if b, ok := a.seen[rel]; ok {
		return b, nil
	}
	f, err := openIn(a.path, rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errorf(errdefs.ErrInvalidArgument, "%s in the archive is larger than %d MiB; it cannot be an image's metadata", rel, limit>>20)
	}
	if a.read += int64(len(b)); a.read > maxMetadataBytes {
		return nil, errorf(errdefs.ErrInvalidArgument, "the archive's manifests and configs come to more than %d MiB; it cannot be a set of images", maxMetadataBytes>>20)
	}
	if a.seen == nil {
		a.seen = map[string][]byte{}
	}
	a.seen[rel] = b
	return b, nil
}

// dockerManifest is an entry of a docker-save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func dockerSources(a *archiveDir) ([]source, error) {
	raw, err := a.readIn("manifest.json", maxManifestBytes)
	if err != nil {
		return nil, err
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "manifest.json: %w", err)
	}
	var srcs []source
	for _, m := range ms {
		raw, err := a.readIn(m.Config, maxConfigBytes)
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
					return openIn(a.path, lp)
				},
			})
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}

func ociSources(a *archiveDir) ([]source, error) {
	raw, err := a.readIn("index.json", maxManifestBytes)
	if err != nil {
		return nil, err
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "index.json: %w", err)
	}
	var srcs []source
	for _, d := range im.Manifests {
		src, err := ociImage(a, d, 0)
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

// readBlob reads the blob d names from an OCI layout, checking its size and digest.
func readBlob(a *archiveDir, d v1.Descriptor, limit int64) ([]byte, error) {
	if d.Digest.Algorithm != "sha256" {
		return nil, errorf(errdefs.ErrInvalidArgument, "blob %s: only sha256 digests are supported", d.Digest)
	}
	if d.Size > limit {
		return nil, errorf(errdefs.ErrInvalidArgument, "blob %s is %d bytes, larger than %d MiB; it cannot be an image's metadata", d.Digest, d.Size, limit>>20)
	}
	b, err := a.readIn(blobPathIn(d.Digest), limit)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != d.Digest.Hex {
		return nil, errorf(errdefs.ErrInvalidArgument, "blob %s does not match its digest", d.Digest)
	}
	return b, nil
}

func blobPathIn(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// ociImage returns the image d describes, choosing linux/GOARCH from an index.
func ociImage(a *archiveDir, d v1.Descriptor, depth int) (source, error) {
	if d.MediaType.IsIndex() {
		if depth >= maxIndexDepth {
			return source{}, errorf(errdefs.ErrInvalidArgument, "index %s: indexes nest deeper than %d", d.Digest, maxIndexDepth)
		}
		raw, err := readBlob(a, d, maxManifestBytes)
		if err != nil {
			return source{}, err
		}
		cm, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return source{}, errorf(errdefs.ErrInvalidArgument, "index %s: %w", d.Digest, err)
		}
		want := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
		for _, c := range cm.Manifests {
			if c.Platform == nil || c.Platform.Satisfies(want) || len(cm.Manifests) == 1 {
				return ociImage(a, c, depth+1)
			}
		}
		return source{}, errorf(errdefs.ErrNotFound, "index %s has no image for linux/%s", d.Digest, runtime.GOARCH)
	}
	raw, err := readBlob(a, d, maxManifestBytes)
	if err != nil {
		return source{}, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return source{}, errorf(errdefs.ErrInvalidArgument, "image %s: %w", d.Digest, err)
	}
	cfg, err := readBlob(a, m.Config, maxConfigBytes)
	if err != nil {
		return source{}, err
	}
	mt := m.MediaType
	if mt == "" {
		mt = d.MediaType
	}
	src := source{rawConfig: cfg, rawManifest: raw, manifestMediaType: string(mt)}
	for _, l := range m.Layers {
		if l.Digest.Algorithm != "sha256" {
			return source{}, errorf(errdefs.ErrInvalidArgument, "layer %s: only sha256 digests are supported", l.Digest)
		}
		p := blobPathIn(l.Digest)
		src.layers = append(src.layers, layerSource{digest: l.Digest.String(), mediaType: string(l.MediaType),
			open: func() (io.ReadCloser, error) { return openIn(a.path, p) }})
	}
	return src, nil
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
