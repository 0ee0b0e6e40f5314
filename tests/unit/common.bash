# Sourced by the tests/unit/*.sh scripts (not itself a test: run.sh runs *.sh).

# build_test BIN: (re)builds one unit-test binary. The sanitizer tree
# (OUTPUT=.../asan) is built only by `make asan`, which sets its flags; a
# plain `make BIN` there would link uninstrumented objects and fail.
build_test() {
	local target=$1
	[[ "${OUTPUT:-}" == */asan ]] && target=asan
	make --no-print-directory "$target" >&2
}
