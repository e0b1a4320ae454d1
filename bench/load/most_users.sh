#!/usr/bin/env bash
# The most simulated web users one lampi-load process holds here, each with the
# course's think time (5-9 s) and a session of its own, against one local
# lampi-cloud: the users held, resident memory, requests and failures, and how
# many connections stayed open. FLOW=course runs the course's flow (log in, then
# GET / every 5-9 s; ACCOUNTS accounts shared by the users), FLOW=page (the
# default) a Lua scenario that only loads the login page every 5-9 s, so the
# server's password checks are not the limit.
# Past the process's descriptor limit (`ulimit -Hn`, which only root raises)
# lampi-load keeps as many connections open as fit and closes the others between
# requests (`--max-connections`), so USERS may exceed it.
#
#   bench/load/most_users.sh                  # USERS="50000"
#   USERS="20000 50000" SPAWN=2500 bench/load/most_users.sh
#   FLOW=course SPAWN=1000 bench/load/most_users.sh
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), PORT (18433), FLOW (page), ACCOUNTS (200),
# USERS ("50000"), SPAWN (2500 users/s), HOLD (20: seconds all users are held
# after the last one started), THREADS (1: lampi-load's worker threads).
# Prints a Markdown table on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" PORT=18433 \
      USERS=50000 SPAWN=2500 HOLD=20 THREADS=1 FLOW=page ACCOUNTS=200
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
require_free_ports "$PORT"
bench_workdir most-users
ulimit -n "$(ulimit -Hn)"
start_course_cloud "$PORT" "$ACCOUNTS"

cat >"$WORK/page.lua" <<'LUA'
wait = {5, 9}
tasks = {function(user) user:get("/accounts/login/") end}
LUA
case $FLOW in
  page) flow_args=(-f "$WORK/page.lua") ;;
  course) flow_args=(--scenario course --login 'user{n}:lampi-pass' --accounts "$ACCOUNTS" --wait 5-9) ;;
  *) echo "FLOW=$FLOW: give page or course" >&2; exit 2 ;;
esac

print_machine
print_load before
echo
echo "| flow | users asked | users held | peak RSS MiB | memory per user (bytes, resident above the idle process) | requests | req/s | failures | connections opened | most open at once | descriptor limit |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for users in $USERS; do
  seconds=$(( users / SPAWN + HOLD ))
  /usr/bin/time -f "%M" -o "$WORK/$users.time" "$LAMPI_LOAD" http --host "$HOST" "${flow_args[@]}" -u "$users" \
    -r "$SPAWN" -t "${seconds}s" --threads "$THREADS" --quiet --json >"$WORK/$users.json" 2>"$WORK/$users.err" || true
  python3 - "$WORK/$users.json" "$(tail -1 "$WORK/$users.time")" "$users" "$(ulimit -Hn)" "$FLOW" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
figures, counters = report["figures"], report["counters"]
requests = sum(r["requests"] for r in report["requests"])
failures = sum(r["failures"] for r in report["requests"])
rate = requests / report["duration_s"] if report.get("duration_s") else 0
print(f"| {sys.argv[5]} | {sys.argv[3]} | {int(figures.get('users', 0))} | {int(sys.argv[2]) // 1024} | "
      f"{int(figures.get('memory_per_user_bytes', 0))} | {requests} | {rate:.0f} | {failures} | "
      f"{counters.get('connect_ok', 0)} | {report.get('peak_connections', '?')} | {sys.argv[4]} |")
PY
done
print_load after
echo "raw outputs: $WORK"
