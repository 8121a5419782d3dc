#!/bin/sh
# layers: the folders' calls go one way, top to bottom (docs/ARCHITECTURE.md, "Layers").
# 1. No file includes the header of a folder above its own (nor of a sibling surface), and
#    lib/http none of lib/store or lib/query (it knows requests; req->app is opaque to it).
# 2. No library of lib/ leaves undefined a symbol that only a library above it (or a sibling
#    surface) defines: a static library is searched only for what the ones before it on the
#    link line still need, so such a call would link only by luck of the order.
# 3. Every global symbol of a library starts with its module's prefix (STYLE.md 3).
# 4. nginx/programs, the one list of the programs, names exactly the mains of cgi-bin/ and the
#    fcgi_PROGRAMS of Makefile.am, and everything else reads it (a new program is one line of
#    it): no generator (the nginx and Apache configurations, the scaling front, make install's
#    units, debian/rules, ./bootstrap run, the test harness and the golden runners) names a
#    program by hand, as its binary, socket or unit, a quoted name or a front's header; .gitignore
#    ignores each program by a pattern; each t/golden/<program>/ has its cases in
#    t/golden_cases.mjs' GOLDEN (run by t/cgi/golden.test.mjs for each program that has them)
#    and its nginx tier t/integration/<program>_golden.test.mjs.
# 5. Every write of a surface goes through lib/ingest, the one step that redacts what is
#    stored (lib/ingest/ingest.h, issue 52): no library above it calls the store's writes.
# 6. No API's name below lib/api (issue 53): the code of lib/model, lib/query, lib/store,
#    lib/ingest, lib/auth, lib/ship, lib/s3 and lib/http (comments and strings left out: a
#    spec is cited, an attribute of the OTel conventions is data) names no API; a surface
#    hands its data down.
# 7. A folder's private header (*_int.h: what the files of one concern share, such as Opik's
#    filters/filter_int.h) is included only by the files of its own folder, sub-folders
#    counted apart (lib/api/opik/filters/ is not lib/api/opik/).
# 8. The query engine asks a day's indexes as one (store_index_*, lib/store/store.h): lib/query
#    calls none of their parts (store_dayindex_* but the column's name and hash, store_tailindex_*).
# 9. Each program's routes name their workspace in C (its dialect) where the workspace column of
#    nginx/programs says, the paths of nginx/programs sending each route to its own program.
set -eu
src=${SPANDEX_SRCDIR:-$(dirname "$0")/..}
build=$(cd "${SPANDEX_BUILDDIR:-.}" && pwd)
fail=0

# Rank of a folder, top (cgi-bin) = 0; the link order of Makefile.am. lib/api/common is what
# every surface shares, below them all (a surface uses no sibling, but it). In awk, one process
# for every include and call (a shell function a pair took minutes of forks on a busy machine):
# folder(path) is the layer of a path below the source tree (lib/api/<surface>, lib/<x>,
# cgi-bin, src); may_use(a, b) whether folder a may use folder b.
layers_awk='
function rank(d) {
	if (d == "cgi-bin" || d == "src") return 0
	if (d == "lib/api/common") return 2
	if (d ~ /^lib\/api\//) return 1
	if (d == "lib/http") return 3
	if (d == "lib/ship") return 4
	if (d == "lib/auth") return 5
	if (d == "lib/ingest") return 6
	if (d == "lib/redact") return 7
	if (d == "lib/query") return 8
	if (d == "lib/store") return 9
	if (d == "lib/model") return 10
	if (d == "lib/json") return 11
	if (d == "lib/s3") return 12
	if (d == "lib/base") return 13
	return -1
}
function folder(p,   n, q) {
	n = split(p, q, "/")
	if (p ~ /^lib\/api\//) return q[1] "/" q[2] "/" q[3]
	if (p ~ /^lib\//) return q[1] "/" q[2]
	return q[1]
}
function may_use(a, b,   r1, r2) {
	if (a == b) return 1
	r1 = rank(a); r2 = rank(b)
	if (r1 < 0 || r2 < 0) return 0
	# The operator CLI uses lib/ingest and below, never lib/http or a surface.
	if (a == "src" && r2 <= 3) return 0
	# lib/http knows requests, not the store nor the engine: a surface hands them to its
	# handlers through req->app (lib/api/common, issue 53).
	if (a == "lib/http" && (b == "lib/store" || b == "lib/query")) return 0
	return r2 > r1
}'

cd "$src"
listed=$(awk '!/^[ \t]*(#|$)/ { print $1 }' nginx/programs | sort | tr '\n' ' ')
mains=$(for f in cgi-bin/*.c; do basename "$f" .c; done | sort | tr '\n' ' ')
# Every fcgi_PROGRAMS = or += (one block per surface), with its continued lines.
built=$(awk '/^fcgi_PROGRAMS *[+]?=/ { on = 1 } on { print; if ($0 !~ /\\$/) on = 0 }' Makefile.am |
	tr ' \t\\' '\n\n\n' |
	sed -n 's|^cgi-bin/||p' | sort | tr '\n' ' ')
if [ "$listed" != "$mains" ] || [ "$listed" != "$built" ]; then
	echo "nginx/programs lists '$listed'; cgi-bin/ has '$mains'; Makefile.am's fcgi_PROGRAMS '$built'"
	fail=1
fi
# The generators, their comments left out (they may name an example). Makefile.am's blocks of
# the surfaces name their programs (fcgi_PROGRAMS, _LDADD): that is the program's code.
generators="nginx/genconf nginx/programs.awk nginx/spandex.conf.in nginx/spandex-locations.conf.in
	nginx/spandex-front.conf.in nginx/spandex-ui.conf.in apache/genconf apache/spandex-cgi.conf.in
	apache/spandex-fcgi.conf.in apache/spandex-shared.conf.in apache/spandex-ui.conf.in bootstrap
	debian/rules systemd/spandex.service.in systemd/spandex.socket.in t/harness.mjs t/apache.mjs
	t/cgi/golden.test.mjs t/cgi.sh t/integration.sh Makefile.am"
progs=$(echo $listed | tr ' ' '|')
for f in $generators; do
	[ -f "$f" ] || continue
	grep -n -w -E "cgi-bin/($progs)|($progs)\.(sock|pid)|spandex-($progs)(\.socket|\.service|/)?|'($progs)'|\"($progs)\"" "$f" |
		grep -v -E '^[0-9]+:([[:space:]]*(#|//|\*|/\*)|(fcgi_PROGRAMS|cgi_bin_[a-z_]+_LDADD) )' |
		sed "s|^|$f names a program by hand (read nginx/programs): |"
done >"${TMPDIR:-/tmp}/layers.gen.$$"
# The front's workspace of a request is the workspace column's: its template reads no header.
grep -v -E '^[[:space:]]*#' nginx/spandex-front.conf.in | grep '\$http_' |
	sed 's|^|nginx/spandex-front.conf.in reads a header by hand (the workspace column of nginx/programs): |' \
	>>"${TMPDIR:-/tmp}/layers.gen.$$"
if [ -f .gitignore ]; then
	grep -n -E '^!?/?cgi-bin/[A-Za-z0-9_-]+$' .gitignore |
		sed 's|^|.gitignore names a program by hand (/cgi-bin/* ignores them all): |'
	grep -q -x '/cgi-bin/\*' .gitignore || echo ".gitignore does not ignore the programs, /cgi-bin/*"
fi >>"${TMPDIR:-/tmp}/layers.gen.$$"
for d in t/golden/*/; do
	d=$(basename "$d")
	case " $listed " in *" $d "*) ;; *) continue ;; esac
	grep -q -E "^[[:space:]]+$d: \{ fixtures" t/golden_cases.mjs ||
		echo "t/golden/$d: no set of cases in t/golden_cases.mjs' GOLDEN"
	[ -f "t/integration/${d}_golden.test.mjs" ] || echo "t/golden/$d: no t/integration/${d}_golden.test.mjs"
done >>"${TMPDIR:-/tmp}/layers.gen.$$"
for f in t/integration/*_golden.test.mjs; do
	d=$(basename "$f" _golden.test.mjs)
	[ -d "t/golden/$d" ] && case " $listed " in *" $d "*) true ;; *) false ;; esac ||
		echo "$f: no program $d of nginx/programs with golden files t/golden/$d"
done >>"${TMPDIR:-/tmp}/layers.gen.$$"
if [ -s "${TMPDIR:-/tmp}/layers.gen.$$" ]; then
	cat "${TMPDIR:-/tmp}/layers.gen.$$"
	fail=1
fi
rm -f "${TMPDIR:-/tmp}/layers.gen.$$"
# 1. Includes: "file:#include "lib/..."" for every file, judged in one awk.
find cgi-bin src lib -name '*.[ch]' | sort | xargs grep -H '^#include "lib/' |
	awk "$layers_awk"'
	{
		f = substr($0, 1, index($0, ":") - 1)
		inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
		if (!may_use(folder(f), folder(inc))) {
			print f " includes " inc ": " folder(inc) " is not below " folder(f)
			bad = 1
		}
	}
	END { exit bad }' || fail=1

# 7. Private headers stay in their folder.
for f in $(find cgi-bin src lib t bench -name '*.[ch]' | sort); do
	for inc in $(sed -n 's|^#include "\(lib/[^"]*_int\.h\)".*|\1|p' "$f"); do
		if [ "$(dirname "$f")" != "$(dirname "$inc")" ]; then
			echo "$f includes $inc: a private header of another folder"
			fail=1
		fi
	done
done

# 6. API names in identifiers below lib/api: none (a surface's name for itself, its views of
# the judgements and its columns are its own folder's, handed down as data).
api_words='opik|sgp|egp|langfuse|intake|nemo|mcp'
# One preprocessor for all the files: its line markers say whose lines follow.
find lib/model lib/query lib/store lib/ingest lib/auth lib/ship lib/s3 lib/http -name '*.[ch]' | sort |
	xargs ${CC:-cc} -fpreprocessed -dD -E 2>/dev/null |
	awk -v words="$api_words" '
	/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); next }
	{
		line = $0
		gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
		n = split(line, w, /[^A-Za-z0-9_]+/)
		for (i = 1; i <= n; i++)
			if (tolower(w[i]) ~ "(^|_)(" words ")(_|$)")
				print f " names an API in code: " w[i] " (a surface hands its data down: issue 53)"
	}' | sort -u >"${TMPDIR:-/tmp}/layers.api.$$"
if [ -s "${TMPDIR:-/tmp}/layers.api.$$" ]; then
	cat "${TMPDIR:-/tmp}/layers.api.$$"
	fail=1
fi
rm -f "${TMPDIR:-/tmp}/layers.api.$$"

# 9. The workspace column of nginx/programs is where each program's routes name their
# workspace in C (http_routes_print: `cgi-bin/<program> --routes`, its route table and its
# dialect's ws_header, ws_from and ws_from_key): each route goes, by the first path of
# nginx/programs that matches it (a {workspace} or {id} segment made a word), to its own
# program, which names its workspace there as the column says (a header's name in any case).
# The scaling front places every request by that column (docs/scaling.md). Without a build,
# not checked.
if [ -x "$build/cgi-bin/$(echo $listed | cut -d' ' -f1)" ]; then
	for p in $listed; do
		if out=$("$build/cgi-bin/$p" --routes) && [ -n "$out" ]; then
			printf '%s\n' "$out" | sed "s|^|$p	|"
		else
			echo "$p	printed no routes"
		fi
	done >"${TMPDIR:-/tmp}/layers.routes.$$"
	awk -v programs=nginx/programs -v shapes=nginx/shapes "$(cat nginx/programs.awk)"'
	BEGIN { FS = "\t"; if (!load_programs(programs)) exit 2 }
	NF != 4 { print "cgi-bin/" $1 " --routes: " $0; next }
	{
		path = $3
		gsub(/\{workspace\}|\{id2?\}/, "w", path)
		for (r = 1; r <= nroute && path !~ route[r]; r++)
			;
		what = "cgi-bin/" $1 " " $2 " " $3
		if ($4 ~ /(^|,)(hook|key)(,|$)/)
			print what ": names its workspace by " $4 ", which no front reads (lib/http/http.h, http_routes_print)"
		else if (r > nroute)
			print what ": no path of nginx/programs matches it"
		else if (rprog[r] != $1)
			print what ": nginx/programs sends it to " rprog[r] " (" route[r] ")"
		else if (tolower(rws[r]) != tolower($4))
			print what ": its workspace is " $4 " in C, " rws[r] " in nginx/programs (" route[r] ")"
	}' "${TMPDIR:-/tmp}/layers.routes.$$" >"${TMPDIR:-/tmp}/layers.ws.$$" || fail=1
	if [ -s "${TMPDIR:-/tmp}/layers.ws.$$" ]; then
		cat "${TMPDIR:-/tmp}/layers.ws.$$"
		fail=1
	fi
	rm -f "${TMPDIR:-/tmp}/layers.routes.$$" "${TMPDIR:-/tmp}/layers.ws.$$"
else
	echo "layers: no programs built under $build: their workspaces not checked against nginx/programs"
fi
cd - >/dev/null

# The libraries, by folder. Without a build (nm, or the .a files) only the includes are checked.
libs=""
for d in lib/base lib/s3 lib/json lib/model lib/store lib/query lib/redact lib/ingest lib/auth lib/ship lib/http \
	$(cd "$src" && ls -d lib/api/*/); do
	d=${d%/}
	a=$(ls "$build/$d"/lib*.a 2>/dev/null | head -n 1 || true)
	[ -n "$a" ] && libs="$libs $d=$a"
done
if [ -z "$libs" ] || ! command -v nm >/dev/null; then
	echo "layers: no libraries built under $build (or no nm): calls and symbols not checked"
	exit $fail
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for la in $libs; do
	d=${la%%=*}
	a=${la#*=}
	# "folder object symbol" for every global definition (not the compiler's own, such as
	# ASan's __odr_asan.*); "folder symbol" for every undefined.
	nm -A -g --defined-only "$a" 2>/dev/null |
		awk -v d="$d" 'NF == 3 && $2 ~ /[TDBR]/ && $3 !~ /^__/ { n = split($1, p, ":"); print d, p[n - 1], $3 }' \
			>>"$tmp/defs"
	nm -g --undefined-only "$a" 2>/dev/null | awk -v d="$d" 'NF == 2 { print d, $2 }' >>"$tmp/undefs"
done

# 2. Calls: an undefined symbol of a library, defined in another library it may not use.
awk 'NR == FNR { own[$3] = own[$3] " " $1; next }
	$2 in own { n = split(own[$2], o, " "); for (i = 1; i <= n; i++) if (o[i] != $1) print $1, o[i], $2 }' \
	"$tmp/defs" "$tmp/undefs" | sort -u >"$tmp/calls"
awk "$layers_awk"'
	!may_use($1, $2) { print $1 " calls " $3 ", which " $2 " defines: " $2 " is not below " $1; bad = 1 }
	END { exit bad }' "$tmp/calls" || fail=1

# 3. Prefixes. A module's prefix is its file's name (record.c: record_ or rec_), its folder's
# (lib/store: store_, the public API of store.h; lib/query: query_, that of query.h; lib/ship:
# ship_, that of ship.h; lib/s3: s3_, that of s3.h;
# lib/api/intake: intake_ only, where a surface is one module) or an alias its header names:
# the exceptions kept on purpose.
#   mem.c     xmalloc & co.: the usual names of "allocation that cannot fail" (mem.h)
#   status.c  err_ (struct err) and status_ (the enum): the two things status.h owns
#   verr.c    verrs_ (struct verrs)      price.c   prices_ (struct prices)
#   vschema.c vs_ (struct vs_field)      record.c  rec_
#   opsfs.c, mediagc.c, backup.c, restore.c, cut.c  ops_: the module of ops.h, in six files
#   otlp_util.c  otlp_: the helpers every file of the OTLP decoder shares (otlp_int.h)
#   words_read.c, words_merge.c  words_: the reading half of words.h's dictionary (words.c
#                 builds it), and tail sections merged into a build
#   lib/redact   redact_ only: one module (redact.h) in four files, private internal.h between them
#   fields.c     span_: the storage of the span's field table (fields.h), the Span's own
#   lib/api/common  api_: what every surface shares (api.h), named for no one surface
# Generated protobuf-c code (otlp__) keeps protoc-c's names.
# Symbols still waiting for the rename of /tmp/renames.sh (issue 9): emptied when it runs.
pending=""
while read -r d obj sym; do
	m=${obj%.o}
	surface=${d##*/}
	ok=0
	case $d in
	lib/api/common) prefixes="api_" ;;
	lib/api/* | lib/http | lib/auth) prefixes="${surface}_" ;;
	lib/store) prefixes="${m}_ store_" ;;
	lib/query) prefixes="${m}_ query_" ;;
	lib/redact) prefixes="redact_" ;;
	lib/ship) prefixes="${m}_ ship_" ;;
	lib/s3) prefixes="${m}_ s3_" ;;
	*) prefixes="${m}_" ;;
	esac
	case $m in
	mem) prefixes="$prefixes x" ;;
	status) prefixes="$prefixes err_ status_" ;;
	verr) prefixes="$prefixes verrs_" ;;
	price) prefixes="$prefixes prices_" ;;
	vschema) prefixes="$prefixes vs_" ;;
	record) prefixes="$prefixes rec_" ;;
	opsfs | mediagc | backup | restore | cut) prefixes="$prefixes ops_" ;;
	otlp_util) prefixes="$prefixes otlp_" ;;
	catalog_kind | catalog_context | catalog_value | catalog_object | catalog_rows) prefixes="$prefixes catalog_" ;;
	fields) prefixes="$prefixes span_" ;;
	words_read | words_merge) prefixes="$prefixes words_" ;;
	*.pb-c) prefixes="otlp__" ;;
	esac
	[ "$sym" = "$m" ] && ok=1
	for p in $prefixes; do
		case $sym in "$p"*) ok=1 ;; esac
	done
	for p in $pending; do
		[ "$sym" = "$p" ] && ok=1
	done
	if [ $ok = 0 ]; then
		echo "$d/$m: $sym does not start with its module's prefix ($prefixes)"
		echo x >>"$tmp/prefail"
	fi
done <"$tmp/defs"
[ -f "$tmp/prefail" ] && fail=1

# 5. The store's writes, called from above lib/ingest.
while read -r d sym; do
	case $sym in store_append | store_update | store_put_judgements | store_update_judgements) ;;
	*) continue ;;
	esac
	case $d in lib/api/* | lib/http | lib/auth)
		echo "$d calls $sym: a surface writes through lib/ingest (ingest_store, ingest_update ...), which redacts"
		fail=1
		;;
	esac
done <"$tmp/undefs"

# 8. The parts of a day's indexes, called from lib/query.
while read -r d sym; do
	[ "$d" = lib/query ] || continue
	case $sym in store_dayindex_col_of | store_dayindex_hash) ;;
	store_dayindex_* | store_tailindex_*)
		echo "lib/query calls $sym: it asks the day's indexes as one (store_index_*, lib/store/store.h)"
		fail=1
		;;
	esac
done <"$tmp/undefs"
exit $fail
