// Retention by the store's own clock (issue 55, item 7). `spandex retain --days N` removes the
// days that started before the N days it keeps, but never one that holds a span or judgement
// ingested in those days by the store's own record (ingested_at, which no client's clock sets,
// measured from the store's newest ingestion, so a host clock ahead cannot age it); and a
// judgement stays with the span it judges, whatever day its writer's clock gave it. The clocks
// are moved with t/fault/libfault.so (clockEnv): the CLI's for a host clock ahead, a program's
// for a writer whose clock is behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, spandexCli, makeSpan, dayTime, clockEnv, cgiRequest, WS_PREFIX } from '../harness.mjs';

const DAY = 86400;
let srv;
before(async () => {
	srv = await startServer({ workers: 1 });
});
after(async () => {
	await srv?.stop();
});

// The days of ws (its judgements' with sub 'judgements') that have an index, sorted.
const days = (ws, sub = '') => {
	const dir = path.join(srv.dataDir, ws, sub);
	return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.idx')).map((f) => f.slice(0, 10)).sort() : [];
};
const day = (back) => dayTime(0, back).slice(0, 10);

// spans of ws sent through NeMo's ingest, by a program whose clock is shift seconds off (0: the
// server's own).
async function ingest(ws, spans, shift = 0) {
	const body = { source: 'itest', spans };
	const r = shift
		? await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body, env: clockEnv(shift) })
		: await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body });
	assert.equal(r.status, 201, r.text);
}

async function retain(args, env = {}) {
	const r = await spandexCli(['retain', srv.dataDir, ...args, '--verbose'], { env });
	assert.equal(r.code, 0, r.stdout + r.stderr);
	return r.stdout;
}

test('with the host clock 400 days ahead, retain --days 90 removes no day ingested minutes before, rules or none', async () => {
	const ten = Array.from({ length: 10 }, (_, back) => back);
	await ingest('ahead', ten.map((back) => makeSpan(`ahead-${back}`, { started_at: dayTime(0, back) })));
	// A workspace whose Opik retention rule keeps 400 days: 800 days ahead, nothing goes either.
	await ingest('ruled', ten.map((back) => makeSpan(`ruled-${back}`, { started_at: dayTime(0, back) })));
	const rule = await srv.request('POST', '/v1/private/retention/rules', { body: { retention: 'extended_400d' }, headers: { 'Comet-Workspace': 'ruled' } });
	assert.equal(rule.status, 201, rule.text);
	const want = ten.map(day).sort();
	assert.deepEqual(days('ahead'), want);
	let out = await retain(['--days', '90', '--workspace', 'ahead'], clockEnv(400 * DAY));
	assert.deepEqual(days('ahead'), want, out);
	assert.match(out, /retain: ahead: 10 older days kept: they hold spans or judgements ingested in the kept days/);
	out = await retain(['--days', '90', '--workspace', 'ruled'], clockEnv(800 * DAY));
	assert.deepEqual(days('ruled'), want, out);
	assert.match(out, /retention rules keep 400 days/);
	// Every span still answers, and the store is sound.
	for (const back of ten) {
		const r = await srv.request('GET', `${WS_PREFIX}/ahead/spans/ahead-${back}`);
		assert.equal(r.status, 200, r.text);
	}
	const v = await spandexCli(['verify', srv.dataDir, '--workspace', 'ahead']);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('a day goes when it started and was last ingested before the kept days; one a client sent today stays', async () => {
	// Days 120 to 124 back, ingested 120 days ago (the writer's clock then); day 100 back,
	// ingested now (a client whose clock is 100 days behind); and one of today, so that the
	// store's newest ingestion is now.
	await ingest('aged', [120, 121, 122, 123, 124].map((back) => makeSpan(`aged-${back}`, { started_at: dayTime(0, back) })), -120 * DAY);
	await ingest('aged', [makeSpan('aged-late', { started_at: dayTime(0, 100) }), makeSpan('aged-now', { started_at: dayTime(0, 0) })]);
	const out = await retain(['--days', '30', '--workspace', 'aged']);
	assert.deepEqual(days('aged'), [day(100), day(0)], out);
	assert.match(out, /retain: aged: 5 days removed/);
	assert.match(out, /retain: aged: 1 older day kept: it holds spans or judgements ingested in the kept days/);
	for (const [id, status] of [['aged-late', 200], ['aged-now', 200], ['aged-120', 404]]) {
		const r = await srv.request('GET', `${WS_PREFIX}/aged/spans/${id}`);
		assert.equal(r.status, status, `${id}: ${r.text}`);
	}
});

test('a judgement written by a program whose clock was 60 days behind stays with its span, and goes with it', async () => {
	const id = (n) => `0190a1b2-0000-7000-8000-0000000077${String(n).padStart(2, '0')}`;
	const span = (n, name, back) => ({ id: id(n), trace_id: id(n + 10), project_name: 'p', name, type: 'llm', start_time: dayTime(0, back) });
	// In each workspace: span 2 started 70 days ago and was ingested then; in judged, span 1
	// starts today and is ingested now (after span 2: ingestion times only grow).
	for (const ws of ['judged', 'unjudged']) {
		const r = await cgiRequest(srv.dataDir, 'POST', '/v1/private/spans/batch', {
			body: { spans: [span(2, 'gone', 70)] }, headers: { 'Comet-Workspace': ws }, env: clockEnv(-70 * DAY),
		});
		assert.equal(r.status, 204, r.text);
	}
	const opik = { 'Comet-Workspace': 'judged' };
	let r = await srv.request('POST', '/v1/private/spans/batch', { body: { spans: [span(1, 'kept', 0)] }, headers: opik });
	assert.equal(r.status, 204, r.text);
	// Scored by a program whose clock is 60 days behind: the judgements' day is then.
	for (const [ws, ns] of [['judged', [1, 2]], ['unjudged', [2]]]) {
		r = await cgiRequest(srv.dataDir, 'PUT', '/v1/private/spans/feedback-scores', {
			body: { scores: ns.map((n) => ({ id: id(n), name: 'good', value: n, source: 'sdk' })) }, headers: { 'Comet-Workspace': ws }, env: clockEnv(-60 * DAY),
		});
		assert.ok(r.status < 300, r.text);
		assert.deepEqual(days(ws, 'judgements'), [day(60)]);
	}
	let out = await retain(['--days', '30', '--workspace', 'judged']);
	// Span 2's day went; the judgements' day stays, since span 1 stays.
	assert.deepEqual(days('judged'), [day(0)], out);
	assert.deepEqual(days('judged', 'judgements'), [day(60)], out);
	assert.match(out, /retain: judged: 1 older day of judgements kept with the spans they judge/);
	r = await srv.request('GET', `/v1/private/spans/${id(1)}`, { headers: opik });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.feedback_scores.map((f) => [f.name, f.value]), [['good', 1]]);
	// Where the span judged is gone, its judgements go with it.
	out = await retain(['--days', '30', '--workspace', 'unjudged']);
	assert.deepEqual([days('unjudged'), days('unjudged', 'judgements')], [[], []], out);
	for (const ws of ['judged', 'unjudged']) {
		const v = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
		assert.equal(v.code, 0, v.stdout + v.stderr);
	}
});
