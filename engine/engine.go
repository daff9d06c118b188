// Package engine is the only part of berth that changes the world: it creates, starts,
// stops and removes containers, recording intent and result in the state store, and
// supervises running containers through their shims. It publishes every change on one
// event stream that waiters (wait, attach, logs -f, depends_on) consume.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	bolt "go.etcd.io/bbolt"

	"berth/engine/image"
	"berth/engine/runtime"
	"berth/netstack"
	"berth/statedir"
	"berth/store"
	"berth/volumes"
)

// Config wires an Engine to its parts.
type Config struct {
	Dirs    statedir.Dirs
	DB      *bolt.DB
	Images  *image.Store
	Runtime *runtime.Runtime
	Net     *netstack.Manager
	Volumes *volumes.Store
	// InitBin is berth-init, run as PID 1 of containers started with --init.
	InitBin string
	Log     *slog.Logger
}

// Engine runs containers.
type Engine struct {
	dirs       statedir.Dirs
	containers *store.Containers
	images     *image.Store
	rt         *runtime.Runtime
	net        *netstack.Manager
	volumes    *volumes.Store
	initBin    string
	log        *slog.Logger
	events     *Events

	// ctx ends the monitors when the daemon stops; containers keep running.
	ctx     context.Context
	cancel  context.CancelFunc
	running sync.WaitGroup

	// refMu is held to remove a network or a volume, and shared to create or connect a
	// container, so that no container comes to name one while it is checked unused and
	// removed.
	refMu sync.RWMutex

	// mu guards locks, execs, healths and copies.
	mu      sync.Mutex
	locks   map[string]*sync.Mutex
	execs   map[string]*execSession
	healths map[string]*healthState
	copies  map[string]int // copies (cp) in progress per container
	trashed int            // names moved to the trash, for unique names

	// trashMu serializes emptying the trash.
	trashMu sync.Mutex
}

// New returns an Engine and re-adopts the containers a previous daemon left running.
func New(c Config) (*Engine, error) {
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		dirs:       c.Dirs,
		containers: store.NewContainers(c.DB),
		images:     c.Images,
		rt:         c.Runtime,
		net:        c.Net,
		volumes:    c.Volumes,
		initBin:    c.InitBin,
		log:        c.Log,
		events:     newEvents(),
		ctx:        ctx,
		cancel:     cancel,
		locks:      map[string]*sync.Mutex{},
		execs:      map[string]*execSession{},
		healths:    map[string]*healthState{},
		copies:     map[string]int{},
	}
	if err := os.MkdirAll(filepath.Join(c.Dirs.Root, "containers"), 0o700); err != nil {
		cancel()
		return nil, err
	}
	if err := e.readopt(); err != nil {
		cancel()
		return nil, err
	}
	e.emptyTrash()
	e.rt.KeepSpare()
	return e, nil
}

// Close stops supervising; the containers and their shims keep running.
func (e *Engine) Close() {
	e.cancel()
	e.rt.Close()
	e.running.Wait()
	e.rt.RemoveCgroupParent(e.cgroupParent())
}

// cgroupParent is the cgroup under which the root's containers get theirs.
func (e *Engine) cgroupParent() string { return "/berth-" + e.dirs.Tag }

// Events is the engine's event stream.
func (e *Engine) Events() *Events { return e.events }

// Dirs are the engine's directories.
func (e *Engine) Dirs() statedir.Dirs { return e.dirs }

// lock serializes changes to one container.
func (e *Engine) lock(id string) func() {
	e.mu.Lock()
	l, ok := e.locks[id]
	if !ok {
		l = &sync.Mutex{}
		e.locks[id] = l
	}
	e.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// readopt finds what a previous daemon left: a container with a live shim is watched
// again (even one whose start was not yet recorded); one that ended meanwhile gets its
// exit recorded and its runtime cleaned up; a removal cut short is finished; files of
// containers that were never recorded are deleted.
func (e *Engine) readopt() error {
	list, err := e.containers.List()
	if err != nil {
		return fmt.Errorf("read containers: %w", err)
	}
	known := map[string]bool{}
	for _, c := range list {
		known[c.ID] = true
		if pid, ok := e.rt.Alive(e.ctx, c.ID); ok {
			if c.State.Status != container.StateRunning && c.State.Status != container.StatePaused {
				if _, err := e.containers.Update(c.ID, func(r *store.Container) error {
					r.State = store.State{Status: container.StateRunning, Pid: pid, StartedAt: time.Now().UTC()}
					return nil
				}); err != nil {
					return err
				}
			}
			if err := e.net.Rehold(c.ID); err != nil {
				e.log.Warn("re-hold published ports", "container", c.ID[:12], "err", err)
			}
			if _, err := os.Stat(e.net.NetnsPath(c.ID)); err == nil {
				if err := e.net.ServeDNS(c.ID); err != nil {
					e.log.Warn("restart DNS", "container", c.ID[:12], "err", err)
				}
			}
			e.log.Info("re-adopted running container", "container", c.ID[:12], "name", c.Name, "pid", pid)
			e.watch(c.ID)
			e.startHealth(c)
			continue
		}
		switch c.State.Status {
		case container.StateRunning, container.StatePaused, container.StateRestarting:
			e.log.Info("container ended while no daemon ran", "container", c.ID[:12], "name", c.Name)
			ex, err := e.rt.ExitRecord(c.ID)
			if err != nil {
				return err
			}
			e.exited(c.ID, ex.ExitCode, ex.FinishedAt)
		case container.StateRemoving:
			e.log.Info("finishing an interrupted removal", "container", c.ID[:12], "name", c.Name)
			if err := e.Remove(e.ctx, c.ID, RemoveOptions{Force: true}); err != nil {
				e.log.Error("interrupted removal failed again; rm -f retries it", "container", c.ID[:12], "err", err)
			}
		default:
			// A crash during a start or between recording an exit and cleaning up leaves
			// a mount, a namespace or endpoints behind; cleaning up is idempotent.
			e.cleanupRuntime(c.ID)
		}
	}
	// A crash during create leaves a directory without a record.
	dirs, _ := os.ReadDir(filepath.Join(e.dirs.Root, "containers"))
	for _, d := range dirs {
		if !known[d.Name()] {
			e.log.Info("removing files of a container that was never recorded", "container", d.Name())
			_ = os.RemoveAll(filepath.Join(e.dirs.Root, "containers", d.Name()))
		}
	}
	// A crash after a --rm container's record went leaves its runtime state behind.
	for _, id := range e.rt.IDs() {
		if !known[id] {
			e.log.Info("deleting runtime state of a removed container", "container", id)
			if err := e.rt.Delete(e.ctx, id); err != nil {
				e.log.Warn("delete runtime state", "container", id, "err", err)
			}
		}
	}
	return nil
}

func (e *Engine) cleanupRuntime(id string) {
	e.releaseSandboxAndRoot(id)
	e.deleteRuntimeState(id)
}

// releaseSandboxAndRoot releases a stopped container's network (addresses, ports,
// rules, namespace) and unmounts its root, unless a copy still uses it.
func (e *Engine) releaseSandboxAndRoot(id string) {
	if err := e.net.RemoveSandbox(context.Background(), id); err != nil {
		e.log.Warn("remove network sandbox", "container", id[:12], "err", err)
	}
	if e.copying(id) {
		return // the last copy unmounts the root
	}
	if err := e.images.Unmount(id); err != nil {
		e.log.Warn("unmount root", "container", id[:12], "err", err)
	}
}

// deleteRuntimeState deletes a stopped container's cgroups, libcontainer state and bundle.
func (e *Engine) deleteRuntimeState(id string) {
	if err := e.rt.Delete(context.Background(), id); err != nil {
		e.log.Warn("delete runtime state", "container", id[:12], "err", err)
	}
}
