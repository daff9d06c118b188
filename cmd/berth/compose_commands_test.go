package main

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/project"
)

func TestComposeCommandsRegistered(t *testing.T) {
	root := newRootCommand() // panics on a clashing shorthand
	for _, name := range []string{"exec", "run", "create", "start", "stop", "restart", "kill", "rm", "pause", "unpause",
		"top", "port", "images", "pull", "wait", "cp"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Errorf("%s: not registered (%v)", name, err)
		}
	}
	run, _, _ := root.Find([]string{"run"})
	if f := run.Flags().ShorthandLookup("p"); f == nil || f.Name != "publish" {
		t.Errorf("run -p is %v, want --publish", f)
	}
	rm, _, _ := root.Find([]string{"rm"})
	if f := rm.Flags().ShorthandLookup("f"); f == nil || f.Name != "force" {
		t.Errorf("rm -f is %v, want --force", f)
	}
}

func TestComposeArgs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"port", "web"}, false},
		{[]string{"cp", "web:/a"}, false},
		{[]string{"wait"}, false},
		{[]string{"exec", "web"}, false},
		{[]string{"run"}, false},
	} {
		root := newRootCommand()
		cmd, rest, err := root.Find(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); (err == nil) != tt.ok {
			t.Errorf("%v: err = %v", tt.args, err)
		}
	}
}

func TestExecOptionsFor(t *testing.T) {
	tests := []struct {
		name     string
		o        composeExecOptions
		terminal bool
		want     execOptions
	}{
		{"terminal", composeExecOptions{}, true, execOptions{interactive: true, tty: true}},
		{"-T", composeExecOptions{noTTY: true}, true, execOptions{interactive: true}},
		{"pipe", composeExecOptions{}, false, execOptions{interactive: true}},
		{"-d", composeExecOptions{detach: true, user: "1:1"}, true, execOptions{detach: true, user: "1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := execOptionsFor(tt.o, tt.terminal)
			if got.interactive != tt.want.interactive || got.tty != tt.want.tty || got.detach != tt.want.detach || got.user != tt.want.user {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestOneOffSpec(t *testing.T) {
	port, _ := network.PortFrom(80, network.TCP)
	svc := project.Service{Name: "web", Containers: []project.Container{{
		Name: "demo-web-1",
		Config: container.Config{Image: "bb", Cmd: []string{"httpd"}, Env: []string{"A=1"},
			Labels: map[string]string{project.LabelProject: "demo", project.LabelConfigHash: "abc"}},
		HostConfig: container.HostConfig{PortBindings: network.PortMap{port: {{HostPort: "8080"}}},
			RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}},
	}}}
	spec, err := oneOffSpec("demo", svc, composeRunOptions{rm: true, env: []string{"B=2"}}, []string{"echo", "hi"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(spec.Name, "demo-web-run-") || len(spec.Name) != len("demo-web-run-")+12 {
		t.Errorf("name %q", spec.Name)
	}
	c, hc := spec.Config, spec.HostConfig
	if c.Labels[project.LabelOneoff] != "True" || c.Labels[project.LabelConfigHash] != "" || c.Labels[project.LabelProject] != "demo" {
		t.Errorf("labels %v", c.Labels)
	}
	if svc.Containers[0].Config.Labels[project.LabelOneoff] != "" {
		t.Error("the service's labels were changed")
	}
	if strings.Join(c.Cmd, " ") != "echo hi" || strings.Join(c.Env, ",") != "A=1,B=2" {
		t.Errorf("cmd %q env %q", c.Cmd, c.Env)
	}
	if len(hc.PortBindings) != 0 || !hc.AutoRemove || hc.RestartPolicy.Name != container.RestartPolicyDisabled {
		t.Errorf("host config: ports %v autoremove %v restart %v", hc.PortBindings, hc.AutoRemove, hc.RestartPolicy)
	}
	spec, err = oneOffSpec("demo", svc, composeRunOptions{name: "x", publish: []string{"9090:80"}, entrypoint: "sh -c", entrypointSet: true}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Name != "x" || len(spec.HostConfig.PortBindings[port]) != 1 || spec.HostConfig.PortBindings[port][0].HostPort != "9090" {
		t.Errorf("name %q ports %v", spec.Name, spec.HostConfig.PortBindings)
	}
	if strings.Join(spec.Config.Entrypoint, " ") != "sh -c" || spec.Config.Cmd != nil || !spec.Config.Tty {
		t.Errorf("entrypoint %q cmd %q tty %v", spec.Config.Entrypoint, spec.Config.Cmd, spec.Config.Tty)
	}
	if _, err := oneOffSpec("demo", project.Service{Name: "none"}, composeRunOptions{}, nil, false); err == nil {
		t.Error("a service without containers was accepted")
	}
}

func TestSplitCpArg(t *testing.T) {
	for arg, want := range map[string][2]string{
		"web:/etc/hosts": {"web", "/etc/hosts"},
		"./a:b":          {"", "./a:b"},
		"/tmp/x":         {"", "/tmp/x"},
		"dir/f:x":        {"", "dir/f:x"},
		"-":              {"", "-"},
	} {
		s, p := splitCpArg(arg)
		if s != want[0] || p != want[1] {
			t.Errorf("splitCpArg(%q) = %q %q, want %q", arg, s, p, want)
		}
	}
}

func TestCpLocalRoundTrip(t *testing.T) {
	src := t.TempDir()
	_ = os.MkdirAll(filepath.Join(src, "conf", "sub"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "conf", "sub", "f"), []byte("data"), 0o600)
	var buf bytes.Buffer
	if err := tarLocal(&buf, filepath.Join(src, "conf"), "conf", false); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	dir, rename, err := localDestination(filepath.Join(dst, "copy"), true, "conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := untarLocal(&buf, dir, "conf", rename, false); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dst, "copy", "sub", "f")); err != nil || string(got) != "data" {
		t.Errorf("copied file: %q %v", got, err)
	}
	if _, _, err := localDestination(filepath.Join(dst, "missing", "x"), false, "f"); err == nil {
		t.Error("a missing parent directory was accepted")
	}
}

func TestUntarLocalRejectsEscape(t *testing.T) {
	outside := t.TempDir()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: outside})
	_ = tw.WriteHeader(&tar.Header{Name: "l/pwned", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	_ = untarLocal(&buf, t.TempDir(), "", "", false)
	if _, err := os.Stat(filepath.Join(outside, "pwned")); err == nil {
		t.Fatal("a container's archive wrote outside the destination")
	}
	buf.Reset()
	tw = tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "../up", Typeflag: tar.TypeReg, Mode: 0o644})
	_ = tw.Close()
	if err := untarLocal(&buf, t.TempDir(), "", "", false); err == nil {
		t.Error("an entry with .. was accepted")
	}
}

func TestComposeOutput(t *testing.T) {
	var b bytes.Buffer
	_ = printTop(&b, "demo-web-1", []string{"UID", "PID", "CMD"}, [][]string{{"root", "12", "sleep 100"}})
	want := "demo-web-1\nUID       PID       CMD\nroot      12        sleep 100\n"
	if b.String() != want {
		t.Errorf("top:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	rows := []composeImageRow{{container: "demo-web-1", repository: "bb", tag: "latest", id: "sha256:0123456789abcdef0123", size: 4_400_000}}
	_ = printComposeImages(&b, rows, false)
	if !strings.Contains(b.String(), "CONTAINER") || !strings.Contains(b.String(), "0123456789ab") || !strings.Contains(b.String(), "4.4MB") {
		t.Errorf("images:\n%s", b.String())
	}
	for ref, want := range map[string][2]string{"bb": {"bb", "latest"}, "localhost:5000/x:1": {"localhost:5000/x", "1"},
		"a@sha256:00": {"a", "<none>"}} {
		if r, tg := splitRepoTag(ref); r != want[0] || tg != want[1] {
			t.Errorf("splitRepoTag(%q) = %q %q", ref, r, tg)
		}
	}
	b.Reset()
	if !confirmRemoval(&b, strings.NewReader("y\n"), []string{"a-1", "b-1"}) || b.String() != "Going to remove a-1, b-1\nAre you sure? [yN] " {
		t.Errorf("prompt %q", b.String())
	}
	if confirmRemoval(&b, strings.NewReader("\n"), nil) {
		t.Error("an empty answer agreed")
	}
}

func TestChangeEach(t *testing.T) {
	var b bytes.Buffer
	list := []container.Summary{{ID: "1", Names: []string{"/demo-web-1"}}}
	_ = changeEach(t.Context(), &b, list, "Stopping", "Stopped", func(_ context.Context, _ container.Summary) error { return nil })
	if b.String() != " Container demo-web-1  Stopping\n Container demo-web-1  Stopped\n" {
		t.Errorf("%q", b.String())
	}
	order := composeTarget{stack: &project.Stack{Services: []project.Service{
		{Name: "db"}, {Name: "web", DependsOn: []project.Dependency{{Service: "db"}}}, {Name: "a", DependsOn: []project.Dependency{{Service: "web"}}}}}}.order()
	if strings.Join(order, ",") != "db,web,a" {
		t.Errorf("order %v", order)
	}
}

func TestSortByReplica(t *testing.T) {
	var list []container.Summary
	for _, r := range []struct{ svc, n string }{{"web", "10"}, {"db", "1"}, {"web", "2"}, {"web", "1"}} {
		list = append(list, container.Summary{Names: []string{"/" + r.svc + "-" + r.n},
			Labels: map[string]string{project.LabelService: r.svc, project.LabelContainerNumber: r.n}})
	}
	sortByReplica(list)
	var got []string
	for _, ct := range list {
		got = append(got, summaryName(ct))
	}
	if want := []string{"db-1", "web-1", "web-2", "web-10"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestCategorized(t *testing.T) {
	if err := categorized(404, "no containers to start"); !errdefs.IsNotFound(err) || err.Error() != "no containers to start" {
		t.Errorf("404: %v", err)
	}
	if err := categorized(409, "busy"); !errdefs.IsConflict(err) {
		t.Errorf("409: %v", err)
	}
	if err := categorized(500, "boom"); errdefs.IsNotFound(err) || err.Error() != "boom" {
		t.Errorf("500: %v", err)
	}
}
