#!/usr/bin/env bash
# The arm64 packages, installed for real into a Debian 12 arm64 chroot this test
# makes, whose programs run under qemu-user (the kernel's binfmt_misc hands each
# arm64 program to qemu-aarch64-static): install (the lampi user, the lamp broker's
# login), the lamp's broker and lampid started as their units would start them, a
# command's round trip through that broker, lampi-load publishing to it, the
# memory lampid holds, then remove (state kept) and purge (all gone). First the
# packages are made from the cross tree and checked (./lampi package --arch arm64,
# tests/packages/arm64_check.sh).
#
#   arm64_install_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
#
# The base chroot (debootstrap for arm64 and the packages' dependencies, about ten
# minutes under emulation) is cached as WORK_DIR/base-*.tar.zst, as package_test.sh
# caches its own. Needs root, debootstrap, zstd, qemu-user-static and binfmt_misc
# (registered here for qemu-aarch64 when it is not, and unregistered after).
set -euo pipefail
# The same arguments, suite and mirror as package_test.sh; each names its own tools.
src=${1:?source dir} build=${2:?build dir} work=${3:?work dir}
suite=bookworm
mirror=${LAMPI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
device=02fc000000a1
start=$SECONDS

# shellcheck source=tests/packages/chroot_support.sh
source "$src/tests/packages/chroot_support.sh"
require_tools debootstrap zstd dpkg-deb qemu-aarch64-static mosquitto_pub mosquitto_sub
enter_private_mounts "$0" "$@"

mkdir -p "$work"
work=$(cd "$work" && pwd)
root="$work/root"
packages=(lampi-lamp lampi-load)

binfmt=/proc/sys/fs/binfmt_misc
registered_here=0
cleanup() {
  remove_chroots
  [ $registered_here -eq 1 ] && echo -1 >"$binfmt/qemu-aarch64"
  true
}
trap cleanup EXIT

step "qemu-aarch64 for arm64 programs (binfmt_misc)"
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  [ -e "$binfmt/register" ] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null ||
    skip "binfmt_misc cannot be mounted here, so arm64 programs cannot run in a chroot"
  # Debian's registration: F opens the emulator now, so the chroot needs no copy of it.
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || skip "$conf is missing (qemu-user-static, scripts/debian-packages-arm64.txt)"
  cat "$conf" >"$binfmt/register" || skip "binfmt_misc refused the qemu-aarch64 registration"
  registered_here=1
fi
grep -qx enabled "$binfmt/qemu-aarch64" || fail "binfmt_misc has qemu-aarch64, disabled"

debootstrap_early --arch=arm64

step "packing the cross tree (./lampi package --arch arm64, with its checks)"
"$src/lampi" package --arch arm64 --no-build --no-dbgsym --build-dir "$build" --out "$work/debs" >"$work/package.log" 2>&1 ||
  { cat "$work/package.log"; fail "./lampi package --arch arm64"; }
version=$(dpkg-deb -f "$work/debs/lampi-lamp_"*_arm64.deb Version)
debs=()
for pkg in "${packages[@]}"; do debs+=("$work/debs/${pkg}_${version}_arm64.deb"); done

ensure_base_chroot "$work/debs" "" --arch=arm64 "${packages[@]}"

step "unpacking the arm64 base chroot"
unpack_base_chroot "$base"
[ "$(in_root uname -m)" = aarch64 ] || fail "the chroot's programs do not run as aarch64: uname -m says $(in_root uname -m)"
[ "$(in_root dpkg --print-architecture)" = arm64 ] || fail "the chroot's dpkg is not arm64's"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"

step "install $version (arm64)"
in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
for pkg in "${packages[@]}"; do
  [ "$(installed_version "$pkg")" = "install ok installed $version" ] || fail "install: $pkg is $(installed_version "$pkg")"
  [ "$(in_root dpkg-query -W -f='${Architecture}' "$pkg")" = arm64 ] || fail "install: $pkg is not the arm64 package"
done
in_root getent passwd lampi | grep -q ':/var/lib/lampi:/usr/sbin/nologin$' || fail "install: no lampi system user"
expect_owner /var/lib/lampi/lamp lampi:lampi:750
broker_secret=/etc/lampi/lamp-broker-password
expect_owner "$broker_secret" lampi:lampi:600
grep -q '^lampid:\$7\$[0-9]*\$' "$root/etc/mosquitto/lampi-lamp.passwd" || fail "install: the lamp's broker has no hashed login for lampid"
for program in lampid lampi-ui lampi-ble lampi-load; do
  in_root "$program" --help >/dev/null || fail "install: $program --help fails in the arm64 chroot"
done

step "the lamp's broker and lampid (arm64, as their units run them)"
# In a network namespace of the test's own (its loopback only): the arm64 Mosquitto with
# the packaged conf.d and the bridge's preload, lampid as lampi with the packaged
# configuration; a command from this host's client (the packaged login) and its change
# back; lampi-load (arm64) publishing as lampi; lampid's resident memory, emulator included.
unshare --net bash -c 'ip link set lo up || exit 1
  root=$0 device=$1 secret=$2
  chroot "$root" install -d -o mosquitto -m 0740 /run/mosquitto
  chroot "$root" install -d -o lampi -m 0755 /run/lampi/lamp
  chroot "$root" env LD_PRELOAD=/usr/lib/lampi/lampi_bridge_nodelay.so mosquitto -c /etc/mosquitto/mosquitto.conf & broker=$!
  for _ in $(seq 100); do mosquitto_pub -h 127.0.0.1 -p 1883 -u lampid -P "$(cat "$root$secret")" -t probe -n 2>/dev/null && break; sleep 0.2; done
  chroot --userspec=lampi:lampi "$root" lampid --config /etc/lampi/lampid.conf --device-id "$device" & lampid=$!
  for _ in $(seq 150); do grep -q "\"connected\":true" "$root/run/lampi/lamp/status.json" 2>/dev/null && break; sleep 0.2; done
  as_lamp=(-h 127.0.0.1 -p 1883 -u lampid -P "$(cat "$root$secret")")
  mosquitto_sub "${as_lamp[@]}" -i lampi-test-sub -t lamp/changed -W 30 -R > "$root/tmp/changed.json" & sub=$!
  sleep 1
  started=$(date +%s%N)
  mosquitto_pub "${as_lamp[@]}" -i lampi-test-pub -q 1 -t lamp/set_config -m "{\"on\":true,\"brightness\":0.25,\"client\":\"operator\"}"
  for _ in $(seq 150); do grep -q "\"brightness\":0.25" "$root/tmp/changed.json" && break; sleep 0.1; done
  echo "ROUND TRIP $(( ($(date +%s%N) - started) / 1000000 )) ms"
  kill $sub; wait $sub
  echo "CHANGED $(cat "$root/tmp/changed.json")"
  echo "LAMPID RSS $(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$lampid/status) KiB"
  chroot --userspec=lampi:lampi "$root" lampi-load publish -H 127.0.0.1 -p 1883 -n 50 -P 2 --qos 1 \
    --username lampid --password-file "$secret"
  echo "LAMPI-LOAD EXIT $?"
  # The status file is rewritten a moment after a command, not at once.
  for _ in $(seq 50); do
    chroot "$root" lampid status --config /etc/lampi/lampid.conf >"$root/tmp/status.txt"; status=$?
    grep -q "from operator" "$root/tmp/status.txt" && break
    sleep 0.2
  done
  cat "$root/tmp/status.txt"; echo "LAMPID STATUS EXIT $status"
  kill $lampid; wait $lampid
  kill $broker; wait $broker' "$root" "$device" "$broker_secret" >"$work/lamp.log" 2>&1 || true
lamp_fail() { cat "$work/lamp.log"; fail "$1"; }
grep -q 'cannot be preloaded' "$work/lamp.log" && lamp_fail "the broker's preload does not load"
grep -q 'connected to the MQTT broker at 127.0.0.1:1883' "$work/lamp.log" || lamp_fail "lampid did not reach the lamp's broker"
grep -q '^CHANGED .*"on":true' "$work/lamp.log" && grep -q '^CHANGED .*"brightness":0.25' "$work/lamp.log" ||
  lamp_fail "the command did not come back from lampid as a change"
grep -q '^LAMPI-LOAD EXIT 0$' "$work/lamp.log" || lamp_fail "lampi-load's publish run against the lamp's broker failed"
grep -q "^lampid $device: running" "$work/lamp.log" && grep -q '^LAMPID STATUS EXIT 0$' "$work/lamp.log" ||
  lamp_fail "lampid status does not say the running lampid is well"
grep -q '^  last command   .* from operator: applied' "$work/lamp.log" || lamp_fail "lampid status does not tell the operator's command"
rss=$(sed -n 's/^LAMPID RSS \([0-9]*\) KiB$/\1/p' "$work/lamp.log")
[ -n "$rss" ] || lamp_fail "lampid's resident memory was not read"
grep '^ROUND TRIP' "$work/lamp.log"
echo "lampid (arm64, under qemu-aarch64, the emulator included): $rss KiB resident"
state_file=/var/lib/lampi/lamp/lamp-state.json
grep -q '"brightness":0.25' "$root$state_file" || fail "lampid did not save the command's state in $state_file"

step "remove (state and config kept)"
in_root dpkg -r "${packages[@]}" >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
expect_no_file /usr/bin/lampid remove
grep -q '"brightness":0.25' "$root$state_file" || fail "remove: the state file was lost"
expect_file /etc/lampi/lampid.conf remove

step "purge (all gone)"
in_root dpkg -P "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
for path in /etc/lampi /var/lib/lampi /etc/mosquitto/conf.d/lampi-lamp.conf /etc/mosquitto/lampi-lamp.passwd /usr/lib/lampi; do
  expect_no_file "$path" purge
done

step "package sizes (arm64, without -dbgsym)"
print_package_sizes "${debs[@]}"
echo "arm64 install test passed in $((SECONDS - start)) s"
