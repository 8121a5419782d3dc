# bench/lib.sh: what the shell benchmarks share (bench/erase_bench.sh, verify_bench.sh,
# seal_bench.sh source it): the programs, the scratch directory, the store they time and the
# timing of one step. Environment: BENCH_BUILDDIR (where src/spandex and bench/gen were built;
# default the source tree), BENCH_SPANDEX (another spandex to time, e.g. an older build, for a
# before/after), BENCH_STORE (a data directory to copy, its workspace directories only, in
# place of generating the store: one a run kept with BENCH_KEEP=1, or /var/tmp/qb1m that
# bench/query_bench built), TMPDIR (the store goes there), BENCH_KEEP=1 (keep it).

# bench_init NAME: SRC, B, SPANDEX, GEN; log and die (messages prefixed with NAME); TMP, a
# scratch directory removed at exit (kept with BENCH_KEEP=1), and DATA=$TMP/data in it.
bench_init() {
	BENCH_NAME=$1
	SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	B=$(cd "${BENCH_BUILDDIR:-$SRC}" && pwd)
	SPANDEX=${BENCH_SPANDEX:-$B/src/spandex} GEN=$B/bench/gen
	local prog
	for prog in "$SPANDEX" "$GEN"; do
		[ -x "$prog" ] || die "$prog is not built: run make first (and make bench/gen)"
	done
	[ -z "${BENCH_STORE:-}" ] || [ -d "$BENCH_STORE" ] || die "$BENCH_STORE is not a directory"
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/spandex-$BENCH_NAME.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	DATA=$TMP/data
	mkdir -p "$DATA"
}
log() { printf '%s_bench: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { log "$*"; exit 1; }
bench_cleanup() { if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi; }

# bench_spans ARG: SPANS for smoke (20,000), full (200,000) or a number; false for anything else.
bench_spans() {
	case $1 in
	smoke) SPANS=20000 ;;
	full) SPANS=200000 ;;
	*[!0-9]* | '') return 1 ;;
	*) SPANS=$1 ;;
	esac
}

# bench_store SPANS WORKSPACES [CORPUS]: DATA filled by bench/gen (SPANS spans over 30 days in
# WORKSPACES workspaces, bench-0 ...), or with a copy of BENCH_STORE's workspaces.
bench_store() {
	if [ -n "${BENCH_STORE:-}" ]; then
		log "copying the workspaces of $BENCH_STORE"
		find "$BENCH_STORE" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -exec cp -a {} "$DATA/" \;
	else
		log "generating $1 spans over 30 days (bench/gen)"
		"$GEN" "$1" "$DATA" 1 "$2" ${3:+"$3"} >/dev/null 2>&1 || die "bench/gen failed"
	fi
}

# bench_warm: what the step before wrote is flushed (so the step is not timed against its
# writeback: bench/gen's 954 MB took reindex from 1.6 to 2.3 s), and every file of the store
# read once, so that the step after reads from the page cache.
bench_warm() { sync; find "$DATA" -type f -exec cat {} + >/dev/null; }

# bench_timed NAME CMD...: runs CMD (its output in $TMP/NAME.out) after bench_warm; its wall,
# and user + system, seconds into W[NAME] and C[NAME]. Fails when CMD does.
declare -A W C
bench_timed() {
	local name=$1 t w u s
	shift
	bench_warm
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$TMP/$name.out" 2>&1; } 2>&1 ) ||
		die "$* failed: $(cat "$TMP/$name.out")"
	read -r w u s <<<"$t"
	W[$name]=$w
	C[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
