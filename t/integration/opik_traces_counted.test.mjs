// The Opik list of traces by project name alone (GET traces?project_name=P) takes its total
// from the days' counts and reads only the blocks that can hold its page (lib/query/tpage.c),
// the project's index condition standing for the line predicate (issue 57): its answer is the
// one gathering every root gives, which the same list with a filter that takes every trace
// (start_time after 1970: the predicate reads each line) still does. Checked on every page
// shape of the default project (also every span naming none: the NeMo API's) and another, on
// fresh and indexed days, with traces of two roots, deleted, and sent again.
//
// By project id (GET traces?project_id=..., the UI's): an id the worker has made of a name
// (lib/api/opik/map.c) is that name's, so the list takes the name's index condition and counts
// too, instead of testing every root's project. A worker under a read budget that every root's
// line passes (SPANDEX_QUERY_BYTES) answers the id once it has shown the project (a page by name:
// the UI lists the projects first); without the name the id stands for, it would test every
// root and be refused. A worker that never made the id tests every root, as before, and from
// then on knows it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, spandexCli, dayTime, stableId, WS_PREFIX } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer({ workers: 1, env: { SPANDEX_SYNC: '0' } });
});
after(async () => {
	await srv?.stop();
});

const WS = 'tcount';
const h = { 'Comet-Workspace': WS };
const id = (k, i) => `0190a1b2-0000-7000-${k}000-${String(i).padStart(12, '0')}`;
const ok = (r, status) => assert.equal(r.status, status, r.text);
const all = encodeURIComponent(JSON.stringify([{ field: 'start_time', operator: '>=', value: '1970-01-01T00:00:00Z' }]));

// Every page shape of project p, by the counts and by the predicate: "same", or where they part.
async function pagesSame(p, when) {
	for (const size of [1, 3, 10, 100])
		for (let page = 1; page <= 4; page++) {
			const q = `/v1/private/traces?project_name=${encodeURIComponent(p)}&size=${size}&page=${page}`;
			const got = await srv.request('GET', q, { headers: h });
			const want = await srv.request('GET', `${q}&filters=${all}`, { headers: h });
			ok(got, 200);
			ok(want, 200);
			assert.ok(want.json.total > 0, `${when}: ${p} has traces`);
			assert.deepEqual(got.json, want.json, `${when}: ${q}`);
		}
}

// Opik traces on three days, perDay a day, in the default project and in another, with a span
// each (a root's input of inputBytes); NeMo's spans naming no project: the default's, a root
// each, and a trace of two roots. Written through s as workspace ws.
async function loadDays(s, ws, perDay, inputBytes) {
	const headers = { 'Comet-Workspace': ws };
	const input = inputBytes ? { text: 'x'.repeat(inputBytes) } : undefined;
	for (let d = 1; d <= 3; d++) {
		const traces = [], spans = [];
		for (let i = 0; i < perDay; i++) {
			const n = d * 1000 + i;
			const project = i % 3 ? 'Default Project' : 'other';
			traces.push({ id: id(8, n), project_name: project, name: `t${n}`, input, start_time: dayTime(i * 60000, d), end_time: dayTime(i * 60000 + 500, d) });
			spans.push({ id: id(9, n), trace_id: id(8, n), project_name: project, name: `s${n}`, type: 'llm', start_time: dayTime(i * 60000 + 1, d) });
		}
		ok(await s.request('POST', '/v1/private/traces/batch', { body: { traces }, headers }), 204);
		ok(await s.request('POST', '/v1/private/spans/batch', { body: { spans }, headers }), 204);
		const nemo = [];
		for (let i = 0; i < 5; i++)
			nemo.push({ span_id: `n${d}-${i}`, trace_id: i === 4 ? 'twin' : `nt${d}-${i}`, started_at: dayTime(i * 90000 + 7, d) });
		ok(await s.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans: nemo } }), 201);
	}
}

// A trace deleted, one sent again in the other project.
async function change(s, ws) {
	const headers = { 'Comet-Workspace': ws };
	ok(await s.request('POST', '/v1/private/traces/delete', { body: { ids: [id(8, 1001)] }, headers }), 204);
	const moved = { id: id(8, 2002), project_name: 'other', name: 'moved', start_time: dayTime(2 * 60000, 2) };
	ok(await s.request('POST', '/v1/private/traces/batch', { body: { traces: [moved] }, headers }), 204);
}

test('a list of traces by project name alone answers as the predicate does', async () => {
	await loadDays(srv, WS, 12, 0);
	await pagesSame('Default Project', 'fresh');
	await pagesSame('other', 'fresh');
	ok(await spandexCli(['index', srv.dataDir]).then((r) => ({ status: r.code, text: r.stderr })), 0);
	await pagesSame('Default Project', 'indexed');
	await pagesSame('other', 'indexed');
	await change(srv, WS);
	await pagesSame('Default Project', 'changed');
	await pagesSame('other', 'changed');
});

// opik_project_id: a UUID of version 8's shape from the name's stable id.
const projectId = (name) => {
	const x = stableId('', 'opik-project', name);
	return `${x.slice(0, 8)}-${x.slice(8, 12)}-8${x.slice(13, 16)}-a${x.slice(17, 20)}-${x.slice(20, 32)}`;
};

test('a list of traces by project id answers as the predicate by name does, from the counts', async () => {
	// Each root's input 4 KiB: every root is about 1.9 MiB of lines, a page of 100 about 0.4.
	const budget = 1024 * 1024;
	const ws = 'tbyid', headers = { 'Comet-Workspace': ws };
	const lim = await startServer({ workers: 1, dataDir: srv.dataDir, env: { SPANDEX_SYNC: '0', SPANDEX_QUERY_BYTES: String(budget) } });
	const ref = await startServer({ workers: 1, dataDir: srv.dataDir, env: { SPANDEX_SYNC: '0' } });
	// Every page shape of project p by its id on s against the predicate by name on ref.
	const byId = async (s, p, when) => {
		for (const size of [1, 3, 10, 100])
			for (let page = 1; page <= 4; page++) {
				const q = `/v1/private/traces?size=${size}&page=${page}`;
				const got = await s.request('GET', `${q}&project_id=${projectId(p)}`, { headers });
				const want = await ref.request('GET', `${q}&project_name=${encodeURIComponent(p)}&filters=${all}`, { headers });
				ok(got, 200);
				ok(want, 200);
				assert.ok(want.json.total > 0, `${when}: ${p} has traces`);
				assert.deepEqual(got.json, want.json, `${when}: ${p} ${q}`);
			}
	};
	try {
		await loadDays(lim, ws, 150, 4096);
		// Before lim's worker made the id, it tests every root: past its budget.
		const refused = await lim.request('GET', `/v1/private/traces?project_id=${projectId('other')}&size=10`, { headers });
		assert.equal(refused.status, 400, refused.text);
		assert.match(refused.text, /budget/);
		// ref's worker never made the ids: its first page by id tests every root.
		await byId(ref, 'other', 'fresh, a worker that tests the roots first');
		await byId(ref, 'Default Project', 'fresh, a worker that tests the roots first');
		const none = await ref.request('GET', `/v1/private/traces?project_id=${projectId('no such project')}&size=10`, { headers });
		ok(none, 200);
		assert.equal(none.json.total, 0);
		// A page by name shows the ids (as the UI's list of projects does); then by id.
		for (const p of ['Default Project', 'other'])
			ok(await lim.request('GET', `/v1/private/traces?project_name=${encodeURIComponent(p)}&size=1`, { headers }), 200);
		await byId(lim, 'Default Project', 'fresh');
		await byId(lim, 'other', 'fresh');
		ok(await spandexCli(['index', srv.dataDir]).then((r) => ({ status: r.code, text: r.stderr })), 0);
		await byId(lim, 'Default Project', 'indexed');
		await byId(lim, 'other', 'indexed');
		await change(lim, ws);
		await byId(lim, 'Default Project', 'changed');
		await byId(lim, 'other', 'changed');
	} finally {
		await lim.stop();
		await ref.stop();
	}
});
