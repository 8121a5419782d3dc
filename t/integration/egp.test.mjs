// The Scale GP v5 spans API (issue 12) through nginx and cgi-bin/egp: requests shaped as the
// scale-gp-beta tracing SDK sends them (otel-egp.md §4.7; there is no SGP client on npm),
// checked against the seed page's schemas (PaginatedList_Span_, Span, HTTPValidationError):
// create, batch insert and upsert (completed beats started), get, patch, search with each
// filter, cursor paging both ways, errors, keys, and one store with the NeMo API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, WS_PREFIX, SRCDIR, CLIENTS } from '../harness.mjs';
import { SgpSpan } from '../schema.mjs';

const ACCOUNT = 'acct-team-a';
let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const headers = (extra = {}) => ({ 'Content-Type': 'application/json', 'x-selected-account-id': ACCOUNT, ...extra });
const sgp = (method, path, body, extra) => srv.request(method, path, { body, headers: headers(extra) });
const iso = (ms) => new Date(ms).toISOString().replace('Z', '000+00:00'); // Python's isoformat

// The seed's Span: required id, name, trace_id, start_timestamp, account_id.
function assertSpan(s) {
	for (const k of ['id', 'name', 'trace_id', 'start_timestamp', 'account_id']) assert.ok(k in s, `Span without ${k}: ${JSON.stringify(s)}`);
	assert.equal(s.object, 'span');
	for (const k of ['input', 'output', 'metadata']) assert.equal(typeof s[k], 'object', k);
	assert.ok(['SUCCESS', 'ERROR', 'CANCELED'].includes(s.status), s.status);
}
function assertPage(p) {
	assert.equal(p.object, 'list');
	assert.ok(Array.isArray(p.items) && typeof p.total === 'number' && typeof p.has_more === 'boolean', JSON.stringify(p));
	p.items.forEach(assertSpan);
}

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

// The bodies of otel-egp.md §4.7, as Span.to_request_params() of scale_gp_beta's tracing SDK
// builds them: name, id, trace_id, start_timestamp (Python's isoformat, microseconds and an
// offset), input, output and metadata as objects ({} by default), status, type, and
// end_timestamp and parent_id only when set. Each span is exported when it starts and when it
// ends, both through PUT /v5/spans/batch.
const isoUs = (ms, us) => new Date(ms).toISOString().replace('Z', `${String(us).padStart(3, '0')}+00:00`);
function sdkTrace() {
	const trace = randomUUID(), root = randomUUID(), child = randomUUID();
	const started = {
		root: { name: 'agent-run', id: root, trace_id: trace, start_timestamp: isoUs(T0, 123), input: { question: 'weather in Paris?' }, output: {}, metadata: { k: 'v' }, status: 'SUCCESS', type: 'STANDALONE' },
		child: { name: 'retrieve_docs', id: child, trace_id: trace, parent_id: root, start_timestamp: isoUs(T0 + 100, 456), input: { query: 'Paris weather' }, output: {}, metadata: { k: 'v' }, status: 'SUCCESS', type: 'KB_RETRIEVAL' },
	};
	const completed = {
		root: { ...started.root, end_timestamp: isoUs(T0 + 900, 123), output: { answer: 'sunny' } },
		child: { ...started.child, end_timestamp: isoUs(T0 + 600, 456), output: { docs: ['forecast: sunny'] } },
	};
	return { trace, root, child, started, completed };
}

// Reads root and child back and checks each is its completed version, field by field.
async function checkCompleted(t, what) {
	for (const k of ['root', 'child']) {
		const want = t.completed[k];
		const got = await sgp('GET', `/v5/spans/${want.id}`);
		assert.equal(got.status, 200, `${what} ${k}: ${got.text}`);
		assertSpan(got.json);
		const s = got.json;
		assert.equal(s.end_timestamp, want.end_timestamp.replace('+00:00', 'Z'), `${what} ${k}: end`);
		assert.equal(s.start_timestamp, want.start_timestamp.replace('+00:00', 'Z'), `${what} ${k}: start`);
		assert.deepEqual([s.name, s.trace_id, s.parent_id, s.status, s.type, s.account_id], [want.name, want.trace_id, want.parent_id, want.status, want.type, ACCOUNT], `${what} ${k}`);
		assert.deepEqual([s.input, s.output, s.metadata], [want.input, want.output, want.metadata], `${what} ${k}`);
	}
}

test('the tracing SDK\'s exports (§4.7): the completed version wins in one batch and across batches, in either order', async () => {
	const orders = {
		'one batch, started then completed': (t) => [[t.started.root, t.started.child, t.completed.child, t.completed.root]],
		'one batch, completed then started': (t) => [[t.completed.child, t.completed.root, t.started.root, t.started.child]],
		'one batch per span, either order': (t) => [[t.started.root, t.completed.root], [t.completed.child, t.started.child]],
		'started and completed in separate batches': (t) => [[t.started.root, t.started.child], [t.completed.child, t.completed.root]],
		'completed batch before started batch': (t) => [[t.completed.child, t.completed.root], [t.started.root, t.started.child]],
		'mixed across batches': (t) => [[t.started.root, t.completed.child], [t.started.child, t.completed.root]],
	};
	for (const [what, batches] of Object.entries(orders)) {
		const t = sdkTrace();
		const ended = new Set();
		for (const items of batches(t)) {
			const r = await sgp('PUT', '/v5/spans/batch', { items });
			assert.equal(r.status, 200, `${what}: ${r.text}`);
			assertPage({ ...r.json, total: 0, has_more: false });
			// The reply holds each item as now stored: completed once a completed export came.
			for (const x of items) if (x.end_timestamp) ended.add(x.id);
			assert.deepEqual(r.json.items.map((x) => [x.id, 'end_timestamp' in x]), items.map((x) => [x.id, ended.has(x.id)]), what);
		}
		await checkCompleted(t, what);
		// Search sees the completed versions too: duration and output.
		const found = await sgp('POST', '/v5/spans/search?limit=10', { trace_ids: [t.trace], min_duration_ms: 500 });
		assert.equal(found.status, 200, found.text);
		assert.deepEqual(found.json.items.map((s) => s.id), [t.root, t.child], what);
	}
	// One store: the NeMo API sees the trace with both spans, kinds from the crosswalk.
	const t = sdkTrace();
	await sgp('PUT', '/v5/spans/batch', { items: [t.started.root, t.started.child, t.completed.child, t.completed.root] });
	const nemo = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/traces/${t.trace}`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.span_count, 2);
	const ns = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/spans/${t.child}`);
	assert.equal(ns.json.kind, 'RETRIEVER');
	assert.equal(ns.json.source, 'sgp');
	assert.equal(ns.json.ended_at.slice(0, 23), new Date(T0 + 600).toISOString().slice(0, 23));
});

test('the tracing SDK\'s export of a span that raised (§4.7): status ERROR and metadata.error*', async () => {
	const t = sdkTrace();
	const failed = { ...t.completed.child, status: 'ERROR', output: {}, metadata: { k: 'v', error: true, error_type: 'TimeoutError', error_message: 'the index did not answer' } };
	let r = await sgp('PUT', '/v5/spans/batch', { items: [t.started.root, t.started.child] });
	assert.equal(r.status, 200, r.text);
	r = await sgp('PUT', '/v5/spans/batch', { items: [failed, t.completed.root] });
	assert.equal(r.status, 200, r.text);
	const got = await sgp('GET', `/v5/spans/${t.child}`);
	assert.equal(got.status, 200, got.text);
	assertSpan(got.json);
	assert.equal(got.json.status, 'ERROR');
	assert.deepEqual(got.json.metadata, failed.metadata);
	assert.equal(got.json.end_timestamp, failed.end_timestamp.replace('+00:00', 'Z'));
	// Found by status and by the error keys of its metadata; the root stays SUCCESS.
	const found = await sgp('POST', '/v5/spans/search', { trace_ids: [t.trace], statuses: ['ERROR'] });
	assert.deepEqual(found.json.items.map((s) => s.id), [t.child]);
	const byMd = await sgp('POST', '/v5/spans/search', { trace_ids: [t.trace], extra_metadata: { error: true, error_type: 'TimeoutError' } });
	assert.deepEqual(byMd.json.items.map((s) => s.id), [t.child]);
	assert.equal((await sgp('GET', `/v5/spans/${t.root}`)).json.status, 'SUCCESS');
	// The other APIs see the failure: NeMo's status and error fields, Opik's error_info.
	const ns = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/spans/${t.child}`);
	assert.equal(ns.json.status, 'error');
	assert.equal(ns.json.error_type, 'TimeoutError');
	assert.equal(ns.json.error_message, 'the index did not answer');
	const op = await srv.request('GET', `/v1/private/spans/${t.child}`, { headers: { 'Comet-Workspace': ACCOUNT } });
	assert.equal(op.status, 200, op.text);
	assert.equal(op.json.error_info?.exception_type, 'TimeoutError', op.text);
	assert.equal(op.json.error_info?.message, 'the index did not answer', op.text);
});

test('create, batch insert (409 on a stored id), patch, and 422s in FastAPI\'s shape', async () => {
	const trace = randomUUID();
	let r = await sgp('POST', '/v5/spans', { name: 'one', trace_id: trace, start_timestamp: iso(T0) });
	assert.equal(r.status, 200, r.text);
	assertSpan(r.json);
	assert.equal(r.json.type, 'STANDALONE');
	assert.equal(r.json.status, 'SUCCESS');
	const id = r.json.id;
	assert.match(id, /^[0-9a-f-]{36}$/);
	r = await sgp('POST', '/v5/spans/batch', { items: [{ id, name: 'again', trace_id: trace, start_timestamp: iso(T0) }] });
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail, /already exists/);
	r = await sgp('PATCH', `/v5/spans/${id}`, { name: 'renamed', end_timestamp: iso(T0 + 250), status: 'CANCELED', output: { done: true }, input: { ignored: true } });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, 'renamed');
	assert.equal(r.json.status, 'CANCELED');
	assert.deepEqual(r.json.output, { done: true });
	assert.deepEqual(r.json.input, {}); // PATCH does not change input
	r = await sgp('PATCH', '/v5/spans/no-such-span', { name: 'x' });
	assert.equal(r.status, 404);
	assert.equal(typeof r.json.detail, 'string');
	for (const [body, field] of [
		[{ trace_id: trace, start_timestamp: iso(T0) }, 'name'],
		[{ name: 'x', start_timestamp: iso(T0) }, 'trace_id'],
		[{ name: 'x', trace_id: trace }, 'start_timestamp'],
		[{ name: 'x', trace_id: trace, start_timestamp: 'yesterday' }, 'start_timestamp'],
		[{ name: 'x', trace_id: trace, start_timestamp: iso(T0), input: 'text' }, 'input'],
		[{ name: 'x', trace_id: trace, start_timestamp: iso(T0), status: 'CANCELLED' }, 'status'],
		[{ name: 'x', trace_id: trace, start_timestamp: iso(T0), end_timestamp: iso(T0 - 1000) }, 'end_timestamp'],
	]) {
		r = await sgp('POST', '/v5/spans', body);
		assert.equal(r.status, 422, `${field}: ${r.text}`);
		assert.ok(Array.isArray(r.json.detail) && r.json.detail.some((d) => d.loc.includes(field) && d.msg && d.type), `${field}: ${r.text}`);
	}
	r = await sgp('PUT', '/v5/spans/batch', { items: Array.from({ length: 1001 }, () => ({})) });
	assert.equal(r.status, 422);
	assert.deepEqual(r.json.detail.map((d) => [d.loc, d.type]), [[['body', 'items'], 'too_long']], r.text);
	// FastAPI's items carry the input refused: the object a field is missing from.
	r = await sgp('POST', '/v5/spans', { trace_id: trace, start_timestamp: iso(T0) });
	assert.deepEqual(r.json.detail, [{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: { trace_id: trace, start_timestamp: iso(T0) } }]);
	// A batch without items: pydantic's missing, as for a member of a span; null is no list.
	for (const method of ['POST', 'PUT']) {
		r = await sgp(method, '/v5/spans/batch', { spans: [] });
		assert.equal(r.status, 422, r.text);
		assert.deepEqual(r.json.detail, [{ type: 'missing', loc: ['body', 'items'], msg: 'Field required', input: { spans: [] } }]);
		r = await sgp(method, '/v5/spans/batch', { items: null });
		assert.deepEqual(r.json.detail, [{ type: 'list_type', loc: ['body', 'items'], msg: 'Input should be a valid list', input: null }]);
	}
	// An id of the rule every format shares, said once; pydantic's length.
	r = await sgp('POST', '/v5/spans', { name: 'x', trace_id: '..', start_timestamp: iso(T0) });
	assert.equal(r.json.detail[0].msg, "Value error, an id cannot be '.' or '..', nor have one between its slashes: it could not be fetched by id", r.text);
	r = await sgp('POST', '/v5/spans', { name: 'x', trace_id: 't'.repeat(257), start_timestamp: iso(T0) });
	assert.deepEqual([r.json.detail[0].type, r.json.detail[0].msg], ['string_too_long', 'String should have at most 256 characters']);
	// §4.2: 409 for a parent cycle or a parent in another trace; nothing stored.
	const other = randomUUID();
	for (const items of [
		[{ id: 'self-1', name: 's', trace_id: trace, parent_id: 'self-1', start_timestamp: iso(T0) }],
		[{ id: 'cyc-a', name: 'a', trace_id: trace, parent_id: 'cyc-b', start_timestamp: iso(T0) },
			{ id: 'cyc-b', name: 'b', trace_id: trace, parent_id: 'cyc-a', start_timestamp: iso(T0) }],
		[{ id: 'cross-1', name: 'c', trace_id: other, parent_id: id, start_timestamp: iso(T0) }],
		// the same stored parent for two items: the second's trace is checked too
		[{ id: 'cross-s1', name: 'c', trace_id: trace, parent_id: id, start_timestamp: iso(T0) },
			{ id: 'cross-s2', name: 'c', trace_id: other, parent_id: id, start_timestamp: iso(T0) }],
		[{ id: 'cross-p', name: 'p', trace_id: other, start_timestamp: iso(T0) },
			{ id: 'cross-c', name: 'c', trace_id: trace, parent_id: 'cross-p', start_timestamp: iso(T0) }],
	]) {
		r = await sgp('PUT', '/v5/spans/batch', { items });
		assert.equal(r.status, 409, `${JSON.stringify(items)}: ${r.text}`);
		assert.match(r.json.detail, /cycle|another trace/);
		for (const it of items) assert.equal((await sgp('GET', `/v5/spans/${it.id}`)).status, 404, it.id);
	}
	// A cycle closed through spans stored earlier: c1 under c2 (not stored yet) is fine; c3
	// under c1, then c2 under c3, goes round through the store.
	r = await sgp('POST', '/v5/spans', { id: 'round-1', name: 'c', trace_id: trace, parent_id: 'round-2', start_timestamp: iso(T0) });
	assert.equal(r.status, 200, r.text);
	r = await sgp('POST', '/v5/spans', { id: 'round-3', name: 'c', trace_id: trace, parent_id: 'round-1', start_timestamp: iso(T0) });
	assert.equal(r.status, 200, r.text);
	r = await sgp('PUT', '/v5/spans/batch', { items: [{ id: 'round-2', name: 'c', trace_id: trace, parent_id: 'round-3', start_timestamp: iso(T0) }] });
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail, /cycle/);
	assert.equal((await sgp('GET', '/v5/spans/round-2')).status, 404);
	// A cycle already stored (OTLP keeps a span its own parent) is not the new span's: a span
	// under it is stored, as before.
	const selfParent = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c803100',
		spanId: 'b7ad6b7169203100', parentSpanId: 'b7ad6b7169203100', name: 'self',
		startTimeUnixNano: String(BigInt(T0) * 1000000n), endTimeUnixNano: String(BigInt(T0 + 1) * 1000000n) }] }] }] };
	r = await fetch(`${srv.base}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Workspace': ACCOUNT }, body: JSON.stringify(selfParent) });
	assert.equal(r.status, 200, await r.text());
	r = await sgp('POST', '/v5/spans', { id: 'under-self', name: 'c', trace_id: '0af7651916cd43dd8448eb211c803100', parent_id: 'b7ad6b7169203100', start_timestamp: iso(T0) });
	assert.equal(r.status, 200, r.text);
	// Under a stored span that is not in a cycle, it is fine.
	r = await sgp('POST', '/v5/spans', { id: 'round-2', name: 'c', trace_id: trace, start_timestamp: iso(T0) });
	assert.equal(r.status, 200, r.text);
	// A chain of 1000 in one batch, each the parent of the next, is fine.
	const chain = Array.from({ length: 1000 }, (_, i) => ({ id: `chain-${i}`, name: 'link', trace_id: other,
		...(i ? { parent_id: `chain-${i - 1}` } : {}), start_timestamp: iso(T0 + i) }));
	r = await sgp('PUT', '/v5/spans/batch', { items: chain.reverse() });
	assert.equal(r.status, 200, r.text);
});

test('search: every filter, sort orders, and cursor paging through 250 spans both ways', async () => {
	const trace = randomUUID(), other = randomUUID();
	const items = Array.from({ length: 250 }, (_, i) => ({
		id: `sp-${String(i).padStart(3, '0')}`, name: i % 5 ? 'step' : 'plan', trace_id: i % 2 ? trace : other,
		// a parent of the span's own trace (§4.2: another trace's is a 409)
		parent_id: i % 10 && i !== 1 ? (i % 2 ? 'sp-001' : 'sp-000') : undefined, group_id: i % 7 ? undefined : 'g1',
		start_timestamp: iso(T0 + 3600e3 + i * 1000), end_timestamp: iso(T0 + 3600e3 + i * 1000 + (i % 13) * 100),
		input: { q: i === 42 ? 'the Needle question' : 'plain' }, output: {}, metadata: { env: i % 3 ? 'prod' : 'dev', __agent_name__: 'bot' },
		status: i % 11 ? 'SUCCESS' : 'ERROR', type: i % 4 ? 'COMPLETION' : 'CODE_EXECUTION',
	}));
	for (let k = 0; k < items.length; k += 100) {
		const r = await sgp('POST', '/v5/spans/batch', { items: items.slice(k, k + 100) });
		assert.equal(r.status, 200, r.text);
	}
	const window = `from_ts=${encodeURIComponent(iso(T0 + 3600e3))}&to_ts=${encodeURIComponent(iso(T0 + 3600e3 + 250e3))}`;
	const search = async (body, qs = '') => {
		const r = await sgp('POST', `/v5/spans/search?${window}${qs}`, body);
		assert.equal(r.status, 200, r.text);
		assertPage(r.json);
		return r.json;
	};
	const want = (pred) => items.filter(pred).map((s) => s.id);
	const ids = (p) => p.items.map((s) => s.id);
	const all = '&limit=1000';
	assert.deepEqual(ids(await search({ parents_only: true }, all)), want((s) => !s.parent_id));
	assert.deepEqual(ids(await search({ trace_ids: [trace] }, all)), want((s) => s.trace_id === trace));
	assert.deepEqual(ids(await search({ span_ids: ['sp-001', 'sp-100'] }, all)), ['sp-001', 'sp-100']);
	assert.deepEqual(ids(await search({ excluded_trace_ids: [trace], excluded_span_ids: ['sp-000'] }, all)), want((s) => s.trace_id !== trace && s.id !== 'sp-000'));
	assert.deepEqual(ids(await search({ group_id: 'g1' }, all)), want((s) => s.group_id === 'g1'));
	assert.deepEqual(ids(await search({ names: ['plan'], statuses: ['ERROR'] }, all)), want((s) => s.name === 'plan' && s.status === 'ERROR'));
	assert.deepEqual(ids(await search({ types: ['CODE_EXECUTION'] }, all)), want((s) => s.type === 'CODE_EXECUTION'));
	assert.deepEqual(ids(await search({ search_texts: ['needle'] }, all)), ['sp-042']);
	// A term shaped like a UUID is a trace id (§4), in either case, ANDed with the others.
	assert.deepEqual(ids(await search({ search_texts: [trace.toUpperCase()] }, all)), want((s) => s.trace_id === trace));
	assert.deepEqual(ids(await search({ search_texts: [other, 'NEEDLE'] }, all)), ['sp-042']);
	assert.deepEqual(ids(await search({ search_texts: [trace, 'needle'] }, all)), []);
	assert.deepEqual(ids(await search({ extra_metadata: { env: 'dev' } }, all)), want((s) => s.metadata.env === 'dev'));
	assert.deepEqual(ids(await search({ extra_metadata: { env: ['dev', 'prod'] }, agentex_agent_names: ['bot'] }, all)).length, 250);
	assert.deepEqual(ids(await search({ min_duration_ms: 1000, max_duration_ms: 1100 }, all)), want((s, i) => i % 13 >= 10 && i % 13 <= 11));
	// No span of these traces is assessed (judgements_sgp.test.mjs assesses some).
	assert.deepEqual(ids(await search({ assessment_types: ['rating', 'comment'] }, all)), []);
	// Orders: start time both ways, duration descending (ties by trace_id, then id, descending).
	const desc = await search({}, '&limit=3&sort_order=desc');
	assert.deepEqual(ids(desc), ['sp-249', 'sp-248', 'sp-247']);
	assert.equal(desc.total, 250);
	assert.equal(desc.has_more, true);
	const longest = await search({}, '&limit=1&sort_by=duration_ms&sort_order=desc');
	const top = items.filter((s, i) => i % 13 === 12).sort((x, y) => (x.trace_id === y.trace_id ? (x.id < y.id ? 1 : -1) : x.trace_id < y.trace_id ? 1 : -1))[0];
	assert.equal(longest.items[0].id, top.id);
	// Forward through every page, then back from the end: no gap, no repeat.
	const seen = [];
	let page = await search({}, '&limit=40');
	for (;;) {
		seen.push(...ids(page));
		if (!page.has_more) break;
		page = await search({}, `&limit=40&starting_after=${page.items.at(-1).id}`);
	}
	assert.deepEqual(seen, items.map((s) => s.id));
	const back = [];
	page = await search({}, '&limit=40&ending_before=sp-249');
	for (;;) {
		back.unshift(...ids(page));
		if (!page.has_more) break;
		page = await search({}, `&limit=40&ending_before=${page.items[0].id}`);
	}
	assert.deepEqual(back, items.slice(0, 249).map((s) => s.id));
	// The older GET list, with epoch seconds.
	const list = await sgp('GET', `/v5/spans?trace_id=${trace}&parents_only=false&limit=5&from_ts=${(T0 + 3600e3) / 1000}`);
	assert.equal(list.status, 200, list.text);
	assert.deepEqual(ids(list.json), want((s) => s.trace_id === trace).slice(0, 5));
	// Refusals: both cursors, a cursor of no listing, from after to, a bad status, a short term.
	for (const [qs, body] of [
		['&starting_after=sp-001&ending_before=sp-009', {}],
		['&starting_after=nope', {}],
		[`&from_ts=${encodeURIComponent(iso(T0 + 9e9))}&to_ts=${encodeURIComponent(iso(T0))}`, {}],
		['', { statuses: ['DONE'] }],
		['', { search_texts: ['a'] }],
		['&limit=0', {}],
	]) {
		const r = await sgp('POST', `/v5/spans/search?${qs.slice(1)}`, body);
		assert.equal(r.status, 422, `${qs} ${JSON.stringify(body)}: ${r.text}`);
		assert.ok(Array.isArray(r.json.detail), r.text);
	}
});

test('the account header names the workspace (422 when it cannot), and keys in x-api-key', async () => {
	let r = await sgp('POST', '/v5/spans', { name: 'n', trace_id: 't1', start_timestamp: iso(T0) }, { 'x-selected-account-id': '65a5f0c2e4b0' });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail[0].loc, ['header', 'x-selected-account-id']);
	r = await srv.request('GET', '/v5/spans/none', { headers: {} }); // no header: the workspace default
	assert.equal(r.status, 404, r.text);
	const keyed = await startServer({ env: { SPANDEX_TOKEN: 'sgp-key' } });
	try {
		const h = { 'Content-Type': 'application/json', 'x-selected-account-id': 'acct-keyed' };
		r = await keyed.request('POST', '/v5/spans', { body: { name: 'n', trace_id: 't1', start_timestamp: iso(T0) }, headers: h });
		assert.equal(r.status, 401, r.text);
		assert.equal(typeof r.json.detail, 'string');
		r = await keyed.request('POST', '/v5/spans', { body: { name: 'n', trace_id: 't1', start_timestamp: iso(T0) }, headers: { ...h, 'x-api-key': 'sgp-key' } });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.account_id, 'acct-keyed');
		// The same key reads it through the NeMo API, as a bearer token.
		const nemo = await keyed.request('GET', `${WS_PREFIX}/acct-keyed/spans/${r.json.id}`, { headers: { Authorization: 'Bearer sgp-key' } });
		assert.equal(nemo.status, 200, nemo.text);
	} finally {
		await keyed.stop();
	}
});

// Issue 12's cursor proof: a few hundred spans with many ties (start times in threes, five
// durations, no tokens), walked forward and backward at several limits and orders, with and
// without a filter, while a writer adds new spans. Each walk visits
// every span stored before it once, and its sequence is in the order of §4.5: the key, then
// trace_id, then id, bytewise, all in the requested direction.
test('cursor walks under a concurrent writer: no span missed or repeated, ties by trace_id then id', async () => {
	const acct = { 'x-selected-account-id': 'acct-cursor' };
	const traces = Array.from({ length: 7 }, () => randomUUID());
	const base = T0 + 7200e3;
	const span = (i, extra = {}) => ({
		id: randomUUID(), name: 'step', trace_id: traces[i % 7], start_timestamp: iso(base + Math.floor(i / 3) * 1000),
		end_timestamp: iso(base + Math.floor(i / 3) * 1000 + (i % 5) * 100), input: {}, output: {}, metadata: {},
		status: 'SUCCESS', type: i % 4 ? 'COMPLETION' : 'CODE_EXECUTION', ...extra,
	});
	const known = new Map();
	const stored = Array.from({ length: 300 }, (_, i) => span(i));
	for (let k = 0; k < stored.length; k += 100) {
		const r = await sgp('PUT', '/v5/spans/batch', { items: stored.slice(k, k + 100) }, acct);
		assert.equal(r.status, 200, r.text);
	}
	for (const s of stored) known.set(s.id, s);
	const window = `from_ts=${encodeURIComponent(iso(base))}&to_ts=${encodeURIComponent(iso(base + 3600e3))}`;
	const keyOf = { start_timestamp: (s) => Date.parse(s.start_timestamp), duration_ms: (s) => Date.parse(s.end_timestamp) - Date.parse(s.start_timestamp), input_tokens: () => 0 };
	const byteCmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
	const order = (by, dir) => (x, y) => dir * (keyOf[by](x) - keyOf[by](y) || byteCmp(x.trace_id, y.trace_id) || byteCmp(x.id, y.id));

	// The writer: five new spans among the stored ones every few milliseconds, 400 in all (so
	// that a walk does not chase them forever). (Re-sending a stored span while the pages are read
	// is not covered: each page is its own snapshot, and a newer version may sort elsewhere;
	// docs/FORMAT.md, "What a reader sees".)
	let writing = true;
	const writer = (async () => {
		for (let k = 0; writing && k < 80; k++) {
			const fresh = Array.from({ length: 5 }, () => span(Math.floor(Math.random() * 300)));
			for (const s of fresh) known.set(s.id, s);
			const r = await sgp('PUT', '/v5/spans/batch', { items: fresh }, acct);
			assert.equal(r.status, 200, r.text);
			await new Promise((res) => setTimeout(res, 10));
		}
	})();
	try {
		for (const [by, sortOrder, limit, body] of [
			['start_timestamp', 'asc', 7, {}],
			['start_timestamp', 'desc', 50, { types: ['COMPLETION'] }],
			['duration_ms', 'desc', 13, {}],
			['duration_ms', 'asc', 100, { types: ['CODE_EXECUTION'] }],
			['input_tokens', 'asc', 31, {}],
		]) {
			const what = `${by} ${sortOrder} limit ${limit} ${JSON.stringify(body)}`;
			const page = async (cursor) => {
				const r = await sgp('POST', `/v5/spans/search?${window}&sort_by=${by}&sort_order=${sortOrder}&limit=${limit}${cursor}`, body, acct);
				assert.equal(r.status, 200, `${what}: ${r.text}`);
				assert.ok(r.json.items.length <= limit, what);
				return r.json;
			};
			const matching = stored.filter((s) => !body.types || body.types.includes(s.type));
			const cmp = order(by, sortOrder === 'asc' ? 1 : -1);
			const check = (seen, label) => {
				assert.equal(new Set(seen).size, seen.length, `${what} ${label}: a span repeated`);
				const got = new Set(seen);
				const missed = matching.filter((s) => !got.has(s.id));
				assert.deepEqual(missed.map((s) => s.id), [], `${what} ${label}: spans missed`);
				for (let i = 1; i < seen.length; i++)
					assert.ok(cmp(known.get(seen[i - 1]), known.get(seen[i])) < 0, `${what} ${label}: ${seen[i - 1]} before ${seen[i]}`);
			};
			const fwd = [];
			let p = await page('');
			for (;;) {
				fwd.push(...p.items.map((s) => s.id));
				if (!p.has_more) break;
				p = await page(`&starting_after=${p.items.at(-1).id}`);
			}
			check(fwd, 'forward');
			const last = fwd.at(-1), back = [last];
			p = await page(`&ending_before=${last}`);
			for (;;) {
				back.unshift(...p.items.map((s) => s.id));
				if (!p.has_more) break;
				p = await page(`&ending_before=${p.items[0].id}`);
			}
			check(back, 'backward');
		}
	} finally {
		writing = false;
		await writer;
	}
});

// docs/api-scalegp.md's two mapping tables ("The mapping"), row by row against
// the server: each SGP type written through SGP is stored as its row's kind (NeMo reads it) and
// reads back as sent; a NeMo span of each kind reads through SGP with the last column's type;
// each status both ways. Every type of the seed's ApplicationOperationType is in the table.
function readmeTables() {
	const text = fs.readFileSync(path.join(SRCDIR, 'docs/api-scalegp.md'), 'utf8');
	const part = text.slice(text.indexOf('## The mapping'), text.indexOf('A `statuses` filter finds'));
	const rows = part.split('\n').filter((l) => l.startsWith('| `') || l.startsWith('| none'))
		.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
	const codes = (c) => [...c.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
	const isStatus = (r) => /^`[a-z]+`$/.test(r[1]);
	const kinds = rows.filter((r) => !isStatus(r)).map((r) => ({ kind: codes(r[0])[0], types: codes(r[1]), reads: codes(r[2])[0] }));
	const statuses = rows.filter(isStatus).map((r) => ({ sent: codes(r[0])[0], stored: codes(r[1])[0], reads: codes(r[2])[0] }));
	return { kinds, statuses };
}

test('docs/api-scalegp.md\'s mapping tables are what the server does, row by row', async () => {
	const acct = { 'x-selected-account-id': 'acct-mapping' };
	const { kinds, statuses } = readmeTables();
	assert.equal(kinds.length, 10);
	assert.equal(statuses.length, 4);
	assert.deepEqual(kinds.flatMap((k) => k.types).sort(), [...SgpSpan.properties.type.enum].sort());
	const trace = randomUUID();
	const items = [], want = [];
	for (const { kind, types } of kinds) {
		for (const type of [...types, ...(kind === 'UNKNOWN' ? ['NOT_LISTED_YET'] : [])]) {
			const id = `type-${type}`;
			items.push({ name: type, id, trace_id: trace, start_timestamp: iso(T0), status: 'SUCCESS', type });
			want.push([id, kind, type]);
		}
	}
	let r = await sgp('PUT', '/v5/spans/batch', { items }, acct);
	assert.equal(r.status, 200, r.text);
	for (const [id, kind, type] of want) {
		const n = await srv.request('GET', `${WS_PREFIX}/acct-mapping/spans/${id}`);
		assert.equal(n.json.kind, kind, `${type} is stored as ${kind}`);
		const g = await sgp('GET', `/v5/spans/${id}`, undefined, acct);
		assert.equal(g.json.type, type, `${type} reads back as sent`);
	}
	// Spans of every kind from NeMo, one without a status: the last columns.
	const nemo = kinds.map(({ kind }) => ({ span_id: `nemo-${kind}`, trace_id: 'nemo-kinds', name: kind, kind, started_at: '2025-06-01T12:00:00Z' }));
	for (const st of statuses.filter((x) => x.stored !== 'unknown')) nemo.push({ span_id: `nemo-${st.stored}`, trace_id: 'nemo-kinds', name: st.stored, status: st.stored, started_at: '2025-06-01T12:00:00Z' });
	r = await srv.request('POST', `${WS_PREFIX}/acct-mapping/ingest/spans`, { body: { source: 'test', spans: nemo }, headers: { 'Content-Type': 'application/json' } });
	assert.equal(r.status, 201, r.text);
	for (const { kind, reads } of kinds) assert.equal((await sgp('GET', `/v5/spans/nemo-${kind}`, undefined, acct)).json.type, reads, kind);
	for (const { sent, stored, reads } of statuses) {
		const id = stored === 'unknown' ? 'nemo-UNKNOWN' : `nemo-${stored}`;
		assert.equal((await srv.request('GET', `${WS_PREFIX}/acct-mapping/spans/${id}`)).json.status, stored, id);
		const g = await sgp('GET', `/v5/spans/${id}`, undefined, acct);
		assert.equal(g.json.status, reads, `${stored} reads as ${reads}`);
		// The filter finds what the reply shows.
		const f = await sgp('POST', '/v5/spans/search?limit=1000', { trace_ids: ['nemo-kinds'], statuses: [reads] }, acct);
		assert.ok(f.json.items.some((x) => x.id === id), `statuses [${reads}] finds ${id}`);
		if (!sent) continue;
		const w = await sgp('POST', '/v5/spans', { name: 's', trace_id: 'status-trace', start_timestamp: iso(T0), status: sent }, acct);
		assert.equal((await srv.request('GET', `${WS_PREFIX}/acct-mapping/spans/${w.json.id}`)).json.status, stored, sent);
	}
	// Keyed by id alone: the same id upserted under another trace is that span, moved.
	const id = randomUUID(), other = randomUUID();
	await sgp('PUT', '/v5/spans/batch', { items: [{ name: 'a', id, trace_id: trace, start_timestamp: iso(T0) }] }, acct);
	r = await sgp('PUT', '/v5/spans/batch', { items: [{ name: 'b', id, trace_id: other, start_timestamp: iso(T0), end_timestamp: iso(T0 + 1) }] }, acct);
	assert.equal((await sgp('GET', `/v5/spans/${id}`, undefined, acct)).json.trace_id, other);
	const old = await sgp('POST', '/v5/spans/search', { trace_ids: [trace], span_ids: [id] }, acct);
	assert.equal(old.json.total, 0);
});

// One store, three APIs (issue 12): a span written through SGP is read through Opik in Opik's
// shape; spans sent by the real OpenTelemetry JS exporter (t/clients) to /v1/traces are found by
// the SGP search in the SGP shape.
test('one store: SGP spans read through Opik, OTLP spans from the OpenTelemetry exporter found by SGP search', async () => {
	const acct = 'acct-cross';
	const t = sdkTrace();
	const child = { ...t.completed.child, type: 'COMPLETION', metadata: { model: 'gpt-4o' } };
	let r = await sgp('PUT', '/v5/spans/batch', { items: [t.completed.root, child] }, { 'x-selected-account-id': acct });
	assert.equal(r.status, 200, r.text);
	const opik = async (id) => {
		const g = await srv.request('GET', `/v1/private/spans/${id}`, { headers: { 'Comet-Workspace': acct } });
		assert.equal(g.status, 200, g.text);
		return g.json;
	};
	const oc = await opik(t.child);
	assert.deepEqual([oc.type, oc.name, oc.trace_id, oc.parent_span_id, oc.duration], ['llm', child.name, t.trace, t.root, 500]);
	assert.deepEqual([oc.input, oc.output], [child.input, child.output]);
	assert.equal(oc.start_time, child.start_timestamp.replace('+00:00', 'Z'));
	assert.equal(oc.end_time, child.end_timestamp.replace('+00:00', 'Z'));
	assert.equal(oc.error_info, undefined);
	const or = await opik(t.root);
	assert.deepEqual([or.type, or.parent_span_id, or.duration], ['general', null, 900]);

	// OTLP through the exporter: a chat that failed and one that did not, under an agent.
	const require = createRequire(path.join(CLIENTS, 'package.json'));
	const api = require('@opentelemetry/api');
	const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
	const { resourceFromAttributes } = require('@opentelemetry/resources');
	const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
	const done = [];
	const tracer = new BasicTracerProvider({
		resource: resourceFromAttributes({ 'service.name': 'sgp-cross' }),
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	}).getTracer('cross', '1.0.0');
	const agent = tracer.startSpan('invoke_agent helper', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper' } });
	const under = api.trace.setSpan(api.context.active(), agent);
	const chat = (name, text, failed) => {
		const s = tracer.startSpan(name, {
			kind: api.SpanKind.CLIENT,
			attributes: {
				'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o',
				'gen_ai.usage.input_tokens': failed ? 11 : 21, 'gen_ai.usage.output_tokens': failed ? 0 : 7,
				'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text }] }]),
			},
		}, under);
		if (failed) {
			s.recordException(new Error('rate limited'));
			s.setStatus({ code: api.SpanStatusCode.ERROR, message: 'rate limited' });
		}
		s.end();
		return s;
	};
	const bad = chat('chat gpt-4o', 'Plan a trip to Lisbon', true), good = chat('chat gpt-4o', 'Plan a trip to Porto', false);
	agent.end();
	const exporter = new OTLPTraceExporter({ url: `${srv.base}/v1/traces`, headers: { 'X-Workspace': acct } });
	const res = await new Promise((resolve) => exporter.export(done, resolve)).finally(() => exporter.shutdown());
	assert.equal(res.code, 0, `export failed: ${res.error}`);
	const traceId = agent.spanContext().traceId;
	const search = async (body) => {
		const x = await sgp('POST', '/v5/spans/search?limit=100', { trace_ids: [traceId], ...body }, { 'x-selected-account-id': acct });
		assert.equal(x.status, 200, x.text);
		assertPage(x.json);
		return x.json.items;
	};
	const failed = await search({ types: ['COMPLETION'], statuses: ['ERROR'] });
	assert.deepEqual(failed.map((x) => x.id), [bad.spanContext().spanId]);
	const f = failed[0];
	assert.deepEqual([f.type, f.status, f.trace_id, f.parent_id, f.input_tokens, f.output_tokens], ['COMPLETION', 'ERROR', traceId, agent.spanContext().spanId, 11, 0]);
	assert.ok(Array.isArray(f.input.messages), JSON.stringify(f.input));
	assert.match(JSON.stringify(f.input.messages), /Plan a trip to Lisbon/);
	assert.equal(f.metadata.model, 'gpt-4o');
	assert.equal(f.metadata.error_message, 'rate limited');
	const ok = await search({ types: ['COMPLETION'], statuses: ['SUCCESS'] });
	assert.deepEqual(ok.map((x) => [x.id, x.input_tokens, x.output_tokens]), [[good.spanContext().spanId, 21, 7]]);
	assert.deepEqual((await search({ search_texts: ['lisbon'] })).map((x) => x.id), [bad.spanContext().spanId]);
	assert.deepEqual((await search({ extra_metadata: { model: 'gpt-4o' } })).length, 2);
	const agents = await search({ types: ['AGENT_TRACER'], parents_only: true });
	assert.deepEqual(agents.map((x) => [x.id, x.metadata.agent_name]), [[agent.spanContext().spanId, 'helper']]);
});
