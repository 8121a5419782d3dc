#!/usr/bin/env bash
# bench/compare.sh: issue 57's comparison at one size, one command: the same spans in spandex
# (over HTTP through nginx, fresh, indexed and sealed), SQLite (in-process, one index per access
# path), DuckDB (in-process), PostgreSQL (a server started by bench/pg_bench.mjs on loopback,
# btree and trigram indexes) and ripgrep (over the JSONL), the nine queries of the issue: get
# span, list page 1 with total, model+status with total, one trace's spans, groups by trace,
# traces page detailed, get trace, get session, a quoted phrase. Prints each engine's table in
# turn (Markdown) on stdout, progress on stderr.
#
#   bench/compare.sh smoke|200k|1m|5m|SPANS [DIR]
#
# smoke is 5,000 spans and 3 requests a query (CI: PostgreSQL is skipped where it is not
# installed, and says so). The spans: `bench/query_bench SPANS DIR 1 load` over QB_DAYS=7 days,
# inputs and outputs of 200 to GEN_TEXT_MAX=1000 bytes (lines of about 2.1 KB; the default
# 4,000 would make 5M spans 24 GB in spandex and 28 GB again in SQLite), each trace a batch, the
# load run under nice. Then, timed: fresh (as ingest leaves it) `query_http.mjs --sqlite`
# (spandex against SQLite, alternated), `rg`, DuckDB; `spandex index`, indexed; `spandex seal
# --older-than 0`, sealed, `rg -z`; PostgreSQL last (its load is a durable COPY, then the
# trigram index; PG_TRGM=0 leaves that out). DIR: a store kept and reused (loaded when it has
# no bench.sqlite; indexed and sealed in place, so a second run finds it sealed); without it a
# scratch directory under TMPDIR, deleted at the end (BENCH_KEEP=1 keeps it). Disk at 5M:
# 10.2 GB of store (2.5 sealed), 14.0 GB of SQLite, then 8.9 GB of PostgreSQL and 2.1 GB of its
# WAL beside them, about 35 GB; the load about 40 minutes and PostgreSQL's COPY 18 on this
# 2-CPU machine (its trigram index another hour: PG_TRGM=0 at 5M). Environment as
# bench/lib.sh (BENCH_BUILDDIR), COMPARE_REQUESTS (requests a query; default 50, smoke 3).
# No timing is checked: it fails only when a command fails.
set -euo pipefail

usage() { echo "usage: bench/compare.sh smoke|200k|1m|5m|SPANS [DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
N=${COMPARE_REQUESTS:-50}
case $1 in
smoke) SPANS=5000 N=${COMPARE_REQUESTS:-3} ;;
200k) SPANS=200000 ;;
1m) SPANS=1000000 ;;
5m) SPANS=5000000 ;;
*[!0-9]* | '') usage ;;
*) SPANS=$1 ;;
esac
. "$(dirname "$0")/lib.sh"
bench_init compare
STORE=${2:-$DATA}
export GEN_TEXT_MAX=${GEN_TEXT_MAX:-1000} QB_DAYS=${QB_DAYS:-7}
export SPANDEX_BUILDDIR=$B TMPDIR=$TMP
chmod a+x "$TMP" # as root, pg_bench.mjs runs the server as postgres, in a directory under it
# The nine queries, by query_bench's names (QB_ONLY of duckdb_bench.mjs and pg_bench.mjs).
export QB_ONLY='get span,spans p1,spans model+status,spans trace_id,groups trace_id,traces p1 detailed,get trace,get session,phrase rare'
PHRASE='agent calls a tool'

# rg_p50 [-z]: p50 ms of 5 runs of `rg -c -i -F PHRASE` over bench-0's open lines (with -z, its
# sealed files), after one warm-up, as query_bench's time_rg.
rg_p50() {
	local glob='*.jsonl' i t0 ms=()
	[ "${1:-}" != -z ] || glob='*.jsonl.zst'
	command -v rg >/dev/null || { echo "not installed"; return; }
	rg ${1:+"$1"} -c -i -F --glob "$glob" -- "$PHRASE" "$STORE/bench-0" >/dev/null || true
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		rg ${1:+"$1"} -c -i -F --glob "$glob" -- "$PHRASE" "$STORE/bench-0" >/dev/null || true
		ms+=($((($(date +%s%N) - t0) / 1000)))
	done
	printf '%s\n' "${ms[@]}" | sort -n | sed -n 3p | awk '{ printf "%.1f ms", $1 / 1000 }'
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

echo "# bench/compare.sh $1: $SPANS spans, GEN_TEXT_MAX=$GEN_TEXT_MAX, QB_DAYS=$QB_DAYS, $N requests a query, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
if [ ! -e "$STORE/bench.sqlite" ]; then
	log "loading $SPANS spans into the store and SQLite (nice)"
	t=$(now)
	nice -n 10 "$B/bench/query_bench" "$SPANS" "$STORE" 1 load >/dev/null
	echo "load (store and SQLite, nice): $(since "$t")"
fi
echo "store $(du -sm "$STORE" --exclude=bench.sqlite\* | cut -f1) MB, SQLite $(du -cm "$STORE"/bench.sqlite* | tail -1 | cut -f1) MB"

echo; echo "## fresh (never indexed)"
node "$SRC/bench/query_http.mjs" "$STORE" bench-0 "$N" --sqlite
echo "rg -c -i -F \"$PHRASE\" over bench-0's lines: $(rg_p50)"
echo; echo "## DuckDB (in-process, bench-0 loaded into memory)"
node "$SRC/bench/duckdb_bench.mjs" "$STORE" bench-0 "$N"

echo; echo "## indexed"
t=$(now)
"$B/src/spandex" index "$STORE" >/dev/null
echo "spandex index: $(since "$t")"
node "$SRC/bench/query_http.mjs" "$STORE" bench-0 "$N" --sqlite

echo; echo "## sealed"
t=$(now)
"$B/src/spandex" seal "$STORE" --older-than 0 >/dev/null
echo "spandex seal --older-than 0: $(since "$t"); store $(du -sm "$STORE" --exclude=bench.sqlite\* | cut -f1) MB"
node "$SRC/bench/query_http.mjs" "$STORE" bench-0 "$N" --sqlite
echo "rg -z -c -i -F \"$PHRASE\" over bench-0's sealed files: $(rg_p50 -z)"

echo; echo "## PostgreSQL"
node "$SRC/bench/pg_bench.mjs" "$STORE" "$N"
