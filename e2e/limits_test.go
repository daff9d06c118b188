package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readCgroup runs a container with flags and prints the first readable of files (cgroup
// v1 paths first, then v2) from inside it.
func readCgroup(t *testing.T, e *env, flags []string, files ...string) string {
	t.Helper()
	var script []string
	for _, f := range files {
		script = append(script, "cat /sys/fs/cgroup/"+f+" 2>/dev/null")
	}
	args := append([]string{"container", "run", "--rm"}, flags...)
	r := e.run(append(args, testImage, "sh", "-c", strings.Join(script, " || "))...)
	if r.code != 0 {
		t.Fatalf("read %v inside the container:\n%s", files, r)
	}
	return strings.TrimSpace(r.stdout)
}

func TestMemoryLimit(t *testing.T) {
	e := newEnv(t)
	got := readCgroup(t, e, []string{"-m", "64m"}, "memory/memory.limit_in_bytes", "memory.max")
	if got != "67108864" {
		t.Fatalf("memory limit inside = %q, want 67108864", got)
	}
	// The container's cgroup sits under the root's own parent, where cleanup finds it.
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
		id := e.runDetached("-m", "64m", testImage, "sleep", "1000")
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", "berth-"+e.dirs.Tag, id, "memory.limit_in_bytes"))
		if err != nil || strings.TrimSpace(string(b)) != "67108864" {
			t.Fatalf("host cgroup memory/berth-%s/%s: %q, %v", e.dirs.Tag, id, b, err)
		}
	}
}

func TestCPULimit(t *testing.T) {
	e := newEnv(t)
	got := readCgroup(t, e, []string{"--cpus", "0.5"}, "cpu/cpu.cfs_quota_us", "cpu,cpuacct/cpu.cfs_quota_us", "cpu.max")
	if got != "50000" && got != "50000 100000" {
		t.Fatalf("CPU quota inside = %q, want 50000 per 100000", got)
	}
}

func TestPidsLimit(t *testing.T) {
	e := newEnv(t)
	got := readCgroup(t, e, []string{"--pids-limit", "64"}, "pids/pids.max", "pids.max")
	if got != "64" {
		t.Fatalf("pids.max inside = %q, want 64", got)
	}
	// 80 sleeping children cannot all start under a limit of 16.
	r := e.run("container", "run", "--rm", "--pids-limit", "16", testImage, "sh", "-c",
		"i=0; while [ $i -lt 80 ]; do sleep 5 & i=$((i+1)); done; echo started all")
	if strings.Contains(r.stdout, "started all") && !strings.Contains(r.stderr, "fork") {
		t.Fatalf("80 processes started under --pids-limit 16:\n%s", r)
	}
}

// An exec into a container at its pids limit gets one line saying so, not the crash of
// a runtime that could not make a thread.
func TestExecAtPidsLimit(t *testing.T) {
	e := newEnv(t)
	e.runDetached("--name", "full", "--pids-limit", "4", testImage, "sh", "-c", "sleep 1000 & sleep 1000 & sleep 1000 & wait")
	waitFor(t, 10*time.Second, "four processes", func() bool {
		r := e.run("container", "top", "full")
		return len(lines(r.stdout)) >= 5
	}, func() string { return e.run("container", "top", "full").String() })
	for _, args := range [][]string{{"container", "exec", "full", "true"}, {"container", "exec", "-t", "full", "true"}} {
		r := e.run(args...)
		msg := strings.TrimSpace(r.stderr + r.stdout)
		if r.code != 126 || len(lines(msg)) != 1 || !strings.Contains(msg, "process limit (pids-limit 4)") {
			t.Errorf("want exit 126 and one line naming the limit:\n%s", r)
		}
	}
	e.must("version")
}

// An exec that leaves a process behind returns when its own process ends, though the
// one left behind still holds its output.
func TestExecLeavingABackgroundProcess(t *testing.T) {
	e := newEnv(t)
	e.runDetached("--name", "bg", testImage, "sleep", "1000")
	start := time.Now()
	r := e.run("container", "exec", "bg", "sh", "-c", "sleep 600 & echo started >&2")
	if r.code != 0 || !strings.Contains(r.stderr, "started") {
		t.Fatalf("exec:\n%s", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("exec returned after %s, waiting for the process it left behind", d)
	}
}
