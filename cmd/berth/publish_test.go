package main

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestParsePublish(t *testing.T) {
	p := network.MustParsePort
	lo := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		name    string
		in      []string
		want    network.PortMap
		wantErr string
	}{
		{"random host port", []string{"80"}, network.PortMap{p("80/tcp"): {{HostIP: netip.Addr{}, HostPort: ""}}}, ""},
		{"single", []string{"8080:80"}, network.PortMap{p("80/tcp"): {{HostPort: "8080"}}}, ""},
		{"udp", []string{"5353:53/udp"}, network.PortMap{p("53/udp"): {{HostPort: "5353"}}}, ""},
		{"upper-case proto", []string{"53/UDP"}, network.PortMap{p("53/udp"): {{}}}, ""},
		{"sctp", []string{"9:9/sctp"}, network.PortMap{p("9/sctp"): {{HostPort: "9"}}}, ""},
		{"ip", []string{"127.0.0.1:8080:80"}, network.PortMap{p("80/tcp"): {{HostIP: lo, HostPort: "8080"}}}, ""},
		{"ip random port", []string{"127.0.0.1::80"}, network.PortMap{p("80/tcp"): {{HostIP: lo}}}, ""},
		{"ipv6", []string{"[::1]:8080:80"}, network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr("::1"), HostPort: "8080"}}}, ""},
		{"ipv6 without brackets", []string{"::1:8080:80"}, network.PortMap{p("80/tcp"): {{HostIP: netip.MustParseAddr("::1"), HostPort: "8080"}}}, ""},
		{"ranges", []string{"8000-8001:80-81"}, network.PortMap{
			p("80/tcp"): {{HostPort: "8000"}},
			p("81/tcp"): {{HostPort: "8001"}},
		}, ""},
		{"container range random", []string{"80-81"}, network.PortMap{p("80/tcp"): {{}}, p("81/tcp"): {{}}}, ""},
		{"host range for one port", []string{"8000-8010:80"}, network.PortMap{p("80/tcp"): {{HostPort: "8000-8010"}}}, ""},
		{"same port twice", []string{"8080:80", "127.0.0.1:9090:80"}, network.PortMap{
			p("80/tcp"): {{HostPort: "8080"}, {HostIP: lo, HostPort: "9090"}},
		}, ""},
		{"long form", []string{"target=80,published=8080,protocol=udp"}, network.PortMap{p("80/udp"): {{HostPort: "8080"}}}, ""},
		{"long form random", []string{"target=80"}, network.PortMap{p("80/tcp"): {{}}}, ""},

		{"too many colons", []string{"80:80:80:80"}, nil, `invalid --publish "80:80:80:80": use [IP:][HOST:]CONTAINER[/PROTO], e.g. 8080:80 ("80:80" is not an IP address)`},
		{"bad ip", []string{"1.2.3:80:80"}, nil, `"1.2.3" is not an IP address`},
		{"no container port", []string{"8080:"}, nil, "no container port"},
		{"empty", []string{""}, nil, "no container port"},
		{"bad container port", []string{"8080:http"}, nil, `container port: "http" is not a port number`},
		{"port too large", []string{"70000"}, nil, `"70000" is not a port number from 1 to 65535`},
		{"container port zero", []string{"0"}, nil, "container port 0"},
		{"bad host port", []string{"x:80"}, nil, `host port: "x" is not a port number`},
		{"reversed range", []string{"81-80"}, nil, "range 81-80 ends before it starts"},
		{"unequal ranges", []string{"8000-8002:80-81"}, nil, "ranges of different lengths"},
		{"bad proto", []string{"80/icmp"}, nil, `unknown protocol "icmp"`},
		{"long form without target", []string{"published=8080"}, nil, "target is missing"},
		{"long form unknown key", []string{"target=80,port=1"}, nil, `unknown field "port"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exposed, got, err := parsePublish(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parsePublish(%q) error %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parsePublish(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parsePublish(%q) bindings\n got %v\nwant %v", tt.in, got, tt.want)
			}
			for port := range tt.want {
				if _, ok := exposed[port]; !ok {
					t.Errorf("port %s published but not exposed", port)
				}
			}
			if len(exposed) != len(tt.want) {
				t.Errorf("exposed %v, want the keys of %v", exposed, tt.want)
			}
		})
	}
}

func TestParseExpose(t *testing.T) {
	got, err := parseExpose(nil, []string{"80", "53/udp", "9000-9001"})
	if err != nil {
		t.Fatal(err)
	}
	want := network.PortSet{
		network.MustParsePort("80/tcp"):   {},
		network.MustParsePort("53/udp"):   {},
		network.MustParsePort("9000/tcp"): {},
		network.MustParsePort("9001/tcp"): {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"8080:80", "x", "80/icmp", "0"} {
		if _, err := parseExpose(nil, []string{bad}); err == nil || !strings.Contains(err.Error(), "--expose") {
			t.Errorf("parseExpose(%q) error %v, want one naming --expose", bad, err)
		}
	}
}

func FuzzParsePublish(f *testing.F) {
	for _, s := range []string{"80", "8080:80", "127.0.0.1::80/udp", "[::1]:1-2:3-4", "target=80,published=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		exposed, bindings, err := parsePublish([]string{s})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid --publish ") {
				t.Errorf("error %q does not name --publish", err)
			}
			return
		}
		for p := range bindings {
			if !p.IsValid() || p.Num() == 0 {
				t.Errorf("%q gave port %v", s, p)
			}
			if _, ok := exposed[p]; !ok {
				t.Errorf("%q: %v bound but not exposed", s, p)
			}
		}
	})
}
