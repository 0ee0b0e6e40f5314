#!/usr/bin/env bash
# layout.c over every cached toolchain x build mode (tests/build-go.sh), for
# the hello workload and gcwork when present: the generated offsets table
# equals each binary's DWARF, decoded global addresses equal .symtab, and in
# stripped binaries decoding finds all three globals. Needs
# .output/tests/test_layout.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${GOPRY_CACHE:-$top/.cache}
test_bin=${OUTPUT:-$top/.output}/tests/test_layout
[ -x "$test_bin" ] || { echo "FAIL layout.sh: no $test_bin (make $test_bin)"; exit 1; }

workloads=(hello)
[ -d "$top/tests/workloads/gcwork" ] && workloads+=(gcwork)

rc=0
"$test_bin" || rc=1
for dir in "$cache"/go/1.*; do
	v=${dir##*/}
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
