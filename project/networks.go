package project

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/network"
)

const defaultNetwork = "default"

// serviceNetworks are the networks a service joins: networks:, or the default network
// when it has neither networks: nor network_mode:, as compose-go's loader sets it.
func serviceNetworks(svc types.ServiceConfig) map[string]*types.ServiceNetworkConfig {
	if svc.NetworkMode != "" {
		return nil
	}
	if len(svc.Networks) == 0 {
		return map[string]*types.ServiceNetworkConfig{defaultNetwork: nil}
	}
	return svc.Networks
}

// networks are the declared networks and the implicit default one if a service uses it,
// sorted by key. It fills c.netNames.
func (c *converter) networks(services []string) ([]Network, error) {
	keys := map[string]bool{}
	for k := range c.p.Networks {
		keys[k] = true
	}
	for _, name := range services {
		for k := range serviceNetworks(c.p.Services[name]) {
			if _, ok := c.p.Networks[k]; !ok && k != defaultNetwork {
				return nil, invalid("services."+name+".networks."+k, "network %q is not declared; declare it under the top-level networks:", k)
			}
			keys[k] = true
		}
	}
	c.netNames = map[string]string{}
	var out []Network
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		nc := c.p.Networks[k] // the zero value for an implicit default
		n := Network{
			Key:        k,
			Name:       resourceName(c.p.Name, k, nc.Name, bool(nc.External)),
			External:   bool(nc.External),
			Internal:   nc.Internal,
			Driver:     nc.Driver,
			DriverOpts: cloneMap(nc.DriverOpts),
		}
		if len(nc.Ipam.Config) > 0 && nc.Ipam.Config[0] != nil {
			n.Subnet = nc.Ipam.Config[0].Subnet
			n.Gateway = nc.Ipam.Config[0].Gateway
		}
		if !n.External {
			n.Labels = resourceLabels(nc.Labels, nc.CustomLabels, LabelNetwork, k, c.p.Name)
		}
		c.netNames[k] = n.Name
		out = append(out, n)
	}
	return out, nil
}

// volumes are the declared volumes that a service mounts, sorted by key. It fills
// c.volNames.
func (c *converter) volumes(services []string) ([]Volume, error) {
	used := map[string]bool{}
	for _, name := range services {
		for i, v := range c.p.Services[name].Volumes {
			if (v.Type == types.VolumeTypeVolume || (v.Type == "" && guessVolumeType(v.Source) == types.VolumeTypeVolume)) && v.Source != "" {
				if _, ok := c.p.Volumes[v.Source]; !ok {
					return nil, invalid(fmt.Sprintf("services.%s.volumes[%d]", name, i), "volume %q is not declared; declare it under the top-level volumes:", v.Source)
				}
				used[v.Source] = true
			}
		}
	}
	c.volNames = map[string]string{}
	var out []Volume
	for _, k := range slices.Sorted(maps.Keys(used)) {
		vc := c.p.Volumes[k]
		v := Volume{
			Key:        k,
			Name:       resourceName(c.p.Name, k, vc.Name, bool(vc.External)),
			External:   bool(vc.External),
			Driver:     vc.Driver,
			DriverOpts: cloneMap(vc.DriverOpts),
		}
		if !v.External {
			v.Labels = resourceLabels(vc.Labels, vc.CustomLabels, LabelVolume, k, c.p.Name)
		}
		c.volNames[k] = v.Name
		out = append(out, v)
	}
	return out, nil
}

// resourceName is name:, else the key for an external resource, else PROJECT_KEY.
func resourceName(project, key, name string, external bool) string {
	switch {
	case name != "":
		return name
	case external:
		return key
	}
	return project + "_" + key
}

func resourceLabels(labels, custom types.Labels, keyLabel, key, project string) map[string]string {
	l := map[string]string{}
	maps.Copy(l, labels)
	maps.Copy(l, custom)
	l[keyLabel] = key
	l[LabelProject] = project
	return l
}

func cloneMap[M ~map[string]string](m M) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(map[string]string(m))
}

// networking returns the endpoints of a service's containers and the network mode:
// network_mode: as written ("service:x" as x's first container), else the service's first
// network by priority then name, as Compose picks it.
func (c *converter) networking(path, name string, svc types.ServiceConfig) (network.NetworkingConfig, string, error) {
	if svc.NetworkMode != "" {
		mode := svc.NetworkMode
		if ref, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
			cname, err := c.firstContainer(path+".network_mode", ref)
			if err != nil {
				return network.NetworkingConfig{}, "", err
			}
			mode = types.ContainerPrefix + cname
		}
		return network.NetworkingConfig{}, mode, nil
	}
	nets := serviceNetworks(svc)
	spec := types.ContainerSpec{Networks: nets}
	byPriority := spec.NetworksByPriority()
	eps := map[string]*network.EndpointSettings{}
	for _, k := range byPriority {
		key := path + ".networks." + k
		cfg := nets[k]
		ep := &network.EndpointSettings{}
		if cfg == nil || cfg.UseServiceNameAlias == nil || *cfg.UseServiceNameAlias {
			// So that the service name resolves on every network it joins.
			ep.Aliases = []string{name}
		}
		if cfg != nil {
			extra := slices.Clone(cfg.Aliases)
			sort.Strings(extra)
			for _, a := range extra {
				if !slices.Contains(ep.Aliases, a) {
					ep.Aliases = append(ep.Aliases, a)
				}
			}
			ep.DriverOpts = cloneMap(cfg.DriverOpts)
			ep.GwPriority = cfg.GatewayPriority
			ipam := &network.EndpointIPAMConfig{}
			var err error
			if ipam.IPv4Address, err = parseAddr(cfg.Ipv4Address); err != nil || (ipam.IPv4Address.IsValid() && !ipam.IPv4Address.Is4()) {
				return network.NetworkingConfig{}, "", invalid(key+".ipv4_address", "%q is not an IPv4 address", cfg.Ipv4Address)
			}
			if ipam.IPv6Address, err = parseAddr(cfg.Ipv6Address); err != nil || (ipam.IPv6Address.IsValid() && !ipam.IPv6Address.Is6()) {
				return network.NetworkingConfig{}, "", invalid(key+".ipv6_address", "%q is not an IPv6 address", cfg.Ipv6Address)
			}
			for i, s := range cfg.LinkLocalIPs {
				a, err := parseAddr(s)
				if err != nil {
					return network.NetworkingConfig{}, "", invalid(fmt.Sprintf("%s.link_local_ips[%d]", key, i), "%q is not an IP address", s)
				}
				ipam.LinkLocalIPs = append(ipam.LinkLocalIPs, a)
			}
			if ipam.IPv4Address.IsValid() || ipam.IPv6Address.IsValid() || len(ipam.LinkLocalIPs) > 0 {
				ep.IPAMConfig = ipam
			}
			if cfg.MacAddress != "" {
				if err := ep.MacAddress.UnmarshalText([]byte(cfg.MacAddress)); err != nil {
					return network.NetworkingConfig{}, "", invalid(key+".mac_address", "%q is not a MAC address", cfg.MacAddress)
				}
			}
		}
		eps[c.netNames[k]] = ep
	}
	return network.NetworkingConfig{EndpointsConfig: eps}, c.netNames[byPriority[0]], nil
}
