#!/usr/bin/env bash
# The arm64 packages `./lampi package --arch arm64` made, checked on the build
# machine (an arm64 system to install them on is not at hand): each .deb says
# Architecture: arm64 and depends on the Pi's library packages, holds its
# programs as ARM aarch64 executables, which start (--help) under qemu with the
# arm64 libraries, and lintian finds no error or warning.
#
#   arm64_check.sh DEB_DIR
set -euo pipefail
dir=${1:?directory of the .deb files}
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A programs=(
  [lampi-lamp]="usr/bin/lampid usr/bin/lampi-ui usr/bin/lampi-ble usr/lib/lampi/lampi_bridge_nodelay.so"
  [lampi-load]="usr/bin/lampi-load"
)
# What each program must link, as the package that ships it on arm64.
declare -A libraries=(
  [lampi-lamp]="libmosquitto1 libssl3 libboost-json1.81.0 libsdl2-2.0-0 libpng16-16 libsdbus-c++1"
  [lampi-load]="libmosquitto1 libssl3 libboost-json1.81.0 liblua5.4-0"
)
compgen -G "$dir/lampi-cloud_*.deb" >/dev/null && fail "a lampi-cloud package was made: the cross build has none"
for package in lampi-lamp lampi-load; do
  debs=("$dir/${package}"_*_arm64.deb)
  [ -f "${debs[0]}" ] || fail "no ${package}_*_arm64.deb in $dir"
  deb=${debs[0]}
  arch=$(dpkg-deb -f "$deb" Architecture)
  [ "$arch" = arm64 ] || fail "$deb says Architecture: $arch"
  depends=$(dpkg-deb -f "$deb" Depends)
  for library in ${libraries[$package]}; do
    [[ ", $depends," == *", $library "* || ", $depends," == *", $library,"* ]] ||
      fail "$package does not depend on $library: Depends: $depends"
  done
  # An amd64-only dependency would make the package uninstallable on a Pi.
  [[ $depends != *":amd64"* ]] || fail "$package depends on amd64 packages: $depends"
  dpkg-deb -x "$deb" "$work/$package"
  for program in ${programs[$package]}; do
    [ -f "$work/$package/$program" ] || fail "$package has no /$program"
    description=$(file -b "$work/$package/$program")
    [[ $description == *"ARM aarch64"* ]] || fail "/$program is not an arm64 program: $description"
    if [[ $program == usr/bin/* ]]; then
      qemu-aarch64-static "$work/$package/$program" --help >"$work/help.txt" 2>&1 ||
        fail "/$program --help under qemu: $(head -5 "$work/help.txt")"
    fi
  done
  echo "$package: arm64, Depends: $depends"
  echo "  $(dpkg-deb -c "$deb" | awk '$6 ~ /usr\/(bin|lib\/lampi)\/./ {printf "%s ", substr($6, 2)}')"
done
if command -v lintian >/dev/null; then
  # An error or a warning fails (a package's overrides, debian/*.lintian-overrides,
  # would apply; none has any), info is printed.
  lintian --display-info --tag-display-limit 0 "$dir"/lampi-lamp_*_arm64.deb "$dir"/lampi-load_*_arm64.deb >"$work/lintian.txt" 2>&1 || true
  cat "$work/lintian.txt"
  ! grep -qE '^[EW]: ' "$work/lintian.txt" || fail "lintian found errors or warnings (above)"
fi
echo "arm64 packages: good"
