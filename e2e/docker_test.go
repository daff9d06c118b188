package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// docker runs the docker CLI against the env's daemon.
func (e *env) docker(args ...string) res {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"-H", "unix://" + e.dirs.Socket}, args...)...)
	// A private client config: nothing from the user's ~/.docker, no context, no host.
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+e.t.TempDir(), "DOCKER_HOST=", "DOCKER_CONTEXT=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := res{args: append([]string{"(docker)"}, args...), stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code = -1
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run docker: %v", err)
	}
	return r
}

func TestDockerCLIWorksAgainstBerth(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on this machine")
	}
	e := newEnv(t)
	id := e.runDetached("--name", "web", testImage, "sh", "-c", "echo from web; sleep 1000")
	e.waitLogs("web", "from web")

	check := func(name string, r res, code int, want string) {
		t.Helper()
		if r.code != code || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: want exit %d and stdout containing %q:\n%s", name, code, want, r)
		}
	}
	check("version", e.docker("version"), 0, "Server:")
	check("ps -a", e.docker("ps", "-a"), 0, "web")
	check("ps -q", e.docker("ps", "-q"), 0, id[:12])
	check("images", e.docker("images"), 0, "berth-test/busybox")
	check("logs", e.docker("logs", "web"), 0, "from web")
	check("exec", e.docker("exec", "web", "echo", "in exec"), 0, "in exec")
	check("exec exit code", e.docker("exec", "web", "sh", "-c", "exit 2"), 2, "")
	check("exec -e -u -w", e.docker("exec", "-e", "A=b", "-u", "app", "-w", "/tmp", "web", "sh", "-c", "echo $A $(id -u) $(pwd)"), 0, "b 1000 /tmp")
	check("run", e.docker("run", "--rm", testImage, "echo", "hi"), 0, "hi\n")
	check("run exit code", e.docker("run", "--rm", testImage, "sh", "-c", "exit 3"), 3, "")

	r := e.docker("inspect", "web")
	var cs []containerState
	if err := json.Unmarshal([]byte(r.stdout), &cs); r.code != 0 || err != nil || len(cs) != 1 {
		t.Fatalf("inspect web (%v):\n%s", err, r)
	}
	if cs[0].ID != id || cs[0].Name != "/web" || !cs[0].State.Running {
		t.Errorf("docker inspect web: id %s name %q running %v", cs[0].ID, cs[0].Name, cs[0].State.Running)
	}

	check("stop", e.docker("stop", "-t", "1", "web"), 0, "web")
	check("rm", e.docker("rm", "web"), 0, "web")
	if out := e.must("container", "ls", "-aq"); out != "" {
		t.Errorf("containers left after docker run --rm and docker rm: %q", out)
	}
}
