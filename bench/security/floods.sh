#!/usr/bin/env bash
# Two floods, measured on the platform `./lampi up` runs. By hand, not part of
# the test suite:
#   bash bench/security/floods.sh [BUILD_DIR]          (default: build)
# Knobs (env): SECONDS_EACH=20 PORT_BASE=24600 JUNK_PER_S=30 SIGNUP_WORKERS=8
#   SIGNUP_ADDRESSES=1: with N > 1, every sign-up comes from another loopback
#   address (127.0.1.1 ... 127.0.1.N), as a botnet would, so the per-address
#   sign-up limit does not stop it and every sign-up reaches the hashing pool.
#
# Lamp -> owner latency through the cloud broker (flood_latency.cpp: lamp 0's
# certificate publishes lamp/changed every 20 ms, its owner's page credential
# receives it), three times:
#   1. quiet;
#   2. with junk CONNECTs (random usernames, TLS) at JUNK_PER_S a second;
#   3. the same, plus a sign-up flood against lampi-cloud (SIGNUP_WORKERS curl
#      loops, each sign-up an argon2 hash on lampi-cloud's threads).
# Target: p99 < 50 ms under both floods. The platform is `./lampi up --detach`'s
# (stopped with ./lampi down on exit); every other process this script starts is
# stopped by its PID; everything listens on 127.0.0.1.
set -euo pipefail

STOP_WAIT_TENTHS=100
source "$(dirname "$0")/../lib/common.sh"
BUILD=$(build_dir "${1:-}")
knobs SECONDS_EACH=20 JUNK_PER_S=30 SIGNUP_WORKERS=8 SIGNUP_ADDRESSES=1
BASE=${PORT_BASE:-24600}

# The benchmark programs are not part of `all`: build what this runs.
ninja -C "$BUILD" flood_latency lampi-stack lampi-cloud lampi_auth_plugin lampid >/dev/null
for program in src/stack/lampi-stack src/cloud/lampi-cloud src/broker-plugin/lampi_auth_plugin.so src/lampid/lampid \
               bench/security/flood_latency; do
  [ -e "$BUILD/$program" ] || { echo "missing $BUILD/$program: ninja -C $BUILD flood_latency lampid lampi-cloud" >&2; exit 1; }
done
bench_workdir floods

print_machine
print_load before
STACK="$WORK/stack"
start_platform "$STACK" "$BASE" 1
CA="$STACK/pki/ca/ca.pem"
LAMP=$(python3 -c "import json; print(json.load(open('$STACK/endpoints.json'))['lamps'][0]['device_id'])")
# The benchmark speaks as lamp 0 (one connection per lamp): its own processes step aside.
stop_lamp_processes "$STACK" "$LAMP"
platform_credential "$STACK" "$BASE"

measure() {  # phase
  "$BUILD/bench/security/flood_latency" --cafile "$CA" --lamp-port "$BASE" --lamp-cert "$STACK/lamps/$LAMP/lamp.pem" \
    --lamp-key "$STACK/lamps/$LAMP/lamp.key" --device "$LAMP" --client-port $((BASE + 3)) \
    --owner-user "$WEB_USER" --owner-password "$WEB_PASSWORD" --seconds "$SECONDS_EACH" \
    --junk-per-s "$JUNK_PER_S" --phase "$1"
}

# One sign-up after another: fetch the form (CSRF cookie and token), post it.
signup_loop() {  # worker
  local jar="$WORK/jar-$1" n=0 url="https://127.0.0.1:$((BASE + 2))/accounts/signup/"
  while :; do
    n=$((n + 1))
    local token from=()
    if [ "$SIGNUP_ADDRESSES" -gt 1 ]; then from=(--interface "127.0.1.$(( (n * SIGNUP_WORKERS + $1) % SIGNUP_ADDRESSES + 1 ))"); fi
    token=$(curl -s "${from[@]}" -c "$jar" --cacert "$CA" "$url" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -1)
    curl -s "${from[@]}" -o /dev/null -w '%{http_code}\n' -b "$jar" --cacert "$CA" -H "Referer: $url" -H "Origin: https://127.0.0.1:$((BASE + 2))" \
      --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=flood$1x$n$RANDOM" \
      --data-urlencode "password1=flood-password-$n" --data-urlencode "password2=flood-password-$n" "$url" \
      >>"$WORK/signup-$1.codes" || true
  done
}

echo
echo "== lamp -> owner latency through the cloud broker (${SECONDS_EACH} s each, a message every 20 ms)"
measure quiet
measure flood
for w in $(seq 1 "$SIGNUP_WORKERS"); do
  signup_loop "$w" &
  PIDS+=($!)
done
sleep 2
START=$(cat "$WORK"/signup-*.codes 2>/dev/null | wc -l)
echo -n "+signup "
measure flood
DONE=$(cat "$WORK"/signup-*.codes 2>/dev/null | wc -l)
echo "sign-up flood: $SIGNUP_WORKERS workers, $(( (DONE - START) / SECONDS_EACH )) sign-ups/s answered; answers:" \
  "$(cat "$WORK"/signup-*.codes | sort | uniq -c | tr '\n' ' ')"
echo
print_load after
