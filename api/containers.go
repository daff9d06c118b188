package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/storage"

	"berth/engine"
)

func dockerTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// statusText is docker ps's STATUS column.
func statusText(c *engine.Container, health *container.Health) string {
	st := c.State
	switch st.Status {
	case container.StateRunning:
		s := "Up " + units.HumanDuration(time.Since(st.StartedAt))
		if health != nil {
			s += " (" + string(health.Status) + ")"
			if health.Status == container.Starting {
				s = "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (health: starting)"
			}
		}
		return s
	case container.StatePaused:
		return "Up " + units.HumanDuration(time.Since(st.StartedAt)) + " (Paused)"
	case container.StateExited:
		return fmt.Sprintf("Exited (%d) %s ago", st.ExitCode, units.HumanDuration(time.Since(st.FinishedAt)))
	case container.StateRemoving:
		return "Removal In Progress"
	case container.StateDead:
		return "Dead"
	default:
		return "Created"
	}
}

func command(c *engine.Container) string {
	parts := append([]string{c.Path}, c.Args...)
	return strings.Join(parts, " ")
}

func mountPoints(c *engine.Container) []container.MountPoint {
	out := []container.MountPoint{}
	for _, b := range c.HostConfig.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 {
			continue
		}
		mp := container.MountPoint{Type: mount.TypeBind, Source: parts[0], Destination: parts[1], RW: true, Propagation: mount.PropagationRPrivate}
		if len(parts) == 3 {
			mp.Mode = parts[2]
			mp.RW = !strings.Contains(parts[2], "ro")
		}
		out = append(out, mp)
	}
	for dst := range c.HostConfig.Tmpfs {
		out = append(out, container.MountPoint{Type: mount.TypeTmpfs, Destination: dst, RW: true})
	}
	return out
}

func networkMode(c *engine.Container) string {
	if m := c.HostConfig.NetworkMode; m != "" && m != "default" {
		return string(m)
	}
	return "bridge"
}

func (s *Server) summary(c *engine.Container) container.Summary {
	sum := container.Summary{
		ID:      c.ID,
		Names:   []string{"/" + c.Name},
		Image:   c.Image,
		ImageID: c.ImageID,
		Command: command(c),
		Created: c.Created.Unix(),
		Ports:   s.portSummaries(c),
		Labels:  c.Config.Labels,
		State:   c.State.Status,
		Status:  statusText(c, s.eng.Health(c.ID)),
		NetworkSettings: &container.NetworkSettingsSummary{
			Networks: s.networkSettings(c).Networks,
		},
		Mounts: mountPoints(c),
	}
	if sum.Labels == nil {
		sum.Labels = map[string]string{}
	}
	sum.HostConfig.NetworkMode = networkMode(c)
	return sum
}

func (s *Server) inspect(c *engine.Container) container.InspectResponse {
	st := c.State
	return container.InspectResponse{
		ID:      c.ID,
		Created: dockerTime(c.Created),
		Path:    c.Path,
		Args:    c.Args,
		State: &container.State{
			Status:     st.Status,
			Running:    st.Status == container.StateRunning || st.Status == container.StatePaused,
			Paused:     st.Status == container.StatePaused,
			Restarting: st.Status == container.StateRestarting,
			OOMKilled:  st.OOMKilled,
			Dead:       st.Status == container.StateDead,
			Pid:        st.Pid,
			ExitCode:   st.ExitCode,
			Error:      st.Error,
			StartedAt:  dockerTime(st.StartedAt),
			FinishedAt: dockerTime(st.FinishedAt),
			Health:     s.eng.Health(c.ID),
		},
		Image:           c.ImageID,
		ResolvConfPath:  c.Dir + "/resolv.conf",
		HostnamePath:    c.Dir + "/hostname",
		HostsPath:       c.Dir + "/hosts",
		LogPath:         c.LogPath,
		Name:            "/" + c.Name,
		RestartCount:    c.RestartCount,
		Driver:          "overlayfs",
		Platform:        "linux",
		HostConfig:      c.HostConfig,
		Storage:         &storage.Storage{},
		Mounts:          mountPoints(c),
		Config:          c.Config,
		NetworkSettings: s.networkSettings(c),
	}
}

func (s *Server) containerList(w http.ResponseWriter, r *http.Request) {
	list, err := s.eng.List()
	if err != nil {
		writeError(w, err)
		return
	}
	f, err := parseFilters(r, containerFilterKeys...)
	if err != nil {
		writeError(w, err)
		return
	}
	// A status filter lists stopped containers too, as in Docker.
	all := boolQuery(r, "all") || len(f["status"]) > 0 || len(f["exited"]) > 0
	out := []container.Summary{}
	for _, c := range list {
		if !all && c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
			continue
		}
		if !f.container(c) {
			continue
		}
		out = append(out, s.summary(c))
	}
	// Newest first, as docker ps shows them.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Created > out[j-1].Created; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n < len(out) {
		out = out[:n]
	}
	writeJSON(w, http.StatusOK, out)
}

// createRequest reads a create's body: the part of a create the API checks before the
// engine checks the rest.
func createRequest(w http.ResponseWriter, r *http.Request) (container.CreateRequest, error) {
	var req container.CreateRequest
	if err := decodeJSON(w, r, "create", &req); err != nil {
		return req, err
	}
	if req.Config == nil {
		return req, fmt.Errorf("config cannot be empty in order to create a container: %w", errdefs.ErrInvalidArgument)
	}
	return req, nil
}

func (s *Server) containerCreate(w http.ResponseWriter, r *http.Request) {
	req, err := createRequest(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	c, warnings, err := s.eng.Create(r.Context(), r.URL.Query().Get("name"), req.Config, req.HostConfig, req.NetworkingConfig)
	if err != nil {
		writeError(w, err)
		return
	}
	if warnings == nil {
		warnings = []string{}
	}
	writeJSON(w, http.StatusCreated, container.CreateResponse{ID: c.ID, Warnings: warnings})
}

func (s *Server) containerInspect(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.inspect(c))
}

func (s *Server) containerStart(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	if c.State.Status == container.StateRunning || c.State.Status == container.StatePaused {
		writeError(w, errNotModified)
		return
	}
	if err := s.eng.Start(r.Context(), c.ID); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// stopTimeout reads ?t= (seconds; -1 waits forever).
func stopTimeout(r *http.Request) (*time.Duration, error) {
	v := r.URL.Query().Get("t")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, fmt.Errorf("invalid value for t: %q: %w", v, errdefs.ErrInvalidArgument)
	}
	d := time.Duration(n) * time.Second
	if n < 0 {
		d = -1
	}
	return &d, nil
}

func (s *Server) containerStop(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	t, err := stopTimeout(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
		writeError(w, errNotModified)
		return
	}
	if err := s.eng.Stop(r.Context(), c.ID, t, r.URL.Query().Get("signal")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerRestart(w http.ResponseWriter, r *http.Request) {
	t, err := stopTimeout(r)
	if err != nil {
		writeError(w, err)
		return
	}
	id := r.PathValue("id")
	if err := s.eng.Stop(r.Context(), id, t, r.URL.Query().Get("signal")); err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.Start(r.Context(), id); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerKill(w http.ResponseWriter, r *http.Request) {
	sig, err := engine.ParseSignal(r.URL.Query().Get("signal"))
	if err != nil {
		writeError(w, err)
		return
	}
	if r.URL.Query().Get("signal") == "" {
		sig = 9
	}
	if err := s.eng.Kill(r.Context(), r.PathValue("id"), sig); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerPause(w http.ResponseWriter, r *http.Request) {
	if err := s.eng.Pause(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerUnpause(w http.ResponseWriter, r *http.Request) {
	if err := s.eng.Unpause(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerRemove(w http.ResponseWriter, r *http.Request) {
	err := s.eng.Remove(r.Context(), r.PathValue("id"), engine.RemoveOptions{Force: boolQuery(r, "force"), Volumes: boolQuery(r, "v")})
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) containerWait(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.eng.Get(id); err != nil {
		writeError(w, err)
		return
	}
	cond := container.WaitCondition(r.URL.Query().Get("condition"))
	// The engine subscribes before it reads the state; answering the headers only after
	// that lets a client that waits, then starts, never miss the exit.
	ready := make(chan struct{})
	type result struct {
		code int
		err  error
	}
	res := make(chan result, 1)
	go func() {
		code, err := s.eng.Wait(r.Context(), id, cond, ready)
		res <- result{code, err}
	}()
	select {
	case <-ready:
	case out := <-res:
		if out.err != nil {
			writeError(w, out.err)
			return
		}
		writeJSON(w, http.StatusOK, container.WaitResponse{StatusCode: int64(out.code)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	out := <-res
	resp := container.WaitResponse{StatusCode: int64(out.code)}
	if out.err != nil {
		resp.Error = &container.WaitExitError{Message: message(out.err)}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *Server) containerResize(w http.ResponseWriter, r *http.Request) {
	h, w2, err := size(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.Resize(r.Context(), r.PathValue("id"), h, w2); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func size(r *http.Request) (uint16, uint16, error) {
	h, err1 := strconv.ParseUint(r.URL.Query().Get("h"), 10, 16)
	w, err2 := strconv.ParseUint(r.URL.Query().Get("w"), 10, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("resize needs h and w as numbers: %w", errdefs.ErrInvalidArgument)
	}
	return uint16(h), uint16(w), nil
}
