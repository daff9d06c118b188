package image

import (
	"strings"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHub is how ggcr names Docker Hub; Docker shows it as docker.io.
const dockerHub = "index.docker.io"

// parseRef parses a user's image reference; bare names get docker.io and
// ":latest", as Docker does.
func parseRef(ref string, opts ...name.Option) (name.Reference, error) {
	r, err := name.ParseReference(ref, append([]name.Option{name.WeakValidation}, opts...)...)
	if err != nil {
		return nil, errorf(errdefs.ErrInvalidArgument, "%q is not an image reference; use NAME[:TAG] or NAME@DIGEST, e.g. busybox:latest", ref)
	}
	return r, nil
}

// canonical returns the stored form of a reference:
// "docker.io/library/busybox:latest" or "127.0.0.1:5000/x/y@sha256:…".
func canonical(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == dockerHub {
		reg = "docker.io"
	}
	sep := ":"
	if _, ok := r.(name.Digest); ok {
		sep = "@"
	}
	return reg + "/" + r.Context().RepositoryStr() + sep + r.Identifier()
}

// normalize parses ref and returns its canonical form.
func normalize(ref string) (string, error) {
	r, err := parseRef(ref)
	if err != nil {
		return "", err
	}
	return canonical(r), nil
}

// familiar turns a canonical reference into the form Docker shows:
// "docker.io/library/busybox:latest" becomes "busybox:latest" and
// "docker.io/x/y:1" becomes "x/y:1"; other registries are kept.
func familiar(c string) string {
	rest, ok := strings.CutPrefix(c, "docker.io/")
	if !ok {
		return c
	}
	if lib, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(lib, "/") {
		return lib
	}
	return rest
}

// Familiar returns ref in the form Docker shows ("busybox:latest"), or ref itself when it
// is no image reference (an image ID).
func Familiar(ref string) string {
	c, err := normalize(ref)
	if err != nil {
		return ref
	}
	return familiar(c)
}
