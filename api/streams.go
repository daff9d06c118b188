package api

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"berth/engine"
)

// Docker's stream kinds in the multiplexed framing.
const (
	streamStdin  = 0
	streamStdout = 1
	streamStderr = 2
)

// muxWriter frames writes in Docker's multiplexed stream format: a header of
// [kind, 0, 0, 0, size as big-endian uint32], then the payload. Without mux it writes
// raw bytes (TTY streams). It is safe for concurrent use.
type muxWriter struct {
	mu  sync.Mutex
	w   io.Writer
	mux bool
	// flush is called after each frame, so followers see lines as they come.
	flush func()
}

func (m *muxWriter) write(kind byte, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mux {
		var h [8]byte
		h[0] = kind
		binary.BigEndian.PutUint32(h[4:], uint32(len(p)))
		if _, err := m.w.Write(h[:]); err != nil {
			return err
		}
	}
	if _, err := m.w.Write(p); err != nil {
		return err
	}
	if m.flush != nil {
		m.flush()
	}
	return nil
}

// stream returns an io.Writer for one kind.
func (m *muxWriter) stream(kind byte) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if err := m.write(kind, p); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

func entryWriter(m *muxWriter, timestamps bool) func(engine.LogEntry) error {
	return func(e engine.LogEntry) error {
		kind := byte(streamStdout)
		if e.Stream == "stderr" {
			kind = streamStderr
		}
		line := []byte(e.Log)
		if timestamps {
			line = append([]byte(e.Time.UTC().Format(timestampFormat)+" "), line...)
		}
		return m.write(kind, line)
	}
}

func contentType(tty bool) string {
	if tty {
		return "application/vnd.docker.raw-stream"
	}
	return "application/vnd.docker.multiplexed-stream"
}

func (s *Server) containerLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, err := s.eng.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	o := engine.LogsOptions{Follow: boolQuery(r, "follow"), Stdout: boolQuery(r, "stdout"), Stderr: boolQuery(r, "stderr"), Tail: -1}
	if !o.Stdout && !o.Stderr {
		writeError(w, fmt.Errorf("you must choose at least one stream: %w", errdefs.ErrInvalidArgument))
		return
	}
	if t := q.Get("tail"); t != "" && t != "all" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			writeError(w, fmt.Errorf("invalid tail %q: use a number or all: %w", t, errdefs.ErrInvalidArgument))
			return
		}
		o.Tail = n
	}
	for key, dst := range map[string]*time.Time{"since": &o.Since, "until": &o.Until} {
		if v := q.Get(key); v != "" && v != "0" {
			t, err := parseUnixTime(v)
			if err != nil {
				writeError(w, fmt.Errorf("invalid %s %q: %w", key, v, errdefs.ErrInvalidArgument))
				return
			}
			*dst = t
		}
	}
	w.Header().Set("Content-Type", contentType(c.Config.Tty))
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	m := &muxWriter{w: w, mux: !c.Config.Tty, flush: func() {
		if fl != nil {
			fl.Flush()
		}
	}}
	if fl != nil {
		fl.Flush()
	}
	if err := s.eng.Logs(r.Context(), c.ID, o, entryWriter(m, boolQuery(r, "timestamps"))); err != nil {
		s.log.Debug("logs stream ended", "container", c.ID[:12], "err", err)
	}
}

// parseUnixTime reads Docker's "seconds[.nanoseconds]" timestamps.
func parseUnixTime(v string) (time.Time, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, err
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

// hijack takes over the connection for a bidirectional stream, answering 101 when the
// client asked to upgrade (as the docker CLI does) and 200 otherwise.
func hijack(w http.ResponseWriter, r *http.Request, tty bool) (net.Conn, io.Reader, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: " + contentType(tty) + "\r\n\r\n"
	if r.Header.Get("Upgrade") != "" {
		head = "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + contentType(tty) + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
	}
	if _, err := conn.Write([]byte(head)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	// Read the client's stream from the connection itself, after what the server had
	// buffered: reading through the server's reader would cancel the request's context
	// when the client half-closes at the end of its stdin.
	buffered, _ := rw.Reader.Peek(rw.Reader.Buffered())
	return conn, io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), conn), nil
}

func (s *Server) containerAttach(w http.ResponseWriter, r *http.Request) {
	c, err := s.eng.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	// As dockerd: a stopped container can be attached (docker start -a attaches first),
	// a paused one cannot.
	if c.State.Status == container.StatePaused {
		writeError(w, fmt.Errorf("you cannot attach to a paused container, unpause it first: %w", errdefs.ErrConflict))
		return
	}
	if !boolQuery(r, "stream") {
		writeError(w, fmt.Errorf("attach without stream=1 is not supported; use logs: %w", errdefs.ErrNotImplemented))
		return
	}
	wantOut, wantErr := boolQuery(r, "stdout"), boolQuery(r, "stderr")
	conn, br, err := hijack(w, r, c.Config.Tty)
	if err != nil {
		s.log.Warn("attach", "container", c.ID[:12], "err", err)
		return
	}
	defer conn.Close()
	var stdin io.Reader
	if boolQuery(r, "stdin") {
		stdin = br
	}
	m := &muxWriter{w: conn, mux: !c.Config.Tty}
	out := entryWriter(m, false)
	// A hijacked connection's request context says nothing about the stream: the stream
	// ends with the container, a write to a gone client, or the daemon.
	err = s.eng.Attach(s.base, c.ID, stdin, func(e engine.LogEntry) error {
		if (e.Stream == "stdout" && !wantOut) || (e.Stream == "stderr" && !wantErr) {
			return nil
		}
		return out(e)
	})
	if err != nil {
		s.log.Debug("attach ended", "container", c.ID[:12], "err", err)
	}
}

func (s *Server) execCreate(w http.ResponseWriter, r *http.Request) {
	var req container.ExecCreateRequest
	if err := decodeJSON(w, r, "exec", &req); err != nil {
		writeError(w, err)
		return
	}
	id, err := s.eng.ExecCreate(r.PathValue("id"), engine.ExecOptions{
		Cmd: req.Cmd, Env: req.Env, User: req.User, WorkingDir: req.WorkingDir,
		Tty: req.Tty, AttachStdin: req.AttachStdin, Privileged: req.Privileged,
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

func (s *Server) execStart(w http.ResponseWriter, r *http.Request) {
	var req container.ExecStartRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, "exec start", &req); err != nil && !errors.Is(err, io.EOF) {
			writeError(w, err)
			return
		}
	}
	id := r.PathValue("id")
	info, err := s.eng.ExecInspect(id)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.Detach {
		go func() {
			if err := s.eng.ExecStart(s.detachedContext(), id, nil, io.Discard, io.Discard); err != nil {
				s.log.Warn("detached exec", "exec", id[:12], "err", err)
			}
		}()
		w.WriteHeader(http.StatusOK)
		return
	}
	tty := info.Options.Tty
	conn, br, err := hijack(w, r, tty)
	if err != nil {
		s.log.Warn("exec", "exec", id[:12], "err", err)
		return
	}
	defer conn.Close()
	m := &muxWriter{w: conn, mux: !tty}
	var stdin io.Reader
	if info.Options.AttachStdin {
		stdin = br
	}
	if err := s.eng.ExecStart(s.base, id, stdin, m.stream(streamStdout), m.stream(streamStderr)); err != nil {
		_ = m.write(streamStderr, []byte("berth: "+message(err)+"\n"))
	}
}

func (s *Server) execInspect(w http.ResponseWriter, r *http.Request) {
	info, err := s.eng.ExecInspect(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	resp := container.ExecInspectResponse{
		ID: info.ID, ContainerID: info.ContainerID, Running: info.Running, Pid: info.Pid,
		OpenStdin: info.Options.AttachStdin, OpenStdout: true, OpenStderr: true,
		ProcessConfig: &container.ExecProcessConfig{Tty: info.Options.Tty, Entrypoint: info.Options.Cmd[0],
			Arguments: info.Options.Cmd[1:], User: info.Options.User, Privileged: &info.Options.Privileged},
	}
	if info.ExitCode != nil {
		resp.ExitCode = info.ExitCode
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) execResize(w http.ResponseWriter, r *http.Request) {
	h, w2, err := size(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.ExecResize(r.PathValue("id"), h, w2); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
