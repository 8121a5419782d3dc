// The Scale GP v5 spans API (issue 12) through nginx and cgi-bin/egp: requests shaped as the
// scale-gp-beta tracing SDK sends them (otel-egp.md §4.7; there is no SGP client on npm),
// checked against the seed page's schemas (PaginatedList_Span_, Span, HTTPValidationError):
// create, batch insert and upsert (completed beats started), get, patch, search with each
// filter, cursor paging both ways, errors, keys, and one store with the NeMo API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, WS_PREFIX } from '../harness.mjs';

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

test('the tracing SDK\'s two exports per span: the completed one wins in either order', async () => {
	const trace = randomUUID(), root = randomUUID(), child = randomUUID();
	const start = (id, parent, name, type) => ({ name, id, trace_id: trace, parent_id: parent, start_timestamp: iso(T0), input: { q: 'weather in Paris' }, output: {}, metadata: { k: 'v' }, status: 'SUCCESS', type });
	const end = (s, ms) => ({ ...s, end_timestamp: iso(T0 + ms), output: { answer: 'sunny' } });
	const r0 = start(root, undefined, 'agent', 'AGENT_WORKFLOW');
	const c0 = start(child, root, 'retrieve_docs', 'KB_RETRIEVAL');
	// The child's end arrives before its start (retries, separate batches).
	let r = await sgp('PUT', '/v5/spans/batch', { items: [r0, end(c0, 500)] });
	assert.equal(r.status, 200, r.text);
	assertPage({ ...r.json, total: 0, has_more: false });
	r = await sgp('PUT', '/v5/spans/batch', { items: [c0, end(r0, 900)] });
	assert.equal(r.status, 200, r.text);
	const got = await sgp('GET', `/v5/spans/${child}`);
	assert.equal(got.status, 200, got.text);
	assertSpan(got.json);
	assert.equal(got.json.end_timestamp.slice(0, 23), new Date(T0 + 500).toISOString().slice(0, 23));
	assert.deepEqual(got.json.output, { answer: 'sunny' });
	assert.equal(got.json.type, 'KB_RETRIEVAL');
	assert.equal(got.json.parent_id, root);
	assert.equal(got.json.account_id, ACCOUNT);
	// One store: the NeMo API sees the trace with both spans, kinds from the crosswalk.
	const nemo = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/traces/${trace}`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.span_count, 2);
	const ns = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/spans/${child}`);
	assert.equal(ns.json.kind, 'RETRIEVER');
	assert.equal(ns.json.source, 'sgp');
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
});

test('search: every filter, sort orders, and cursor paging through 250 spans both ways', async () => {
	const trace = randomUUID(), other = randomUUID();
	const items = Array.from({ length: 250 }, (_, i) => ({
		id: `sp-${String(i).padStart(3, '0')}`, name: i % 5 ? 'step' : 'plan', trace_id: i % 2 ? trace : other,
		parent_id: i % 10 ? 'sp-000' : undefined, group_id: i % 7 ? undefined : 'g1',
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
	assert.deepEqual(ids(await search({ assessment_types: ['quality'] }, all)), []);
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
	// that a walk does not chase them forever). (Re-sending a stored span while a page is read is not
	// covered: docs/ARCHITECTURE.md, "Versions and readers".)
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
