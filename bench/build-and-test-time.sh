#!/usr/bin/env bash
# Prints the clean build cost (no ccache) of the plain configuration, as CPU time
# (user + system: what load changes least), wall time and build steps, then the time
# of its test run. Usage: bash bench/build-and-test-time.sh [extra cmake args]
#   JOBS=N      ninja -jN (default: ninja's own); README's figures use JOBS=1,
#               two trees built side by side so both see the same load
#   NO_TESTS=1  the build only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/lampi-build-time-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export CCACHE_DISABLE=1
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
/usr/bin/time -f '%U %S %e' -o "$dir/build-time.txt" ninja -C "$dir" ${JOBS:+-j "$JOBS"} >"$dir/build.log"
read -r user sys wall <"$dir/build-time.txt"
steps=$(sed -n 's/^\[\([0-9]*\)\/\1\].*/\1/p' "$dir/build.log" | tail -1)
echo "clean build ($(nproc) cores, no ccache, ninja -j${JOBS:-default}): $(awk "BEGIN { print $user + $sys }") s CPU" \
     "(user $user, system $sys), ${wall} s wall, ${steps} steps"
[ -n "${NO_TESTS:-}" ] && exit 0
SECONDS=0
(cd "$dir" && ctest -j2 >/dev/null) || echo "some tests failed"
echo "test run (ctest -j2): ${SECONDS} s"
