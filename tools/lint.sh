#!/usr/bin/env bash
# Static checks of user/: cppcheck and clang-tidy (Debian's), one PASS/FAIL
# line per tool, findings on stdout after a FAIL. Needs the BPF skeleton
# (make all) for the headers. Checks left out are listed with the reason.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${OUTPUT:-.output}
rc=0
[ -e "$out/gopry.skel.h" ] || { echo "FAIL lint: no $out/gopry.skel.h (make all)"; exit 1; }
inc=(-Iuser -Ibpf -I"$out")

# style is left out: its variableScope advice contradicts the kernel style of
# declaring at the top of a block.
if command -v cppcheck >/dev/null; then
	log=$(cppcheck -q --enable=warning,performance,portability --inline-suppr --std=c11 \
		-D_GNU_SOURCE -D__x86_64__ '-DLIBBPF_OPTS(TYPE,NAME,...)=struct TYPE NAME = { __VA_ARGS__ }' \
		--error-exitcode=1 "${inc[@]}" user/*.c 2>&1)
	if [ $? -eq 0 ]; then echo "PASS lint/cppcheck"; else echo "FAIL lint/cppcheck: findings:"; echo "$log"; rc=1; fi
else
	echo "FAIL lint/cppcheck: not installed (tools/deps.sh)"; rc=1
fi

# Left out: DeprecatedOrUnsafeBufferHandling (flags every memcpy/snprintf),
# valist.Uninitialized (false positives across vfprintf wrappers),
# easily-swappable-parameters, narrowing-conversions, reserved-identifier,
# assignment-in-if-condition, implicit-widening-of-multiplication-result and
# suspicious-string-compare (kernel style: `if (!strcmp(...))`, small constants),
# sizeof-expression (clang-tidy 14 flags every sizeof(*pp) of a pointer array
# and lacks the option to stop it). Findings in generated headers (the
# skeleton) are not ours and are filtered out.
checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling'
checks+=',-clang-analyzer-valist.Uninitialized,bugprone-*,-bugprone-easily-swappable-parameters'
checks+=',-bugprone-narrowing-conversions,-bugprone-reserved-identifier'
checks+=',-bugprone-assignment-in-if-condition,-bugprone-implicit-widening-of-multiplication-result'
checks+=',-bugprone-suspicious-string-compare,-bugprone-sizeof-expression'
if command -v clang-tidy >/dev/null; then
	log=$(printf '%s\n' user/*.c | xargs -P"$(nproc)" -I{} clang-tidy --quiet -checks="$checks" \
		{} -- -D_GNU_SOURCE -std=gnu11 "${inc[@]}" 2>/dev/null)
	found=$(echo "$log" | grep -E "^($top/)?(user|bpf)/[^:]+:[0-9]+:[0-9]+: (warning|error):")
	if [ -z "$found" ]; then echo "PASS lint/clang-tidy"; else
		echo "FAIL lint/clang-tidy: $(echo "$found" | wc -l) findings:"; echo "$found"; rc=1; fi
else
	echo "FAIL lint/clang-tidy: not installed (tools/deps.sh)"; rc=1
fi
exit $rc
