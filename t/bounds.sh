#!/bin/sh
# bounds: no test is bounded by a time a busy machine can reach (issue 54: Check's 4 s failed
# check_http in 12 of 13 runs at a load of 8-25 on two cores). A Check test case takes the one
# bound, CHECK_TIMEOUT_S (t/check_timeout.h, Check's default through t/main.c), or a longer
# expression of it; a node:test test's own timeout is at least 600 s, as the suites' longest
# (tests wait for their conditions, WAIT_MS at most: t/proc.mjs); docs/development.md says so.
set -eu
src=${SPANDEX_SRCDIR:-$(dirname "$0")/..}
cd "$src"
bad=0
# tcase_set_timeout(tc, N) with no CHECK_TIMEOUT_S in it.
if grep -n 'tcase_set_timeout' t/*.c | grep -v 'CHECK_TIMEOUT_S'; then
	echo "bounds: a Check test case above sets a timeout of its own: use CHECK_TIMEOUT_S (t/check_timeout.h)"
	bad=1
fi
# { timeout: N } under 600,000 ms.
if grep -nE 'timeout: *[0-9]+' t/*.mjs t/integration/*.mjs t/ui/*.mjs |
	awk '{ while (match($0, /timeout: *[0-9]+/)) { n = substr($0, RSTART, RLENGTH); sub(/timeout: */, "", n);
		if (n + 0 < 600000) { print; next } $0 = substr($0, RSTART + RLENGTH) } }' | grep .; then
	echo "bounds: a node test above is bounded under 600 s: wait for a condition (waitFor, WAIT_MS), bound it by 600000 at least"
	bad=1
fi
# A wait bounded under WAIT_MS (t/proc.mjs, 120 s): a bound given to waitFor (t/proc.mjs's
# or t/s3.mjs's), or a wait's default, under it (s3_config.test.mjs's 60 s, t/s3.mjs's default
# then, failed under a load of 30).
if perl -ne 'if (/(waitFor\(|^\s*\},\s*[\x27`"]|\bms\s*=\s*\d)/ && /[=,]\s*(\d{4,6})\)/ && $1 < 120000) { print "$ARGV:$.: $_" } close ARGV if eof' \
	t/*.mjs t/integration/*.mjs t/ui/*.mjs | grep .; then
	echo "bounds: a wait above is bounded under WAIT_MS: leave the bound out (WAIT_MS), or give a longer one"
	bad=1
fi
exit $bad
