#!/usr/bin/env bash
# bench/verify_bench.sh: how fast `spandex verify` and `spandex reindex` read a store (issue
# 35): verify of the open store, reindex of it, then verify of the same store sealed; prints a
# Markdown table on stdout (progress on stderr).
#
#   bench/verify_bench.sh smoke        20,000 spans (CI, `make bench-smoke`)
#   bench/verify_bench.sh full         200,000 spans (~954 MB, BENCHMARKS.md)
#   bench/verify_bench.sh SPANS        any other size
#
# The store is made by bench/gen (one workspace, 30 days) and read once before each timed
# step, so every figure is from the page cache. MB are the bytes of lines (the open store's
# .jsonl, the sealed one's stream): what each command checks or indexes. Wall and CPU
# (user + system) seconds are both given: on a shared machine the wall time includes waiting
# for a CPU. reindex is timed whole (its text index included), as an operator runs it.
# Environment: BENCH_BUILDDIR (where src/spandex and bench/gen were built; default the source
# tree), BENCH_SPANDEX (another spandex to time, e.g. an older build, for a before/after),
# TMPDIR (the store goes there), BENCH_KEEP=1 (keep it). No timing is checked: it fails only
# when a command fails or verify finds a problem.
set -euo pipefail

usage() { echo "usage: bench/verify_bench.sh smoke|full|SPANS" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in
smoke) SPANS=20000 ;;
full) SPANS=200000 ;;
*[!0-9]* | '') usage ;;
*) SPANS=$1 ;;
esac

SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${BENCH_BUILDDIR:-$SRC}" && pwd)
SPANDEX=${BENCH_SPANDEX:-$B/src/spandex} GEN=$B/bench/gen

log() { printf 'verify_bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
for prog in "$SPANDEX" "$GEN"; do
	[ -x "$prog" ] || die "$prog is not built: run make first (and make bench/gen)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/spandex-verify.XXXXXX")
cleanup() { if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
DATA=$TMP/data

# warm: what the step before wrote is flushed (so the step is not timed against its
# writeback: bench/gen's 954 MB took reindex from 1.6 to 2.3 s), and every file of the store
# read once, so that the step after reads from the page cache.
warm() { sync; find "$DATA" -type f -exec cat {} + >/dev/null; }
# timed NAME CMD...: runs CMD; its wall, user and system seconds into W[NAME], C[NAME].
declare -A W C
timed() {
	local name=$1 t
	shift
	warm
	t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$TMP/$name.out" 2>&1; } 2>&1 ) ||
		die "$* failed: $(cat "$TMP/$name.out")"
	read -r w u s <<<"$t"
	W[$name]=$w
	C[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
}
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / 1e6 / s : 0) }'; }

log "generating $SPANS spans over 30 days (bench/gen)"
"$GEN" "$SPANS" "$DATA" 1 1 >/dev/null 2>&1 || die "bench/gen failed"
BYTES=$(find "$DATA" -name '*.jsonl' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')

LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
log "verify (open)"
timed verify "$SPANDEX" verify "$DATA"
log "reindex"
timed reindex "$SPANDEX" reindex "$DATA"
log "seal (not timed)"
"$SPANDEX" seal "$DATA" --older-than 0 >/dev/null || die "seal failed"
ZBYTES=$(find "$DATA" -name '*.jsonl.zst' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
log "verify (sealed)"
timed sealed "$SPANDEX" verify "$DATA"

echo "### verify and reindex: $SPANS spans, $(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB of lines ($(awk -v b="$ZBYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB sealed)"
echo
echo "Load average before the first step: $LOAD (wall time includes waiting for a CPU)."
echo
echo "| step | wall s | CPU s | MB/s (wall) | MB/s (CPU) |"
echo "|---|---|---|---|---|"
for step in verify reindex sealed; do
	case $step in
	verify) what="\`spandex verify\` (open)" ;;
	reindex) what="\`spandex reindex\`" ;;
	sealed) what="\`spandex verify\` (sealed)" ;;
	esac
	echo "| $what | ${W[$step]} | ${C[$step]} | $(mbs "$BYTES" "${W[$step]}") | $(mbs "$BYTES" "${C[$step]}") |"
done
