package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type networkCreateOptions struct {
	driver     string
	driverOpts []string
	labels     []string
	internal   bool
	attachable bool
	ipv6       bool
	ipv6Set    bool
	subnets    []string
	gateways   []string
	ipRanges   []string
	ipamDriver string
}

func newNetworkCreateCommand(g *globalOptions) *cobra.Command {
	var opts networkCreateOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ipv6Set = cmd.Flags().Changed("ipv6")
			return runNetworkCreate(cmd.Context(), g, opts, args[0])
		},
	}
	addNetworkCreateFlags(cmd.Flags(), &opts)
	return cmd
}

func addNetworkCreateFlags(f *pflag.FlagSet, opts *networkCreateOptions) {
	f.StringVarP(&opts.driver, "driver", "d", "bridge", "driver to manage the network")
	f.StringArrayVarP(&opts.driverOpts, "opt", "o", nil, "driver option (KEY=VALUE, e.g. parent=eth0)")
	f.StringArrayVar(&opts.labels, "label", nil, "set a label on the network (KEY=VALUE)")
	f.BoolVar(&opts.internal, "internal", false, "restrict external access to the network")
	f.BoolVar(&opts.attachable, "attachable", false, "enable manual container attachment")
	f.BoolVar(&opts.ipv6, "ipv6", false, "enable IPv6 networking")
	f.StringArrayVar(&opts.subnets, "subnet", nil, "subnet in CIDR format, e.g. 172.20.0.0/16")
	f.StringArrayVar(&opts.gateways, "gateway", nil, "gateway for a subnet, e.g. 172.20.0.1")
	f.StringArrayVar(&opts.ipRanges, "ip-range", nil, "allocate container addresses from a sub-range of a subnet, e.g. 172.20.10.0/24")
	f.StringVar(&opts.ipamDriver, "ipam-driver", "default", "IP address management driver")
}

// request checks the flags and builds the create request.
func (o networkCreateOptions) request() (client.NetworkCreateOptions, error) {
	ipam, err := parseIPAM(o.ipamDriver, o.subnets, o.gateways, o.ipRanges)
	if err != nil {
		return client.NetworkCreateOptions{}, err
	}
	driverOpts, err := parseKeyValues("--opt", o.driverOpts, "KEY=VALUE, e.g. -o parent=eth0", false)
	if err != nil {
		return client.NetworkCreateOptions{}, err
	}
	labels, err := parseKeyValues("--label", o.labels, "KEY=VALUE, e.g. team=web", true)
	if err != nil {
		return client.NetworkCreateOptions{}, err
	}
	req := client.NetworkCreateOptions{
		Driver:     o.driver,
		IPAM:       ipam,
		Internal:   o.internal,
		Attachable: o.attachable,
		Options:    driverOpts,
		Labels:     labels,
	}
	if o.ipv6Set {
		v := o.ipv6
		req.EnableIPv6 = &v
	}
	return req, nil
}

// parseIPAM pairs each gateway and IP range with the subnet containing it, as the docker
// CLI does, and says which flag to fix when one does not fit.
func parseIPAM(driver string, subnets, gateways, ipRanges []string) (*network.IPAM, error) {
	var configs []network.IPAMConfig
	for _, s := range subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("invalid --subnet %q: not a subnet in CIDR notation; use ADDRESS/PREFIX-LENGTH, e.g. 172.20.0.0/16", s)
		}
		if p.Addr().Zone() != "" {
			return nil, fmt.Errorf("invalid --subnet %q: a subnet has no zone; drop the %%%s", s, p.Addr().Zone())
		}
		if m := p.Masked(); m != p {
			return nil, fmt.Errorf("invalid --subnet %q: the address has bits set beyond the /%d prefix; use %s", s, p.Bits(), m)
		}
		for _, c := range configs {
			if c.Subnet.Overlaps(p) {
				return nil, fmt.Errorf("invalid --subnet %q: it overlaps --subnet %s; give subnets that do not overlap", s, c.Subnet)
			}
		}
		configs = append(configs, network.IPAMConfig{Subnet: p})
	}
	for _, r := range ipRanges {
		p, err := netip.ParsePrefix(r)
		if err != nil || p.Masked() != p {
			return nil, fmt.Errorf("invalid --ip-range %q: not a range in CIDR notation; use ADDRESS/PREFIX-LENGTH inside a --subnet, e.g. 172.20.10.0/24", r)
		}
		c := containingSubnet(configs, p.Addr(), p.Bits())
		if c == nil {
			return nil, fmt.Errorf("invalid --ip-range %q: no --subnet contains it; add one, e.g. --subnet %s", r, suggestSubnet(p.Addr()))
		}
		if c.IPRange.IsValid() {
			return nil, fmt.Errorf("invalid --ip-range %q: --subnet %s already has --ip-range %s; give one range per subnet", r, c.Subnet, c.IPRange)
		}
		c.IPRange = p
	}
	for _, gw := range gateways {
		a, err := netip.ParseAddr(gw)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("invalid --gateway %q: not an IP address; use an address inside the --subnet, e.g. 172.20.0.1", gw)
		}
		c := containingSubnet(configs, a, a.BitLen())
		if c == nil {
			if len(configs) == 0 {
				return nil, fmt.Errorf("invalid --gateway %q: a gateway needs the --subnet it belongs to, e.g. --subnet %s --gateway %s", gw, suggestSubnet(a), gw)
			}
			return nil, fmt.Errorf("invalid --gateway %q: it is outside every --subnet; use an address inside one, e.g. %s", gw, firstHost(configs[0].Subnet))
		}
		if a == c.Subnet.Addr() {
			return nil, fmt.Errorf("invalid --gateway %q: it is the network address of --subnet %s; use a host address, e.g. %s", gw, c.Subnet, firstHost(c.Subnet))
		}
		if c.Gateway.IsValid() {
			return nil, fmt.Errorf("invalid --gateway %q: --subnet %s already has --gateway %s; give one gateway per subnet", gw, c.Subnet, c.Gateway)
		}
		c.Gateway = a
	}
	if driver == "" {
		driver = "default"
	}
	return &network.IPAM{Driver: driver, Config: configs}, nil
}

// containingSubnet returns the config whose subnet holds addr/bits, or nil.
func containingSubnet(configs []network.IPAMConfig, addr netip.Addr, bits int) *network.IPAMConfig {
	for i := range configs {
		s := configs[i].Subnet
		if s.Contains(addr) && bits >= s.Bits() {
			return &configs[i]
		}
	}
	return nil
}

// suggestSubnet returns the /24 (IPv4) or /64 (IPv6) around a, for an error's example.
func suggestSubnet(a netip.Addr) netip.Prefix {
	bits := 24
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// firstHost returns the first address after the network address of p.
func firstHost(p netip.Prefix) netip.Addr {
	return p.Masked().Addr().Next()
}

func runNetworkCreate(ctx context.Context, g *globalOptions, opts networkCreateOptions, name string) error {
	req, err := opts.request()
	if err != nil {
		return err
	}
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := c.NetworkCreate(ctx, name, req)
	if err != nil {
		return fmt.Errorf("create network %s: %w", name, err)
	}
	for _, w := range res.Warning {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}
	fmt.Println(res.ID)
	return nil
}
