package firewall

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/containerd/errdefs"
	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Network is a berth bridge network as the firewall sees it.
type Network struct {
	Bridge   string // interface name of the Linux bridge
	Subnet   netip.Prefix
	Internal bool // no traffic off the bridge at all
}

// Port is one published port: traffic to HostIP:HostPort goes to
// ContainerIP:ContainerPort.
type Port struct {
	Proto         string     // "tcp" or "udp"
	HostIP        netip.Addr // invalid or unspecified (0.0.0.0): every host address incl. 127.0.0.1
	HostPort      uint16
	ContainerIP   netip.Addr
	ContainerPort uint16
	Bridge        string // the bridge the container is reached through
}

func (p Port) String() string {
	host := "0.0.0.0"
	if p.HostIP.IsValid() {
		host = p.HostIP.String()
	}
	return fmt.Sprintf("%s:%d->%s:%d/%s", host, p.HostPort, p.ContainerIP, p.ContainerPort, p.Proto)
}

// Firewall manages the rules of one state root in the network namespace of
// the calling thread. Its methods are safe for concurrent use.
type Firewall struct {
	tag string
	log *slog.Logger

	mu sync.Mutex // serialises Apply and Remove
}

// New returns the firewall of the root with the given short tag (e.g. 8 hex
// digits). Its table is "berth-"+tag.
func New(tag string, log *slog.Logger) *Firewall {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Firewall{tag: tag, log: log.With("tag", tag)}
}

// Table is the name of the nftables table (family ip) this firewall owns.
func (f *Firewall) Table() string { return "berth-" + f.tag }

// Apply makes the rules exactly those for networks and ports, in one
// nftables transaction. It also sets route_localnet on each bridge a port is
// published through (so DNAT from 127.0.0.1 works) and keeps the DOCKER-USER
// accept rules, if that chain exists, in step with the bridges.
func (f *Firewall) Apply(networks []Network, ports []Port) error {
	if err := validate(networks, ports); err != nil {
		return fmt.Errorf("apply firewall %s: %w", f.Table(), err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()

	conn, err := nftables.New(nftables.WithSockOptions(batchBuffers))
	if err != nil {
		return fmt.Errorf("apply firewall %s: %w", f.Table(), err)
	}
	replaceTable(conn, f.Table(), networks, ports)
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("apply firewall %s: nftables transaction: %w", f.Table(), err)
	}
	f.log.Debug("firewall applied", "op", "apply", "networks", len(networks), "ports", len(ports))

	// The table is in place; the steps below are retried by the next Apply.
	var errs []error
	for _, br := range localnetBridges(ports) {
		if err := setRouteLocalnet(br); err != nil {
			errs = append(errs, err)
		}
	}
	bridges := make([]string, 0, len(networks))
	for _, n := range networks {
		bridges = append(bridges, n.Bridge)
	}
	if err := f.syncDockerUser(bridges); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return &AfterCommitError{Err: fmt.Errorf("apply firewall %s: %w", f.Table(), err)}
	}
	return nil
}

// AfterCommitError is an Apply whose rules are in place but whose steps after them
// (route_localnet, the DOCKER-USER rules) failed; the next Apply retries those steps.
type AfterCommitError struct{ Err error }

func (e *AfterCommitError) Error() string { return e.Err.Error() }
func (e *AfterCommitError) Unwrap() error { return e.Err }

// batchBytes bounds the netlink socket's buffers for one transaction. The whole table
// goes in one batch, so that it is replaced atomically, and the kernel refuses a batch
// larger than the send buffer (EMSGSIZE: about 120 published ports with the default
// 208 KiB) and drops acknowledgements beyond the receive buffer (ENOBUFS, after the
// batch was committed). 64 MiB is a limit, not an allocation; it fits some 80,000 ports.
const batchBytes = 64 << 20

// batchBuffers raises the socket's buffers to batchBytes, past the host's
// net.core.[rw]mem_max as root can, else as far as those allow.
func batchBuffers(c *netlink.Conn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for _, o := range [][2]int{{unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}, {unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}} {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], batchBytes); e != nil {
				if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[1], batchBytes); e != nil {
					serr = e
				}
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// Remove deletes the table and the DOCKER-USER rules of this tag. Removing
// what is absent is no error.
func (f *Firewall) Remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()

	conn, err := nftables.New()
	if err != nil {
		return fmt.Errorf("remove firewall %s: %w", f.Table(), err)
	}
	// Adding before deleting makes the deletion succeed whether or not the
	// table exists, in one transaction.
	t := &nftables.Table{Name: f.Table(), Family: nftables.TableFamilyIPv4}
	conn.AddTable(t)
	conn.DelTable(t)
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("remove firewall %s: nftables transaction: %w", f.Table(), err)
	}
	if err := f.syncDockerUser(nil); err != nil {
		return fmt.Errorf("remove firewall %s: %w", f.Table(), err)
	}
	f.log.Debug("firewall removed", "op", "remove")
	return nil
}

// validate rejects input that would produce wrong or partial rules.
func validate(networks []Network, ports []Port) error {
	seen := map[string]bool{}
	byBridge := map[string]Network{}
	for _, n := range networks {
		byBridge[n.Bridge] = n
		if err := checkIfname(n.Bridge); err != nil {
			return fmt.Errorf("network %s: %w", n.Subnet, err)
		}
		if seen[n.Bridge] {
			return fmt.Errorf("bridge %s listed twice: %w", n.Bridge, errdefs.ErrInvalidArgument)
		}
		seen[n.Bridge] = true
		if !n.Subnet.IsValid() || !n.Subnet.Addr().Is4() {
			return fmt.Errorf("network %s: subnet %q is not IPv4 (IPv6 is not supported yet): %w", n.Bridge, n.Subnet, errdefs.ErrInvalidArgument)
		}
	}
	type key struct {
		proto string
		ip    netip.Addr
		port  uint16
	}
	published := map[key]bool{}
	for _, p := range ports {
		if p.Proto != "tcp" && p.Proto != "udp" {
			return fmt.Errorf("port %s: protocol %q is not tcp or udp: %w", p, p.Proto, errdefs.ErrInvalidArgument)
		}
		if p.HostIP.IsValid() && !p.HostIP.Is4() {
			return fmt.Errorf("port %s: host address is not IPv4: %w", p, errdefs.ErrInvalidArgument)
		}
		if !p.ContainerIP.Is4() {
			return fmt.Errorf("port %s: container address is not IPv4: %w", p, errdefs.ErrInvalidArgument)
		}
		if p.HostPort == 0 || p.ContainerPort == 0 {
			return fmt.Errorf("port %s: port 0: %w", p, errdefs.ErrInvalidArgument)
		}
		n, ok := byBridge[p.Bridge]
		switch {
		case !ok:
			return fmt.Errorf("port %s: bridge %q is not one of the networks: %w", p, p.Bridge, errdefs.ErrInvalidArgument)
		case n.Internal:
			return fmt.Errorf("port %s: network on %s is internal and cannot publish ports: %w", p, p.Bridge, errdefs.ErrInvalidArgument)
		case !n.Subnet.Contains(p.ContainerIP):
			return fmt.Errorf("port %s: container address is not in %s of %s: %w", p, n.Subnet, p.Bridge, errdefs.ErrInvalidArgument)
		}
		k := key{p.Proto, unspecifiedIfInvalid(p.HostIP), p.HostPort}
		if published[k] {
			return fmt.Errorf("port %s: published twice: %w", p, errdefs.ErrConflict)
		}
		published[k] = true
	}
	return nil
}

func unspecifiedIfInvalid(a netip.Addr) netip.Addr {
	if !a.IsValid() {
		return netip.IPv4Unspecified()
	}
	return a
}

func checkIfname(name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." || slices.ContainsFunc([]byte(name), func(c byte) bool {
		return c == '/' || c == 0 || c == ' ' || c == ':'
	}) {
		return fmt.Errorf("bridge name %q is not a valid interface name: %w", name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// localnetBridges returns, sorted, the bridges that ports are published
// through.
func localnetBridges(ports []Port) []string {
	var brs []string
	for _, p := range ports {
		if !slices.Contains(brs, p.Bridge) {
			brs = append(brs, p.Bridge)
		}
	}
	slices.Sort(brs)
	return brs
}

// setRouteLocalnet lets the bridge carry packets whose source is 127.0.0.1,
// which DNAT from the host's loopback to a container produces. Packets to
// 127.0.0.0/8 arriving on a bridge are dropped in raw-prerouting, so the
// setting does not open the host's loopback services to containers.
func setRouteLocalnet(bridge string) error {
	p := filepath.Join("/proc/sys/net/ipv4/conf", bridge, "route_localnet")
	if b, err := os.ReadFile(p); err == nil && len(b) > 0 && b[0] == '1' {
		return nil
	}
	if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
		return fmt.Errorf("set route_localnet on %s: %w", bridge, err)
	}
	return nil
}
