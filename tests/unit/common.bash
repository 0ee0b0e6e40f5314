# Sourced by the tests/unit/*.sh scripts (not itself a test: run.sh runs
# *.sh), after they set $top.

cache=${GOPRY_CACHE:-$top/.cache}

# build_test BIN: brings one unit-test binary up to date (make knows what it
# depends on). The sanitizer tree (OUTPUT=X/asan) is built only by
# `make OUTPUT=X asan`, which sets its flags: a plain `make BIN` there would
# link uninstrumented objects, and `make asan` with OUTPUT=X/asan would build
# X/asan/asan.
build_test() {
	if [[ "${OUTPUT:-}" == */asan ]]; then
		make --no-print-directory OUTPUT="${OUTPUT%/asan}" asan >&2
	else
		make --no-print-directory "$1" >&2
	fi
}

# cached_toolchains: the Go toolchains tools/fetch-go.sh unpacked into the
# cache, oldest first, in the array vers. Fails when there is none, so that
# no script passes without having tested anything.
cached_toolchains() {
	local d
	vers=()
	for d in "$cache"/go/1.*; do
		[ -x "$d/usr/lib/go-${d##*/}/bin/go" ] && vers+=("${d##*/}")
	done
	[ ${#vers[@]} -gt 0 ] || return 1
	mapfile -t vers < <(printf '%s\n' "${vers[@]}" | sort -V)
}

# goroot V: toolchain V's GOROOT.
goroot() {
	echo "$cache/go/$1/usr/lib/go-$1"
}
