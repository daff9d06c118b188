package engine

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/runtime"
)

// ExecOptions describe a process to run in a running container (docker exec).
type ExecOptions struct {
	Cmd         []string
	Env         []string
	User        string
	WorkingDir  string
	Tty         bool
	AttachStdin bool
	Privileged  bool
}

// ExecInfo is what docker exec inspect shows.
type ExecInfo struct {
	ID          string
	ContainerID string
	Options     ExecOptions
	Running     bool
	ExitCode    *int
	Pid         int
}

type execSession struct {
	info ExecInfo
	// mu guards info (after creation) and proc.
	mu      sync.Mutex
	proc    *runtime.Exec
	started bool
}

// ExecCreate registers a process to run in a running container and returns its ID.
func (e *Engine) ExecCreate(ref string, o ExecOptions) (string, error) {
	c, err := e.containers.Get(ref)
	if err != nil {
		return "", err
	}
	if c.State.Status != container.StateRunning {
		if c.State.Status == container.StatePaused {
			return "", fmt.Errorf("container %s is paused, unpause the container before exec: %w", c.Name, errdefs.ErrConflict)
		}
		return "", notRunning(c)
	}
	if len(o.Cmd) == 0 {
		return "", fmt.Errorf("no exec command specified: %w", errdefs.ErrInvalidArgument)
	}
	id := newID()
	e.mu.Lock()
	e.execs[id] = &execSession{info: ExecInfo{ID: id, ContainerID: c.ID, Options: o}}
	e.mu.Unlock()
	return id, nil
}

func (e *Engine) execSession(id string) (*execSession, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.execs[id]
	if !ok {
		return nil, fmt.Errorf("no such exec instance: %s: %w", id, errdefs.ErrNotFound)
	}
	return s, nil
}

// ExecStart runs a created exec process with the given stdio and waits for it. With a
// TTY, stdout receives the terminal's output and stderr is unused.
func (e *Engine) ExecStart(ctx context.Context, id string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, err := e.execSession(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return fmt.Errorf("exec %s has already started: %w", id[:12], errdefs.ErrConflict)
	}
	s.started = true
	o := s.info.Options
	cid := s.info.ContainerID
	s.mu.Unlock()

	c, err := e.containers.Get(cid)
	if err != nil {
		return err
	}
	if c.State.Status != container.StateRunning {
		return notRunning(c)
	}
	cfg := runtime.ExecConfig{Args: o.Cmd, Env: o.Env, Cwd: o.WorkingDir, Terminal: o.Tty, Privileged: o.Privileged}
	if o.User != "" {
		rootfs, err := e.images.Mount(c.ID, c.ImageID) // already mounted: returns its path
		if err != nil {
			return err
		}
		u, err := resolveUser(rootfs, o.User)
		if err != nil {
			return fmt.Errorf("exec user %q: %v: %w", o.User, err, errdefs.ErrInvalidArgument)
		}
		su := specs.User{UID: uint32(u.Uid), GID: uint32(u.Gid)}
		for _, g := range u.Sgids {
			su.AdditionalGids = append(su.AdditionalGids, uint32(g))
		}
		cfg.User = &su
	}
	if !o.AttachStdin {
		stdin = nil
	}
	proc, err := e.rt.Exec(ctx, c.ID, cfg, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc, s.info.Running, s.info.Pid = proc, true, proc.Pid()
	s.mu.Unlock()
	e.events.Publish(Event{Type: "container", Action: "exec_start: " + o.Cmd[0], ID: c.ID,
		Attributes: map[string]string{"name": c.Name, "execID": id}})
	if proc.Master != nil {
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(stdout, proc.Master); close(copied) }()
		if stdin != nil {
			go func() { _, _ = io.Copy(proc.Master, stdin) }()
		}
		defer func() { <-copied }()
	}
	code, err := proc.Wait()
	s.mu.Lock()
	s.info.Running, s.info.ExitCode = false, &code
	s.mu.Unlock()
	e.events.Publish(Event{Type: "container", Action: "exec_die", ID: c.ID,
		Attributes: map[string]string{"name": c.Name, "execID": id, "exitCode": fmt.Sprint(code)}})
	return err
}

// ExecInspect describes an exec process.
func (e *Engine) ExecInspect(id string) (ExecInfo, error) {
	s, err := e.execSession(id)
	if err != nil {
		return ExecInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info, nil
}

// ExecResize resizes an exec process's terminal.
func (e *Engine) ExecResize(id string, height, width uint16) error {
	s, err := e.execSession(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.Master == nil {
		return fmt.Errorf("exec %s has no terminal: %w", id[:12], errdefs.ErrConflict)
	}
	return s.proc.Resize(height, width)
}

// Resize resizes a container's terminal.
func (e *Engine) Resize(ctx context.Context, ref string, height, width uint16) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
		return notRunning(c)
	}
	return e.rt.Resize(ctx, c.ID, height, width)
}

// forgetExecs drops the exec sessions of a container that stopped: they cannot run again.
func (e *Engine) forgetExecs(containerID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, s := range e.execs {
		if s.info.ContainerID == containerID {
			delete(e.execs, id)
		}
	}
}
