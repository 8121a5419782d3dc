// The golden cases of the Opik and Scale GP programs, shared by the two tiers that run them:
// t/cgi/golden.test.mjs runs cgi-bin/opik and cgi-bin/egp as plain CGI (fast, no nginx),
// t/integration/opik_golden.test.mjs and egp_golden.test.mjs through nginx. Each tier passes
// its own request(method, path, {body, headers}) resolving to {status, headers, text, json}
// (t/harness.mjs: request, cgiRequest). The fixtures are t/fixtures/opik and t/fixtures/egp;
// the replies t/golden/opik/<case>.json and t/golden/egp/<case>.json.
// SPANDEX_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing: read every changed
// file by hand against the seed before committing it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SRCDIR, WS_PREFIX, checkGoldenNames } from './harness.mjs';
import {
	validate, SgpSpan, PaginatedListSpan, HTTPValidationError, BadRequestError, SpanAssessment,
	SpanAssessmentList, SpanAssessmentDeleteResponse,
} from './schema.mjs';

const UPDATE = process.env.SPANDEX_UPDATE_GOLDEN === '1';

// Compares got with the golden file dir/<name>.json, or writes it under SPANDEX_UPDATE_GOLDEN.
function golden(dir, name, got) {
	const file = path.join(dir, `${name}.json`);
	if (UPDATE) fs.writeFileSync(file, got);
	else assert.equal(got, fs.readFileSync(file, 'utf8'), `${name}: differs from ${file}`);
}

// ---- Opik: the GET lists (seed page opik-v1-list-spans; reference opik.md §2, §3, §7, §9) ----

export const OPIK_GOLDEN = path.join(SRCDIR, 't', 'golden', 'opik');
export const OPIK_WS = 'golden-opik';
export const OPIK_HEADERS = { 'Comet-Workspace': OPIK_WS };
const f = (list) => `filters=${encodeURIComponent(JSON.stringify(list))}`;
const q = (o) => encodeURIComponent(JSON.stringify(o));
const SP = '/v1/private/spans?project_name=shop';
const TR = '/v1/private/traces?project_name=shop';

// [case name, path]
export const OPIK_CASES = [
	['spans-default', SP],
	['spans-page-2-size-2', `${SP}&page=2&size=2`],
	['spans-default-project', '/v1/private/spans?project_name=Default%20Project'],
	['spans-project-id', '/v1/private/spans?project_id=PROJECT_ID_OF_OTHER'],
	['spans-type-llm', `${SP}&type=llm`],
	['spans-trace-id', `${SP}&trace_id=tr-a`],
	['spans-sort-asc', `${SP}&sorting=${q([{ field: 'start_time', direction: 'ASC' }])}`],
	['spans-exclude', `${SP}&size=2&exclude=${q(['input', 'output', 'metadata', 'usage'])}`],
	['spans-search', `${SP}&search=refund`],
	['spans-window', `${SP}&from_time=2025-05-01T10:00:00Z&to_time=2025-05-01T10:30:00Z`],
	['filter-name-eq', `${SP}&${f([{ field: 'name', operator: '=', value: 'ANSWER' }])}`],
	['filter-name-starts', `${SP}&${f([{ field: 'name', operator: 'starts_with', value: 'look' }])}`],
	['filter-input-contains', `${SP}&${f([{ field: 'input', operator: 'contains', value: 'refund' }])}`],
	['filter-output-not-contains', `${SP}&${f([{ field: 'output', operator: 'not_contains', value: 'results' }])}`],
	['filter-model-ne', `${SP}&${f([{ field: 'model', operator: '!=', value: 'gpt-4o' }])}`],
	['filter-provider-empty', `${SP}&${f([{ field: 'provider', operator: 'is_empty', value: '' }])}`],
	['filter-id', `${SP}&${f([{ field: 'id', operator: '=', value: 'a-tool' }])}`],
	['filter-total-tokens-gt', `${SP}&${f([{ field: 'usage.total_tokens', operator: '>', value: '100' }])}`],
	['filter-cost-le', `${SP}&${f([{ field: 'total_estimated_cost', operator: '<=', value: '0.001' }])}`],
	['filter-duration-ge', `${SP}&${f([{ field: 'duration', operator: '>=', value: '800' }])}`],
	['filter-start-time-lt', `${SP}&${f([{ field: 'start_time', operator: '<', value: '2025-05-01T10:30:00Z' }])}`],
	['filter-metadata-eq', `${SP}&${f([{ field: 'metadata', key: 'env', operator: '=', value: 'prod' }])}`],
	['filter-metadata-gt', `${SP}&${f([{ field: 'metadata', key: 'temperature', operator: '>', value: '0.1' }])}`],
	['filter-tags-contains', `${SP}&${f([{ field: 'tags', operator: 'contains', value: 'vip' }])}`],
	['filter-score-ge', `${SP}&${f([{ field: 'feedback_scores', key: 'correct', operator: '>=', value: '1' }])}`],
	['filter-score-empty', `${SP}&${f([{ field: 'feedback_scores', key: 'correct', operator: 'is_empty', value: '' }])}`],
	['filter-error-not-empty', `${SP}&${f([{ field: 'error_info', operator: 'is_not_empty', value: '' }])}`],
	['filter-type-in', `${SP}&${f([{ field: 'type', operator: 'in', value: 'tool,guardrail' }])}`],
	['filter-and', `${SP}&${f([{ field: 'type', operator: '=', value: 'llm' }, { field: 'model', operator: 'contains', value: 'GPT' }])}`],
	['filter-name-ends', `${SP}&${f([{ field: 'name', operator: 'ends_with', value: 'CHECK' }])}`],
	['filter-name-lt', `${SP}&${f([{ field: 'name', operator: '<', value: 'lookup' }])}`],
	['filter-end-time-ge', `${SP}&${f([{ field: 'end_time', operator: '>=', value: '2025-05-01T11:00:01Z' }])}`],
	['filter-error-empty', `${SP}&${f([{ field: 'error_info', operator: 'is_empty', value: null }])}`],
	['filter-tags-eq', `${SP}&${f([{ field: 'tags', operator: '=', value: 'vip' }])}`],
	['filter-tags-ne', `${SP}&${f([{ field: 'tags', operator: '!=', value: 'vip' }])}`],
	['filter-tags-empty', `${SP}&${f([{ field: 'tags', operator: 'is_empty', value: null }])}`],
	['filter-type-not-in', `${SP}&${f([{ field: 'type', operator: 'not_in', value: 'llm,general' }])}`],
	['filter-trace-id', `${SP}&${f([{ field: 'trace_id', operator: '=', value: 'tr-b' }])}`],
	['filter-input-json-eq', `${SP}&${f([{ field: 'input_json', key: 'order', operator: '=', value: '17' }])}`],
	['filter-output-json-contains', `${SP}&${f([{ field: 'output_json', key: '$.content', operator: 'contains', value: 'REFUND' }])}`],
	['traces-filter-total-tokens-gt', `${TR}&${f([{ field: 'usage.total_tokens', operator: '>', value: '100' }])}`],
	['traces-filter-prompt-tokens-eq', `${TR}&${f([{ field: 'usage.prompt_tokens', operator: '=', value: '40' }])}`],
	['traces-filter-cost-lt', `${TR}&${f([{ field: 'total_estimated_cost', operator: '<', value: '0.001' }])}`],
	['traces-filter-input-json', `${TR}&${f([{ field: 'input_json', key: 'question', operator: 'contains', value: 'shoes' }])}`],
	['traces-default', TR],
	['traces-sort-asc', `${TR}&sorting=${q([{ field: 'start_time', direction: 'ASC' }])}`],
	['traces-exclude', `${TR}&exclude=${q(['input', 'output', 'metadata', 'usage', 'feedback_scores'])}`],
	['traces-search', `${TR}&search=shoes`],
	['traces-filter-metadata', `${TR}&${f([{ field: 'metadata', key: 'region', operator: '=', value: 'eu' }])}`],
	['traces-filter-thread', `${TR}&${f([{ field: 'thread_id', operator: '=', value: 'th-1' }])}`],
	['stats-spans', '/v1/private/spans/stats?project_name=shop'],
	['stats-spans-llm', '/v1/private/spans/stats?project_name=shop&type=llm'],
	['stats-traces', '/v1/private/traces/stats?project_name=shop'],
	['err-no-project', '/v1/private/spans'],
	['err-filter-json', `${SP}&filters=${encodeURIComponent('[{"field":')}`],
	['err-filter-field', `${SP}&${f([{ field: 'colour', operator: '=', value: 'red' }])}`],
	['err-filter-operator', `${SP}&${f([{ field: 'usage.total_tokens', operator: 'contains', value: '1' }])}`],
	['err-filter-number', `${SP}&${f([{ field: 'duration', operator: '>', value: 'long' }])}`],
	['err-sorting-json', `${SP}&sorting=nope`],
	['err-exclude-json', `${SP}&exclude=input`],
	['err-size', `${SP}&size=0`],
	['err-type', `${SP}&type=agent`],
	['err-trace-field-on-spans', `${SP}&${f([{ field: 'thread_id', operator: '=', value: 'x' }])}`],
];

// The write-time stamps change from run to run.
const STAMPS = new Set(['created_at', 'last_updated_at']);
const strip = (v) => (Array.isArray(v) ? v.map(strip) : v && typeof v === 'object'
	? Object.fromEntries(Object.entries(v).filter(([k]) => !STAMPS.has(k)).map(([k, x]) => [k, strip(x)])) : v);

// Writes the fixtures: three traces with spans and scores through Opik, two spans through NeMo.
// Resolves to the id of project other (case spans-project-id asks for it).
export async function opikFixtures(request) {
	const fx = JSON.parse(fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'opik', 'batch.json'), 'utf8'));
	const h = { ...OPIK_HEADERS, 'Content-Type': 'application/json' };
	let r = await request('POST', '/v1/private/traces/batch', { body: { traces: fx.traces }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await request('POST', '/v1/private/spans/batch', { body: { spans: fx.spans }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await request('PUT', '/v1/private/spans/feedback-scores', { body: { scores: fx.scores.map((s) => ({ ...s, project_name: 'shop' })) }, headers: h });
	assert.equal(r.status, 204, r.text);
	const nemo = fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'opik', 'nemo-batch.json'), 'utf8');
	r = await request('POST', `${WS_PREFIX}/${OPIK_WS}/ingest/spans`, { body: nemo });
	assert.equal(r.status, 201, r.text);
	r = await request('POST', '/v1/private/projects/retrieve', { body: { name: 'other' }, headers: h });
	assert.equal(r.status, 200, r.text);
	if (UPDATE) fs.mkdirSync(OPIK_GOLDEN, { recursive: true });
	return r.json.id;
}

export const opikNames = () => checkGoldenNames(OPIK_GOLDEN, OPIK_CASES.map((c) => c[0]), UPDATE);

// One case: the reply in Opik's shapes (§1), compared byte for byte (pretty-printed) without
// the times Opik stamps at write (created_at, last_updated_at).
export async function opikCase(request, [name, p0], otherId) {
	const p = p0.replace('PROJECT_ID_OF_OTHER', otherId);
	const r = await request('GET', p, { headers: OPIK_HEADERS });
	assert.match(r.headers['content-type'] || '', /^application\/json/, `${p}: ${r.text}`);
	assert.ok(r.status < 500, `${p}: ${r.status}`);
	if (r.status >= 400) // Opik's shapes (§1): 422 {"errors"}, else {"code", "message"}
		assert.deepEqual(Object.keys(r.json).sort(), r.status === 422 ? ['errors'] : ['code', 'message'], `${p}: ${r.text}`);
	golden(OPIK_GOLDEN, name, `${JSON.stringify({ request: `GET ${p0}`, status: r.status, reply: strip(r.json) }, null, 2)}\n`);
}

// ---- Scale GP v5 spans (seed page scale-egp-v5-spans-search.txt; reference otel-egp.md §4) ----

export const EGP_GOLDEN = path.join(SRCDIR, 't', 'golden', 'egp');
export const EGP_ACCOUNT = 'golden-sgp';
const EGP_HEADERS = { 'x-selected-account-id': EGP_ACCOUNT };
const S = '/v5/spans/search';
const SA = '/v5/span-assessments';
// The assessments egpFixtures makes (judgement.md 3): their ids, for the cases that name one.
const fx = {};

// [case name, method, path, body, schema of a 2xx body]. Error bodies get
// HTTPValidationError (422) or BadRequestError's {detail: string} (404).
export const EGP_CASES = [
	['search-default', 'POST', S, {}, PaginatedListSpan],
	['err-search-no-body', 'POST', S, undefined],
	['search-desc', 'POST', `${S}?sort_order=desc`, {}, PaginatedListSpan],
	['search-limit-3', 'POST', `${S}?limit=3`, {}, PaginatedListSpan],
	['search-window', 'POST', `${S}?from_ts=2025-04-02T09:30:00Z&to_ts=2025-04-02T10:30:00Z`, {}, PaginatedListSpan],
	['sort-duration-asc', 'POST', `${S}?sort_by=duration_ms`, {}, PaginatedListSpan],
	['sort-duration-desc', 'POST', `${S}?sort_by=duration_ms&sort_order=desc`, {}, PaginatedListSpan],
	['sort-input-tokens-desc', 'POST', `${S}?sort_by=input_tokens&sort_order=desc&limit=3`, {}, PaginatedListSpan],
	['sort-output-tokens-asc', 'POST', `${S}?sort_by=output_tokens&limit=3`, {}, PaginatedListSpan],
	['sort-start-ties', 'POST', `${S}?sort_order=desc`, { names: ['answer'] }, PaginatedListSpan],
	['cursor-after', 'POST', `${S}?limit=2&starting_after=a-llm`, {}, PaginatedListSpan],
	['cursor-before', 'POST', `${S}?limit=2&ending_before=b-root`, {}, PaginatedListSpan],
	['cursor-after-desc-filtered', 'POST', `${S}?limit=2&sort_order=desc&starting_after=b-llm`, { trace_ids: ['tr-a', 'tr-b'] }, PaginatedListSpan],
	['filter-parents-only', 'POST', S, { parents_only: true }, PaginatedListSpan],
	['filter-span-ids', 'POST', S, { span_ids: ['a-tool', 'b-ret', 'n-llm'] }, PaginatedListSpan],
	['filter-trace-ids', 'POST', S, { trace_ids: ['tr-b'] }, PaginatedListSpan],
	['filter-excluded-span-ids', 'POST', S, { trace_ids: ['tr-a'], excluded_span_ids: ['a-root', 'a-guard'] }, PaginatedListSpan],
	['filter-excluded-trace-ids', 'POST', S, { excluded_trace_ids: ['tr-a', 'tr-b'] }, PaginatedListSpan],
	['filter-group-id', 'POST', S, { group_id: 'g-1' }, PaginatedListSpan],
	['filter-names', 'POST', S, { names: ['plan', 'lookup'] }, PaginatedListSpan],
	['filter-statuses', 'POST', S, { statuses: ['ERROR', 'CANCELED'] }, PaginatedListSpan],
	// A NeMo span stored without a status reads as SUCCESS, and SUCCESS finds it.
	['filter-statuses-success', 'POST', S, { statuses: ['SUCCESS'], trace_ids: ['tr-n'] }, PaginatedListSpan],
	['filter-types', 'POST', S, { types: ['COMPLETION', 'KB_RETRIEVAL'] }, PaginatedListSpan],
	['filter-search-texts', 'POST', S, { search_texts: ['refund'] }, PaginatedListSpan],
	['filter-search-texts-and', 'POST', S, { search_texts: ['REFUND', 'policy', 'answer'] }, PaginatedListSpan],
	['filter-extra-metadata', 'POST', S, { extra_metadata: { env: 'prod' } }, PaginatedListSpan],
	['filter-extra-metadata-list', 'POST', S, { extra_metadata: { env: ['staging', 'eu'] } }, PaginatedListSpan],
	// The metadata of a span from another API, as replies show it: its typed fields.
	['filter-extra-metadata-nemo', 'POST', S, { extra_metadata: { model: 'gpt-4o' } }, PaginatedListSpan],
	['filter-extra-metadata-nemo-agent', 'POST', S, { extra_metadata: { agent_name: 'support-bot' } }, PaginatedListSpan],
	['filter-duration', 'POST', S, { min_duration_ms: 500, max_duration_ms: 1500 }, PaginatedListSpan],
	// The seed's integers have no minimum: a negative minimum takes every completed span, a
	// negative maximum none; a number without a fraction is an integer (JSON Schema, pydantic).
	['filter-duration-negative-min', 'POST', S, { min_duration_ms: -5, max_duration_ms: 500 }, PaginatedListSpan],
	['filter-duration-negative-max', 'POST', S, { max_duration_ms: -1 }, PaginatedListSpan],
	['filter-duration-whole-float', 'POST', S, '{"min_duration_ms": 3000.0}', PaginatedListSpan],
	['filter-variant', 'POST', S, { application_variant_ids: ['var-1'] }, PaginatedListSpan],
	['filter-agentex-names', 'POST', S, { agentex_agent_names: ['support-bot'] }, PaginatedListSpan],
	['filter-agentex-ids', 'POST', S, { agentex_agent_ids: ['agent-1'] }, PaginatedListSpan],
	['filter-acp-types', 'POST', S, { acp_types: ['sync'] }, PaginatedListSpan],
	// The spans of the traces with assessments of those types (egpFixtures assesses tr-a, tr-b).
	['filter-assessment-types', 'POST', S, { assessment_types: ['rating'] }, PaginatedListSpan],
	['filter-assessment-types-two', 'POST', S, { assessment_types: ['overwrite', 'approval'], parents_only: true }, PaginatedListSpan],
	['err-assessment-types', 'POST', S, { assessment_types: ['quality'] }],
	['filter-combined', 'POST', `${S}?sort_by=duration_ms&sort_order=desc`, { types: ['STANDALONE', 'COMPLETION'], statuses: ['SUCCESS'], search_texts: ['oslo'] }, PaginatedListSpan],
	['list-get', 'GET', '/v5/spans?trace_id=tr-a&limit=2', undefined, PaginatedListSpan],
	['get-sgp', 'GET', '/v5/spans/b-root', undefined, SgpSpan],
	['get-nemo', 'GET', '/v5/spans/n-llm', undefined, SgpSpan],
	['get-nemo-no-status', 'GET', '/v5/spans/n-note', undefined, SgpSpan],
	['err-get-unknown', 'GET', '/v5/spans/nope', undefined],
	['err-status', 'POST', S, { statuses: ['DONE'] }],
	['err-type', 'POST', S, { types: ['LLM'] }],
	// Every kind of body problem at once: the items in the order SGP's validation gives them.
	['err-several', 'POST', `${S}?from_ts=yesterday`, { span_ids: 'x', statuses: ['DONE', 'SUCCESS'], types: ['LLM'],
		search_texts: ['a', '"open', 'ok'], parents_only: 3, group_id: 5, extra_metadata: [], min_duration_ms: 1.5 }],
	['err-limit-0', 'POST', `${S}?limit=0`, {}],
	['err-limit-10001', 'POST', `${S}?limit=10001`, {}],
	['err-sort-order', 'POST', `${S}?sort_order=up`, {}],
	['err-both-cursors', 'POST', `${S}?starting_after=a-llm&ending_before=b-root`, {}],
	['err-unknown-cursor', 'POST', `${S}?starting_after=nope`, {}],
	['err-window', 'POST', `${S}?from_ts=2025-04-03T00:00:00Z&to_ts=2025-04-02T00:00:00Z`, {}],
	['err-bad-from-ts', 'POST', `${S}?from_ts=yesterday`, {}],
	['err-span-ids-not-list', 'POST', S, { span_ids: 'a-root' }],
	['err-search-text-short', 'POST', S, { search_texts: ['a'] }],
	['err-duration-type', 'POST', S, { min_duration_ms: 'long' }],
	['err-duration-fraction', 'POST', S, { max_duration_ms: 1.5 }],
	// pydantic's lax mode, as FastAPI validates: words for a bool, text and true for an int.
	['lax-types', 'POST', `${S}?limit=2.0`, { parents_only: 'yes', min_duration_ms: ' 1000 ', max_duration_ms: '9000000.0' }, PaginatedListSpan],
	['err-bool-parsing', 'POST', S, { parents_only: 'maybe' }],
	['err-body-not-object', 'POST', S, [1, 2]],
	['err-write-end-before-start', 'POST', '/v5/spans', { name: 'x', trace_id: 'tr-x', start_timestamp: '2025-04-02T10:00:00Z', end_timestamp: '2025-04-02T09:00:00Z' }],
	['err-write-no-name', 'POST', '/v5/spans', { trace_id: 'tr-x', start_timestamp: '2025-04-02T10:00:00Z' }],
	['err-patch-unknown', 'PATCH', '/v5/spans/nope', { name: 'y' }],
	// Span assessments (judgement.md 3; ids and times stripped: they are made at run time).
	['assess-create-rating', 'POST', SA, { assessment_type: 'rating', trace_id: 'tr-c', span_id: 'c-root', rating: 3, comment: 'fine' }, SpanAssessment],
	['assess-create-root', 'POST', SA, { assessment_type: 'rubric', trace_id: 'tr-c', rubric: { tone: 'ok' } }, SpanAssessment],
	['assess-list-span', 'GET', `${SA}?span_id=a-llm`, undefined, SpanAssessmentList],
	['assess-list-trace-type', 'GET', `${SA}?trace_id=tr-b&assessment_type=overwrite`, undefined, SpanAssessmentList],
	['assess-list-trace', 'GET', `${SA}?trace_id=tr-c`, undefined, SpanAssessmentList],
	['assess-get', 'GET', () => `${SA}/${fx.rating}`, undefined, SpanAssessment],
	['assess-patch', 'PATCH', () => `${SA}/${fx.rating}`, { rating: 5, comment: null }, SpanAssessment],
	['assess-patch-type', 'PATCH', () => `${SA}/${fx.rating}`, { assessment_type: 'approval', approval: 'rejected', rating: null }, SpanAssessment],
	['assess-delete', 'DELETE', () => `${SA}/${fx.approval}`, undefined, SpanAssessmentDeleteResponse],
	['err-assess-deleted', 'GET', () => `${SA}/${fx.approval}`, undefined],
	['err-assess-neither', 'GET', SA, undefined],
	['err-assess-type-query', 'GET', `${SA}?span_id=a-llm&assessment_type=score`, undefined],
	['err-assess-create', 'POST', SA, { assessment_type: 'score', rating: 0, approval: 'ok', rubric: { r: 1 }, metadata: [] }],
	['err-assess-type-rule', 'POST', SA, { assessment_type: 'rating', trace_id: 'tr-a', approval: 'approved' }],
	['err-assess-patch-rule', 'PATCH', () => `${SA}/${fx.rating}`, { assessment_type: 'comment' }],
	['err-assess-not-in-trace', 'POST', SA, { assessment_type: 'comment', trace_id: 'tr-b', span_id: 'a-llm', comment: 'x' }],
	['err-assess-no-root', 'POST', SA, { assessment_type: 'comment', trace_id: 'tr-none', comment: 'x' }],
	['err-assess-overwrite-twice', 'POST', SA, { assessment_type: 'overwrite', trace_id: 'tr-b', span_id: 'b-ret', overwrite: { docs: [] } }],
	['err-assess-get-unknown', 'GET', `${SA}/nope`, undefined],
	['err-assess-patch-unknown', 'PATCH', `${SA}/nope`, { comment: 'x' }],
	['err-assess-delete-unknown', 'DELETE', `${SA}/nope`, undefined],
];

// What an assessment's reply has that each run makes anew: its uuid and its times.
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g;
const stripRun = (text) => text.replace(UUID, '<uuid>')
	.replace(/"(created_at|updated_at)": "[^"]+"/g, '"$1": "<time>"');

function schemaFor(status, schema) {
	if (status >= 200 && status < 300) {
		assert.ok(schema, `expected an error, got ${status}`);
		return schema;
	}
	return status === 422 ? HTTPValidationError : BadRequestError;
}

// Writes the fixtures: eight spans through SGP, three through NeMo (one without a status), and
// four span assessments of tr-a and tr-b.
export async function egpFixtures(request) {
	const sgp = fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'egp', 'sgp-batch.json'), 'utf8');
	let r = await request('POST', '/v5/spans/batch', { body: sgp, headers: { ...EGP_HEADERS, 'Content-Type': 'application/json' } });
	assert.equal(r.status, 200, r.text);
	const nemo = fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'egp', 'nemo-batch.json'), 'utf8');
	r = await request('POST', `${WS_PREFIX}/${EGP_ACCOUNT}/ingest/spans`, { body: nemo });
	assert.equal(r.status, 201, r.text);
	const assessments = {
		rating: { assessment_type: 'rating', trace_id: 'tr-a', span_id: 'a-llm', rating: 4, comment: 'verbose' },
		approval: { assessment_type: 'approval', trace_id: 'tr-a', span_id: 'a-llm', approval: 'approved' },
		comment: { assessment_type: 'comment', trace_id: 'tr-b', span_id: 'b-root', comment: 'good answer' },
		overwrite: { assessment_type: 'overwrite', trace_id: 'tr-b', span_id: 'b-ret', overwrite: { docs: ['refunds.md'] } },
	};
	for (const [k, body] of Object.entries(assessments)) {
		r = await request('POST', SA, { body: JSON.stringify(body), headers: { ...EGP_HEADERS, 'Content-Type': 'application/json' } });
		assert.equal(r.status, 200, r.text);
		fx[k] = r.json.assessment_id;
	}
	if (UPDATE) fs.mkdirSync(EGP_GOLDEN, { recursive: true });
}

export const egpNames = () => checkGoldenNames(EGP_GOLDEN, EGP_CASES.map((c) => c[0]), UPDATE);

// One case: JSON that the seed's schemas accept (t/schema.mjs), compared byte for byte.
export async function egpCase(request, [name, method, p0, body, schema]) {
	const p = typeof p0 === 'function' ? p0() : p0;
	const h = body === undefined ? EGP_HEADERS : { ...EGP_HEADERS, 'Content-Type': 'application/json' };
	const r = await request(method, p, { body, headers: h });
	assert.match(r.headers['content-type'] || '', /^application\/json/, `${p}: ${r.text}`);
	assert.notEqual(r.json, undefined, `${p}: body is not JSON: ${r.text}`);
	assert.ok(r.status < 500, `${p}: ${r.status}`);
	assert.deepEqual(validate(schemaFor(r.status, schema), r.json), [], `${p}: schema violations`);
	const text = `${JSON.stringify({ request: `${method} ${p}`, body, status: r.status, reply: r.json }, null, 2)}\n`;
	golden(EGP_GOLDEN, name, p.startsWith(SA) ? stripRun(text) : text);
}

// ---- The golden sets by program of nginx/programs: t/golden/<program>/ and its cases ----
// t/cgi/golden.test.mjs runs the set of each program that has a t/golden/<program>/, in the
// order of nginx/programs; t/layers.sh checks that each such directory has its set here and its
// nginx tier, t/integration/<program>_golden.test.mjs. fixtures(request) writes the set's data
// and resolves to what its run(request, case, that) needs; names() checks the case names.
export const GOLDEN = {
	opik: { fixtures: opikFixtures, names: opikNames, cases: OPIK_CASES, run: opikCase },
	egp: { fixtures: egpFixtures, names: egpNames, cases: EGP_CASES, run: egpCase },
};
