package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"berth/store"
)

// DefaultStopTimeout is how long stop waits after the stop signal before SIGKILL.
const DefaultStopTimeout = 10 * time.Second

// ParseSignal accepts "TERM", "SIGTERM", "sigterm" or "15".
func ParseSignal(s string) (syscall.Signal, error) {
	if s == "" {
		return unix.SIGTERM, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q: %w", s, errdefs.ErrInvalidArgument)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: use a name such as TERM or a number: %w", s, errdefs.ErrInvalidArgument)
}

// Kill sends a signal to a running container.
func (e *Engine) Kill(ctx context.Context, ref string, sig syscall.Signal) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
		return notRunning(c)
	}
	if err := e.rt.Kill(ctx, c.ID, sig); err != nil {
		return fmt.Errorf("kill %s: %w", c.Name, err)
	}
	e.publish(c, "kill", "signal", strconv.Itoa(int(sig)))
	return nil
}

// Stop sends the container's stop signal, waits up to timeout (nil: the container's own
// or 10 s; negative: forever), then kills it. Stopping a stopped container does nothing.
func (e *Engine) Stop(ctx context.Context, ref string, timeout *time.Duration, signal string) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
		return nil
	}
	if signal == "" {
		signal = c.Config.StopSignal
	}
	sig, err := ParseSignal(signal)
	if err != nil {
		return err
	}
	grace := DefaultStopTimeout
	switch {
	case timeout != nil:
		grace = *timeout
	case c.Config.StopTimeout != nil:
		grace = time.Duration(*c.Config.StopTimeout) * time.Second
	}
	events, done := e.events.Subscribe()
	defer done()
	if c.State.Status == container.StatePaused {
		// A frozen process cannot handle its signal.
		_ = e.rt.Resume(ctx, c.ID)
	}
	// A kill that finds the process already gone is fine: its exit is being recorded.
	if err := e.rt.Kill(ctx, c.ID, sig); err != nil && !e.endedMeanwhile(ctx, c.ID, events) {
		return fmt.Errorf("stop %s: %w", c.Name, err)
	}
	if grace >= 0 {
		if e.waitDie(ctx, c.ID, events, grace) {
			return nil
		}
		e.log.Info("stop timed out, killing", "container", c.ID[:12], "name", c.Name, "grace", grace)
		if err := e.rt.Kill(ctx, c.ID, unix.SIGKILL); err != nil && !e.endedMeanwhile(ctx, c.ID, events) {
			return fmt.Errorf("stop %s: %w", c.Name, err)
		}
	}
	if !e.waitDie(ctx, c.ID, events, -1) {
		return ctx.Err()
	}
	return nil
}

// endedMeanwhile reports whether a container whose kill failed has in fact exited: its
// shim answers "not running" between reaping it and the daemon recording the exit, which
// the shim's own end bounds.
func (e *Engine) endedMeanwhile(ctx context.Context, id string, events <-chan Event) bool {
	return e.waitDie(ctx, id, events, 10*time.Second)
}

// waitDie waits for the die event of id (or that it is already recorded as exited), up
// to limit (negative: no limit).
func (e *Engine) waitDie(ctx context.Context, id string, events <-chan Event, limit time.Duration) bool {
	if c, err := e.containers.Get(id); err != nil || c.State.Status == container.StateExited {
		return true
	}
	var timer <-chan time.Time
	if limit >= 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		timer = t.C
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				// Dropped as a slow subscriber: fall back to the record.
				c, err := e.containers.Get(id)
				return err != nil || c.State.Status == container.StateExited
			}
			if ev.ID == id && (ev.Action == "die" || ev.Action == "destroy") {
				return true
			}
		case <-timer:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// RemoveOptions are docker rm's flags.
type RemoveOptions struct {
	Force   bool
	Volumes bool
}

// Remove deletes a stopped container (a running one only with Force).
func (e *Engine) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	if c.State.Status == container.StateRunning || c.State.Status == container.StatePaused {
		if !o.Force {
			return fmt.Errorf("cannot remove container %q: container is running: stop the container before removing or force remove: %w", "/"+c.Name, errdefs.ErrConflict)
		}
		zero := time.Duration(0)
		if err := e.Stop(ctx, c.ID, &zero, "KILL"); err != nil {
			return err
		}
	}
	unlock := e.lock(c.ID)
	defer unlock()
	if c, err = e.containers.Get(c.ID); err != nil {
		return err
	}
	if c.State.Status == container.StateRunning {
		return fmt.Errorf("container %s started again while being removed: %w", c.Name, errdefs.ErrConflict)
	}
	if e.copying(c.ID) {
		return fmt.Errorf("a copy from or to container %s is in progress; remove it when the copy has ended: %w", c.Name, errdefs.ErrConflict)
	}
	// Record the intent first, so a crash mid-way leaves a record the next daemon
	// finishes removing instead of a half-removed container that looks fine.
	if _, err := e.containers.Update(c.ID, func(r *store.Container) error {
		r.State.Status = container.StateRemoving
		return nil
	}); err != nil {
		return err
	}
	e.cleanupRuntime(c.ID)
	if err := e.removeFiles(c, o); err != nil {
		return err
	}
	e.publish(c, "destroy")
	return nil
}

// removeFiles deletes a stopped container whose network and root are released: its
// root, its files, then its record, and with o.Volumes its anonymous volumes. The
// caller holds the container's lock and publishes "destroy".
func (e *Engine) removeFiles(c *store.Container, o RemoveOptions) error {
	// A mount never outlives its record; the directories go to the trash, which is
	// emptied after the answer (a few hundred unlinks for a busy container).
	if err := e.images.Unmount(c.ID); err != nil {
		return fmt.Errorf("remove root of %s: %w", c.Name, err)
	}
	root, err := e.images.RootDir(c.ID)
	if err != nil {
		return err
	}
	for _, d := range []string{root, c.Dir} {
		if err := e.trash(d); err != nil {
			return fmt.Errorf("remove files of %s: %w", c.Name, err)
		}
	}
	if err := e.containers.Delete(c.ID); err != nil {
		return err
	}
	defer e.emptyTrash()
	if o.Volumes {
		e.removeVolumes(c.Anonymous)
	}
	e.mu.Lock()
	delete(e.locks, c.ID)
	for id, s := range e.execs {
		if s.info.ContainerID == c.ID {
			delete(e.execs, id)
		}
	}
	e.mu.Unlock()
	e.log.Info("removed container", "container", c.ID[:12], "name", c.Name)
	return nil
}

// Pause freezes a running container.
func (e *Engine) Pause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, true)
}

// Unpause thaws a paused container.
func (e *Engine) Unpause(ctx context.Context, ref string) error {
	return e.setPaused(ctx, ref, false)
}

func (e *Engine) setPaused(ctx context.Context, ref string, pause bool) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	unlock := e.lock(c.ID)
	defer unlock()
	if c, err = e.containers.Get(c.ID); err != nil {
		return err
	}
	want, from, action := container.StatePaused, container.StateRunning, "pause"
	if !pause {
		want, from, action = container.StateRunning, container.StatePaused, "unpause"
	}
	if c.State.Status != from {
		if pause {
			return fmt.Errorf("container %s is not running: %w", c.Name, errdefs.ErrConflict)
		}
		return fmt.Errorf("container %s is not paused: %w", c.Name, errdefs.ErrConflict)
	}
	if pause {
		err = e.rt.Pause(ctx, c.ID)
	} else {
		err = e.rt.Resume(ctx, c.ID)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, c.Name, err)
	}
	c, err = e.containers.Update(c.ID, func(r *store.Container) error {
		if r.State.Status == from {
			r.State.Status = want
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.publish(c, action)
	return nil
}

// Wait waits for a container according to Docker's conditions: "not-running" (default)
// returns at once for a stopped container, "next-exit" waits for the next exit,
// "removed" waits until it is removed. It returns the exit code. ready, if not nil, is
// closed once the wait is registered, so a caller can start the container only then.
func (e *Engine) Wait(ctx context.Context, ref string, condition container.WaitCondition, ready chan<- struct{}) (int, error) {
	events, done := e.events.Subscribe()
	defer done()
	c, err := e.containers.Get(ref)
	if err != nil {
		return 0, err
	}
	switch condition {
	case "", container.WaitConditionNotRunning:
		if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
			return c.State.ExitCode, nil
		}
	case container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		return 0, fmt.Errorf("invalid wait condition %q: use not-running, next-exit or removed: %w", condition, errdefs.ErrInvalidArgument)
	}
	code := c.State.ExitCode
	if ready != nil {
		close(ready)
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return 0, fmt.Errorf("wait %s: event stream overflowed", c.Name)
			}
			if ev.ID != c.ID {
				continue
			}
			switch ev.Action {
			case "die":
				code, _ = strconv.Atoi(ev.Attributes["exitCode"])
				if condition != container.WaitConditionRemoved {
					return code, nil
				}
			case "destroy":
				return code, nil
			}
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}
