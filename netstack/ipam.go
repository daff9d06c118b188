package netstack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/plugins/plugins/ipam/host-local/backend/allocator"
	"github.com/containernetworking/plugins/plugins/ipam/host-local/backend/disk"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// DefaultPools are where networks without --subnet get theirs, as in Docker: the /16s of
// 172.17.0.0/12, then the /20s of 192.168.0.0/16.
var DefaultPools = []Pool{
	{Base: netip.MustParsePrefix("172.17.0.0/16"), Last: netip.MustParsePrefix("172.31.0.0/16"), Size: 16},
	{Base: netip.MustParsePrefix("192.168.0.0/20"), Last: netip.MustParsePrefix("192.168.240.0/20"), Size: 20},
}

// Pool is a run of equal-sized subnets, from Base to Last inclusive.
type Pool struct {
	Base, Last netip.Prefix
	Size       int
}

// subnets lists a pool's subnets in order.
func (p Pool) subnets() []netip.Prefix {
	var out []netip.Prefix
	step := uint32(1) << (32 - p.Size)
	a := p.Base.Addr().As4()
	last := p.Last.Addr().As4()
	cur, end := be32(a), be32(last)
	for ; cur <= end; cur += step {
		out = append(out, netip.PrefixFrom(fromBe32(cur), p.Size))
		if cur+step < cur {
			break
		}
	}
	return out
}

func be32(a [4]byte) uint32 {
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}
func fromBe32(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// hostPrefixes are the IPv4 routes and addresses the host has: a new subnet must not
// overlap any of them (other roots' bridges included).
func hostPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	routes, err := dump(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil {
			continue // the default route overlaps everything and blocks nothing
		}
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p.Masked())
		}
	}
	addrs, err := dump(func() ([]netlink.Addr, error) { return netlink.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP.To4())
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}

// pickSubnet returns the first pool subnet overlapping none of taken.
func pickSubnet(pools []Pool, taken []netip.Prefix) (netip.Prefix, error) {
	for _, p := range pools {
		for _, s := range p.subnets() {
			free := true
			for _, t := range taken {
				if s.Overlaps(t) {
					free = false
					break
				}
			}
			if free {
				return s, nil
			}
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free subnet left in the address pools; remove unused networks (berth network prune) or give --subnet")
}

// lockHostWide takes the lock every berth root holds while it picks a subnet and makes
// its bridge, so two roots never pick the same one.
func lockHostWide() (func(), error) {
	if err := os.MkdirAll("/run/berth-locks", 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile("/run/berth-locks/subnets.lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// ipam hands out addresses of one network with host-local's allocator and store.
type ipam struct {
	store *disk.Store
	alloc *allocator.IPAllocator
}

func openIPAM(dir, netID string, subnet netip.Prefix, gateway netip.Addr) (*ipam, error) {
	store, err := disk.New(netID, dir)
	if err != nil {
		return nil, fmt.Errorf("open ipam store: %w", err)
	}
	_, ipn, _ := net.ParseCIDR(subnet.String())
	rs := allocator.RangeSet{{Subnet: types.IPNet(*ipn), Gateway: net.IP(gateway.AsSlice())}}
	if err := rs.Canonicalize(); err != nil {
		store.Close()
		return nil, fmt.Errorf("ipam range: %w", err)
	}
	return &ipam{store: store, alloc: allocator.NewIPAllocator(&rs, store, 0)}, nil
}

// get returns the address of id (the one it has, else a new one, else want).
func (i *ipam) get(id, ifname string, want netip.Addr) (netip.Prefix, error) {
	if err := i.store.Lock(); err != nil {
		return netip.Prefix{}, err
	}
	defer i.store.Unlock()
	if ips := i.store.GetByID(id, ifname); len(ips) > 0 {
		// Already allocated (a restart after a crash): keep it.
		a, _ := netip.AddrFromSlice(ips[0].To4())
		return netip.PrefixFrom(a, 0), nil
	}
	var req net.IP
	if want.IsValid() {
		req = net.IP(want.AsSlice())
	}
	cfg, err := i.alloc.Get(id, ifname, req)
	if err != nil {
		return netip.Prefix{}, err
	}
	p, _ := prefixOf(&cfg.Address)
	return p, nil
}

func (i *ipam) release(id, ifname string) error {
	if err := i.store.Lock(); err != nil {
		return err
	}
	defer i.store.Unlock()
	return i.store.ReleaseByID(id, ifname)
}

func (i *ipam) close() { i.store.Close() }

func ipamDir(root string) string { return filepath.Join(root, "net", "ipam") }

// dump runs a netlink dump again when the kernel says the table changed while it was
// read (containers' namespaces come and go all the time), up to a few times.
func dump[T any](list func() ([]T, error)) ([]T, error) {
	for range 4 {
		out, err := list()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
	}
	return list()
}
