# lib.sh: what the benchmark scripts share. Sourced after they set berth (the binary),
# work (their temporary directory), root (the state root under it), tag and run.

B() { "$berth" --root "$root" "$@"; }
say() { printf '%s\n' "$*"; }
table() { if command -v column >/dev/null; then column -t -s $'\t'; else cat; fi; }

# own_links prints the host links of this root: its bridges and host-side veths.
own_links() { ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E "^(br${tag:0:5}-|ve${tag:0:5})" || true; }

# remove_root removes everything the root made, also after a failure half-way: its
# containers, the daemon, processes left in its cgroups, mounts, the work and run
# directories, its cgroups (berth's and the runc references' berth-bench-<tag>), and its
# bridges, veths and nftables table, which outlive the daemon by design.
remove_root() {
	if [ -S "$run/berth.sock" ]; then
		local ids
		ids=$("$berth" --root "$root" container ls -aq 2>/dev/null)
		[ -n "$ids" ] && "$berth" --root "$root" container rm -f $ids >/dev/null 2>&1
	fi
	pkill -TERM -f -- "daemon --root $root" 2>/dev/null
	for _ in $(seq 50); do pgrep -f -- "daemon --root $root" >/dev/null || break; sleep 0.1; done
	pkill -KILL -f -- "$root" 2>/dev/null
	pkill -KILL -f -- "$run/" 2>/dev/null
	local cgroups=(/sys/fs/cgroup/*/berth-"$tag" /sys/fs/cgroup/berth-"$tag" /sys/fs/cgroup/*/berth-bench-"$tag" /sys/fs/cgroup/berth-bench-"$tag")
	local d
	for d in "${cgroups[@]}"; do
		[ -d "$d" ] || continue
		find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	awk -v r="$work" -v run="$run" '$5 == r || index($5, r "/") == 1 || index($5, run "/") == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	rm -rf "$run" "$work"
	for d in "${cgroups[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	local l
	for l in $(own_links); do ip link del "$l" 2>/dev/null; done
	nft delete table ip "berth-$tag" 2>/dev/null
}

# runc_spec SPEC ROOTFS ETC prints berth's runtime spec SPEC made into runc's reference
# (DESIGN "Clarifications"): the same spec, but with ROOTFS (a plain copy) as its root,
# copies in ETC of the /etc files berth binds from the root (their sources go with the
# container), a new network namespace with only loopback, and RLIMIT_NOFILE capped at
# the host's hard limit (raising it needs CAP_SYS_RESOURCE: berth's libcontainer then
# keeps the host's limit, the host's runc fails; runc gets what berth's containers get).
runc_spec() {
	local spec=$1 rootfs=$2 etc=$3 m nofile
	mkdir -p "$etc"
	for m in $(jq -r --arg root "$root" '.mounts[] | select((.source // "") | startswith($root)) | .source' "$spec"); do
		cp "$m" "$etc/$(basename "$m")"
	done
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	jq --arg rootfs "$rootfs" --arg root "$root" --arg etc "$etc" --argjson nofile "$nofile" '
		.root.path = $rootfs | .process.terminal = false
		| .mounts |= map(if ((.source // "") | startswith($root)) then .source = ($etc + "/" + (.source | split("/") | last)) else . end)
		| .linux.namespaces |= map(if .type == "network" then del(.path) else . end)
		| .process.rlimits |= map(if .type == "RLIMIT_NOFILE" then .hard = ([.hard, $nofile] | min) | .soft = ([.soft, $nofile] | min) else . end)
	' "$spec"
}
