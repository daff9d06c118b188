package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/registry"

	"berth/internal/version"
)

func TestVersionPrefix(t *testing.T) {
	tests := []struct {
		path, v, rest string
		ok            bool
	}{
		{"/v1.50/containers/json", "1.50", "/containers/json", true},
		{"/v1.41/_ping", "1.41", "/_ping", true},
		{"/containers/json", "", "/containers/json", false},
		{"/volumes/x", "", "/volumes/x", false},
		{"/vx/y", "", "/vx/y", false},
		{"/v1.99/_ping", "1.99", "/_ping", true},
		{"/v99999999999999999999/_ping", "99999999999999999999", "/_ping", true},
		{"/v1.2.3/_ping", "1.2.3", "/_ping", true},
		{"/v/_ping", "", "/v/_ping", false},
		{"/v1e3/_ping", "", "/v1e3/_ping", false},
		{"/v-1/_ping", "", "/v-1/_ping", false},
		{"/vNaN/_ping", "", "/vNaN/_ping", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			v, rest, ok := versionPrefix(tt.path)
			if v != tt.v || rest != tt.rest || ok != tt.ok {
				t.Errorf("got %q %q %v", v, rest, ok)
			}
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.41", "1.100", -1},
		{"1.51", "1.51", 0},
		{"1.52", "1.41", 1},
		{"1.051", "1.51", 0},
		{"1.51.0", "1.51", 0},
		{"1", "1.51", -1},
		{".", "1.41", -1},
		{"99999999999999999999", "1.51", 1},
		{"1.99999999999999999999", "1.51", 1},
		{"1.99999999999999999999", "1.99999999999999999998", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClientVersionChecked(t *testing.T) {
	s := &Server{mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /_ping", s.ping)
	for _, tt := range []struct {
		path string
		code int
		msg  string
	}{
		{"/v1.24/_ping", 400, "client version 1.24 is too old. Minimum supported API version is " + version.MinAPIVersion + ", please upgrade your client to a newer version"},
		{"/v1.99/_ping", 400, "client version 1.99 is too new. Maximum supported API version is " + version.APIVersion},
		{"/v99999999999999999999/_ping", 400, "client version 99999999999999999999 is too new. Maximum supported API version is " + version.APIVersion},
		{"/v" + version.APIVersion + "/_ping", 200, ""},
		{"/v" + version.MinAPIVersion + "/_ping", 200, ""},
		{"/_ping", 200, ""},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		var body struct{ Message string }
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tt.code || body.Message != tt.msg {
			t.Errorf("%s: %d %q, want %d %q", tt.path, rec.Code, body.Message, tt.code, tt.msg)
		}
		if rec.Header().Get("Api-Version") == "" {
			t.Errorf("%s: no Api-Version header", tt.path)
		}
	}
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err  error
		code int
		msg  string
	}{
		{fmt.Errorf("no such container: x: %w", errdefs.ErrNotFound), 404, "no such container: x"},
		{fmt.Errorf("bad: %w", errdefs.ErrInvalidArgument), 400, "bad"},
		{fmt.Errorf("in use: %w", errdefs.ErrConflict), 409, "in use"},
		{fmt.Errorf("registry down: %w", errdefs.ErrUnavailable), 503, "registry down"},
		{errors.New("boom"), 500, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, tt.err)
			var body struct{ Message string }
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != tt.code || body.Message != tt.msg {
				t.Errorf("got %d %q, want %d %q", rec.Code, body.Message, tt.code, tt.msg)
			}
		})
	}
	rec := httptest.NewRecorder()
	writeError(rec, errNotModified)
	if rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("not modified: %d %q", rec.Code, rec.Body)
	}
}

// TestMuxFraming decodes berth's stream with Docker's own demultiplexer.
func TestMuxFraming(t *testing.T) {
	var buf bytes.Buffer
	m := &muxWriter{w: &buf, mux: true}
	_ = m.write(streamStdout, []byte("out 1\n"))
	_ = m.write(streamStderr, []byte("err 1\n"))
	_, _ = m.stream(streamStdout).Write([]byte("out 2\n"))
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, &buf); err != nil {
		t.Fatal(err)
	}
	if out.String() != "out 1\nout 2\n" || errb.String() != "err 1\n" {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
	var raw bytes.Buffer
	r := &muxWriter{w: &raw}
	_ = r.write(streamStdout, []byte("tty"))
	if raw.String() != "tty" {
		t.Errorf("raw stream framed: %q", raw.String())
	}
}

func TestInsecureFor(t *testing.T) {
	s := &Server{insecure: []string{"reg.example:5000"}}
	tests := []struct {
		ref  string
		want int
	}{
		{"busybox", 1},
		{"127.0.0.1:5000/x/y:1", 2},
		{"localhost:5000/x", 2},
		{"[::1]:5000/x", 2},
		{"ghcr.io/x/y", 1},
	}
	for _, tt := range tests {
		if got := s.insecureFor(tt.ref); len(got) != tt.want {
			t.Errorf("%s: %v", tt.ref, got)
		}
	}
}

func TestRegistryAuth(t *testing.T) {
	if a, err := registryAuth(""); a != nil || err != nil {
		t.Errorf("empty header: %v %v", a, err)
	}
	b, _ := json.Marshal(registry.AuthConfig{Username: "u", Password: "p"})
	a, err := registryAuth(base64.URLEncoding.EncodeToString(b))
	if err != nil || a == nil {
		t.Fatalf("auth: %v %v", a, err)
	}
	cfg, _ := a.Authorization()
	if cfg.Username != "u" || cfg.Password != "p" {
		t.Errorf("auth config %+v", cfg)
	}
	if _, err := registryAuth("!!!"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("garbage header: %v", err)
	}
}
