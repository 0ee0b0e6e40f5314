#!/usr/bin/env bash
# pprof.c against Go's own reader: test_pprof writes a known profile, and
# every cached toolchain's `go tool pprof` must open it and show the samples
# (leaf 5000 B flat over two merged samples, mid 1000 B flat and 6000 B
# cumulative, labels, an unmapped location; see tests/unit/test_pprof.c).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
bin=${OUTPUT:-.output}/tests/test_pprof
rc=0
fail() { echo "FAIL $1: $2"; rc=1; }

build_test "$bin" || { fail pprof.build "make $bin"; exit 1; }
cached_toolchains || { fail pprof.toolchains "none in $cache/go"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" "$tmp/p.pb.gz" "$tmp/inl.pb.gz" || rc=1
[ -s "$tmp/p.pb.gz" ] || exit 1

for v in "${vers[@]}"; do
	go=$(goroot "$v")/bin/go
	# go1.24+ builds `go tool pprof` on first use: share build-go.sh's cache.
	export PPROF_TMPDIR=$tmp GOTOOLCHAIN=local GOCACHE=$cache/gocache/$v
	raw=$("$go" tool pprof -raw "$tmp/p.pb.gz" 2>&1) || { fail "pprof.go$v.raw" "$raw"; continue; }
	top_s=$("$go" tool pprof -top -sample_index=alloc_space "$tmp/p.pb.gz" 2>&1) ||
		{ fail "pprof.go$v.top" "$top_s"; continue; }
	top_o=$("$go" tool pprof -top -sample_index=alloc_objects "$tmp/p.pb.gz" 2>&1) ||
		{ fail "pprof.go$v.top" "$top_o"; continue; }
	ok=1 why=
	grep -q 'alloc_objects/count alloc_space/bytes' <<<"$raw" || { ok=0 why+="sample types; "; }
	grep -q 'PeriodType: space bytes' <<<"$raw" || { ok=0 why+="period type; "; }
	grep -q 'Period: 524288' <<<"$raw" || { ok=0 why+="period; "; }
	# go1.19's pprof merges identical stacks in -raw; later ones do not.
	grep -qE '^ +(3 +3000|5 +5000): 1 2 3 *$' <<<"$raw" || { ok=0 why+="sample 3/3000; "; }
	grep -qE 'bytes:\[4096\]' <<<"$raw" || { ok=0 why+="numeric label; "; }
	grep -qE 'site:\[x\]' <<<"$raw" || { ok=0 why+="string label; "; }
	grep -qE '0x401010 M=1 main.leaf /src/app/a.go:10' <<<"$raw" || { ok=0 why+="location; "; }
	grep -qE '^ +5: 0x7fff0000 \[vdso\]' <<<"$raw" || { ok=0 why+="unmapped location; "; }
	grep -qE '/src/app/app' <<<"$raw" || { ok=0 why+="mapping; "; }
	grep -qE '^ +5000B +83\.24% +83\.24% +5000B +83\.24% +main\.leaf$' <<<"$top_s" ||
		{ ok=0 why+="top leaf; "; }
	grep -qE '^ +1000B +16\.65% .* 6000B +99\.88% +main\.mid$' <<<"$top_s" ||
		{ ok=0 why+="top mid; "; }
	grep -qE '^ +0 +0% +[0-9.]+% +6000B .* main\.main$' <<<"$top_s" ||
		{ ok=0 why+="top main; "; }
	grep -qE '^ +5 +38\.46% .*main\.leaf$' <<<"$top_o" || { ok=0 why+="objects leaf; "; }
	# A location with inlined frames: three Line entries, innermost first;
	# -top charges the innermost function.
	raw_i=$("$go" tool pprof -raw "$tmp/inl.pb.gz" 2>&1)
	top_i=$("$go" tool pprof -top -sample_index=alloc_space "$tmp/inl.pb.gz" 2>&1)
	grep -A2 '0x404040 M=1 main.helper /src/app/b.go:50' <<<"$raw_i" | tr -s ' \n' ' ' |
		grep -qE 'main.helper /src/app/b.go:50(:0)? .*main.caller /src/app/b.go:60(:0)? .*main.outer /src/app/a.go:70' ||
		{ ok=0 why+="inlined location; "; }
	grep -qE '^ +(5000B|4\.88kB) +100% +100% +(5000B|4\.88kB) +100% +main\.helper( \(inline\))?$' <<<"$top_i" ||
		{ ok=0 why+="inlined top; "; }
	grep -qE '^ +0 +0% +100% +(5000B|4\.88kB) +100% +main\.caller( \(inline\))?$' <<<"$top_i" ||
		{ ok=0 why+="inlined caller; "; }
	if [ $ok = 1 ]; then
		echo "PASS pprof.go$v"
	else
		fail "pprof.go$v" "$why"
		printf '%s\n%s\n' "$raw" "$top_s" | sed 's/^/    /' >&2
	fi
done
exit $rc
