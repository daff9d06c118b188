package dns

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

const (
	// ttl is what Docker's embedded DNS answers with, in seconds.
	ttl = 600
	// forwardTimeout bounds one exchange with one upstream.
	forwardTimeout = 2 * time.Second
)

// handle answers req from container id and writes the answer, truncated to
// what the asker accepts over UDP.
func (s *Server) handle(ctx context.Context, id string, w dns.ResponseWriter, req *dns.Msg) {
	resp := s.answer(ctx, id, req)
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if opt := req.IsEdns0(); opt != nil && int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
		resp.Truncate(size)
	}
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("dns: write answer", "container", id, "err", err)
	}
}

// answer builds the response to req from container id: from the tables when
// the name is known on id's networks, else from upstream, else NXDOMAIN.
func (s *Server) answer(ctx context.Context, id string, req *dns.Msg) *dns.Msg {
	resp := new(dns.Msg)
	if req.Opcode != dns.OpcodeQuery {
		return resp.SetRcode(req, dns.RcodeNotImplemented)
	}
	if len(req.Question) != 1 {
		return resp.SetRcode(req, dns.RcodeFormatError)
	}
	q := req.Question[0]
	if q.Qclass == dns.ClassINET || q.Qclass == dns.ClassANY {
		if rrs, ok := s.local(id, q); ok {
			resp.SetReply(req)
			resp.Authoritative = true
			resp.RecursionAvailable = len(s.forward) > 0
			resp.Answer = rrs
			return resp
		}
	}
	if len(s.forward) > 0 {
		return s.forwardQuery(ctx, id, req)
	}
	resp.SetRcode(req, dns.RcodeNameError)
	resp.Authoritative = true
	return resp
}

// local answers q from the tables; ok is false when the name is not known on
// the networks id is on. A known name without records of the asked type gives
// no records and ok (NODATA).
func (s *Server) local(id string, q dns.Question) (rrs []dns.RR, ok bool) {
	if q.Qtype == dns.TypePTR {
		addr, isRev := reverseAddr(q.Name)
		if !isRev {
			return nil, false
		}
		names := s.lookupAddr(id, addr)
		for _, n := range names {
			rrs = append(rrs, &dns.PTR{Hdr: header(q.Name, dns.TypePTR), Ptr: dns.Fqdn(n)})
		}
		return rrs, len(names) > 0
	}
	v4, v6, found := s.lookup(id, q.Name)
	if !found {
		return nil, false
	}
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		rrs = append(rrs, shuffled(q.Name, v4)...)
	}
	if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
		rrs = append(rrs, shuffled(q.Name, v6)...)
	}
	return rrs, true
}

// shuffled returns A or AAAA records of name for addrs in random order, so
// that containers sharing an alias share its load.
func shuffled(name string, addrs []netip.Addr) []dns.RR {
	rrs := make([]dns.RR, 0, len(addrs))
	for _, a := range addrs {
		if a.Is4() {
			rrs = append(rrs, &dns.A{Hdr: header(name, dns.TypeA), A: a.AsSlice()})
		} else {
			rrs = append(rrs, &dns.AAAA{Hdr: header(name, dns.TypeAAAA), AAAA: a.AsSlice()})
		}
	}
	rand.Shuffle(len(rrs), func(i, j int) { rrs[i], rrs[j] = rrs[j], rrs[i] })
	return rrs
}

func header(name string, typ uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}

// forwardQuery asks the upstreams in turn, over UDP and then over TCP when
// the answer is truncated, and answers SERVFAIL when none of them answers.
func (s *Server) forwardQuery(ctx context.Context, id string, req *dns.Msg) *dns.Msg {
	for _, up := range s.forward {
		resp, err := exchange(ctx, "udp", req, up)
		if err == nil && resp.Truncated {
			resp, err = exchange(ctx, "tcp", req, up)
		}
		if err == nil {
			resp.Id = req.Id
			return resp
		}
		if ctx.Err() != nil {
			break
		}
		s.log.Warn("dns: forward query", "container", id, "name", req.Question[0].Name, "upstream", up, "err", err)
	}
	resp := new(dns.Msg)
	resp.SetRcode(req, dns.RcodeServerFailure)
	return resp
}

// exchange sends req to upstream over network ("udp" or "tcp"), giving up
// after forwardTimeout or as soon as ctx is cancelled.
func exchange(ctx context.Context, network string, req *dns.Msg, upstream string) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	c := &dns.Client{Net: network, Timeout: forwardTimeout}
	conn, err := c.DialContext(ctx, upstream)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// The client honours only ctx's deadline; closing the connection makes
	// cancellation (Detach, Close) end the read at once.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.Close()
		close(closed)
	})
	resp, _, err := c.ExchangeWithConnContext(ctx, req, conn)
	if !stop() {
		<-closed // the closing goroutine ran or runs; wait for it
	}
	return resp, err
}
