#!/usr/bin/env bash
# Fuzz the Go binary reader for ${FUZZ_SECONDS:-30} s, seeded with the hello
# builds of every cached toolchain x mode and truncated copies of them.
# Prints PASS/FAIL; crashing inputs are kept in $OUTPUT/fuzz/artifacts.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
cache=${GOPRY_CACHE:-$top/.cache}
out=${OUTPUT:-.output}
fuzzer=$out/fuzz/fuzz_gobin
secs=${FUZZ_SECONDS:-30}

make --no-print-directory "$fuzzer" >&2 || { echo "FAIL fuzz_gobin/build: make $fuzzer"; exit 1; }
corpus=$out/fuzz/corpus
seeds=$out/fuzz/seeds
art=$out/fuzz/artifacts
mkdir -p "$corpus" "$seeds" "$art"
n=0
for d in "$cache"/go/1.*; do
	v=${d##*/}
	for m in default stripped pie cgo; do
		b=$(tests/build-go.sh "$v" "$m" hello 2>/dev/null) || continue
		cp "$b" "$seeds/$v-$m"
		size=$(stat -c %s "$b")
		for frac in 3 50 97; do
			head -c $((size * frac / 100)) "$b" >"$seeds/$v-$m-cut$frac"
		done
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || { echo "FAIL fuzz_gobin/seeds: no Go builds"; exit 1; }

# Seeds up to 4 MB are loaded whole (-max_len); mutations keep ELF structure
# but the headers, pclntab and buildinfo near the front get most hits.
log=$out/fuzz/fuzz_gobin.log
"$fuzzer" "$corpus" "$seeds" -max_total_time="$secs" -timeout=1 -rss_limit_mb=2048 \
	-malloc_limit_mb=64 -max_len=4194304 -artifact_prefix="$art/" -print_final_stats=1 \
	>"$log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	echo "PASS fuzz_gobin ($secs s, $n seed builds, $(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
else
	echo "FAIL fuzz_gobin: exit $rc; see $log and $art/"
	grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/# /'
	exit 1
fi
