package e2e

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// The network tests send traffic only to 127.0.0.0/8 and to addresses inside namespaces
// they made (containers, their bridges' gateways): never to another host, and they
// resolve no outside name.

// page is what every test web server serves, so a response proves which server answered.
const page = "hello from berth-e2e"

// httpdCmd serves page on TCP 80 in the foreground.
var httpdCmd = []string{"sh", "-c", "mkdir -p /www && echo " + page + " > /www/index.html && exec httpd -f -p 80 -h /www"}

// webAndUDPCmd serves page on TCP 80 (httpd backgrounds itself) and prints every
// datagram that reaches UDP 9000.
var webAndUDPCmd = []string{"sh", "-c", "mkdir -p /www && echo " + page + " > /www/index.html && httpd -p 80 -h /www && exec /x/nettool udp-listen 9000"}

// nettoolSource is the UDP half of the tests: Debian's busybox nc has no -u.
const nettoolSource = `// Command nettool speaks UDP for berth's network tests, where busybox cannot.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: nettool udp-listen PORT | udp-send HOST PORT MSG")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "udp-listen":
		c, err := net.ListenPacket("udp4", ":"+os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("listening on udp", os.Args[2])
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			fmt.Printf("got %s from %s\n", buf[:n], from.(*net.UDPAddr).IP)
		}
	case "udp-send":
		// The host name goes through the container's own resolver (/etc/resolv.conf).
		a, err := net.ResolveUDPAddr("udp4", net.JoinHostPort(os.Args[2], os.Args[3]))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		c, err := net.DialUDP("udp4", nil, a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if _, err := c.Write([]byte(os.Args[4])); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("sent to", a)
	default:
		os.Exit(2)
	}
}
`

var (
	nettoolOnce sync.Once
	nettoolDir  string
	nettoolErr  error
)

// nettoolMount returns the -v value that puts nettool at /x/nettool in a container. It is
// built once per test binary, static, into the fixture directory TestMain removes.
func nettoolMount(t *testing.T) string {
	t.Helper()
	rootfs(t) // makes fixtureDir
	nettoolOnce.Do(func() {
		src := filepath.Join(fixtureDir, "nettool-src")
		nettoolDir = filepath.Join(fixtureDir, "nettool")
		for _, d := range []string{src, nettoolDir} {
			if nettoolErr = os.MkdirAll(d, 0o755); nettoolErr != nil {
				return
			}
		}
		files := map[string]string{"go.mod": "module nettool\n\ngo 1.21\n", "main.go": nettoolSource}
		for name, content := range files {
			if nettoolErr = os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); nettoolErr != nil {
				return
			}
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			// go test runs without go on PATH when called by its full path.
			goBin = filepath.Join(cmp.Or(os.Getenv("GOROOT"), "/usr/local/go"), "bin", "go")
		}
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(nettoolDir, "nettool"), ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			nettoolErr = fmt.Errorf("go build nettool: %v\n%s", err, out)
		}
	})
	if nettoolErr != nil {
		t.Fatal(nettoolErr)
	}
	return nettoolDir + ":/x:ro"
}

// netInfo is the part of `network inspect` the tests read.
type netInfo struct {
	Name     string
	ID       string `json:"Id"`
	Internal bool
	Driver   string
	IPAM     struct {
		Config []struct {
			Subnet  string
			Gateway string
		}
	}
	Options    map[string]string
	Labels     map[string]string
	Containers map[string]struct {
		Name        string
		IPv4Address string
	}
}

func (n netInfo) gateway() string {
	if len(n.IPAM.Config) == 0 {
		return ""
	}
	return n.IPAM.Config[0].Gateway
}

func (n netInfo) subnet() netip.Prefix {
	if len(n.IPAM.Config) == 0 {
		return netip.Prefix{}
	}
	p, _ := netip.ParsePrefix(n.IPAM.Config[0].Subnet)
	return p
}

func (n netInfo) bridge() string { return n.Options["com.docker.network.bridge.name"] }

func parseNetInfo(t *testing.T, what, out string) netInfo {
	t.Helper()
	var list []netInfo
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("%s: want a JSON array of one network (%v):\n%s", what, err, out)
	}
	n := list[0]
	if n.gateway() == "" || !n.subnet().IsValid() {
		t.Fatalf("%s: no subnet or gateway in IPAM:\n%s", what, out)
	}
	return n
}

func (e *env) networkInspect(name string) netInfo {
	e.t.Helper()
	return parseNetInfo(e.t, "network inspect "+name, e.must("network", "inspect", name))
}

// networkCreate creates a network (berth picks the subnet, so tests never collide with
// each other or the host) and returns what inspect says of it.
func (e *env) networkCreate(name string, flags ...string) netInfo {
	e.t.Helper()
	e.must(append(append([]string{"network", "create"}, flags...), name)...)
	return e.networkInspect(name)
}

// containerIP returns the container's address on network net, from inspect.
func (e *env) containerIP(ref, network string) string {
	e.t.Helper()
	out := e.must("container", "inspect", ref)
	var list []struct {
		NetworkSettings struct {
			Networks map[string]struct{ IPAddress string }
		}
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		e.t.Fatalf("container inspect %s (%v):\n%s", ref, err, out)
	}
	ep, ok := list[0].NetworkSettings.Networks[network]
	if !ok || ep.IPAddress == "" {
		e.t.Fatalf("container %s has no address on network %s:\n%s", ref, network, out)
	}
	return ep.IPAddress
}

// lookup runs busybox nslookup NAME in the container (through its resolv.conf, the
// embedded DNS) and returns the addresses it printed.
func (e *env) lookup(ctr, name string) ([]string, res) {
	e.t.Helper()
	r := e.run("container", "exec", ctr, "sh", "-c", "nslookup "+name)
	return nslookupAddrs(r.stdout), r
}

// nslookupAddrs reads the answers of busybox nslookup: the "Address:" lines after a
// "Name:" line (the first Address line is the server's).
func nslookupAddrs(out string) []string {
	var addrs []string
	named := false
	for _, l := range lines(out) {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "Name:"):
			named = true
		case named && strings.HasPrefix(l, "Address:"):
			a := strings.TrimSpace(strings.TrimPrefix(l, "Address:"))
			if _, err := netip.ParseAddr(a); err == nil && !slices.Contains(addrs, a) {
				addrs = append(addrs, a)
			}
		}
	}
	return addrs
}

// notFound reports whether nslookup said the name does not exist.
func notFound(r res) bool {
	out := r.stdout + r.stderr
	return r.code != 0 && (strings.Contains(out, "NXDOMAIN") || strings.Contains(out, "can't find"))
}

// mustResolveTo waits (up to 10 s: the peer may still be starting) until name resolves
// in ctr, and fails unless the only answer is want.
func (e *env) mustResolveTo(ctr, name, want string) {
	e.t.Helper()
	var addrs []string
	var r res
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%s to resolve %s", ctr, name), func() bool {
		addrs, r = e.lookup(ctr, name)
		return len(addrs) > 0
	}, func() string { return r.String() })
	if len(addrs) != 1 || addrs[0] != want {
		e.t.Fatalf("%s resolves %s to %v, want [%s] (its inspect address):\n%s", ctr, name, addrs, want, r)
	}
}

// httpFromCtr sends GET / to host:port with busybox nc inside ctr.
func (e *env) httpFromCtr(ctr, host string, port int) res {
	e.t.Helper()
	return e.run("container", "exec", ctr, "sh", "-c",
		fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 %s %d`, host, port))
}

// mustServeFromCtr waits until ctr gets page from host:port (the server may still be
// starting) and fails after 10 s.
func (e *env) mustServeFromCtr(ctr, host string, port int) {
	e.t.Helper()
	var r res
	waitFor(e.t, 10*time.Second, fmt.Sprintf("%s to get the page from %s:%d", ctr, host, port), func() bool {
		r = e.httpFromCtr(ctr, host, port)
		return strings.Contains(r.stdout, page)
	}, func() string { return r.String() })
}

// mustNotReachFromCtr fails if ctr gets an answer from host:port. It returns nc's message.
func (e *env) mustNotReachFromCtr(ctr, host string, port int) string {
	e.t.Helper()
	r := e.httpFromCtr(ctr, host, port)
	if r.code == 0 || strings.Contains(r.stdout, page) || strings.Contains(r.stdout, "HTTP/") {
		e.t.Fatalf("%s reached %s:%d, want no connection:\n%s", ctr, host, port, r)
	}
	return strings.TrimSpace(r.stderr)
}

// sendUDP waits until a datagram with msg, sent by send, shows up in the log of server;
// datagrams may be lost, so it sends again every 200 ms. It returns the log line.
func (e *env) sendUDP(server, msg string, send func() error) string {
	e.t.Helper()
	var log string
	var lastErr error
	deadline := time.Now().Add(10 * time.Second)
	for {
		lastErr = send()
		ok := eventually(200*time.Millisecond, func() bool {
			r := e.run("container", "logs", server)
			log = r.stdout
			return strings.Contains(log, "got "+msg+" ")
		})
		if ok {
			for _, l := range lines(log) {
				if strings.HasPrefix(l, "got "+msg+" ") {
					return l
				}
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("datagram %q never reached %s (last send error: %v); its log:\n%s", msg, server, lastErr, log)
		}
	}
}

// udpFromCtr returns a send func for sendUDP: nettool in ctr sends msg to host:port.
func (e *env) udpFromCtr(ctr, host string, port int, msg string) func() error {
	return func() error {
		r := e.run("container", "exec", ctr, "/x/nettool", "udp-send", host, strconv.Itoa(port), msg)
		if r.code != 0 {
			return fmt.Errorf("%s", r)
		}
		return nil
	}
}

// hostHTTPGet sends GET / to addr (always a 127.0.0.1 address) and returns the body.
// net/http's client is not used: it would honour proxy variables.
func hostHTTPGet(addr string) (string, error) {
	if ap, err := netip.ParseAddrPort(addr); err != nil || !ap.Addr().IsLoopback() {
		return "", fmt.Errorf("hostHTTPGet %s: tests talk only to loopback", addr)
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
	if resp.StatusCode != http.StatusOK {
		return b.String(), fmt.Errorf("status %s", resp.Status)
	}
	return b.String(), err
}

// mustHostGet waits until GET addr from the host returns page.
func mustHostGet(t *testing.T, addr string) {
	t.Helper()
	var body string
	var err error
	waitFor(t, 10*time.Second, "the host to get the page from "+addr, func() bool {
		body, err = hostHTTPGet(addr)
		return err == nil && strings.Contains(body, page)
	}, func() string { return fmt.Sprintf("last: %v, body %q", err, body) })
}

// publishedPorts reads `container port CTR`: "80/tcp 127.0.0.1" -> host port.
func (e *env) publishedPorts(ref string) map[string]int {
	e.t.Helper()
	out := e.must("container", "port", ref)
	ports := map[string]int{}
	for _, l := range lines(out) {
		ctrPort, host, ok := strings.Cut(l, " -> ")
		ap, err := netip.ParseAddrPort(strings.TrimSpace(host))
		if !ok || err != nil || ap.Port() == 0 {
			e.t.Fatalf("container port %s: bad line %q in:\n%s", ref, l, out)
		}
		ports[ctrPort+" "+ap.Addr().String()] = int(ap.Port())
	}
	return ports
}

// hostPort returns the host port bound to key ("80/tcp 0.0.0.0") or fails.
func (e *env) hostPort(ref, key string) int {
	e.t.Helper()
	ports := e.publishedPorts(ref)
	p, ok := ports[key]
	if !ok {
		e.t.Fatalf("container port %s has no %s: %v", ref, key, ports)
	}
	return p
}

// netObjects is this root's footprint on the host: links named with its tag, and its
// nftables table's lines, sorted (the table is rebuilt as a whole, rules may reorder).
type netObjects struct {
	links []string
	rules []string
}

func (e *env) netObjects() netObjects {
	e.t.Helper()
	var o netObjects
	links, err := linkList()
	if err != nil {
		e.t.Fatalf("list links: %v", err)
	}
	for _, l := range links {
		name := l.Attrs().Name
		if strings.HasPrefix(name, "br"+e.dirs.Tag[:5]+"-") || strings.HasPrefix(name, "ve"+e.dirs.Tag[:5]) {
			o.links = append(o.links, name)
		}
	}
	sort.Strings(o.links)
	out, err := exec.Command("nft", "list", "table", "ip", "berth-"+e.dirs.Tag).CombinedOutput()
	if err != nil {
		e.t.Fatalf("nft list table ip berth-%s: %v\n%s", e.dirs.Tag, err, out)
	}
	for _, l := range lines(string(out)) {
		if l = strings.TrimSpace(l); l != "" {
			o.rules = append(o.rules, l)
		}
	}
	sort.Strings(o.rules)
	return o
}

// diffLines returns the lines only in a and only in b.
func diffLines(a, b []string) (onlyA, onlyB []string) {
	for _, l := range a {
		if !slices.Contains(b, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}

// killDaemon SIGKILLs the env's daemon and waits until it is gone.
func (e *env) killDaemon() {
	e.t.Helper()
	pid := e.daemonPid()
	if pid == 0 {
		e.t.Fatal("no daemon process found for the root")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	waitFor(e.t, 10*time.Second, "the killed daemon to be gone", func() bool { return !alive(pid) }, nil)
}

// linkList lists the host's links, again when the dump was interrupted by a change
// (other tests' namespaces come and go).
func linkList() ([]netlink.Link, error) {
	for range 9 {
		links, err := netlink.LinkList()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return links, err
		}
	}
	return netlink.LinkList()
}
