// Package firewall owns berth's kernel packet rules for one state root:
// outbound masquerade of each network's subnet, isolation between networks,
// internal networks, and published ports as DNAT (reachable from the host on
// 127.0.0.1 and on the host's addresses, from other containers through the
// host's address, and hairpin).
//
// All rules live in one nftables table named for the root ("berth-<tag>",
// family ip) that Apply replaces as a whole in one netlink transaction, so
// rules are never half-applied and keep forwarding while the daemon is down.
//
// The table holds these chains:
//
//	raw-prerouting  filter, prerouting, raw    drop 127.0.0.0/8 arriving on a berth bridge
//	input           filter, input, filter-1    internal networks cannot reach the host
//	forward         filter, forward, filter-1  internal drop, published flows, isolation
//	isolate         regular                    oif is another berth bridge: drop
//	prerouting      nat, prerouting, dstnat    published ports from outside
//	output          nat, output, dstnat        published ports from the host itself
//	postrouting     nat, postrouting, srcnat   masquerade: outbound, localhost, hairpin
//
// An accept in this table cannot undo a drop in another base chain, such as
// the iptables FORWARD policy DROP that Docker sets (with bridge netfilter,
// even same-bridge traffic). When the iptables filter table has Docker's
// DOCKER-USER chain, Apply also keeps accept rules for each berth bridge at its
// top, commented "berth-<tag>" so that only this root's rules are touched.
// Docker's own rules and policies are never changed.
//
// The package works in the network namespace of the calling OS thread: to
// manage another namespace, call it inside ns.WithNetNSPath. Creating
// bridges, addresses and routes is left to netstack; only IPv4 is handled.
package firewall
