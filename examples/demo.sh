#!/usr/bin/env bash
# demo.sh BERTH_BIN: a two-minute tour of berth under a private state root, so it never
# touches a user's /var/lib/berth. It runs a container or two, then builds the webapp
# example's images from source, brings the stack up on 127.0.0.1:8080, asks it twice,
# lists it and takes it down. On exit, failed or not, it removes every trace (containers,
# daemon, mounts, cgroups, bridges, firewall table, runtime files).
set -euo pipefail
berth=${1:?usage: demo.sh BERTH_BIN}
berth=$(realpath "$berth")
here=$(dirname "$(realpath "$0")")
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (containers need it)" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$work/root
tag=$(printf %s "$root" | sha256sum | cut -c1-8)
image=demo/busybox:latest

cleanup() {
	local rc=$?
	set +e
	if [ -S "/run/berth-$tag/berth.sock" ]; then
		ids=$("$berth" --root "$root" container ls -aq 2>/dev/null)
		[ -n "$ids" ] && "$berth" --root "$root" container rm -f $ids >/dev/null 2>&1
	fi
	pkill -TERM -f -- "daemon --root $root" 2>/dev/null
	for _ in $(seq 50); do pgrep -f -- "daemon --root $root" >/dev/null || break; sleep 0.1; done
	pkill -KILL -f -- "$root" 2>/dev/null
	pkill -KILL -f -- "/run/berth-$tag/" 2>/dev/null
	for d in /sys/fs/cgroup/*/berth-"$tag" /sys/fs/cgroup/berth-"$tag"; do
		[ -d "$d" ] || continue
		find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	awk -v r="$root" -v run="/run/berth-$tag" '$5 == r || index($5, r "/") == 1 || index($5, run "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf "/run/berth-$tag" "$work"
	# Networks outlive the daemon by design: remove this root's bridges, veths and table.
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^(br${tag:0:5}-|ve${tag:0:5})"); do
		ip link delete "$l" 2>/dev/null
	done
	nft delete table ip "berth-$tag" 2>/dev/null
	for d in /sys/fs/cgroup/*/berth-"$tag" /sys/fs/cgroup/berth-"$tag"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	if [ $rc -ne 0 ]; then echo "demo FAILED (exit $rc)" >&2; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# b runs berth on the demo's root, showing the command (quoted as you would type it).
b() {
	local a shown=""
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then shown+=" $a"; else shown+=" '${a//\'/\'\\\'\'}'"; fi
	done
	printf '$ berth%s\n' "$shown" >&2
	"$berth" --root "$root" "$@"
}

# The demo needs no outside names: the stack's DNS answers only for its own services.
mkdir -p "$root"
echo '{"dns-forward": false}' >"$root/daemon.json"

step "build a busybox root filesystem and import it as $image"
"$here/busybox-rootfs.sh" "$work/rootfs"
b image import --change 'CMD ["sh"]' "$work/rootfs" "$image"

step "run a container in the foreground (the daemon starts on first use); its exit code becomes berth's"
b container run --rm "$image" sh -c 'echo hello from berth in $(hostname); uname -sr'
set +e
b container run --rm "$image" sh -c 'exit 3'
code=$?
set -e
echo "exit code: $code"
[ "$code" = 3 ]

step "build the webapp example's images from source (static Go binaries, no registry)"
printf '$ examples/build-images.sh berth\n' >&2
"$here/build-images.sh" "$berth" --root "$root"
b image ls

stack="$here/webapp/compose.yaml"
step "bring up examples/webapp: proxy on 127.0.0.1:8080 -> app -> cache, each started once the one it needs is healthy"
sed -n '/^services:/,$p' "$stack" | grep -E '^  [a-z]+:|ports:|127.0.0.1|condition:' | sed 's/^/    /'
b up -f "$stack" -d --wait --wait-timeout 60

step "ask it twice on its published port: the hit counter lives in the cache service"
get() {
	printf '$ printf '\''GET / HTTP/1.0\\r\\n\\r\\n'\'' | busybox nc 127.0.0.1 8080\n' >&2
	# busybox nc ends when its input does: keep it open until the answer is surely in.
	{ printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'; sleep 1; } | busybox nc 127.0.0.1 8080 | tail -n 1
}
first=$(get)
echo "$first"
second=$(get)
echo "$second"
n1=${first##*: } n2=${second##*: }
[ "$n2" -gt "$n1" ] || { echo "demo: the hit count did not increase ($first, then $second)" >&2; exit 1; }
b ps -f "$stack"
b logs --file "$stack" --tail 2 proxy

step "take it down (in your own checkout: cd examples/webapp && berth up -d --wait, then berth down -v)"
b down -f "$stack" -v -t 5
b ps -f "$stack" -a

step "done: containers run, a three-service stack built, started in health order, asked twice and removed; cleaning up"
