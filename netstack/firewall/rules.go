package firewall

import (
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// ipsDstNAT is IPS_DST_NAT of the conntrack status: the flow was DNAT'ed.
const ipsDstNAT = 1 << 5

var loopbackNet = netip.MustParsePrefix("127.0.0.0/8")

// replaceTable queues, on conn, the messages that replace the table with the
// rules for networks and ports. Creating and deleting the table first makes
// the batch work whether or not it exists, and drops any chain an older
// berth left behind; the kernel commits the batch as a whole.
func replaceTable(conn *nftables.Conn, name string, networks []Network, ports []Port) {
	t := &nftables.Table{Name: name, Family: nftables.TableFamilyIPv4}
	conn.AddTable(t)
	conn.DelTable(t)
	conn.AddTable(t)

	accept := nftables.ChainPolicyAccept
	chain := func(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio nftables.ChainPriority) *nftables.Chain {
		return conn.AddChain(&nftables.Chain{
			Name: name, Table: t, Type: typ, Hooknum: hook,
			Priority: nftables.ChainPriorityRef(prio), Policy: &accept,
		})
	}
	raw := chain("raw-prerouting", nftables.ChainTypeFilter, nftables.ChainHookPrerouting, *nftables.ChainPriorityRaw)
	input := chain("input", nftables.ChainTypeFilter, nftables.ChainHookInput, *nftables.ChainPriorityFilter-1)
	forward := chain("forward", nftables.ChainTypeFilter, nftables.ChainHookForward, *nftables.ChainPriorityFilter-1)
	isolate := conn.AddChain(&nftables.Chain{Name: "isolate", Table: t})
	pre := chain("prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, *nftables.ChainPriorityNATDest)
	out := chain("output", nftables.ChainTypeNAT, nftables.ChainHookOutput, *nftables.ChainPriorityNATDest)
	post := chain("postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, *nftables.ChainPriorityNATSource)

	add := func(c *nftables.Chain, exprs ...[]expr.Any) {
		var all []expr.Any
		for _, e := range exprs {
			all = append(all, e...)
		}
		conn.AddRule(&nftables.Rule{Table: t, Chain: c, Exprs: all})
	}

	for _, n := range networks {
		// route_localnet on a bridge would let containers reach the host's
		// loopback services; nothing legitimate arrives there for 127/8.
		add(raw, iif(n.Bridge), daddrIn(loopbackNet), verdict(expr.VerdictDrop))
	}

	add(input, ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), verdict(expr.VerdictAccept))
	for _, n := range networks {
		if n.Internal {
			add(input, iif(n.Bridge), verdict(expr.VerdictDrop))
		}
	}

	add(forward, ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), verdict(expr.VerdictAccept))
	for _, n := range networks {
		if n.Internal {
			add(forward, iif(n.Bridge), oifNot(n.Bridge), verdict(expr.VerdictDrop))
			add(forward, iifNot(n.Bridge), oif(n.Bridge), verdict(expr.VerdictDrop))
		}
	}
	// A flow DNAT'ed to a published port is let through before isolation:
	// the port is open to anyone who reaches the host's address, so other
	// networks' containers may use it too.
	for _, n := range networks {
		if !n.Internal {
			add(forward, oif(n.Bridge), ctStatus(ipsDstNAT), verdict(expr.VerdictAccept))
		}
	}
	if len(networks) > 1 {
		for _, n := range networks {
			add(forward, iif(n.Bridge), oifNot(n.Bridge), jump(isolate.Name))
			add(isolate, oif(n.Bridge), verdict(expr.VerdictDrop))
		}
	}
	for _, n := range networks {
		if !n.Internal {
			add(forward, iif(n.Bridge), verdict(expr.VerdictAccept))
		}
	}

	for _, n := range networks {
		if n.Internal {
			continue
		}
		// Hairpin: a container reaching its own network through a published
		// port must see the answer come from the address it asked.
		add(post, saddrIn(n.Subnet), daddrIn(n.Subnet), oif(n.Bridge), ctStatus(ipsDstNAT), masq())
		// The host's 127.0.0.1 reaching a published port.
		add(post, saddrIn(loopbackNet), oif(n.Bridge), masq())
		add(post, saddrIn(n.Subnet), oifNot(n.Bridge), masq())
	}

	for _, p := range ports {
		if !p.HostIP.IsValid() || p.HostIP.IsUnspecified() {
			// From outside, 127/8 is never ours to forward.
			add(pre, fibDaddrLocal(), daddrNotIn(loopbackNet), l4(p.Proto, p.HostPort), dnat(p.ContainerIP, p.ContainerPort))
			add(out, fibDaddrLocal(), l4(p.Proto, p.HostPort), dnat(p.ContainerIP, p.ContainerPort))
			continue
		}
		if !p.HostIP.IsLoopback() {
			add(pre, daddrIs(p.HostIP), l4(p.Proto, p.HostPort), dnat(p.ContainerIP, p.ContainerPort))
		}
		add(out, daddrIs(p.HostIP), l4(p.Proto, p.HostPort), dnat(p.ContainerIP, p.ContainerPort))
	}
}

func ifname(n string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, n)
	return b
}

func metaCmp(key expr.MetaKey, op expr.CmpOp, data []byte) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: 1},
		&expr.Cmp{Op: op, Register: 1, Data: data},
	}
}

func iif(n string) []expr.Any    { return metaCmp(expr.MetaKeyIIFNAME, expr.CmpOpEq, ifname(n)) }
func iifNot(n string) []expr.Any { return metaCmp(expr.MetaKeyIIFNAME, expr.CmpOpNeq, ifname(n)) }
func oif(n string) []expr.Any    { return metaCmp(expr.MetaKeyOIFNAME, expr.CmpOpEq, ifname(n)) }
func oifNot(n string) []expr.Any { return metaCmp(expr.MetaKeyOIFNAME, expr.CmpOpNeq, ifname(n)) }

// ctBits matches packets whose conntrack key has any of bits set.
func ctBits(key expr.CtKey, bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: key},
		&expr.Bitwise{
			SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits),
			Xor:  binaryutil.NativeEndian.PutUint32(0),
		},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
	}
}

func ctState(bits uint32) []expr.Any  { return ctBits(expr.CtKeySTATE, bits) }
func ctStatus(bits uint32) []expr.Any { return ctBits(expr.CtKeySTATUS, bits) }

const (
	offSaddr = 12
	offDaddr = 16
)

func addrIn(offset uint32, p netip.Prefix, op expr.CmpOp) []expr.Any {
	p = p.Masked()
	e := []expr.Any{&expr.Payload{
		OperationType: expr.PayloadLoad, DestRegister: 1,
		Base: expr.PayloadBaseNetworkHeader, Offset: offset, Len: 4,
	}}
	if p.Bits() < 32 {
		m := make([]byte, 4)
		for i := 0; i < p.Bits(); i++ {
			m[i/8] |= 0x80 >> (i % 8)
		}
		e = append(e, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: m, Xor: make([]byte, 4)})
	}
	a := p.Addr().As4()
	return append(e, &expr.Cmp{Op: op, Register: 1, Data: a[:]})
}

func saddrIn(p netip.Prefix) []expr.Any    { return addrIn(offSaddr, p, expr.CmpOpEq) }
func daddrIn(p netip.Prefix) []expr.Any    { return addrIn(offDaddr, p, expr.CmpOpEq) }
func daddrNotIn(p netip.Prefix) []expr.Any { return addrIn(offDaddr, p, expr.CmpOpNeq) }
func daddrIs(a netip.Addr) []expr.Any      { return daddrIn(netip.PrefixFrom(a, 32)) }

// fibDaddrLocal matches packets addressed to one of the host's addresses
// (fib daddr type local).
func fibDaddrLocal() []expr.Any {
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
	}
}

// l4 matches the protocol ("tcp" or "udp") and destination port.
func l4(proto string, port uint16) []expr.Any {
	p := byte(unix.IPPROTO_TCP)
	if proto == "udp" {
		p = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}},
		&expr.Payload{
			OperationType: expr.PayloadLoad, DestRegister: 1,
			Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2,
		},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(port)},
	}
}

func dnat(ip netip.Addr, port uint16) []expr.Any {
	a := ip.As4()
	return []expr.Any{
		&expr.Immediate{Register: 1, Data: a[:]},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(port)},
		&expr.NAT{
			Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4,
			RegAddrMin: 1, RegProtoMin: 2, Specified: true,
		},
	}
}

func masq() []expr.Any { return []expr.Any{&expr.Masq{}} }

func verdict(k expr.VerdictKind) []expr.Any { return []expr.Any{&expr.Verdict{Kind: k}} }

func jump(chain string) []expr.Any {
	return []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: chain}}
}
