package firewall

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/containerd/errdefs"
)

func TestValidate(t *testing.T) {
	net := Network{Bridge: "br0", Subnet: netip.MustParsePrefix("10.99.1.0/24")}
	port := Port{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("10.99.1.2"), ContainerPort: 80, Bridge: "br0"}
	with := func(f func(*Port)) []Port { p := port; f(&p); return []Port{p} }
	tests := []struct {
		name     string
		networks []Network
		ports    []Port
		want     error
	}{
		{"ok", []Network{net}, []Port{port}, nil},
		{"empty", nil, nil, nil},
		{"udp on a host address", []Network{net}, with(func(p *Port) { p.Proto = "udp"; p.HostIP = netip.MustParseAddr("192.0.2.1") }), nil},
		{"sctp", []Network{net}, with(func(p *Port) { p.Proto = "sctp" }), errdefs.ErrInvalidArgument},
		{"ipv6 container", []Network{net}, with(func(p *Port) { p.ContainerIP = netip.MustParseAddr("fd00::2") }), errdefs.ErrInvalidArgument},
		{"ipv6 host", []Network{net}, with(func(p *Port) { p.HostIP = netip.MustParseAddr("::1") }), errdefs.ErrInvalidArgument},
		{"port 0", []Network{net}, with(func(p *Port) { p.HostPort = 0 }), errdefs.ErrInvalidArgument},
		{"no bridge", []Network{net}, with(func(p *Port) { p.Bridge = "" }), errdefs.ErrInvalidArgument},
		{"bridge not a network", []Network{net}, with(func(p *Port) { p.Bridge = "br1" }), errdefs.ErrInvalidArgument},
		{"container outside subnet", []Network{net}, with(func(p *Port) { p.ContainerIP = netip.MustParseAddr("10.99.2.2") }), errdefs.ErrInvalidArgument},
		{"internal network", []Network{{Bridge: "br0", Subnet: net.Subnet, Internal: true}}, []Port{port}, errdefs.ErrInvalidArgument},
		{"long bridge", []Network{{Bridge: "abcdefghijklmnop", Subnet: net.Subnet}}, nil, errdefs.ErrInvalidArgument},
		{"ipv6 subnet", []Network{{Bridge: "br0", Subnet: netip.MustParsePrefix("fd00::/64")}}, nil, errdefs.ErrInvalidArgument},
		{"bridge twice", []Network{net, net}, nil, errdefs.ErrInvalidArgument},
		{"published twice", []Network{net}, []Port{port, port}, errdefs.ErrConflict},
		{"0.0.0.0 and unset are the same", []Network{net}, append(with(func(p *Port) { p.HostIP = netip.IPv4Unspecified() }), port), errdefs.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(tc.networks, tc.ports)
			if tc.want == nil && err != nil {
				t.Fatalf("validate: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("validate = %v, want %v", err, tc.want)
			}
		})
	}
}
