#!/usr/bin/env bash
# One PostgreSQL server for a whole ctest run (the lampi_postgres fixture; see
# tests/CMakeLists.txt). A test process that started its own server spent about
# two seconds on initdb and start-up, more than most tests take; sharing one, each
# test only creates (and drops) its own database.
#
# Usage: postgres_shared.sh up|down DIR
#   up    stops a server left in DIR by an interrupted run, starts a fresh one and
#         writes its URL (postgresql://postgres@127.0.0.1:PORT) to DIR/url
#   down  stops it and removes DIR
# Without PostgreSQL 15, `up` writes no URL and succeeds: the tests then skip and
# say what to install (tests/support/postgres_server.cpp).
set -euo pipefail
action=${1:?usage: postgres_shared.sh up|down DIR}
dir=${2:?usage: postgres_shared.sh up|down DIR}
bin=/usr/lib/postgresql/15/bin

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case $action in
  down) stop ;;
  up)
    stop
    if [ ! -x "$bin/initdb" ] || ! getent passwd postgres >/dev/null; then
      echo "postgres_shared.sh: PostgreSQL 15 is not installed; PostgreSQL tests will skip"
      exit 0
    fi
    mkdir -p "$dir"
    # PostgreSQL refuses to run as root.
    chown postgres:postgres "$dir"
    as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # pg_ctl -w fails when the port is taken: a few random ports, then give up.
    for attempt in 1 2 3 4 5; do
      port=$((20000 + RANDOM % 30000))
      if as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
          >/dev/null; then
        echo "postgresql://postgres@127.0.0.1:$port" >"$dir/url"
        echo "postgres_shared.sh: PostgreSQL on 127.0.0.1:$port for this run (log: $dir/postgres.log)"
        exit 0
      fi
      echo "postgres_shared.sh: port $port did not work (attempt $attempt of 5)" >&2
    done
    tail -20 "$dir/postgres.log" >&2 || true
    exit 1
    ;;
  *) echo "postgres_shared.sh: unknown action '$action' (up or down)" >&2; exit 2 ;;
esac
