#!/usr/bin/env bash
# lampi-cloud vs nginx on the same bytes over TLS, in the same run on this machine.
# Run by hand (not part of the test suite), from anywhere:
#   bash bench/cloud/run_vs_nginx.sh [path/to/lampi-cloud] [path/to/static-dir]
# Knobs (env): WRK_SECONDS=10 WRK_CONNS=64 WRK_THREADS=2 SERVER_THREADS=2 ROUNDS=2
#              PROFILE=1 (callgrind + strace pass) PROFILE_SMALL=100 PROFILE_LARGE=600
#              STRACE_REQUESTS=2000 PORT_BASE=18200
# nginx serves a copy of lampi-cloud's rendered logged-in page and the same static
# file, with the same certificate, the same worker count and the same response
# headers as lampi-cloud sends. wrk targets are interleaved (cloud, nginx, cloud,
# nginx ...), so load from other work on the machine hits both alike; the printed
# ratio is lampi-cloud / nginx. Load-independent figures come from the PROFILE pass:
#   instructions per request: a second lampi-cloud under callgrind; one keep-alive
#     connection makes PROFILE_SMALL then PROFILE_LARGE requests, counters zeroed
#     before and dumped after each; the difference / (LARGE - SMALL) leaves the
#     TLS handshake out. nginx (one worker, master off) is measured the same way.
#   system calls per request: strace -c -f on the wrk-measured servers while one
#     connection makes STRACE_REQUESTS requests.
# Everything listens on 127.0.0.1 only; every process it starts is stopped by PID.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
source "$ROOT/bench/lib/common.sh"
CLOUD_BIN="${1:-$(build_dir)/src/cloud/lampi-cloud}"
STATIC_DIR="${2:-$(build_dir)/web/static}"
knobs WRK_SECONDS=10 WRK_CONNS=64 WRK_THREADS=2 SERVER_THREADS=2 ROUNDS=2 PROFILE=1 PROFILE_SMALL=100 \
      PROFILE_LARGE=600 STRACE_REQUESTS=2000 PORT_BASE=18200
CLOUD_PORT=$PORT_BASE NGINX_PORT=$((PORT_BASE + 1)) CG_CLOUD_PORT=$((PORT_BASE + 2)) CG_NGINX_PORT=$((PORT_BASE + 3))
HOST=127.0.0.1
STATIC_FILE=lampi.css

[ -x "$CLOUD_BIN" ] || { echo "no lampi-cloud binary at $CLOUD_BIN; build it first (ninja -C build)" >&2; exit 1; }
[ -f "$STATIC_DIR/$STATIC_FILE" ] || { echo "no $STATIC_DIR/$STATIC_FILE; build web_static first" >&2; exit 1; }
install_bench_packages wrk curl valgrind strace nginx
bench_workdir cloud-nginx
require_free_ports "$CLOUD_PORT" "$NGINX_PORT" "$CG_CLOUD_PORT" "$CG_NGINX_PORT"
print_machine
echo "== wrk $(dpkg-query -W -f='${Version}' wrk); $(nginx -v 2>&1)"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$HOST" \
  -addext "subjectAltName=IP:$HOST" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

DB="sqlite://$WORK/cloud.sqlite3"
COST=(--argon2-ops 1 --argon2-memory-kib 64 --log-level warn)
"$CLOUD_BIN" demo --db "$DB" "${COST[@]}" --user user1 --password lampi-pass --lamp b827eb74663e >/dev/null
serve_cloud() {  # port threads [wrapper...]
  local port=$1 threads=$2; shift 2
  "$@" "$CLOUD_BIN" serve --db "$DB" "${COST[@]}" --listen "$HOST:$port" --threads "$threads" --mqtt-host "" \
    --static-dir "$STATIC_DIR" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --login-rate 1000000 \
    > "$WORK/cloud-$port.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}
serve_cloud "$CLOUD_PORT" "$SERVER_THREADS"
CLOUD_PID=${PIDS[-1]}

BASE="https://$HOST:$CLOUD_PORT"
JAR="$WORK/jar"
curl -sk -c "$JAR" -b "$JAR" -o /dev/null "$BASE/accounts/login/?next=/"
CSRF=$(awk '$6=="csrftoken"{print $7}' "$JAR")
curl -sk -c "$JAR" -b "$JAR" -o /dev/null -H "Referer: $BASE/accounts/login/" \
  --data "csrfmiddlewaretoken=$CSRF&username=user1&password=lampi-pass" "$BASE/accounts/login/?next=/"
# A browser's cookies after the login: the session and the (rotated) CSRF token,
# so the page is the same bytes every time (no fresh token, no Set-Cookie).
COOKIE="sessionid=$(awk '$6=="sessionid"{print $7}' "$JAR"); csrftoken=$(awk '$6=="csrftoken"{print $7}' "$JAR")"

# nginx's document root: the page as lampi-cloud renders it for this session, and the static file.
mkdir -p "$WORK/www/static"
code=$(curl -sk -o "$WORK/www/index.html" -D "$WORK/index.headers" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/")
[ "$code" = 200 ] || { echo "logged-in GET / answered $code" >&2; exit 1; }
cp "$STATIC_DIR/$STATIC_FILE" "$WORK/www/static/"
curl -sk -o /dev/null -D "$WORK/static.headers" "$BASE/static/$STATIC_FILE"
# The same response headers as lampi-cloud's (nginx writes its own Date, Server,
# Content-Length, Content-Type, Connection, ETag, Last-Modified).
nginx_headers() {  # header-dump
  tr -d '\r' < "$1" | awk -F': ' 'NR > 1 && NF >= 2 {
    name = tolower($1)
    if (name ~ /^(date|server|content-length|content-type|connection|etag|last-modified|set-cookie)$/) next
    value = substr($0, length($1) + 3); gsub(/"/, "\\\"", value)
    printf "      add_header %s \"%s\" always;\n", $1, value }'
}
content_type() { tr -d '\r' < "$1" | awk -F': ' 'tolower($1) == "content-type" { print substr($0, length($1) + 3) }'; }

write_nginx_conf() {  # port workers master(on|off) file
  cat > "$4" <<EOF
user root;
worker_processes $2;
master_process $3;
daemon off;
pid $WORK/nginx-$1.pid;
error_log $WORK/nginx-$1.error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx-tmp;
  proxy_temp_path $WORK/nginx-tmp;
  fastcgi_temp_path $WORK/nginx-tmp;
  uwsgi_temp_path $WORK/nginx-tmp;
  scgi_temp_path $WORK/nginx-tmp;
  server {
    listen $HOST:$1 ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    root $WORK/www;
    location = / {
      default_type "$(content_type "$WORK/index.headers")";
      try_files /index.html =404;
$(nginx_headers "$WORK/index.headers")
    }
    location /static/ {
      types { } default_type "$(content_type "$WORK/static.headers")";
$(nginx_headers "$WORK/static.headers")
    }
  }
}
EOF
}
mkdir -p "$WORK/nginx-tmp"
write_nginx_conf "$NGINX_PORT" "$SERVER_THREADS" on "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf" &
PIDS+=($!)
NGINX_PID=${PIDS[-1]}
wait_port "$NGINX_PORT"

for target in "/" "/static/$STATIC_FILE"; do
  a=$(curl -sk -H "Cookie: $COOKIE" "$BASE$target" | sha256sum)
  b=$(curl -sk "https://$HOST:$NGINX_PORT$target" | sha256sum)
  [ "$a" = "$b" ] || { echo "nginx and lampi-cloud differ on $target" >&2; exit 1; }
done
echo "== same bytes: GET / $(stat -c %s "$WORK/www/index.html") B, GET /static/$STATIC_FILE $(stat -c %s "$WORK/www/static/$STATIC_FILE") B"

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
run_wrk() {  # name url
  local out="$WORK/$1.txt"
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --timeout 30s -H "Cookie: $COOKIE" "$2" > "$out" 2>&1
  local rps requests bytes errors
  rps=$(awk '/^Requests\/sec/{print $2}' "$out")
  read -r requests bytes < <(awk '/requests in/{print $1, $5}' "$out")
  errors=$(awk '/Non-2xx|Socket errors/{printf "%s ", $0}' "$out")
  # Bytes per response tells a 200 page from a bounce to the login page.
  printf '%s\t%s\t%s\t%s\n' "$1" "$rps" "$bytes/$requests" "${errors:-ok}" | tee -a "$RESULTS"
}

print_load before
echo "== wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s, HTTPS keep-alive (name, req/s, read/requests, errors)"
for round in $(seq 1 "$ROUNDS"); do
  run_wrk "cloud_index_r$round" "$BASE/"
  run_wrk "nginx_index_r$round" "https://$HOST:$NGINX_PORT/"
  run_wrk "cloud_static_r$round" "$BASE/static/$STATIC_FILE"
  run_wrk "nginx_static_r$round" "https://$HOST:$NGINX_PORT/static/$STATIC_FILE"
done
print_load after
echo "== summary (mean req/s over rounds; ratio = lampi-cloud / nginx)"
awk -F'\t' '
  { sub(/_r[0-9]+$/, "", $1); sum[$1] += $2; n[$1]++ }
  END {
    for (k in sum) mean[k] = sum[k] / n[k]
    for (t in mean) if (t ~ /^cloud_/) {
      other = t; sub(/^cloud_/, "nginx_", other)
      printf "%-8s lampi-cloud %9.0f req/s   nginx %9.0f req/s   ratio %.2f\n", substr(t, 7), mean[t], mean[other], mean[t] / mean[other]
    }
  }' "$RESULTS" | sort

[ "$PROFILE" = 1 ] || exit 0

echo "== system calls per request (strace -c -f, $STRACE_REQUESTS requests on one connection; top calls)"
strace_per_request() {  # name pid url
  strace -c -f -q -o "$WORK/strace-$1.txt" -p "$2" 2>/dev/null &
  local tracer=$!
  sleep 1
  python3 "$HERE/keepalive_get.py" "$3" "$STRACE_REQUESTS" "$COOKIE" >/dev/null
  kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
  awk -v n="$STRACE_REQUESTS" -v name="$1" '
    $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { per[$NF] += $4 / n; total += $4 / n }
    END { printf "%-14s %6.2f calls/request:", name, total; for (s in per) if (per[s] >= 0.05) printf " %s=%.2f", s, per[s]; printf "\n" }' \
    "$WORK/strace-$1.txt"
}
strace_per_request cloud_index "$CLOUD_PID" "$BASE/"
strace_per_request cloud_static "$CLOUD_PID" "$BASE/static/$STATIC_FILE"
NGINX_WORKERS=$(pgrep -d, -P "$NGINX_PID" || true)
strace_per_nginx() {  # name url
  local tracers=() w
  for w in ${NGINX_WORKERS//,/ }; do
    strace -c -q -o "$WORK/strace-$1-$w.txt" -p "$w" 2>/dev/null & tracers+=($!)
  done
  sleep 1
  python3 "$HERE/keepalive_get.py" "$2" "$STRACE_REQUESTS" "$COOKIE" >/dev/null
  for w in "${tracers[@]}"; do kill -INT "$w"; wait "$w" 2>/dev/null || true; done
  cat "$WORK"/strace-"$1"-*.txt | awk -v n="$STRACE_REQUESTS" -v name="$1" '
    $1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { per[$NF] += $4 / n; total += $4 / n }
    END { printf "%-14s %6.2f calls/request:", name, total; for (s in per) if (per[s] >= 0.05) printf " %s=%.2f", s, per[s]; printf "\n" }'
}
strace_per_nginx nginx_index "https://$HOST:$NGINX_PORT/"
strace_per_nginx nginx_static "https://$HOST:$NGINX_PORT/static/$STATIC_FILE"

echo "== instructions per request (callgrind; ($PROFILE_LARGE - $PROFILE_SMALL) requests on one connection)"
callgrind_totals() {  # pid -> Ir of the newest dump
  local before after
  before=$(ls "$WORK"/callgrind.out.* 2>/dev/null | wc -l)
  callgrind_control -d "$1" >/dev/null 2>&1
  for _ in $(seq 1 600); do
    after=$(ls "$WORK"/callgrind.out.* 2>/dev/null | wc -l)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  sleep 0.5
  awk '/^(summary|totals):/{print $2; exit}' "$(ls -t "$WORK"/callgrind.out.* | head -1)"
}
instructions_per_request() {  # name pid url
  local small large
  callgrind_control -z "$2" >/dev/null 2>&1
  python3 "$HERE/keepalive_get.py" "$3" "$PROFILE_SMALL" "$COOKIE" >/dev/null
  small=$(callgrind_totals "$2")
  callgrind_control -z "$2" >/dev/null 2>&1
  python3 "$HERE/keepalive_get.py" "$3" "$PROFILE_LARGE" "$COOKIE" >/dev/null
  large=$(callgrind_totals "$2")
  printf '%-14s %10.0f instructions/request\n' "$1" "$(echo "($large - $small) / ($PROFILE_LARGE - $PROFILE_SMALL)" | bc -l)"
}
CALLGRIND=(valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out.%p.%n" --dump-instr=no)
serve_cloud "$CG_CLOUD_PORT" 1 "${CALLGRIND[@]}"
python3 "$HERE/keepalive_get.py" "https://$HOST:$CG_CLOUD_PORT/" 20 "$COOKIE" >/dev/null  # warm caches
instructions_per_request cloud_index "${PIDS[-1]}" "https://$HOST:$CG_CLOUD_PORT/"
instructions_per_request cloud_static "${PIDS[-1]}" "https://$HOST:$CG_CLOUD_PORT/static/$STATIC_FILE"
write_nginx_conf "$CG_NGINX_PORT" 1 off "$WORK/nginx-cg.conf"
"${CALLGRIND[@]}" nginx -c "$WORK/nginx-cg.conf" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$CG_NGINX_PORT"
python3 "$HERE/keepalive_get.py" "https://$HOST:$CG_NGINX_PORT/" 20 >/dev/null
instructions_per_request nginx_index "${PIDS[-1]}" "https://$HOST:$CG_NGINX_PORT/"
instructions_per_request nginx_static "${PIDS[-1]}" "https://$HOST:$CG_NGINX_PORT/static/$STATIC_FILE"
