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
import { createRequire } from 'node:module';
import { startServer, request, SRCDIR, CLIENTS, WS_PREFIX, checkGoldenNames } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

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

// The same fixtures through the real SDK: an OQL filterString per operator family and field,
// through searchSpans and searchTraces, against ids checked by hand (they agree with the
// golden GET lists above), and the GET list of the same conditions.
const SPAN_OQL = [
	['name = "ANSWER"', ['a-llm', 'b-llm']],
	['name != "answer"', ['a-guard', 'a-tool', 'b-general', 'n-llm']],
	['name starts_with "look"', ['a-tool']],
	['name ends_with "CHECK"', ['a-guard']],
	['name contains "ank"', ['b-general']],
	['name not_contains "a"', ['a-guard', 'a-tool', 'n-llm']],
	['name < "lookup"', ['a-llm', 'b-llm']],
	['name > "policy"', ['a-guard', 'b-general']],
	['type = "llm"', ['a-llm', 'b-llm', 'n-llm']],
	['type != "llm"', ['a-guard', 'a-tool', 'b-general']],
	['type in ("tool", "guardrail")', ['a-guard', 'a-tool']],
	['type not_in ("llm", "general")', ['a-guard', 'a-tool']],
	['model = "gpt-4o"', ['a-llm']],
	['provider contains "anthro"', ['b-llm']],
	['input contains "refund"', ['a-guard', 'a-llm', 'n-llm']],
	['output not_contains "results"', ['a-guard', 'a-llm', 'a-tool', 'b-general', 'n-llm']],
	['metadata.env = "prod"', ['a-llm']],
	['metadata.temperature > 0.1', ['a-llm']],
	['input_json.order = "17"', ['a-tool']],
	['output_json.content contains "REFUND"', ['a-llm']],
	['tags = "vip"', ['a-llm']],
	['tags != "vip"', ['a-guard', 'a-tool', 'b-general', 'b-llm', 'n-llm']],
	['tags contains "VI"', ['a-llm']],
	['tags is_empty', ['a-guard', 'a-tool', 'b-general', 'b-llm', 'n-llm']],
	['usage.total_tokens > 100', ['a-llm']],
	['usage.prompt_tokens <= 40', ['b-llm', 'n-llm']],
	['usage.completion_tokens = 8', ['b-llm']],
	['total_estimated_cost >= 0.002', ['a-llm']],
	['duration > 1000', ['a-llm']],
	['start_time < "2025-05-01T10:30:00Z"', ['a-guard', 'a-llm', 'a-tool', 'n-llm']],
	['end_time >= "2025-05-01T11:00:01Z"', ['b-general', 'b-llm']],
	['feedback_scores.correct >= 1', ['a-llm']],
	['error_info is_not_empty', ['a-guard']],
	['error_info is_empty and trace_id = "tr-a"', ['a-llm', 'a-tool']],
	['id = "a-tool"', ['a-tool']],
];
const TRACE_OQL = [
	['name = "checkout"', ['tr-a']],
	['usage.total_tokens > 100', ['tr-a']],
	['usage.prompt_tokens = 40', ['tr-b']],
	['total_estimated_cost < 0.001', ['tr-b']],
	['input_json.question contains "shoes"', ['tr-b']],
	['metadata.region = "eu"', ['tr-a']],
	['tags = "refund"', ['tr-a']],
	['tags is_empty', ['tr-b', 'tr-n']],
	['duration >= 6000', ['tr-a']],
	['start_time > "2025-05-01T10:30:00Z"', ['tr-b']],
];

test('the SDK\'s filterString for each operator family and field finds what was checked by hand', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'shop', workspaceName: WS });
	const sorted = (a) => [...a].sort();
	for (const [oql, want] of SPAN_OQL) {
		const got = await c.searchSpans({ projectName: 'shop', filterString: oql });
		assert.deepEqual(sorted(got.map((x) => x.id)), sorted(want), `searchSpans ${oql}`);
	}
	for (const [oql, want] of TRACE_OQL) {
		const got = await c.searchTraces({ projectName: 'shop', filterString: oql });
		assert.deepEqual(sorted(got.map((x) => x.id)), sorted(want), `searchTraces ${oql}`);
	}
});

// Last: its scores change project other's spans, which spans-project-id reads above.
test('the SDK\'s single-score routes, getSpansByProject with truncate, stripAttachments and projectId', async () => {
	const c = new Opik({ apiUrl: srv.base, projectName: 'other', workspaceName: WS });
	await c.api.spans.addSpanFeedbackScore('c-llm', { body: { name: 'single', value: 0.25, source: 'sdk' } });
	await c.api.traces.addTraceFeedbackScore('tr-c', { body: { name: 'single', value: 0.5, source: 'sdk', reason: 'one' } });
	const projectId = (await request('POST', '/v1/private/projects/retrieve', { body: { name: 'other' }, headers: { ...headers, 'Content-Type': 'application/json' } })).json.id;
	const page = await c.api.spans.getSpansByProject({ projectId, truncate: true, stripAttachments: true, size: 5 });
	assert.deepEqual(page.content.map((s) => [s.id, s.feedbackScores.map((f) => [f.name, f.value])]), [['c-llm', [['single', 0.25]]]]);
	const tr = await c.api.traces.getTracesByProject({ projectId, truncate: true, stripAttachments: true });
	assert.deepEqual(tr.content.map((t) => [t.id, t.feedbackScores.map((f) => [f.name, f.value, f.reason])]), [['tr-c', [['single', 0.5, 'one']]]]);
	const bad = await request('POST', '/v1/private/spans/search', { body: { project_name: 'shop', exclude: { input: true } }, headers: { ...headers, 'Content-Type': 'application/json' } });
	assert.equal(bad.status, 400, bad.text);
});
