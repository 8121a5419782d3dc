// The Opik list of traces by project name alone (GET traces?project_name=P) takes its total
// from the days' counts and reads only the blocks that can hold its page (lib/query/tpage.c),
// the project's index condition standing for the line predicate (issue 57): its answer is the
// one gathering every root gives, which the same list with a filter that takes every trace
// (start_time after 1970: the predicate reads each line) still does. Checked on every page
// shape of the default project (also every span naming none: the NeMo API's) and another, on
// fresh and indexed days, with traces of two roots, deleted, and sent again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, spandexCli, dayTime, WS_PREFIX } from '../harness.mjs';

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

test('a list of traces by project name alone answers as the predicate does', async () => {
	// Opik traces on three days, in the default project and in another, with a span each.
	for (let d = 1; d <= 3; d++) {
		const traces = [], spans = [];
		for (let i = 0; i < 12; i++) {
			const n = d * 100 + i;
			const project = i % 3 ? 'Default Project' : 'other';
			traces.push({ id: id(8, n), project_name: project, name: `t${n}`, start_time: dayTime(i * 60000, d), end_time: dayTime(i * 60000 + 500, d) });
			spans.push({ id: id(9, n), trace_id: id(8, n), project_name: project, name: `s${n}`, type: 'llm', start_time: dayTime(i * 60000 + 1, d) });
		}
		ok(await srv.request('POST', '/v1/private/traces/batch', { body: { traces }, headers: h }), 204);
		ok(await srv.request('POST', '/v1/private/spans/batch', { body: { spans }, headers: h }), 204);
		// NeMo's spans name no project: the default's, a root each, and a trace of two roots.
		const nemo = [];
		for (let i = 0; i < 5; i++)
			nemo.push({ span_id: `n${d}-${i}`, trace_id: i === 4 ? 'twin' : `nt${d}-${i}`, started_at: dayTime(i * 90000 + 7, d) });
		ok(await srv.request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: { source: 'itest', spans: nemo } }), 201);
	}
	await pagesSame('Default Project', 'fresh');
	await pagesSame('other', 'fresh');
	ok(await spandexCli(['index', srv.dataDir]).then((r) => ({ status: r.code, text: r.stderr })), 0);
	await pagesSame('Default Project', 'indexed');
	await pagesSame('other', 'indexed');
	// A trace deleted, one sent again in the other project, after the index.
	ok(await srv.request('POST', '/v1/private/traces/delete', { body: { ids: [id(8, 101)] }, headers: h }), 204);
	const moved = { id: id(8, 202), project_name: 'other', name: 'moved', start_time: dayTime(2 * 60000, 2) };
	ok(await srv.request('POST', '/v1/private/traces/batch', { body: { traces: [moved] }, headers: h }), 204);
	await pagesSame('Default Project', 'changed');
	await pagesSame('other', 'changed');
});
