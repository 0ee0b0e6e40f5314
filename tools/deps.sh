#!/usr/bin/env bash
# Install the Debian packages gopry builds and tests with; a no-op when they
# are all there already.
set -euo pipefail
pkgs=(clang llvm make gcc libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev
	libcapstone-dev pkg-config python3 libcap2-bin cppcheck clang-tidy util-linux)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
