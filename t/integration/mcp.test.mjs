// The MCP server (issue 56, docs/mcp.md) through nginx and cgi-bin/mcp, driven by the official
// TypeScript SDK from npm unchanged (t/clients: @modelcontextprotocol/sdk's Client and
// StreamableHTTPClientTransport, the current one for protocol 2025-11-25 and 1.22.0 for
// 2025-06-18): initialize and the tools' list; each tool on one workspace written by the real
// OpenTelemetry exporter, the real `opik` client and Scale GP's v5 spans API as its SDK sends
// them; a score and a comment written through MCP and read back through the three APIs; a
// trace of 10,000 spans cut to the budget and opened part by part; the keys and roles; bad
// input answered in the protocol's own shapes, never a 5xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { McpError } = require('@modelcontextprotocol/sdk/types.js');
const Prev = {
	Client: require('@modelcontextprotocol/sdk-2025-06-18/client/index.js').Client,
	Transport: require('@modelcontextprotocol/sdk-2025-06-18/client/streamableHttp.js').StreamableHTTPClientTransport,
};
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { Opik } = await import(require.resolve('opik'));

const WS = 'mcp-ws';
const BIG = 'mcp-big';
const BUDGET = 80000; // MCP_BUDGET_DEFAULT
let srv;
const keys = {};
const ids = {};

// A connected client of the current SDK (or of the one given) with this key.
async function connect(key, { sdk = { Client, Transport: StreamableHTTPClientTransport } } = {}) {
	const client = new sdk.Client({ name: 'spandex-test', version: '1.0.0' });
	const headers = key ? { Authorization: `Bearer ${key}` } : {};
	const transport = new sdk.Transport(new URL(`${srv.base}/mcp`), { requestInit: { headers } });
	await client.connect(transport);
	return { client, transport };
}

// A tool's answer: its text within the budget asked for (or the default), parsed; an error
// result fails the test with its text.
async function call(client, name, args, budget = BUDGET) {
	const res = await client.callTool({ name, arguments: args });
	assert.equal(res.content.length, 1);
	const { text } = res.content[0];
	assert.ok(Buffer.byteLength(text) <= budget, `${name}: ${Buffer.byteLength(text)} bytes over ${budget}`);
	assert.ok(!res.isError, `${name} ${JSON.stringify(args)}: ${text}`);
	return JSON.parse(text);
}

// A tool's error result: its text.
async function callError(client, name, args) {
	const res = await client.callTool({ name, arguments: args });
	assert.equal(res.isError, true, `${name} ${JSON.stringify(args)} should fail: ${res.content[0].text.slice(0, 300)}`);
	return res.content[0].text;
}

const now = Date.now();
const at = (ms) => new Date(now - 3600000 + ms);

// An agent run as the OpenTelemetry JS SDK exports it: an agent span in a session, a model
// call with usage under it, a tool call that failed.
async function writeOtlp() {
	const done = [];
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({ 'service.name': 'support-bot' }),
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	});
	const tracer = provider.getTracer('mcp-test', '1.0.0');
	const under = (s) => api.trace.setSpan(api.context.active(), s);
	const agent = tracer.startSpan('invoke_agent refund_bot', {
		startTime: at(0),
		attributes: {
			'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refund_bot', 'session.id': 'conv-otlp',
			'user.id': 'alice', 'input.value': 'Can I get a refund for order 1234?', 'output.value': 'Yes: refund issued.',
		},
	});
	const chat = tracer.startSpan('chat gpt-4o', {
		kind: api.SpanKind.CLIENT,
		startTime: at(10),
		attributes: {
			'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o',
			'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30,
			'input.value': `The customer asks about order 1234. ${'Policy text. '.repeat(100)}`,
		},
	}, under(agent));
	chat.end(at(400));
	const tool = tracer.startSpan('execute_tool lookup_order', {
		startTime: at(500),
		attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' },
	}, under(agent));
	tool.setStatus({ code: api.SpanStatusCode.ERROR, message: 'order service timed out' });
	tool.end(at(700));
	agent.end(at(900));
	const exporter = new OTLPTraceExporter({
		url: `${srv.base}/v1/traces`,
		headers: { Authorization: `Bearer ${keys.write}`, 'X-Workspace': WS },
	});
	const r = await new Promise((resolve) => exporter.export(done, resolve));
	await exporter.shutdown();
	assert.equal(r.code, 0, String(r.error));
	ids.otlp = { trace: agent.spanContext().traceId, agent: agent.spanContext().spanId, chat: chat.spanContext().spanId, tool: tool.spanContext().spanId };
}

// A trace with an LLM span as the `opik` client logs them.
async function writeOpik() {
	const c = new Opik({ apiUrl: srv.base, projectName: 'mcp-proj', workspaceName: WS, apiKey: keys.write });
	const trace = c.trace({ name: 'opik-answer', input: { question: 'What is the capital of France?' }, threadId: 'thread-opik' });
	const llm = trace.span({
		name: 'answer', type: 'llm', model: 'gpt-4o-mini', provider: 'openai',
		input: { messages: [{ role: 'user', content: 'What is the capital of France?' }] },
		usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
	});
	llm.update({ output: { content: 'Paris' } });
	llm.end();
	trace.update({ output: { answer: 'Paris' } });
	trace.end();
	await c.flush();
	ids.opik = { trace: trace.data.id, llm: llm.data.id, client: c };
}

// Spans as Scale GP's SDK sends them (there is no SGP client on npm): a root and a completion.
async function writeSgp() {
	const iso = (ms) => at(ms).toISOString();
	const items = [
		{ id: 'sgp-root', trace_id: 'sgp-trace', name: 'sgp-workflow', start_timestamp: iso(2000), end_timestamp: iso(2600), input: { q: 'summarise the ticket' }, output: { a: 'done' } },
		{ id: 'sgp-llm', trace_id: 'sgp-trace', parent_id: 'sgp-root', name: 'summarise', type: 'COMPLETION', start_timestamp: iso(2100), end_timestamp: iso(2500), input: { prompt: 'ticket text' }, output: { text: 'a summary' } },
	];
	const r = await srv.request('PUT', '/v5/spans/batch', {
		body: { items }, headers: { 'Content-Type': 'application/json', 'x-selected-account-id': WS, 'x-api-key': keys.write },
	});
	assert.equal(r.status, 200, r.text);
}

// A trace of 10,000 spans: a root, 99 steps under it, 100 calls under each; every 997th span
// failed, and each call's input is 2,000 characters.
async function writeBig() {
	const spans = [{ span_id: 'big-root', trace_id: 'big', name: 'batch-job', started_at: at(0).toISOString(), ended_at: at(60000).toISOString() }];
	for (let s = 0; s < 99; s++) {
		spans.push({ span_id: `step-${s}`, trace_id: 'big', parent_span_id: 'big-root', name: `step ${s}`, started_at: at(1 + s * 500).toISOString(), ended_at: at(400 + s * 500).toISOString() });
		for (let k = 0; k < 100; k++) {
			const n = spans.length;
			spans.push({
				span_id: `call-${s}-${k}`, trace_id: 'big', parent_span_id: `step-${s}`, name: 'call', kind: 'TOOL',
				started_at: at(2 + s * 500 + k).toISOString(), ended_at: at(3 + s * 500 + k).toISOString(),
				status: n % 997 === 0 ? 'error' : 'success', input: `${k} `.padEnd(2000, 'x'),
			});
		}
	}
	assert.equal(spans.length, 10000);
	for (let i = 0; i < spans.length; i += 1000) {
		const r = await srv.request('POST', `${WS_PREFIX}/${BIG}/ingest/spans`, {
			body: { source: 'mcp-test', spans: spans.slice(i, i + 1000) }, headers: { Authorization: `Bearer ${keys.all}` },
		});
		assert.equal(r.status, 201, r.text);
	}
	ids.bigErrors = spans.filter((s) => s.status === 'error').map((s) => s.span_id);
	// one span whose input is far beyond any one answer, to read in pages
	const long = Array.from({ length: 30000 }, (_, i) => `line ${i} é😀`).join('\n');
	const r = await srv.request('POST', `${WS_PREFIX}/${BIG}/ingest/spans`, {
		body: { source: 'mcp-test', spans: [{ span_id: 'long', trace_id: 'long-trace', started_at: at(0).toISOString(), input: long }] },
		headers: { Authorization: `Bearer ${keys.all}` },
	});
	assert.equal(r.status, 201, r.text);
	ids.long = long;
}

before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
	for (const [name, ws, role] of [['read', WS, 'read'], ['write', WS, 'write'], ['other', 'mcp-other', 'admin'], ['all', '*', 'write']]) {
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', ws, '--role', role, '--name', name]);
		assert.equal(r.code, 0, r.stderr);
		keys[name] = r.stdout.trim();
	}
	await writeOtlp();
	await writeOpik();
	await writeSgp();
	await writeBig();
});
after(async () => {
	await srv?.stop();
});

test('initialize: the current SDK agrees on 2025-11-25, 1.22.0 on 2025-06-18; no session; the tools with their schemas', async () => {
	const { client, transport } = await connect(keys.read);
	assert.equal(transport.protocolVersion, '2025-11-25');
	assert.equal(transport.sessionId, undefined);
	assert.equal(client.getServerVersion().name, 'spandex');
	assert.deepEqual(client.getServerCapabilities().tools, { listChanged: false });
	assert.match(client.getInstructions(), /search_traces/);
	const { tools } = await client.listTools();
	assert.deepEqual(tools.map((t) => t.name), ['search_traces', 'get_trace', 'get_span', 'list_sessions', 'get_session', 'get_stats', 'add_score', 'add_comment']);
	for (const t of tools) {
		assert.equal(t.inputSchema.type, 'object');
		assert.equal(t.inputSchema.additionalProperties, false);
		assert.ok(t.description.length > 100, t.name);
		assert.equal(t.annotations.readOnlyHint, !t.name.startsWith('add_'));
	}
	assert.deepEqual(tools.find((t) => t.name === 'get_trace').inputSchema.required, ['trace_id']);
	assert.equal((await client.ping()).constructor, Object);
	await client.close();

	const prev = await connect(keys.read, { sdk: Prev });
	assert.equal(prev.transport.protocolVersion, '2025-06-18');
	assert.equal((await prev.client.listTools()).tools.length, 8);
	const r = await prev.client.callTool({ name: 'search_traces', arguments: { workspace: WS } });
	assert.equal(JSON.parse(r.content[0].text).total, 3);
	await prev.client.close();
});

test('search_traces, get_trace, get_span on what the OTLP exporter, the opik client and Scale GP wrote', async () => {
	const { client } = await connect(keys.read);
	const all = await call(client, 'search_traces', { workspace: WS });
	assert.equal(all.total, 3);
	assert.deepEqual(all.traces.map((t) => t.name).sort(), ['invoke_agent refund_bot', 'opik-answer', 'sgp-workflow']);
	const otlp = all.traces.find((t) => t.trace_id === ids.otlp.trace);
	assert.equal(otlp.session_id, 'conv-otlp');
	assert.equal(otlp.spans, 3);
	assert.equal(otlp.errors, 1);
	assert.deepEqual(otlp.tokens, { input: 120, output: 30 });
	assert.equal(otlp.duration_ms, 900);
	// The conditions: a model any span used, a status, a session, a user, words.
	const only = async (args) => (await call(client, 'search_traces', { workspace: WS, ...args })).traces.map((t) => t.trace_id);
	assert.deepEqual(await only({ model: 'gpt-4o' }), [ids.otlp.trace]);
	assert.deepEqual(await only({ model: 'gpt-4o-mini' }), [ids.opik.trace]);
	assert.deepEqual(await only({ session_id: 'conv-otlp' }), [ids.otlp.trace]);
	assert.deepEqual(await only({ user_id: 'alice' }), [ids.otlp.trace]);
	assert.deepEqual(await only({ user_id: 'bob' }), []);
	assert.deepEqual(await only({ text: 'refund "order 1234"' }), [ids.otlp.trace]);
	assert.deepEqual(await only({ text: 'policy', text_in: 'any_span' }), [ids.otlp.trace]);
	assert.deepEqual(await only({ text: 'policy' }), []);
	assert.deepEqual(await only({ name: 'sgp-workflow' }), ['sgp-trace']);
	assert.deepEqual(await only({ last: '30m' }), [ids.opik.trace]); // the opik client's own clock
	assert.equal((await only({ last: '2h', order: 'oldest' }))[0], ids.otlp.trace);
	// Paged: one at a time, each cursor taking up after the last.
	const seen = [];
	let cursor;
	do {
		const page = await call(client, 'search_traces', { workspace: WS, limit: 1, ...(cursor ? { cursor } : {}) });
		seen.push(...page.traces.map((t) => t.trace_id));
		cursor = page.next_cursor;
	} while (cursor);
	assert.deepEqual(seen, all.traces.map((t) => t.trace_id));

	const tree = await call(client, 'get_trace', { workspace: WS, trace_id: ids.otlp.trace });
	assert.equal(tree.name, 'invoke_agent refund_bot');
	assert.deepEqual(tree.tree.map((s) => [s.span_id, s.depth, s.kind, s.status]), [
		[ids.otlp.agent, 0, 'AGENT', 'success'], [ids.otlp.chat, 1, 'LLM', 'success'], [ids.otlp.tool, 1, 'TOOL', 'error']]);
	const chat = tree.tree[1];
	assert.equal(chat.model, 'gpt-4o');
	assert.deepEqual(chat.tokens, { input: 120, output: 30 });
	assert.equal(chat.input.length, 300);
	assert.match(chat.input_cut, new RegExp(`^shown 300 of 1336 characters; the rest: get_span with span_id ${ids.otlp.chat}, field input, offset 300$`));
	assert.equal(tree.tree[2].error, 'order service timed out');
	const page = await call(client, 'get_span', { workspace: WS, span_id: ids.otlp.chat, field: 'input', offset: 300 });
	assert.equal(chat.input + page.text, `The customer asks about order 1234. ${'Policy text. '.repeat(100)}`);
	const span = await call(client, 'get_span', { workspace: WS, span_id: ids.otlp.tool });
	assert.equal(span.span.tool_name, 'lookup_order');
	assert.equal(span.span.status, 'error');

	const opik = await call(client, 'get_trace', { workspace: WS, trace_id: ids.opik.trace });
	assert.equal(opik.name, 'opik-answer');
	const llm = opik.tree.find((s) => s.span_id === ids.opik.llm);
	assert.equal(llm.model, 'gpt-4o-mini');
	assert.deepEqual(llm.tokens, { input: 12, output: 3, total: 15 });
	const sgp = await call(client, 'get_trace', { workspace: WS, trace_id: 'sgp-trace' });
	assert.deepEqual(sgp.tree.map((s) => [s.span_id, s.depth, s.kind]), [['sgp-root', 0, 'UNKNOWN'], ['sgp-llm', 1, 'LLM']]);
	await client.close();
});

test('sessions and stats', async () => {
	const { client } = await connect(keys.read);
	const list = await call(client, 'list_sessions', { workspace: WS });
	const ids_ = list.sessions.map((s) => s.session_id);
	assert.ok(ids_.includes('conv-otlp'), JSON.stringify(list));
	assert.ok(ids_.includes('thread-opik'), JSON.stringify(list));
	const conv = list.sessions.find((s) => s.session_id === 'conv-otlp');
	assert.equal(conv.traces, 1);
	assert.equal(conv.user_id, 'alice');
	assert.equal(conv.first_input, 'Can I get a refund for order 1234?');
	assert.deepEqual((await call(client, 'list_sessions', { workspace: WS, user_id: 'alice' })).sessions.map((s) => s.session_id), ['conv-otlp']);
	const one = await call(client, 'get_session', { workspace: WS, session_id: 'thread-opik' });
	assert.equal(one.traces, 1);
	assert.equal(one.turns.length, 1);
	assert.equal(one.turns[0].trace_id, ids.opik.trace);
	assert.match(one.turns[0].input, /capital of France/);
	assert.match(one.turns[0].output, /Paris/);

	const stats = await call(client, 'get_stats', { workspace: WS, last: '2h', group_by: 'model' });
	assert.equal(stats.totals.traces, 3);
	assert.equal(stats.totals.spans, 7);
	assert.equal(stats.totals.errors, 1);
	assert.equal(stats.totals.error_rate, Math.round(1 / 7 * 1e4) / 1e4);
	assert.deepEqual(stats.totals.tokens, { input: 132, output: 33, total: 15 });
	assert.ok(stats.totals.trace_latency_ms.p95 >= stats.totals.trace_latency_ms.p50);
	assert.equal(stats.slowest_traces[0].trace_id, ids.otlp.trace);
	const byModel = Object.fromEntries(stats.groups.map((g) => [g.model ?? '(none)', g]));
	assert.equal(byModel['gpt-4o'].spans, 1);
	assert.deepEqual(byModel['gpt-4o'].latency_ms, { p50: 390, p95: 390 });
	assert.equal(byModel['gpt-4o-mini'].spans, 1);
	// The same numbers GET spans/stats gives the viewer's overview.
	const from = new Date(now - 7200000).toISOString(), to = new Date().toISOString();
	const overview = await srv.request('GET', `${WS_PREFIX}/${WS}/spans/stats?start=${from}&end=${to}&bucket_seconds=7200`, { headers: { Authorization: `Bearer ${keys.read}` } });
	assert.equal(overview.status, 200, overview.text);
	assert.equal(overview.json.span_count, stats.totals.spans);
	assert.equal(overview.json.error_count, stats.totals.errors);
	assert.equal(overview.json.trace_count, stats.totals.traces);
	const byStatus = await call(client, 'get_stats', { workspace: WS, last: '2h', group_by: 'status' });
	assert.deepEqual(byStatus.groups.map((g) => [g.status, g.spans]).sort(), [['error', 1], ['success', 6]]);
	await client.close();
});

test('add_score and add_comment: judgements every API shows', async () => {
	const { client } = await connect(keys.write);
	const scored = await call(client, 'add_score', { workspace: WS, span_id: ids.otlp.chat, name: 'helpfulness', value: 0.8, reason: 'clear answer' });
	assert.equal(scored.stored, 'new');
	assert.equal(scored.trace_id, ids.otlp.trace);
	assert.equal(scored.session_id, 'conv-otlp');
	assert.deepEqual(scored.shown_by, ['NeMo Intake evaluator results', 'Opik feedback scores', 'Scale GP span assessments', 'Langfuse scores']);
	const again = await call(client, 'add_score', { workspace: WS, span_id: ids.otlp.chat, name: 'helpfulness', value: 0.9, reason: 'clearer on a second look' });
	assert.equal(again.stored, 'replaced your earlier one');
	assert.equal(again.id, scored.id);
	const comment = await call(client, 'add_comment', { workspace: WS, trace_id: ids.opik.trace, text: 'the answer is right but terse' });
	assert.ok(comment.shown_by.includes('Opik comments'));
	const label = await call(client, 'add_score', { workspace: WS, session_id: 'conv-otlp', name: 'resolved', label: 'yes' });
	assert.equal(label.on, 'session');
	assert.match(await callError(client, 'add_score', { workspace: WS, span_id: 'nope', name: 'x', value: 1 }), /No span 'nope'/);
	assert.match(await callError(client, 'add_score', { workspace: WS, span_id: ids.otlp.chat, trace_id: ids.otlp.trace, name: 'x', value: 1 }), /exactly one of/);
	assert.match(await callError(client, 'add_score', { workspace: WS, span_id: ids.otlp.chat, name: 'x' }), /value .* label/);

	// MCP shows them beside their span, trace and session.
	const tree = await call(client, 'get_trace', { workspace: WS, trace_id: ids.otlp.trace });
	const j = tree.tree.find((s) => s.span_id === ids.otlp.chat).judgements;
	assert.deepEqual(j.map((x) => [x.name, x.value, x.text, x.via]), [['helpfulness', 0.9, 'clearer on a second look', 'mcp']]);
	assert.match(j[0].author, /^k[0-9a-f]{10}$/);
	const sess = await call(client, 'get_session', { workspace: WS, session_id: 'conv-otlp' });
	assert.deepEqual(sess.judgements.map((x) => [x.name, x.label]), [['resolved', 'yes']]);
	await client.close();

	// NeMo Intake: an evaluator result of the span.
	const auth = { Authorization: `Bearer ${keys.read}` };
	const ev = await srv.request('GET', `${WS_PREFIX}/${WS}/spans/${ids.otlp.chat}/evaluator-results`, { headers: auth });
	assert.equal(ev.status, 200, ev.text);
	assert.deepEqual(ev.json.map((e) => [e.name, e.value, e.comment]), [['helpfulness', 0.9, 'clearer on a second look']]);
	// Opik: the span's feedback score and the trace's comment, through the opik client.
	const c = ids.opik.client;
	const span = await c.api.spans.getSpanById(ids.otlp.chat);
	assert.deepEqual(span.feedbackScores.map((f) => [f.name, f.value, f.reason]), [['helpfulness', 0.9, 'clearer on a second look']]);
	const tr = await c.api.traces.getTraceById(ids.opik.trace);
	assert.deepEqual(tr.comments.map((x) => x.text), ['the answer is right but terse']);
	// Scale GP: the score as an assessment's metadata.
	const sgp = await srv.request('GET', `/v5/span-assessments?span_id=${ids.otlp.chat}`, { headers: { 'x-selected-account-id': WS, 'x-api-key': keys.read } });
	assert.equal(sgp.status, 200, sgp.text);
	assert.equal(sgp.json.items.length, 1);
	assert.equal(sgp.json.items[0].metadata.api, 'mcp');
	assert.equal(sgp.json.items[0].metadata.value, 0.9);
});

test('a trace of 10,000 spans: cut to the budget, its top level and failed spans first, opened part by part', async () => {
	const { client } = await connect(keys.all);
	const tree = await call(client, 'get_trace', { workspace: BIG, trace_id: 'big' });
	assert.equal(tree.spans_read, 10000);
	assert.ok(tree.spans_shown > 100 && tree.spans_shown < 10000, String(tree.spans_shown));
	assert.equal(tree.tree.length, tree.spans_shown);
	const root = tree.tree[0];
	assert.equal(root.span_id, 'big-root');
	assert.equal(tree.spans_shown + root.hidden_spans, 10000);
	assert.match(tree.hidden, /under_span_id/);
	const shown = new Set(tree.tree.map((s) => s.span_id));
	for (let s = 0; s < 99; s++) assert.ok(shown.has(`step-${s}`), `step-${s}`);
	for (const e of ids.bigErrors) assert.ok(shown.has(e), e);
	assert.equal(root.hidden_errors, 0);
	// Pre-order: each span after its parent, at its parent's depth + 1.
	const depth = new Map();
	for (const s of tree.tree) {
		if (s.parent_span_id) assert.equal(s.depth, depth.get(s.parent_span_id) + 1, s.span_id);
		depth.set(s.span_id, s.depth);
	}
	// A step said to hide its calls opens with under_span_id.
	const step = tree.tree.find((s) => s.hidden_spans > 0 && s.depth === 1);
	const part = await call(client, 'get_trace', { workspace: BIG, trace_id: 'big', under_span_id: step.span_id });
	assert.equal(part.tree[0].span_id, step.span_id);
	assert.equal(part.tree[0].depth, 0);
	assert.equal(part.spans_shown + (part.tree[0].hidden_spans ?? 0), 101);
	assert.ok(part.tree.slice(1).every((s) => s.parent_span_id === step.span_id));
	// A larger budget shows more; no input at all shows more still.
	const wide = await call(client, 'get_trace', { workspace: BIG, trace_id: 'big', max_bytes: 400000 }, 400000);
	assert.ok(wide.spans_shown > tree.spans_shown);
	const bare = await call(client, 'get_trace', { workspace: BIG, trace_id: 'big', field_chars: 0 });
	assert.ok(bare.spans_shown > tree.spans_shown);
	assert.equal(bare.tree[1].input, undefined);
	assert.equal(bare.tree.find((s) => s.kind === 'TOOL').input_chars, 2000);
	await assert.rejects(call(client, 'get_trace', { workspace: BIG, trace_id: 'big', under_span_id: 'nope' }), /No span 'nope' in trace 'big'/);

	// A span whose input is larger than any answer is read whole, page by page.
	let text = '', offset = 0, pages = 0;
	const first = await call(client, 'get_span', { workspace: BIG, span_id: 'long' });
	assert.equal(first.input_chars, [...ids.long].length);
	assert.ok(first.input_next_offset > 0);
	for (;;) {
		const page = await call(client, 'get_span', { workspace: BIG, span_id: 'long', field: 'input', offset });
		text += page.text;
		pages++;
		if (page.text_next_offset === undefined) break;
		assert.equal(page.text_next_offset, offset + [...page.text].length);
		offset = page.text_next_offset;
	}
	assert.equal(text, ids.long);
	assert.ok(pages > 5, String(pages));
	await client.close();
});

test('keys: the HTTP APIs\' bearer keys and roles; the workspace checked at each call', async () => {
	for (const k of [null, 'spx_0000000000000000000000000000000000000000']) {
		await assert.rejects(connect(k), /401/);
	}
	const read = await connect(keys.read);
	assert.equal((await call(read.client, 'search_traces', {})).workspace, WS); // the key's own
	assert.match(await callError(read.client, 'add_comment', { trace_id: ids.otlp.trace, text: 'x' }), /role \(read\)/);
	assert.match(await callError(read.client, 'search_traces', { workspace: 'mcp-other' }), /not valid for workspace 'mcp-other'/);
	await read.client.close();
	const other = await connect(keys.other);
	assert.match(await callError(other.client, 'get_trace', { workspace: WS, trace_id: ids.otlp.trace }), /not valid for workspace 'mcp-ws'/);
	// a trace of another workspace is not in this one
	assert.match(await callError(other.client, 'get_trace', { trace_id: ids.otlp.trace }), /No trace .* in workspace 'mcp-other'/);
	assert.match(await callError(other.client, 'get_span', { span_id: ids.otlp.chat }), /No span/);
	await other.client.close();
	const all = await connect(keys.all);
	assert.equal((await call(all.client, 'search_traces', {})).workspace, 'default');
	await all.client.close();
});

test('bad input: the protocol\'s own errors, never a 5xx', async () => {
	const { client } = await connect(keys.read);
	await assert.rejects(client.callTool({ name: 'drop_everything', arguments: {} }),
		(e) => e instanceof McpError && e.code === -32602 && /Unknown tool: drop_everything/.test(e.message));
	assert.match(await callError(client, 'get_trace', { trace_id: 7 }), /'trace_id' must be a non-empty string/);
	assert.match(await callError(client, 'search_traces', { limit: 1000 }), /'limit' must be an integer from 1 to 100/);
	assert.match(await callError(client, 'search_traces', { where: 'x' }), /Unknown argument 'where'/);
	assert.match(await callError(client, 'search_traces', { text: '"unclosed' }), /text: /);
	assert.match(await callError(client, 'get_stats', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }), /from must not be after to/);
	await client.close();

	const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${keys.read}` };
	const post = (body, h = headers) => srv.request('POST', '/mcp', { body, headers: h });
	let r = await post('{"jsonrpc":"2.0","id":1,"method":');
	assert.equal(r.status, 400);
	assert.equal(r.json.error.code, -32700);
	r = await post('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]');
	assert.equal(r.status, 400);
	assert.equal(r.json.error.code, -32600);
	assert.match(r.json.error.message, /batch/);
	r = await post('{"jsonrpc":"2.0","method":"notifications/initialized"}');
	assert.equal(r.status, 202);
	assert.equal(r.text, '');
	r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add_comment', arguments: { text: 'x'.repeat(300000) } } }));
	assert.equal(r.status, 413);
	assert.equal(r.json.error.code, -32600);
	// past SPANDEX_MAX_BODY nginx answers before the program (its own error shape; docs/mcp.md)
	r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { x: 'x'.repeat(9 << 20) } }));
	assert.equal(r.status, 413);
	r = await srv.request('GET', '/mcp', { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${keys.read}` } });
	assert.equal(r.status, 405);
	assert.equal(r.headers.allow, 'POST');
	r = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { ...headers, Accept: 'text/html' });
	assert.equal(r.status, 406);
	r = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { ...headers, 'MCP-Protocol-Version': '2024-11-05' });
	assert.equal(r.status, 400);
	r = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { ...headers, Origin: 'http://attacker.example' });
	assert.equal(r.status, 403);
	// Whatever comes, a 4xx or an answer; never a 5xx.
	const hostile = ['', 'null', '0', '"x"', '{}', '[]', '{"jsonrpc":"2.0"}', '{"jsonrpc":"2.0","id":{},"method":"ping"}',
		'{"jsonrpc":"2.0","id":1,"method":"tools/call"}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":null}}',
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_trace","arguments":"x"}}',
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_span","arguments":{"span_id":"a","offset":-1}}}',
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":7}}',
		`{"jsonrpc":"2.0","id":1,"method":"ping","params":${'['.repeat(100)}${']'.repeat(100)}}`,
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_trace","arguments":{"trace_id":"\u0000"}}}',
		Buffer.from([0xff, 0xfe, 0x7b])];
	for (const body of hostile) {
		r = await post(body);
		assert.ok(r.status < 500 && r.status !== 0, `${body}: ${r.status} ${r.text}`);
		if (r.status !== 202) assert.equal(r.json?.jsonrpc, '2.0', `${body}: ${r.text}`);
	}
});
