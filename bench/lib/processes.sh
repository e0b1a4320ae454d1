# Sourced by benchmark scripts: every background process a benchmark starts goes
# into PIDS and is stopped (TERM, then KILL after STOP_WAIT_TENTHS/10 s) on exit,
# and the scratch directory WORK is removed (unless KEEP_WORK=1).
# Commands in ON_EXIT run first (a platform started detached is stopped by one).
PIDS=()
ON_EXIT=()
STOP_WAIT_TENTHS=${STOP_WAIT_TENTHS:-50}
cleanup() {
  set +e
  for command in "${ON_EXIT[@]:-}"; do [ -n "$command" ] && eval "$command"; done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 "$STOP_WAIT_TENTHS"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # KEEP_WORK=1: the script promised its raw outputs stay.
  [ -n "${WORK:-}" ] && [ "${KEEP_WORK:-0}" != 1 ] && rm -rf "$WORK"
}
trap cleanup EXIT
