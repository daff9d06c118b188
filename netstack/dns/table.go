package dns

import (
	"net/netip"
	"slices"
	"strings"
)

// Record is what one container is called on one network, and its addresses
// there.
type Record struct {
	Network string     // network ID
	Names   []string   // container name (first: the PTR answer), short ID, hostname, aliases
	IPv4    netip.Addr // invalid when the container has none on this network
	IPv6    netip.Addr // invalid when the container has none on this network
}

// SetNetworks sets the networks id is on, which are the networks whose names
// it may resolve. An empty list makes it resolve no container names.
func (s *Server) SetNetworks(id string, networks []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(networks) == 0 {
		delete(s.networks, id)
		return
	}
	s.networks[id] = slices.Clone(networks)
}

// Publish makes r.Names resolve to r's addresses for the containers on
// r.Network, replacing what id published on that network before.
func (s *Server) Publish(id string, r Record) {
	names := make([]string, 0, len(r.Names))
	for _, n := range r.Names {
		if n = normalize(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	r.Names = names
	r.IPv4 = r.IPv4.Unmap()
	if r.IPv4.IsValid() && !r.IPv4.Is4() {
		s.log.Warn("dns: ignoring IPv4 that is not IPv4", "container", id, "network", r.Network, "ip", r.IPv4)
		r.IPv4 = netip.Addr{}
	}
	if r.IPv6.IsValid() && (!r.IPv6.Is6() || r.IPv6.Is4In6()) {
		s.log.Warn("dns: ignoring IPv6 that is not IPv6", "container", id, "network", r.Network, "ip", r.IPv6)
		r.IPv6 = netip.Addr{}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	byID := s.records[r.Network]
	if byID == nil {
		byID = make(map[string]Record)
		s.records[r.Network] = byID
	}
	byID[id] = r
}

// Unpublish removes id's names on network, as when id leaves it.
func (s *Server) Unpublish(id, network string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := s.records[network]
	delete(byID, id)
	if len(byID) == 0 {
		delete(s.records, network)
	}
}

// normalize gives the form names are compared in: lower case, no trailing dot.
func normalize(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// lookup returns the addresses name has on the networks asker is on, and
// whether name is known there at all (a known name without addresses of the
// wanted family answers NODATA, not NXDOMAIN). The same address reached
// through two networks is returned once.
func (s *Server) lookup(asker, name string) (v4, v6 []netip.Addr, found bool) {
	name = normalize(name)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, nw := range s.networks[asker] {
		for _, r := range s.records[nw] {
			if !slices.Contains(r.Names, name) {
				continue
			}
			found = true
			if r.IPv4.IsValid() && !slices.Contains(v4, r.IPv4) {
				v4 = append(v4, r.IPv4)
			}
			if r.IPv6.IsValid() && !slices.Contains(v6, r.IPv6) {
				v6 = append(v6, r.IPv6)
			}
		}
	}
	return v4, v6, found
}

// lookupAddr returns the first names of the records that have addr on the
// networks asker is on.
func (s *Server) lookupAddr(asker string, addr netip.Addr) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var names []string
	for _, nw := range s.networks[asker] {
		for _, r := range s.records[nw] {
			if len(r.Names) == 0 || (r.IPv4 != addr && r.IPv6 != addr) {
				continue
			}
			if !slices.Contains(names, r.Names[0]) {
				names = append(names, r.Names[0])
			}
		}
	}
	return names
}

// reverseAddr parses a PTR query name (in-addr.arpa or ip6.arpa, any case,
// with or without the trailing dot) into the address it asks about.
func reverseAddr(name string) (netip.Addr, bool) {
	name = normalize(name)
	if rest, ok := strings.CutSuffix(name, ".in-addr.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 4 {
			return netip.Addr{}, false
		}
		slices.Reverse(labels)
		a, err := netip.ParseAddr(strings.Join(labels, "."))
		if err != nil || !a.Is4() {
			return netip.Addr{}, false
		}
		return a, true
	}
	if rest, ok := strings.CutSuffix(name, ".ip6.arpa"); ok {
		labels := strings.Split(rest, ".")
		if len(labels) != 32 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i, l := range labels {
			if len(l) != 1 {
				return netip.Addr{}, false
			}
			v := strings.IndexByte("0123456789abcdef", l[0])
			if v < 0 {
				return netip.Addr{}, false
			}
			pos := 31 - i // labels run from the last nibble to the first
			if pos%2 == 0 {
				b[pos/2] |= byte(v) << 4
			} else {
				b[pos/2] |= byte(v)
			}
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}
