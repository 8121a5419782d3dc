// NeMo Intake's judgement endpoints through nginx and the spans program (issue 34; reference
// judgement.md section 1, nemo-intake.md sections 2, 4.3 and 9): annotations (create, list with
// its filters, sort and pages, get, soft delete, PATCH 405), evaluator results (create with the
// data_type rules, upsert by re-POST, list, get, spans/{id}/evaluator-results), their 4xx in
// FastAPI's shapes, the evaluator_scores of traces and sessions, the evaluator results an ATIF
// verifier brings, an Opik span score read as an evaluator result, and keys: created_by is
// the key, a read key cannot write.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, ingestSpans, spandexCli, stableId, WS_PREFIX, SRCDIR } from '../harness.mjs';
import { validate, Trace, Session, TracesPage, BadRequestError, HTTPValidationError } from '../schema.mjs';

let srv;
after(async () => {
	await srv?.stop();
});

const WS = 'judge-ws';
const W = `${WS_PREFIX}/${WS}`;
const call = (method, p, body, headers) => request(method, `${W}/${p}`, { body, headers, base: srv.base });
const q = encodeURIComponent;
const jf = (o) => `filter=${q(JSON.stringify(o))}`;
const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/;


// A 400 with exactly this detail.
async function bad(p, detail) {
	const r = await call('GET', p);
	assert.equal(r.status, 400, `${p}: ${r.text}`);
	assert.deepEqual(validate(BadRequestError, r.json), []);
	assert.equal(r.json.detail, detail, p);
}

// A 422 whose items are [type, loc] pairs, in order, in FastAPI's shape.
async function invalid(p, body, want) {
	const r = await call('POST', p, body);
	assert.equal(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
	assert.deepEqual(validate(HTTPValidationError, r.json), []);
	assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc]), want, JSON.stringify(body));
	return r.json.detail;
}

const ids = (r) => r.json.data.map((x) => x.annotation_id ?? x.evaluator_result_id);
const created = {}; // annotation ids by label

// Four spans in two sessions: trace-a (root-a, llm-a) and trace-b in sess-1, trace-c in sess-2.
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
	const t0 = Date.parse('2025-06-01T10:00:00Z');
	const at = (ms) => new Date(t0 + ms).toISOString();
	const r = await ingestSpans(WS, [
		{ span_id: 'root-a', trace_id: 'trace-a', session_id: 'sess-1', started_at: at(0), ended_at: at(5000) },
		{ span_id: 'llm-a', trace_id: 'trace-a', parent_span_id: 'root-a', session_id: 'sess-1', started_at: at(1000), ended_at: at(2000) },
		{ span_id: 'root-b', trace_id: 'trace-b', session_id: 'sess-1', started_at: at(10000), ended_at: at(11000) },
		{ span_id: 'root-c', trace_id: 'trace-c', session_id: 'sess-2', started_at: at(20000), ended_at: at(21000) },
	], { base: srv.base });
	assert.equal(r.status, 201, r.text);
});

test('annotations: each kind is created (201) and read back in its shape', async () => {
	const bodies = {
		feedback: { kind: 'feedback', session_id: 'sess-1', span_id: 'llm-a', value: 'positive' },
		negative: { kind: 'feedback', session_id: 'sess-1', span_id: 'root-b', value: 'negative' },
		note: { kind: 'note', session_id: 'sess-1', text: 'the whole session went well' },
		metadata: { kind: 'metadata', session_id: 'sess-2', span_id: 'root-c', metadata: { ticket: 'T-1', tags: ['x'], n: 1.5 } },
		numeric: { kind: 'label', session_id: 'sess-1', span_id: 'llm-a', value_type: 'numeric', value: 4, name: 'helpfulness' },
		numeric2: { kind: 'label', session_id: 'sess-2', span_id: 'root-c', value_type: 'numeric', value: 2.5, name: 'helpfulness' },
		text: { kind: 'label', session_id: 'sess-1', value_type: 'text', value: 'regression' },
		// An unknown span is permitted (NF test_attach_to_nonexistent_span_is_permitted).
		unknown: { kind: 'note', session_id: 'sess-9', span_id: 'no-such-span', text: 'orphan' },
	};
	for (const [label, body] of Object.entries(bodies)) {
		const r = await call('POST', 'annotations', body);
		assert.equal(r.status, 201, `${label}: ${r.text}`);
		const a = r.json;
		assert.match(a.annotation_id, /^ann-[0-9a-f]{32}$/);
		assert.equal(a.workspace, WS);
		assert.match(a.created_at, DT);
		assert.match(a.ingested_at, DT);
		assert.ok(Date.parse(a.ingested_at) >= Date.parse(a.created_at));
		assert.ok(!('created_by' in a), 'no created_by with authentication off');
		// The fields in the order of NeMo's read model, None left out.
		const { annotation_id, workspace, created_at, ingested_at, ...rest } = a;
		const want = { ...(body.span_id ? { span_id: body.span_id } : {}), session_id: body.session_id };
		if (body.kind === 'label')
			Object.assign(want, { kind: 'label', value_type: body.value_type, value: body.value, ...(body.name ? { name: body.name } : {}) });
		else
			Object.assign(want, Object.fromEntries(Object.entries(body).filter(([k]) => !['span_id', 'session_id'].includes(k))));
		assert.deepEqual(rest, want, label);
		assert.deepEqual(Object.keys(a).slice(0, 2), ['annotation_id', 'workspace']);
		created[label] = a;
		const g = await call('GET', `annotations/${a.annotation_id}`);
		assert.equal(g.status, 200, g.text);
		assert.deepEqual(g.json, a);
	}
	// A numeric label's value is a float on the wire, as pydantic prints it (4.0).
	const g = await call('GET', `annotations/${created.numeric.annotation_id}`);
	assert.match(g.text, /"value":4\.0[,}]/);
});

test('annotations: 422 in FastAPI\'s shape for each rule of AnnotationInput', async () => {
	const s = { session_id: 'sess-1' };
	await invalid('annotations', { ...s, kind: 'note', text: 'x', extra: 1 }, [['extra_forbidden', ['body', 'note', 'extra']]]);
	const d = await invalid('annotations', { ...s, kind: 'bogus' }, [['union_tag_invalid', ['body']]]);
	assert.equal(d[0].msg, "Input tag 'bogus' found using 'kind' does not match any of the expected tags: 'feedback', 'note', 'metadata', 'label'");
	assert.deepEqual(d[0].ctx, { discriminator: "'kind'", tag: 'bogus', expected_tags: "'feedback', 'note', 'metadata', 'label'" });
	const n = await invalid('annotations', { ...s, text: 'x' }, [['union_tag_not_found', ['body']]]);
	assert.equal(n[0].msg, "Unable to extract tag using discriminator 'kind'");
	await invalid('annotations', { kind: 'note', text: 'x' }, [['missing', ['body', 'note', 'session_id']]]);
	await invalid('annotations', { ...s, kind: 'note', text: '' }, [['string_too_short', ['body', 'note', 'text']]]);
	await invalid('annotations', { ...s, kind: 'note', text: 'x'.repeat(10001) }, [['string_too_long', ['body', 'note', 'text']]]);
	// Counted in characters, not bytes.
	assert.equal((await call('POST', 'annotations', { ...s, kind: 'note', text: 'é'.repeat(10000) })).status, 201);
	await invalid('annotations', { ...s, kind: 'metadata', metadata: {} }, [['too_short', ['body', 'metadata', 'metadata']]]);
	await invalid('annotations', { ...s, kind: 'metadata', metadata: [1] }, [['dict_type', ['body', 'metadata', 'metadata']]]);
	const f = await invalid('annotations', { ...s, kind: 'feedback', value: 'meh' }, [['literal_error', ['body', 'feedback', 'value']]]);
	assert.equal(f[0].msg, "Input should be 'positive' or 'negative'");
	const l = await invalid('annotations', { ...s, kind: 'label', value_type: 'numeric', value: 3 }, [['value_error', ['body', 'label']]]);
	assert.equal(l[0].msg, 'Value error, value_type=numeric requires `name`');
	const l2 = await invalid('annotations', { ...s, kind: 'label', value_type: 'numeric', value: '3', name: 'x' }, [['value_error', ['body', 'label']]]);
	assert.equal(l2[0].msg, 'Value error, value_type=numeric requires a numeric `value`');
	await invalid('annotations', { ...s, kind: 'label', value_type: 'numeric', value: true, name: 'x' }, [['value_error', ['body', 'label']]]);
	const l3 = await invalid('annotations', { ...s, kind: 'label', value_type: 'text', value: 3 }, [['value_error', ['body', 'label']]]);
	assert.equal(l3[0].msg, 'Value error, value_type=text requires a string `value`');
	await invalid('annotations', { ...s, kind: 'label', value_type: 'both', value: 'x' }, [['literal_error', ['body', 'label', 'value_type']]]);
	await invalid('annotations', { ...s, kind: 'label', value_type: 'text', value: null },
		[['string_type', ['body', 'label', 'value', 'str']], ['float_type', ['body', 'label', 'value', 'float']]]);
	await invalid('annotations', { ...s, kind: 'label', value_type: 'text', value: 'x', name: 'n'.repeat(257) }, [['string_too_long', ['body', 'label', 'name']]]);
	await invalid('annotations', [1], [['model_attributes_type', ['body']]]);
	const j = await call('POST', 'annotations', '{"kind":');
	assert.equal(j.status, 422);
	assert.equal(j.json.detail[0].type, 'json_invalid');
	const ct = await call('POST', 'annotations', 'x', { 'Content-Type': 'text/plain' });
	assert.equal(ct.status, 415, ct.text);
});

test('annotations: list, newest first, pages, sort and the page envelope', async () => {
	const all = await call('GET', 'annotations?page_size=1000');
	assert.equal(all.status, 200, all.text);
	const n = all.json.pagination.total_results;
	assert.ok(n >= 9, all.text);
	const times = all.json.data.map((a) => Date.parse(a.created_at));
	assert.deepEqual(times, [...times].sort((x, y) => y - x), 'default -created_at');
	assert.equal(all.json.sort, '-created_at');
	assert.ok(!('filter' in all.json), 'no filter echo without a filter');
	const def = await call('GET', 'annotations');
	assert.equal(def.json.data.length, 10 > n ? n : 10);
	assert.deepEqual(def.json.pagination, { page: 1, page_size: 10, current_page_size: def.json.data.length, total_pages: Math.ceil(n / 10), total_results: n });
	const asc = await call('GET', 'annotations?sort=created_at&page_size=1000');
	assert.deepEqual(ids(asc), ids(all).reverse());
	const p2 = await call('GET', 'annotations?page=2&page_size=3');
	assert.deepEqual(ids(p2), ids(all).slice(3, 6));
	assert.deepEqual(p2.json.pagination, { page: 2, page_size: 3, current_page_size: 3, total_pages: Math.ceil(n / 3), total_results: n });
	const past = await call('GET', 'annotations?page=99&page_size=3');
	assert.deepEqual(past.json.data, []);
	for (const p of ['annotations?page_size=0', 'annotations?page_size=1001', 'annotations?page=0', 'annotations?sort=value']) {
		const r = await call('GET', p);
		assert.equal(r.status, 422, `${p}: ${r.text}`);
	}
	await bad('annotations?mode=summary&by=x', 'Unsupported query parameter(s): by, mode');
});

test('annotations: filters and their 400s', async () => {
	const list = async (f) => {
		const r = await call('GET', `annotations?page_size=1000&${f}`);
		assert.equal(r.status, 200, `${f}: ${r.text}`);
		return r;
	};
	const has = async (f, labels) => {
		const r = await list(f);
		assert.deepEqual(ids(r).sort(), labels.map((l) => created[l].annotation_id).sort(), f);
		return r;
	};
	await has('filter[span_id]=llm-a', ['feedback', 'numeric']);
	await has('filter[kind]=feedback', ['feedback', 'negative']);
	await has('filter[kind]=metadata', ['metadata']);
	await has('filter[kind]=label&filter[session_id]=sess-1', ['numeric', 'text']);
	await has(`${jf({ kind: 'note', session_id: 'sess-9' })}`, ['unknown']);
	await has('filter[name]=helpfulness', ['numeric', 'numeric2']);
	await has('filter[value_text]=negative', ['negative']);
	await has('filter[value_text]=regression', ['text']);
	await has('filter[value_numeric][$gte]=3', ['numeric']);
	await has('filter[value_numeric][lte]=3&filter[value_numeric][gte]=2', ['numeric2']);
	await has('filter[kind]=feedback&filter[value_numeric][$gte]=0', []);
	const from = created.metadata.created_at, to = created.numeric2.created_at;
	await has(`filter[created_at][$gte]=${q(from)}&filter[created_at][$lte]=${q(to)}`, ['metadata', 'numeric', 'numeric2']);
	const e = await has('filter[session_id]=sess-2&filter[kind]=label', ['numeric2']);
	assert.deepEqual(e.json.filter, { session_id: 'sess-2', kind: 'label' });
	await has('filter[created_by]=nobody', []);

	await bad('annotations?filter[span_id][$gte]=a', "Filter field 'span_id' only supports equality.");
	await bad('annotations?filter[span_id][$in]=a,b', "Filter field 'span_id' only supports equality.");
	await bad('annotations?filter[kind]=thumbs', "Filter field 'kind' must be one of: feedback, label, note, metadata");
	await bad('annotations?filter[value_numeric]=3', 'Unsupported annotation filter: value_numeric $eq');
	await bad('annotations?filter[value_numeric][$gt]=3', 'Unsupported annotation filter: value_numeric $gt');
	await bad('annotations?filter[value_numeric][$gte]=high', "Filter field 'value_numeric' must be a number.");
	await bad('annotations?filter[created_at][$gte]=yesterday', "Filter field 'created_at' must be a valid datetime.");
	await bad('annotations?filter[created_at]=2025-01-01T00:00:00Z', 'Unsupported annotation filter: created_at $eq');
	await bad('annotations?filter[id]=x', 'Unsupported annotation filter: id $eq');
	await bad(`annotations?${jf({ session_id: null })}`, "Filter field 'session_id' does not support null values.");
	await bad(`annotations?${jf({ name: 3 })}`, "Filter field 'name' must be a string.");
	await bad(`annotations?${jf({ $or: [{ kind: 'note' }, { kind: 'label' }] })}`, 'Only AND-combined field filters are supported for Intake span storage.');
	await bad('annotations?filter[model]=x', "Unknown filter field 'model'. Valid fields: ['created_at', 'created_by', 'entity_type', 'id', 'kind', 'name', 'project', 'session_id', 'span_id', 'updated_at', 'value_numeric', 'value_text', 'workspace']");
});

test('annotations: soft delete (204), then 404 with NeMo\'s text; PATCH is 405', async () => {
	const id = created.negative.annotation_id;
	const patch = await call('PATCH', `annotations/${id}`, {});
	assert.equal(patch.status, 405, patch.text);
	assert.match(patch.headers.allow, /DELETE/);
	const del = await call('DELETE', `annotations/${id}`);
	assert.equal(del.status, 204, del.text);
	assert.equal(del.text, '');
	for (const [m, p] of [['GET', `annotations/${id}`], ['DELETE', `annotations/${id}`], ['GET', 'annotations/ann-none'], ['DELETE', 'annotations/ann-none']]) {
		const r = await call(m, p);
		assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
		assert.deepEqual(r.json, { detail: `Annotation ${WS}/${p.split('/')[1]} not found` });
	}
	const l = await call('GET', 'annotations?page_size=1000&filter[kind]=feedback');
	assert.deepEqual(ids(l), [created.feedback.annotation_id], 'gone from the list');
	// An evaluator result is no annotation.
	const e = await call('GET', `annotations/${stableId('eval', WS, 'sess-1', 'llm-a', 'x')}`);
	assert.equal(e.status, 404);
});

const results = {};

test('evaluator results: each data_type, FAILED, the deterministic id and the read shape', async () => {
	const s = { session_id: 'sess-1', span_id: 'llm-a' };
	const bodies = {
		acc: { ...s, name: 'accuracy', data_type: 'NUMERIC', value: 0.82, comment: '2 of 11 claims unsupported' },
		pass: { ...s, name: 'passed', data_type: 'BOOLEAN', value: 1 },
		cat: { ...s, name: 'tone', data_type: 'CATEGORICAL', string_value: 'polite', value: 2 },
		txt: { ...s, name: 'summary', data_type: 'TEXT', string_value: 'fine', status: 'SCORED' },
		fail: { ...s, name: 'judge', data_type: 'NUMERIC', status: 'FAILED', comment: 'judge unreachable' },
		accB: { session_id: 'sess-1', span_id: 'root-b', name: 'accuracy', data_type: 'NUMERIC', value: 0.5 },
		passB: { session_id: 'sess-1', span_id: 'root-b', name: 'passed', data_type: 'BOOLEAN', value: 0 },
		accC: { session_id: 'sess-2', span_id: 'root-c', name: 'accuracy', data_type: 'NUMERIC', value: 0.1 },
		// A span that was never ingested: the loose target.
		loose: { session_id: 'sess-9', span_id: 'no-such-span', name: 'accuracy', data_type: 'NUMERIC', value: 1 },
	};
	for (const [label, body] of Object.entries(bodies)) {
		const r = await call('POST', 'evaluator-results', body);
		assert.equal(r.status, 201, `${label}: ${r.text}`);
		const e = r.json;
		assert.equal(e.evaluator_result_id, stableId('eval', WS, body.session_id, body.span_id, body.name));
		const want = {
			evaluator_result_id: e.evaluator_result_id, span_id: body.span_id, session_id: body.session_id,
			workspace: WS, name: body.name,
			...(body.value !== undefined ? { value: body.value } : {}),
			...(body.string_value ? { string_value: body.string_value } : {}),
			data_type: body.data_type, status: body.status ?? 'SCORED',
			...(body.comment ? { comment: body.comment } : {}),
			created_at: e.created_at, ingested_at: e.ingested_at,
		};
		assert.deepEqual(e, want, label);
		assert.deepEqual(Object.keys(e), Object.keys(want), `${label}: field order`);
		assert.match(e.created_at, DT);
		results[label] = e;
		const g = await call('GET', `evaluator-results/${e.evaluator_result_id}`);
		assert.equal(g.status, 200, g.text);
		assert.deepEqual(g.json, e);
	}
	const p = await call('GET', `evaluator-results/${results.pass.evaluator_result_id}`);
	assert.match(p.text, /"value":1\.0,/, 'a float as pydantic prints it');
	const missing = await call('GET', 'evaluator-results/eval-none');
	assert.equal(missing.status, 404);
	assert.deepEqual(missing.json, { detail: `Evaluator result ${WS}/eval-none not found` });
	// An annotation is no evaluator result.
	assert.equal((await call('GET', `evaluator-results/${created.numeric.annotation_id}`)).status, 404);
});

test('evaluator results: a re-POST of the same target replaces it (201 both times)', async () => {
	const body = { session_id: 'sess-2', span_id: 'root-c', name: 'accuracy', data_type: 'NUMERIC', value: 0.3 };
	for (const v of [0.3, 0.3, 0.2]) {
		const r = await call('POST', 'evaluator-results', { ...body, value: v });
		assert.equal(r.status, 201, r.text);
		assert.equal(r.json.evaluator_result_id, results.accC.evaluator_result_id);
		assert.equal(r.json.value, v);
	}
	const l = await call('GET', 'evaluator-results?filter[span_id]=root-c');
	assert.equal(l.json.pagination.total_results, 1, l.text);
	assert.equal(l.json.data[0].value, 0.2);
	results.accC = l.json.data[0];
});

test('evaluator results: 422 for each rule of EvaluatorResultInput', async () => {
	const s = { session_id: 'sess-1', span_id: 'llm-a', name: 'x' };
	const rule = async (body, msg) => {
		const d = await invalid('evaluator-results', body, [['value_error', ['body']]]);
		assert.equal(d[0].msg, `Value error, ${msg}`);
	};
	await rule({ ...s, data_type: 'TEXT', value: 1 }, '`string_value` is required when data_type is TEXT.');
	await rule({ ...s, data_type: 'CATEGORICAL' }, '`string_value` is required when data_type is CATEGORICAL.');
	await rule({ ...s, data_type: 'NUMERIC' }, '`value` is required when data_type is NUMERIC.');
	await rule({ ...s, data_type: 'BOOLEAN', value: 0.5 }, '`value` must be 0 or 1 when data_type is BOOLEAN.');
	await rule({ ...s, data_type: 'NUMERIC', value: 1, status: 'FAILED' }, 'A FAILED evaluator result carries no `value` or `string_value`.');
	await invalid('evaluator-results', { ...s, data_type: 'SCORE', value: 1 }, [['enum', ['body', 'data_type']]]);
	await invalid('evaluator-results', { ...s, data_type: 'NUMERIC', value: 1, status: 'DONE' }, [['enum', ['body', 'status']]]);
	await invalid('evaluator-results', { ...s, data_type: 'NUMERIC', value: 'high' }, [['float_parsing', ['body', 'value']]]);
	await invalid('evaluator-results', { ...s, data_type: 'NUMERIC', value: 1, score: 1 }, [['extra_forbidden', ['body', 'score']]]);
	await invalid('evaluator-results', { session_id: 's', data_type: 'NUMERIC', value: 1 },
		[['missing', ['body', 'span_id']], ['missing', ['body', 'name']]]);
	await invalid('evaluator-results', { ...s, name: 'n'.repeat(513), data_type: 'NUMERIC', value: 1 }, [['string_too_long', ['body', 'name']]]);
	await invalid('evaluator-results', 'null', [['model_attributes_type', ['body']]]);
});

test('evaluator results: list sorts, filters and their 400s', async () => {
	const list = async (f) => {
		const r = await call('GET', `evaluator-results?page_size=1000&${f}`);
		assert.equal(r.status, 200, `${f}: ${r.text}`);
		return r;
	};
	const has = async (f, labels, ordered = false) => {
		const got = ids(await list(f)), want = labels.map((l) => results[l].evaluator_result_id);
		assert.deepEqual(ordered ? got : got.sort(), ordered ? want : want.sort(), f);
	};
	const all = await list('');
	assert.equal(all.json.sort, '-created_at');
	const times = all.json.data.map((e) => Date.parse(e.created_at));
	assert.deepEqual(times, [...times].sort((x, y) => y - x));
	// By value: those without one (FAILED, TEXT) last in either direction, ties by id.
	const byValue = (await list('sort=value')).json.data.map((e) => e.value ?? null);
	assert.deepEqual(byValue, [0, 0.2, 0.5, 0.82, 1, 1, 2, null, null]);
	const desc = (await list('sort=-value')).json.data.map((e) => e.value ?? null);
	assert.deepEqual(desc, [2, 1, 1, 0.82, 0.5, 0.2, 0, null, null]);
	await has('filter[span_id]=llm-a', ['acc', 'pass', 'cat', 'txt', 'fail']);
	await has('filter[session_id]=sess-2', ['accC']);
	await has('filter[name]=accuracy', ['acc', 'accB', 'accC', 'loose']);
	await has('filter[data_type]=BOOLEAN', ['pass', 'passB']);
	await has('filter[data_type]=TEXT', ['txt']);
	await has('filter[status]=FAILED', ['fail']);
	await has('filter[status]=SCORED&filter[span_id]=llm-a', ['acc', 'pass', 'cat', 'txt']);
	// Ties by id, ascending.
	const ones = [results.loose, results.pass].map((e) => e.evaluator_result_id).sort();
	assert.deepEqual(ids(await list('filter[value][$gte]=0.5&filter[value][$lte]=1&sort=value')),
		[results.accB.evaluator_result_id, results.acc.evaluator_result_id, ...ones]);
	await has('filter[created_by]=someone', []);
	await has(`filter[created_at][$gte]=${q(results.accB.created_at)}&filter[data_type]=NUMERIC`, ['accB', 'accC', 'loose']);

	await bad('evaluator-results?filter[value]=1', 'Unsupported evaluator_result filter: value $eq');
	await bad('evaluator-results?filter[name][$like]=acc', "Filter field 'name' only supports equality.");
	await bad('evaluator-results?filter[data_type]=numeric', "Filter field 'data_type' must be one of: NUMERIC, CATEGORICAL, BOOLEAN, TEXT");
	await bad('evaluator-results?filter[status]=OK', "Filter field 'status' must be one of: SCORED, FAILED");
	await bad('evaluator-results?filter[kind]=note', "Unknown filter field 'kind'. Valid fields: ['created_at', 'created_by', 'data_type', 'entity_type', 'id', 'name', 'project', 'session_id', 'span_id', 'status', 'updated_at', 'value', 'workspace']");
	await bad('evaluator-results?limit=5', 'Unsupported query parameter(s): limit');
	assert.equal((await call('GET', 'evaluator-results?sort=-name')).status, 422);
});

test('spans/{span_id}/evaluator-results: a plain array, oldest first; [] for an unknown span', async () => {
	const r = await call('GET', 'spans/llm-a/evaluator-results');
	assert.equal(r.status, 200, r.text);
	assert.ok(Array.isArray(r.json));
	assert.deepEqual(r.json.map((e) => e.evaluator_result_id), ['acc', 'pass', 'cat', 'txt', 'fail'].map((l) => results[l].evaluator_result_id));
	assert.deepEqual(r.json[0], results.acc);
	const none = await call('GET', 'spans/never-seen/evaluator-results');
	assert.equal(none.status, 200);
	assert.deepEqual(none.json, []);
	assert.deepEqual((await call('GET', 'spans/no-such-span/evaluator-results')).json, [results.loose]);
});

test('evaluator_scores: per-name means of NUMERIC and BOOLEAN results on traces and sessions', async () => {
	const s1 = await call('GET', 'sessions/sess-1');
	assert.equal(s1.status, 200, s1.text);
	assert.deepEqual(validate(Session, s1.json), []);
	// accuracy: 0.82 (llm-a), 0.5 (root-b); passed: 1, 0; tone, summary and the FAILED judge
	// are left out.
	assert.deepEqual(s1.json.evaluator_scores, { accuracy: (0.82 + 0.5) / 2, passed: 0.5 });
	assert.deepEqual((await call('GET', 'sessions/sess-2')).json.evaluator_scores, { accuracy: 0.2 });
	const ta = await call('GET', 'traces/trace-a');
	assert.deepEqual(validate(Trace, ta.json), []);
	assert.deepEqual(ta.json.evaluator_scores, { accuracy: 0.82, passed: 1 });
	assert.match(ta.text, /"evaluator_scores":\{"accuracy":0\.82,"passed":1\.0\}/);
	assert.ok(!('evaluator_scores' in (await call('GET', 'traces/trace-a?mode=summary')).json));
	const list = await call('GET', 'traces?page_size=10');
	assert.deepEqual(validate(TracesPage, list.json), []);
	const by = Object.fromEntries(list.json.data.map((t) => [t.id, t.evaluator_scores]));
	assert.deepEqual(by, { 'trace-a': { accuracy: 0.82, passed: 1 }, 'trace-b': { accuracy: 0.5, passed: 0 }, 'trace-c': { accuracy: 0.2 } });
	const summary = await call('GET', 'traces?mode=summary');
	assert.ok(summary.json.data.every((t) => !('evaluator_scores' in t)));
});

test('an Opik span score is a NUMERIC evaluator result (its category its string_value), and counts in evaluator_scores', async () => {
	const put = (score) => request('PUT', '/api/v1/private/spans/feedback-scores', {
		body: { scores: [{ id: 'root-b', source: 'sdk', ...score }] },
		headers: { 'Comet-Workspace': WS, authorization: '' }, base: srv.base,
	});
	let r = await put({ name: 'opik.relevance', value: 0.25, category_name: 'low', reason: 'half of it' });
	assert.equal(r.status, 204, r.text);
	r = await put({ name: 'opik.plain', value: 0.75 });
	assert.equal(r.status, 204, r.text);
	const got = await call('GET', 'spans/root-b/evaluator-results');
	const byName = Object.fromEntries(got.json.map((e) => [e.name, e]));
	const { created_at, ingested_at, ...rest } = byName['opik.relevance'];
	assert.deepEqual(rest, {
		evaluator_result_id: stableId('fs', 'span', 'root-b', 'opik.relevance', ''), span_id: 'root-b',
		session_id: 'sess-1', workspace: WS, name: 'opik.relevance', value: 0.25, string_value: 'low',
		data_type: 'NUMERIC', status: 'SCORED', comment: 'half of it',
	});
	assert.match(created_at, DT);
	assert.equal(byName['opik.plain'].data_type, 'NUMERIC');
	const l = await call('GET', 'evaluator-results?filter[name]=opik.relevance');
	assert.deepEqual(ids(l), [rest.evaluator_result_id]);
	// Opik's values are numbers, with or without a category: both join the rollups of its
	// session and trace (judgement.md 5, mismatch 3).
	assert.deepEqual((await call('GET', 'sessions/sess-1')).json.evaluator_scores,
		{ accuracy: (0.82 + 0.5) / 2, 'opik.plain': 0.75, 'opik.relevance': 0.25, passed: 0.5 });
	assert.deepEqual((await call('GET', 'traces/trace-b')).json.evaluator_scores,
		{ accuracy: 0.5, 'opik.plain': 0.75, 'opik.relevance': 0.25, passed: 0 });
});

test('ATIF ingest: the verifier\'s rewards become evaluator results on its span', async () => {
	const body = JSON.parse(fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'atif', 'full_v16.json'), 'utf8'));
	const post = () => call('POST', 'ingest/atif', body);
	let r = await post();
	assert.equal(r.status, 201, r.text);
	const ev = await call('GET', `spans?filter[kind]=EVALUATOR&filter[session_id]=${body.session_id}`);
	assert.equal(ev.json.data.length, 1, ev.text);
	const verifier = ev.json.data[0];
	assert.equal(verifier.name, 'harbor.verifier');
	const check = async () => {
		const got = await call('GET', `spans/${verifier.span_id}/evaluator-results`);
		assert.equal(got.status, 200, got.text);
		const byName = Object.fromEntries(got.json.map((e) => [e.name, e]));
		// rewards {passed: true, score: 0.75, grade: "B", skipped: null}: null is no reward.
		assert.deepEqual(Object.keys(byName).sort(), ['grade', 'passed', 'score']);
		for (const [name, e] of Object.entries(byName)) {
			assert.equal(e.evaluator_result_id, stableId('eval', verifier.span_id, name));
			assert.equal(e.created_by, 'intake:atif_importer');
			assert.equal(e.session_id, body.session_id);
			assert.equal(e.status, 'SCORED');
		}
		assert.deepEqual([byName.passed.data_type, byName.passed.value], ['BOOLEAN', 1]);
		assert.deepEqual([byName.score.data_type, byName.score.value], ['NUMERIC', 0.75]);
		assert.deepEqual([byName.grade.data_type, byName.grade.string_value, 'value' in byName.grade], ['TEXT', 'B', false]);
		return got.json;
	};
	const first = await check();
	// A re-import replaces them: the same ids, no second copy.
	r = await post();
	assert.equal(r.status, 201, r.text);
	const again = await check();
	assert.equal(again.length, first.length);
	const f = await call('GET', `evaluator-results?filter[created_by]=intake:atif_importer&page_size=100`);
	assert.equal(f.json.pagination.total_results, 3, f.text);
	const s = await call('GET', `sessions/${body.session_id}`);
	assert.deepEqual(s.json.evaluator_scores, { passed: 1, score: 0.75 });
	const t = await call('GET', `traces/${body.session_id}`);
	assert.deepEqual(t.json.evaluator_scores, { passed: 1, score: 0.75 });
});

test('keys: created_by is the key\'s id; a read key is refused writes (403)', async () => {
	const key = {};
	for (const role of ['read', 'write']) {
		const k = await spandexCli(['key', 'create', srv.dataDir, '--workspace', WS, '--role', role, '--name', `judge-${role}`]);
		assert.equal(k.code, 0, k.stderr);
		key[role] = { Authorization: `Bearer ${k.stdout.trim()}` };
	}
	const note = { kind: 'note', session_id: 'sess-1', text: 'by key' };
	const result = { session_id: 'sess-1', span_id: 'root-a', name: 'keyed', data_type: 'NUMERIC', value: 1 };
	for (const [p, body] of [['annotations', note], ['evaluator-results', result]]) {
		const denied = await call('POST', p, body, key.read);
		assert.equal(denied.status, 403, denied.text);
		assert.equal(typeof denied.json.detail, 'string');
		assert.equal((await call('POST', p, body)).status, 401, 'no key once keys exist');
	}
	const a = await call('POST', 'annotations', note, key.write);
	assert.equal(a.status, 201, a.text);
	assert.match(a.json.created_by, /^k[0-9a-f]{10}$/);
	const e = await call('POST', 'evaluator-results', result, key.write);
	assert.equal(e.status, 201, e.text);
	assert.equal(e.json.created_by, a.json.created_by);
	const mine = await call('GET', `annotations?filter[created_by]=${a.json.created_by}`, undefined, key.read);
	assert.equal(mine.status, 200, mine.text);
	assert.deepEqual(ids(mine), [a.json.annotation_id]);
	const del = await call('DELETE', `annotations/${a.json.annotation_id}`, undefined, key.read);
	assert.equal(del.status, 403, del.text);
	assert.equal((await call('DELETE', `annotations/${a.json.annotation_id}`, undefined, key.write)).status, 204);
	assert.equal((await call('GET', `spans/root-a/evaluator-results`, undefined, key.read)).json.length, 1);
});
