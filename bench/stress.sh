#!/usr/bin/env bash
# Runs the plain test suite several times in a row while stress-ng loads the
# machine (every core busy, plus I/O and memory pressure), and prints each run's
# "N passed, M failed, K skipped" line and time. A test that fails only under
# load waits on a fixed sleep or a tight deadline: it is a bug in the test.
#
# Usage: bash bench/stress.sh [--runs N] [--log-dir D]
#   --runs N     how many runs (default 3)
#   --log-dir D  where each run's full output goes (default /tmp/lampi-stress)
# Works on the tree it lives in: run it in a clone of its own, so nothing else
# builds there meanwhile. Installs stress-ng (Debian) when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
log_dir=/tmp/lampi-stress
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "stress.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! command -v stress-ng >/dev/null; then
  echo "stress.sh: installing stress-ng"
  apt-get install -y stress-ng >/dev/null
fi
mkdir -p "$log_dir"
cd "$root"
./lampi build >"$log_dir/build.log" 2>&1 || { echo "stress.sh: the build failed, see $log_dir/build.log" >&2; exit 1; }

cores=$(nproc)
failed_runs=0
for run in $(seq 1 "$runs"); do
  # One CPU hog per core, one I/O (sync) worker, one 256 MiB memory worker.
  stress-ng --cpu "$cores" --io 1 --vm 1 --vm-bytes 256M --timeout 3h >/dev/null 2>&1 &
  stress_pid=$!
  SECONDS=0
  status=0
  ./lampi test --quick >"$log_dir/run-$run.log" 2>&1 || status=$?
  seconds=$SECONDS
  kill "$stress_pid" 2>/dev/null || true
  wait "$stress_pid" 2>/dev/null || true
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log_dir/run-$run.log" | tail -1 || true)
  echo "run $run of $runs: ${summary:-no summary (exit code $status)} in ${seconds} s (load: stress-ng --cpu $cores --io 1 --vm 1 --vm-bytes 256M)"
  if [ "$status" -ne 0 ]; then
    failed_runs=$((failed_runs + 1))
    grep -E '^\s*[0-9]+ - .*\((Failed|Timeout|Subprocess)' "$log_dir/run-$run.log" | sed 's/^/  failed: /' || true
  fi
done
echo "$((runs - failed_runs)) of $runs runs passed; logs in $log_dir"
[ "$failed_runs" -eq 0 ]
