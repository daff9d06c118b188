#!/usr/bin/env bash
# run.sh BERTH_BIN: berth's start latency against runc and a bare unshare+chroot, and the
# memory of berth's processes with 0, 1 and 50 idle containers. docs/BENCHMARKS.md says
# what each number means. Everything runs under a private state root and is removed on
# exit. Tunables: BENCH_ROUNDS (10) x BENCH_BATCH (5) runs per command, BENCH_MANY (50),
# BENCH_ROUND_LIMIT (120 s: a round that takes longer fails the benchmark).
set -euo pipefail
berth=${1:?usage: run.sh BERTH_BIN}
berth=$(realpath "$berth")
here=$(dirname "$(realpath "$0")")
rounds=${BENCH_ROUNDS:-10}
batch=${BENCH_BATCH:-5}
many=${BENCH_MANY:-50}
round_limit=${BENCH_ROUND_LIMIT:-120}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
for tool in hyperfine runc unshare; do
	command -v $tool >/dev/null || { echo "run.sh: $tool is missing (make bench-deps)" >&2; exit 1; }
done
if ! command -v jq >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null
fi

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
root=$work/root
tag=$(printf %s "$root" | sha256sum | cut -c1-8)
run=/run/berth-$tag
runc_root=$work/runc-state
runc_id=bench-runc-$tag
image=bench/busybox:latest
. "$here/lib.sh"

cleanup() {
	local rc=$?
	set +e
	runc --root "$runc_root" delete -f "$runc_id" >/dev/null 2>&1
	remove_root
	[ $rc -ne 0 ] && echo "bench FAILED (exit $rc)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- the machine -------------------------------------------------------------------------
case $(stat -fc %T /sys/fs/cgroup) in
cgroup2fs) cgmode=v2 ;;
*) if [ -d /sys/fs/cgroup/unified ]; then cgmode="v1 (hybrid, v2 at /sys/fs/cgroup/unified)"; else cgmode=v1; fi ;;
esac
say "# berth benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r), cgroup $cgmode"
say "berth: $(B version 2>/dev/null | awk '/Version/{print $2; exit}')   runc: $(runc --version | awk 'NR==1{print $3}')   $(hyperfine --version)"

# --- the same rootfs three ways ----------------------------------------------------------
"$here/../examples/busybox-rootfs.sh" "$work/rootfs"
B image import --change 'CMD ["sh"]' "$work/rootfs" "$image" >/dev/null
# A warm daemon: started, image unpacked, first container run.
for _ in 1 2 3; do timeout 60 "$berth" --root "$root" container run --rm --network none "$image" /bin/true; done

# runc's bundle gets berth's own spec for the same image (lib.sh's runc_spec), from a
# live container, running /bin/true in its own cgroup.
id=$(B container run -d --network none "$image" sleep 1000)
bundle=$work/bundle
mkdir -p "$bundle" "$runc_root"
cp -a "$work/rootfs" "$bundle/rootfs"
spec_src=$run/c/$id/config.json
[ -f "$spec_src" ] || { echo "run.sh: berth's spec is not at $spec_src" >&2; exit 1; }
runc_spec "$spec_src" "$bundle/rootfs" "$bundle/etc" |
	jq --arg cg "/berth-bench-$tag/runc" '.process.args = ["/bin/true"] | .linux.cgroupsPath = $cg' >"$bundle/config.json"
B container rm -f "$id" >/dev/null
say "runc bundle: berth's spec with $(jq '.mounts | length' "$bundle/config.json") mounts, seccomp $(jq -r 'if .linux.seccomp then "on" else "off" end' "$bundle/config.json"), $(jq '.process.capabilities.effective | length' "$bundle/config.json") capabilities, namespaces $(jq -r '[.linux.namespaces[].type] | join(",")' "$bundle/config.json")"
# Fail here, not in the middle of hyperfine, if runc rejects the bundle.
runc --root "$runc_root" run -b "$bundle" "$runc_id" </dev/null

cmd_berth="$berth --root $root container run --rm --network none $image /bin/true"
cmd_runc="runc --root $runc_root run -b $bundle $runc_id"
cmd_unshare="unshare -fpmuin --mount-proc chroot $work/rootfs /bin/true"

# --- start latency: rounds of short hyperfine batches, the three commands in turn ----------
say ""
say "## start latency of /bin/true: $rounds rounds x $batch runs of each command, interleaved by round"
for r in $(seq "$rounds"); do
	warm=0
	[ "$r" = 1 ] && warm=2
	hyperfine -N --style none --warmup "$warm" --runs "$batch" \
		--export-json "$work/round-$r.json" \
		-n berth "$cmd_berth" -n runc "$cmd_runc" -n unshare "$cmd_unshare" >/dev/null 2>>"$work/hyperfine.log" &
	hpid=$!
	# hyperfine has no per-run time limit: a hung command would hang the benchmark.
	(
		sleep "$round_limit" &
		s=$!
		trap 'kill $s 2>/dev/null; exit 0' TERM
		wait $s || exit 0
		echo "run.sh: round $r took over ${round_limit}s: a command hangs (berth's log: $root/daemon.log)" >&2
		tail -5 "$root/daemon.log" >&2
		pkill -KILL -P "$hpid"
	) &
	watchdog=$!
	hrc=0
	wait "$hpid" || hrc=$?
	{ kill "$watchdog" || true; wait "$watchdog" || true; } 2>/dev/null
	if [ "$hrc" != 0 ]; then
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
jq -s -r "$stats"' | (["command", "runs", "median ms", "min ms", "max ms"] | @tsv),
	(.[] | [.name, .n, (.median '"$ms"'), (.min '"$ms"'), (.max '"$ms"')] | @tsv)' "$work"/round-*.json | table
jq -s -r "$stats"' | (map({key: .name, value: .median}) | from_entries) as $m
	| "berth/runc (median): \($m.berth / $m.runc * 100 | round / 100)x",
	  "berth/unshare (median): \($m.berth / $m.unshare * 100 | round / 100)x"' "$work"/round-*.json

# --- memory ----------------------------------------------------------------------------
# rss_pss PID...: summed Rss and Pss in kB from smaps_rollup.
rss_pss() {
	local rss=0 pss=0 r p
	for pid in "$@"; do
		read -r r p < <(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} END{print r+0, p+0}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo "0 0")
		rss=$((rss + r)) pss=$((pss + p))
	done
	echo "$rss $pss"
}
daemon_pid() { pgrep -f -- "daemon --root $root" | head -1; }
# berth's own processes: the daemon and the shims, the spare included (not the
# containers' processes).
berth_pids() { pgrep -f -- "daemon --root $root|berth-runtime shim .*$run/" || true; }
settle() { sleep 2; }

say ""
say "## memory (kB)"
# A fresh idle daemon: stop the one the latency runs used, let the next command start one.
pkill -TERM -f -- "daemon --root $root"
for _ in $(seq 100); do [ -z "$(daemon_pid)" ] && break; sleep 0.1; done
B container ls >/dev/null
settle
read -r drss dpss < <(rss_pss "$(daemon_pid)")
read -r p0rss p0 < <(rss_pss $(berth_pids))
say "idle daemon: RSS $drss, PSS $dpss; with its spare shim: RSS $p0rss, PSS $p0"

id=$(B container run -d "$image" sleep 1000)
settle
# The container's shim is its init's parent (a spare shim's command line names no
# container).
cpid=$(B container inspect -f '{{.State.Pid}}' "$id")
shim=$(awk '/^PPid:/{print $2}' "/proc/$cpid/status")
read -r srss spss < <(rss_pss "$shim")
read -r p1rss p1 < <(rss_pss $(berth_pids))
say "one idle container's shim: RSS $srss, PSS $spss"

for i in $(seq 2 "$many"); do B container run -d "$image" sleep 1000 >/dev/null; done
settle
read -r pNrss pN < <(rss_pss $(berth_pids))
say "berth total PSS: 0 containers $p0, 1 container $p1, $many containers $pN (RSS $p0rss, $p1rss, $pNrss)"
awk -v n="$many" -v y0="$p0" -v y1="$p1" -v yn="$pN" 'BEGIN {
	mx = (0 + 1 + n) / 3; my = (y0 + y1 + yn) / 3
	sxy = (0 - mx) * (y0 - my) + (1 - mx) * (y1 - my) + (n - mx) * (yn - my)
	sxx = (0 - mx) ^ 2 + (1 - mx) ^ 2 + (n - mx) ^ 2
	b = sxy / sxx; a = my - b * mx
	printf "least-squares fit: intercept %.0f kB (the idle daemon), slope %.0f kB per idle container\n", a, b
}'
