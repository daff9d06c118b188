package image

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// blobCounter counts blob GETs per digest.
type blobCounter struct {
	next http.Handler
	mu   sync.Mutex
	gets map[string]int
}

func (c *blobCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		c.mu.Lock()
		c.gets[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

func (c *blobCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.gets {
		n += v
	}
	return n
}

func newRegistry(t *testing.T) (host string, c *blobCounter) {
	t.Helper()
	c = &blobCounter{next: registry.New(registry.Logger(log.New(io.Discard, "", 0))), gets: map[string]int{}}
	srv := httptest.NewUnstartedServer(c)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return ln.Addr().String(), c
}

func push(t *testing.T, ref string, img v1Image) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func TestPull(t *testing.T) {
	ctx := context.Background()
	host, counter := newRegistry(t)
	shared := baseLayer(t)
	a := buildImage(t, "a", shared)
	b := buildImage(t, "b", shared, fileLayer(t, "b", "b"))
	push(t, host+"/berth/a:1", a)
	push(t, host+"/berth/b:1", b)

	s := newStore(t)
	var reported []string
	opts := PullOptions{Insecure: []string{host}, Progress: func(layer string, done, total int64) {
		if done == total {
			reported = append(reported, layer)
		}
	}}
	got, err := s.Pull(ctx, host+"/berth/a:1", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != digestOf(t, a) || len(got.RepoTags) != 1 || got.RepoTags[0] != host+"/berth/a:1" {
		t.Errorf("pulled %+v", got)
	}
	if len(got.RepoDigests) != 1 || !strings.HasPrefix(got.RepoDigests[0], host+"/berth/a@sha256:") {
		t.Errorf("RepoDigests = %q", got.RepoDigests)
	}
	if len(reported) != 1 {
		t.Errorf("progress reported %q", reported)
	}
	sharedDigest, _ := shared.Digest()
	before := counter.gets[sharedDigest.String()]
	if _, err := s.Pull(ctx, host+"/berth/b:1", opts); err != nil {
		t.Fatal(err)
	}
	if n := counter.gets[sharedDigest.String()]; n != before {
		t.Errorf("shared layer downloaded again (%d GETs, was %d)", n, before)
	}
	// Pulling again downloads no layer at all.
	n := counter.total()
	if _, err := s.Pull(ctx, host+"/berth/b:1", opts); err != nil {
		t.Fatal(err)
	}
	// The config blob may be fetched again; layers must not be.
	if extra := counter.total() - n; extra > 1 {
		t.Errorf("re-pull made %d blob GETs", extra)
	}
	if got, err := s.Get(got.RepoDigests[0]); err != nil || got.ID != digestOf(t, a) {
		t.Errorf("Get by digest = %v, %v", got.ID, err)
	}

	for _, tt := range []struct {
		name, ref string
		err       error
	}{
		{"unknown repo", host + "/berth/nope:1", errdefs.ErrNotFound},
		{"bad ref", "UPPER/Case::x", errdefs.ErrInvalidArgument},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Pull(ctx, tt.ref, opts)
			if !errors.Is(err, tt.err) {
				t.Errorf("err = %v, want %v", err, tt.err)
			}
		})
	}
}

// TestPullRegistryFailures: a registry that refuses, fails or hangs gives a categorized
// error naming the image, and leaves the store as it was.
func TestPullRegistryFailures(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	handlers := []struct {
		name string
		h    http.HandlerFunc
		cat  error
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, errdefs.ErrUnavailable},
		{"refuses credentials", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) }, errdefs.ErrPermissionDenied},
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, errdefs.ErrUnavailable},
	}
	for _, tt := range handlers {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tt.h)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv.Listener = ln
			srv.Start()
			defer srv.Close()
			s := newStore(t)
			ref := ln.Addr().String() + "/x/y:1"
			_, err = s.Pull(context.Background(), ref, PullOptions{Insecure: []string{ln.Addr().String()}, Timeout: 300 * time.Millisecond})
			if !errors.Is(err, tt.cat) || !strings.Contains(err.Error(), ref) {
				t.Fatalf("got %v, want a %v error naming %s", err, tt.cat, ref)
			}
			if list, _ := s.List(); len(list) != 0 {
				t.Errorf("store changed: %v", list)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		_, err := newStore(t).Pull(context.Background(), addr+"/x:1", PullOptions{Insecure: []string{addr}, Timeout: 300 * time.Millisecond})
		if !errors.Is(err, errdefs.ErrUnavailable) {
			t.Fatalf("got %v", err)
		}
	})
}
