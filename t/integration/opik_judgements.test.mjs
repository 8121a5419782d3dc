// Opik feedback scores and comments as judgements (issue 34; reference judgement.md 2.1-2.3,
// 2.6), driven by the real `opik` SDK (t/clients, pinned) through nginx and cgi-bin/opik: the
// SDK's own scoring (span.score, trace.score, logSpansFeedbackScores, logTracesFeedbackScores)
// read back with value_by_author, found by searchSpans/searchTraces filters, lists (sorted by
// a score too) and stats; the client.api calls nothing high-level makes (the single PUT, delete, names,
// comments, the batch PATCH) and their errors in Opik's shapes; several authors of one name;
// scores kept in raw attributes by an older spandex; what deleting a trace takes with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, clockPast, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const WS = 'judged';
const json = { 'Content-Type': 'application/json', 'Comet-Workspace': WS };
const req = (m, p, body, ws = WS) => srv.request(m, p, { body, headers: { ...json, 'Comet-Workspace': ws } });
const sorted = (a) => [...a].sort();
const client = (projectName, workspaceName = WS) => new Opik({ apiUrl: srv.base, projectName, workspaceName });

// The id of a score (the brief's rule, NeMo's stable_id over entity, id, name, author).
const scoreId = (...parts) => {
	const h = crypto.createHash('sha256');
	for (const p of parts) {
		const b = Buffer.from(p);
		const len = Buffer.alloc(8);
		len.writeBigUInt64BE(BigInt(b.length));
		h.update(len).update(b);
	}
	return `fs-${h.digest('hex').slice(0, 32)}`;
};

// One trace with two llm spans and a tool span, scored by the SDK four ways.
async function scored(c, project) {
	const t = c.trace({ name: 'ask', input: { q: 'refund?' } });
	const a = t.span({ name: 'answer', type: 'llm', input: { m: 1 } });
	const b = t.span({ name: 'again', type: 'llm', input: { m: 2 } });
	const tool = t.span({ name: 'lookup', type: 'tool' });
	for (const s of [a, b, tool]) s.end();
	t.end();
	const t2 = c.trace({ name: 'other' });
	t2.end();
	a.score({ name: 'relevance', value: 0.8, reason: 'on topic' });
	t.score({ name: 'overall', value: 0.9, categoryName: 'good' });
	c.logSpansFeedbackScores([{ id: b.data.id, name: 'relevance', value: 0.2, projectName: project }]);
	c.logTracesFeedbackScores([{ id: t2.data.id, name: 'overall', value: 0.1 }]);
	await c.flush();
	return { t, t2, a, b, tool };
}

test('the SDK\'s scores come back on spans and traces with value_by_author, and searchSpans, searchTraces, lists and stats filter and average them', async () => {
	const c = client('scored');
	const { t, t2, a, b, tool } = await scored(c, 'scored');
	const span = await c.api.spans.getSpanById(a.data.id);
	assert.equal(span.feedbackScores.length, 1);
	const fs0 = span.feedbackScores[0];
	assert.deepEqual([fs0.name, fs0.value, fs0.reason, fs0.source, fs0.createdBy, fs0.lastUpdatedBy], ['relevance', 0.8, 'on topic', 'sdk', 'admin', 'admin']);
	assert.deepEqual(Object.keys(fs0.valueByAuthor), ['admin']);
	assert.equal(fs0.valueByAuthor.admin.value, 0.8);
	assert.ok(fs0.createdAt instanceof Date && fs0.lastUpdatedAt instanceof Date);
	assert.deepEqual(span.comments, []);
	const tr = await c.api.traces.getTraceById(t.data.id);
	assert.deepEqual(tr.feedbackScores.map((f) => [f.name, f.value, f.categoryName]), [['overall', 0.9, 'good']]);

	const spans = async (oql) => sorted((await c.searchSpans({ projectName: 'scored', filterString: oql })).map((s) => s.id));
	assert.deepEqual(await spans('feedback_scores.relevance >= 0.5'), [a.data.id]);
	assert.deepEqual(await spans('feedback_scores.relevance < 0.5'), [b.data.id]);
	assert.deepEqual(await spans('feedback_scores.relevance = 0.2'), [b.data.id]);
	assert.deepEqual(await spans('feedback_scores.relevance is_not_empty'), sorted([a.data.id, b.data.id]));
	assert.deepEqual(await spans('feedback_scores.relevance is_empty'), [tool.data.id]);
	assert.deepEqual(await spans('feedback_scores.relevance != 0.8'), sorted([b.data.id, tool.data.id]));
	assert.deepEqual(await spans('feedback_scores.relevance > 0.1 and type = "llm" and name = "again"'), [b.data.id]);
	assert.deepEqual(await spans('feedback_scores.nothing > 0'), []);
	const traces = async (oql) => sorted((await c.searchTraces({ projectName: 'scored', filterString: oql })).map((x) => x.id));
	assert.deepEqual(await traces('feedback_scores.overall > 0.5'), [t.data.id]);
	assert.deepEqual(await traces('feedback_scores.overall <= 0.5'), [t2.data.id]);
	assert.deepEqual(await traces('feedback_scores.overall is_empty'), []);

	// The GET lists: the same filter, counts that agree, each item with its scores.
	const filters = JSON.stringify([{ field: 'feedback_scores', key: 'relevance', operator: '>', value: '0.1' }]);
	const page = await c.api.spans.getSpansByProject({ projectName: 'scored', filters, size: 1 });
	assert.equal(page.total, 2);
	assert.equal(page.content.length, 1);
	assert.equal(page.content[0].feedbackScores[0].name, 'relevance');
	const tpage = await c.api.traces.getTracesByProject({ projectName: 'scored', filters: JSON.stringify([{ field: 'feedback_scores', key: 'overall', operator: '>=', value: '0' }]) });
	assert.deepEqual(sorted(tpage.content.map((x) => x.id)), sorted([t.data.id, t2.data.id]));
	assert.equal(tpage.content.find((x) => x.id === t2.data.id).feedbackScores[0].value, 0.1);
	// The score's name is matched ignoring case (opik.md 7.2), as a thread's is.
	const byKey = async (list, key, operator, value) => sorted((await c.api[list][list === 'spans' ? 'getSpansByProject' : 'getTracesByProject']({ projectName: 'scored', filters: JSON.stringify([{ field: 'feedback_scores', key, operator, value }]) })).content.map((x) => x.id));
	assert.deepEqual(await byKey('spans', 'RELEVANCE', '>=', '0.5'), [a.data.id]);
	assert.deepEqual(await byKey('spans', 'Relevance', 'is_empty', ''), [tool.data.id]);
	assert.deepEqual(await byKey('traces', 'Overall', '<=', '0.5'), [t2.data.id]);
	assert.deepEqual(await spans('feedback_scores.RELEVANCE >= 0.5'), [a.data.id]);

	// Sorted by a score: the items without one last in either direction.
	const by = (field, direction) => JSON.stringify([{ field, direction }]);
	let order = await c.api.spans.getSpansByProject({ projectName: 'scored', sorting: by('feedback_scores.relevance', 'ASC') });
	assert.deepEqual(order.content.map((x) => x.id), [b.data.id, a.data.id, tool.data.id]);
	order = await c.api.spans.getSpansByProject({ projectName: 'scored', sorting: by('feedback_scores.relevance', 'DESC'), size: 2 });
	assert.deepEqual(order.content.map((x) => x.id), [a.data.id, b.data.id]);
	assert.equal(order.total, 3);
	order = await c.api.traces.getTracesByProject({ projectName: 'scored', sorting: by('feedback_scores.overall', 'ASC') });
	assert.deepEqual(order.content.map((x) => x.id), [t2.data.id, t.data.id]);

	// Stats: the means over the items that have each score, the filter applied first.
	const byName = (r) => Object.fromEntries(r.stats.map((x) => [x.name, x]));
	let st = byName(await c.api.spans.getSpanStats({ projectName: 'scored' }));
	assert.equal(st['feedback_score.relevance'].value, 0.5);
	assert.equal(st['feedback_score.relevance'].type, 'AVG');
	st = byName(await c.api.spans.getSpanStats({ projectName: 'scored', filters }));
	assert.equal(st.span_count.value, 2);
	st = byName(await c.api.traces.getTraceStats({ projectName: 'scored' }));
	assert.equal(st['feedback_score.overall'].value, 0.5);
});

test('the single PUT (404 for what is not stored), delete by name and author, names by project, and the 422s of a FeedbackScore', async () => {
	const c = client('single');
	const { t, a, b, tool } = await scored(c, 'single');
	await c.api.spans.addSpanFeedbackScore(tool.data.id, { body: { name: 'latency', value: 3, source: 'ui', reason: 'slow' } });
	await c.api.traces.addTraceFeedbackScore(t.data.id, { body: { name: 'human', value: 1, source: 'online_scoring' } });
	let got = await c.api.spans.getSpanById(tool.data.id);
	assert.deepEqual(got.feedbackScores.map((f) => [f.name, f.value, f.source, f.reason]), [['latency', 3, 'ui', 'slow']]);
	got = await c.api.traces.getTraceById(t.data.id);
	assert.deepEqual(got.feedbackScores.map((f) => [f.name, f.source]), [['human', 'online_scoring'], ['overall', 'sdk']]);

	// Opik's 404 and 422 shapes; all under /api too.
	for (const prefix of ['', '/api']) {
		let r = await req('PUT', `${prefix}/v1/private/spans/no-such-span/feedback-scores`, { name: 'x', value: 1, source: 'sdk' });
		assert.equal(r.status, 404, r.text);
		assert.deepEqual(r.json, { code: 404, message: 'Span id: no-such-span not found' });
		r = await req('PUT', `${prefix}/v1/private/traces/no-such-trace/feedback-scores`, { name: 'x', value: 1, source: 'sdk' });
		assert.deepEqual(r.json, { code: 404, message: 'Trace id: no-such-trace not found' });
	}
	let r = await req('PUT', `/v1/private/spans/${tool.data.id}/feedback-scores`, { name: ' ', value: 1e10 });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.errors, ['name must not be blank', 'value must be between -999999999.999999999 and 999999999.999999999', 'source must not be null']);
	// 1e9 (and -1e9) is past Decimal(18, 9)'s 999999999.999999999, though a double cannot tell them apart
	for (const value of [1000000000, -1000000000, '1000000000', '-1000000000']) {
		r = await req('PUT', `/v1/private/spans/${tool.data.id}/feedback-scores`, { name: 'edge', value, source: 'sdk' });
		assert.deepEqual([r.status, r.json], [422, { errors: ['value must be between -999999999.999999999 and 999999999.999999999'] }], String(value));
	}
	r = await req('PUT', `/v1/private/spans/${tool.data.id}/feedback-scores`, { name: 'edge', value: 999999999, source: 'sdk' });
	assert.equal(r.status, 204, r.text);
	r = await req('POST', `/v1/private/spans/${tool.data.id}/feedback-scores/delete`, { name: 'edge' });
	assert.equal(r.status, 204, r.text);
	r = await req('PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: a.data.id, name: 'q', value: 1, source: 'robot', project_name: '' }] });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.errors, ['scores.0.source must be one of ui, sdk, online_scoring', 'scores.0.project_name must not be blank']);
	// A value that is no number is Jackson's 400; a number's text is that number, as Jackson reads it.
	r = await req('PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: a.data.id, name: 'q', value: 'abc', source: 'sdk' }] });
	assert.deepEqual([r.status, r.json], [400, { code: 400, message: 'Unable to process JSON' }]);
	r = await req('PUT', `/v1/private/spans/${tool.data.id}/feedback-scores`, { name: 'texty', value: '0.25', source: 'sdk' });
	assert.equal(r.status, 204, r.text);
	const texty = await c.api.spans.getSpanById(tool.data.id);
	assert.equal(texty.feedbackScores.find((f) => f.name === 'texty').value, 0.25);
	assert.equal((await req('POST', `/v1/private/spans/${tool.data.id}/feedback-scores/delete`, { name: 'texty' })).status, 204);
	r = await req('PUT', '/v1/private/traces/feedback-scores', { scores: [] });
	assert.deepEqual(r.json, { errors: ['scores size must be between 1 and 1000'] });
	r = await req('PUT', '/v1/private/traces/feedback-scores', { scores: Array.from({ length: 1001 }, () => ({ id: t.data.id, name: 'n', value: 1, source: 'sdk' })) });
	assert.equal(r.status, 422);

	// Names: of the project's items (a span's type narrows them); project_id is required.
	const projectId = (await req('POST', '/v1/private/projects/retrieve', { name: 'single' })).json.id;
	let names = await c.api.spans.findFeedbackScoreNames1({ projectId });
	assert.deepEqual(names.scores.map((x) => x.name), ['latency', 'relevance']);
	names = await c.api.spans.findFeedbackScoreNames1({ projectId, type: 'llm' });
	assert.deepEqual(names.scores.map((x) => x.name), ['relevance']);
	names = await c.api.traces.findFeedbackScoreNames2({ projectId });
	assert.deepEqual(names.scores.map((x) => x.name), ['human', 'overall']);
	for (const e of ['spans', 'traces']) {
		r = await req('GET', `/v1/private/${e}/feedback-scores/names`);
		assert.equal(r.status, 400, r.text);
		assert.deepEqual(r.json, { code: 400, message: 'project_id must be provided' });
	}

	// Delete: by name, whatever the author; 204 for what is not there.
	await c.api.spans.deleteSpanFeedbackScore(a.data.id, { body: { name: 'relevance' } });
	got = await c.api.spans.getSpanById(a.data.id);
	assert.deepEqual(got.feedbackScores, []);
	assert.equal((await req('POST', `/v1/private/spans/${a.data.id}/feedback-scores/delete`, { name: 'relevance' })).status, 204);
	assert.equal((await req('POST', `/v1/private/spans/${a.data.id}/feedback-scores/delete`, {})).status, 422);
	await c.api.traces.deleteTraceFeedbackScore(t.data.id, { body: { name: 'human' } });
	got = await c.api.traces.getTraceById(t.data.id);
	assert.deepEqual(got.feedbackScores.map((f) => f.name), ['overall']);
	assert.deepEqual(await c.searchSpans({ projectName: 'single', filterString: 'feedback_scores.relevance >= 0' }).then((x) => x.map((s) => s.id)), [b.data.id]);
});

test('several authors of one name: the mean, each author\'s entry, a score again replaces its author\'s and keeps its creation, a delete of one author', async () => {
	const c = client('authors');
	const { a } = await scored(c, 'authors');
	const put = (author, value, reason) => req('PUT', '/v1/private/spans/feedback-scores',
		{ scores: [{ id: a.data.id, name: 'helpful', value, source: 'ui', reason, author, project_name: 'authors' }] });
	assert.equal((await put('ann', 1, 'yes')).status, 204);
	assert.equal((await put('bob', 0)).status, 204);
	const first = (await req('GET', `/v1/private/spans/${a.data.id}`)).json.feedback_scores.find((f) => f.name === 'helpful');
	assert.equal(first.value, 0.5);
	assert.equal(first.reason, 'yes, <no reason>');
	assert.equal(first.created_by, 'ann, bob');
	assert.deepEqual(Object.keys(first.value_by_author), ['ann', 'bob']);
	assert.equal(first.value_by_author.bob.value, 0);
	await clockPast(); // the second score's time differs from the first's
	assert.equal((await put('bob', 0.5)).status, 204);
	const again = (await req('GET', `/v1/private/spans/${a.data.id}`)).json.feedback_scores.find((f) => f.name === 'helpful');
	assert.equal(again.value, 0.75);
	assert.equal(again.created_at, first.created_at);
	assert.ok(Date.parse(again.last_updated_at) > Date.parse(first.last_updated_at));
	// A filter compares that mean, as Opik's feedback_scores_final does, not each author's.
	const ids = async (oql) => (await c.searchSpans({ projectName: 'authors', filterString: oql })).map((x) => x.id);
	assert.deepEqual(await ids('feedback_scores.helpful = 0.75'), [a.data.id]);
	assert.deepEqual(await ids('feedback_scores.helpful = 1'), []);
	assert.deepEqual(await ids('feedback_scores.helpful > 0.7'), [a.data.id]);
	// The SDK reads the same shape.
	const span = await c.api.spans.getSpanById(a.data.id);
	assert.equal(span.feedbackScores.find((f) => f.name === 'helpful').valueByAuthor.ann.reason, 'yes');
	await c.api.spans.deleteSpanFeedbackScore(a.data.id, { body: { name: 'helpful', author: 'ann' } });
	const left = (await req('GET', `/v1/private/spans/${a.data.id}`)).json.feedback_scores.find((f) => f.name === 'helpful');
	assert.deepEqual(Object.keys(left.value_by_author), ['bob']);
	assert.equal(left.value, 0.5);
});

test('comments on spans and traces: create (201, Location), get, shown on the item, PATCH, batch delete, and Opik\'s 404 and 422', async () => {
	const c = client('talk');
	const { t, a } = await scored(c, 'talk');
	for (const [e, id] of [['spans', a.data.id], ['traces', t.data.id]]) {
		for (const prefix of ['', '/api']) {
			const r = await req('POST', `${prefix}/v1/private/${e}/${id}/comments`, { text: `first on ${e}` });
			assert.equal(r.status, 201, r.text);
			assert.equal(r.text, '');
			assert.match(r.headers.location, new RegExp(`^${prefix}/v1/private/${e}/${id}/comments/[0-9a-f-]{36}$`));
		}
	}
	await c.api.spans.addSpanComment(a.data.id, { body: { text: 'from the SDK' } });
	await c.api.traces.addTraceComment(t.data.id, { body: { text: 'on the trace' } });
	const span = await c.api.spans.getSpanById(a.data.id);
	assert.deepEqual(span.comments.map((x) => x.text), ['first on spans', 'first on spans', 'from the SDK']);
	const one = span.comments[2];
	assert.equal(one.createdBy, 'admin');
	assert.equal(one.lastUpdatedBy, 'admin');
	assert.ok(one.createdAt instanceof Date);
	const trace = await c.api.traces.getTraceById(t.data.id);
	assert.deepEqual(trace.comments.map((x) => x.text), ['first on traces', 'first on traces', 'on the trace']);
	// Lists and searches carry them too.
	const found = await c.searchSpans({ projectName: 'talk', filterString: `id = "${a.data.id}"` });
	assert.equal(found[0].comments.length, 3);

	let got = await c.api.spans.getSpanComment(a.data.id, one.id);
	assert.equal(got.text, 'from the SDK');
	let r = await req('GET', `/v1/private/traces/${t.data.id}/comments/${one.id}`);
	assert.deepEqual(r.json, { code: 404, message: `Comment id: ${one.id} not found` });
	await c.api.spans.updateSpanComment(one.id, { body: { text: 'edited' } });
	got = await c.api.spans.getSpanComment(a.data.id, one.id);
	assert.equal(got.text, 'edited');
	assert.ok(got.lastUpdatedAt >= got.createdAt);
	r = await req('PATCH', '/v1/private/traces/comments/0190ffff-0000-7000-8000-000000000000', { text: 'x' });
	assert.equal(r.status, 404, r.text);
	assert.equal(r.json.message, 'Comment id: 0190ffff-0000-7000-8000-000000000000 not found');
	r = await req('PATCH', `/v1/private/spans/comments/${one.id}`, { text: '  ' });
	assert.deepEqual(r.json, { errors: ['text must not be blank'] });
	r = await req('POST', '/v1/private/spans/no-such-span/comments', { text: 'hello' });
	assert.deepEqual(r.json, { code: 404, message: 'Span id: no-such-span not found' });

	await c.api.spans.deleteSpanComments({ ids: span.comments.map((x) => x.id) });
	assert.deepEqual((await c.api.spans.getSpanById(a.data.id)).comments, []);
	r = await req('GET', `/v1/private/spans/${a.data.id}/comments/${one.id}`);
	assert.equal(r.status, 404);
	await c.api.traces.deleteTraceComments({ ids: [trace.comments[0].id] });
	assert.equal((await c.api.traces.getTraceById(t.data.id)).comments.length, 2);
	r = await req('POST', '/v1/private/traces/comments/delete', { ids: [] });
	assert.deepEqual(r.json, { errors: ['ids size must be between 1 and 1000'] });
	// A score's id is no comment: the comment delete leaves it; an unknown id is no error.
	r = await req('POST', '/v1/private/traces/comments/delete', { ids: [scoreId('trace', t.data.id, 'overall', ''), 'nothing-here'] });
	assert.equal(r.status, 204, r.text);
	assert.deepEqual((await c.api.traces.getTraceById(t.data.id)).feedbackScores.map((f) => f.name), ['overall']);
});

test('PATCH spans/batch and traces/batch: the update over every id, tags merged with merge_tags, an id not stored left alone', async () => {
	const c = client('batched');
	const t = c.trace({ name: 'one', tags: ['keep'] });
	const u = c.trace({ name: 'two' });
	const s1 = t.span({ name: 's1', tags: ['old'] });
	const s2 = t.span({ name: 's2' });
	for (const x of [s1, s2, t, u]) x.end();
	await c.flush();
	await c.api.spans.batchUpdateSpans({ ids: [s1.data.id, s2.data.id, '0190ffff-0000-7000-8000-00000000dead'], update: { traceId: t.data.id, tags: ['new'], metadata: { batch: true } }, mergeTags: true });
	let got = await c.api.spans.getSpanById(s1.data.id);
	assert.deepEqual(got.tags, ['old', 'new']);
	assert.deepEqual(got.metadata, { batch: true });
	assert.equal(got.traceId, t.data.id);
	got = await c.api.spans.getSpanById(s2.data.id);
	assert.deepEqual(got.tags, ['new']);
	let r = await req('GET', '/v1/private/spans/0190ffff-0000-7000-8000-00000000dead');
	assert.equal(r.status, 404);
	await c.api.traces.batchUpdateTraces({ ids: [t.data.id, u.data.id], update: { tags: ['fresh'], output: { done: true } } });
	for (const id of [t.data.id, u.data.id]) {
		const tr = await c.api.traces.getTraceById(id);
		assert.deepEqual(tr.tags, ['fresh']);
		assert.deepEqual(tr.output, { done: true });
	}
	r = await req('PATCH', '/v1/private/spans/batch', { ids: [s1.data.id], update: { name: 'x' } });
	assert.deepEqual(r.json, { errors: ['update.trace_id Field required'] });
	r = await req('PATCH', '/v1/private/traces/batch', { ids: Array.from({ length: 1001 }, (_, i) => `t${i}`), update: {} });
	assert.deepEqual(r.json, { errors: ['ids size must be between 1 and 1000'] });
	r = await req('PATCH', '/api/v1/private/traces/batch', { ids: [u.data.id], update: { tags_to_add: ['plus'], tags_to_remove: ['fresh'] } });
	assert.equal(r.status, 204, r.text);
	assert.deepEqual((await c.api.traces.getTraceById(u.data.id)).tags, ['plus']);
});

test('scores an older spandex kept in raw attributes still show (a judgement of the same name wins) and count in stats', async () => {
	const ws = 'legacy';
	const c = client('old', ws);
	const t = c.trace({ name: 'old' });
	const s = t.span({ name: 'kept' });
	s.end();
	t.end();
	await c.flush();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-legacy-'));
	try {
		const out = path.join(dir, 'out.jsonl');
		let r = await spandexCli(['export', srv.dataDir, '--workspace', ws, '--out', out]);
		assert.equal(r.code, 0, r.stderr);
		const lines = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
		const line = lines.find((l) => l.span_id === s.data.id);
		const raw = JSON.parse(line.raw_attributes);
		raw['opik.feedback_scores'] = [
			{ name: 'stale', value: 0.4, source: 'sdk', created_by: 'admin', last_updated_by: 'admin' },
			{ name: 'shadowed', value: 0, source: 'sdk', created_by: 'admin', last_updated_by: 'admin' },
		];
		line.raw_attributes = JSON.stringify(raw);
		const back = path.join(dir, 'back.jsonl');
		fs.writeFileSync(back, `${JSON.stringify(line)}\n`);
		r = await spandexCli(['import', srv.dataDir, '--workspace', ws, back]);
		assert.equal(r.code, 0, r.stderr);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	s.score({ name: 'shadowed', value: 1 });
	await c.flush();
	const span = await c.api.spans.getSpanById(s.data.id);
	assert.deepEqual(span.feedbackScores.map((f) => [f.name, f.value]), [['shadowed', 1], ['stale', 0.4]]);
	const st = Object.fromEntries((await c.api.spans.getSpanStats({ projectName: 'old' })).stats.map((x) => [x.name, x.value]));
	assert.equal(st['feedback_score.stale'], 0.4);
	assert.equal(st['feedback_score.shadowed'], 1);
});

test('a feedback_scores filter and sort of traces see the scores the trace shows: its own, its row\'s and its root\'s when another API wrote it', async () => {
	const ws = 'rooted';
	const opik = (m, p, body) => req(m, p, body, ws);
	const sgp = (body) => srv.request('POST', '/v5/span-assessments', { body, headers: { 'Content-Type': 'application/json', 'x-selected-account-id': ws } });
	// NeMo wrote t1 (root r1 with a child) and t2 (root r2), Opik t3 (its row is span t3), and t4 has no rating.
	const [t1, t2, t3, t4] = ['e1', 'e2', 'e3', 'e4'].map((x) => `01a1fc91-cd0b-7000-8000-0000000000${x}`);
	const at = (s) => `2025-06-01T10:00:0${s}Z`;
	let r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'test', spans: [
		{ span_id: 'r1', trace_id: t1, name: 'one', started_at: at(1) },
		{ span_id: 'k1', trace_id: t1, parent_span_id: 'r1', name: 'kid', started_at: at(2) },
		{ span_id: 'r2', trace_id: t2, name: 'two', started_at: at(3) },
		{ span_id: 'r4', trace_id: t4, name: 'four', started_at: at(5) },
	] } });
	assert.equal(r.status, 201, r.text);
	r = await opik('POST', '/v1/private/traces/batch', { traces: [{ id: t3, name: 'three', start_time: at(4) }] });
	assert.equal(r.status, 204, r.text);
	for (const [trace_id, span_id, rating] of [[t1, undefined, 4], [t1, 'k1', 1], [t2, undefined, 2], [t3, undefined, 5], [t4, 'r4', 3]]) {
		r = await sgp({ assessment_type: 'rating', trace_id, span_id, rating });
		assert.equal(r.status, 200, r.text);
	}
	// t4's rating is on its root too, then gone: a deleted judgement counts nowhere.
	r = await srv.request('GET', `/v5/span-assessments?span_id=r4`, { headers: { 'x-selected-account-id': ws } });
	r = await srv.request('DELETE', `/v5/span-assessments/${r.json.items[0].assessment_id}`, { headers: { 'x-selected-account-id': ws } });
	assert.equal(r.status, 200, r.text);
	const shown = async (id) => (await opik('GET', `/v1/private/traces/${id}`)).json.feedback_scores.map((f) => [f.name, f.value]);
	assert.deepEqual(await shown(t1), [['rating', 4]]); // the root's, not its child's
	assert.deepEqual(await shown(t2), [['rating', 2]]);
	assert.deepEqual(await shown(t3), [['rating', 5]]);
	assert.deepEqual(await shown(t4), []);
	const list = async (query) => {
		const got = await opik('GET', `/v1/private/traces?project_name=Default%20Project&${query}`);
		assert.equal(got.status, 200, got.text);
		return got.json.content.map((x) => x.id);
	};
	const where = (operator, value) => `filters=${encodeURIComponent(JSON.stringify([{ field: 'feedback_scores', key: 'rating', operator, value }]))}`;
	assert.deepEqual(sorted(await list(where('>', '3'))), [t1, t3]);
	assert.deepEqual(await list(where('<', '3')), [t2]);
	assert.deepEqual(await list(where('=', '1')), []);
	assert.deepEqual(sorted(await list(where('is_not_empty', ''))), [t1, t2, t3]);
	assert.deepEqual(await list(where('is_empty', '')), [t4]);
	assert.deepEqual(sorted(await list(where('!=', '4'))), [t2, t3, t4]);
	const by = (direction) => `sorting=${encodeURIComponent(JSON.stringify([{ field: 'feedback_scores.rating', direction }]))}`;
	assert.deepEqual(await list(by('ASC')), [t2, t1, t3, t4]);
	assert.deepEqual(await list(by('DESC')), [t3, t1, t2, t4]);
	// The OQL of the search stream reads the same.
	r = await opik('POST', '/v1/private/traces/search', { project_name: 'Default Project', filters: [{ field: 'feedback_scores', key: 'rating', operator: '>=', value: '4' }] });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(sorted(r.text.trim().split('\r\n').map((l) => JSON.parse(l).id)), [t1, t3]);
});

test('what another API put on a trace\'s row or root is the trace\'s in Opik: its delete by name takes the score, its comment GET finds the comment', async () => {
	const ws = 'rooted-marks';
	const opik = (m, p, body) => req(m, p, body, ws);
	const sgp = async (body) => {
		const r = await srv.request('POST', '/v5/span-assessments', { body, headers: { 'Content-Type': 'application/json', 'x-selected-account-id': ws } });
		assert.equal(r.status, 200, r.text);
		return r.json;
	};
	// t1 NeMo wrote (root r1), t3 Opik (its row the span t3).
	const [t1, t3] = ['f1', 'f3'].map((x) => `01a1fc91-cd0b-7000-8000-0000000000${x}`);
	let r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'test', spans: [{ span_id: 'r1', trace_id: t1, name: 'one', started_at: '2025-06-01T10:00:01Z' }] } });
	assert.equal(r.status, 201, r.text);
	r = await opik('POST', '/v1/private/traces/batch', { traces: [{ id: t3, name: 'three', start_time: '2025-06-01T10:00:03Z' }] });
	assert.equal(r.status, 204, r.text);
	const marks = {};
	for (const t of [t1, t3]) {
		await sgp({ assessment_type: 'rating', trace_id: t, rating: 4 });
		await sgp({ assessment_type: 'rating', trace_id: t, rating: 2 });
		marks[t] = await sgp({ assessment_type: 'comment', trace_id: t, comment: `on ${t}` });
		r = await opik('PUT', `/v1/private/traces/${t}/feedback-scores`, { name: 'own', value: 1, source: 'ui' });
		assert.equal(r.status, 204, r.text);
	}
	const get = async (t) => (await opik('GET', `/v1/private/traces/${t}`)).json;
	for (const t of [t1, t3]) {
		const before = await get(t);
		assert.deepEqual(before.feedback_scores.map((f) => f.name), ['own', 'rating'], t);
		const c = before.comments.find((x) => x.text === `on ${t}`);
		assert.equal(c.id, marks[t].assessment_id);
		r = await opik('GET', `/v1/private/traces/${t}/comments/${c.id}`);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.text, `on ${t}`);
		// another trace's comment is still no comment of this one
		r = await opik('GET', `/v1/private/traces/${t === t1 ? t3 : t1}/comments/${c.id}`);
		assert.equal(r.status, 404, r.text);
		r = await opik('POST', `/v1/private/traces/${t}/feedback-scores/delete`, { name: 'rating' });
		assert.equal(r.status, 204, r.text);
		const after = await get(t);
		assert.deepEqual(after.feedback_scores.map((f) => f.name), ['own'], t);
		r = await srv.request('GET', `/v5/span-assessments?trace_id=${t}&assessment_type=rating`, { headers: { 'x-selected-account-id': ws } });
		assert.deepEqual(r.json.items, [], r.text);
	}
});

test('deleting a trace takes its scores and comments and its spans\' with it: the same ids written again come back bare', async () => {
	const c = client('gone');
	const t = c.trace({ name: 'doomed' });
	const s = t.span({ name: 'doomed-span' });
	s.end();
	t.end();
	s.score({ name: 'q', value: 1 });
	t.score({ name: 'q', value: 1 });
	await c.flush();
	await c.api.traces.addTraceComment(t.data.id, { body: { text: 'bye' } });
	await c.api.traces.deleteTraceById(t.data.id);
	const r = await req('POST', '/v1/private/spans/batch', { spans: [{ id: s.data.id, trace_id: t.data.id, name: 'again', start_time: '2026-04-01T00:00:00Z' }] });
	assert.equal(r.status, 204, r.text);
	assert.equal((await req('POST', '/v1/private/traces/batch', { traces: [{ id: t.data.id, name: 'again', start_time: '2026-04-01T00:00:00Z' }] })).status, 204);
	const span = (await req('GET', `/v1/private/spans/${s.data.id}`)).json;
	assert.deepEqual(span.feedback_scores, []);
	const trace = (await req('GET', `/v1/private/traces/${t.data.id}`)).json;
	assert.deepEqual([trace.feedback_scores, trace.comments], [[], []]);
});

test('with keys on, a score\'s and a comment\'s author is the key\'s principal', async () => {
	const keyed = await startServer({ env: { SPANDEX_TOKEN: 'judge-key' } });
	try {
		const c = new Opik({ apiUrl: keyed.base, projectName: 'keyed', workspaceName: 'default', apiKey: 'judge-key' });
		const t = c.trace({ name: 'signed' });
		t.end();
		t.score({ name: 'q', value: 0.5 });
		await c.flush();
		await c.api.traces.addTraceComment(t.data.id, { body: { text: 'mine' } });
		const tr = await c.api.traces.getTraceById(t.data.id);
		assert.deepEqual(tr.feedbackScores.map((f) => [f.createdBy, Object.keys(f.valueByAuthor)]), [['token', ['token']]]);
		assert.deepEqual(tr.comments.map((x) => [x.text, x.createdBy]), [['mine', 'token']]);
	} finally {
		await keyed.stop();
	}
});

test('traces filter on span_feedback_scores (opik.md §7.3): the mean of their spans\' scores of the name, not the trace\'s own', async () => {
	const ws = 'spanscored';
	const c = client('spanscored', ws);
	const made = [];
	for (const [i, scores] of [[1, [0.9, 0.7]], [2, [0.2]], [3, []]]) {
		const t = c.trace({ name: `t${i}` });
		scores.forEach((value, k) => t.span({ name: `s${i}-${k}` }).score({ name: 'quality', value }));
		t.span({ name: `u${i}` }); // a span with no score counts for nothing
		if (i === 2) t.score({ name: 'quality', value: 1 }); // the trace's own: not a span's
		t.end();
		made.push(t);
	}
	await c.flush();
	const names = async (filterString) => (await c.searchTraces({ projectName: 'spanscored', filterString })).map((t) => t.name).sort();
	assert.deepEqual(await names('span_feedback_scores.quality > 0.5'), ['t1']);
	assert.deepEqual(await names('span_feedback_scores.quality = 0.8'), ['t1']);
	assert.deepEqual(await names('span_feedback_scores.quality < 0.5'), ['t2']);
	assert.deepEqual(await names('span_feedback_scores.quality is_empty'), ['t3']);
	assert.deepEqual(await names('span_feedback_scores.quality is_not_empty'), ['t1', 't2']);
	assert.deepEqual(await names('feedback_scores.quality > 0.5'), ['t2']);
	const f = encodeURIComponent(JSON.stringify([{ field: 'span_feedback_scores', key: 'quality', operator: '!=', value: '0.2' }]));
	const page = await req('GET', `/v1/private/traces?project_name=spanscored&filters=${f}`, undefined, ws);
	assert.equal(page.status, 200, page.text);
	assert.deepEqual(page.json.content.map((t) => t.name).sort(), ['t1', 't3']);
	// A span field it is not: spans have no span_feedback_scores (400 naming it).
	const bad = await req('GET', `/v1/private/spans?project_name=spanscored&filters=${f}`, undefined, ws);
	assert.equal(bad.status, 400, bad.text);
	assert.match(bad.json.message, /span_feedback_scores/);
});

// The SDK sends spans and their scores in batches of their own, and a busy host may take the
// scores' first (seen once in a full check at load 12): a score of a span not yet stored
// (accepted, as Opik does) counts for its trace once the span is there. Sent in that order
// here, not raced.
test('a span\'s score stored before its span counts in its trace\'s span_feedback_scores', async () => {
	const ws = 'scorefirst';
	const now = new Date(Date.now() - 60000).toISOString();
	const id = (k) => `0190a1b2-0005-7000-8000-00000000000${k}`;
	const t = await req('POST', '/v1/private/traces/batch', { traces: [{ id: id(1), project_name: 'early', name: 'early', start_time: now }] }, ws);
	assert.equal(t.status, 204, t.text);
	const sc = await req('PUT', '/v1/private/spans/feedback-scores', { scores: [{ id: id(2), project_name: 'early', name: 'quality', value: 0.9, source: 'sdk' }] }, ws);
	assert.equal(sc.status, 204, sc.text);
	const sp = await req('POST', '/v1/private/spans/batch', { spans: [{ id: id(2), trace_id: id(1), project_name: 'early', name: 's', type: 'general', start_time: now }] }, ws);
	assert.equal(sp.status, 204, sp.text);
	for (const [op, want] of [['>', ['early']], ['<', []]]) {
		const f = encodeURIComponent(JSON.stringify([{ field: 'span_feedback_scores', key: 'quality', operator: op, value: '0.5' }]));
		const page = await req('GET', `/v1/private/traces?project_name=early&filters=${f}`, undefined, ws);
		assert.equal(page.status, 200, page.text);
		assert.deepEqual(page.json.content.map((x) => x.name), want, op);
	}
});
