#!/usr/bin/env bash
# demo.sh BERTH_BIN: a two-minute tour of berth under a private state root, so it never
# touches a user's /var/lib/berth. It builds a busybox image, runs a container in the
# foreground and one detached, lists, reads logs, execs, stops and removes, then removes
# every trace (daemon, mounts, cgroups, runtime files) on exit, failed or not.
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

step "build a busybox root filesystem and import it as $image"
"$here/busybox-rootfs.sh" "$work/rootfs"
b image import --change 'CMD ["sh"]' "$work/rootfs" "$image"
b image ls

step "run a container in the foreground (the daemon starts on first use)"
b container run --rm "$image" sh -c 'echo hello from berth; uname -a; id; cat /etc/hostname'

step "the container's exit code becomes berth's"
set +e
b container run --rm "$image" sh -c 'exit 3'
code=$?
set -e
echo "exit code: $code"
[ "$code" = 3 ]

step "run a detached container that prints a few lines"
id=$(b container run -d --name demo-counter "$image" sh -c 'for i in 1 2 3; do echo line $i; sleep 0.2; done; sleep 1000')
echo "$id"
for _ in $(seq 100); do
	"$berth" --root "$root" container logs demo-counter 2>/dev/null | grep -q 'line 3' && break
	sleep 0.1
done
b container ls
b container logs demo-counter
b container exec demo-counter sh -c 'echo "exec in $(hostname): $(ps | wc -l) lines of ps"'

step "stop and remove it"
b container stop -t 1 demo-counter
b container rm demo-counter
b container ls -a

step "done: three containers run (foreground, exit code, detached), logs read, exec, stop, rm; cleaning up"
