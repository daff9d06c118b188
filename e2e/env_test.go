package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/vishvananda/netlink"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"berth/statedir"
)

// testImage is the busybox image every env imports.
const testImage = "berth-test/busybox:latest"

// cmdTimeout bounds one CLI command; a hang fails the test instead of the whole run.
const cmdTimeout = 90 * time.Second

var berthBin = os.Getenv("BERTH_BIN")

var (
	fixtureOnce sync.Once
	fixtureDir  string // temporary directory holding rootfs/, removed by TestMain
	fixtureErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// requireRoot skips t unless it can drive a real berth.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e tests need root (containers, mounts, cgroups)")
	}
	if berthBin == "" {
		t.Skip("BERTH_BIN is not set: run make build, then BERTH_BIN=$PWD/bin/berth go test ./e2e/")
	}
	if _, err := os.Stat(berthBin); err != nil {
		t.Fatalf("BERTH_BIN: %v", err)
	}
}

// rootfs returns a busybox root filesystem directory, built once per test binary.
func rootfs(t *testing.T) string {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "berth-e2e-fixture-")
		if fixtureErr == nil {
			fixtureErr = buildRootfs(filepath.Join(fixtureDir, "rootfs"))
		}
	})
	if fixtureErr != nil {
		t.Fatalf("build the busybox rootfs: %v", fixtureErr)
	}
	return filepath.Join(fixtureDir, "rootfs")
}

// buildRootfs makes a minimal root filesystem from the host's static busybox: every applet
// as a symlink to /bin/busybox, users root, app (1000) and nobody, and a sticky /tmp.
func buildRootfs(dir string) error {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox not found (install busybox-static): %w", err)
	}
	if f, err := elf.Open(bb); err == nil {
		dynamic := false
		for _, p := range f.Progs {
			dynamic = dynamic || p.Type == elf.PT_INTERP
		}
		f.Close()
		if dynamic {
			return fmt.Errorf("%s is dynamically linked: install busybox-static", bb)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "root", "home/app", "var"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), data, 0o755); err != nil {
		return err
	}
	list, err := exec.Command(bb, "--list-full").Output()
	if err != nil {
		return fmt.Errorf("busybox --list-full: %w", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet == "bin/busybox" {
			continue
		}
		p := filepath.Join(dir, applet)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("/bin/busybox", p); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" +
			"app:x:1000:1000:app:/home/app:/bin/sh\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group": "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Join(dir, "root"), 0o700); err != nil {
		return err
	}
	return os.Chown(filepath.Join(dir, "home/app"), 1000, 1000)
}

// env is one private berth: a state root, its daemon and everything derived from it.
type env struct {
	t    *testing.T
	root string
	dirs statedir.Dirs
}

// newEnv returns an env with the test image imported.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := newEmptyEnv(t)
	e.must("image", "import", "--change", `CMD ["sh"]`, rootfs(t), testImage)
	return e
}

// newEmptyEnv returns an env with no image; its daemon starts on the first command.
func newEmptyEnv(t *testing.T) *env {
	t.Helper()
	requireRoot(t)
	root := t.TempDir() // registered first, so removed after the cleanup below
	// Tests never resolve outside names: the embedded DNS must not forward.
	if err := os.WriteFile(filepath.Join(root, "daemon.json"), []byte(`{"dns-forward": false}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: root, dirs: statedir.Resolve(root)}
	t.Cleanup(e.cleanup)
	return e
}

// res is what one command did.
type res struct {
	args           []string
	stdout, stderr string
	code           int // -1: it did not exit by itself (timeout)
}

func (r res) String() string {
	return fmt.Sprintf("berth %s\nexit code: %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// command returns an exec.Cmd running berth on this env's root.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, berthBin, append([]string{"--root", e.root}, args...)...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(v string) bool {
		return strings.HasPrefix(v, "BERTH_ROOT=") || strings.HasPrefix(v, "BERTH_HOST=")
	})
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs berth with args and returns what it did.
func (e *env) run(args ...string) res {
	e.t.Helper()
	return e.runInput(nil, args...)
}

// runInput runs berth with stdin.
func (e *env) runInput(stdin io.Reader, args ...string) res {
	e.t.Helper()
	return e.runTimeout(cmdTimeout, stdin, args...)
}

func (e *env) runTimeout(timeout time.Duration, stdin io.Reader, args ...string) res {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	err := cmd.Run()
	r := res{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code = -1
		r.stderr += fmt.Sprintf("\n(killed: no exit within %s)", timeout)
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run berth %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// must runs berth and fails the test unless it exits 0; it returns stdout trimmed.
func (e *env) must(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("command failed:\n%s", r)
	}
	return strings.TrimSpace(r.stdout)
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// runDetached starts a container with run -d and returns its full ID.
func (e *env) runDetached(args ...string) string {
	e.t.Helper()
	id := e.must(append([]string{"container", "run", "-d"}, args...)...)
	if !idPattern.MatchString(id) {
		e.t.Fatalf("run -d printed %q, want a 64-hex container ID", id)
	}
	return id
}

// containerState is the part of `container inspect` the tests read.
type containerState struct {
	ID    string `json:"Id"`
	Name  string
	State struct {
		Status   string
		Running  bool
		Paused   bool
		Pid      int
		ExitCode int
	}
	Config struct {
		Hostname string
	}
}

func (e *env) inspect(ref string) containerState {
	e.t.Helper()
	out := e.must("container", "inspect", ref)
	var list []containerState
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		e.t.Fatalf("container inspect %s: want a JSON array of one container (%v):\n%s", ref, err, out)
	}
	return list[0]
}

// waitStatus waits until the container's status is want (running, paused, exited...).
func (e *env) waitStatus(ref, want string) {
	e.t.Helper()
	var last string
	waitFor(e.t, 10*time.Second, fmt.Sprintf("container %s to be %s", ref, want), func() bool {
		last = e.inspect(ref).State.Status
		return last == want
	}, func() string { return "last status: " + last })
}

// waitLogs waits until the container's log contains s and returns the log.
func (e *env) waitLogs(ref, s string) string {
	e.t.Helper()
	var out string
	waitFor(e.t, 10*time.Second, fmt.Sprintf("log of %s to contain %q", ref, s), func() bool {
		r := e.run("container", "logs", ref)
		out = r.stdout + r.stderr
		return strings.Contains(out, s)
	}, func() string { return "log so far:\n" + out })
	return out
}

// waitFor polls cond every 20 ms until it holds, failing the test after timeout.
// detail, if not nil, says what was last seen.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, detail func() string) {
	t.Helper()
	if !eventually(timeout, cond) {
		msg := fmt.Sprintf("timed out after %s waiting for %s", timeout, what)
		if detail != nil {
			msg += "\n" + detail()
		}
		t.Fatal(msg)
	}
}

// eventually polls cond every 20 ms and reports whether it held within timeout.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// daemonPid returns the pid of this env's daemon, or 0.
func (e *env) daemonPid() int {
	// `berth daemon` becomes berth-daemon (same pid) when the helpers are installed.
	for _, p := range e.processes() {
		if slices.Contains(p.args, "daemon") || filepath.Base(p.args[0]) == "berth-daemon" {
			return p.pid
		}
	}
	return 0
}

type proc struct {
	pid  int
	args []string
}

// processes lists the processes whose command line names this env's root or run
// directory: the daemon, shims, runtimes and CLIs of this env.
func (e *env) processes() []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		if slices.ContainsFunc(args, func(a string) bool {
			return strings.Contains(a, e.root) || strings.Contains(a, e.dirs.Run+"/") || a == e.dirs.Run
		}) {
			out = append(out, proc{pid: pid, args: args})
		}
	}
	return out
}

// shims returns the pids of this env's shims (berth-runtime shim).
func (e *env) shims() []int {
	var pids []int
	for _, p := range e.processes() {
		if strings.HasSuffix(p.args[0], "berth-runtime") && len(p.args) > 1 && p.args[1] == "shim" && !spare(p.pid) {
			pids = append(pids, p.pid)
		}
	}
	return pids
}

// spare reports whether pid is a standby shim that has no container yet.
func spare(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b)) == "berth-spare"
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent's wait is missing.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
		return s[i+2] != 'Z'
	}
	return true
}

// cleanup removes every trace of the env: containers, daemon, shims, container
// processes, mounts, runtime files and cgroups. It works after a failure half-way.
func (e *env) cleanup() {
	t := e.t
	if _, err := os.Stat(e.dirs.Socket); err == nil && e.daemonPid() != 0 {
		r := e.runTimeout(30*time.Second, nil, "container", "ls", "-aq")
		ids := strings.Fields(r.stdout)
		if r.code != 0 {
			t.Logf("cleanup: container ls -aq failed:\n%s", r)
		} else if len(ids) > 0 {
			r = e.runTimeout(60*time.Second, nil, append([]string{"container", "rm", "-f"}, ids...)...)
			// A container may remove itself meanwhile (--rm): only one still listed is a failure.
			if r.code != 0 && e.run("container", "ls", "-aq").stdout != "" {
				t.Errorf("cleanup: container rm -f failed:\n%s", r)
			} else {
				e.checkNoLeaks()
			}
		}
	}
	e.stopDaemon()
	for _, p := range e.processes() {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
	e.killContainerProcesses()
	e.unmountAll()
	if err := os.RemoveAll(e.dirs.Run); err != nil {
		t.Logf("cleanup: remove %s: %v", e.dirs.Run, err)
	}
	e.removeCgroups()
	e.removeNetworkObjects()
}

// removeNetworkObjects deletes this root's bridges, veths and nftables table: networks
// outlive the daemon by design, so only the test can know they are no longer wanted.
func (e *env) removeNetworkObjects() {
	links, err := linkList()
	if err != nil {
		e.t.Logf("cleanup: list links: %v", err)
		return
	}
	for _, l := range links {
		name := l.Attrs().Name
		if strings.HasPrefix(name, "br"+e.dirs.Tag[:5]+"-") || strings.HasPrefix(name, "ve"+e.dirs.Tag[:5]) {
			// A veth may vanish meanwhile, with its namespace.
			if err := netlink.LinkDel(l); err != nil && !errors.Is(err, syscall.ENODEV) {
				e.t.Logf("cleanup: delete link %s: %v", name, err)
			}
		}
	}
	if out, err := exec.Command("nft", "delete", "table", "ip", "berth-"+e.dirs.Tag).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
		e.t.Logf("cleanup: delete nftables table: %v: %s", err, out)
	}
}

// checkNoLeaks fails the test when removing every container left a shim or a root mount.
func (e *env) checkNoLeaks() {
	var shims []int
	var mounts []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		shims = slices.DeleteFunc(e.shims(), func(pid int) bool { return !alive(pid) })
		mounts = mountsUnder(e.root)
		if len(shims) == 0 && len(mounts) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(shims) > 0 || len(mounts) > 0 {
		e.t.Errorf("container rm -f of every container left shims %v and mounts %v", shims, mounts)
	}
}

// stopDaemon asks the daemon to stop, then kills it after 5 s.
func (e *env) stopDaemon() {
	pid := e.daemonPid()
	if pid == 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		e.t.Logf("cleanup: daemon %d ignored SIGTERM for 5 s; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// cgroupDirs returns this env's cgroup directories, deepest first.
func (e *env) cgroupDirs() []string {
	var tops []string
	for _, pattern := range []string{"/sys/fs/cgroup/berth-" + e.dirs.Tag, "/sys/fs/cgroup/*/berth-" + e.dirs.Tag} {
		m, _ := filepath.Glob(pattern)
		tops = append(tops, m...)
	}
	var dirs []string
	for _, top := range tops {
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
	}
	sort.Slice(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/")
	})
	return dirs
}

// killContainerProcesses thaws and kills every process left in this env's cgroups.
func (e *env) killContainerProcesses() {
	dirs := e.cgroupDirs()
	for _, d := range dirs {
		_ = os.WriteFile(filepath.Join(d, "freezer.state"), []byte("THAWED"), 0)
		_ = os.WriteFile(filepath.Join(d, "cgroup.freeze"), []byte("0"), 0)
	}
	pids := func() []int {
		var out []int
		for _, d := range dirs {
			b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(out, pid) {
					out = append(out, pid)
				}
			}
		}
		return out
	}
	deadline := time.Now().Add(5 * time.Second)
	for left := pids(); len(left) > 0; left = pids() {
		if time.Now().After(deadline) {
			e.t.Logf("cleanup: processes %v survive SIGKILL in cgroups of berth-%s", left, e.dirs.Tag)
			return
		}
		for _, pid := range left {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// removeCgroups removes this env's cgroup directories, leaves first.
func (e *env) removeCgroups() {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var failed []string
		for _, d := range e.cgroupDirs() {
			if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				failed = append(failed, fmt.Sprintf("%s: %v", d, err))
			}
		}
		if len(failed) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Logf("cleanup: cannot remove cgroups:\n%s", strings.Join(failed, "\n"))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unmountAll unmounts everything under the root and the run directory, deepest first.
func (e *env) unmountAll() {
	for range 5 {
		mounts := append(mountsUnder(e.root), mountsUnder(e.dirs.Run)...)
		if len(mounts) == 0 {
			return
		}
		sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
		for _, m := range mounts {
			if err := unix.Unmount(m, 0); err != nil {
				if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
					e.t.Logf("cleanup: unmount %s: %v", m, err)
				}
			}
		}
	}
}

// mountsUnder lists the mount points at or below dir.
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		p := unescapeMountPath(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	return out
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lines splits output into lines without the trailing empty one.
func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// procStatus returns one field of /proc/self/status as read inside a container.
func procStatus(t *testing.T, status, field string) string {
	t.Helper()
	for _, l := range lines(status) {
		if k, v, ok := strings.Cut(l, ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in /proc/self/status:\n%s", field, status)
	return ""
}
