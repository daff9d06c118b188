package netstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/containernetworking/plugins/pkg/ip"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	bolt "go.etcd.io/bbolt"

	"berth/netstack/dns"
	"berth/netstack/firewall"
)

var (
	bucketNetworks  = []byte("net.networks")
	bucketNames     = []byte("net.names")
	bucketEndpoints = []byte("net.endpoints")
	bucketPorts     = []byte("net.ports")
)

// DefaultNetwork is the network containers join when they name none, as Docker's
// "bridge".
const DefaultNetwork = "bridge"

// Network is one private network.
type Network struct {
	ID      string
	Name    string
	Driver  string
	Subnet  netip.Prefix
	Gateway netip.Addr
	Bridge  string // bridge driver only
	// Parent is the host interface a macvlan or ipvlan network hangs off; Mode is its
	// mode (macvlan: bridge, private, vepa, passthru; ipvlan: l2, l3).
	Parent   string
	Mode     string
	Internal bool
	Labels   map[string]string
	Created  time.Time
}

// Endpoint is one container's attachment to one network.
type Endpoint struct {
	NetworkID   string
	ContainerID string
	IfName      string // inside the container: eth0, eth1, ...
	HostVeth    string
	Address     netip.Prefix
	MAC         string
	Aliases     []string
	// Names are what DNS answers for it: container name, short ID, hostname, aliases.
	Names []string
}

// Port is a published port: HostPort on HostIP (unspecified: every address) forwarded
// to ContainerPort of the container.
type Port struct {
	Proto         string // tcp or udp
	HostIP        netip.Addr
	HostPort      uint16
	ContainerPort uint16
}

// Config wires a Manager.
type Config struct {
	Root   string // state root: IPAM files under Root/net
	RunDir string // runtime dir: namespaces under RunDir/netns
	Tag    string // the root's tag, in every host object's name
	DB     *bolt.DB
	DNS    *dns.Server
	Log    *slog.Logger
	Pools  []Pool // nil: DefaultPools
}

// Manager creates networks and attaches containers to them.
type Manager struct {
	c  Config
	fw *firewall.Firewall

	// mu serializes changes, so firewall state and records move together.
	mu    sync.Mutex
	ipams map[string]*ipam
	holds map[string][]*os.File // published host ports held by container
}

// Open returns a Manager and brings back what a previous daemon set up: bridges (after
// a reboot), the firewall rules, and removes bridges and veths of this root that no
// record names (a crash).
func Open(c Config) (*Manager, error) {
	if c.Pools == nil {
		c.Pools = DefaultPools
	}
	m := &Manager{c: c, fw: firewall.New(c.Tag, c.Log), ipams: map[string]*ipam{}, holds: map[string][]*os.File{}}
	err := c.DB.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketNetworks, bucketNames, bucketEndpoints, bucketPorts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ensureSharedDir(m.netnsDir()); err != nil {
		return nil, err
	}
	// Routing between bridges and off the host needs forwarding on, as Docker turns it on.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return nil, fmt.Errorf("enable IPv4 forwarding: %w", err)
	}
	nets, err := m.Networks()
	if err != nil {
		return nil, err
	}
	for _, n := range nets {
		if err := ensureBridge(n); err != nil {
			return nil, fmt.Errorf("restore network %s: %w", n.Name, err)
		}
	}
	m.sweep(nets)
	if _, err := m.Network(DefaultNetwork); errdefs.IsNotFound(err) {
		if _, err := m.Create(context.Background(), NetworkSpec{Name: DefaultNetwork}); err != nil {
			return nil, fmt.Errorf("create the default network: %w", err)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.applyLocked(); err != nil {
		return nil, err
	}
	return m, nil
}

// Close releases held ports and IPAM files; networks and rules stay.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, hs := range m.holds {
		for _, h := range hs {
			h.Close()
		}
	}
	for _, i := range m.ipams {
		i.close()
	}
}

func (m *Manager) netnsDir() string { return filepath.Join(m.c.RunDir, "netns") }

// NetnsPath is where a container's network namespace is pinned.
func (m *Manager) NetnsPath(containerID string) string {
	return filepath.Join(m.netnsDir(), containerID)
}

func (m *Manager) bridgePrefix() string { return "br" + m.c.Tag[:5] + "-" }
func (m *Manager) vethPrefix() string   { return "ve" + m.c.Tag[:5] }

// sweep deletes bridges and host veths of this root that no record names.
func (m *Manager) sweep(nets []Network) {
	links, err := dump(netlink.LinkList)
	if err != nil {
		return
	}
	eps, _ := m.allEndpoints()
	for _, l := range links {
		name := l.Attrs().Name
		switch {
		case strings.HasPrefix(name, m.bridgePrefix()):
			if !slices.ContainsFunc(nets, func(n Network) bool { return n.Bridge == name }) {
				m.c.Log.Info("removing leftover bridge", "bridge", name)
				_ = netlink.LinkDel(l)
			}
		case strings.HasPrefix(name, m.vethPrefix()):
			if !slices.ContainsFunc(eps, func(e Endpoint) bool { return e.HostVeth == name }) {
				m.c.Log.Info("removing leftover veth", "veth", name)
				_ = netlink.LinkDel(l)
			}
		}
	}
}

// NetworkSpec is what a user asks for in network create.
type NetworkSpec struct {
	Name   string
	Driver string // "" or "bridge", "macvlan", "ipvlan"
	// Options are the driver's -o options: parent=IF and macvlan_mode/ipvlan_mode.
	Options  map[string]string
	Subnet   netip.Prefix
	Gateway  netip.Addr
	Internal bool
	Labels   map[string]string
}

var validNetName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Create makes a network: a record, a subnet, a bridge.
func (m *Manager) Create(ctx context.Context, s NetworkSpec) (Network, error) {
	if !validNetName.MatchString(s.Name) {
		return Network{}, fmt.Errorf("invalid network name %q: use letters, digits, _ . -: %w", s.Name, errdefs.ErrInvalidArgument)
	}
	parent, mode, err := checkDriver(s)
	if err != nil {
		return Network{}, err
	}
	if s.Subnet.IsValid() && (!s.Subnet.Addr().Is4() || s.Subnet.Bits() > 30) {
		return Network{}, fmt.Errorf("invalid subnet %s: use an IPv4 subnet of /30 or larger: %w", s.Subnet, errdefs.ErrInvalidArgument)
	}
	if s.Gateway.IsValid() && (!s.Subnet.IsValid() || !s.Subnet.Contains(s.Gateway)) {
		return Network{}, fmt.Errorf("gateway %s is not in subnet %s: %w", s.Gateway, s.Subnet, errdefs.ErrInvalidArgument)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.Network(s.Name); err == nil {
		return Network{}, fmt.Errorf("network with name %s already exists: %w", s.Name, errdefs.ErrConflict)
	}
	unlock, err := lockHostWide()
	if err != nil {
		return Network{}, err
	}
	defer unlock()
	taken, err := hostPrefixes()
	if err != nil {
		return Network{}, err
	}
	nets, err := m.Networks()
	if err != nil {
		return Network{}, err
	}
	for _, n := range nets {
		taken = append(taken, n.Subnet)
	}
	subnet := s.Subnet.Masked()
	if parent != "" {
		// A macvlan or ipvlan network lives on the parent's own segment: its subnet is
		// expected to overlap the parent's route, only not another berth network.
		taken = nil
		for _, n := range nets {
			taken = append(taken, n.Subnet)
		}
	}
	if s.Subnet.IsValid() {
		for _, t := range taken {
			if subnet.Overlaps(t) {
				return Network{}, fmt.Errorf("subnet %s overlaps %s, already in use on this host; choose another --subnet: %w", subnet, t, errdefs.ErrConflict)
			}
		}
	} else if subnet, err = pickSubnet(m.c.Pools, taken); err != nil {
		return Network{}, fmt.Errorf("%v: %w", err, errdefs.ErrUnavailable)
	}
	gw := s.Gateway
	if !gw.IsValid() {
		gw = subnet.Addr().Next()
	}
	id := randomHex(64)
	n := Network{ID: id, Name: s.Name, Driver: "bridge", Subnet: subnet, Gateway: gw,
		Bridge: m.bridgePrefix() + id[:7], Internal: s.Internal, Labels: s.Labels, Created: time.Now().UTC()}
	if parent != "" {
		n.Driver, n.Bridge, n.Parent, n.Mode = s.Driver, "", parent, mode
	}
	if err := ensureBridge(n); err != nil {
		return Network{}, fmt.Errorf("create network %s: %w", n.Name, err)
	}
	err = m.c.DB.Update(func(tx *bolt.Tx) error {
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketNetworks).Put([]byte(id), b); err != nil {
			return err
		}
		return tx.Bucket(bucketNames).Put([]byte(n.Name), []byte(id))
	})
	if err != nil {
		deleteBridge(n.Bridge)
		return Network{}, err
	}
	if err := m.applyLocked(); err != nil && !m.appliedAnyway(err) {
		// The network goes again, so a failed create leaves nothing behind.
		_ = m.c.DB.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketNetworks).Delete([]byte(id)); err != nil {
				return err
			}
			return tx.Bucket(bucketNames).Delete([]byte(n.Name))
		})
		deleteBridge(n.Bridge)
		if rerr := m.applyLocked(); rerr != nil {
			m.c.Log.Warn("restore firewall after a failed network create", "network", n.Name, "err", rerr)
		}
		return Network{}, fmt.Errorf("create network %s: %w", n.Name, err)
	}
	m.c.Log.Info("created network", "network", n.Name, "subnet", n.Subnet, "bridge", n.Bridge)
	return n, nil
}

// Remove deletes a network that no container is attached to.
func (m *Manager) Remove(ctx context.Context, ref string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.Network(ref)
	if err != nil {
		return err
	}
	eps, err := m.endpointsOfNetwork(n.ID)
	if err != nil {
		return err
	}
	if len(eps) > 0 {
		return fmt.Errorf("network %s has %d active endpoints; disconnect or remove those containers first: %w", n.Name, len(eps), errdefs.ErrConflict)
	}
	err = m.c.DB.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketNames).Delete([]byte(n.Name)); err != nil {
			return err
		}
		return tx.Bucket(bucketNetworks).Delete([]byte(n.ID))
	})
	if err != nil {
		return err
	}
	deleteBridge(n.Bridge)
	if i, ok := m.ipams[n.ID]; ok {
		i.close()
		delete(m.ipams, n.ID)
	}
	_ = os.RemoveAll(filepath.Join(ipamDir(m.c.Root), n.ID))
	m.c.Log.Info("removed network", "network", n.Name)
	return m.applyLocked()
}

// Network finds a network by ID, name or unique ID prefix.
func (m *Manager) Network(ref string) (Network, error) {
	var n Network
	err := m.c.DB.View(func(tx *bolt.Tx) error {
		id := ref
		if v := tx.Bucket(bucketNames).Get([]byte(ref)); v != nil {
			id = string(v)
		}
		v := tx.Bucket(bucketNetworks).Get([]byte(id))
		if v == nil && len(ref) >= 4 {
			var found [][]byte
			c := tx.Bucket(bucketNetworks).Cursor()
			for k, val := c.Seek([]byte(ref)); k != nil && strings.HasPrefix(string(k), ref); k, val = c.Next() {
				found = append(found, val)
			}
			if len(found) == 1 {
				v = found[0]
			}
		}
		if v == nil {
			return fmt.Errorf("network %s not found: %w", ref, errdefs.ErrNotFound)
		}
		return json.Unmarshal(v, &n)
	})
	return n, err
}

// Networks lists every network.
func (m *Manager) Networks() ([]Network, error) {
	var out []Network
	err := m.c.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNetworks).ForEach(func(_, v []byte) error {
			var n Network
			if err := json.Unmarshal(v, &n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}

// Sandbox makes the network namespace a container will run in.
func (m *Manager) Sandbox(containerID string) (string, error) {
	p := m.NetnsPath(containerID)
	if _, err := os.Stat(p); err == nil {
		_ = deleteNetns(p) // a previous run's
	}
	return p, createNetns(p)
}

// RemoveSandbox disconnects the container from every network, releases its ports and
// removes its namespace.
func (m *Manager) RemoveSandbox(ctx context.Context, containerID string) error {
	eps, err := m.Endpoints(containerID)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range eps {
		// The veths go with the namespace, which the kernel tears down in the
		// background; deleting each one here would wait for it on every exit.
		errs = append(errs, m.disconnect(e.NetworkID, containerID, false))
	}
	errs = append(errs, m.Unpublish(containerID))
	m.c.DNS.Detach(containerID)
	errs = append(errs, deleteNetns(m.NetnsPath(containerID)))
	return errors.Join(errs...)
}

// EndpointSpec is how a container joins a network.
type EndpointSpec struct {
	Names   []string // container name, short ID, hostname: what DNS answers for it
	Aliases []string
	IP      netip.Addr // requested address, if any
}

// Connect attaches a container's namespace to a network: a veth into the bridge, an
// address, a default route (first network that has one), and DNS names.
func (m *Manager) Connect(ctx context.Context, ref, containerID string, s EndpointSpec) (Endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.Network(ref)
	if err != nil {
		return Endpoint{}, err
	}
	if _, err := m.endpoint(n.ID, containerID); err == nil {
		return Endpoint{}, fmt.Errorf("container %s is already connected to network %s: %w", containerID[:12], n.Name, errdefs.ErrConflict)
	}
	nsPath := m.NetnsPath(containerID)
	if _, err := os.Stat(nsPath); err != nil {
		return Endpoint{}, fmt.Errorf("container %s has no network namespace (network mode none, host or container?): %w", containerID[:12], errdefs.ErrConflict)
	}
	existing, err := m.Endpoints(containerID)
	if err != nil {
		return Endpoint{}, err
	}
	if s.IP.IsValid() && !n.Subnet.Contains(s.IP) {
		return Endpoint{}, fmt.Errorf("address %s is not in network %s's subnet %s: %w", s.IP, n.Name, n.Subnet, errdefs.ErrInvalidArgument)
	}
	// The lowest free ethN: after a disconnect, len(existing) may name one in use.
	ifname := ""
	for i := 0; ifname == ""; i++ {
		name := fmt.Sprintf("eth%d", i)
		if !slices.ContainsFunc(existing, func(e Endpoint) bool { return e.IfName == name }) {
			ifname = name
		}
	}
	ia, err := m.ipamLocked(n)
	if err != nil {
		return Endpoint{}, err
	}
	addr, err := ia.get(containerID, ifname, s.IP)
	if err != nil {
		return Endpoint{}, fmt.Errorf("allocate an address on %s: %v: %w", n.Name, err, errdefs.ErrConflict)
	}
	addr = netip.PrefixFrom(addr.Addr(), n.Subnet.Bits())
	ep := Endpoint{NetworkID: n.ID, ContainerID: containerID, IfName: ifname,
		HostVeth: m.vethPrefix() + randomHex(8), Address: addr, Aliases: s.Aliases,
		Names: dedupe(append(slices.Clone(s.Names), s.Aliases...))}
	defaultRoute := !n.Internal && !slices.ContainsFunc(existing, func(e Endpoint) bool {
		en, err := m.Network(e.NetworkID)
		return err == nil && !en.Internal
	})
	if err := m.plumb(n, &ep, nsPath, defaultRoute); err != nil {
		_ = ia.release(containerID, ifname)
		return Endpoint{}, fmt.Errorf("connect to %s: %w", n.Name, err)
	}
	if err := m.putEndpoint(ep); err != nil {
		_ = netlink.LinkDel(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ep.HostVeth}})
		_ = ia.release(containerID, ifname)
		return Endpoint{}, err
	}
	m.publishDNSLocked(containerID)
	m.c.Log.Info("connected container", "container", containerID[:12], "network", n.Name, "address", addr)
	return ep, nil
}

// plumb makes the veth pair and configures both ends.
func (m *Manager) plumb(n Network, ep *Endpoint, nsPath string, defaultRoute bool) error {
	if n.Parent != "" {
		return plumbSublink(n, ep, nsPath, defaultRoute)
	}
	err := ns.WithNetNSPath(nsPath, func(host ns.NetNS) error {
		_, cont, err := ip.SetupVethWithName(ep.IfName, ep.HostVeth, 1500, "", host)
		if err != nil {
			return err
		}
		ep.MAC = cont.HardwareAddr.String()
		link, err := netlink.LinkByName(ep.IfName)
		if err != nil {
			return err
		}
		ipn := &net.IPNet{IP: net.IP(ep.Address.Addr().AsSlice()), Mask: net.CIDRMask(ep.Address.Bits(), 32)}
		if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: ipn}); err != nil {
			return fmt.Errorf("add address: %w", err)
		}
		if err := netlink.LinkSetUp(link); err != nil {
			return err
		}
		if defaultRoute {
			gw := net.IP(n.Gateway.AsSlice())
			if err := netlink.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw}); err != nil {
				return fmt.Errorf("add default route: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	hv, err := netlink.LinkByName(ep.HostVeth)
	if err != nil {
		return err
	}
	br, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		_ = netlink.LinkDel(hv)
		return fmt.Errorf("bridge %s is gone: %w", n.Bridge, err)
	}
	if err := netlink.LinkSetMaster(hv, br); err != nil {
		_ = netlink.LinkDel(hv)
		return err
	}
	// Hairpin lets a container reach itself through a published port.
	_ = netlink.LinkSetHairpin(hv, true)
	if err := netlink.LinkSetUp(hv); err != nil {
		_ = netlink.LinkDel(hv)
		return err
	}
	return nil
}

// Disconnect detaches a container from a network and releases its address.
func (m *Manager) Disconnect(ctx context.Context, ref, containerID string) error {
	return m.disconnect(ref, containerID, true)
}

func (m *Manager) disconnect(ref, containerID string, deleteLink bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.Network(ref)
	if err != nil {
		return err
	}
	ep, err := m.endpoint(n.ID, containerID)
	if err != nil {
		return err
	}
	switch {
	case !deleteLink:
	case ep.HostVeth == "":
		// A macvlan or ipvlan link lives only in the container's namespace.
		_ = ns.WithNetNSPath(m.NetnsPath(containerID), func(ns.NetNS) error {
			if l, err := netlink.LinkByName(ep.IfName); err == nil {
				return netlink.LinkDel(l)
			}
			return nil
		})
	default:
		if l, err := netlink.LinkByName(ep.HostVeth); err == nil {
			_ = netlink.LinkDel(l) // its peer in the container goes with it
		}
	}
	ia, err := m.ipamLocked(n)
	if err == nil {
		err = ia.release(containerID, ep.IfName)
	}
	if err != nil {
		m.c.Log.Warn("release address", "network", n.Name, "container", containerID[:12], "err", err)
	}
	if err := m.deleteEndpoint(n.ID, containerID); err != nil {
		return err
	}
	m.publishDNSLocked(containerID)
	m.c.DNS.Unpublish(containerID, n.ID)
	m.c.Log.Info("disconnected container", "container", containerID[:12], "network", n.Name)
	// Published ports point at the first endpoint: only then do the rules change.
	if ports, err := m.Ports(containerID); err != nil || len(ports) == 0 {
		return err
	}
	return m.applyLocked()
}

// publishDNSLocked brings DNS in step with the container's endpoints.
func (m *Manager) publishDNSLocked(containerID string) {
	eps, _ := m.Endpoints(containerID)
	var nets []string
	for _, e := range eps {
		nets = append(nets, e.NetworkID)
		m.c.DNS.Publish(containerID, dns.Record{Network: e.NetworkID, Names: e.Names, IPv4: e.Address.Addr()})
	}
	m.c.DNS.SetNetworks(containerID, nets)
}

// ServeDNS publishes the container's names and starts answering its DNS queries inside
// its namespace. A restarted daemon calls it for every running container.
func (m *Manager) ServeDNS(containerID string) error {
	m.mu.Lock()
	m.publishDNSLocked(containerID)
	m.mu.Unlock()
	return m.c.DNS.Attach(containerID, m.NetnsPath(containerID))
}

func (m *Manager) ipamLocked(n Network) (*ipam, error) {
	if i, ok := m.ipams[n.ID]; ok {
		return i, nil
	}
	i, err := openIPAM(ipamDir(m.c.Root), n.ID, n.Subnet, n.Gateway)
	if err != nil {
		return nil, err
	}
	m.ipams[n.ID] = i
	return i, nil
}

func (m *Manager) putEndpoint(e Endpoint) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return m.c.DB.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEndpoints).Put([]byte(e.NetworkID+"/"+e.ContainerID), b)
	})
}

func (m *Manager) deleteEndpoint(netID, containerID string) error {
	return m.c.DB.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEndpoints).Delete([]byte(netID + "/" + containerID))
	})
}

func (m *Manager) endpoint(netID, containerID string) (Endpoint, error) {
	var e Endpoint
	err := m.c.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketEndpoints).Get([]byte(netID + "/" + containerID))
		if v == nil {
			return fmt.Errorf("container %s is not connected to the network: %w", containerID[:min(12, len(containerID))], errdefs.ErrNotFound)
		}
		return json.Unmarshal(v, &e)
	})
	return e, err
}

func (m *Manager) allEndpoints() ([]Endpoint, error) {
	var out []Endpoint
	err := m.c.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEndpoints).ForEach(func(_, v []byte) error {
			var e Endpoint
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// Endpoints lists a container's attachments, in the order it joined them.
func (m *Manager) Endpoints(containerID string) ([]Endpoint, error) {
	all, err := m.allEndpoints()
	if err != nil {
		return nil, err
	}
	var out []Endpoint
	for _, e := range all {
		if e.ContainerID == containerID {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.IfName, b.IfName) })
	return out, nil
}

func (m *Manager) endpointsOfNetwork(netID string) ([]Endpoint, error) {
	all, err := m.allEndpoints()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(e Endpoint) bool { return e.NetworkID != netID }), nil
}

// EndpointsOfNetwork lists the containers attached to a network.
func (m *Manager) EndpointsOfNetwork(ref string) ([]Endpoint, error) {
	n, err := m.Network(ref)
	if err != nil {
		return nil, err
	}
	return m.endpointsOfNetwork(n.ID)
}

func ensureBridge(n Network) error {
	if n.Bridge == "" {
		return nil // macvlan and ipvlan networks have no bridge
	}
	l, err := netlink.LinkByName(n.Bridge)
	if err != nil {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge, MTU: 1500}}
		if err := netlink.LinkAdd(br); err != nil {
			return fmt.Errorf("add bridge %s: %w", n.Bridge, err)
		}
		if l, err = netlink.LinkByName(n.Bridge); err != nil {
			return err
		}
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.IP(n.Gateway.AsSlice()), Mask: net.CIDRMask(n.Subnet.Bits(), 32)}}
	if err := netlink.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("address bridge %s: %w", n.Bridge, err)
	}
	return netlink.LinkSetUp(l)
}

func deleteBridge(name string) {
	if name == "" {
		return
	}
	if l, err := netlink.LinkByName(name); err == nil {
		_ = netlink.LinkDel(l)
	}
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
