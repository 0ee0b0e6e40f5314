#!/usr/bin/env bash
# Inline-aware symbolization (gobin__pc_frames) against Go's own
# runtime.CallersFrames: for every cached toolchain x build mode, build
# tests/workloads/inl, run it (it prints its captured stacks as Go expands
# them) and let test_inline compare. Prints PASS/FAIL lines; exits non-zero
# on any FAIL.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
out=${OUTPUT:-.output}
bin=$out/tests/test_inline
fails=0

fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

build_test "$bin" || { fail build "make $bin"; exit 1; }
cached_toolchains || { fail toolchains "none in $cache/go"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in "${vers[@]}"; do
	for m in default stripped pie cgo; do
		b=$(tests/build-go.sh "$v" "$m" inl 2>/dev/null) || { fail "inline/go$v/$m/build" "build-go.sh"; continue; }
		"$b" >"$tmp/cap" 2>&1 || { fail "inline/go$v/$m/run" "exit $?"; continue; }
		"$bin" -t "inline/go$v/$m/" "$b" "$tmp/cap"
		[ $? -eq 0 ] || fails=$((fails + 1))
	done
done
exit $((fails > 0))
