package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/fsnotify/fsnotify"
	"github.com/moby/moby/api/types/container"

	"berth/engine/runtime/jsonlog"
)

// LogsOptions are docker logs' options.
type LogsOptions struct {
	Follow         bool
	Stdout, Stderr bool
	Tail           int // negative: all
	Since, Until   time.Time
}

// Logs calls fn for each log entry of a container, oldest first; with Follow it goes on
// until the container exits or ctx ends.
func (e *Engine) Logs(ctx context.Context, ref string, o LogsOptions, fn func(jsonlog.Entry) error) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	var events <-chan Event
	if o.Follow {
		ch, done := e.events.Subscribe()
		defer done()
		events = ch
		// Re-read: it may have exited before we subscribed.
		if c, err = e.containers.Get(c.ID); err != nil {
			return err
		}
	}
	keep := func(en jsonlog.Entry) bool {
		if (en.Stream == "stdout" && !o.Stdout) || (en.Stream == "stderr" && !o.Stderr) {
			return false
		}
		if !o.Since.IsZero() && en.Time.Before(o.Since) {
			return false
		}
		return o.Until.IsZero() || !en.Time.After(o.Until)
	}
	_, maxFiles, _ := logLimits(c.HostConfig.LogConfig.Config)
	var tail []jsonlog.Entry
	emit := func(en jsonlog.Entry) error {
		if !keep(en) {
			return nil
		}
		if o.Tail < 0 {
			return fn(en)
		}
		if o.Tail == 0 {
			return nil
		}
		tail = append(tail, en)
		if len(tail) > o.Tail {
			tail = tail[1:]
		}
		return nil
	}
	files := jsonlog.Files(c.LogPath, maxFiles)
	for _, p := range files[:len(files)-1] {
		if err := decodeFile(p, emit); err != nil {
			return err
		}
	}
	cur, err := os.Open(c.LogPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var off int64
	if cur != nil {
		defer func() { cur.Close() }()
		if off, err = jsonlog.Decode(cur, emit); err != nil {
			return err
		}
	}
	for _, en := range tail {
		if err := fn(en); err != nil {
			return err
		}
	}
	if !o.Follow || (c.State.Status != container.StateRunning && c.State.Status != container.StatePaused) {
		return nil
	}
	f := &follower{path: c.LogPath, f: cur, off: off}
	return f.run(ctx, c.ID, events, func(en jsonlog.Entry) error {
		if keep(en) {
			return fn(en)
		}
		return nil
	})
}

// Attach streams what the container writes from now on until it exits, and feeds stdin
// (if not nil) to it once it runs. A container that has exited cannot be attached.
func (e *Engine) Attach(ctx context.Context, ref string, stdin io.Reader, fn func(jsonlog.Entry) error) error {
	events, done := e.events.Subscribe()
	defer done()
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	switch c.State.Status {
	case container.StatePaused:
		return fmt.Errorf("you cannot attach to a paused container, unpause it first: %w", errdefs.ErrConflict)
	case container.StateDead, container.StateRemoving:
		return fmt.Errorf("container %s is being removed: %w", c.Name, errdefs.ErrConflict)
	}
	f := &follower{path: c.LogPath}
	// Hold the log open from now on (the shim appends to the same file): a --rm
	// container's files go to the trash as soon as it exits, maybe before this follower
	// has read its last lines.
	if fh, err := os.OpenFile(c.LogPath, os.O_RDONLY|os.O_CREATE, 0o640); err == nil {
		f.f = fh
		if st, err := fh.Stat(); err == nil {
			f.off = st.Size()
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if stdin != nil && c.Config.OpenStdin {
		started, stop := e.events.Subscribe()
		go func() {
			defer stop()
			if !e.waitRunning(ctx, c.ID, started) {
				return
			}
			w, err := e.rt.Stdin(ctx, c.ID, c.Config.StdinOnce)
			if err != nil {
				e.log.Warn("attach stdin", "container", c.ID[:12], "err", err)
				return
			}
			defer w.Close()
			_, _ = io.Copy(w, stdin)
		}()
	}
	return f.run(ctx, c.ID, events, fn)
}

// waitRunning waits until the container has started (true) or ended or ctx is done.
func (e *Engine) waitRunning(ctx context.Context, id string, events <-chan Event) bool {
	for {
		c, err := e.containers.Get(id)
		if err != nil {
			return false
		}
		switch c.State.Status {
		case container.StateRunning, container.StatePaused:
			return true
		case container.StateDead, container.StateRemoving:
			return false
		}
		// Created or exited: docker start -a attaches before it starts it.
		select {
		case _, ok := <-events:
			if !ok {
				return false
			}
		case <-ctx.Done():
			return false
		}
	}
}

func decodeFile(path string, fn func(jsonlog.Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	_, err = jsonlog.Decode(f, fn)
	return err
}

// follower reads a growing, rotating log file from an offset.
type follower struct {
	path string
	f    *os.File
	off  int64
}

// run reads new entries whenever the log's directory changes, until the container dies
// (then it reads what is left) or ctx ends.
func (f *follower) run(ctx context.Context, id string, events <-chan Event, fn func(jsonlog.Entry) error) error {
	defer func() {
		if f.f != nil {
			f.f.Close()
		}
	}()
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	// Closing an inotify instance waits for an SRCU grace period, often 10 ms or more:
	// a follower that is done must not hold its client (run --rm, logs -f) that long.
	defer func() { go w.Close() }()
	if err := w.Add(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	if err := f.read(fn); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return errors.New("follow log: event stream overflowed")
			}
			if ev.ID == id && (ev.Action == "die" || ev.Action == "destroy") {
				// The shim wrote every line before it recorded the exit.
				return f.read(fn)
			}
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			if err := f.read(fn); err != nil {
				return err
			}
		case err := <-w.Errors:
			return fmt.Errorf("follow log: %w", err)
		}
	}
}

// read emits what was appended since the last read, following a rotation.
func (f *follower) read(fn func(jsonlog.Entry) error) error {
	for {
		if f.f == nil {
			fh, err := os.Open(f.path)
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			f.f = fh
		}
		if _, err := f.f.Seek(f.off, io.SeekStart); err != nil {
			return err
		}
		n, err := jsonlog.Decode(f.f, fn)
		f.off += n
		if err != nil {
			return err
		}
		if !f.rotated() {
			return nil
		}
		// Drained the old file; go on with the new one from its start.
		f.f.Close()
		f.f, f.off = nil, 0
	}
}

func (f *follower) rotated() bool {
	a, err := f.f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(f.path)
	if err != nil {
		return false
	}
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Ino != sb.Ino
}
