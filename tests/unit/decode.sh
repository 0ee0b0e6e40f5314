#!/usr/bin/env bash
# decode.c against `go tool objdump`, for every cached toolchain (tests/build-go.sh):
# instruction boundaries, the end of the stack-check prologue, and (as INFO
# lines) what a uprobe right after the prologue lands on. Also a sweep over
# every runtime.* function of each binary. Builds .output/tests/test_decode.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
test_bin=${OUTPUT:-.output}/tests/test_decode
build_test "$test_bin" || { echo "FAIL decode.build: make $test_bin"; exit 1; }
cached_toolchains || { echo "FAIL decode.toolchains: none in $cache/go"; exit 1; }

funcs=(
	'runtime.(*gcCPULimiterState).startGCTransition'
	'runtime.(*gcCPULimiterState).finishGCTransition'
	runtime.stopTheWorldWithSema runtime.startTheWorldWithSema runtime.stopTheWorld
	runtime.newproc1 runtime.goexit1 runtime.gcStart
)
re=$(printf '%s\n' "${funcs[@]}" | sed 's/[.()*]/\\&/g' | paste -sd'|')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "TEXT name(SB) file" -> "F name"; "file:line addr bytes ASM" -> "I addr len ASM".
# An EVEX (AVX-512) instruction, first byte 0x62 in 64-bit mode, is beyond Go's
# disassembler (it prints "?" or resyncs wrongly): mark it "?" (no oracle).
to_list() {
	awk -F'\t+' '
		/^TEXT / { n = $0; sub(/^TEXT /, "", n); sub(/\(SB\).*/, "", n); print "F " n; next }
		NF >= 4 && $2 ~ /^0x/ {
			sub(/[ \t]+$/, "", $4)
			if ($3 ~ /^62/) $4 = "?"
			printf "I %s %d %s\n", substr($2, 3), length($3) / 2, $4
		}
	'
}

rc=0
"$test_bin" || rc=1
for v in "${vers[@]}"; do
	go=$(goroot "$v")/bin/go
	bin=$("$top/tests/build-go.sh" "$v" default hello) || { echo "FAIL decode.$v.build"; rc=1; continue; }
	"$go" tool objdump -s "^($re)\$" "$bin" | to_list >"$tmp/f.$v"
	# every listed function must be in the dump (else the test would pass vacuously)
	for f in "${funcs[@]}"; do
		grep -qxF "F $f" "$tmp/f.$v" || echo "INFO go$v: $f absent from the binary (inlined or renamed)"
	done
	"$test_bin" "go$v" "$bin" "$tmp/f.$v" || rc=1
	"$go" tool objdump -s '^runtime\.' "$bin" | to_list >"$tmp/all.$v"
	"$test_bin" --sweep "go$v" "$bin" "$tmp/all.$v" || rc=1
done
exit $rc
