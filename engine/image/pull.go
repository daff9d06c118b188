package image

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	rtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// PullOptions are the options of Pull.
type PullOptions struct {
	// Insecure lists registry hosts reached over plain HTTP, e.g. "127.0.0.1:5000".
	Insecure []string
	// Auth authenticates to the registry; nil means anonymous.
	Auth authn.Authenticator
	// Progress, if set, is told the bytes of each layer downloaded so far.
	// Layers the store already has are not downloaded and not reported.
	Progress func(layer string, done, total int64)
	// Timeout bounds connecting to the registry and waiting for each answer's headers;
	// 0 means 30 s.
	Timeout time.Duration
}

// transport is the HTTP transport of one pull: a registry that does not answer fails
// the pull instead of hanging it.
func transport(timeout time.Duration) http.RoundTripper {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
	}
}

// Pull fetches ref for linux/GOARCH and adds it to the store, tagged ref
// (unless ref is a digest). Layers the store already has are not downloaded.
func (s *Store) Pull(ctx context.Context, ref string, opts PullOptions) (Image, error) {
	r, err := parseRef(ref)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	if slices.Contains(opts.Insecure, r.Context().RegistryStr()) {
		if r, err = parseRef(ref, name.Insecure); err != nil {
			return Image{}, fmt.Errorf("pull %s: %w", ref, err)
		}
	}
	auth := opts.Auth
	if auth == nil {
		auth = authn.Anonymous
	}
	desc, err := remote.Get(r, remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(transport(opts.Timeout)),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, registryError(err))
	}
	img, err := desc.Image()
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, registryError(err))
	}
	src, err := imageSource(img)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, registryError(err))
	}
	repo := canonical(r.Context().Digest(desc.Digest.String()))
	src.repoDigests = []string{repo}
	if _, ok := r.(name.Tag); ok {
		src.tags = []string{canonical(r)}
	}
	if opts.Progress != nil {
		ls, _ := img.Layers()
		for i := range src.layers {
			l := &src.layers[i]
			var total int64
			if i < len(ls) {
				total, _ = ls[i].Size()
			}
			digest := l.digest
			l.progress = func(done int64) { opts.Progress(digest, done, total) }
		}
	}
	id, err := s.ingest(ctx, src)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, registryError(err))
	}
	out, err := s.Get(id)
	if err != nil {
		return Image{}, fmt.Errorf("pull %s: %w", ref, err)
	}
	return out, nil
}

// registryError gives registry failures a category callers can branch on.
func registryError(err error) error {
	var te *rtransport.Error
	if !errors.As(err, &te) {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
			return errorf(errdefs.ErrUnavailable, "registry unreachable: %w", err)
		}
		return err
	}
	switch te.StatusCode {
	case 404:
		return errorf(errdefs.ErrNotFound, "%w", err)
	case 401, 403:
		return errorf(errdefs.ErrPermissionDenied, "%w", err)
	}
	return errorf(errdefs.ErrUnavailable, "%w", err)
}
