// Langfuse's public API (docs/api-langfuse.md) through nginx and the real programs, driven by
// Langfuse's own npm clients, unchanged: langfuse 3.39.2 (its v3 SDK: traces, spans,
// generations with usage, events, scores, updates, flushAsync, and its `api` methods) and the
// fetch methods of @langfuse/client 5.11.1 (LangfuseClient().api). One store: what the SDK
// writes reads back through NeMo, Opik, Scale GP and the MCP server with the same totals, and
// what OTLP and Opik write reads back through Langfuse's API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, request, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Langfuse } = require('langfuse');
const { LangfuseClient } = await import(require.resolve('@langfuse/client'));

const WS = 'lf-team';
let srv;
const keys = {};
const basic = (user, key) => ({ Authorization: `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}` });
const lf = (p, opts = {}) => request(opts.method || 'GET', `/api/public${p}`,
	{ base: srv.base, body: opts.body, headers: opts.headers || basic(WS, keys.admin) });

before(async () => {
	srv = await startServer();
	for (const role of ['read', 'write', 'admin']) {
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', WS, '--role', role, '--name', `lf-${role}`]);
		assert.equal(r.code, 0, r.stderr);
		keys[role] = r.stdout.trim();
	}
});
after(() => srv?.stop());

const sdk = (key = keys.write) => new Langfuse({ publicKey: WS, secretKey: key, baseUrl: srv.base, flushAt: 1000 });
const ids = {};

test('langfuse 3.x writes a trace, its spans, a generation with usage, an event, a score and updates', async () => {
	const c = sdk();
	const trace = c.trace({ name: 'chat', userId: 'u-1', sessionId: 'lf-session', tags: ['prod', 'beta'],
		metadata: { tier: 'gold' }, input: { question: 'hi' }, release: 'r1', version: 'v1' });
	const span = trace.span({ name: 'retrieve', input: 'query' });
	const gen = span.generation({ name: 'llm', model: 'gpt-4o-mini', modelParameters: { temperature: 0.2 },
		input: [{ role: 'user', content: 'hi' }] });
	gen.end({ output: { role: 'assistant', content: 'hello' },
		usageDetails: { input: 90, input_cached_tokens: 10, output: 20, total: 120 },
		costDetails: { input: 0.0009, output: 0.0012 } });
	span.event({ name: 'cache-miss', level: 'WARNING', statusMessage: 'cold' });
	const failed = trace.generation({ name: 'retry', model: 'gpt-4o-mini', usage: { input: 5, output: 0 } });
	failed.end({ level: 'ERROR', statusMessage: 'rate limited' });
	span.end({ output: 'docs' });
	trace.update({ output: 'bye', tags: ['alpha'] });
	trace.score({ name: 'quality', value: 0.8, comment: 'fine' });
	gen.score({ name: 'helpful', value: 1, dataType: 'BOOLEAN' });
	trace.score({ name: 'tone', value: 'polite' });
	await c.flushAsync();
	Object.assign(ids, { trace: trace.id, span: span.id, gen: gen.id, failed: failed.id });

	const t = await c.api.traceGet(trace.id);
	assert.equal(t.name, 'chat');
	assert.equal(t.userId, 'u-1');
	assert.equal(t.sessionId, 'lf-session');
	assert.deepEqual(t.tags, ['alpha', 'beta', 'prod']); // joined and sorted, as Langfuse's worker merges them
	assert.deepEqual(t.metadata, { tier: 'gold' });
	assert.deepEqual(t.input, { question: 'hi' });
	assert.equal(t.output, 'bye');
	assert.equal(t.release, 'r1');
	assert.equal(t.observations.length, 4);
	const byName = Object.fromEntries(t.observations.map((o) => [o.name, o]));
	assert.equal(byName.retrieve.type, 'SPAN');
	assert.equal(byName.retrieve.parentObservationId, null);
	assert.equal(byName['cache-miss'].type, 'EVENT');
	assert.equal(byName['cache-miss'].level, 'WARNING');
	assert.equal(byName.llm.type, 'GENERATION');
	assert.equal(byName.llm.parentObservationId, span.id);
	assert.equal(byName.llm.model, 'gpt-4o-mini');
	assert.deepEqual(byName.llm.modelParameters, { temperature: 0.2 });
	assert.deepEqual(byName.llm.usageDetails, { input_cached_tokens: 10, input: 90, output: 20, total: 120 });
	assert.deepEqual(byName.llm.costDetails, { input: 0.0009, output: 0.0012, total: 0.0021 });
	assert.deepEqual(byName.llm.output, { role: 'assistant', content: 'hello' });
	assert.equal(byName.retry.level, 'ERROR');
	assert.equal(byName.retry.statusMessage, 'rate limited');
	assert.deepEqual(byName.retry.usageDetails, { input: 5, output: 0, total: 5 });
	assert.equal(t.totalCost, 0.0021);
	assert.deepEqual(t.scores.map((s) => [s.name, s.dataType, s.value ?? s.stringValue]).sort(),
		[['helpful', 'BOOLEAN', 1], ['quality', 'NUMERIC', 0.8], ['tone', 'CATEGORICAL', 0]]);
});

test('langfuse 3.x api: lists with their filters, observations, sessions and scores', async () => {
	const c = sdk(keys.read);
	const other = sdk();
	other.trace({ name: 'other', userId: 'u-2', tags: ['beta'] });
	await other.flushAsync();
	assert.deepEqual((await c.api.traceList({ userId: 'u-1' })).data.map((t) => t.id), [ids.trace]);
	assert.deepEqual((await c.api.traceList({ name: 'other' })).data.map((t) => t.name), ['other']);
	const beta = await c.api.traceList({ tags: ['beta'] });
	assert.equal(beta.data.length, 2);
	const page = await c.api.traceList({ limit: 1, page: 2 });
	assert.deepEqual(page.meta, { page: 2, limit: 1, totalItems: 2, totalPages: 2 });
	const listed = (await c.api.traceList({ sessionId: 'lf-session' })).data[0];
	assert.equal(listed.observations.length, 4);
	assert.equal(listed.scores.length, 3);
	const gens = await c.api.observationsGetMany({ traceId: ids.trace, type: 'GENERATION' });
	assert.deepEqual(gens.data.map((o) => o.name).sort(), ['llm', 'retry']);
	assert.equal((await c.api.observationsGet(ids.gen)).calculatedTotalCost, 0.0021);
	const s = await c.api.sessionsGet('lf-session');
	assert.deepEqual(s.traces.map((t) => t.id), [ids.trace]);
	assert.deepEqual((await c.api.sessionsList({})).data.map((x) => x.id), ['lf-session']);
	const quality = await c.api.scoreV2Get({ name: 'quality' });
	assert.equal(quality.data.length, 1);
	assert.deepEqual(quality.data[0].trace, { userId: 'u-1', environment: 'default', sessionId: 'lf-session', tags: ['alpha', 'beta', 'prod'] });
	assert.equal((await c.api.scoreV2GetById(quality.data[0].id)).value, 0.8);
	const made = await sdk().api.scoreCreate({ name: 'manual', value: 3, traceId: ids.trace });
	assert.equal((await c.api.scoreV2GetById(made.id)).value, 3);
	await sdk().api.scoreDelete(made.id);
	assert.equal((await lf(`/v2/scores/${made.id}`)).status, 404);
});

test('@langfuse/client 5.x reads the same data', async () => {
	const c = new LangfuseClient({ publicKey: WS, secretKey: keys.read, baseUrl: srv.base });
	const t = await c.api.trace.get(ids.trace);
	assert.equal(t.observations.length, 4);
	assert.equal((await c.api.trace.list({ userId: 'u-1' })).data[0].id, ids.trace);
	const first = await c.api.observations.getMany({ traceId: ids.trace, limit: 2, fields: 'core,basic,usage' });
	assert.equal(first.data.length, 2);
	assert.ok(first.meta.cursor);
	const rest = await c.api.observations.getMany({ traceId: ids.trace, limit: 2, cursor: first.meta.cursor });
	assert.equal(rest.data.length, 2);
	assert.equal(new Set([...first.data, ...rest.data].map((o) => o.id)).size, 4);
	assert.equal((await c.api.legacy.observationsV1.getMany({ traceId: ids.trace })).data.length, 4);
	assert.equal((await c.api.sessions.get('lf-session')).traces.length, 1);
	assert.equal((await c.api.scores.getMany({ traceId: ids.trace })).data.length, 3);
	assert.equal((await c.api.health.health()).status, 'OK');
});

test('one store: what the SDK wrote reads back through NeMo, Opik, Scale GP and MCP with the same totals', async () => {
	const auth = { Authorization: `Bearer ${keys.read}` };
	const nemo = await request('GET', `${WS_PREFIX}/${WS}/traces/${ids.trace}?mode=detailed`, { base: srv.base, headers: auth });
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.input_tokens, 105);
	assert.equal(nemo.json.output_tokens, 20);
	assert.equal(nemo.json.cost_usd, 0.0021);
	assert.equal(nemo.json.error_count, 1);
	const opik = await request('GET', `/v1/private/traces/${ids.trace}`, { base: srv.base, headers: { authorization: keys.read, 'Comet-Workspace': WS } });
	assert.equal(opik.status, 200, opik.text);
	assert.equal(opik.json.total_estimated_cost, 0.0021);
	const sgp = await request('GET', `/v5/spans/${ids.gen}`, { base: srv.base, headers: { 'x-api-key': keys.read, 'x-selected-account-id': WS } });
	assert.equal(sgp.status, 200, sgp.text);
	assert.equal(sgp.json.trace_id, ids.trace);
	const rpc = await request('POST', '/mcp', { base: srv.base, headers: { ...auth, Accept: 'application/json, text/event-stream' },
		body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_trace', arguments: { workspace: WS, trace_id: ids.trace } } } });
	assert.equal(rpc.status, 200, rpc.text);
	assert.match(rpc.json.result.content[0].text, /0\.0021/);
});

test('one store: what OTLP and Opik wrote reads back through Langfuse with the same totals', async () => {
	const start = new Date(Date.now() - 60_000).toISOString();
	const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { base: srv.base, headers: { Authorization: `Bearer ${keys.write}` },
		body: { source: 'direct', spans: [
			{ span_id: 'd-root', trace_id: 'd-trace', name: 'agent', started_at: start, session_id: 'd-session' },
			{ span_id: 'd-llm', trace_id: 'd-trace', parent_span_id: 'd-root', name: 'call', kind: 'LLM', started_at: start,
				attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3, 'gen_ai.usage.cost': 0.5 } }] } });
	assert.equal(r.status, 201, r.text);
	const opik = await request('POST', '/v1/private/traces/batch', { base: srv.base, headers: { authorization: keys.write, 'Comet-Workspace': WS },
		body: { traces: [{ id: '0191f0e5-0000-7000-8000-000000000001', name: 'opik-trace', start_time: start }] } });
	assert.equal(opik.status, 204, opik.text);
	const spans = await request('POST', '/v1/private/spans/batch', { base: srv.base, headers: { authorization: keys.write, 'Comet-Workspace': WS },
		body: { spans: [{ id: '0191f0e5-0000-7000-8000-000000000002', trace_id: '0191f0e5-0000-7000-8000-000000000001', name: 'opik-llm',
			type: 'llm', start_time: start, usage: { prompt_tokens: 4, completion_tokens: 2 }, total_estimated_cost: 0.25 }] } });
	assert.equal(spans.status, 204, spans.text);
	const c = sdk(keys.read);
	const direct = await c.api.traceGet('d-trace');
	assert.equal(direct.sessionId, 'd-session');
	assert.equal(direct.totalCost, 0.5);
	assert.deepEqual(direct.observations.map((o) => [o.name, o.type]).sort(), [['agent', 'SPAN'], ['call', 'GENERATION']]);
	assert.deepEqual(direct.observations.find((o) => o.type === 'GENERATION').usageDetails, { input: 7, output: 3, total: 10 });
	const op = await c.api.traceGet('0191f0e5-0000-7000-8000-000000000001');
	assert.equal(op.name, 'opik-trace');
	assert.equal(op.totalCost, 0.25);
	assert.deepEqual(op.observations.map((o) => o.name), ['opik-llm']); // the trace's row is no observation
});

test('the batch: an update before its create merges, a bad event is a 207 error beside the others', async () => {
	const now = Date.now();
	const at = (ms) => new Date(now + ms).toISOString();
	const post = (batch) => lf('/ingestion', { method: 'POST', body: { batch }, headers: basic(WS, keys.write) });
	let r = await post([{ id: 'e1', type: 'generation-update', timestamp: at(2), body: { id: 'g-late', traceId: 'lf-t2', endTime: at(500), output: 'done',
		usage: { input: 3, output: 4 } } }]);
	assert.equal(r.status, 207);
	assert.deepEqual(r.json, { successes: [{ id: 'e1', status: 201 }], errors: [] });
	r = await post([
		{ id: 'e2', type: 'trace-create', timestamp: at(0), body: { id: 'lf-t2', name: 'late' } },
		{ id: 'e3', type: 'generation-create', timestamp: at(1), body: { id: 'g-late', traceId: 'lf-t2', name: 'gen', startTime: at(1), model: 'x' } },
		{ id: 'e4', type: 'span-create', timestamp: 'yesterday', body: { id: 'bad' } },
		{ id: 'e5', type: 'sdk-log', timestamp: at(3), body: { log: 'hi' } },
		{ id: 'e6', type: 'no-such-type', timestamp: at(3), body: {} }]);
	assert.equal(r.status, 207);
	assert.deepEqual(r.json.successes, [{ id: 'e2', status: 201 }, { id: 'e3', status: 201 }]);
	assert.deepEqual(r.json.errors.map((e) => [e.id, e.status, e.message]), [['e4', 400, 'Invalid request data'], ['e6', 400, 'Invalid request data']]);
	const g = (await lf('/observations/g-late')).json;
	assert.equal(g.name, 'gen');
	assert.equal(g.output, 'done');
	assert.equal(g.model, 'x');
	assert.deepEqual(g.usageDetails, { input: 3, output: 4, total: 7 });
	assert.equal(g.startTime, new Date(now + 1).toISOString().replace('Z', '000Z'));
	assert.equal(g.parentObservationId, null);
});

test('auth, errors and deletes in Langfuse\'s shapes', async () => {
	let r = await lf('/traces', { headers: {} });
	assert.equal(r.status, 401);
	assert.equal(r.json.error, 'UnauthorizedError');
	r = await lf('/traces', { headers: basic('lf-team', 'spx_0000') });
	assert.equal(r.status, 401);
	// A key of another workspace: known, not this workspace's.
	r = await lf('/traces', { headers: basic('other-ws', keys.read) });
	assert.equal(r.status, 403);
	r = await lf('/ingestion', { method: 'POST', body: { batch: [] }, headers: basic(WS, keys.read) });
	assert.equal(r.status, 403);
	assert.equal(r.json.error, 'ForbiddenError');
	r = await lf('/traces/nope');
	assert.equal(r.status, 404);
	assert.deepEqual(r.json, { message: 'Trace nope not found within authorized project', error: 'LangfuseNotFoundError' });
	r = await lf('/traces?limit=0');
	assert.equal(r.status, 400);
	assert.equal(r.json.message, 'Invalid request data');
	r = await lf('/ingestion', { method: 'POST', body: { nobatch: 1 }, headers: basic(WS, keys.write) });
	assert.equal(r.status, 400);
	const m = await lf('/metrics/daily');
	assert.equal(m.status, 200);
	assert.ok(m.json.data[0].usage.some((u) => u.model === 'gpt-4o-mini' && u.totalCost === 0.0021));
	const c = new LangfuseClient({ publicKey: WS, secretKey: keys.admin, baseUrl: srv.base });
	await c.api.trace.delete(ids.trace);
	assert.equal((await lf(`/traces/${ids.trace}`)).status, 404);
	assert.equal((await lf(`/observations/${ids.gen}`)).status, 404);
	assert.equal((await lf(`/v2/scores?traceId=${ids.trace}`)).json.data.length, 0);
	assert.equal((await request('GET', `${WS_PREFIX}/${WS}/spans/${ids.gen}`, { base: srv.base, headers: { Authorization: `Bearer ${keys.read}` } })).status, 404);
});

test('hostile batches and parameters: a 207 or a 4xx in Langfuse\'s shape, never a 5xx', async () => {
	const odd = [null, true, -1, 1e308, 'x', '', [], {}, { a: { b: [null] } }, '../x', 'x'.repeat(2000)];
	const members = ['id', 'traceId', 'startTime', 'metadata', 'level', 'usage', 'usageDetails', 'costDetails',
		'modelParameters', 'promptVersion', 'tags', 'value', 'dataType', 'observationId'];
	const types = ['trace-create', 'span-update', 'generation-create', 'score-create', 'observation-create', 'sdk-log', 'x'];
	for (let i = 0; i < odd.length; i++) {
		const batch = types.map((type, k) => ({ id: `h${k}`, type, timestamp: new Date().toISOString(),
			body: Object.fromEntries(members.map((m, j) => [m, odd[(i + j + k) % odd.length]])) }));
		batch.push(odd[i]);
		const r = await lf('/ingestion', { method: 'POST', body: { batch }, headers: basic(WS, keys.write) });
		assert.equal(r.status, 207, r.text);
		// Every event is answered once, but the sdk-log (in neither list, as Langfuse answers it).
		assert.equal(r.json.successes.length + r.json.errors.length, batch.length - 1);
		assert.ok(r.json.errors.some((e) => e.id === 'unknown' || e.id === 'h6'));
	}
	for (const q of ['/traces?limit=0', '/traces?page=x', '/traces?orderBy=name.asc', '/traces?fromTimestamp=bad',
		'/v2/observations?cursor=!!', '/v2/observations?fields=nope', '/v2/observations?parseIoAsJson=true',
		'/v2/scores?limit=101', '/v2/scores?value=x', '/observations?isRootObservation=maybe']) {
		const r = await lf(q);
		assert.equal(r.status, 400, `${q}: ${r.text}`);
		assert.equal(r.json.message, 'Invalid request data');
	}
});
