#!/usr/bin/env bash
# Memory per simulated web user, Lua scenario against the built-in course flow:
# the same flow (GET the login page, POST the form, then GET / every 5-9 s)
# written in Lua (one Lua state per worker, a coroutine per user), and
# `--scenario course`, against one local lampi-cloud, one lampi-load process with
# one worker thread, for each user count in USERS.
#
#   bench/load/lua_users.sh              # USERS="2000"
#   USERS="5000 20000" bench/load/lua_users.sh
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), PORT (18432),
# ACCOUNTS (200), USERS ("2000"), SPAWN (500 users/s), HOLD (15: seconds all
# users are held after the last one started).
# Prints a Markdown table on stdout; raw outputs stay in $WORK (printed).
# A count above the descriptor limit (one per user, `ulimit -Hn`) is lowered to fit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" PORT=18432 \
      ACCOUNTS=200 USERS=2000 SPAWN=500 HOLD=15
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
require_free_ports "$PORT"
bench_workdir lua-users
ulimit -n "$(ulimit -Hn)"
# lampi-load needs one descriptor per user and a few of its own; the cloud one per connection.
MAX_USERS=$(( $(ulimit -Hn) - 200 ))

start_course_cloud "$PORT" "$ACCOUNTS"
{ echo username,password; for i in $(seq 0 $((ACCOUNTS - 1))); do echo "user$i,lampi-pass"; done; } >"$WORK/accounts.csv"
cp -r "$ROOT/src/load/scenarios/lib" "$WORK/"

# The course's flow, as the built-in one does it.
cat >"$WORK/course_flow.lua" <<'LUA'
local accounts = csv("accounts.csv")
local log_in = require("lib.course_login")
wait = {5, 9}
function on_start(user)
  local account = accounts:next()
  log_in(user, account.username, account.password)
end
tasks = {function(user)
  user:get("/", {check = function(r) if r.url ~= user:url("/") then return "not logged in" end end})
end}
LUA

# run NAME USERS ARGS...: prints "peak_rss_kib per_user_bytes users_held requests failures exceptions"
run() {
  local name=$1 users=$2; shift 2
  local seconds=$(( users / SPAWN + HOLD ))
  /usr/bin/time -f "%M" -o "$WORK/$name.time" "$LAMPI_LOAD" http --host "$HOST" -u "$users" -r "$SPAWN" \
    -t "${seconds}s" --threads 1 --quiet --json "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || true
  python3 - "$WORK/$name.json" "$(tail -1 "$WORK/$name.time")" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
figures = report["figures"]
requests = sum(r["requests"] for r in report["requests"])
failures = sum(r["failures"] for r in report["requests"])
print(sys.argv[2], int(figures.get("memory_per_user_bytes", 0)), int(figures.get("users", 0)), requests, failures,
      sum(report["errors"].values()))
PY
}

print_machine
print_load before
echo
echo "| flow | users asked | users held | peak RSS MiB | memory per user (bytes, resident above the idle process) | requests | failures | exceptions |"
echo "|---|---|---|---|---|---|---|---|"
for users in $USERS; do
  (( users <= MAX_USERS )) || { echo "($users users lowered to $MAX_USERS: the descriptor limit is $(ulimit -Hn))" >&2; users=$MAX_USERS; }
  for flow in ${FLOWS:-lua course}; do
    if [[ $flow == lua ]]; then
      read -r rss per held req fails exc < <(run "lua_$users" "$users" -f "$WORK/course_flow.lua")
    else
      read -r rss per held req fails exc < <(run "course_$users" "$users" --scenario course \
        --login 'user{n}:lampi-pass' --accounts "$ACCOUNTS" --wait 5-9)
    fi
    echo "| $flow | $users | $held | $((rss / 1024)) | $per | $req | $fails | $exc |"
  done
done
print_load after
echo "raw outputs: $WORK"
