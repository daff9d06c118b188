package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/volume"

	"berth/engine"
)

func (s *Server) volumeRoutes() { volumeRoutes(s.mux, s.volumeAPI) }

// volumeRoutes routes the /volumes endpoints to the volumeAPI that api returns for each
// request.
func volumeRoutes(m *http.ServeMux, api func() volumeAPI) {
	m.HandleFunc("GET /volumes", func(w http.ResponseWriter, r *http.Request) { api().list(w, r) })
	m.HandleFunc("GET /volumes/{name}", func(w http.ResponseWriter, r *http.Request) { api().inspect(w, r) })
	m.HandleFunc("POST /volumes/create", func(w http.ResponseWriter, r *http.Request) { api().create(w, r) })
	m.HandleFunc("DELETE /volumes/{name}", func(w http.ResponseWriter, r *http.Request) { api().remove(w, r) })
	m.HandleFunc("POST /volumes/prune", func(w http.ResponseWriter, r *http.Request) { api().prune(w, r) })
}

// volumeAPI answers the /volumes endpoints through the engine, which checks what uses a volume under its lock and publishes the events.
type volumeAPI struct {
	listVolumes  func() ([]engine.Volume, error)
	volume       func(name string) (engine.Volume, error)
	listUsers    func() (map[string][]string, error)
	createVolume func(name string, labels, opts map[string]string) (engine.Volume, error)
	removeVolume func(name string, force bool) error
	pruneVolumes func(all bool, match func(engine.Volume) bool) ([]string, int64, error)
	log          *slog.Logger
}

func (s *Server) volumeAPI() volumeAPI {
	return volumeAPI{listVolumes: s.eng.VolumeList, volume: s.eng.Volume, listUsers: s.eng.VolumeUsers, createVolume: s.eng.CreateVolume,
		removeVolume: s.eng.RemoveVolume, pruneVolumes: s.eng.PruneVolumes, log: s.log}
}

// volumeJSON is v as Docker's API shows it: labels and options null when there are
// none, the creation time in RFC 3339.
func volumeJSON(v engine.Volume) volume.Volume {
	return volume.Volume{
		Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Scope: "local",
		Labels: v.Labels, Options: v.Options,
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339),
	}
}

// volumeUsers returns a function naming the containers that use a volume. It reads the
// containers once, and fails rather than call a volume unused when it cannot.
func (a volumeAPI) volumeUsers() (func(name string) []string, error) {
	users, err := a.listUsers()
	if err != nil {
		return nil, err
	}
	return func(name string) []string { return users[name] }, nil
}

var volumeFilterKeys = []string{"name", "label", "dangling", "driver"}

// volumeFilter returns what GET /volumes?filters= keeps. inUse is asked only for the
// dangling filter.
func volumeFilter(f filters, inUse func(string) []string) (func(engine.Volume) bool, error) {
	var dangling []bool
	for _, v := range f["dangling"] {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("invalid filter 'dangling=%s'; use dangling=true or dangling=false: %w", v, errdefs.ErrInvalidArgument)
		}
		dangling = append(dangling, b)
	}
	return func(v engine.Volume) bool {
		for _, l := range f["label"] {
			if !labelMatch(v.Labels)(l) {
				return false
			}
		}
		if len(dangling) > 0 {
			unused := len(inUse(v.Name)) == 0
			ok := false
			for _, d := range dangling {
				ok = ok || d == unused
			}
			if !ok {
				return false
			}
		}
		return f.any("name", func(p string) bool { return matchName(p, v.Name) }) &&
			f.any("driver", func(d string) bool { return d == v.Driver })
	}, nil
}

// matchName matches a name filter as Docker does, as a regular expression, falling back
// to a substring when the pattern does not compile.
func matchName(pattern, name string) bool {
	if re, err := regexp.Compile(pattern); err == nil {
		return re.MatchString(name)
	}
	return strings.Contains(name, pattern)
}

func (a volumeAPI) list(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r, volumeFilterKeys...)
	if err != nil {
		writeError(w, err)
		return
	}
	inUse := func(string) []string { return nil }
	if _, ok := f["dangling"]; ok {
		if inUse, err = a.volumeUsers(); err != nil {
			writeError(w, err)
			return
		}
	}
	keep, err := volumeFilter(f, inUse)
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := a.listVolumes()
	if err != nil {
		writeError(w, err)
		return
	}
	out := volume.ListResponse{Volumes: []volume.Volume{}, Warnings: []string{}}
	for _, v := range list {
		if keep(v) {
			out.Volumes = append(out.Volumes, volumeJSON(v))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a volumeAPI) inspect(w http.ResponseWriter, r *http.Request) {
	v, err := a.volume(r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, volumeJSON(v))
}

func (a volumeAPI) create(w http.ResponseWriter, r *http.Request) {
	var req volume.CreateRequest
	if err := decodeJSON(w, r, "volume create", &req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, err)
		return
	}
	if req.ClusterVolumeSpec != nil {
		writeError(w, fmt.Errorf("cluster volumes need swarm, which berth does not run: %w", errdefs.ErrInvalidArgument))
		return
	}
	if req.Driver != "" && req.Driver != "local" {
		writeError(w, fmt.Errorf("volume driver %q is not supported; berth has only the local driver: %w", req.Driver, errdefs.ErrInvalidArgument))
		return
	}
	v, err := a.createVolume(req.Name, req.Labels, req.DriverOpts)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, volumeJSON(v))
}

func (a volumeAPI) remove(w http.ResponseWriter, r *http.Request) {
	if err := a.removeVolume(r.PathValue("name"), boolQuery(r, "force")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pruneFilter reads POST /volumes/prune's filters: all, label and label!.
func pruneFilter(f filters) (all bool, match func(engine.Volume) bool, err error) {
	for _, v := range f["all"] {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, nil, fmt.Errorf("invalid filter 'all=%s'; use all=true or all=false: %w", v, errdefs.ErrInvalidArgument)
		}
		all = all || b
	}
	return all, func(v engine.Volume) bool {
		for _, l := range f["label"] {
			if !labelMatch(v.Labels)(l) {
				return false
			}
		}
		for _, l := range f["label!"] {
			if labelMatch(v.Labels)(l) {
				return false
			}
		}
		return true
	}, nil
}

func (a volumeAPI) prune(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r, "all", "label", "label!")
	if err != nil {
		writeError(w, err)
		return
	}
	all, match, err := pruneFilter(f)
	if err != nil {
		writeError(w, err)
		return
	}
	deleted, reclaimed, err := a.pruneVolumes(all, match)
	if err != nil {
		// Report the volumes that went, as networkPrune does; the log says what stayed.
		a.log.Warn("prune volumes", "err", err)
	}
	if deleted == nil {
		deleted = []string{}
	}
	writeJSON(w, http.StatusOK, volume.PruneReport{VolumesDeleted: deleted, SpaceReclaimed: uint64(reclaimed)})
}
