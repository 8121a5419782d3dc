#!/usr/bin/env bash
# deb_systemd: t/deb.sh with systemd as PID 1, on a machine where it is not (a sandbox, a
# container): boots this machine's systemd in new namespaces (pid, mount, network with only
# loopback, cgroup, uts, ipc) over an overlay of / whose writes go to a tmpfs and vanish with
# it, runs t/deb.sh there, and kills it. Where systemd runs, it is t/deb.sh itself. Not in CI
# (.ci/run's machine runs systemd); for a developer: `sudo bash t/deb_systemd.sh` (SPANDEX_DEB
# as for t/deb.sh; SPANDEX_KEEP keeps nothing, the scratch being inside). Needs root, overlayfs
# and a cgroup2 hierarchy: else a skip (77).
#
# What the booted systemd may change outside its namespaces is kept from it: /proc/sys and /sys
# are read-only (no sysctl reaches this kernel), the host's enabled services and init.d scripts
# stay off (multi-user.target's wants are emptied in the overlay).
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'deb_systemd: %s\n' "$*" >&2; }
skip() {
	say "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "not root"
[ ! -d /run/systemd/system ] || exec bash "$srcdir/t/deb.sh"
grep -qw overlay /proc/filesystems || skip "no overlayfs"
cgroot=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
[ -n "$cgroot" ] || skip "no cgroup2 hierarchy mounted"
[ -x /lib/systemd/systemd ] || skip "no /lib/systemd/systemd"
case $srcdir in /tmp/*) skip "$srcdir is under /tmp, which the booted system gets empty" ;; esac
[ "$(findmnt -n -o TARGET --target "$srcdir")" = / ] || skip "$srcdir is not on / (the overlay's lower layer)"

work=$(mktemp -d /tmp/spandex-debsd.XXXXXX)
cg=$cgroot/$(basename "$work")
mkdir "$cg"
unshare_pid='' sd=''
cleanup() {
	local rc=$?
	trap - EXIT
	# Killing the namespace's PID 1 ends every process in it, and its mounts with them.
	[ -z "$sd" ] || kill -KILL "$sd" 2>/dev/null || true
	if [ -n "$unshare_pid" ]; then
		kill "$unshare_pid" 2>/dev/null || true
		wait "$unshare_pid" 2>/dev/null || true
	fi
	[ ! -d "$cg" ] || find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$work/t" "$work/root"
: >"$work/console"
cat >"$work/init" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
mount -t tmpfs -o size=4g tmpfs '$work/t'
mkdir '$work/t/upper' '$work/t/work'
mount -t overlay overlay -o 'lowerdir=/,upperdir=$work/t/upper,workdir=$work/t/work' '$work/root'
cd '$work/root'
mount -t proc proc proc
mount --bind proc/sys proc/sys
mount -o remount,bind,ro proc/sys
mount -t sysfs -o ro sysfs sys
mount -t cgroup2 cgroup2 sys/fs/cgroup
mount -t tmpfs -o mode=755 tmpfs dev
for d in null zero full random urandom tty; do touch dev/\$d; mount --bind /dev/\$d dev/\$d; done
mkdir dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts dev/pts
ln -s pts/ptmx dev/ptmx
mount -t tmpfs tmpfs dev/shm
touch dev/console
mount --bind '$work/console' dev/console
mount -t tmpfs -o mode=755 tmpfs run
mount -t tmpfs -o mode=1777 tmpfs tmp
rm -f etc/systemd/system/multi-user.target.wants/*
hostname spandex-debsd
ip link set lo up
export container=spandex-deb-systemd
exec chroot . /lib/systemd/systemd --unit=multi-user.target
EOF
chmod +x "$work/init"
# shellcheck disable=SC2016 # $$ is the shell's own pid, moved into the cgroup before unshare
setsid bash -c 'echo $$ >"$1/cgroup.procs" && exec unshare --mount --pid --fork --uts --ipc --net --cgroup "$2"' \
	_ "$cg" "$work/init" >"$work/boot.log" 2>&1 </dev/null &
unshare_pid=$!
deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ]; do
	sd=$(pgrep -P "$unshare_pid" -x systemd || true)
	[ -z "$sd" ] || break
	kill -0 "$unshare_pid" 2>/dev/null || { cat "$work/boot.log" >&2; say "FAIL: the namespace did not start"; exit 1; }
	sleep 0.1
done
[ -n "$sd" ] || { say "FAIL: no systemd within 120 s: $(cat "$work/boot.log")"; exit 1; }
inside() { nsenter -t "$sd" -m -u -i -n -p -C -r -w -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
# is-system-running --wait: until the boot is done (running, or degraded by a unit of the
# host's that cannot run in here).
# Its bus comes first: until then systemctl cannot connect.
deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ]; do
	state=$(timeout 300 nsenter -t "$sd" -m -u -i -n -p -C -r -w -- systemctl is-system-running --wait 2>&1) || true
	case $state in *'Failed to connect'*) sleep 0.1 ;; *) break ;; esac
done
case $state in running | degraded) say "systemd $state in the namespaces (pid $sd here)" ;;
*) say "FAIL: systemd did not boot: '$state' $(tail -n 20 "$work/console")"; exit 1 ;;
esac
args=()
if [ -n "${SPANDEX_DEB:-}" ]; then
	inside sh -c 'cat >/root/spandex.deb' <"$SPANDEX_DEB"
	args+=(SPANDEX_DEB=/root/spandex.deb)
fi
inside "${args[@]}" CI="${CI:-}" bash "$srcdir/t/deb.sh"
