// Package dns answers containers' DNS queries with the names of the containers
// that share a network with them.
//
// It serves on 127.0.0.11:53 (UDP and TCP) inside each container's network
// namespace, through sockets the daemon opens in that namespace, so it knows
// which container asks without trusting source addresses and needs no listener
// on the host. A query from container X for a name (A, AAAA or ANY) is answered
// from the records published on the networks X is on, X's own included; names
// it cannot answer are forwarded to Config.Forward from the daemon's own
// namespace, or answered NXDOMAIN when there is none.
//
// Semantics follow Docker's embedded DNS: names match case-insensitively with
// or without a trailing dot and never with a search-domain suffix; several
// containers with one alias give several answers, shuffled per query; a name
// with only IPv4 addresses answers AAAA with NOERROR and no answers (NODATA),
// which musl needs, and likewise for IPv6 and A; the TTL is 600 s. PTR queries
// for the addresses of containers on shared networks answer with the first
// name of the record. Changes to the tables are seen by the next query.
//
// The package knows nothing of Compose or the engine: the engine tells it which
// networks a container is on (SetNetworks), what each container is called on
// each network (Publish, Unpublish), and when to serve a container's namespace
// (Attach, Detach).
package dns
