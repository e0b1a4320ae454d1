#!/bin/sh
# Runs inside the package test's chroot booted with systemd-nspawn (as
# lampi-probe.service, once the LAMPi units have started): what systemd made of
# the units, in /root/probe.txt for the test to read, then powers the container off.
# The lamp joined the cloud before the boot; both run here, cloud.lampi.test is
# this host.
{
	for unit in mosquitto lampid lampi-cloud-broker lampi-cloud nginx lampi-lamp-renew.timer lampi-ca-crl.timer; do
		echo "unit $unit $(systemctl is-active "$unit")"
	done
	# lampid, in its sandbox, runs (the pid it wrote is alive), reached its broker, and the
	# broker's bridge the cloud.
	for _ in $(seq 60); do
		lampid status --config /etc/lampi/lampid.conf >/root/status.txt 2>&1
		grep -q '^  cloud          linked' /root/status.txt && break
		sleep 0.5
	done
	cat /root/status.txt
	# The renewal as its unit runs it (a drop-in makes it due): through nginx, as lampi,
	# writing the new key that the broker (group mosquitto) reads.
	systemctl start lampi-lamp-renew.service
	echo "renew exit $?"
	journalctl -b --no-pager -o cat -u lampi-lamp-renew.service | tail -n 5
	stat -c 'key %U:%G:%a' /var/lib/lampi/identity/lamp.key
	systemctl restart mosquitto.service
	for _ in $(seq 60); do
		journalctl -b --no-pager -o cat | grep -c '^New bridge connected' | grep -q '^[2-9]' && break
		sleep 0.5
	done
	echo "bridge connections $(journalctl -b --no-pager -o cat | grep -c '^New bridge connected')"
	systemctl --failed --no-legend --plain | sed 's/^/failed /'
} >/root/probe.txt 2>&1
journalctl -b --no-pager >/root/journal.txt 2>&1
systemctl poweroff
