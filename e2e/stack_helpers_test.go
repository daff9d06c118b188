package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// loopCmd is a service command that runs until stopped and stops at once on SIGTERM.
const loopCmd = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]`

// stackPage is what stackHTTPDCmd serves.
const stackPage = "hello from a berth stack"

// stackHTTPDCmd serves stackPage on port 80; httpd runs in the background so that the
// shell, not httpd, is the container's init and a stop ends it at once.
const stackHTTPDCmd = `["sh", "-c", "mkdir -p /www && echo '` + stackPage + `' > /www/index.html && httpd -p 80 -h /www && trap 'exit 0' TERM && while true; do sleep 0.1; done"]`

// stack is one Compose project of an env: a directory holding compose.yaml. The
// directory's name is the default project name.
type stack struct {
	e    *env
	dir  string
	file string
}

// newStack writes yaml as compose.yaml in a fresh directory named project.
func (e *env) newStack(project, yaml string) *stack {
	e.t.Helper()
	dir := filepath.Join(e.t.TempDir(), project)
	if err := os.Mkdir(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	s := &stack{e: e, dir: dir, file: filepath.Join(dir, "compose.yaml")}
	s.write(yaml)
	return s
}

// write replaces the stack's compose.yaml.
func (s *stack) write(yaml string) {
	s.e.t.Helper()
	if err := os.WriteFile(s.file, []byte(yaml), 0o644); err != nil {
		s.e.t.Fatal(err)
	}
}

// args returns berth's arguments for a stack command on this stack's file.
func (s *stack) args(cmd string, args ...string) []string {
	return append([]string{cmd, "--file", s.file}, args...)
}

// run runs a stack command (up, down, ps, logs, config...) on this stack's file.
func (s *stack) run(cmd string, args ...string) res {
	s.e.t.Helper()
	return s.e.run(s.args(cmd, args...)...)
}

// must runs a stack command and fails the test unless it exits 0; it returns stdout.
func (s *stack) must(cmd string, args ...string) res {
	s.e.t.Helper()
	r := s.run(cmd, args...)
	if r.code != 0 {
		s.e.t.Fatalf("command failed:\n%s", r)
	}
	return r
}

// psEntry is one container of `ps --format json`.
type psEntry struct {
	ID       string
	Name     string
	Project  string
	Service  string
	State    string
	Status   string
	Health   string
	ExitCode int
}

// ps lists the stack's containers, stopped ones too, sorted by name.
func (s *stack) ps(args ...string) []psEntry {
	s.e.t.Helper()
	r := s.must("ps", append([]string{"-a", "--format", "json"}, args...)...)
	list, err := parsePS(r.stdout)
	if err != nil {
		s.e.t.Fatalf("ps --format json: %v\n%s", err, r)
	}
	slices.SortFunc(list, func(a, b psEntry) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// parsePS reads ps --format json: a JSON array, or one object per line as Compose prints.
func parsePS(out string) ([]psEntry, error) {
	out = strings.TrimSpace(out)
	var list []psEntry
	if strings.HasPrefix(out, "[") {
		err := json.Unmarshal([]byte(out), &list)
		return list, err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var p psEntry
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, nil
}

// psNames returns the container names of a ps listing.
func psNames(list []psEntry) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.Name)
	}
	return out
}

// psIDs maps container names to IDs.
func psIDs(list []psEntry) map[string]string {
	m := map[string]string{}
	for _, p := range list {
		m[p.Name] = p.ID
	}
	return m
}

// stackInspect is the part of `container inspect` the stack tests read.
type stackInspect struct {
	ID     string `json:"Id"`
	Name   string
	State  stackState
	Config struct {
		Labels map[string]string
		Env    []string
	}
	NetworkSettings struct {
		Networks map[string]struct {
			IPAddress string
			Aliases   []string
			DNSNames  []string
		}
	}
}

type stackState struct {
	Status    string
	Running   bool
	ExitCode  int
	StartedAt time.Time
	Health    *struct {
		Status string
		Log    []struct {
			Start, End time.Time
			ExitCode   int
			Output     string
		}
	}
}

func (e *env) inspectStack(ref string) stackInspect {
	e.t.Helper()
	out := e.must("container", "inspect", ref)
	var list []stackInspect
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		e.t.Fatalf("container inspect %s: want a JSON array of one container (%v):\n%s", ref, err, out)
	}
	return list[0]
}

// execOut runs sh -c script in ctr and returns what it did.
func (e *env) execOut(ctr, script string) res {
	e.t.Helper()
	return e.run("container", "exec", ctr, "sh", "-c", script)
}

// stackLookup runs nslookup name in ctr and returns the addresses it answered.
func (e *env) stackLookup(ctr, name string) ([]string, res) {
	e.t.Helper()
	r := e.execOut(ctr, "nslookup "+name)
	var addrs []string
	named := false
	for _, l := range lines(r.stdout) {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Name:"):
			named = true
		case named && strings.HasPrefix(l, "Address:"):
			if a := strings.TrimSpace(strings.TrimPrefix(l, "Address:")); net.ParseIP(a) != nil {
				addrs = append(addrs, a)
			}
		}
	}
	return addrs, r
}

// waitResolves waits until name resolves in ctr to want.
func (e *env) waitResolves(ctr, name, want string) {
	e.t.Helper()
	var addrs []string
	var r res
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%s to resolve %s to %s", ctr, name, want), func() bool {
		addrs, r = e.stackLookup(ctr, name)
		return slices.Equal(addrs, []string{want})
	}, func() string { return fmt.Sprintf("last answer %v:\n%s", addrs, r) })
}

// waitServesFromCtr waits until ctr gets stackPage from host:80 with busybox nc.
func (e *env) waitServesFromCtr(ctr, host string) {
	e.t.Helper()
	var r res
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%s to get the page from %s:80", ctr, host), func() bool {
		r = e.execOut(ctr, fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 %s 80`, host))
		return strings.Contains(r.stdout, stackPage)
	}, func() string { return r.String() })
}

// loopbackGet sends GET / to addr, which must be a loopback address: tests send nothing
// to the machine's real addresses.
func loopbackGet(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("loopbackGet %s: tests talk only to loopback", addr)
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&b)
	return b.String(), err
}

// freeLoopbackPort returns a TCP port nothing listens on at 127.0.0.1 right now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// rootLinks returns the names of this root's bridges and veths on the host.
func (e *env) rootLinks() []string {
	e.t.Helper()
	links, err := linkList()
	if err != nil {
		e.t.Fatalf("list links: %v", err)
	}
	var out []string
	for _, l := range links {
		name := l.Attrs().Name
		if strings.HasPrefix(name, "br"+e.dirs.Tag[:5]+"-") || strings.HasPrefix(name, "ve"+e.dirs.Tag[:5]) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// runEnv runs berth with extra environment variables (KEY=VALUE).
func (e *env) runEnv(extra []string, args ...string) res {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Env = append(cmd.Env, extra...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := res{args: args, stdout: out.String(), stderr: errb.String()}
	if ctx.Err() != nil {
		r.code = -1
	} else if err != nil {
		r.code = cmd.ProcessState.ExitCode()
		if r.code == -1 {
			e.t.Fatalf("run berth %s: %v", strings.Join(args, " "), err)
		}
	}
	return r
}

// writeFile writes content to path, making its directory.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// requireStackCommand skips t unless berth has the top-level command name: the stack
// commands beyond up, down, ps, logs, ls and config are arriving one by one.
func requireStackCommand(t *testing.T, e *env, name string) {
	t.Helper()
	r := e.run("--help")
	for _, l := range lines(r.stdout) {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return
		}
	}
	t.Skipf("berth has no %q command yet", name)
}
