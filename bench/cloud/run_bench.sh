#!/usr/bin/env bash
# lampi-cloud vs the Django + uWSGI baseline, in the same run on this machine.
# Run by hand (not part of the test suite), from anywhere:
#   bash bench/cloud/run_bench.sh [path/to/lampi-cloud]
# Knobs (env): WRK_SECONDS=15 WRK_CONNS=64 WRK_THREADS=2 CLOUD_THREADS=2 ROUNDS=1
#              ARGON2_OPS=2 ARGON2_MEMORY_KIB=19456 (lampi-cloud's password cost)
# Measures with wrk (keep-alive as wrk does; uWSGI adds Connection: close as in
# the baseline's own runs): logged-in GET / on both, GET /api/v1/lamps on
# lampi-cloud, and the login POST (the password hash bounds it) on both.
# Everything listens on 127.0.0.1 only; every process it starts is stopped by PID.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CLOUD_BIN="${1:-$ROOT/build-cloud/src/cloud/lampi-cloud}"
BASELINE="${BASELINE:-$ROOT/../shared/baselines/django-lampi}"
[ -d "$BASELINE" ] || BASELINE=/work/shared/baselines/django-lampi
source "$ROOT/bench/lib/common.sh"
knobs WRK_SECONDS=15 WRK_CONNS=64 WRK_THREADS=2 CLOUD_THREADS=2 ROUNDS=1 ARGON2_OPS=2 \
      ARGON2_MEMORY_KIB=19456 DJANGO_PORT=18000 CLOUD_PORT=18100
HOST=127.0.0.1
PY=/usr/bin/python3
LAMP_ID=b827eb74663e

[ -x "$CLOUD_BIN" ] || { echo "no lampi-cloud binary at $CLOUD_BIN; build it first (ninja -C build-cloud lampi-cloud)" >&2; exit 1; }
install_bench_packages wrk python3-django uwsgi uwsgi-plugin-python3 curl
bench_workdir cloud-bench
require_free_ports "$DJANGO_PORT" "$CLOUD_PORT"

wait_http() {  # url pid
  for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
    [ "$code" = "200" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

echo "== versions: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wrk $(dpkg-query -W -f='${Version}' wrk); django $($PY -c 'import django; print(django.get_version())'); uwsgi $(uwsgi --version)"

echo "== lampi-cloud: SQLite in $WORK, $CLOUD_THREADS threads, argon2id t=$ARGON2_OPS m=${ARGON2_MEMORY_KIB} KiB"
DB="sqlite://$WORK/cloud.sqlite3"
COST=(--argon2-ops "$ARGON2_OPS" --argon2-memory-kib "$ARGON2_MEMORY_KIB" --log-level warn)
"$CLOUD_BIN" demo --db "$DB" "${COST[@]}" --user user1 --password lampi-pass --lamp "$LAMP_ID" >/dev/null
"$CLOUD_BIN" demo --db "$DB" "${COST[@]}" --user user2 --password lampi-pass --lamp b827eb000002 >/dev/null
"$CLOUD_BIN" serve --db "$DB" "${COST[@]}" --listen "$HOST:$CLOUD_PORT" --threads "$CLOUD_THREADS" --mqtt-host "" \
  > "$WORK/cloud.log" 2>&1 &
PIDS+=($!)
wait_http "http://$HOST:$CLOUD_PORT/accounts/login/?next=/" "${PIDS[-1]}" || { cat "$WORK/cloud.log"; exit 1; }

echo "== Django baseline: copied to $WORK/django, uWSGI with $(nproc) processes"
cp -r "$BASELINE" "$WORK/django"
rm -rf "$WORK/django/results" "$WORK/django/run"
(
  cd "$WORK/django"
  export LAMPI_DB="$WORK/django.sqlite3" DJANGO_SETTINGS_MODULE=lampisite.settings
  $PY manage.py migrate -v0
  $PY manage.py create_lampi_users 10 >/dev/null
)
uwsgi --plugins python3 --http-socket "$HOST:$DJANGO_PORT" --master --processes "$(nproc)" \
  --chdir "$WORK/django" --module lampisite.wsgi:application \
  --env DJANGO_SETTINGS_MODULE=lampisite.settings --env "LAMPI_DB=$WORK/django.sqlite3" \
  --listen 1024 --die-on-term --need-app --disable-logging --add-header "Connection: close" \
  > "$WORK/uwsgi.log" 2>&1 &
PIDS+=($!)
wait_http "http://$HOST:$DJANGO_PORT/accounts/login/?next=/" "${PIDS[-1]}" || { cat "$WORK/uwsgi.log"; exit 1; }

login() {  # base -> prints "SID CSRF"
  local jar="$WORK/jar-$RANDOM"
  curl -s -c "$jar" -b "$jar" -o /dev/null "$1/accounts/login/?next=/"
  local csrf; csrf=$(awk '$6=="csrftoken"{print $7}' "$jar")
  curl -s -c "$jar" -b "$jar" -o /dev/null --data "csrfmiddlewaretoken=$csrf&username=user1&password=lampi-pass" \
    "$1/accounts/login/?next=/"
  # A fresh token for the login benchmark (login rotates the cookie's token).
  local jar2="$WORK/jar2-$RANDOM"
  curl -s -c "$jar2" -o /dev/null "$1/accounts/login/?next=/"
  echo "$(awk '$6=="sessionid"{print $7}' "$jar") $(awk '$6=="csrftoken"{print $7}' "$jar2")"
}
read -r CLOUD_SID CLOUD_CSRF < <(login "http://$HOST:$CLOUD_PORT")
read -r DJANGO_SID DJANGO_CSRF < <(login "http://$HOST:$DJANGO_PORT")
for pair in "$CLOUD_PORT:$CLOUD_SID" "$DJANGO_PORT:$DJANGO_SID"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sessionid=${pair#*:}" "http://$HOST:${pair%%:*}/")
  [ "$code" = "200" ] || { echo "session on port ${pair%%:*} not accepted (GET / -> $code)"; exit 1; }
done

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
run_wrk() {  # name url cookie [post-body]
  local name=$1 url=$2 cookie=$3 body=${4:-}
  local out="$WORK/$name.txt"
  WRK_COOKIE="$cookie" WRK_POST_BODY="$body" wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --timeout 30s \
    --latency -s "$BASELINE/tools/wrk_status.lua" "$url" > "$out" 2>&1
  local rps p99 counts
  rps=$(awk '/^Requests\/sec/{print $2}' "$out")
  p99=$(awk '/latency p50=/{for(i=1;i<=NF;i++) if($i ~ /^p99=/){sub("p99=","",$i); print $i}}' "$out")
  counts=$(awk -F': ' '/^status counts/{print $2}' "$out")
  printf '%s\t%s\t%s\t%s\n' "$name" "$rps" "$p99" "$counts" | tee -a "$RESULTS"
  sleep 2
}

echo "== wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s --latency (name, req/s, p99, status counts)"
for round in $(seq 1 "$ROUNDS"); do
  run_wrk "django_index_r$round" "http://$HOST:$DJANGO_PORT/" "sessionid=$DJANGO_SID"
  run_wrk "cloud_index_r$round" "http://$HOST:$CLOUD_PORT/" "sessionid=$CLOUD_SID"
  run_wrk "cloud_api_lamps_r$round" "http://$HOST:$CLOUD_PORT/api/v1/lamps" "sessionid=$CLOUD_SID"
  run_wrk "django_login_r$round" "http://$HOST:$DJANGO_PORT/accounts/login/?next=/" "csrftoken=$DJANGO_CSRF" \
    "csrfmiddlewaretoken=$DJANGO_CSRF&username=user2&password=lampi-pass"
  run_wrk "cloud_login_r$round" "http://$HOST:$CLOUD_PORT/accounts/login/?next=/" "csrftoken=$CLOUD_CSRF" \
    "csrfmiddlewaretoken=$CLOUD_CSRF&username=user2&password=lampi-pass"
done

echo "== summary (mean req/s over rounds; ratio = lampi-cloud / Django)"
awk -F'\t' '
  { sub(/_r[0-9]+$/, "", $1); sum[$1] += $2; n[$1]++; p99[$1] = p99[$1] (p99[$1] ? "," : "") $3 }
  END {
    for (k in sum) mean[k] = sum[k] / n[k]
    printf "%-18s %12s %14s\n", "target", "req/s", "p99 ms"
    for (k in sum) printf "%-18s %12.1f %14s\n", k, mean[k], p99[k]
    if (mean["django_index"] > 0) {
      printf "GET / ratio:               %.1fx\n", mean["cloud_index"] / mean["django_index"]
      printf "GET /api/v1/lamps vs Django GET /: %.1fx\n", mean["cloud_api_lamps"] / mean["django_index"]
    }
    if (mean["django_login"] > 0) printf "login POST ratio:          %.1fx\n", mean["cloud_login"] / mean["django_login"]
  }' "$RESULTS"
echo "argon2id cost: t=$ARGON2_OPS, m=$ARGON2_MEMORY_KIB KiB, p=1 (libsodium crypto_pwhash_str_alg)"
