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
# Environment: as bench/lib.sh says (BENCH_BUILDDIR, BENCH_SPANDEX for a before/after,
# BENCH_STORE, TMPDIR, BENCH_KEEP=1). No timing is checked: it fails only
# when a command fails or verify finds a problem.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: bench/verify_bench.sh smoke|full|SPANS" >&2; exit 2; }
[ $# -eq 1 ] || usage
bench_spans "$1" || usage
bench_init verify
timed() { bench_timed "$@"; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / 1e6 / s : 0) }'; }

bench_store "$SPANS" 1
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
