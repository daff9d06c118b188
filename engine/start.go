package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/sys/user"

	"berth/engine/runtime"
	"berth/store"
)

// Start starts a created or stopped container.
func (e *Engine) Start(ctx context.Context, ref string) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	err = e.startOnce(ctx, c.ID)
	if err != nil && c.HostConfig.AutoRemove {
		// docker run --rm waits for the removal even when the start failed.
		if rerr := e.Remove(context.Background(), c.ID, RemoveOptions{Force: true, Volumes: true}); rerr != nil {
			e.log.Error("auto-remove after failed start", "container", c.ID[:12], "err", rerr)
		}
	}
	return err
}

func (e *Engine) startOnce(ctx context.Context, id string) error {
	unlock := e.lock(id)
	defer unlock()
	c, err := e.containers.Get(id)
	if err != nil {
		return err
	}
	switch c.State.Status {
	case container.StateRunning, container.StatePaused:
		return nil // Docker answers 304: already started
	case container.StateRemoving, container.StateDead:
		return fmt.Errorf("container %s is being removed: %w", c.Name, errdefs.ErrConflict)
	}
	pid, err := e.start(ctx, c)
	if err != nil {
		code := 125
		var se *runtime.StartError
		if errors.As(err, &se) {
			code = se.ExitCode()
		}
		_, _ = e.containers.Update(c.ID, func(r *store.Container) error {
			r.State.Error, r.State.ExitCode = err.Error(), code
			return nil
		})
		return err
	}
	c, err = e.containers.Update(c.ID, func(r *store.Container) error {
		r.State = store.State{Status: container.StateRunning, Pid: pid, StartedAt: time.Now().UTC()}
		return nil
	})
	if err != nil {
		return err
	}
	e.log.Info("started container", "container", c.ID[:12], "name", c.Name, "pid", pid)
	e.publish(c, "start")
	e.watch(c.ID)
	e.startHealth(c)
	return nil
}

// start mounts the root and starts the container's shim; on failure it undoes both.
func (e *Engine) start(ctx context.Context, c *store.Container) (int, error) {
	t0 := time.Now()
	mount := e.images.Mount
	if c.HostConfig.AutoRemove {
		mount = e.images.MountVolatile
	}
	rootfs, err := mount(c.ID, c.ImageID)
	if err != nil {
		return 0, fmt.Errorf("mount root of %s: %w", c.Name, err)
	}
	tMount := time.Since(t0)
	cfg, err := e.runtimeConfig(c, rootfs)
	if err != nil {
		_ = e.images.Unmount(c.ID)
		return 0, err
	}
	if err := e.setupNetwork(ctx, c, &cfg); err != nil {
		e.cleanupRuntime(c.ID)
		return 0, err
	}
	tNet := time.Since(t0)
	defer func() {
		e.log.Debug("start phases", "container", c.ID[:12], "mount", tMount, "config+network", tNet-tMount, "runtime", time.Since(t0)-tNet)
	}()
	maxBytes, maxFiles, _ := logLimits(c.HostConfig.LogConfig.Config)
	// Once begun, a start runs to its end: a client that leaves must not cut it off
	// between the container starting and the daemon recording it.
	pid, err := e.rt.Start(context.WithoutCancel(ctx), cfg, runtime.StartOptions{
		Log:       runtime.LogOptions{Path: c.LogPath, MaxBytes: maxBytes, MaxFiles: maxFiles},
		OpenStdin: c.Config.OpenStdin,
	})
	if err != nil {
		e.cleanupRuntime(c.ID)
		return 0, err
	}
	return pid, nil
}

func (e *Engine) runtimeConfig(c *store.Container, rootfs string) (runtime.Config, error) {
	hc := c.HostConfig
	u, err := resolveUser(rootfs, c.Config.User)
	if err != nil {
		return runtime.Config{}, fmt.Errorf("user %q of %s: %w", c.Config.User, c.Name, errdefs.ErrInvalidArgument)
	}
	env := c.Config.Env
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	if !hasEnv(env, "HOSTNAME") {
		env = append(env, "HOSTNAME="+c.Config.Hostname)
	}
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+u.Home)
	}
	if c.Config.Tty && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	cfg := runtime.Config{
		ID: c.ID, Rootfs: rootfs,
		Args: append([]string{c.Path}, c.Args...), Env: env, Cwd: c.Config.WorkingDir,
		UID: uint32(u.Uid), GID: uint32(u.Gid), Hostname: c.Config.Hostname,
		Terminal:     c.Config.Tty,
		CgroupParent: e.cgroupParent(),
		MemoryBytes:  hc.Memory, NanoCPUs: hc.NanoCPUs,
		CapAdd: hc.CapAdd, CapDrop: hc.CapDrop, Privileged: hc.Privileged,
		ReadOnly: hc.ReadonlyRootfs, Seccomp: true,
		ShmSizeBytes: hc.ShmSize,
	}
	cfg.Sysctls = hc.Sysctls
	// The docker CLI sends systempaths=unconfined as empty masked and read-only lists.
	cfg.UnmaskPaths = hc.MaskedPaths != nil && len(hc.MaskedPaths) == 0 && hc.ReadonlyPaths != nil && len(hc.ReadonlyPaths) == 0
	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		cfg.PidsLimit = *hc.PidsLimit // 0 and -1 mean unlimited, as in Docker
	}
	for _, u := range hc.Ulimits {
		cfg.Rlimits = append(cfg.Rlimits, runtime.Rlimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, g := range u.Sgids {
		cfg.AdditionalGids = append(cfg.AdditionalGids, uint32(g))
	}
	for _, so := range hc.SecurityOpt {
		switch so {
		case "no-new-privileges", "no-new-privileges:true", "no-new-privileges=true":
			cfg.NoNewPrivileges = true
		case "seccomp=unconfined", "seccomp:unconfined":
			cfg.Seccomp = false
		}
	}
	if hc.Init != nil && *hc.Init {
		if _, err := os.Stat(e.initBin); err != nil {
			return runtime.Config{}, fmt.Errorf("--init needs berth-init beside berth-runtime (%s): %w", e.initBin, errdefs.ErrNotImplemented)
		}
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{Source: e.initBin, Destination: "/sbin/berth-init", ReadOnly: true})
		cfg.Args = append([]string{"/sbin/berth-init", "--"}, cfg.Args...)
	}
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{Source: filepath.Join(c.Dir, f), Destination: "/etc/" + f})
	}
	for _, b := range hc.Binds {
		m, err := parseBind(b)
		if err != nil {
			return runtime.Config{}, err
		}
		if m.Type == "volume" {
			// As Docker: a named volume is made on first use, and a new one gets a copy
			// of what the image has at that path.
			v, err := e.volumes.Create(m.Source, nil, nil)
			if err != nil {
				return runtime.Config{}, fmt.Errorf("volume %s: %w", m.Source, err)
			}
			src, err := securejoin.SecureJoin(rootfs, m.Destination)
			if err != nil {
				return runtime.Config{}, err
			}
			if !m.NoCopy {
				if err := e.volumes.CopyUp(v.Name, src); err != nil {
					return runtime.Config{}, fmt.Errorf("volume %s: %w", v.Name, err)
				}
			}
			m.Type, m.Source = "bind", v.Mountpoint
			cfg.Mounts = append(cfg.Mounts, m.Mount)
			continue
		}
		// Docker creates a missing host directory for -v.
		if _, err := os.Stat(m.Source); errors.Is(err, os.ErrNotExist) {
			if err := os.MkdirAll(m.Source, 0o755); err != nil {
				return runtime.Config{}, fmt.Errorf("create bind source %s: %w", m.Source, err)
			}
		}
		cfg.Mounts = append(cfg.Mounts, m.Mount)
	}
	for dst, opts := range hc.Tmpfs {
		m := runtime.Mount{Type: "tmpfs", Destination: dst}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		cfg.Mounts = append(cfg.Mounts, m)
	}
	return cfg, nil
}

// bindMount is a parsed -v: the mount, and for a named volume whether to leave it
// without the image's content (nocopy).
type bindMount struct {
	runtime.Mount
	NoCopy bool
}

// parseBind parses a -v HOST:CTR[:OPTIONS] bind, or NAME:CTR[:OPTIONS] for a named volume
// (then Type is "volume" and Source the volume's name). OPTIONS are Docker's: ro or rw,
// a propagation mode, nocopy for a volume, and the SELinux and consistency hints that
// mean nothing here.
func parseBind(b string) (bindMount, error) {
	parts := strings.Split(b, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return bindMount{}, fmt.Errorf("invalid volume %q: use HOST:CONTAINER[:ro]: %w", b, errdefs.ErrInvalidArgument)
	}
	m := bindMount{Mount: runtime.Mount{Source: parts[0], Destination: parts[1]}}
	if !filepath.IsAbs(m.Source) {
		if !validName.MatchString(m.Source) || strings.Contains(m.Source, "/") {
			return bindMount{}, fmt.Errorf("invalid volume %q: %q is neither an absolute host path nor a volume name: %w", b, m.Source, errdefs.ErrInvalidArgument)
		}
		m.Type = "volume"
	}
	if err := checkMountTarget(m.Destination); err != nil {
		typ := "bind"
		if m.Type == "volume" {
			typ = "volume"
		}
		return bindMount{}, fmt.Errorf("invalid volume specification: '%s': invalid mount config for type %q: %v: %w", b, typ, err, errdefs.ErrInvalidArgument)
	}
	if len(parts) == 3 {
		propagation := ""
		for _, o := range strings.Split(parts[2], ",") {
			switch o {
			case "ro":
				m.ReadOnly = true
			case "rw", "z", "Z", "consistent", "cached", "delegated":
			case "nocopy":
				if m.Type != "volume" {
					return bindMount{}, fmt.Errorf("invalid volume %q: nocopy applies only to a named volume: %w", b, errdefs.ErrInvalidArgument)
				}
				m.NoCopy = true
			case "rprivate", "private", "rslave", "slave", "rshared", "shared":
				if propagation != "" {
					return bindMount{}, fmt.Errorf("invalid volume %q: propagation is both %s and %s: %w", b, propagation, o, errdefs.ErrInvalidArgument)
				}
				propagation = o
			default:
				return bindMount{}, fmt.Errorf("invalid volume %q: unknown option %q; use ro, rw, nocopy or a propagation mode: %w", b, o, errdefs.ErrInvalidArgument)
			}
		}
		if propagation != "" {
			m.Options = append(m.Options, propagation)
		}
	}
	return m, nil
}

// resolveUser resolves "user[:group]" (names or IDs) against the container's own
// /etc/passwd and /etc/group, as Docker does.
func resolveUser(rootfs, spec string) (*user.ExecUser, error) {
	passwd, err := securejoin.SecureJoin(rootfs, "/etc/passwd")
	if err != nil {
		return nil, err
	}
	group, err := securejoin.SecureJoin(rootfs, "/etc/group")
	if err != nil {
		return nil, err
	}
	def := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	return user.GetExecUserPath(spec, def, passwd, group)
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if n, _, _ := strings.Cut(kv, "="); n == name {
			return true
		}
	}
	return false
}

// logLimits reads json-file's max-size and max-file options.
func logLimits(opts map[string]string) (maxBytes int64, maxFiles int, err error) {
	maxFiles = 1
	if s, ok := opts["max-size"]; ok && s != "-1" {
		if maxBytes, err = units.RAMInBytes(s); err != nil || maxBytes <= 0 {
			return 0, 0, fmt.Errorf("invalid log-opt max-size %q: use a size such as 10m: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	if s, ok := opts["max-file"]; ok {
		if maxFiles, err = strconv.Atoi(s); err != nil || maxFiles < 1 {
			return 0, 0, fmt.Errorf("invalid log-opt max-file %q: use a whole number of at least 1: %w", s, errdefs.ErrInvalidArgument)
		}
		if maxBytes == 0 && maxFiles > 1 {
			return 0, 0, fmt.Errorf("log-opt max-file needs max-size: %w", errdefs.ErrInvalidArgument)
		}
	}
	for k := range opts {
		switch k {
		case "max-size", "max-file", "compress", "labels", "env", "tag":
		default:
			return 0, 0, fmt.Errorf("unknown log-opt %q for json-file: %w", k, errdefs.ErrInvalidArgument)
		}
	}
	return maxBytes, maxFiles, nil
}

func numCPU() int { return goruntime.NumCPU() }

// watch supervises a running container until it exits or the engine stops.
func (e *Engine) watch(id string) {
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		ex, err := e.rt.Wait(e.ctx, id)
		if err != nil {
			if e.ctx.Err() == nil {
				e.log.Error("lost container", "container", id[:12], "err", err)
			}
			return
		}
		e.exited(id, ex.ExitCode, ex.FinishedAt)
	}()
}

// exited records a container's exit, then frees what it held, then removes it when it
// was started with --rm.
func (e *Engine) exited(id string, code int, at time.Time) {
	e.stopHealth(id)
	e.forgetExecs(id)
	unlock := e.lock(id)
	if e.autoRemoved(id, code, at) {
		unlock()
		return
	}
	c, err := e.containers.Update(id, func(r *store.Container) error {
		r.State.Status = container.StateExited
		r.State.ExitCode = code
		r.State.FinishedAt = at
		r.State.Pid = 0
		return nil
	})
	if err != nil {
		unlock()
		e.log.Error("record exit", "container", id[:12], "err", err)
		return
	}
	tc := time.Now()
	e.cleanupRuntime(id)
	e.log.Info("container exited", "container", id[:12], "name", c.Name, "code", code)
	e.log.Debug("exit phases", "container", id[:12], "shim-to-daemon", time.Since(at), "cleanup", time.Since(tc))
	e.publish(c, "die", "exitCode", strconv.Itoa(code))
	unlock()
	if c.HostConfig.AutoRemove {
		// As Docker's --rm: anonymous volumes go with the container.
		if err := e.Remove(context.Background(), id, RemoveOptions{Volumes: true}); err != nil && !errdefs.IsNotFound(err) {
			e.log.Error("auto-remove", "container", id[:12], "err", err)
		}
	}
}

// autoRemoved removes a --rm container that exited, in one commit: the record is
// deleted after the cleanup, so a crash before that leaves a "running" record without a
// shim, which the next daemon takes for this same exit. It reports false, doing nothing,
// when the container is not --rm or a copy holds its root; then the exit is recorded as
// for any container. The caller holds the container's lock.
func (e *Engine) autoRemoved(id string, code int, at time.Time) bool {
	c, err := e.containers.Get(id)
	if err != nil || !c.HostConfig.AutoRemove || e.copying(id) {
		return false
	}
	tc := time.Now()
	// The network and the mount go before the answer; the runtime's files and cgroups
	// after it. A crash in between leaves them without a record, and the next daemon
	// deletes them.
	e.releaseSandboxAndRoot(id)
	e.log.Info("container exited", "container", id[:12], "name", c.Name, "code", code)
	tr := time.Now()
	defer func() {
		e.log.Debug("exit phases", "container", id[:12], "shim-to-daemon", tc.Sub(at), "cleanup", tr.Sub(tc), "remove", time.Since(tr))
	}()
	// As Docker's --rm: anonymous volumes go with the container.
	if err := e.removeFiles(c, RemoveOptions{Volumes: true}); err != nil {
		e.log.Error("auto-remove", "container", id[:12], "err", err)
		// The record stays: record the exit, so the container does not look alive, and
		// delete its runtime now, before a start can come.
		e.deleteRuntimeState(id)
		if _, err := e.containers.Update(id, func(r *store.Container) error {
			r.State.Status, r.State.ExitCode, r.State.FinishedAt, r.State.Pid = container.StateExited, code, at, 0
			return nil
		}); err != nil {
			e.log.Error("record exit", "container", id[:12], "err", err)
		}
		e.publish(c, "die", "exitCode", strconv.Itoa(code))
		return true
	}
	e.deleteRuntimeLater(id)
	// "die" only now: whoever reads the record after it sees the container gone, not
	// running.
	e.publish(c, "die", "exitCode", strconv.Itoa(code))
	e.publish(c, "destroy")
	return true
}

// deleteRuntimeLater deletes a stopped container's runtime state (cgroups, libcontainer
// state, bundle) in the background.
func (e *Engine) deleteRuntimeLater(id string) {
	e.running.Add(1)
	go func() {
		defer e.running.Done()
		e.deleteRuntimeState(id)
	}()
}
