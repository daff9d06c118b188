package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/network"
)

// publishUsage is the fix offered for every malformed --publish value.
const publishUsage = "use [IP:][HOST:]CONTAINER[/PROTO], e.g. 8080:80"

// parsePublish parses -p values into the ports to expose and their host bindings, as the
// docker CLI does (go-connections/nat.ParsePortSpecs after convertToStandardNotation):
// "80" binds a random host port, "8080:80" a fixed one, "127.0.0.1::80" a random port on
// one address, "8000-8001:80-81" pairs two ranges, "8000-8010:80" picks a free host port
// from a range, and "target=80,published=8080,protocol=udp" is the long form.
func parsePublish(specs []string) (network.PortSet, network.PortMap, error) {
	if len(specs) == 0 {
		return nil, nil, nil
	}
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for _, spec := range specs {
		std, err := publishStandardNotation(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --publish %q: %s; use target=PORT[,published=PORT][,protocol=tcp|udp|sctp], e.g. target=80,published=8080", spec, err)
		}
		mappings, err := parsePortSpec(std)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid --publish %q: %s (%s)", spec, publishUsage, err)
		}
		for _, m := range mappings {
			exposed[m.port] = struct{}{}
			bindings[m.port] = append(bindings[m.port], m.binding)
		}
	}
	return exposed, bindings, nil
}

// publishStandardNotation turns docker's long form "target=80,published=8080" into
// "8080:80/tcp"; any other value is returned as it is.
func publishStandardNotation(spec string) (string, error) {
	if !strings.Contains(spec, "=") {
		return spec, nil
	}
	params := map[string]string{"protocol": "tcp"}
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok || k == "" {
			return "", fmt.Errorf("%q is not NAME=VALUE", field)
		}
		switch k {
		case "target", "published", "protocol", "mode", "host_ip":
		default:
			return "", fmt.Errorf("unknown field %q", k)
		}
		params[k] = v
	}
	if params["target"] == "" {
		return "", fmt.Errorf("target is missing")
	}
	out := fmt.Sprintf("%s:%s/%s", params["published"], params["target"], params["protocol"])
	if ip := params["host_ip"]; ip != "" {
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		out = ip + ":" + out
	}
	return out, nil
}

// portMapping is one container port and the host address it is published on.
type portMapping struct {
	port    network.Port
	binding network.PortBinding
}

// parsePortSpec is go-connections/nat.ParsePortSpec: [IP:][HOST:]CONTAINER[/PROTO], with
// ranges on either side. Its errors say what is wrong; the caller adds the usage.
func parsePortSpec(raw string) ([]portMapping, error) {
	ipStr, hostPort, ctrPort := splitPortParts(raw)
	proto, ctrPort := splitProtoPort(ctrPort)

	var ip netip.Addr
	if ipStr != "" {
		s := ipStr
		if strings.HasPrefix(s, "[") {
			if !strings.HasSuffix(s, "]") {
				return nil, fmt.Errorf("%q is not an IP address", ipStr)
			}
			s = s[1 : len(s)-1]
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is not an IP address", ipStr)
		}
		ip = a.Unmap()
	}
	if ctrPort == "" {
		return nil, fmt.Errorf("no container port")
	}
	start, end, err := parsePortRange(ctrPort)
	if err != nil {
		return nil, fmt.Errorf("container port: %w", err)
	}
	if start == 0 {
		return nil, fmt.Errorf("container port 0 is not a port")
	}
	var hostStart, hostEnd uint64
	if hostPort != "" {
		hostStart, hostEnd, err = parsePortRange(hostPort)
		if err != nil {
			return nil, fmt.Errorf("host port: %w", err)
		}
		// A host range may be longer than a single container port: the daemon picks a
		// free port from it. Two ranges must have the same length.
		if end-start != hostEnd-hostStart && end != start {
			return nil, fmt.Errorf("container ports %s and host ports %s are ranges of different lengths", ctrPort, hostPort)
		}
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("unknown protocol %q; use tcp, udp or sctp", proto)
	}

	var out []portMapping
	for i := uint64(0); i <= end-start; i++ {
		hp := ""
		if hostPort != "" {
			hp = strconv.FormatUint(hostStart+i, 10)
			if start == end && hostStart != hostEnd {
				hp = fmt.Sprintf("%d-%d", hostStart, hostEnd)
			}
		}
		p, _ := network.PortFrom(uint16(start+i), network.IPProtocol(proto))
		out = append(out, portMapping{port: p, binding: network.PortBinding{HostIP: ip, HostPort: hp}})
	}
	return out, nil
}

// splitPortParts splits IP, host port and container port on colons; an IPv6 address keeps
// its colons because the last two parts are always the ports.
func splitPortParts(raw string) (ip, host, ctr string) {
	parts := strings.Split(raw, ":")
	n := len(parts)
	ctr = parts[n-1]
	switch n {
	case 1:
		return "", "", ctr
	case 2:
		return "", parts[0], ctr
	case 3:
		return parts[0], parts[1], ctr
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], ctr
	}
}

// splitProtoPort splits "80/udp" into "udp" and "80"; the protocol defaults to tcp.
func splitProtoPort(raw string) (proto, port string) {
	port, proto, ok := strings.Cut(raw, "/")
	if port == "" {
		return "", ""
	}
	if !ok || proto == "" {
		return "tcp", port
	}
	return proto, port
}

// parsePortRange parses "80" or "8000-8010".
func parsePortRange(s string) (start, end uint64, _ error) {
	lo, hi, isRange := strings.Cut(s, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a port number from 1 to 65535", lo)
	}
	if !isRange {
		return start, start, nil
	}
	end, err = strconv.ParseUint(hi, 10, 16)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a port number from 1 to 65535", hi)
	}
	if end < start {
		return 0, 0, fmt.Errorf("range %s ends before it starts", s)
	}
	return start, end, nil
}

// parseExpose parses --expose values (PORT[/PROTO] or a range) into exposed ports.
func parseExpose(into network.PortSet, specs []string) (network.PortSet, error) {
	for _, spec := range specs {
		if strings.Contains(spec, ":") {
			return nil, fmt.Errorf("invalid --expose %q: expose takes a container port, not a mapping; use --publish for HOST:CONTAINER", spec)
		}
		proto, port := splitProtoPort(spec)
		start, end, err := parsePortRange(port)
		if err == nil && start == 0 {
			err = fmt.Errorf("port 0 is not a port")
		}
		if err != nil {
			return nil, fmt.Errorf("invalid --expose %q: %s; use PORT[/PROTO], e.g. 80 or 53/udp", spec, err)
		}
		proto = strings.ToLower(proto)
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return nil, fmt.Errorf("invalid --expose %q: unknown protocol %q; use tcp, udp or sctp", spec, proto)
		}
		if into == nil {
			into = network.PortSet{}
		}
		for p := start; p <= end; p++ {
			np, _ := network.PortFrom(uint16(p), network.IPProtocol(proto))
			into[np] = struct{}{}
		}
	}
	return into, nil
}
