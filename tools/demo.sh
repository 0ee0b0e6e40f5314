#!/usr/bin/env bash
# `make demo`: trace a small busy Go program for a few seconds and show
# gopry's text report. Needs root (gopry loads BPF programs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "demo: gopry needs root to load its BPF programs; run this as root" >&2
		exit 1
	fi
	echo "demo: gopry needs root to load its BPF programs; re-running with sudo" >&2
	exec sudo --preserve-env=GOPRY_CACHE "$0" "$@"
fi
tools/fetch-go.sh 1.27
demo=$(tests/build-go.sh 1.27 default demo)
[ -x .output/gopry ] || { echo "demo: .output/gopry is missing (run make all)" >&2; exit 1; }
echo "demo: tracing $demo for 12 seconds (a leak suspect is planted at demo/main.go's DEMO:leak)" >&2
exec .output/gopry -d 12 --leaks -- "$demo" -d 10
