#!/usr/bin/env bash
# bench/erase_bench.sh: what an erasure costs on a large workspace (issue 52; docs/erasure.md):
# the request (`spandex erase`, which finds the spans and hides them) and the pass that takes
# their bytes out of the files (`spandex erase --pending`), for one trace and for one session,
# on a store whose days are all sealed and indexed; then the same pass after an edit of every
# span of the largest day (each sent again with another output, as Opik's SDK updates every
# span once after its create: docs/erasure.md, "Edits"), which takes the older versions out;
# prints a Markdown table on stdout (progress on stderr).
#
#   bench/erase_bench.sh smoke        20,000 spans (CI, `make bench-smoke`)
#   bench/erase_bench.sh full         200,000 spans (~954 MB of lines, BENCHMARKS.md)
#   bench/erase_bench.sh SPANS        any other size (1000000 for issue 52's 1M-span figure:
#                                     4.8 GB of lines; TMPDIR needs about 7 GB)
#
# The store is made by bench/gen (one workspace, bench-0, over 30 days), or copied from
# BENCH_STORE, sealed and indexed, and read once before each timed step, so every figure is
# from the page cache. Wall and CPU (user + system) seconds are both given. Environment: as
# bench/lib.sh says (BENCH_BUILDDIR, BENCH_SPANDEX for a before/after on copies of one
# BENCH_STORE, TMPDIR, BENCH_KEEP=1). No timing is checked: it fails when a command fails,
# verify finds a problem, or an erased span's id is still in a line.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: bench/erase_bench.sh smoke|full|SPANS" >&2; exit 2; }
[ $# -eq 1 ] || usage
bench_spans "$1" || usage
bench_init erase
command -v zstd >/dev/null || die "zstd is needed (apt-get install zstd)"
timed() { bench_timed "$@"; }
# lines: every line of the store's data files, sealed ones decompressed.
lines() { find "$DATA/bench-0" -maxdepth 1 \( -name '*.jsonl' -o -name '*.jsonl.zst' \) -exec zstd -dcqf {} +; }

bench_store "$SPANS" 1
log "sealing and indexing"
"$SPANDEX" seal "$DATA" --older-than 0 >/dev/null || die "seal failed"
"$SPANDEX" index "$DATA" >/dev/null || die "index failed"
# The bytes of lines: the sealed streams (their .idx headers' extents are what verify reads).
BYTES=$(for z in "$DATA"/bench-0/*.jsonl.zst; do zstd -dcq "$z" | wc -c; done | awk '{ s += $1 } END { printf "%.0f\n", s }')
# The first line's trace and session (bench/gen: a session holds a few traces).
FIRST=$({ lines 2>/dev/null || true; } | head -n 1)
TRACE=$(sed -n 's/.*"trace_id":"\([^"]*\)".*/\1/p' <<<"$FIRST")
SESSION=$(sed -n 's/.*"session_id":"\([^"]*\)".*/\1/p' <<<"$FIRST")
[ -n "$TRACE" ] && [ -n "$SESSION" ] || die "no trace or session found in the lines"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

log "erase trace $TRACE"
timed trace "$SPANDEX" erase "$DATA" --workspace bench-0 --trace "$TRACE" --by bench
log "the pass"
timed pass1 "$SPANDEX" erase "$DATA" --pending --verbose
log "erase session $SESSION"
timed session "$SPANDEX" erase "$DATA" --workspace bench-0 --session "$SESSION" --by bench
log "the pass"
timed pass2 "$SPANDEX" erase "$DATA" --pending --verbose
log "a pass with nothing pending"
timed idle "$SPANDEX" erase "$DATA" --pending --verbose
# Every span of the largest day sent again with another output (spandex import, ingest's own
# validation): a second version of each, the first left in the sealed day until the pass.
LAST=$(basename "$(ls -S "$DATA"/bench-0/*.jsonl.zst | head -n 1)" .jsonl.zst)
NEXT=$(date -u -d "$LAST + 1 day" +%F)
"$SPANDEX" export "$DATA" --workspace bench-0 --from "$LAST" --to "$NEXT" --out "$TMP/day.jsonl" ||
	die "export of $LAST failed"
sed 's/"output":"/"output":"edited: /' "$TMP/day.jsonl" >"$TMP/edited.jsonl"
EDITED=$(wc -l <"$TMP/edited.jsonl")
log "edit the $EDITED spans of $LAST"
"$SPANDEX" import "$DATA" --workspace bench-0 "$TMP/edited.jsonl" >/dev/null || die "import failed"
log "the pass after the edits"
timed edits "$SPANDEX" erase "$DATA" --pending --verbose
log "a pass with nothing edited since"
timed idle2 "$SPANDEX" erase "$DATA" --pending --verbose
"$SPANDEX" verify "$DATA" >"$TMP/verify.out" 2>&1 || die "verify: $(cat "$TMP/verify.out")"
if { lines || true; } | grep -v '"name":"\[erased\]"' | grep -q "\"trace_id\":\"$TRACE\""; then
	die "a version of trace $TRACE is left"
fi
# Each span of the edited day once in its files: the older versions are gone.
TWICE=$( { zstd -dcqf "$DATA/bench-0/$LAST".jsonl* 2>/dev/null || true; } |
	sed -n 's/.*"span_id":"\([^"]*\)".*/\1/p' | sort | uniq -d | wc -l)
[ "$TWICE" -eq 0 ] || die "$TWICE spans of $LAST still have an older version"

echo "### erasure: $SPANS spans, $(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB of lines over 30 sealed days"
echo
echo "Load average before the first step: $LOAD (wall time includes waiting for a CPU)."
echo
echo "| step | wall s | CPU s | what it did |"
echo "|---|---|---|---|"
for step in trace pass1 session pass2 idle edits idle2; do
	case $step in
	trace) what="\`spandex erase --trace\`" ;;
	pass1) what="the pass after it" ;;
	session) what="\`spandex erase --session\`" ;;
	pass2) what="the pass after it" ;;
	idle) what="a pass with nothing pending" ;;
	edits) what="the pass after an edit of all $EDITED spans of $LAST" ;;
	idle2) what="a pass with nothing edited since" ;;
	esac
	echo "| $what | ${W[$step]} | ${C[$step]} | $(head -n 1 "$TMP/$step.out" | cut -c1-160) |"
done
