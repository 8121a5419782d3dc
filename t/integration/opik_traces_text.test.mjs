// Opik's lists with a condition on a text (name, input or output: =, contains, starts_with,
// ends_with, as the UI's name filter asks while the user types) take the condition's value as a
// free-text term too, so the text index narrows the roots before each one's line is read
// (lib/api/opik/spans/read.c, opik_filter_terms; issue 57). The answer stays the predicate's:
// every page shape against the list of every trace filtered here, case-blind, for words,
// prefixes, the inside and the end of a word, values across a word's boundary, with
// punctuation or digits, inside a non-ASCII name, with a quote (taken as terms: their words and
// the runs between them), and values not taken as terms (two letters, a non-ASCII letter); on
// fresh, indexed and sealed days and after a trace renamed. A worker under a read budget that
// every root's line passes (SPANDEX_QUERY_BYTES) answers the name conditions the index narrows
// (a quoted one too); before, it read every root and was refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, spandexCli, dayTime } from '../harness.mjs';

let srv, lim;
const budget = 1024 * 1024;
before(async () => {
	srv = await startServer({ workers: 1, env: { SPANDEX_SYNC: '0' } });
	lim = await startServer({ workers: 1, dataDir: srv.dataDir, env: { SPANDEX_SYNC: '0', SPANDEX_QUERY_BYTES: String(budget) } });
});
after(async () => {
	await lim?.stop();
	await srv?.stop();
});

const WS = 'ttext';
const headers = { 'Comet-Workspace': WS };
const P = 'Default Project';
const id = (k, i) => `0190a1b2-0000-7000-${k}000-${String(i).padStart(12, '0')}`;
const ok = (r, status) => assert.equal(r.status, status, r.text);
const names = ['Planner step', 'Retriever', 'answer Writer', 'tool CALL', 'Summarize "notes"', 'café order', 'gpt-4o.mini chat call', 'CAFÉ Ölbaum'];
// The name of trace n, the i-th of its day: its number after the words, or before them.
const nameOf = (i, n) => (i % 2 ? `${n} ${names[i % names.length]}` : `${names[i % names.length]} ${n}`);

// perDay traces on each of three days, a root span each with an input of 4 KiB of words (every root is
// about 1.9 MiB of lines, past the budget) and an output naming its number; spans under them.
async function load(perDay) {
	for (let d = 1; d <= 3; d++) {
		const traces = [], spans = [];
		for (let i = 0; i < perDay; i++) {
			const n = d * 1000 + i;
			traces.push({ id: id(8, n), project_name: P, name: nameOf(i, n), input: { text: 'lorem ipsum dolor sit amet '.repeat(160) }, output: { text: `result ${n % 7}` }, start_time: dayTime(i * 60000, d), end_time: dayTime(i * 60000 + 500, d) });
			spans.push({ id: id(9, n), trace_id: id(8, n), project_name: P, name: `s${n}`, type: 'llm', start_time: dayTime(i * 60000 + 1, d) });
		}
		ok(await srv.request('POST', '/v1/private/traces/batch', { body: { traces }, headers }), 204);
		ok(await srv.request('POST', '/v1/private/spans/batch', { body: { spans }, headers }), 204);
	}
}

// Every trace of the project, in the list's order, from pages of 100 with no filter.
async function every() {
	const items = [];
	for (let page = 1; ; page++) {
		const r = await srv.request('GET', `/v1/private/traces?project_name=${encodeURIComponent(P)}&size=100&page=${page}`, { headers });
		ok(r, 200);
		items.push(...r.json.content);
		if (r.json.content.length < 100)
			return items;
	}
}

const low = (s) => (s ?? '').toLowerCase();
const holds = {
	'=': (s, v) => low(s) === low(v),
	contains: (s, v) => low(s).includes(low(v)),
	starts_with: (s, v) => low(s).startsWith(low(v)),
	ends_with: (s, v) => low(s).endsWith(low(v)),
};
const text = (t, field) => (field === 'name' ? t.name : JSON.stringify(t[field]));

const conds = [
	['name', 'contains', 'planner'],
	['name', 'contains', 'PLAN'],
	['name', 'contains', 'triev'],
	['name', 'contains', 'writer 2'],
	['name', 'contains', 'zzz'],
	['name', 'contains', 'Ca'],
	['name', 'contains', 'rde'],
	['name', 'ends_with', 'der'],
	['name', 'ends_with', 'ITER'],
	['name', 'contains', 't ca'],
	['name', 'contains', '4o.mi'],
	['name', 'contains', '-4o'],
	['name', 'contains', '100'],
	['name', 'starts_with', '10'],
	['name', 'starts_with', '1005 '],
	['name', 'contains', 'caf'],
	['name', 'contains', 'lbaum'],
	['name', 'contains', 'ölb'],
	['name', 'contains', '"notes"'],
	['name', 'contains', 'ize "no'],
	['name', 'ends_with', 'es"'],
	['name', 'contains', '"n'],
	['name', 'contains', 'café'],
	['name', '=', 'tool call 1003'],
	['name', 'starts_with', 'Retr'],
	['name', 'ends_with', '7'],
	['output', 'contains', 'result 3'],
	['input', 'contains', 'IPSUM dolor'],
];

// Every page shape of the list with condition c on s against every trace filtered here.
async function pagesAsFiltered(s, c, all, when) {
	const [field, operator, value] = c;
	const want = all.filter((t) => holds[operator](text(t, field), value));
	const filters = encodeURIComponent(JSON.stringify([{ field, operator, value }]));
	for (const size of [1, 3, 10, 100])
		for (let page = 1; page <= 4; page++) {
			const q = `/v1/private/traces?project_name=${encodeURIComponent(P)}&size=${size}&page=${page}&filters=${filters}`;
			const got = await s.request('GET', q, { headers });
			ok(got, 200);
			assert.equal(got.json.total, want.length, `${when}: ${c} total`);
			assert.deepEqual(got.json.content, want.slice((page - 1) * size, page * size), `${when}: ${c} size ${size} page ${page}`);
		}
}

async function allSame(when) {
	const all = await every();
	assert.equal(all.length, 3 * 150);
	for (const c of conds)
		await pagesAsFiltered(srv, c, all, when);
	// Under the budget: values in the names' words, which the text index narrows by.
	for (const c of conds.filter(([, , v]) => ['planner', 'PLAN', 'Retr', 'rde', 'lbaum', '"notes"', 'ize "no'].includes(v)))
		await pagesAsFiltered(lim, c, all, `${when}, under the budget`);
	// The spans' list takes the terms too (its spans named s<n>, one a trace).
	const filters = encodeURIComponent(JSON.stringify([{ field: 'name', operator: 'contains', value: 'S100' }]));
	const spans = await lim.request('GET', `/v1/private/spans?project_name=${encodeURIComponent(P)}&size=100&filters=${filters}`, { headers });
	ok(spans, 200);
	assert.equal(spans.json.total, all.filter((t) => `s${Number(t.id.slice(-12))}`.includes('s100')).length, when);
}

test('a list with a condition on a text answers as the predicate on every trace does', async () => {
	await load(150);
	// Past the budget when every root's line is read.
	const refused = await lim.request('GET', `/v1/private/traces?project_name=${encodeURIComponent(P)}&size=10&filters=${encodeURIComponent(JSON.stringify([{ field: 'name', operator: 'contains', value: 'e' }]))}`, { headers });
	assert.equal(refused.status, 400, refused.text);
	assert.match(refused.text, /budget/);
	await allSame('fresh');
	ok(await spandexCli(['index', srv.dataDir]).then((r) => ({ status: r.code, text: r.stderr })), 0);
	await allSame('indexed');
	// Renamed: a planner no longer one, a retriever now one.
	const renamed = [
		{ id: id(8, 1000), project_name: P, name: 'Reviewer 1000', start_time: dayTime(0, 1), end_time: dayTime(500, 1) },
		{ id: id(8, 2001), project_name: P, name: 'planner again', start_time: dayTime(60000, 2), end_time: dayTime(60500, 2) },
	];
	ok(await srv.request('POST', '/v1/private/traces/batch', { body: { traces: renamed }, headers }), 204);
	await allSame('renamed');
	// Sealed: every day before yesterday.
	ok(await spandexCli(['seal', srv.dataDir, '--workspace', WS]).then((r) => ({ status: r.code, text: r.stderr })), 0);
	await allSame('sealed');
});
