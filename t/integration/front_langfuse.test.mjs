// The scaling front (nginx/spandex-front.conf.in) places a Langfuse OTLP post by its public
// key, the workspace: from x-langfuse-public-key as Langfuse's span processor sends it, or,
// from a plain OTLP exporter that sends only Basic credentials, from their user. Each such span
// must land on the backend that holds the rest of its workspace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, startFront, WS_PREFIX } from '../harness.mjs';

let backends = [], front;
before(async () => {
	backends = [await startServer(), await startServer()];
	front = await startFront(backends);
});
after(async () => {
	front?.stop();
	for (const b of backends) await b.stop();
});

// The consistent hash's points come from each backend's host and port, which the harness draws
// free each run: with six workspaces all of them fell on one backend now and then (about one run
// in thirty). With 24, that is a chance in millions.
const WORKSPACES = Array.from({ length: 24 }, (_, i) => `lf-${i}`);
const otlp = (i, k) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{
	traceId: `${String(i).padStart(2, '0')}${'ab'.repeat(15)}`, spanId: `${String(i).padStart(2, '0')}0000000000000${k}`,
	name: `langfuse-${k}`, startTimeUnixNano: '1767265200000000000', endTimeUnixNano: '1767265201000000000' }] }] }] });
const basic = (user) => `Basic ${Buffer.from(`${user}:sk-lf-secret`).toString('base64')}`;

test('a Langfuse post goes to its workspace\'s backend, by the header or by the Basic user alone', async () => {
	const holders = new Set();
	for (const [i, ws] of WORKSPACES.entries()) {
		// The workspace's backend, as the front places a path that names it.
		let r = await front.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'front', spans: [
			{ span_id: `${ws}-direct`, trace_id: `${ws}-t`, name: 'direct', started_at: '2026-01-01T11:00:00Z' }] } });
		assert.equal(r.status, 201, r.text);
		r = await front.request('POST', '/api/public/otel/v1/traces', { body: otlp(i, 1),
			headers: { 'x-langfuse-public-key': ws, Authorization: basic(ws) } });
		assert.equal(r.status, 200, r.text);
		r = await front.request('POST', '/api/public/otel/v1/traces', { body: otlp(i, 2), headers: { Authorization: basic(ws) } });
		assert.equal(r.status, 200, r.text);
		// Langfuse's public API (its v3 SDKs' batch), placed by the same key.
		r = await front.request('POST', '/api/public/ingestion', { headers: { Authorization: basic(ws) }, body: { batch: [
			{ id: `${ws}-e`, type: 'trace-create', timestamp: '2026-01-01T11:00:00Z', body: { id: `${ws}-lf`, name: 'lf' } }] } });
		assert.equal(r.status, 207, r.text);
		const on = [];
		for (const b of backends)
			on.push((await b.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-direct`)).status === 200);
		const home = on.indexOf(true);
		assert.ok(home >= 0 && on.lastIndexOf(true) === home, `${ws} is on one backend`);
		holders.add(home);
		for (const [j, b] of backends.entries())
			assert.equal((await b.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-lf`)).status, j === home ? 200 : 404,
				`${ws}: the Langfuse trace on backend ${j}`);
		for (const k of [1, 2]) {
			const id = otlp(i, k).resourceSpans[0].scopeSpans[0].spans[0].spanId;
			for (const [j, b] of backends.entries())
				assert.equal((await b.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`)).status, j === home ? 200 : 404,
					`${ws}: span ${k} on backend ${j}`);
		}
	}
	// Both backends hold some: the Basic user, not a default, placed them.
	assert.equal(holders.size, 2, 'the workspaces spread over both backends');
});

// Langfuse's signed media URLs carry no key and no header: the workspace is the path's segment
// (the workspace column of nginx/programs, which t/layers.sh holds to the C routes), so the
// bytes and their download reach the backend that signed the URL and holds the workspace (they
// went to the backend of "default" before).
test('a Langfuse media URL goes to its workspace\'s backend by the workspace in its path', async () => {
	for (const [i, ws] of WORKSPACES.entries()) {
		const bytes = Buffer.from(`media of ${ws} ${'x'.repeat(i)}`);
		const hash = crypto.createHash('sha256').update(bytes).digest('base64');
		const r = await front.request('POST', '/api/public/media', { headers: { Authorization: basic(ws) }, body: {
			traceId: `${ws}-t`, field: 'input', contentType: 'text/plain', contentLength: bytes.length, sha256Hash: hash } });
		assert.equal(r.status, 201, r.text);
		const up = new URL(r.json.uploadUrl);
		assert.match(up.pathname, new RegExp(`^/api/public/media/upload/${ws}/`), r.text);
		const put = await front.request('PUT', up.pathname + up.search, { body: bytes, headers: { 'Content-Type': 'text/plain' } });
		assert.equal(put.status, 200, `${ws}: ${put.text}`);
		const got = await front.request('GET', `/api/public/media/${r.json.mediaId}`, { headers: { Authorization: basic(ws) } });
		assert.equal(got.status, 200, got.text);
		const down = new URL(got.json.url);
		const file = await front.request('GET', down.pathname + down.search);
		assert.equal(file.status, 200, `${ws}: ${file.text}`);
		assert.ok(file.bytes.equals(bytes), ws);
	}
});
