package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		code  int // 0: decodes
		empty bool
	}{
		{name: "object", body: `{"Image":"busybox"}`},
		{name: "at the limit", body: `{"Image":"` + strings.Repeat("a", maxJSONBody-len(`{"Image":""}`)) + `"}`},
		{name: "over the limit", body: `{"Image":"` + strings.Repeat("a", maxJSONBody) + `"}`, code: 413},
		{name: "endless whitespace", body: strings.Repeat(" ", maxJSONBody+1), code: 413},
		{name: "malformed", body: `{"Image":`, code: 400},
		{name: "too deep", body: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), code: 400},
		{name: "wrong type", body: `{"Image":1}`, code: 400},
		{name: "empty", body: ``, code: 400, empty: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			var v struct{ Image string }
			err := decodeJSON(rec, httptest.NewRequest("POST", "/containers/create", strings.NewReader(tt.body)), "create", &v)
			if tt.code == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("decoded")
			}
			if got := statusOf(err); got != tt.code {
				t.Errorf("status %d, want %d: %v", got, tt.code, err)
			}
			if errors.Is(err, io.EOF) != tt.empty {
				t.Errorf("matches io.EOF: %v, want %v", !tt.empty, tt.empty)
			}
			if !strings.HasPrefix(message(err), "invalid create request: ") {
				t.Errorf("message %q", message(err))
			}
		})
	}
}

// TestOversizedBodies posts a body over the limit to every route that decodes JSON and
// checks that each answers 413 and that the daemon still answers /_ping afterwards.
func TestOversizedBodies(t *testing.T) {
	s := &Server{mux: http.NewServeMux(), log: slog.New(slog.DiscardHandler)}
	s.routes()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	vsrv, _ := volumeServer(t)
	big := `{"Labels":{"x":"` + strings.Repeat("x", maxJSONBody) + `"}}`
	for _, tt := range []struct {
		srv  *httptest.Server
		path string
	}{
		{srv, "/v1.51/containers/create"},
		{srv, "/containers/create?name=x"},
		{srv, "/networks/create"},
		{srv, "/networks/n/connect"},
		{srv, "/networks/n/disconnect"},
		{srv, "/containers/c/exec"},
		{srv, "/exec/e/start"},
		{srv, "/berth/stacks/up"},
		{srv, "/berth/stacks/down"},
		{vsrv, "/volumes/create"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			var body struct{ Message string }
			if code := do(t, tt.srv, "POST", tt.path, big, &body); code != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413 (%s)", code, body.Message)
			}
			if !strings.Contains(body.Message, "the body is over 4 MiB, the limit for a JSON request") {
				t.Errorf("message %q", body.Message)
			}
			if code := do(t, srv, "GET", "/_ping", "", nil); code != http.StatusOK {
				t.Errorf("ping after the oversized body: %d", code)
			}
		})
	}
}

func TestCreateRequest(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		msg        string
	}{
		{"config", `{"Image":"busybox","Cmd":["true"]}`, 0, ""},
		{"no config", `null`, 400, "config cannot be empty in order to create a container"},
		{"not an object", `[]`, 400, "invalid create request: json: cannot unmarshal array into Go value of type container.CreateRequest"},
		{"empty", ``, 400, "invalid create request: the body is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req, err := createRequest(rec, httptest.NewRequest("POST", "/containers/create", strings.NewReader(tt.body)))
			if tt.code == 0 {
				if err != nil || req.Config == nil || req.Config.Image != "busybox" {
					t.Fatalf("%+v %v", req, err)
				}
				return
			}
			if statusOf(err) != tt.code || message(err) != tt.msg || !errdefs.IsInvalidArgument(err) {
				t.Errorf("got %d %q, want %d %q", statusOf(err), message(err), tt.code, tt.msg)
			}
		})
	}
	b, _ := json.Marshal(map[string]any{"Image": "busybox"})
	if _, err := createRequest(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(string(b)))); err != nil {
		t.Errorf("Docker's flat body: %v", err)
	}
}
