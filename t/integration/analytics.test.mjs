// Issue 16: the files as DuckDB and jq see them. A span re-sent with the same id is a new line
// in the files, so a naive SUM over the JSONL counts it twice; analytics/spandex.sql (DuckDB
// macros) and analytics/live.jq (a jq program) count each span once, newest version first,
// over open and sealed days of every workspace. Both are checked against the API's answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexOk, makeSpan, dayTime, WS_PREFIX, SRCDIR, CLIENTS } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

let srv;
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
});
after(async () => {
	await srv?.stop();
});

const WORKSPACES = ['analytics-a', 'analytics-b'];
const MODELS = ['gpt-4o', 'claude-3', 'llama'];

// Ten spans per workspace over three days (two of them sealed below), each with a cost; then
// half of them re-sent with a new cost (and one moved to another day), as a retry would.
async function fill(ws) {
	const spans = [];
	for (let i = 0; i < 10; i++) {
		spans.push(makeSpan(`${ws}-s${i}`, {
			trace_id: `${ws}-t${i % 3}`,
			started_at: dayTime(i * 1000, 1 + (i % 3)),
			attributes: { 'gen_ai.request.model': MODELS[i % 3], 'llm.cost.total': 0.001 * (i + 1) },
		}));
	}
	let r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'a', spans } });
	assert.equal(r.status, 201, r.text);
	const again = spans.filter((_, i) => i % 2 === 0).map((s, k) => ({
		...s,
		started_at: k === 0 ? dayTime(5000, 1) : s.started_at,
		attributes: { ...s.attributes, 'llm.cost.total': 0.0004 * (k + 1) },
	}));
	r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'a', spans: again } });
	assert.equal(r.status, 201, r.text);
}

// What the API says: every live span of ws, by listing it.
async function apiSpans(ws) {
	const r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=1000`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.pagination.total_results, r.json.data.length);
	return r.json.data;
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;
function summary(spans) {
	const byModel = {};
	let cost = 0;
	for (const s of spans) {
		byModel[s.model] = (byModel[s.model] || 0) + 1;
		cost += s.cost_total_usd || 0;
	}
	return { n: spans.length, cost: round6(cost), byModel };
}

test('DuckDB macros and the jq recipe count what the API counts, re-sent, late, sealed and deleted spans included', async () => {
	for (const ws of WORKSPACES) await fill(ws);
	// Seal every day before today: the oldest two are sealed, the newest stays open.
	await spandexOk(['seal', srv.dataDir, '--older-than', '1']);
	const sealed = fs.readdirSync(path.join(srv.dataDir, WORKSPACES[0])).filter((f) => f.endsWith('.jsonl.zst'));
	assert.ok(sealed.length >= 1, `sealed days: ${sealed}`);
	for (const ws of WORKSPACES) {
		// Late lines of a sealed day: a new span, and a new version of a sealed one (s2).
		const late = [
			makeSpan(`${ws}-late`, { trace_id: `${ws}-t1`, started_at: dayTime(7000, 3), attributes: { 'gen_ai.request.model': 'llama', 'llm.cost.total': 0.02 } }),
			makeSpan(`${ws}-s2`, { trace_id: `${ws}-t2`, started_at: dayTime(2000, 3), attributes: { 'gen_ai.request.model': 'llama', 'llm.cost.total': 0.03 } }),
		];
		const r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'a', spans: late } });
		assert.equal(r.status, 201, r.text);
	}
	assert.ok(fs.readdirSync(path.join(srv.dataDir, WORKSPACES[0])).some((f) => f.endsWith('.late.jsonl')), 'a late file');
	// A delete (Opik's, of trace t0 and its spans) in the first workspace: a tombstone version
	// that every reader must leave out.
	const del = await srv.request('POST', '/v1/private/traces/delete', {
		body: { ids: [`${WORKSPACES[0]}-t0`] }, headers: { 'Comet-Workspace': WORKSPACES[0], 'Content-Type': 'application/json' } });
	assert.equal(del.status, 204, del.text);

	const db = await DuckDBInstance.create(':memory:');
	const c = await db.connect();
	await c.run(fs.readFileSync(path.join(SRCDIR, 'analytics', 'spandex.sql'), 'utf8'));
	const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();
	const data = srv.dataDir.replaceAll("'", "''");

	const jqLive = execFileSync('sh', ['-c',
		`zstdcat -qcf "$1"/*/*.jsonl "$1"/*/*.jsonl.zst 2>/dev/null | jq -c -n -R -f "$2"`, 'sh',
		srv.dataDir, path.join(SRCDIR, 'analytics', 'live.jq')], { encoding: 'utf8' })
		.split('\n').filter(Boolean).map((l) => JSON.parse(l));

	for (const ws of WORKSPACES) {
		const api = summary(await apiSpans(ws));
		// Ten, one late, and in the first workspace trace t0's four spans deleted.
		assert.equal(api.n, ws === WORKSPACES[0] ? 7 : 11);
		const duck = await rows(`SELECT count(*)::INTEGER AS n, round(sum(cost_total_usd), 6) AS total
			FROM spandex_workspace_spans('${data}', '${ws}')`);
		assert.deepEqual({ n: duck[0].n, cost: round6(duck[0].total) }, { n: api.n, cost: api.cost }, `DuckDB, ${ws}`);
		const models = await rows(`SELECT model, count(*)::INTEGER AS n FROM spandex_spans('${data}')
			WHERE workspace = '${ws}' GROUP BY 1`);
		assert.deepEqual(Object.fromEntries(models.map((m) => [m.model, m.n])), api.byModel, `DuckDB models, ${ws}`);
		assert.deepEqual(summary(jqLive.filter((s) => s.workspace === ws)), api, `jq, ${ws}`);
		// The naive sum over the lines counts the re-sent spans twice: the point of the macros.
		const naive = await rows(`SELECT count(*)::INTEGER AS n FROM spandex_lines('${data}/${ws}/*.jsonl*')`);
		assert.equal(naive[0].n, ws === WORKSPACES[0] ? 21 : 17);
	}
});
