#!/bin/sh
# store_layers: lib/store's private headers are included only inside lib/store, and each of
# its files includes only the headers of files below it (docs/ARCHITECTURE.md, "The store's
# files"), so that its calls go one way.
set -eu
src=${SPANDEX_SRCDIR:-$(dirname "$0")/..}
order="io mapcache frames layout media record sealed lines shard wordmask words postings words_render words_ctx words_read words_merge keymap counts idstr lists keytable sup snap writeset tailseg tailpart tailread tailphrase tailtext tailindex dayindex_file dayindex dayindex_check index tailscan journal quarantine rebuild reindex settle read refused write update seal verify opsfs mediagc ops cut backup restore rules erase erase_pass commits forward"
fail=0

rank() {
	i=0
	for m in $order; do
		if [ "$m" = "$1" ]; then
			echo $i
			return
		fi
		i=$((i + 1))
	done
	echo -1
}

outside=$(grep -rn --include='*.c' --include='*.h' '#include "lib/store/' \
	"$src/lib" "$src/src" "$src/cgi-bin" "$src/bench" "$src/t" |
	grep -v "^$src/lib/store/" | grep -v 'lib/store/store\.h"' | grep -v 'lib/store/ops\.h"' || true)
if [ -n "$outside" ]; then
	echo "a private header of lib/store used outside it:"
	echo "$outside"
	fail=1
fi

for f in "$src"/lib/store/*.c "$src"/lib/store/*.h; do
	m=$(basename "$f")
	m=${m%.*}
	r=$(rank "$m")
	for inc in $(sed -n 's|^#include "lib/store/\(.*\)\.h".*|\1|p' "$f"); do
		case $inc in store | ops | "$m") continue ;; esac
		ri=$(rank "$inc")
		if [ "$r" -lt 0 ] || [ "$ri" -lt 0 ] || [ "$ri" -ge "$r" ]; then
			echo "$f includes lib/store/$inc.h: not a file below it"
			fail=1
		fi
	done
done
exit $fail
