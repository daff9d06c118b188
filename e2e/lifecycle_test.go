package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDetachedContainerLogs(t *testing.T) {
	e := newEnv(t)
	// Two streams are read apart, so their relative order in the log is not fixed: one
	// container for the streams, one for the order of lines.
	streams := e.runDetached(testImage, "sh", "-c", "echo out; echo oops >&2")
	if code := e.must("container", "wait", streams); code != "0" {
		t.Fatalf("wait printed %q, want 0", code)
	}
	r := e.run("container", "logs", streams)
	if r.code != 0 || r.stdout != "out\n" || r.stderr != "oops\n" {
		t.Fatalf("logs: want stdout out and stderr oops:\n%s", r)
	}
	e.must("container", "rm", streams)

	id := e.runDetached(testImage, "sh", "-c", "echo one; echo two; echo three")
	if code := e.must("container", "wait", id); code != "0" {
		t.Fatalf("wait printed %q, want 0", code)
	}
	r = e.run("container", "logs", id)
	if r.code != 0 || r.stdout != "one\ntwo\nthree\n" {
		t.Fatalf("logs: want one two three:\n%s", r)
	}
	r = e.run("container", "logs", "--tail", "1", id)
	if r.code != 0 || r.stdout != "three\n" || r.stderr != "" {
		t.Fatalf("logs --tail 1: want only the last line:\n%s", r)
	}
	r = e.run("container", "logs", "-t", id)
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (one|two|three)$`)
	l := lines(r.stdout)
	if r.code != 0 || len(l) != 3 {
		t.Fatalf("logs -t:\n%s", r)
	}
	for _, line := range l {
		if !stamped.MatchString(line) {
			t.Fatalf("logs -t: line %q has no RFC 3339 timestamp:\n%s", line, r)
		}
	}
	// The container is still listed (stopped) with ls -a, not with ls.
	if out := e.must("container", "ls", "-q"); out != "" {
		t.Errorf("ls -q lists a stopped container: %q", out)
	}
	if out := e.must("container", "ls", "-aq"); out != id[:12] {
		t.Errorf("ls -aq = %q, want %s", out, id[:12])
	}
}

func TestLogsFollowEndsWhenContainerExits(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sh", "-c", "echo start; sleep 1; for i in 1 2 3; do echo $i; sleep 0.2; done")
	e.waitLogs(id, "start")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := e.command(ctx, "container", "logs", "-f", id)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil || ctx.Err() != nil {
		t.Fatalf("logs -f: %v (context: %v)\n%s", err, ctx.Err(), out.String())
	}
	if out.String() != "start\n1\n2\n3\n" {
		t.Fatalf("logs -f printed %q, want start 1 2 3", out.String())
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("logs -f returned after %s, before the container ended", d)
	}
}

func TestStopKillsContainerIgnoringTerm(t *testing.T) {
	e := newEnv(t)
	// A shell as pid 1 without a trap ignores SIGTERM.
	id := e.runDetached(testImage, "sh", "-c", "while true; do sleep 0.1; done")
	e.waitStatus(id, "running")
	start := time.Now()
	e.must("container", "stop", "-t", "1", id)
	d := time.Since(start)
	if d < time.Second || d > 8*time.Second {
		t.Errorf("stop -t 1 took %s, want about 1 s", d)
	}
	c := e.inspect(id)
	if c.State.Status != "exited" || c.State.ExitCode != 137 {
		t.Fatalf("after stop: status %q exit %d, want exited 137", c.State.Status, c.State.ExitCode)
	}
}

func TestStopEndsContainerTrappingTermQuickly(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sh", "-c", "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done")
	e.waitLogs(id, "ready")
	start := time.Now()
	e.must("container", "stop", "-t", "10", id)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %s though the container exits on TERM", d)
	}
	if code := e.must("container", "wait", id); code != "0" {
		t.Fatalf("wait printed %q, want 0", code)
	}
	e.waitLogs(id, "bye")
}

func TestKillSendsSignal(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sh", "-c", "trap 'echo got usr1; exit 7' USR1; echo ready; while true; do sleep 0.1; done")
	e.waitLogs(id, "ready")
	e.must("container", "kill", "-s", "USR1", id)
	if code := e.must("container", "wait", id); code != "7" {
		t.Fatalf("wait printed %q, want 7", code)
	}
	e.waitLogs(id, "got usr1")

	// Plain kill is SIGKILL: 137.
	id = e.runDetached(testImage, "sleep", "1000")
	e.must("container", "kill", id)
	if code := e.must("container", "wait", id); code != "137" {
		t.Fatalf("wait after kill printed %q, want 137", code)
	}
	r := e.run("container", "kill", id)
	if r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Fatalf("kill of a stopped container: want an error saying it is not running:\n%s", r)
	}
}

func TestRmOfRunningContainerNeedsForce(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached("--name", "busy", testImage, "sleep", "1000")
	r := e.run("container", "rm", "busy")
	if r.code == 0 || !strings.Contains(r.stderr, "running") {
		t.Fatalf("rm of a running container: want an error saying it runs:\n%s", r)
	}
	e.must("container", "rm", "-f", "busy")
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Fatalf("rm -f left containers: %q", out)
	}
	if shims := e.shims(); len(shims) > 0 {
		waitFor(t, 5*time.Second, "the shim of the removed container to exit", func() bool {
			for _, pid := range shims {
				if alive(pid) {
					return false
				}
			}
			return true
		}, nil)
	}
	if m := mountsUnder(filepath.Join(e.root)); len(m) > 0 {
		t.Fatalf("rm -f %s left mounts: %v", id[:12], m)
	}
	r = e.run("container", "rm", "busy")
	if r.code == 0 || !strings.Contains(r.stderr, "busy") {
		t.Fatalf("rm of a missing container: want an error naming it:\n%s", r)
	}
}

func TestExecRunsInContainer(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached("-e", "FROM_RUN=1", testImage, "sleep", "1000")
	for _, tc := range []struct {
		name  string
		flags []string
		cmd   []string
		want  string
		code  int
	}{
		{"stdout", nil, []string{"echo", "in", "exec"}, "in exec", 0},
		{"exit code", nil, []string{"sh", "-c", "exit 4"}, "", 4},
		{"env of the container", nil, []string{"sh", "-c", "echo $FROM_RUN"}, "1", 0},
		{"-e", []string{"-e", "FOO=x y"}, []string{"sh", "-c", "echo $FOO"}, "x y", 0},
		{"-u", []string{"-u", "app"}, []string{"id", "-u"}, "1000", 0},
		{"-w", []string{"-w", "/tmp"}, []string{"pwd"}, "/tmp", 0},
		{"same pid namespace", nil, []string{"sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"}, "sleep 1000", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"container", "exec"}, tc.flags...), id)
			r := e.run(append(args, tc.cmd...)...)
			if r.code != tc.code || strings.TrimSpace(r.stdout) != tc.want {
				t.Fatalf("want stdout %q and exit %d:\n%s", tc.want, tc.code, r)
			}
		})
	}
	// Docker answers 126 or 127 here depending on its version.
	if r := e.run("container", "exec", id, "no-such-command"); r.code != 126 && r.code != 127 {
		t.Fatalf("exec of a missing command: want exit 126 or 127:\n%s", r)
	}
	r := e.runInput(strings.NewReader("piped\n"), "container", "exec", "-i", id, "cat")
	if r.code != 0 || r.stdout != "piped\n" {
		t.Fatalf("exec -i: want stdin echoed:\n%s", r)
	}
	e.must("container", "stop", "-t", "0", id)
	r = e.run("container", "exec", id, "true")
	if r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Fatalf("exec in a stopped container: want an error saying it is not running:\n%s", r)
	}
}

func TestPauseFreezesAndUnpauseResumes(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	counter := filepath.Join(dir, "n")
	id := e.runDetached("-v", dir+":/out", testImage, "sh", "-c",
		"i=0; while true; do i=$((i+1)); echo $i > /out/n.tmp; mv /out/n.tmp /out/n; sleep 0.02; done")
	read := func() int {
		b, _ := os.ReadFile(counter)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	waitFor(t, 10*time.Second, "the counter to start", func() bool { return read() >= 3 }, nil)

	e.must("container", "pause", id)
	c := e.inspect(id)
	if c.State.Status != "paused" || !c.State.Paused {
		t.Fatalf("after pause: status %q paused %v", c.State.Status, c.State.Paused)
	}
	frozen := read()
	// Observing that nothing happens needs a span of time; 0.5 s is 25 loop rounds.
	time.Sleep(500 * time.Millisecond)
	if n := read(); n != frozen {
		t.Fatalf("the counter went from %d to %d while paused", frozen, n)
	}
	if r := e.run("container", "exec", id, "true"); r.code == 0 {
		t.Errorf("exec in a paused container worked:\n%s", r)
	}

	e.must("container", "unpause", id)
	waitFor(t, 10*time.Second, "the counter to advance after unpause", func() bool { return read() > frozen }, nil)
	if s := e.inspect(id).State.Status; s != "running" {
		t.Fatalf("after unpause: status %q", s)
	}
	// A paused container can be removed by force.
	e.must("container", "pause", id)
	e.must("container", "rm", "-f", id)
}
