package firewall

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/google/nftables"
)

// The tests below build a private "host" network namespace with bridges and a
// dummy interface playing the host's address, and "container" namespaces on
// veths. Nothing touches the machine's own interfaces, routes or rules.

const (
	hostAddr = "10.99.250.1" // "the host's address", on an interface of the host namespace
	c1Addr   = "10.99.1.2"   // network A
	c2Addr   = "10.99.1.3"   // network A
	c3Addr   = "10.99.2.2"   // network B
	c4Addr   = "10.99.3.2"   // network I (internal)
	gwA      = "10.99.1.1"
)

const dialTimeout = 800 * time.Millisecond

type topology struct {
	id               string
	host             string // netns paths
	c1, c2, c3, c4   string
	brA, brB, brI    string
	networks         []Network
	tcpPort, udpPort Port // 0.0.0.0:8080 -> c1:80, 0.0.0.0:8081/udp -> c1:81
	hostIPPort       Port // hostAddr:8082 -> c2:80
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2)")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newNetns creates a named network namespace removed when the test ends.
func newNetns(t *testing.T, name string) string {
	t.Helper()
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Logf("ip netns del %s: %v %s", name, err, out)
		}
	})
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return filepath.Join("/run/netns", name)
}

func newTopology(t *testing.T) *topology {
	t.Helper()
	id := randHex(3)
	tp := &topology{id: id, brA: "bt" + id + "a", brB: "bt" + id + "b", brI: "bt" + id + "i"}
	names := map[string]*string{"h": &tp.host, "c1": &tp.c1, "c2": &tp.c2, "c3": &tp.c3, "c4": &tp.c4}
	for _, k := range []string{"h", "c1", "c2", "c3", "c4"} {
		*names[k] = newNetns(t, "bt"+id+"-"+k)
	}
	h := "bt" + id + "-h"
	ipn := func(args ...string) { run(t, append([]string{"ip", "-n", h}, args...)...) }
	for _, b := range []struct{ name, addr string }{{tp.brA, gwA + "/24"}, {tp.brB, "10.99.2.1/24"}, {tp.brI, "10.99.3.1/24"}} {
		ipn("link", "add", b.name, "type", "bridge")
		ipn("addr", "add", b.addr, "dev", b.name)
		ipn("link", "set", b.name, "up")
	}
	// This kernel has no dummy driver: a veth pair inside the host
	// namespace carries the host's address instead.
	ipn("link", "add", "d0", "type", "veth", "peer", "name", "d1")
	ipn("addr", "add", hostAddr+"/24", "dev", "d0")
	ipn("link", "set", "d0", "up")
	ipn("link", "set", "d1", "up")
	for i, c := range []struct{ ns, br, addr, gw string }{
		{"c1", tp.brA, c1Addr, gwA}, {"c2", tp.brA, c2Addr, gwA},
		{"c3", tp.brB, c3Addr, "10.99.2.1"}, {"c4", tp.brI, c4Addr, "10.99.3.1"},
	} {
		veth := fmt.Sprintf("v%d", i)
		cns := "bt" + id + "-" + c.ns
		ipn("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", cns)
		ipn("link", "set", veth, "master", c.br, "up")
		ipn("link", "set", veth, "type", "bridge_slave", "hairpin", "on") // as netstack does
		run(t, "ip", "-n", cns, "addr", "add", c.addr+"/24", "dev", "eth0")
		run(t, "ip", "-n", cns, "link", "set", "eth0", "up")
		run(t, "ip", "-n", cns, "route", "add", "default", "via", c.gw)
	}
	inNS(t, tp.host, func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644) })

	tp.networks = []Network{
		{Bridge: tp.brA, Subnet: mustPrefix("10.99.1.0/24")},
		{Bridge: tp.brB, Subnet: mustPrefix("10.99.2.0/24")},
		{Bridge: tp.brI, Subnet: mustPrefix("10.99.3.0/24"), Internal: true},
	}
	tp.tcpPort = Port{Proto: "tcp", HostPort: 8080, ContainerIP: mustAddr(c1Addr), ContainerPort: 80, Bridge: tp.brA}
	tp.udpPort = Port{Proto: "udp", HostPort: 8081, ContainerIP: mustAddr(c1Addr), ContainerPort: 81, Bridge: tp.brA}
	tp.hostIPPort = Port{Proto: "tcp", HostIP: mustAddr(hostAddr), HostPort: 8082, ContainerIP: mustAddr(c2Addr), ContainerPort: 80, Bridge: tp.brA}

	// Every namespace answers with its name and the address it saw.
	serveTCP(t, tp.c1, ":80", "c1")
	serveUDP(t, tp.c1, ":81", "c1")
	serveTCP(t, tp.c2, ":80", "c2")
	serveTCP(t, tp.c3, ":80", "c3")
	serveTCP(t, tp.c4, ":80", "c4")
	serveTCP(t, tp.host, hostAddr+":9", "host")
	return tp
}

func inNS(t *testing.T, path string, fn func() error) {
	t.Helper()
	if err := ns.WithNetNSPath(path, func(ns.NetNS) error { return fn() }); err != nil {
		t.Fatalf("in %s: %v", path, err)
	}
}

func serveTCP(t *testing.T, nsPath, addr, name string) {
	t.Helper()
	var ln net.Listener
	inNS(t, nsPath, func() (err error) { ln, err = net.Listen("tcp4", addr); return err })
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
			fmt.Fprintf(c, "%s %s\n", name, host)
			c.Close()
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
}

func serveUDP(t *testing.T, nsPath, addr, name string) {
	t.Helper()
	var pc net.PacketConn
	inNS(t, nsPath, func() (err error) { pc, err = net.ListenPacket("udp4", addr); return err })
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 64)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(from.String())
			pc.WriteTo(fmt.Appendf(nil, "%s %s\n", name, host), from)
		}
	})
	t.Cleanup(func() { pc.Close(); wg.Wait() })
}

// dial connects from the namespace at nsPath and returns the server's
// answer ("name seen-source").
func dial(nsPath, proto, addr string) (string, error) {
	var answer string
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		c, err := net.DialTimeout(proto+"4", addr, dialTimeout)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(dialTimeout))
		if proto == "udp" {
			if _, err := c.Write([]byte("x")); err != nil {
				return err
			}
		}
		answer, err = bufio.NewReader(c).ReadString('\n')
		answer = strings.TrimSpace(answer)
		return err
	})
	return answer, err
}

func (tp *topology) reaches(t *testing.T, from, proto, addr, want string) {
	t.Helper()
	got, err := dial(from, proto, addr)
	if err != nil {
		t.Errorf("%s %s from %s: %v, want %q", proto, addr, filepath.Base(from), err, want)
		return
	}
	if got != want && !(strings.HasSuffix(want, " ") && strings.HasPrefix(got, want)) {
		t.Errorf("%s %s from %s: got %q, want %q", proto, addr, filepath.Base(from), got, want)
	}
}

func (tp *topology) blocked(t *testing.T, from, proto, addr string) {
	t.Helper()
	if got, err := dial(from, proto, addr); err == nil {
		t.Errorf("%s %s from %s: answered %q, want no answer", proto, addr, filepath.Base(from), got)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// dumpTable lists the table's chains and rules through netlink, without
// handles, so two dumps of the same rules compare equal.
func dumpTable(t *testing.T, nsPath, name string) (dump string, exists bool) {
	t.Helper()
	var b strings.Builder
	inNS(t, nsPath, func() error {
		conn, err := nftables.New()
		if err != nil {
			return err
		}
		table, err := conn.ListTableOfFamily(name, nftables.TableFamilyIPv4)
		if err != nil {
			return nil // absent
		}
		exists = true
		chains, err := conn.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
		if err != nil {
			return err
		}
		for _, c := range chains {
			if c.Table.Name != name {
				continue
			}
			fmt.Fprintf(&b, "chain %s %s\n", c.Name, c.Type)
			rules, err := conn.GetRules(table, c)
			if err != nil {
				return err
			}
			for _, r := range rules {
				for _, e := range r.Exprs {
					fmt.Fprintf(&b, " %+v", e)
				}
				b.WriteString("\n")
			}
		}
		return nil
	})
	return b.String(), exists
}

// nftList returns `nft list table ip NAME` in the namespace, or "" without
// the nft binary.
func nftList(t *testing.T, nsName, table string) string {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		return ""
	}
	return run(t, "ip", "netns", "exec", nsName, "nft", "list", "table", "ip", table)
}

func TestFirewallInNetns(t *testing.T) {
	requireRoot(t)
	tp := newTopology(t)
	hostNS := "bt" + tp.id + "-h"

	// Without rules everything is routed: the blocks below are ours.
	tp.reaches(t, tp.c3, "tcp", c1Addr+":80", "c1 "+c3Addr)
	tp.reaches(t, tp.c4, "tcp", hostAddr+":9", "host "+c4Addr)
	if t.Failed() {
		t.FailNow()
	}

	fw := New(tp.id, testLogger(t))
	t.Cleanup(func() { inNS(t, tp.host, fw.Remove) })
	ports := []Port{tp.tcpPort, tp.udpPort, tp.hostIPPort}
	inNS(t, tp.host, func() error { return fw.Apply(tp.networks, ports) })
	if _, err := exec.LookPath("nft"); err != nil {
		t.Log("nft binary missing: comparing tables through netlink only")
	} else {
		t.Logf("table:\n%s", nftList(t, hostNS, fw.Table()))
	}

	t.Run("same network", func(t *testing.T) {
		tp.reaches(t, tp.c2, "tcp", c1Addr+":80", "c1 "+c2Addr)
	})
	t.Run("network to host and out", func(t *testing.T) {
		tp.reaches(t, tp.c1, "tcp", hostAddr+":9", "host "+c1Addr)
	})
	t.Run("isolation", func(t *testing.T) {
		tp.blocked(t, tp.c3, "tcp", c1Addr+":80")
		tp.blocked(t, tp.c1, "tcp", c3Addr+":80")
	})
	t.Run("internal", func(t *testing.T) {
		tp.blocked(t, tp.c4, "tcp", hostAddr+":9")
		tp.blocked(t, tp.c4, "tcp", c1Addr+":80")
		tp.blocked(t, tp.c1, "tcp", c4Addr+":80")
		tp.blocked(t, tp.c4, "tcp", hostAddr+":8080")
	})
	t.Run("published from host loopback", func(t *testing.T) {
		// Masqueraded to the bridge's address on the way in.
		tp.reaches(t, tp.host, "tcp", "127.0.0.1:8080", "c1 "+gwA)
		tp.reaches(t, tp.host, "udp", "127.0.0.1:8081", "c1 "+gwA)
	})
	t.Run("published from host address", func(t *testing.T) {
		// The client's address is kept.
		tp.reaches(t, tp.host, "tcp", hostAddr+":8080", "c1 "+hostAddr)
		tp.reaches(t, tp.host, "udp", hostAddr+":8081", "c1 "+hostAddr)
	})
	t.Run("published on one host address", func(t *testing.T) {
		tp.reaches(t, tp.host, "tcp", hostAddr+":8082", "c2 "+hostAddr)
		tp.blocked(t, tp.host, "tcp", "127.0.0.1:8082")
	})
	t.Run("hairpin", func(t *testing.T) {
		tp.reaches(t, tp.c2, "tcp", hostAddr+":8080", "c1 "+gwA)
		tp.reaches(t, tp.c2, "udp", hostAddr+":8081", "c1 "+gwA)
		tp.reaches(t, tp.c1, "tcp", hostAddr+":8080", "c1 "+gwA) // to itself
	})
	t.Run("other network through host address", func(t *testing.T) {
		tp.reaches(t, tp.c3, "tcp", hostAddr+":8080", "c1 "+gwA)
		tp.reaches(t, tp.c3, "tcp", hostAddr+":8082", "c2 "+gwA)
	})
	t.Run("container cannot reach host loopback", func(t *testing.T) {
		// route_localnet is on for brA; raw-prerouting must drop 127/8.
		inNS(t, tp.c1, func() error {
			return exec.Command("ip", "route", "add", "127.0.0.2/32", "via", gwA, "dev", "eth0", "onlink").Run()
		})
		serveTCP(t, tp.host, "127.0.0.2:7", "host-lo")
		tp.reaches(t, tp.host, "tcp", "127.0.0.2:7", "host-lo 127.0.0.1")
		tp.blocked(t, tp.c1, "tcp", "127.0.0.2:7")
	})

	t.Run("apply twice is idempotent", func(t *testing.T) {
		before, _ := dumpTable(t, tp.host, fw.Table())
		nftBefore := nftList(t, hostNS, fw.Table())
		inNS(t, tp.host, func() error { return fw.Apply(tp.networks, ports) })
		after, _ := dumpTable(t, tp.host, fw.Table())
		if before != after || before == "" {
			t.Errorf("table changed:\n%s\n---\n%s", before, after)
		}
		if nftAfter := nftList(t, hostNS, fw.Table()); nftBefore != nftAfter {
			t.Errorf("nft list changed:\n%s\n---\n%s", nftBefore, nftAfter)
		}
	})
	t.Run("fewer ports", func(t *testing.T) {
		inNS(t, tp.host, func() error { return fw.Apply(tp.networks, []Port{tp.tcpPort}) })
		tp.blocked(t, tp.host, "udp", "127.0.0.1:8081")
		tp.blocked(t, tp.host, "tcp", hostAddr+":8082")
		tp.reaches(t, tp.host, "tcp", "127.0.0.1:8080", "c1 "+gwA)
	})
	t.Run("remove", func(t *testing.T) {
		inNS(t, tp.host, fw.Remove)
		if dump, ok := dumpTable(t, tp.host, fw.Table()); ok {
			t.Fatalf("table left after Remove:\n%s", dump)
		}
		inNS(t, tp.host, fw.Remove) // idempotent
		tp.blocked(t, tp.host, "tcp", "127.0.0.1:8080")
		tp.reaches(t, tp.c3, "tcp", c1Addr+":80", "c1 "+c3Addr)
	})
}

// TestDockerHost reproduces what dockerd leaves on a host, inside the test's
// namespace: FORWARD policy DROP, a DOCKER-USER chain jumped to from FORWARD,
// and bridge netfilter on, so even same-bridge traffic is dropped.
func TestDockerHost(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Skip("needs the iptables binary (Debian package iptables)")
	}
	tp := newTopology(t)
	hostNS := "bt" + tp.id + "-h"
	ipt := func(args ...string) string {
		return run(t, append([]string{"ip", "netns", "exec", hostNS, "iptables"}, args...)...)
	}
	ipt("-P", "FORWARD", "DROP")
	ipt("-N", "DOCKER-USER")
	ipt("-A", "FORWARD", "-j", "DOCKER-USER")
	ipt("-A", "DOCKER-USER", "-j", "RETURN")
	inNS(t, tp.host, func() error {
		// Per network namespace on this kernel (5.3 and later).
		err := os.WriteFile("/proc/sys/net/bridge/bridge-nf-call-iptables", []byte("1"), 0o644)
		if os.IsNotExist(err) {
			t.Skip("bridge netfilter (br_netfilter) not loaded")
		}
		return err
	})
	tp.blocked(t, tp.c2, "tcp", c1Addr+":80")

	fw := New(tp.id, testLogger(t))
	other := New(tp.id+"x", testLogger(t))
	t.Cleanup(func() { inNS(t, tp.host, fw.Remove); inNS(t, tp.host, other.Remove) })
	inNS(t, tp.host, func() error { return other.Apply(tp.networks[:1], nil) })
	inNS(t, tp.host, func() error { return fw.Apply(tp.networks, []Port{tp.tcpPort, tp.udpPort}) })

	ours := func() (n int) {
		for _, l := range strings.Split(ipt("-S", "DOCKER-USER"), "\n") {
			if strings.Contains(l, "--comment berth-"+tp.id+" ") {
				n++
			}
		}
		return n
	}
	if got := ours(); got != 9 {
		t.Errorf("DOCKER-USER has %d rules of ours, want 9:\n%s", got, ipt("-S", "DOCKER-USER"))
	}
	tp.reaches(t, tp.c2, "tcp", c1Addr+":80", "c1 "+c2Addr)
	tp.reaches(t, tp.host, "tcp", "127.0.0.1:8080", "c1 "+gwA)
	tp.reaches(t, tp.host, "udp", hostAddr+":8081", "c1 "+hostAddr)
	tp.reaches(t, tp.c2, "tcp", hostAddr+":8080", "c1 "+gwA)
	tp.reaches(t, tp.c3, "tcp", hostAddr+":8080", "c1 "+gwA)
	tp.blocked(t, tp.c3, "tcp", c1Addr+":80")
	tp.blocked(t, tp.c4, "tcp", c1Addr+":80")

	// Applying twice adds nothing; a network that goes loses its rules.
	inNS(t, tp.host, func() error { return fw.Apply(tp.networks, []Port{tp.tcpPort, tp.udpPort}) })
	if got := ours(); got != 9 {
		t.Errorf("after second Apply: %d rules of ours, want 9", got)
	}
	inNS(t, tp.host, func() error { return fw.Apply(tp.networks[:1], nil) })
	if got := ours(); got != 3 {
		t.Errorf("after dropping two networks: %d rules of ours, want 3:\n%s", got, ipt("-S", "DOCKER-USER"))
	}

	inNS(t, tp.host, fw.Remove)
	if got := ours(); got != 0 {
		t.Errorf("after Remove: %d rules of ours, want 0", got)
	}
	chain := ipt("-S", "DOCKER-USER")
	if !strings.Contains(chain, "--comment berth-"+tp.id+"x ") || !strings.Contains(chain, "-A DOCKER-USER -j RETURN") {
		t.Errorf("Remove touched rules that are not its own:\n%s", chain)
	}
	if fwd := ipt("-S", "FORWARD"); !strings.Contains(fwd, "-P FORWARD DROP") || !strings.Contains(fwd, "-A FORWARD -j DOCKER-USER") {
		t.Errorf("FORWARD changed:\n%s", fwd)
	}
	inNS(t, tp.host, fw.Remove)
}
