// The bucket (issue 51) in sync mode (SPANDEX_S3_SYNC=1) while it cannot be reached: every
// API's write (Intake spans and annotations, Opik spans and feedback scores, Scale GP,
// Langfuse's ingestion, MCP's add_score) answers 503 with Retry-After in its own error shape
// and is not acknowledged, /healthz says the host is degraded; once the bucket is back the
// host is healthy again and writes are taken, and what was acknowledged is in the bucket.
// Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, spandexOk } from '../harness.mjs';
import { s3Server, makeBucket, s3Env, waitFor, rgwStop, rgwStart } from '../s3.mjs';

const WS = 'syncdown';
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// One write of each API to WS (Intake spans and annotations, Opik spans and feedback scores,
// Scale GP, Langfuse's ingestion, MCP's add_score), tagged n: [{api, r}] with each answer.
async function everyApiWrites(base, n) {
	const now = new Date().toISOString();
	const id = (k) => `0190a1b2-00${String(k).padStart(2, '0')}-7000-8000-${String(n).padStart(12, '0')}`;
	const json = { 'Content-Type': 'application/json' };
	const opikH = { ...json, 'Comet-Workspace': WS };
	const basic = { Authorization: `Basic ${Buffer.from(`${WS}:k`).toString('base64')}` };
	const mcpH = { ...json, Accept: 'application/json, text/event-stream' };
	const writes = {
		intake: ['POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`, { source: 'x', spans: [{ span_id: `sy-${n}`, trace_id: 't', started_at: now }] }, {}],
		annotation: ['POST', `/apis/intake/v2/workspaces/${WS}/annotations`, { kind: 'note', session_id: `s-${n}`, text: `n${n}` }, {}],
		opik: ['POST', '/v1/private/spans/batch', { spans: [{ id: id(1), trace_id: id(2), project_name: 'p', name: 'x', type: 'general', start_time: now }] }, opikH],
		opik_score: ['PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: id(1), project_name: 'p', name: 'q', value: 1, source: 'sdk' }] }, opikH],
		sgp: ['PUT', '/v5/spans/batch', { items: [{ id: id(3), name: 'x', trace_id: id(4), start_timestamp: now }] }, { ...json, 'x-selected-account-id': WS }],
		langfuse: ['POST', '/api/public/ingestion', { batch: [{ id: `e${n}`, type: 'trace-create', timestamp: now, body: { id: `lf-${n}`, name: 'x' } }] }, basic],
		mcp: ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_score', arguments: { workspace: WS, span_id: `sy-${n}`, name: 'q', value: 0.5 } } }, mcpH],
	};
	const out = [];
	for (const [api, [method, p, body, headers]] of Object.entries(writes))
		out.push({ api, r: await request(method, p, { body, headers, base }) });
	return out;
}

test('sync mode with the bucket down: every API\'s write answers 503 with Retry-After in its own shape, none acknowledged; back up, they are taken', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'syncdown');
	const env = s3Env(s3, bucket, 'spx', { SPANDEX_S3_SYNC: '1', SPANDEX_S3_TIMEOUT: '2' });
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	for (const { api, r } of await everyApiWrites(A.base, 1)) assert.ok(r.status < 300, `${api}: ${r.status} ${r.text}`);
	await rgwStop(s3);
	let up = false;
	cleanup.push(() => up || rgwStart(s3));
	const shapes = {
		intake: (j) => typeof j.detail === 'string',
		annotation: (j) => typeof j.detail === 'string',
		opik: (j) => j.code === 503 && typeof j.message === 'string',
		opik_score: (j) => j.code === 503 && typeof j.message === 'string',
		sgp: (j) => typeof j.detail === 'string' || typeof j.message === 'string',
		langfuse: (j) => j.error === 'ServiceUnavailableError' && typeof j.message === 'string',
		mcp: (j) => j.jsonrpc === '2.0' && typeof j.error?.message === 'string',
	};
	for (const { api, r } of await everyApiWrites(A.base, 2)) {
		assert.equal(r.status, 503, `${api}: ${r.text}`);
		assert.ok(Number(r.headers['retry-after']) > 0, `${api}: Retry-After`);
		assert.ok(shapes[api](r.json), `${api}: its own error shape: ${r.text}`);
		assert.match(r.text, /bucket|endpoint/i, `${api}: names the bucket`);
	}
	const h = await request('GET', '/healthz', { base: A.base });
	assert.equal(h.status, 503, `sync mode: the host is degraded while its bucket is down: ${h.text}`);
	await rgwStart(s3);
	up = true;
	await waitFor(async () => (await request('GET', '/healthz', { base: A.base })).status === 200, 'the bucket back in /healthz');
	for (const { api, r } of await everyApiWrites(A.base, 3)) assert.ok(r.status < 300, `${api}: ${r.status} ${r.text}`);
	// What was acknowledged is in the bucket (a refused write stayed here unacknowledged, and
	// ships with the next pass: its client's retry is idempotent).
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-syncdown-'));
	cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
	await spandexOk(['pull', dir, '--workspace', WS, '--copy'], { env });
	const C = await startServer({ dataDir: dir, env });
	cleanup.push(() => C.stop());
	for (const n of [1, 3]) {
		const g = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans/sy-${n}`, { base: C.base });
		assert.equal(g.status, 200, `sy-${n}: ${g.text}`);
	}
});
