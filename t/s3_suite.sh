#!/bin/sh
# s3_suite: the tests of the bucket against one real S3 server, radosgw (t/s3.sh), started
# once for all of them: t/check_s3 (lib/s3's requests), then the node:test files
# t/integration/s3_*.test.mjs (t/integration.sh leaves them to this script), which make a
# bucket each and start their own spandex hosts. Run by `make check` (SPANDEX_BUILDDIR and
# SPANDEX_SRCDIR exported). A missing tool is a hard error (99), never a skip. SPANDEX_S3_LONG=1
# runs the longer forms (more kills, longer outages: t/s3.mjs).
srcdir=${SPANDEX_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${SPANDEX_BUILDDIR:-$srcdir}
export SPANDEX_SRCDIR=$srcdir SPANDEX_BUILDDIR=$builddir
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH

for tool in node nginx spawn-fcgi radosgw ceph-mon ceph-osd curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "s3_suite: $tool is missing; ./bootstrap test installs it" >&2
		exit 99
	fi
done

# Every s3_*.test.mjs but those SPANDEX_SKIP names (t/skip.sh: "s3_faults s3_admin" leaves
# out s3_faults.test.mjs and s3_admin.test.mjs), so a new file runs everywhere by default
# (.ci/run's sanitizer run skips one, and says why).
. "$srcdir/t/skip.sh"
files=$(kept_files "$srcdir/t/integration") || exit 99
files=$(printf '%s\n' $files | grep '/s3_[^/]*$')

# Every part ends by the clock, so a hang fails with a message instead of holding `make check`:
# t/s3.sh's waits (S3_TIMEOUT each), t/check_s3 (CHECK_S3_S), and the node:test files: each
# file and each test in it (S3_TEST_S, node's --test-timeout; a bound for a hang, many times
# what the longest file takes under load) and all of them (S3_FILES_S, timeout(1), which kills
# their whole process group: the test files' nginx and programs too). SPANDEX_S3_LONG=1 runs
# longer: the bounds grow with it.
if [ "${SPANDEX_S3_LONG:-}" = 1 ]; then
	S3_TEST_S=3600 S3_FILES_S=10800
else
	S3_TEST_S=900 S3_FILES_S=2700
fi
CHECK_S3_S=600

dir=$(mktemp -d "${TMPDIR:-/tmp}/spandex-s3.XXXXXX")
child=
# Every way out (success, failure, a signal) stops what this script started: the node:test
# files' process group, then radosgw and the Ceph daemons (setsid, so no signal of ours
# reaches them; t/s3.sh stops them by pid and waits until they are gone, SIGKILL after 120 s).
stop() {
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		kill -TERM -"$child" 2>/dev/null
	fi
	bash "$srcdir/t/s3.sh" stop "$dir" >/dev/null 2>&1
	[ "${SPANDEX_KEEP:-}" = 1 ] || rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Runs "$@" in the background and waits for it, so a signal to this script is taken at once
# (a foreground child would defer the trap until it ended).
bg_wait() {
	"$@" &
	child=$!
	wait "$child"
	rc=$?
	child=
	return $rc
}

# "$@" under timeout(1) (SECONDS), the same way; timeout leads a process group of its own, and
# whatever is left in it afterwards goes too (a test file the runner ended leaves its nginx and
# programs behind).
bounded() {  # SECONDS command...
	secs=$1
	shift
	timeout -k 30 "$secs" "$@" &
	child=$!
	wait "$child"
	rc=$?
	kill -TERM -"$child" 2>/dev/null
	child=
	return $rc
}

# Two free ports in a row: radosgw's and the mon's (PORT + 1). Free for any process until the
# daemons bind them, tens of seconds later on a busy machine: when another program took
# radosgw's (t/s3.sh names it), everything again on others.
t0=$(date +%s)
for try in 1 2 3 4; do
	port=$(node -e '
const net = require("net");
const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
(async () => { for (let i = 0; i < 200; i++) { const p = 20000 + Math.floor(Math.random() * 30000); if (await free(p) && await free(p + 1)) { console.log(p); return; } } process.exit(1); })();
') || { echo "s3_suite: no free port" >&2; exit 99; }
	# Without ceph-mgr: 145 MiB instead of 470, and S3 works the same (reference/s3.md).
	bg_wait env S3_WITH_MGR=0 bash "$srcdir/t/s3.sh" start "$dir" "$port" >"$dir/start.log" 2>&1 && break
	if [ $try = 4 ] || ! grep -q "port $port is another program's" "$dir/start.log"; then
		cat "$dir/start.log" >&2
		echo "s3_suite: radosgw did not start" >&2
		exit 99
	fi
done
echo "s3_suite: radosgw up in $(($(date +%s) - t0)) s"
. "$dir/s3.env"
export SPANDEX_TEST_S3_ENDPOINT=$S3_ENDPOINT SPANDEX_TEST_S3_KEY=$S3_ACCESS_KEY \
	SPANDEX_TEST_S3_SECRET=$S3_SECRET_KEY SPANDEX_TEST_S3_DIR=$dir

fail=0
bounded "$CHECK_S3_S" "$builddir/t/check_s3"
rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "s3_suite: t/check_s3 did not end within $CHECK_S3_S s" >&2
fi
[ $rc = 0 ] || fail=1
opts=
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
	opts=--test-concurrency=1
fi
if node --help 2>/dev/null | grep -q -- '--test-timeout'; then
	opts="$opts --test-timeout=$((S3_TEST_S * 1000))"
fi
if [ -n "$files" ]; then
	t0=$(date +%s)
	bounded "$S3_FILES_S" node --test $opts $files
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "s3_suite: the bucket's node:test files did not end within $S3_FILES_S s" >&2
	fi
	[ $rc = 0 ] || fail=1
	echo "s3_suite: the node:test files took $(($(date +%s) - t0)) s"
fi
exit $fail
