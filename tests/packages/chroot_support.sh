# Sourced by the package tests that install the Debian packages into a chroot
# they make (package_test.sh for amd64, arm64_install_test.sh under qemu): their
# messages, their private mounts, and the base chroot cached once per set of
# dependencies. Expects `root` (the chroot) and `work` (the test's folder).

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $* ($((SECONDS - start)) s)"; }
# set -e stops at a failing command without a word: say which.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit status $?)" >&2' ERR

# require_tools TOOL...: root and each tool, or the test skips and says what is missing.
require_tools() {
  local tool
  [ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/debian-packages*.txt)"
  done
}

# enter_private_mounts SCRIPT ARGS...: runs the test again in a mount namespace of its
# own, so the chroots' mounts go with it even when it is killed: a ctest timeout sends
# SIGKILL, which no trap sees, and a /proc left mounted in the build tree makes it
# impossible to remove.
enter_private_mounts() {
  [ -n "${LAMPI_PACKAGE_TEST_MOUNTS:-}" ] && return
  exec env LAMPI_PACKAGE_TEST_MOUNTS=private unshare --mount --propagation private bash "$@"
}

mounted=()
# Any process still running in the chroot (a daemon a failed step left behind).
kill_chroot_processes() {
  local proc
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
  done
  true
}
unmount_all() {
  local m
  for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
  mounted=()
}

# remove_chroots: what a test leaves, on its way out (its trap on EXIT).
remove_chroots() {
  kill_chroot_processes
  [ -n "${debootstrap_pid:-}" ] && kill "$debootstrap_pid" 2>/dev/null && wait "$debootstrap_pid" 2>/dev/null
  unmount_all
  rm -rf "$root" "$work/base-root"
}

in_root() { chroot "$root" "$@"; }
# chroot_prepare DIR: /proc for dpkg's and systemd's tools, the host's resolver for apt.
chroot_prepare() {
  mount -t proc proc "$1/proc"
  mounted+=("$1/proc")
  cp /etc/resolv.conf "$1/etc/resolv.conf"
}

# debootstrap_start DIR ARGS...: debootstrap of Debian 12 into DIR in the background
# (pid in debootstrap_pid), on the network while the test packs its packages.
debootstrap_pid=""
debootstrap_start() {
  local dir=$1
  shift
  rm -rf "$dir"
  debootstrap --variant=minbase "$@" "$suite" "$dir" "$mirror" >"$work/debootstrap.log" 2>&1 &
  debootstrap_pid=$!
}
# debootstrap_early OPTIONS...: with no base chroot cached at all, debootstrap starts
# now, in the background (ensure_base_chroot waits for it).
debootstrap_early() {
  compgen -G "$work/base-$suite-*.tar.zst" >/dev/null && return
  step "debootstrap $suite $* from $mirror, in the background"
  debootstrap_start "$work/base-root" "$@"
}
debootstrap_wait() {
  wait "$debootstrap_pid" || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed (log: $work/debootstrap.log)"; }
  debootstrap_pid=""
}

# dependencies_key DEB... -- EXTRA...: names a base chroot by what it holds.
dependencies_key() {
  local debs=() deb
  while [ "$1" != -- ]; do debs+=("$1"); shift; done
  shift
  for deb in "${debs[@]}"; do dpkg-deb -f "$deb" Depends Recommends; done |
    cat - <(echo "$suite $mirror $*") | sha256sum | cut -c1-16
}

# save_base_chroot DIR TARBALL DEB_DIR "EXTRA..." PACKAGE...: into debootstrap's DIR, the
# dependencies of DEB_DIR's packages and the extra packages from the mirror; then the
# packages and their user go again, and DIR is packed as TARBALL (the only one kept).
save_base_chroot() {
  local dir=$1 tarball=$2 deb_dir=$3 extra=$4
  shift 4
  rm -f "$work"/base-*.tar.zst
  chroot_prepare "$dir"
  mkdir -p "$dir/tmp/debs"
  cp "$deb_dir/"*.deb "$dir/tmp/debs/"
  # No daemon starts in the chroot (on the host's network) as packages are installed.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod +x "$dir/usr/sbin/policy-rc.d"
  chroot "$dir" sh -ec '
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends /tmp/debs/*.deb '"$extra"'
    dpkg --purge '"$*"'
    userdel lampi
    apt-get clean
    rm -rf /var/lib/apt/lists/* /tmp/debs' >"$work/base-apt.log" 2>&1 ||
    { tail -20 "$work/base-apt.log"; fail "installing the dependencies failed (log: $work/base-apt.log)"; }
  unmount_all
  tar -C "$dir" --zstd -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$dir"
}

# ensure_base_chroot DEB_DIR "EXTRA..." "DEBOOTSTRAP_OPTIONS..." PACKAGE...: the cached
# base chroot for DEB_DIR's packages (its path in `base`), made when none holds their
# dependencies, with the debootstrap already started in the background or a new one.
ensure_base_chroot() {
  local deb_dir=$1 extra=$2 options=$3 debs=() package
  shift 3
  for package in "$@"; do debs+=("$deb_dir/$package"_*.deb); done
  # shellcheck disable=SC2086 # the extras and options are words
  base="$work/base-$suite-$(dependencies_key "${debs[@]}" -- $extra $options).tar.zst"
  if [ -f "$base" ]; then
    if [ -n "$debootstrap_pid" ]; then
      wait "$debootstrap_pid" || true
      debootstrap_pid=""
    fi
    return
  fi
  step "making the base chroot (once per set of dependencies)"
  # shellcheck disable=SC2086
  [ -n "$debootstrap_pid" ] || debootstrap_start "$work/base-root" $options
  debootstrap_wait
  save_base_chroot "$work/base-root" "$base" "$deb_dir" "$extra" "$@"
}

# unpack_base_chroot TARBALL: a fresh chroot at $root, prepared.
unpack_base_chroot() {
  rm -rf "$root" && mkdir -p "$root"
  tar -C "$root" --zstd -xf "$1"
  chroot_prepare "$root"
}

installed_version() { in_root dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null || true; }
expect_file() { [ -e "$root$1" ] || fail "$2: $1 is missing"; }
expect_no_file() { [ ! -e "$root$1" ] || fail "$2: $1 is still there"; }
expect_owner() { [ "$(in_root stat -c %U:%G:%a "$1")" = "$2" ] || fail "$1 is $(in_root stat -c %U:%G:%a "$1"), not $2"; }

# print_package_sizes DEB...: each package's .deb and installed size.
print_package_sizes() {
  local deb
  for deb in "$@"; do
    printf '  %-12s %5d KiB .deb, %6d KiB installed\n' "$(dpkg-deb -f "$deb" Package)" $(($(stat -c %s "$deb") / 1024)) \
      "$(dpkg-deb -f "$deb" Installed-Size)"
  done
}
