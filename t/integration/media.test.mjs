// Media out of the lines (issue 52; docs/media.md): images, audio and documents sent inline as
// base64 through every ingest path (NeMo direct spans, chat completions, a real OpenTelemetry
// exporter with the GenAI conventions' blob parts, OTLP logs, the real Opik SDK and a PATCH,
// Scale GP, Langfuse's span processor and its ingestion batch) are stored once as content-addressed files; each API
// reads the span back with a reference where the base64 was, the media route and Opik's
// attachment routes give the bytes back identical, with the type the bytes are (never the
// declared one), and no line on disk holds the base64.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, getSpan, makeSpan, ingestSpans, cgiRequest, CLIENTS, WS_PREFIX } from '../harness.mjs';
import { provider, named, idOf } from '../instrumentation.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { Opik } = await import(require.resolve('opik'));

let srv;
before(async () => (srv = await startServer()));
after(() => srv?.stop());

// Bytes of a kind: its magic number, then n bytes no other test repeats.
let seed = 0;
function bytes(magic, n) {
	const parts = [Buffer.from(magic, 'latin1')];
	for (let len = magic.length; len < n; len += 32)
		parts.push(crypto.createHash('sha256').update(`media-test-${++seed}`).digest());
	return Buffer.concat(parts).subarray(0, n);
}
const png = (n = 40000) => bytes('\x89PNG\r\n\x1a\n', n);
const wav = (n = 30000) => bytes('RIFF\x10\0\0\0WAVEfmt ', n);
const pdf = (n = 25000) => bytes('%PDF-1.7\n', n);
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const ref = (b, type) => `spandex-media://sha256/${sha(b)}?type=${type}&bytes=${b.length}`;

// Every line on disk of ws (plain lines; no day here is sealed).
function lines(ws) {
	const dir = path.join(srv.dataDir, ws);
	return fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
}
function mediaFiles(ws) {
	const dir = path.join(srv.dataDir, ws, 'media');
	if (!fs.existsSync(dir)) return [];
	return fs.readdirSync(dir).flatMap((aa) => fs.readdirSync(path.join(dir, aa)));
}
// A run of b's base64 from its middle that any escaping of the lines spells as it is (letters
// and digits only, no '/' to be escaped).
function b64run(b) {
	const b64 = b.toString('base64');
	const m = /[A-Za-z0-9]{40}/.exec(b64.slice(b64.length >> 1));
	assert.ok(m, 'no run of 40 letters and digits');
	return m[0];
}
// Whether a line of ws holds b's base64.
const holds = (ws, b) => lines(ws).includes(b64run(b));
// No line holds any of the payloads' base64.
function assertOut(ws, ...payloads) {
	for (const b of payloads)
		assert.ok(!holds(ws, b), `${ws}: a line still holds the base64 of ${sha(b)}`);
}
// The bytes the media route gives for b's hash: identical, typed as the bytes are.
async function assertServed(ws, b, type) {
	const r = await srv.request('GET', `${WS_PREFIX}/${ws}/media/${sha(b)}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers['content-type'], type);
	assert.ok(r.bytes.equals(b), `${ws}: the bytes of ${sha(b)} came back changed`);
	assert.equal(r.headers['x-content-type-options'], 'nosniff');
	assert.equal(r.headers.etag, `"${sha(b)}"`);
	assert.match(r.headers['cache-control'], /immutable/);
	return r;
}

test('NeMo direct spans: OpenAI image_url and input_audio, an Anthropic document block', async () => {
	const img = png(), audio = wav(), doc = pdf();
	const input = JSON.stringify({
		messages: [{
			role: 'user', content: [
				{ type: 'text', text: 'What is in these?' },
				{ type: 'image_url', image_url: { url: `data:image/png;base64,${img.toString('base64')}`, detail: 'high' } },
				{ type: 'input_audio', input_audio: { data: audio.toString('base64'), format: 'wav' } },
			],
		}],
	});
	const output = JSON.stringify({
		role: 'assistant',
		content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: doc.toString('base64') } }],
	});
	const r = await ingestSpans('direct', [makeSpan('d1', { input, output })]);
	assert.equal(r.status, 201, r.text);
	const s = await getSpan('direct', 'd1');
	assert.equal(s.status, 200, s.text);
	const got = JSON.parse(s.json.input);
	assert.equal(got.messages[0].content[0].text, 'What is in these?');
	assert.equal(got.messages[0].content[1].image_url.url, ref(img, 'image/png'));
	assert.equal(got.messages[0].content[1].image_url.detail, 'high');
	assert.deepEqual(got.messages[0].content[2].input_audio, { data: ref(audio, 'audio/wav'), format: 'wav' });
	assert.deepEqual(JSON.parse(s.json.output).content[0].source,
		{ type: 'base64', media_type: 'application/pdf', data: ref(doc, 'application/pdf') });
	assertOut('direct', img, audio, doc);
	await assertServed('direct', img, 'image/png');
	await assertServed('direct', audio, 'audio/wav');
	await assertServed('direct', doc, 'application/pdf');
	// A list and a search read the references, not megabytes.
	const list = await srv.request('GET', `${WS_PREFIX}/direct/spans?search=these`);
	assert.equal(list.status, 200, list.text);
	assert.equal(list.json.data.length, 1);
	assert.ok(list.text.length < 4000, `a page of one span is ${list.text.length} bytes`);
});

test('chat completions: the request\'s image and audio, the response\'s audio', async () => {
	const img = png(), said = wav(), answer = wav();
	const body = {
		request: {
			model: 'gpt-4o-audio-preview',
			messages: [{ role: 'user', content: [
				{ type: 'image_url', image_url: { url: `data:image/png;base64,${img.toString('base64')}` } },
				{ type: 'input_audio', input_audio: { data: said.toString('base64'), format: 'wav' } },
			] }],
		},
		response: {
			id: 'chatcmpl-media-1', object: 'chat.completion', created: Math.floor(Date.now() / 1000) - 60,
			model: 'gpt-4o-audio-preview',
			choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: null,
				audio: { id: 'audio_1', data: answer.toString('base64'), transcript: 'A cat.', expires_at: 1 } } }],
			usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
		},
	};
	const r = await srv.request('POST', `${WS_PREFIX}/chat/ingest/chat-completions`, { body });
	assert.equal(r.status, 201, r.text);
	const s = await getSpan('chat', 'chatcmpl-media-1');
	assert.equal(s.status, 200, s.text);
	const input = JSON.parse(s.json.input);
	assert.equal(input.messages[0].content[0].image_url.url, ref(img, 'image/png'));
	assert.equal(input.messages[0].content[1].input_audio.data, ref(said, 'audio/wav'));
	assert.equal(JSON.parse(s.json.output).choices[0].message.audio.data, ref(answer, 'audio/wav'));
	assert.equal(JSON.parse(s.json.output).choices[0].message.audio.transcript, 'A cat.');
	assertOut('chat', img, said, answer);
	await assertServed('chat', answer, 'audio/wav');
});

// A GenAI chat span whose gen_ai.input.messages holds a blob part (the GenAI conventions'
// input messages, which the span's input and its raw attributes both keep).
function genaiSpans(img) {
	const done = [];
	const provider = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	});
	const span = provider.getTracer('media-test').startSpan('chat gpt-4o', {
		kind: api.SpanKind.CLIENT,
		attributes: {
			'gen_ai.operation.name': 'chat',
			'gen_ai.request.model': 'gpt-4o',
			'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [
				{ type: 'text', content: 'Describe the screenshot' },
				{ type: 'blob', modality: 'image', mime_type: 'image/png', content: img.toString('base64') },
			] }]),
			'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'A login form.' }] }]),
		},
	});
	span.end();
	return { spans: done, id: span.spanContext().spanId };
}

for (const [name, Exporter] of [['JSON', JsonExporter], ['protobuf', ProtoExporter]]) {
	test(`OpenTelemetry exporter (${name}): a GenAI blob part, in the input and the raw attributes`, async () => {
		const ws = `otel-${name.toLowerCase()}`;
		const img = png(2 << 20); // a 2 MB screenshot
		const { spans, id } = genaiSpans(img);
		const exporter = new Exporter({ url: `${srv.base}${WS_PREFIX}/${ws}/ingest/otlp/v1/traces` });
		const res = await new Promise((resolve) => exporter.export(spans, resolve)).finally(() => exporter.shutdown());
		assert.equal(res.code, 0, `export failed: ${res.error}`);
		const s = await getSpan(ws, id);
		assert.equal(s.status, 200, s.text);
		const parts = JSON.parse(s.json.input).messages?.[0]?.parts ?? JSON.parse(s.json.input)[0].parts;
		assert.deepEqual(parts[1], { type: 'blob', modality: 'image', mime_type: 'image/png', content: ref(img, 'image/png') });
		const raw = JSON.parse(s.json.raw_attributes);
		assert.equal(JSON.parse(raw['gen_ai.input.messages'])[0].parts[1].content, ref(img, 'image/png'));
		assertOut(ws, img);
		assert.ok(fs.statSync(path.join(srv.dataDir, ws, fs.readdirSync(path.join(srv.dataDir, ws)).find((f) => f.endsWith('.jsonl')))).size < 8000);
		await assertServed(ws, img, 'image/png');
		assert.deepEqual(mediaFiles(ws), [sha(img)]);
	});
}

test('the Opik SDK: an image in a span\'s input, read back by the SDK, listed and downloaded as an attachment', async () => {
	const img = png(), bare = png();
	const c = new Opik({ apiUrl: srv.base, projectName: 'media-demo', workspaceName: 'opik-media' });
	const trace = c.trace({ name: 'vision', input: { question: 'What is this?' } });
	const span = trace.span({
		name: 'look', type: 'llm', model: 'gpt-4o',
		input: { messages: [{ role: 'user', content: [
			{ type: 'text', text: 'What is this?' },
			{ type: 'image_url', image_url: { url: `data:image/png;base64,${img.toString('base64')}` } },
		] }], image: bare.toString('base64') },
	});
	span.update({ output: { content: 'A chart.' } });
	span.end();
	trace.end();
	await c.flush();
	const got = await c.api.spans.getSpanById(span.data.id);
	assert.equal(got.input.messages[0].content[1].image_url.url, ref(img, 'image/png'));
	assert.equal(got.input.image, ref(bare, 'image/png'));
	assertOut('opik-media', img, bare);
	const h = { 'Comet-Workspace': 'opik-media' };
	const list = await srv.request('GET', `/v1/private/attachment/list?entity_type=span&entity_id=${span.data.id}&project_id=x&path=${Buffer.from('http://ui.example/').toString('base64')}`, { headers: h });
	assert.equal(list.status, 200, list.text);
	assert.equal(list.json.total, 2);
	assert.deepEqual(list.json.content.map((a) => [a.file_name, a.file_size, a.mime_type]).sort(),
		[[`${sha(img)}.png`, img.length, 'image/png'], [`${sha(bare)}.png`, bare.length, 'image/png']].sort());
	assert.match(list.json.content[0].link, /^http:\/\/ui\.example\/v1\/private\/attachment\/download\?workspace_name=opik-media&/);
	for (const b of [img, bare]) {
		const r = await srv.request('GET', `/api/v1/private/attachment/download?file_name=${sha(b)}.png&entity_type=span&entity_id=${span.data.id}&container_id=x&mime_type=image/png&workspace_name=opik-media`, { headers: h });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.headers['content-type'], 'image/png');
		assert.ok(r.bytes.equals(b));
	}
	// Another workspace named beside the header's, or a name that is no file: Opik's 404.
	const other = await srv.request('GET', `/v1/private/attachment/download?file_name=${sha(img)}.png&workspace_name=default`, { headers: h });
	assert.equal(other.status, 404, other.text);
	assert.deepEqual(other.json, { code: 404, message: 'Attachment not found' });
	const none = await srv.request('GET', '/v1/private/attachment/download?file_name=x.png', { headers: h });
	assert.equal(none.status, 404, none.text);
	// The trace's list: its root holds none.
	const tl = await srv.request('GET', `/v1/private/attachment/list?entity_type=trace&entity_id=${trace.data.id}`, { headers: h });
	assert.equal(tl.status, 200, tl.text);
	assert.equal(tl.json.total, 0);
});

test('Scale GP: an image in a span\'s input', async () => {
	const img = png();
	const h = { 'x-selected-account-id': 'sgp-media' };
	const body = { name: 'vision', trace_id: 'sgp-trace-1', start_timestamp: new Date(Date.now() - 60000).toISOString(),
		input: { image: `data:image/png;base64,${img.toString('base64')}` } };
	const r = await srv.request('POST', '/v5/spans', { body, headers: h });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.input.image, ref(img, 'image/png'));
	const g = await srv.request('GET', `/v5/spans/${r.json.id}`, { headers: h });
	assert.equal(g.status, 200, g.text);
	assert.equal(g.json.input.image, ref(img, 'image/png'));
	assertOut('sgp-media', img);
	await assertServed('sgp-media', img, 'image/png');
});

test('stored once, however often it is sent', async () => {
	const img = png();
	const url = `data:image/png;base64,${img.toString('base64')}`;
	for (const batch of [['a1', 'a2'], ['a3']]) {
		const r = await ingestSpans('dedup', batch.map((id) => makeSpan(id, { input: url, output: JSON.stringify({ again: img.toString('base64') }) })));
		assert.equal(r.status, 201, r.text);
	}
	assert.deepEqual(mediaFiles('dedup'), [sha(img)]);
	for (const id of ['a1', 'a2', 'a3'])
		assert.equal((await getSpan('dedup', id)).json.input, ref(img, 'image/png'));
});

test('Content-Type is what the bytes are: a lying type, unknown bytes, SVG and HTML go out as downloads', async () => {
	const lie = pdf(), unknown = bytes('\x00\x01junk', 30000);
	const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>${'<g/>'.repeat(5000)}</svg>`);
	const html = Buffer.from(`<html><script>alert(document.cookie)</script>${'<p>x</p>'.repeat(5000)}</html>`);
	const input = JSON.stringify([
		{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: lie.toString('base64') } },
		{ type: 'image_url', image_url: { url: `data:image/png;base64,${unknown.toString('base64')}` } },
		{ type: 'image_url', image_url: { url: `data:image/svg+xml;base64,${svg.toString('base64')}` } },
		{ inline_data: { mime_type: 'text/html', data: html.toString('base64') } },
	]);
	const r = await ingestSpans('types', [makeSpan('t1', { input })]);
	assert.equal(r.status, 201, r.text);
	const got = JSON.parse((await getSpan('types', 't1')).json.input);
	assert.equal(got[0].source.media_type, 'image/png'); // what the client declared stays
	assert.equal(got[0].source.data, ref(lie, 'application/pdf'));
	assert.equal(got[1].image_url.url, ref(unknown, 'application/octet-stream'));
	await assertServed('types', lie, 'application/pdf');
	for (const b of [unknown, svg, html]) {
		const s = await assertServed('types', b, 'application/octet-stream');
		assert.equal(s.headers['content-disposition'], `attachment; filename="${sha(b)}.bin"`);
		assert.match(s.headers['content-security-policy'], /sandbox/);
	}
	// Cached for good: 304 on its ETag; HEAD without the bytes.
	const nm = await srv.request('GET', `${WS_PREFIX}/types/media/${sha(lie)}`, { headers: { 'If-None-Match': `"${sha(lie)}"` } });
	assert.equal(nm.status, 304);
	assert.equal(nm.bytes.length, 0);
	const head = await srv.request('HEAD', `${WS_PREFIX}/types/media/${sha(lie)}`);
	assert.equal(head.status, 200);
	assert.equal(head.headers['content-length'], String(lie.length));
	// Not found: an unknown hash, a malformed one, upper case, a path.
	for (const name of ['0'.repeat(64), 'xyz', sha(lie).toUpperCase(), '..%2F..%2Fetc%2Fpasswd']) {
		const nf = await srv.request('GET', `${WS_PREFIX}/types/media/${name}`);
		assert.ok(nf.status === 404 || nf.status === 400, `${name}: ${nf.status}`);
		assert.ok(nf.json?.detail, nf.text);
	}
});

test('bad payloads: invalid base64 is kept as text, and a payload over the limit is a 413', async () => {
	const img = png();
	const b64 = img.toString('base64');
	const broken = `${b64.slice(0, 30000)}!${b64.slice(30001)}`;
	const r = await ingestSpans('bad', [makeSpan('b1', { input: `data:image/png;base64,${broken}` })]);
	assert.equal(r.status, 201, r.text);
	assert.equal((await getSpan('bad', 'b1')).json.input, `data:image/png;base64,${broken}`);
	assert.ok(lines('bad').includes(broken));
	assert.deepEqual(mediaFiles('bad'), []);
	// 64 MiB decoded and more (MEDIA_MAX_BYTES), past a body limit raised for it; plain CGI,
	// not through nginx's body limit.
	const big = `{"source":"itest","spans":[${JSON.stringify(makeSpan('b2'))
		.slice(0, -1)},"input":"data:image/png;base64,${'A'.repeat(90 << 20)}"}]}`;
	const over = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/bad/ingest/spans`,
		{ body: big, env: { SPANDEX_MAX_BODY: String(128 << 20) } });
	assert.equal(over.status, 413, over.text);
	assert.match(over.json.detail, /over the limit of 67108864 \(MEDIA_MAX_BYTES/);
	assert.equal((await getSpan('bad', 'b2')).status, 404);
});

test('SPANDEX_MEDIA_MIN: the threshold, and off', async () => {
	const small = png(3000);
	const url = `data:image/png;base64,${small.toString('base64')}`;
	const post = (id, env) => cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/threshold/ingest/spans`,
		{ body: { source: 'itest', spans: [makeSpan(id, { input: url })] }, env });
	assert.equal((await post('m1', {})).status, 201); // under the default 16 KiB: text
	assert.equal((await post('m2', { SPANDEX_MEDIA_MIN: '2048' })).status, 201);
	const big = png(40000);
	const off = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/threshold/ingest/spans`,
		{ body: { source: 'itest', spans: [makeSpan('m3', { input: big.toString('base64') })] }, env: { SPANDEX_MEDIA_MIN: 'off' } });
	assert.equal(off.status, 201, off.text);
	assert.equal((await getSpan('threshold', 'm1')).json.input, url);
	assert.equal((await getSpan('threshold', 'm2')).json.input, ref(small, 'image/png'));
	assert.equal((await getSpan('threshold', 'm3')).json.input, big.toString('base64'));
	assert.ok(holds('threshold', big)); // what assertOut looks for, where it is
	assert.deepEqual(mediaFiles('threshold'), [sha(small)]);
});

test('OTLP logs: a GenAI details event with a blob part, stored with its span', async () => {
	const img = png();
	const trace = crypto.randomBytes(16).toString('hex'), span = crypto.randomBytes(8).toString('hex');
	const now = BigInt(Date.now() - 60000) * 1000000n;
	const attrs = (o) => Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));
	const input = JSON.stringify([{ role: 'user', parts: [{ type: 'blob', modality: 'image', mime_type: 'image/png', content: img.toString('base64') }] }]);
	const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [{
		timeUnixNano: String(now + 4000000n), traceId: trace, spanId: span,
		eventName: 'gen_ai.client.inference.operation.details',
		attributes: attrs({ 'gen_ai.input.messages': input, 'gen_ai.output.messages': '[]' }),
	}] }] }] };
	const spans = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: trace, spanId: span, name: 'chat gpt-4o', kind: 3,
		startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5000000n),
		attributes: attrs({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' }) }] }] }] };
	const h = { 'X-Workspace': 'otel-logs' };
	let r = await srv.request('POST', '/v1/logs', { body: logs, headers: h });
	assert.equal(r.status, 200, r.text);
	r = await srv.request('POST', '/v1/traces', { body: spans, headers: h });
	assert.equal(r.status, 200, r.text);
	const s = await getSpan('otel-logs', span);
	assert.equal(s.status, 200, s.text);
	assert.ok(s.text.includes(ref(img, 'image/png')), s.text.slice(0, 600));
	assertOut('otel-logs', img);
	await assertServed('otel-logs', img, 'image/png');
});

test('an Opik PATCH that brings an image moves it too', async () => {
	const img = png();
	const h = { 'Comet-Workspace': 'opik-patch' };
	const trace = '01964d5e-0000-7000-8000-000000000001', id = '01964d5e-0000-7000-8000-000000000002';
	let r = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [{ id, trace_id: trace,
		project_name: 'p', name: 'look', type: 'llm', start_time: new Date(Date.now() - 60000).toISOString(), input: { q: 'what?' } }] } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${id}`, { headers: h, body: { trace_id: trace,
		output: { image: `data:image/png;base64,${img.toString('base64')}` } } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/spans/${id}`, { headers: h });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.output.image, ref(img, 'image/png'));
	assertOut('opik-patch', img);
});

test('Langfuse\'s span processor with media upload off: the data URI it sends inline is moved', async () => {
	const { LangfuseSpanProcessor } = require('@langfuse/otel');
	const tracing = require('@langfuse/tracing');
	const img = png();
	const lf = new LangfuseSpanProcessor({ baseUrl: srv.base, publicKey: 'lf-media', secretKey: 'sk-lf-test', mediaUploadEnabled: false });
	const { p, mem } = provider([lf]);
	tracing.setLangfuseTracerProvider(p);
	const gen = tracing.startObservation('vision', { model: 'gpt-4o', input: { messages: [{ role: 'user', content: [
		{ type: 'image_url', image_url: { url: `data:image/png;base64,${img.toString('base64')}` } }] }] } }, { asType: 'generation' });
	gen.update({ output: { content: 'A cat.' } });
	gen.end();
	await p.forceFlush();
	const s = await getSpan('lf-media', idOf(named(mem, 'vision')[0]));
	assert.equal(s.status, 200, s.text);
	assert.equal(JSON.parse(s.json.input).messages[0].content[0].image_url.url, ref(img, 'image/png'));
	assertOut('lf-media', img);
	await assertServed('lf-media', img, 'image/png');
});

test('Langfuse\'s ingestion batch: a generation\'s image, an update\'s recording, a trace\'s document; 413 over the limit', async () => {
	const img = png(), audio = wav(), doc = pdf();
	const h = { Authorization: `Basic ${Buffer.from('lf-ingest:unused-secret').toString('base64')}` };
	const at = new Date(Date.now() - 60000).toISOString();
	const ev = (type, body) => ({ id: crypto.randomUUID(), type, timestamp: at, body });
	const batch = [
		ev('trace-create', { id: 'lf-trace', name: 'vision', timestamp: at,
			input: { document: `data:application/pdf;base64,${doc.toString('base64')}` } }),
		ev('generation-create', { id: 'lf-gen', traceId: 'lf-trace', name: 'llm', model: 'gpt-4o', startTime: at,
			input: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${img.toString('base64')}` } }] }] }),
		ev('generation-update', { id: 'lf-gen', traceId: 'lf-trace', endTime: at,
			output: { role: 'assistant', audio: { data: audio.toString('base64'), format: 'wav' } } }),
	];
	const r = await srv.request('POST', '/api/public/ingestion', { body: { batch }, headers: h });
	assert.equal(r.status, 207, r.text);
	assert.equal(r.json.successes.length, 3, r.text);
	const gen = await srv.request('GET', '/api/public/observations/lf-gen', { headers: h });
	assert.equal(gen.status, 200, gen.text);
	assert.equal(gen.json.input[0].content[0].image_url.url, ref(img, 'image/png'));
	assert.deepEqual(gen.json.output.audio, { data: ref(audio, 'audio/wav'), format: 'wav' });
	const trace = await srv.request('GET', '/api/public/traces/lf-trace', { headers: h });
	assert.equal(trace.status, 200, trace.text);
	assert.equal(trace.json.input.document, ref(doc, 'application/pdf'));
	assertOut('lf-ingest', img, audio, doc);
	await assertServed('lf-ingest', img, 'image/png');
	await assertServed('lf-ingest', audio, 'audio/wav');
	await assertServed('lf-ingest', doc, 'application/pdf');
	// Over MEDIA_MAX_BYTES: a 413 in Langfuse's shape, nothing stored (plain CGI, past nginx's
	// body limit, with the program's raised for it).
	const big = `{"batch":[{"id":"e-big","type":"span-create","timestamp":"${at}","body":{"id":"lf-big",` +
		`"traceId":"lf-trace","startTime":"${at}","input":"data:image/png;base64,${'A'.repeat(90 << 20)}"}}]}`;
	const over = await cgiRequest(srv.dataDir, 'POST', '/api/public/ingestion',
		{ body: big, headers: h, env: { SPANDEX_MAX_BODY: String(128 << 20) } });
	assert.equal(over.status, 413, over.text);
	assert.equal(over.json.error, 'PayloadTooLargeError');
	assert.match(over.json.message, /over the limit of 67108864 \(MEDIA_MAX_BYTES/);
	assert.equal((await srv.request('GET', '/api/public/observations/lf-big', { headers: h })).status, 404);
});
