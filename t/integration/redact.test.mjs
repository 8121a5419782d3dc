// Redaction before storage (issue 52; docs/redaction.md): one text planting one value of each
// kind the rules find (an e-mail address, a phone number, a card, an IBAN, IPv4 and IPv6
// addresses, OpenAI, Anthropic, AWS and GitHub keys, a JWT, a Bearer token, and an operator's
// identifier) goes through every ingest path, with the real clients where the other tests use
// them: NeMo direct spans, OTLP traces and logs (the OTel JS exporters, protobuf and JSON), chat
// completions, ATIF with its rewards, Opik's creates, PATCHes, scores and comments (the opik npm
// SDK, and HTTP), Scale GP's spans, PATCH and assessments, NeMo's annotations and evaluator
// results, OTLP evaluation results, Langfuse's ingestion batch (its langfuse SDK: traces,
// observations, their updates, scores), score create and OTLP route, and an agent's scores and
// comments over MCP (its SDK). Then no stored byte under the data directory holds a
// planted value (sealed blocks decompressed with zstdcat, after `spandex seal`), nor does any
// API's read of them, and the replacements are there. Then the rules file's life in one
// worker: refused writes (503) while no rules ever compiled, the reload on change, the last
// good rules kept when the file breaks, each reason in the log with its line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, spandexOk, storedFiles, CLIENTS, WS_PREFIX, dayTime } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPLogExporter: JsonLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { OTLPLogExporter: ProtoLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { Opik } = await import(require.resolve('opik'));
const { Langfuse } = require('langfuse');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

// One value of each kind, each unlike anything else the store writes.
const PLANTED = {
	email: 'planted.person@example.org',
	phone: '+1 415 555 0142',
	card: '5555 5555 5555 4444',
	iban: 'GB82 WEST 1234 5698 7654 32',
	ipv4: '198.51.100.23',
	ipv6: '2001:db8::42',
	openai: 'sk-proj-PLANTEDabcdefghijklmnop1234',
	anthropic: 'sk-ant-api03-PLANTEDabcdefghijklmnop',
	aws: 'AKIAPLANTED000000000',
	github: 'ghp_PLANTED0123456789abcdefghijklmnopqrstu',
	jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlUExBTlRFRA',
	bearer: 'PLANTEDtoken0123456789xyz',
	own: 'EMP-314159',
};
const P = PLANTED;
const TEXT = `mail ${P.email}, call ${P.phone}, card ${P.card}, IBAN ${P.iban}, from ${P.ipv4} and ` +
	`${P.ipv6}, keys ${P.openai} ${P.anthropic} ${P.aws} ${P.github} ${P.jwt}, ` +
	`Authorization: Bearer ${P.bearer}, employee ${P.own}`;
// What must be found nowhere: every value, and the parts of them a partial leak would show.
const NEEDLES = [...Object.values(PLANTED), 'planted.person', '415 555 0142', '5555 4444',
	'GB82 WEST', '198.51.100', 'PLANTED', 'eyJzdWIiOiJwbGFudGVkIn0', '314159'];
// What must be found instead (the e-mail addresses keep a keyed hash).
const TAGS = ['[EMAIL:', '[PHONE]', '[CARD]', '[IBAN]', '[IP]', '[SECRET]', '[EMPLOYEE]'];
const RULES = `# the rules of redact.test.mjs
email hash
phone
card
iban
ip
secret
/\\bEMP-\\d{6}\\b/ with=[EMPLOYEE]
`;
const KEY = 'redact-test-key-0123456789abcdef';

const WS = 'redacted';
const OPIK_WS = 'redacted-opik';
const SGP_WS = 'redacted-sgp';
const LF_WS = 'redacted-lf';
let srv, tmp;
const reads = []; // [path, headers] of every API read that shows what was stored
before(async () => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-redact-'));
	fs.writeFileSync(path.join(tmp, 'redact.rules'), RULES);
	srv = await startServer({ env: { SPANDEX_SYNC: '0', SPANDEX_REDACT: path.join(tmp, 'redact.rules'), SPANDEX_REDACT_KEY: KEY } });
});
after(async () => {
	await srv?.stop();
	if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const intake = (p, body, headers) => srv.request(body === undefined ? 'GET' : 'POST', `${WS_PREFIX}/${WS}/${p}`, { body, headers });
const ok = (r, want = [200, 201]) => assert.ok([want].flat().includes(r.status), `${r.status}: ${r.text}`);
const hex = (n) => randomBytes(n).toString('hex');
const send = (exporter, items) => new Promise((resolve) => exporter.export(items, resolve)).finally(() => exporter.shutdown());
const nemoRead = (id) => reads.push([`${WS_PREFIX}/${WS}/spans/${id}`, {}]);
// The OTel JS SDK's tracer and logger of one test, their spans and records kept for an exporter.
function sdk(scope) {
	const ended = [], records = [];
	const tracer = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { ended.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getTracer(scope, '0.1.0');
	const logger = new LoggerProvider({
		processors: [{ onEmit(r) { records.push(r); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getLogger(scope, '0.1.0');
	return { tracer, logger, ended, records };
}

test('NeMo direct spans: input, output, name, attributes (nested), the error', async () => {
	const r = await intake('ingest/spans', { source: 'test', spans: [{
		span_id: 'direct-1', trace_id: 'trace-direct', session_id: 'sess-redact', name: `lookup ${P.email}`,
		started_at: dayTime(0, 3), ended_at: dayTime(1000, 3), status: 'error', error_type: 'LookupError',
		error_message: TEXT, input: TEXT, output: { answer: TEXT },
		attributes: { 'user.id': P.email, 'app.note': TEXT, 'app.nested': { deep: [TEXT, { deeper: TEXT }] } },
	}] });
	ok(r);
	nemoRead('direct-1');
	reads.push([`${WS_PREFIX}/${WS}/traces/trace-direct`, {}], [`${WS_PREFIX}/${WS}/sessions/sess-redact`, {}],
		[`${WS_PREFIX}/${WS}/spans?filter[trace_id]=trace-direct`, {}]);
});

// A span of a GenAI call through the OTel JS SDK, its content in attributes, an event and the
// status; ended, ready for an exporter.
function otelSpan(name) {
	const { tracer, ended } = sdk('redact-demo');
	const span = tracer.startSpan(`chat ${name}`, { kind: api.SpanKind.CLIENT, attributes: {
		'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'input.value': TEXT, 'output.value': TEXT,
		'user.id': P.email, 'http.request.header.authorization': `Bearer ${P.bearer}`, 'net.peer.ip': P.ipv4,
	} });
	span.addEvent('gen_ai.user.message', { content: TEXT });
	span.setStatus({ code: api.SpanStatusCode.ERROR, message: TEXT });
	span.end();
	return { ended, span };
}

for (const [name, exporter] of [
	['protobuf, the NeMo path', () => new ProtoExporter({ url: `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/traces` })],
	['JSON, /v1/traces', () => new JsonExporter({ url: `${srv.base}/v1/traces`, headers: { 'X-Workspace': WS } })],
]) {
	test(`OTLP traces, the OTel JS exporter (${name})`, async () => {
		const { ended, span } = otelSpan(name.replace(/\W+/g, '-'));
		const r = await send(exporter(), ended);
		assert.equal(r.code, 0, String(r.error));
		nemoRead(span.spanContext().spanId);
	});
}

for (const [name, logExporter, spanExporter] of [
	['protobuf', () => new ProtoLogExporter({ url: `${srv.base}/v1/logs`, headers: { 'X-Workspace': WS } }),
		() => new ProtoExporter({ url: `${srv.base}/v1/traces`, headers: { 'X-Workspace': WS } })],
	['JSON', () => new JsonLogExporter({ url: `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/logs` }),
		() => new JsonExporter({ url: `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/traces` })],
]) {
	test(`OTLP logs, the OTel JS exporter (${name}): GenAI content and an evaluation result`, async () => {
		const { tracer, logger, ended, records } = sdk('redact-logs');
		const span = tracer.startSpan(`chat logs ${name}`, { kind: api.SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat' } });
		const ctx = api.trace.setSpan(api.context.active(), span);
		const messages = (role) => JSON.stringify([{ role, parts: [{ type: 'text', content: TEXT }] }]);
		logger.emit({ eventName: 'gen_ai.client.inference.operation.details', context: ctx,
			attributes: { 'gen_ai.input.messages': messages('user'), 'gen_ai.output.messages': messages('assistant') } });
		logger.emit({ eventName: 'gen_ai.evaluation.result', timestamp: Date.now() - 1000, context: ctx, attributes: {
			'gen_ai.evaluation.name': 'Relevance', 'gen_ai.evaluation.score.value': 4,
			'gen_ai.evaluation.score.label': 'relevant', 'gen_ai.evaluation.explanation': TEXT } });
		span.end();
		// The logs first: they wait in a stand-in, then meet their span.
		for (const [items, exporter] of [[records, logExporter], [ended, spanExporter]]) {
			const r = await send(exporter(), items);
			assert.equal(r.code, 0, String(r.error));
		}
		const id = span.spanContext().spanId;
		nemoRead(id);
		reads.push([`${WS_PREFIX}/${WS}/spans/${id}/evaluator-results`, {}]);
	});
}

test('OTLP evaluation results on a span event (the OTel JS SDK)', async () => {
	const { tracer, ended } = sdk('redact-eval');
	const span = tracer.startSpan('judged call', { attributes: { 'gen_ai.operation.name': 'chat' } });
	span.addEvent('gen_ai.evaluation.result', { 'gen_ai.evaluation.name': 'Groundedness', 'gen_ai.evaluation.score.value': 0.5,
		'gen_ai.evaluation.score.label': `grounded for ${P.email}`, 'gen_ai.evaluation.explanation': TEXT });
	span.end();
	const r = await send(new ProtoExporter({ url: `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/traces` }), ended);
	assert.equal(r.code, 0, String(r.error));
	const id = span.spanContext().spanId;
	const results = await intake(`spans/${id}/evaluator-results`);
	ok(results);
	assert.equal(results.json.length, 1, results.text);
	reads.push([`${WS_PREFIX}/${WS}/spans/${id}/evaluator-results`, {}]);
});

test('chat completions and ATIF (its verifier\'s rewards too)', async () => {
	const chat = await intake('ingest/chat-completions', {
		request: { model: 'gpt-4o', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: TEXT }] },
		response: { id: `chatcmpl-${hex(6)}`, object: 'chat.completion', created: 1700000000, model: 'gpt-4o',
			choices: [{ index: 0, message: { role: 'assistant', content: TEXT }, finish_reason: 'stop' }],
			usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } },
	});
	ok(chat);
	nemoRead(chat.json.span_id);
	const atif = await intake('ingest/atif', {
		schema_version: 'ATIF-v1.6', session_id: 'sess-atif-redact', agent: { name: 'agent', version: '1' },
		steps: [{ step_id: 1, source: 'user', message: TEXT }, { step_id: 2, source: 'agent', message: TEXT }],
		extra: { verifier_result: { rewards: { passed: true, score: 0.75, note: TEXT } } },
	});
	ok(atif);
	reads.push([`${WS_PREFIX}/${WS}/sessions/sess-atif-redact`, {}], [`${WS_PREFIX}/${WS}/evaluator-results?filter[session_id]=sess-atif-redact`, {}],
		[`${WS_PREFIX}/${WS}/spans?filter[session_id]=sess-atif-redact`, {}]);
});

test('NeMo annotations and evaluator results: notes, text labels, comments', async () => {
	for (const body of [
		{ kind: 'note', session_id: 'sess-redact', span_id: 'direct-1', text: TEXT },
		{ kind: 'label', session_id: 'sess-redact', span_id: 'direct-1', value_type: 'text', value: `ask ${P.email}` },
		{ kind: 'metadata', session_id: 'sess-redact', span_id: 'direct-1', metadata: { reviewer: P.email, notes: [TEXT] } },
	])
		ok(await intake('annotations', body));
	for (const body of [
		{ session_id: 'sess-redact', span_id: 'direct-1', name: 'accuracy', data_type: 'NUMERIC', value: 0.5, comment: TEXT },
		{ session_id: 'sess-redact', span_id: 'direct-1', name: 'summary', data_type: 'TEXT', string_value: TEXT },
	])
		ok(await intake('evaluator-results', body));
	reads.push([`${WS_PREFIX}/${WS}/annotations?filter[span_id]=direct-1`, {}], [`${WS_PREFIX}/${WS}/evaluator-results?filter[span_id]=direct-1`, {}]);
});

test('Opik: the opik SDK\'s creates, PATCHes and score; comments and a batch PATCH over HTTP', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'redact', workspaceName: OPIK_WS });
	const trace = c.trace({ name: 'redact-trace', input: { question: TEXT }, metadata: { user: P.email }, tags: [P.own] });
	const span = trace.span({ name: 'answer', type: 'llm', input: { messages: [{ role: 'user', content: TEXT }] } });
	await c.flush(); // the creates go out now ...
	span.update({ output: { content: TEXT }, metadata: { seen: TEXT } });
	span.end();
	span.score({ name: 'correct', value: 1, reason: TEXT });
	trace.update({ output: { answer: TEXT } });
	trace.end();
	await c.flush(); // ... and these as PATCHes
	const h = { 'Comet-Workspace': OPIK_WS };
	let r = await srv.request('POST', `/v1/private/spans/${span.data.id}/comments`, { body: { text: TEXT }, headers: h });
	ok(r);
	r = await srv.request('POST', `/v1/private/traces/${trace.data.id}/comments`, { body: { text: TEXT }, headers: h });
	ok(r);
	r = await srv.request('PATCH', '/v1/private/spans/batch', { body: { ids: [span.data.id], update: { trace_id: trace.data.id, metadata: { batch: TEXT } } }, headers: h });
	ok(r, [204]);
	reads.push([`/v1/private/spans/${span.data.id}`, h], [`/v1/private/traces/${trace.data.id}`, h],
		[`/v1/private/spans?project_name=redact`, h], [`/v1/private/traces?project_name=redact`, h],
		[`${WS_PREFIX}/${OPIK_WS}/spans/${span.data.id}`, {}]);
	const got = await c.api.spans.getSpanById(span.data.id);
	assert.deepEqual(got.feedbackScores.map((f) => f.name), ['correct']);
	assert.match(got.feedbackScores[0].reason, /\[EMAIL:[a-p]{16}\]/);
});

test('Scale GP: a span, its PATCH, assessments with comments and metadata', async () => {
	const h = { 'x-selected-account-id': SGP_WS };
	const sgp = (m, p, body) => srv.request(m, p, { body, headers: h });
	let r = await sgp('POST', '/v5/spans', { id: 'sgp-1', name: 'answer', trace_id: 'sgp-trace', start_timestamp: dayTime(0, 2),
		input: { question: TEXT }, output: { answer: TEXT }, metadata: { user: P.email } });
	ok(r);
	r = await sgp('PATCH', '/v5/spans/sgp-1', { end_timestamp: dayTime(5000, 2), output: { answer: TEXT, again: TEXT } });
	ok(r);
	for (const body of [
		{ assessment_type: 'comment', trace_id: 'sgp-trace', span_id: 'sgp-1', comment: TEXT },
		{ assessment_type: 'metadata', trace_id: 'sgp-trace', span_id: 'sgp-1', metadata: { reviewer: P.email, text: TEXT } },
		{ assessment_type: 'rubric', trace_id: 'sgp-trace', span_id: 'sgp-1', rubric: { tone: TEXT } },
	])
		ok(await sgp('POST', '/v5/span-assessments', body));
	reads.push(['/v5/spans/sgp-1', h], ['/v5/span-assessments?span_id=sgp-1', h], [`${WS_PREFIX}/${SGP_WS}/spans/sgp-1`, {}]);
	const search = await sgp('POST', '/v5/spans/search', { trace_ids: ['sgp-trace'] });
	ok(search);
	assert.doesNotMatch(search.text, /PLANTED|planted\.person/);
});

test('Langfuse: the langfuse SDK\'s batch (trace, span, generation, event, updates, scores), a score created, its OTLP route', async () => {
	// No keys in this store: the public key names the workspace, the secret is not checked.
	const h = { Authorization: `Basic ${Buffer.from(`${LF_WS}:unused-secret`).toString('base64')}` };
	const c = new Langfuse({ publicKey: LF_WS, secretKey: 'unused-secret', baseUrl: srv.base, flushAt: 1000 });
	const trace = c.trace({ name: 'redact-lf', userId: P.email, sessionId: 'lf-redact-session', input: { question: TEXT },
		metadata: { note: TEXT, ip: P.ipv4 }, tags: ['redact'] });
	const span = trace.span({ name: 'retrieve', input: TEXT, metadata: { nested: { deep: TEXT } } });
	const gen = span.generation({ name: 'llm', model: 'gpt-4o-mini', input: [{ role: 'user', content: TEXT }] });
	gen.end({ output: { role: 'assistant', content: TEXT }, usageDetails: { input: 10, output: 5 } });
	span.event({ name: 'lookup', input: TEXT, level: 'WARNING', statusMessage: TEXT });
	span.end({ output: TEXT });
	trace.update({ output: { answer: TEXT }, metadata: { after: TEXT } });
	trace.score({ name: 'quality', value: 0.5, comment: TEXT });
	trace.score({ name: 'asked-by', value: `asked by ${P.email}`, dataType: 'CATEGORICAL' });
	await c.flushAsync();
	const made = await c.api.scoreCreate({ name: 'manual', value: 1, traceId: trace.id, comment: TEXT });
	assert.ok(made.id);
	const { tracer, ended } = sdk('redact-lf-otel');
	const otelLf = tracer.startSpan('lf otel', { attributes: { 'langfuse.observation.input': TEXT, 'langfuse.trace.metadata.note': TEXT, 'user.id': P.email } });
	otelLf.end();
	const r = await send(new ProtoExporter({ url: `${srv.base}/api/public/otel/v1/traces`, headers: h }), ended);
	assert.equal(r.code, 0, String(r.error));
	const t = await c.api.traceGet(trace.id);
	assert.equal(t.observations.length, 3);
	assert.equal(t.scores.length, 3);
	assert.match(JSON.stringify(t.input), /\[EMAIL:[a-p]{16}\]/);
	reads.push([`/api/public/traces/${trace.id}`, h], [`/api/public/observations/${gen.id}`, h],
		[`/api/public/observations?traceId=${trace.id}`, h], [`/api/public/v2/scores/${made.id}`, h],
		[`/api/public/v2/scores?traceId=${trace.id}`, h], [`/api/public/sessions/lf-redact-session`, h],
		[`${WS_PREFIX}/${LF_WS}/spans/${otelLf.spanContext().spanId}`, {}]);
});

test('MCP: an agent\'s add_score and add_comment (the MCP TypeScript SDK), and its get_span', async () => {
	const client = new Client({ name: 'redact-test', version: '1.0.0' });
	await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.base}/mcp`)));
	try {
		for (const [name, args] of [
			['add_score', { workspace: WS, span_id: 'direct-1', name: 'privacy', value: 1, reason: TEXT }],
			['add_comment', { workspace: WS, trace_id: 'trace-direct', text: TEXT }],
		]) {
			const res = await client.callTool({ name, arguments: args });
			assert.ok(!res.isError, `${name}: ${res.content[0].text}`);
		}
		const res = await client.callTool({ name: 'get_span', arguments: { workspace: WS, span_id: 'direct-1' } });
		assert.ok(!res.isError, res.content[0].text);
		for (const n of NEEDLES) assert.ok(!res.content[0].text.includes(n), `get_span shows "${n}"`);
		assert.match(res.content[0].text, /\[EMPLOYEE\]/);
	} finally {
		await client.close();
	}
});

// Every file under dir, sealed blocks decompressed: [relative path, text].
const storedTexts = (dir) => storedFiles(dir).map(([f, b]) => [f, b.toString('latin1')]);

function noneStored(where) {
	const files = storedTexts(srv.dataDir);
	assert.ok(files.length > 10, `${where}: ${files.length} files`);
	for (const [f, text] of files)
		for (const n of NEEDLES)
			assert.ok(!text.includes(n), `${where}: ${f} holds "${n}"`);
	const all = files.map(([, t]) => t).join('\n');
	for (const tag of TAGS)
		assert.ok(all.includes(tag), `${where}: no ${tag} stored`);
	return files;
}

test('no stored byte holds a planted value, sealed or not; the replacements are there', async () => {
	noneStored('before seal');
	await spandexOk(['seal', srv.dataDir, '--older-than', '0']);
	const files = noneStored('after seal');
	assert.ok(files.some(([f]) => f.endsWith('.jsonl.zst')), `a sealed block: ${files.map(([f]) => f).join(' ')}`);
	// The same hash for the same address everywhere: equal values still join.
	const hashes = new Set(files.flatMap(([, t]) => t.match(/\[EMAIL:[a-p]{16}\]/g) || []));
	assert.equal(hashes.size, 1, [...hashes].join(' '));
});

test('no API\'s read of them holds a planted value', async () => {
	assert.ok(reads.length >= 20, `${reads.length} reads`);
	let tagged = 0;
	for (const [p, headers] of reads) {
		const r = await srv.request('GET', p, { headers });
		assert.equal(r.status, 200, `${p}: ${r.text}`);
		for (const n of NEEDLES)
			assert.ok(!r.text.includes(n), `${p} shows "${n}": ${r.text.slice(0, 2000)}`);
		tagged += TAGS.some((t) => r.text.includes(t));
	}
	assert.ok(tagged >= reads.length - 2, `${tagged} of ${reads.length} reads show a replacement`);
	// The NeMo span of the direct path shows every kind.
	const span = await srv.request('GET', `${WS_PREFIX}/${WS}/spans/direct-1`);
	for (const tag of TAGS) assert.ok(span.text.includes(tag), `${tag} in ${span.text}`);
	assert.equal(span.json.span_id, 'direct-1');
	assert.equal(span.json.error_type, 'LookupError');
	assert.match(span.json.name, /^lookup \[EMAIL:[a-p]{16}\]$/);
	// A JSON input stays JSON.
	assert.deepEqual(Object.keys(JSON.parse(span.json.output)), ['answer']);
});

test('the rules file in one worker: refused, loaded, reloaded, and the last good rules kept', async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-rules-'));
	const file = path.join(dir, 'redact.rules');
	// Written aside and renamed, as an editor saves: each version another file to stat.
	const write = (text) => {
		fs.writeFileSync(`${file}.tmp`, text);
		fs.renameSync(`${file}.tmp`, file);
	};
	write('email\n/EMP-[0-9{6}/\n');
	const one = await startServer({ workers: 1, env: { SPANDEX_SYNC: '0', SPANDEX_REDACT: file } });
	try {
		const put = (id, text) => one.request('POST', `${WS_PREFIX}/rules/ingest/spans`,
			{ body: { source: 'test', spans: [{ span_id: id, trace_id: `t-${id}`, started_at: dayTime(), input: text }] } });
		const get = (id) => one.request('GET', `${WS_PREFIX}/rules/spans/${id}`);
		const judge = () => one.request('POST', `${WS_PREFIX}/rules/annotations`, { body: { kind: 'note', session_id: 's', text: P.email } });
		const text = `${P.email} ${P.phone}`;
		// Never compiled in this worker: nothing is stored, 503 with Retry-After, the client
		// told nothing of the rules.
		let r = await put('a', text);
		assert.equal(r.status, 503, r.text);
		assert.ok(r.headers['retry-after'], 'Retry-After');
		assert.doesNotMatch(r.text, /EMP|\.rules/);
		assert.equal((await judge()).status, 503);
		assert.equal((await get('a')).status, 404);
		assert.ok(!fs.existsSync(path.join(one.dataDir, 'rules')) || !storedTexts(path.join(one.dataDir, 'rules')).some(([, t]) => t.includes(P.email)));
		// Mended: in force from the next request, no restart.
		write('email\n');
		r = await put('b', text);
		assert.equal(r.status, 201, r.text);
		assert.equal((await get('b')).json.input, `[EMAIL] ${P.phone}`);
		ok(await judge()); // the annotations' program (cgi-bin/spans) loads them too
		// Changed: the new rules.
		write('phone\n');
		ok(await put('c', text));
		assert.equal((await get('c')).json.input, `${P.email} [PHONE]`);
		// Broken: the last rules that compiled stay in force, writes go on.
		write('phone\n\n# a typo\nemial\n');
		ok(await put('d', text));
		assert.equal((await get('d')).json.input, `${P.email} [PHONE]`);
		ok(await judge());
		// Removed: the same.
		fs.rmSync(file);
		ok(await put('e', text));
		assert.equal((await get('e')).json.input, `${P.email} [PHONE]`);
		// Each reason in the programs' log, once, with its line.
		const log = fs.readFileSync(one.procs.ingest.log, 'utf8');
		assert.match(log, /redaction rules .*redact\.rules:2: \/EMP-\[0-9\{6\}\/: missing terminating \] .*; no span or judgement is stored until the rules load/);
		assert.match(log, /redaction rules .*redact\.rules:4: 'emial' is no detector .*; the rules loaded before stay in force/);
		assert.equal(log.match(/'emial' is no detector/g).length, 1, log);
		assert.match(log, /redaction rules .*: No such file or directory; the rules loaded before stay in force/);
	} finally {
		await one.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
