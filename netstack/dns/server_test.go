package dns_test

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	berthdns "berth/netstack/dns"
)

// endpoint is one container's sockets in the host namespace.
type endpoint struct {
	pc  net.PacketConn
	l   net.Listener
	udp string
	tcp string
}

func serve(t *testing.T, s *berthdns.Server, id string) endpoint {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	s.Serve(id, pc, l)
	return endpoint{pc: pc, l: l, udp: pc.LocalAddr().String(), tcp: l.Addr().String()}
}

func (e endpoint) addr(network string) string {
	if network == "tcp" {
		return e.tcp
	}
	return e.udp
}

func exchange(network, addr, name string, qtype uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	m := new(dns.Msg).SetQuestion(name, qtype)
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func query(t *testing.T, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := exchange(network, addr, name, qtype)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return r
}

// result is an answer as text: rcode, then the answers' data sorted.
func result(r *dns.Msg) string {
	var data []string
	for _, rr := range r.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			data = append(data, rr.A.String())
		case *dns.AAAA:
			data = append(data, rr.AAAA.String())
		case *dns.PTR:
			data = append(data, rr.Ptr)
		default:
			data = append(data, rr.String())
		}
	}
	slices.Sort(data)
	return strings.TrimSpace(dns.RcodeToString[r.Rcode] + " " + strings.Join(data, " "))
}

// fixture serves three containers: a on n1, b on n1 and n2, c on n2.
func fixture(t *testing.T) (*berthdns.Server, map[string]endpoint) {
	t.Helper()
	s := berthdns.New(berthdns.Config{})
	t.Cleanup(s.Close)
	s.SetNetworks("a", []string{"n1"})
	s.SetNetworks("b", []string{"n1", "n2"})
	s.SetNetworks("c", []string{"n2"})
	s.Publish("a", berthdns.Record{Network: "n1", Names: []string{"proj-a-1", "aaaa11112222", "a", "Web."},
		IPv4: netip.MustParseAddr("10.0.1.2"), IPv6: netip.MustParseAddr("fd00:1::2")})
	s.Publish("b", berthdns.Record{Network: "n1", Names: []string{"proj-b-1", "b", "web"},
		IPv4: netip.MustParseAddr("10.0.1.3")})
	s.Publish("b", berthdns.Record{Network: "n2", Names: []string{"proj-b-1", "b", "bee"},
		IPv4: netip.MustParseAddr("10.0.2.3")})
	s.Publish("c", berthdns.Record{Network: "n2", Names: []string{"proj-c-1", "c", "six"},
		IPv6: netip.MustParseAddr("fd00:2::4")})
	eps := map[string]endpoint{}
	for _, id := range []string{"a", "b", "c"} {
		eps[id] = serve(t, s, id)
	}
	return s, eps
}

func TestResolve(t *testing.T) {
	_, eps := fixture(t)
	tests := []struct {
		name  string
		asker string
		query string
		qtype uint16
		want  string
	}{
		{"own name", "a", "a.", dns.TypeA, "NOERROR 10.0.1.2"},
		{"own container name", "a", "proj-a-1.", dns.TypeA, "NOERROR 10.0.1.2"},
		{"own short ID", "a", "aaaa11112222.", dns.TypeA, "NOERROR 10.0.1.2"},
		{"case-insensitive", "a", "PROJ-B-1.", dns.TypeA, "NOERROR 10.0.1.3"},
		{"published with trailing dot", "b", "wEb.", dns.TypeA, "NOERROR 10.0.1.2 10.0.1.3"},
		{"alias of two containers", "a", "web.", dns.TypeA, "NOERROR 10.0.1.2 10.0.1.3"},
		{"only the asker's networks", "a", "b.", dns.TypeA, "NOERROR 10.0.1.3"},
		{"all the asker's networks", "b", "b.", dns.TypeA, "NOERROR 10.0.1.3 10.0.2.3"},
		{"alias on a network the asker is not on", "a", "bee.", dns.TypeA, "NXDOMAIN"},
		{"container on another network", "a", "c.", dns.TypeA, "NXDOMAIN"},
		{"reached through a shared network", "b", "six.", dns.TypeAAAA, "NOERROR fd00:2::4"},
		{"unknown", "a", "nothing.", dns.TypeA, "NXDOMAIN"},
		{"search suffix is not stripped", "a", "b.example.com.", dns.TypeA, "NXDOMAIN"},
		{"AAAA", "a", "a.", dns.TypeAAAA, "NOERROR fd00:1::2"},
		{"AAAA of IPv4-only is NODATA", "a", "b.", dns.TypeAAAA, "NOERROR"},
		{"A of IPv6-only is NODATA", "b", "c.", dns.TypeA, "NOERROR"},
		{"ANY", "a", "a.", dns.TypeANY, "NOERROR 10.0.1.2 fd00:1::2"},
		{"other type of known name is NODATA", "a", "a.", dns.TypeMX, "NOERROR"},
		{"PTR IPv4", "a", "3.1.0.10.in-addr.arpa.", dns.TypePTR, "NOERROR proj-b-1."},
		{"PTR IPv6", "a", "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, "NOERROR proj-a-1."},
		{"PTR on a network the asker is not on", "a", "3.2.0.10.in-addr.arpa.", dns.TypePTR, "NXDOMAIN"},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				r := query(t, network, eps[tt.asker].addr(network), tt.query, tt.qtype)
				if got := result(r); got != tt.want {
					t.Errorf("%s asks %s %s: got %q, want %q", tt.asker, tt.query, dns.TypeToString[tt.qtype], got, tt.want)
				}
				for _, rr := range r.Answer {
					if rr.Header().Ttl != 600 {
						t.Errorf("TTL %d, want 600", rr.Header().Ttl)
					}
					if rr.Header().Name != tt.query {
						t.Errorf("answer for %q, want %q", rr.Header().Name, tt.query)
					}
				}
			})
		}
	}
}

func TestRoundRobin(t *testing.T) {
	_, eps := fixture(t)
	orders := map[string]int{}
	for range 100 {
		r := query(t, "udp", eps["a"].udp, "web.", dns.TypeA)
		var ips []string
		for _, rr := range r.Answer {
			ips = append(ips, rr.(*dns.A).A.String())
		}
		orders[strings.Join(ips, ",")]++
	}
	want := []string{"10.0.1.2,10.0.1.3", "10.0.1.3,10.0.1.2"}
	for _, o := range want {
		if orders[o] == 0 {
			t.Errorf("order %s never seen in 100 queries: %v", o, orders)
		}
	}
	if len(orders) != 2 {
		t.Errorf("orders %v, want only %v", orders, want)
	}
}

func TestChangesTakeEffectAtOnce(t *testing.T) {
	s, eps := fixture(t)
	a := eps["a"].udp
	steps := []struct {
		name   string
		change func()
		query  string
		want   string
	}{
		{"publish", func() {
			s.Publish("d", berthdns.Record{Network: "n1", Names: []string{"d"}, IPv4: netip.MustParseAddr("10.0.1.9")})
		}, "d.", "NOERROR 10.0.1.9"},
		{"publish replaces", func() {
			s.Publish("d", berthdns.Record{Network: "n1", Names: []string{"d", "dee"}, IPv4: netip.MustParseAddr("10.0.1.10")})
		}, "d.", "NOERROR 10.0.1.10"},
		{"unpublish", func() { s.Unpublish("d", "n1") }, "dee.", "NXDOMAIN"},
		{"join a network", func() { s.SetNetworks("a", []string{"n1", "n2"}) }, "c.", "NOERROR"},
		{"joined network's alias", func() {}, "bee.", "NOERROR 10.0.2.3"},
		{"leave a network", func() { s.SetNetworks("a", []string{"n1"}) }, "bee.", "NXDOMAIN"},
		{"leave all networks", func() { s.SetNetworks("a", nil) }, "a.", "NXDOMAIN"},
	}
	for _, st := range steps {
		st.change()
		if got := result(query(t, "udp", a, st.query, dns.TypeA)); got != st.want {
			t.Errorf("after %s: %s: got %q, want %q", st.name, st.query, got, st.want)
		}
	}
}

func TestDetach(t *testing.T) {
	s, eps := fixture(t)
	s.Detach("a")
	s.Detach("a") // twice is fine
	buf := make([]byte, 512)
	if _, _, err := eps["a"].pc.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("UDP socket after Detach: %v, want closed", err)
	}
	if _, err := eps["a"].l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("TCP listener after Detach: %v, want closed", err)
	}
	if c, err := net.DialTimeout("tcp", eps["a"].tcp, time.Second); err == nil {
		c.Close()
		t.Errorf("TCP dial after Detach succeeded")
	}
	// The others are still served.
	if got := result(query(t, "tcp", eps["b"].tcp, "a.", dns.TypeA)); got != "NOERROR 10.0.1.2" {
		t.Errorf("b after a's Detach: %q", got)
	}
}

func TestServeReplaces(t *testing.T) {
	s, eps := fixture(t)
	old := eps["a"]
	now := serve(t, s, "a")
	if _, err := old.l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("old listener after second Serve: %v, want closed", err)
	}
	if got := result(query(t, "udp", now.udp, "a.", dns.TypeA)); got != "NOERROR 10.0.1.2" {
		t.Errorf("new sockets: %q", got)
	}
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	s := berthdns.New(berthdns.Config{Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	s.SetNetworks("a", []string{"n1"})
	s.Publish("a", berthdns.Record{Network: "n1", Names: []string{"a"}, IPv4: netip.MustParseAddr("10.0.1.2")})
	var eps []endpoint
	for _, id := range []string{"a", "b", "c"} {
		eps = append(eps, serve(t, s, id))
	}
	for _, e := range eps {
		query(t, "udp", e.udp, "a.", dns.TypeA)
		query(t, "tcp", e.tcp, "a.", dns.TypeA)
	}
	// An idle TCP connection the client keeps open must not hold Close up.
	conn, err := (&dns.Client{Net: "tcp"}).Dial(eps[0].tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMsg(new(dns.Msg).SetQuestion("a.", dns.TypeA)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ReadMsg(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		s.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	conn.Close()
	waitGoroutines(t, before)

	// After Close, Serve only closes what it is given.
	e := serve(t, s, "late")
	if _, err := e.l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("listener given after Close: %v, want closed", err)
	}
	if err := s.Attach("late", "/nonexistent"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Attach after Close: %v, want net.ErrClosed", err)
	}
}
