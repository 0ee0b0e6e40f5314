#!/usr/bin/env bash
# The Go binary reader against Go's own tools: for every cached toolchain x
# build mode, build tests/workloads/hello and compare gobin with
# `go version -m`, `go tool nm -size` and `go tool addr2line`; then feed it
# files that are not Go programs, or are cut short. Prints PASS/FAIL lines and
# exits non-zero on any FAIL. Run from anywhere; reference files are cached.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. tests/unit/common.bash
out=${OUTPUT:-.output}
bin=$out/tests/test_gobin
fails=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

build_test "$bin" || { fail build "make $bin"; exit 1; }
cached_toolchains || { fail toolchains "none in $cache/go"; exit 1; }

# Reference outputs of a Go tool, regenerated when the binary is newer.
ref() { # ref FILE BINARY CMD...
	local f=$1 b=$2
	shift 2
	if [ ! -s "$f" ] || [ "$b" -nt "$f" ]; then
		"$@" >"$f.tmp" 2>/dev/null || true
		mv "$f.tmp" "$f"
	fi
}

newest="$(goroot "${vers[-1]}")/bin/go"
declare -A built
for v in "${vers[@]}"; do
	go="$(goroot "$v")/bin/go"
	for m in default stripped pie cgo; do
		b=$(tests/build-go.sh "$v" "$m" hello 2>/dev/null) || { fail "go$v/$m/build" "build-go.sh"; continue; }
		built[$v/$m]=$b
	done
	for m in default stripped pie cgo; do
		b=${built[$v/$m]:-}
		[ -n "$b" ] || continue
		r="$cache/gobin-ref/$v/$m"
		mkdir -p "$r"
		# go tool nm prints nothing for a stripped binary: use the default sibling.
		nmsrc=$b
		args=(-m "$m" -t "go$v/$m/")
		if [ "$m" = stripped ]; then
			nmsrc=${built[$v/default]:-}
			[ -n "$nmsrc" ] || { fail "go$v/$m/sibling" "no default build"; continue; }
			args+=(-s "$nmsrc")
		fi
		ref "$r/nm.txt" "$nmsrc" "$go" tool nm -size "$nmsrc"
		ref "$r/version.txt" "$b" "$go" version -m "$b"
		if [ ! -s "$r/a2l.txt" ] || [ "$b" -nt "$r/a2l.txt" ] || [ "$bin" -nt "$r/a2l.txt" ]; then
			"$bin" -l "$b" >"$r/pcs.txt"
			"$go" tool addr2line "$b" <"$r/pcs.txt" | paste - - | cut -f2 |
				paste -d' ' "$r/pcs.txt" - >"$r/a2l.tmp"
			# go1.19's addr2line finds no pclntab in a PIE (.data.rel.ro.gopclntab):
			# everything is "?:0". Ask the newest toolchain then.
			if [ "$(grep -c ' ?:0$' "$r/a2l.tmp")" -gt $(($(wc -l <"$r/pcs.txt") / 2)) ]; then
				echo "# go$v/$m: go$v addr2line knows no PC; using go${vers[-1]}'s" >&2
				"$newest" tool addr2line "$b" <"$r/pcs.txt" | paste - - | cut -f2 |
					paste -d' ' "$r/pcs.txt" - >"$r/a2l.tmp"
			fi
			mv "$r/a2l.tmp" "$r/a2l.txt"
		fi
		"$bin" "${args[@]}" "$b" "$r/nm.txt" "$r/version.txt" "$r/a2l.txt" | grep -v '^#'
		[ "${PIPESTATUS[0]}" -eq 0 ] || fails=$((fails + 1))
	done
done

# Bad inputs: the code gobin__open returns (-errno), or no crash at least.
expect_open() { # expect_open NAME PATH ERRNO
	local got
	got=$("$bin" -o "$2" 2>&1)
	local rc=$?
	if [ $rc -eq 0 ] && [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "got '$got' rc $rc want $3"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_open bad/not_go_elf /bin/ls -124        # -EMEDIUMTYPE
printf 'hello, not an ELF file\n' >"$tmp/text"
expect_open bad/text "$tmp/text" -8            # -ENOEXEC
: >"$tmp/empty"
expect_open bad/empty "$tmp/empty" -8
expect_open bad/nonexistent "$tmp/nope" -2     # -ENOENT
expect_open bad/directory "$tmp" -21           # -EISDIR

# Cut a Go binary short at many lengths: an error or a consistent result.
for key in 1.22/default 1.26/pie "${vers[-1]}/stripped"; do
	b=${built[$key]:-}
	[ -n "$b" ] || continue
	size=$(stat -c %s "$b")
	crashes=0 inconsistent=0 opened=0 n=0
	for frac in 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987 999; do
		len=$((size * frac / 1000))
		for l in $len $((len + 7)); do
			head -c "$l" "$b" >"$tmp/cut"
			got=$("$bin" -o "$tmp/cut" 2>/dev/null)
			rc=$?
			n=$((n + 1))
			if [ $rc -ge 128 ]; then crashes=$((crashes + 1))
			elif [ $rc -ne 0 ]; then inconsistent=$((inconsistent + 1))
			elif [ "$got" = 0 ]; then opened=$((opened + 1)); fi
		done
	done
	# Flip bytes in the pclntab header region too: still no crash.
	if [ $crashes -eq 0 ] && [ $inconsistent -eq 0 ]; then
		pass "bad/truncated/${key//\//-} ($n lengths, $opened opened)"
	else
		fail "bad/truncated/${key//\//-}" "$crashes crashed, $inconsistent inconsistent of $n"
	fi
done

exit $((fails > 0))
