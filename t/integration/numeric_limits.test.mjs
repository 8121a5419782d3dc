// Numbers at the edge of what a span holds (docs/limits.md: a token count at most 4294967295,
// CATALOG_MAX_TOKENS; a cost at most 1e9 USD, CATALOG_MAX_USD), sent through every way in.
// Each case here killed a worker (signed overflow under UBSan: a 502) or stored a span whose
// rollups or index disagreed with its line, before those limits: a count or cost past them is
// no count or cost (a 422 where the API checks the field, else left in raw_attributes), and
// sums that many spans make saturate or stay finite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, ingestSpans, makeSpan, getSpan, spandexOk, alive, WS_PREFIX, dayTime } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer({ workers: 1 });
});
after(async () => {
	await srv?.stop();
});

const BIG = 9223372036854775807n; // INT64_MAX, written as a JSON integer
const bigJson = (o) => JSON.stringify(o).replace(/"@BIG@"/g, BIG.toString());
const W = (ws) => `${WS_PREFIX}/${ws}`;

function allUp() {
	for (const [name, p] of Object.entries(srv.procs)) assert.ok(alive(p.pid), `${name} is down`);
}

test('NeMo ingest: token counts past 4294967295 are no counts; the span and its trace agree', async () => {
	const ws = 'lim-nemo';
	const spans = [
		makeSpan('over', { trace_id: 't-over', attributes: { 'gen_ai.usage.input_tokens': '@BIG@', 'gen_ai.usage.output_tokens': 1 } }),
		makeSpan('five-g', { trace_id: 't-5g', attributes: { 'gen_ai.usage.input_tokens': 5e9, 'gen_ai.usage.output_tokens': 7 } }),
		makeSpan('max', { trace_id: 't-max', attributes: { 'gen_ai.usage.input_tokens': 4294967295, 'gen_ai.usage.output_tokens': 1 } }),
	];
	const r = await request('POST', `${W(ws)}/ingest/spans`, { body: bigJson({ source: 'lim', spans }) });
	assert.equal(r.status, 201, r.text);
	allUp();
	const over = (await getSpan(ws, 'over')).json;
	assert.ok(!('input_tokens' in over), JSON.stringify(over));
	assert.equal(over.output_tokens, 1);
	const five = (await getSpan(ws, 'five-g')).json;
	assert.ok(!('input_tokens' in five));
	const t5 = (await request('GET', `${W(ws)}/traces/t-5g`)).json;
	assert.ok(!('input_tokens' in t5), JSON.stringify(t5));
	assert.equal(t5.output_tokens, 7);
	// The largest count is kept whole, in the span and in its trace's sums.
	assert.equal((await getSpan(ws, 'max')).json.input_tokens, 4294967295);
	assert.equal((await request('GET', `${W(ws)}/traces/t-max`)).json.input_tokens, 4294967295);
	await spandexOk(['verify', srv.dataDir]);
});

test('OTLP: intValue 9223372036854775807 on both token keys is stored without those counts', async () => {
	const start = Date.parse(dayTime()) * 1e6;
	const attr = (key) => ({ key, value: { intValue: '9223372036854775807' } });
	const body = { resourceSpans: [{ scopeSpans: [{ spans: [{
		traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'llm',
		startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1e6),
		attributes: [attr('gen_ai.usage.input_tokens'), attr('gen_ai.usage.output_tokens')],
	}] }] }] };
	const r = await request('POST', '/v1/traces', { body, headers: { 'X-Workspace': 'lim-otlp' } });
	assert.equal(r.status, 200, r.text);
	allUp();
	const s = (await getSpan('lim-otlp', 'b7ad6b7169203331')).json;
	assert.ok(!('input_tokens' in s) && !('output_tokens' in s), JSON.stringify(s));
});

test('Opik: usage past 4294967295, negative or 1e300 is refused; a cost past 1e9 too', async () => {
	const h = { 'Comet-Workspace': 'lim-opik' };
	const span = (id, extra) => ({ id, trace_id: '0190a1b2-0000-7000-8000-00000000aaaa', project_name: 'p', name: 'n',
		type: 'llm', start_time: '2026-03-01T00:00:00Z', ...extra });
	const cases = [
		{ prompt_tokens: '@BIG@', completion_tokens: '@BIG@' }, { prompt_tokens: 1e300 }, { prompt_tokens: -1 },
		{ prompt_tokens: 4294967296 },
	];
	for (const [i, usage] of cases.entries()) {
		const body = bigJson({ spans: [span(`0190a1b2-0000-7000-8000-0000000000${10 + i}`, { usage })] });
		const r = await request('POST', '/v1/private/spans/batch', { body, headers: { ...h, 'Content-Type': 'application/json' } });
		assert.equal(r.status, 422, `${JSON.stringify(usage)}: ${r.status} ${r.text}`);
		assert.match(r.text, /usage/);
	}
	let r = await request('POST', '/v1/private/spans/batch', {
		body: { spans: [span('0190a1b2-0000-7000-8000-000000000020', { total_estimated_cost: 1e308 })] }, headers: h });
	assert.equal(r.status, 422, r.text);
	r = await request('POST', '/v1/private/spans/batch', {
		body: { spans: [span('0190a1b2-0000-7000-8000-000000000021', { usage: { prompt_tokens: 4294967295 }, total_estimated_cost: 1e9 })] },
		headers: h });
	assert.equal(r.status, 204, r.text);
	allUp();
});

test('chat completions: usage INT64_MAX + 1 leaves the counts it cannot hold; a cost past 1e9 is a 422', async () => {
	const ws = 'lim-chat';
	const base = { request: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
		response: { id: 'chatcmpl-lim', model: 'gpt-4o', choices: [{ message: { role: 'assistant', content: 'yo' } }],
			usage: { prompt_tokens: '@BIG@', completion_tokens: 1 } } };
	let r = await request('POST', `${W(ws)}/ingest/chat-completions`, { body: bigJson(base) });
	assert.equal(r.status, 201, r.text);
	allUp();
	const s = (await getSpan(ws, 'chatcmpl-lim')).json;
	assert.ok(!('input_tokens' in s) && !('total_tokens' in s), JSON.stringify(s));
	assert.equal(s.output_tokens, 1);
	r = await request('POST', `${W(ws)}/ingest/chat-completions`, { body: { ...base, response: { ...base.response, usage: {} }, cost_usd: 1e308 } });
	assert.equal(r.status, 422, r.text);
	assert.equal(r.json.detail[0].type, 'less_than_equal');
	assert.deepEqual(r.json.detail[0].loc, ['body', 'cost_usd']);
});

test('ATIF: step metrics and final metrics past the limits are a 422', async () => {
	const ws = 'lim-atif';
	const traj = (metrics, final) => ({ schema_version: 'ATIF-v1.6', session_id: 's-lim', agent: { name: 'a', version: '0' },
		steps: [{ step_id: 1, source: 'user', message: 'hi' }, { step_id: 2, source: 'agent', message: 'yo', metrics }],
		...(final ? { final_metrics: final } : {}) });
	let r = await request('POST', `${W(ws)}/ingest/atif`, { body: bigJson(traj({ prompt_tokens: '@BIG@', completion_tokens: 1 })) });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc.at(-1)]), [['less_than_equal', 'prompt_tokens']]);
	r = await request('POST', `${W(ws)}/ingest/atif`, { body: traj({}, { total_cost_usd: 1e308 }) });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc.at(-1)]), [['less_than_equal', 'total_cost_usd']]);
	r = await request('POST', `${W(ws)}/ingest/atif`, { body: traj({ prompt_tokens: 4294967295, completion_tokens: 1 }) });
	assert.equal(r.status, 201, r.text);
	allUp();
});

test('costs past 1e9 are no costs: the line and the index agree (verify), stats answer', async () => {
	const ws = 'lim-cost';
	const t = '2025-06-01T12:00:00Z';
	const spans = [
		makeSpan('c1', { trace_id: 'tc', started_at: t, attributes: { 'llm.cost.total': 1e13 } }),
		makeSpan('c2', { trace_id: 'tc', started_at: t, attributes: { 'llm.cost.total': 1e13 } }),
		makeSpan('c3', { trace_id: 'td', started_at: t, attributes: { 'llm.cost.total': 1e308 } }),
		makeSpan('c4', { trace_id: 'te', started_at: t, attributes: { 'llm.cost.total': 1.7e308 } }),
		makeSpan('c5', { trace_id: 'te', started_at: t, attributes: { 'llm.cost.total': 1.7e308 } }),
		makeSpan('c6', { trace_id: 'tf', started_at: t, attributes: { 'llm.cost.total': 1e9 } }),
	];
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const r = await request('GET', `${W(ws)}/spans/stats?start=2025-06-01T00:00:00Z&end=2025-06-02T00:00:00Z`);
	assert.equal(r.status, 200, r.text);
	allUp();
	for (const id of ['c1', 'c3', 'c4']) {
		const s = (await getSpan(ws, id)).json;
		assert.ok(!('cost_total_usd' in s), `${id}: ${JSON.stringify(s)}`);
	}
	assert.equal((await getSpan(ws, 'c6')).json.cost_total_usd, 1e9);
	const te = (await request('GET', `${W(ws)}/traces/te`)).json;
	assert.ok(!('cost_total_usd' in te), JSON.stringify(te));
	await spandexOk(['verify', srv.dataDir]);
});

test('evaluator scores: the mean of two results of 1.7e308 is 1.7e308, not null', async () => {
	const ws = 'lim-eval';
	assert.equal((await ingestSpans(ws, [makeSpan('e1', { trace_id: 'te1', session_id: 'se1' }),
		makeSpan('e2', { trace_id: 'te1', session_id: 'se1', parent_span_id: 'e1' })])).status, 201);
	for (const span_id of ['e1', 'e2']) {
		const r = await request('POST', `${W(ws)}/evaluator-results`, {
			body: { session_id: 'se1', span_id, name: 'e', data_type: 'NUMERIC', value: 1.7e308 } });
		assert.equal(r.status, 201, r.text);
	}
	const t = await request('GET', `${W(ws)}/traces/te1`);
	assert.equal(t.status, 200, t.text);
	assert.deepEqual(t.json.evaluator_scores, { e: 1.7e308 });
	assert.deepEqual((await request('GET', `${W(ws)}/sessions/se1`)).json.evaluator_scores, { e: 1.7e308 });
});
