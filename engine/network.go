package engine

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"berth/engine/runtime"
	"berth/netstack"
	"berth/store"
)

// netMode is how a container is networked.
type netMode struct {
	kind     string // "networks", "none", "host", "container"
	peer     string // container:NAME
	networks []string
}

// parseNetworkMode reads HostConfig.NetworkMode and the endpoints config, as Docker does:
// "", "default" and "bridge" mean the default network.
func (e *Engine) parseNetworkMode(hc *container.HostConfig, nc *network.NetworkingConfig) (netMode, error) {
	mode := string(hc.NetworkMode)
	var eps map[string]*network.EndpointSettings
	if nc != nil {
		eps = nc.EndpointsConfig
	}
	switch {
	case mode == "none" || mode == "host":
		if len(eps) > 0 && !(len(eps) == 1 && eps[mode] != nil) {
			return netMode{}, fmt.Errorf("container cannot be connected to other networks with network mode %s: %w", mode, errdefs.ErrInvalidArgument)
		}
		return netMode{kind: mode}, nil
	case strings.HasPrefix(mode, "container:"):
		if len(eps) > 0 {
			return netMode{}, fmt.Errorf("container sharing another's network cannot join networks: %w", errdefs.ErrInvalidArgument)
		}
		return netMode{kind: "container", peer: strings.TrimPrefix(mode, "container:")}, nil
	}
	first := mode
	if first == "" || first == "default" {
		first = netstack.DefaultNetwork
	}
	nets := []string{first}
	for name := range eps {
		if name != first && name != mode {
			nets = append(nets, name)
		}
	}
	slices.Sort(nets[1:])
	for _, n := range nets {
		if _, err := e.net.Network(n); err != nil {
			return netMode{}, fmt.Errorf("network %s not found; create it first (berth network create %s): %w", n, n, errdefs.ErrNotFound)
		}
	}
	return netMode{kind: "networks", networks: nets}, nil
}

// endpointSettings finds the endpoint config the user gave for network name.
func endpointSettings(c *store.Container, name string) *network.EndpointSettings {
	if c.Networking == nil {
		return nil
	}
	if s, ok := c.Networking.EndpointsConfig[name]; ok {
		return s
	}
	if name == netstack.DefaultNetwork {
		for _, k := range []string{string(c.HostConfig.NetworkMode), "default", ""} {
			if s, ok := c.Networking.EndpointsConfig[k]; ok {
				return s
			}
		}
	}
	return nil
}

// setupNetwork prepares the container's network before its process starts, so DNS and
// published ports work from its first instruction. It fills cfg's namespace settings.
func (e *Engine) setupNetwork(ctx context.Context, c *store.Container, cfg *runtime.Config) (err error) {
	mode, err := e.parseNetworkMode(c.HostConfig, c.Networking)
	if err != nil {
		return err
	}
	switch mode.kind {
	case "none":
		return nil
	case "host":
		cfg.HostNetwork = true
		return nil
	case "container":
		peer, err := e.containers.Get(mode.peer)
		if err != nil {
			return err
		}
		if peer.State.Status != "running" && peer.State.Status != "paused" {
			return fmt.Errorf("cannot join the network of container %s: it is not running: %w", peer.Name, errdefs.ErrConflict)
		}
		cfg.NetNS = fmt.Sprintf("/proc/%d/ns/net", peer.State.Pid)
		return nil
	}
	nsPath, err := e.net.Sandbox(c.ID)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = e.net.RemoveSandbox(context.Background(), c.ID)
		}
	}()
	cfg.NetNS = nsPath
	for _, name := range mode.networks {
		spec := netstack.EndpointSpec{Names: []string{c.Name, c.ID[:12], c.Config.Hostname}}
		if s := endpointSettings(c, name); s != nil {
			spec.Aliases = s.Aliases
			if s.IPAMConfig != nil {
				spec.IP = s.IPAMConfig.IPv4Address
			}
		}
		if _, err := e.net.Connect(ctx, name, c.ID, spec); err != nil {
			return err
		}
	}
	ports, err := portsOf(c.HostConfig, c.Config)
	if err != nil {
		return err
	}
	if _, err := e.net.Publish(c.ID, ports); err != nil {
		return err
	}
	if err := e.net.ServeDNS(c.ID); err != nil {
		return fmt.Errorf("start DNS for %s: %w", c.Name, err)
	}
	return writeResolvConf(c.Dir, true)
}

// portsOf turns Docker's port bindings (and -P) into published ports.
func portsOf(hc *container.HostConfig, cfg *container.Config) ([]netstack.Port, error) {
	var out []netstack.Port
	add := func(p network.Port, b network.PortBinding) error {
		hp := uint16(0)
		if b.HostPort != "" {
			n, err := strconv.ParseUint(b.HostPort, 10, 16)
			if err != nil {
				return fmt.Errorf("invalid host port %q: %w", b.HostPort, errdefs.ErrInvalidArgument)
			}
			hp = uint16(n)
		}
		if b.HostIP.IsValid() && !b.HostIP.Is4() && !b.HostIP.IsUnspecified() {
			return fmt.Errorf("publishing on IPv6 address %s is not supported yet: %w", b.HostIP, errdefs.ErrInvalidArgument)
		}
		ip := b.HostIP
		if ip.IsValid() && ip.IsUnspecified() {
			ip = netip.Addr{}
		}
		out = append(out, netstack.Port{Proto: string(p.Proto()), HostIP: ip, HostPort: hp, ContainerPort: p.Num()})
		return nil
	}
	for p, bs := range hc.PortBindings {
		for _, b := range bs {
			if err := add(p, b); err != nil {
				return nil, err
			}
		}
	}
	if hc.PublishAllPorts {
		for p := range cfg.ExposedPorts {
			if _, done := hc.PortBindings[p]; !done {
				if err := add(p, network.PortBinding{}); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// writeResolvConf points the container at the embedded DNS server when it has one.
func writeResolvConf(dir string, embedded bool) error {
	b := resolvConf()
	if embedded {
		var search []string
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && (f[0] == "search" || f[0] == "domain") {
				search = append(search, f[1:]...)
			}
		}
		s := "nameserver 127.0.0.11\noptions ndots:0\n"
		if len(search) > 0 {
			s += "search " + strings.Join(search, " ") + "\n"
		}
		b = []byte(s)
	}
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), b, 0o644)
}

// ConnectNetwork attaches a container to a network (docker network connect). A running
// container is attached at once; a stopped one when it next starts.
func (e *Engine) ConnectNetwork(ctx context.Context, netRef, ref string, s *network.EndpointSettings) error {
	e.refMu.RLock()
	defer e.refMu.RUnlock()
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	n, err := e.net.Network(netRef)
	if err != nil {
		return err
	}
	unlock := e.lock(c.ID)
	defer unlock()
	mode, err := e.parseNetworkMode(c.HostConfig, c.Networking)
	if err != nil {
		return err
	}
	if mode.kind != "networks" {
		return fmt.Errorf("container %s uses network mode %s and cannot join networks: %w", c.Name, mode.kind, errdefs.ErrConflict)
	}
	if s == nil {
		s = &network.EndpointSettings{}
	}
	if c.State.Status == container.StateRunning || c.State.Status == container.StatePaused {
		spec := netstack.EndpointSpec{Names: []string{c.Name, c.ID[:12], c.Config.Hostname}, Aliases: s.Aliases}
		if s.IPAMConfig != nil {
			spec.IP = s.IPAMConfig.IPv4Address
		}
		if _, err := e.net.Connect(ctx, n.ID, c.ID, spec); err != nil {
			return err
		}
	} else if slices.Contains(mode.networks, n.Name) {
		return fmt.Errorf("container %s is already connected to network %s: %w", c.Name, n.Name, errdefs.ErrConflict)
	}
	_, err = e.containers.Update(c.ID, func(r *store.Container) error {
		if r.Networking == nil {
			r.Networking = &network.NetworkingConfig{}
		}
		if r.Networking.EndpointsConfig == nil {
			r.Networking.EndpointsConfig = map[string]*network.EndpointSettings{}
		}
		r.Networking.EndpointsConfig[n.Name] = s
		return nil
	})
	if err == nil {
		e.publishNetwork(n, "connect", c.ID)
	}
	return err
}

// DisconnectNetwork detaches a container from a network (docker network disconnect).
func (e *Engine) DisconnectNetwork(ctx context.Context, netRef, ref string, force bool) error {
	c, err := e.containers.Get(ref)
	if err != nil {
		return err
	}
	n, err := e.net.Network(netRef)
	if err != nil {
		return err
	}
	unlock := e.lock(c.ID)
	defer unlock()
	if c.State.Status == container.StateRunning || c.State.Status == container.StatePaused {
		if err := e.net.Disconnect(ctx, n.ID, c.ID); err != nil && !(force && errdefs.IsNotFound(err)) {
			return err
		}
	}
	_, err = e.containers.Update(c.ID, func(r *store.Container) error {
		if r.Networking != nil {
			delete(r.Networking.EndpointsConfig, n.Name)
		}
		if string(r.HostConfig.NetworkMode) == n.Name ||
			(n.Name == netstack.DefaultNetwork && (r.HostConfig.NetworkMode == "" || r.HostConfig.NetworkMode == "default" || r.HostConfig.NetworkMode == "bridge")) {
			// Leaving its first network: what is left decides, else none.
			r.HostConfig.NetworkMode = "none"
			if r.Networking != nil {
				for name := range r.Networking.EndpointsConfig {
					r.HostConfig.NetworkMode = container.NetworkMode(name)
					break
				}
			}
		}
		return nil
	})
	if err == nil {
		e.publishNetwork(n, "disconnect", c.ID)
	}
	return err
}

// NetworkInUse reports containers (any state) that name network n.
func (e *Engine) NetworkInUse(n netstack.Network) []string {
	list, _ := e.containers.List()
	var out []string
	for _, c := range list {
		mode, err := e.parseNetworkMode(c.HostConfig, c.Networking)
		if err == nil && slices.Contains(mode.networks, n.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}
