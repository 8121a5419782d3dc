// Hostile input (issue 13), as a script that stays in the suite: 900 requests made from a fixed
// seed against every surface (NeMo, OTLP, Opik, Scale GP, the viewer, healthz): paths with
// traversal, encoded NULs and overlong UTF-8, every method, wrong and missing content types,
// broken gzip, junk workspace and account headers, and bodies that are random bytes, cut JSON,
// deep nesting, NULs, lone surrogates, huge numbers and ids, wrong types in every field. None
// may answer 5xx; afterwards every program is still up (the harness fails on a sanitizer
// report), the spans stored before are read back byte for byte, and spandex verify is clean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, request, ingestSpans, makeSpan, spandexOk, alive, WS_PREFIX, rng } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer({ workers: 1 });
});
after(async () => {
	await srv?.stop();
});


const WS = 'hostile';
const BASES = [
	`${WS_PREFIX}/${WS}/ingest/spans`, `${WS_PREFIX}/${WS}/ingest/chat-completions`, `${WS_PREFIX}/${WS}/ingest/atif`,
	`${WS_PREFIX}/${WS}/spans`, `${WS_PREFIX}/${WS}/spans/groups`, `${WS_PREFIX}/${WS}/spans/stats`,
	`${WS_PREFIX}/${WS}/traces`, `${WS_PREFIX}/${WS}/sessions`, `${WS_PREFIX}/${WS}/spans/s-1`,
	`${WS_PREFIX}/${WS}/traces/t-1`, '/v1/traces', '/v1/private/spans/batch', '/v1/private/traces/batch',
	'/v1/private/spans', '/v1/private/traces', '/v1/private/spans/search', '/v1/private/traces/search',
	'/v1/private/spans/stats', '/v1/private/projects', '/v1/private/traces/delete', '/api/v1/private/spans/s-1',
	'/v5/spans', '/v5/spans/search', '/v5/spans/batch', '/v5/spans/s-1', '/healthz', '/ui/', '/',
];
const METHODS = ['GET', 'POST', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const SEGMENTS = ['..', '%2e%2e', '%2F', '%00', '%c0%af', '%ff', 'a'.repeat(3000), '%E2%80%AE', '.', '~', '%25', '\u00e9'];
const QUERIES = ['', '?page=-1', '?page_size=99999999999999999999', '?filter=%7B%22a%22', '?filter=' + '%5B'.repeat(500),
	'?limit=0', '?limit=abc', '?sort=%00', '?project_name=', '?filters=%5B%7B%7D%5D', '?a=1&a=2&a=3', '?%zz', '?' + 'k=v&'.repeat(400),
	'?from_ts=9999999999999', '?starting_after=nope&ending_before=nope', '?search=' + '%F0%9F'.repeat(10)];

function junkJson(r) {
	const pick = (xs) => xs[Math.floor(r() * xs.length)];
	const id = () => pick(['', ' ', '..', '/', 'a/b', 'x'.repeat(2000), '\u0000', '\ud800', 'é', 17, null, [], {}]);
	const span = () => ({
		span_id: id(), trace_id: id(), id: id(), name: pick(['', 'x'.repeat(100000), 5, null]),
		started_at: pick(['', 'yesterday', '2026-13-45T99:99:99Z', 1e300, '0000-01-01T00:00:00Z', null]),
		start_time: pick(['2026-01-01T00:00:00Z', 'x', -1]), start_timestamp: pick(['2026-01-01T00:00:00Z', {}, 'now']),
		kind: pick(['LLM', 'llm', '', 'NOPE', 1]), type: pick(['llm', 'COMPLETION', 'agent', [], null]),
		input: pick(['x', {}, [1, [2, [3]]], 1e308, -0]), attributes: pick([{ 'gen_ai.usage.input_tokens': 'many' }, [], 'x', { '': { '': 1 } }]),
		usage: pick([{ total_tokens: -5 }, { prompt_tokens: 1e400 }, 'x']), metadata: pick([{ a: { b: { c: 1 } } }, 5]),
	});
	return pick([
		() => ({ source: 'h', spans: Array.from({ length: 1 + Math.floor(r() * 3) }, span) }),
		() => ({ spans: span() }), () => ({ traces: [span()] }), () => ({ items: [span(), span()] }),
		() => span(), () => [span()], () => ({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(), spanId: id() }] }] }] }),
		() => ({ messages: pick([[], [{ role: 'user', content: id() }], 'x']), model: id(), choices: 7 }),
		() => ({ schema_version: 'ATIF-v9', steps: [{ step_id: -1 }], session_id: id() }),
		() => ({ ids: pick([[], ['x'], 'x', Array(2000).fill('a')]) }), () => ({ project_name: id(), filters: pick(['x', [{}], [{ field: 'name', operator: 'zz' }]]), limit: pick([0, -1, 1e9, 'x']) }),
		() => ({ statuses: pick([['DONE'], 'ERROR', [1]]), types: [id()], search_texts: pick([['a'], Array(50).fill('ab')]), extra_metadata: pick([[], { k: [[]] }]) }),
	])();
}

function body(r) {
	const x = r();
	if (x < 0.15) return Buffer.from(Array.from({ length: Math.floor(r() * 2000) }, () => Math.floor(r() * 256)));
	if (x < 0.25) return JSON.stringify(junkJson(r)).slice(0, Math.floor(r() * 200)); // cut
	if (x < 0.3) return '['.repeat(20000) + ']'.repeat(20000); // deep
	if (x < 0.35) return '{"spans":[{"span_id":"a\\u0000b","x":"\\ud800"}], "spans": 1}';
	if (x < 0.4) return '{"a":' + '1'.repeat(5000) + '}';
	return JSON.stringify(junkJson(r));
}

function headers(r) {
	const pick = (xs) => xs[Math.floor(r() * xs.length)];
	const h = {};
	const ct = pick([undefined, 'application/json', 'application/json', 'application/json', 'text/plain', 'application/x-protobuf', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', '']);
	if (ct !== undefined) h['Content-Type'] = ct;
	if (r() < 0.15) h['Comet-Workspace'] = pick(['', '..', 'a/b', 'x'.repeat(300), 'ÄÖ', 'default']);
	if (r() < 0.15) h['x-selected-account-id'] = pick(['', '../etc', 'x'.repeat(300), WS]);
	if (r() < 0.2) h.Authorization = pick(['Bearer', 'Bearer ' + 'x'.repeat(4000), 'Basic Og==', '\t']);
	return h;
}

async function stored() {
	const r = await request('GET', `${WS_PREFIX}/${WS}/spans?page_size=100`);
	assert.equal(r.status, 200, r.text);
	return r.json.data.map((s) => JSON.stringify(s)).sort();
}

test('900 hostile requests: never a 5xx, every program up, the stored spans unchanged, verify clean', { timeout: 600000 }, async () => {
	const spans = Array.from({ length: 20 }, (_, i) => makeSpan(`keep-${i}`, { name: `kept ${i}` }));
	assert.equal((await ingestSpans(WS, spans)).status, 201);
	const before = await stored();
	const r = rng(20261122);
	const bad = [];
	const seen = {};
	for (let i = 0; i < 900; i++) {
		const pick = (xs) => xs[Math.floor(r() * xs.length)];
		let p = pick(BASES);
		if (r() < 0.15) p += `/${pick(SEGMENTS)}`;
		if (r() < 0.1) p = p.replace(`/${WS}/`, `/${pick(SEGMENTS)}/`);
		if (r() < 0.4) p += pick(QUERIES);
		const method = pick(METHODS);
		const h = headers(r);
		let b = ['POST', 'PUT', 'PATCH'].includes(method) || r() < 0.1 ? body(r) : undefined;
		if (b !== undefined && r() < 0.15) {
			h['Content-Encoding'] = pick(['gzip', 'deflate', 'br', 'gzip, gzip']);
			if (r() < 0.5) b = zlib.gzipSync(Buffer.from(typeof b === 'string' ? b : b)).subarray(0, 30);
		}
		const res = await request(method, p, { body: b, headers: h }).catch((e) => ({ status: 0, text: String(e) }));
		// A dropped connection is as bad as a 5xx: something died mid-request.
		seen[res.status] = (seen[res.status] || 0) + 1;
		if (res.status >= 500 || res.status === 0) bad.push(`${method} ${p.slice(0, 120)} -> ${res.status} ${String(res.text).slice(0, 200)}`);
	}
	assert.deepEqual(bad, []);
	console.log(JSON.stringify(seen));
	for (const [name, p] of Object.entries(srv.procs)) assert.ok(alive(p.pid), `${name} is down`);
	assert.deepEqual(await stored(), before);
	await spandexOk(['verify', srv.dataDir]);
});

// A null in each field of each create, one at a time: `"id": null` killed the worker of Scale
// GP's and Opik's creates (a span with no id reached the store). Every answer is below 500,
// the absent-or-null ids are made, and every program is still up.
test('a null in each field of every create: never a 5xx, ids made when null', async () => {
	const t = '2025-06-03T00:00:00Z';
	const otrace = '0193d0b4-0000-7000-8000-00000000a001';
	const creates = [
		['POST', `${WS_PREFIX}/${WS}/ingest/spans`, (sp) => ({ source: 'h', spans: [sp] }),
			{ span_id: 'n-1', trace_id: 'nt', parent_span_id: 'p', name: 'n', kind: 'LLM', status: 'success', started_at: t, ended_at: t, input: 'x', output: 'y', attributes: {} }],
		['POST', '/v1/private/spans', (sp) => sp,
			{ id: null, trace_id: otrace, parent_span_id: null, project_name: 'p', name: 'n', type: 'llm', start_time: t, end_time: t, input: {}, output: {}, metadata: {}, usage: {}, model: 'm', provider: 'x', tags: [] }],
		['POST', '/v1/private/spans/batch', (sp) => ({ spans: [sp] }),
			{ id: null, trace_id: otrace, project_name: 'p', name: 'n', type: 'llm', start_time: t }],
		['POST', '/v1/private/traces', (sp) => sp, { id: null, project_name: 'p', name: 'n', start_time: t, end_time: t, input: {}, output: {}, thread_id: 'th' }],
		['POST', '/v1/private/traces/batch', (sp) => ({ traces: [sp] }), { id: null, project_name: 'p', name: 'n', start_time: t }],
		['POST', '/v5/spans', (sp) => sp, { id: null, name: 'n', trace_id: 'st', parent_id: 'p', start_timestamp: t, end_timestamp: t, input: {}, output: {}, metadata: {}, status: 'SUCCESS', type: 'COMPLETION' }],
		['POST', '/v5/spans/batch', (sp) => ({ items: [sp] }), { id: null, name: 'n', trace_id: 'st', start_timestamp: t }],
		['PUT', '/v5/spans/batch', (sp) => ({ items: [sp] }), { id: null, name: 'n', trace_id: 'st', start_timestamp: t }],
	];
	const bad = [];
	for (const [method, p, wrap, tmpl] of creates) {
		for (const k of Object.keys(tmpl)) {
			const r = await request(method, p, { body: wrap({ ...tmpl, [k]: null }), headers: { 'Comet-Workspace': WS, 'x-selected-account-id': WS } });
			if (r.status >= 500 || r.status === 0) bad.push(`${method} ${p} ${k}: null -> ${r.status} ${r.text.slice(0, 200)}`);
		}
	}
	assert.deepEqual(bad, []);
	for (const [name, pr] of Object.entries(srv.procs)) assert.ok(alive(pr.pid), `${name} is down`);
	// The null id is made, as when it is absent: Location names it.
	const made = await request('POST', '/v1/private/traces', { body: { id: null, project_name: 'p', name: 'n', start_time: t }, headers: { 'Comet-Workspace': WS } });
	assert.equal(made.status, 201, made.text);
	assert.match(made.headers.location, /\/v1\/private\/traces\/[0-9a-f-]{36}$/);
	const sgp = await request('POST', '/v5/spans', { body: { id: null, name: 'n', trace_id: 'st', start_timestamp: t }, headers: { 'x-selected-account-id': WS } });
	assert.equal(sgp.status, 200, sgp.text);
	assert.match(sgp.json.id, /^[0-9a-f-]{36}$/);
	const tnull = await request('POST', '/v5/spans', { body: { name: 'n', trace_id: null, start_timestamp: t }, headers: { 'x-selected-account-id': WS } });
	assert.equal(tnull.status, 422, tnull.text);
});

// A time whose offset moves it outside years 1-9999 (0001-01-01T00:00:00+14:00 is
// 0000-12-31T10:00:00Z): every surface answered 201/200 and stored it in a day file named
// 0000-12-31 or a cut 10000-01-0, which no list, stats, verify, export or retain read. Each
// is now refused as that surface refuses 0000-12-31T00:00:00Z, body and all; a window's bound
// too; the edges of the range are taken, and every day file has a name a listing reads.
test('a time an offset moves outside years 1-9999 is refused as year 0 is, on every surface', async () => {
	const ws = 'tzrange';
	const h = { 'Comet-Workspace': ws, 'x-selected-account-id': ws };
	const YEAR0 = '0000-12-31T00:00:00Z';
	const OUT = ['0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00', '9999-12-31T23:59:59.999999-00:01', '0001-01-01T00:59:59+01:00'];
	const ot = '0193d0b4-0000-7000-8000-00000000b001';
	const ok = '2025-06-03T00:00:00Z';
	assert.equal((await request('POST', '/v1/private/spans', { body: { id: '0193d0b4-0000-7000-8000-00000000b002', trace_id: ot, name: 'n', start_time: ok }, headers: h })).status, 201);
	const q = encodeURIComponent;
	const nemo = `${WS_PREFIX}/${ws}`;
	// [method, path of the value, body of the value or undefined]
	const cases = [
		(v) => ['POST', `${nemo}/ingest/spans`, { source: 'h', spans: [{ span_id: 'r1', trace_id: 't', name: 'n', kind: 'LLM', status: 'success', started_at: v }] }],
		(v) => ['POST', `${nemo}/ingest/spans`, { source: 'h', spans: [{ span_id: 'r2', trace_id: 't', name: 'n', kind: 'LLM', status: 'success', started_at: ok, ended_at: v }] }],
		(v) => ['POST', '/v1/private/spans', { id: '0193d0b4-0000-7000-8000-00000000b003', trace_id: ot, name: 'n', start_time: v }],
		(v) => ['POST', '/v1/private/spans/batch', { spans: [{ id: '0193d0b4-0000-7000-8000-00000000b004', trace_id: ot, name: 'n', start_time: v }] }],
		(v) => ['POST', '/v1/private/traces', { id: '0193d0b4-0000-7000-8000-00000000b005', name: 'n', start_time: v }],
		(v) => ['POST', '/v1/private/traces/batch', { traces: [{ id: '0193d0b4-0000-7000-8000-00000000b006', name: 'n', start_time: ok, end_time: v }] }],
		(v) => ['PATCH', '/v1/private/spans/0193d0b4-0000-7000-8000-00000000b002', { trace_id: ot, start_time: v }],
		(v) => ['POST', '/v5/spans', { id: 'g1', name: 'n', trace_id: 'st', start_timestamp: v }],
		(v) => ['POST', '/v5/spans', { id: 'g2', name: 'n', trace_id: 'st', start_timestamp: ok, end_timestamp: v }],
		(v) => ['POST', '/v5/spans/batch', { items: [{ id: 'g3', name: 'n', trace_id: 'st', start_timestamp: v }] }],
		(v) => ['PUT', '/v5/spans/batch', { items: [{ id: 'g4', name: 'n', trace_id: 'st', start_timestamp: v }] }],
		(v) => ['GET', `${nemo}/spans/stats?start=${q(v)}&end=${q(ok)}`],
		(v) => ['GET', `${nemo}/spans?filter=${q(JSON.stringify({ started_at: { $gte: v } }))}`],
		(v) => ['GET', `/v1/private/spans?project_name=Default%20Project&from_time=${q(v)}`],
		(v) => ['GET', `/v1/private/spans?project_name=Default%20Project&filters=${q(JSON.stringify([{ field: 'start_time', operator: '>=', value: v }]))}`],
		(v) => ['POST', `/v5/spans/search?from_ts=${q(v)}`, {}],
	];
	const bad = [];
	for (const make of cases) {
		const [m0, p0, b0] = make(YEAR0);
		const want = await request(m0, p0, { body: b0, headers: h });
		if (want.status < 400 || want.status >= 500) bad.push(`${m0} ${p0}: year 0 -> ${want.status}`);
		for (const v of OUT) {
			const [m, p, b] = make(v);
			const got = await request(m, p, { body: b, headers: h });
			const text = got.text.replaceAll(v, YEAR0);
			if (got.status !== want.status || text !== want.text)
				bad.push(`${m} ${p} ${v}: ${got.status} ${got.text.slice(0, 160)}; year 0: ${want.status} ${want.text.slice(0, 160)}`);
		}
	}
	assert.deepEqual(bad, []);
	// A null started_at was no time at all (INT64_MIN), stored in a day some 290,000 years
	// before year 1 under a cut name: now pydantic's datetime_type, as NeMo answers.
	const nul = await ingestSpans(ws, [{ span_id: 'r3', trace_id: 't', name: 'n', started_at: null }]);
	assert.equal(nul.status, 422, nul.text);
	assert.equal(nul.json.detail[0].type, 'datetime_type', nul.text);
	// The edges of the range are times like any other.
	const edges = ['0001-01-01T00:00:00Z', '0001-01-01T01:00:00+01:00', '9999-12-31T23:59:59.999999Z', '9999-12-31T09:59:59-14:00'];
	const r = await ingestSpans(ws, edges.map((t, i) => makeSpan(`edge-${i}`, { trace_id: 'edge', started_at: t })));
	assert.equal(r.status, 201, r.text);
	const list = await request('GET', `${nemo}/spans?page_size=100&filter=${q(JSON.stringify({ trace_id: 'edge' }))}`);
	assert.equal(list.status, 200, list.text);
	assert.deepEqual(list.json.data.map((s) => s.started_at).sort(),
		['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59Z']);
	const names = fs.readdirSync(path.join(srv.dataDir, ws)).filter((n) => /^\d/.test(n));
	assert.deepEqual(names.filter((n) => !/^\d{4}-\d\d-\d\d\./.test(n) || n.startsWith('0000-')), []);
	await spandexOk(['verify', srv.dataDir, '--workspace', ws]);
});
