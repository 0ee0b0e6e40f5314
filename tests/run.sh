#!/usr/bin/env bash
# Run gopry's tests and total their PASS/FAIL/SKIP lines.
#
#   tests/run.sh [unit|e2e|fuzz|all]     (default: all)
#
# Every test prints one line per check; a test that exits non-zero without a
# FAIL line still counts as one failure. Expects `make all` (and, for unit
# binaries, the unit test targets) to have been run: `make test` does both.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
what=${1:-all}
case $what in
unit | e2e | fuzz | all) ;;
*) echo "usage: tests/run.sh [unit|e2e|fuzz|all]" >&2; exit 2 ;;
esac

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run NAME TIMEOUT CMD...: echo the test's output and add up its lines.
run() {
	local name=$1 limit=$2 rc p f s t0=$SECONDS
	shift 2
	echo "== $name" >&2
	timeout --kill-after=10 "$limit" "$@" </dev/null | tee "$out"
	rc=${PIPESTATUS[0]}
	echo "== $name: exit $rc after $((SECONDS - t0))s" >&2
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	s=$(grep -c '^SKIP ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -eq 124 ]; then
			echo "FAIL $name: timed out after ${limit}s"
		else
			echo "FAIL $name: exited $rc without a FAIL line"
		fi
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# unit_tests OUTDIR LABEL: the unit scripts (which find their binaries
# through $OUTPUT) and the argument-less test binaries built in OUTDIR.
unit_tests() {
	local dir=$1 label=$2 t b n
	for t in tests/unit/*.sh; do
		[ -e "$t" ] && run "$label$t" 600 env OUTPUT="$dir" bash "$t"
	done
	# A test binary that needs arguments is driven by its own script.
	for b in "$dir"/tests/test_*; do
		[ -x "$b" ] && [ -f "$b" ] || continue
		n=$(basename "$b")
		[ -e "tests/unit/${n#test_}.sh" ] && continue
		grep -qw -- "$n" tests/unit/*.sh 2>/dev/null && continue
		run "$label$b" 300 "$b"
	done
}

# The whole run is one function so that bash has parsed all of it before it
# starts: an edit to this file during a run cannot derail the run.
main() {
	# Unit tests, gobin's reader tests and the e2e tests all need the toolchains.
	if ! tools/fetch-go.sh >&2; then
		echo "FAIL fetch-go: could not fetch the Go toolchains"
		failed=$((failed + 1))
	fi

	if [ "$what" = unit ] || [ "$what" = all ]; then
		out_dir=${OUTPUT:-.output}
		unit_tests "$out_dir" ""
		# `make asan` builds the same tests with ASan and UBSan in their own tree.
		[ -d "$out_dir/asan/tests" ] && unit_tests "$out_dir/asan" "asan: "
		[ -e tools/lint.sh ] && run tools/lint.sh 600 bash tools/lint.sh
	fi

	if [ "$what" = fuzz ] || [ "$what" = all ]; then
		[ -e tests/fuzz/smoke.sh ] && run tests/fuzz/smoke.sh 900 bash tests/fuzz/smoke.sh
	fi

	if [ "$what" = e2e ] || [ "$what" = all ]; then
		for t in tests/e2e/*.py tests/e2e/*.sh; do
			[ -f "$t" ] || continue
			case $t in
			*/gopry_e2e.py) ;; # the helpers the scripts share, not a test
			*.py) run "$t" 1500 /usr/bin/python3 "$t" ;;
			*.sh) run "$t" 1500 bash "$t" ;;
			esac
		done
	fi

	summary="$passed passed, $failed failed"
	[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
	echo "$summary"
	[ "$failed" -eq 0 ]
}

main "$@"
