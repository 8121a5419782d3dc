#!/bin/sh
# ui: the trace viewer's tests (t/ui/*.test.mjs): playwright-core drives Debian's chromium
# against a real nginx and the programs (t/harness.mjs). Run by `make check`, which exports
# SPANDEX_BUILDDIR and SPANDEX_SRCDIR. A missing tool is a hard error (99), never a skip: CI
# must run these tests. No browser is ever downloaded.
srcdir=${SPANDEX_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SPANDEX_SRCDIR=$srcdir
SPANDEX_BUILDDIR=${SPANDEX_BUILDDIR:-$srcdir}
export SPANDEX_SRCDIR SPANDEX_BUILDDIR
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH

# SPANDEX_SKIP leaves files out (t/skip.sh); all of them, the browser's tests are skipped (77).
. "$srcdir/t/skip.sh"
files=$(kept_files "$srcdir/t/ui") || exit 99
if [ -z "$files" ]; then
	echo "ui: every file of t/ui left out (SPANDEX_SKIP)"
	exit 77
fi

for tool in node npm nginx spawn-fcgi flock; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "ui: $tool is missing; ./bootstrap test installs it" >&2
		exit 99
	fi
done
SPANDEX_CHROMIUM=${SPANDEX_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$SPANDEX_CHROMIUM" ]; then
	echo "ui: $SPANDEX_CHROMIUM is missing; ./bootstrap test installs Debian's chromium" >&2
	exit 99
fi
export SPANDEX_CHROMIUM

# playwright-core as pinned by t/ui/package-lock.json (node_modules is not committed). A
# read-only source tree (make distcheck) gets its copy in the build tree instead.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD
SPANDEX_UI_MODULES=$srcdir/t/ui
# The real clients of t/clients (the opik SDK writes a trace's and a thread's judgements),
# installed once (t/clients.sh, which also defines npm_ci).
. "$srcdir/t/clients.sh"
if [ ! -d "$SPANDEX_UI_MODULES/node_modules/playwright-core" ]; then
	# A linked node_modules is another tree's install: npm ci would empty it through the link.
	if [ -L "$SPANDEX_UI_MODULES/node_modules" ]; then
		echo "ui: $SPANDEX_UI_MODULES/node_modules links to an install without playwright-core" >&2
		exit 99
	elif [ -w "$srcdir/t/ui" ]; then
		npm_ci "$srcdir/t/ui" || exit 99
	else
		SPANDEX_UI_MODULES=$SPANDEX_BUILDDIR/t/ui-modules
		mkdir -p "$SPANDEX_UI_MODULES" &&
			cp "$srcdir/t/ui/package.json" "$srcdir/t/ui/package-lock.json" "$SPANDEX_UI_MODULES/" &&
			chmod u+w "$SPANDEX_UI_MODULES"/package*.json &&
			npm_ci "$SPANDEX_UI_MODULES" || exit 99
	fi
fi
export SPANDEX_UI_MODULES
SPANDEX_UI_SHOTS=${SPANDEX_UI_SHOTS:-$SPANDEX_BUILDDIR/t/ui-screenshots}
export SPANDEX_UI_SHOTS

concurrency=
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
	concurrency=--test-concurrency=1
fi
node --test $concurrency $files
exit $?
