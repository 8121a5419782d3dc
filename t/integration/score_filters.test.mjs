// spandex's score filters and sorts on GET traces and GET spans (docs/api-intake.md, "spandex's extensions";
// lib/api/intake/byscore.c): the filter field evaluator_scores.<name> with $gte, $lte, $gt, $lt
// and $eq in the JSON, bracket and text forms, echoed; the sorts [-]evaluator_scores.<name>,
// those without the score last either way; the number compared is the one evaluator_scores
// shows, so NeMo's annotations (a numeric label of the same name) and failed results (an
// Opik score with error) take no part: a labelled but unscored trace does not match; 400s in
// the filter's words and the 422 of a bad sort still exactly NeMo's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, ingestSpans, WS_PREFIX } from '../harness.mjs';
import { validate, TracesPage, SpansPage } from '../schema.mjs';

let srv;
after(async () => {
	await srv?.stop();
});

const WS = 'scored-ws';
const W = `${WS_PREFIX}/${WS}`;
const call = (method, p, body, headers) => request(method, `${W}/${p}`, { body, headers, base: srv.base });
const q = encodeURIComponent;
const jf = (o) => `filter=${q(JSON.stringify(o))}`;

// tr-1 (r1, c1; sess-1): acc 1 on r1, 0.5 on c1 (mean 0.75), passed 1 on c1.
// tr-2 (r2; sess-1): acc 0.25.
// tr-3 (r3; sess-2): a human label acc 0.95 and a thumbs up, no evaluator result: unscored.
// tr-4 (r4; sess-2): an Opik score acc 0.9 that records an error: unscored.
// tr-5 (r5; sess-3): nothing.
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
	const t0 = Date.parse('2025-06-01T10:00:00Z');
	const at = (ms) => new Date(t0 + ms).toISOString();
	const root = (n, sess, status = 'success') => ({ span_id: `r${n}`, trace_id: `tr-${n}`, session_id: sess, name: `root-${n}`, status, started_at: at(n * 1000), ended_at: at(n * 1000 + 500) });
	const r = await ingestSpans(WS, [
		root(1, 'sess-1'), { span_id: 'c1', trace_id: 'tr-1', parent_span_id: 'r1', session_id: 'sess-1', started_at: at(1100), ended_at: at(1200) },
		root(2, 'sess-1', 'error'), root(3, 'sess-2'), root(4, 'sess-2'), root(5, 'sess-3'),
	], { base: srv.base });
	assert.equal(r.status, 201, r.text);
	for (const body of [
		{ span_id: 'r1', session_id: 'sess-1', name: 'acc', data_type: 'NUMERIC', value: 1 },
		{ span_id: 'c1', session_id: 'sess-1', name: 'acc', data_type: 'NUMERIC', value: 0.5 },
		{ span_id: 'c1', session_id: 'sess-1', name: 'passed', data_type: 'BOOLEAN', value: 1 },
		{ span_id: 'r2', session_id: 'sess-1', name: 'acc', data_type: 'NUMERIC', value: 0.25 },
		{ span_id: 'r2', session_id: 'sess-1', name: 'tone', data_type: 'CATEGORICAL', string_value: 'curt', value: 9 },
	]) {
		const e = await call('POST', 'evaluator-results', body);
		assert.equal(e.status, 201, e.text);
	}
	for (const body of [
		{ kind: 'label', session_id: 'sess-2', span_id: 'r3', value_type: 'numeric', value: 0.95, name: 'acc' },
		{ kind: 'feedback', session_id: 'sess-2', span_id: 'r3', value: 'positive' },
		{ kind: 'label', session_id: 'sess-1', span_id: 'r2', value_type: 'numeric', value: 1, name: 'acc' },
	]) {
		const a = await call('POST', 'annotations', body);
		assert.equal(a.status, 201, a.text);
	}
	const opik = await request('PUT', '/api/v1/private/spans/feedback-scores', {
		body: { scores: [{ id: 'r4', name: 'acc', value: 0.9, source: 'sdk', error: 1, error_reason: 'judge timed out' }] },
		headers: { 'Comet-Workspace': WS, authorization: '' }, base: srv.base,
	});
	assert.equal(opik.status, 204, opik.text);
});

const traceIds = (r) => r.json.data.map((t) => t.id);
const spanIds = (r) => r.json.data.map((s) => s.span_id);

async function traces(query, want) {
	const r = await call('GET', `traces?${query}`);
	assert.equal(r.status, 200, `${query}: ${r.text}`);
	assert.deepEqual(validate(TracesPage, r.json), []);
	if (want) assert.deepEqual(traceIds(r).sort(), [...want].sort(), query);
	return r;
}

const ROLLUPS = { 'tr-1': { acc: 0.75, passed: 1 }, 'tr-2': { acc: 0.25 }, 'tr-3': {}, 'tr-4': {}, 'tr-5': {} };
async function rollups() {
	const r = await traces('page_size=10');
	return Object.fromEntries(r.json.data.map((t) => [t.id, t.evaluator_scores]));
}

test('the rollups the filters compare: annotations and failed results are no evaluator scores', async () => {
	assert.deepEqual(await rollups(), ROLLUPS);
});

test('evaluator_scores.<name> filters traces by the mean evaluator_scores shows, in each operator', async () => {
	for (const [cmp, want] of [
		[{ $gte: 0.75 }, ['tr-1']], [{ $gte: 0.7 }, ['tr-1']], [{ $gt: 0.75 }, []], [{ $lte: 0.25 }, ['tr-2']],
		[{ $lt: 0.75 }, ['tr-2']], [{ $lt: 0.25 }, []], [0.75, ['tr-1']], [{ $eq: 0.25 }, ['tr-2']],
		[{ $gte: 0 }, ['tr-1', 'tr-2']], [{ $gte: 0.2, $lte: 0.8 }, ['tr-1', 'tr-2']], [{ $gt: 0.25, $lte: 1 }, ['tr-1']],
	]) {
		const r = await traces(jf({ 'evaluator_scores.acc': cmp }), want);
		for (const t of r.json.data) assert.ok('acc' in t.evaluator_scores, `${t.id} has the score it was found by`);
		assert.deepEqual(r.json.filter, { 'evaluator_scores.acc': cmp }, 'echoed as sent');
	}
	// Two names: both must hold. A name nothing has matches nothing.
	await traces(jf({ 'evaluator_scores.acc': { $gte: 0.5 }, 'evaluator_scores.passed': 1 }), ['tr-1']);
	await traces(jf({ 'evaluator_scores.acc': { $lte: 0.5 }, 'evaluator_scores.passed': { $gte: 0 } }), []);
	await traces(jf({ 'evaluator_scores.nope': { $gte: 0 } }), []);
	// With the other fields, and inside $and.
	await traces(jf({ 'evaluator_scores.acc': { $gte: 0 }, status: 'error' }), ['tr-2']);
	await traces(jf({ $and: [{ 'evaluator_scores.acc': { $gte: 0 } }, { session_id: 'sess-1' }] }), ['tr-1', 'tr-2']);
	// A CATEGORICAL result is no score, whatever value it carries.
	await traces(jf({ 'evaluator_scores.tone': { $gte: 0 } }), []);
	// mode=summary reads no rollup, but filters all the same.
	await traces(`mode=summary&${jf({ 'evaluator_scores.acc': { $gte: 0.5 } })}`, ['tr-1']);
});

test('a labelled but unscored trace matches no score filter, nor a failed score', async () => {
	// tr-3's human label (0.95) and tr-4's failed Opik score (0.9) are above every evaluator score.
	await traces(jf({ 'evaluator_scores.acc': { $gte: 0.9 } }), []);
	await traces(jf({ 'evaluator_scores.acc': { $gte: 0 } }), ['tr-1', 'tr-2']);
	// tr-2's label of 1 does not move its mean.
	await traces(jf({ 'evaluator_scores.acc': 0.25 }), ['tr-2']);
	// The annotations are there all the same.
	const a = await call('GET', 'annotations?filter[name]=acc');
	assert.equal(a.json.data.length, 2);
});

test('the bracket and text forms of the filter take the field too', async () => {
	await traces(`filter[evaluator_scores.acc][$gte]=0.5`, ['tr-1']);
	await traces(`filter[evaluator_scores.acc][lte]=0.5`, ['tr-2']);
	await traces(`filter[evaluator_scores.acc]=0.25`, ['tr-2']);
	await traces(`filter[evaluator_scores.acc][$gt]=0.2&filter[evaluator_scores.acc][$lt]=0.5`, ['tr-2']);
	await traces(`filter=${q('evaluator_scores.acc>=0.5')}`, ['tr-1']);
	await traces(`filter=${q('evaluator_scores.acc<0.5 AND status:error')}`, ['tr-2']);
	await traces(`filter=${q('evaluator_scores.acc:0.75')}`, ['tr-1']);
	const r = await traces(`filter[evaluator_scores.acc][$gte]=0.5&filter[status]=success`, ['tr-1']);
	assert.deepEqual(r.json.filter, { 'evaluator_scores.acc': { $gte: '0.5' }, status: 'success' });
});

test('sort=[-]evaluator_scores.<name>: by the score, traces without it last either way', async () => {
	let r = await traces('sort=-evaluator_scores.acc&page_size=10');
	assert.deepEqual(traceIds(r).slice(0, 2), ['tr-1', 'tr-2']);
	assert.deepEqual(traceIds(r).slice(2).sort(), ['tr-3', 'tr-4', 'tr-5']);
	assert.equal(r.json.sort, '-evaluator_scores.acc');
	r = await traces('sort=evaluator_scores.acc&page_size=10');
	assert.deepEqual(traceIds(r).slice(0, 2), ['tr-2', 'tr-1']);
	assert.deepEqual(traceIds(r).slice(2).sort(), ['tr-3', 'tr-4', 'tr-5']);
	assert.equal(r.json.sort, 'evaluator_scores.acc');
	// Pages of it, and a filter with it.
	r = await traces('sort=-evaluator_scores.acc&page_size=1&page=2');
	assert.deepEqual(traceIds(r), ['tr-2']);
	assert.equal(r.json.pagination.total_results, 5);
	r = await traces(`sort=evaluator_scores.acc&${jf({ 'evaluator_scores.acc': { $gte: 0 } })}`);
	assert.deepEqual(traceIds(r), ['tr-2', 'tr-1']);
	// A name nothing has: every trace, none first.
	r = await traces('sort=-evaluator_scores.nope&page_size=10');
	assert.equal(r.json.data.length, 5);
	// Names with a slash, in a bracket filter and a sort.
	const e = await call('POST', 'evaluator-results', { span_id: 'r5', session_id: 'sess-3', name: 'judge/v1', data_type: 'NUMERIC', value: 0.5 });
	assert.equal(e.status, 201, e.text);
	await traces(`filter[evaluator_scores.judge/v1][$gte]=0.5`, ['tr-5']);
	r = await traces(`sort=${q('-evaluator_scores.judge/v1')}&page_size=10`);
	assert.equal(traceIds(r)[0], 'tr-5');
	// A worker that answered those answers a plain page with the same rollups (the page's trace
	// ids were read into memory an earlier request had used, unended).
	assert.deepEqual(await rollups(), { ...ROLLUPS, 'tr-5': { 'judge/v1': 0.5 } });
});

test('spans: their own scores, filtered and sorted alike', async () => {
	const spans = async (query, want) => {
		const r = await call('GET', `spans?${query}`);
		assert.equal(r.status, 200, `${query}: ${r.text}`);
		assert.deepEqual(validate(SpansPage, r.json), []);
		if (want) assert.deepEqual(spanIds(r).sort(), [...want].sort(), query);
		return r;
	};
	await spans(jf({ 'evaluator_scores.acc': { $gte: 0.5 } }), ['r1', 'c1']);
	await spans(jf({ 'evaluator_scores.acc': { $lt: 1 } }), ['c1', 'r2']);
	await spans(`filter[evaluator_scores.passed]=1`, ['c1']);
	await spans(jf({ 'evaluator_scores.acc': { $gte: 0.9 } }), ['r1']); // not r3's label, nor r4's failed score
	let r = await spans('sort=evaluator_scores.acc&page_size=20');
	assert.deepEqual(spanIds(r).slice(0, 3), ['r2', 'c1', 'r1']);
	assert.equal(r.json.data.length, 6);
	r = await spans('sort=-evaluator_scores.acc&page_size=20&mode=summary');
	assert.deepEqual(spanIds(r).slice(0, 3), ['r1', 'c1', 'r2']);
	// Span groups and stats take the filter as GET spans does.
	const g = await call('GET', `spans/groups?by=trace_id&${jf({ 'evaluator_scores.acc': { $gte: 0.5 } })}`);
	assert.equal(g.status, 200, g.text);
	assert.deepEqual(g.json.data.map((x) => [x.group.trace_id, x.span_count]), [['tr-1', 2]]);
	const st = await call('GET', `spans/stats?start=2025-06-01T00:00:00Z&end=2025-06-02T00:00:00Z&${jf({ 'evaluator_scores.acc': { $lte: 0.5 } })}`);
	assert.equal(st.status, 200, st.text);
	assert.equal(st.json.span_count, 2); // c1 and r2
});

test('errors: the filter\'s 400s name the field; a bad sort is NeMo\'s 422, word for word', async () => {
	for (const [what, path] of [['trace', 'traces'], ['span', 'spans']]) {
		for (const [filter, detail] of [
			[{ 'evaluator_scores.acc': { $in: [1] } }, `Unsupported ${what} filter: evaluator_scores.acc $in`],
			[{ 'evaluator_scores.acc': { $gte: 'high' } }, 'Filter field \'evaluator_scores.acc\' must be a number.'],
			[{ 'evaluator_scores.acc': true }, 'Filter field \'evaluator_scores.acc\' must be a number.'],
			[{ 'evaluator_scores.acc': null }, 'Filter field \'evaluator_scores.acc\' must be a number.'],
			[{ $or: [{ 'evaluator_scores.acc': 1 }] }, 'Only AND-combined field filters are supported for Intake span storage.'],
		]) {
			const r = await call('GET', `${path}?${jf(filter)}`);
			assert.equal(r.status, 400, r.text);
			assert.equal(r.json.detail, detail, JSON.stringify(filter));
		}
		// The prefix without a name is an unknown field, as any other.
		const u = await call('GET', `${path}?${jf({ 'evaluator_scores.': 1 })}`);
		assert.equal(u.status, 400);
		assert.match(u.json.detail, /^Unknown filter field 'evaluator_scores\.'\. Valid fields: \[/);
		assert.doesNotMatch(u.json.detail, /Valid fields: \[[^\]]*evaluator_scores/);
		for (const sort of ['bogus', 'evaluator_scores.', '-evaluator_scores.', 'evaluator_scores', '+evaluator_scores.acc', 'value']) {
			const r = await call('GET', `${path}?sort=${q(sort)}`);
			assert.equal(r.status, 422, `${sort}: ${r.text}`);
			assert.deepEqual(r.json.detail, [{
				type: 'enum', loc: ['query', 'sort'], msg: 'Input should be \'started_at\' or \'-started_at\'',
				input: sort, ctx: { expected: '\'started_at\' or \'-started_at\'' },
			}], sort);
		}
	}
	// Span groups sort by span_count alone.
	const g = await call('GET', 'spans/groups?by=trace_id&sort=-evaluator_scores.acc');
	assert.equal(g.status, 422);
	assert.equal(g.json.detail[0].msg, 'Input should be \'span_count\' or \'-span_count\'');
});
