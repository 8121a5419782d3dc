// OTLP logs (issue 33): the GenAI content events (gen_ai.client.inference.operation.details and
// the per-message events) sent to /v1/logs and .../ingest/otlp/v1/logs attach to their span,
// whichever arrives first, in protobuf and OTLP/JSON, through nginx: first the real OTel JS logs
// SDK and exporters (t/clients), then bodies built by hand (t/otlp_wire.mjs) for the exact cases;
// docs/api-intake.md, "OTLP logs" says what is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, getSpan, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';
import { varint, field } from '../otlp_wire.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { OTLPLogExporter: JsonLogExporter } = require('@opentelemetry/exporter-logs-otlp-http');
const { OTLPLogExporter: ProtoLogExporter } = require('@opentelemetry/exporter-logs-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const WS = 'otlp-logs';
const NOW = BigInt(Date.now()) * 1000000n;
const INPUT = [{ role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] }];
const OUTPUT = [{ role: 'assistant', parts: [{ type: 'text', content: 'Sunny, 21 C.' }], finish_reason: 'stop' }];
const ids = () => ({ trace: randomBytes(16).toString('hex'), span: randomBytes(8).toString('hex') });

// ---- OTLP/JSON ----
const jsAttrs = (o) => Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));
const jsonSpan = ({ trace, span }, attrs = {}) => JSON.stringify({
	resourceSpans: [{ scopeSpans: [{ spans: [{
		traceId: trace, spanId: span, name: 'chat gpt-4o', kind: 3,
		startTimeUnixNano: String(NOW), endTimeUnixNano: String(NOW + 5000000n),
		attributes: jsAttrs({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', ...attrs }),
	}] }] }],
});
const jsonLogs = (records) => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
const details = ({ trace, span }) => ({
	timeUnixNano: String(NOW + 4000000n), traceId: trace, spanId: span,
	eventName: 'gen_ai.client.inference.operation.details',
	attributes: jsAttrs({ 'gen_ai.input.messages': JSON.stringify(INPUT), 'gen_ai.output.messages': JSON.stringify(OUTPUT) }),
});

// ---- protobuf (otel-egp.md 1.2; logs/v1 LogRecord: 1 time, 5 body, 6 attributes, 9 trace, 10 span, 12 event_name) ----
const fixed64 = (f, big) => {
	const b = Buffer.alloc(9);
	b[0] = f * 8 + 1;
	b.writeBigUInt64LE(big, 1);
	return b;
};
const str = (f, s) => field(f, Buffer.from(s));
const pbKv = (f, k, v) => field(f, Buffer.concat([str(1, k), field(2, str(1, v))]));
const pbSpan = ({ trace, span }) => field(1, field(2, field(2, Buffer.concat([
	field(1, Buffer.from(trace, 'hex')), field(2, Buffer.from(span, 'hex')), str(5, 'chat gpt-4o'),
	Buffer.from([0x30]), varint(3), fixed64(7, NOW), fixed64(8, NOW + 5000000n),
	pbKv(9, 'gen_ai.operation.name', 'chat'), pbKv(9, 'gen_ai.request.model', 'gpt-4o'),
]))));
const pbDetails = ({ trace, span }) => field(1, field(2, field(2, Buffer.concat([
	fixed64(1, NOW + 4000000n), pbKv(6, 'gen_ai.input.messages', JSON.stringify(INPUT)),
	pbKv(6, 'gen_ai.output.messages', JSON.stringify(OUTPUT)),
	field(9, Buffer.from(trace, 'hex')), field(10, Buffer.from(span, 'hex')),
	str(12, 'gen_ai.client.inference.operation.details'),
]))));

const PB = { 'Content-Type': 'application/x-protobuf' };
const post = (what, body, headers = {}) =>
	srv.request('POST', `${WS_PREFIX}/${WS}/ingest/otlp/v1/${what}`, { body, headers });
const stored = async (id) => {
	const r = await getSpan(WS, id);
	assert.equal(r.status, 200, r.text);
	return { ...r.json, attrs: JSON.parse(r.json.raw_attributes || '{}') };
};

// The GenAI conventions' way (instrumentation.md 6): the span carries the call, a log record
// emitted inside it carries the content, and the two exporters send them apart.
async function sdkCall(tag) {
	const ended = [];
	const tracer = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { ended.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getTracer('genai-demo', '0.1.0');
	const records = [];
	const logger = new LoggerProvider({
		processors: [{ onEmit(r) { records.push(r); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getLogger('genai-demo', '0.1.0');
	const span = tracer.startSpan(`chat gpt-4o ${tag}`, { kind: api.SpanKind.CLIENT, attributes: {
		'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
	} });
	logger.emit({
		eventName: 'gen_ai.client.inference.operation.details',
		context: api.trace.setSpan(api.context.active(), span),
		attributes: { 'gen_ai.input.messages': JSON.stringify(INPUT), 'gen_ai.output.messages': JSON.stringify(OUTPUT) },
	});
	span.end();
	return { spans: ended, records, id: span.spanContext().spanId };
}
const send = (exporter, items) =>
	new Promise((resolve) => exporter.export(items, resolve)).finally(() => exporter.shutdown());
const url = (what) => `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/${what}`;
const sdkOrders = [
	['log first, JSON', true, () => new JsonLogExporter({ url: url('logs') }), () => new JsonExporter({ url: url('traces') })],
	['span first, JSON', false, () => new JsonLogExporter({ url: url('logs') }), () => new JsonExporter({ url: url('traces') })],
	['log first, protobuf, /v1/logs', true,
		() => new ProtoLogExporter({ url: `${srv.base}/v1/logs`, headers: { 'X-Workspace': WS } }),
		() => new ProtoExporter({ url: url('traces') })],
	['span first, gzip protobuf', false, () => new ProtoLogExporter({ url: url('logs'), compression: 'gzip' }),
		() => new ProtoExporter({ url: url('traces'), compression: 'gzip' })],
];
for (const [name, logFirst, logExporter, spanExporter] of sdkOrders) {
	test(`OTel JS logs SDK: ${name}`, async () => {
		const run = await sdkCall(name.replace(/[^a-z]+/g, '-'));
		const logs = () => send(logExporter(), run.records);
		const spans = () => send(spanExporter(), run.spans);
		for (const step of logFirst ? [logs, spans] : [spans, logs]) {
			const r = await step();
			assert.equal(r.code, 0, String(r.error));
		}
		const s = await stored(run.id);
		assert.equal(s.kind, 'LLM');
		assert.match(s.name, /^chat gpt-4o /);
		assert.equal(s.attrs['spandex.awaiting_span'], undefined);
		assert.deepEqual(JSON.parse(s.input), INPUT);
		assert.deepEqual(JSON.parse(s.output), OUTPUT);
	});
}

test('a details log that arrives first is kept, and its span takes it on arrival (JSON)', async () => {
	const id = ids();
	let r = await post('logs', jsonLogs([details(id)]));
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, {});
	// Until the span comes, a stand-in holds the content under the span's id.
	let s = await stored(id.span);
	assert.equal(s.attrs['spandex.awaiting_span'], true);
	assert.deepEqual(JSON.parse(s.input), INPUT);
	assert.equal(s.trace_id, id.trace);
	r = await post('traces', jsonSpan(id));
	assert.equal(r.status, 200, r.text);
	s = await stored(id.span);
	assert.equal(s.name, 'chat gpt-4o');
	assert.equal(s.attrs['spandex.awaiting_span'], undefined);
	assert.deepEqual(JSON.parse(s.input), INPUT);
	assert.deepEqual(JSON.parse(s.output), OUTPUT);
	assert.equal(JSON.parse(s.attrs['otel.logs']).length, 1);
	assert.equal(s.attrs['gen_ai.request.model'], undefined, 'the model is a field, not a raw attribute');
	assert.equal(s.model, 'gpt-4o');
});

test('a details log after its span becomes a new version of it (protobuf)', async () => {
	const id = ids();
	let r = await post('traces', pbSpan(id), PB);
	assert.equal(r.status, 200, r.text);
	let s = await stored(id.span);
	assert.equal(s.input, undefined);
	r = await post('logs', pbDetails(id), PB);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers['content-type'], 'application/x-protobuf');
	assert.equal(r.text, '');
	s = await stored(id.span);
	assert.equal(s.name, 'chat gpt-4o');
	assert.equal(s.kind, 'LLM');
	assert.deepEqual(JSON.parse(s.input), INPUT);
	assert.deepEqual(JSON.parse(s.output), OUTPUT);
	// The span sent again (an exporter's retry) keeps what its log brought.
	r = await post('traces', pbSpan(id), PB);
	assert.equal(r.status, 200, r.text);
	s = await stored(id.span);
	assert.deepEqual(JSON.parse(s.output), OUTPUT);
});

test('log first in protobuf, span second in JSON, on the standard paths with X-Workspace', async () => {
	const id = ids();
	const h = { 'X-Workspace': WS };
	let r = await srv.request('POST', '/v1/logs', { body: pbDetails(id), headers: { ...h, ...PB } });
	assert.equal(r.status, 200, r.text);
	r = await srv.request('POST', '/v1/traces', { body: jsonSpan(id), headers: h });
	assert.equal(r.status, 200, r.text);
	const s = await stored(id.span);
	assert.equal(s.name, 'chat gpt-4o');
	assert.deepEqual(JSON.parse(s.output), OUTPUT);
});

test('the per-message events (body content) make the input and output messages; a retry adds nothing', async () => {
	const id = ids();
	const ev = (name, body, dt) => ({
		timeUnixNano: String(NOW + dt), traceId: id.trace, spanId: id.span, body,
		attributes: jsAttrs({ 'event.name': name, 'gen_ai.system': 'openai' }),
	});
	const body = jsonLogs([
		ev('gen_ai.system.message', { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Be brief.' } }] } }, 1n),
		ev('gen_ai.user.message', { stringValue: 'Weather in Paris?' }, 2n),
		ev('gen_ai.choice', { kvlistValue: { values: [
			{ key: 'index', value: { intValue: 0 } }, { key: 'finish_reason', value: { stringValue: 'stop' } },
			{ key: 'message', value: { kvlistValue: { values: [{ key: 'content', value: { stringValue: 'Sunny.' } }] } } },
		] } }, 3n),
	]);
	let r = await post('traces', jsonSpan(id));
	assert.equal(r.status, 200, r.text);
	r = await post('logs', gzipSync(body), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
	assert.equal(r.status, 200, r.text);
	let s = await stored(id.span);
	assert.deepEqual(JSON.parse(s.input), { messages: [
		{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }] });
	assert.deepEqual(JSON.parse(s.output), { messages: [
		{ role: 'assistant', index: 0, finish_reason: 'stop', content: 'Sunny.' }] });
	r = await post('logs', body);
	assert.equal(r.status, 200, r.text);
	s = await stored(id.span);
	assert.equal(JSON.parse(s.attrs['otel.logs']).length, 3);
});

// The conventions' exception event (instrumentation.md 6): the span keeps only its status and
// error.type; the log record carries the message. Either order.
test('the gen_ai.client.operation.exception event gives its span the error message', async () => {
	for (const logFirst of [false, true]) {
		const ended = [], records = [];
		const tracer = new BasicTracerProvider({
			spanProcessors: [{ onStart() {}, onEnd(x) { ended.push(x); }, forceFlush: async () => {}, shutdown: async () => {} }],
		}).getTracer('genai-demo', '0.1.0');
		const logger = new LoggerProvider({
			processors: [{ onEmit(r) { records.push(r); }, forceFlush: async () => {}, shutdown: async () => {} }],
		}).getLogger('genai-demo', '0.1.0');
		const span = tracer.startSpan('chat gpt-4o', { kind: api.SpanKind.CLIENT, attributes: {
			'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'error.type': 'openai.RateLimitError' } });
		logger.emit({ eventName: 'gen_ai.client.operation.exception', severityNumber: 13,
			context: api.trace.setSpan(api.context.active(), span),
			attributes: { 'exception.type': 'openai.RateLimitError', 'exception.message': 'Rate limit reached' } });
		span.setStatus({ code: api.SpanStatusCode.ERROR });
		span.end();
		const logs = () => send(new JsonLogExporter({ url: url('logs') }), records);
		const spans = () => send(new JsonExporter({ url: url('traces') }), ended);
		for (const step of logFirst ? [logs, spans] : [spans, logs]) assert.equal((await step()).code, 0);
		const got = await stored(span.spanContext().spanId);
		assert.deepEqual([got.status, got.error_type, got.error_message], ['error', 'openai.RateLimitError', 'Rate limit reached']);
	}
});

test('records that cannot be attached are refused by partial success, the rest kept', async () => {
	const id = ids();
	const plain = { timeUnixNano: String(NOW), traceId: id.trace, spanId: id.span, body: { stringValue: 'GET /' } };
	const orphan = { ...details(id), spanId: undefined };
	let r = await post('logs', jsonLogs([plain, orphan, details(id)]));
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.partialSuccess.rejectedLogRecords, 2, r.text);
	assert.match(r.json.partialSuccess.errorMessage, /log record 0: no event name/);
	assert.match(r.json.partialSuccess.errorMessage, /log record 1: span_id is required/);
	assert.deepEqual(JSON.parse((await stored(id.span)).output), OUTPUT);
	// Protobuf: the same response message, packed.
	r = await post('logs', field(1, field(2, field(2, str(12, 'app.log')))), PB);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.text.length > 0 && r.text.includes('app.log is not a GenAI content or evaluation event'), r.text);
});

test('bad bodies are a 400 and a wrong type a 415, nothing stored', async () => {
	let r = await post('logs', '{"resourceLogs": [1]}');
	assert.equal(r.status, 400, r.text);
	assert.match(r.json.detail, /resourceLogs must hold objects/);
	r = await post('logs', Buffer.from([0x0a, 0x05, 0x01]), PB);
	assert.equal(r.status, 400, r.text);
	r = await post('logs', 'x', { 'Content-Type': 'text/plain' });
	assert.equal(r.status, 415, r.text);
});

test('log and span sent at the same time: every span ends with its content (no window between read and write)', async () => {
	const all = Array.from({ length: 40 }, ids);
	await Promise.all(all.flatMap((id, i) => {
		const log = () => post('logs', i % 2 ? pbDetails(id) : jsonLogs([details(id)]), i % 2 ? PB : {});
		const span = () => post('traces', i % 3 ? jsonSpan(id) : pbSpan(id), i % 3 ? {} : PB);
		return i % 4 < 2 ? [log(), span()] : [span(), log()];
	}).map(async (p) => assert.equal((await p).status, 200)));
	for (const id of all) {
		const s = await stored(id.span);
		assert.equal(s.name, 'chat gpt-4o', id.span);
		assert.equal(s.attrs['spandex.awaiting_span'], undefined, id.span);
		assert.deepEqual(JSON.parse(s.output), OUTPUT, id.span);
	}
});

test('the store verifies after everything above', async () => {
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify:\n${v.stdout}${v.stderr}`);
});
