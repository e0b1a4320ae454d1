#!/usr/bin/env bash
# Ramp to failure on the course's web flow against one local lampi-cloud: users
# without think time, STEP more every STEP_TIME, until the step's own p95 passes
# P95 or more than 1 % of its requests fail; prints each step and the knee.
#
#   bench/load/ramp_course.sh
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), PORT (18432),
# STEP (8), STEP_TIME (5s), MAX_USERS (80), P95 (10ms), THREADS (1).
# Prints a Markdown report on stdout; the JSON report stays in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" PORT=18432 \
      STEP=8 STEP_TIME=5s MAX_USERS=80 P95=10ms THREADS=1
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
require_free_ports "$PORT"
bench_workdir ramp-course
start_course_cloud "$PORT" "$MAX_USERS"

print_machine
print_load before
"$LAMPI_LOAD" http --host "$HOST" --login 'user{n}:lampi-pass' --accounts "$MAX_USERS" --wait 0 -r 100 \
  -u "$MAX_USERS" --step-users "$STEP" --step-time "$STEP_TIME" --stop-when "p95>$P95 or fail>1%" \
  --threads "$THREADS" --json --quiet >"$WORK/ramp.json" 2>"$WORK/ramp.err" || true
print_load after

python3 - "$WORK/ramp.json" <<'PY'
import json, sys
ramp = json.load(open(sys.argv[1]))["ramp"]
print(f"\n## Ramp to failure: course flow, wait 0, `--stop-when '{ramp['condition']}'`\n")
print("| users | requests | req/s | fail % | p50 ms | p95 ms | p99 ms | stop |")
print("|---:|---:|---:|---:|---:|---:|---:|---|")
for s in ramp["steps"]:
    fail = 100 * s["failures"] / s["operations"] if s["operations"] else 0
    print(f"| {s['users']} | {s['operations']} | {s['per_s']:.0f} | {fail:.2f} | {s['p50_ms']:.1f} | "
          f"{s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {'yes: ' + s['why'] if s['stop_condition_held'] else ''} |")
print(f"\nKnee: {ramp['knee_users']} users; the ramp ended: {ramp['outcome']}.")
PY
echo
echo "Raw output: $WORK"
