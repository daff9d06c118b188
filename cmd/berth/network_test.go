package main

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
	"github.com/spf13/pflag"
)

func TestNetworkCreateRequest(t *testing.T) {
	pfx := netip.MustParsePrefix
	addr := netip.MustParseAddr
	tests := []struct {
		name    string
		args    []string
		want    []network.IPAMConfig
		wantErr string
	}{
		{name: "no subnet", args: nil},
		{name: "subnet", args: []string{"--subnet", "172.20.0.0/16"}, want: []network.IPAMConfig{{Subnet: pfx("172.20.0.0/16")}}},
		{name: "subnet and gateway", args: []string{"--subnet", "172.20.0.0/16", "--gateway", "172.20.0.254"},
			want: []network.IPAMConfig{{Subnet: pfx("172.20.0.0/16"), Gateway: addr("172.20.0.254")}}},
		{name: "two subnets, gateways matched by subnet",
			args: []string{"--subnet", "10.1.0.0/24", "--subnet", "fd00::/64", "--gateway", "fd00::1", "--gateway", "10.1.0.1", "--ip-range", "10.1.0.128/25"},
			want: []network.IPAMConfig{
				{Subnet: pfx("10.1.0.0/24"), Gateway: addr("10.1.0.1"), IPRange: pfx("10.1.0.128/25")},
				{Subnet: pfx("fd00::/64"), Gateway: addr("fd00::1")},
			}},

		{name: "not a CIDR", args: []string{"--subnet", "10.1.0.0"}, wantErr: `invalid --subnet "10.1.0.0": not a subnet in CIDR notation; use ADDRESS/PREFIX-LENGTH, e.g. 172.20.0.0/16`},
		{name: "garbage subnet", args: []string{"--subnet", "net"}, wantErr: `invalid --subnet "net"`},
		{name: "host bits set", args: []string{"--subnet", "10.1.2.3/16"}, wantErr: `invalid --subnet "10.1.2.3/16": the address has bits set beyond the /16 prefix; use 10.1.0.0/16`},
		{name: "overlapping subnets", args: []string{"--subnet", "10.0.0.0/8", "--subnet", "10.1.0.0/16"}, wantErr: `invalid --subnet "10.1.0.0/16": it overlaps --subnet 10.0.0.0/8`},
		{name: "gateway without subnet", args: []string{"--gateway", "10.1.2.1"}, wantErr: `invalid --gateway "10.1.2.1": a gateway needs the --subnet it belongs to, e.g. --subnet 10.1.2.0/24 --gateway 10.1.2.1`},
		{name: "gateway outside subnet", args: []string{"--subnet", "10.1.0.0/24", "--gateway", "10.2.0.1"}, wantErr: `invalid --gateway "10.2.0.1": it is outside every --subnet; use an address inside one, e.g. 10.1.0.1`},
		{name: "gateway not an IP", args: []string{"--subnet", "10.1.0.0/24", "--gateway", "10.1.0"}, wantErr: `invalid --gateway "10.1.0": not an IP address`},
		{name: "gateway is the network address", args: []string{"--subnet", "10.1.0.0/24", "--gateway", "10.1.0.0"}, wantErr: "it is the network address of --subnet 10.1.0.0/24"},
		{name: "two gateways", args: []string{"--subnet", "10.1.0.0/24", "--gateway", "10.1.0.1", "--gateway", "10.1.0.2"}, wantErr: "already has --gateway 10.1.0.1"},
		{name: "range outside subnet", args: []string{"--subnet", "10.1.0.0/24", "--ip-range", "10.2.0.0/25"}, wantErr: `invalid --ip-range "10.2.0.0/25": no --subnet contains it`},
		{name: "range larger than subnet", args: []string{"--subnet", "10.1.0.0/24", "--ip-range", "10.0.0.0/8"}, wantErr: "no --subnet contains it"},
		{name: "bad opt", args: []string{"-o", "parent"}, wantErr: `invalid --opt "parent": use KEY=VALUE, e.g. -o parent=eth0`},
		{name: "bad label", args: []string{"--label", "=x"}, wantErr: `invalid --label "=x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o networkCreateOptions
			f := pflag.NewFlagSet("create", pflag.ContinueOnError)
			addNetworkCreateFlags(f, &o)
			if err := f.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			o.ipv6Set = f.Changed("ipv6")
			req, err := o.request()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Driver != "bridge" || req.IPAM == nil || req.IPAM.Driver != "default" {
				t.Errorf("driver %q, ipam %+v", req.Driver, req.IPAM)
			}
			if !reflect.DeepEqual(req.IPAM.Config, tt.want) {
				t.Errorf("ipam config\n got %+v\nwant %+v", req.IPAM.Config, tt.want)
			}
		})
	}
}

func TestNetworkCreateOptionsAndLabels(t *testing.T) {
	o := networkCreateOptions{driver: "macvlan", driverOpts: []string{"parent=eth0"}, labels: []string{"team=web", "bare"}, internal: true, ipv6: true, ipv6Set: true}
	req, err := o.request()
	if err != nil {
		t.Fatal(err)
	}
	if req.Driver != "macvlan" || !req.Internal || req.EnableIPv6 == nil || !*req.EnableIPv6 ||
		!reflect.DeepEqual(req.Options, map[string]string{"parent": "eth0"}) ||
		!reflect.DeepEqual(req.Labels, map[string]string{"team": "web", "bare": ""}) {
		t.Errorf("request %+v", req)
	}
	if req, _ := (networkCreateOptions{}).request(); req.EnableIPv6 != nil {
		t.Errorf("EnableIPv6 sent without --ipv6")
	}
}

func TestPrintNetworks(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	items := []network.Summary{
		{Network: network.Network{Name: "net10", ID: "bbbbbbbbbbbbbbbbbbbbbbbb", Driver: "bridge", Scope: "local", Created: created}},
		{Network: network.Network{Name: "net2", ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Driver: "bridge", Scope: "local", Created: created,
			EnableIPv4: true, Labels: map[string]string{"b": "2", "a": "1"}}},
		{Network: network.Network{Name: "bridge", ID: "cccccccccccccccccccccccc", Driver: "bridge", Scope: "local", Created: created}},
	}
	tests := []struct {
		name   string
		format string
		quiet  bool
		trunc  bool
		want   string
	}{
		{"table", "", false, true, "" +
			"NETWORK ID     NAME      DRIVER    SCOPE\n" +
			"cccccccccccc   bridge    bridge    local\n" +
			"aaaaaaaaaaaa   net2      bridge    local\n" +
			"bbbbbbbbbbbb   net10     bridge    local\n"},
		{"quiet", "", true, true, "cccccccccccc\naaaaaaaaaaaa\nbbbbbbbbbbbb\n"},
		{"quiet no-trunc", "", true, false, "cccccccccccccccccccccccc\naaaaaaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbb\n"},
		{"template", "{{.Name}} {{.Labels}}", false, true, "bridge \nnet2 a=1,b=2\nnet10 \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPrinter(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := printNetworks(&buf, p, items, tt.quiet, tt.trunc); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", buf.String(), tt.want)
			}
		})
	}

	p, _ := newPrinter("json")
	var buf bytes.Buffer
	if err := printNetworks(&buf, p, items[1:2], false, true); err != nil {
		t.Fatal(err)
	}
	want := `{"CreatedAt":"2025-01-02 03:04:05 +0000 UTC","Driver":"bridge","ID":"aaaaaaaaaaaa","IPv4":"true","IPv6":"false","Internal":"false","Labels":"a=1,b=2","Name":"net2","Scope":"local"}` + "\n"
	if buf.String() != want {
		t.Errorf("json got %s want %s", buf.String(), want)
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"net10", "net2", "a", "net02", "b1", "net1"}
	want := []string{"a", "b1", "net1", "net2", "net02", "net10"}
	got := append([]string(nil), in...)
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			if naturalLess(got[j], got[i]) {
				got[i], got[j] = got[j], got[i]
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPruneReportAndConfirm(t *testing.T) {
	if got := pruneReport(nil); got != "" {
		t.Errorf("empty report %q", got)
	}
	if got, want := pruneReport([]string{"a", "b"}), "Deleted Networks:\na\nb\n"; got != want {
		t.Errorf("report %q, want %q", got, want)
	}
	for in, want := range map[string]bool{"y\n": true, "Y\n": true, " y \n": true, "n\n": false, "": false, "yes\n": false} {
		var out bytes.Buffer
		if got := confirm(strings.NewReader(in), &out, networkPruneWarning); got != want {
			t.Errorf("confirm(%q) = %v, want %v", in, got, want)
		}
		if out.String() != "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] " {
			t.Errorf("prompt %q", out.String())
		}
	}
}
