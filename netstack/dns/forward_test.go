package dns_test

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/miekg/dns"

	berthdns "berth/netstack/dns"
)

// upstream is a fake resolver on 127.0.0.1 that serves UDP and TCP on one
// port: "example.test." has one address; "big.test." is truncated over UDP
// and has 40 addresses over TCP.
func upstream(t *testing.T) string {
	t.Helper()
	var (
		pc  net.PacketConn
		l   net.Listener
		err error
	)
	for range 10 { // the UDP port may be taken for TCP; try another
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	handler := func(tcp bool) dns.HandlerFunc {
		return func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg).SetReply(req)
			q := req.Question[0]
			hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}
			switch {
			case q.Name == "example.test." && q.Qtype == dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IPv4(192, 0, 2, 1)})
			case q.Name == "big.test." && !tcp:
				m.Truncated = true
			case q.Name == "big.test.":
				for i := range 40 {
					m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IPv4(192, 0, 2, byte(i+1))})
				}
			default:
				m.Rcode = dns.RcodeNameError
			}
			w.WriteMsg(m)
		}
	}
	for _, srv := range []*dns.Server{
		{PacketConn: pc, Handler: handler(false)},
		{Listener: l, Handler: handler(true)},
	} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ActivateAndServe()
		}()
		<-started
		t.Cleanup(func() {
			srv.Shutdown()
			<-done
		})
	}
	return pc.LocalAddr().String()
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestForward(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() { waitGoroutines(t, before) }) // after upstream's cleanups
	up := upstream(t)
	s := berthdns.New(berthdns.Config{
		Forward: []string{closedPort(t), up}, // the first upstream is down
		Log:     slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	t.Cleanup(s.Close)
	s.SetNetworks("a", []string{"n1"})
	s.Publish("a", berthdns.Record{Network: "n1", Names: []string{"a"}, IPv4: netip.MustParseAddr("10.0.1.2")})
	s.Publish("b", berthdns.Record{Network: "n2", Names: []string{"b"}, IPv4: netip.MustParseAddr("10.0.2.3")})
	e := serve(t, s, "a")

	tests := []struct {
		network, query string
		qtype          uint16
		want           string
	}{
		{"udp", "example.test.", dns.TypeA, "NOERROR 192.0.2.1"},
		{"tcp", "example.test.", dns.TypeA, "NOERROR 192.0.2.1"},
		{"udp", "missing.test.", dns.TypeA, "NXDOMAIN"},
		{"udp", "a.", dns.TypeA, "NOERROR 10.0.1.2"},      // local names are not forwarded
		{"udp", "a.", dns.TypeAAAA, "NOERROR"},            // nor NODATA
		{"udp", "b.", dns.TypeA, "NXDOMAIN"},              // forwarded: b is on another network
		{"tcp", "big.test.", dns.TypeA, "NOERROR 40 IPs"}, // upstream over TCP after truncation
	}
	for _, tt := range tests {
		r := query(t, tt.network, e.addr(tt.network), tt.query, tt.qtype)
		got := result(r)
		if len(r.Answer) == 40 {
			got = fmt.Sprintf("%s %d IPs", dns.RcodeToString[r.Rcode], len(r.Answer))
		}
		if got != tt.want {
			t.Errorf("%s %s: got %q, want %q", tt.network, tt.query, got, tt.want)
		}
	}

	// Over UDP the 40 addresses do not fit in 512 bytes: the asker gets a
	// truncated answer and retries over TCP, as the client does by default.
	r := query(t, "udp", e.udp, "big.test.", dns.TypeA)
	if !r.Truncated {
		t.Errorf("big answer over UDP not truncated: %d answers", len(r.Answer))
	}
}

func TestForwardFails(t *testing.T) {
	s := berthdns.New(berthdns.Config{Forward: []string{closedPort(t), closedPort(t)}})
	t.Cleanup(s.Close)
	e := serve(t, s, "a")
	for _, network := range []string{"udp", "tcp"} {
		if got := result(query(t, network, e.addr(network), "example.test.", dns.TypeA)); got != "SERVFAIL" {
			t.Errorf("%s with every upstream down: got %q, want SERVFAIL", network, got)
		}
	}
}

// TestDetachAbortsForward checks that Detach does not wait out an upstream
// that never answers.
func TestDetachAbortsForward(t *testing.T) {
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	s := berthdns.New(berthdns.Config{Forward: []string{silent.LocalAddr().String()}})
	t.Cleanup(s.Close)
	e := serve(t, s, "a")
	asked := make(chan struct{})
	go func() {
		defer close(asked)
		c := &dns.Client{Timeout: time.Second} // no answer comes: the upstream is silent
		c.Exchange(new(dns.Msg).SetQuestion("example.test.", dns.TypeA), e.udp)
	}()
	defer func() { <-asked }()
	buf := make([]byte, 512)
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := silent.ReadFrom(buf); err != nil {
		t.Fatalf("query never forwarded: %v", err)
	}
	start := time.Now()
	s.Detach("a")
	if d := time.Since(start); d > time.Second {
		t.Errorf("Detach took %v with a forward in flight", d)
	}
}
