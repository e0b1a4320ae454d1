#!/usr/bin/env bash
# The manual pages (section 1) of the packaged programs, made from their --help
# by help2man, so a page never says other than the program. Each page holds
# the program's help and, under SUBCOMMANDS, every subcommand's (two levels
# deep). The pages are kept in docs/man/ for the packages (debian/*.manpages),
# which an arm64 build cannot run its programs to make; the test
# `manpages_current` fails when they drift from the programs' --help.
#
#   scripts/manpages.sh BUILD_DIR OUT_DIR    (e.g. scripts/manpages.sh build docs/man)
#   scripts/manpages.sh --check BUILD_DIR    docs/man against the programs: exit 1 on a difference
#
# The version and date come from debian/changelog (SOURCE_DATE_EPOCH), so the
# same build gives the same pages on any machine.
set -euo pipefail

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -eq 2 ] || { usage >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$1" = --check ]; then
  made=$(mktemp -d)
  trap 'rm -rf "$made"' EXIT
  bash "$0" "$2" "$made" >/dev/null
  if ! diff -ru "$root/docs/man" "$made" >&2; then
    echo "manpages: docs/man differs from the programs' --help (above): scripts/manpages.sh $2 docs/man makes them again" >&2
    exit 1
  fi
  echo "manpages: docs/man matches the programs' --help"
  exit 0
fi
build=$(cd "$1" && pwd) || { echo "manpages: no build directory '$1'" >&2; exit 2; }
mkdir -p "$2"
out=$(cd "$2" && pwd)
command -v help2man >/dev/null ||
  { echo "manpages: help2man is missing: apt-get install help2man (scripts/install-deps.sh installs it)" >&2; exit 2; }

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH
# The programs print their defaults in English and sort nothing by locale.
export LC_ALL=C.UTF-8

# program  its folder in the build tree  the page's one-line description
programs=(
  "lampid|src/lampid|the LAMPi lamp service"
  "lampi-ui|src/ui|the LAMPi lamp's touch screen"
  "lampi-ble|src/ble|the LAMPi lamp's Bluetooth LE service"
  "lampi-cloud|src/cloud|the LAMPi cloud service and its operator commands"
  "lampi-ca|src/ca|the LAMPi platform certificate authority"
  "lampi-load|src/load|load tester for LAMPi (MQTT, fleets, web users)"
)

# The subcommand names a --help lists under "Subcommands:".
subcommands_of() {
  sed -n '/^Subcommands:/,/^$/p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p'
}

# A --help text as literal roff lines.
as_roff() {
  sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
}

for entry in "${programs[@]}"; do
  IFS='|' read -r name folder description <<<"$entry"
  dir="$build/$folder"
  [ -x "$dir/$name" ] || { echo "manpages: $dir/$name is not built (ninja -C $build)" >&2; exit 1; }
  # Run by name from PATH, so the page's usage line says "lampid", not the build path.
  run() { PATH="$dir:$PATH" "$name" "$@"; }
  include=$(mktemp)
  {
    subs=$(run --help | subcommands_of)
    if [ -n "$subs" ]; then
      echo "[SUBCOMMANDS]"
      for sub in $subs; do
        help=$(run "$sub" --help)
        printf '.SS "%s %s"\n.nf\n%s\n.fi\n' "$name" "$sub" "$(as_roff <<<"$help")"
        for subsub in $(subcommands_of <<<"$help"); do
          printf '.SS "%s %s %s"\n.nf\n%s\n.fi\n' "$name" "$sub" "$subsub" \
            "$(run "$sub" "$subsub" --help | as_roff)"
        done
      done
    fi
    printf '[SEE ALSO]\nThe README.md of the program'"'"'s folder in the LAMPi sources, and /usr/share/doc/.\n'
  } >"$include"
  PATH="$dir:$PATH" help2man --no-info --no-discard-stderr --version-string="$version" \
    --name="$description" --include="$include" --output="$out/$name.1" "$name"
  rm -f "$include"
done
echo "manpages: ${#programs[@]} pages in $out"
