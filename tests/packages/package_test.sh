#!/usr/bin/env bash
# The Debian packages, installed for real into a Debian 12 chroot this test makes:
# install (the lampi user, /etc/lampi, /var/lib/lampi, the units enabled, the
# programs run), upgrade to a newer version (state and a changed conffile kept),
# remove (state and config kept), purge (all gone); lintian on each package and
# systemd-analyze on each unit.
#
#   package_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
#
# The base chroot (debootstrap minbase, systemd and the packages' dependencies)
# is cached as WORK_DIR/base-*.tar.zst, keyed by the packages' dependencies, so
# a re-run needs no network and takes seconds. Needs root, debootstrap, lintian,
# zstd (scripts/debian-packages.txt) and, for the first run, the Debian mirror
# (LAMPI_DEBIAN_MIRROR, default http://deb.debian.org/debian).
set -euo pipefail
src=${1:?source dir} build=${2:?build dir} work=${3:?work dir}
suite=bookworm
mirror=${LAMPI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The units' exposure (systemd-analyze security, 0 safe .. 10 unprotected) may not exceed 2.0.
max_exposure=20
start=$SECONDS

# shellcheck source=tests/packages/chroot_support.sh
source "$src/tests/packages/chroot_support.sh"
require_tools debootstrap lintian zstd dpkg-deb systemd-analyze
enter_private_mounts "$0" "$@"

mkdir -p "$work"
work=$(cd "$work" && pwd)
root="$work/root"
packages=(lampi-lamp lampi-cloud lampi-load)

trap remove_chroots EXIT

# The base chroot: debootstrap runs (on the network) while the packages are packed.
debootstrap_early --include=systemd

step "packing the build tree"
"$src/lampi" package --no-build --build-dir "$build" --no-dbgsym --out "$work/v1" >/dev/null
version=$(dpkg-deb -f "$work/v1/lampi-lamp_"*.deb Version)
arch=$(dpkg --print-architecture)
debs=()
for pkg in "${packages[@]}"; do debs+=("$work/v1/${pkg}_${version}_$arch.deb"); done

# The newer build: the same tree under the next version. What the upgrade tests is
# dpkg's and the maintainer scripts' handling of the state, the conffiles and the units.
step "repacking as version $version+1"
rm -rf "$work/v2" && mkdir -p "$work/v2"
for pkg in "${packages[@]}"; do
  unpacked="$work/v2/$pkg"
  dpkg-deb -R "$work/v1/${pkg}_${version}_$arch.deb" "$unpacked"
  sed -i "s/^Version: .*/Version: $version+1/" "$unpacked/DEBIAN/control"
  dpkg-deb -Zgzip -z1 -b "$unpacked" "$work/v2/${pkg}_${version}+1_$arch.deb" >/dev/null
  rm -rf "$unpacked"
done

# lintian takes a while: it runs while the base chroot is made.
lintian_log="$work/lintian.log"
( lintian --fail-on error,warning "${debs[@]}"; echo "lintian exit status: $?" ) 2>&1 |
  grep -v 'root privileges' >"$lintian_log" &
lintian_pid=$!

# nginx, the cloud's HTTPS front (lampi-cloud recommends it), for the lamp that enrolls through it.
test_packages="nginx"
ensure_base_chroot "$work/v1" "$test_packages" --include=systemd "${packages[@]}"

step "lintian"
wait "$lintian_pid" || true
cat "$lintian_log"
grep -q '^lintian exit status: 0$' "$lintian_log" || fail "lintian"

step "unpacking the base chroot"
unpack_base_chroot "$base"
mkdir -p "$root/tmp/v1" "$root/tmp/v2"
cp "$work/v1/"*.deb "$root/tmp/v1/"
cp "$work/v2/"*.deb "$root/tmp/v2/"

state_file=/var/lib/lampi/lamp/lamp-state.json
units=(lampid lampi-ble lampi-ui lampi-lamp-renew lampi-cloud-broker lampi-cloud lampi-ca-crl)
# Enabled by themselves: the CRL's and the lamp certificate's services are started by their timers.
enabled_units=(lampid.service lampi-ble.service lampi-ui.service lampi-cloud-broker.service lampi-cloud.service)

step "install $version"
in_root sh -c 'dpkg -i /tmp/v1/*.deb' >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i"; }
for pkg in "${packages[@]}"; do
  [ "$(installed_version "$pkg")" = "install ok installed $version" ] || fail "install: $pkg is $(installed_version "$pkg")"
done
in_root getent passwd lampi | grep -q ':/var/lib/lampi:/usr/sbin/nologin$' || fail "install: no lampi system user"
[ "$(in_root stat -c %U:%a /var/lib/lampi/lamp)" = lampi:750 ] || fail "install: /var/lib/lampi/lamp is not lampi's, 0750"
[ "$(in_root stat -c %U:%a /var/lib/lampi/cloud)" = lampi:750 ] || fail "install: /var/lib/lampi/cloud is not lampi's, 0750"
for conffile in /etc/lampi/lampid.conf /etc/lampi/lampi-ble.conf /etc/lampi/lampi-ui.conf \
                /etc/mosquitto/conf.d/lampi-lamp.conf /etc/lampi/lampi-cloud.conf /etc/nginx/sites-available/lampi.conf; do
  expect_file "$conffile" install
  in_root dpkg-query -W -f='${Conffiles}\n' lampi-lamp lampi-cloud | grep -q "^ $conffile " ||
    fail "install: $conffile is not a conffile"
done
for unit in "${units[@]}"; do expect_file "/lib/systemd/system/$unit.service" install; done
for unit in "${enabled_units[@]}"; do
  [ -L "$root/etc/systemd/system/multi-user.target.wants/$unit" ] || fail "install: $unit is not enabled"
done
for timer in lampi-ca-crl lampi-lamp-renew; do
  [ -L "$root/etc/systemd/system/timers.target.wants/$timer.timer" ] || fail "install: $timer.timer is not enabled"
done
# The cloud broker's CA, keys and secrets (cloud-broker-setup): each daemon its own
# owner-only copy, the CA's folder passable (not readable) by Mosquitto's group.
expect_owner /var/lib/lampi/ca lampi:mosquitto:710
expect_owner /var/lib/lampi/ca/ca.key lampi:lampi:600
expect_owner /var/lib/lampi/ca/crl.pem lampi:lampi:644
expect_owner /etc/lampi/cloud-broker mosquitto:mosquitto:700
expect_owner /etc/lampi/cloud lampi:lampi:700
for file in server.key auth-secret lampi-cloud-password operator-password; do
  expect_owner "/etc/lampi/cloud-broker/$file" mosquitto:mosquitto:600
done
for file in auth-secret broker-password; do expect_owner "/etc/lampi/cloud/$file" lampi:lampi:600; done
cmp -s "$root/etc/lampi/cloud-broker/auth-secret" "$root/etc/lampi/cloud/auth-secret" || fail "install: the broker and lampi-cloud hold different auth secrets"
cmp -s "$root/etc/lampi/cloud-broker/lampi-cloud-password" "$root/etc/lampi/cloud/broker-password" ||
  fail "install: the broker and lampi-cloud hold different passwords for lampi-cloud's login"
grep -qF "$(cat "$root/etc/lampi/cloud/auth-secret")" "$root/etc/lampi/cloud-broker.conf" &&
  fail "install: the auth secret is written in the broker's conffile"
# The lamp's broker login: the password for the lampi user alone, only its hash for Mosquitto.
broker_secret=/etc/lampi/lamp-broker-password broker_users=/etc/mosquitto/lampi-lamp.passwd
[ "$(in_root stat -c %U:%a "$broker_secret")" = lampi:600 ] || fail "install: $broker_secret is not lampi's, 0600"
[ "$(in_root stat -c %U:%G:%a "$broker_users")" = root:mosquitto:640 ] || fail "install: $broker_users is not root:mosquitto, 0640"
grep -q '^lampid:\$7\$[0-9]*\$' "$root$broker_users" || fail "install: $broker_users holds no hashed login for lampid"
grep -qF "$(cat "$root$broker_secret")" "$root$broker_users" && fail "install: $broker_users holds the password in clear"
grep -q '^allow_anonymous false$' "$root/etc/mosquitto/conf.d/lampi-lamp.conf" || fail "install: the lamp's broker takes anonymous clients"
# On a first install apt configures (and starts) Mosquitto before lampi-lamp, so it
# meets lampi-lamp.conf without its password file and stops: the postinst must make
# the password before it starts lampid, and then restart (not try-restart) the broker.
postinst=$root/var/lib/dpkg/info/lampi-lamp.postinst
password_made=$(grep -n 'mosquitto_passwd -U' "$postinst" | head -1 | cut -d: -f1)
lampid_started=$(grep -n 'deb-systemd-invoke.*lampid\.service' "$postinst" | head -1 | cut -d: -f1)
[ -n "$password_made" ] && [ -n "$lampid_started" ] && [ "$password_made" -lt "$lampid_started" ] ||
  fail "install: lampi-lamp's postinst starts lampid (line ${lampid_started:-none}) before it makes the broker's password (line ${password_made:-none})"
grep -q 'deb-systemd-invoke restart mosquitto\.service' "$postinst" ||
  fail "install: lampi-lamp's postinst does not restart Mosquitto, which stopped for want of the password file"
expect_file /usr/lib/lampi/lampi_auth_plugin.so install
expect_file /usr/lib/lampi/lampi_bridge_nodelay.so install
expect_file /lib/systemd/system/mosquitto.service.d/lampi-bridge-nodelay.conf install
expect_file /usr/share/lampi/web/lampi.js install
# The installable app: lampi-cloud serves sw.js at /sw.js; the manifest names the icons.
for file in sw.js manifest.webmanifest icon-192.png icon-512.png icon-maskable-512.png apple-touch-icon.png; do
  expect_file "/usr/share/lampi/web/$file" install
done
for program in lampid lampi-ui lampi-ble lampi-cloud lampi-ca lampi-load; do
  in_root "$program" --help >/dev/null || fail "install: $program --help fails in the chroot"
done
in_root lampid --help | head -1

step "systemd-analyze: the units verify and are sandboxed"
systemd-analyze verify --root="$root" "${units[@]/%/.service}" || fail "systemd-analyze verify"
for unit in "${units[@]}"; do
  systemd-analyze security --offline=yes --root="$root" --threshold=$max_exposure "$unit.service" | tail -1 ||
    fail "$unit.service is exposed above $((max_exposure / 10)).$((max_exposure % 10))"
done

# daemon_runs NAME ARGS...: the program, as user lampi with the packaged configuration, in
# a network namespace of its own (its loopback only), is still running after 3 s.
daemon_runs() {
  local name=$1 status=0
  shift
  unshare --net sh -c 'ip link set lo up && exec timeout 3 chroot --userspec=lampi:lampi "$0" "$@"' \
    "$root" "$@" >"$work/$name.log" 2>&1 || status=$?
  [ $status -eq 124 ] || { cat "$work/$name.log"; fail "$name exited ($status) with the packaged configuration"; }
}
step "the daemons start as user lampi with the packaged configuration"
# The device id is given: a chroot has no network interface to take it from.
daemon_runs lampid lampid --config /etc/lampi/lampid.conf --device-id 02fc00000001
! grep -q 'cannot reach the MQTT broker' "$work/lampid.log" && fail "lampid: a broker answered outside the test's namespace"
# With the lamp's broker (Debian's Mosquitto reading conf.d/lampi-lamp.conf) running, lampid reaches it
# with the packaged login, and a client without one (this host's mosquitto_pub) is refused.
command -v mosquitto_pub >/dev/null || skip "mosquitto_pub is not installed (scripts/debian-packages.txt)"
unshare --net sh -c 'ip link set lo up || exit 1
  chroot "$0" install -d -o mosquitto -m 0740 /run/mosquitto  # as mosquitto.service makes it
  chroot "$0" install -d -o lampi -m 0755 /run/lampi/lamp      # as lampid.service makes it
  # With the preload its drop-in sets (ld.so says so if it cannot load it).
  chroot "$0" env LD_PRELOAD=/usr/lib/lampi/lampi_bridge_nodelay.so mosquitto -c /etc/mosquitto/mosquitto.conf & broker=$!
  sleep 1
  timeout 3 chroot --userspec=lampi:lampi "$0" lampid --config /etc/lampi/lampid.conf --device-id 02fc00000001
  mosquitto_pub -h 127.0.0.1 -p 1883 -t lamp/set_config -m "{\"on\":true}" -q 1 && echo "ANONYMOUS ACCEPTED"
  chroot "$0" lampid status --config /etc/lampi/lampid.conf; echo "lampid status exit $?"
  kill $broker; wait $broker' "$root" >"$work/lampid-broker.log" 2>&1 || true
grep -q 'cannot be preloaded' "$work/lampid-broker.log" && { cat "$work/lampid-broker.log"; fail "the broker's preload does not load"; }
grep -q 'connected to the MQTT broker at 127.0.0.1:1883' "$work/lampid-broker.log" ||
  { cat "$work/lampid-broker.log"; fail "lampid did not reach the lamp's broker"; }
grep -q 'ANONYMOUS ACCEPTED' "$work/lampid-broker.log" && fail "the lamp's broker took a client without a login"
# The operator's view of the lampid that just ran: stopped, after it had reached the broker and saved.
grep -q '^lampid 02fc00000001: stopped' "$work/lampid-broker.log" && grep -q '^  last save      version 0' "$work/lampid-broker.log" &&
  grep -q '^lampid status exit 3$' "$work/lampid-broker.log" ||
  { cat "$work/lampid-broker.log"; fail "lampid status does not tell the stopped lampid's last status"; }
grep -q 'not authori[sz]ed' "$work/lampid-broker.log" ||
  { cat "$work/lampid-broker.log"; fail "the anonymous client was not refused as unauthorised"; }
daemon_runs lampi-cloud lampi-cloud --config /etc/lampi/lampi-cloud.conf serve
grep -q 'database schema migrated' "$work/lampi-cloud.log" || fail "lampi-cloud did not create its database"
expect_file /var/lib/lampi/cloud/lampi.sqlite3 "lampi-cloud serve"

step "the cloud broker's certificate for the public name"
# cloud-broker-setup --name: the names (an IP address as one) in a new certificate; run again
# without them, by the next upgrade's configure, it keeps that certificate.
in_root /usr/lib/lampi/cloud-broker-setup --name cloud.lampi.test --name 10.77.0.1 >/dev/null || fail "cloud-broker-setup --name"
sans=$(openssl x509 -in "$root/etc/lampi/cloud-broker/server.pem" -noout -ext subjectAltName)
for san in DNS:cloud.lampi.test 'IP Address:10.77.0.1' DNS:localhost 'IP Address:127.0.0.1'; do
  grep -qF "$san" <<<"$sans" || fail "cloud-broker-setup --name: $san is not in the certificate ($sans)"
done
cp "$root/etc/lampi/cloud-broker/server.pem" "$work/server-named.pem"
in_root /usr/lib/lampi/cloud-broker-setup || fail "cloud-broker-setup, again"
cmp -s "$root/etc/lampi/cloud-broker/server.pem" "$work/server-named.pem" || fail "cloud-broker-setup, run again, replaced the certificate"
in_root /usr/lib/lampi/cloud-broker-setup --bogus 2>/dev/null && fail "cloud-broker-setup took an unknown option"

step "the cloud broker and lampi-cloud with the packaged configuration"
# As their units run them: the broker as mosquitto with /etc/lampi/cloud-broker.conf alone,
# lampi-cloud as lampi. A user's API token fetches a broker credential that lampi-cloud
# signs, which the broker's plugin checks with its own copy of the secret; an operator
# logs in over TLS, checking the certificate cloud-broker-setup issued for localhost.
db=sqlite:///var/lib/lampi/cloud/lampi.sqlite3
as_lampi() { chroot --userspec=lampi:lampi "$root" "$@"; }
echo 'package-test-password' | as_lampi lampi-cloud user add --db $db --password-stdin --argon2-ops 1 \
  --argon2-memory-kib 8 --log-level warn alice >/dev/null || fail "lampi-cloud user add"
api_token=$(as_lampi lampi-cloud token create --db $db --log-level warn alice) || fail "lampi-cloud token create"
unshare --net bash -c 'ip link set lo up || exit 1
  root=$0 api_token=$1
  chroot "$root" install -d -o mosquitto -g mosquitto -m 0700 /var/lib/lampi/cloud-broker  # as StateDirectory= makes it
  chroot --userspec=mosquitto:mosquitto "$root" mosquitto -c /etc/lampi/cloud-broker.conf & broker=$!
  chroot --userspec=lampi:lampi "$root" lampi-cloud --config /etc/lampi/lampi-cloud.conf serve & cloud=$!
  for _ in $(seq 50); do curl -fso /dev/null http://127.0.0.1:8000/healthz && break; sleep 0.2; done
  sleep 1
  curl -fsS -H "Authorization: Bearer $api_token" http://127.0.0.1:8000/api/v1/mqtt-credential >"$root/tmp/credential.json"
  user=$(sed -n "s/.*\"username\":\"\([^\"]*\)\".*/\1/p" "$root/tmp/credential.json")
  password=$(sed -n "s/.*\"password\":\"\([^\"]*\)\".*/\1/p" "$root/tmp/credential.json")
  echo "WEB USER: $user"
  mosquitto_sub -d -h 127.0.0.1 -p 1884 -i "$user" -u "$user" -P "$password" -t nothing/here -W 1
  echo "WEB USER WITH A FORGED SIGNATURE:"
  mosquitto_sub -d -h 127.0.0.1 -p 1884 -i "$user" -u "$user" -P "${password}x" -t nothing/here -W 1
  echo "ANONYMOUS:"
  mosquitto_sub -d -h 127.0.0.1 -p 1884 -t nothing/here -W 1
  echo "OPERATOR OVER TLS:"
  mosquitto_sub -h localhost -p 8884 --cafile "$root/var/lib/lampi/ca/ca.pem" -u operator \
    -P "$(cat "$root/etc/lampi/cloud-broker/operator-password")" -t "\$SYS/broker/version" -C 1 -W 5
  kill $cloud $broker; wait $cloud $broker' "$root" "$api_token" >"$work/cloud-broker.log" 2>&1 || true
cloud_broker_fail() { cat "$work/cloud-broker.log"; fail "$1"; }
grep -q 'connected to the MQTT broker at 127.0.0.1:1884' "$work/cloud-broker.log" ||
  cloud_broker_fail "lampi-cloud did not reach the cloud broker with its packaged login"
grep -q '^WEB USER: web-' "$work/cloud-broker.log" || cloud_broker_fail "lampi-cloud gave no broker credential"
sed -n '/^WEB USER: /,/^WEB USER WITH/p' "$work/cloud-broker.log" | grep -q 'received CONNACK (0)' ||
  cloud_broker_fail "the broker refused the credential lampi-cloud signed (are the auth secrets the same?)"
for refused in 'WEB USER WITH A FORGED SIGNATURE' ANONYMOUS; do
  sed -n "/^$refused:/,/^[A-Z ]*:\$/p" "$work/cloud-broker.log" | grep -q 'received CONNACK (0)' &&
    cloud_broker_fail "the cloud broker took a client it should refuse: $refused"
done
grep -q '^mosquitto version 2' "$work/cloud-broker.log" ||
  cloud_broker_fail "the operator could not log in over TLS with the certificate for localhost"
# lampi-ca-crl.service's command, as its user: a new CRL, still readable by the broker, and
# no warning about the CA folder Mosquitto's group may pass through.
crl_command=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/lampi-ca-crl.service")
crl_number=$(cat "$root/var/lib/lampi/ca/crlnumber")
crl_output=$(as_lampi $crl_command 2>&1 >/dev/null) || fail "lampi-ca-crl.service's command failed: $crl_output"
[ -z "$crl_output" ] || fail "lampi-ca-crl.service's command warned: $crl_output"
[ "$(cat "$root/var/lib/lampi/ca/crlnumber")" -gt "$crl_number" ] || fail "lampi-ca-crl.service's command wrote no new CRL"
expect_owner /var/lib/lampi/ca/crl.pem lampi:lampi:644

step "a lamp on another host joins the cloud (two network namespaces)"
# The cloud host (10.77.0.1, cloud.lampi.test, as cloud-broker-setup --name certified above)
# runs its broker, lampi-cloud and nginx's packaged site; the lamp host (10.77.0.2), the lamp's
# broker and lampid. lamp-join-cloud enrolls the lamp over HTTPS through nginx with an
# operator's token; the lamp's broker bridges with the new key, and an operator's command on
# the cloud reaches lampid and its change comes back. Both hosts share this chroot's files.
cloud_ns=lampi-pkg-cloud-$$ lamp_ns=lampi-pkg-lamp-$$ device=02fc00000002
cleanup_namespaces() { ip netns del "$cloud_ns" 2>/dev/null || true; ip netns del "$lamp_ns" 2>/dev/null || true; }
trap 'cleanup_namespaces; remove_chroots' EXIT
ip netns add "$cloud_ns" && ip netns add "$lamp_ns" || skip "cannot make network namespaces"
ip link add lpc$$ netns "$cloud_ns" type veth peer name lpl$$ netns "$lamp_ns"
ip -n "$cloud_ns" addr add 10.77.0.1/24 dev lpc$$
ip -n "$lamp_ns" addr add 10.77.0.2/24 dev lpl$$
ip -n "$cloud_ns" link set lo up && ip -n "$lamp_ns" link set lo up
ip -n "$cloud_ns" link set lpc$$ up && ip -n "$lamp_ns" link set lpl$$ up
# The chroot's programs find the cloud by name; this host's tools (curl, mosquitto_sub), which
# read the host's /etc/hosts, by the address the certificate also names.
echo '10.77.0.1 cloud.lampi.test' >>"$root/etc/hosts"
# (In the background, ip netns exec itself: the pid $! gives is then the program's, not a subshell's.)
in_cloud() { ip netns exec "$cloud_ns" "$@"; }
in_lamp() { ip netns exec "$lamp_ns" "$@"; }
ln -sf ../sites-available/lampi.conf "$root/etc/nginx/sites-enabled/lampi.conf"
in_root nginx -t >"$work/nginx-test.log" 2>&1 || { cat "$work/nginx-test.log"; fail "nginx does not take the packaged site"; }
ip netns exec "$cloud_ns" chroot --userspec=mosquitto:mosquitto "$root" mosquitto -c /etc/lampi/cloud-broker.conf >"$work/join-cloud-broker.log" 2>&1 &
cloud_pids=$!
ip netns exec "$cloud_ns" chroot --userspec=lampi:lampi "$root" lampi-cloud --config /etc/lampi/lampi-cloud.conf serve >"$work/join-lampi-cloud.log" 2>&1 &
cloud_pids="$cloud_pids $!"
ip netns exec "$cloud_ns" chroot "$root" nginx -g 'daemon off;' >"$work/join-nginx.log" 2>&1 &
cloud_pids="$cloud_pids $!"
stop_hosts() { kill $cloud_pids ${lamp_pids:-} 2>/dev/null; wait $cloud_pids ${lamp_pids:-} 2>/dev/null || true; }
join_fail() {
  stop_hosts
  cp "$root/var/log/mosquitto/mosquitto.log" "$work/join-lamp-broker-file.log" 2>/dev/null || true
  tail -n 20 "$work"/join-*.log
  fail "$1"
}
for _ in $(seq 50); do in_lamp curl -so /dev/null --cacert "$root/var/lib/lampi/ca/ca.pem" https://10.77.0.1/healthz && break; sleep 0.2; done
# What the operator hands the lamp's owner: a token for this lamp and the CA certificate.
as_lampi lampi-cloud enroll-token create --db $db --device $device --log-level warn >"$root/tmp/enroll-token" 2>/dev/null ||
  join_fail "lampi-cloud enroll-token create"
cp "$root/var/lib/lampi/ca/ca.pem" "$root/tmp/cloud-ca.pem"
# The chroot has no network interface to take a device id from: lampid.conf gives it, and
# lamp-join-cloud enrolls under the id lampid runs with.
echo "device-id = \"$device\"  # set by the operator" >>"$root/etc/lampi/lampid.conf"
in_lamp chroot "$root" /usr/lib/lampi/lamp-join-cloud --cloud cloud.lampi.test --ca-file /tmp/cloud-ca.pem \
  --token-file /tmp/enroll-token >"$work/join-join.log" 2>&1 || join_fail "lamp-join-cloud"
grep -q "^enrolled $device:" "$work/join-join.log" || { cat "$work/join-join.log"; join_fail "not enrolled under lampid.conf's device id"; }
expect_owner /var/lib/lampi/identity lampi:mosquitto:2750
expect_owner /var/lib/lampi/identity/lamp.key lampi:mosquitto:640
grep -q "^remote_username $device\$" "$root/etc/mosquitto/conf.d/lampi-bridge.conf" || join_fail "the bridge is not the lamp's"
# Run again, the lamp is already enrolled: refused, and nothing is changed.
cp "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-first.pem"
in_lamp chroot "$root" /usr/lib/lampi/lamp-join-cloud --cloud cloud.lampi.test --ca-file /tmp/cloud-ca.pem \
  --token-file /tmp/enroll-token >"$work/join-again.log" 2>&1 && join_fail "lamp-join-cloud enrolled twice"
grep -q 'already exists' "$work/join-again.log" || { cat "$work/join-again.log"; join_fail "a second join is not refused in words"; }
cmp -s "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-first.pem" || join_fail "a refused join replaced the certificate"
# A join that stopped after its enrollment (its token spent): run again, it finishes the
# join without enrolling, and the certificate stays.
rm "$root/etc/mosquitto/conf.d/lampi-bridge.conf" "$root/etc/lampi/lamp-cloud.conf"
in_lamp chroot "$root" /usr/lib/lampi/lamp-join-cloud --cloud cloud.lampi.test --ca-file /tmp/cloud-ca.pem \
  --token-file /tmp/enroll-token >"$work/join-resume.log" 2>&1 ||
  { cat "$work/join-resume.log"; join_fail "a join that stopped after the enrollment is not finished by a second"; }
grep -q 'a join that did not finish: finishing it' "$work/join-resume.log" || { cat "$work/join-resume.log"; join_fail "the resumed join does not say so"; }
expect_file /etc/mosquitto/conf.d/lampi-bridge.conf "the resumed join"
expect_file /etc/lampi/lamp-cloud.conf "the resumed join"
cmp -s "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-first.pem" || join_fail "the resumed join replaced the certificate"
ls "$root/run" | grep -q '^lamp-join-cloud\.' && join_fail "lamp-join-cloud left its folder (with the token) in /run"

# lamp_host_runs: the lamp's broker (as mosquitto.service runs it) and lampid, on the lamp host.
lamp_host_runs() {
  in_lamp chroot "$root" install -d -o mosquitto -m 0740 /run/mosquitto
  in_lamp chroot "$root" install -d -o lampi -m 0755 /run/lampi/lamp
  in_lamp chroot "$root" install -d -o mosquitto -m 0755 /var/log/mosquitto
  ip netns exec "$lamp_ns" chroot "$root" env LD_PRELOAD=/usr/lib/lampi/lampi_bridge_nodelay.so mosquitto -c /etc/mosquitto/mosquitto.conf \
    >>"$work/join-lamp-broker.log" 2>&1 &
  lamp_pids=$!
  ip netns exec "$lamp_ns" chroot --userspec=lampi:lampi "$root" lampid --config /etc/lampi/lampid.conf \
    >>"$work/join-lampid.log" 2>&1 &
  lamp_pids="$lamp_pids $!"
}
# The operator's login on the cloud broker, over TLS to the address its certificate names.
as_operator=(-h 10.77.0.1 -p 8884 --cafile "$root/tmp/cloud-ca.pem" -u operator
             -P "$(cat "$root/etc/lampi/cloud-broker/operator-password")")
# round_trip ON: the operator's command through the cloud broker and the bridge to lampid, and its change back.
round_trip() {
  : >"$work/join-changed.json"
  ip netns exec "$cloud_ns" mosquitto_sub "${as_operator[@]}" -t "devices/$device/lamp/changed" -W 15 -R >"$work/join-changed.json" &
  local sub=$! found=1
  sleep 0.5
  in_cloud mosquitto_pub "${as_operator[@]}" -q 1 -t "devices/$device/lamp/set_config" -m "{\"on\":$1,\"client\":\"operator\"}"
  for _ in $(seq 50); do grep -q "\"on\":$1" "$work/join-changed.json" && { found=0; break; }; sleep 0.2; done
  kill $sub 2>/dev/null; wait $sub 2>/dev/null || true
  return $found
}
# bridged: the cloud broker has the bridge's "connected" (retained, so also from before).
bridged() {
  for _ in $(seq 30); do
    [ "$(in_cloud mosquitto_sub "${as_operator[@]}" -t "devices/$device/lamp/connection/bridge/state" -C 1 -W 2 2>/dev/null)" = 1 ] && return 0
    sleep 0.5
  done
  return 1
}
lamp_host_runs
bridged || join_fail "the lamp's bridge did not connect to the cloud with its enrolled key"
round_trip true || join_fail "the operator's command did not reach lampid through the bridge, or its change did not come back"
# What the Pi's operator reads: lampid saw the bridge come up.
in_lamp chroot "$root" lampid status --config /etc/lampi/lampid.conf >"$work/join-status.log" 2>&1 || true
grep -q '^  cloud          linked' "$work/join-status.log" || join_fail "lampid status does not say the lamp is linked to the cloud"

# lampi-lamp-renew.service's own command renews nothing a year before expiry; a renewal (as
# the timer would do it 30 days before) writes a new key that the bridge, as mosquitto, reads.
renew_command=$(sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/lampi-lamp-renew.service")
in_lamp chroot --userspec=lampi:lampi "$root" $renew_command >"$work/join-renew-early.log" 2>&1 ||
  join_fail "lampi-lamp-renew.service's command failed a year before expiry"
grep -q 'not renewed' "$work/join-renew-early.log" || { cat "$work/join-renew-early.log"; join_fail "the early renewal did something"; }
in_lamp chroot --userspec=lampi:lampi "$root" lampid --config /etc/lampi/lamp-cloud.conf enroll --renew \
  >"$work/join-renew.log" 2>&1 || join_fail "the renewal failed"
cmp -s "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-first.pem" && join_fail "the renewal kept the certificate"
expect_owner /var/lib/lampi/identity/lamp.key lampi:mosquitto:640
kill $lamp_pids; wait $lamp_pids 2>/dev/null || true
in_cloud mosquitto_pub "${as_operator[@]}" -r -q 1 -t "devices/$device/lamp/connection/bridge/state" -m 0
lamp_host_runs
bridged || join_fail "the lamp's broker did not bridge with the renewed key"
round_trip false || join_fail "no round trip after the renewal"
stop_hosts
rm -f "$root/etc/nginx/sites-enabled/lampi.conf"
cleanup_namespaces

step "the units under systemd (the chroot booted with systemd-nspawn)"
# systemd runs the units as installed, with their sandboxes: lampid reaches its broker, the
# bridge the cloud, and lampi-lamp-renew.service renews through nginx as lampi, writing a key
# the broker (group mosquitto) reads at its next start. tests/packages/systemd_probe.sh looks
# from inside and powers the container off.
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not installed (scripts/debian-packages.txt: systemd-container)"
sed -i 's/^10\.77\.0\.1 cloud\.lampi\.test$/127.0.0.1 cloud.lampi.test/' "$root/etc/hosts"
ln -sf ../sites-available/lampi.conf "$root/etc/nginx/sites-enabled/lampi.conf"
install -m 0755 "$src/tests/packages/systemd_probe.sh" "$root/usr/local/sbin/lampi-probe"
cat >"$root/etc/systemd/system/lampi-probe.service" <<'UNIT'
[Unit]
Description=LAMPi package test: the units as systemd ran them
After=mosquitto.service lampid.service lampi-cloud-broker.service lampi-cloud.service nginx.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lampi-probe
UNIT
ln -sf /etc/systemd/system/lampi-probe.service "$root/etc/systemd/system/multi-user.target.wants/lampi-probe.service"
mkdir -p "$root/etc/systemd/system/lampi-lamp-renew.service.d"
renew_due=$(sed -n 's/^ExecStart=\(.*\) --if-expiring-within-days 30$/\1 --if-expiring-within-days 3650/p' \
  "$root/lib/systemd/system/lampi-lamp-renew.service")
[ -n "$renew_due" ] || fail "lampi-lamp-renew.service's ExecStart does not end in --if-expiring-within-days 30"
printf '[Service]\nExecStart=\nExecStart=%s\n' "$renew_due" >"$root/etc/systemd/system/lampi-lamp-renew.service.d/due.conf"
cp "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-before-boot.pem"
rm -f "$root/root/probe.txt"
# Without this host's /proc in the chroot: nspawn mounts the container's own only where
# none is, and with the host's, systemd looked up its services' pids among the host's
# processes (a main pid "does not exist", a kworker killed as nginx's, lampid "not running").
umount "$root/proc"
timeout 240 systemd-nspawn -q --register=no --keep-unit -D "$root" --network-veth -b --console=pipe \
  >"$work/nspawn.log" 2>&1 || { tail -n 30 "$work/nspawn.log"; fail "the container did not boot and power off (log: $work/nspawn.log)"; }
mount -t proc proc "$root/proc"
probe="$root/root/probe.txt"
[ -s "$probe" ] || { tail -n 30 "$work/nspawn.log"; fail "the probe did not run in the booted container"; }
cp "$root/root/journal.txt" "$work/nspawn-journal.txt" 2>/dev/null || true
probe_fail() { cat "$probe"; fail "under systemd: $1 (the container's journal: $work/nspawn-journal.txt)"; }
for unit in mosquitto lampid lampi-cloud-broker lampi-cloud nginx lampi-lamp-renew.timer lampi-ca-crl.timer; do
  grep -q "^unit $unit active\$" "$probe" || probe_fail "$unit is not active"
done
grep -q '^  cloud          linked' "$probe" || probe_fail "lampid does not say the lamp is linked to the cloud"
grep -q '^lampid [0-9a-f]*: running (pid' "$probe" || probe_fail "lampid status does not say the lampid systemd runs is running"
grep -q 'which is not our child' "$work/nspawn-journal.txt" && probe_fail "systemd in the container supervises processes it did not start"
grep -q '^renew exit 0$' "$probe" || probe_fail "lampi-lamp-renew.service failed"
grep -q '^key lampi:mosquitto:640$' "$probe" || probe_fail "the renewed key is not lampi:mosquitto 0640"
cmp -s "$root/var/lib/lampi/identity/lamp.pem" "$work/lamp-before-boot.pem" && probe_fail "lampi-lamp-renew.service renewed nothing"
grep -q '^bridge connections [2-9]' "$probe" || probe_fail "the restarted broker's bridge did not connect with the renewed key"
grep -E '^failed .*(lampi|lampid|mosquitto|nginx)' "$probe" && probe_fail "a unit failed"
rm -rf "$root/etc/systemd/system/lampi-probe.service" "$root/etc/systemd/system/multi-user.target.wants/lampi-probe.service" \
  "$root/etc/systemd/system/lampi-lamp-renew.service.d" "$root/etc/nginx/sites-enabled/lampi.conf" "$root/usr/local/sbin/lampi-probe"

step "upgrade to $version+1 (a state file and a changed conffile are kept)"
echo '{"kept":"across upgrade"}' >"$root$state_file"
broker_password=$(cat "$root$broker_secret")
auth_secret=$(cat "$root/etc/lampi/cloud/auth-secret") server_cert=$(cat "$root/etc/lampi/cloud-broker/server.pem")
in_root chown lampi:lampi "$state_file"
echo 'log-level = "debug"  # changed by the operator' >>"$root/etc/lampi/lampid.conf"
in_root sh -c 'dpkg -i /tmp/v2/*.deb' >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; fail "dpkg -i (upgrade)"; }
for pkg in "${packages[@]}"; do
  [ "$(installed_version "$pkg")" = "install ok installed $version+1" ] || fail "upgrade: $pkg is $(installed_version "$pkg")"
done
grep -q across "$root$state_file" || fail "upgrade: the state file was lost"
[ "$(cat "$root$broker_secret")" = "$broker_password" ] || fail "upgrade: the lamp's broker password changed"
[ "$(cat "$root/etc/lampi/cloud/auth-secret")" = "$auth_secret" ] || fail "upgrade: the cloud's auth secret changed"
[ "$(cat "$root/etc/lampi/cloud-broker/server.pem")" = "$server_cert" ] || fail "upgrade: the cloud broker's certificate was issued again"
grep -q 'changed by the operator' "$root/etc/lampi/lampid.conf" || fail "upgrade: the changed conffile was replaced"
[ -L "$root/etc/systemd/system/multi-user.target.wants/lampid.service" ] || fail "upgrade: lampid.service is no longer enabled"

step "remove (state and config kept)"
in_root dpkg -r "${packages[@]}" >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
expect_no_file /usr/bin/lampid remove
expect_no_file /lib/systemd/system/lampid.service remove
grep -q across "$root$state_file" || fail "remove: the state file was lost"
grep -q 'changed by the operator' "$root/etc/lampi/lampid.conf" || fail "remove: the config was lost"
expect_file /etc/lampi/lampi-cloud.conf remove
expect_file /var/lib/lampi/cloud remove
expect_file /var/lib/lampi/ca/ca.key remove
expect_file /etc/lampi/cloud-broker/server.key remove

step "purge (all gone)"
in_root dpkg -P "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
for path in /etc/lampi /var/lib/lampi /etc/mosquitto/conf.d/lampi-lamp.conf /etc/mosquitto/conf.d/lampi-bridge.conf "$broker_users" /etc/nginx/sites-available/lampi.conf \
            /etc/systemd/system/multi-user.target.wants/lampid.service \
            /etc/systemd/system/multi-user.target.wants/lampi-cloud.service /usr/share/lampi /usr/lib/lampi; do
  expect_no_file "$path" purge
done

step "package sizes (amd64, without -dbgsym)"
print_package_sizes "${debs[@]}"
echo "package test passed in $((SECONDS - start)) s"
