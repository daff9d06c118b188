package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// networkAttachment is one --network value: a network and, in the long form
// "name=NET,alias=A,ip=IP", the endpoint settings for it.
type networkAttachment struct {
	target  string
	aliases []string
	ipv4    string
	ipv6    string
}

// parseNetworkAttachment parses "NET" or docker's "name=NET,alias=A,ip=IP,ip6=IP".
func parseNetworkAttachment(v string) (networkAttachment, error) {
	if !strings.Contains(v, "=") {
		if v == "" {
			return networkAttachment{}, fmt.Errorf("invalid --network \"\": the network name is empty; use --network NAME, e.g. --network backend")
		}
		return networkAttachment{target: v}, nil
	}
	var n networkAttachment
	for _, field := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(field, "=")
		if !ok {
			return n, fmt.Errorf("invalid --network %q: %q is not KEY=VALUE; use name=NET[,alias=A][,ip=IP], e.g. name=backend,alias=db", v, field)
		}
		switch strings.ToLower(k) {
		case "name":
			n.target = val
		case "alias":
			n.aliases = append(n.aliases, val)
		case "ip":
			n.ipv4 = val
		case "ip6":
			n.ipv6 = val
		default:
			return n, fmt.Errorf("invalid --network %q: unknown key %q; use name, alias, ip or ip6", v, k)
		}
	}
	if n.target == "" {
		return n, fmt.Errorf("invalid --network %q: the network name is missing; add name=NET, e.g. name=backend", v)
	}
	return n, nil
}

// networking is what the network flags put into a create request.
type networking struct {
	mode   container.NetworkMode
	config *network.NetworkingConfig // nil when there is nothing to say
}

// parseNetworking turns --network, --network-alias, --ip and --ip6 into the network mode and
// endpoint settings, as docker ≥ 25 does: the first network is the network mode and gets
// the aliases and address; every user-defined network gets an endpoint.
func parseNetworking(values, aliases []string, ip, ip6 string) (networking, error) {
	var nets []networkAttachment
	for _, v := range values {
		n, err := parseNetworkAttachment(v)
		if err != nil {
			return networking{}, err
		}
		nets = append(nets, n)
	}
	if len(nets) == 0 {
		if len(aliases) > 0 || ip != "" || ip6 != "" {
			return networking{}, fmt.Errorf("%s: network-scoped aliases and addresses need a user-defined network; add --network NAME (create one with: berth network create NAME)", setFlagNames(aliases, ip, ip6))
		}
		return networking{}, nil
	}

	first := &nets[0]
	if len(aliases) > 0 {
		if len(first.aliases) > 0 {
			return networking{}, fmt.Errorf("conflicting options: cannot specify both --network-alias and per-network alias; use one of them")
		}
		first.aliases = append([]string(nil), aliases...)
	}
	if ip != "" {
		if first.ipv4 != "" {
			return networking{}, fmt.Errorf("conflicting options: cannot specify both --ip and per-network IPv4 address; use one of them")
		}
		first.ipv4 = ip
	}
	if ip6 != "" {
		if first.ipv6 != "" {
			return networking{}, fmt.Errorf("conflicting options: cannot specify both --ip6 and per-network IPv6 address; use one of them")
		}
		first.ipv6 = ip6
	}

	var userDefined, builtin bool
	endpoints := map[string]*network.EndpointSettings{}
	for i, n := range nets {
		mode := container.NetworkMode(n.target)
		if mode.IsUserDefined() {
			userDefined = true
		} else {
			builtin = true
		}
		if _, dup := endpoints[n.target]; dup {
			return networking{}, fmt.Errorf("network %q is specified multiple times; give each --network once", n.target)
		}
		ep, err := n.endpoint()
		if err != nil {
			return networking{}, err
		}
		if !mode.IsUserDefined() && (len(n.aliases) > 0 || n.ipv4 != "" || n.ipv6 != "") {
			what := "network-scoped alias is"
			if n.ipv4 != "" || n.ipv6 != "" {
				what = "user specified IP address is"
			}
			return networking{}, fmt.Errorf("--network %s: %s supported only for containers in user-defined networks; create one with: berth network create NAME", n.target, what)
		}
		// Host, none and container:NAME have no endpoint to configure; bridge and
		// user-defined networks get one, so the daemon sees every network asked for.
		if mode.IsHost() || mode.IsNone() || mode.IsContainer() {
			if i == 0 && len(nets) == 1 {
				continue
			}
		}
		endpoints[n.target] = ep
	}
	if userDefined && builtin {
		return networking{}, fmt.Errorf("conflicting options: cannot attach both user-defined and non-user-defined network-modes; use only networks made with berth network create, or a single --network host|none|bridge|container:NAME")
	}
	if mode := container.NetworkMode(nets[0].target); mode.IsContainer() && mode.ConnectedContainer() == "" {
		return networking{}, fmt.Errorf("invalid --network %q: the container is missing; use container:NAME", nets[0].target)
	}
	out := networking{mode: container.NetworkMode(nets[0].target)}
	if len(endpoints) > 0 {
		out.config = &network.NetworkingConfig{EndpointsConfig: endpoints}
	}
	return out, nil
}

// endpoint returns the endpoint settings of n, checking its addresses.
func (n networkAttachment) endpoint() (*network.EndpointSettings, error) {
	ep := &network.EndpointSettings{}
	if len(n.aliases) > 0 {
		ep.Aliases = n.aliases
	}
	if n.ipv4 == "" && n.ipv6 == "" {
		return ep, nil
	}
	ep.IPAMConfig = &network.EndpointIPAMConfig{}
	if n.ipv4 != "" {
		a, err := netip.ParseAddr(n.ipv4)
		if err != nil || !a.Is4() {
			return nil, fmt.Errorf("invalid --ip %q: not an IPv4 address; use an address in the network's subnet, e.g. 172.20.0.10", n.ipv4)
		}
		ep.IPAMConfig.IPv4Address = a
	}
	if n.ipv6 != "" {
		a, err := netip.ParseAddr(n.ipv6)
		if err != nil || !a.Is6() || a.Is4In6() {
			return nil, fmt.Errorf("invalid --ip6 %q: not an IPv6 address; use an address in the network's subnet, e.g. fd00::10", n.ipv6)
		}
		ep.IPAMConfig.IPv6Address = a
	}
	return ep, nil
}

// setFlagNames names the endpoint flags that were given, for an error message.
func setFlagNames(aliases []string, ip, ip6 string) string {
	var names []string
	if len(aliases) > 0 {
		names = append(names, "--network-alias")
	}
	if ip != "" {
		names = append(names, "--ip")
	}
	if ip6 != "" {
		names = append(names, "--ip6")
	}
	return strings.Join(names, " and ")
}
