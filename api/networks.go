package api

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine"
)

func (s *Server) networkRoutes() {
	m := s.mux
	m.HandleFunc("GET /networks", s.networkList)
	m.HandleFunc("GET /networks/{id}", s.networkInspect)
	m.HandleFunc("POST /networks/create", s.networkCreate)
	m.HandleFunc("DELETE /networks/{id}", s.networkRemove)
	m.HandleFunc("POST /networks/{id}/connect", s.networkConnect)
	m.HandleFunc("POST /networks/{id}/disconnect", s.networkDisconnect)
	m.HandleFunc("POST /networks/prune", s.networkPrune)
}

func networkJSON(n engine.Network) network.Network {
	labels := n.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	opts := map[string]string{"com.docker.network.bridge.name": n.Bridge}
	if n.Parent != "" {
		opts = map[string]string{"parent": n.Parent, n.Driver + "_mode": n.Mode}
	}
	return network.Network{
		Name: n.Name, ID: n.ID, Created: n.Created, Scope: "local", Driver: n.Driver,
		EnableIPv4: true, Internal: n.Internal,
		IPAM:    network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: n.Subnet, Gateway: n.Gateway}}},
		Options: opts,
		Labels:  labels,
	}
}

func (s *Server) networkInspectJSON(n engine.Network) (network.Inspect, error) {
	out := network.Inspect{Network: networkJSON(n), Containers: map[string]network.EndpointResource{}}
	eps, err := s.eng.NetworkEndpoints(n.ID)
	if err != nil {
		return out, err
	}
	for _, ep := range eps {
		name := ep.ContainerID[:12]
		if c, err := s.eng.Get(ep.ContainerID); err == nil {
			name = c.Name
		}
		mac, _ := netHardwareAddr(ep.MAC)
		out.Containers[ep.ContainerID] = network.EndpointResource{Name: name, EndpointID: ep.NetworkID[:12] + ep.ContainerID[:12],
			MacAddress: mac, IPv4Address: ep.Address}
	}
	return out, nil
}

func (s *Server) networkList(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilters(r, "name", "id", "label", "driver", "type")
	if err != nil {
		writeError(w, err)
		return
	}
	nets, err := s.eng.Networks()
	if err != nil {
		writeError(w, err)
		return
	}
	out := []network.Summary{}
	for _, n := range nets {
		match := f.any("name", func(v string) bool { return strings.Contains(n.Name, v) }) &&
			f.any("id", func(v string) bool { return strings.HasPrefix(n.ID, v) }) &&
			f.any("driver", func(v string) bool { return v == n.Driver }) &&
			f.any("type", func(v string) bool { return (v == "builtin") == (n.Name == engine.DefaultNetwork) })
		for _, l := range f["label"] {
			match = match && labelMatch(n.Labels)(l)
		}
		if match {
			out = append(out, network.Summary{Network: networkJSON(n)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) networkInspect(w http.ResponseWriter, r *http.Request) {
	n, err := s.eng.Network(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.networkInspectJSON(n)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) networkCreate(w http.ResponseWriter, r *http.Request) {
	var req network.CreateRequest
	if err := decodeJSON(w, r, "network create", &req); err != nil {
		writeError(w, err)
		return
	}
	spec := engine.NetworkSpec{Name: req.Name, Driver: req.Driver, Options: req.Options, Internal: req.Internal, Labels: req.Labels}
	if req.EnableIPv6 != nil && *req.EnableIPv6 {
		writeError(w, fmt.Errorf("IPv6 networks are not supported yet: %w", errdefs.ErrInvalidArgument))
		return
	}
	if req.IPAM != nil && len(req.IPAM.Config) > 0 {
		if len(req.IPAM.Config) > 1 {
			writeError(w, fmt.Errorf("a network has one subnet in berth: %w", errdefs.ErrInvalidArgument))
			return
		}
		spec.Subnet, spec.Gateway = req.IPAM.Config[0].Subnet, req.IPAM.Config[0].Gateway
	}
	n, err := s.eng.CreateNetwork(r.Context(), spec)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, network.CreateResponse{ID: n.ID})
}

func (s *Server) networkRemove(w http.ResponseWriter, r *http.Request) {
	if err := s.eng.RemoveNetwork(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) networkConnect(w http.ResponseWriter, r *http.Request) {
	var req network.ConnectRequest
	if err := decodeJSON(w, r, "connect", &req); err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.ConnectNetwork(r.Context(), r.PathValue("id"), req.Container, req.EndpointConfig); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) networkDisconnect(w http.ResponseWriter, r *http.Request) {
	var req network.DisconnectRequest
	if err := decodeJSON(w, r, "disconnect", &req); err != nil {
		writeError(w, err)
		return
	}
	if err := s.eng.DisconnectNetwork(r.Context(), r.PathValue("id"), req.Container, req.Force); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) networkPrune(w http.ResponseWriter, r *http.Request) {
	removed, err := s.eng.PruneNetworks(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, network.PruneReport{NetworksDeleted: removed})
}

// networkSettings is a container's NetworkSettings as docker inspect shows them.
func (s *Server) networkSettings(c *engine.Container) *container.NetworkSettings {
	ns := &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{}, Ports: network.PortMap{}}
	eps, _ := s.eng.Endpoints(c.ID)
	if len(eps) > 0 {
		ns.SandboxKey = s.eng.NetnsPath(c.ID)
	}
	for _, ep := range eps {
		n, err := s.eng.Network(ep.NetworkID)
		if err != nil {
			continue
		}
		mac, _ := netHardwareAddr(ep.MAC)
		ns.Networks[n.Name] = &network.EndpointSettings{
			Aliases: ep.Aliases, NetworkID: n.ID, EndpointID: n.ID[:12] + c.ID[:12],
			Gateway: n.Gateway, IPAddress: ep.Address.Addr(), IPPrefixLen: ep.Address.Bits(),
			MacAddress: mac, DNSNames: ep.Names,
		}
	}
	for p := range c.Config.ExposedPorts {
		ns.Ports[p] = nil
	}
	ports, _ := s.eng.Ports(c.ID)
	for _, p := range ports {
		key, err := network.ParsePort(fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto))
		if err != nil {
			continue
		}
		ip := p.HostIP
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		ns.Ports[key] = append(ns.Ports[key], network.PortBinding{HostIP: ip, HostPort: fmt.Sprint(p.HostPort)})
	}
	return ns
}

// portSummaries are docker ps's PORTS.
func (s *Server) portSummaries(c *engine.Container) []container.PortSummary {
	out := []container.PortSummary{}
	ports, _ := s.eng.Ports(c.ID)
	for _, p := range ports {
		ip := p.HostIP
		if !ip.IsValid() {
			ip = netip.IPv4Unspecified()
		}
		out = append(out, container.PortSummary{IP: ip, PrivatePort: p.ContainerPort, PublicPort: p.HostPort, Type: p.Proto})
	}
	return out
}

func netHardwareAddr(s string) (network.HardwareAddr, error) {
	var h network.HardwareAddr
	if s == "" {
		return h, nil
	}
	err := h.UnmarshalText([]byte(s))
	return h, err
}
