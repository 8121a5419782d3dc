// Scale GP span assessments (issue 34; reference judgement.md section 3) through nginx and
// cgi-bin/egp, requests shaped as the Stainless SDK sends them (there is no SGP client on npm):
// create of each type with the type rule and pydantic's 422s, the root span when span_id is
// left out, 404s, 409 on a second live overwrite, list by span and by trace with the type
// filter, get, PATCH's merge rules, DELETE, the search's assessment_types, what SGP shows of
// Opik's comments and scores and of NeMo's evaluator results (and they of SGP's), and keys:
// created_by is the key, only the creator or an admin changes an assessment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, spandexCli, WS_PREFIX } from '../harness.mjs';
import { validate, SpanAssessment, SpanAssessmentList, SpanAssessmentDeleteResponse, HTTPValidationError, BadRequestError } from '../schema.mjs';

const ACCOUNT = 'sgp-judged';
let srv;
after(async () => {
	await srv?.stop();
});

const H = (extra = {}) => ({ 'Content-Type': 'application/json', 'x-selected-account-id': ACCOUNT, ...extra });
const sgp = (method, p, body, extra) => srv.request(method, p, { body, headers: H(extra) });
const A = '/v5/span-assessments';
const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;

// A 200 SpanAssessment, checked against the SDK's model.
async function create(body, extra) {
	const r = await sgp('POST', A, body, extra);
	assert.equal(r.status, 200, `${JSON.stringify(body)}: ${r.text}`);
	assert.deepEqual(validate(SpanAssessment, r.json), [], r.text);
	return r.json;
}

// A 422 whose items are [type, loc] pairs, in order, in FastAPI's shape.
async function invalid(method, p, body, want) {
	const r = await sgp(method, p, body);
	assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
	assert.deepEqual(validate(HTTPValidationError, r.json), []);
	assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc]), want, r.text);
	return r.json.detail;
}

// A {detail: string} error of this status.
async function fails(method, p, body, status, detail, extra) {
	const r = await sgp(method, p, body, extra);
	assert.equal(r.status, status, `${method} ${p} ${JSON.stringify(body)}: ${r.text}`);
	assert.deepEqual(validate(BadRequestError, r.json), [], r.text);
	if (detail) assert.match(r.json.detail, detail);
	return r.json;
}

async function list(query) {
	const r = await sgp('GET', `${A}?${query}`);
	assert.equal(r.status, 200, `${query}: ${r.text}`);
	assert.deepEqual(validate(SpanAssessmentList, r.json), [], r.text);
	assert.deepEqual(Object.keys(r.json), ['items']);
	return r.json.items;
}

const at = (s) => `2025-06-01T10:00:0${s}.000000+00:00`;
// tr-1: a root and two children; tr-2: a child whose root never came; tr-3: a root alone.
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
	const items = [
		{ id: 'r1', trace_id: 'tr-1', name: 'agent', start_timestamp: at(0), end_timestamp: at(9) },
		{ id: 'c1', trace_id: 'tr-1', parent_id: 'r1', name: 'answer', start_timestamp: at(1), end_timestamp: at(2), type: 'COMPLETION' },
		{ id: 'c2', trace_id: 'tr-1', parent_id: 'r1', name: 'lookup', start_timestamp: at(3), end_timestamp: at(4) },
		{ id: 'x1', trace_id: 'tr-2', parent_id: 'gone', name: 'orphan', start_timestamp: at(5) },
		{ id: 'r3', trace_id: 'tr-3', name: 'other', start_timestamp: at(6), end_timestamp: at(7) },
	];
	const r = await sgp('PUT', '/v5/spans/batch', { items });
	assert.equal(r.status, 200, r.text);
});

const made = {}; // assessments by label

test('create: each type, the comment beside any, the root span when span_id is left out', async () => {
	const bodies = {
		comment: { assessment_type: 'comment', trace_id: 'tr-1', span_id: 'c1', comment: 'too long' },
		rating: { assessment_type: 'rating', trace_id: 'tr-1', span_id: 'c1', rating: 4, comment: 'good but verbose' },
		approval: { assessment_type: 'approval', trace_id: 'tr-1', span_id: 'c1', approval: 'approved' },
		rubric: { assessment_type: 'rubric', trace_id: 'tr-1', span_id: 'c2', rubric: { tone: 'polite', facts: 'wrong' } },
		metadata: { assessment_type: 'metadata', trace_id: 'tr-3', span_id: 'r3', metadata: { ticket: 'T-1', n: [1, 2] } },
		overwrite: { assessment_type: 'overwrite', trace_id: 'tr-1', span_id: 'c1', overwrite: { output: 'fixed' }, comment: 'corrected' },
		root: { assessment_type: 'rating', trace_id: 'tr-1', rating: 2 },
	};
	for (const [label, body] of Object.entries(bodies)) {
		const a = await create(body);
		made[label] = a;
		assert.match(a.assessment_id, UUID4);
		assert.equal(a.assessment_type, body.assessment_type);
		assert.equal(a.trace_id, body.trace_id);
		assert.equal(a.span_id, body.span_id ?? 'r1', label);
		assert.equal(a.object, 'span.assessment');
		assert.equal(a.account_id, ACCOUNT);
		assert.equal(a.created_by, 'anonymous', 'authentication off: nobody');
		assert.match(a.created_at, DT);
		assert.equal(a.updated_at, a.created_at);
		const field = body.assessment_type;
		if (field !== 'comment') assert.deepEqual(a[field], body[field], label);
		assert.equal(a.comment, body.comment, label);
		for (const other of ['rating', 'approval', 'rubric', 'metadata', 'overwrite'])
			if (other !== field) assert.ok(!(other in a), `${label} has ${other}`);
		const got = await sgp('GET', `${A}/${a.assessment_id}`);
		assert.equal(got.status, 200, got.text);
		assert.deepEqual(got.json, a, label);
	}
	// A rating sent as 5.0 is the integer 5, as pydantic's lax int takes it.
	assert.equal((await create({ assessment_type: 'rating', trace_id: 'tr-3', span_id: 'r3', rating: 5.0 })).rating, 5);
});

test('create: 422 in pydantic\'s shape, 404 for a span not in its trace or a trace without a root', async () => {
	await invalid('POST', A, {}, [['missing', ['body', 'assessment_type']], ['missing', ['body', 'trace_id']]]);
	await invalid('POST', A, [1], [['model_attributes_type', ['body']]]);
	await invalid('POST', A, { assessment_type: 'score', trace_id: 'tr-1', rating: 0, approval: 'ok', rubric: { r: 1 }, metadata: [], comment: 7 }, [
		['enum', ['body', 'assessment_type']], ['string_type', ['body', 'comment']],
		['greater_than_equal', ['body', 'rating']], ['enum', ['body', 'approval']],
		['string_type', ['body', 'rubric', 'r']], ['dict_type', ['body', 'metadata']],
	]);
	const d = await invalid('POST', A, { assessment_type: 'rating', trace_id: 'tr-1', rating: 6 }, [['less_than_equal', ['body', 'rating']]]);
	assert.deepEqual(d[0].ctx, { le: 5 });
	await invalid('POST', A, { assessment_type: 'rating', trace_id: 'tr-1', rating: 2.5 }, [['int_from_float', ['body', 'rating']]]);
	// The type rule: exactly its field, a comment beside any.
	let e = await invalid('POST', A, { assessment_type: 'rating', trace_id: 'tr-1', approval: 'approved' }, [['value_error', ['body']]]);
	assert.equal(e[0].msg, "Value error, assessment_type 'rating' requires rating");
	e = await invalid('POST', A, { assessment_type: 'comment', trace_id: 'tr-1', comment: 'c', rating: 3 }, [['value_error', ['body']]]);
	assert.equal(e[0].msg, "Value error, assessment_type 'comment' takes comment, not rating");
	await invalid('POST', A, { assessment_type: 'metadata', trace_id: 'tr-1', metadata: { a: 1 }, overwrite: {} }, [['value_error', ['body']]]);
	await fails('POST', A, { assessment_type: 'comment', trace_id: 'tr-3', span_id: 'c1', comment: 'x' }, 404, /^Span c1 not found in trace tr-3$/);
	await fails('POST', A, { assessment_type: 'comment', trace_id: 'tr-1', span_id: 'nope', comment: 'x' }, 404, /^Span nope not found in trace tr-1$/);
	await fails('POST', A, { assessment_type: 'comment', trace_id: 'tr-2', comment: 'x' }, 404, /^No root span found for trace tr-2$/);
	await fails('POST', A, { assessment_type: 'comment', trace_id: 'tr-9', comment: 'x' }, 404, /^No root span found for trace tr-9$/);
	// A span whose root never came can still be assessed by its id.
	await create({ assessment_type: 'comment', trace_id: 'tr-2', span_id: 'x1', comment: 'orphaned' });
	const r = await sgp('POST', A, 'assessment_type=comment', { 'Content-Type': 'text/plain' });
	assert.equal(r.status, 415, r.text);
});

test('409: a second live overwrite of a span, whoever wrote the first; after a delete, a new one', async () => {
	const second = { assessment_type: 'overwrite', trace_id: 'tr-1', span_id: 'c1', overwrite: { output: 'other' } };
	await fails('POST', A, second, 409, new RegExp(`^Span c1 already has an overwrite assessment \\(${made.overwrite.assessment_id}\\)`));
	// An overwrite of another span is fine.
	const c2 = await create({ ...second, span_id: 'c2' });
	// A PATCH that makes another assessment of c1 an overwrite meets the same rule.
	await fails('PATCH', `${A}/${made.approval.assessment_id}`, { assessment_type: 'overwrite', overwrite: { x: 1 }, approval: null }, 409, /already has an overwrite/);
	assert.equal((await sgp('DELETE', `${A}/${c2.assessment_id}`)).status, 200);
	const again = await create({ ...second, span_id: 'c2' });
	assert.notEqual(again.assessment_id, c2.assessment_id);
	made.overwrite2 = again;
});

test('list: by span, by trace (every span of it), by type; both ids; 400 without either', async () => {
	const ids = (items) => items.map((a) => a.assessment_id);
	const c1 = await list('span_id=c1');
	assert.deepEqual(ids(c1), [made.comment, made.rating, made.approval, made.overwrite].map((a) => a.assessment_id), 'oldest first');
	assert.deepEqual(c1[1], made.rating);
	const tr1 = await list('trace_id=tr-1');
	assert.deepEqual(new Set(tr1.map((a) => a.span_id)), new Set(['c1', 'c2', 'r1']));
	assert.equal(tr1.length, 7);
	assert.deepEqual(ids(await list('trace_id=tr-1&assessment_type=rating')), [made.rating, made.root].map((a) => a.assessment_id));
	assert.deepEqual(ids(await list('span_id=c1&assessment_type=overwrite')), [made.overwrite.assessment_id]);
	assert.deepEqual(await list('span_id=c1&assessment_type=rubric'), []);
	assert.deepEqual(ids(await list('span_id=c2&trace_id=tr-1')), [made.rubric, made.overwrite2].map((a) => a.assessment_id));
	assert.deepEqual(await list('span_id=c2&trace_id=tr-3'), []);
	assert.deepEqual(await list('span_id=no-such-span'), []);
	await fails('GET', A, undefined, 400, /^Either span_id or trace_id must be provided/);
	await fails('GET', `${A}?assessment_type=rating`, undefined, 400);
	const r = await sgp('GET', `${A}?span_id=c1&assessment_type=score`);
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail[0].loc, ['query', 'assessment_type']);
	await fails('GET', `${A}/no-such-id`, undefined, 404, /^Span assessment no-such-id not found$/);
});

test('PATCH: supplied fields replace, null clears, the merged record must fit its type; span and trace stay', async () => {
	const id = made.rating.assessment_id;
	const p = (body) => sgp('PATCH', `${A}/${id}`, body);
	let r = await p({ rating: 5 });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(validate(SpanAssessment, r.json), []);
	assert.equal(r.json.rating, 5);
	assert.equal(r.json.comment, 'good but verbose', 'left as it was');
	assert.equal(r.json.created_at, made.rating.created_at);
	assert.ok(r.json.updated_at > made.rating.updated_at, r.text);
	// span_id and trace_id are no members of an update: ignored, as FastAPI ignores them.
	r = await p({ comment: null, span_id: 'c2', trace_id: 'tr-3' });
	assert.equal(r.status, 200, r.text);
	assert.ok(!('comment' in r.json));
	assert.equal(r.json.span_id, 'c1');
	assert.equal(r.json.trace_id, 'tr-1');
	// A new type needs its field, and the old one cleared.
	let e = await invalid('PATCH', `${A}/${id}`, { assessment_type: 'approval' }, [['value_error', ['body']]]);
	assert.equal(e[0].msg, "Value error, assessment_type 'approval' requires approval");
	e = await invalid('PATCH', `${A}/${id}`, { assessment_type: 'approval', approval: 'rejected' }, [['value_error', ['body']]]);
	assert.equal(e[0].msg, "Value error, assessment_type 'approval' takes approval and a comment, not rating");
	await invalid('PATCH', `${A}/${id}`, { rating: 9, approval: 'maybe' }, [['less_than_equal', ['body', 'rating']], ['enum', ['body', 'approval']]]);
	r = await p({ assessment_type: 'approval', approval: 'rejected', rating: null, comment: 'changed my mind' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.assessment_type, 'approval');
	assert.equal(r.json.approval, 'rejected');
	assert.ok(!('rating' in r.json));
	const got = await sgp('GET', `${A}/${id}`);
	assert.deepEqual(got.json, r.json);
	assert.deepEqual((await list('span_id=c1&assessment_type=rating')), []);
	await fails('PATCH', `${A}/no-such-id`, { comment: 'x' }, 404, /^Span assessment no-such-id not found$/);
});

test('DELETE: {id, deleted, object}; gone from get, list and PATCH', async () => {
	const id = made.comment.assessment_id;
	const r = await sgp('DELETE', `${A}/${id}`);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(validate(SpanAssessmentDeleteResponse, r.json), []);
	assert.deepEqual(r.json, { id, deleted: true, object: 'span.assessment' });
	await fails('GET', `${A}/${id}`, undefined, 404);
	await fails('DELETE', `${A}/${id}`, undefined, 404);
	await fails('PATCH', `${A}/${id}`, { comment: 'back?' }, 404);
	assert.ok(!(await list('span_id=c1')).some((a) => a.assessment_id === id));
});

test('search: assessment_types keeps the spans of traces with assessments of those types', async () => {
	const search = async (body, q = '') => {
		const r = await sgp('POST', `/v5/spans/search${q}`, body);
		assert.equal(r.status, 200, r.text);
		return r.json.items.map((s) => s.id).sort();
	};
	assert.deepEqual(await search({ assessment_types: ['rubric'] }), ['c1', 'c2', 'r1']);
	assert.deepEqual(await search({ assessment_types: ['metadata'] }), ['r3']);
	assert.deepEqual(await search({ assessment_types: ['rubric', 'metadata'] }), ['c1', 'c2', 'r1', 'r3']);
	assert.deepEqual(await search({ assessment_types: ['comment'] }), ['x1'], 'tr-1\'s comment was deleted');
	assert.deepEqual(await search({ assessment_types: ['rubric'], names: ['answer'] }), ['c1']);
	assert.deepEqual(await search({ assessment_types: ['approval'], parents_only: true }), ['r1']);
	const r = await sgp('POST', '/v5/spans/search', { assessment_types: ['quality'] });
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc]), [['enum', ['body', 'assessment_types', 0]]]);
	// An empty list filters nothing, as before.
	assert.equal((await search({ assessment_types: [] })).length, 5);
	const page = await sgp('POST', '/v5/spans/search?limit=1', { assessment_types: ['rubric'] });
	assert.equal(page.json.total, 3);
	assert.equal(page.json.has_more, true);
});

test('other APIs: an Opik comment is a comment assessment (editable), an Opik score and a NeMo result read-only metadata; SGP\'s show there', async () => {
	const opik = (m, p, body) => srv.request(m, p, { body, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': ACCOUNT } });
	let r = await opik('POST', '/v1/private/spans/c2/comments', { text: 'from opik' });
	assert.equal(r.status, 201, r.text);
	const commentId = r.headers.location.split('/').pop();
	r = await opik('PUT', '/v1/private/spans/c2/feedback-scores', { name: 'accuracy', value: 0.5, reason: 'half right', source: 'sdk' });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', `${WS_PREFIX}/${ACCOUNT}/evaluator-results`, {
		body: { span_id: 'c2', session_id: 'tr-1', name: 'faithfulness', data_type: 'CATEGORICAL', string_value: 'high' },
	});
	assert.equal(r.status, 201, r.text);
	const c2 = await list('span_id=c2');
	const com = c2.find((a) => a.assessment_id === commentId);
	assert.ok(com, JSON.stringify(c2));
	assert.equal(com.assessment_type, 'comment');
	assert.equal(com.comment, 'from opik');
	const md = c2.filter((a) => a.assessment_type === 'metadata');
	assert.deepEqual(md.map((a) => a.metadata).sort((x, y) => x.name.localeCompare(y.name)), [
		{ name: 'accuracy', value: 0.5, source: 'sdk', api: 'opik' },
		{ name: 'faithfulness', label: 'high', source: 'evaluator', api: 'intake' },
	]);
	assert.equal(md.find((a) => a.metadata.name === 'accuracy').comment, 'half right');
	assert.deepEqual((await list('span_id=c2&assessment_type=metadata')).length, 2);
	// Another API's named value is read-only here: 403, as SGP answers what it may not change.
	for (const a of md) {
		await fails('PATCH', `${A}/${a.assessment_id}`, { comment: 'x' }, 403, /read-only here$/);
		await fails('DELETE', `${A}/${a.assessment_id}`, undefined, 403, /read-only here$/);
	}
	// Its comment is editable, as Opik edits SGP's, but stays a comment.
	await invalid('PATCH', `${A}/${commentId}`, { assessment_type: 'rating' }, [['value_error', ['body']]]);
	await invalid('PATCH', `${A}/${commentId}`, { assessment_type: 'rating', rating: 3 }, [['value_error', ['body', 'assessment_type']]]);
	// Nor a comment without text, which Opik and NeMo refuse.
	await invalid('PATCH', `${A}/${commentId}`, { comment: '' }, [['value_error', ['body', 'comment']]]);
	await invalid('PATCH', `${A}/${commentId}`, { comment: ' \n' }, [['value_error', ['body', 'comment']]]);
	r = await sgp('PATCH', `${A}/${commentId}`, { comment: 'edited in sgp' });
	assert.equal(r.status, 200, r.text);
	r = await opik('GET', `/v1/private/spans/c2/comments/${commentId}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.text, 'edited in sgp');
	// SGP's rating is a named value: a NeMo evaluator result and an Opik score named rating.
	const nemo = await srv.request('GET', `${WS_PREFIX}/${ACCOUNT}/spans/r1/evaluator-results`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.deepEqual(nemo.json.map((x) => [x.name, x.value, x.data_type, x.session_id]), [['rating', 2, 'NUMERIC', 'tr-1']]);
	const span = await opik('GET', '/v1/private/spans/r1');
	assert.equal(span.status, 200, span.text);
	assert.deepEqual(span.json.feedback_scores.map((s) => [s.name, s.value]), [['rating', 2]]);
	// SGP's comment (x1's) is an Opik comment of that span.
	const x1 = await opik('GET', '/v1/private/spans/x1');
	assert.deepEqual(x1.json.comments.map((c) => c.text), ['orphaned']);
	// A trace another API wrote has a root of another id (r1 of tr-1): the assessment of the
	// trace, which landed on that root, is the Opik trace's too, in its GET, a page and the
	// stats.
	const t1 = await opik('GET', '/v1/private/traces/tr-1');
	assert.equal(t1.status, 200, t1.text);
	assert.deepEqual(t1.json.feedback_scores.map((s) => [s.name, s.value]), [['rating', 2]], t1.text);
	const page = await opik('GET', '/v1/private/traces?project_name=Default%20Project&size=100');
	assert.equal(page.status, 200, page.text);
	assert.deepEqual(page.json.content.find((t) => t.id === 'tr-1')?.feedback_scores?.map((s) => [s.name, s.value]), [['rating', 2]], page.text);
	const stats = await opik('GET', '/v1/private/traces/stats?project_name=Default%20Project');
	assert.ok(stats.json.stats.some((x) => x.name === 'feedback_score.rating'), stats.text);
	// An Opik trace is a span of the trace's id: an assessment of the trace (on its root, that
	// span) shows on the Opik trace.
	const T = '01a1fc91-cd0b-7000-8000-0000000000f0';
	r = await opik('POST', '/v1/private/traces/batch', { traces: [{ id: T, name: 'opik-trace', start_time: '2025-06-01T10:00:00Z' }] });
	assert.equal(r.status, 204, r.text);
	r = await sgp('POST', A, { assessment_type: 'rating', trace_id: T, rating: 5, comment: 'on the trace' });
	assert.equal(r.status, 200, r.text);
	const ot = await opik('GET', `/v1/private/traces/${T}`);
	assert.deepEqual(ot.json.feedback_scores.map((x) => [x.name, x.value]), [['rating', 5]], ot.text);
	r = await sgp('DELETE', `${A}/${commentId}`);
	assert.equal(r.status, 200, r.text);
	assert.equal((await opik('GET', `/v1/private/spans/c2/comments/${commentId}`)).status, 404);
});

test('an Opik comment create naming another judgement\'s id is a 409, not a write over it; sent again it is the same comment', async () => {
	const opik = (p, body) => srv.request('POST', p, { body, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': ACCOUNT } });
	const rating = await create({ assessment_type: 'rating', trace_id: 'tr-3', span_id: 'r3', rating: 3 });
	let r = await opik('/v1/private/traces/tr-3/comments', { text: 'hijack', id: rating.assessment_id });
	assert.equal(r.status, 409, r.text);
	assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message']);
	const kept = await sgp('GET', `${A}/${rating.assessment_id}`);
	assert.equal(kept.status, 200, kept.text);
	assert.deepEqual([kept.json.assessment_type, kept.json.rating], ['rating', 3]);
	const id = '01a1fc91-cd0b-7000-8000-00000000c0c0';
	const get = () => srv.request('GET', `/v1/private/traces/tr-3/comments/${id}`, { headers: { 'Comet-Workspace': ACCOUNT } });
	let created;
	for (const text of ['first', 'sent again']) {
		r = await opik('/v1/private/traces/tr-3/comments', { text, id });
		assert.equal(r.status, 201, r.text);
		created ??= (await get()).json.created_at;
	}
	r = await opik('/v1/private/spans/c1/comments', { text: 'elsewhere', id });
	assert.equal(r.status, 409, r.text);
	r = await get();
	assert.equal(r.json.text, 'sent again', r.text);
	assert.equal(r.json.created_at, created, 'sent again, it keeps when it was made');
});

test('an Opik trace shows the judgements of both its own span and its root when another API gave it an earlier root', async () => {
	const X = '01a1fc91-cd0b-7000-8000-0000000000e1';
	const opik = (m, p, body) => srv.request(m, p, { body, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': ACCOUNT } });
	let r = await opik('POST', '/v1/private/traces/batch', { traces: [{ id: X, name: 'opik-row', start_time: '2025-06-01T10:00:05Z' }] });
	assert.equal(r.status, 204, r.text);
	r = await srv.request('POST', `${WS_PREFIX}/${ACCOUNT}/ingest/spans`, { body: { source: 'test', spans: [{ span_id: 'nemo-root', trace_id: X, name: 'earlier', started_at: '2025-06-01T10:00:00Z' }] } });
	assert.equal(r.status, 201, r.text);
	await create({ assessment_type: 'comment', trace_id: X, span_id: X, comment: 'on the opik row' });
	await create({ assessment_type: 'rating', trace_id: X, span_id: 'nemo-root', rating: 2 });
	const t = await opik('GET', `/v1/private/traces/${X}`);
	assert.equal(t.status, 200, t.text);
	assert.deepEqual(t.json.feedback_scores.map((x) => [x.name, x.value]), [['rating', 2]], t.text);
	assert.deepEqual(t.json.comments.map((x) => x.text), ['on the opik row'], t.text);
});

test('keys: created_by is the key; only its creator or an admin key changes an assessment', async () => {
	const key = {};
	for (const [name, role] of [['alice', 'write'], ['bob', 'write'], ['boss', 'admin'], ['reader', 'read']]) {
		const k = await spandexCli(['key', 'create', srv.dataDir, '--workspace', ACCOUNT, '--role', role, '--name', name]);
		assert.equal(k.code, 0, k.stderr);
		key[name] = { 'x-api-key': k.stdout.trim() };
	}
	const body = { assessment_type: 'comment', trace_id: 'tr-3', span_id: 'r3', comment: 'mine' };
	assert.equal((await sgp('POST', A, body)).status, 401, 'no key once keys exist');
	assert.equal((await sgp('POST', A, body, key.reader)).status, 403);
	const a = await create(body, key.alice);
	assert.match(a.created_by, /^k[0-9a-f]{10}$/);
	const id = a.assessment_id;
	await fails('PATCH', `${A}/${id}`, { comment: 'not yours' }, 403, /creator or an admin/, key.bob);
	await fails('DELETE', `${A}/${id}`, undefined, 403, /creator or an admin/, key.bob);
	let r = await sgp('PATCH', `${A}/${id}`, { comment: 'alice again' }, key.alice);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.created_by, a.created_by, 'the creator stays');
	r = await sgp('PATCH', `${A}/${id}`, { comment: 'the admin' }, key.boss);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.comment, 'the admin');
	// What nobody wrote (keys off) only an admin changes now.
	await fails('PATCH', `${A}/${made.rubric.assessment_id}`, { comment: 'x' }, 403, undefined, key.alice);
	r = await sgp('GET', `${A}/${id}`, undefined, key.reader);
	assert.equal(r.status, 200, r.text);
	assert.equal((await sgp('DELETE', `${A}/${id}`, undefined, key.alice)).status, 200);
	assert.equal((await sgp('DELETE', `${A}/${made.rubric.assessment_id}`, undefined, key.boss)).status, 200);
});
