#!/usr/bin/env bash
# bench/seal_bench.sh: seal and backup throughput and the compression ratio of sealed shards
# (issue 5), through the spandex command line; prints a Markdown report on stdout (progress
# on stderr). Query latency on sealed shards is `bench/query_bench SPANS DIR ITER seal`.
#
#   bench/seal_bench.sh smoke [STORE]   a 20k-span store and a 5k-span mixed-text store (CI)
#   bench/seal_bench.sh full [STORE]    1M spans over 30 days, and 100k spans of mixed text
#
# STORE: a data directory to copy instead of generating the store with bench/gen (for
# instance /var/tmp/qb1m that bench/query_bench built; only its workspace directories are
# copied). Steps, each timed: `spandex backup` of the open store (a first, full generation);
# `spandex seal --older-than 0`; `spandex backup` of the sealed store into a new destination
# (full), then again (the second generation links the sealed days). A second store, of
# spans whose input and output are cut from real prose and C source (the word pool of
# bench/gen compresses far better than real text), is sealed for its ratio.
# Environment: as bench/lib.sh says (BENCH_BUILDDIR, BENCH_STORE as STORE, TMPDIR: the copies
# go there, about three times the store; BENCH_KEEP=1).
# No timing is checked: it fails only when a command fails.
set -euo pipefail

usage() { echo "usage: bench/seal_bench.sh smoke|full [STORE]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
case $1 in
smoke) SPANS=20000 MIX_SPANS=5000 ;;
full) SPANS=1000000 MIX_SPANS=100000 ;;
*) usage ;;
esac
BENCH_STORE=${2:-${BENCH_STORE:-}}
. "$(dirname "$0")/lib.sh"
bench_init seal
MIX=$TMP/mix
mkdir -p "$MIX"

now() { date +%s.%N; }
# bytes DIR...: the sum of the regular files' sizes under DIR (links counted once per name).
bytes() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / 1e6 / s : 0) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
group() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
# timed NAME CMD...: runs CMD (its stdout into $TMP/NAME.out), its seconds into T[NAME].
declare -A T
timed() {
	local name=$1 t0
	shift
	t0=$(now)
	"$@" >"$TMP/$name.out" || die "$* failed: $(cat "$TMP/$name.out")"
	T[$name]=$(secs "$t0" "$(now)")
}
# The fields of `spandex seal --verbose` and `spandex backup --verbose`.
# FIELD NAME: the FIELD-th number of the line in $TMP/NAME.out.
seal_field() { sed -n "s/^seal: \([0-9]*\) days\{0,1\}, \([0-9]*\) bytes into \([0-9]*\) (\([0-9.]*\)x).*/\\$1/p" "$TMP/$2.out"; }
backup_field() { sed -n "s/.*: \([0-9]*\) days copied (\([0-9]*\) bytes), \([0-9]*\) linked (\([0-9]*\) bytes).*/\\$1/p" "$TMP/$2.out"; }

# ---- the store ----
bench_store "$SPANS" 3
OPEN_BYTES=$(bytes "$DATA")
NSPANS=$(find "$DATA" -name '*.jsonl' -exec cat {} + | wc -l)

# ---- backups and the seal ----
log "backup of the open store"
timed b_open "$SPANDEX" backup "$DATA" "$TMP/backup-open" --verbose
log "seal --older-than 0"
timed seal "$SPANDEX" seal "$DATA" --older-than 0 --verbose
"$SPANDEX" verify "$DATA" >"$TMP/verify.out" || die "verify after the seal: $(head "$TMP/verify.out")"
SEALED_BYTES=$(bytes "$DATA")
log "backup of the sealed store: full, then incremental"
timed b_full "$SPANDEX" backup "$DATA" "$TMP/backup-sealed" --verbose
sleep 1 # generations are named by the second; a second one in the same second gets a suffix
timed b_incr "$SPANDEX" backup "$DATA" "$TMP/backup-sealed" --verbose

# ---- the mixed-text store: the same shapes, input and output cut from real text ----
# Printable ASCII only, so that no cut splits a UTF-8 sequence.
find "$SRC/lib" "$SRC/src" "$SRC/cgi-bin" "$SRC/docs" "$SRC/man" "$SRC/t/integration" \
	/usr/share/common-licenses -maxdepth 1 -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.md' -o -name '*.mjs' -o -name '*.[0-9]' -o \
	-path '/usr/share/common-licenses/*' \) -exec cat {} + 2>/dev/null |
	LC_ALL=C tr -cd '\11\12\40-\176' >"$TMP/corpus.txt"
log "mixed text: $MIX_SPANS spans, text cut from $(wc -c <"$TMP/corpus.txt") bytes of prose and C source"
"$GEN" "$MIX_SPANS" "$MIX" 1 1 "$TMP/corpus.txt" 2>/dev/null || die "bench/gen (mixed text) failed"
timed mix "$SPANDEX" seal "$MIX" --older-than 0 --verbose

# ---- report ----
row_seal() { # NAME LABEL
	local in out
	in=$(seal_field 2 "$1") out=$(seal_field 3 "$1")
	printf '| %s | %s | %s | %s | %sx | %s | %s |\n' "$2" "$(seal_field 1 "$1")" "$(group "$in")" \
		"$(group "$out")" "$(seal_field 4 "$1")" "${T[$1]}" "$(mbs "$in" "${T[$1]}")"
}
row_backup() { # NAME LABEL STORE_BYTES
	printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "$(group "$3")" "${T[$1]}" \
		"$(mbs "$3" "${T[$1]}")" "$(group "$(backup_field 2 "$1")") ($(backup_field 1 "$1") days)" \
		"$(group "$(backup_field 4 "$1")") ($(backup_field 3 "$1") days)"
}
COMMIT=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo unknown)
cat <<EOF
### \`bench/seal_bench.sh $1${BENCH_STORE:+ $BENCH_STORE}\`

Commit $COMMIT, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; warm page cache.
Store: $(group "$NSPANS") spans of bench/gen (3 workspaces, 30 days), $(group "$OPEN_BYTES") bytes open, $(group "$SEALED_BYTES") bytes sealed (all files).

**Seal** (\`spandex seal DATA --older-than 0\`; MB/s = stream bytes / seconds):

| store | days | stream bytes | .jsonl.zst bytes | ratio | s | MB/s |
|---|---|---|---|---|---|---|
EOF
row_seal seal "bench/gen (word pool)"
row_seal mix "bench/gen, text cut from prose and C source ($(group "$MIX_SPANS") spans, 1 workspace)"
cat <<EOF

**Backup** (\`spandex backup DATA DEST\`, every file fsync'd; MB/s = store bytes / seconds):

| backup | store bytes | s | MB/s | line bytes copied | line bytes linked |
|---|---|---|---|---|---|
EOF
row_backup b_open "open store, first generation" "$OPEN_BYTES"
row_backup b_full "sealed store, first generation" "$SEALED_BYTES"
row_backup b_incr "sealed store, second generation" "$SEALED_BYTES"
