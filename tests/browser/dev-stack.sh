#!/usr/bin/env bash
# dev-stack.sh: a small LAMPi platform on 127.0.0.1 for the browser tests, for when
# the full stack is not at hand. Under one supervisord it runs:
#   - the cloud broker: a plain MQTT listener (bridges, lampi-cloud, the operator;
#     anonymous, loopback only) and a WebSocket listener for browsers guarded by
#     lampi_auth_plugin.so, which asks lampi-cloud who may do what;
#   - lampi-cloud serving the control page from STATIC_DIR;
#   - N simulated lamps (lampid + local broker + bridge), from `lampi-stack render`;
# then creates the demo user (owning every lamp), a second user and an operator,
# and writes DIR/endpoints.json for LAMPI_ENDPOINTS.
#
# Usage: dev-stack.sh up   BUILD_DIR STATIC_DIR DIR [PORT_BASE] [LAMPS] [CREDENTIAL_SECONDS]
#        dev-stack.sh down DIR
# BUILD_DIR holds lampi-cloud, lampid, lampi-stack and lampi_auth_plugin.so.
set -euo pipefail

die() { echo "dev-stack: $*" >&2; exit 1; }

cmd=${1:-}
case $cmd in
  down)
    dir=${2:?usage: dev-stack.sh down DIR}
    supervisorctl -c "$dir/supervisord.conf" shutdown >/dev/null 2>&1 || true
    exit 0 ;;
  up) ;;
  *) die "usage: dev-stack.sh up BUILD_DIR STATIC_DIR DIR [PORT_BASE] [LAMPS] [CREDENTIAL_SECONDS] | down DIR" ;;
esac

build=$(cd "${2:?BUILD_DIR}" && pwd)
static=$(cd "${3:?STATIC_DIR}" && pwd)
mkdir -p "${4:?DIR}"
dir=$(cd "$4" && pwd)
base=${5:-18930}
lamps=${6:-2}
credential_seconds=${7:-900}

cloud_bin=$build/src/cloud/lampi-cloud
plugin=$build/src/broker-plugin/lampi_auth_plugin.so
for f in "$cloud_bin" "$plugin" "$build/src/lampid/lampid" "$build/src/stack/lampi-stack"; do
  [ -e "$f" ] || die "missing $f: build lampi-cloud lampid lampi-stack lampi_auth_plugin in $build"
done
[ -f "$static/lampi.js" ] && [ -f "$static/mqtt.min.js" ] || die "$static lacks lampi.js or mqtt.min.js: build web_static"

mqtt_port=$base            # plain MQTT (bridges, lampi-cloud, operator)
ws_port=$((base + 1))      # MQTT over WebSocket for browsers, with the auth plugin
http_port=$((base + 2))    # lampi-cloud
for p in $mqtt_port $ws_port $http_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p on 127.0.0.1 is taken: pick another PORT_BASE"; fi
done

# Lamps, their brokers and bridges, and supervisord's skeleton.
"$build/src/stack/lampi-stack" render --dir "$dir" --lamps "$lamps" --port-base "$base" \
  --bin-dir "$build/src/lampid" >/dev/null

# The cloud broker, replaced by one with the browser listener and the auth plugin.
# per_listener_settings keeps the plugin on the WebSocket listener only, so the
# plain listener stays open to the bridges (which have no TLS identity here).
cat >"$dir/cloud-broker/mosquitto.conf" <<EOF
# Cloud broker for the browser tests (dev-stack.sh)
per_listener_settings true
set_tcp_nodelay true
persistence true
persistence_location $dir/cloud-broker/
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
user $(id -un)

listener $mqtt_port 127.0.0.1
allow_anonymous true

listener $ws_port 127.0.0.1
protocol websockets
allow_anonymous false
plugin $plugin
plugin_opt_auth_url http://127.0.0.1:$http_port/auth/v1/user
plugin_opt_ttl_seconds 5
EOF

db="sqlite://$dir/cloud.sqlite3"
# Fresh accounts every time, so the passwords below are the ones that work.
rm -f "$dir"/cloud.sqlite3*
# Cheap password hashing: these are throwaway test accounts.
cost=(--argon2-ops 1 --argon2-memory-kib 8192)
cat >>"$dir/supervisord.conf" <<EOF

[program:lampi-cloud]
command=$cloud_bin serve --db $db --listen 127.0.0.1:$http_port --static-dir $static --mqtt-host 127.0.0.1 --mqtt-port $mqtt_port --mqtt-ws-url ws://127.0.0.1:$ws_port --credential-seconds $credential_seconds ${cost[*]}
priority=15
autorestart=true
startsecs=1
redirect_stderr=true
stdout_logfile=$dir/logs/lampi-cloud.log
EOF

ids=()
for i in $(seq 1 "$lamps"); do ids+=("$(printf '02%010x' "$i")"); done
lamp_args=()
for id in "${ids[@]}"; do lamp_args+=(--lamp "$id"); done
demo_password=demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
second_password=second-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
operator_password=ops-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
"$cloud_bin" demo --db "$db" "${cost[@]}" --log-level warn --user demo --password "$demo_password" "${lamp_args[@]}" >/dev/null
add_user() {
  local name=$1 password=$2; shift 2
  printf '%s\n' "$password" | "$cloud_bin" user add "$name" "$@" --password-stdin --db "$db" "${cost[@]}" --log-level warn >/dev/null
}
add_user alice "$second_password"
add_user ops "$operator_password" --operator

rm -f "$dir/supervisor.sock"
supervisord -c "$dir/supervisord.conf"

lamps_json=""
for id in "${ids[@]}"; do
  [ -n "$lamps_json" ] && lamps_json+=","
  lamps_json+="{\"device_id\":\"$id\",\"led_duty_file\":\"$dir/lamps/$id/led-duty\",\"state_file\":\"$dir/lamps/$id/lamp-state.json\",\"cloud_topic_prefix\":\"devices/$id/\"}"
done
cat >"$dir/endpoints.json" <<EOF
{"cloud": {"http": {"url": "http://127.0.0.1:$http_port"},
           "websocket": {"url": "ws://127.0.0.1:$ws_port"},
           "mqtt": {"host": "127.0.0.1", "port": $mqtt_port},
           "operator": {"username": "ops", "password": "$operator_password"}},
 "demo": {"username": "demo", "password": "$demo_password"},
 "second_user": {"username": "alice", "password": "$second_password"},
 "lamps": [$lamps_json],
 "supervisor": {"config": "$dir/supervisord.conf"}}
EOF

# Ready when the web answers and every lamp's state has reached the cloud broker.
for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$http_port/accounts/login/" 2>/dev/null; then
    seen=$(mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -t 'devices/+/lamp/changed' -C "$lamps" -W 1 2>/dev/null | wc -l || true)
    if [ "${seen:-0}" -ge "$lamps" ]; then
      echo "$dir/endpoints.json"
      exit 0
    fi
  fi
  sleep 0.2
done
die "the platform did not come up; see $dir/logs/"
