package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnonymousVolumesHoldImageVolumePaths: an image's VOLUME path and a -v /path get
// anonymous volumes seeded from the image, which outlive the container's layer and go
// with rm -v.
func TestAnonymousVolumesHoldImageVolumePaths(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := rootfs(t)
	// A copy of the test rootfs with content under /data, imported with VOLUME /data.
	seeded := filepath.Join(dir, "rootfs")
	if out, err := exec.Command("cp", "-a", src, seeded).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v: %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(seeded, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(seeded, "data", "seed"), []byte("from the image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("image", "import", "--change", `CMD ["sh"]`, "--change", "VOLUME /data", seeded, "berth-test/withvolume:1")
	id := e.runDetached("berth-test/withvolume:1", "sleep", "1000")
	vols := strings.Fields(e.must("volume", "ls", "-q"))
	if len(vols) != 1 {
		t.Fatalf("want one anonymous volume for /data, have %v", vols)
	}
	out := e.must("container", "exec", id, "cat", "/data/seed")
	if strings.TrimSpace(out) != "from the image" {
		t.Errorf("/data/seed in the volume = %q, want the image's content copied in", out)
	}
	e.must("container", "rm", "-f", id)
	if got := strings.Fields(e.must("volume", "ls", "-q")); len(got) != 1 {
		t.Errorf("rm without -v removed the anonymous volume: %v", got)
	}
	id2 := e.runDetached("-v", "/scratch", testImage, "sleep", "1000")
	if n := len(strings.Fields(e.must("volume", "ls", "-q"))); n != 2 {
		t.Errorf("-v /scratch made %d volumes in all, want 2", n)
	}
	e.must("container", "rm", "-f", "-v", id2)
	if got := strings.Fields(e.must("volume", "ls", "-q")); len(got) != 1 || got[0] != vols[0] {
		t.Errorf("rm -v left volumes %v, want only %v", got, vols)
	}
}

// TestInitForwardsSignalsAndReaps: with --init the command is not PID 1, so a program
// that ignores SIGTERM as PID 1 (sleep) stops at once, with 128+15.
func TestInitForwardsSignalsAndReaps(t *testing.T) {
	e := newEnv(t)
	out := e.must("container", "run", "--rm", "--init", testImage, "sh", "-c", "echo $$")
	if strings.TrimSpace(out) == "1" {
		t.Fatalf("with --init the command is PID %s", out)
	}
	id := e.runDetached("--init", testImage, "sleep", "1000")
	e.waitStatus(id, "running")
	e.must("container", "stop", "-t", "30", id)
	if st := e.inspect(id); st.State.ExitCode != 143 {
		t.Errorf("exit code after stop %d, want 143 (the forwarded SIGTERM, not a kill after the grace period)", st.State.ExitCode)
	}
	if r := e.run("container", "run", "--rm", "--init", testImage, "no-such-command"); r.code != 127 {
		t.Errorf("a missing command under --init:\n%s", r)
	}
}

// TestExecWithStdinEndsWithItsProcess: exec -i without a terminal returns when the
// process ends, though the client's stdin stays open.
func TestExecWithStdinEndsWithItsProcess(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached(testImage, "sleep", "1000")
	r := e.runInput(strings.NewReader("hello\n"), "container", "exec", "-i", id, "cat")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "hello" {
		t.Fatalf("exec -i cat:\n%s", r)
	}
	// The process ends by itself while stdin is still open: exec must not wait for it.
	pr, pw, err := os.Pipe() // a file, so berth gets the descriptor itself
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	r = e.runInput(pr, "container", "exec", "-i", id, "sh", "-c", "exit 4")
	if r.code != 4 {
		t.Fatalf("exec -i of a process that ignores its stdin:\n%s", r)
	}
}

// TestStartAttachOfAStoppedContainer: docker start -a attaches to a stopped container
// before starting it, and gets its output.
func TestStartAttachOfAStoppedContainer(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.must("container", "create", testImage, "sh", "-c", "echo run; exit 3"))
	r := e.run("container", "start", "-a", id)
	if r.code != 3 || !strings.Contains(r.stdout, "run") {
		t.Fatalf("first start -a:\n%s", r)
	}
	r = e.run("container", "start", "-a", id)
	if r.code != 3 || !strings.Contains(r.stdout, "run") {
		t.Fatalf("start -a of the stopped container:\n%s", r)
	}
}
