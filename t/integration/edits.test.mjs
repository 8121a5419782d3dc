// An edit leaves no previous text behind (issue 52; docs/erasure.md, "Edits"): a canary
// planted in an Opik span and trace (through the real `opik` SDK, whose update after the create
// is a PATCH), an Opik span comment and trace comment (edited by PATCH), an Opik feedback score
// and a Langfuse score (sent again under the same id), a Scale GP span and assessment (PATCH)
// and a NeMo span (sent again under its id), on a sealed and indexed day; each edited away
// through its API's own route. One `spandex erase --pending` (the cron chore) later no file
// under the data directory holds any canary (sealed files decompressed, text indexes folded),
// while the new text reads back whole through every API and verify is clean. A pass SIGKILLed
// in its reindex loses no newest version, and the next one finishes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
	startServer, ingestSpans, getSpan, spandexCli, spandexOk, dayTime, filesHolding, CLIENTS,
	WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

const WS = 'edits';
const PROJECT = 'edits-project';
const SGP_TRACE = '0190b6a0-0000-7000-8000-0000000ed001';
const LF_SCORE = 'edits-langfuse-score-1';
const NEMO_SPAN = 'edits-nemo-span-1';

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 1, spans: 1, opik: 1, langfuse: 1, egp: 1 } });
});
after(async () => {
	await srv?.stop();
});

const hdr = {
	langfuse: { Authorization: `Basic ${Buffer.from(`${WS}:unused-secret`).toString('base64')}` },
	sgp: { 'x-selected-account-id': WS },
	intake: {},
};
const call = (api, method, p, body) => srv.request(method, p, { body, headers: hdr[api] });
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${r.text}`);
const word = (i) => `EDITCANARY${i}q${Math.random().toString(36).slice(2, 10)}`;

// Everything written first, each kind with its canary (c[kind]); returns what the edits and
// the reads need.
async function plant(c, canary) {
	const at = (ms) => new Date(dayTime(ms, 2));
	const trace = c.trace({ name: 'edit-trace', startTime: at(0), input: { q: 'question' }, output: { a: `old ${canary.trace}` } });
	const span = trace.span({ name: 'llm', type: 'llm', startTime: at(5), input: { prompt: 'p' }, output: { text: `old ${canary.span}` } });
	await c.flush();
	await c.api.spans.addSpanComment(span.data.id, { body: { text: `note ${canary.spanComment}` } });
	await c.api.traces.addTraceComment(trace.data.id, { body: { text: `note ${canary.traceComment}` } });
	await c.api.spans.addSpanFeedbackScore(span.data.id, { body: { name: 'quality', value: 0.1, source: 'ui', reason: `why ${canary.opikScore}` } });
	const got = await c.api.spans.getSpanById(span.data.id);
	const tr = await c.api.traces.getTraceById(trace.data.id);
	ok(await call('langfuse', 'POST', '/api/public/scores', { id: LF_SCORE, traceId: trace.data.id, observationId: span.data.id, name: 'lf-q', value: 0.25, comment: `why ${canary.langfuseScore}` }), 200, 'langfuse score');
	const sgp = await call('sgp', 'POST', '/v5/spans', { name: 'sgp-span', trace_id: SGP_TRACE, start_timestamp: dayTime(10, 2), output: { text: `old ${canary.sgpSpan}` } });
	ok(sgp, 200, 'sgp span');
	const ass = await call('sgp', 'POST', '/v5/span-assessments', { assessment_type: 'comment', trace_id: SGP_TRACE, span_id: sgp.json.id, comment: `old ${canary.sgpAssessment}` });
	ok(ass, 200, 'sgp assessment');
	const nemo = { span_id: NEMO_SPAN, trace_id: 'edits-nemo-trace', name: 'nemo', kind: 'LLM', started_at: dayTime(20, 2), input: 'prompt', output: `old ${canary.nemoSpan}` };
	ok(await ingestSpans(WS, [nemo], { base: srv.base }), 201, 'nemo span');
	return { trace, span, spanComment: got.comments[0].id, traceComment: tr.comments[0].id, sgpSpan: sgp.json.id, sgpAssessment: ass.json.assessment_id, nemo };
}

// Each one edited through its API's own route to text naming no canary (fresh[kind]).
async function edit(c, p, fresh) {
	p.span.update({ output: { text: fresh.span } });
	p.trace.update({ output: { a: fresh.trace } });
	await c.flush(); // the SDK's PATCHes: the creates went out before
	await c.api.spans.updateSpanComment(p.spanComment, { body: { text: fresh.spanComment } });
	await c.api.traces.updateTraceComment(p.traceComment, { body: { text: fresh.traceComment } });
	await c.api.spans.addSpanFeedbackScore(p.span.data.id, { body: { name: 'quality', value: 0.9, source: 'ui', reason: fresh.opikScore } });
	ok(await call('langfuse', 'POST', '/api/public/scores', { id: LF_SCORE, traceId: p.trace.data.id, observationId: p.span.data.id, name: 'lf-q', value: 0.75, comment: fresh.langfuseScore }), 200, 'langfuse score again');
	ok(await call('sgp', 'PATCH', `/v5/spans/${p.sgpSpan}`, { output: { text: fresh.sgpSpan } }), 200, 'sgp span PATCH');
	ok(await call('sgp', 'PATCH', `/v5/span-assessments/${p.sgpAssessment}`, { comment: fresh.sgpAssessment }), 200, 'sgp assessment PATCH');
	ok(await ingestSpans(WS, [{ ...p.nemo, output: fresh.nemoSpan }], { base: srv.base }), 201, 'nemo span again');
}

// The new text of each, read back through every API that shows it.
async function readsNew(c, p, fresh) {
	const span = await c.api.spans.getSpanById(p.span.data.id);
	assert.deepEqual(span.output, { text: fresh.span }, 'Opik span');
	assert.deepEqual(span.comments.map((x) => x.text), [fresh.spanComment], 'Opik span comment');
	// Opik shows the Langfuse score of the span too: one store.
	assert.deepEqual(span.feedbackScores.map((s) => [s.name, s.value, s.reason]).sort(), [['lf-q', 0.75, fresh.langfuseScore], ['quality', 0.9, fresh.opikScore]], 'Opik scores');
	const got = await c.api.spans.getSpanComment(p.span.data.id, p.spanComment);
	assert.equal(got.text, fresh.spanComment);
	const tr = await c.api.traces.getTraceById(p.trace.data.id);
	assert.deepEqual(tr.output, { a: fresh.trace }, 'Opik trace');
	assert.deepEqual(tr.comments.map((x) => x.text), [fresh.traceComment], 'Opik trace comment');
	const ns = await getSpan(WS, p.span.data.id, { base: srv.base });
	ok(ns, 200, 'NeMo span of Opik');
	assert.ok(ns.text.includes(fresh.span), ns.text);
	const obs = await call('langfuse', 'GET', `/api/public/observations/${p.span.data.id}`);
	ok(obs, 200, 'Langfuse observation');
	assert.deepEqual(obs.json.output, { text: fresh.span });
	const lf = await call('langfuse', 'GET', `/api/public/v2/scores/${LF_SCORE}`);
	ok(lf, 200, 'Langfuse score');
	assert.equal(lf.json.comment, fresh.langfuseScore);
	assert.equal(lf.json.value, 0.75);
	const sgp = await call('sgp', 'GET', `/v5/spans/${p.sgpSpan}`);
	ok(sgp, 200, 'Scale GP span');
	assert.deepEqual(sgp.json.output, { text: fresh.sgpSpan });
	const ass = await call('sgp', 'GET', `/v5/span-assessments/${p.sgpAssessment}`);
	ok(ass, 200, 'Scale GP assessment');
	assert.equal(ass.json.comment, fresh.sgpAssessment);
	const nemo = await getSpan(WS, NEMO_SPAN, { base: srv.base });
	ok(nemo, 200, 'NeMo span');
	assert.equal(nemo.json.output, fresh.nemoSpan);
}

const KINDS = ['trace', 'span', 'spanComment', 'traceComment', 'opikScore', 'langfuseScore', 'sgpSpan', 'sgpAssessment', 'nemoSpan'];
const texts = (f) => Object.fromEntries(KINDS.map((k, i) => [k, f(k, i)]));
const noCanaryLeft = (canary) => {
	for (const k of KINDS)
		assert.deepEqual(filesHolding(srv.dataDir, canary[k]), [], `${k}: no byte of the previous text under the data directory`);
};
let c, p;

test('every API\'s edit leaves no byte of the previous text after one pass; the new text reads back whole', async () => {
	c = new Opik({ apiUrl: srv.base, projectName: PROJECT, workspaceName: WS });
	const canary = texts((k, i) => word(i));
	const fresh = texts((k) => `new text of the ${k}`);
	p = await plant(c, canary);
	// The first versions in sealed blocks and the text index.
	await spandexOk(['seal', srv.dataDir, '--older-than', '0']);
	await spandexOk(['index', srv.dataDir]);
	await edit(c, p, fresh);
	await readsNew(c, p, fresh);
	for (const k of KINDS)
		assert.notDeepEqual(filesHolding(srv.dataDir, canary[k]), [], `${k}: the previous text is stored until the pass`);
	const pass = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	noCanaryLeft(canary);
	assert.match(pass.stdout, /0 requests in 0 workspaces done \(and edits in 1 more\)/);
	await readsNew(c, p, fresh);
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	// Nothing edited since: the next pass writes nothing.
	const idle = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	assert.match(idle.stdout, /: 0 versions taken out of 0 days/);
});

test('a pass SIGKILLed in its reindex loses no newest version, and the next pass finishes', async () => {
	const canary = texts((k, i) => word(10 + i));
	const mid = texts((k) => `mid ${canary[k]}`), fresh = texts((k) => `newer text of the ${k}`);
	await edit(c, p, mid);
	await edit(c, p, fresh);
	// Killed once its first new index is in place (the judgements' days, or the spans').
	const k = await spandexCli(['erase', srv.dataDir, '--pending'], { env: { SPANDEX_TEST_KILL_IN_REINDEX: '1' } });
	assert.equal(k.signal, 'SIGKILL', JSON.stringify(k));
	await readsNew(c, p, fresh);
	await spandexOk(['erase', srv.dataDir, '--pending']);
	noCanaryLeft(canary);
	await readsNew(c, p, fresh);
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});
