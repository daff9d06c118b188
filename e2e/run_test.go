package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestRunPrintsStdoutAndExitsZero(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", testImage, "echo", "hello", "world")
	if r.code != 0 || r.stdout != "hello world\n" {
		t.Fatalf("want stdout %q and exit 0:\n%s", "hello world\n", r)
	}
}

func TestRunPropagatesExitCode(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", testImage, "sh", "-c", "echo out; echo err >&2; exit 3")
	if r.code != 3 {
		t.Fatalf("want exit 3:\n%s", r)
	}
	if r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
		t.Fatalf("want stdout and stderr kept apart:\n%s", r)
	}
}

func TestRunCommandNotFoundExits127(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", testImage, "no-such-command")
	if r.code != 127 {
		t.Fatalf("want exit 127:\n%s", r)
	}
	if !strings.Contains(r.stderr, "no-such-command") {
		t.Fatalf("want an error naming the command:\n%s", r)
	}
}

func TestRunUnknownImageExits125(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", "berth-test/no-such-image:1", "true")
	if r.code != 125 {
		t.Fatalf("want exit 125:\n%s", r)
	}
	if !strings.Contains(r.stderr, "berth-test/no-such-image") {
		t.Fatalf("want an error naming the image:\n%s", r)
	}
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Fatalf("a failed run left containers: %q", out)
	}
}

func TestRunDuplicateNameFails(t *testing.T) {
	e := newEnv(t)
	e.runDetached("--name", "dup-name", testImage, "sleep", "1000")
	r := e.run("container", "run", "-d", "--name", "dup-name", testImage, "sleep", "1000")
	if r.code == 0 {
		t.Fatalf("a second container named dup-name was created:\n%s", r)
	}
	if !strings.Contains(r.stderr, "dup-name") {
		t.Fatalf("want an error naming the name:\n%s", r)
	}
	if n := len(lines(e.must("container", "ls", "-aq"))); n != 1 {
		t.Fatalf("want 1 container, have %d", n)
	}
}

func TestRunSetsEnvWorkdirUserAndEntrypoint(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"env", []string{"-e", "FOO=bar baz", testImage, "sh", "-c", "echo $FOO"}, "bar baz"},
		{"env default PATH", []string{testImage, "sh", "-c", "echo $PATH"}, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{"workdir", []string{"-w", "/tmp", testImage, "pwd"}, "/tmp"},
		{"missing workdir is created", []string{"-w", "/new/dir", testImage, "pwd"}, "/new/dir"},
		{"user by name", []string{"-u", "app", testImage, "sh", "-c", "id -un; id -u; id -g"}, "app\n1000\n1000"},
		{"user home", []string{"-u", "app", testImage, "sh", "-c", "echo $HOME"}, "/home/app"},
		{"user by uid:gid", []string{"-u", "1000:65534", testImage, "sh", "-c", "id -u; id -g"}, "1000\n65534"},
		{"root by default", []string{testImage, "id", "-u"}, "0"},
		{"entrypoint", []string{"--entrypoint", "echo", testImage, "from", "entrypoint"}, "from entrypoint"},
		{"image CMD", []string{"-i", testImage}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(append([]string{"container", "run", "--rm"}, tc.args...)...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != tc.want {
				t.Fatalf("want stdout %q and exit 0:\n%s", tc.want, r)
			}
		})
	}
}

func TestRunBindMountsReadWriteAndReadOnly(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in"), []byte("from host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run("container", "run", "--rm", "-v", dir+":/data", testImage, "sh", "-c", "cat /data/in && echo from container > /data/out")
	if r.code != 0 || r.stdout != "from host\n" {
		t.Fatalf("rw bind:\n%s", r)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != "from container\n" {
		t.Fatalf("the container's write did not reach the host: %q, %v", b, err)
	}

	r = e.run("container", "run", "--rm", "-v", dir+":/data:ro", testImage, "sh", "-c", "cat /data/in && echo x > /data/ro-write")
	if r.code == 0 || r.stdout != "from host\n" || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("ro bind: want the read to work and the write to fail with EROFS:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "ro-write")); err == nil {
		t.Fatal("a write through a :ro bind reached the host")
	}
}

func TestRunReadOnlyRootfs(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", "--read-only", testImage, "touch", "/file")
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("want the write to / to fail with EROFS:\n%s", r)
	}
	// /dev/shm stays writable, as in Docker.
	r = e.run("container", "run", "--rm", "--read-only", testImage, "touch", "/dev/shm/file")
	if r.code != 0 {
		t.Fatalf("/dev/shm is not writable with --read-only:\n%s", r)
	}
}

func TestRunInvalidMemoryFlagExits125(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", "-m", "12q", testImage, "true")
	if r.code != 125 {
		t.Fatalf("want exit 125 (as docker run):\n%s", r)
	}
	if !strings.Contains(r.stderr, "memory") || !strings.Contains(r.stderr, "12q") {
		t.Fatalf("want an error naming the flag and the value:\n%s", r)
	}
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Fatalf("an invalid run created containers: %q", out)
	}
}

func TestRunSetsHostnameAndHosts(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sleep", "1000")
	out := e.must("container", "exec", id, "sh", "-c", "hostname; cat /etc/hostname; cat /etc/hosts")
	l := lines(out)
	if len(l) < 3 || l[0] != id[:12] || l[1] != id[:12] {
		t.Fatalf("want the short ID %s as hostname and in /etc/hostname:\n%s", id[:12], out)
	}
	if !regexp.MustCompile(`(?m)^127\.0\.0\.1\s+localhost`).MatchString(out) {
		t.Fatalf("/etc/hosts has no localhost line:\n%s", out)
	}

	r := e.run("container", "run", "--rm", "--hostname", "web-1", testImage, "sh", "-c", "hostname; cat /etc/hostname")
	if r.code != 0 || r.stdout != "web-1\nweb-1\n" {
		t.Fatalf("--hostname web-1:\n%s", r)
	}
}

func TestRunInteractiveForwardsStdin(t *testing.T) {
	e := newEnv(t)
	r := e.runInput(strings.NewReader("hi\nthere\n"), "container", "run", "-i", "--rm", testImage, "cat")
	if r.code != 0 || r.stdout != "hi\nthere\n" {
		t.Fatalf("want stdin echoed back and exit 0 at EOF:\n%s", r)
	}
	r = e.runInput(strings.NewReader("3 4\n"), "container", "run", "-i", "--rm", testImage, "sh", "-c", "read a b; exit $((a+b))")
	if r.code != 7 {
		t.Fatalf("want exit 7 from the input:\n%s", r)
	}
}

// syncBuffer collects a terminal's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunWithTerminal(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, "container", "run", "-it", "--rm", testImage, "sh")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var out syncBuffer
	go func() { _, _ = ptmx.WriteTo(&out) }()
	fail := func(format string, args ...any) {
		t.Helper()
		_ = cmd.Process.Kill()
		t.Fatalf("%s\nterminal output:\n%q", fmt.Sprintf(format, args...), out.String())
	}

	// The prompt has no newline after it: it shows whether output passes unbuffered.
	if !eventually(10*time.Second, func() bool { return strings.Contains(out.String(), "# ") }) {
		t.Errorf("no shell prompt within 10 s; terminal output: %q", out.String())
	}
	if _, err := ptmx.Write([]byte("stty size; echo $((6*7))\n")); err != nil {
		fail("write: %v", err)
	}
	waitFor(t, 10*time.Second, "42 on the terminal", func() bool {
		return regexp.MustCompile(`(?m)^42\r?$`).MatchString(out.String())
	}, func() string { return fmt.Sprintf("terminal output: %q", out.String()) })
	if !regexp.MustCompile(`(?m)^30 100\r?$`).MatchString(out.String()) {
		fail("the container's terminal is not 30x100")
	}
	if _, err := ptmx.Write([]byte("exit 5\n")); err != nil {
		fail("write: %v", err)
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 5 {
		fail("want exit 5, have %d (%v)", code, err)
	}
}

func TestRunRmLeavesNoContainer(t *testing.T) {
	e := newEnv(t)
	if r := e.run("container", "run", "--rm", testImage, "true"); r.code != 0 {
		t.Fatalf("run --rm:\n%s", r)
	}
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Fatalf("run --rm left containers: %q", out)
	}
	id := e.runDetached("--rm", testImage, "sleep", "0.2")
	var left string
	waitFor(t, 10*time.Second, "the detached --rm container to be removed", func() bool {
		left = e.must("container", "ls", "-aq")
		return left == ""
	}, func() string { return "containers left: " + left })
	if r := e.run("container", "inspect", id); r.code == 0 {
		t.Fatalf("inspect of a removed container worked:\n%s", r)
	}
}
