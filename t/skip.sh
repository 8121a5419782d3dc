# skip: SPANDEX_SKIP, the node:test files a run of make check leaves out, sourced by
# t/integration.sh, t/s3_suite.sh and t/ui.sh (with srcdir set). A name is a file of
# t/integration without .test.mjs ("crash" is t/integration/crash.test.mjs, "s3_faults"
# t/integration/s3_faults.test.mjs), "ui/NAME" t/ui/NAME.test.mjs, and "ui" every file of t/ui.
# Unset, every file runs, so a new file runs everywhere. .ci/run's sanitizer run names those
# whose subject is the processes, not the bytes, and says why. A name that is no file is an
# error: a file renamed is not run by mistake.

# kept_files DIR: the DIR/*.test.mjs (DIR t/integration or t/ui) that SPANDEX_SKIP does not
# name, one a line; each one left out said on stderr. Status 99 when a name is no file.
kept_files() {
	if [ -z "${SPANDEX_SKIP:-}" ]; then
		ls "$1"/*.test.mjs
		return
	fi
	for name in $SPANDEX_SKIP; do
		case $name in
		ui) continue ;;
		ui/*) f=$srcdir/t/$name.test.mjs ;;
		*) f=$srcdir/t/integration/$name.test.mjs ;;
		esac
		if [ ! -f "$f" ]; then
			echo "SPANDEX_SKIP names $name, and there is no ${f#"$srcdir"/}" >&2
			return 99
		fi
	done
	# A file of t/ui is named ui/NAME, and "ui" names them all.
	case $1 in */ui) prefix=ui/ all=ui ;; *) prefix= all= ;; esac
	for f in "$1"/*.test.mjs; do
		[ -f "$f" ] || continue
		name=${f##*/}
		name=$prefix${name%.test.mjs}
		skip=
		for s in $SPANDEX_SKIP; do
			[ "$s" = "$name" ] || [ "$s" = "$all" ] && skip=1
		done
		if [ -n "$skip" ]; then
			echo "${f#"$srcdir"/}: left out (SPANDEX_SKIP)" >&2
		else
			echo "$f"
		fi
	done
}
