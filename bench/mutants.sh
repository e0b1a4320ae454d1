#!/usr/bin/env bash
# Mutation check: applies each deliberate single-line bug in bench/mutants/ to a
# scratch copy of the tree, rebuilds only what it touches, runs the tests the
# mutant names, and prints which test caught it, or "SURVIVED".
#
# Usage: bench/mutants.sh [--keep] [MUTANT_FILE...]   (default: every bench/mutants/*.mutant)
# A mutant file holds four fields, one per line:
#   file: path/in/the/tree
#   find: the exact text as it is (must occur once; \n joins lines)
#   replace: the text that replaces it
#   tests: ctest arguments that select the tests that should catch it (e.g. -R '^cloud_tests\.')
# and optionally "why: ..." saying what the bug would let through.
# LAMPI_BROWSER_PORT_BASE moves the browser tests' platform, so a mutant run can
# share the machine with another clone's test run (both default to 18970).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n 2,14p "$0"; exit 0; fi
mutants=("$@")
[ ${#mutants[@]} -eq 0 ] && mutants=("$ROOT"/bench/mutants/*.mutant)

bash "$ROOT/scripts/install-deps.sh"
scratch=$(mktemp -d /tmp/lampi-mutants.XXXXXX)
[ $keep -eq 1 ] || trap 'rm -rf "$scratch"' EXIT
echo "mutants: copying the tree to $scratch and building it once"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && xargs -0 cp --parents -t "$scratch")
export CCACHE_BASEDIR="$scratch" CCACHE_NOHASHDIR=1
cmake -S "$scratch" -B "$scratch/build" -G Ninja ${LAMPI_BROWSER_PORT_BASE:+-DLAMPI_BROWSER_PORT_BASE=$LAMPI_BROWSER_PORT_BASE} >"$scratch/cmake.log" 2>&1 || { cat "$scratch/cmake.log"; exit 1; }
ninja -C "$scratch/build" >"$scratch/build.log" 2>&1 || { tail -30 "$scratch/build.log"; exit 1; }

field() { sed -n "s/^$1: //p" "$2" | head -1; }

printf '%-44s | %s\n' "mutant" "caught by"
printf '%-44s-|-%s\n' "--------------------------------------------" "---------"
caught=0; survived=0; broken=0
for mutant in "${mutants[@]}"; do
  name=$(basename "$mutant" .mutant)
  file=$(field file "$mutant"); find=$(field find "$mutant"); replace=$(field replace "$mutant"); tests=$(field tests "$mutant")
  target="$scratch/$file"
  cp "$target" "$target.orig"
  if ! FIND="$find" REPLACE="$replace" python3 - "$target" <<'PY'
import os, sys
path = sys.argv[1]
text = open(path).read()
find, replace = (os.environ[k].replace("\\n", "\n") for k in ("FIND", "REPLACE"))
if text.count(find) != 1:
    sys.exit(1)
open(path, "w").write(text.replace(find, replace))
PY
  then
    printf '%-44s | DOES NOT APPLY (the line changed: update the mutant)\n' "$name"; broken=$((broken + 1)); continue
  fi
  if ! ninja -C "$scratch/build" >"$scratch/$name.build.log" 2>&1; then
    printf '%-44s | caught by the compiler\n' "$name"; caught=$((caught + 1))
  else
    log="$scratch/$name.ctest.log"
    (cd "$scratch/build" && eval ctest --timeout 300 -j2 "$tests") >"$log" 2>&1 || true
    # ctest's list of failures: "(Failed)", "(Timeout)", and a crash ("(Subprocess
    # aborted)", "(SEGFAULT)", ...) all catch the mutant.
    failed=$(sed -n '/tests FAILED:/,$ s/^[[:space:]]*[0-9]* - \([^ ]*\) .*(.*/\1/p' "$log" | head -3 | paste -sd, -)
    if [ -n "$failed" ]; then
      printf '%-44s | %s\n' "$name" "$failed"; caught=$((caught + 1))
    elif grep -q "No tests were found" "$log"; then
      printf '%-44s | NO TESTS SELECTED (%s)\n' "$name" "$tests"; broken=$((broken + 1))
    else
      printf '%-44s | SURVIVED   (%s)\n' "$name" "$(field why "$mutant")"; survived=$((survived + 1))
    fi
  fi
  mv "$target.orig" "$target"
  touch "$target"  # newer than the mutant's objects, so ninja rebuilds the original
done
ninja -C "$scratch/build" >/dev/null 2>&1 || true
echo
echo "mutants: $caught caught, $survived survived, $broken could not be run"
