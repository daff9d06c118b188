// Package api serves the Docker Engine API (the subset berth implements, with Docker's
// paths, JSON and stream framing) over the daemon's socket, on top of the engine. It is
// the only place where errors become HTTP status codes.
package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"berth/engine"
	"berth/internal/version"
)

// Server answers API requests with an engine.
type Server struct {
	eng      *engine.Engine
	log      *slog.Logger
	mux      *http.ServeMux
	insecure []string
	// base is the serving context, for work that outlives its request (detached exec).
	base context.Context
}

// New returns a Server for eng. insecure lists registries to reach over plain HTTP.
func New(eng *engine.Engine, log *slog.Logger, insecure []string) *Server {
	s := &Server{eng: eng, log: log, mux: http.NewServeMux(), insecure: insecure, base: context.Background()}
	s.routes()
	return s
}

// Serve serves on l until ctx ends, then shuts down, closing streams in flight.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.base = ctx
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		_ = hs.Close()
		<-errc
		return nil
	}
}

// ServeHTTP strips Docker's /vX.Y version prefix and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", version.APIVersion)
	w.Header().Set("Server", "berth/"+version.Version+" ("+goruntime.GOOS+")")
	if v, rest, ok := versionPrefix(r.URL.Path); ok {
		if err := checkVersion(v); err != nil {
			writeError(w, err)
			return
		}
		r.URL.Path = rest
	}
	s.mux.ServeHTTP(w, r)
}

// checkVersion refuses a client's API version outside the range berth speaks, with
// Docker's words.
func checkVersion(v string) error {
	if compareVersions(v, version.MinAPIVersion) < 0 {
		return fmt.Errorf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version: %w",
			v, version.MinAPIVersion, errdefs.ErrInvalidArgument)
	}
	if compareVersions(v, version.APIVersion) > 0 {
		return fmt.Errorf("client version %s is too new. Maximum supported API version is %s: %w",
			v, version.APIVersion, errdefs.ErrInvalidArgument)
	}
	return nil
}

// versionPrefix splits "/v1.51/rest" into "1.51" and "/rest". A version is digits and
// dots, as Docker's router matches it.
func versionPrefix(p string) (v, rest string, ok bool) {
	if !strings.HasPrefix(p, "/v") {
		return "", p, false
	}
	i := strings.IndexByte(p[1:], '/')
	if i < 0 {
		return "", p, false
	}
	v = p[2 : i+1]
	if v == "" || strings.Trim(v, "0123456789.") != "" {
		return "", p, false
	}
	return v, p[i+1:], true
}

// compareVersions compares versions of digits and dots numerically ("1.41" < "1.100").
// It compares each part as a string of digits, so no part is too long to compare.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y string
		if i < len(as) {
			x = strings.TrimLeft(as[i], "0")
		}
		if i < len(bs) {
			y = strings.TrimLeft(bs[i], "0")
		}
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		if c := strings.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /_ping", s.ping)
	m.HandleFunc("HEAD /_ping", s.ping)
	m.HandleFunc("GET /version", s.version)
	m.HandleFunc("GET /info", s.info)
	m.HandleFunc("GET /events", s.eventsStream)

	m.HandleFunc("GET /containers/json", s.containerList)
	m.HandleFunc("POST /containers/create", s.containerCreate)
	m.HandleFunc("GET /containers/{id}/json", s.containerInspect)
	m.HandleFunc("POST /containers/{id}/start", s.containerStart)
	m.HandleFunc("POST /containers/{id}/stop", s.containerStop)
	m.HandleFunc("POST /containers/{id}/restart", s.containerRestart)
	m.HandleFunc("POST /containers/{id}/kill", s.containerKill)
	m.HandleFunc("POST /containers/{id}/pause", s.containerPause)
	m.HandleFunc("POST /containers/{id}/unpause", s.containerUnpause)
	m.HandleFunc("POST /containers/{id}/wait", s.containerWait)
	m.HandleFunc("DELETE /containers/{id}", s.containerRemove)
	m.HandleFunc("GET /containers/{id}/logs", s.containerLogs)
	m.HandleFunc("POST /containers/{id}/attach", s.containerAttach)
	m.HandleFunc("POST /containers/{id}/resize", s.containerResize)
	m.HandleFunc("POST /containers/{id}/exec", s.execCreate)
	m.HandleFunc("POST /exec/{id}/start", s.execStart)
	m.HandleFunc("GET /exec/{id}/json", s.execInspect)
	m.HandleFunc("POST /exec/{id}/resize", s.execResize)

	m.HandleFunc("GET /images/json", s.imageList)
	m.HandleFunc("GET /images/{name...}", s.imageGetOrInspect)
	m.HandleFunc("DELETE /images/{name...}", s.imageRemove)
	m.HandleFunc("POST /images/load", s.imageLoad)
	m.HandleFunc("POST /images/create", s.imageCreate)
	m.HandleFunc("POST /images/{name...}", s.imageTag)
	s.networkRoutes()
	s.volumeRoutes()
	s.stackRoutes()
	s.containerExtraRoutes()
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Docker-Experimental", "false")
	h.Set("Ostype", goruntime.GOOS)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		return
	}
	_, _ = w.Write([]byte("OK"))
}

func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	v := system.VersionResponse{
		Platform:      system.PlatformInfo{Name: "berth"},
		Version:       version.Version,
		APIVersion:    version.APIVersion,
		MinAPIVersion: version.MinAPIVersion,
		Os:            goruntime.GOOS,
		Arch:          goruntime.GOARCH,
		GoVersion:     goruntime.Version(),
		KernelVersion: kernelVersion(),
		Components: []system.ComponentVersion{{Name: "Engine", Version: version.Version,
			Details: map[string]string{"ApiVersion": version.APIVersion, "MinAPIVersion": version.MinAPIVersion,
				"Os": goruntime.GOOS, "Arch": goruntime.GOARCH, "GoVersion": goruntime.Version(), "KernelVersion": kernelVersion()}}},
	}
	writeJSON(w, http.StatusOK, v)
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	list, err := s.eng.List()
	if err != nil {
		writeError(w, err)
		return
	}
	imgs, err := s.eng.ImageList()
	if err != nil {
		writeError(w, err)
		return
	}
	dirs := s.eng.Dirs()
	hostname, _ := os.Hostname()
	var si unix.Sysinfo_t
	_ = unix.Sysinfo(&si)
	info := system.Info{
		ID:                 dirs.Tag,
		Containers:         len(list),
		Images:             len(imgs),
		Driver:             "overlayfs",
		DriverStatus:       [][2]string{{"Backing Filesystem", "overlay"}, {"Layers", dirs.Root + "/image/layers"}},
		MemoryLimit:        true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		PidsLimit:          true,
		NGoroutines:        goruntime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      "json-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    "linux",
		OSType:             goruntime.GOOS,
		Architecture:       goruntime.GOARCH,
		NCPU:               goruntime.NumCPU(),
		MemTotal:           int64(si.Totalram) * int64(si.Unit),
		DockerRootDir:      dirs.Root,
		Name:               hostname,
		ServerVersion:      version.Version,
		DefaultRuntime:     "berth-runtime",
		SecurityOptions:    []string{"name=seccomp,profile=builtin"},
		IndexServerAddress: "https://index.docker.io/v1/",
	}
	for _, c := range list {
		switch c.State.Status {
		case container.StateRunning:
			info.ContainersRunning++
		case container.StatePaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	writeJSON(w, http.StatusOK, info)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// errNotModified answers 304, as Docker does for starting a started container.
var errNotModified = errors.New("not modified")

// statusOf maps an error's category to its HTTP status: the one place this happens.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errNotModified):
		return http.StatusNotModified
	case errors.Is(err, errTooLarge):
		return http.StatusRequestEntityTooLarge
	case errdefs.IsNotFound(err):
		return http.StatusNotFound
	case errdefs.IsInvalidArgument(err):
		return http.StatusBadRequest
	case errdefs.IsConflict(err), errdefs.IsAlreadyExists(err), errdefs.IsFailedPrecondition(err):
		return http.StatusConflict
	case errdefs.IsPermissionDenied(err):
		return http.StatusForbidden
	case errdefs.IsUnauthorized(err):
		return http.StatusUnauthorized
	case errdefs.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errdefs.IsNotImplemented(err):
		return http.StatusNotImplemented
	case errors.Is(err, context.Canceled):
		return 499
	default:
		return http.StatusInternalServerError
	}
}

// message drops the category suffix ("...: not found") that wrapping adds, so users read
// the sentence, not the plumbing.
func message(err error) string {
	m := err.Error()
	for _, sfx := range []string{": not found", ": invalid argument", ": conflict", ": already exists",
		": permission denied", ": unavailable", ": not implemented", ": failed precondition", ": unauthenticated",
		": too large"} {
		m = strings.TrimSuffix(m, sfx)
	}
	return m
}

func writeError(w http.ResponseWriter, err error) {
	code := statusOf(err)
	if code == http.StatusNotModified {
		w.WriteHeader(code)
		return
	}
	writeJSON(w, code, map[string]string{"message": message(err)})
}

func boolQuery(r *http.Request, key string) bool {
	v := r.URL.Query().Get(key)
	return v == "1" || strings.EqualFold(v, "true")
}

func (s *Server) detachedContext() context.Context { return s.base }
