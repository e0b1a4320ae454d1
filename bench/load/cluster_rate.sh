#!/usr/bin/env bash
# A distributed run against the sum of its workers' single runs: one controller
# and two workers (lampi-load controller/worker) loading the same target, against
# each worker running its half alone under the same controller. The ratio
# `both / (w0 + w1)` is what coordination costs: 1.00 when the merge loses
# nothing and the workers do not slow each other down.
#
#   bench/load/cluster_rate.sh [--quick]
#
# Three loads, each measured three ways (w0 alone, w1 alone, both):
#   paced      publishers, every client at RATE messages/s: the load fits this
#              machine, so the ratio shows the cluster's own cost
#   as fast    publishers without -T: each worker alone may use the whole
#              machine, so on one machine two workers share what one had; the
#              ratio then shows the machine, not the cluster (on two machines
#              each would have its own)
#   web users  the course's flow (log in, then load / again) against one
#              lampi-cloud, USERS users thinking WAIT seconds: paced too
# A plain run of the whole load (`lampi-load publish` or `http`), without the
# cluster, is the reference for each.
#
# Environment: LAMPI_LOAD, LAMPI_CLOUD (binaries; default build/), CLIENTS (40,
# over the two workers), RATE (100 msg/s per client, paced), USERS (40 web users),
# WAIT (think time, 0.1-0.2 s), SECONDS_PER_RUN (20), QOS (1), PORT (18890: the
# cluster's broker; PORT+1 is the target broker, PORT+2 the target site).
# Prints a Markdown table on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" LAMPI_CLOUD="$ROOT/build/src/cloud/lampi-cloud" CLIENTS=40 \
      RATE=100 USERS=40 WAIT=0.1-0.2 SECONDS_PER_RUN=20 QOS=1 PORT=18890
if [[ "${1:-}" == "--quick" ]]; then SECONDS_PER_RUN=8; fi
require_built "$LAMPI_LOAD" "$LAMPI_CLOUD"
(( CLIENTS >= 2 && CLIENTS % 2 == 0 )) || { echo "CLIENTS must be even and at least 2 (got $CLIENTS)" >&2; exit 2; }
(( USERS >= 2 && USERS % 2 == 0 )) || { echo "USERS must be even and at least 2 (got $USERS)" >&2; exit 2; }
TARGET=$((PORT + 1))
SITE_PORT=$((PORT + 2))
require_free_ports "$PORT" "$TARGET" "$SITE_PORT"
bench_workdir cluster-rate
head -c 32 /dev/urandom | base64 >"$WORK/secret"
chmod 600 "$WORK/secret"
# Web users log in as user0..user<USERS-1>; the login travels in a file, never on the workers' command line.
echo 'user{n}:lampi-pass' >"$WORK/login"
chmod 600 "$WORK/login"

start_broker() {  # start_broker PORT NAME
  cat >"$WORK/$2.conf" <<CONF
listener $1 127.0.0.1
allow_anonymous true
max_connections -1
set_tcp_nodelay true
persistence false
max_queued_messages 10000
log_dest file $WORK/$2.log
user root
CONF
  /usr/sbin/mosquitto -c "$WORK/$2.conf" &
  PIDS+=("$!")
  wait_port "$1"
}
start_broker "$PORT" cluster-broker
start_broker "$TARGET" target-broker

declare -A WORKER_PID
start_worker() {
  "$LAMPI_LOAD" worker --controller "127.0.0.1:$PORT" --secret-file "$WORK/secret" --id "$1" \
    >"$WORK/worker-$1.log" 2>&1 &
  WORKER_PID[$1]=$!
  PIDS+=("$!")
}
stop_worker() {
  kill -TERM "${WORKER_PID[$1]}" 2>/dev/null || true
  wait "${WORKER_PID[$1]}" 2>/dev/null || true
}

# per second of a controller's or a single run's --json: confirmed messages, or requests of web users
rate_of() {
  python3 - "$1" "$SECONDS_PER_RUN" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
if "workers" in report:
    bad = [w["id"] + " " + w["state"] for w in report["workers"] if w["state"] != "done"]
    if bad:
        sys.exit("a worker did not finish: " + ", ".join(bad))
if "requests" in report:
    done = sum(r["requests"] for r in report["requests"])
else:
    done = report["counters"]["confirmed"]
print(f'{done / float(sys.argv[2]):.0f}')
PY
}

# run_cluster NAME WORKERS COMMAND...: the merged rate of COMMAND (publish ... or http ...) over WORKERS workers
run_cluster() {
  local name=$1 workers=$2
  shift 2
  "$LAMPI_LOAD" controller --broker "127.0.0.1:$PORT" --secret-file "$WORK/secret" --workers "$workers" --json \
    -- "$@" >"$WORK/$name.json" 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; exit 1; }
  rate_of "$WORK/$name.json"
}

# measure LABEL WHOLE HALF -- COMMAND...: one table row; WHOLE and HALF are the
# command's total option (-P 40 or -u 40) for the whole load and for half of it
measure() {
  local label=$1 whole=$2 half=$3 plain w0 w1 both
  shift 4
  # shellcheck disable=SC2086 # WHOLE and HALF are an option and its value
  "$LAMPI_LOAD" "$@" $whole --json >"$WORK/$label-plain.json" 2>"$WORK/$label-plain.err" ||
    { cat "$WORK/$label-plain.err" >&2; exit 1; }
  plain=$(rate_of "$WORK/$label-plain.json")
  start_worker w0
  # shellcheck disable=SC2086
  w0=$(run_cluster "$label-w0" 1 "$@" $half)
  stop_worker w0
  start_worker w1
  # shellcheck disable=SC2086
  w1=$(run_cluster "$label-w1" 1 "$@" $half)
  start_worker w0
  # shellcheck disable=SC2086
  both=$(run_cluster "$label-both" 2 "$@" $whole)
  stop_worker w0
  stop_worker w1
  echo "| $label | $plain | $w0 | $w1 | $both | $(python3 -c "print(f'{$both / ($w0 + $w1):.3f}')") |"
}

publish() {
  echo publish -H 127.0.0.1 -p "$TARGET" -q "$QOS" -d "$SECONDS_PER_RUN" --quiet
}

start_course_cloud "$SITE_PORT" "$USERS"

print_machine
print_load before
echo
echo "${SECONDS_PER_RUN} s per run; publishers: $CLIENTS clients in all (half on each worker), QoS $QOS, confirmed"
echo "messages/s; web users: the course's flow, $USERS users in all, think time $WAIT s, requests/s:"
echo
echo "| load | one process, no cluster | w0 alone (half) | w1 alone (half) | both (whole) | both / (w0 + w1) |"
echo "|---|---|---|---|---|---|"
# shellcheck disable=SC2046 # publish's words
measure "paced (-T $RATE)" "-P $CLIENTS" "-P $((CLIENTS / 2))" -- $(publish) -T "$RATE"
# shellcheck disable=SC2046
measure "as fast as confirmed" "-P $CLIENTS" "-P $((CLIENTS / 2))" -- $(publish)
measure "web users (--wait $WAIT)" "-u $USERS" "-u $((USERS / 2))" -- http -H "$HOST" -r "$USERS" \
  -t "${SECONDS_PER_RUN}s" --wait "$WAIT" --login-file "$WORK/login" --accounts "$USERS" --headless --quiet
echo
print_load after
echo "raw outputs: $WORK"
