#!/usr/bin/env bash
# busybox-rootfs.sh DIR: make a minimal root filesystem in DIR from the host's static
# busybox (Debian's busybox-static): every applet a symlink to /bin/busybox, users root,
# app (1000) and nobody, a sticky /tmp. Used by the demo and the benchmarks.
set -euo pipefail
dir=${1:?usage: busybox-rootfs.sh DIR}
bb=$(command -v busybox) || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
if command -v readelf >/dev/null && LC_ALL=C readelf -l "$bb" | grep -q 'Requesting program interpreter'; then
	echo "$bb is dynamically linked: apt-get install busybox-static" >&2
	exit 1
fi
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,root,home/app,var,tmp}
cp "$bb" "$dir/bin/busybox"
chmod 0755 "$dir/bin/busybox"
for applet in $("$bb" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$dir/$(dirname "$applet")"
	ln -sf /bin/busybox "$dir/$applet"
done
cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
chmod 1777 "$dir/tmp"
chmod 0700 "$dir/root"
chown 1000:1000 "$dir/home/app"
