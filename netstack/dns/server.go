package dns

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/miekg/dns"
)

// Address is where containers find the server inside their network namespace.
const Address = "127.0.0.11:53"

// Config configures a Server.
type Config struct {
	// Forward lists upstream resolvers ("IP:53") for names the server cannot
	// answer, tried in order. Empty: such names get NXDOMAIN.
	Forward []string
	// Log receives one line per attach, detach and failed forward. Nil: discard.
	Log *slog.Logger
}

// Server is the embedded DNS server of every container of a daemon. Its
// methods are safe for concurrent use.
type Server struct {
	forward []string
	log     *slog.Logger
	// ctx is cancelled by Close and aborts forwarded queries in flight.
	ctx    context.Context
	cancel context.CancelFunc

	// mu guards the tables queries read.
	mu       sync.RWMutex
	networks map[string][]string          // container ID → networks it is on
	records  map[string]map[string]Record // network ID → container ID → record

	// attachMu guards attached and closed; it is held while Attach opens sockets.
	attachMu sync.Mutex
	attached map[string]*attachment
	closed   bool
}

// attachment is one container's sockets and the goroutines serving them.
type attachment struct {
	servers []*dns.Server
	socks   []io.Closer
	cancel  context.CancelFunc // aborts forwarded queries of this container
	wg      sync.WaitGroup
}

// New returns a Server with empty tables that serves no container yet.
func New(c Config) *Server {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		forward:  append([]string(nil), c.Forward...),
		log:      log,
		ctx:      ctx,
		cancel:   cancel,
		networks: make(map[string][]string),
		records:  make(map[string]map[string]Record),
		attached: make(map[string]*attachment),
	}
}

// Attach serves container id inside the network namespace at nsPath (a
// bind-mounted netns file whose lo is up), listening on 127.0.0.11:53 over UDP
// and TCP there. Attaching an id that is already served does nothing.
func (s *Server) Attach(id, nsPath string) error {
	s.attachMu.Lock()
	defer s.attachMu.Unlock()
	if s.closed {
		return fmt.Errorf("attach dns of container %s: %w", id, net.ErrClosed)
	}
	if _, ok := s.attached[id]; ok {
		return nil
	}
	var (
		pc net.PacketConn
		l  net.Listener
	)
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		if pc, err = net.ListenPacket("udp", Address); err != nil {
			return err
		}
		if l, err = net.Listen("tcp", Address); err != nil {
			pc.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("attach dns of container %s in %s: %w", id, nsPath, err)
	}
	s.attached[id] = s.start(id, pc, l)
	s.log.Info("dns: serving container", "container", id, "netns", nsPath)
	return nil
}

// Serve serves container id on sockets the caller made; either may be nil.
// The server owns them from then on and closes them on Detach or Close. If
// id is already served, its previous sockets are closed first. After Close,
// Serve only closes the sockets.
func (s *Server) Serve(id string, pc net.PacketConn, l net.Listener) {
	s.attachMu.Lock()
	if s.closed {
		s.attachMu.Unlock()
		closeAll(pc, l)
		return
	}
	old := s.attached[id]
	delete(s.attached, id)
	s.attachMu.Unlock()
	if old != nil {
		old.stop()
	}

	a := s.start(id, pc, l)
	s.attachMu.Lock()
	if s.closed || s.attached[id] != nil {
		// Close or another Serve of id won the race while this one started.
		s.attachMu.Unlock()
		a.stop()
		return
	}
	s.attached[id] = a
	s.attachMu.Unlock()
}

// Detach stops serving id: it closes id's sockets and waits for the
// goroutines that served them. The tables are left alone (see Unpublish).
func (s *Server) Detach(id string) {
	s.attachMu.Lock()
	a := s.attached[id]
	delete(s.attached, id)
	s.attachMu.Unlock()
	if a != nil {
		a.stop()
		s.log.Info("dns: stopped serving container", "container", id)
	}
}

// Close stops serving every container and waits for every goroutine of the
// server. Attach fails and Serve closes its sockets afterwards.
func (s *Server) Close() {
	s.attachMu.Lock()
	s.closed = true
	all := s.attached
	s.attached = make(map[string]*attachment)
	s.attachMu.Unlock()
	s.cancel()
	var wg sync.WaitGroup
	for _, a := range all {
		wg.Go(a.stop)
	}
	wg.Wait()
}

// start serves pc and l for id and returns once both servers listen (or gave
// up), so that stop can always shut them down.
func (s *Server) start(id string, pc net.PacketConn, l net.Listener) *attachment {
	ctx, cancel := context.WithCancel(s.ctx)
	a := &attachment{cancel: cancel}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		s.handle(ctx, id, w, req)
	})
	if pc != nil {
		a.socks = append(a.socks, pc)
		a.run(s.log, id, &dns.Server{PacketConn: pc, Handler: h, UDPSize: dns.DefaultMsgSize})
	}
	if l != nil {
		a.socks = append(a.socks, l)
		a.run(s.log, id, &dns.Server{Listener: l, Handler: h})
	}
	return a
}

// run serves srv in a goroutine of a and waits until it listens or returns.
func (a *attachment) run(log *slog.Logger, id string, srv *dns.Server) {
	started := make(chan struct{})
	exited := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	a.servers = append(a.servers, srv)
	a.wg.Go(func() {
		defer close(exited)
		if err := srv.ActivateAndServe(); err != nil {
			log.Warn("dns: serving stopped", "container", id, "err", err)
		}
	})
	select {
	case <-started:
	case <-exited:
	}
}

// stop shuts a's servers down, closes its sockets and waits for its goroutines.
func (a *attachment) stop() {
	a.cancel()
	for _, srv := range a.servers {
		// An error means the server never started or already stopped; the
		// sockets are closed below either way.
		_ = srv.Shutdown()
	}
	for _, c := range a.socks {
		c.Close()
	}
	a.wg.Wait()
}

func closeAll(pc net.PacketConn, l net.Listener) {
	if pc != nil {
		pc.Close()
	}
	if l != nil {
		l.Close()
	}
}
