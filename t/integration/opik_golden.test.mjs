// The Opik GET lists through nginx against golden replies: the fixtures of t/fixtures/opik/
// (three traces with spans and scores written through Opik, two spans ingested through NeMo)
// in workspace golden-opik, then every case below compared byte for byte (pretty-printed) with
// t/golden/opik/<case>.json: filters of each field type and operator family, type and
// trace_id, sorting, exclude, search, the time window, paging, stats, and the 400s. Contract:
// seed page opik-v1-list-spans; reference opik.md §2, §3, §7, §9. The times Opik stamps at
// write (created_at, last_updated_at) are left out of the comparison.
// SPANDEX_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing: read every changed
// file by hand against the seed before committing it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, SRCDIR, WS_PREFIX, checkGoldenNames } from '../harness.mjs';

const FIXTURES = path.join(SRCDIR, 't', 'fixtures', 'opik');
const GOLDEN = path.join(SRCDIR, 't', 'golden', 'opik');
const UPDATE = process.env.SPANDEX_UPDATE_GOLDEN === '1';
const WS = 'golden-opik';
const f = (list) => `filters=${encodeURIComponent(JSON.stringify(list))}`;
const q = (o) => encodeURIComponent(JSON.stringify(o));
const SP = '/v1/private/spans?project_name=shop';
const TR = '/v1/private/traces?project_name=shop';

// [case name, path]
const CASES = [
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

const headers = { 'Comet-Workspace': WS };
let srv, otherId;
before(async () => {
	srv = await startServer({ workers: 1 });
	const fx = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'batch.json'), 'utf8'));
	const h = { ...headers, 'Content-Type': 'application/json' };
	let r = await request('POST', '/v1/private/traces/batch', { body: { traces: fx.traces }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await request('POST', '/v1/private/spans/batch', { body: { spans: fx.spans }, headers: h });
	assert.equal(r.status, 204, r.text);
	r = await request('PUT', '/v1/private/spans/feedback-scores', { body: { scores: fx.scores.map((s) => ({ ...s, project_name: 'shop' })) }, headers: h });
	assert.equal(r.status, 204, r.text);
	const nemo = fs.readFileSync(path.join(FIXTURES, 'nemo-batch.json'), 'utf8');
	r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: nemo });
	assert.equal(r.status, 201, r.text);
	r = await request('POST', '/v1/private/projects/retrieve', { body: { name: 'other' }, headers: h });
	otherId = r.json.id;
	if (UPDATE) fs.mkdirSync(GOLDEN, { recursive: true });
});
after(async () => {
	await srv?.stop();
});

test('case names are unique and every golden file has a case', () => {
	checkGoldenNames(GOLDEN, CASES.map((c) => c[0]), UPDATE);
});

for (const [name, p0] of CASES) {
	test(name, async () => {
		const p = p0.replace('PROJECT_ID_OF_OTHER', otherId);
		const r = await request('GET', p, { headers });
		assert.match(r.headers['content-type'] || '', /^application\/json/, `${p}: ${r.text}`);
		assert.ok(r.status < 500, `${p}: ${r.status}`);
		if (r.status >= 400) // Opik's shapes (§1): 422 {"errors"}, else {"code", "message"}
			assert.deepEqual(Object.keys(r.json).sort(), r.status === 422 ? ['errors'] : ['code', 'message'], `${p}: ${r.text}`);
		const got = `${JSON.stringify({ request: `GET ${p0}`, status: r.status, reply: strip(r.json) }, null, 2)}\n`;
		const file = path.join(GOLDEN, `${name}.json`);
		if (UPDATE) fs.writeFileSync(file, got);
		else assert.equal(got, fs.readFileSync(file, 'utf8'), `${name}: differs from ${file}`);
	});
}
