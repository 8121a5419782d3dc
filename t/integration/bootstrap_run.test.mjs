// ./bootstrap run from one checkout, twice (issue 54): two runs on two ports keep to their own
// run directories (run/PORT/: sockets, nginx's configuration and logs), so stopping one leaves
// the other serving its own data (the second took the first's sockets and removed them when it
// stopped: 502 everywhere); a second run on a port already served, or held by another program,
// is refused before it says "serving"; and "serving" means nginx listens. The real bootstrap
// runs, as `./bootstrap serve` (run without the install and the build, which make check has
// done), in a checkout of its own: bootstrap itself, nginx/ and ui/ from the source tree,
// cgi-bin/ and src/ from the build tree (a read-only source tree under make distcheck).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
	SRCDIR, BUILDDIR, freePort, request, ingestSpans, getSpan, makeSpan, waitExit, waitFor, WAIT_MS,
} from '../harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-boot-'));
const checkout = path.join(tmp, 'checkout');
fs.mkdirSync(checkout);
fs.copyFileSync(path.join(SRCDIR, 'bootstrap'), path.join(checkout, 'bootstrap'));
fs.chmodSync(path.join(checkout, 'bootstrap'), 0o755);
for (const [name, from] of [['nginx', SRCDIR], ['ui', SRCDIR], ['cgi-bin', BUILDDIR], ['src', BUILDDIR]])
	fs.symlinkSync(path.join(from, name), path.join(checkout, name));

const runs = new Set();
after(async () => {
	for (const r of runs) await r.stop();
	if (process.env.SPANDEX_KEEP === '1') console.error(`# SPANDEX_KEEP=1: kept ${tmp}`);
	else fs.rmSync(tmp, { recursive: true, force: true });
});

// `./bootstrap serve` on port with data in tmp/<data>, in its own process group (stop() sends
// SIGTERM to bootstrap, whose trap stops what it started). {child, port, base, dataDir,
// text() (its stderr so far), exited (resolves to its exit code), stop()}.
function serve(port, data) {
	const dataDir = path.join(tmp, data);
	const child = spawn('bash', [path.join(checkout, 'bootstrap'), 'serve'], {
		cwd: checkout, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
		env: { ...process.env, SPANDEX_PORT: String(port), SPANDEX_DATA: dataDir, SPANDEX_RATE: '0' },
	});
	let err = '';
	child.stderr.on('data', (c) => {
		err += c;
	});
	const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
	const r = {
		child, port, base: `http://127.0.0.1:${port}`, dataDir, exited,
		text: () => err,
		async stop() {
			runs.delete(r);
			if (child.exitCode !== null || child.signalCode !== null) return;
			child.kill('SIGTERM');
			if (!(await waitExit(child, WAIT_MS))) process.kill(-child.pid, 'SIGKILL');
		},
	};
	runs.add(r);
	return r;
}

// Resolves once run says "serving", and its first request answers at once; fails if it exits.
async function serving(r) {
	await waitFor(`bootstrap serve on port ${r.port} to say "serving"`, () => {
		if (r.child.exitCode !== null) throw new Error(`bootstrap serve exited ${r.child.exitCode}:\n${r.text()}`);
		return r.text().includes(`serving http://127.0.0.1:${r.port}`);
	}, { detail: r.text });
	const h = await request('GET', '/healthz', { base: r.base }).catch((e) => ({ status: e.code }));
	assert.equal(h.status, 200, `the first request after "serving" on ${r.port}:\n${r.text()}`);
}

// `serve` on a free port, once it says "serving". A port from freePort is free for any process
// until nginx binds it, and this machine runs several suites at once: where another took it
// first (bootstrap refuses a port in use, and says when its nginx could not bind), another.
async function serveFree(data) {
	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const r = serve(await freePort(), data);
		try {
			await serving(r);
			return r;
		} catch (e) {
			await r.stop();
			if (!/in use by another program|Address already in use/.test(r.text()) || Date.now() > deadline) throw e;
		}
	}
}

const socks = (port) => {
	const dir = path.join(checkout, 'run', String(port));
	return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.sock')).sort() : [];
};

test('two runs on two ports from one checkout: each its own run directory; stopping one leaves the other serving its data', async () => {
	const a = await serveFree('data-a');
	const b = await serveFree('data-b');
	const [pa, pb] = [a.port, b.port];
	assert.ok(socks(pa).includes('ingest.sock') && socks(pb).includes('ingest.sock'), `${socks(pa)} / ${socks(pb)}`);
	// Each run writes and reads its own data directory.
	for (const [r, id] of [[a, 'boot-a'], [b, 'boot-b']]) {
		const w = await ingestSpans('boot', [makeSpan(id)], { base: r.base });
		assert.equal(w.status, 201, `${r.port}: ${w.text}`);
	}
	assert.equal((await getSpan('boot', 'boot-a', { base: a.base })).status, 200);
	assert.equal((await getSpan('boot', 'boot-a', { base: b.base })).status, 404, 'a span of the first run is not in the second\'s data');
	assert.equal((await getSpan('boot', 'boot-b', { base: b.base })).status, 200);
	assert.ok(fs.existsSync(path.join(a.dataDir, 'boot')) && fs.existsSync(path.join(b.dataDir, 'boot')));

	await b.stop();
	assert.deepEqual(socks(pb), [], 'the stopped run removed its own sockets');
	assert.ok(socks(pa).includes('ingest.sock'), 'and left the other run\'s');
	const still = await getSpan('boot', 'boot-a', { base: a.base });
	assert.equal(still.status, 200, `the first run after the second stopped: ${still.status} ${still.text}`);
	const w = await ingestSpans('boot', [makeSpan('boot-a2')], { base: a.base });
	assert.equal(w.status, 201, w.text);
	await a.stop();
	assert.equal(await a.exited, 143, a.text());
	assert.deepEqual(socks(pa), []);
});

test('a second run on a port already served is refused before it says "serving"; the first serves on', async () => {
	const a = await serveFree('data-same-a');
	const { port } = a;
	const sockets = socks(port);
	const b = serve(port, 'data-same-b');
	assert.equal(await b.exited, 1, b.text());
	assert.match(b.text(), new RegExp(`port ${port} is already served by \\./bootstrap run from this checkout \\(pid ${a.child.pid}, .*run/${port}\\): stop it, or set SPANDEX_PORT`));
	assert.doesNotMatch(b.text(), /serving|cgi-bin\//, 'nothing started');
	assert.deepEqual(socks(port), sockets, 'the first run\'s sockets are there');
	assert.equal((await request('GET', '/healthz', { base: a.base })).status, 200);
	const w = await ingestSpans('same', [makeSpan('same-1')], { base: a.base });
	assert.equal(w.status, 201, w.text);
	await a.stop();
});

test('a port another program listens on is refused before anything starts', async () => {
	const other = net.createServer((s) => s.destroy());
	await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
	const { port } = other.address();
	try {
		const r = serve(port, 'data-other');
		assert.equal(await r.exited, 1, r.text());
		assert.match(r.text(), new RegExp(`port ${port} is in use by another program: set SPANDEX_PORT`));
		assert.doesNotMatch(r.text(), /serving|cgi-bin\//);
		assert.deepEqual(socks(port), []);
	} finally {
		other.close();
	}
});
