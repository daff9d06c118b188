package netstack

import (
	"net/netip"
	"testing"
)

func TestPickSubnet(t *testing.T) {
	mp := netip.MustParsePrefix
	tests := []struct {
		name  string
		taken []netip.Prefix
		want  string
	}{
		{"empty host", nil, "172.17.0.0/16"},
		{"first taken", []netip.Prefix{mp("172.17.0.0/16")}, "172.18.0.0/16"},
		{"overlapping route", []netip.Prefix{mp("172.16.0.0/12")}, "192.168.0.0/20"},
		{"small address inside", []netip.Prefix{mp("172.17.5.0/24"), mp("172.18.0.1/32")}, "172.19.0.0/16"},
		{"all full", []netip.Prefix{mp("172.16.0.0/12"), mp("192.168.0.0/16")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickSubnet(DefaultPools, tt.taken)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("got %s %v, want %s", got, err, tt.want)
			}
		})
	}
	if n := len(DefaultPools[1].subnets()); n != 16 {
		t.Errorf("192.168/16 in /20s: %d subnets", n)
	}
}
