package api

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzContainerCreateBody feeds arbitrary bytes to the create request's decoding: it must
// not panic, and what it refuses must answer 400 or 413, never 500.
func FuzzContainerCreateBody(f *testing.F) {
	f.Add([]byte(`{"Image":"busybox","Cmd":["true"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req, err := createRequest(rec, httptest.NewRequest("POST", "/containers/create", bytes.NewReader(body)))
		if err == nil {
			if req.Config == nil {
				t.Fatal("accepted without a config")
			}
			return
		}
		if code := statusOf(err); code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for %v", code, err)
		}
		if message(err) == "" {
			t.Fatal("empty message")
		}
	})
}

// FuzzVersionPrefix serves arbitrary paths: none may panic or answer 5xx, and a version
// prefix, when taken, is digits and dots and gives back the path it came from.
func FuzzVersionPrefix(f *testing.F) {
	f.Add("/v1.51/_ping")
	s := &Server{mux: http.NewServeMux(), log: slog.New(slog.DiscardHandler)}
	s.mux.HandleFunc("GET /_ping", s.ping)
	f.Fuzz(func(t *testing.T, path string) {
		if v, rest, ok := versionPrefix(path); ok {
			if v == "" || strings.Trim(v, "0123456789.") != "" || "/v"+v+rest != path || !strings.HasPrefix(rest, "/") {
				t.Fatalf("versionPrefix(%q) = %q, %q", path, v, rest)
			}
			if a, b := compareVersions(v, "1.51"), compareVersions("1.51", v); a != -b {
				t.Fatalf("compareVersions(%q, 1.51) = %d but the reverse is %d", v, a, b)
			}
		}
		rec := httptest.NewRecorder()
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{}, Body: http.NoBody}
		s.ServeHTTP(rec, r.WithContext(t.Context()))
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d: %s", path, rec.Code, rec.Body)
		}
	})
}
