#!/bin/sh
# integration: the node:test files in t/integration/ against a real nginx (t/harness.mjs).
# Run by `make check`, which exports SPANDEX_BUILDDIR and SPANDEX_SRCDIR. A missing tool is
# a hard error (99), never a skip: CI must run these tests.
srcdir=${SPANDEX_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SPANDEX_SRCDIR=$srcdir
SPANDEX_BUILDDIR=${SPANDEX_BUILDDIR:-$srcdir}
export SPANDEX_SRCDIR SPANDEX_BUILDDIR
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH

for tool in node nginx spawn-fcgi apache2 flock zstdcat jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "integration: $tool is missing; ./bootstrap test installs it" >&2
		exit 99
	fi
done

# The real clients of t/clients (t/clients.sh: installed once, SPANDEX_CLIENTS exported).
. "$srcdir/t/clients.sh"

# One file at a time where node can be told so (20.10 and later): each file starts its own
# nginx and programs, and the machine has 2 cores.
concurrency=
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
	concurrency=--test-concurrency=1
fi
# The bucket's tests (s3_*) run under t/s3_suite.sh, beside the S3 server it starts once;
# SPANDEX_SKIP leaves files out (t/skip.sh).
. "$srcdir/t/skip.sh"
files=$(kept_files "$srcdir/t/integration") || exit 99
files=$(printf '%s\n' $files | grep -v '/s3_[^/]*$')
# Never none: node --test without a file runs every test file it finds below the directory.
if [ -z "$files" ]; then
	echo "integration: no test file to run (SPANDEX_SKIP='${SPANDEX_SKIP:-}')" >&2
	exit 99
fi
node --test $concurrency $files
exit $?
