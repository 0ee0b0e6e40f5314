#!/usr/bin/env bash
# Build one Go workload with one cached toolchain in one build mode, reusing
# the result when the sources have not changed. Prints the binary's path.
#
#   tests/build-go.sh VERSION MODE WORKLOAD
#     VERSION   1.19 1.21 ... 1.27 (from tools/fetch-go.sh)
#     MODE      default | stripped (-ldflags=-s -w) | pie (-buildmode=pie)
#               | cgo (external linking, a C function called at start)
#     WORKLOAD  a directory under tests/workloads
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${GOPRY_CACHE:-$top/.cache}
ver=$1 mode=$2 wl=$3
goroot="$cache/go/$ver/usr/lib/go-$ver"
go="$goroot/bin/go"
[ -x "$go" ] || { echo "build-go: no Go $ver in $cache/go (run tools/fetch-go.sh $ver)" >&2; exit 1; }
src="$top/tests/workloads/$wl"
[ -d "$src" ] || { echo "build-go: no workload $src" >&2; exit 1; }

flags=() tags=gopry_nocgo cgo=0
case $mode in
default) ;;
stripped) flags=(-ldflags=-s\ -w) ;;
pie) flags=(-buildmode=pie) ;;
cgo) tags=gopry_cgo cgo=1 flags=(-ldflags=-linkmode=external) ;;
*) echo "build-go: unknown mode $mode" >&2; exit 2 ;;
esac

# Rebuild only when the workload's sources or this script change.
sum=$(cat "$0" "$top/tests/workloads/go.mod" "$src"/*.go | sha1sum | cut -c1-12)
out="$cache/build/$ver/$mode/$wl"
mkdir -p "$(dirname "$out")" "$cache/gocache/$ver" "$cache/gopath"
# Test cases run in parallel and ask for the same binary: one builds, the
# others wait and reuse it. Two builds would each replace the file, and a
# program started from the first (or a gopry that read it) would then be
# running or probing an inode the path no longer names: gopry takes that
# for an exec.
exec 9>"$out.lock"
flock 9
if [ -x "$out" ] && [ "$(cat "$out.sum" 2>/dev/null)" = "$sum" ]; then
	echo "$out"
	exit 0
fi
(
	cd "$top/tests/workloads"
	env -u GOFLAGS GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off \
		GOCACHE="$cache/gocache/$ver" GOPATH="$cache/gopath" CGO_ENABLED=$cgo \
		"$go" build -trimpath=false -tags "$tags" "${flags[@]}" -o "$out.tmp.$$" "./$wl"
)
mv "$out.tmp.$$" "$out"
echo "$sum" >"$out.sum"
echo "$out"
