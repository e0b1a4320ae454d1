#!/usr/bin/env bash
# Prints the clean build time (no ccache) of the plain configuration and the time
# of its test run. Usage: bash bench/build-and-test-time.sh [extra cmake args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/lampi-build-time-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export CCACHE_DISABLE=1
SECONDS=0
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" >/dev/null
build_seconds=$SECONDS
SECONDS=0
(cd "$dir" && ctest -j2 >/dev/null) || echo "some tests failed"
echo "clean build ($(nproc) cores, no ccache): ${build_seconds} s"
echo "test run (ctest -j2): ${SECONDS} s"
