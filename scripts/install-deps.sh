#!/usr/bin/env bash
# Installs the Debian packages of a list that are missing: scripts/debian-packages.txt,
# or the list named (scripts/install-deps.sh debian-packages-arm64.txt). A package of
# another architecture (libfmt-dev:arm64) has dpkg add that architecture first.
# Idempotent, and silent when nothing is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="$here/${1:-debian-packages.txt}"
[ -f "$list" ] || { echo "lampi: no package list $list" >&2; exit 1; }
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$list" | grep -v '^$')
# Node.js may come from elsewhere than Debian (it bundles npm then): a working
# command counts as installed, and installing Debian's npm over it would clash.
provided_by_command() {
  case $1 in
    nodejs) command -v node >/dev/null ;;
    npm) command -v npm >/dev/null ;;
    *) return 1 ;;
  esac
}
missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" &&
     ! provided_by_command "$pkg"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "lampi: missing Debian packages: ${missing[*]}" >&2
  echo "lampi: run as root, or install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# A new architecture has no package lists until the next update.
need_update=0
for arch in $(printf '%s\n' "${missing[@]}" | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
  if [ "$arch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    echo "lampi: adding the $arch architecture (dpkg --add-architecture $arch)"
    dpkg --add-architecture "$arch"
    need_update=1
  fi
done
# A library of another architecture must have the same version as the host's, and
# some cannot be installed beside it at all (libpqxx-dev): apt would then remove
# the host's package to make room. apt's plan is read first, and nothing is
# installed if it removes anything. It fails without package lists (a fresh machine).
plan_installs_only() {
  apt-get install -s -q --no-install-recommends "${missing[@]}" >"$log" 2>&1 || return 1
  local removed
  removed=$(sed -n 's/^Remv \([^ ]*\).*/\1/p' "$log" | tr '\n' ' ')
  if [ -n "$removed" ]; then
    echo "lampi: installing ${missing[*]} would remove: $removed" >&2
    echo "lampi: nothing was installed" >&2
    exit 1
  fi
}
update_lists() {
  apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; echo "lampi: apt-get update failed" >&2; exit 1; }
}
if [ $need_update -eq 1 ] || ! plan_installs_only; then
  update_lists
  plan_installs_only || { tail -20 "$log" >&2; echo "lampi: apt-get cannot install ${missing[*]}" >&2; exit 1; }
fi
echo "lampi: installing ${#missing[@]} Debian packages: ${missing[*]}"
# --no-remove: apt aborts rather than remove a package, whatever the plan said. The
# lock timeout waits for unattended-upgrades, which often holds it on a fresh machine.
install_missing() {
  apt-get install -y -q --no-install-recommends --no-remove -o DPkg::Lock::Timeout=300 "${missing[@]}" >"$log" 2>&1
}
if ! install_missing; then
  # Package lists older than the mirror name files it no longer has (404): once more, updated.
  echo "lampi: apt-get install failed; updating the package lists and trying once more"
  update_lists
  plan_installs_only || { tail -20 "$log" >&2; echo "lampi: apt-get cannot install ${missing[*]}" >&2; exit 1; }
  if ! install_missing; then
    tail -20 "$log" >&2
    echo "lampi: apt-get install failed (full log: $log)" >&2
    exit 1
  fi
fi
rm -f "$log"
echo "lampi: packages installed"
