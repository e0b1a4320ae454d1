#!/usr/bin/env bash
# A distributed run against the sum of its workers' single runs: one controller
# and two workers (lampi-load controller/worker) publishing to the same target
# broker, against each worker running its half alone under the same controller.
# The ratio `both / (w0 alone + w1 alone)` is what coordination costs: 1.00 when
# the merge loses nothing and the workers do not slow each other down.
#
#   bench/load/cluster_rate.sh [--quick]
#
# Two loads, each measured three ways (w0 alone, w1 alone, both):
#   paced      every client at RATE messages/s: the load fits this machine, so
#              the ratio shows the cluster's own cost
#   as fast    no -T: each worker alone may use the whole machine, so on one
#              machine two workers share what one had; the ratio then shows the
#              machine, not the cluster (on two machines each would have its own)
# A plain `lampi-load publish` of the whole load, without the cluster, is the
# reference for both.
#
# Environment: LAMPI_LOAD (default build/src/load/lampi-load), CLIENTS (40, over
# the two workers), RATE (100 msg/s per client, paced), SECONDS_PER_RUN (20), QOS (1),
# PORT (18890: the cluster's broker; PORT+1 is the target).
# Prints a Markdown table on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs LAMPI_LOAD="$ROOT/build/src/load/lampi-load" CLIENTS=40 RATE=100 SECONDS_PER_RUN=20 QOS=1 PORT=18890
if [[ "${1:-}" == "--quick" ]]; then SECONDS_PER_RUN=8; fi
[[ -x "$LAMPI_LOAD" ]] || { echo "build first (ninja -C build lampi-load): $LAMPI_LOAD" >&2; exit 2; }
(( CLIENTS >= 2 && CLIENTS % 2 == 0 )) || { echo "CLIENTS must be even and at least 2 (got $CLIENTS)" >&2; exit 2; }
TARGET=$((PORT + 1))
require_free_ports "$PORT" "$TARGET"
bench_workdir cluster-rate
head -c 32 /dev/urandom | base64 >"$WORK/secret"
chmod 600 "$WORK/secret"

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

# confirmed messages per second of a controller's or a single run's --json
rate_of() {
  python3 - "$1" "$SECONDS_PER_RUN" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
if "workers" in report:
    bad = [w["id"] + " " + w["state"] for w in report["workers"] if w["state"] != "done"]
    if bad:
        sys.exit("a worker did not finish: " + ", ".join(bad))
print(f'{report["counters"]["confirmed"] / float(sys.argv[2]):.0f}')
PY
}

# run_cluster NAME WORKERS CLIENTS [publish options...]: the merged rate
run_cluster() {
  local name=$1 workers=$2 clients=$3
  shift 3
  "$LAMPI_LOAD" controller --broker "127.0.0.1:$PORT" --secret-file "$WORK/secret" --workers "$workers" --json \
    -- publish -H 127.0.0.1 -p "$TARGET" -P "$clients" -q "$QOS" -d "$SECONDS_PER_RUN" --quiet "$@" \
    >"$WORK/$name.json" 2>"$WORK/$name.err" || { cat "$WORK/$name.err" >&2; exit 1; }
  rate_of "$WORK/$name.json"
}

# measure LABEL [publish options...]: one table row
measure() {
  local label=$1 plain w0 w1 both
  shift
  "$LAMPI_LOAD" publish -H 127.0.0.1 -p "$TARGET" -P "$CLIENTS" -q "$QOS" -d "$SECONDS_PER_RUN" --quiet --json "$@" \
    >"$WORK/$label-plain.json" 2>"$WORK/$label-plain.err" || { cat "$WORK/$label-plain.err" >&2; exit 1; }
  plain=$(rate_of "$WORK/$label-plain.json")
  start_worker w0
  w0=$(run_cluster "$label-w0" 1 $((CLIENTS / 2)) "$@")
  stop_worker w0
  start_worker w1
  w1=$(run_cluster "$label-w1" 1 $((CLIENTS / 2)) "$@")
  start_worker w0
  both=$(run_cluster "$label-both" 2 "$CLIENTS" "$@")
  stop_worker w0
  stop_worker w1
  echo "| $label | $plain | $w0 | $w1 | $both | $(python3 -c "print(f'{$both / ($w0 + $w1):.3f}')") |"
}

print_machine
print_load before
echo
echo "$CLIENTS clients in all (half on each worker), QoS $QOS, ${SECONDS_PER_RUN} s per run, confirmed messages/s:"
echo
echo "| load | one process, no cluster | w0 alone (half) | w1 alone (half) | both (whole) | both / (w0 + w1) |"
echo "|---|---|---|---|---|---|"
measure "paced (-T $RATE)" -T "$RATE"
measure "as fast as confirmed"
echo
print_load after
echo "raw outputs: $WORK"
