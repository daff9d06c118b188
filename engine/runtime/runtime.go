package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"berth/engine/runtime/shimproto"
)

// Runtime starts and drives containers through berth-runtime, which is also each
// container's shim.
type Runtime struct {
	runDir     string
	runtimeBin string

	// mu guards the spare shim (see KeepSpare).
	mu      sync.Mutex
	spare   *spareShim
	keep    bool        // keep a spare ready
	filling bool        // a spare is being started
	lastUse time.Time   // of a container start
	expiry  *time.Timer // runs expire
}

// spareIdle is how long a spare shim waits for a container before it goes: an idle
// daemon keeps none (a spare's memory is about half a daemon's).
var spareIdle = time.Minute

// spareShim is a shim started before it was needed, waiting for its container.
type spareShim struct {
	cmd    *exec.Cmd
	assign *os.File // write end of its fd 4: the container's settings, then EOF
	report *os.File // read end of its fd 3: its start report
}

// New returns a Runtime keeping its files under runDir (a tmpfs such as /run/berth) and
// running the berth-runtime binary at runtimeBin.
func New(runDir, runtimeBin string) *Runtime {
	return &Runtime{runDir: runDir, runtimeBin: runtimeBin}
}

// StateDir is libcontainer's state directory.
func (r *Runtime) StateDir() string { return filepath.Join(r.runDir, "runc") }

// Bundle is the directory of one container's runtime files.
func (r *Runtime) Bundle(id string) string { return filepath.Join(r.runDir, "c", id) }

// LogOptions says where and how the shim writes the container's log.
type LogOptions struct {
	Path     string
	MaxBytes int64 // 0: never rotate
	MaxFiles int
}

// StartOptions are the per-start settings that are not part of the spec.
type StartOptions struct {
	Log       LogOptions
	OpenStdin bool
}

// Start writes the container's bundle and starts it under a new shim. It returns once
// the container's process runs, with its host pid.
func (r *Runtime) Start(ctx context.Context, c Config, o StartOptions) (int, error) {
	go warmMigration()
	spec, err := Spec(c)
	if err != nil {
		return 0, err
	}
	bundle := r.Bundle(c.ID)
	// A previous run's files (exit.json, socket) must not be mistaken for this one's.
	if err := os.RemoveAll(bundle); err != nil {
		return 0, fmt.Errorf("clear bundle: %w", err)
	}
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return 0, fmt.Errorf("create bundle: %w", err)
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o600); err != nil {
		return 0, fmt.Errorf("write spec: %w", err)
	}
	// A stale libcontainer state (a container that exited while no daemon ran) blocks
	// Create under the same ID.
	if _, err := os.Stat(filepath.Join(r.StateDir(), c.ID)); err == nil {
		_ = r.runtimeOp(ctx, "delete", c.ID)
	}

	a := shimproto.Assign{
		ID: c.ID, Bundle: bundle, RuntimeRoot: r.StateDir(), Log: o.Log.Path,
		LogMaxSize: o.Log.MaxBytes, LogMaxFiles: max(o.Log.MaxFiles, 1), Stdin: o.OpenStdin, TTY: c.Terminal,
	}
	cmd, syncR := r.assignSpare(a)
	if cmd == nil {
		if cmd, syncR, err = r.startShim(a); err != nil {
			return 0, err
		}
	}
	defer syncR.Close()
	go r.refill()

	type result struct {
		st  shimproto.Start
		err error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(syncR).ReadBytes('\n')
		if err != nil {
			ch <- result{err: fmt.Errorf("shim ended before reporting: %w", err)}
			return
		}
		var st shimproto.Start
		err = json.Unmarshal(line, &st)
		ch <- result{st: st, err: err}
	}()
	select {
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return 0, ctx.Err()
	case res := <-ch:
		if res.err != nil {
			return 0, res.err
		}
		if res.st.Error != "" {
			return 0, &StartError{ID: c.ID, Msg: res.st.Error, Code: res.st.Code}
		}
		return res.st.Pid, nil
	}
}

// startShim starts a shim for the container a describes.
func (r *Runtime) startShim(a shimproto.Assign) (*exec.Cmd, *os.File, error) {
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	defer syncW.Close()
	shimLog, err := os.OpenFile(filepath.Join(a.Bundle, "shim.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		syncR.Close()
		return nil, nil, err
	}
	defer shimLog.Close()
	args := []string{
		"shim", "-id", a.ID, "-bundle", a.Bundle, "-runtime-root", a.RuntimeRoot,
		"-log", a.Log, "-log-max-size", strconv.FormatInt(a.LogMaxSize, 10),
		"-log-max-file", strconv.Itoa(a.LogMaxFiles),
	}
	if a.Stdin {
		args = append(args, "-stdin")
	}
	if a.TTY {
		args = append(args, "-tty")
	}
	cmd := r.shimCommand(args, syncW)
	cmd.Stdout, cmd.Stderr = shimLog, shimLog
	if err := cmd.Start(); err != nil {
		syncR.Close()
		return nil, nil, fmt.Errorf("start shim: %w", err)
	}
	// Reap the shim when it ends; after a daemon restart init adopts it instead.
	go func() { _ = cmd.Wait() }()
	return cmd, syncR, nil
}

func (r *Runtime) shimCommand(args []string, extra ...*os.File) *exec.Cmd {
	cmd := exec.Command(r.runtimeBin, args...)
	cmd.ExtraFiles = extra
	// Its own session: the shim and the container survive the daemon and its signals.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	return cmd
}

// KeepSpare makes every container start leave one shim started ahead of need, so that
// the next start does not wait for a process to start (about 2 ms). A spare waits, named
// berth-spare, until it is given a container, the daemon goes, or no container has
// started for spareIdle.
func (r *Runtime) KeepSpare() {
	r.mu.Lock()
	r.keep = true
	r.mu.Unlock()
}

// Close lets the spare shim go.
func (r *Runtime) Close() {
	r.mu.Lock()
	r.keep = false
	sp := r.spare
	r.spare = nil
	if r.expiry != nil {
		r.expiry.Stop()
	}
	r.mu.Unlock()
	if sp != nil {
		sp.release()
	}
}

// assignSpare gives the spare shim, if one is ready, the container a describes, and
// returns it with its report pipe; nil when there is none.
func (r *Runtime) assignSpare(a shimproto.Assign) (*exec.Cmd, *os.File) {
	r.mu.Lock()
	sp := r.spare
	r.spare = nil
	r.lastUse = time.Now()
	r.mu.Unlock()
	if sp == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err == nil {
		_, err = sp.assign.Write(b)
	}
	sp.assign.Close()
	if err != nil { // it died meanwhile
		sp.report.Close()
		return nil, nil
	}
	return sp.cmd, sp.report
}

// refill starts a spare shim when one is wanted and none is ready or starting.
func (r *Runtime) refill() {
	r.mu.Lock()
	if !r.keep || r.spare != nil || r.filling {
		r.mu.Unlock()
		return
	}
	r.filling = true
	r.mu.Unlock()
	sp, err := r.startSpare()
	r.mu.Lock()
	r.filling = false
	keep := r.keep
	if err == nil && keep {
		r.spare = sp
		if r.expiry == nil {
			r.expiry = time.AfterFunc(spareIdle, r.expire)
		} else {
			r.expiry.Reset(spareIdle)
		}
	}
	r.mu.Unlock()
	if err == nil && !keep {
		sp.release()
	}
}

// expire lets the spare go when no container has started for spareIdle.
func (r *Runtime) expire() {
	r.mu.Lock()
	sp := r.spare
	left := spareIdle - time.Since(r.lastUse)
	switch {
	case sp == nil:
	case left <= 0:
		r.spare = nil
	default:
		r.expiry.Reset(left)
		sp = nil
	}
	r.mu.Unlock()
	if sp != nil {
		sp.release()
	}
}

// release lets a spare that was given no container go: EOF on its fd 4 makes it exit.
func (sp *spareShim) release() {
	sp.assign.Close()
	sp.report.Close()
}

func (r *Runtime) startSpare() (*spareShim, error) {
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer reportW.Close()
	assignR, assignW, err := os.Pipe()
	if err != nil {
		reportR.Close()
		return nil, err
	}
	defer assignR.Close()
	// -runtime-root names the root in its command line, for ps and pgrep.
	cmd := r.shimCommand([]string{"shim", "-standby", "-runtime-root", r.StateDir()}, reportW, assignR)
	if err := cmd.Start(); err != nil {
		reportR.Close()
		assignW.Close()
		return nil, err
	}
	go func() { _ = cmd.Wait() }()
	return &spareShim{cmd: cmd, assign: assignW, report: reportR}, nil
}

// StartError is a container that could not be started, with the runtime's reason and
// its kind (shimproto's codes). It is the user's to fix: an invalid argument.
type StartError struct {
	ID   string
	Msg  string
	Code string
}

func (e *StartError) Error() string { return e.Msg }
func (e *StartError) Unwrap() error { return errdefs.ErrInvalidArgument }

// ExitCode is the exit status Docker gives a container or exec whose process did not
// start: 127 for a missing command, 126 for one that cannot run, 125 otherwise.
func (e *StartError) ExitCode() int {
	switch e.Code {
	case shimproto.CodeCommandNotFound:
		return 127
	case shimproto.CodeCannotExecute:
		return 126
	}
	return 125
}

// ErrNotRunning is returned when the container's shim is gone.
var ErrNotRunning = errors.New("container is not running")

func (r *Runtime) dial(ctx context.Context, id string) (net.Conn, *bufio.Reader, shimproto.Hello, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(r.Bundle(id), "shim.sock"))
	if err != nil {
		return nil, nil, shimproto.Hello{}, fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	br := bufio.NewReader(conn)
	var h shimproto.Hello
	line, err := br.ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &h)
	}
	if err != nil {
		conn.Close()
		return nil, nil, h, fmt.Errorf("%w: shim hello: %v", ErrNotRunning, err)
	}
	return conn, br, h, nil
}

func (r *Runtime) request(ctx context.Context, id string, req shimproto.Request) error {
	conn, br, _, err := r.dial(ctx, id)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return err
	}
	var rep shimproto.Reply
	line, err := br.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return err
	}
	switch {
	case rep.Code == shimproto.CodeNotRunning:
		return fmt.Errorf("%s: %w", rep.Error, ErrNotRunning)
	case rep.Error != "":
		return errors.New(rep.Error)
	}
	return nil
}

// Wait blocks until the container exits and returns how. A container whose shim is
// already gone is answered from the exit record it left.
func (r *Runtime) Wait(ctx context.Context, id string) (shimproto.Exit, error) {
	conn, br, _, err := r.dial(ctx, id)
	if err != nil {
		return r.ExitRecord(id)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = json.NewEncoder(conn).Encode(shimproto.Request{Op: "wait"})
	var line []byte
	if err == nil {
		line, err = br.ReadBytes('\n')
	}
	if err != nil {
		if ctx.Err() != nil {
			return shimproto.Exit{}, ctx.Err()
		}
		// The shim ended while we spoke to it: it writes its record before it closes its
		// socket, so the record says how the container ended.
		return r.ExitRecord(id)
	}
	var e shimproto.Exit
	return e, json.Unmarshal(line, &e)
}

// ExitRecord reads the exit status the shim recorded. A container whose shim vanished
// without a record (killed) is reported as exit 255 at the time of the call.
func (r *Runtime) ExitRecord(id string) (shimproto.Exit, error) {
	b, err := os.ReadFile(filepath.Join(r.Bundle(id), "exit.json"))
	if errors.Is(err, os.ErrNotExist) {
		return shimproto.Exit{ExitCode: 255, FinishedAt: time.Now().UTC()}, nil
	}
	if err != nil {
		return shimproto.Exit{}, err
	}
	var e shimproto.Exit
	if json.Unmarshal(b, &e) != nil {
		// The shim does not sync the record (runtime state does not outlive a boot):
		// after a power loss it may be empty, and the container ended unrecorded.
		return shimproto.Exit{ExitCode: 255, FinishedAt: time.Now().UTC()}, nil
	}
	return e, nil
}

// Alive reports whether the container's shim answers, and the container's pid.
func (r *Runtime) Alive(ctx context.Context, id string) (int, bool) {
	conn, _, h, err := r.dial(ctx, id)
	if err != nil {
		return 0, false
	}
	conn.Close()
	return h.Pid, true
}

// Kill sends sig to the container's init.
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal) error {
	return r.request(ctx, id, shimproto.Request{Op: "kill", Signal: int(sig)})
}

// Resize sets the container's terminal size.
func (r *Runtime) Resize(ctx context.Context, id string, height, width uint16) error {
	return r.request(ctx, id, shimproto.Request{Op: "resize", Height: height, Width: width})
}

// Stdin returns a stream to the container's stdin; closing it ends the stream (and
// closes the container's stdin when once is set).
func (r *Runtime) Stdin(ctx context.Context, id string, once bool) (io.WriteCloser, error) {
	conn, br, _, err := r.dial(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(conn).Encode(shimproto.Request{Op: "stdin", Once: once}); err != nil {
		conn.Close()
		return nil, err
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		conn.Close()
		return nil, err
	}
	var rep shimproto.Reply
	if err := json.Unmarshal(line, &rep); err != nil || rep.Error != "" {
		conn.Close()
		return nil, fmt.Errorf("attach stdin: %s", rep.Error)
	}
	return conn, nil
}

// Pause freezes every process of the container.
func (r *Runtime) Pause(ctx context.Context, id string) error {
	return r.runtimeOp(ctx, "pause", id)
}

// Resume thaws a paused container.
func (r *Runtime) Resume(ctx context.Context, id string) error {
	return r.runtimeOp(ctx, "resume", id)
}

// IDs lists the containers the runtime keeps state for: those with a bundle or a
// libcontainer state directory.
func (r *Runtime) IDs() []string {
	seen := map[string]bool{}
	var ids []string
	for _, dir := range []string{filepath.Join(r.runDir, "c"), r.StateDir()} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() && !seen[e.Name()] {
				seen[e.Name()] = true
				ids = append(ids, e.Name())
			}
		}
	}
	return ids
}

// Delete removes what the runtime kept for a stopped container: its cgroups,
// libcontainer state and bundle.
func (r *Runtime) Delete(ctx context.Context, id string) error {
	state := filepath.Join(r.StateDir(), id)
	if _, err := os.Stat(state); err == nil && !r.deleteStopped(id) {
		// Not simply stopped (frozen, or processes left): libcontainer knows best.
		if err := r.runtimeOp(ctx, "delete", id); err != nil {
			return err
		}
	}
	return os.RemoveAll(r.Bundle(id))
}

// deleteStopped removes a stopped container's cgroups and state without starting
// berth-runtime, which costs a process start on every container exit. It reports false
// when a cgroup still has processes, leaving the rest to libcontainer.
func (r *Runtime) deleteStopped(id string) bool {
	b, err := os.ReadFile(filepath.Join(r.Bundle(id), "config.json"))
	if err != nil {
		return false
	}
	var spec struct {
		Linux struct{ CgroupsPath string } `json:"linux"`
	}
	if json.Unmarshal(b, &spec) != nil || !strings.HasPrefix(spec.Linux.CgroupsPath, "/berth-") {
		return false
	}
	var dirs []string
	for _, h := range cgroupHierarchies() {
		dirs = append(dirs, h+spec.Linux.CgroupsPath)
	}
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return false
		}
	}
	return os.RemoveAll(filepath.Join(r.StateDir(), id)) == nil
}

// RemoveCgroupParent removes the parent cgroup of a root's containers, in every
// hierarchy, when it is empty. The daemon keeps it while it runs, since removing and
// making it again costs two dozen syscalls on every container's exit and start.
func (r *Runtime) RemoveCgroupParent(parent string) {
	if !strings.HasPrefix(parent, "/berth-") {
		return
	}
	for _, h := range cgroupHierarchies() {
		_ = syscall.Rmdir(h + parent) // fails while a container uses it, as it should
	}
}

// cgroupHierarchies lists the mounted cgroup hierarchies: each v1 controller's
// directory and the v2 unified one, or only /sys/fs/cgroup on a pure v2 host. They do
// not change while the daemon runs, and listing them costs a dozen stats per exit.
var cgroupHierarchies = sync.OnceValue(func() []string {
	const root = "/sys/fs/cgroup"
	hs := []string{root}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		// Skip the cpu,cpuacct style symlinks: their targets are listed too.
		if e.IsDir() {
			hs = append(hs, filepath.Join(root, e.Name()))
		}
	}
	return hs
})

func (r *Runtime) runtimeOp(ctx context.Context, op, id string) error {
	out, err := exec.CommandContext(ctx, r.runtimeBin, "--root", r.StateDir(), op, id).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == shimproto.ExitNotExist {
			return fmt.Errorf("%s: %w", msg, errdefs.ErrNotFound)
		}
		if msg == "" {
			msg = err.Error()
		}
		return errors.New(msg)
	}
	return nil
}

// warmMigration moves the daemon into the cgroup it is already in. Nothing changes, but
// the kernel's lock for moving processes between cgroups (one for the whole host)
// first waits for an RCU grace period, about 10 ms on this kind of machine, and stays
// cheap for a grace period after its last user. Begun as a container's start begins,
// that wait overlaps the daemon's and the shim's work, and the move of the container's
// init into its cgroups a few ms later waits less (about 3 ms less per start, measured).
// Best effort: where the file cannot be written, starts are as they were.
func warmMigration() {
	p := migrationFile()
	if p == "" || !warming.CompareAndSwap(false, true) {
		return
	}
	defer warming.Store(false)
	_ = os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0)
}

// warming is set while a warmMigration runs: one is enough.
var warming atomic.Bool

// migrationFile is the cgroup.procs file of the daemon's own cgroup: in v1's pids
// hierarchy, else (a pure v2 host) in the unified one; "" when there is none.
var migrationFile = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var st unix.Statfs_t
	v2 := unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case v2 && parts[0] == "0":
			return filepath.Join("/sys/fs/cgroup", parts[2], "cgroup.procs")
		case !v2 && slices.Contains(strings.Split(parts[1], ","), "pids"):
			return filepath.Join("/sys/fs/cgroup/pids", parts[2], "cgroup.procs")
		}
	}
	return ""
})
