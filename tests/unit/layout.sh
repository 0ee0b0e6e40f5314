#!/usr/bin/env bash
# layout.c over every cached toolchain x build mode (tests/build-go.sh), for
# the hello workload and gcwork when present: the generated offsets table
# equals each binary's DWARF, decoded global addresses equal .symtab, and in
# stripped binaries decoding finds all three globals. Builds
# .output/tests/test_layout.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
test_bin=${OUTPUT:-.output}/tests/test_layout
build_test "$test_bin" || { echo "FAIL layout.build: make $test_bin"; exit 1; }
cached_toolchains || { echo "FAIL layout.toolchains: none in $cache/go"; exit 1; }

workloads=(hello)
[ -d "$top/tests/workloads/gcwork" ] && workloads+=(gcwork)

rc=0
"$test_bin" || rc=1
for v in "${vers[@]}"; do
	for wl in "${workloads[@]}"; do
		sibling=$("$top/tests/build-go.sh" "$v" default "$wl" 2>/dev/null) ||
			{ echo "FAIL layout.go$v.$wl.build: default"; rc=1; continue; }
		for mode in default stripped pie cgo; do
			bin=$("$top/tests/build-go.sh" "$v" "$mode" "$wl" 2>/dev/null) ||
				{ echo "FAIL layout.go$v.$mode.$wl.build"; rc=1; continue; }
			args=("go$v.$mode.$wl" "$bin")
			[ "$mode" = stripped ] && args+=("$sibling")
			"$test_bin" "${args[@]}" || rc=1
		done
	done
done
exit $rc
