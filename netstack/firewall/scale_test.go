package firewall

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/nftables"
)

// The whole table goes in one transaction, however many ports: a thousand ports of one
// container (a Compose range "20000-20999:20000-20999"), fifty containers with twenty
// each, and a change after either.
func TestApplyManyPorts(t *testing.T) {
	requireRoot(t)
	host := newNetns(t, "fwscale-"+randHex(3))
	fw := New("s"+randHex(3), nil)
	nets := []Network{{Bridge: "brs" + randHex(3), Subnet: netip.MustParsePrefix("10.98.0.0/16")}}
	run(t, "ip", "netns", "exec", strings.TrimPrefix(host, "/run/netns/"), "ip", "link", "add", nets[0].Bridge, "type", "bridge")

	one := func(n int) []Port {
		var ps []Port
		for i := range n {
			ps = append(ps, Port{Proto: "tcp", HostPort: uint16(20000 + i), ContainerIP: netip.MustParseAddr("10.98.0.2"), ContainerPort: uint16(20000 + i), Bridge: nets[0].Bridge})
		}
		return ps
	}
	var fifty []Port
	for c := range 50 {
		ip := netip.AddrFrom4([4]byte{10, 98, 1, byte(c + 2)})
		for i := range 20 {
			fifty = append(fifty, Port{Proto: "tcp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: uint16(30000 + c*20 + i), ContainerIP: ip, ContainerPort: 80 + uint16(i), Bridge: nets[0].Bridge})
		}
	}
	for _, step := range []struct {
		name  string
		ports []Port
	}{
		{"1000 ports of one container", one(1000)},
		{"50 containers with 20 ports each", fifty},
		{"both", append(one(1000), fifty...)},
		{"one more", append(one(1001), fifty...)},
		{"none", nil},
	} {
		inNS(t, host, func() error {
			if err := fw.Apply(nets, step.ports); err != nil {
				return fmt.Errorf("%s: %w", step.name, err)
			}
			conn, err := nftables.New()
			if err != nil {
				return err
			}
			tab := &nftables.Table{Name: fw.Table(), Family: nftables.TableFamilyIPv4}
			n := 0
			for _, ch := range []string{"prerouting", "output"} {
				rs, err := conn.GetRules(tab, &nftables.Chain{Name: ch, Table: tab})
				if err != nil {
					return err
				}
				n += len(rs)
			}
			want := 0
			for _, p := range step.ports {
				want++
				if !p.HostIP.IsValid() {
					want++
				}
			}
			if n != want {
				t.Errorf("%s: %d DNAT rules, want %d", step.name, n, want)
			}
			return nil
		})
	}
	inNS(t, host, fw.Remove)
}
