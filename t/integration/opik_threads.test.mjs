// Opik threads and retention rules (issue 34; reference judgement.md 2.4-2.6), driven by the real
// `opik` SDK (t/clients, pinned) through nginx and cgi-bin/opik: traces logged with a threadId
// read back as threads (searchThreads with OQL filters, the page, retrieve, stats), closed and
// opened again, tagged one by one and in a batch, scored and commented, their score names,
// deleted with their traces; a thread is a session, so the NeMo API sees the same one; the
// retention rules' endpoints and their errors, and `spandex retain` keeping the days a rule
// keeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
	startServer, spandexCli, makeSpan, dayTime, stableId, clockEnv, cgiRequest, clockPast, CLIENTS, WS_PREFIX,
} from '../harness.mjs';

const { Opik } = await import(createRequire(path.join(CLIENTS, 'package.json')).resolve('opik'));

let srv;
before(async () => {
	srv = await startServer();
});
after(() => srv?.stop());

const WS = 'threaded';
const req = (m, p, body, ws = WS) =>
	srv.request(m, p, { body, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': ws } });
const client = (projectName, workspaceName = WS) => new Opik({ apiUrl: srv.base, projectName, workspaceName });
const sorted = (a) => [...a].sort();

// A thread's model id: the hex of its state's id (NeMo's stable_id over project and thread) as a UUID.
const modelId = (project, thread) => {
	const h = stableId('', project, thread);
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

// Two threads of two and one traces, with llm spans that cost and count tokens, and a trace
// of no thread.
async function conversation(c, project) {
	const turns = [
		['chat-a', { q: 'hello' }, { a: 'hi' }, 10],
		['chat-a', { q: 'how are you' }, { a: 'fine' }, 20],
		['chat-b', 'plain question', 'plain answer', 5],
	];
	const traces = [];
	for (const [threadId, input, output, tokens] of turns) {
		const t = c.trace({ name: 'turn', input, threadId });
		const s = t.span({
			name: 'llm', type: 'llm', model: 'gpt-4o-mini', provider: 'openai',
			usage: { prompt_tokens: tokens, completion_tokens: 1, total_tokens: tokens + 1 },
			totalEstimatedCost: tokens / 1000,
		});
		s.end();
		t.update({ output });
		t.end();
		traces.push(t);
		await clockPast(); // distinct start times, in order
	}
	const lone = c.trace({ name: 'alone', input: { q: 'no thread' } });
	lone.end();
	await c.flush();
	return { traces, lone, project };
}

test('searchThreads finds the threads the SDK logged, with OQL filters; the page, retrieve and stats agree', async () => {
	const c = client('threads-demo');
	await conversation(c, 'threads-demo');

	const all = await c.searchThreads({ projectName: 'threads-demo' });
	assert.deepEqual(sorted(all.map((t) => t.id)), ['chat-a', 'chat-b']);
	const a = all.find((t) => t.id === 'chat-a');
	assert.equal(a.numberOfMessages, 4);
	assert.equal(a.status, 'active');
	assert.equal(a.threadModelId, modelId('threads-demo', 'chat-a'));
	assert.deepEqual(a.firstMessage, { q: 'hello' });
	assert.deepEqual(a.lastMessage, { a: 'fine' });
	assert.deepEqual(a.usage, { prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 });
	assert.ok(Math.abs(a.totalEstimatedCost - 0.03) < 1e-9, String(a.totalEstimatedCost));
	assert.ok(a.startTime instanceof Date && a.endTime instanceof Date);
	assert.ok(Math.abs(a.duration - (a.endTime - a.startTime)) < 1, String(a.duration));
	assert.deepEqual(a.tags, []);
	assert.deepEqual(a.feedbackScores, []);
	const b = all.find((t) => t.id === 'chat-b');
	assert.equal(b.firstMessage, 'plain question');
	assert.equal(b.numberOfMessages, 2);

	let found = await c.searchThreads({ projectName: 'threads-demo', filterString: 'id = "chat-b"' });
	assert.deepEqual(found.map((t) => t.id), ['chat-b']);
	found = await c.searchThreads({ projectName: 'threads-demo', filterString: 'number_of_messages >= 4' });
	assert.deepEqual(found.map((t) => t.id), ['chat-a']);
	found = await c.searchThreads({ projectName: 'threads-demo', filterString: 'first_message contains "hello"' });
	assert.deepEqual(found.map((t) => t.id), ['chat-a']);
	found = await c.searchThreads({ projectName: 'threads-demo', filterString: 'status = "inactive"' });
	assert.deepEqual(found, []);
	found = await c.searchThreads({ projectName: 'threads-demo', maxResults: 1 });
	assert.equal(found.length, 1);
	// An empty cursor is none (Jackson reads "" as a null UUID), as for spans and traces.
	const raw = await req('POST', '/v1/private/traces/threads/search', { project_name: 'threads-demo', last_retrieved_thread_model_id: '' });
	assert.equal(raw.status, 200, raw.text);
	assert.equal(raw.text.split('\r\n').filter(Boolean).length, 2, raw.text);

	// The page: Opik's default order is the last updated first (chat-b's trace came last).
	const page = await c.api.traces.getTraceThreads({ projectName: 'threads-demo' });
	assert.equal(page.total, 2);
	assert.deepEqual(page.content.map((t) => t.id), ['chat-b', 'chat-a']);
	assert.ok(page.sortableBy.includes('number_of_messages'));
	const byCount = await c.api.traces.getTraceThreads({
		projectName: 'threads-demo', size: 1,
		sorting: JSON.stringify([{ field: 'number_of_messages', direction: 'DESC' }]),
	});
	assert.deepEqual([byCount.total, byCount.size, byCount.content[0].id], [2, 1, 'chat-a']);
	const filtered = await c.api.traces.getTraceThreads({
		projectName: 'threads-demo', filters: JSON.stringify([{ field: 'duration', operator: '>=', value: '0' }]),
	});
	assert.equal(filtered.total, 2);
	const projectId = page.content[0].projectId;
	const byId = await c.api.traces.getTraceThreads({ projectId });
	assert.equal(byId.total, 2);

	const one = await c.api.traces.getTraceThread({ projectName: 'threads-demo', threadId: 'chat-a' });
	assert.equal(one.threadModelId, a.threadModelId);
	assert.equal(one.numberOfMessages, 4);
	assert.deepEqual(one.firstMessage, { q: 'hello' });

	const stats = await c.api.traces.getTraceThreadStats({ projectName: 'threads-demo' });
	const st = Object.fromEntries(stats.stats.map((s) => [s.name, s.value]));
	assert.equal(st.thread_count, 2);
	assert.equal(st['usage.total_tokens'], (32 + 6) / 2);
	assert.ok(st.duration.p50 >= 0);

	// One store: the thread is the NeMo session of its traces.
	const session = await srv.request('GET', `${WS_PREFIX}/${WS}/sessions/chat-a`);
	assert.equal(session.status, 200, session.text);
	assert.equal(session.json.trace_count, 2);
});

test('a session sent another way is a thread: its traces show its thread_id and a thread_id filter finds them', async () => {
	const ws = 'threads-otlp', trace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
	const body = { resourceSpans: [{ scopeSpans: [{ spans: [
		['00000000000000a1', null, 'turn'], ['00000000000000a2', '00000000000000a1', 'llm'],
	].map(([spanId, parentSpanId, name]) => ({
		traceId: trace, spanId, ...(parentSpanId ? { parentSpanId } : {}), name,
		startTimeUnixNano: String(BigInt(Date.parse(dayTime())) * 1000000n),
		attributes: [{ key: 'session.id', value: { stringValue: 'otlp-conv' } }],
	})) }] }] };
	const r = await srv.request('POST', '/v1/traces', { body, headers: { 'X-Workspace': ws } });
	assert.equal(r.status, 200, r.text);
	const got = await req('GET', `/v1/private/traces/${trace}`, undefined, ws);
	assert.equal(got.status, 200, got.text);
	assert.equal(got.json.thread_id, 'otlp-conv');
	const filters = encodeURIComponent(JSON.stringify([{ field: 'thread_id', operator: '=', value: 'otlp-conv' }]));
	const page = await req('GET', `/v1/private/traces?project_name=Default%20Project&filters=${filters}`, undefined, ws);
	assert.equal(page.status, 200, page.text);
	assert.deepEqual(page.json.content.map((x) => x.id), [trace]);
	// a root that names no session: the trace is in the session its child names, in the thread
	// list and on the trace itself, read one by one or searched
	const trace2 = 'b1b2c3d4e5f60718293a4b5c6d7e8f90';
	const child = { resourceSpans: [{ scopeSpans: [{ spans: [
		['00000000000000b1', null, 'turn', []],
		['00000000000000b2', '00000000000000b1', 'llm', [{ key: 'session.id', value: { stringValue: 'child-conv' } }]],
	].map(([spanId, parentSpanId, name, attributes]) => ({
		traceId: trace2, spanId, ...(parentSpanId ? { parentSpanId } : {}), name, attributes,
		startTimeUnixNano: String(BigInt(Date.parse(dayTime())) * 1000000n),
	})) }] }] };
	const sent = await srv.request('POST', '/v1/traces', { body: child, headers: { 'X-Workspace': ws } });
	assert.equal(sent.status, 200, sent.text);
	const got2 = await req('GET', `/v1/private/traces/${trace2}`, undefined, ws);
	assert.equal(got2.status, 200, got2.text);
	assert.equal(got2.json.thread_id, 'child-conv');
	const threads = await req('GET', '/v1/private/traces/threads?project_name=Default%20Project', undefined, ws);
	assert.equal(threads.status, 200, threads.text);
	assert.ok(threads.json.content.some((x) => x.id === 'child-conv'), threads.text);
	const found = await req('POST', '/v1/private/traces/search', { project_name: 'Default Project' }, ws);
	assert.equal(found.status, 200, found.text);
	const rows = found.text.split('\r\n').filter(Boolean).map((x) => JSON.parse(x));
	assert.equal(rows.find((x) => x.id === trace2)?.thread_id, 'child-conv', found.text);
	// an Opik trace that names no thread shows none
	const c = client('Default Project', ws);
	const lone = c.trace({ name: 'alone' });
	lone.end();
	await c.flush();
	const alone = await req('GET', `/v1/private/traces/${lone.data.id}`, undefined, ws);
	assert.equal(alone.status, 200, alone.text);
	assert.equal(alone.json.thread_id, undefined);
});

// A thread's created_at is its traces' earliest created_at (Opik's ThreadDAO), which a PATCH
// does not move: it was the time of the newest version, a second after its only trace's.
test('a thread\'s created_at is its traces\' created_at, not the time of a PATCH', async () => {
	const ws = 'threads-created', T = '01a1fc91-cd0b-7000-8000-0000000004f0';
	let r = await req('POST', '/api/v1/private/traces', { id: T, name: 'turn', start_time: dayTime(), project_name: 'created', thread_id: 'conv-c' }, ws);
	assert.equal(r.status, 201, r.text);
	// The PATCH a minute later: the program run with its clock moved on (clockEnv).
	r = await cgiRequest(srv.dataDir, 'PATCH', `/api/v1/private/traces/${T}`, {
		body: { output: { a: 'later' } }, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': ws }, env: clockEnv(60),
	});
	assert.equal(r.status, 204, r.text);
	const trace = (await req('GET', `/api/v1/private/traces/${T}`, undefined, ws)).json;
	assert.ok(Date.parse(trace.last_updated_at) - Date.parse(trace.created_at) >= 59000, JSON.stringify(trace));
	const page = await req('GET', '/api/v1/private/traces/threads?project_name=created', undefined, ws);
	assert.equal(page.status, 200, page.text);
	assert.deepEqual(page.json.content.map((x) => [x.id, x.created_at, x.last_updated_at]),
		[['conv-c', trace.created_at, trace.last_updated_at]]);
	const one = await req('POST', '/api/v1/private/traces/threads/retrieve', { project_name: 'created', thread_id: 'conv-c' }, ws);
	assert.equal(one.json.created_at, trace.created_at, one.text);
	const filters = encodeURIComponent(JSON.stringify([{ field: 'created_at', operator: '<', value: trace.last_updated_at }]));
	r = await req('GET', `/api/v1/private/traces/threads?project_name=created&filters=${filters}`, undefined, ws);
	assert.deepEqual(r.json.content.map((x) => x.id), ['conv-c'], r.text);
});

test('close and open a thread (a trace after the close opens it again); tags one by one and in a batch', async () => {
	const c = client('threads-state');
	await conversation(c, 'threads-state');
	const api = c.api.traces;
	await api.closeTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	let t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	assert.equal(t.status, 'inactive');
	let found = await c.searchThreads({ projectName: 'threads-state', filterString: 'status = "inactive"' });
	assert.deepEqual(found.map((x) => x.id), ['chat-a']);
	await api.openTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	assert.equal(t.status, 'active');

	// Close many at once; a later trace of one reopens it, as Opik does.
	await api.closeTraceThread({ projectName: 'threads-state', threadIds: ['chat-a', 'chat-b'] });
	found = await c.searchThreads({ projectName: 'threads-state', filterString: 'status = "inactive"' });
	assert.deepEqual(sorted(found.map((x) => x.id)), ['chat-a', 'chat-b']);
	await clockPast();
	const late = c.trace({ name: 'turn', input: { q: 'again' }, threadId: 'chat-b' });
	late.end();
	await c.flush();
	t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-b' });
	assert.deepEqual([t.status, t.numberOfMessages], ['active', 4]);

	// Tags: PATCH by thread_model_id replaces; the batch adds and removes, or merges.
	const a = modelId('threads-state', 'chat-a');
	const b = modelId('threads-state', 'chat-b');
	await api.updateThread(a, { body: { tags: ['vip', 'billing'] } });
	t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	assert.deepEqual(sorted(t.tags), ['billing', 'vip']);
	assert.equal(t.status, 'inactive'); // tagging keeps the status
	await api.batchUpdateThreads({ ids: [a, b], update: { tagsToAdd: ['reviewed'], tagsToRemove: ['billing'] } });
	let page = await api.getTraceThreads({ projectName: 'threads-state' });
	const tags = Object.fromEntries(page.content.map((x) => [x.id, sorted(x.tags)]));
	assert.deepEqual(tags, { 'chat-a': ['reviewed', 'vip'], 'chat-b': ['reviewed'] });
	await api.batchUpdateThreads({ ids: [b], update: { tags: ['new'] }, mergeTags: true });
	await api.batchUpdateThreads({ ids: [a], update: { tags: ['only'] } });
	page = await api.getTraceThreads({ projectName: 'threads-state', filters: JSON.stringify([{ field: 'tags', operator: 'contains', value: 'new' }]) });
	assert.deepEqual(page.content.map((x) => [x.id, sorted(x.tags)]), [['chat-b', ['new', 'reviewed']]]);
	t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	assert.deepEqual(t.tags, ['only']);
	// An older backend's name for the ids.
	let r = await req('PATCH', '/api/v1/private/traces/threads/batch', { thread_model_ids: [a], update: { tags_to_add: ['alias'] } });
	assert.equal(r.status, 204, r.text);
	t = await api.getTraceThread({ projectName: 'threads-state', threadId: 'chat-a' });
	assert.deepEqual(sorted(t.tags), ['alias', 'only']);

	// Errors in Opik's shapes.
	r = await req('PATCH', `/v1/private/traces/threads/${modelId('threads-state', 'nope')}`, { tags: ['x'] });
	assert.equal(r.status, 404, r.text);
	assert.match(r.json.message, /Thread id: .* not found/);
	r = await req('PATCH', `/v1/private/traces/threads/${a}`, { tags: 'x' });
	assert.equal(r.status, 422, r.text);
	assert.ok(Array.isArray(r.json.errors));
	r = await req('PATCH', '/v1/private/traces/threads/batch', { ids: [], update: {} });
	assert.equal(r.status, 422, r.text);
	r = await req('PUT', '/v1/private/traces/threads/close', { project_name: 'no-such-project', thread_id: 'chat-a' });
	assert.deepEqual([r.status, r.json.code, r.json.message], [404, 404, 'Project not found']);
	r = await req('PUT', '/v1/private/traces/threads/open', { project_id: '00000000-0000-8000-a000-000000000000', thread_id: 'chat-a' });
	assert.equal(r.status, 404, r.text);
	r = await req('PUT', '/v1/private/traces/threads/open', { project_name: 'threads-state' });
	assert.equal(r.status, 422, r.text);
	r = await req('PUT', '/v1/private/traces/threads/open', { thread_id: 'chat-a' });
	assert.equal(r.status, 400, r.text);
	// By project_id: the id the threads show.
	r = await req('PUT', '/v1/private/traces/threads/close', { project_id: t.projectId, thread_id: 'chat-b' });
	assert.equal(r.status, 204, r.text);
	t = await api.getTraceThread({ projectId: t.projectId, threadId: 'chat-b' });
	assert.equal(t.status, 'inactive');
	r = await req('POST', '/v1/private/traces/threads/retrieve', { project_name: 'threads-state', thread_id: 'nope' });
	assert.equal(r.status, 404, r.text);
	r = await req('POST', '/v1/private/traces/threads/retrieve', { project_name: 'no-such-project', thread_id: 'chat-a' });
	assert.deepEqual([r.status, r.json.message], [404, 'Project not found']);
});

test('thread feedback scores and comments: PUT, names, delete; the comments routes by thread_model_id', async () => {
	const c = client('threads-marks');
	await conversation(c, 'threads-marks');
	const api = c.api.traces;
	await api.scoreBatchOfThreads({
		scores: [
			{ threadId: 'chat-a', projectName: 'threads-marks', name: 'resolved', value: 1, source: 'sdk', reason: 'fixed' },
			{ threadId: 'chat-a', projectName: 'threads-marks', name: 'tone', value: 0.5, source: 'ui', author: 'ann' },
			{ threadId: 'chat-a', projectName: 'threads-marks', name: 'tone', value: 1, source: 'ui', author: 'bob' },
			{ threadId: 'chat-b', projectName: 'threads-marks', name: 'resolved', value: 0, source: 'online_scoring', categoryName: 'no' },
		],
	});
	let t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-a' });
	const fs_ = Object.fromEntries(t.feedbackScores.map((f) => [f.name, f]));
	assert.deepEqual(Object.keys(fs_).sort(), ['resolved', 'tone']);
	assert.deepEqual([fs_.resolved.value, fs_.resolved.reason, fs_.resolved.source], [1, 'fixed', 'sdk']);
	assert.equal(fs_.tone.value, 0.75);
	assert.deepEqual(Object.keys(fs_.tone.valueByAuthor).sort(), ['ann', 'bob']);

	let found = await c.searchThreads({ projectName: 'threads-marks', filterString: 'feedback_scores.resolved = 0' });
	assert.deepEqual(found.map((x) => x.id), ['chat-b']);
	found = await c.searchThreads({ projectName: 'threads-marks', filterString: 'feedback_scores.tone is_empty' });
	assert.deepEqual(found.map((x) => x.id), ['chat-b']);
	const page = await api.getTraceThreads({ projectName: 'threads-marks', sorting: JSON.stringify([{ field: 'feedback_scores.resolved', direction: 'ASC' }]) });
	assert.deepEqual(page.content.map((x) => x.id), ['chat-b', 'chat-a']);
	const stats = await api.getTraceThreadStats({ projectName: 'threads-marks' });
	const st = Object.fromEntries(stats.stats.map((s) => [s.name, s.value]));
	assert.equal(st['feedback_score.resolved'], 0.5);

	const projectId = t.projectId;
	let names = await api.findTraceThreadsFeedbackScoreNames({ projectId });
	assert.deepEqual(names.scores.map((s) => s.name), ['resolved', 'tone']);
	names = await api.findTraceThreadsFeedbackScoreNames({ projectId: modelId('x', 'y') });
	assert.deepEqual(names.scores, []);

	// A score sent again replaces its author's; delete by name (and author).
	await api.scoreBatchOfThreads({ scores: [{ threadId: 'chat-a', projectName: 'threads-marks', name: 'tone', value: 0, source: 'ui', author: 'bob' }] });
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-a' });
	assert.equal(t.feedbackScores.find((f) => f.name === 'tone').value, 0.25);
	await api.deleteThreadFeedbackScores({ projectName: 'threads-marks', threadId: 'chat-a', names: ['tone'], author: 'ann' });
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-a' });
	assert.deepEqual(Object.keys(t.feedbackScores.find((f) => f.name === 'tone').valueByAuthor), ['bob']);
	await api.deleteThreadFeedbackScores({ projectName: 'threads-marks', threadId: 'chat-a', names: ['tone', 'resolved'] });
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-a' });
	assert.deepEqual(t.feedbackScores, []);
	// An unknown project is a silent no-op.
	let r = await req('POST', '/v1/private/traces/threads/feedback-scores/delete', { project_name: 'nowhere', thread_id: 'chat-b', names: ['resolved'] });
	assert.equal(r.status, 204, r.text);
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-b' });
	assert.equal(t.feedbackScores.length, 1);
	r = await req('PUT', '/v1/private/traces/threads/feedback-scores', { scores: [{ thread_id: 'chat-b', name: 'x', value: 1 }] });
	assert.equal(r.status, 422, r.text);
	assert.match(r.json.errors.join(' '), /source/);
	r = await req('PUT', '/v1/private/traces/threads/feedback-scores', { scores: [] });
	assert.equal(r.status, 422, r.text);
	// thread_id is @NotBlank (Opik's FeedbackScoreBatchItemThread): a blank one is no thread
	for (const thread_id of [' ', '', undefined]) {
		r = await req('PUT', '/v1/private/traces/threads/feedback-scores', { scores: [{ thread_id, project_name: 'threads-marks', name: 'x', value: 1, source: 'sdk' }] });
		assert.deepEqual([r.status, r.json], [422, { errors: ['scores.0.thread_id must not be blank'] }], JSON.stringify(thread_id));
	}
	r = await req('POST', '/v1/private/traces/threads/feedback-scores/delete', { thread_id: 'chat-b', names: ['x'] });
	assert.equal(r.status, 422, r.text);
	r = await req('POST', '/v1/private/traces/threads/feedback-scores/delete', { project_name: 'threads-marks', thread_id: 'chat-b' });
	assert.deepEqual([r.status, r.json], [422, { errors: ['names must not be null'] }]);

	// Comments: create (201, Location), get, edit, delete; by the thread_model_id.
	const model = t.threadModelId;
	r = await req('POST', `/v1/private/traces/threads/${model}/comments`, { text: 'first look' });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.text, '');
	const loc = r.headers.location;
	assert.match(loc, new RegExp(`/v1/private/traces/threads/${model}/comments/[0-9a-f-]{36}$`));
	const commentId = loc.split('/').pop();
	await api.addThreadComment(model, { body: { text: 'from the SDK' } });
	let cm = await api.getThreadComment(model, commentId);
	assert.deepEqual([cm.id, cm.text, cm.createdBy], [commentId, 'first look', 'admin']);
	await api.updateThreadComment(commentId, { body: { text: 'edited' } });
	cm = await api.getThreadComment(model, commentId);
	assert.equal(cm.text, 'edited');
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-b' });
	assert.deepEqual(t.comments.map((x) => x.text), ['edited', 'from the SDK']);
	r = await req('GET', `/v1/private/traces/threads/${modelId('threads-marks', 'chat-a')}/comments/${commentId}`);
	assert.equal(r.status, 404, r.text);
	r = await req('POST', `/v1/private/traces/threads/${modelId('threads-marks', 'nope')}/comments`, { text: 'x' });
	assert.equal(r.status, 404, r.text);
	r = await req('POST', `/v1/private/traces/threads/${model}/comments`, { text: '  ' });
	assert.equal(r.status, 422, r.text);
	await api.deleteThreadComments({ ids: t.comments.map((x) => x.id) });
	t = await api.getTraceThread({ projectName: 'threads-marks', threadId: 'chat-b' });
	assert.deepEqual(t.comments, []);
	r = await req('PATCH', `/v1/private/traces/threads/comments/${commentId}`, { text: 'gone' });
	assert.equal(r.status, 404, r.text);
});

test('a NeMo note of the session is a comment the thread shows and its comment GET finds; another thread\'s GET does not', async () => {
	const c = client('threads-notes');
	await conversation(c, 'threads-notes');
	const r = await srv.request('POST', `${WS_PREFIX}/${WS}/annotations`, { body: { kind: 'note', session_id: 'chat-a', text: 'from nemo' } });
	assert.equal(r.status, 201, r.text);
	const id = r.json.annotation_id;
	const t = await c.api.traces.getTraceThread({ projectName: 'threads-notes', threadId: 'chat-a' });
	assert.deepEqual(t.comments.map((x) => [x.id, x.text]), [[id, 'from nemo']]);
	let got = await req('GET', `/v1/private/traces/threads/${t.threadModelId}/comments/${id}`);
	assert.equal(got.status, 200, got.text);
	assert.deepEqual([got.json.id, got.json.text], [id, 'from nemo']);
	got = await req('GET', `/v1/private/traces/threads/${modelId('threads-notes', 'chat-b')}/comments/${id}`);
	assert.equal(got.status, 404, got.text);
	assert.deepEqual(got.json, { code: 404, message: `Comment id: ${id} not found` });
});

test('deleting threads deletes their traces and spans, and what Opik kept of them', async () => {
	const c = client('threads-gone');
	const { traces, lone } = await conversation(c, 'threads-gone');
	const api = c.api.traces;
	await api.scoreBatchOfThreads({ scores: [{ threadId: 'chat-a', projectName: 'threads-gone', name: 'resolved', value: 1, source: 'sdk' }] });
	await api.closeTraceThread({ projectName: 'threads-gone', threadId: 'chat-a' });
	// A NeMo label of the session (no project) shows on the thread: its names by project list it,
	// and the thread's delete takes it too.
	let r = await srv.request('POST', `${WS_PREFIX}/${WS}/annotations`, {
		body: { kind: 'label', session_id: 'chat-a', value_type: 'numeric', value: 3, name: 'sessscore' } });
	assert.equal(r.status, 201, r.text);
	const projectId = (await req('POST', '/v1/private/projects/retrieve', { name: 'threads-gone' })).json.id;
	const names = await api.findTraceThreadsFeedbackScoreNames({ projectId });
	assert.ok(names.scores.some((x) => x.name === 'sessscore'), JSON.stringify(names));
	await api.deleteTraceThreads({ projectName: 'threads-gone', threadIds: ['chat-a', 'never'] });
	r = await srv.request('GET', `${WS_PREFIX}/${WS}/annotations?filter[session_id]=chat-a&filter[name]=sessscore`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.data, []);
	const left = await c.searchThreads({ projectName: 'threads-gone' });
	assert.deepEqual(left.map((x) => x.id), ['chat-b']);
	r = await req('GET', `/v1/private/traces/${traces[0].data.id}`);
	assert.equal(r.status, 404, r.text);
	const spans = await api.getTraceThreads({ projectName: 'threads-gone' });
	assert.equal(spans.total, 1);
	r = await req('GET', `/v1/private/spans?project_name=threads-gone&size=100`);
	assert.deepEqual(r.json.content.map((x) => x.trace_id), [traces[2].data.id]); // chat-b's span: none of chat-a's
	r = await req('GET', `/v1/private/traces/${lone.data.id}`);
	assert.equal(r.status, 200, r.text);
	// The thread's own judgements went with it: the same thread_id again starts afresh.
	const again = c.trace({ name: 'turn', input: { q: 'back' }, threadId: 'chat-a' });
	again.end();
	await c.flush();
	const t = await api.getTraceThread({ projectName: 'threads-gone', threadId: 'chat-a' });
	assert.deepEqual([t.status, t.feedbackScores, t.numberOfMessages], ['active', [], 2]);
	r = await req('POST', '/v1/private/traces/threads/delete', { project_name: 'threads-gone', thread_ids: [] });
	assert.equal(r.status, 422, r.text);
	r = await req('POST', '/v1/private/traces/threads/delete', { thread_ids: ['chat-b'] });
	assert.equal(r.status, 400, r.text);
});

test('retention rules: create (201, Location), list, get, deactivate, and their errors', async () => {
	const rr = client('rules', 'ruled').api.retentionRules;
	const first = await rr.createRetentionRule({ retention: 'base_60d' });
	assert.deepEqual(
		[first.level, first.retention, first.enabled, first.applyToPast, first.catchUpDone, first.workspaceId],
		['workspace', 'base_60d', true, true, true, 'ruled'],
	);
	assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
	assert.ok(first.createdAt instanceof Date);
	const proj = await rr.createRetentionRule({ retention: 'short_14d', projectId: modelId('p', 'q'), applyToPast: false });
	assert.deepEqual([proj.level, proj.projectId, proj.applyToPast], ['project', modelId('p', 'q'), false]);
	const org = await rr.createRetentionRule({ retention: 'unlimited', organizationLevel: true });
	assert.equal(org.level, 'organization');
	// A second workspace rule disables the first: one enabled rule per scope and level.
	const second = await rr.createRetentionRule({ retention: 'extended_400d' });
	let list = await rr.findRetentionRules();
	assert.deepEqual(list.content.map((x) => x.id), [second.id, org.id, proj.id]);
	assert.deepEqual([list.total, list.size, list.page], [3, 3, 1]);
	list = await rr.findRetentionRules({ includeInactive: true, size: 2, page: 2 });
	assert.deepEqual([list.total, list.size, list.content.map((x) => x.id)], [4, 2, [proj.id, first.id]]);
	const got = await rr.getRetentionRuleById(first.id);
	assert.deepEqual([got.enabled, got.retention], [false, 'base_60d']);

	await rr.deactivateRetentionRule(org.id);
	await rr.deactivateRetentionRule(org.id); // already inactive: 204 all the same
	assert.equal((await rr.getRetentionRuleById(org.id)).enabled, false);
	list = await rr.findRetentionRules();
	assert.deepEqual(list.content.map((x) => x.id), [second.id, proj.id]);

	// The shapes on the wire and the errors.
	let r = await req('POST', '/api/v1/private/retention/rules', { retention: 'short_14d', project_id: modelId('p', 'r') }, 'ruled');
	assert.equal(r.status, 201, r.text);
	assert.equal(r.headers.location, `/api/v1/private/retention/rules/${r.json.id}`);
	assert.equal(r.json.project_id, modelId('p', 'r'));
	r = await req('POST', '/v1/private/retention/rules', { retention: 'short_14d', project_id: modelId('p', 'r'), organization_level: true }, 'ruled');
	assert.deepEqual([r.status, r.json.message], [400, 'Cannot set organization_level=true with a project_id']);
	r = await req('POST', '/v1/private/retention/rules', { apply_to_past: true }, 'ruled');
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json, { errors: ['retention must not be null'] });
	r = await req('POST', '/v1/private/retention/rules', { retention: 'forever' }, 'ruled');
	assert.equal(r.status, 400, r.text);
	r = await req('GET', `/v1/private/retention/rules/${modelId('no', 'rule')}`, undefined, 'ruled');
	assert.deepEqual([r.status, r.json.message], [404, 'Retention rule not found']);
	r = await req('DELETE', `/v1/private/retention/rules/${modelId('no', 'rule')}`, undefined, 'ruled');
	assert.equal(r.status, 404, r.text);
	// Another workspace sees none of them.
	r = await req('GET', '/v1/private/retention/rules', undefined, 'other-ws');
	assert.deepEqual(r.json, { content: [], page: 1, size: 0, total: 0 });

	// The store keeps them in the workspace's retention.json (docs/FORMAT.md).
	const doc = JSON.parse(fs.readFileSync(path.join(srv.dataDir, 'ruled', 'retention.json'), 'utf8'));
	assert.equal(doc.rules.length, 5);
	assert.deepEqual(doc.rules.map((x) => x.days), [60, 14, null, 400, 14]);
});

test('spandex retain keeps the days a workspace\'s enabled rules keep beyond --days', async () => {
	const day = (back) => dayTime(0, back).slice(0, 10);
	const days = (ws) => sorted(fs.readdirSync(path.join(srv.dataDir, ws)).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, 10)));
	// Ingested 100 days ago (by a program whose clock says so): retain keeps a day that holds
	// spans ingested within the days it keeps (the other tests' spans are ingested now).
	for (const ws of ['kept', 'plain'])
		for (const back of [3, 50, 80]) {
			const r = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, {
				body: { source: 'itest', spans: [makeSpan(`${ws}-${back}`, { started_at: dayTime(0, back) })] }, env: clockEnv(-100 * 86400),
			});
			assert.equal(r.status, 201, r.text);
		}
	// retain ages days by the store's newest ingestion (src/jobs.c, retain_now), not the host's
	// clock: a span ingested now makes that today however this test is run (alone, the spans
	// above would be the newest, and every day would hold spans ingested in the kept days).
	const now = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/clock-now/ingest/spans`, {
		body: { source: 'itest', spans: [makeSpan('clock-now', { started_at: dayTime(0, 0) })] },
	});
	assert.equal(now.status, 201, now.text);
	const rule = await req('POST', '/v1/private/retention/rules', { retention: 'base_60d' }, 'kept');
	assert.equal(rule.status, 201, rule.text);
	const retain = async (...args) => {
		const r = await spandexCli(['retain', srv.dataDir, ...args]);
		assert.equal(r.code, 0, r.stderr);
		return r.stdout;
	};
	let out = await retain('--days', '7', '--workspace', 'kept', '--verbose');
	assert.match(out, /retain: kept: retention rules keep 60 days/);
	assert.deepEqual(days('kept'), sorted([day(3), day(50)]));
	await retain('--days', '7', '--workspace', 'plain');
	assert.deepEqual(days('plain'), [day(3)]);

	// Unlimited keeps everything; a rule never shortens what --days keeps.
	const forever = await req('POST', '/v1/private/retention/rules', { retention: 'unlimited', project_id: modelId('p', 'x') }, 'kept');
	out = await retain('--days', '0', '--workspace', 'kept', '--verbose');
	assert.match(out, /a retention rule keeps every day/);
	assert.deepEqual(days('kept'), sorted([day(3), day(50)]));
	const short = await req('POST', '/v1/private/retention/rules', { retention: 'short_14d' }, 'kept');
	assert.equal(short.status, 201, short.text); // replaces the 60-day rule
	await req('DELETE', `/v1/private/retention/rules/${forever.json.id}`, undefined, 'kept');
	await retain('--days', '100', '--workspace', 'kept');
	assert.deepEqual(days('kept'), sorted([day(3), day(50)]));
	await retain('--days', '7', '--workspace', 'kept');
	assert.deepEqual(days('kept'), [day(3)]);

	// A damaged rules file: retain removes nothing of that workspace and says so.
	fs.writeFileSync(path.join(srv.dataDir, 'plain', 'retention.json'), '{"rules":[{"id":1}]}\n');
	const r = await spandexCli(['retain', srv.dataDir, '--days', '0', '--workspace', 'plain']);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /retain plain: its retention rules: .*damaged; nothing removed/);
	assert.deepEqual(days('plain'), [day(3)]);
	const v = await spandexCli(['verify', srv.dataDir, '--workspace', 'kept']);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('a thread\'s first and last messages read as its traces\' input and output do: a list of other than objects as its text, so searchThreads keeps the thread', async () => {
	// The SDK sends no such list; another client of the REST API (or another API's text) may.
	const traces = [
		{ id: '01900000-0000-7000-8000-0000002a0001', name: 'a', thread_id: 'lists', project_name: 'thread-lists', start_time: '2026-01-08T10:00:00Z', end_time: '2026-01-08T10:00:01Z', input: ['x', 'y'] },
		{ id: '01900000-0000-7000-8000-0000002a0002', name: 'b', thread_id: 'lists', project_name: 'thread-lists', start_time: '2026-01-08T10:00:02Z', end_time: '2026-01-08T10:00:03Z', input: { q: 1 }, output: [1, 2, 3] },
	];
	const w = await req('POST', '/v1/private/traces/batch', { traces });
	assert.equal(w.status, 204, w.text);
	const c = client('thread-lists');
	const th = await c.searchThreads({ projectName: 'thread-lists' });
	assert.deepEqual(th.map((t) => [t.id, t.firstMessage, t.lastMessage]), [['lists', '["x","y"]', '[1,2,3]']]);
	const tr = await c.searchTraces({ projectName: 'thread-lists' });
	assert.deepEqual(tr.map((t) => [t.name, t.input, t.output ?? null]).sort(), [['a', '["x","y"]', null], ['b', { q: 1 }, '[1,2,3]']]);
});
