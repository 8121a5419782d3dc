#!/bin/bash
# same_bytes.sh A B [WORK]: the same posts through build A's and build B's programs as CGI,
# under one faked clock, and their data directories compared byte for byte (lines, .idx, tail
# segments, tables, journal), again after each build's `spandex index` (the .tix), and
# `spandex verify` on both. For a change to ingest that must store the same bytes (issue 57's
# goal 3). A and B are built trees (cgi-bin/ingest, cgi-bin/opik, src/spandex); the posts are
# bench/same_bytes.mjs's and bench/ingest.mjs's four bench batches of 1,000 spans. Run it once
# plainly and once with SPANDEX_REDACT=$PWD/bench/redact20.rules and
# SPANDEX_REDACT_KEY=bench-redaction-key-0123456789 in the environment (an absolute path). Needs faketime
# and unshare (root); exit status 0 when every comparison is equal.
set -euo pipefail
A=$(cd "$1" && pwd)
B=$(cd "$2" && pwd)
W=${3:-$(mktemp -d /var/tmp/same_bytes.XXXXXX)}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CLOCK='2026-11-27 01:00:00'
mkdir -p "$W/posts"
node "$SRC/bench/same_bytes.mjs" "$W/posts"
n=$(wc -l <"$W/posts/list")
for kind in make make-otlp make-otlp-json make-opik; do
	f=$(printf '%02d' "$n")
	node "$SRC/bench/ingest.mjs" --$kind 200 |
		sed 's/~~~~~~~~/0000abcd/g; s/@@@@-@@-@@/2026-11-26/g' >"$W/posts/$f.body"
	case $kind in
	make) echo "$f ingest POST /apis/intake/v2/workspaces/bench/ingest/spans application/json" ;;
	make-otlp) echo "$f ingest POST /apis/intake/v2/workspaces/bench/ingest/otlp/v1/traces application/x-protobuf" ;;
	make-otlp-json) echo "$f ingest POST /apis/intake/v2/workspaces/bench/ingest/otlp/v1/traces application/json" ;;
	make-opik) echo "$f opik POST /api/v1/private/spans/batch application/json" ;;
	esac >>"$W/posts/list"
	n=$((n + 1))
done

# post BUILD DATA: every post of the list through BUILD's programs, each reply's status kept.
post() {
	local build=$1 data=$2
	rm -rf "$data"
	mkdir -p "$data"
	while read -r f prog method uri type; do
		env REQUEST_METHOD="$method" CONTENT_TYPE="$type" \
			CONTENT_LENGTH="$(stat -c %s "$W/posts/$f.body")" REQUEST_URI="$uri" \
			HTTP_COMET_WORKSPACE=default SPANDEX_DATA="$data" \
			"$build/cgi-bin/$prog" <"$W/posts/$f.body" | head -1 | tr -d '\r' | sed "s/^/$f /"
	done <"$W/posts/list"
}
export -f post
export W
status=0
for side in A B; do
	build=${!side}
	unshare -pf --mount-proc faketime -f "$CLOCK" bash -c "post $build $W/data.$side" >"$W/replies.$side"
done
diff "$W/replies.A" "$W/replies.B" || status=1
grep -v ' Status: 20[0-9]' "$W/replies.A" && { echo "a post was refused"; status=1; }
diff -r "$W/data.A" "$W/data.B" && echo "equal after ingest: $(find "$W/data.A" -type f | wc -l) files" || status=1
for side in A B; do
	build=${!side}
	unshare -pf --mount-proc faketime -f "$CLOCK" "$build/src/spandex" index "$W/data.$side" \
		>/dev/null
done
diff -r "$W/data.A" "$W/data.B" && echo "equal after index: $(find "$W/data.A" -name '*.tix' | wc -l) .tix" || status=1
for side in A B; do
	build=${!side}
	"$build/src/spandex" verify "$W/data.$side" >"$W/verify.$side" 2>&1 ||
		{ echo "verify $side failed"; cat "$W/verify.$side"; status=1; }
done
echo "work: $W"
exit $status
