#!/usr/bin/env bash
# build-images.sh BERTH_BIN [GLOBAL_FLAG...]: build the webapp example's images from source,
# with no registry: for each of proxy, app and cache, a static Go binary (CGO_ENABLED=0,
# standard library only) in a busybox root filesystem, imported as
# berth-examples/NAME:latest with the binary as its CMD. GLOBAL_FLAGs go before every berth
# command, e.g. `build-images.sh bin/berth --root /tmp/r`. Needs go and busybox-static.
set -euo pipefail
berth=${1:?usage: build-images.sh BERTH_BIN [GLOBAL_FLAG...]}
shift
berth=$(realpath "$berth")
here=$(dirname "$(realpath "$0")")
export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build-images.sh: go not found (install Go to /usr/local/go)" >&2; exit 1; }

work=$(mktemp -d /tmp/berth-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$here/busybox-rootfs.sh" "$work/base"
for name in proxy app cache; do
	dir=$work/$name
	cp -a "$work/base" "$dir"
	mkdir -p "$dir/usr/local/bin"
	(cd "$here/images/$name" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$dir/usr/local/bin/$name" .)
	"$berth" "$@" image import --change "CMD [\"/usr/local/bin/$name\"]" "$dir" "berth-examples/$name:latest" >/dev/null
	echo "berth-examples/$name:latest"
done
