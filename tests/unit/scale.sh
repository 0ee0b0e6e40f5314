#!/usr/bin/env bash
# allocs__scale against Go's own formula: tests/workloads/scale pulls
# runtime/pprof.scaleHeapSample by linkname and evaluates it on the cases
# test_scale generates, with the oldest and the newest cached toolchain (the
# newest takes the average size, go1.27 protomem.go:72). PASS/FAIL lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
bin=${OUTPUT:-.output}/tests/test_scale
rc=0
fail() { echo "FAIL $1: $2"; rc=1; }

build_test "$bin" || { fail scale.build "make $bin"; exit 1; }
cached_toolchains || { fail scale.toolchains "none in $cache/go"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" -g >"$tmp/cases"
for v in $(printf '%s\n' "${vers[0]}" "${vers[-1]}" | sort -u); do
	root=$(goroot "$v")
	flags=() args=()
	# go1.23+ refuses linkname pulls of unexported std symbols unless told.
	[ "$(printf '%s\n' 1.23 "$v" | sort -V | head -1)" = 1.23 ] && flags=(-ldflags=-checklinkname=0)
	grep -q 'func scaleHeapSample(count, avgSize, rate' "$root/src/runtime/pprof/protomem.go" &&
		args=(-avg)
	if ! (cd tests/workloads && env -u GOFLAGS GOROOT="$root" GOTOOLCHAIN=local GOPROXY=off \
		GOCACHE="$cache/gocache/$v" GOPATH="$cache/gopath" CGO_ENABLED=0 \
		"$root/bin/go" build "${flags[@]}" -o "$tmp/scale$v" ./scale) >"$tmp/log" 2>&1; then
		fail "scale.go$v" "build: $(tail -3 "$tmp/log")"
		continue
	fi
	"$tmp/scale$v" "${args[@]}" <"$tmp/cases" >"$tmp/go$v"
	out=$("$bin" "$tmp/go$v")
	[ $? -eq 0 ] || rc=1
	echo "${out/PASS scale/PASS scale.go$v}" | sed "s/^FAIL scale:/FAIL scale.go$v:/"
done
exit $rc
