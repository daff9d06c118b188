package dns

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestReverseAddr(t *testing.T) {
	tests := []struct {
		name string
		want string // "" when not a PTR name
	}{
		{"4.3.2.1.in-addr.arpa.", "1.2.3.4"},
		{"4.3.2.1.IN-ADDR.ARPA", "1.2.3.4"},
		{"b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.", "4321:0:1:2:3:4:567:89ab"},
		{"3.2.1.in-addr.arpa.", ""},
		{"5.4.3.2.1.in-addr.arpa.", ""},
		{"256.3.2.1.in-addr.arpa.", ""},
		{"04.3.2.1.in-addr.arpa.", ""},
		{"x.3.2.1.in-addr.arpa.", ""},
		{"g.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa.", ""},
		{"0.ip6.arpa.", ""},
		{"example.com.", ""},
		{"in-addr.arpa.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := reverseAddr(tt.name)
			got := ""
			if ok {
				got = a.String()
			}
			if got != tt.want {
				t.Errorf("reverseAddr(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

// FuzzReverseAddr checks that query names from containers never panic the
// parser and that what it accepts is what miekg/dns would name the address.
func FuzzReverseAddr(f *testing.F) {
	for _, s := range []string{"4.3.2.1.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.", "a.", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		a, ok := reverseAddr(name)
		if !ok {
			return
		}
		want, err := dns.ReverseAddr(a.String())
		if err != nil {
			t.Fatalf("reverseAddr(%q) = %v, which miekg/dns cannot reverse: %v", name, a, err)
		}
		if !strings.EqualFold(strings.TrimSuffix(name, "."), strings.TrimSuffix(want, ".")) {
			t.Fatalf("reverseAddr(%q) = %v, whose PTR name is %q", name, a, want)
		}
	})
}
