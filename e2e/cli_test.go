package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVersionAndInfoStartTheDaemon(t *testing.T) {
	e := newEmptyEnv(t)
	out := e.must("version")
	if !strings.Contains(out, "Client:") || !strings.Contains(out, "Server: berth") {
		t.Fatalf("version: want client and server sections:\n%s", out)
	}
	if e.daemonPid() == 0 {
		t.Fatal("version did not start a daemon for the root")
	}
	out = e.must("info")
	if !strings.Contains(out, "Containers: 0") || !strings.Contains(out, "Images: 0") {
		t.Fatalf("info of an empty root:\n%s", out)
	}
}

func TestContainerLsFormats(t *testing.T) {
	e := newEnv(t)
	id := e.runDetached("--name", "listed", testImage, "sleep", "1000")
	e.must("container", "run", "--name", "done", testImage, "true")

	out := e.must("container", "ls")
	if l := lines(out); len(l) != 2 || !strings.HasPrefix(l[0], "CONTAINER ID") || !strings.Contains(l[1], "listed") {
		t.Fatalf("ls: want a header and the running container:\n%s", out)
	}
	if out := e.must("container", "ls", "-a"); !strings.Contains(out, "listed") || !strings.Contains(out, "done") {
		t.Fatalf("ls -a: want both containers:\n%s", out)
	}
	out = e.must("container", "ls", "--format", "json")
	var row struct{ ID, Names, Image, State string }
	if err := json.Unmarshal([]byte(out), &row); err != nil {
		t.Fatalf("ls --format json: want one JSON object (%v):\n%s", err, out)
	}
	if row.ID != id[:12] || row.Names != "listed" || row.Image != testImage || row.State != "running" {
		t.Fatalf("ls --format json: %+v", row)
	}
	if out := e.must("container", "ls", "--format", "{{.Names}}"); out != "listed" {
		t.Fatalf("ls --format {{.Names}} = %q", out)
	}
}
