package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/google/go-containerregistry/pkg/authn"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/registry"

	"berth/engine"
)

func imageSummary(img engine.Image) image.Summary {
	s := image.Summary{
		ID:          img.ID,
		RepoTags:    img.RepoTags,
		RepoDigests: img.RepoDigests,
		Created:     img.Created.Unix(),
		Size:        img.Size,
		SharedSize:  -1,
		Containers:  -1,
		Labels:      img.Config.Config.Labels,
	}
	if s.RepoTags == nil {
		s.RepoTags = []string{}
	}
	if s.RepoDigests == nil {
		s.RepoDigests = []string{}
	}
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	return s
}

func imageInspect(img engine.Image) image.InspectResponse {
	var cfg dockerspec.DockerOCIImageConfig
	if b, err := json.Marshal(img.Config.Config); err == nil {
		_ = json.Unmarshal(b, &cfg)
	}
	resp := image.InspectResponse{
		ID:           img.ID,
		RepoTags:     img.RepoTags,
		RepoDigests:  img.RepoDigests,
		Created:      dockerTime(img.Created),
		Author:       img.Config.Author,
		Config:       &cfg,
		Architecture: img.Config.Architecture,
		Variant:      img.Config.Variant,
		Os:           img.Config.OS,
		Size:         img.Size,
		RootFS:       image.RootFS{Type: "layers", Layers: img.DiffIDs},
	}
	if resp.RepoTags == nil {
		resp.RepoTags = []string{}
	}
	if resp.RepoDigests == nil {
		resp.RepoDigests = []string{}
	}
	return resp
}

func (s *Server) imageList(w http.ResponseWriter, r *http.Request) {
	imgs, err := s.eng.ImageList()
	if err != nil {
		writeError(w, err)
		return
	}
	f, err := parseFilters(r, imageFilterKeys...)
	if err != nil {
		writeError(w, err)
		return
	}
	out := []image.Summary{}
	for _, img := range imgs {
		if f.image(img) {
			out = append(out, imageSummary(img))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// imageGetOrInspect serves GET /images/{name}/json, /images/{name}/get and /images/get:
// names may contain slashes, so one route takes them all.
func (s *Server) imageGetOrInspect(w http.ResponseWriter, r *http.Request) {
	p := r.PathValue("name")
	switch {
	case p == "get":
		s.imageSave(w, r, r.URL.Query()["names"])
	case strings.HasSuffix(p, "/get"):
		s.imageSave(w, r, []string{strings.TrimSuffix(p, "/get")})
	case strings.HasSuffix(p, "/json"):
		img, err := s.eng.Image(strings.TrimSuffix(p, "/json"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, imageInspect(img))
	default:
		writeError(w, fmt.Errorf("page not found: %w", errdefs.ErrNotFound))
	}
}

func (s *Server) imageSave(w http.ResponseWriter, r *http.Request, names []string) {
	if len(names) == 0 {
		writeError(w, fmt.Errorf("no image given to save: %w", errdefs.ErrInvalidArgument))
		return
	}
	for _, n := range names {
		if _, err := s.eng.Image(n); err != nil {
			writeError(w, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-tar")
	if err := s.eng.SaveImages(r.Context(), w, names); err != nil {
		s.log.Warn("save image", "images", names, "err", err)
	}
}

func (s *Server) imageRemove(w http.ResponseWriter, r *http.Request) {
	untagged, deleted, err := s.eng.RemoveImage(r.PathValue("name"), boolQuery(r, "force"))
	if err != nil {
		writeError(w, err)
		return
	}
	out := []image.DeleteResponse{}
	for _, u := range untagged {
		out = append(out, image.DeleteResponse{Untagged: u})
	}
	for _, d := range deleted {
		out = append(out, image.DeleteResponse{Deleted: d})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) imageTag(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("name"), "/tag")
	if !ok {
		writeError(w, fmt.Errorf("page not found: %w", errdefs.ErrNotFound))
		return
	}
	ref := r.URL.Query().Get("repo")
	if ref == "" {
		writeError(w, fmt.Errorf("repo is required: %w", errdefs.ErrInvalidArgument))
		return
	}
	if t := r.URL.Query().Get("tag"); t != "" {
		ref += ":" + t
	}
	if err := s.eng.TagImage(name, ref); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// jsonStream writes Docker's JSON progress messages. Nothing is sent until the first
// message, so an error before any progress still gets a proper HTTP status.
type jsonStream struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	started bool
}

type jsonMessage struct {
	Stream         string          `json:"stream,omitempty"`
	Status         string          `json:"status,omitempty"`
	ID             string          `json:"id,omitempty"`
	Progress       string          `json:"progress,omitempty"`
	ProgressDetail *progressDetail `json:"progressDetail,omitempty"`
	Error          string          `json:"error,omitempty"`
	ErrorDetail    *errorDetail    `json:"errorDetail,omitempty"`
}

type progressDetail struct {
	Current int64 `json:"current,omitempty"`
	Total   int64 `json:"total,omitempty"`
}

type errorDetail struct {
	Message string `json:"message"`
}

func (j *jsonStream) send(m jsonMessage) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.started {
		j.w.Header().Set("Content-Type", "application/json")
		j.w.WriteHeader(http.StatusOK)
		j.started = true
	}
	_ = json.NewEncoder(j.w).Encode(m)
	if f, ok := j.w.(http.Flusher); ok {
		f.Flush()
	}
}

// fail reports err as an HTTP error, or in the stream once it has started.
func (j *jsonStream) fail(err error) {
	j.mu.Lock()
	started := j.started
	j.mu.Unlock()
	if !started {
		writeError(j.w, err)
		return
	}
	j.send(jsonMessage{Error: message(err), ErrorDetail: &errorDetail{Message: message(err)}})
}

// lineWriter turns each line written to it into a {"stream": line} message.
type lineWriter struct{ j *jsonStream }

func (l lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if line != "" {
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			l.j.send(jsonMessage{Stream: line})
		}
	}
	return len(p), nil
}

func (s *Server) imageLoad(w http.ResponseWriter, r *http.Request) {
	j := &jsonStream{w: w}
	var buf strings.Builder
	if _, err := s.eng.LoadImages(r.Context(), r.Body, &buf); err != nil {
		j.fail(err)
		return
	}
	_, _ = lineWriter{j}.Write([]byte(buf.String()))
	if !j.started {
		j.send(jsonMessage{Stream: "Loaded.\n"})
	}
}

// imageCreate serves POST /images/create: a pull (fromImage) or an import (fromSrc).
func (s *Server) imageCreate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	j := &jsonStream{w: w}
	switch {
	case q.Get("fromImage") != "":
		ref := q.Get("fromImage")
		if t := q.Get("tag"); t != "" {
			if strings.HasPrefix(t, "sha256:") {
				ref += "@" + t
			} else {
				ref += ":" + t
			}
		}
		auth, err := registryAuth(r.Header.Get("X-Registry-Auth"))
		if err != nil {
			j.fail(err)
			return
		}
		j.send(jsonMessage{Status: "Pulling from " + q.Get("fromImage"), ID: q.Get("tag")})
		var last sync.Map
		img, err := s.eng.PullImage(r.Context(), ref, engine.PullOptions{
			Insecure: s.insecureFor(ref),
			Auth:     auth,
			Progress: func(layer string, done, total int64) {
				id := shortLayer(layer)
				if prev, ok := last.Load(id); ok && prev.(int64) == done && done != total {
					return
				}
				last.Store(id, done)
				status := "Downloading"
				if done >= total && total > 0 {
					status = "Download complete"
				}
				j.send(jsonMessage{Status: status, ID: id, ProgressDetail: &progressDetail{Current: done, Total: total}})
			},
		})
		if err != nil {
			j.fail(err)
			return
		}
		if len(img.RepoDigests) > 0 {
			j.send(jsonMessage{Status: "Digest: " + strings.SplitN(img.RepoDigests[0], "@", 2)[1]})
		}
		j.send(jsonMessage{Status: "Status: Downloaded image for " + ref})
	case q.Get("fromSrc") == "-":
		ref := q.Get("repo")
		if t := q.Get("tag"); t != "" && ref != "" {
			ref += ":" + t
		}
		img, err := s.eng.ImportImage(r.Context(), r.Body, ref, q["changes"])
		if err != nil {
			j.fail(err)
			return
		}
		j.send(jsonMessage{Status: img.ID})
	default:
		j.fail(fmt.Errorf("importing from a URL is not supported; give fromImage or fromSrc=-: %w", errdefs.ErrInvalidArgument))
	}
}

func shortLayer(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// registryAuth decodes X-Registry-Auth (base64url JSON AuthConfig) as the docker CLI
// sends it; empty means anonymous.
func registryAuth(h string) (authn.Authenticator, error) {
	if h == "" {
		return nil, nil
	}
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		if b, err = base64.RawURLEncoding.DecodeString(h); err != nil {
			return nil, fmt.Errorf("invalid X-Registry-Auth header: %w", errdefs.ErrInvalidArgument)
		}
	}
	var ac registry.AuthConfig
	if err := json.Unmarshal(b, &ac); err != nil {
		return nil, fmt.Errorf("invalid X-Registry-Auth header: %w", errdefs.ErrInvalidArgument)
	}
	if ac.Username == "" && ac.Password == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return nil, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: ac.Username, Password: ac.Password,
		Auth: ac.Auth, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}), nil
}

// insecureFor lists the registry of ref as plain-HTTP when the daemon was told so, or
// when it is on loopback, as Docker allows 127.0.0.0/8 by default.
func (s *Server) insecureFor(ref string) []string {
	out := append([]string(nil), s.insecure...)
	host, _, _ := strings.Cut(ref, "/")
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return out
	}
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" {
		out = append(out, host)
	}
	return out
}
