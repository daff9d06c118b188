package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// logLineNumbers returns the numbers of the "line N" lines of a container's log.
func logLineNumbers(t *testing.T, log string) []int {
	t.Helper()
	var ns []int
	for _, l := range lines(log) {
		n, err := strconv.Atoi(strings.TrimPrefix(l, "line "))
		if err != nil {
			t.Fatalf("unexpected log line %q", l)
		}
		ns = append(ns, n)
	}
	return ns
}

func TestContainerAndLogsSurviveDaemonSIGKILL(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.05; done")
	e.waitLogs(id, "line 5")
	pid := e.daemonPid()
	if pid == 0 {
		t.Fatal("no daemon process found for the root")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the killed daemon to be gone", func() bool { return !alive(pid) }, nil)
	// The container logs on without a daemon for a while.
	time.Sleep(time.Second)

	// The next command starts a new daemon, which re-adopts the container.
	if out := e.must("container", "ls", "-q"); out != id[:12] {
		t.Fatalf("after the daemon restart ls -q = %q, want %s", out, id[:12])
	}
	if newPid := e.daemonPid(); newPid == 0 || newPid == pid {
		t.Fatalf("no new daemon: pid %d (killed %d)", newPid, pid)
	}
	if c := e.inspect(id); c.State.Status != "running" {
		t.Fatalf("after the daemon restart the container is %q", c.State.Status)
	}
	before := logLineNumbers(t, e.must("container", "logs", id))
	want := before[len(before)-1] + 20
	e.waitLogs(id, fmt.Sprintf("line %d\n", want))

	ns := logLineNumbers(t, e.must("container", "logs", id))
	for i, n := range ns {
		if n != i {
			t.Fatalf("log line %d says %d: lines were lost or repeated around the daemon kill", i, n)
		}
	}
	if len(ns) < want {
		t.Fatalf("only %d log lines", len(ns))
	}

	// The new daemon still drives the container: stop, wait and rm work.
	e.must("container", "stop", "-t", "1", id)
	if code := e.must("container", "wait", id); code != "137" {
		t.Fatalf("wait printed %q, want 137", code)
	}
	e.must("container", "rm", id)
}

func TestContainerExitWhileDaemonDeadIsRecorded(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	id := e.runDetached("-v", dir+":/ctl", testImage, "sh", "-c", "while [ ! -e /ctl/go ]; do sleep 0.05; done; exit 9")
	e.waitStatus(id, "running")
	shims := e.shims()
	pid := e.daemonPid()
	if pid == 0 {
		t.Fatal("no daemon process found for the root")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the killed daemon to be gone", func() bool { return !alive(pid) }, nil)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the container's shim to exit", func() bool {
		for _, s := range shims {
			if alive(s) {
				return false
			}
		}
		return true
	}, nil)
	// The next command starts a daemon, which finds the exit the shim recorded.
	c := e.inspect(id)
	if c.State.Status != "exited" || c.State.ExitCode != 9 {
		t.Fatalf("after the daemon restart: status %q exit %d, want exited 9", c.State.Status, c.State.ExitCode)
	}
	if code := e.must("container", "wait", id); code != "9" {
		t.Fatalf("wait printed %q, want 9", code)
	}
}

// TestDaemonThatCannotStartSaysWhy: a broken daemon.json stops the daemon, and the
// command that started it reports the reason, the file and where the log is.
func TestDaemonThatCannotStartSaysWhy(t *testing.T) {
	e := newEmptyEnv(t)
	cfg := filepath.Join(e.root, "daemon.json")
	if err := os.WriteFile(cfg, []byte(`{"insecure-registries": "not a list"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("container", "ls")
	if r.code == 0 {
		t.Fatalf("a daemon with a broken daemon.json started:\n%s", r)
	}
	for _, want := range []string{"could not start", cfg, "daemon.log"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r)
		}
	}
	if e.daemonPid() != 0 {
		t.Error("a daemon is running after it could not start")
	}
	// Fixing the file is all it takes.
	if err := os.WriteFile(cfg, []byte(`{"dns-forward": false}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.must("container", "ls")
}

// TestStartDeletesRuntimeStateOfRemovedContainers: a --rm container's cgroups and
// runtime files go after its record; a daemon that died in between leaves them, and
// the next one deletes them.
func TestStartDeletesRuntimeStateOfRemovedContainers(t *testing.T) {
	e := newEnv(t)
	e.must("container", "run", "--rm", "--network", "none", testImage, "true")
	e.stopDaemon()
	id := strings.Repeat("ab", 32)
	bundle := filepath.Join(e.dirs.Run, "c", id)
	state := filepath.Join(e.dirs.Run, "runc", id)
	cgroup := "/sys/fs/cgroup/pids/berth-" + e.dirs.Tag + "/" + id
	for _, d := range []string{bundle, state, cgroup} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	spec := `{"linux":{"cgroupsPath":"/berth-` + e.dirs.Tag + `/` + id + `"}}`
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	e.must("container", "ls") // starts a daemon
	for _, d := range []string{bundle, state, cgroup} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", d, err)
		}
	}
}
