#!/usr/bin/env bash
# lampi-load benchmarks against one local Mosquitto, all in one run on this
# machine: lampi-load vs Locust+paho vs mosquitto_pub (QoS 0 and 1), the most
# idle connections one lampi-load holds, and a lamp fleet with commands.
#
#   bench/load/run.sh [--quick]        (run as root: it raises ulimit -n)
#
# Environment: LAMPI_LOAD (binary; default build-load/ or build/), SECONDS_PER_RUN
# (10), CLIENTS (50), IDLE_CONNECTIONS (50000), FLEET_LAMPS (20000),
# FLEET_COMMANDS (1000), FLEET_SECONDS (30), PORT (18883).
# Prints a Markdown report on stdout; raw outputs stay in $WORK (printed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LAMPI_LOAD=${LAMPI_LOAD:-}
for candidate in "$ROOT/build-load/src/load/lampi-load" "$ROOT/build/src/load/lampi-load"; do
  [[ -z "$LAMPI_LOAD" && -x "$candidate" ]] && LAMPI_LOAD=$candidate
done
[[ -x "${LAMPI_LOAD:-}" ]] || { echo "build lampi-load first (ninja -C build lampi-load) or set LAMPI_LOAD" >&2; exit 2; }
KEEP_WORK=1
source "$ROOT/bench/lib/common.sh"
knobs SECONDS_PER_RUN=10 CLIENTS=50 IDLE_CONNECTIONS=50000 FLEET_LAMPS=20000 FLEET_COMMANDS=1000 \
      FLEET_SECONDS=30 PORT=18883
if [[ "${1:-}" == "--quick" ]]; then
  SECONDS_PER_RUN=5; IDLE_CONNECTIONS=5000; FLEET_LAMPS=2000; FLEET_COMMANDS=200; FLEET_SECONDS=10
fi

# Benchmark-only peers: installed here, not in scripts/debian-packages.txt.
need=()
[[ -x /usr/bin/locust ]] || need+=(python3-locust)
/usr/bin/python3 -c 'import paho.mqtt' 2>/dev/null || need+=(python3-paho-mqtt)
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
if ((${#need[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null; }
fi

WORK=$(mktemp -d /tmp/lampi-load-bench.XXXXXX)
cp /work/shared/baselines/locust-mqtt/locustfile.py "$WORK/"
HZ=$(getconf CLK_TCK)

# The broker's limits raised for tens of thousands of clients; $SYS every second;
# TCP_NODELAY so latency is not Nagle's.
cat > "$WORK/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
max_connections -1
set_tcp_nodelay true
sys_interval 1
persistence false
max_queued_messages 10000
log_dest file $WORK/mosquitto.log
user root
CONF
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
# Both lampi-load and the broker need one descriptor per connection; a container
# may forbid raising the hard limit, so scale the targets down and say so.
HARD=$(ulimit -Hn)
NOTES=()
# lampi-load and the broker each need 1 per connection (plus a few of their own).
MAX_CONN=$((HARD - 200))
if ((IDLE_CONNECTIONS > MAX_CONN)); then
  NOTES+=("idle target $IDLE_CONNECTIONS needs $((IDLE_CONNECTIONS + 64)) descriptors in lampi-load and in the broker; the hard limit here is $HARD (cannot be raised in this container): measured $MAX_CONN")
  IDLE_CONNECTIONS=$MAX_CONN
fi
if ((FLEET_LAMPS > MAX_CONN)); then
  NOTES+=("fleet target $FLEET_LAMPS lamps needs $((FLEET_LAMPS + 64)) descriptors; the hard limit here is $HARD: measured $MAX_CONN lamps")
  FLEET_LAMPS=$MAX_CONN
fi
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" &
BROKER=$!
PIDS+=("$BROKER")
wait_port "$PORT"

cpu_of() { awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

ROWS=()
# measure NAME MESSAGES_FILE_CMD -- COMMAND...: runs COMMAND under /usr/bin/time, records
# its CPU and the broker's CPU over the same interval.
measure() {
  local name=$1; shift
  local b0 b1 start end
  b0=$(cpu_of $BROKER); start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || true
  end=$(date +%s.%N)
  # Messages still in socket buffers are the broker's work too: wait until it is idle.
  b1=$(cpu_of $BROKER)
  for _ in $(seq 50); do sleep 0.2; local b=$(cpu_of $BROKER); [[ "$b" == "$b1" ]] && break; b1=$b; done
  # time(1) puts "Command exited with non-zero status N" first when the tool failed.
  echo "$(tail -1 "$WORK/$name.time" | awk '{print $1 + $2}') $(echo "$b1 - $b0" | bc) $(echo "$end - $start" | bc)"
}

row() {  # name msgs cpu broker_cpu wall
  local name=$1 msgs=$2 cpu=$3 bcpu=$4 wall=$5
  local rate per_m per_core
  rate=$(echo "scale=0; $msgs / $wall" | bc)
  per_m=$(echo "scale=2; if ($msgs > 0) $cpu * 1000000 / $msgs else 0" | bc)
  per_core=$(echo "scale=0; if ($cpu > 0) $msgs / $cpu else 0" | bc)
  ROWS+=("| $name | $msgs | $wall | $rate | $cpu | $per_m | $per_core | $bcpu |")
  eval "PER_CORE_${name//[^A-Za-z0-9]/_}=$per_core"
}

for qos in 0 1; do
  read -r cpu bcpu wall < <(measure "lampi_q$qos" "$LAMPI_LOAD" publish -p $PORT -P "$CLIENTS" --qos $qos \
      --duration "$SECONDS_PER_RUN" --json --quiet)
  msgs=$(json_get "$WORK/lampi_q$qos.out" "d['counters']['confirmed']")
  row "lampi-load qos$qos" "$msgs" "$cpu" "$bcpu" "$wall"

  read -r cpu bcpu wall < <(cd "$WORK" && MQTT_PORT=$PORT MQTT_QOS=$qos measure "locust_q$qos" /usr/bin/locust \
      -f "$WORK/locustfile.py" --headless -u "$CLIENTS" -r "$CLIENTS" -t "${SECONDS_PER_RUN}s" --only-summary \
      --csv "$WORK/locust_q$qos")
  msgs=$(awk -F, -v n="publish qos$qos" '$2 ~ n { gsub(/"/, "", $3); print $3 }' "$WORK/locust_q${qos}_stats.csv" | head -1)
  row "locust+paho qos$qos" "${msgs:-0}" "$cpu" "$bcpu" "$wall"

  count=$((qos == 0 ? 1000000 : 200000))
  read -r cpu bcpu wall < <(measure "mosquitto_pub_q$qos" mosquitto_pub -p $PORT -t bench/pub -q $qos \
      -m "$(head -c 100 /dev/zero | tr '\0' x)" --repeat $count --repeat-delay 0)
  row "mosquitto_pub qos$qos" "$count" "$cpu" "$bcpu" "$wall"
done

# Idle connections: subscribers on a topic nobody publishes to, ramped in.
"$LAMPI_LOAD" subscribe -p $PORT -c "$IDLE_CONNECTIONS" -t bench/idle --qos 0 --connect-rate 5000 \
    --duration $((IDLE_CONNECTIONS / 5000 + 8)) --json --quiet > "$WORK/idle.out" 2> "$WORK/idle.err" &
IDLE=$!
PEAK_RSS=0
while kill -0 $IDLE 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$IDLE/status 2>/dev/null || echo 0)
  ((rss > PEAK_RSS)) && PEAK_RSS=$rss
  sleep 0.5
done
wait $IDLE || true
IDLE_HELD=$(json_get "$WORK/idle.out" "d['peak_connections']")
IDLE_FAILED=$(json_get "$WORK/idle.out" "d['counters']['connect_failed']")
IDLE_CONNECT_P99=$(json_get "$WORK/idle.out" "round(d['connect']['p99_ms'], 2)")
BYTES_PER_CONN=$(( IDLE_HELD > 0 ? PEAK_RSS * 1024 / IDLE_HELD : 0 ))

# Fleet: lamps ramped in, then commands to random lamps.
read -r fcpu fbcpu fwall < <(measure fleet "$LAMPI_LOAD" fleet -p $PORT --lamps "$FLEET_LAMPS" \
    --commands "$FLEET_COMMANDS" --duration "$FLEET_SECONDS" --connect-rate 5000 --sys --json --quiet \
    --report "$WORK/fleet.html")
F() { json_get "$WORK/fleet.out" "$1"; }

cat <<REPORT
## lampi-load benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(/usr/sbin/mosquitto -h | head -1)

Raw outputs: $WORK
$(printf -- '- NOTE: %s\n' "${NOTES[@]}")

| tool | messages | wall s | msgs/s | CPU s | CPU s per 1M msgs | msgs per CPU s | broker CPU s |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

lampi-load vs Locust, messages per CPU-second: QoS 0 $(echo "scale=1; $PER_CORE_lampi_load_qos0 / ($PER_CORE_locust_paho_qos0 + 0.0001)" | bc)x, QoS 1 $(echo "scale=1; $PER_CORE_lampi_load_qos1 / ($PER_CORE_locust_paho_qos1 + 0.0001)" | bc)x

Idle connections: asked $IDLE_CONNECTIONS, held $IDLE_HELD (failed $IDLE_FAILED), connect p99 $IDLE_CONNECT_P99 ms, peak RSS $((PEAK_RSS / 1024)) MiB = $BYTES_PER_CONN bytes per connection

Fleet: $FLEET_LAMPS lamps, $FLEET_COMMANDS commands/s for $FLEET_SECONDS s: connected $(F "d['counters']['connect_ok']"), commands sent $(F "int(d['figures']['commands_sent'])"), answered $(F "int(d['figures']['commands_answered'])"), command->changed p50 $(F "round(d['latency']['p50_ms'],2)") ms, p99 $(F "round(d['latency']['p99_ms'],2)") ms, max $(F "round(d['latency']['max_ms'],2)") ms; lampi-load CPU $fcpu s, broker CPU $fbcpu s over $fwall s; ok=$(F "d['ok']")
REPORT
