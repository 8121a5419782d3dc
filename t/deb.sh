#!/usr/bin/env bash
# deb: the Debian package (docs/deploying.md, "The Debian package"), built from this tree with
# dpkg-buildpackage, checked by lintian, installed on this machine with apt, serving a trace
# through a private nginx whose server block includes its snippet (and through Apache with its
# a2enconf configuration), then removed (data and edited settings kept) and purged (settings
# gone, data kept; then, told by debconf, gone too).
#
# It installs a package and a system user on the machine, so make check does not run it: .ci/run
# does, as root, after the suite, and so can a developer (`sudo bash t/deb.sh`, about 4 minutes
# of which 2 are the build; SPANDEX_DEB=x.deb tests a package built before). Not root: a skip
# (exit 77) that says so. Root without the tools (dpkg-dev, debhelper, lintian: .ci/run installs
# them; nginx, Apache, spawn-fcgi, Node.js: ./bootstrap test does): a skip, or under CI=true a
# failure. It works with systemd as PID 1 (the installed units serve) and without (each program
# is started under spawn-fcgi as its units say). It refuses a machine where a spandex package or
# /var/lib/spandex already is, and leaves the machine as it found it (SPANDEX_KEEP=1 keeps its
# scratch directory).
set -euo pipefail
# The bound of every wait for a condition (a program's start or stop), as t/harness.mjs's
# WAIT_MS: for a hang, never for a machine's speed.
WAIT_S=${WAIT_S:-120}

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
export LC_ALL=C
say() { printf 'deb: %s\n' "$*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}

# ---- can it run here ----
why=
if [ ! -r /etc/debian_version ]; then
	why="not Debian"
else
	for tool in dpkg-buildpackage dh lintian apt-get nginx spawn-fcgi curl apache2 runuser node ss; do
		command -v "$tool" >/dev/null 2>&1 || why="${why:+$why, }$tool is missing"
	done
fi
if [ "$(id -u)" != 0 ]; then
	say "SKIP: not root (it installs the package on this machine; .ci/run runs it as root)"
	exit 77
elif [ -n "$why" ]; then
	if [ "${CI:-}" = true ]; then
		fail "cannot run: $why (.ci/run installs dpkg-dev, debhelper, po-debconf, lintian and iproute2, ./bootstrap test the rest)"
	fi
	say "SKIP: $why"
	exit 77
fi
status() { dpkg-query -W -f='${db:Status-Status}' spandex 2>/dev/null || true; }
case $(status) in
'' | not-installed) ;;
*) fail "a spandex package is on this machine ($(status)): this test would replace it" ;;
esac
for d in /var/lib/spandex /var/backups/spandex /var/backups/spandex-archive /etc/spandex; do
	[ ! -e "$d" ] || fail "$d exists: the package would take it over (move it away to run this test)"
done

# ---- scratch, and the way back ----
tmp=$(mktemp -d /tmp/spandex-deb.XXXXXX)
chmod 0755 "$tmp"
made_user=
getent passwd spandex >/dev/null || made_user=1
made_run=
[ -e /run/spandex ] || made_run=1
port80_before=$(ss -Hltn 'sport = :80' | wc -l)
apt() { DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600 "$@" </dev/null; }
stop_served() {
	local f pid
	# systemd's units are stopped by the package's prerm, unless policy-rc.d forbids it (below)
	if [ "${policy:-0}" = 101 ] && [ "$(status)" = installed ]; then
		systemctl stop "${started[@]}" "${started[@]/%.socket/.service}" spandex-forward.service spandex-ship.service 2>/dev/null || true
	fi
	for f in "$tmp"/pids/*.pid "$tmp"/nginx/nginx.pid "$tmp"/apache/apache2.pid; do
		pid=$(cat "$f" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
		# a program ends once its workers have, each after the request it holds (nginx and
		# Apache remove their pid file themselves)
		local deadline=$((SECONDS + WAIT_S))
		while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.1 # a poll: the bound is WAIT_S of the clock, not a count of polls
		done
		rm -f "$f"
	done
}
cleanup() {
	local rc=$?
	trap - EXIT
	stop_served
	case $(status) in
	'' | not-installed) ;;
	*) apt purge spandex >/dev/null 2>&1 || dpkg --purge spandex >/dev/null 2>&1 || true ;;
	esac
	# What the test made and the package keeps on purge, gone: this machine is as it was.
	rm -rf /var/lib/spandex /var/backups/spandex /var/backups/spandex-archive /etc/spandex
	[ -z "$made_run" ] || rm -rf /run/spandex
	if [ -n "$made_user" ] && getent passwd spandex >/dev/null; then
		deluser --system --quiet spandex >/dev/null 2>&1 || true
		delgroup --system --quiet spandex >/dev/null 2>&1 || true
	fi
	if [ "${SPANDEX_KEEP:-}" = 1 ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	[ "$rc" = 0 ] && say "PASS" || say "FAIL (exit $rc)"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# programs FILE: the program names of an nginx/programs file, in its order.
programs() { grep -Ev '^[[:space:]]*(#|$)' "$1" | awk '{ print $1 }'; }
# probe_path FILE PROG: a path that PROG answers, made from its first route of FILE (the first
# word from the fourth on that is a path, not a workspace source; the routes' regular
# expressions are simple: one segment [^/]+, groups, alternatives, an optional group; its first
# alternative is taken).
probe_path() {
	grep -Ev '^[[:space:]]*(#|$)' "$1" | awk -v p="$2" '$1 == p { for (i = 4; i <= NF; i++) if ($i ~ /^\^/) { print $i; exit } }' |
		sed -e 's/^\^//' -e 's/\$$//' -e 's/([^()|]*)?//g' -e 's/(\/|\$)//g' \
			-e 's/(\([^()|]*\)|[^()]*)/\1/g' -e 's/\[^\/\]+/deb/g' -e 's/\\\././g'
}
# unit_get UNIT KEY: the value of the last KEY= line of an installed unit; unit_all: every one.
unit_get() { sed -n "s/^$2=//p" "/lib/systemd/system/$1" | tail -n 1; }
unit_all() { sed -n "s/^$2=//p" "/lib/systemd/system/$1"; }
# unit_env UNIT: the environment a service of the package runs with, as NAME=VALUE words:
# its Environment= lines, then its EnvironmentFile= (the settings, which win).
unit_env() {
	local file
	unit_all "$1" Environment | tr ' ' '\n'
	file=$(unit_get "$1" EnvironmentFile)
	file=${file#-}
	[ -z "$file" ] || [ ! -r "$file" ] || grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$file" || true
}
# as_unit UNIT COMMAND: COMMAND (an Exec line of UNIT, its ${NAME} from the unit's environment)
# as the unit runs it: its user and group, umask and environment, and nothing else.
as_unit() {
	local -a env
	mapfile -t env < <(unit_env "$1")
	(umask "$(unit_get "$1" UMask)" &&
		runuser -u "$(unit_get "$1" User)" -g "$(unit_get "$1" Group)" -- \
			env -i PATH=/usr/bin:/bin "${env[@]}" sh -c "$2")
}
# http METHOD PATH [CURL ARGS]: the status, the body in $tmp/body.
http() {
	local m=$1 p=$2
	shift 2
	curl -sS -o "$tmp/body" -w '%{http_code}' -X "$m" "$@" "$base$p"
}
expect() { # expect STATUS WHAT METHOD PATH [CURL ARGS]
	local want=$1 what=$2 got
	shift 2
	got=$(http "$@") || fail "$what: curl failed"
	[ "$got" = "$want" ] || fail "$what: $1 $2 answered $got, not $want: $(head -c 400 "$tmp/body")"
}
free_port() {
	node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}
wait_for() { # wait_for WHAT COMMAND...: until COMMAND succeeds, for at most WAIT_S
	local what=$1 deadline=$((SECONDS + WAIT_S))
	shift
	while [ "$SECONDS" -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1 # a poll: the bound is WAIT_S of the clock, not a count of polls
	done
	"$@" >/dev/null 2>&1 || fail "$what: not within $WAIT_S s"
}

# ---- build ----
version=$(sed -n '/^AC_INIT/{s/^[^,]*, *\[//;s/\].*//;p;}' "$srcdir/configure.ac")
arch=$(dpkg --print-architecture)
mkdir -p "$tmp/build"
if [ -n "${SPANDEX_DEB:-}" ]; then
	# A package built before (by this script under SPANDEX_KEEP=1, or by hand): the checks
	# below without the two minutes of the build.
	[ -f "$SPANDEX_DEB" ] || fail "SPANDEX_DEB=$SPANDEX_DEB: no such file"
	cp "$SPANDEX_DEB" "$tmp/build/"
	deb=$tmp/build/$(basename "$SPANDEX_DEB")
	say "testing $SPANDEX_DEB (SPANDEX_DEB), not built here"
	lintian_on=$deb
else
	tree=$tmp/build/spandex-$version
	mkdir -p "$tree"
	# The tree as committed and as edited (not what a build made in it): dpkg-buildpackage cleans
	# the tree it builds in, and the build beside it must stay.
	if git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$srcdir" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf -) |
			tar -xf - -C "$tree"
		git -C "$srcdir" describe --always --dirty >"$tree/.tarball-commit"
	else
		cp -a "$srcdir/." "$tree/"
		[ ! -f "$tree/Makefile" ] || make -s -C "$tree" distclean >/dev/null
	fi
	say "dpkg-buildpackage -us -uc -b in $tree (DEB_BUILD_OPTIONS='parallel=2 nocheck noddebs')"
	start=$(date +%s)
	if ! (cd "$tree" && DEB_BUILD_OPTIONS='parallel=2 nocheck noddebs' dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
		tail -n 40 "$tmp/build.log" >&2
		fail "dpkg-buildpackage failed (the whole log: SPANDEX_KEEP=1, $tmp/build.log)"
	fi
	deb=$tmp/build/spandex_${version}_$arch.deb
	[ -f "$deb" ] || fail "no $deb: $(ls "$tmp/build")"
	! grep -E '(^|[^-])[Ww]arning:' "$tmp/build.log" >&2 || fail "the package's build warns (above)"
	say "built $(basename "$deb") in $(($(date +%s) - start)) s"
	lintian_on=$tmp/build/spandex_${version}_$arch.changes
fi

# lintian: clean, each override argued in debian/spandex.lintian-overrides.
lintian --fail-on error,warning,info -I "$lintian_on" >"$tmp/lintian.log" 2>&1 ||
	fail "lintian: $(grep -v 'running with root' "$tmp/lintian.log")"
! grep -E '^[EWI]:' "$tmp/lintian.log" >&2 || fail "lintian has the tags above"

# What it holds: every program of nginx/programs and its units, the CLI, the man pages, the
# web servers' files; the settings and those files are conffiles.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/contents"
want=(/usr/bin/spandex /usr/share/man/man1/spandex.1.gz /usr/share/man/man8/spandex-fcgi.8.gz
	/etc/nginx/snippets/spandex.conf /etc/nginx/snippets/spandex-http.conf
	/etc/apache2/conf-available/spandex.conf /etc/apache2/conf-available/spandex-cgi.conf
	/etc/spandex/spandex.env /etc/spandex/prices.tsv /etc/spandex/redact.rules /usr/share/spandex/ui/index.html
	/usr/share/doc/spandex/docs/deploying.md)
for p in $(programs "$srcdir/nginx/programs"); do
	want+=("/usr/libexec/spandex/$p" "/lib/systemd/system/spandex-$p.socket" "/lib/systemd/system/spandex-$p.service")
done
for t in "$srcdir"/debian/systemd/*; do want+=("/lib/systemd/system/$(basename "$t")"); done
for f in "${want[@]}"; do grep -qxF "$f" "$tmp/contents" || fail "the package lacks $f"; done
dpkg-deb -I "$deb" conffiles >"$tmp/conffiles"
for f in /etc/spandex/spandex.env /etc/spandex/prices.tsv /etc/spandex/redact.rules /etc/nginx/snippets/spandex.conf \
	/etc/nginx/snippets/spandex-http.conf /etc/apache2/conf-available/spandex.conf \
	/etc/apache2/conf-available/spandex-cgi.conf; do
	grep -qxF "$f" "$tmp/conffiles" || fail "$f is not a conffile"
done

# ---- install ----
say "apt-get install $deb"
apt install --no-install-recommends "$deb" >"$tmp/install.log" 2>&1 || fail "apt-get install: $(tail -n 20 "$tmp/install.log")"
[ "$(status)" = installed ] || fail "after install, dpkg says '$(status)'"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd spandex) || fail "no spandex user"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/spandex ] && [ "$shell" = /usr/sbin/nologin ] ||
	fail "the spandex user is not a system user at home in /var/lib/spandex: uid $uid, $home, $shell"
for d in /var/lib/spandex /var/backups/spandex /var/backups/spandex-archive; do
	[ "$(stat -c '%U:%G %a' "$d")" = 'spandex:spandex 750' ] || fail "$d: $(stat -c '%U:%G %a' "$d"), not spandex:spandex 750"
done
spandex --version >/dev/null || fail "spandex --version"
installed=/usr/share/spandex/nginx/programs
cmp -s "$installed" "$srcdir/nginx/programs" || fail "$installed is not nginx/programs"
# Enabled: the programs' sockets and the chores' timers (symbolic links made even without
# systemd, for the next boot with it).
for p in $(programs "$installed"); do
	[ -L "/etc/systemd/system/sockets.target.wants/spandex-$p.socket" ] || fail "spandex-$p.socket is not enabled"
done
for t in /lib/systemd/system/spandex-*.timer; do
	[ -L "/etc/systemd/system/timers.target.wants/$(basename "$t")" ] || fail "$(basename "$t") is not enabled"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in /lib/systemd/system/spandex-*; do
		out=$(systemd-analyze verify --man=no "$u" 2>&1) || fail "systemd-analyze verify $u: $out"
		[ -z "$out" ] || fail "systemd-analyze verify $u: $out"
	done
fi

# ---- serve ----
mkdir -p "$tmp/pids"
policy=0
if [ -d /run/systemd/system ]; then
	say "systemd runs: the installed units serve"
	started=(/lib/systemd/system/spandex-*.socket /lib/systemd/system/spandex-*.timer)
	started=("${started[@]##*/}")
	# A machine may forbid packages to start services (policy-rc.d exits 101, as in images
	# built for containers): the postinst then only enables them, and the operator starts them.
	[ ! -x /usr/sbin/policy-rc.d ] || /usr/sbin/policy-rc.d spandex-ingest.socket start >/dev/null 2>&1 || policy=$?
	if [ "$policy" = 101 ]; then
		say "policy-rc.d forbids starting services here: systemctl start ${started[*]}"
		systemctl start "${started[@]}" spandex-forward.service spandex-ship.service || fail "systemctl start: $(systemctl --failed --no-legend)"
	fi
	for u in "${started[@]}"; do
		wait_for "$u active" systemctl is-active --quiet "$u"
	done
	# The forwarder and the shipper ran their conditions (nothing configured): skipped, not failed.
	for u in spandex-forward.service spandex-ship.service; do
		! systemctl is-failed --quiet "$u" || fail "$u failed: $(systemctl status "$u" 2>&1 | tail -n 20)"
	done
else
	say "no systemd: each program started as its units would (socket and service unit read here)"
	for p in $(programs "$installed"); do
		sock=spandex-$p.socket svc=spandex-$p.service
		listen=$(unit_get "$sock" ListenStream)
		install -d -m "$(unit_get "$sock" DirectoryMode)" "$(dirname "$listen")"
		as_root_env=()
		mapfile -t as_root_env < <(unit_env "$svc")
		# shellcheck disable=SC2046 # ExecStart= is the command and its words
		(umask "$(unit_get "$svc" UMask)" &&
			env -i PATH=/usr/bin:/bin "${as_root_env[@]}" spawn-fcgi -s "$listen" \
				-M "$(unit_get "$sock" SocketMode)" -U "$(unit_get "$sock" SocketUser)" \
				-G "$(unit_get "$sock" SocketGroup)" -u "$(unit_get "$svc" User)" \
				-g "$(unit_get "$svc" Group)" -P "$tmp/pids/$p.pid" -- $(unit_get "$svc" ExecStart)) \
			>"$tmp/spawn-$p.log" 2>&1 || fail "spawn-fcgi $p: $(cat "$tmp/spawn-$p.log")"
	done
fi

# A private nginx on a free port, whose server block includes the snippet as
# docs/deploying.md says; its workers are www-data's, as Debian's nginx runs them.
port=$(free_port)
base=http://127.0.0.1:$port
ng=$tmp/nginx
mkdir -p "$ng/www"
cp /etc/nginx/fastcgi_params "$ng/"
echo 'the site of this host' >"$ng/www/index.html"
cat >"$ng/nginx.conf" <<EOF
user www-data;
pid $ng/nginx.pid;
error_log $ng/error.log;
events {}
http {
	access_log off;
	client_body_temp_path $ng/body;
	fastcgi_temp_path $ng/fastcgi;
	proxy_temp_path $ng/proxy;
	scgi_temp_path $ng/scgi;
	uwsgi_temp_path $ng/uwsgi;
	include /etc/nginx/snippets/spandex-http.conf;
	server {
		listen 127.0.0.1:$port;
		server_name localhost;
		root $ng/www;
		include /etc/nginx/snippets/spandex.conf;
	}
}
EOF
nginx -t -q -c "$ng/nginx.conf" -e "$ng/error.log" 2>"$tmp/nginx-t.log" || fail "nginx -t: $(cat "$tmp/nginx-t.log")"
nginx -c "$ng/nginx.conf" -e "$ng/error.log" || fail "nginx: $(cat "$ng/error.log")"
wait_for "nginx on $base" curl -sf -o /dev/null "$base/index.html"

# Every program answers through the snippet (a 502 or 504 is nginx's: the program is not there).
for p in $(programs "$installed"); do
	path=$(probe_path "$installed" "$p")
	[ -n "$path" ] || fail "no path for $p in $installed"
	code=$(http GET "$path") || fail "GET $path"
	case $code in 502 | 504 | 000) fail "$p does not answer GET $path: $code $(head -c 300 "$tmp/body")" ;; esac
done
expect 200 "the host's own / stays its own" GET /
grep -qx 'the site of this host' "$tmp/body" || fail "/ is not the host's page: $(head -c 200 "$tmp/body")"
expect 200 "/healthz" GET /healthz
grep -q '"status":"ok"' "$tmp/body" || fail "/healthz: $(cat "$tmp/body")"
expect 200 "the viewer" GET /ui/

# A trace in, and back out through the API, the CLI and (below) Apache.
day=$(date -u +%Y-%m-%d)
span='{"source":"deb","spans":[{"span_id":"deb-s1","trace_id":"deb-t1","name":"answer","kind":"LLM",
  "status":"success","started_at":"'$day'T12:00:00Z","ended_at":"'$day'T12:00:01.5Z","input":"hi",
  "output":"hello from the package"}]}'
expect 201 "ingest" POST /apis/intake/v2/workspaces/deb/ingest/spans -H 'Content-Type: application/json' -d "$span"
expect 200 "the span read back" GET /apis/intake/v2/workspaces/deb/spans/deb-s1
grep -q '"output":"hello from the package"' "$tmp/body" || fail "the span read back: $(cat "$tmp/body")"
expect 200 "its trace" GET /apis/intake/v2/workspaces/deb/traces/deb-t1
runuser -u spandex -- spandex export /var/lib/spandex --workspace deb >"$tmp/export.jsonl" || fail "spandex export"
grep -q '"span_id":"deb-s1"' "$tmp/export.jsonl" || fail "spandex export: $(cat "$tmp/export.jsonl")"

# Apache with the configuration a2enconf enables: at the server level, so every virtual host
# has it; mod_proxy_fcgi to the same sockets.
ap=$tmp/apache
aport=$(free_port)
mkdir -p "$ap/www"
echo 'the site of this virtual host' >"$ap/www/index.html"
cat >"$ap/apache2.conf" <<EOF
ServerRoot "$ap"
DefaultRuntimeDir "$ap"
PidFile "$ap/apache2.pid"
ErrorLog "$ap/error.log"
$(for m in mpm_prefork authz_core alias dir env mime headers proxy proxy_fcgi; do
	echo "LoadModule ${m}_module /usr/lib/apache2/modules/mod_$m.so"
done)
User www-data
Group www-data
Listen 127.0.0.1:$aport
ServerName 127.0.0.1
TypesConfig /dev/null
# As /etc/apache2/apache2.conf has it: conf-enabled/ before the sites.
Include /etc/apache2/conf-available/spandex.conf
<VirtualHost 127.0.0.1:$aport>
	ServerName localhost
	DocumentRoot "$ap/www"
	<Directory "$ap/www">
		Require all granted
	</Directory>
</VirtualHost>
EOF
apache2 -t -f "$ap/apache2.conf" >"$tmp/apache-t.log" 2>&1 || fail "apache2 -t: $(cat "$tmp/apache-t.log")"
apache2 -f "$ap/apache2.conf" -k start >"$tmp/apache.log" 2>&1 || fail "apache2: $(cat "$tmp/apache.log" "$ap/error.log")"
nbase=$base
base=http://127.0.0.1:$aport
wait_for "Apache on $base" curl -sf -o /dev/null "$base/index.html"
expect 200 "the span read back through Apache" GET /apis/intake/v2/workspaces/deb/spans/deb-s1
grep -q '"output":"hello from the package"' "$tmp/body" || fail "through Apache: $(cat "$tmp/body")"
expect 200 "the virtual host's own pages stay its own" GET /index.html
grep -qx 'the site of this virtual host' "$tmp/body" || fail "/index.html under Apache: $(head -c 200 "$tmp/body")"
# At the server level, a2enconf's, the configuration leaves / of every host alone (issue 54):
# only /ui leads to the viewer.
curl -s -o /dev/null -D "$tmp/headers" "$base/" || fail "/ under Apache: no answer"
if grep -qi '^Location: .*/ui' "$tmp/headers"; then fail "/ under Apache leads to the viewer: $(cat "$tmp/headers")"; fi
expect 301 "/ui under Apache" GET /ui -D "$tmp/headers"
grep -qi '^Location: .*/ui/' "$tmp/headers" || fail "/ui under Apache: $(cat "$tmp/headers")"
base=$nbase
# The CGI configuration, for a host without FastCGI: Apache takes it.
sed -e 's|^Include /etc/apache2/conf-available/spandex.conf$|Include /etc/apache2/conf-available/spandex-cgi.conf|' \
	-e 's|^LoadModule proxy_fcgi_module .*|LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so|' \
	-e "s|^PidFile .*|PidFile \"$ap/cgi.pid\"|" "$ap/apache2.conf" >"$ap/cgi.conf"
apache2 -t -f "$ap/cgi.conf" >"$tmp/apache-t.log" 2>&1 || fail "apache2 -t with spandex-cgi.conf: $(cat "$tmp/apache-t.log")"

# An API key, in the data directory's key file: authentication is on for the programs.
key=$(spandex key create /var/lib/spandex --workspace deb --role read --name deb 2>"$tmp/key.log") ||
	fail "spandex key create: $(cat "$tmp/key.log")"
case $key in spx_?*) ;; *) fail "spandex key create printed '$key', no key" ;; esac
[ "$(stat -c '%U %a' /var/lib/spandex/.spandex-keys)" = 'spandex 600' ] || fail "the key file: $(stat -c '%U %a' /var/lib/spandex/.spandex-keys)"
expect 401 "no key, once the key file is there" GET /apis/intake/v2/workspaces/deb/spans/deb-s1
expect 200 "the key" GET /apis/intake/v2/workspaces/deb/spans/deb-s1 -H "Authorization: Bearer $key"

# ---- the chores, as their timers' services run them ----
for t in /lib/systemd/system/spandex-*.timer; do
	svc=$(basename "${t%.timer}").service
	if [ -d /run/systemd/system ]; then
		systemctl start "$svc" || fail "systemctl start $svc: $(systemctl status "$svc" 2>&1 | tail -n 20)"
	else
		while IFS= read -r line; do
			out=$(as_unit "$svc" "$line" 2>&1) || fail "$svc: $line: $out"
		done < <(unit_all "$svc" ExecStart)
	fi
done
ls /var/lib/spandex/deb/*.tix >/dev/null 2>&1 || fail "spandex-index made no text index: $(ls /var/lib/spandex/deb)"
gen=$(find /var/backups/spandex -mindepth 1 -maxdepth 1 -name '20*' | head -n 1)
[ -n "$gen" ] && [ -f "$gen/MANIFEST" ] || fail "spandex-backup made no generation in /var/backups/spandex"
grep -q 'deb-s1' "$gen/deb/$day.jsonl" || fail "the backup lacks the span"

# The forwarder runs only once endpoints are configured: its ExecCondition says so.
cond=$(unit_get spandex-forward.service ExecCondition | sed 's/\$\$/$/g')
! as_unit spandex-forward.service "$cond" || fail "spandex-forward runs with no endpoint configured"
install -m 0600 -o spandex -g spandex /dev/null /etc/spandex/forward.conf
printf '[deb]\nurl = http://127.0.0.1:9/v1/traces\n' >/etc/spandex/forward.conf
as_unit spandex-forward.service "$cond" || fail "spandex-forward does not run with /etc/spandex/forward.conf"
# The shipper likewise, once a bucket is set in spandex.env (docs/bucket.md).
cond=$(unit_get spandex-ship.service ExecCondition | sed 's/\$\$/$/g')
! as_unit spandex-ship.service "$cond" || fail "spandex-ship runs with no bucket configured"
cp /etc/spandex/spandex.env "$tmp/spandex.env.before-s3"
printf 'SPANDEX_S3=s3://deb/test\n' >>/etc/spandex/spandex.env
as_unit spandex-ship.service "$cond" || fail "spandex-ship does not run with SPANDEX_S3 in spandex.env"
cp "$tmp/spandex.env.before-s3" /etc/spandex/spandex.env

# ---- remove: the programs go; the data, the key file and the settings stay, edited or not ----
printf 'SPANDEX_SYNC=1\n' >>/etc/spandex/spandex.env
cp /etc/spandex/spandex.env "$tmp/spandex.env.edited"
stop_served
say "apt-get remove spandex"
apt remove spandex >"$tmp/remove.log" 2>&1 || fail "apt-get remove: $(tail -n 20 "$tmp/remove.log")"
[ "$(status)" = config-files ] || fail "after remove, dpkg says '$(status)'"
for f in /usr/bin/spandex /usr/libexec/spandex /lib/systemd/system/spandex-ingest.socket; do
	[ ! -e "$f" ] || fail "$f is left after remove"
done
if [ -d /run/systemd/system ]; then
	! systemctl is-active --quiet spandex-ingest.socket || fail "spandex-ingest.socket still active after remove"
fi
cmp -s /etc/spandex/spandex.env "$tmp/spandex.env.edited" || fail "the edited spandex.env did not survive remove"
for f in /etc/spandex/prices.tsv /etc/nginx/snippets/spandex.conf /etc/apache2/conf-available/spandex.conf \
	/var/lib/spandex/.spandex-keys "/var/lib/spandex/deb/$day.jsonl" "$gen/MANIFEST"; do
	[ -e "$f" ] || fail "$f is gone after remove"
done

# ---- purge: the settings go, the data stays ----
say "apt-get purge spandex"
apt purge spandex >"$tmp/purge.log" 2>&1 || fail "apt-get purge: $(tail -n 20 "$tmp/purge.log")"
case $(status) in '' | not-installed) ;; *) fail "after purge, dpkg says '$(status)'" ;; esac
for f in /etc/spandex /etc/nginx/snippets/spandex.conf /etc/nginx/snippets/spandex-http.conf \
	/etc/apache2/conf-available/spandex.conf /etc/apache2/conf-available/spandex-cgi.conf \
	/etc/systemd/system/sockets.target.wants/spandex-ingest.socket; do
	[ ! -e "$f" ] || fail "$f is left after purge"
done
grep -q 'deb-s1' "/var/lib/spandex/deb/$day.jsonl" || fail "the data did not survive purge"
[ -f /var/lib/spandex/.spandex-keys ] && [ -f "$gen/MANIFEST" ] || fail "the key file or the backup did not survive purge"

# ---- purge, told by debconf to take the data too ----
apt install --no-install-recommends "$deb" >"$tmp/install2.log" 2>&1 || fail "apt-get install again: $(tail -n 20 "$tmp/install2.log")"
grep -q 'deb-s1' "/var/lib/spandex/deb/$day.jsonl" || fail "a new install lost the data kept"
echo 'spandex spandex/purge_data boolean true' | debconf-set-selections
stop_served
apt purge spandex >"$tmp/purge2.log" 2>&1 || fail "apt-get purge: $(tail -n 20 "$tmp/purge2.log")"
for d in /var/lib/spandex /var/backups/spandex /var/backups/spandex-archive; do
	[ ! -e "$d" ] || fail "$d is left after a purge told to remove it"
done
[ -z "$(debconf-show spandex 2>/dev/null)" ] || fail "debconf keeps spandex's answers after purge: $(debconf-show spandex)"
[ "$(ss -Hltn 'sport = :80' | wc -l)" -le "$port80_before" ] || fail "something listens on port 80 now"
