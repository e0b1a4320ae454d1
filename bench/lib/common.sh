# Sourced by the benchmark scripts: what each needs around its measurements, so
# that a script holds only what it measures. Sourcing it also sources
# processes.sh (every started process stopped on exit, WORK removed).
#   build_dir [DIR]              DIR (default: the tree's build/) as an absolute path
#   knobs NAME=DEFAULT...        each NAME keeps its value from the environment, else DEFAULT
#   bench_workdir NAME           WORK=/tmp/lampi-NAME-XXXXXX
#   require_built BINARY...      exits unless each is built, saying how to build it
#   require_free_ports PORT...   exits unless nothing listens on 127.0.0.1:PORT
#   wait_port PORT               until something listens there (20 s)
#   json_field FILE KEY          a top-level field of a JSON file
#   start_course_cloud PORT N    lampi-cloud (LAMPI_CLOUD) on PORT with accounts user0..user<N-1>,
#                                password lampi-pass, cheap hashes and no login throttle; sets HOST
#   peak_private_memory FILE COMMAND...  runs COMMAND; FILE gets the most private resident memory
#                                (KiB) it and its children held at once; returns its exit status
#   print_machine, print_load WHEN   context lines for the results
#   install_bench_packages PKG...    benchmark-only Debian packages (not in scripts/debian-packages.txt)
#   start_platform DIR BASE LAMPS    the platform ./lampi up runs, detached, stopped on exit
#   platform_credential DIR BASE     TOKEN (the demo user's API token), WEB_USER and WEB_PASSWORD
#                                    (the demo user's broker credential, as the control page gets it)
#   stop_lamp_processes DIR ID...    a lamp's lampid and broker step aside (the benchmark speaks as it)
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$BENCH_ROOT/bench/lib/processes.sh"

build_dir() {
  (cd "${1:-$BENCH_ROOT/build}" && pwd)
}

knobs() {
  local knob name
  for knob in "$@"; do
    name=${knob%%=*}
    [ -n "${!name:-}" ] || printf -v "$name" '%s' "${knob#*=}"
  done
}

bench_workdir() {
  WORK=$(mktemp -d "/tmp/lampi-$1-XXXXXX")
}

# require_built BINARY...: each is built, or the benchmark stops saying how to build it.
require_built() {
  local binary
  for binary in "$@"; do
    [[ -x "$binary" ]] || { echo "build first (ninja -C build $(basename "$binary")): $binary" >&2; exit 2; }
  done
}

require_free_ports() {
  local port
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use; set PORT_BASE" >&2; exit 1; fi
  done
}

wait_port() {
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on $1" >&2; return 1
}

start_course_cloud() {
  local port=$1 accounts=$2 db="sqlite://$WORK/cloud.sqlite3" i
  # Cheap password hashes and no login rate limit, so logins measure the load
  # generator, not argon2id or the throttle.
  for i in $(seq 0 $((accounts - 1))); do
    echo lampi-pass | "$LAMPI_CLOUD" user add --db "$db" --password-stdin --argon2-ops 1 --argon2-memory-kib 64 \
      --log-level warn "user$i" >/dev/null
  done
  "$LAMPI_CLOUD" serve --db "$db" --listen "127.0.0.1:$port" --mqtt-host '' --threads 2 --login-rate 1000000 \
    --argon2-ops 1 --argon2-memory-kib 64 --log-level warn >"$WORK/cloud.log" 2>&1 &
  PIDS+=("$!")
  wait_port "$port"
  HOST="http://127.0.0.1:$port"
}

json_field() {
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

# Peak RSS (time(1)'s %M) counts the pages of shared libraries a process
# touched, which every process using them shares (libc, libstdc++, libcrypto:
# about 7 MiB of lampi-load's idle 9); the private (anonymous) part, its heap and
# stacks, is what each more process costs. Sampled every 0.2 s from /proc.
peak_private_memory() {
  local out=$1 peak=0 pid kib sum process; shift
  "$@" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sum=0
    for process in "$pid" $(pgrep -P "$pid" || true); do
      kib=$(awk '/^RssAnon:/ { print $2 }' "/proc/$process/status" 2>/dev/null || true)
      sum=$(( sum + ${kib:-0} ))
    done
    (( sum > peak )) && peak=$sum
    sleep 0.2
  done
  local status=0
  wait "$pid" || status=$?
  echo "$peak" >"$out"
  return "$status"
}

print_machine() {
  echo "== machine: $(nproc) cores, $(uname -r), $(/usr/sbin/mosquitto -h 2>/dev/null | head -1), $(openssl version)"
}

print_load() {
  echo "== load $1: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure alike)"
}

install_bench_packages() {
  local missing=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null; }
}

# ./lampi up does the checks (ports, programs, nothing of DIR running), writes the
# configs, sets the cloud up and waits until every lamp is seen through the cloud.
start_platform() {
  local dir=$1 base=$2 lamps=$3
  ON_EXIT+=("'$BENCH_ROOT/lampi' down --dir '$dir' --if-running >/dev/null")
  "$BENCH_ROOT/lampi" up --detach --quiet --no-build --build-dir "$BUILD" --dir "$dir" --port-base "$base" \
    --lamps "$lamps" --log-level warn >/dev/null
}

platform_credential() {
  local dir=$1 base=$2
  TOKEN=$("$BUILD/src/cloud/lampi-cloud" token create demo --db "sqlite://$dir/cloud/lampi.sqlite3" --log-level warn)
  curl -s --cacert "$dir/pki/ca/ca.pem" -H "Authorization: Bearer $TOKEN" \
    "https://127.0.0.1:$((base + 2))/api/v1/mqtt-credential" >"$WORK/credential.json"
  WEB_USER=$(json_field "$WORK/credential.json" username)
  WEB_PASSWORD=$(json_field "$WORK/credential.json" password)
}

stop_lamp_processes() {
  local dir=$1 id; shift
  for id in "$@"; do
    /usr/bin/supervisorctl -c "$dir/supervisord.conf" stop "lampid-$id" "lamp-broker-$id" >/dev/null
  done
}
