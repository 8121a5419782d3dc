// GET /healthz (issue 13): no key needed and nothing about the data in it; 200 while the
// data directory can take a write, 503 "degraded" with Retry-After when it cannot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { startServer } from '../harness.mjs';

const servers = [];

// POST of chunks as they are, with Transfer-Encoding: chunked.
function chunkedPost(url, chunks) {
	return new Promise((resolve) => {
		const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Comet-Workspace': 'default' } }, (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] || '', text: Buffer.concat(parts).toString() }));
		});
		req.on('error', (e) => resolve({ status: 0, type: '', text: String(e) }));
		for (const c of chunks) req.write(c);
		req.end();
	});
}
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
	assert.equal(bad.json.detail, 'Authentication is unavailable: the server\'s key file does not parse');
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
		// Langfuse's public API and the MCP server in theirs (nginx/shapes).
		['/api/public/traces', {}, { message: 'Too many requests; retry later' }],
		['/mcp', {}, { jsonrpc: '2.0', error: { code: -32000, message: 'Too many requests; retry later', data: { http_status: 429 } } }],
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
	// Chunked, past the limit only in a later chunk (as an OTLP exporter streams): the same
	// JSON, not nginx's HTML page (its error page met the limit again while it read the rest).
	for (const [p, want] of [['/v1/traces', { detail: 'Request body is larger than the limit of 8 MiB' }],
		['/v1/private/spans/batch', { code: 413, message: 'Request body is larger than the limit of 8 MiB' }]]) {
		const c = await chunkedPost(`${srv.base}${p}`, [Buffer.alloc(4 << 20, 0x20), Buffer.alloc(4 << 20, 0x20), Buffer.alloc(1 << 20, 0x20)]);
		assert.equal(c.status, 413, c.text);
		assert.match(c.type, /application\/json/, `${p}: ${c.text.slice(0, 80)}`);
		assert.deepEqual(JSON.parse(c.text), want);
	}
});

// Nginx's own refusals of a request it cannot read: JSON too, never its HTML pages.
test('nginx\'s own 400, 414, 501 and 505 are JSON', async () => {
	const srv = await startServer();
	servers.push(srv);
	const raw = (text) => new Promise((resolve) => {
		const s = net.connect(srv.port, '127.0.0.1');
		let out = '';
		s.on('data', (c) => { out += c; });
		s.on('close', () => resolve(out));
		s.on('error', () => resolve(out));
		s.end(text);
	});
	for (const [req, code] of [
		[`GET /apis/intake/v2/workspaces/default/spans?filter=${'x'.repeat(20000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414],
		[`GET /apis/intake/v2/workspaces/default/spans HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(40000)}\r\nConnection: close\r\n\r\n`, 400],
		['POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n', 501],
		['GET /healthz HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n', 505],
	]) {
		const out = await raw(req);
		assert.match(out, new RegExp(`^HTTP/1\\.1 ${code} `), out.slice(0, 200));
		assert.match(out, /Content-Type: application\/json/i, out.slice(0, 300));
		assert.doesNotMatch(out, /<html>/i);
	}
});
