package e2e

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// Every test here follows the rule in network_helpers_test.go: traffic goes only to
// loopback and to addresses inside namespaces the test made.

// nthAddr returns the n-th address of p, which must hold it.
func nthAddr(t *testing.T, p netip.Prefix, n int) string {
	t.Helper()
	a := p.Masked().Addr().As4()
	binary.BigEndian.PutUint32(a[:], binary.BigEndian.Uint32(a[:])+uint32(n))
	addr := netip.AddrFrom4(a)
	if !p.Contains(addr) || addr == p.Masked().Addr() {
		t.Fatalf("subnet %s has no address number %d", p, n)
	}
	return addr.String()
}

func TestNetworkPeersReachEachOtherByNameAndAliasOverTCPAndUDP(t *testing.T) {
	e := newEnv(t)
	x := nettoolMount(t)
	front := e.networkCreate("front")
	clientIP := nthAddr(t, front.subnet(), 200) // --ip: a fixed address in berth's subnet
	e.runDetached(append([]string{"--name", "web", "--network", "front", "--network-alias", "www", "-v", x, testImage}, webAndUDPCmd...)...)
	e.runDetached("--name", "client", "--network", "front", "--ip", clientIP, "-v", x, testImage, "sleep", "1000")

	webIP := e.containerIP("web", "front")
	if got := e.containerIP("client", "front"); got != clientIP {
		t.Fatalf("client was started with --ip %s; inspect says %s", clientIP, got)
	}
	e.mustResolveTo("client", "web", webIP)
	e.mustResolveTo("client", "www", webIP)
	e.mustResolveTo("web", "client", clientIP)

	e.waitLogs("web", "listening on udp 9000")
	for _, name := range []string{"web", "www"} {
		e.mustServeFromCtr("client", name, 80)
		msg := "via-" + name
		// The sender resolves the name itself; the source shows no NAT on the way.
		line := e.sendUDP("web", msg, e.udpFromCtr("client", name, 9000, msg))
		if want := "got " + msg + " from " + clientIP; line != want {
			t.Errorf("web logged %q, want %q", line, want)
		}
	}
}

func TestNetworkIsolatesContainersOnOtherNetworks(t *testing.T) {
	e := newEnv(t)
	e.networkCreate("front")
	e.networkCreate("back")
	e.runDetached(append([]string{"--name", "web", "--network", "front", "--network-alias", "www", testImage}, httpdCmd...)...)
	e.runDetached("--name", "client", "--network", "front", testImage, "sleep", "1000")
	e.runDetached("--name", "outsider", "--network", "back", testImage, "sleep", "1000")
	webIP := e.containerIP("web", "front")

	// Both work, so what fails below fails for isolation: web serves on front, and the
	// outsider's DNS answers for its own network.
	e.mustServeFromCtr("client", "web", 80)
	e.mustResolveTo("outsider", "outsider", e.containerIP("outsider", "back"))

	for _, name := range []string{"web", "www", "client"} {
		addrs, r := e.lookup("outsider", name)
		if len(addrs) > 0 || !notFound(r) {
			t.Errorf("outsider on back looked up %s on front: want NXDOMAIN, got %v:\n%s", name, addrs, r)
		}
	}
	msg := e.mustNotReachFromCtr("outsider", webIP, 80)
	if !strings.Contains(msg, "timed out") {
		t.Errorf("nc from outsider to web's %s:80 failed with %q; want a timeout (packets dropped, no answer that tells web exists)", webIP, msg)
	}
}

// hostListener accepts TCP connections on addr (a bridge gateway: inside the test's own
// namespaces' reach), answers each with page and counts them.
func hostListener(t *testing.T, ip string) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen on the bridge address %s: %v", ip, err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			fmt.Fprintf(c, "HTTP/1.0 200 OK\r\n\r\n%s\n", page)
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

func TestNetworkInternalHasNoWayOut(t *testing.T) {
	e := newEnv(t)
	sealed := e.networkCreate("sealed", "--internal")
	if !sealed.Internal {
		t.Fatalf("network create --internal: inspect says Internal false")
	}
	open := e.networkCreate("open")
	e.runDetached(append([]string{"--name", "web", "--network", "sealed", testImage}, httpdCmd...)...)
	e.runDetached("--name", "peer", "--network", "sealed", testImage, "sleep", "1000")
	e.runDetached("--name", "control", "--network", "open", testImage, "sleep", "1000")

	e.mustResolveTo("peer", "web", e.containerIP("web", "sealed"))
	e.mustServeFromCtr("peer", "web", 80)

	if routes := e.must("container", "exec", "peer", "ip", "route"); strings.Contains(routes, "default") {
		t.Errorf("a container on an internal network has a default route:\n%s", routes)
	}
	if routes := e.must("container", "exec", "control", "ip", "route"); !strings.Contains(routes, "default via "+open.gateway()) {
		t.Errorf("a container on a normal network has no default route via %s:\n%s", open.gateway(), routes)
	}

	// The host's side of each bridge: the control proves a listener there is reachable
	// from a normal network, so the internal network's failure is its own.
	openPort, _ := hostListener(t, open.gateway())
	e.mustServeFromCtr("control", open.gateway(), openPort)
	sealedPort, sealedAccepted := hostListener(t, sealed.gateway())
	msg := e.mustNotReachFromCtr("peer", sealed.gateway(), sealedPort)
	if n := sealedAccepted.Load(); n != 0 {
		t.Errorf("the host accepted %d connections from the internal network", n)
	}
	t.Logf("internal network to its gateway %s:%d: %s", sealed.gateway(), sealedPort, msg)

	// A published port of a container on an internal network: berth may refuse it at
	// run time, leaving nothing behind; if it accepts it, the host must get no answer.
	before := e.netObjects()
	r := e.run(append([]string{"container", "run", "-d", "--name", "pubweb", "--network", "sealed", "-p", "127.0.0.1::80", testImage}, httpdCmd...)...)
	if r.code != 0 {
		t.Logf("berth refuses to publish a port on an internal network:\n%s", r)
		if out := e.run("container", "ls", "-q", "--filter", "name=pubweb"); strings.TrimSpace(out.stdout) != "" {
			t.Errorf("the refused container runs:\n%s", out)
		}
		after := e.netObjects()
		if gone, extra := diffLines(before.links, after.links); len(gone)+len(extra) > 0 {
			t.Errorf("links changed by the refused run: gone %v, extra %v", gone, extra)
		}
		if gone, extra := diffLines(before.rules, after.rules); len(gone)+len(extra) > 0 {
			t.Errorf("nftables table changed by the refused run:\ngone:\n%s\nextra:\n%s", strings.Join(gone, "\n"), strings.Join(extra, "\n"))
		}
		return
	}
	port := e.hostPort("pubweb", "80/tcp 127.0.0.1")
	e.mustServeFromCtr("peer", "pubweb", 80)
	if body, err := hostHTTPGet(fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		t.Errorf("the host reached the published port %d of a container on an internal network: %q", port, body)
	} else {
		t.Logf("host to the published port 127.0.0.1:%d of an internal container: %v", port, err)
	}
}

func TestNetworkPublishedPortsReachableFromHostAndOtherNetworks(t *testing.T) {
	e := newEnv(t)
	x := nettoolMount(t)
	pub := e.networkCreate("pub")
	e.networkCreate("other")
	e.runDetached(append([]string{"--name", "web", "--network", "pub", "-v", x,
		"-p", "80", "-p", "127.0.0.1::80", "-p", "127.0.0.1::9000/udp", testImage}, webAndUDPCmd...)...)
	all := e.hostPort("web", "80/tcp 0.0.0.0")
	lo := e.hostPort("web", "80/tcp 127.0.0.1")
	udp := e.hostPort("web", "9000/udp 127.0.0.1")
	if all == lo {
		t.Fatalf("two bindings of 80/tcp got the same host port %d", all)
	}
	out := e.must("container", "port", "web", "80")
	for _, want := range []string{fmt.Sprintf("0.0.0.0:%d", all), fmt.Sprintf("127.0.0.1:%d", lo)} {
		if !slices.Contains(lines(out), want) {
			t.Errorf("container port web 80 = %q, want a line %q", out, want)
		}
	}

	mustHostGet(t, fmt.Sprintf("127.0.0.1:%d", all))
	mustHostGet(t, fmt.Sprintf("127.0.0.1:%d", lo))

	e.waitLogs("web", "listening on udp 9000")
	c, err := net.Dial("udp4", fmt.Sprintf("127.0.0.1:%d", udp))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e.sendUDP("web", "from-host", func() error { _, err := c.Write([]byte("from-host")); return err })

	// Another network's container reaches the port through the host's address on pub's
	// bridge, as it would through any of the host's addresses.
	e.runDetached("--name", "client", "--network", "other", testImage, "sleep", "1000")
	e.mustServeFromCtr("client", pub.gateway(), all)
}

func TestNetworkPortConflictFailsCleanly(t *testing.T) {
	e := newEnv(t)
	e.networkCreate("pub")
	first := e.runDetached(append([]string{"--name", "first", "--network", "pub", "-p", "80", testImage}, httpdCmd...)...)
	hp := e.hostPort("first", "80/tcp 0.0.0.0")
	mustHostGet(t, fmt.Sprintf("127.0.0.1:%d", hp))
	before := e.netObjects()

	r := e.run(append([]string{"container", "run", "-d", "--name", "second", "--network", "pub", "-p", fmt.Sprintf("%d:80", hp), testImage}, httpdCmd...)...)
	if r.code == 0 {
		t.Fatalf("a second container published host port %d:\n%s", hp, r)
	}
	if !strings.Contains(r.stderr, strconv.Itoa(hp)) {
		t.Errorf("the error does not name port %d:\n%s", hp, r)
	}
	t.Logf("second publisher of %d: %s", hp, strings.TrimSpace(r.stderr))
	if out := e.must("container", "ls", "-q"); out != first[:12] {
		t.Errorf("running containers after the failed run: %q, want only first (%s)", out, first[:12])
	}
	if ri := e.run("container", "inspect", "second"); ri.code == 0 {
		if s := e.inspect("second").State.Status; s == "running" {
			t.Errorf("the failed container is %s", s)
		}
	}
	after := e.netObjects()
	if gone, extra := diffLines(before.links, after.links); len(gone)+len(extra) > 0 {
		t.Errorf("links changed by the failed run: gone %v, extra %v", gone, extra)
	}
	if gone, extra := diffLines(before.rules, after.rules); len(gone)+len(extra) > 0 {
		t.Errorf("nftables table changed by the failed run:\ngone:\n%s\nextra:\n%s", strings.Join(gone, "\n"), strings.Join(extra, "\n"))
	}
	mustHostGet(t, fmt.Sprintf("127.0.0.1:%d", hp)) // first still has it
}

func TestNetworkConnectAndDisconnectUpdateDNSAtOnce(t *testing.T) {
	e := newEnv(t)
	e.networkCreate("app")
	e.runDetached("--name", "client", "--network", "app", testImage, "sleep", "1000")
	e.runDetached("--name", "target", testImage, "sleep", "1000") // on the default network
	e.mustResolveTo("client", "client", e.containerIP("client", "app"))
	if addrs, r := e.lookup("client", "x"); len(addrs) > 0 || !notFound(r) {
		t.Fatalf("x resolves before the connect: %v\n%s", addrs, r)
	}

	// A short retry only: Connect publishes the names before it returns, so the first
	// query should see them; each try is one container exec.
	const settle = 2 * time.Second
	e.must("network", "connect", "--alias", "x", "app", "target")
	start := time.Now()
	tries := 0
	var addrs []string
	var r res
	ok := eventually(settle, func() bool {
		tries++
		addrs, r = e.lookup("client", "x")
		return len(addrs) > 0
	})
	t.Logf("after network connect returned, x resolved in %v (%d lookups)", time.Since(start).Round(time.Millisecond), tries)
	if !ok {
		t.Fatalf("x does not resolve %s after network connect --alias x:\n%s", settle, r)
	}
	targetIP := e.containerIP("target", "app")
	if len(addrs) != 1 || addrs[0] != targetIP {
		t.Fatalf("x resolves to %v, want [%s]", addrs, targetIP)
	}
	e.mustResolveTo("client", "target", targetIP)
	if out := e.must("container", "exec", "target", "ip", "-o", "-4", "addr"); !strings.Contains(out, " "+targetIP+"/") {
		t.Errorf("target has no %s after the connect:\n%s", targetIP, out)
	}

	e.must("network", "disconnect", "app", "target")
	start, tries = time.Now(), 0
	ok = eventually(settle, func() bool {
		tries++
		_, r = e.lookup("client", "x")
		return notFound(r)
	})
	t.Logf("after network disconnect returned, x was gone in %v (%d lookups)", time.Since(start).Round(time.Millisecond), tries)
	if !ok {
		t.Fatalf("x still resolves %s after network disconnect:\n%s", settle, r)
	}
	if _, r := e.lookup("client", "target"); !notFound(r) {
		t.Errorf("target still resolves on app after the disconnect:\n%s", r)
	}
	if out := e.must("container", "exec", "target", "ip", "-o", "-4", "addr"); strings.Contains(out, " "+targetIP+"/") {
		t.Errorf("target keeps %s after the disconnect:\n%s", targetIP, out)
	}
}

// linkNames returns the interface names in `ip -o link` output ("2: eth0@if5: ...").
func linkNames(out string) []string {
	var names []string
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		names = append(names, name)
	}
	return names
}

// hostUplink names the host's default-route interface (read from the kernel: no traffic).
func hostUplink(t *testing.T) string {
	t.Helper()
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() && len(r.Dst.Mask) > 0 && r.Dst.Mask[0] == 0 {
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
				return l.Attrs().Name
			}
		}
	}
	t.Skip("the host has no default route to name its interface")
	return ""
}

func TestNetworkModesHostNoneAndContainer(t *testing.T) {
	e := newEnv(t)
	uplink := hostUplink(t)
	out := e.must("container", "run", "--rm", "--network", "host", testImage, "ip", "-o", "link")
	if !slices.Contains(linkNames(out), uplink) {
		t.Errorf("--network host: ip link does not list the host's %s:\n%s", uplink, out)
	}

	out = e.must("container", "run", "--rm", "--network", "none", testImage, "ip", "-o", "link")
	if names := linkNames(out); !slices.Equal(names, []string{"lo"}) {
		t.Errorf("--network none: links %v, want only lo:\n%s", names, out)
	}

	e.networkCreate("app")
	e.runDetached("--name", "owner", "--network", "app", testImage, "sleep", "1000")
	ip := e.containerIP("owner", "app")
	out = e.must("container", "run", "--rm", "--network", "container:owner", testImage, "ip", "-o", "-4", "addr")
	if !strings.Contains(out, " "+ip+"/") {
		t.Errorf("--network container:owner does not show owner's %s:\n%s", ip, out)
	}
}

func TestNetworkSurvivesDaemonSIGKILL(t *testing.T) {
	e := newEnv(t)
	e.networkCreate("app")
	e.runDetached(append([]string{"--name", "web", "--network", "app", "-p", "127.0.0.1::80", testImage}, httpdCmd...)...)
	e.runDetached("--name", "client", "--network", "app", testImage, "sleep", "1000")
	webIP := e.containerIP("web", "app")
	addr := fmt.Sprintf("127.0.0.1:%d", e.hostPort("web", "80/tcp 127.0.0.1"))
	e.mustResolveTo("client", "web", webIP)
	e.mustServeFromCtr("client", "web", 80)
	mustHostGet(t, addr)

	pid := e.daemonPid()
	e.killDaemon()
	// The rules are the kernel's: the port forwards with no daemon at all.
	if body, err := hostHTTPGet(addr); err != nil || !strings.Contains(body, page) {
		t.Errorf("with the daemon dead, %s answers %q, %v", addr, body, err)
	}

	e.must("container", "ls") // starts a new daemon
	if np := e.daemonPid(); np == 0 || np == pid {
		t.Fatalf("no new daemon: pid %d (killed %d)", np, pid)
	}
	start := time.Now()
	e.mustResolveTo("client", "web", webIP)
	t.Logf("DNS answered %v after the restarted daemon's first command", time.Since(start).Round(time.Millisecond))
	e.mustResolveTo("web", "client", e.containerIP("client", "app"))
	e.mustServeFromCtr("client", "web", 80)
	mustHostGet(t, addr)

	// The new daemon holds the port again: nobody else may publish it.
	hp := strings.TrimPrefix(addr, "127.0.0.1:")
	r := e.run(append([]string{"container", "run", "-d", "--name", "thief", "--network", "app", "-p", "127.0.0.1:" + hp + ":80", testImage}, httpdCmd...)...)
	if r.code == 0 || !strings.Contains(r.stderr, hp) {
		t.Errorf("after the restart, another container publishing %s: want a failure naming the port:\n%s", addr, r)
	}
	mustHostGet(t, addr)
}

func TestNetworkRemovalLeavesNothingBehind(t *testing.T) {
	e := newEnv(t)
	before := e.netObjects()
	n := e.networkCreate("tmp")
	br := n.bridge()
	if !strings.HasPrefix(br, "br"+e.dirs.Tag[:5]+"-") {
		t.Fatalf("network tmp's bridge is %q, want br%s-...", br, e.dirs.Tag[:5])
	}
	e.runDetached(append([]string{"--name", "web", "--network", "tmp", "-p", "127.0.0.1::80", testImage}, httpdCmd...)...)
	e.runDetached("--name", "client", "--network", "tmp", testImage, "sleep", "1000")
	e.must("network", "connect", "bridge", "client") // an endpoint on the default network too
	mustHostGet(t, fmt.Sprintf("127.0.0.1:%d", e.hostPort("web", "80/tcp 127.0.0.1")))
	mid := e.netObjects()
	if _, extra := diffLines(before.links, mid.links); len(extra) != 4 { // tmp's bridge, 3 veths
		t.Errorf("with two containers (three endpoints) on a new network, new links %v, want a bridge and 3 veths", extra)
	}
	if !slices.ContainsFunc(mid.rules, func(l string) bool { return strings.Contains(l, br) }) {
		t.Errorf("no nftables rule names %s while it is in use:\n%s", br, strings.Join(mid.rules, "\n"))
	}

	e.must("container", "rm", "-f", "web", "client")
	e.must("network", "rm", "tmp")
	// A container's veths go with its network namespace, which the kernel tears down
	// in the background: give it a moment.
	var after netObjects
	var gone, extra []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		after = e.netObjects()
		gone, extra = diffLines(before.links, after.links)
		if len(gone)+len(extra) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(gone)+len(extra) > 0 {
		t.Errorf("links after rm -f and network rm: gone %v, left %v", gone, extra)
	}
	for _, l := range after.rules {
		if strings.Contains(l, br) {
			t.Errorf("nftables rule left for the removed bridge %s: %s", br, l)
		}
	}
	if gone, extra := diffLines(before.rules, after.rules); len(gone)+len(extra) > 0 {
		t.Errorf("nftables table differs from before the network:\ngone:\n%s\nleft:\n%s", strings.Join(gone, "\n"), strings.Join(extra, "\n"))
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.IP.To4() != nil && n.subnet().Contains(netip.AddrFrom4([4]byte(r.Dst.IP.To4()))) {
			t.Errorf("a route into the removed subnet %s is left: %s", n.subnet(), r)
		}
	}
	if out := e.must("network", "ls", "--format", "{{.Name}}"); slices.Contains(lines(out), "tmp") {
		t.Errorf("network ls still lists tmp:\n%s", out)
	}

	// prune removes unused networks and their bridges, never the default one.
	unused := e.networkCreate("unused", "--label", "e2e=1")
	if unused.Labels["e2e"] != "1" {
		t.Errorf("network create --label e2e=1: labels %v", unused.Labels)
	}
	e.must("network", "prune", "-f")
	if out := e.must("network", "ls", "--format", "{{.Name}}"); !slices.Equal(lines(out), []string{"bridge"}) {
		t.Errorf("after network prune -f, networks %q, want only bridge", out)
	}
	if _, err := netlink.LinkByName(unused.bridge()); err == nil {
		t.Errorf("the pruned network's bridge %s is left", unused.bridge())
	}
}

func TestNetworkDockerCLI(t *testing.T) {
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI on this machine")
	}
	e := newEnv(t)
	mustDocker := func(args ...string) string {
		t.Helper()
		r := e.docker(args...)
		if r.code != 0 {
			t.Fatalf("docker command failed:\n%s", r)
		}
		return r.stdout
	}
	mustDocker("network", "create", "dnet")
	if out := mustDocker("network", "ls"); !strings.Contains(out, "dnet") || !strings.Contains(out, "bridge") {
		t.Errorf("docker network ls does not list dnet and bridge:\n%s", out)
	}
	n := parseNetInfo(t, "docker network inspect dnet", mustDocker("network", "inspect", "dnet"))
	if n.Name != "dnet" || n.bridge() == "" {
		t.Errorf("docker network inspect dnet: name %q bridge %q", n.Name, n.bridge())
	}

	mustDocker(append([]string{"run", "-d", "--name", "dweb", "--network", "dnet", "-p", "127.0.0.1::80", testImage}, httpdCmd...)...)
	out := strings.TrimSpace(mustDocker("port", "dweb", "80"))
	ap, err := netip.ParseAddrPort(out)
	if err != nil || ap.Addr().String() != "127.0.0.1" {
		t.Fatalf("docker port dweb 80 = %q, want 127.0.0.1:PORT", out)
	}
	mustHostGet(t, out)

	ip := e.containerIP("dweb", "dnet")
	look := mustDocker("run", "--rm", "--network", "dnet", testImage, "sh", "-c", "nslookup dweb")
	if addrs := nslookupAddrs(look); !slices.Equal(addrs, []string{ip}) {
		t.Errorf("docker run --network dnet: nslookup dweb gave %v, want [%s]:\n%s", addrs, ip, look)
	}
	get := mustDocker("run", "--rm", "--network", "dnet", testImage, "sh", "-c", `printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 dweb 80`)
	if !strings.Contains(get, page) {
		t.Errorf("docker run --network dnet: nc dweb 80 got %q", get)
	}

	mustDocker("rm", "-f", "dweb")
	mustDocker("network", "rm", "dnet")
	if out := mustDocker("network", "ls"); strings.Contains(out, "dnet") {
		t.Errorf("docker network ls lists dnet after docker network rm:\n%s", out)
	}
	if _, err := netlink.LinkByName(n.bridge()); err == nil {
		t.Errorf("dnet's bridge %s is left after docker network rm", n.bridge())
	}
}
