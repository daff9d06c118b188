package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Docker's default capability set as /proc/self/status shows it.
const defaultCapMask = "00000000a80425fb"

// hostBoundingSet is this process's capability bounding set: what --privileged can give.
func hostBoundingSet(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	return procStatus(t, string(b), "CapBnd")
}

// containerStatus returns /proc/self/status as a container started with flags sees it.
func containerStatus(t *testing.T, e *env, flags ...string) string {
	t.Helper()
	args := append([]string{"container", "run", "--rm"}, flags...)
	r := e.run(append(args, testImage, "cat", "/proc/self/status")...)
	if r.code != 0 {
		t.Fatalf("read /proc/self/status:\n%s", r)
	}
	return r.stdout
}

func TestCapabilitiesFollowDockerDefaultsAndFlags(t *testing.T) {
	e := newEnv(t)
	withBit := func(bit uint) string {
		m, _ := strconv.ParseUint(defaultCapMask, 16, 64)
		return fmt.Sprintf("%016x", m|1<<bit)
	}
	withoutBit := func(bit uint) string {
		m, _ := strconv.ParseUint(defaultCapMask, 16, 64)
		return fmt.Sprintf("%016x", m&^(1<<bit))
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"default", nil, defaultCapMask},
		{"cap-add SYS_ADMIN", []string{"--cap-add", "SYS_ADMIN"}, withBit(21)},
		{"cap-add with prefix and lower case", []string{"--cap-add", "cap_sys_ptrace"}, withBit(19)},
		{"cap-drop NET_RAW", []string{"--cap-drop", "NET_RAW"}, withoutBit(13)},
		{"cap-drop ALL", []string{"--cap-drop", "ALL"}, "0000000000000000"},
		{"cap-drop ALL cap-add CHOWN", []string{"--cap-drop", "ALL", "--cap-add", "CHOWN"}, "0000000000000001"},
		{"privileged", []string{"--privileged"}, hostBoundingSet(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := containerStatus(t, e, tc.flags...)
			for _, f := range []string{"CapEff", "CapPrm", "CapBnd"} {
				if got := procStatus(t, status, f); got != tc.want {
					t.Errorf("%s = %s, want %s", f, got, tc.want)
				}
			}
		})
	}
}

func TestCapSysAdminAllowsMount(t *testing.T) {
	e := newEnv(t)
	mount := []string{testImage, "mount", "-t", "tmpfs", "none", "/tmp"}
	r := e.run(append([]string{"container", "run", "--rm"}, mount...)...)
	if r.code == 0 {
		t.Fatalf("a default container could mount:\n%s", r)
	}
	for _, flag := range []string{"--cap-add=SYS_ADMIN", "--privileged"} {
		r := e.run(append([]string{"container", "run", "--rm", flag}, mount...)...)
		if r.code != 0 {
			t.Errorf("mount with %s failed:\n%s", flag, r)
		}
	}
}

func TestUnknownCapabilityIsRejected(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", "--cap-add", "NOT_A_CAP", testImage, "true")
	if r.code != 125 || !strings.Contains(r.stderr, "NOT_A_CAP") {
		t.Fatalf("want exit 125 and an error naming the capability:\n%s", r)
	}
}

func TestNoNewPrivilegesSecurityOpt(t *testing.T) {
	e := newEnv(t)
	if got := procStatus(t, containerStatus(t, e), "NoNewPrivs"); got != "0" {
		t.Errorf("default NoNewPrivs = %s, want 0", got)
	}
	if got := procStatus(t, containerStatus(t, e, "--security-opt", "no-new-privileges"), "NoNewPrivs"); got != "1" {
		t.Errorf("with no-new-privileges NoNewPrivs = %s, want 1", got)
	}
}

func TestSeccompFiltersByDefault(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"default", nil, "2"},
		{"seccomp=unconfined", []string{"--security-opt", "seccomp=unconfined"}, "0"},
		{"privileged", []string{"--privileged"}, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := procStatus(t, containerStatus(t, e, tc.flags...), "Seccomp"); got != tc.want {
				t.Errorf("Seccomp = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMaskedAndReadOnlyProcPaths(t *testing.T) {
	e := newEnv(t)
	r := e.run("container", "run", "--rm", testImage, "sh", "-c", "cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname")
	if strings.TrimSpace(strings.Split(r.stdout, "\n")[0]) != "0" {
		t.Errorf("/proc/kcore is not masked:\n%s", r)
	}
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("/proc/sys is writable:\n%s", r)
	}
}

// TestContainerStartsWithNoSignalIgnored: the shim's own handling of SIGHUP, SIGINT,
// SIGTERM and SIGPIPE must not leak into the container (an ignored signal stays ignored
// across exec).
func TestContainerStartsWithNoSignalIgnored(t *testing.T) {
	e := newEnv(t)
	got := procStatus(t, containerStatus(t, e), "SigIgn")
	mask, err := strconv.ParseUint(got, 16, 64)
	if err != nil {
		t.Fatalf("SigIgn %q: %v", got, err)
	}
	for _, sig := range []uint{1, 2, 13, 15} { // SIGHUP, SIGINT, SIGPIPE, SIGTERM
		if mask&(1<<(sig-1)) != 0 {
			t.Errorf("signal %d is ignored in the container (SigIgn %s)", sig, got)
		}
	}
}
