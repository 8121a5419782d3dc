// The Opik REST API (issue 11) driven by the real `opik` npm SDK (t/clients, pinned) through
// nginx and cgi-bin/opik, as reference opik.md §4 and §12 describe its traffic: traces and
// nested spans written in batches, updated after the create was sent (PATCH), scored, then
// read back four ways by the SDK and once more through the NeMo API: one store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

const PROJECT = 'opik-compat-demo';
let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const client = (opts = {}) => new Opik({ apiUrl: srv.base, projectName: PROJECT, workspaceName: 'default', ...opts });

test('the SDK logs a trace with spans, usage and a score, and reads them back four ways', async () => {
	const c = client();
	const trace = c.trace({ name: 'demo-trace', input: { question: 'What is 2+2?' }, tags: ['demo'], metadata: { run: 1 } });
	const retrieve = trace.span({ name: 'retrieve', type: 'tool', input: { query: '2+2' } });
	retrieve.update({ output: { docs: ['arithmetic.md'] } });
	retrieve.end();
	const llm = trace.span({
		name: 'answer', type: 'llm', model: 'gpt-4o-mini', provider: 'openai',
		input: { messages: [{ role: 'user', content: 'What is 2+2?' }] },
		usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
	});
	llm.update({ output: { content: '4' }, metadata: { temperature: 0 } });
	llm.end();
	llm.score({ name: 'correct', value: 1, reason: 'exact match' });
	trace.update({ output: { answer: '4' } });
	trace.end();
	await c.flush();
	const traceId = trace.data.id;

	const found = await c.searchSpans({ projectName: PROJECT, filterString: `trace_id = "${traceId}"`, maxResults: 100 });
	assert.deepEqual(found.map((s) => [s.name, s.type]).sort(), [['answer', 'llm'], ['retrieve', 'tool']]);
	const traces = await c.searchTraces({ projectName: PROJECT, filterString: `id = "${traceId}"` });
	assert.deepEqual(traces.map((t) => [t.id, t.name]), [[traceId, 'demo-trace']]);
	const page = await c.api.spans.getSpansByProject({ projectName: PROJECT, traceId, size: 10 });
	assert.equal(page.total, 2);
	assert.deepEqual(page.content.map((s) => s.name).sort(), ['answer', 'retrieve']);
	const span = await c.api.spans.getSpanById(llm.data.id);
	assert.equal(span.name, 'answer');
	assert.deepEqual(span.usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
	assert.deepEqual(span.feedbackScores.map((f) => [f.name, f.value, f.reason]), [['correct', 1, 'exact match']]);
	assert.equal(span.parentSpanId ?? null, null);
	const tr = await c.api.traces.getTraceById(traceId);
	assert.equal(tr.name, 'demo-trace');
	assert.deepEqual(tr.output, { answer: '4' });
	assert.deepEqual(tr.tags, ['demo']);
	assert.deepEqual(tr.usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
	assert.equal(tr.spanCount, 2);
	assert.equal(tr.llmSpanCount, 1);
	for (const [f, n] of [['llm_span_count = 1', 1], ['llm_span_count > 1', 0]]) {
		const got = await c.searchTraces({ projectName: PROJECT, filterString: `id = "${traceId}" and ${f}` });
		assert.equal(got.length, n, f);
	}
	assert.equal(tr.hasToolSpans, true);

	// One store: the NeMo API sees the same trace, its spans under the trace's root.
	const nemo = await srv.request('GET', `${WS_PREFIX}/default/traces/${traceId}`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.name, 'demo-trace');
	assert.equal(nemo.json.span_count, 3);
	assert.equal(nemo.json.total_tokens, 15);
	const nemoSpan = await srv.request('GET', `${WS_PREFIX}/default/spans/${llm.data.id}`);
	assert.equal(nemoSpan.json.kind, 'LLM');
	assert.equal(nemoSpan.json.model, 'gpt-4o-mini');
	assert.equal(nemoSpan.json.parent_span_id, traceId);
});

test('updates after the create went out arrive as PATCH; nested spans, errors and a late trace end', async () => {
	const c = client({ headers: { 'X-Extra': '1' } });
	const trace = c.trace({ name: 't2', input: 'plain string input', threadId: 'thread-1' });
	const outer = trace.span({ name: 'outer' });
	const inner = outer.span({ name: 'inner', type: 'guardrail' });
	await c.flush(); // the creates go out now ...
	inner.update({ output: { ok: true }, errorInfo: { exceptionType: 'ValueError', message: 'bad', traceback: 'tb...' } });
	inner.end();
	outer.end();
	trace.update({ output: { done: true } });
	trace.end();
	await c.flush(); // ... and these as PATCHes
	const got = await c.api.spans.getSpanById(inner.data.id);
	assert.equal(got.type, 'guardrail');
	assert.equal(got.parentSpanId, outer.data.id);
	assert.deepEqual(got.output, { ok: true });
	assert.equal(got.errorInfo.exceptionType, 'ValueError');
	assert.ok(got.endTime, 'the end came by PATCH');
	const o = await c.api.spans.getSpanById(outer.data.id);
	assert.equal(o.type, 'general'); // no type sent: general (opik.md §4.6)
	assert.ok(o.endTime);
	const t = await c.api.traces.getTraceById(trace.data.id);
	assert.equal(t.input, 'plain string input');
	assert.deepEqual(t.output, { done: true });
	assert.equal(t.threadId, 'thread-1');
	// The NeMo view: the error is a span status, the thread the trace's session.
	const nemo = await srv.request('GET', `${WS_PREFIX}/default/spans/${inner.data.id}`);
	assert.equal(nemo.json.status, 'error');
	assert.equal(nemo.json.error_type, 'ValueError');
	const tn = await srv.request('GET', `${WS_PREFIX}/default/traces/${trace.data.id}`);
	assert.equal(tn.json.session_id, 'thread-1');
});

test('filters, paging, the /api prefix and another workspace', async () => {
	const c = client({ apiUrl: `${srv.base}/api`, workspaceName: 'team-b', projectName: 'filters' });
	for (let i = 0; i < 12; i++) {
		const t = c.trace({ name: `t-${i}`, metadata: { env: i % 2 ? 'prod' : 'dev' } });
		t.span({ name: i % 3 ? 'chat' : 'lookup', type: i % 3 ? 'llm' : 'tool', usage: { total_tokens: i * 10 }, tags: i === 5 ? ['vip'] : [] }).end();
		t.end();
	}
	await c.flush();
	const llm = await c.searchSpans({ projectName: 'filters', filterString: 'type = "llm" and usage.total_tokens > 50' });
	assert.deepEqual(llm.map((s) => s.usage.total_tokens).sort((a, b) => a - b), [70, 80, 100, 110]);
	const vip = await c.searchSpans({ projectName: 'filters', filterString: 'tags contains "vip"' });
	assert.equal(vip.length, 1);
	const prod = await c.searchTraces({ projectName: 'filters', filterString: 'metadata.env = "prod"' });
	assert.equal(prod.length, 6);
	// A number with a fraction equals the value written as it reads: 0.9, not 0.90000000000000002.
	const frac = c.trace({ name: 'frac', projectName: 'fractions', metadata: { top_p: 0.9 }, input: { temperature: 0.1 } });
	frac.end();
	await c.flush();
	for (const f of ['metadata.top_p = 0.9', 'metadata.top_p = "0.90"', 'input_json.temperature = 0.1', 'metadata.top_p > 0.8']) {
		const got = await c.searchTraces({ projectName: 'fractions', filterString: f });
		assert.deepEqual(got.map((t) => t.name), ['frac'], f);
	}
	assert.deepEqual(await c.searchTraces({ projectName: 'fractions', filterString: 'metadata.top_p = 0.91' }), []);
	// created_at and last_updated_at, as the items show them.
	const made = await c.searchTraces({ projectName: 'fractions', filterString: `created_at > "2020-01-01T00:00:00Z" and last_updated_at < "2999-01-01T00:00:00Z"` });
	assert.deepEqual(made.map((t) => t.name), ['frac']);
	assert.deepEqual(await c.searchTraces({ projectName: 'fractions', filterString: 'created_at < "2020-01-01T00:00:00Z"' }), []);
	// The SDK's trace exclude list names the rollup fields too.
	const ex = encodeURIComponent(JSON.stringify(['span_count', 'llm_span_count', 'has_tool_spans', 'input']));
	const exl = await srv.request('GET', `/api/v1/private/traces?project_name=filters&size=1&exclude=${ex}`, { headers: { 'Comet-Workspace': 'team-b' } });
	assert.equal(exl.status, 200, exl.text);
	for (const k of ['span_count', 'llm_span_count', 'has_tool_spans', 'input']) assert.ok(!(k in exl.json.content[0]), `${k}: ${exl.text}`);
	const fr = await srv.request('GET', `/api/v1/private/traces/${frac.data.id}`, { headers: { 'Comet-Workspace': 'team-b' } });
	assert.match(fr.text, /"top_p":0\.9[,}]/, fr.text);
	const p1 = await c.api.traces.getTracesByProject({ projectName: 'filters', page: 1, size: 5 });
	const p3 = await c.api.traces.getTracesByProject({ projectName: 'filters', page: 3, size: 5 });
	assert.equal(p1.total, 12);
	assert.equal(p1.content.length, 5);
	assert.equal(p3.content.length, 2);
	// Workspaces are apart: the default workspace has no such project.
	const none = await client().api.spans.getSpansByProject({ projectName: 'filters' });
	assert.equal(none.total, 0);
});

test('lists and streams render input and output as a single span read does, whatever text they hold', async () => {
	const h = { 'Comet-Workspace': 'texts', 'Content-Type': 'application/json' };
	const texts = ['  {"a": 1}', '\t[{"b": 2}]', '[1, 2]', '"quoted"', '42', '', '\nplain', 'plain "quotes" and \\ slashes', 'ünïcödé ΣΣ'];
	const trace = '0190a1b2-0000-7000-8000-000000000001';
	const spans = texts.map((t, i) => ({
		id: `0190a1b2-0000-7000-8000-0000000001${String(i).padStart(2, '0')}`, trace_id: trace, project_name: 'texts',
		name: `s${i}`, type: 'general', start_time: `2026-03-01T00:00:0${i}Z`, input: t, output: i % 2 ? { v: t } : t,
	}));
	let r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans }, headers: h });
	assert.equal(r.status, 204, r.text);
	const one = {};
	for (const sp of spans) {
		r = await srv.request('GET', `/v1/private/spans/${sp.id}`, { headers: h });
		assert.equal(r.status, 200, r.text);
		one[sp.id] = r.json;
	}
	r = await srv.request('GET', '/v1/private/spans?project_name=texts&size=100', { headers: h });
	assert.equal(r.json.content.length, texts.length);
	const stream = await srv.request('POST', '/v1/private/spans/search', { body: { project_name: 'texts', limit: 100 }, headers: h });
	const streamed = stream.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
	for (const got of [...r.json.content, ...streamed]) {
		assert.deepEqual(got.input, one[got.id].input, `input of ${got.name}`);
		assert.deepEqual(got.output, one[got.id].output, `output of ${got.name}`);
	}
	assert.equal(streamed.length, texts.length);
	// The same texts from another API, stored as they are: JSON text reads as JSON (§4.4).
	r = await srv.request('POST', `${WS_PREFIX}/texts/ingest/spans`, {
		body: { source: 'test', spans: texts.map((t, i) => ({ span_id: `n${i}`, trace_id: 'nt', name: `n${i}`, started_at: `2026-03-02T00:00:0${i}Z`, input: t, output: t })) },
		headers: { 'Content-Type': 'application/json' },
	});
	assert.ok(r.status < 300, r.text);
	const listed = (await srv.request('GET', '/v1/private/spans?project_name=Default%20Project&size=100', { headers: h })).json.content;
	const streamedN = (await srv.request('POST', '/v1/private/spans/search', { body: { project_name: 'Default Project', limit: 100 }, headers: h }))
		.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
	assert.equal(listed.length, texts.length);
	for (const got of [...listed, ...streamedN]) {
		const single = (await srv.request('GET', `/v1/private/spans/${got.id}`, { headers: h })).json;
		assert.deepEqual([got.input, got.output], [single.input, single.output], got.name);
	}
	const byName = Object.fromEntries(listed.map((x) => [x.name, x.input]));
	assert.deepEqual(byName.n0, { a: 1 });
	assert.deepEqual(byName.n1, [{ b: 2 }]);
	assert.equal(byName.n2, '[1, 2]'); // an array of numbers is no payload: the text
	assert.equal(byName.n3, 'quoted');
	assert.equal(byName.n4, '42');
});

test('bad input answers in Opik\'s shape: 422 {"errors"}, 400 {"code","message"}, 404', async () => {
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'default' };
	const post = (p, body) => srv.request('POST', p, { body, headers: h });
	let r = await post('/v1/private/spans/batch', { spans: [{ name: 'no start', trace_id: 'x' }] });
	assert.equal(r.status, 422, r.text);
	assert.ok(Array.isArray(r.json.errors) && r.json.errors.some((e) => /start_time/.test(e)), r.text);
	r = await post('/v1/private/spans/batch', { spans: [{ id: 'a', trace_id: 't', start_time: '2026-01-01T00:00:00Z', type: 'agent' }] });
	assert.equal(r.status, 422, r.text);
	r = await post('/v1/private/spans/batch', { spans: [{ id: 'a', trace_id: 't', start_time: '2026-01-01T00:00:00Z' }, { id: 'a', trace_id: 't', start_time: '2026-01-01T00:00:00Z' }] });
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /Duplicate span id/);
	// A full batch with an id three times and another twice, far apart: each later copy is named
	// (the ids are found in a table by hash, not by comparing every pair).
	const dup = Array.from({ length: 1000 }, (_, i) => ({
		id: i === 0 || i === 500 || i === 999 ? 'same-a' : i === 7 || i === 998 ? 'same-b' : `d${i}`,
		trace_id: 't', start_time: '2026-01-01T00:00:00Z',
	}));
	r = await post('/v1/private/spans/batch', { spans: dup });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.errors, ['spans.500.id Duplicate span id', 'spans.998.id Duplicate span id',
		'spans.999.id Duplicate span id']);
	// Malformed JSON: Dropwizard's 400 (JsonProcessingExceptionMapper), on writes and reads.
	for (const p of ['spans/batch', 'traces', 'spans/search', 'traces/feedback-scores', 'projects/retrieve']) {
		r = await srv.request(p.includes('feedback') ? 'PUT' : 'POST', `/v1/private/${p}`, { body: '{"spans":[', headers: h });
		assert.equal(r.status, 400, `${p}: ${r.text}`);
		assert.deepEqual(r.json, { code: 400, message: 'Unable to process JSON' });
	}
	r = await post('/v1/private/spans/search', { project_name: 'p', type: 'bogus' });
	assert.deepEqual([r.status, r.json], [400, { code: 400, message: 'Unable to process JSON' }]);
	r = await srv.request('GET', '/v1/private/spans', { headers: h });
	assert.equal(r.status, 400);
	assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message']);
	r = await srv.request('GET', `/v1/private/spans?project_name=p&filters=${encodeURIComponent('[{"field":"name","operator":">=","value":"a"}]')}`, { headers: h });
	assert.equal(r.status, 400);
	assert.match(r.json.message, /Invalid operator '>=' for field 'name' of type 'string'/);
	r = await srv.request('GET', '/v1/private/spans/no-such-span', { headers: h });
	assert.equal(r.status, 404);
	assert.equal(r.json.code, 404);
	r = await srv.request('GET', '/v1/private/traces/no-such-trace', { headers: h });
	assert.equal(r.status, 404);
	// A blank project name is refused (opik.md 8.1); an absent one is the default project.
	r = await post('/v1/private/spans/batch', { spans: [{ trace_id: 't', start_time: '2026-01-01T00:00:00Z', project_name: ' ' }] });
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /project_name must not be blank/);
	r = await post('/v1/private/traces', { name: 'x', start_time: '2026-01-01T00:00:00Z', project_name: '' });
	assert.equal(r.status, 422, r.text);
	// A batch holds 1 to 1000 items (@Size in Opik's SpanBatch): none or more is a 422.
	for (const spans of [[], Array.from({ length: 1001 }, () => ({ trace_id: 't', start_time: '2026-01-01T00:00:00Z' }))]) {
		r = await post('/v1/private/spans/batch', { spans });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json, { errors: ['spans size must be between 1 and 1000'] });
	}
	// A single create of an id stored whole is Opik's 409 (S2); the batch leaves it as it is.
	const one = { id: '01a1fc91-cd0b-7000-8000-0000000000a1', trace_id: '01a1fc91-cd0b-7000-8000-0000000000a0', name: 'first', start_time: '2026-01-01T00:00:00Z' };
	r = await post('/v1/private/spans', one);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.headers.location, `/v1/private/spans/${one.id}`);
	r = await post('/v1/private/spans', { ...one, name: 'second' });
	assert.equal(r.status, 409, r.text);
	assert.deepEqual(r.json, { code: 409, message: 'Span already exists' });
	r = await post('/v1/private/spans/batch', { spans: [{ ...one, name: 'third' }] });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/spans/${one.id}`, { headers: h });
	assert.equal(r.json.name, 'first');
	// Kept fields take Opik's types (tags a list of strings, ttft a number): 422, nothing stored.
	for (const bad of [{ tags: 'solo' }, { tags: [1] }, { ttft: 'fast' }, { environment: 3 }]) {
		r = await post('/v1/private/traces/batch', { traces: [{ name: 'typed', start_time: '2026-01-01T00:00:00Z', ...bad }] });
		assert.equal(r.status, 422, `${JSON.stringify(bad)}: ${r.text}`);
		r = await srv.request('PATCH', `/v1/private/spans/${one.id}`, { body: { trace_id: one.trace_id, ...bad }, headers: h });
		assert.equal(r.status, 422, `PATCH ${JSON.stringify(bad)}: ${r.text}`);
	}
	// A PATCH's null is a field not sent (Opik's update sets what is not null).
	r = await srv.request('PATCH', `/v1/private/spans/${one.id}`, { body: { trace_id: one.trace_id, output: { ok: 1 }, metadata: { m: 1 }, tags: ['t'] }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${one.id}`, { body: { trace_id: one.trace_id, output: null, metadata: null, tags: null, name: 'renamed' }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/spans/${one.id}`, { headers: h });
	assert.deepEqual([r.json.name, r.json.output, r.json.metadata, r.json.tags], ['renamed', { ok: 1 }, { m: 1 }, ['t']]);
	// A time window whose from_time is not before its to_time is a 400, on every read (S7).
	const window = 'from_time=2026-01-02T00:00:00Z&to_time=2026-01-01T00:00:00Z';
	for (const p of ['spans?project_name=p', 'traces?project_name=p', 'spans/stats?project_name=p', 'traces/stats?project_name=p']) {
		r = await srv.request('GET', `/v1/private/${p}&${window}`, { headers: h });
		assert.equal(r.status, 400, `${p}: ${r.text}`);
		assert.equal(r.json.message, "Parameter 'from_time' must be before 'to_time'");
	}
	r = await post('/v1/private/spans/search', { project_name: 'p', from_time: '2026-01-02T00:00:00Z', to_time: '2026-01-02T00:00:00Z' });
	assert.equal(r.status, 400, r.text);
});

test('a span write that names a trace\'s id, or a trace write a span\'s, is a 409 and changes neither (one id is one row here)', async () => {
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'entities' };
	const call = (m, p, body) => srv.request(m, `/v1/private/${p}`, { body, headers: h });
	const T = '01a1fc91-cd0b-7000-8000-0000000000e0', S = '01a1fc91-cd0b-7000-8000-0000000000e1';
	let r = await call('POST', 'traces/batch', { traces: [{ id: T, name: 'trace', start_time: '2026-01-01T00:00:00Z', project_name: 'ent' }] });
	assert.equal(r.status, 204, r.text);
	r = await call('POST', 'spans/batch', { spans: [{ id: S, trace_id: T, name: 'span', start_time: '2026-01-01T00:00:01Z', project_name: 'ent' }] });
	assert.equal(r.status, 204, r.text);
	const conflict = [
		['PATCH', `spans/${T}`, { trace_id: T, tags: ['x'] }, `Span id ${T} is already the id of a trace`],
		['PATCH', `traces/${S}`, { name: 'oops' }, `Trace id ${S} is already the id of a span`],
		['POST', 'spans/batch', { spans: [{ id: T, trace_id: T, name: 'dup', start_time: '2026-01-01T00:00:00Z', project_name: 'ent' }] }, `Span id ${T} is already the id of a trace`],
		['POST', 'traces/batch', { traces: [{ id: S, name: 'dup', start_time: '2026-01-01T00:00:00Z', project_name: 'ent' }] }, `Trace id ${S} is already the id of a span`],
		['POST', 'traces', { id: S, name: 'dup', start_time: '2026-01-01T00:00:00Z', project_name: 'ent' }, `Trace id ${S} is already the id of a span`],
	];
	for (const [m, p, body, message] of conflict) {
		r = await call(m, p, body);
		assert.equal(r.status, 409, `${m} ${p}: ${r.text}`);
		assert.deepEqual(r.json, { code: 409, message });
	}
	// A batch PATCH leaves an id of the other kind alone, as it leaves one not stored.
	r = await call('PATCH', 'spans/batch', { ids: [T, S], update: { trace_id: T, tags: ['batch'] } });
	assert.equal(r.status, 204, r.text);
	r = await call('GET', `traces/${T}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, 'trace');
	assert.equal(r.json.tags, undefined);
	assert.equal(r.json.span_count, 1);
	r = await call('GET', `spans/${S}`);
	assert.equal(r.json.name, 'span');
	assert.deepEqual(r.json.tags, ['batch']);
	const nemo = await srv.request('GET', `${WS_PREFIX}/entities/traces/${T}`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.span_count, 2);
});

// A span PATCH carries the span's trace_id (the SDK's update() and end() send it). Over the root
// of a trace another API wrote, it hung the root under an id of no span: the trace was gone
// from every API. An update leaves the parent as stored; moving a span to another trace moves
// a span that hung under its trace's row to the new one's.
test('a PATCH of a span another API wrote keeps its parent: the root stays the root', async () => {
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'patched' };
	const nemoSpan = (id, extra) => ({ span_id: id, trace_id: 'pt-1', name: id, kind: 'AGENT', status: 'success',
		started_at: '2025-06-01T12:00:00Z', ended_at: '2025-06-01T12:00:05Z', ...extra });
	let r = await srv.request('POST', `${WS_PREFIX}/patched/ingest/spans`,
		{ body: { source: 'x', spans: [nemoSpan('pr-1'), nemoSpan('pc-1', { parent_span_id: 'pr-1' })] } });
	assert.equal(r.status, 201, r.text);
	for (const id of ['pr-1', 'pc-1']) {
		r = await srv.request('PATCH', `/v1/private/spans/${id}`, { body: { trace_id: 'pt-1', output: { note: 'x' } }, headers: h });
		assert.equal(r.status, 204, r.text);
	}
	r = await srv.request('GET', `${WS_PREFIX}/patched/spans/pr-1`);
	assert.equal(r.json.parent_span_id, undefined, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/patched/spans/pc-1`);
	assert.equal(r.json.parent_span_id, 'pr-1');
	r = await srv.request('GET', `${WS_PREFIX}/patched/traces/pt-1`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.span_count, 2);
	// An Opik span under its trace's row, moved to another trace, hangs under the new one's.
	const T1 = '01a1fc91-cd0b-7000-8000-0000000000f0', T2 = '01a1fc91-cd0b-7000-8000-0000000000f1', S = '01a1fc91-cd0b-7000-8000-0000000000f2';
	r = await srv.request('POST', '/v1/private/traces/batch', { body: { traces: [T1, T2].map((id) => ({ id, name: 'tr', start_time: '2026-01-01T00:00:00Z', project_name: 'mv' })) }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', '/v1/private/spans', { body: { id: S, trace_id: T1, name: 's', start_time: '2026-01-01T00:00:01Z', project_name: 'mv' }, headers: h });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${S}`, { body: { trace_id: T2 }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/spans/${S}`, { headers: h });
	assert.equal(r.json.trace_id, T2, r.text);
	assert.ok(!r.json.parent_span_id, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/patched/spans/${S}`);
	assert.equal(r.json.parent_span_id, T2);
	// A root another API wrote, moved by a PATCH into an Opik trace, hangs under that trace's
	// row: not a second root beside it.
	r = await srv.request('PATCH', '/v1/private/spans/pr-1', { body: { trace_id: T1 }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/patched/spans/pr-1`);
	assert.deepEqual([r.json.trace_id, r.json.parent_span_id], [T1, T1]);
});

// A span its own parent is refused as direct ingest and Scale GP refuse it; a span moved to
// another trace without a parent named hangs under the new trace's row, never under a span of
// the old trace (it kept its parent there: a tree across two traces).
test('Opik spans: their own parent is a 422; moved to another trace, they leave the old parent behind', async () => {
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'parents' };
	const T1 = '01a1fc91-cd0b-7000-8000-0000000000a1', T2 = '01a1fc91-cd0b-7000-8000-0000000000a2';
	const R = '01a1fc91-cd0b-7000-8000-0000000000a3', C = '01a1fc91-cd0b-7000-8000-0000000000a4';
	const span = (id, trace, parent) => ({ id, trace_id: trace, parent_span_id: parent, name: id.slice(-2),
		start_time: '2026-01-01T00:00:01Z', project_name: 'par' });
	let r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans: [span(C, T1, C)] }, headers: h });
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /parent_span_id must differ from id/);
	r = await srv.request('POST', '/v1/private/traces/batch', { body: { traces: [T1, T2].map((id) => ({ id, name: 't', start_time: '2026-01-01T00:00:00Z', project_name: 'par' })) }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans: [span(R, T1, T1), span(C, T1, R)] }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${C}`, { body: { trace_id: T1, parent_span_id: C }, headers: h });
	assert.equal(r.status, 422, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${C}`, { body: { trace_id: T2 }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/parents/spans/${C}`);
	assert.deepEqual([r.json.trace_id, r.json.parent_span_id], [T2, T2], r.text);
	r = await srv.request('GET', `${WS_PREFIX}/parents/spans/${R}`);
	assert.deepEqual([r.json.trace_id, r.json.parent_span_id], [T1, T1], r.text);
});

// GET traces/{id} of a trace another API wrote shows its root span, whose id is not the trace's.
// A PATCH of that trace stored a second row under the trace's id: a phantom root, one more
// span and session in NeMo, and the GET never showed the change. It now patches the root, as
// does the batch PATCH, and a root whose id is the trace's (a 409 before).
test('a trace PATCH of a trace another API wrote changes its root span, adding no row', async () => {
	const ws = 'tpatched';
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': ws };
	const nemoSpan = (id, trace, extra) => ({ span_id: id, trace_id: trace, session_id: `${trace}-s`, name: id, kind: 'AGENT',
		status: 'success', started_at: '2025-06-01T12:00:00Z', ended_at: '2025-06-01T12:00:05Z', output: 'a', ...extra });
	let r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'x', spans: [
		nemoSpan('t1-root', 't1'), nemoSpan('t1-llm', 't1', { parent_span_id: 't1-root', kind: 'LLM' }),
		nemoSpan('t2-root', 't2'), nemoSpan('t3', 't3')] } });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('PATCH', '/v1/private/traces/t1', { body: { output: { answer: 'changed' }, tags: ['t'], thread_id: 't1-s2' }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', '/v1/private/traces/t1', { headers: h });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual([r.json.output, r.json.tags, r.json.thread_id], [{ answer: 'changed' }, ['t'], 't1-s2'], r.text);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/t1`);
	assert.equal(r.status, 404, `no row of the trace's id: ${r.text}`);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/t1`);
	assert.equal(r.json.span_count, 2, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/t1-root`);
	assert.deepEqual([JSON.parse(r.json.output), r.json.session_id, r.json.parent_span_id], [{ answer: 'changed' }, 't1-s2', undefined], r.text);
	// The batch PATCH, over a root of another id and a root of the trace's own id.
	r = await srv.request('PATCH', '/v1/private/traces/batch', { body: { ids: ['t2', 't3'], update: { tags: ['b'] } }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('PATCH', '/v1/private/traces/t3', { body: { name: 'renamed' }, headers: h });
	assert.equal(r.status, 204, r.text);
	for (const [id, name] of [['t2', 't2-root'], ['t3', 'renamed']]) {
		r = await srv.request('GET', `/v1/private/traces/${id}`, { headers: h });
		assert.deepEqual([r.json.tags, r.json.name], [['b'], name], r.text);
	}
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans`);
	assert.equal(r.json.pagination.total_results, 4, r.text);
});

// Opik's usage and cost replace (opik.md §8.1): a PATCH of either leaves no count or cost of
// before beside the new ones. The old total_tokens stayed (usage 7 + 3 read back with total 110),
// as did another API's cached_tokens and cost parts.
test('a PATCH of usage or cost replaces the old counts and costs, in Opik and NeMo alike', async () => {
	const ws = 'usage-patch';
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': ws };
	const T = '01a1fc91-cd0b-7000-8000-0000000002f0', S = '01a1fc91-cd0b-7000-8000-0000000002f1';
	let r = await srv.request('POST', '/v1/private/traces', { body: { id: T, name: 'tr', start_time: '2026-01-01T00:00:00Z' }, headers: h });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('POST', '/v1/private/spans', { headers: h, body: { id: S, trace_id: T, name: 's', type: 'llm',
		start_time: '2026-01-01T00:00:01Z', usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } } });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${S}`, { body: { trace_id: T, usage: { prompt_tokens: 7, completion_tokens: 3 } }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/spans/${S}`, { headers: h });
	assert.deepEqual(r.json.usage, { prompt_tokens: 7, completion_tokens: 3 });
	r = await srv.request('GET', `/v1/private/traces/${T}`, { headers: h });
	assert.deepEqual(r.json.usage, { prompt_tokens: 7, completion_tokens: 3 });
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${S}`);
	assert.deepEqual([r.json.input_tokens, r.json.output_tokens, r.json.total_tokens], [7, 3, undefined], r.text);
	// Kept as sent, as Opik keeps usage: a create without a total has none, as the PATCH.
	r = await srv.request('POST', '/v1/private/spans', { headers: h, body: { id: `${S}-c`, trace_id: T, name: 'c',
		start_time: '2026-01-01T00:00:02Z', usage: { prompt_tokens: 2, completion_tokens: 1 } } });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('GET', `/v1/private/spans/${S}-c`, { headers: h });
	assert.deepEqual(r.json.usage, { prompt_tokens: 2, completion_tokens: 1 });
	// Another API's span: its cached count and cost parts go with the usage and cost they were of.
	r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'x', spans: [{
		span_id: 'nemo-1', trace_id: 'nemo-t', name: 'call', kind: 'LLM', status: 'success', started_at: '2026-01-01T00:00:00Z',
		attributes: { 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10, 'gen_ai.usage.total_tokens': 110,
			'gen_ai.usage.cached_tokens': 20, 'llm.cost.prompt': 0.3, 'llm.cost.completion': 0.2, 'llm.cost.total': 0.5 } }] } });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/nemo-1`);
	assert.deepEqual([r.json.cached_tokens, r.json.cost_input_usd], [20, 0.3], r.text);
	r = await srv.request('PATCH', '/v1/private/spans/nemo-1', { body: { trace_id: 'nemo-t', usage: { prompt_tokens: 5, completion_tokens: 3 }, total_estimated_cost: 0.25 }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/nemo-1`);
	const got = ({ input_tokens, output_tokens, total_tokens, cached_tokens, cost_input_usd, cost_output_usd, cost_total_usd }) =>
		({ input_tokens, output_tokens, total_tokens, cached_tokens, cost_input_usd, cost_output_usd, cost_total_usd });
	assert.deepEqual(got(r.json), { input_tokens: 5, output_tokens: 3, total_tokens: undefined, cached_tokens: undefined,
		cost_input_usd: undefined, cost_output_usd: undefined, cost_total_usd: 0.25 }, r.text);
});

// A cost keeps 6 decimals (nemo-intake.md §5), as a NeMo span's does: two Opik spans of
// 0.0000004 were stored so, showed 0 each but 1e-06 in their trace, and matched cost > 0.
test('Opik costs are stored to 6 decimals: the spans, their trace, filters and NeMo agree', async () => {
	const ws = 'cost-round';
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': ws };
	const T = '01a1fc91-cd0b-7000-8000-0000000003f0';
	let r = await srv.request('POST', '/v1/private/traces', { body: { id: T, name: 'tr', start_time: '2026-01-01T00:00:00Z', project_name: 'pennies' }, headers: h });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: ['a', 'b'].map((n, i) => ({
		id: `${T}-${n}`, trace_id: T, name: n, type: 'llm', project_name: 'pennies', start_time: `2026-01-01T00:00:0${i + 1}Z`,
		total_estimated_cost: 0.0000004 })) } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'x', spans: [{ span_id: 'nemo-c', trace_id: 'nemo-ct',
		name: 'c', kind: 'LLM', status: 'success', started_at: '2026-01-01T00:00:00Z', attributes: { 'llm.cost.total': 0.0000004 } }] } });
	assert.equal(r.status, 201, r.text);
	for (const id of [`${T}-a`, 'nemo-c']) {
		r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`);
		assert.equal(r.json.cost_total_usd, 0, `${id}: ${r.text}`);
	}
	r = await srv.request('GET', `/v1/private/spans/${T}-a`, { headers: h });
	assert.equal(r.json.total_estimated_cost, 0, r.text);
	r = await srv.request('GET', `/v1/private/traces/${T}`, { headers: h });
	assert.equal(r.json.total_estimated_cost, 0, r.text);
	const filters = encodeURIComponent(JSON.stringify([{ field: 'total_estimated_cost', operator: '>', value: '0' }]));
	r = await srv.request('GET', `/v1/private/spans?project_name=pennies&filters=${filters}`, { headers: h });
	assert.equal(r.json.total, 0, r.text);
	r = await srv.request('PATCH', `/v1/private/spans/${T}-b`, { body: { trace_id: T, total_estimated_cost: 0.0000016 }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${T}-b`);
	assert.equal(r.json.cost_total_usd, 0.000002, r.text);
});

// A Location names the id as one percent-encoded segment: an id with a '/' (fetched as %2F)
// or a line break (which made a header of its own) stays inside it.
test('Location headers percent-encode the id', async () => {
	const h = { 'Comet-Workspace': 'located' };
	const id = 'user/42\r\nX-Injected: 1';
	let r = await srv.request('POST', '/v1/private/traces', { body: { id, name: 'n', start_time: '2026-01-01T00:00:00Z', project_name: 'loc' }, headers: h });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.headers.location, '/v1/private/traces/user%2F42%0D%0AX-Injected%3A%201');
	assert.equal(r.headers['x-injected'], undefined);
	r = await srv.request('GET', r.headers.location, { headers: h });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.id, id);
	r = await srv.request('POST', `/v1/private/traces/${encodeURIComponent(id)}/comments`, { body: { text: 'hi' }, headers: h });
	assert.equal(r.status, 201, r.text);
	assert.match(r.headers.location, /^\/v1\/private\/traces\/user%2F42%0D%0AX-Injected%3A%201\/comments\/[0-9a-f-]{36}$/);
	// Under the /api mount the Location stays there (<base>/v1/private/..., opik.md §2), as a comment's does.
	for (const [kind, body] of [['traces', { id: 'api-t', name: 'n', start_time: '2026-01-01T00:00:00Z' }],
		['spans', { id: 'api-s', trace_id: 'api-t', name: 'n', start_time: '2026-01-01T00:00:00Z' }]]) {
		r = await srv.request('POST', `/api/v1/private/${kind}`, { body, headers: h });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.headers.location, `/api/v1/private/${kind}/${body.id}`);
		assert.equal((await srv.request('GET', r.headers.location, { headers: h })).json.id, body.id);
	}
	r = await srv.request('POST', '/api/v1/private/traces/api-t/comments', { body: { text: 'hi' }, headers: h });
	assert.match(r.headers.location, /^\/api\/v1\/private\/traces\/api-t\/comments\/[0-9a-f-]{36}$/);
});

test('with keys on, the SDK sends its key raw in authorization; no key or a read key is refused in Opik\'s shape', async () => {
	const keyed = await startServer({ env: { SPANDEX_TOKEN: 'opik-admin-key' } });
	try {
		const c = new Opik({ apiUrl: keyed.base, projectName: 'keyed', workspaceName: 'default', apiKey: 'opik-admin-key' });
		const t = c.trace({ name: 'with-key' });
		t.end();
		await c.flush();
		const got = await c.api.traces.getTraceById(t.data.id);
		assert.equal(got.name, 'with-key');
		// The same key works on the NeMo API as a bearer token.
		const nemo = await keyed.request('GET', `${WS_PREFIX}/default/traces/${t.data.id}`, { headers: { Authorization: 'Bearer opik-admin-key' } });
		assert.equal(nemo.status, 200, nemo.text);
		const anon = await keyed.request('GET', `/v1/private/traces/${t.data.id}`, { headers: { authorization: '' } });
		assert.equal(anon.status, 401, anon.text);
		assert.equal(anon.json.code, 401);
		const bearer = await keyed.request('GET', `/v1/private/traces/${t.data.id}`, { headers: { authorization: 'wrong' } });
		assert.equal(bearer.status, 401);
	} finally {
		await keyed.stop();
	}
});

test('a score or a PATCH that comes before its create is kept and merged when the create arrives', async () => {
	const h = { 'Content-Type': 'application/json', 'Comet-Workspace': 'default' };
	const req = (m, p, body) => srv.request(m, p, { body, headers: h });
	const trace = '01a1fc91-aaaa-7000-8000-000000000001', span = '01a1fc91-aaaa-7000-8000-000000000002';
	let r = await req('PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: span, name: 'early', value: 0.5, source: 'sdk' }] });
	assert.equal(r.status, 204, r.text);
	r = await req('PATCH', `/v1/private/spans/${span}`, { trace_id: trace, output: { late: 'patch' } });
	assert.equal(r.status, 204, r.text);
	r = await req('POST', '/v1/private/spans/batch', { spans: [{ id: span, trace_id: trace, name: 'created-last', start_time: '2026-01-02T03:04:05Z', input: { q: 1 } }] });
	assert.equal(r.status, 204, r.text);
	const got = (await req('GET', `/v1/private/spans/${span}`)).json;
	assert.equal(got.name, 'created-last');
	assert.equal(got.start_time.slice(0, 19), '2026-01-02T03:04:05');
	assert.deepEqual(got.output, { late: 'patch' });
	assert.deepEqual(got.input, { q: 1 });
	assert.deepEqual(got.feedback_scores.map((f) => [f.name, f.value]), [['early', 0.5]]);
	assert.equal(got.trace_id, trace);
});

test('deleting traces (the SDK\'s deleteTraces and deleteTraceById) removes them and their spans from every API; a span sent again comes back', async () => {
	const c = client({ workspaceName: 'deletes', projectName: 'del' });
	const keep = c.trace({ name: 'keep' });
	keep.span({ name: 'kept-span', type: 'llm' }).end();
	keep.end();
	const gone = [];
	for (let i = 0; i < 3; i++) {
		const t = c.trace({ name: `gone-${i}` });
		const s = t.span({ name: `gone-span-${i}`, type: 'tool' });
		s.span({ name: `gone-child-${i}` }).end();
		s.end();
		t.end();
		gone.push(t);
	}
	await c.flush();
	const h = { 'Comet-Workspace': 'deletes' };
	await c.api.traces.deleteTraces({ ids: [gone[0].data.id, gone[1].data.id, 'no-such-trace'] });
	await c.api.traces.deleteTraceById(gone[2].data.id);

	const spans = await c.searchSpans({ projectName: 'del' });
	assert.deepEqual(spans.map((s) => s.name), ['kept-span']);
	const traces = await c.searchTraces({ projectName: 'del' });
	assert.deepEqual(traces.map((t) => t.name), ['keep']);
	const page = await c.api.traces.getTracesByProject({ projectName: 'del' });
	assert.equal(page.total, 1);
	let r = await srv.request('GET', `/v1/private/traces/${gone[0].data.id}`, { headers: h });
	assert.equal(r.status, 404);
	// The same store through NeMo and SGP: no span, no trace of the deleted ones.
	r = await srv.request('GET', `${WS_PREFIX}/deletes/traces/${gone[1].data.id}`);
	assert.equal(r.status, 404, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/deletes/spans?page_size=100`);
	assert.deepEqual(r.json.data.map((s) => s.name).sort(), ['keep', 'kept-span']);
	r = await srv.request('POST', '/v5/spans/search', { body: {}, headers: { 'x-selected-account-id': 'deletes', 'Content-Type': 'application/json' } });
	assert.equal(r.json.total, 2);
	// Deleting again, or a trace that never was, is no error.
	r = await srv.request('DELETE', `/v1/private/traces/${gone[2].data.id}`, { headers: h });
	assert.equal(r.status, 204);
	r = await srv.request('POST', '/v1/private/traces/delete', { body: { ids: [] }, headers: { ...h, 'Content-Type': 'application/json' } });
	assert.equal(r.status, 422, r.text);
	assert.ok(Array.isArray(r.json.errors), r.text);
	// A newer version brings a span back, as any newer version wins: the trace sent again.
	r = await srv.request('POST', '/v1/private/traces/batch', {
		body: { traces: [{ id: gone[0].data.id, name: 'again', project_name: 'del', start_time: new Date().toISOString() }] },
		headers: { ...h, 'Content-Type': 'application/json' },
	});
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/traces/${gone[0].data.id}`, { headers: h });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, 'again');
});

test('span and trace stats (§9) through the SDK: counts, duration percentiles, means of tags, cost, usage and scores', async () => {
	const c = client({ workspaceName: 'stats', projectName: 'st' });
	const t0 = Date.parse('2026-03-01T10:00:00Z');
	for (let i = 0; i < 4; i++) {
		const t = c.trace({ name: `t${i}`, input: { q: i }, startTime: new Date(t0 + i * 60000), endTime: new Date(t0 + i * 60000 + 5000), tags: i ? ['a', 'b'] : [] });
		const s = t.span({
			name: `llm${i}`, type: 'llm', startTime: new Date(t0 + i * 60000), input: i % 2 ? { m: 'x' } : undefined,
			usage: { prompt_tokens: 10 * (i + 1), completion_tokens: 1, total_tokens: 10 * (i + 1) + 1 },
			totalEstimatedCost: i ? 0.005 : undefined, metadata: i === 3 ? { env: 'prod' } : undefined,
			endTime: new Date(t0 + i * 60000 + (i + 1) * 1000),
		});
		if (i < 2) s.score({ name: 'good', value: i });
	}
	await c.flush();
	const byName = (r) => Object.fromEntries(r.stats.map((x) => [x.name, x]));
	const spans = byName(await c.api.spans.getSpanStats({ projectName: 'st' }));
	assert.equal(spans.span_count.value, 4);
	assert.equal(spans.span_count.type, 'COUNT');
	assert.equal(spans.duration.type, 'PERCENTAGE');
	assert.equal(spans.duration.value.p50, 2500); // 1, 2, 3, 4 s
	assert.equal(spans.input.value, 2);
	assert.equal(spans.metadata.value, 1);
	assert.equal(spans.total_estimated_cost.value, 0.005); // the mean of those that cost anything
	assert.equal(spans['usage.prompt_tokens'].value, 25);
	assert.equal(spans['feedback_score.good'].value, 0.5);
	const llm = byName(await c.api.spans.getSpanStats({ projectName: 'st', filters: JSON.stringify([{ field: 'name', operator: '=', value: 'llm3' }]) }));
	assert.equal(llm.span_count.value, 1);
	assert.equal(llm['usage.total_tokens'].value, 41);
	const traces = byName(await c.api.traces.getTraceStats({ projectName: 'st' }));
	assert.equal(traces.trace_count.value, 4);
	assert.equal(traces.duration.value.p99, 5000);
	assert.equal(traces.input.value, 4);
	assert.equal(traces.tags.value, 1.5);
	assert.equal(traces['usage.prompt_tokens'].value, 25); // each trace's sum over its one span
	const none = byName(await c.api.spans.getSpanStats({ projectName: 'nothing-here' }));
	assert.equal(none.span_count.value, 0);
	assert.deepEqual(none.duration.value, { p50: 0, p90: 0, p99: 0 });
});

test('GET projects lists every project the workspace\'s spans name, with the ids retrieve gives', async () => {
	const c = client({ workspaceName: 'projects' });
	for (const [project, day] of [['alpha', '2026-02-01'], ['beta', '2026-02-03'], ['alpha', '2026-02-05']]) {
		const t = c.trace({ name: 'x', projectName: project, startTime: new Date(`${day}T00:00:00Z`) });
		t.end();
	}
	await c.flush();
	// A span from another API without a project is in the default one.
	let r = await srv.request('POST', `${WS_PREFIX}/projects/ingest/spans`, {
		body: { source: 'test', spans: [{ span_id: 'n1', trace_id: 'n1', name: 'nemo', kind: 'LLM', started_at: '2026-01-01T00:00:00Z' }] },
		headers: { 'Content-Type': 'application/json' },
	});
	assert.ok(r.status < 300, r.text);
	const page = await c.api.projects.findProjects({});
	assert.equal(page.total, 3);
	assert.deepEqual(page.content.map((p) => p.name), ['alpha', 'beta', 'Default Project']);
	assert.equal(page.content[0].lastUpdatedTraceAt.toISOString(), '2026-02-05T00:00:00.000Z');
	assert.equal(page.content[0].createdAt.toISOString(), '2026-02-01T00:00:00.000Z');
	const h = { 'Comet-Workspace': 'projects', 'Content-Type': 'application/json' };
	r = await srv.request('POST', '/v1/private/projects/retrieve', { body: { name: 'beta' }, headers: h });
	assert.equal(r.json.id, page.content[1].id);
	const named = await c.api.projects.findProjects({ name: 'ALP', size: 1 });
	assert.deepEqual(named.content.map((p) => p.name), ['alpha']);
	r = await srv.request('GET', '/v1/private/projects?page=2&size=2', { headers: h });
	assert.deepEqual(r.json.content.map((p) => p.name), ['Default Project']);
	r = await srv.request('GET', '/v1/private/projects', { headers: { 'Comet-Workspace': 'never-written' } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.total, 0);
	// Spans of another API (no raw attributes: the index answers their type from the kind)
	// are listed by their project's name or id, the default project's too.
	r = await srv.request('POST', `${WS_PREFIX}/projects/ingest/spans`, {
		body: { source: 'test', spans: [{ span_id: 'n2', trace_id: 'n2', name: 'nemo2', kind: 'LLM', started_at: '2026-01-02T00:00:00Z', attributes: { project: 'beta' } }] },
		headers: { 'Content-Type': 'application/json' },
	});
	assert.ok(r.status < 300, r.text);
	for (const [q, want] of [[`project_id=${page.content[1].id}`, ['n2']], [`project_id=${page.content[2].id}`, ['n1']],
		['project_name=beta', ['n2']], ['project_name=Default%20Project', ['n1']], [`project_id=${page.content[0].id}`, []]]) {
		r = await srv.request('GET', `/v1/private/spans?${q}&filters=${encodeURIComponent(JSON.stringify([{ field: 'type', operator: '=', value: 'llm' }]))}`, { headers: h });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.content.map((s) => s.id), want, q);
	}
});

test('items that start in the same instant list newest first: ids descending, as Opik orders them (opik.md §2)', async () => {
	const h = { 'Comet-Workspace': 'ties' };
	const at = '2026-01-05T10:00:00.000Z';
	// v7-shaped ids made in this order; sent in a batch whose order is neither theirs nor its reverse.
	const tid = (n) => `01900000-0000-7000-8000-00000000000${n}`;
	const sid = (n) => `01900000-0000-7000-8000-0000000000a${n}`;
	const traces = [2, 1, 3].map((n) => ({ id: tid(n), name: `t${n}`, start_time: at, project_name: 'ties' }));
	const spans = [2, 1, 3].map((n) => ({ id: sid(n), trace_id: tid(1), name: `s${n}`, start_time: at, project_name: 'ties' }));
	assert.equal((await srv.request('POST', '/v1/private/traces/batch', { body: { traces }, headers: h })).status, 204);
	assert.equal((await srv.request('POST', '/v1/private/spans/batch', { body: { spans }, headers: h })).status, 204);
	// A later PATCH (a newer version of s1 at the end of the day file) does not move it.
	const p = await srv.request('PATCH', `/v1/private/spans/${sid(1)}`, { body: { trace_id: tid(1), output: { ok: 1 } }, headers: h });
	assert.equal(p.status, 204, p.text);
	const sp = await srv.request('GET', '/v1/private/spans?project_name=ties', { headers: h });
	assert.deepEqual(sp.json.content.map((s) => s.name), ['s3', 's2', 's1']);
	const tr = await srv.request('GET', '/v1/private/traces?project_name=ties', { headers: h });
	assert.deepEqual(tr.json.content.map((t) => t.name), ['t3', 't2', 't1']);
	const ss = await srv.request('POST', '/v1/private/spans/search', { body: { project_name: 'ties' }, headers: h });
	assert.deepEqual(ss.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l).name), ['s3', 's2', 's1']);
	const ts = await srv.request('POST', '/v1/private/traces/search', { body: { project_name: 'ties' }, headers: h });
	assert.deepEqual(ts.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l).name), ['t3', 't2', 't1']);
	// The cursor walks the same order: after s2 comes s1 alone.
	const next = await srv.request('POST', '/v1/private/spans/search', { body: { project_name: 'ties', last_retrieved_id: sid(2) }, headers: h });
	assert.deepEqual(next.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l).name), ['s1']);
	// Ascending start order takes ties ascending too.
	const asc = encodeURIComponent(JSON.stringify([{ field: 'start_time', direction: 'ASC' }]));
	const sa = await srv.request('GET', `/v1/private/spans?project_name=ties&sorting=${asc}`, { headers: h });
	assert.deepEqual(sa.json.content.map((s) => s.name), ['s1', 's2', 's3']);
	const ta = await srv.request('GET', `/v1/private/traces?project_name=ties&sorting=${asc}`, { headers: h });
	assert.deepEqual(ta.json.content.map((t) => t.name), ['t1', 't2', 't3']);
});

test('error_info needs exception_type and traceback, source is one of Opik\'s four: else 422, as the SDK\'s search would drop the item', async () => {
	const h = { 'Comet-Workspace': 'errinfo' };
	const tid = '01900000-0000-7000-8000-0000000e0000';
	const span = (extra) => ({ trace_id: tid, name: 'e', start_time: '2026-01-06T10:00:00Z', project_name: 'errinfo', ...extra });
	const bad = [
		[{ error_info: { message: 'boom' } }, ['spans.0.error_info.exception_type must not be blank', 'spans.0.error_info.traceback must not be blank']],
		[{ error_info: { exception_type: 'E', traceback: 'tb', message: 5 } }, ['spans.0.error_info.message must be a string']],
		[{ source: 'bogus' }, ["spans.0.source Input should be 'sdk', 'experiment', 'playground' or 'optimization'"]],
	];
	for (const [extra, errors] of bad) {
		const r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans: [span(extra)] }, headers: h });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json, { errors });
	}
	const tr = await srv.request('POST', '/v1/private/traces', { body: { id: tid, name: 't', start_time: '2026-01-06T10:00:00Z', project_name: 'errinfo', source: 'nope' }, headers: h });
	assert.equal(tr.status, 422, tr.text);
	const patch = await srv.request('PATCH', `/v1/private/traces/${tid}`, { body: { error_info: {} }, headers: h });
	assert.equal(patch.status, 422, patch.text);
	const none = await srv.request('GET', '/v1/private/spans?project_name=errinfo', { headers: h });
	assert.equal(none.json.total, 0, none.text);
	// Valid ones are kept and pass the SDK's checks of a searched span.
	const ok = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [
		span({ name: 'ok1', error_info: { exception_type: 'E', traceback: 'tb' }, source: 'experiment' }),
		span({ name: 'ok2', error_info: { exception_type: 'E', traceback: '', message: null }, source: null }),
	] } });
	assert.equal(ok.status, 204, ok.text);
	const c = client({ workspaceName: 'errinfo', projectName: 'errinfo' });
	const found = await c.searchSpans({ projectName: 'errinfo' });
	assert.deepEqual(found.map((s) => [s.name, s.errorInfo?.exceptionType, s.source ?? null]).sort(), [['ok1', 'E', 'experiment'], ['ok2', 'E', null]]);
});

test('metadata is an object, an array or a string as input is (else 422); a list of strings reads as its text, so the SDK\'s search keeps the span', async () => {
	const h = { 'Comet-Workspace': 'meta' };
	const tid = '01900000-0000-7000-8000-0000000f0000';
	const span = (name, metadata) => ({ trace_id: tid, name, start_time: '2026-01-07T10:00:00Z', project_name: 'meta', metadata });
	for (const bad of [5, true]) {
		const r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans: [span('bad', bad)] }, headers: h });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json, { errors: ['spans.0.metadata must be an object, an array or a string'] });
	}
	const ok = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [
		span('obj', { a: 1 }), span('list', ['a', 'b']), span('objs', [{ a: 1 }]), span('text', 'plain'),
	] } });
	assert.equal(ok.status, 204, ok.text);
	const c = client({ workspaceName: 'meta', projectName: 'meta' });
	const found = await c.searchSpans({ projectName: 'meta' });
	assert.deepEqual(Object.fromEntries(found.map((s) => [s.name, s.metadata])), {
		obj: { a: 1 }, list: '["a","b"]', objs: [{ a: 1 }], text: 'plain',
	});
});
