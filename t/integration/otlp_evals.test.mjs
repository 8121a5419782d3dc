// OTLP evaluation results as judgements (issue 34; reference judgement.md 4.1, 4.2) through
// nginx: the OTel GenAI gen_ai.evaluation.result event as a log record (the OTel JS logs SDK's
// JSON and protobuf exporters, and bodies by hand) and as a span event, and OpenInference's
// annotations and evaluations (@arizeai/openinference-core's getAnnotationAttributes) on a span,
// read back through NeMo's evaluator results, Opik's feedback scores and Scale GP's
// assessments, and from the judgement files themselves (DATA/<ws>/judgements/*.jsonl) for the
// ids and targets no API shows; a retry that replaces, gen_ai.response.id, and the 503 of a
// judgement store that cannot be written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, stableId, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';
import { field } from '../otlp_wire.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter: JsonLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { OTLPLogExporter: ProtoLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { getAnnotationAttributes, getEvaluationAttributes } = require('@arizeai/openinference-core');

let srv;
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
});
after(async () => {
	await srv?.stop();
});

const WS = 'otlp-evals';
const ids = () => ({ trace: randomBytes(16).toString('hex'), span: randomBytes(8).toString('hex') });
const url = (what) => `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/${what}`;
const post = (what, body, headers = {}) => srv.request('POST', `${WS_PREFIX}/${WS}/ingest/otlp/v1/${what}`, { body, headers });
const send = (exporter, items) => new Promise((resolve) => exporter.export(items, resolve)).finally(() => exporter.shutdown());

// Every live judgement of the workspace, from its files (the newest version of each id).
function judgements() {
	const dir = path.join(srv.dataDir, WS, 'judgements');
	const byId = new Map();
	for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort())
		for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean)) {
			const j = JSON.parse(line);
			const old = byId.get(j.id);
			if (!old || old.ingested_at < j.ingested_at) byId.set(j.id, j);
		}
	return [...byId.values()].filter((j) => !j.deleted);
}
const evaluatorResults = async (span) => {
	const r = await srv.request('GET', `${WS_PREFIX}/${WS}/spans/${span}/evaluator-results`);
	assert.equal(r.status, 200, r.text);
	return r.json;
};
const assessments = async (span) => {
	const r = await srv.request('GET', `/v5/span-assessments?span_id=${span}`, { headers: { 'x-selected-account-id': WS } });
	assert.equal(r.status, 200, r.text);
	return r.json.items;
};

// The SDKs' way: the span of a call, an evaluation event on it, and an evaluation log record
// emitted in its context at a known time (ms).
function sdkCall(tag, logMs, eventMs) {
	const ended = [];
	const tracer = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { ended.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getTracer('eval-demo', '0.1.0');
	const records = [];
	const logger = new LoggerProvider({
		processors: [{ onEmit(r) { records.push(r); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getLogger('eval-demo', '0.1.0');
	const span = tracer.startSpan(`chat ${tag}`, { kind: api.SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } });
	span.addEvent('gen_ai.evaluation.result', { 'gen_ai.evaluation.name': 'Groundedness', 'gen_ai.evaluation.score.value': 0.5 }, eventMs);
	span.end();
	logger.emit({
		eventName: 'gen_ai.evaluation.result',
		timestamp: logMs,
		context: api.trace.setSpan(api.context.active(), span),
		attributes: {
			'gen_ai.evaluation.name': 'Relevance', 'gen_ai.evaluation.score.value': 4,
			'gen_ai.evaluation.score.label': 'relevant', 'gen_ai.evaluation.explanation': 'on topic',
		},
	});
	return { spans: ended, records, ctx: span.spanContext() };
}

const exporters = [
	['JSON', () => new JsonExporter({ url: url('traces') }), () => new JsonLogExporter({ url: url('logs') })],
	['protobuf on the standard paths', () => new ProtoExporter({ url: `${srv.base}/v1/traces`, headers: { 'X-Workspace': WS } }),
		() => new ProtoLogExporter({ url: `${srv.base}/v1/logs`, headers: { 'X-Workspace': WS } })],
];
for (const [name, spanExporter, logExporter] of exporters) {
	test(`OTel JS SDK (${name}): an evaluation log record and span event are judgements of their span`, async () => {
		const t0 = Date.now() - 60000;
		const run = sdkCall(name.replace(/\W+/g, '-'), t0 + 2000, t0 + 1000);
		const { traceId, spanId } = run.ctx;
		for (const [items, exporter] of [[run.spans, spanExporter], [run.records, logExporter]]) {
			const r = await send(exporter(), items);
			assert.equal(r.code, 0, String(r.error));
		}
		// The files: ids by the rule (a retry replaces), the span's trace and session.
		const mine = judgements().filter((j) => j.span_id === spanId).sort((a, b) => a.name.localeCompare(b.name));
		assert.deepEqual(mine.map((j) => [j.name, j.kind, j.value, j.label, j.text, j.source, j.api, j.subtype, j.target]), [
			['Groundedness', 'number', 0.5, undefined, undefined, 'evaluator', 'otlp', 'gen_ai.evaluation.result', 'span'],
			['Relevance', 'number', 4, 'relevant', 'on topic', 'evaluator', 'otlp', 'gen_ai.evaluation.result', 'span'],
		]);
		assert.equal(mine[0].id, stableId('otel-eval', traceId, spanId, 'Groundedness', String(BigInt(t0 + 1000) * 1000000n)));
		assert.equal(mine[1].id, stableId('otel-eval', traceId, spanId, 'Relevance', String(BigInt(t0 + 2000) * 1000000n)));
		for (const j of mine) {
			assert.equal(j.trace_id, traceId);
			assert.match(j.session_id, /^session-/, 'the span was stored first: its session');
		}
		// (the time as stored: microseconds, a whole second without its fraction)
		assert.equal(Date.parse(mine[1].created_at), t0 + 2000);
		// Through the APIs: NeMo's evaluator results, SGP's metadata assessments, Opik's scores.
		const nemo = await evaluatorResults(spanId);
		assert.deepEqual(nemo.map((x) => [x.name, x.value, x.data_type, x.string_value, x.comment, x.status]).sort(), [
			['Groundedness', 0.5, 'NUMERIC', undefined, undefined, 'SCORED'],
			['Relevance', 4, 'NUMERIC', 'relevant', 'on topic', 'SCORED'],
		]);
		const sgp = await assessments(spanId);
		assert.deepEqual(sgp.map((a) => [a.assessment_type, a.metadata.name, a.metadata.api]).sort(), [
			['metadata', 'Groundedness', 'otlp'], ['metadata', 'Relevance', 'otlp']]);
		const opik = await srv.request('GET', `/v1/private/spans/${spanId}`, { headers: { 'Comet-Workspace': WS } });
		assert.equal(opik.status, 200, opik.text);
		assert.deepEqual(opik.json.feedback_scores.map((s) => [s.name, s.value, s.source]), [
			['Groundedness', 0.5, 'online_scoring'], ['Relevance', 4, 'online_scoring']]);
		// The exporter's retry replaces each: still two.
		const again = await send(logExporter(), run.records);
		assert.equal(again.code, 0, String(again.error));
		assert.equal(judgements().filter((j) => j.span_id === spanId).length, 2);
		assert.equal((await evaluatorResults(spanId)).length, 2);
	});
}

// ---- bodies by hand ----
const kv = (key, v) => ({ key, value: typeof v === 'number' ? { doubleValue: v } : { stringValue: v } });
const evalRecord = (id, name, attrs, t) => ({
	timeUnixNano: String(t), ...(id.trace ? { traceId: id.trace } : {}), ...(id.span ? { spanId: id.span } : {}),
	eventName: 'gen_ai.evaluation.result',
	attributes: [kv('gen_ai.evaluation.name', name), ...attrs],
});
const logs = (records) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
const spanBody = (id, attrs, extra = {}) => ({
	resourceSpans: [{ scopeSpans: [{ spans: [{
		traceId: id.trace, spanId: id.span, name: 'chat', kind: 3,
		startTimeUnixNano: String(BigInt(Date.now() - 120000) * 1000000n), endTimeUnixNano: String(BigInt(Date.now() - 119000) * 1000000n),
		attributes: attrs, ...extra,
	}] }] }],
});
const nowNs = () => BigInt(Date.now()) * 1000000n;

test('a record that arrives before its span: SGP shows it at once, NeMo once the span brings its session', async () => {
	const id = ids();
	let r = await post('logs', logs([evalRecord(id, 'Early', [kv('gen_ai.evaluation.score.label', 'pass')], nowNs())]));
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, {});
	let [j] = judgements().filter((x) => x.span_id === id.span);
	assert.equal(j.kind, 'category');
	assert.equal(j.session_id, undefined, 'no span stored: no session yet');
	assert.deepEqual((await assessments(id.span)).map((a) => a.metadata), [{ name: 'Early', label: 'pass', source: 'evaluator', api: 'otlp' }]);
	assert.deepEqual(await evaluatorResults(id.span), [], 'NeMo\'s shape needs a session');
	r = await post('traces', spanBody(id, [kv('gen_ai.conversation.id', 'conv-early'), kv('project', 'shop')]));
	assert.equal(r.status, 200, r.text);
	[j] = judgements().filter((x) => x.span_id === id.span);
	assert.equal(j.session_id, 'conv-early');
	assert.equal(j.project, 'shop');
	assert.deepEqual((await evaluatorResults(id.span)).map((x) => [x.name, x.string_value, x.session_id]), [['Early', 'pass', 'conv-early']]);
});

test('a failed evaluation (error.type, no value) reads in NeMo as FAILED with its reason as the comment', async () => {
	const id = ids();
	let r = await post('traces', spanBody(id, [kv('gen_ai.conversation.id', 'conv-failed')]));
	assert.equal(r.status, 200, r.text);
	r = await post('logs', logs([evalRecord(id, 'Broken', [kv('error.type', 'timeout')], nowNs())]));
	assert.equal(r.status, 200, r.text);
	const [e] = await evaluatorResults(id.span);
	assert.equal(e.name, 'Broken');
	assert.equal(e.status, 'FAILED');
	assert.equal(e.comment, 'timeout');
	assert.equal(e.value, undefined);
});

test('gen_ai.response.id names the span of a record without one; one that names none is refused', async () => {
	const id = ids();
	let r = await post('traces', spanBody(id, [kv('gen_ai.response.id', 'chatcmpl-abc')]));
	assert.equal(r.status, 200, r.text);
	// A NeMo chat-completions capture keeps the response id as its span id.
	r = await srv.request('POST', `${WS_PREFIX}/${WS}/ingest/chat-completions`, {
		body: { request: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
			response: { id: 'chatcmpl-nemo', model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'yo' }, finish_reason: 'stop' }] } },
	});
	assert.equal(r.status, 201, r.text);
	const t = nowNs();
	r = await post('logs', logs([
		evalRecord({}, 'ByAttribute', [kv('gen_ai.evaluation.score.value', 1), kv('gen_ai.response.id', 'chatcmpl-abc')], t),
		evalRecord({}, 'BySpanId', [kv('gen_ai.evaluation.score.value', 0), kv('gen_ai.response.id', 'chatcmpl-nemo')], t),
		evalRecord({}, 'Nowhere', [kv('gen_ai.evaluation.score.value', 1), kv('gen_ai.response.id', 'chatcmpl-none')], t),
		evalRecord({}, 'NoId', [kv('gen_ai.evaluation.score.value', 1)], t),
		evalRecord(id, 'NoScore', [], t),
	]));
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.partialSuccess.rejectedLogRecords, 3, r.text);
	const msg = r.json.partialSuccess.errorMessage;
	assert.match(msg, /log record 2: gen_ai.response.id chatcmpl-none names no span stored by that id or started in the day before the record/);
	assert.match(msg, /log record 3: span_id is required \(or gen_ai.response.id\)/);
	assert.match(msg, /log record 4: gen_ai.evaluation.result has no gen_ai.evaluation.score.value/);
	const by = judgements().filter((j) => ['ByAttribute', 'BySpanId', 'Nowhere'].includes(j.name));
	assert.deepEqual(by.map((j) => [j.name, j.span_id, j.trace_id]).sort(), [
		['ByAttribute', id.span, id.trace], ['BySpanId', 'chatcmpl-nemo', 'chatcmpl-nemo']]);
	assert.equal(by.find((j) => j.name === 'ByAttribute').id, stableId('otel-eval', id.trace, id.span, 'ByAttribute', String(t)));
	assert.deepEqual((await evaluatorResults('chatcmpl-nemo')).map((x) => [x.name, x.value]), [['BySpanId', 0]]);
});

test('OpenInference annotations and evaluations on a span, its trace and its session', async () => {
	const id = ids();
	const attrs = {
		...getAnnotationAttributes({ annotations: [
			{ name: 'correctness', score: 0.9, label: 'correct', explanation: 'matches', annotatorKind: 'HUMAN', metadata: { reviewer: 'ann' } },
			{ name: 'tone', label: 'calm', identifier: 'tone-v1' },
		] }),
		...getEvaluationAttributes({ evaluations: [{ name: 'goal', score: 1 }], scope: 'trace' }),
		...getEvaluationAttributes({ evaluations: [{ name: 'nps', score: 9, annotatorKind: 'HUMAN' }], scope: 'session' }),
	};
	const body = spanBody(id, Object.entries(attrs).map(([k, v]) => kv(k, v)), {
		events: [{ name: 'gen_ai.evaluation.result', timeUnixNano: String(nowNs()), attributes: [kv('gen_ai.evaluation.score.value', 1)] }],
	});
	let r = await post('traces', body);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { errors: [] }, 'an evaluation event without its name is no rejection: it stays a span event');
	const mine = judgements().filter((j) => j.trace_id === id.trace || (j.target === 'session' && j.name === 'nps'));
	const got = Object.fromEntries(mine.map((j) => [j.name, j]));
	assert.deepEqual(Object.keys(got).sort(), ['correctness', 'goal', 'nps', 'tone']);
	assert.deepEqual([got.correctness.target, got.correctness.span_id, got.correctness.value, got.correctness.label,
		got.correctness.text, got.correctness.source, got.correctness.subtype, got.correctness.payload],
	['span', id.span, 0.9, 'correct', 'matches', 'human', 'openinference.annotation', { reviewer: 'ann' }]);
	assert.equal(got.tone.kind, 'category');
	assert.equal(got.tone.id, stableId('oi', 'span', id.span, 'tone', 'tone-v1'));
	assert.deepEqual([got.goal.target, got.goal.span_id, got.goal.trace_id, got.goal.subtype], ['trace', undefined, id.trace, 'openinference.evaluation']);
	assert.deepEqual([got.nps.target, got.nps.trace_id, got.nps.source], ['session', undefined, 'human']);
	assert.equal(got.nps.session_id, got.correctness.session_id);
	// The span sent again replaces them all: the same ids.
	r = await post('traces', body);
	assert.equal(r.status, 200, r.text);
	assert.equal(judgements().filter((j) => j.trace_id === id.trace).length, 3);
	assert.deepEqual((await evaluatorResults(id.span)).map((x) => x.name).sort(), ['correctness', 'tone']);
	// The trace's own score, and its root span's (this span: an Opik trace is its root span,
	// docs/api-opik.md, "Scores and comments"), as Opik shows a trace's.
	const trace = await srv.request('GET', `/v1/private/traces/${id.trace}`, { headers: { 'Comet-Workspace': WS } });
	assert.equal(trace.status, 200, trace.text);
	assert.deepEqual(trace.json.feedback_scores.map((s) => [s.name, s.value]), [['correctness', 0.9], ['goal', 1]]);
});

test('a judgement store that cannot be written: the same 503 as a span write, and the retry stores both', async () => {
	const id = ids();
	const dir = path.join(srv.dataDir, WS, 'judgements');
	const aside = `${dir}.aside`;
	fs.renameSync(dir, aside);
	fs.writeFileSync(dir, 'not a directory');
	const body = logs([evalRecord(id, 'Blocked', [kv('gen_ai.evaluation.score.value', 1)], nowNs())]);
	try {
		const r = await post('logs', body);
		assert.equal(r.status, 503, r.text);
		assert.ok(r.headers['retry-after'], 'exporters retry a 503 with Retry-After');
		assert.equal(typeof r.json.detail, 'string');
		const t = await post('traces', spanBody(id, [], { events: [{ name: 'gen_ai.evaluation.result', timeUnixNano: String(nowNs()),
			attributes: [kv('gen_ai.evaluation.name', 'Blocked2'), kv('gen_ai.evaluation.score.value', 1)] }] }));
		assert.equal(t.status, 503, t.text);
	} finally {
		fs.rmSync(dir);
		fs.renameSync(aside, dir);
	}
	assert.equal((await post('logs', body)).status, 200);
	assert.ok(judgements().some((j) => j.name === 'Blocked' && j.span_id === id.span));
});

test('protobuf: an evaluation record that names no span is refused in the packed partial success', async () => {
	const str = (f, s) => field(f, Buffer.from(s));
	const kvPb = (k, v) => field(6, Buffer.concat([str(1, k), field(2, str(1, v))]));
	const rec = field(1, field(2, field(2, Buffer.concat([kvPb('gen_ai.evaluation.name', 'X'), kvPb('gen_ai.evaluation.score.label', 'ok'), str(12, 'gen_ai.evaluation.result')]))));
	const r = await post('logs', rec, { 'Content-Type': 'application/x-protobuf' });
	assert.equal(r.status, 200, r.text);
	assert.ok(r.text.includes('span_id is required (or gen_ai.response.id)'), r.text);
});

test('the store verifies after everything above', async () => {
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify:\n${v.stdout}${v.stderr}`);
});

// A judgement of a span that names no session counts in its trace's session (docs/api-intake.md,
// "Sessions"), whichever API wrote it: it recorded the child's own default session, so the
// session's evaluator_scores and notes missed it (judgement probe).
test('a judgement of a child span that names no session is in its trace\'s session, from every API', async () => {
	const trace = randomBytes(16).toString('hex'), root = randomBytes(8).toString('hex'), child = randomBytes(8).toString('hex');
	const start = String(BigInt(Date.now() - 60000) * 1000000n);
	const body = { resourceSpans: [{ scopeSpans: [{ spans: [
		{ traceId: trace, spanId: root, name: 'agent', startTimeUnixNano: start, attributes: [kv('gen_ai.conversation.id', 'conv-child')] },
		{ traceId: trace, spanId: child, parentSpanId: root, name: 'chat', startTimeUnixNano: start,
			events: [{ name: 'gen_ai.evaluation.result', timeUnixNano: start, attributes: [kv('gen_ai.evaluation.name', 'Relevance'), kv('gen_ai.evaluation.score.value', 4)] }] },
	] }] }] };
	let r = await post('traces', body);
	assert.equal(r.status, 200, r.text);
	const [e] = await evaluatorResults(child);
	assert.equal(e.session_id, 'conv-child');
	// Scale GP's assessment and Opik's score of the same span, likewise.
	r = await srv.request('POST', '/v5/span-assessments', { body: { assessment_type: 'rating', trace_id: trace, span_id: child, rating: 5 }, headers: { 'x-selected-account-id': WS } });
	assert.equal(r.status, 200, r.text);
	r = await srv.request('PUT', `/v1/private/spans/${child}/feedback-scores`, { body: { name: 'helpful', value: 1, source: 'sdk' }, headers: { 'Comet-Workspace': WS } });
	assert.equal(r.status, 204, r.text);
	const sessions = judgements().filter((j) => j.span_id === child).map((j) => j.session_id);
	assert.equal(sessions.length, 3);
	assert.deepEqual([...new Set(sessions)], ['conv-child']);
	const s = await srv.request('GET', `${WS_PREFIX}/${WS}/sessions/conv-child`);
	assert.equal(s.status, 200, s.text);
	assert.equal(s.json.evaluator_scores.Relevance, 4);
	assert.equal(s.json.evaluator_scores.helpful, 1);
});
