#!/usr/bin/env bash
# stack.sh: the platform the browser tests run against, from a given build tree,
# as `./lampi up --detach` runs it (lampi-stack render, cloud-setup.sh, supervisord)
# but without installing or building anything, in its own DIR and ports.
#
# Usage: stack.sh up BUILD_DIR DIR [PORT_BASE] [LAMPS] [CREDENTIAL_SECONDS]
#        stack.sh down DIR
# Prints DIR/endpoints.json once every lamp's state has reached the cloud broker.
# BUILD_DIR must hold lampid, lampi-cloud, lampi-stack, lampi_auth_plugin.so and
# web/static/ (the web_static target).
set -euo pipefail

die() { echo "stack.sh: $*" >&2; exit 1; }

case ${1:-} in
  down)
    dir=${2:?usage: stack.sh down DIR}
    if [ -S "$dir/supervisor.sock" ]; then supervisorctl -c "$dir/supervisord.conf" shutdown >/dev/null 2>&1 || true; fi
    # shutdown returns at once; wait for supervisord (and so its children) to be gone
    # so the next run finds its ports free.
    pid=$(cat "$dir/supervisord.pid" 2>/dev/null || true)
    for _ in $(seq 1 150); do
      if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then exit 0; fi
      sleep 0.1
    done
    die "supervisord $pid of $dir did not stop within 15 s" ;;
  up) ;;
  *) die "usage: stack.sh up BUILD_DIR DIR [PORT_BASE] [LAMPS] [CREDENTIAL_SECONDS] | down DIR" ;;
esac

build=$(cd "${2:?BUILD_DIR}" && pwd)
mkdir -p "${3:?DIR}"
dir=$(cd "$3" && pwd)
base=${4:-18970}
lamps=${5:-2}
credential_seconds=${6:-}

for f in src/stack/lampi-stack src/cloud/lampi-cloud src/lampid/lampid web/static/lampi.js web/static/mqtt.min.js; do
  [ -e "$build/$f" ] || die "missing $build/$f (build lampi-stack lampi-cloud lampid lampi_auth_plugin web_static)"
done
for offset in 0 1 2 3; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$((base + offset))") 2>/dev/null; then
    die "port $((base + offset)) on 127.0.0.1 is taken: pick another PORT_BASE"
  fi
done

"$build/src/stack/lampi-stack" render --dir "$dir" --lamps "$lamps" --port-base "$base" --build-dir "$build" \
  --log-level warn >/dev/null
"$dir/cloud-setup.sh"
if [ -n "$credential_seconds" ]; then
  # Short-lived page credentials let the tests see the page renew one; lampi-stack
  # has no option for it, so the generated command line gets one here.
  sed -i "s#/lampi-cloud serve #/lampi-cloud serve --credential-seconds $credential_seconds #" "$dir/supervisord.conf"
fi
rm -f "$dir/supervisor.sock"
supervisord -c "$dir/supervisord.conf"

endpoints=$dir/endpoints.json
for _ in $(seq 1 150); do
  seen=$(mosquitto_sub -h 127.0.0.1 -p $((base + 3)) --cafile "$dir/pki/ca/ca.pem" -u operator \
    -P "$(cat "$dir/secrets/operator-password")" -t 'devices/+/lamp/changed' -C "$lamps" -W 1 2>/dev/null | wc -l || true)
  if [ "${seen:-0}" -ge "$lamps" ] && curl -fsS -o /dev/null --cacert "$dir/pki/ca/ca.pem" "https://127.0.0.1:$((base + 2))/accounts/login/"; then
    echo "$endpoints"
    exit 0
  fi
  sleep 0.2
done
die "the platform did not come up within 30 s; see $dir/logs/"
