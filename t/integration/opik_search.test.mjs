// Opik searches and writes the audit of issue 11 found wanting, through the real `opik` SDK
// (t/clients, pinned) or raw HTTP shaped as it sends it: trace filters on the rollups of
// their spans, input_json/output_json, last_retrieved_id past one window of 2000, exclude,
// out-of-order and re-sent writes, the batch PATCH's checks, the one store seen from NeMo and
// OTLP, and the roles deletes and writes need.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

let srv;
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
});
after(async () => {
	await srv?.stop();
});

const json = (ws) => ({ 'Content-Type': 'application/json', 'Comet-Workspace': ws });
const hex = (i, n = 12) => i.toString(16).padStart(n, '0');
// The NDJSON stream of §6: one object per \r\n-terminated line.
const lines = (r) => r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));

test('trace filters on usage.* and total_estimated_cost test the sums over the trace\'s spans; input_json and output_json look up a key', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'rollups', workspaceName: 'rollups' });
	const big = c.trace({ name: 'big', input: { question: 'alpha', n: 7 } });
	big.span({ name: 'a', type: 'llm', usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 }, totalEstimatedCost: 0.005, output: { content: 'x', n: 3 } }).end();
	big.span({ name: 'b', type: 'llm', usage: { prompt_tokens: 15, completion_tokens: 5, total_tokens: 20 }, totalEstimatedCost: 0.0025 }).end();
	big.update({ output: { answer: 'yes' } });
	big.end();
	const small = c.trace({ name: 'small', input: { question: 'beta', n: 1 } });
	small.span({ name: 'c', type: 'llm', usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 }, totalEstimatedCost: 0.001, output: { content: 'y', n: 1 } }).end();
	small.end();
	const bare = c.trace({ name: 'bare' }); // no span, no usage: only != holds
	bare.end();
	await c.flush();
	const names = async (filterString) => (await c.searchTraces({ projectName: 'rollups', filterString })).map((t) => t.name).sort();
	assert.deepEqual(await names('usage.total_tokens > 25'), ['big']);
	assert.deepEqual(await names('usage.total_tokens < 25'), ['small']);
	assert.deepEqual(await names('usage.prompt_tokens = 23'), ['big']);
	assert.deepEqual(await names('usage.completion_tokens >= 1'), ['big', 'small']);
	assert.deepEqual(await names('usage.total_tokens != 30'), ['bare', 'small']);
	assert.deepEqual(await names('total_estimated_cost > 0.006'), ['big']);
	assert.deepEqual(await names('total_estimated_cost <= 0.001 and name contains "sma"'), ['small']);
	assert.deepEqual(await names('input_json.question = "ALPHA"'), ['big']);
	assert.deepEqual(await names('input_json.n > 3'), ['big']);
	assert.deepEqual(await names('output_json.answer contains "ye"'), ['big']);
	// The rendered rollup is what was filtered on.
	const [t] = await c.searchTraces({ projectName: 'rollups', filterString: 'usage.total_tokens > 25' });
	assert.deepEqual(t.usage, { prompt_tokens: 23, completion_tokens: 7, total_tokens: 30 });
	assert.equal(t.totalEstimatedCost, 0.0075);
	// The GET list and the stats take the same filters, with a total of what passes.
	const filters = JSON.stringify([{ field: 'usage.total_tokens', operator: '>', value: '6' }]);
	const page = await c.api.traces.getTracesByProject({ projectName: 'rollups', filters, size: 1 });
	assert.equal(page.total, 1);
	assert.equal(page.content[0].name, 'big');
	const stats = await c.api.traces.getTraceStats({ projectName: 'rollups', filters });
	assert.equal(stats.stats.find((s) => s.name === 'trace_count').value, 1);
	// custom (§7.3): a key input.<path>, output.<path> or metadata.<path> is that dictionary's.
	const sp = await c.api.spans.getSpansByProject({ projectName: 'rollups', filters: JSON.stringify([{ field: 'custom', key: 'output.content', operator: '=', value: 'y' }]) });
	assert.deepEqual(sp.content.map((x) => x.name), ['c']);
	// custom is a span field (§7.3): on traces, and with a key of no dictionary, a 400.
	for (const [what, key] of [['traces', 'input.question'], ['spans', 'nowhere.x']]) {
		const bad = await srv.request('GET', `/v1/private/${what}?project_name=rollups&filters=${encodeURIComponent(JSON.stringify([{ field: 'custom', key, operator: '=', value: '1' }]))}`, { headers: json('rollups') });
		assert.equal(bad.status, 400, `${what} ${key}: ${bad.text}`);
	}
	// A dictionary's number is decimal text too: "0x10" is no 16.
	const hexed = await c.api.spans.getSpansByProject({ projectName: 'rollups', filters: JSON.stringify([{ field: 'output_json', key: 'n', operator: '=', value: '0x3' }]) });
	assert.deepEqual(hexed.content, []);
	// Spans: the key's value in the parsed input or output.
	const spans = async (filterString) => (await c.searchSpans({ projectName: 'rollups', filterString })).map((s) => s.name).sort();
	assert.deepEqual(await spans('output_json.n > 2'), ['a']);
	assert.deepEqual(await spans('output_json.content = "y"'), ['c']);
	assert.deepEqual(await spans('output_json.content contains "x" and usage.total_tokens < 20'), ['a']);
});

test('last_retrieved_id pages spans and traces past one window of 2000, in order, none missed or repeated', async () => {
	const ws = 'deep', N = 2050, base = Date.parse('2026-02-01T00:00:00Z');
	const tid = (i) => `0190a1b2-0001-7000-8000-${hex(i)}`, sid = (i) => `0190a1b2-0002-7000-8000-${hex(i)}`;
	for (let from = 0; from < N; from += 1000) {
		const n = Math.min(1000, N - from), at = (i) => new Date(base + i * 1000).toISOString();
		let r = await srv.request('POST', '/v1/private/traces/batch', { headers: json(ws), body: { traces: Array.from({ length: n }, (_, k) => ({ id: tid(from + k), name: `t${from + k}`, project_name: 'deep', start_time: at(from + k), source: 'sdk' })) } });
		assert.equal(r.status, 204, r.text);
		r = await srv.request('POST', '/v1/private/spans/batch', { headers: json(ws), body: { spans: Array.from({ length: n }, (_, k) => ({ id: sid(from + k), trace_id: tid(from + k), name: `s${from + k}`, type: 'llm', project_name: 'deep', start_time: at(from + k), source: 'sdk' })) } });
		assert.equal(r.status, 204, r.text);
	}
	for (const [kind, id] of [['traces', tid], ['spans', sid]]) {
		const seen = [];
		let last;
		for (const limit of [2000, 30, 1000]) {
			const body = { project_name: 'deep', limit, truncate: true, ...(last ? { last_retrieved_id: last } : {}) };
			const r = await srv.request('POST', `/v1/private/${kind}/search`, { headers: json(ws), body });
			assert.equal(r.status, 200, r.text);
			const got = lines(r);
			seen.push(...got.map((x) => x.id));
			last = got.at(-1)?.id;
		}
		// Newest first: 2049 down to 0, each once.
		assert.deepEqual(seen, Array.from({ length: N }, (_, k) => id(N - 1 - k)), kind);
		// A cursor at the oldest: nothing after it.
		let r = await srv.request('POST', `/v1/private/${kind}/search`, { headers: json(ws), body: { project_name: 'deep', last_retrieved_id: id(0) } });
		assert.deepEqual(lines(r), []);
		// An empty cursor is none (Jackson reads "" as a null UUID): from the newest.
		r = await srv.request('POST', `/v1/private/${kind}/search`, { headers: json(ws), body: { project_name: 'deep', limit: 2, last_retrieved_id: '' } });
		assert.deepEqual(lines(r).map((x) => x.id), [id(N - 1), id(N - 2)], kind);
	}
	// The SDK's own search reads the first window.
	const c = new Opik({ apiUrl: srv.base, projectName: 'deep', workspaceName: ws });
	const top = await c.searchTraces({ projectName: 'deep', maxResults: 5, filterString: 'name starts_with "t20"' });
	assert.deepEqual(top.map((t) => t.name), ['t2049', 't2048', 't2047', 't2046', 't2045']);
});

test('a search body\'s exclude leaves fields out; one that is no array is a 400 as on GET', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'rollups', workspaceName: 'rollups' });
	const got = await c.searchSpans({ projectName: 'rollups', filterString: 'name = "a"', exclude: ['input', 'output', 'usage'] });
	assert.equal(got.length, 1);
	assert.equal(got[0].output, undefined);
	assert.equal(got[0].usage, undefined);
	assert.equal(got[0].name, 'a');
	for (const kind of ['spans', 'traces']) {
		const r = await srv.request('POST', `/v1/private/${kind}/search`, { headers: json('rollups'), body: { project_name: 'rollups', exclude: 'input' } });
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.code, 400);
	}
});

test('out of order: spans before their trace, a trace PATCH before its create, and a batch sent again after a score and a PATCH', async () => {
	const h = json('order');
	const req = (m, p, body) => srv.request(m, p, { body, headers: h });
	const trace = '0190a1b2-0003-7000-8000-000000000001', span = '0190a1b2-0003-7000-8000-000000000002';
	const spans = { spans: [{ id: span, trace_id: trace, name: 'first', type: 'llm', project_name: 'order', start_time: '2026-02-02T00:00:01Z', input: { q: 1 } }] };
	const traces = { traces: [{ id: trace, name: 'created', project_name: 'order', start_time: '2026-02-02T00:00:00Z', input: { q: 0 } }] };
	assert.equal((await req('POST', '/v1/private/spans/batch', spans)).status, 204);
	assert.equal((await req('PATCH', `/v1/private/traces/${trace}`, { project_name: 'order', output: { patched: true }, end_time: '2026-02-02T00:00:05Z' })).status, 204);
	assert.equal((await req('POST', '/v1/private/traces/batch', traces)).status, 204);
	let t = (await req('GET', `/v1/private/traces/${trace}`)).json;
	assert.equal(t.name, 'created');
	assert.deepEqual(t.output, { patched: true }, 'the PATCH before the create is kept');
	assert.equal(t.span_count, 1);
	assert.equal((await req('GET', `/v1/private/spans?project_name=order`)).json.total, 1);
	// A score and a PATCH, then both batches again (a retried flush): nothing is lost.
	assert.equal((await req('PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: span, name: 'q', value: 0.75, source: 'sdk', project_name: 'order' }] })).status, 204);
	assert.equal((await req('PATCH', `/v1/private/spans/${span}`, { trace_id: trace, project_name: 'order', name: 'renamed', output: { a: 1 } })).status, 204);
	assert.equal((await req('POST', '/v1/private/spans/batch', spans)).status, 204);
	assert.equal((await req('POST', '/v1/private/traces/batch', traces)).status, 204);
	const s = (await req('GET', `/v1/private/spans/${span}`)).json;
	assert.equal(s.name, 'renamed');
	assert.deepEqual(s.output, { a: 1 });
	assert.deepEqual(s.feedback_scores.map((f) => [f.name, f.value]), [['q', 0.75]]);
	t = (await req('GET', `/v1/private/traces/${trace}`)).json;
	assert.deepEqual(t.output, { patched: true });
	assert.equal(Date.parse(t.end_time), Date.parse('2026-02-02T00:00:05Z'));
});

test('PATCH spans/batch and traces/batch check their ids in Opik\'s 422 shape (no PATCH of an id "batch"); no Comet-Workspace means default', async () => {
	for (const kind of ['spans', 'traces']) {
		const r = await srv.request('PATCH', `/v1/private/${kind}/batch`, { headers: json('default'), body: { ids: [], update: {} } });
		assert.equal(r.status, 422, r.text);
		assert.ok(r.json.errors.includes('ids size must be between 1 and 1000'), r.text);
	}
	const id = '0190a1b2-0004-7000-8000-000000000001';
	let r = await srv.request('POST', '/v1/private/traces/batch', { headers: { 'Content-Type': 'application/json' }, body: { traces: [{ id, name: 'no-header', start_time: '2026-02-03T00:00:00Z' }] } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('GET', `/v1/private/traces/${id}`, { headers: { 'Comet-Workspace': 'default' } });
	assert.equal(r.json.name, 'no-header');
	assert.equal(r.json.project_name, 'Default Project');
});

test('one store: an SDK trace in NeMo\'s trace list with its rollups and in its span filter; an OTLP span found by searchSpans', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'cross', workspaceName: 'cross' });
	const t = c.trace({ name: 'crossing' });
	t.span({ name: 'call', type: 'llm', model: 'm-1', usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }, totalEstimatedCost: 0.002 }).end();
	t.end();
	t.score({ name: 'overall', value: 0.9 });
	await c.flush();
	let r = await srv.request('GET', `${WS_PREFIX}/cross/traces?page_size=10`);
	assert.equal(r.status, 200, r.text);
	const row = r.json.data.find((x) => x.id === t.data.id);
	assert.ok(row, r.text);
	assert.equal(row.total_tokens, 7);
	assert.equal(row.span_count, 2);
	assert.ok(Math.abs(row.cost_usd - 0.002) < 1e-9, r.text);
	r = await srv.request('GET', `${WS_PREFIX}/cross/spans?filter=${encodeURIComponent(`trace_id:"${t.data.id}"`)}&page_size=10`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.data.map((s) => s.name).sort(), ['call', 'crossing']);
	const tr = await c.api.traces.getTraceById(t.data.id);
	assert.deepEqual(tr.feedbackScores.map((f) => [f.name, f.value]), [['overall', 0.9]]);
	// OTLP JSON with a project attribute: a span of that project for Opik.
	const now = BigInt(Date.now()) * 1000000n;
	r = await srv.request('POST', '/v1/traces', { headers: { 'X-Workspace': 'cross' }, body: { resourceSpans: [{ resource: { attributes: [{ key: 'project.name', value: { stringValue: 'cross' } }] }, scopeSpans: [{ spans: [{
		traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', name: 'from-otlp',
		startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000000n),
	}] }] }] } });
	assert.equal(r.status, 200, r.text);
	const found = await c.searchSpans({ projectName: 'cross', filterString: 'name = "from-otlp"' });
	assert.deepEqual(found.map((s) => [s.name, s.traceId]), [['from-otlp', '5b8efff798038103d269b633813fc60c']]);
});

test('roles: a read key cannot write through Opik, a write key cannot delete traces (403 in Opik\'s shape), an admin key can', async () => {
	const keyed = await startServer({ env: { SPANDEX_SYNC: '0' } });
	try {
		const keys = {};
		for (const role of ['read', 'write', 'admin']) {
			const r = await spandexCli(['key', 'create', keyed.dataDir, '--workspace', 'roles', '--role', role]);
			assert.equal(r.code, 0, r.stderr);
			keys[role] = r.stdout.trim();
		}
		const sdk = (role) => new Opik({ apiUrl: keyed.base, projectName: 'roles', workspaceName: 'roles', apiKey: keys[role] });
		const id = '0190a1b2-0005-7000-8000-000000000001';
		const body = { traces: [{ id, name: 'keyed', project_name: 'roles', start_time: '2026-02-04T00:00:00Z' }] };
		const as = (role) => ({ ...json('roles'), authorization: keys[role] });
		let r = await keyed.request('POST', '/v1/private/traces/batch', { headers: as('read'), body });
		assert.equal(r.status, 403, r.text);
		assert.equal(r.json.code, 403);
		assert.equal((await keyed.request('POST', '/v1/private/traces/batch', { headers: as('write'), body })).status, 204);
		for (const [m, p, b] of [['POST', '/v1/private/traces/delete', { ids: [id] }], ['DELETE', `/v1/private/traces/${id}`]]) {
			r = await keyed.request(m, p, { headers: as('write'), body: b });
			assert.equal(r.status, 403, `${m} ${p}: ${r.text}`);
			assert.equal(r.json.code, 403);
			assert.equal(typeof r.json.message, 'string');
		}
		assert.equal((await sdk('read').api.traces.getTraceById(id)).name, 'keyed');
		await sdk('admin').api.traces.deleteTraces({ ids: [id] });
		r = await keyed.request('GET', `/v1/private/traces/${id}`, { headers: as('read') });
		assert.equal(r.status, 404, r.text);
	} finally {
		await keyed.stop();
	}
});

test('enum filters: in and not_in compare without case as = does, and not_in takes a trace with no value (Opik\'s missing value is \'\')', async () => {
	const h = json('enums');
	for (const [id, env] of [['01900000-0000-7000-8000-00000000e001', 'staging'], ['01900000-0000-7000-8000-00000000e002', undefined]]) {
		const r = await srv.request('POST', '/v1/private/traces', {
			body: { id, project_name: 'enums', name: env ?? 'none', start_time: '2026-03-01T00:00:00Z', ...(env ? { environment: env } : {}) },
			headers: h,
		});
		assert.equal(r.status, 201, r.text);
	}
	const names = async (f) => {
		const r = await srv.request('GET', `/v1/private/traces?project_name=enums&filters=${encodeURIComponent(JSON.stringify([{ field: 'environment', ...f }]))}`, { headers: h });
		assert.equal(r.status, 200, r.text);
		return r.json.content.map((t) => t.name).sort();
	};
	assert.deepEqual(await names({ operator: '!=', value: 'prod' }), ['none', 'staging']);
	assert.deepEqual(await names({ operator: 'not_in', value: 'prod' }), ['none', 'staging']);
	assert.deepEqual(await names({ operator: '=', value: 'STAGING' }), ['staging']);
	assert.deepEqual(await names({ operator: 'in', value: 'prod,STAGING' }), ['staging']);
	assert.deepEqual(await names({ operator: 'not_in', value: 'STAGING' }), ['none']);
	assert.deepEqual(await names({ operator: 'is_empty', value: '' }), ['none']);
});

test('the trace fields spandex has no data for (opik.md 7.3: experiment_id, annotation_queue_ids, guardrails, visibility_mode) filter as missing, or "default", not a 400', async () => {
	const h = json('enums');
	const names = async (field, operator, value) => {
		const r = await srv.request('GET', `/v1/private/traces?project_name=enums&filters=${encodeURIComponent(JSON.stringify([{ field, operator, value }]))}`, { headers: h });
		assert.equal(r.status, 200, `${field} ${operator}: ${r.text}`);
		return r.json.content.map((t) => t.name).sort();
	};
	const all = ['none', 'staging'];
	assert.deepEqual(await names('experiment_id', '=', '0190'), []);
	assert.deepEqual(await names('experiment_id', '!=', '0190'), all);
	assert.deepEqual(await names('experiment_id', 'is_empty', ''), all);
	assert.deepEqual(await names('annotation_queue_ids', 'contains', 'q'), []);
	assert.deepEqual(await names('annotation_queue_ids', 'is_not_empty', ''), []);
	assert.deepEqual(await names('guardrails', '=', 'failed'), []);
	assert.deepEqual(await names('guardrails', 'not_in', 'failed'), all);
	assert.deepEqual(await names('visibility_mode', '=', 'default'), all);
	assert.deepEqual(await names('visibility_mode', '=', 'hidden'), []);
	// They are trace fields: a span filter on one is Opik's 400.
	const r = await srv.request('GET', `/v1/private/spans?project_name=enums&filters=${encodeURIComponent(JSON.stringify([{ field: 'experiment_id', operator: '=', value: 'x' }]))}`, { headers: h });
	assert.equal(r.status, 400, r.text);
});

test('a number in a filter or a score is decimal text, as BigDecimal reads it: nan, inf, hex and spaces are refused', async () => {
	const h = json('numbers');
	for (const value of ['nan', 'inf', 'infinity', '0x10', ' 1', '1e400', '']) {
		const f = encodeURIComponent(JSON.stringify([{ field: 'duration', operator: '>', value }]));
		const r = await srv.request('GET', `/v1/private/traces?project_name=numbers&filters=${f}`, { headers: h });
		assert.equal(r.status, 400, `${JSON.stringify(value)}: ${r.text}`);
		assert.match(r.json.message, /^Invalid value/);
	}
	const ok = encodeURIComponent(JSON.stringify([{ field: 'duration', operator: '>', value: '-1.5e2' }]));
	assert.equal((await srv.request('GET', `/v1/private/traces?project_name=numbers&filters=${ok}`, { headers: h })).status, 200);
	const id = '01900000-0000-7000-8000-00000000f001';
	let r = await srv.request('POST', '/v1/private/traces', { body: { id, project_name: 'numbers', name: 't', start_time: '2026-03-01T00:00:00Z' }, headers: h });
	assert.equal(r.status, 201, r.text);
	r = await srv.request('PUT', '/v1/private/traces/feedback-scores', { body: { scores: [{ id, project_name: 'numbers', name: 'q', value: '0x10', source: 'sdk' }] }, headers: h });
	assert.equal(r.status, 400, r.text); // Jackson cannot read it as a BigDecimal
	r = await srv.request('PUT', '/v1/private/traces/feedback-scores', { body: { scores: [{ id, project_name: 'numbers', name: 'q', value: '0.5', source: 'sdk' }] }, headers: h });
	assert.equal(r.status, 204, r.text);
});

test('the project as Opik takes it: an id wins over a name beside it, a blank name is none (400), and a page has no size cap of its own', async () => {
	const h = json('pick');
	for (const [i, project] of [[1, 'pa'], [2, 'pb']]) {
		const r = await srv.request('POST', '/v1/private/traces', { body: { id: `01900000-0000-7000-8000-00000000a00${i}`, project_name: project, name: project, start_time: '2026-03-01T00:00:00Z' }, headers: h });
		assert.equal(r.status, 201, r.text);
	}
	const pb = (await srv.request('POST', '/v1/private/projects/retrieve', { body: { name: 'pb' }, headers: h })).json.id;
	const names = async (q) => {
		const r = await srv.request('GET', `/v1/private/traces?${q}`, { headers: h });
		assert.equal(r.status, 200, `${q}: ${r.text}`);
		return r.json.content.map((t) => t.name);
	};
	assert.deepEqual(await names(`project_name=pa&project_id=${pb}`), ['pb']);
	assert.deepEqual(await names(`project_name=&project_id=${pb}`), ['pb']);
	for (const q of ['project_name=', 'project_name=%20', 'project_name=&project_id=']) {
		const r = await srv.request('GET', `/v1/private/traces?${q}`, { headers: h });
		assert.equal(r.status, 400, `${q}: ${r.text}`);
	}
	assert.deepEqual(await names('project_name=pa&size=5000'), ['pa']);
	// Its integers are Java's (a sign and digits), not pydantic's lax text.
	for (const q of ['size=5.0', 'size=%205', 'page=1.0']) {
		const bad = await srv.request('GET', `/v1/private/traces?project_name=pa&${q}`, { headers: h });
		assert.equal(bad.status, 422, `${q}: ${bad.text}`);
		assert.ok(Array.isArray(bad.json.errors), bad.text);
	}
	const r = await srv.request('GET', '/v1/private/traces/threads?project_name=&project_id=', { headers: h });
	assert.equal(r.status, 400, r.text);
});

test('spans and traces sort by end_time, duration and total_estimated_cost too (§7.4), either way; an open end and a missing cost count 0', async () => {
	const h = json('sorts');
	const span = (i, start, end, cost) => ({ id: `01900000-0000-7000-8000-0000000b000${i}`, trace_id: '01900000-0000-7000-8000-0000000b0000', project_name: 'sorts', name: `s${i}`, type: 'llm', start_time: start, ...(end ? { end_time: end } : {}), ...(cost !== undefined ? { total_estimated_cost: cost, usage: { prompt_tokens: 100000, completion_tokens: 1 } } : {}) });
	const r = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [
		span(1, '2026-03-01T00:00:00Z', '2026-03-01T00:00:09Z', 0.5), // 9 s, ends 00:00:09
		span(2, '2026-03-01T00:00:05Z', '2026-03-01T00:00:06Z', 2), // 1 s, ends 00:00:06
		span(3, '2026-03-01T00:00:02Z', '2026-03-01T00:00:05Z'), // 3 s, ends 00:00:05, no cost
		span(4, '2026-03-01T00:00:03Z'), // open
	] } });
	assert.equal(r.status, 204, r.text);
	const order = async (field, direction) => {
		const sorting = encodeURIComponent(JSON.stringify([{ field, direction }]));
		const p = await srv.request('GET', `/v1/private/spans?project_name=sorts&sorting=${sorting}`, { headers: h });
		assert.equal(p.status, 200, p.text);
		assert.ok(p.json.sortableBy.includes(field), p.text);
		return p.json.content.map((s) => s.name);
	};
	assert.deepEqual(await order('duration', 'DESC'), ['s1', 's3', 's2', 's4']);
	assert.deepEqual(await order('duration', 'ASC'), ['s4', 's2', 's3', 's1']);
	assert.deepEqual(await order('end_time', 'DESC'), ['s1', 's2', 's3', 's4']);
	assert.deepEqual(await order('total_estimated_cost', 'DESC'), ['s2', 's1', 's3', 's4']);
	assert.deepEqual(await order('start_time', 'ASC'), ['s1', 's3', 's4', 's2']);
	// Traces: by their own end and duration, and by their spans' cost.
	const tid = (i) => `01900000-0000-7000-8000-0000000c000${i}`;
	const traces = [[1, '00:00:00', '00:00:04'], [2, '00:00:01', '00:00:09'], [3, '00:00:02']];
	let w = await srv.request('POST', '/v1/private/traces/batch', { headers: h, body: { traces: traces.map(([i, s, e]) => ({
		id: tid(i), project_name: 'tsorts', name: `t${i}`, start_time: `2026-03-02T${s}Z`, ...(e ? { end_time: `2026-03-02T${e}Z` } : {}),
	})) } });
	assert.equal(w.status, 204, w.text);
	w = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [[1, 3], [3, 5], [3, 1]].map(([i, cost], k) => ({
		id: `01900000-0000-7000-8000-0000000d000${k}`, trace_id: tid(i), project_name: 'tsorts', name: `c${k}`, type: 'llm',
		start_time: '2026-03-02T00:00:03Z', total_estimated_cost: cost, usage: { prompt_tokens: 1000 },
	})) } });
	assert.equal(w.status, 204, w.text);
	const torder = async (field, direction) => {
		const sorting = encodeURIComponent(JSON.stringify([{ field, direction }]));
		const p = await srv.request('GET', `/v1/private/traces?project_name=tsorts&sorting=${sorting}`, { headers: h });
		assert.equal(p.status, 200, p.text);
		assert.ok(p.json.sortableBy.includes(field), p.text);
		return p.json.content.map((t) => t.name);
	};
	assert.deepEqual(await torder('duration', 'DESC'), ['t2', 't1', 't3']);
	assert.deepEqual(await torder('end_time', 'ASC'), ['t3', 't1', 't2']);
	assert.deepEqual(await torder('total_estimated_cost', 'DESC'), ['t3', 't1', 't2']);
	assert.deepEqual(await torder('total_estimated_cost', 'ASC'), ['t2', 't1', 't3']);
});

test('a search limit outside 1-2000 is a 422 {"errors"}, as Opik\'s validated body gives it (opik.md §1, §6), for spans, traces and threads', async () => {
	const h = json('limits');
	for (const path of ['spans/search', 'traces/search', 'traces/threads/search']) {
		for (const [limit, msg] of [[0, 'limit must be greater than or equal to 1'], [-3, 'limit must be greater than or equal to 1'], [2001, 'limit must be less than or equal to 2000']]) {
			const r = await srv.request('POST', `/v1/private/${path}`, { headers: h, body: { project_name: 'limits', limit } });
			assert.equal(r.status, 422, `${path} ${limit}: ${r.text}`);
			assert.deepEqual(r.json, { errors: [msg] }, path);
		}
		const ok = await srv.request('POST', `/v1/private/${path}`, { headers: h, body: { project_name: 'limits', limit: 2000 } });
		assert.equal(ok.status, 200, `${path}: ${ok.text}`);
		// Read as Jackson reads an Integer: an integer's text, a number with its fraction cut;
		// anything else, or past Java's int, Dropwizard's 400.
		for (const [limit, status] of [['5', 200], [1.9, 200], [null, 200], ['0', 422], [0.5, 422], ['2001', 422],
			['x', 400], ['5.0', 400], [true, 400], [{}, 400], [1e30, 400], [4294967296, 400]]) {
			const r = await srv.request('POST', `/v1/private/${path}`, { headers: h, body: { project_name: 'limits', limit } });
			assert.equal(r.status, status, `${path} ${JSON.stringify(limit)}: ${r.text}`);
			if (status === 400)
				assert.equal(r.json.message, 'Unable to process JSON', path);
		}
	}
});

test('a sorting element without a direction sorts ascending, as Opik\'s SortingQueryBuilder takes a null direction', async () => {
	const h = json('nodir');
	const at = (s) => `2026-03-05T00:00:0${s}Z`;
	const tid = (i) => `01900000-0000-7000-8000-0000001a000${i}`;
	let r = await srv.request('POST', '/v1/private/traces/batch', { headers: h, body: { traces: [2, 1, 3].map((i) => ({ id: tid(i), name: `t${i}`, project_name: 'nodir', start_time: at(i), end_time: at(i + 5) })) } });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', '/v1/private/spans/batch', { headers: h, body: { spans: [2, 1, 3].map((i) => ({ id: `01900000-0000-7000-8000-0000001b000${i}`, trace_id: tid(i), name: `s${i}`, project_name: 'nodir', start_time: at(i), end_time: at(i + i) })) } });
	assert.equal(r.status, 204, r.text);
	const names = async (kind, sorting) => {
		const p = await srv.request('GET', `/v1/private/${kind}?project_name=nodir&sorting=${encodeURIComponent(JSON.stringify(sorting))}`, { headers: h });
		assert.equal(p.status, 200, p.text);
		return p.json.content.map((x) => x.name);
	};
	assert.deepEqual(await names('spans', [{ field: 'start_time' }]), ['s1', 's2', 's3']);
	assert.deepEqual(await names('spans', [{ field: 'duration', direction: null }]), ['s1', 's2', 's3']);
	assert.deepEqual(await names('spans', [{ field: 'start_time', direction: 'DESC' }]), ['s3', 's2', 's1']);
	assert.deepEqual(await names('traces', [{ field: 'end_time' }]), ['t1', 't2', 't3']);
	assert.deepEqual(await names('traces', [{ field: 'start_time', direction: 'desc' }]), ['t3', 't2', 't1']);
	// No sorting at all: newest first.
	assert.deepEqual(await names('spans', []), ['s3', 's2', 's1']);
});
