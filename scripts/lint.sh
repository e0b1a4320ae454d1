#!/usr/bin/env bash
# Checks the C++ lines a change touches: clang-format (.clang-format) and clang-tidy
# (.clang-tidy, with <build>/compile_commands.json). Existing code is never
# reformatted wholesale, so only changed lines are held to the style; a moved
# file's unchanged lines are not changed lines.
#
# The change is the working tree against a base commit:
#   - LAMPI_LINT_BASE if set;
#   - else the merge-base with origin/main (or main), when HEAD is not on it;
#   - else HEAD's first parent: on a clean clone (CI) that checks the last commit.
# Usage: scripts/lint.sh <build dir>; exits 1 on any format drift or finding.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:?usage: lint.sh <build dir>}
cd "$ROOT"

base_commit() {
    if [ -n "${LAMPI_LINT_BASE:-}" ]; then
        git rev-parse --verify -q "$LAMPI_LINT_BASE^{commit}" || { echo "lint: no commit $LAMPI_LINT_BASE" >&2; return 1; }
        return 0
    fi
    local head main fork
    head=$(git rev-parse HEAD)
    for main in origin/main main; do
        fork=$(git merge-base HEAD "$main" 2>/dev/null) || continue
        if [ "$fork" != "$head" ]; then echo "$fork"; return 0; fi
        break
    done
    git rev-parse --verify -q 'HEAD^1' || true
}

base=$(base_commit)
if [ -z "$base" ]; then
    echo "lint: nothing to compare with (a single commit): skipped"
    exit 0
fi
untracked=$(git ls-files --others --exclude-standard -- '*.cpp' '*.h' '*.hpp' '*.cc' | tr '\n' ' ')
[ -n "$untracked" ] && echo "lint: not checked until git knows them (git add): $untracked"

# Changed line ranges per file, renames followed: "FILE FIRST:LAST FIRST:LAST ...".
mapfile -t changes < <(git diff -U0 -M --diff-filter=AMR "$base" -- '*.cpp' '*.h' '*.hpp' '*.cc' | python3 -c '
import re, sys
ranges, name = {}, None
for line in sys.stdin:
    if line.startswith("+++ "):
        name = line[6:].rstrip("\n") if line.startswith("+++ b/") else None
    m = re.match(r"@@ .* \+(\d+)(?:,(\d+))? @@", line)
    if name and m and m.group(2) != "0":
        first = int(m.group(1))
        ranges.setdefault(name, []).append(f"{first}:{first + int(m.group(2) or 1) - 1}")
for name, spans in ranges.items():
    print(name, *spans)
')
echo "lint: ${#changes[@]} C++ files with changed lines since $(git rev-parse --short "$base")" \
     "($(git log -1 --format=%s "$base" | cut -c1-60))"
[ ${#changes[@]} -eq 0 ] && { echo "lint: $SECONDS s"; exit 0; }
failed=0

# Format: what clang-format would make of the changed lines, as a diff.
drift=0
for change in "${changes[@]}"; do
    read -r file spans <<<"$change"
    lines=()
    for span in $spans; do lines+=("--lines=$span"); done
    if ! clang-format --style=file "${lines[@]}" "$file" | diff -u --label "a/$file" --label "b/$file" "$file" -; then
        drift=1
    fi
done
if [ $drift -eq 1 ]; then
    echo "lint: format drift on changed lines (to apply it: git clang-format $(git rev-parse --short "$base"))"
    failed=1
else
    echo "lint: clang-format: the changed lines of ${#changes[@]} files are formatted"
fi

# Tidy: the translation units among the changed files, warnings kept only on
# changed lines (a changed header's lines count when a changed source includes it).
[ -f "$BUILD/compile_commands.json" ] || { echo "lint: no $BUILD/compile_commands.json (build first)" >&2; exit 1; }
# The build compiles the tests in unity batches (several test files in one
# translation unit) through a precompiled header that only GCC reads: clang-tidy
# gets each file's own command, without that header.
tidy_dir=$(mktemp -d)
trap 'rm -rf "$tidy_dir"' EXIT
db="$tidy_dir/compile_commands.json"
python3 - "$BUILD/compile_commands.json" "$db" <<'PY'
import json, re, sys
entries = []
for e in json.load(open(sys.argv[1])):
    command = re.sub(r" -include \S*cmake_pch\.hxx| -Winvalid-pch", "", e["command"])
    files = [e["file"]]
    if "/Unity/unity_" in e["file"]:
        files = re.findall(r'^#include "([^"]+)"', open(e["file"]).read(), re.M)
    for name in files:
        entries.append({"directory": e["directory"], "command": command.replace(e["file"], name), "file": name})
json.dump(entries, open(sys.argv[2], "w"))
PY
line_filter=$(printf '%s\n' "${changes[@]}" | python3 -c '
import json, sys
root = sys.argv[1]
entries = []
for line in sys.stdin:
    name, *spans = line.split()
    entries.append({"name": f"{root}/{name}", "lines": [[int(n) for n in s.split(":")] for s in spans]})
print(json.dumps(entries))
' "$ROOT")
units=() skipped=()
mapfile -t in_db < <(python3 -c 'import json, sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' "$db")
for change in "${changes[@]}"; do
    file=${change%% *}
    case $file in *.h|*.hpp) continue ;; esac
    # grep reads it all (no -q): quitting at the first match would end printf with
    # SIGPIPE, and pipefail would count a file found early in the list as missing.
    if printf '%s\n' "${in_db[@]}" | grep -xF "$ROOT/$file" >/dev/null; then units+=("$ROOT/$file"); else skipped+=("$file"); fi
done
[ ${#skipped[@]} -gt 0 ] && echo "lint: clang-tidy: not in $db, skipped: ${skipped[*]}"
if [ ${#units[@]} -gt 0 ]; then
    echo "lint: clang-tidy on ${#units[@]} files: ${units[*]#"$ROOT"/}"
    # Two at a time: the machine has two cores.
    if ! printf '%s\n' "${units[@]}" |
         xargs -P 2 -n 1 clang-tidy --quiet -p "$tidy_dir" --line-filter="$line_filter" 2>/dev/null; then
        echo "lint: clang-tidy findings on changed lines (above)"
        failed=1
    else
        echo "lint: clang-tidy: no findings on changed lines"
    fi
fi
echo "lint: $SECONDS s"
exit $failed
