# clients: the real API clients of t/clients (lockfile committed, node_modules not), which the
# integration tests and the viewer's tests drive. Sourced by t/integration.sh and t/ui.sh with
# srcdir and SPANDEX_BUILDDIR set: exports SPANDEX_CLIENTS, installed, or exits 99. Under
# `make check -j` both run at once, so the install holds a lock (flock): one npm ci, the other
# waits for it. Also defines npm_ci, which t/ui.sh uses for its own packages.

# npm ci, three tries (a registry that times out once should not fail the suite).
npm_ci() {
	for try in 1 2 3; do
		(cd "$1" && npm ci --no-audit --no-fund) && return 0
		sleep $((try * 5))
	done
	return 1
}

# Beside the source unless it is read-only (make distcheck): then in the build directory.
SPANDEX_CLIENTS=$srcdir/t/clients
if [ ! -d "$SPANDEX_CLIENTS/node_modules" ] && ! [ -w "$SPANDEX_CLIENTS" ]; then
	SPANDEX_CLIENTS=$SPANDEX_BUILDDIR/t/clients
	mkdir -p "$SPANDEX_CLIENTS" || exit 99
	cp "$srcdir/t/clients/package.json" "$srcdir/t/clients/package-lock.json" "$SPANDEX_CLIENTS/" || exit 99
fi
export SPANDEX_CLIENTS
mkdir -p "$SPANDEX_BUILDDIR/t" || exit 99
(
	flock 9 || exit 99
	# A node_modules that is a symbolic link is another tree's install, shared: npm ci would
	# empty it through the link (it did, once, for every worktree linked to it), so it is used
	# as it is. Otherwise installed again whenever the lockfile is newer (a client was added).
	if [ -L "$SPANDEX_CLIENTS/node_modules" ]; then
		if [ ! -f "$SPANDEX_CLIENTS/node_modules/.package-lock.json" ]; then
			echo "clients: $SPANDEX_CLIENTS/node_modules links to an empty install; run npm ci there" >&2
			exit 99
		fi
	elif [ ! -f "$SPANDEX_CLIENTS/node_modules/.package-lock.json" ] ||
		[ "$SPANDEX_CLIENTS/package-lock.json" -nt "$SPANDEX_CLIENTS/node_modules/.package-lock.json" ]; then
		npm_ci "$SPANDEX_CLIENTS" || exit 99
	fi
) 9>"$SPANDEX_BUILDDIR/t/clients.lock" || exit 99
