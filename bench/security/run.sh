#!/usr/bin/env bash
# What security costs, measured on the platform `./lampi up` runs. By hand, not
# part of the test suite:
#   bash bench/security/run.sh [BUILD_DIR]          (default: build)
# Knobs (env): SECONDS_EACH=10 PORT_BASE=24400 CONNECT_THREADS=2 CONCURRENCY=8
#              PUBLISHERS=20 WRK_THREADS=2 WRK_CONNS=64
#
# 1. MQTT connects/s to one Mosquitto without the auth plugin: plain TCP vs
#    mutual TLS with lamp certificates from the platform CA (EC P-256), every
#    connection a full handshake (connect_rate.cpp).
# 2. The same mutual-TLS connects through the platform's broker, auth plugin
#    loaded (certificate identity: the plugin answers ACL checks only).
# 3. Password clients (a person's broker credential from lampi-cloud) through
#    the plugin vs the same broker with allow_anonymous and no plugin:
#    connects/s (connect_rate) and QoS 1 publishes/s (lampi-load), both over TLS.
# 4. lampi-cloud over HTTPS vs plain HTTP, keep-alive (wrk), and HTTPS with a
#    new connection per request.
# The broker without the plugin is the platform's own cloud-broker config with
# the plugin lines removed, ports moved by +50, and a plain listener added; both
# brokers log alike. Everything listens on 127.0.0.1. The platform is `./lampi up
# --detach`'s (stopped with ./lampi down on exit); every other process this script
# starts is stopped by its PID.
set -euo pipefail

STOP_WAIT_TENTHS=100
source "$(dirname "$0")/../lib/common.sh"
BUILD=$(build_dir "${1:-}")
knobs SECONDS_EACH=10 CONNECT_THREADS=2 CONCURRENCY=8 PUBLISHERS=20 WRK_THREADS=2 WRK_CONNS=64
BASE=${PORT_BASE:-24400}
NOAUTH=$((BASE + 50))      # the plugin-less broker's listeners: +50 .. +53
PLAIN_MQTT=$((BASE + 60))  # its plain TCP listener
PLAIN_HTTP=$((BASE + 70))  # a second lampi-cloud, plain HTTP, same database

# The benchmark programs are not part of `all`: build what this runs.
ninja -C "$BUILD" connect_rate lampi-stack lampi-cloud lampi-load lampi_auth_plugin lampid >/dev/null
for program in src/stack/lampi-stack src/cloud/lampi-cloud src/load/lampi-load src/broker-plugin/lampi_auth_plugin.so \
               src/lampid/lampid bench/security/connect_rate; do
  [ -e "$BUILD/$program" ] || { echo "missing $BUILD/$program: ninja -C $BUILD connect_rate lampid lampi-cloud" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
require_free_ports $NOAUTH $((NOAUTH + 1)) $((NOAUTH + 3)) $PLAIN_MQTT $PLAIN_HTTP
bench_workdir security-bench

print_machine
print_load before

# --- the platform (cloud broker with the plugin, lampi-cloud) -----------------
STACK="$WORK/stack"
start_platform "$STACK" "$BASE" 16
CA="$STACK/pki/ca/ca.pem"
LAMPS=$(python3 -c "import json; print(' '.join(l['device_id'] for l in json.load(open('$STACK/endpoints.json'))['lamps']))")
# The lamps' certificates are the benchmark's identities; their own processes
# would only add traffic, so they are stopped.
stop_lamp_processes "$STACK" $LAMPS
IDENTITIES=()
for id in $LAMPS; do IDENTITIES+=(--cert "$STACK/lamps/$id/lamp.pem" --key "$STACK/lamps/$id/lamp.key"); done
FIRST_LAMP=${LAMPS%% *}
DB="sqlite://$STACK/cloud/lampi.sqlite3"
platform_credential "$STACK" "$BASE"

# --- the same broker without the plugin ---------------------------------------
mkdir -p "$WORK/noauth"
sed -e '/^plugin/d' -e 's/^allow_anonymous false/allow_anonymous true/' \
    -e "s#^persistence_location .*#persistence_location $WORK/noauth/#" \
    -e "s/^listener $BASE /listener $NOAUTH /" -e "s/^listener $((BASE + 1)) /listener $((NOAUTH + 1)) /" \
    -e "s/^listener $((BASE + 3)) /listener $((NOAUTH + 3)) /" \
    "$STACK/cloud-broker/mosquitto.conf" >"$WORK/noauth/mosquitto.conf"
printf '\n# plain TCP, for the baseline\nlistener %s 127.0.0.1\n' "$PLAIN_MQTT" >>"$WORK/noauth/mosquitto.conf"
/usr/sbin/mosquitto -c "$WORK/noauth/mosquitto.conf" >"$WORK/noauth/mosquitto.log" 2>&1 &
PIDS+=($!)
wait_port "$NOAUTH"; wait_port $((NOAUTH + 3)); wait_port "$PLAIN_MQTT"

connect_rate() {  # label args...
  local label=$1; shift
  "$BUILD/bench/security/connect_rate" --seconds "$SECONDS_EACH" --threads "$CONNECT_THREADS" --concurrency "$CONCURRENCY" "$@" \
    --json >"$WORK/out.json" || true
  printf '%-58s %s\n' "$label" "$(cat "$WORK/out.json")"
}

echo
echo "== MQTT connects/s (connect_rate: $CONNECT_THREADS threads x $CONCURRENCY in flight, ${SECONDS_EACH} s each)"
# Plain TCP goes last: right after its burst (100 000+ connections) the same
# broker's TLS rate came out halved in trial runs.
connect_rate "2  mutual TLS (lamp certs), auth plugin" --port "$BASE" --cafile "$CA" "${IDENTITIES[@]}"
connect_rate "1b mutual TLS (lamp certs), no plugin" --port "$NOAUTH" --cafile "$CA" "${IDENTITIES[@]}"
connect_rate "3a TLS + person credential, auth plugin + lampi-cloud" --port $((BASE + 3)) --cafile "$CA" \
  --username "$WEB_USER" --password "$WEB_PASSWORD"
connect_rate "3b TLS + same credential, no auth (allow_anonymous)" --port $((NOAUTH + 3)) --cafile "$CA" \
  --username "$WEB_USER" --password "$WEB_PASSWORD"
connect_rate "1a plain TCP, no plugin" --port "$PLAIN_MQTT"

echo
echo "== MQTT QoS 1 publishes/s over TLS (lampi-load publish: $PUBLISHERS clients, ${SECONDS_EACH} s each)"
publish() {  # label port
  "$BUILD/src/load/lampi-load" publish -p "$2" --cafile "$CA" -u "$WEB_USER" --password "$WEB_PASSWORD" -D "$WEB_USER" \
    -P "$PUBLISHERS" --qos 1 --duration "$SECONDS_EACH" -t "devices/$FIRST_LAMP/lamp/set_config" -q --json \
    >"$WORK/publish.json" || true
  python3 - "$1" "$WORK/publish.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
c = d["counters"]
print(f"{sys.argv[1]:58s} {d['confirmed_per_s']:.0f} confirmed/s  (sent {c['sent']}, confirmed {c['confirmed']}, "
      f"errors {c['errors']}, p50 {d['latency']['p50_ms']:.2f} ms, p99 {d['latency']['p99_ms']:.2f} ms, "
      f"connect p50 {d['connect']['p50_ms']:.2f} ms)")
EOF
}
publish "3c person's set_config, auth plugin + lampi-cloud" $((BASE + 3))
publish "3d same, no auth (allow_anonymous)" $((NOAUTH + 3))

# --- lampi-cloud, HTTPS vs plain HTTP -----------------------------------------
"$BUILD/src/cloud/lampi-cloud" serve --db "$DB" --listen "127.0.0.1:$PLAIN_HTTP" \
  --static-dir "$BUILD/web/static" --mqtt-host "" --log-level warn >"$WORK/plain-cloud.log" 2>&1 &
PIDS+=($!)
wait_port "$PLAIN_HTTP"
wrk_run() {  # label url [wrk args]
  local label=$1 url=$2; shift 2
  local out
  out=$(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${SECONDS_EACH}s" --latency "$@" "$url")
  printf '%-58s %s req/s, p50 %s, p99 %s, non-2xx/3xx: %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print $NF}' <<<"$out" | grep . || echo 0)"
}
echo
echo "== lampi-cloud requests/s (wrk -t$WRK_THREADS -c$WRK_CONNS -d${SECONDS_EACH}s)"
AUTH="Authorization: Bearer $TOKEN"
wrk_run "4a GET /api/v1/lamps (token), HTTPS keep-alive" "https://127.0.0.1:$((BASE + 2))/api/v1/lamps" -H "$AUTH"
wrk_run "4b GET /api/v1/lamps (token), HTTP keep-alive" "http://127.0.0.1:$PLAIN_HTTP/api/v1/lamps" -H "$AUTH"
wrk_run "4c GET /static/lampi.css, HTTPS keep-alive" "https://127.0.0.1:$((BASE + 2))/static/lampi.css"
wrk_run "4d GET /static/lampi.css, HTTP keep-alive" "http://127.0.0.1:$PLAIN_HTTP/static/lampi.css"
wrk_run "4e GET /static/lampi.css, HTTPS, new connection each" "https://127.0.0.1:$((BASE + 2))/static/lampi.css" \
  -H "Connection: close"
wrk_run "4f GET /static/lampi.css, HTTP, new connection each" "http://127.0.0.1:$PLAIN_HTTP/static/lampi.css" \
  -H "Connection: close"
echo
print_load after
