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

dir=$(mktemp -d "${TMPDIR:-/tmp}/spandex-s3.XXXXXX")
stop() {
	bash "$srcdir/t/s3.sh" stop "$dir" >/dev/null 2>&1
	[ "${SPANDEX_KEEP:-}" = 1 ] || rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Two free ports in a row: radosgw's and the mon's (PORT + 1).
port=$(node -e '
const net = require("net");
const free = (p) => new Promise((r) => { const s = net.createServer(); s.once("error", () => r(false)); s.listen(p, "127.0.0.1", () => s.close(() => r(true))); });
(async () => { for (let i = 0; i < 200; i++) { const p = 20000 + Math.floor(Math.random() * 30000); if (await free(p) && await free(p + 1)) { console.log(p); return; } } process.exit(1); })();
') || { echo "s3_suite: no free port" >&2; exit 99; }

# Without ceph-mgr: 145 MiB instead of 470, and S3 works the same (reference/s3.md).
if ! S3_WITH_MGR=0 bash "$srcdir/t/s3.sh" start "$dir" "$port" >"$dir/start.log" 2>&1; then
	cat "$dir/start.log" >&2
	echo "s3_suite: radosgw did not start" >&2
	exit 99
fi
. "$dir/s3.env"
export SPANDEX_TEST_S3_ENDPOINT=$S3_ENDPOINT SPANDEX_TEST_S3_KEY=$S3_ACCESS_KEY \
	SPANDEX_TEST_S3_SECRET=$S3_SECRET_KEY SPANDEX_TEST_S3_DIR=$dir

fail=0
"$builddir/t/check_s3" || fail=1
concurrency=
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
	concurrency=--test-concurrency=1
fi
files=$(ls "$srcdir"/t/integration/s3_*.test.mjs 2>/dev/null)
if [ -n "$files" ]; then
	node --test $concurrency $files || fail=1
fi
exit $fail
