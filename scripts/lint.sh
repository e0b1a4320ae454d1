#!/usr/bin/env bash
# Checks the C++ lines a change touches: clang-format (.clang-format) and clang-tidy
# (.clang-tidy, with <build>/compile_commands.json). Existing code is never
# reformatted wholesale, so only changed lines are held to the style.
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
mapfile -t files < <(git diff --name-only --diff-filter=AMR "$base" -- '*.cpp' '*.h' '*.hpp' '*.cc')
echo "lint: ${#files[@]} changed C++ files since $(git rev-parse --short "$base") ($(git log -1 --format=%s "$base" | cut -c1-60))"
untracked=$(git ls-files --others --exclude-standard -- '*.cpp' '*.h' '*.hpp' '*.cc' | tr '\n' ' ')
[ -n "$untracked" ] && echo "lint: not checked until git knows them (git add): $untracked"
[ ${#files[@]} -eq 0 ] && exit 0
failed=0

# Format: git clang-format formats only the changed lines and prints the diff it
# would apply (its exit status does not tell, in version 14).
drift=$(git clang-format --diff --extensions cpp,h,hpp,cc "$base" -- "${files[@]}" 2>&1) ||
    { echo "$drift"; echo "lint: git clang-format failed"; exit 1; }
if grep -q '^diff --git' <<<"$drift"; then
    echo "$drift"
    echo "lint: format drift on changed lines (to apply it: git clang-format $(git rev-parse --short "$base"))"
    failed=1
else
    echo "lint: clang-format: the changed lines of ${#files[@]} files are formatted"
fi

# Tidy: the translation units among the changed files, warnings kept only on
# changed lines (a changed header's lines count when a changed source includes it).
db="$BUILD/compile_commands.json"
if [ ! -f "$db" ]; then
    echo "lint: no $db (build first): clang-tidy skipped" >&2
    exit 1
fi
line_filter=$(git diff -U0 --diff-filter=AMR "$base" -- "${files[@]}" | python3 -c '
import json, re, sys
ranges, name = {}, None
for line in sys.stdin:
    if line.startswith("+++ "):
        name = line[6:].rstrip("\n") if line.startswith("+++ b/") else None
    m = re.match(r"@@ .* \+(\d+)(?:,(\d+))? @@", line)
    if name and m and m.group(2) != "0":
        start = int(m.group(1))
        ranges.setdefault(name, []).append([start, start + int(m.group(2) or 1) - 1])
root = sys.argv[1]
print(json.dumps([{"name": f"{root}/{n}", "lines": r} for n, r in ranges.items()]))
' "$ROOT")
mapfile -t units < <(python3 -c '
import json, sys
db = {e["file"] for e in json.load(open(sys.argv[1]))}
touched = {e["name"] for e in json.loads(sys.argv[2])}
for f in sorted(touched):
    if f in db: print(f)
' "$db" "$line_filter")
skipped=$(for f in "${files[@]}"; do case $f in *.h|*.hpp) ;; *) printf '%s\n' "$ROOT/$f";; esac; done |
          grep -vxF -f <(printf '%s\n' "${units[@]}" /dev/null) | sed "s|^$ROOT/||" | tr '\n' ' ' || true)
[ -n "$skipped" ] && echo "lint: clang-tidy: not in $db, skipped: $skipped"
if [ ${#units[@]} -gt 0 ]; then
    echo "lint: clang-tidy on ${#units[@]} files: ${units[*]#"$ROOT"/}"
    # Two at a time: the machine has two cores.
    if ! printf '%s\n' "${units[@]}" |
         xargs -P 2 -n 1 clang-tidy --quiet -p "$BUILD" --line-filter="$line_filter" 2>/dev/null; then
        echo "lint: clang-tidy findings on changed lines (above)"
        failed=1
    else
        echo "lint: clang-tidy: no findings on changed lines"
    fi
fi
echo "lint: $SECONDS s"
exit $failed
