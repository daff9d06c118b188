#!/usr/bin/env bash
# network.sh BERTH_BIN: the cost of berth's private networks. Attach cost (container run of
# /bin/true on a bridge network minus with --network none), DNS lookup latency from inside a
# container (the embedded server at 127.0.0.11 against a stub server on the container's own
# 127.0.0.1, same client), and TCP throughput container->container and host->published port
# on 127.0.0.1, each against the same transfer between two plain network namespaces joined
# by a veth pair. docs/BENCHMARKS.md ("Networks") says what each number means.
# Traffic stays on this host: loopback, berth's bridges, and the two namespaces this script
# makes (10.254.0.0/30 exists only inside them). Everything runs under a private state root
# and is removed on exit: containers, daemon, mounts, cgroups, bridges, veths, the nftables
# table, the namespaces. Tunables: BENCH_ROUNDS (10) x BENCH_BATCH (5) runs per command,
# BENCH_LOOKUPS (1000), BENCH_NET_MB (256), BENCH_NET_ROUNDS (5), BENCH_ROUND_LIMIT (120 s).
set -euo pipefail
berth=${1:?usage: network.sh BERTH_BIN}
berth=$(realpath "$berth")
here=$(dirname "$(realpath "$0")")
rounds=${BENCH_ROUNDS:-10}
batch=${BENCH_BATCH:-5}
lookups=${BENCH_LOOKUPS:-1000}
mb=${BENCH_NET_MB:-256}
net_rounds=${BENCH_NET_ROUNDS:-5}
round_limit=${BENCH_ROUND_LIMIT:-120}
[ "$(id -u)" = 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
for tool in hyperfine busybox ip nft go; do
	command -v $tool >/dev/null || { echo "network.sh: $tool is missing (make bench-deps)" >&2; exit 1; }
done
if ! command -v jq >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi

work=$(mktemp -d /tmp/berth-netbench.XXXXXX)
root=$work/root
tag=$(printf %s "$root" | sha256sum | cut -c1-8)
run=/run/berth-$tag
image=bench/busybox:latest
ns_a=berth-nb-$tag-a
ns_b=berth-nb-$tag-b
ref_srv=""

. "$here/lib.sh"

cleanup() {
	local rc=$?
	set +e
	[ -n "$ref_srv" ] && kill "$ref_srv" 2>/dev/null
	ip netns pids "$ns_b" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$ns_a" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	remove_root
	[ $rc -ne 0 ] && echo "bench FAILED (exit $rc)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# median reads numbers, one a line, and prints their median.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

say "# berth network benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
say "berth: $(B version 2>/dev/null | awk '/Version/{print $2; exit}')   $(hyperfine --version)   $(busybox | head -1 | cut -d' ' -f1,2)"

# --- netbench: what busybox lacks (a ns clock, timed DNS lookups, a stub DNS server) -------
mkdir -p "$work/netbench-src" "$work/x"
cat >"$work/netbench-src/main.go" <<'GO'
// Command netbench times DNS lookups inside a container for berth's network benchmark.
//
//	netbench now                      print the time in ns (busybox date has no %N)
//	netbench lookup SERVER NAME N     N lookups of NAME's A record at SERVER (ip:port),
//	                                  one at a time; print "median_us p99_us failures"
//	netbench dns-stub ADDR            answer every A query at ADDR (udp) with 10.0.0.1
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"time"
)

func main() {
	switch os.Args[1] {
	case "now":
		fmt.Println(time.Now().UnixNano())
	case "lookup":
		server, name := os.Args[2], os.Args[3]
		n, _ := strconv.Atoi(os.Args[4])
		// The same pure-Go resolver for every server: only the server differs.
		r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", server)
		}}
		var ds []time.Duration
		failed := 0
		for range n {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			t0 := time.Now()
			_, err := r.LookupIP(ctx, "ip4", name)
			d := time.Since(t0)
			cancel()
			if err != nil {
				failed++
				continue
			}
			ds = append(ds, d)
		}
		if len(ds) == 0 {
			fmt.Fprintln(os.Stderr, "every lookup failed")
			os.Exit(1)
		}
		slices.Sort(ds)
		us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }
		fmt.Println(us(ds[len(ds)/2]), us(ds[(len(ds)*99)/100]), failed)
	case "dns-stub":
		c, err := net.ListenPacket("udp", os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		buf := make([]byte, 512)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil || n < 12 {
				continue
			}
			// Answer the one question (a pointer to its name, type A, class IN);
			// drop whatever follows it, such as an EDNS record.
			q := buf[:n]
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			end += 5 // the root label, QTYPE, QCLASS
			if end > n {
				continue
			}
			resp := append([]byte{}, q[:end]...)
			resp[2] |= 0x80 // QR
			resp[3] = 0x80  // RA, NOERROR
			copy(resp[4:12], []byte{0, 1, 0, 0, 0, 0, 0, 0})
			if q[end-4] == 0 && q[end-3] == 1 { // QTYPE A
				resp[7] = 1
				resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 2, 88, 0, 4, 10, 0, 0, 1)
			}
			_, _ = c.WriteTo(resp, from)
		}
	}
}
GO
printf 'module netbench\n\ngo 1.22\n' >"$work/netbench-src/go.mod"
(cd "$work/netbench-src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS= go build -trimpath -o "$work/x/netbench" .)

"$here/../examples/busybox-rootfs.sh" "$work/rootfs"
B image import --change 'CMD ["sh"]' "$work/rootfs" "$image" >/dev/null
B network create benchnet >/dev/null
for _ in 1 2 3; do
	timeout 60 "$berth" --root "$root" container run --rm --network benchnet "$image" /bin/true
	timeout 60 "$berth" --root "$root" container run --rm --network none "$image" /bin/true
done

# --- attach cost: rounds of short hyperfine batches, the two commands in turn -------------
cmd_net="$berth --root $root container run --rm --network benchnet $image /bin/true"
cmd_none="$berth --root $root container run --rm --network none $image /bin/true"
say ""
say "## attach cost: container run --rm of /bin/true, $rounds rounds x $batch runs of each, interleaved by round"
for r in $(seq "$rounds"); do
	# hyperfine has no per-run time limit: a hung command would hang the benchmark.
	hrc=0
	timeout -s KILL "$round_limit" hyperfine -N --style none --runs "$batch" --export-json "$work/attach-$r.json" \
		-n bridge "$cmd_net" -n none "$cmd_none" >/dev/null 2>>"$work/hyperfine.log" || hrc=$?
	if [ "$hrc" != 0 ]; then
		[ "$hrc" = 137 ] && echo "network.sh: round $r took over ${round_limit}s: a command hangs (berth's log: $root/daemon.log)" >&2
		tail -5 "$root/daemon.log" >&2
		cat "$work/hyperfine.log" >&2
		exit 1
	fi
	printf '.' >&2
done
printf '\n' >&2
stats='[.[].results[]] | group_by(.command) | map({name: .[0].command, t: ([.[].times[]] | sort)})
	| map(. + {n: (.t | length), min: .t[0], max: .t[-1],
		median: (if (.t | length) % 2 == 1 then .t[((.t | length) - 1) / 2]
			else (.t[(.t | length) / 2 - 1] + .t[(.t | length) / 2]) / 2 end)})'
ms='* 100000 | round / 100'
jq -s -r "$stats"' | (["network", "runs", "median ms", "min ms", "max ms"] | @tsv),
	(.[] | [.name, .n, (.median '"$ms"'), (.min '"$ms"'), (.max '"$ms"')] | @tsv)' "$work"/attach-*.json | table
jq -s -r "$stats"' | (map({key: .name, value: .median}) | from_entries) as $m
	| "attach cost (median bridge - median none): \(($m.bridge - $m.none) '"$ms"') ms (target < 20 ms)"' "$work"/attach-*.json

# --- DNS lookup latency --------------------------------------------------------------------
say ""
say "## DNS lookup latency inside a container: $lookups lookups of a peer's name, one at a time"
B container run -d --name peer --network benchnet "$image" sleep 100000 >/dev/null
B container run -d --name client --network benchnet -v "$work/x:/x:ro" "$image" sleep 100000 >/dev/null
B container exec -d client /x/netbench dns-stub 127.0.0.1:5353
for _ in $(seq 50); do B container exec client /x/netbench lookup 127.0.0.1:5353 peer 1 >/dev/null 2>&1 && break; sleep 0.1; done
B container exec client /x/netbench lookup 127.0.0.11:53 peer 20 >/dev/null # warm-up
read -r emb_med emb_p99 emb_fail < <(B container exec client /x/netbench lookup 127.0.0.11:53 peer "$lookups")
read -r ref_med ref_p99 ref_fail < <(B container exec client /x/netbench lookup 127.0.0.1:5353 peer "$lookups")
{
	printf 'server\tmedian us\tp99 us\tfailed\n'
	printf 'embedded 127.0.0.11:53\t%s\t%s\t%s\n' "$emb_med" "$emb_p99" "$emb_fail"
	printf 'stub on 127.0.0.1:5353\t%s\t%s\t%s\n' "$ref_med" "$ref_p99" "$ref_fail"
} | table

# --- TCP throughput -------------------------------------------------------------------------
# A server that takes one connection at a time and reads it to the end. Its stdin is a FIFO
# opened read-write that nobody writes: busybox nc shuts its sending side when stdin ends,
# which would end the client's nc before it sent everything.
server_loop='mkfifo /tmp/hold && exec 3<>/tmp/hold && while true; do nc -l -p 5001 <&3 >/dev/null; done'
B container run -d --name sink --network benchnet -p 127.0.0.1::5001 "$image" sh -c "$server_loop" >/dev/null
sink_ip=$(B container inspect sink | jq -r '.[0].NetworkSettings.Networks.benchnet.IPAddress')
sink_port=$(B container port sink 5001/tcp | head -1 | awk -F: '{print $NF}')
B container run -d --name source --network benchnet -v "$work/x:/x:ro" "$image" sleep 100000 >/dev/null

# The reference: two namespaces, one veth pair, nothing else.
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "vna${tag:0:6}" type veth peer name "vnb${tag:0:6}"
ip link set "vna${tag:0:6}" netns "$ns_a"
ip link set "vnb${tag:0:6}" netns "$ns_b"
ip -n "$ns_a" addr add 10.254.0.1/30 dev "vna${tag:0:6}"
ip -n "$ns_b" addr add 10.254.0.2/30 dev "vnb${tag:0:6}"
for n in "$ns_a" "$ns_b"; do ip -n "$n" link set lo up; done
ip -n "$ns_a" link set "vna${tag:0:6}" up
ip -n "$ns_b" link set "vnb${tag:0:6}" up
mkfifo "$work/hold"
ip netns exec "$ns_b" sh -c "exec 3<>'$work/hold'; while true; do busybox nc -l -p 5001 <&3 >/dev/null; done" &
ref_srv=$!

# Each transfer prints its nanoseconds, timed where the sender runs, around dd | nc.
xfer="busybox dd if=/dev/zero bs=1M count=$mb 2>/dev/null | busybox nc"
ctr_to_ctr() { B container exec source sh -c "t0=\$(/x/netbench now); $xfer $sink_ip 5001 && echo \$((\$(/x/netbench now) - t0))"; }
host_to_port() { sh -c "t0=\$(date +%s%N); $xfer 127.0.0.1 $sink_port && echo \$((\$(date +%s%N) - t0))"; }
veth_ref() { ip netns exec "$ns_a" sh -c "t0=\$(date +%s%N); $xfer 10.254.0.2 5001 && echo \$((\$(date +%s%N) - t0))"; }
# retry: the server's loop may be between two connections.
timed() {
	local f=$1 out
	for _ in 1 2 3 4 5; do
		out=$($f 2>"$work/xfer.err") && [ -n "$out" ] && { echo "$out"; return; }
		sleep 0.2
	done
	echo "network.sh: $f failed 5 times; the last time it said:" >&2
	cat "$work/xfer.err" >&2
	B container exec sink ps >&2
	return 1
}

say ""
say "## TCP throughput: $mb MiB through busybox dd | nc into nc -l, $net_rounds rounds, interleaved"
: >"$work/ctr"
: >"$work/host"
: >"$work/ref"
for _ in $(seq "$net_rounds"); do
	timed ctr_to_ctr >>"$work/ctr"
	sleep 0.2
	timed host_to_port >>"$work/host"
	sleep 0.2
	timed veth_ref >>"$work/ref"
	sleep 0.2
	printf '.' >&2
done
printf '\n' >&2
mibs() { median <"$1" | awk -v mb="$mb" '{ printf "%.0f", mb / ($1 / 1e9) }'; }
ctr=$(mibs "$work/ctr")
host=$(mibs "$work/host")
ref=$(mibs "$work/ref")
{
	printf 'path\tmedian MiB/s\tvs veth reference\n'
	printf 'container -> container (same network)\t%s\t%s\n' "$ctr" "$(awk -v a="$ctr" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
	printf 'host -> published port on 127.0.0.1\t%s\t%s\n' "$host" "$(awk -v a="$host" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
	printf 'reference: netns -> netns over one veth pair\t%s\t1.00\n' "$ref"
} | table
say "target: host -> published port >= 0.80 of the reference"
