#!/usr/bin/env bash
# The course's web flow (log in, then load / again and again) against one local
# lampi-cloud, lampi-load http vs Debian's Locust 2.12, one process each (lampi-load
# with one worker thread), the same users, spawn rate and think time:
#   1. throughput: think time 0, requests per CPU-second of the load generator;
#   2. memory: many users with the course's 5-9 s think time, peak resident memory
#      per user, and users per GB.
#
#   bench/load/http_course.sh [--quick]
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), PORT (18431),
# ACCOUNTS (200), FAST_USERS (20), FAST_SECONDS (15), IDLE_USERS (1000),
# IDLE_SPAWN (100), IDLE_SECONDS (25).
# Prints a Markdown report on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" PORT=18431 \
      ACCOUNTS=200 FAST_USERS=20 FAST_SECONDS=15 IDLE_USERS=1000 IDLE_SPAWN=100 IDLE_SECONDS=25
if [[ "${1:-}" == "--quick" ]]; then
  FAST_SECONDS=8; IDLE_USERS=300; IDLE_SECONDS=12
fi
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
install_bench_packages python3-locust
require_free_ports "$PORT"
bench_workdir http-course
cp /work/shared/baselines/django-lampi/locustfile.py "$WORK/" 2>/dev/null ||
  { echo "the course's locustfile is missing (/work/shared/baselines/django-lampi/locustfile.py)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

start_course_cloud "$PORT" "$ACCOUNTS"

# run NAME COMMAND...: under time(1); prints "cpu_seconds peak_rss_kib wall_seconds peak_private_kib".
run() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  peak_private_memory "$WORK/$name.private" /usr/bin/time -f "%U %S %M" -o "$WORK/$name.time" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" || true
  end=$(date +%s.%N)
  tail -1 "$WORK/$name.time" |
    awk -v wall="$(echo "$end - $start" | bc)" -v private="$(cat "$WORK/$name.private")" '{ print $1 + $2, $3, wall, private }'
}

# Aggregated "Request Count" of a Locust-format stats CSV (ours has the same columns).
requests_in() { awk -F, '$2 == "Aggregated" { print $3 }' "$1"; }

lampi() {  # name users spawn seconds wait
  run "$1" "$LAMPI_LOAD" http --host "$HOST" -u "$2" -r "$3" -t "$4s" --wait "$5" --threads 1 \
    --login 'user{n}:lampi-pass' --accounts "$ACCOUNTS" --headless --quiet --csv "$WORK/$1"
}
locust() {  # name users spawn seconds wait(0 or course)
  (cd "$WORK" && LAMPI_ACCOUNTS=$ACCOUNTS LAMPI_WAIT=$5 run "$1" /usr/bin/locust -f locustfile.py --headless \
    -u "$2" -r "$3" -t "$4s" --only-summary --host "$HOST" --csv "$WORK/$1")
}

print_machine
print_load before
read -r l_cpu l_rss l_wall l_private < <(lampi lampi_fast "$FAST_USERS" "$FAST_USERS" "$FAST_SECONDS" 0)
read -r p_cpu p_rss p_wall p_private < <(locust locust_fast "$FAST_USERS" "$FAST_USERS" "$FAST_SECONDS" 0)
l_req=$(requests_in "$WORK/lampi_fast_stats.csv")
p_req=$(requests_in "$WORK/locust_fast_final_stats.csv")
read -r li_cpu li_rss li_wall li_private < <(lampi lampi_idle "$IDLE_USERS" "$IDLE_SPAWN" "$IDLE_SECONDS" 5-9)
read -r pi_cpu pi_rss pi_wall pi_private < <(locust locust_idle "$IDLE_USERS" "$IDLE_SPAWN" "$IDLE_SECONDS" course)
li_req=$(requests_in "$WORK/lampi_idle_stats.csv")
pi_req=$(requests_in "$WORK/locust_idle_final_stats.csv")
print_load after

per_core() { echo "scale=0; if ($2 > 0) $1 / $2 else 0" | bc; }
per_gb() { echo "scale=0; $1 * 1024 * 1024 / $2" | bc; }
l_core=$(per_core "$l_req" "$l_cpu"); p_core=$(per_core "$p_req" "$p_cpu")
li_gb=$(per_gb "$IDLE_USERS" "$li_rss"); pi_gb=$(per_gb "$IDLE_USERS" "$pi_rss")
li_pgb=$(per_gb "$IDLE_USERS" "$li_private"); pi_pgb=$(per_gb "$IDLE_USERS" "$pi_private")
per_added() { echo "scale=0; ($1 - $2) * 1024 / ($IDLE_USERS - $FAST_USERS)" | bc; }
l_add=$(per_added "$li_rss" "$l_rss"); p_add=$(per_added "$pi_rss" "$p_rss")
[[ "$l_add" -gt 0 ]] || l_add=1
cat <<REPORT

## Course flow against lampi-cloud ($HOST), one process each

| run | users | think | requests | CPU s | wall s | req / CPU-s | peak RSS MiB | users / GB | peak private MiB | users / GB (private) |
|---|---|---|---|---|---|---|---|---|---|---|
| lampi-load | $FAST_USERS | 0 | $l_req | $l_cpu | $l_wall | $l_core | $((l_rss / 1024)) | | $((l_private / 1024)) | |
| locust | $FAST_USERS | 0 | $p_req | $p_cpu | $p_wall | $p_core | $((p_rss / 1024)) | | $((p_private / 1024)) | |
| lampi-load | $IDLE_USERS | 5-9 s | $li_req | $li_cpu | $li_wall | | $((li_rss / 1024)) | $li_gb | $((li_private / 1024)) | $li_pgb |
| locust | $IDLE_USERS | 5-9 s | $pi_req | $pi_cpu | $pi_wall | | $((pi_rss / 1024)) | $pi_gb | $((pi_private / 1024)) | $pi_pgb |

- requests per CPU core: lampi-load / locust = $(echo "scale=1; $l_core / $p_core" | bc)x
- users per GB (whole process, peak RSS): lampi-load / locust = $(echo "scale=1; $li_gb / $pi_gb" | bc)x
- users per GB (whole process, peak private memory: shared libraries' pages left out): lampi-load / locust = $(echo "scale=1; $li_pgb / $pi_pgb" | bc)x
- memory per added user (peak RSS of the big run minus the small one, over the users added):
  lampi-load $l_add bytes, locust $p_add bytes: $(echo "scale=1; $p_add / $l_add" | bc)x
- lampi-load's own "Memory per user" line: $(grep -h "Memory per user" "$WORK/lampi_idle.out" || echo "n/a")
- raw outputs: $WORK
REPORT
