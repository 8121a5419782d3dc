// Export (issue 56): `spandex export --format jsonl|otlp-json|csv` with the list APIs' filters,
// and the routes the viewer downloads from (GET spans/export, traces/export), which take the
// lists' own filter= and search= and stream the same bytes. The OTLP/JSON is read back by a
// real OTLP receiver (this spandex's own /v1/traces, into another workspace) into the same
// spans; the CSV is parsed as RFC 4180 says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, ingestSpans, makeSpan, spandexCli, spandexOk, dayTime, linesById, WS_PREFIX } from '../harness.mjs';

let srv;
let tmp;
const WS = 'exp-src';
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2, traces: 2, sessions: 1, opik: 1, egp: 1 } });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-export-'));
	await fill(WS);
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

const hex = (n, i) => i.toString(16).padStart(n, '0');
const kv = (key, v) => ({
	key,
	value: typeof v === 'string' ? { stringValue: v } : Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v },
});

// Spans of three APIs: OTLP (GenAI attributes, an event, a resource), direct ingest (one with
// a comma, quotes, a line break and a formula in its name), Opik (UUID ids).
async function fill(ws) {
	const t0 = Date.parse(dayTime(0, 2)) * 1e6;
	const spans = [];
	for (let i = 1; i <= 6; i++) {
		spans.push({
			traceId: hex(32, 100 + Math.ceil(i / 3)), spanId: hex(16, i), name: `chat ${i}`, kind: 3,
			...(i % 3 === 1 ? {} : { parentSpanId: hex(16, i - (i % 3) + 1) }),
			startTimeUnixNano: String(t0 + i * 1e9), endTimeUnixNano: String(t0 + i * 1e9 + 5e8),
			attributes: [
				kv('gen_ai.operation.name', 'chat'), kv('gen_ai.request.model', i % 2 ? 'gpt-4o' : 'claude-3-5-sonnet'),
				kv('gen_ai.provider.name', 'openai'), kv('gen_ai.usage.input_tokens', 10 * i), kv('gen_ai.usage.output_tokens', i),
				kv('gen_ai.conversation.id', 'sess-a'), kv('input.value', i === 4 ? 'refund please' : `question ${i}`),
				kv('output.value', `answer ${i}`), kv('app.score', 0.5 + i),
			],
			events: [{ name: 'note', timeUnixNano: String(t0 + i * 1e9 + 1), attributes: [kv('k', 'v')] }],
			status: i === 5 ? { code: 2, message: 'rate limited' } : {},
		});
	}
	const body = { resourceSpans: [{ resource: { attributes: [kv('service.name', 'shop')] }, scopeSpans: [{ scope: { name: 'app', version: '1.0' }, spans }] }] };
	let r = await srv.request('POST', '/v1/traces', { body, headers: { 'X-Workspace': ws } });
	assert.equal(r.status, 200, r.text);
	r = await ingestSpans(ws, [
		makeSpan('direct-1', { name: '=SUM(A1), "quoted"\nnext', started_at: dayTime(0, 1), trace_id: 'direct-t' }),
		makeSpan('direct-2', { name: 'plain', started_at: dayTime(1000, 1), trace_id: 'direct-t', parent_span_id: 'direct-1' }),
	], { base: srv.base });
	assert.equal(r.status, 201, r.text);
	const trace = '0192f0c4-7b6e-7c1a-9d2e-3f4a5b6c7d8e';
	r = await srv.request('POST', '/api/v1/private/spans/batch', {
		headers: { 'Comet-Workspace': ws },
		body: {
			spans: [{
				id: '0192f0c4-7b6e-7c1a-9d2e-000000000001', trace_id: trace, project_name: 'p', name: 'opik llm', type: 'llm',
				start_time: dayTime(2000, 1), end_time: dayTime(3000, 1), model: 'gpt-4o-mini', provider: 'openai',
				input: { messages: [{ role: 'user', content: 'hi' }] }, output: { content: 'hello' },
				usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 }, metadata: { team: 'a' }, tags: ['t1'],
			}],
		},
	});
	assert.equal(r.status, 204, r.text);
}

const exportCli = async (...args) => (await spandexOk(['export', srv.dataDir, '--workspace', WS, ...args])).stdout;
const route = (what, q, headers = {}) => srv.request('GET', `${WS_PREFIX}/${WS}/${what}/export?${q}`, { headers });

// RFC 4180: fields separated by commas, records by CRLF, a field in quotes may hold any of
// them, a quote in it doubled.
function parseCsv(text) {
	const rows = [];
	let row = [], cell = '', i = 0, quoted = false;
	while (i < text.length) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') (cell += '"'), (i += 2);
			else if (c === '"') (quoted = false), i++;
			else (cell += c), i++;
		} else if (c === '"') (quoted = true), i++;
		else if (c === ',') row.push(cell), (cell = ''), i++;
		else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), (i += 2);
		else (cell += c), i++;
	}
	assert.equal(row.length + cell.length, 0, 'the last record ends in CRLF');
	return rows;
}

test('jsonl is the stored lines of the live spans, the same from the CLI and the route', async () => {
	const lines = linesById(await exportCli());
	assert.equal(lines.size, 9);
	const r = await route('spans', 'format=jsonl&sort=started_at');
	assert.equal(r.status, 200, r.text);
	assert.match(r.headers['content-type'], /^application\/x-ndjson/);
	assert.equal(r.headers['content-disposition'], `attachment; filename="${WS}-spans.jsonl"`);
	assert.deepEqual(linesById(r.text), lines);
	// The list's direction: newest day first.
	const desc = (await route('spans', 'format=jsonl')).text.trim().split('\n').map((l) => JSON.parse(l).started_at.slice(0, 10));
	assert.deepEqual(desc, [...desc].sort().reverse());
});

test('otlp-json is one ExportTraceServiceRequest that an OTLP receiver reads back into the same spans', async () => {
	const doc = JSON.parse(await exportCli('--format', 'otlp-json'));
	const spans = doc.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
	assert.equal(spans.length, 9);
	const shop = doc.resourceSpans.find((rs) => rs.resource.attributes.some((a) => a.key === 'service.name'));
	assert.deepEqual(shop.scopeSpans[0].scope, { name: 'app', version: '1.0' });
	for (const s of spans) {
		assert.match(s.traceId, /^[0-9a-f]{32}$/);
		assert.match(s.spanId, /^[0-9a-f]{16}$/);
		assert.match(s.startTimeUnixNano, /^\d+$/);
	}
	const r = await srv.request('POST', '/v1/traces', { body: doc, headers: { 'X-Workspace': 'exp-back' } });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(JSON.parse(r.text), {});
	const back = linesById(await (async () => (await spandexOk(['export', srv.dataDir, '--workspace', 'exp-back'])).stdout)());
	const src = linesById(await exportCli());
	for (const [id, line] of src) {
		const a = JSON.parse(line);
		if (a.source !== 'otel') continue;
		const b = JSON.parse(back.get(id));
		for (const k of ['workspace', 'ingested_at', 'session_id']) delete a[k], delete b[k];
		a.raw_attributes = JSON.parse(a.raw_attributes);
		b.raw_attributes = JSON.parse(b.raw_attributes);
		assert.deepEqual(b, a, id);
	}
	// The other APIs' spans: their fields, under OTLP ids, their own ids as attributes.
	const opik = [...back.values()].map((l) => JSON.parse(l)).find((s) => s.name === 'opik llm');
	assert.equal(opik.trace_id, '0192f0c47b6e7c1a9d2e3f4a5b6c7d8e');
	assert.equal(JSON.parse(opik.raw_attributes)['spandex.span_id'], '0192f0c4-7b6e-7c1a-9d2e-000000000001');
	const o = JSON.parse([...src.values()].find((l) => l.includes('opik llm')));
	for (const k of ['kind', 'model', 'provider', 'input_tokens', 'output_tokens', 'total_tokens', 'input', 'output', 'started_at', 'ended_at', 'status'])
		assert.deepEqual(opik[k], o[k], k);
	// The route writes the same document.
	const viaRoute = await route('spans', 'format=otlp-json&sort=started_at');
	assert.deepEqual(JSON.parse(viaRoute.text), doc);
});

test('csv is a header row, then a row per span, a column per field of the line', async () => {
	const rows = parseCsv(await exportCli('--format', 'csv'));
	const [head, ...body] = rows;
	assert.deepEqual(head.slice(0, 3), ['span_id', 'session_id', 'workspace']);
	assert.equal(head.at(-1), 'ingested_at');
	assert.equal(body.length, 9);
	for (const r of body) assert.equal(r.length, head.length);
	const by = Object.fromEntries(body.map((r) => [r[0], Object.fromEntries(head.map((h, i) => [h, r[i]]))]));
	// A formula is shown as text (OWASP's CSV injection); commas, quotes and line breaks stay.
	assert.equal(by['direct-1'].name, `'=SUM(A1), "quoted"\nnext`);
	assert.equal(by[hex(16, 2)].input_tokens, '20');
	assert.equal(JSON.parse(by[hex(16, 2)].raw_attributes)['app.score'], 2.5);
	assert.equal(by['direct-2'].parent_span_id, 'direct-1');
	const viaRoute = await route('spans', 'format=csv&sort=started_at');
	assert.match(viaRoute.headers['content-type'], /^text\/csv/);
	assert.deepEqual(parseCsv(viaRoute.text), rows);
});

test('filters and search select as the lists do, from the CLI and the routes alike', async () => {
	const ids = (text) => [...linesById(text).keys()].sort();
	const errors = ids(await exportCli('--filter', 'status=error'));
	assert.deepEqual(errors, [hex(16, 5)]);
	assert.deepEqual(ids(await exportCli('--filter', 'model=gpt-4o', '--filter', 'status=success')), [hex(16, 1), hex(16, 3)]);
	assert.deepEqual(ids(await exportCli('--search', 'refund')), [hex(16, 4)]);
	assert.deepEqual(ids(await exportCli('--filter', 'trace_id=direct-t')), ['direct-1', 'direct-2']);
	assert.deepEqual(ids(await exportCli('--from', dayTime(0, 1).slice(0, 10))), ['0192f0c4-7b6e-7c1a-9d2e-000000000001', 'direct-1', 'direct-2']);
	const f = encodeURIComponent(JSON.stringify({ status: 'error' }));
	assert.deepEqual(ids((await route('spans', `filter=${f}`)).text), errors);
	assert.deepEqual(ids((await route('spans', 'search=refund')).text), [hex(16, 4)]);
	// A trace is its root span, as the traces list shows it (an Opik span's parent is its
	// trace, which was never sent: no root).
	const roots = ids((await route('traces', 'format=jsonl')).text);
	assert.deepEqual(roots, [hex(16, 1), hex(16, 4), 'direct-1'].sort());
	const lt = JSON.parse((await srv.request('GET', `${WS_PREFIX}/${WS}/traces?page_size=100`)).text);
	assert.deepEqual(lt.data.map((t) => t.root_span_id).sort(), roots);
});

test('bad requests: the CLI exits 2 saying why; the routes answer 4xx in the API shape', async () => {
	for (const [args, msg] of [
		[['--format', 'xml'], /--format is jsonl, otlp-json or csv/],
		[['--filter', 'status=ok'], /Filter field 'status' must be one of: success, error/],
		[['--filter', 'nope'], /--filter wants FIELD=VALUE/],
		[['--filter', 'colour=red'], /--filter wants FIELD=VALUE/],
		[['--search', '"open'], /--search/],
	]) {
		const r = await spandexCli(['export', srv.dataDir, '--workspace', WS, ...args]);
		assert.equal(r.code, 2, args.join(' '));
		assert.match(r.stderr, msg);
	}
	let r = await route('spans', 'format=xml');
	assert.equal(r.status, 422);
	assert.equal(r.json.detail[0].loc[1], 'format');
	r = await route('spans', 'page=2');
	assert.equal(r.status, 400);
	assert.deepEqual(r.json, { detail: 'Unsupported query parameter(s): page' });
	r = await route('traces', `filter=${encodeURIComponent('{"model":"x"}')}`);
	assert.equal(r.status, 400);
	assert.match(r.json.detail, /Unknown filter field 'model'/);
	r = await route('spans', 'format=csv', {});
	assert.equal(r.status, 200);
});
