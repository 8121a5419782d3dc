#!/bin/sh
# skip_check: t/skip.sh's kept_files, which picks the node:test files of t/integration.sh,
# t/s3_suite.sh and t/ui.sh: unset or empty, SPANDEX_SKIP leaves out nothing (once it left out
# every file, and the runs passed having run none); a name leaves out its one file, "ui" every
# file of t/ui and nothing of t/integration, "ui/NAME" one file of t/ui and not
# t/integration/NAME; a name that is no file is an error (99).
srcdir=${SPANDEX_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/t/skip.sh"
fail=0
int=$srcdir/t/integration
ui=$srcdir/t/ui
all_int=$(ls "$int"/*.test.mjs | wc -l)
all_ui=$(ls "$ui"/*.test.mjs | wc -l)
# expect SKIP DIR COUNT: kept_files DIR under SPANDEX_SKIP=SKIP keeps COUNT files.
expect() {
	n=$(SPANDEX_SKIP=$1 kept_files "$2" 2>/dev/null | wc -l)
	if [ "$n" -ne "$3" ]; then
		echo "SPANDEX_SKIP='$1': $n files of ${2#"$srcdir"/} kept, not $3"
		fail=1
	fi
}
[ "$all_int" -gt 10 ] && [ "$all_ui" -gt 1 ] || { echo "no test files under $srcdir/t"; exit 99; }
unset SPANDEX_SKIP
n=$(kept_files "$int" | wc -l)
[ "$n" -eq "$all_int" ] || { echo "SPANDEX_SKIP unset: $n of $all_int files of t/integration kept"; fail=1; }
expect '' "$int" "$all_int"
expect '' "$ui" "$all_ui"
expect 'crash s3_faults' "$int" $((all_int - 2))
expect 'crash s3_faults' "$ui" "$all_ui"
expect 'ui' "$int" "$all_int"
expect 'ui' "$ui" 0
expect 'ui/viewer media' "$ui" $((all_ui - 1))
expect 'ui/viewer media' "$int" $((all_int - 1))
if SPANDEX_SKIP=no_such_file kept_files "$int" >/dev/null 2>&1; then
	echo "SPANDEX_SKIP='no_such_file' was taken"
	fail=1
fi
exit $fail
