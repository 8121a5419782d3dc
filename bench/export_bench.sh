#!/usr/bin/env bash
# bench/export_bench.sh: an export of a whole workspace in each format (issue 56), by `spandex
# export` and by the spans program's GET spans/export run as plain CGI (the worker a viewer's
# Export button reaches): wall and CPU seconds, and the peak resident memory of the process
# (/usr/bin/time -v, "Maximum resident set size"), which must stay under 64 MB whatever the
# count; prints a Markdown table on stdout (progress on stderr).
#
#   bench/export_bench.sh smoke      20,000 spans (CI, `make bench-smoke`)
#   bench/export_bench.sh full       1,000,000 spans (BENCHMARKS.md)
#   bench/export_bench.sh SPANS      any other size
#
# The store is made by bench/gen (one workspace, 30 days) and read once before each timed step,
# so every figure is from the page cache; the export goes to /dev/null. Environment: as
# bench/lib.sh says (BENCH_BUILDDIR, where cgi-bin/spans was built too; BENCH_SPANDEX,
# BENCH_STORE, TMPDIR, BENCH_KEEP=1). No timing is checked: it fails
# when a command fails, or when a process passes EXPORT_MAX_RSS_KB (64 MB).
set -euo pipefail

usage() { echo "usage: bench/export_bench.sh smoke|full|SPANS" >&2; exit 2; }
[ $# -eq 1 ] || usage
case $1 in
smoke) SPANS=20000 ;;
full) SPANS=1000000 ;;
*[!0-9]* | '') usage ;;
*) SPANS=$1 ;;
esac
EXPORT_MAX_RSS_KB=65536

. "$(dirname "$0")/lib.sh"
bench_init export
CGI=$B/cgi-bin/spans WS=bench-0
for prog in "$CGI" /usr/bin/time; do
	[ -x "$prog" ] || die "$prog is not there: run make first (apt-get install time)"
done

# timed NAME CMD...: runs CMD under /usr/bin/time -v (its output to /dev/null, counted); wall,
# CPU seconds, peak RSS (KB) and bytes written into W, C, R and N.
declare -A W C R N
timed() {
	local name=$1
	shift
	bench_warm
	/usr/bin/time -v -o "$TMP/$name.time" "$@" 2>"$TMP/$name.err" | wc -c >"$TMP/$name.bytes" ||
		die "$* failed: $(cat "$TMP/$name.err")"
	grep -q 'Exit status: 0' "$TMP/$name.time" || die "$* failed: $(cat "$TMP/$name.err" "$TMP/$name.time")"
	W[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$TMP/$name.time")
	C[$name]=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$TMP/$name.time")
	R[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/$name.time")
	N[$name]=$(cat "$TMP/$name.bytes")
	[ "${R[$name]}" -le "$EXPORT_MAX_RSS_KB" ] || die "$name: peak RSS ${R[$name]} KB, over $EXPORT_MAX_RSS_KB KB"
}
# The spans program as CGI, as nginx's fastcgi_params would call it for GET q: the command.
cgi() {
	echo env -i PATH="$PATH" SPANDEX_DATA="$DATA" REQUEST_METHOD=GET SCRIPT_NAME= \
		PATH_INFO="/apis/intake/v2/workspaces/$WS/spans/export" QUERY_STRING="$1" \
		REQUEST_URI="/apis/intake/v2/workspaces/$WS/spans/export?$1" "$CGI"
}

bench_store "$SPANS" 1
"$SPANDEX" index "$DATA" >/dev/null || die "spandex index failed"
BYTES=$(find "$DATA" -name '*.jsonl' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

for fmt in jsonl otlp-json csv; do
	log "spandex export --format $fmt"
	timed "cli-$fmt" "$SPANDEX" export "$DATA" --workspace "$WS" --format "$fmt"
	log "GET spans/export?format=$fmt (CGI)"
	# shellcheck disable=SC2046 # the words of the command
	timed "cgi-$fmt" $(cgi "format=$fmt&sort=started_at")
done
log "spandex export --format csv --filter status=error --search weather"
timed cli-filtered "$SPANDEX" export "$DATA" --workspace "$WS" --format csv --filter status=error --search weather

echo "### export: $SPANS spans, $(awk -v b="$BYTES" 'BEGIN { printf "%.0f", b / 1e6 }') MB of lines"
echo
echo "Load average before the first step: $LOAD. Peak RSS is the process's; each must stay"
echo "under $((EXPORT_MAX_RSS_KB / 1024)) MB."
echo
echo "| export | MB out | wall s | CPU s | spans/s (wall) | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for step in cli-jsonl cgi-jsonl cli-otlp-json cgi-otlp-json cli-csv cgi-csv cli-filtered; do
	case $step in
	cli-filtered) what="\`spandex export --format csv --filter status=error --search weather\`" ;;
	cli-*) what="\`spandex export --format ${step#cli-}\`" ;;
	cgi-*) what="GET spans/export?format=${step#cgi-} (CGI)" ;;
	esac
	echo "| $what | $(awk -v b="${N[$step]}" 'BEGIN { printf "%.0f", b / 1e6 }') | ${W[$step]} | ${C[$step]} | $(awk -v n="$SPANS" -v s="${W[$step]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }') | $(awk -v k="${R[$step]}" 'BEGIN { printf "%.1f", k / 1024 }') |"
done
