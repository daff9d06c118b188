package dns_test

import (
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/miekg/dns"

	berthdns "berth/netstack/dns"
)

// netns creates a network namespace with lo up and returns its path; it is
// deleted when the test ends.
func netns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command to create network namespaces")
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "berth-dnstest-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns delete %s: %v: %s", name, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s link set lo up: %v: %s", name, err, out)
	}
	return filepath.Join("/run/netns", name)
}

// queryIn asks 127.0.0.11:53 from inside the namespace at nsPath.
func queryIn(t *testing.T, nsPath, network, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	var (
		r   *dns.Msg
		err error
	)
	nsErr := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		c := &dns.Client{Net: network, Timeout: 2 * time.Second}
		r, _, err = c.Exchange(new(dns.Msg).SetQuestion(name, qtype), berthdns.Address)
		return nil
	})
	if nsErr != nil {
		t.Fatal(nsErr)
	}
	return r, err
}

func TestAttach(t *testing.T) {
	nsA, nsB := netns(t), netns(t)
	s := berthdns.New(berthdns.Config{})
	t.Cleanup(s.Close)
	s.SetNetworks("a", []string{"n1"})
	s.SetNetworks("b", []string{"n1"})
	s.Publish("a", berthdns.Record{Network: "n1", Names: []string{"a"}, IPv4: netip.MustParseAddr("10.0.1.2")})
	s.Publish("b", berthdns.Record{Network: "n1", Names: []string{"b"}, IPv4: netip.MustParseAddr("10.0.1.3")})
	for id, p := range map[string]string{"a": nsA, "b": nsB} {
		if err := s.Attach(id, p); err != nil {
			t.Fatal(err)
		}
		if err := s.Attach(id, p); err != nil {
			t.Fatalf("second Attach: %v", err)
		}
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range []struct{ ns, name, want string }{{nsA, "b.", "NOERROR 10.0.1.3"}, {nsB, "a.", "NOERROR 10.0.1.2"}} {
			r, err := queryIn(t, tc.ns, network, tc.name, dns.TypeA)
			if err != nil {
				t.Fatalf("%s %s in %s: %v", network, tc.name, tc.ns, err)
			}
			if got := result(r); got != tc.want {
				t.Errorf("%s %s in %s: got %q, want %q", network, tc.name, tc.ns, got, tc.want)
			}
		}
	}
	// The server knows the asker by the socket: b leaving n1 changes only
	// what b resolves.
	s.SetNetworks("b", nil)
	if r, err := queryIn(t, nsB, "udp", "a.", dns.TypeA); err != nil || result(r) != "NXDOMAIN" {
		t.Errorf("b off n1 asks a: %v %v, want NXDOMAIN", r, err)
	}
	if r, err := queryIn(t, nsA, "udp", "b.", dns.TypeA); err != nil || result(r) != "NOERROR 10.0.1.3" {
		t.Errorf("a asks b: %v %v", r, err)
	}

	s.Detach("a")
	if _, err := queryIn(t, nsA, "tcp", "b.", dns.TypeA); err == nil {
		t.Errorf("query in a's namespace answered after Detach")
	}
	if err := s.Attach("a", nsA); err != nil {
		t.Fatalf("Attach after Detach: %v", err)
	}
	if r, err := queryIn(t, nsA, "tcp", "b.", dns.TypeA); err != nil || result(r) != "NOERROR 10.0.1.3" {
		t.Errorf("after re-Attach: %v %v", r, err)
	}
}

func TestAttachMissingNamespace(t *testing.T) {
	s := berthdns.New(berthdns.Config{})
	defer s.Close()
	if err := s.Attach("a", filepath.Join(t.TempDir(), "nonexistent")); err == nil {
		t.Fatal("Attach to a missing namespace succeeded")
	}
}
