#!/usr/bin/env bash
# Installs the Debian packages in scripts/debian-packages.txt that are missing.
# Idempotent, and silent when nothing is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$here/debian-packages.txt" | grep -v '^$')
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
echo "lampi: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  # A fresh machine has no package lists yet.
  apt-get update -q >"$log" 2>&1 || { cat "$log" >&2; echo "lampi: apt-get update failed" >&2; exit 1; }
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "lampi: apt-get install failed (full log: $log)" >&2
    exit 1
  fi
fi
rm -f "$log"
echo "lampi: packages installed"
