#!/usr/bin/env bash
# Runs every libFuzzer target for a long, bounded run and keeps what it learns:
# new inputs are merged (minimised) into src/<part>/fuzz/corpus/<target>/, crashes go to
# build-fuzz/findings/. Prints executions and crashes per target.
# Usage: bash bench/fuzz.sh [RUNS_PER_TARGET (default 10000000)] [MAX_SECONDS (default 1800)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10000000}
max_seconds=${2:-1800}
build=$root/build-fuzz
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DLAMPI_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ >/dev/null
fi
ninja -C "$build" >/dev/null
mkdir -p "$build/findings"
printf '%-24s %14s %10s %8s %s\n' target executions exec/s crashes corpus
for fuzzer in $(find "$build/src" -path '*/fuzz/*' -type f -executable -name '*fuzz*' | sort); do
  name=$(basename "$fuzzer")
  # Each program keeps its seeds beside its fuzzers.
  seeds=$(find "$root/src" -path "*/fuzz/corpus/$name" -type d | head -1)
  [ -n "$seeds" ] || { echo "$name: no src/*/fuzz/corpus/$name/" >&2; continue; }
  work=$(mktemp -d)
  mkdir -p "$seeds"
  log=$build/findings/$name.log
  "$fuzzer" "$work" "$seeds" -runs="$runs" -max_total_time="$max_seconds" -max_len=8192 -timeout=5 \
    -print_final_stats=1 -artifact_prefix="$build/findings/$name-" >"$log" 2>&1 || true
  executions=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
  crashes=$(find "$build/findings" -name "$name-crash-*" -o -name "$name-leak-*" -o -name "$name-timeout-*" | wc -l)
  # Keep the committed corpus small: only inputs that add coverage.
  "$fuzzer" -merge=1 "$seeds" "$work" >/dev/null 2>&1 || true
  rm -rf "$work"
  printf '%-24s %14s %10s %8s %s\n' "$name" "${executions:-?}" "${rate:-?}" "$crashes" "$(ls "$seeds" | wc -l) inputs"
done
