package main

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

func TestParseNetworking(t *testing.T) {
	ipam := func(ip string) *network.EndpointIPAMConfig {
		return &network.EndpointIPAMConfig{IPv4Address: netip.MustParseAddr(ip)}
	}
	tests := []struct {
		name     string
		networks []string
		aliases  []string
		ip, ip6  string
		wantMode container.NetworkMode
		want     map[string]*network.EndpointSettings // nil: no NetworkingConfig
		wantErr  string
	}{
		{name: "none given"},
		{name: "one network", networks: []string{"backend"}, wantMode: "backend",
			want: map[string]*network.EndpointSettings{"backend": {}}},
		{name: "alias and ip on the first", networks: []string{"front", "back"}, aliases: []string{"web", "www"}, ip: "172.20.0.10",
			wantMode: "front",
			want: map[string]*network.EndpointSettings{
				"front": {Aliases: []string{"web", "www"}, IPAMConfig: ipam("172.20.0.10")},
				"back":  {},
			}},
		{name: "ip6", networks: []string{"v6"}, ip6: "fd00::10", wantMode: "v6",
			want: map[string]*network.EndpointSettings{"v6": {IPAMConfig: &network.EndpointIPAMConfig{IPv6Address: netip.MustParseAddr("fd00::10")}}}},
		{name: "long form", networks: []string{"name=back,alias=db,ip=10.0.0.5", "front"}, wantMode: "back",
			want: map[string]*network.EndpointSettings{
				"back":  {Aliases: []string{"db"}, IPAMConfig: ipam("10.0.0.5")},
				"front": {},
			}},
		{name: "host", networks: []string{"host"}, wantMode: "host"},
		{name: "none", networks: []string{"none"}, wantMode: "none"},
		{name: "container", networks: []string{"container:db"}, wantMode: "container:db"},
		{name: "bridge", networks: []string{"bridge"}, wantMode: "bridge",
			want: map[string]*network.EndpointSettings{"bridge": {}}},

		{name: "alias with host", networks: []string{"host"}, aliases: []string{"a"}, wantErr: "--network host: network-scoped alias is supported only for containers in user-defined networks"},
		{name: "ip with none", networks: []string{"none"}, ip: "10.0.0.2", wantErr: "--network none: user specified IP address is supported only"},
		{name: "alias with container", networks: []string{"container:db"}, aliases: []string{"a"}, wantErr: "network-scoped alias"},
		{name: "alias without network", aliases: []string{"a"}, wantErr: "--network-alias: network-scoped aliases and addresses need a user-defined network; add --network NAME"},
		{name: "ip without network", ip: "10.0.0.2", wantErr: "--ip: network-scoped"},
		{name: "bad ip", networks: []string{"n"}, ip: "10.0.0", wantErr: `invalid --ip "10.0.0": not an IPv4 address`},
		{name: "ipv6 as --ip", networks: []string{"n"}, ip: "fd00::1", wantErr: `invalid --ip "fd00::1"`},
		{name: "bad ip6", networks: []string{"n"}, ip6: "10.0.0.1", wantErr: `invalid --ip6 "10.0.0.1"`},
		{name: "twice", networks: []string{"n", "n"}, wantErr: `network "n" is specified multiple times`},
		{name: "mixed modes", networks: []string{"host", "n"}, wantErr: "cannot attach both user-defined and non-user-defined"},
		{name: "both alias forms", networks: []string{"name=n,alias=x"}, aliases: []string{"y"}, wantErr: "cannot specify both --network-alias and per-network alias"},
		{name: "long form without name", networks: []string{"alias=x"}, wantErr: "the network name is missing"},
		{name: "long form unknown key", networks: []string{"name=n,mac=x"}, wantErr: `unknown key "mac"`},
		{name: "empty", networks: []string{""}, wantErr: "the network name is empty"},
		{name: "container without name", networks: []string{"container:"}, wantErr: "use container:NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetworking(tt.networks, tt.aliases, tt.ip, tt.ip6)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.mode != tt.wantMode {
				t.Errorf("mode %q, want %q", got.mode, tt.wantMode)
			}
			var eps map[string]*network.EndpointSettings
			if got.config != nil {
				eps = got.config.EndpointsConfig
			}
			if !reflect.DeepEqual(eps, tt.want) {
				t.Errorf("endpoints\n got %s\nwant %s", dumpEndpoints(eps), dumpEndpoints(tt.want))
			}
		})
	}
}

func dumpEndpoints(m map[string]*network.EndpointSettings) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k + ":")
		if v.IPAMConfig != nil {
			b.WriteString(" ipam=" + v.IPAMConfig.IPv4Address.String() + "," + v.IPAMConfig.IPv6Address.String())
		}
		b.WriteString(" aliases=" + strings.Join(v.Aliases, ",") + "; ")
	}
	return b.String()
}

// TestContainerNetworkFlags parses a run command line with network and port flags into
// the create request.
func TestContainerNetworkFlags(t *testing.T) {
	var o containerOptions
	f := pflag.NewFlagSet("run", pflag.ContinueOnError)
	addContainerFlags(f, &o)
	if err := f.Parse([]string{
		"--network", "front", "--network", "back", "--network-alias", "web", "--ip", "172.20.0.10",
		"-p", "8080:80", "-p", "127.0.0.1:5353:53/udp", "-P", "--expose", "9000",
		"alpine",
	}); err != nil {
		t.Fatal(err)
	}
	o.noteSetFlags(f)
	spec, err := o.parse("alpine", nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := spec.HostConfig
	if hc.NetworkMode != "front" || !hc.PublishAllPorts {
		t.Errorf("network mode %q, publish all %v", hc.NetworkMode, hc.PublishAllPorts)
	}
	wantBindings := network.PortMap{
		network.MustParsePort("80/tcp"): {{HostPort: "8080"}},
		network.MustParsePort("53/udp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "5353"}},
	}
	if !reflect.DeepEqual(hc.PortBindings, wantBindings) {
		t.Errorf("bindings %v, want %v", hc.PortBindings, wantBindings)
	}
	wantExposed := network.PortSet{
		network.MustParsePort("80/tcp"):   {},
		network.MustParsePort("53/udp"):   {},
		network.MustParsePort("9000/tcp"): {},
	}
	if !reflect.DeepEqual(spec.Config.ExposedPorts, wantExposed) {
		t.Errorf("exposed %v, want %v", spec.Config.ExposedPorts, wantExposed)
	}
	eps := spec.NetworkingConfig.EndpointsConfig
	if len(eps) != 2 || eps["back"] == nil || !reflect.DeepEqual(eps["front"].Aliases, []string{"web"}) ||
		eps["front"].IPAMConfig.IPv4Address != netip.MustParseAddr("172.20.0.10") {
		t.Errorf("endpoints %s", dumpEndpoints(eps))
	}
}

func TestContainerNetworkConflicts(t *testing.T) {
	tests := []struct {
		name    string
		opts    containerOptions
		wantErr string
	}{
		{"publish with container network", containerOptions{networks: []string{"container:db"}, publish: []string{"80"}}, "conflicting options: port publishing and the container type network mode"},
		{"hostname with container network", containerOptions{networks: []string{"container:db"}, hostname: "h"}, "conflicting options: hostname and the network mode"},
		{"bad publish", containerOptions{publish: []string{"80:80:80:80"}}, `invalid --publish "80:80:80:80": use [IP:][HOST:]CONTAINER[/PROTO], e.g. 8080:80`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.opts.parse("alpine", nil); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
