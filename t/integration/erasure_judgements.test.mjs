// A judgement deleted on its own is an erasure (issue 52; docs/erasure.md, "Judgements deleted
// alone"): a NeMo annotation, Opik feedback scores of a span, a trace and a thread, Opik
// comments of a span, a trace and a thread, a Langfuse score and a Scale GP assessment, each
// with a unique canary in its text, deleted through its API's own route: each answers as that
// API does and hides it at once; `spandex erase --pending` then leaves no byte of any canary
// in any file of the data directory, while the other judgements of the same trace and its
// spans read back through every API, and verify is clean. A judgement erased from the command
// line and a pass SIGKILLed are done or pending, and the next pass finishes them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, spandexCli, spandexOk, dayTime, filesHolding, WS_PREFIX } from '../harness.mjs';

const WS = 'jerase';
const PROJECT = 'jerase-project';
const THREAD = 'jerase-thread';
const TRACE = '0190b6a0-0000-7000-8000-00000000e001';
const ROOT = '0190b6a0-0000-7000-8000-00000000e101';
const CHILD = '0190b6a0-0000-7000-8000-00000000e102';

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 1, spans: 1, opik: 1, langfuse: 1, egp: 1 } });
});
after(async () => {
	await srv?.stop();
});

const hdr = {
	opik: { 'Comet-Workspace': WS },
	langfuse: { Authorization: `Basic ${Buffer.from(`${WS}:unused-secret`).toString('base64')}` },
	sgp: { 'x-selected-account-id': WS },
	intake: {},
};
const call = (api, method, p, body) => srv.request(method, p, { body, headers: hdr[api] });
const opik = (method, p, body) => call('opik', method, `/v1/private/${p}`, body);
const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${r.text}`);

// A trace of Opik's (a root span and a child, in a thread) the judgements are on.
async function trace() {
	ok(await opik('POST', 'traces/batch', { traces: [{ id: TRACE, name: 'chat', project_name: PROJECT, start_time: dayTime(0), end_time: dayTime(50), thread_id: THREAD, input: { q: 'hello' }, output: { a: 'hi' } }] }), 204, 'trace');
	ok(await opik('POST', 'spans/batch', { spans: [
		{ id: ROOT, trace_id: TRACE, project_name: PROJECT, name: 'agent', type: 'general', start_time: dayTime(1), end_time: dayTime(40) },
		{ id: CHILD, trace_id: TRACE, parent_span_id: ROOT, project_name: PROJECT, name: 'llm', type: 'llm', start_time: dayTime(2), end_time: dayTime(30), input: { prompt: 'p' }, output: { text: 't' } }] }), 204, 'spans');
}

async function threadModel() {
	const r = await opik('POST', 'traces/threads/retrieve', { project_name: PROJECT, thread_id: THREAD });
	ok(r, 200, 'thread');
	return r.json.thread_model_id;
}

// Opik's feedback scores of a span or trace (entity: spans or traces), by name.
const opikScore = (entity, id) => ({
	make: async (reason, name = `${entity}-q`) => {
		ok(await opik('PUT', `${entity}/${id}/feedback-scores`, { name, value: 0.5, reason, source: 'ui' }), 204, `${entity} score`);
		return name;
	},
	del: async (name) => ok(await opik('POST', `${entity}/${id}/feedback-scores/delete`, { name }), 204, `${entity} score delete`),
	shown: async (name) => (await opik('GET', `${entity}/${id}`)).json.feedback_scores?.some((s) => s.name === name) ?? false,
});

// Opik's comments of what at() names (a span, trace or thread's path), deleted in a batch of
// the routes of group.
const opikComment = (at, group) => ({
	make: async (text) => {
		const r = await opik('POST', `${await at()}/comments`, { text });
		ok(r, 201, `${group} comment`);
		return r.headers.location.split('/').pop();
	},
	del: async (id) => ok(await opik('POST', `${group}/comments/delete`, { ids: [id] }), 204, `${group} comment delete`),
	shown: async (id) => (await opik('GET', `${await at()}/comments/${id}`)).status === 200,
});

// Each kind of judgement the APIs delete alone: make(text) writes one whose text is text and
// gives its id; del(id) deletes it through its API's route and checks the answer; shown(id)
// says whether the API still shows it.
const kinds = {
	'NeMo annotation': {
		make: async (text) => {
			const r = await call('intake', 'POST', `${WS_PREFIX}/${WS}/annotations`, { kind: 'note', span_id: CHILD, session_id: THREAD, text });
			ok(r, 201, 'annotation');
			return r.json.annotation_id;
		},
		del: async (id) => ok(await call('intake', 'DELETE', `${WS_PREFIX}/${WS}/annotations/${id}`), 204, 'annotation delete'),
		shown: async (id) => (await call('intake', 'GET', `${WS_PREFIX}/${WS}/annotations/${id}`)).status === 200,
	},
	'Opik span score': opikScore('spans', CHILD),
	'Opik trace score': opikScore('traces', TRACE),
	'Opik thread score': {
		make: async (reason, name = 'thread-q') => {
			ok(await opik('PUT', 'traces/threads/feedback-scores', { scores: [{ thread_id: THREAD, project_name: PROJECT, name, value: 1, reason, source: 'ui' }] }), 204, 'thread score');
			return name;
		},
		del: async (name) => ok(await opik('POST', 'traces/threads/feedback-scores/delete', { project_name: PROJECT, thread_id: THREAD, names: [name] }), 204, 'thread score delete'),
		shown: async (name) => (await opik('POST', 'traces/threads/retrieve', { project_name: PROJECT, thread_id: THREAD })).json.feedback_scores?.some((s) => s.name === name) ?? false,
	},
	'Opik span comment': opikComment(async () => `spans/${CHILD}`, 'spans'),
	'Opik trace comment': opikComment(async () => `traces/${TRACE}`, 'traces'),
	'Opik thread comment': opikComment(async () => `traces/threads/${await threadModel()}`, 'traces/threads'),
	'Langfuse score': {
		make: async (comment) => {
			const r = await call('langfuse', 'POST', '/api/public/scores', { traceId: TRACE, observationId: CHILD, name: 'lf-q', value: 0.25, comment });
			ok(r, 200, 'langfuse score');
			return r.json.id;
		},
		del: async (id) => {
			const r = await call('langfuse', 'DELETE', `/api/public/scores/${id}`);
			ok(r, 200, 'langfuse score delete');
			assert.deepEqual(r.json, { message: 'Score deleted successfully' });
		},
		shown: async (id) => (await call('langfuse', 'GET', `/api/public/v2/scores/${id}`)).status === 200,
	},
	'Scale GP assessment': {
		make: async (comment) => {
			const r = await call('sgp', 'POST', '/v5/span-assessments', { assessment_type: 'comment', trace_id: TRACE, span_id: CHILD, comment });
			ok(r, 200, 'assessment');
			return r.json.assessment_id;
		},
		del: async (id) => {
			const r = await call('sgp', 'DELETE', `/v5/span-assessments/${id}`);
			ok(r, 200, 'assessment delete');
			assert.deepEqual(r.json, { id, deleted: true, object: 'span.assessment' });
		},
		shown: async (id) => (await call('sgp', 'GET', `/v5/span-assessments/${id}`)).status === 200,
	},
};

// What every API shows of the trace: its spans through NeMo and Opik, and the judgements
// that stay through their own APIs.
async function readable(kept) {
	for (const id of [ROOT, CHILD]) {
		ok(await call('intake', 'GET', `${WS_PREFIX}/${WS}/spans/${id}`), 200, `NeMo span ${id}`);
		ok(await opik('GET', `spans/${id}`), 200, `Opik span ${id}`);
	}
	ok(await opik('GET', `traces/${TRACE}`), 200, 'Opik trace');
	const lf = await call('langfuse', 'GET', `/api/public/traces/${TRACE}`);
	ok(lf, 200, 'Langfuse trace');
	for (const [kind, id] of Object.entries(kept))
		assert.equal(await kinds[kind].shown(id), true, `${kind} kept: shown`);
}

test('each API\'s delete of a judgement alone is an erasure: hidden at once, no byte left after the pass, the rest intact', async () => {
	await trace();
	const canary = {}, made = {}, kept = {};
	for (const [i, kind] of Object.keys(kinds).entries()) {
		canary[kind] = `JCANARY${i}q${Math.random().toString(36).slice(2, 10)}`;
		made[kind] = await kinds[kind].make(`reason ${canary[kind]}`);
		// A second judgement of the same kind on the same target, kept (a score of another name).
		kept[kind] = await kinds[kind].make(`kept words ${i}`, `${kind.split(' ')[1]}-kept`);
		assert.equal(await kinds[kind].shown(made[kind]), true, `${kind}: shown`);
	}
	const before = await spandexOk(['export', srv.dataDir, '--workspace', WS]);
	for (const kind of Object.keys(kinds)) {
		assert.notDeepEqual(filesHolding(srv.dataDir, canary[kind]), [], `${kind}: the canary is stored`);
		await kinds[kind].del(made[kind]);
		assert.equal(await kinds[kind].shown(made[kind]), false, `${kind}: hidden from the answer on`);
	}
	const pending = fs.readdirSync(path.join(srv.dataDir, '.spandex-erase')).filter((f) => f.endsWith('.json'));
	assert.equal(pending.length, Object.keys(kinds).length, 'one request per delete');
	const pass = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	assert.match(pass.stdout, new RegExp(`${Object.keys(kinds).length} requests in 1 workspaces done`));
	for (const kind of Object.keys(kinds))
		assert.deepEqual(filesHolding(srv.dataDir, canary[kind]), [], `${kind}: no byte of its canary under the data directory`);
	await readable(kept);
	const after_ = await spandexOk(['export', srv.dataDir, '--workspace', WS]);
	assert.equal(after_.stdout, before.stdout, 'the spans export as before');
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	const audit = fs.readFileSync(path.join(srv.dataDir, '.spandex-erase', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	assert.equal(audit.length, Object.keys(kinds).length);
	for (const line of audit) {
		assert.equal(line.status, 'done');
		assert.equal(line.spans, 0);
		assert.equal(line.judgements, line.what.judgement.length, JSON.stringify(line));
		assert.match(line.by, /^(intake|opik|langfuse|sgp):/);
	}
	assert.deepEqual([...new Set(audit.map((l) => l.by.split(':')[0]))].sort(), ['intake', 'langfuse', 'opik', 'sgp']);
});

test('spandex erase --judgement, the HTTP route\'s judgement_id, and kills: done or pending, the next pass finishes', async () => {
	const kill = [['request', { SPANDEX_TEST_KILL_IN_ERASE: '0' }], ['pass', { SPANDEX_TEST_KILL_IN_ERASE: '1' }], ['reindex', { SPANDEX_TEST_KILL_IN_REINDEX: '1' }]];
	const ann = kinds['NeMo annotation'];
	const keep = await ann.make('KEEPME stays');
	for (const [at, env] of kill) {
		const canary = `KILLJCANARY${at}x`;
		const id = await ann.make(`note ${canary}`);
		if (at === 'request') {
			const k = await spandexCli(['erase', srv.dataDir, '--workspace', WS, '--judgement', id], { env });
			assert.equal(k.signal, 'SIGKILL', JSON.stringify(k));
		} else {
			const r = await spandexOk(['erase', srv.dataDir, '--workspace', WS, '--judgement', id]);
			assert.match(r.stdout, /^erase-[0-9a-f]{24}: 0 spans and 1 judgements/);
			const k = await spandexCli(['erase', srv.dataDir, '--pending'], { env });
			assert.equal(k.signal, 'SIGKILL', JSON.stringify(k));
		}
		assert.equal(await ann.shown(id), false, `${at}: hidden after the kill`);
		await spandexOk(['erase', srv.dataDir, '--pending']);
		assert.deepEqual(filesHolding(srv.dataDir, canary), [], `${at}: no byte left after the next pass`);
		assert.equal(await ann.shown(keep), true, `${at}: the other annotation stays`);
		const v = await spandexCli(['verify', srv.dataDir, '--workspace', WS]);
		assert.equal(v.code, 0, v.stdout + v.stderr);
	}
	// NeMo's erasure route by judgement_id (the admin role: authentication is off here).
	const id = await ann.make('ROUTEJCANARY');
	const r = await call('intake', 'POST', `${WS_PREFIX}/${WS}/erasures`, { judgement_id: id });
	assert.equal(r.status, 202, r.text);
	assert.deepEqual(r.json.what, { judgement: [id] });
	assert.deepEqual([r.json.spans, r.json.judgements], [0, 1]);
	assert.equal(await ann.shown(id), false);
	const two = await call('intake', 'POST', `${WS_PREFIX}/${WS}/erasures`, { judgement_id: id, trace_id: TRACE });
	assert.equal(two.status, 422, two.text);
	await spandexOk(['erase', srv.dataDir, '--pending']);
	assert.deepEqual(filesHolding(srv.dataDir, 'ROUTEJCANARY'), []);
	const done = await call('intake', 'GET', `${WS_PREFIX}/${WS}/erasures/${r.json.erasure_id}`);
	assert.equal(done.json.status, 'done', done.text);
	assert.equal(await ann.shown(keep), true);
	// Two kinds at once are refused.
	const bad = await spandexCli(['erase', srv.dataDir, '--workspace', WS, '--judgement', 'x', '--trace', 'y']);
	assert.equal(bad.code, 2, bad.stderr);
});
