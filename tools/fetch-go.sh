#!/usr/bin/env bash
# Fetch the Go toolchains gopry is tested against from Debian's packages and
# unpack them with dpkg -x into a cache: $GOPRY_CACHE/go/1.NN/usr/lib/go-1.NN.
#
# The Debian mirror is the one this machine's apt is already configured with;
# apt runs with a private state directory so the system's apt is not touched.
#
# Usage: tools/fetch-go.sh [1.19 1.21 ...]   (default: every version we test)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${GOPRY_CACHE:-$top/.cache}
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.19 1.21 1.22 1.23 1.24 1.25 1.26 1.27)
# Go 1.19 is only in bookworm; newer ones come from backports, trixie and sid.
suites="bookworm bookworm-backports trixie trixie-backports sid"

log() { printf 'fetch-go: %s\n' "$*" >&2; }

missing=()
for v in "${versions[@]}"; do
	[ -x "$cache/go/$v/usr/lib/go-$v/bin/go" ] || missing+=("$v")
done
if [ ${#missing[@]} -eq 0 ]; then
	log "all toolchains cached in $cache/go"
	exit 0
fi

# The mirror: first Debian URI in the machine's apt sources (deb822 or
# one-line format), never a host written here.
mirror=$(
	{
		grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
			awk '{print $2}'
		grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list \
			/etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/\[[^]]*\]//' | awk '{print $2}'
	} | grep -E '/debian/?$' | head -n1
) || true
if [ -z "$mirror" ]; then
	log "no Debian mirror found in /etc/apt/sources.list*; cannot fetch toolchains"
	exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

state="$cache/apt"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/etc/preferences.d" \
	"$state/etc/apt.conf.d" "$state/debs"
: >"$state/etc/sources.list"
for s in $suites; do
	echo "deb [signed-by=$keyring] $mirror $s main" >>"$state/etc/sources.list"
done
touch "$state/status"
aptopts=(
	-o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
	-o "Dir::State::status=$state/status" -o "Dir::Cache=$state"
	-o "Dir::Cache::archives=$state/archives"
	-o "Dir::Etc::SourceList=$state/etc/sources.list"
	-o "Dir::Etc::SourceParts=$state/etc/sources.list.d"
	-o "Dir::Etc::Preferences=$state/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$state/etc/preferences.d"
	-o "Dir::Etc::Parts=$state/etc/apt.conf.d"
	-o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
	-o "Acquire::Retries=3"
)
# Refresh the package lists at most once a day.
if [ -z "$(find "$state/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
	log "updating package lists for: $suites"
	apt-get "${aptopts[@]}" update -q >&2
fi

for v in "${missing[@]}"; do
	dest="$cache/go/$v"
	log "fetching golang-$v-go and golang-$v-src"
	(cd "$state/debs" && rm -f golang-"$v"-*.deb &&
		apt-get "${aptopts[@]}" download -q "golang-$v-go" "golang-$v-src" >&2)
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	for d in "$state"/debs/golang-"$v"-*.deb; do
		dpkg -x "$d" "$dest.tmp"
	done
	if ! "$dest.tmp/usr/lib/go-$v/bin/go" version >/dev/null; then
		log "golang-$v unpacked but its go command does not run"
		exit 1
	fi
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	rm -f "$state"/debs/golang-"$v"-*.deb
	log "go $v: $("$dest/usr/lib/go-$v/bin/go" version)"
done
