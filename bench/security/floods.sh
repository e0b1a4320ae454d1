#!/usr/bin/env bash
# Issue 8 item 2's two floods, measured on the platform `./lampi up` runs. By
# hand, not part of the test suite:
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
# Target: p99 < 50 ms under both floods. Every process this script starts is
# stopped by its PID; everything listens on 127.0.0.1.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
SECONDS_EACH=${SECONDS_EACH:-20}
BASE=${PORT_BASE:-24600}
JUNK_PER_S=${JUNK_PER_S:-30}
SIGNUP_WORKERS=${SIGNUP_WORKERS:-8}
SIGNUP_ADDRESSES=${SIGNUP_ADDRESSES:-1}

for program in src/stack/lampi-stack src/cloud/lampi-cloud src/broker-plugin/lampi_auth_plugin.so src/lampid/lampid; do
  [ -e "$BUILD/$program" ] || { echo "missing $BUILD/$program: build it first" >&2; exit 1; }
done
for port in $BASE $((BASE + 2)) $((BASE + 3)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use; set PORT_BASE" >&2; exit 1; fi
done

WORK=$(mktemp -d /tmp/lampi-floods-XXXXXX)
STOP_WAIT_TENTHS=100
source "$(dirname "${BASH_SOURCE[0]}")/../lib/processes.sh"

wait_port() {  # port
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on $1" >&2; return 1
}
json_field() {  # file key
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

echo "== machine: $(nproc) cores, $(uname -r), $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure alike)"
g++ -std=c++20 -O2 -Wall -Wextra -Wpedantic -o "$WORK/flood_latency" "$HERE/flood_latency.cpp" -lssl -lcrypto -lpthread

STACK="$WORK/stack"
"$BUILD/src/stack/lampi-stack" render --dir "$STACK" --lamps 1 --port-base "$BASE" --build-dir "$BUILD" \
  --log-level warn >"$WORK/render.log"
sh "$STACK/cloud-setup.sh"
/usr/bin/supervisord -n -c "$STACK/supervisord.conf" >"$WORK/supervisord.out" 2>&1 &
PIDS+=($!)
for offset in 0 2 3; do wait_port $((BASE + offset)); done
CA="$STACK/pki/ca/ca.pem"
LAMP=$(python3 -c "import json; print(json.load(open('$STACK/endpoints.json'))['lamps'][0]['device_id'])")
# The benchmark speaks as lamp 0 (one connection per lamp): its own processes step aside.
/usr/bin/supervisorctl -c "$STACK/supervisord.conf" stop "lampid-$LAMP" "lamp-broker-$LAMP" >/dev/null
DB="sqlite://$STACK/cloud/lampi.sqlite3"
TOKEN=$("$BUILD/src/cloud/lampi-cloud" token create demo --db "$DB" --log-level warn)
curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$((BASE + 2))/api/v1/mqtt-credential" \
  >"$WORK/credential.json"
WEB_USER=$(json_field "$WORK/credential.json" username)
WEB_PASSWORD=$(json_field "$WORK/credential.json" password)

measure() {  # phase
  "$WORK/flood_latency" --cafile "$CA" --lamp-port "$BASE" --lamp-cert "$STACK/lamps/$LAMP/lamp.pem" \
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
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
