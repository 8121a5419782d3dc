// GET /healthz (issue 13): no key needed and nothing about the data in it; 200 while the
// data directory can take a write, 503 "degraded" with Retry-After when it cannot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from '../harness.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

test('healthz: ok, then degraded below SPANDEX_MIN_FREE or on a read-only data directory', async () => {
	const srv = await startServer({ env: { SPANDEX_TOKEN: 'sesame' } });
	servers.push(srv);
	const ok = await srv.request('GET', '/healthz');
	assert.equal(ok.status, 200, ok.text);
	assert.deepEqual(ok.json, { status: 'ok' });
	// Needs no key, even with authentication on: a load balancer has none.
	assert.doesNotMatch(ok.text, new RegExp(srv.dataDir));

	// More free space asked for than any disk has: the store cannot take a batch.
	const full = await startServer({ env: { SPANDEX_MIN_FREE: String(2 ** 60) } });
	servers.push(full);
	const d = await full.request('GET', '/healthz');
	assert.equal(d.status, 503, d.text);
	assert.equal(d.json.status, 'degraded');
	assert.match(d.json.detail, /full/);
	assert.equal(d.headers['retry-after'], '30');
	assert.doesNotMatch(d.text, new RegExp(full.dataDir));

	// A key file that refuses every request (a role typed `Admin`): degraded, so a load
	// balancer stops sending what every API would answer 503; mended, ok again.
	const keys = `${srv.dataDir}/.spandex-keys`;
	fs.writeFileSync(keys, `k0123456789\t*\tAdmin\t2026-01-01T00:00:00Z\t${'0'.repeat(64)}\tx\n`, { mode: 0o600 });
	const bad = await srv.request('GET', '/healthz');
	assert.equal(bad.status, 503, bad.text);
	assert.match(bad.json.detail, /key file/);
	assert.doesNotMatch(bad.text, new RegExp(srv.dataDir));
	fs.rmSync(keys);
	assert.equal((await srv.request('GET', '/healthz')).status, 200);

	if (process.getuid() !== 0) {
		fs.chmodSync(srv.dataDir, 0o500);
		const ro = await srv.request('GET', '/healthz');
		fs.chmodSync(srv.dataDir, 0o755);
		assert.equal(ro.status, 503, ro.text);
		assert.equal(ro.json.status, 'degraded');
	}
});

test('nginx limits each client\'s request rate: a 429 in the API\'s shape with Retry-After', async () => {
	const srv = await startServer({ rate: 1 }); // genconf -R 1: 1 request a second, burst 2
	servers.push(srv);
	const got = await Promise.all(Array.from({ length: 12 }, () => srv.request('GET', '/apis/intake/v2/workspaces/default/spans')));
	const limited = got.filter((r) => r.status === 429);
	assert.ok(limited.length >= 5, got.map((r) => r.status).join());
	assert.ok(got.some((r) => r.status === 200));
	for (const r of limited) {
		assert.deepEqual(r.json, { detail: 'Too many requests; retry later' });
		assert.equal(r.headers['retry-after'], '1');
	}
	// Opik's paths, with and without /api: Opik's shape (opik.md §1), the same Retry-After;
	// Scale GP keeps FastAPI's.
	for (const [p, headers, want] of [
		['/v1/private/spans', { 'Comet-Workspace': 'default' }, { code: 429, message: 'Too many requests; retry later' }],
		['/api/v1/private/traces', { 'Comet-Workspace': 'default' }, { code: 429, message: 'Too many requests; retry later' }],
		['/v5/spans', {}, { detail: 'Too many requests; retry later' }],
	]) {
		const more = await Promise.all(Array.from({ length: 8 }, () => srv.request('GET', p, { headers })));
		const over = more.filter((r) => r.status === 429);
		assert.ok(over.length >= 5, `${p}: ${more.map((r) => r.status).join()}`);
		for (const r of over) {
			assert.deepEqual(r.json, want, p);
			assert.equal(r.headers['retry-after'], '1');
		}
	}
});

test('nginx\'s 413 on an Opik path is in Opik\'s shape, on NeMo\'s in FastAPI\'s', async () => {
	const srv = await startServer();
	servers.push(srv);
	const big = Buffer.alloc(9 << 20, 0x20); // over client_max_body_size 8m: nginx answers
	for (const p of ['/v1/private/spans/batch', '/api/v1/private/traces/batch']) {
		const r = await srv.request('POST', p, { body: big, headers: { 'Comet-Workspace': 'default' } });
		assert.equal(r.status, 413, r.text);
		assert.deepEqual(r.json, { code: 413, message: 'Request body is larger than the limit of 8 MiB' });
	}
	const r = await srv.request('POST', '/apis/intake/v2/workspaces/default/ingest/spans', { body: big });
	assert.equal(r.status, 413, r.text);
	assert.deepEqual(r.json, { detail: 'Request body is larger than the limit of 8 MiB' });
});
