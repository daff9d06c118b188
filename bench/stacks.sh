#!/usr/bin/env bash
# stacks.sh BERTH_BIN: the cost of Compose stacks. For generated stacks of 1, 10 and 50
# services: a cold `berth up -d` (images loaded, daemon running, no object of the stack
# existing), a no-op second `up -d`, and `down -t 0`; and `up -d --wait` of a 5-service
# chain gated on service_healthy (healthcheck interval 1s). Each is timed over a few rounds
# (median, min, max). Beside each, the same number of containers under the host's runc,
# from berth's own spec of a stack container (DESIGN "Clarifications"): N parallel
# `runc run -d` for up, N parallel `runc delete -f` for down, 5 sequential
# `runc run -d` + `runc exec true` for the chain. Docker Compose columns only when
# `docker compose version` works and a Docker daemon answers. docs/BENCHMARKS.md ("Stacks")
# says what each number means. Everything runs under a private state root and is removed
# on exit: containers, daemon, mounts, cgroups, bridges, veths, the nftables table.
# Tunables: BENCH_STACK_ROUNDS (5), BENCH_STACK_SIZES ("1 10 50").
set -euo pipefail
berth=${1:?usage: stacks.sh BERTH_BIN}
berth=$(realpath "$berth")
here=$(dirname "$(realpath "$0")")
rounds=${BENCH_STACK_ROUNDS:-5}
sizes=${BENCH_STACK_SIZES:-"1 10 50"}
[ "$(id -u)" = 0 ] || { echo "stacks.sh: run as root" >&2; exit 1; }
for tool in busybox ip nft; do
	command -v $tool >/dev/null || { echo "stacks.sh: $tool is missing (make bench-deps)" >&2; exit 1; }
done
if ! command -v jq >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi
have_runc=false
command -v runc >/dev/null && have_runc=true

work=$(mktemp -d /tmp/berth-stacks.XXXXXX)
root=$work/root
tag=$(printf %s "$root" | sha256sum | cut -c1-8)
run=/run/berth-$tag
runc_root=$work/runc-state
image=bench/busybox:latest
. "$here/lib.sh"

runc_ids() { runc --root "$runc_root" list -q 2>/dev/null || true; }
cleanup() {
	local rc=$?
	set +e
	if $have_runc; then for id in $(runc_ids); do runc --root "$runc_root" delete -f "$id" >/dev/null 2>&1; done; fi
	remove_root
	[ $rc -ne 0 ] && echo "stacks bench FAILED (exit $rc)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
# ms START: milliseconds since START (from now), two decimals.
ms() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
# stats V...: "median min max" of the values.
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}
# timed VAR CMD...: run CMD quietly, fail loudly if it fails, append its ms to array VAR.
timed() {
	local -n acc=$1
	shift
	local t0 out
	t0=$(now)
	if ! out=$("$@" 2>&1); then
		echo "stacks.sh: failed: $*" >&2
		echo "$out" >&2
		tail -5 "$root/daemon.log" >&2
		exit 1
	fi
	acc+=("$(ms "$t0")")
}

# --- the machine -------------------------------------------------------------------------
say "# berth stack benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
say "berth: $(B version 2>/dev/null | awk '/Version/{print $2; exit}')   runc: $($have_runc && runc --version | awk 'NR==1{print $3}' || echo none)   rounds: $rounds"

mkdir -p "$root"
# No stack here needs an outside name.
echo '{"dns-forward": false}' >"$root/daemon.json"
"$here/../examples/busybox-rootfs.sh" "$work/rootfs"
B image import --change 'CMD ["sh"]' "$work/rootfs" "$image" >/dev/null
for _ in 1 2 3; do timeout 60 "$berth" --root "$root" container run --rm "$image" /bin/true; done

loop="trap 'exit 0' TERM; while true; do sleep 1; done"
# gen N FILE: a stack of N independent services s1..sN running the loop.
gen() {
	{
		echo "services:"
		for i in $(seq "$1"); do
			printf '  s%d:\n    image: %s\n    pull_policy: never\n    command: ["sh", "-c", "%s"]\n' "$i" "$image" "$loop"
		done
	} >"$2"
}
# chain FILE: c1 <- c2 <- ... <- c5, each started once the previous one is healthy.
chain() {
	{
		echo "services:"
		for i in 1 2 3 4 5; do
			printf '  c%d:\n    image: %s\n    pull_policy: never\n    command: ["sh", "-c", "%s"]\n' "$i" "$image" "$loop"
			printf '    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n'
			[ "$i" -gt 1 ] && printf '    depends_on:\n      c%d:\n        condition: service_healthy\n' $((i - 1))
		done
	} >"$1"
}

# --- the runc reference: berth's spec of a stack container --------------------------------
if $have_runc; then
	mkdir -p "$work/ref" && gen 1 "$work/ref/compose.yaml"
	B up -f "$work/ref/compose.yaml" -d >/dev/null 2>&1
	id=$(B ps -f "$work/ref/compose.yaml" -q)
	spec_src=$run/c/$id/config.json
	[ -f "$spec_src" ] || { echo "stacks.sh: berth's spec is not at $spec_src" >&2; exit 1; }
	mkdir -p "$runc_root"
	runc_spec "$spec_src" "$work/rootfs" "$work/etc" >"$work/spec.json"
	B down -f "$work/ref/compose.yaml" -t 0 >/dev/null 2>&1
	max=5
	for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
	for i in $(seq "$max"); do
		mkdir -p "$work/bundle-$i"
		jq --arg cg "/berth-bench-$tag/stack-$i" '.linux.cgroupsPath = $cg' "$work/spec.json" >"$work/bundle-$i/config.json"
	done
	# Fail here, not in the middle of a round, if runc rejects the bundle.
	runc --root "$runc_root" run -d -b "$work/bundle-1" "probe-$tag" </dev/null >/dev/null 2>&1 ||
		{ runc --root "$runc_root" run -d -b "$work/bundle-1" "probe-$tag" </dev/null; exit 1; }
	runc --root "$runc_root" delete -f "probe-$tag"
fi
runc_up() {
	local pids=() i rc=0
	for i in $(seq "$1"); do
		runc --root "$runc_root" run -d -b "$work/bundle-$i" "s$i-$tag" </dev/null >/dev/null 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	return $rc
}
runc_down() {
	local pids=() id rc=0
	for id in $(runc_ids); do
		runc --root "$runc_root" delete -f "$id" >/dev/null 2>&1 &
		pids+=($!)
	done
	for id in "${pids[@]}"; do wait "$id" || rc=1; done
	return $rc
}
runc_chain() {
	local i
	for i in 1 2 3 4 5; do
		runc --root "$runc_root" run -d -b "$work/bundle-$i" "c$i-$tag" </dev/null >/dev/null 2>&1
		runc --root "$runc_root" exec "c$i-$tag" true
	done
}

# --- the rounds ----------------------------------------------------------------------------
results=$work/results.tsv
# row WHAT N BERTH_MS... -- RUNC_MS...
row() {
	local what=$1 n=$2 b=() r=() x side=b
	shift 2
	for x in "$@"; do
		if [ "$x" = -- ]; then side=r; continue; fi
		if [ $side = b ]; then b+=("$x"); else r+=("$x"); fi
	done
	read -r bm bmin bmax < <(stats "${b[@]}")
	if [ ${#r[@]} -gt 0 ]; then
		read -r rm _ _ < <(stats "${r[@]}")
		ratio=$(awk -v a="$bm" -v b="$rm" 'BEGIN { printf "%.2fx", a / b }')
	else
		rm=- ratio=-
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$what" "$n" "${#b[@]}" "$bm" "$bmin" "$bmax" "$rm" "$ratio" >>"$results"
}

for n in $sizes; do
	dir=$work/stack$n
	mkdir -p "$dir"
	gen "$n" "$dir/compose.yaml"
	up=() noop=() down=() rup=() rdown=()
	for r in $(seq "$rounds"); do
		timed up B up -f "$dir/compose.yaml" -d
		count=$(B ps -f "$dir/compose.yaml" -q | wc -l)
		[ "$count" = "$n" ] || { echo "stacks.sh: up -d of $n services left $count running" >&2; exit 1; }
		timed noop B up -f "$dir/compose.yaml" -d
		timed down B down -f "$dir/compose.yaml" -t 0
		if $have_runc; then
			timed rup runc_up "$n"
			timed rdown runc_down
		fi
		printf '.' >&2
	done
	row "cold up -d" "$n" "${up[@]}" -- "${rup[@]}"
	row "no-op up -d" "$n" "${noop[@]}"
	row "down -t 0" "$n" "${down[@]}" -- "${rdown[@]}"
done

dir=$work/chain
mkdir -p "$dir"
chain "$dir/compose.yaml"
ch=() rch=()
for r in $(seq "$rounds"); do
	timed ch B up -f "$dir/compose.yaml" -d --wait
	B down -f "$dir/compose.yaml" -t 0 >/dev/null 2>&1
	if $have_runc; then
		timed rch runc_chain
		runc_down
	fi
	printf '.' >&2
done
printf '\n' >&2
row "healthy chain up -d --wait" 5 "${ch[@]}" -- "${rch[@]}"

say ""
say "## stacks (ms; runc: the same number of containers from berth's spec, no network)"
{
	printf 'what\tservices\trounds\tmedian\tmin\tmax\trunc median\tberth/runc\n'
	cat "$results"
} | table
if timeout 10 docker compose version >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
	say "Docker Compose is available: compare with the same files under docker compose (not automated here)."
else
	say "Docker Compose: not available here (docker compose version or docker info fails); no Docker columns."
fi
