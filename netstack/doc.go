// Package netstack gives containers private networks: Linux bridges with their own
// subnets, a network namespace per container attached by veth pairs, IP addresses from
// host-local's allocator (its on-disk format, under the state root), service-name DNS
// through netstack/dns, and packet rules (masquerade, isolation, published ports)
// through netstack/firewall. It knows nothing of Compose or of the engine.
//
// Host objects carry the root's tag, so two roots never collide and cleanup touches only
// its own: bridges are "br<tag5>-<id7>", host-side veths "ve<tag5><rand8>", the
// nftables table "berth-<tag>".
//
// Bucket layout (bbolt, in the daemon's database):
//
//	net.networks/<id>             JSON Network
//	net.names/<name>              network ID
//	net.endpoints/<id>/<ctr-id>   JSON Endpoint: one container's attachment to one network
//
// IP allocations live in <root>/net/ipam/<network-id>/ in host-local's format (one file
// per address, holding the container ID), released exactly once on disconnect.
package netstack
