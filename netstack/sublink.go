package netstack

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// checkDriver validates a network's driver and options and returns, for macvlan and
// ipvlan, the parent interface and mode.
func checkDriver(s NetworkSpec) (parent, mode string, err error) {
	switch s.Driver {
	case "", "bridge":
		for k := range s.Options {
			if k != "com.docker.network.bridge.name" {
				return "", "", fmt.Errorf("option %q is not supported by the bridge driver: %w", k, errdefs.ErrInvalidArgument)
			}
		}
		return "", "", nil
	case "macvlan", "ipvlan":
	default:
		return "", "", fmt.Errorf("network driver %q is not supported; use bridge, macvlan or ipvlan: %w", s.Driver, errdefs.ErrInvalidArgument)
	}
	modeKey, modes := "macvlan_mode", []string{"bridge", "private", "vepa", "passthru"}
	if s.Driver == "ipvlan" {
		modeKey, modes = "ipvlan_mode", []string{"l2", "l3"}
	}
	mode = modes[0]
	for k, v := range s.Options {
		switch k {
		case "parent":
			parent = v
		case modeKey:
			mode = v
			ok := false
			for _, m := range modes {
				ok = ok || m == v
			}
			if !ok {
				return "", "", fmt.Errorf("invalid %s %q; use one of %v: %w", modeKey, v, modes, errdefs.ErrInvalidArgument)
			}
		default:
			return "", "", fmt.Errorf("option %q is not supported by the %s driver; use parent and %s: %w", k, s.Driver, modeKey, errdefs.ErrInvalidArgument)
		}
	}
	if parent == "" {
		return "", "", fmt.Errorf("a %s network needs its host interface: give -o parent=IF, e.g. -o parent=eth0: %w", s.Driver, errdefs.ErrInvalidArgument)
	}
	if _, err := netlink.LinkByName(parent); err != nil {
		return "", "", fmt.Errorf("parent interface %q of the %s network does not exist on this host: %w", parent, s.Driver, errdefs.ErrInvalidArgument)
	}
	if s.Internal {
		return "", "", fmt.Errorf("a %s network cannot be internal: its containers sit on the parent's segment: %w", s.Driver, errdefs.ErrInvalidArgument)
	}
	if err := probeSublink(s.Driver, parent); err != nil {
		return "", "", err
	}
	return parent, mode, nil
}

// probeSublink makes and removes one link of the driver on parent, so a kernel without
// the driver fails the network's creation, not every container start on it.
func probeSublink(driver, parent string) error {
	p, err := netlink.LinkByName(parent)
	if err != nil {
		return err
	}
	attrs := netlink.LinkAttrs{Name: "bprobe" + randomHex(8), ParentIndex: p.Attrs().Index}
	var l netlink.Link = &netlink.Macvlan{LinkAttrs: attrs, Mode: netlink.MACVLAN_MODE_BRIDGE}
	if driver == "ipvlan" {
		l = &netlink.IPVlan{LinkAttrs: attrs, Mode: netlink.IPVLAN_MODE_L2}
	}
	if err := netlink.LinkAdd(l); err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("this kernel has no %s support (CONFIG_%s is not set); use a bridge or macvlan network: %w", driver, strings.ToUpper(driver), errdefs.ErrNotImplemented)
		}
		return fmt.Errorf("%s on %s: %v: %w", driver, parent, err, errdefs.ErrInvalidArgument)
	}
	return netlink.LinkDel(l)
}

// plumbSublink gives the container a macvlan or ipvlan interface on the network's
// parent: made in the host namespace on the parent, moved into the container's, then
// named, addressed and routed there.
func plumbSublink(n Network, ep *Endpoint, nsPath string, defaultRoute bool) error {
	parent, err := netlink.LinkByName(n.Parent)
	if err != nil {
		return fmt.Errorf("parent interface %s: %w", n.Parent, err)
	}
	attrs := netlink.LinkAttrs{Name: ep.HostVeth, ParentIndex: parent.Attrs().Index, MTU: parent.Attrs().MTU}
	var link netlink.Link
	if n.Driver == "ipvlan" {
		mode := netlink.IPVLAN_MODE_L2
		if n.Mode == "l3" {
			mode = netlink.IPVLAN_MODE_L3
		}
		link = &netlink.IPVlan{LinkAttrs: attrs, Mode: mode}
	} else {
		modes := map[string]netlink.MacvlanMode{"bridge": netlink.MACVLAN_MODE_BRIDGE, "private": netlink.MACVLAN_MODE_PRIVATE,
			"vepa": netlink.MACVLAN_MODE_VEPA, "passthru": netlink.MACVLAN_MODE_PASSTHRU}
		link = &netlink.Macvlan{LinkAttrs: attrs, Mode: modes[n.Mode]}
	}
	if err := netlink.LinkAdd(link); err != nil {
		return fmt.Errorf("add %s link on %s: %w", n.Driver, n.Parent, err)
	}
	target, err := ns.GetNS(nsPath)
	if err != nil {
		_ = netlink.LinkDel(link)
		return err
	}
	defer target.Close()
	if err := netlink.LinkSetNsFd(link, int(target.Fd())); err != nil {
		_ = netlink.LinkDel(link)
		return fmt.Errorf("move %s link into the container: %w", n.Driver, err)
	}
	// From here on the link lives in the container's namespace and goes with it.
	ep.HostVeth = ""
	return target.Do(func(ns.NetNS) error {
		l, err := netlink.LinkByName(attrs.Name)
		if err != nil {
			return err
		}
		if err := netlink.LinkSetName(l, ep.IfName); err != nil {
			return err
		}
		ep.MAC = l.Attrs().HardwareAddr.String()
		ipn := &net.IPNet{IP: net.IP(ep.Address.Addr().AsSlice()), Mask: net.CIDRMask(ep.Address.Bits(), 32)}
		if err := netlink.AddrAdd(l, &netlink.Addr{IPNet: ipn}); err != nil {
			return fmt.Errorf("add address: %w", err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			return err
		}
		if defaultRoute {
			if err := netlink.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: net.IP(n.Gateway.AsSlice())}); err != nil {
				return fmt.Errorf("add default route: %w", err)
			}
		}
		return nil
	})
}
