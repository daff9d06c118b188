package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// lanSegment stands in for a LAN: a veth pair whose host end is the parent of macvlan
// and ipvlan networks and whose other end, with 10.123.<n>.1, lives in a network
// namespace the test made. It is all removed in cleanup.
func lanSegment(t *testing.T, n int) (parent, netns string) {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	parent, peer, netns := "lanp"+tag, "lanq"+tag, "berth-lan-"+tag
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", parent).Run()
		_ = exec.Command("ip", "netns", "del", netns).Run()
	})
	ip("netns", "add", netns)
	ip("link", "add", parent, "type", "veth", "peer", "name", peer)
	ip("link", "set", peer, "netns", netns)
	ip("-n", netns, "addr", "add", fmt.Sprintf("10.123.%d.1/24", n), "dev", peer)
	ip("-n", netns, "link", "set", peer, "up")
	ip("-n", netns, "link", "set", "lo", "up")
	ip("link", "set", parent, "up")
	return parent, netns
}

// TestNetworkMacvlanPutsContainersOnTheParentSegment: a container on a macvlan network
// has its own address on the parent's segment and answers a host there, and two such
// containers resolve each other by name.
func TestNetworkMacvlanPutsContainersOnTheParentSegment(t *testing.T) {
	e := newEnv(t)
	parent, lan := lanSegment(t, 61)
	info := e.networkCreate("lan", "-d", "macvlan", "--subnet", "10.123.61.0/24", "--gateway", "10.123.61.1", "-o", "parent="+parent)
	if info.Driver != "macvlan" {
		t.Errorf("network inspect driver %q, want macvlan", info.Driver)
	}
	e.runDetached(append([]string{"--name", "web", "--network", "lan", testImage}, httpdCmd...)...)
	e.runDetached("--name", "client", "--network", "lan", testImage, "sleep", "1000")
	ip := e.containerIP("web", "lan")
	if !strings.HasPrefix(ip, "10.123.61.") {
		t.Fatalf("web's address %s is not on the parent's segment", ip)
	}
	// A host on the segment (the namespace) reaches the container directly.
	out, err := exec.Command("ip", "netns", "exec", lan, "busybox", "sh", "-c",
		"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 "+ip+" 80").CombinedOutput()
	if err != nil || !strings.Contains(string(out), page) {
		t.Fatalf("GET http://%s/ from the segment: %v\n%s", ip, err, out)
	}
	e.mustResolveTo("client", "web", ip)
	e.mustServeFromCtr("client", "web", 80)
	// Ports are not published on such a network: the container has its own address.
	r := e.run("container", "run", "--rm", "--network", "lan", "-p", "8080:80", testImage, "true")
	if r.code == 0 || !strings.Contains(r.stderr, "macvlan") {
		t.Errorf("publishing on a macvlan network:\n%s", r)
	}
	e.must("container", "rm", "-f", "web", "client")
	e.must("network", "rm", "lan")
}

// TestNetworkSublinkDriversCheckTheirInput: a macvlan or ipvlan network needs an
// existing parent, and a kernel without the driver says so at create, not at start.
func TestNetworkSublinkDriversCheckTheirInput(t *testing.T) {
	e := newEmptyEnv(t)
	parent, _ := lanSegment(t, 62)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", "macvlan"}, "-o parent=IF"},
		{[]string{"-d", "macvlan", "-o", "parent=nosuch0"}, `parent interface "nosuch0"`},
		{[]string{"-d", "macvlan", "-o", "parent=" + parent, "-o", "macvlan_mode=sideways"}, "invalid macvlan_mode"},
		{[]string{"-d", "overlay"}, `driver "overlay" is not supported`},
	} {
		r := e.run(append(append([]string{"network", "create"}, tt.args...), "bad")...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("network create %v: want an error containing %q:\n%s", tt.args, tt.want, r)
		}
	}
	r := e.run("network", "create", "-d", "ipvlan", "--subnet", "10.123.62.0/24", "-o", "parent="+parent, "ipv")
	if r.code != 0 {
		// This kernel may lack ipvlan (CONFIG_IPVLAN): then the error must say so.
		if !strings.Contains(r.stderr, "no ipvlan support") {
			t.Fatalf("ipvlan create failed without naming the cause:\n%s", r)
		}
		t.Logf("this kernel has no ipvlan: %s", strings.TrimSpace(r.stderr))
		return
	}
	e.runDetached("--name", "v", "--network", "ipv", testImage, "sleep", "1000")
	if ip := e.containerIP("v", "ipv"); !strings.HasPrefix(ip, "10.123.62.") {
		t.Errorf("ipvlan address %s", ip)
	}
	e.must("container", "rm", "-f", "v")
	e.must("network", "rm", "ipv")
}
