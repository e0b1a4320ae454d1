#!/usr/bin/env bash
# The most simulated web users one load-generator process holds here, each with
# the course's think time (5-9 s) and a session of its own, against one local
# lampi-cloud: lampi-load at each of USERS, then Debian's Locust 2.12 at each of
# LOCUST_USERS (none by default), the same flow and hold. For each run: the users reached, whether the
# process kept pace with them (a user thinking 5-9 s asks once per 7 s on
# average, so held users ask USERS/7 a second; "pace" is the rate measured while
# all of them ran, over that), resident memory and users per GB, CPU, requests
# and failures. A process that keeps less than 90 % of the pace no longer holds
# its users: they wait for it, not for their think time.
# FLOW=course runs the course's flow (log in, then GET / every 5-9 s; ACCOUNTS
# accounts shared by the users; Locust runs the course's own locustfile),
# FLOW=page (the default) only loads the login page every 5-9 s, so the server's
# password checks are not the limit.
# Past the process's descriptor limit (`ulimit -Hn`, which only root raises)
# lampi-load keeps as many connections open as fit and closes the others between
# requests (`--max-connections`), so USERS may exceed it; Locust keeps one per user.
#
#   bench/load/most_users.sh                  # USERS="50000", lampi-load only
#   USERS="20000 50000" SPAWN=2500 bench/load/most_users.sh
#   FLOW=course SPAWN=1000 LOCUST_USERS="4000 5000 6000" bench/load/most_users.sh
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), PORT (18433), FLOW (page), ACCOUNTS (200),
# USERS ("50000"), SPAWN (2500 users/s), HOLD (30: seconds all users are held
# after the last one started; the pace is measured from 9 s after it), THREADS (1: lampi-load's worker threads),
# LOCUST_USERS (""), LOCUST_SPAWN (200 users/s: Locust warns above 100 and starts
# users in one Python thread, so its ramp is slower).
# Prints a Markdown table on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" PORT=18433 \
      USERS=50000 SPAWN=2500 HOLD=30 THREADS=1 FLOW=page ACCOUNTS=200 LOCUST_USERS= LOCUST_SPAWN=200
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
[[ -z "$LOCUST_USERS" ]] || install_bench_packages python3-locust
case $FLOW in page | course) ;; *) echo "FLOW=$FLOW: give page or course" >&2; exit 2 ;; esac
require_free_ports "$PORT"
bench_workdir most-users
ulimit -n "$(ulimit -Hn)"
start_course_cloud "$PORT" "$ACCOUNTS"

cat >"$WORK/page.lua" <<'LUA'
wait = {5, 9}
tasks = {function(user) user:get("/accounts/login/") end}
LUA
cat >"$WORK/page_locustfile.py" <<'PY'
from locust import HttpUser, between, task

class LoginPageUser(HttpUser):
    wait_time = between(5, 9)

    @task
    def login_page(self):
        self.client.get("/accounts/login/")
PY
if [[ -n "$LOCUST_USERS" && $FLOW == course ]]; then
  cp /work/shared/baselines/django-lampi/locustfile.py "$WORK/course_locustfile.py" 2>/dev/null ||
    { echo "the course's locustfile is missing (/work/shared/baselines/django-lampi/locustfile.py)" >&2; exit 2; }
fi

# generate TOOL USERS SPAWN PREFIX: one run under time(1), Locust-format CSV at PREFIX.
generate() {
  local tool=$1 users=$2 spawn=$3 prefix=$4 seconds=$(( $2 / $3 + HOLD )) command
  if [[ $tool == lampi-load ]]; then
    if [[ $FLOW == page ]]; then command=(-f "$WORK/page.lua")
    else command=(--scenario course --login 'user{n}:lampi-pass' --accounts "$ACCOUNTS" --wait 5-9); fi
    command=("$LAMPI_LOAD" http --host "$HOST" "${command[@]}" -u "$users" -r "$spawn" -t "${seconds}s"
             --threads "$THREADS" --quiet --json --csv "$prefix")
  else
    # Locust's run time starts with its first user, as lampi-load's does.
    command=(env LAMPI_ACCOUNTS="$ACCOUNTS" /usr/bin/locust -f "$WORK/${FLOW}_locustfile.py" --headless
             -u "$users" -r "$spawn" -t "${seconds}s" --only-summary --host "$HOST" --csv "$prefix")
  fi
  (cd "$WORK" && peak_private_memory "$prefix.private" /usr/bin/time -f "%U %S %e %M" -o "$prefix.time" "${command[@]}" \
     >"$prefix.out" 2>"$prefix.err") || true
}

print_machine
print_load before
echo
echo "| tool | flow | users asked | users reached | pace while all ran | held | peak RSS MiB | users per GB | peak private MiB | users per GB (private) | CPU s / wall s | requests | failures | most sockets open |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
runs=()
for users in $USERS; do runs+=("lampi-load $users $SPAWN"); done
for users in $LOCUST_USERS; do runs+=("locust $users $LOCUST_SPAWN"); done
for run in "${runs[@]}"; do
  read -r tool users spawn <<<"$run"
  prefix="$WORK/$tool-$users"
  generate "$tool" "$users" "$spawn" "$prefix"
  /usr/bin/python3 - "$prefix" "$tool" "$FLOW" "$users" <<'PY'
import csv, json, os, sys
prefix, tool, flow, asked = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
user_s, system_s, wall_s, rss_kib = open(prefix + ".time").read().split()[-4:]
rows = [r for r in csv.DictReader(open(prefix + "_stats_history.csv")) if r["Name"] == "Aggregated"]
reached = max((int(r["User Count"]) for r in rows), default=0)
full = [r for r in rows if int(r["User Count"]) == reached]
# From the longest think time after the last user started: by then every user
# asks at its steady pace (the users started in a burst ask in a burst first).
full = [r for r in full if int(r["Timestamp"]) >= int(full[0]["Timestamp"]) + 9] if full else []
pace = "n/a"
if reached and len(full) >= 2:
    seconds = int(full[-1]["Timestamp"]) - int(full[0]["Timestamp"])
    asked_then = int(full[-1]["Total Request Count"]) - int(full[0]["Total Request Count"])
    if seconds > 0:
        pace = asked_then / seconds / (reached / 7)
last = rows[-1] if rows else {"Total Request Count": 0, "Total Failure Count": 0}
sockets = "one per user"  # Locust's own: not counted
if tool == "lampi-load":
    try:
        sockets = json.load(open(prefix + ".out")).get("peak_connections", "?")
    except ValueError:
        sockets = "?"  # it ended without its report: its .err says why
held = "yes" if reached == asked and pace != "n/a" and pace >= 0.9 else "no"
mib = int(rss_kib) / 1024
private_mib = max(int(open(prefix + ".private").read()), 1) / 1024
print(f"| {tool} | {flow} | {asked} | {reached} | {pace if pace == 'n/a' else f'{pace:.0%}'} | {held} | "
      f"{mib:.0f} | {reached / (mib / 1024):,.0f} | {private_mib:.0f} | {reached / (private_mib / 1024):,.0f} | "
      f"{float(user_s) + float(system_s):.1f} / {float(wall_s):.0f} | "
      f"{last['Total Request Count']} | {last['Total Failure Count']} | {sockets} |")
PY
done
print_load after
echo "raw outputs: $WORK"
