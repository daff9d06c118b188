package project

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/network"
)

// ports reads expose: and ports: into the exposed ports and their host bindings. A port
// without a published port gets a random host port (HostPort ""); a published range
// ("8000-8010" for one target) is left for the engine to pick from, as Docker does.
func ports(path string, svc types.ServiceConfig) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	if err := exposedPorts(path, svc.Expose, exposed); err != nil {
		return nil, nil, err
	}
	bindings := network.PortMap{}
	for i, pc := range svc.Ports {
		key := fmt.Sprintf("%s.ports[%d]", path, i)
		proto := strings.ToLower(pc.Protocol)
		if proto == "" {
			proto = string(network.TCP)
		}
		if pc.Target == 0 || pc.Target > 65535 {
			return nil, nil, invalid(key, "target %d is not a port; use 1-65535", pc.Target)
		}
		port, ok := network.PortFrom(uint16(pc.Target), network.IPProtocol(proto))
		if !ok || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return nil, nil, invalid(key, "protocol %q: use tcp, udp or sctp", pc.Protocol)
		}
		if !validPublished(pc.Published) {
			return nil, nil, invalid(key, "published %q is not a port or range; use e.g. \"8080\" or \"8000-8010\"", pc.Published)
		}
		ip, err := parseAddr(pc.HostIP)
		if err != nil {
			return nil, nil, invalid(key, "host_ip %q is not an IP address", pc.HostIP)
		}
		exposed[port] = struct{}{}
		b := network.PortBinding{HostIP: ip, HostPort: pc.Published}
		if !slices.Contains(bindings[port], b) {
			bindings[port] = append(bindings[port], b)
		}
	}
	for _, bs := range bindings {
		slices.SortFunc(bs, func(a, b network.PortBinding) int {
			if c := a.HostIP.Compare(b.HostIP); c != 0 {
				return c
			}
			return strings.Compare(a.HostPort, b.HostPort)
		})
	}
	if len(exposed) == 0 {
		exposed = nil
	}
	if len(bindings) == 0 {
		bindings = nil
	}
	return exposed, bindings, nil
}

func validPublished(s string) bool {
	if s == "" {
		return true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil || a == 0 {
		return false
	}
	if !isRange {
		return true
	}
	b, err := strconv.ParseUint(hi, 10, 16)
	return err == nil && b >= a
}

// parseAddr reads an IP address, "" as the zero Addr, "[::1]" as ::1.
func parseAddr(s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return netip.ParseAddr(s)
}

// exposedPorts adds the ports of expose:, "3000", "3000/udp" or "3000-3005".
func exposedPorts(path string, expose []string, set network.PortSet) error {
	for i, e := range expose {
		pr, err := network.ParsePortRange(e)
		if err != nil {
			return invalid(fmt.Sprintf("%s.expose[%d]", path, i), "%q is not a port; use PORT[/PROTOCOL] or START-END[/PROTOCOL]", e)
		}
		for p := range pr.All() {
			set[p] = struct{}{}
		}
	}
	return nil
}
