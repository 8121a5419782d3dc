// Costs from the model price table (issue 16): a span that brings a model and token counts but
// no cost gets cost_*_usd computed at ingest and marked in raw_attributes; a span with a cost
// of its own keeps it. The shipped table by default (issue 33); with SPANDEX_PRICES=off none is
// computed, as the NeMo service answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, makeSpan, dayTime, within, WAIT_MS, WS_PREFIX, SRCDIR } from '../harness.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

const spans = () => [
	makeSpan('p-priced', { started_at: dayTime(), attributes: { 'gen_ai.request.model': 'gpt-4o-2024-08-06',
		'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 200, 'gen_ai.usage.cached_tokens': 400 } }),
	makeSpan('p-own', { started_at: dayTime(1), attributes: { 'gen_ai.request.model': 'gpt-4o',
		'gen_ai.usage.input_tokens': 1000, 'llm.cost.total': 0.5 } }),
	makeSpan('p-unknown', { started_at: dayTime(2), attributes: { 'gen_ai.request.model': 'house-model',
		'gen_ai.usage.input_tokens': 1000 } }),
];

async function ingestAndGet(srv) {
	const r = await srv.request('POST', `${WS_PREFIX}/prices/ingest/spans`, { body: { source: 'p', spans: spans() } });
	assert.equal(r.status, 201, r.text);
	const get = async (id) => (await srv.request('GET', `${WS_PREFIX}/prices/spans/${id}`)).json;
	return { priced: await get('p-priced'), own: await get('p-own'), unknown: await get('p-unknown') };
}

test('with SPANDEX_PRICES: computed costs, marked; own costs kept', async () => {
	const srv = await startServer({ env: { SPANDEX_PRICES: path.join(SRCDIR, 'prices', 'prices.tsv') } });
	servers.push(srv);
	const { priced, own, unknown } = await ingestAndGet(srv);
	// 600 * 2.50 + 400 * 1.25 input, 200 * 10.00 output, per million tokens.
	assert.equal(priced.cost_input_usd, 0.002);
	assert.equal(priced.cost_output_usd, 0.002);
	assert.equal(priced.cost_total_usd, 0.004);
	const raw = JSON.parse(priced.raw_attributes);
	assert.equal(raw['spandex.cost'], 'computed');
	assert.match(raw['spandex.price_table'], /^\d{4}-\d{2}-\d{2}$/);
	assert.equal(own.cost_total_usd, 0.5);
	assert.equal(own.cost_input_usd, undefined);
	assert.equal(JSON.parse(own.raw_attributes || '{}')['spandex.cost'], undefined);
	assert.equal(unknown.cost_total_usd, undefined);
	// The trace rollup adds computed costs like any other.
	const t = await srv.request('GET', `${WS_PREFIX}/prices/traces/${priced.trace_id}`);
	assert.equal(t.json.cost_usd, 0.004);
});

// An Opik PATCH of total_estimated_cost makes the cost the client's: it was priced again over
// the client's (the computed mark stayed) and showed the table's cost.
test('an Opik PATCH of total_estimated_cost replaces a computed cost, and is not priced again', async () => {
	const srv = await startServer({ env: { SPANDEX_PRICES: path.join(SRCDIR, 'prices', 'prices.tsv') } });
	servers.push(srv);
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'prices-opik' };
	let r = await srv.request('POST', '/v1/private/spans', { headers: h, body: { id: 'po-1', trace_id: 'po-t', name: 'call', type: 'llm',
		model: 'gpt-4o-mini', start_time: '2026-01-01T00:00:01Z', usage: { prompt_tokens: 1000, completion_tokens: 500 } } });
	assert.equal(r.status, 201, r.text);
	const get = async () => (await srv.request('GET', `${WS_PREFIX}/prices-opik/spans/po-1`)).json;
	assert.equal(JSON.parse((await get()).raw_attributes)['spandex.cost'], 'computed');
	r = await srv.request('PATCH', '/v1/private/spans/po-1', { headers: h, body: { trace_id: 'po-t', total_estimated_cost: 0.25 } });
	assert.equal(r.status, 204, r.text);
	const s = await get();
	assert.deepEqual([s.cost_total_usd, s.cost_input_usd, s.cost_output_usd], [0.25, undefined, undefined], JSON.stringify(s));
	assert.equal(JSON.parse(s.raw_attributes)['spandex.cost'], undefined);
});

test('without SPANDEX_PRICES: the shipped table, on by default', async () => {
	const srv = await startServer({ env: { SPANDEX_PRICES: null } });
	servers.push(srv);
	const { priced } = await ingestAndGet(srv);
	assert.equal(priced.cost_total_usd, 0.004);
	assert.equal(JSON.parse(priced.raw_attributes)['spandex.cost'], 'computed');
});

test('SPANDEX_PRICES=off: no cost is computed', async () => {
	const srv = await startServer({ env: { SPANDEX_PRICES: 'off' } });
	servers.push(srv);
	const { priced } = await ingestAndGet(srv);
	assert.equal(priced.cost_total_usd, undefined);
	assert.equal(JSON.parse(priced.raw_attributes || '{}')['spandex.cost'], undefined);
});

// SPANDEX_PRICES naming a FIFO or a device: no table, said in the log, and the spans stored at
// once without computed costs. The FIFO's open waited for a writer, holding the worker (every
// ingest hung), and /dev/zero was read as one endless line.
test('a price table that is a FIFO or a device: spans stored at once without computed costs', async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-prices-'));
	const fifo = path.join(dir, 'prices.fifo');
	execFileSync('mkfifo', [fifo]);
	try {
		for (const table of [fifo, '/dev/zero']) {
			const srv = await startServer({ env: { SPANDEX_PRICES: table } });
			servers.push(srv);
			const r = await within(srv.request('POST', `${WS_PREFIX}/prices/ingest/spans`, { body: { source: 'p', spans: spans() } }),
				{ status: `no answer in ${WAIT_MS / 1000} s` });
			try {
				// Lets a worker still waiting in the FIFO's open go (before the fix).
				fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
			} catch {
				// no reader
			}
			assert.equal(r.status, 201, `${table}: ${r.text ?? ''}`);
			const priced = (await srv.request('GET', `${WS_PREFIX}/prices/spans/p-priced`)).json;
			assert.equal(priced.cost_total_usd, undefined, table);
			assert.match(fs.readFileSync(srv.procs.ingest.log, 'utf8'), new RegExp(`price table ${table}: not a regular file; spans stored without computed costs`));
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

// A cost a client sent that cannot be one (more than CATALOG_MAX_USD_PER_TOKEN per token: an
// instrumentor writing token counts into cost fields) is set aside in raw_attributes and the
// span priced as one that brought none, on every surface: OTLP, direct spans, chat
// completions, Opik spans (their total_estimated_cost, created or PATCHed); a cost that can
// be one is kept. gpt-4o-mini, 1000 input and 500 output tokens: the table's 0.00045.
test('a client cost that cannot be one is set aside on every surface', async () => {
	const srv = await startServer({ env: { SPANDEX_PRICES: null } });
	servers.push(srv);
	const ws = 'sanity', priced = 0.00045, h = { 'Comet-Workspace': ws };
	const otlp = (spanId, cost) => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{
		traceId: '7bf92f3577b34da6a3ce929d0e0e4731', spanId, name: 'chat gpt-4o-mini', kind: 3,
		startTimeUnixNano: String(BigInt(Date.parse(dayTime())) * 1000000n), endTimeUnixNano: String(BigInt(Date.parse(dayTime(1))) * 1000000n),
		attributes: [['gen_ai.operation.name', { stringValue: 'chat' }], ['gen_ai.request.model', { stringValue: 'gpt-4o-mini' }],
			['gen_ai.usage.input_tokens', { intValue: '1000' }], ['gen_ai.usage.output_tokens', { intValue: '500' }],
			['llm.cost.total', { doubleValue: cost }]].map(([key, value]) => ({ key, value })) }] }] }] });
	let r = await srv.request('POST', '/v1/traces', { body: otlp('00000000000000a1', 1500), headers: { 'x-workspace': ws } });
	assert.equal(r.status, 200, r.text);
	r = await srv.request('POST', '/v1/traces', { body: otlp('00000000000000a2', 0.0004), headers: { 'x-workspace': ws } });
	assert.equal(r.status, 200, r.text);
	r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'p', spans: [
		makeSpan('direct-bad', { started_at: dayTime(), attributes: { 'gen_ai.request.model': 'gpt-4o-mini',
			'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500, 'gen_ai.usage.cost': 1500 } }),
	] } });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/chat-completions`, { body: {
		request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }] },
		response: { id: 'chatcmpl-bad', created: 1700000300, choices: [{ message: { role: 'assistant', content: 'Sunny.' } }],
			usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } },
		cost_details: { total: 1500, input: 1000, output: 500 } } });
	assert.equal(r.status, 201, r.text);
	const chatId = r.json.span_id;
	const trace = '0190a1b2-0000-7000-8000-00000000c0a1';
	const opikSpan = (id, extra) => ({ id, trace_id: trace, project_name: 'sanity', name: 'llm', type: 'llm',
		start_time: dayTime(), model: 'gpt-4o-mini', usage: { prompt_tokens: 1000, completion_tokens: 500 }, ...extra });
	r = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [
		opikSpan('0190a1b2-0000-7000-8000-00000000c0b1', { total_estimated_cost: 1500 }),
		opikSpan('0190a1b2-0000-7000-8000-00000000c0b2', {}),
	] } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('PATCH', '/v1/private/spans/0190a1b2-0000-7000-8000-00000000c0b2', { headers: h,
		body: { trace_id: trace, total_estimated_cost: 1500 } });
	assert.equal(r.status, 204, r.text);

	const get = async (id) => (await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`)).json;
	for (const [id, what] of [['00000000000000a1', 'OTLP'], ['direct-bad', 'direct span'], [chatId, 'chat completions'],
		['0190a1b2-0000-7000-8000-00000000c0b1', 'Opik span']]) {
		const s = await get(id);
		const raw = JSON.parse(s.raw_attributes);
		assert.equal(raw['spandex.cost_refused'].total, 1500, `${what}: the refused cost kept aside`);
		assert.equal(s.cost_total_usd, priced, `${what}: priced by the table instead`);
		assert.equal(raw['spandex.cost'], 'computed', what);
	}
	const chat = JSON.parse((await get(chatId)).raw_attributes)['spandex.cost_refused'];
	assert.deepEqual(chat, { total: 1500, input: 1000, output: 500 });
	// A plausible cost is the client's own.
	const ok = await get('00000000000000a2');
	assert.equal(ok.cost_total_usd, 0.0004);
	assert.equal(JSON.parse(ok.raw_attributes)['spandex.cost_refused'], undefined);
	// Opik shows the table's cost too; a PATCHed one is set aside and the span priced again.
	r = await srv.request('GET', '/v1/private/spans/0190a1b2-0000-7000-8000-00000000c0b1', { headers: h });
	assert.equal(r.json.total_estimated_cost, priced);
	const patched = await get('0190a1b2-0000-7000-8000-00000000c0b2');
	assert.equal(patched.cost_total_usd, priced);
	assert.equal(JSON.parse(patched.raw_attributes)['spandex.cost_refused'].total, 1500);
	// A PATCH of the counts prices a computed cost again: (2000 * 0.15 + 500 * 0.6) / 1e6.
	r = await srv.request('PATCH', '/v1/private/spans/0190a1b2-0000-7000-8000-00000000c0b2', { headers: h,
		body: { trace_id: trace, usage: { prompt_tokens: 2000, completion_tokens: 500 } } });
	assert.equal(r.status, 204, r.text);
	assert.equal((await get('0190a1b2-0000-7000-8000-00000000c0b2')).cost_total_usd, 0.0006);
});
