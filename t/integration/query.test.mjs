// The query API through nginx against golden responses: the fixture batches of
// t/fixtures/query/ are ingested into a fresh server, then every case below is compared
// byte for byte (pretty-printed) with t/golden/query/<case>.json, ingested_at replaced by a
// placeholder, and validated against the seed schemas (t/schema.mjs). Contract: the seed
// pages List Span Groups, List Traces, Get Span; reference nemo-intake.md §2, §3, §7.
// SPANDEX_UPDATE_GOLDEN=1 rewrites the golden files instead of comparing: read every
// changed file by hand against the seeds before committing it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, ingestSpans, SRCDIR, WS_PREFIX, checkGoldenNames } from '../harness.mjs';
import {
	validate, Span, SpansPage, SpanGroupsPage, TracesPage, Trace, Session, BadRequestError,
	HTTPValidationError, SpanStats,
} from '../schema.mjs';

const FIXTURES = path.join(SRCDIR, 't', 'fixtures', 'query');
const GOLDEN = path.join(SRCDIR, 't', 'golden', 'query');
const UPDATE = process.env.SPANDEX_UPDATE_GOLDEN === '1';
const INGESTED_AT = '<ingested_at>';

// Ingest order matters: a3 re-sends spans of a1 (newest wins), and ties in the span lists
// fall back to storage order. golden-empty never gets data.
const BATCHES = [
	['golden-a', 'a1-fixture.json'],
	['golden-a', 'a2-langsmith.json'],
	['golden-a', 'a3-resend.json'],
	['golden-b', 'b1-other-workspace.json'],
	['golden-text', 't1-text.json'],
];

const A = `${WS_PREFIX}/golden-a`;
const B = `${WS_PREFIX}/golden-b`;
const E = `${WS_PREFIX}/golden-empty`;
const T = `${WS_PREFIX}/golden-text`;
const q = encodeURIComponent;
const jf = (obj) => `filter=${encodeURIComponent(JSON.stringify(obj))}`;
const DAY14 = 'filter[started_at][$gte]=2025-03-14T00:00:00Z&filter[started_at][$lte]=2025-03-14T23:59:59.999999Z';

// Every SpanFilter field of the List Span Groups page, alone, with a value the fixtures hold
// (or, for the evaluation_context fields the attribute catalog never fills, one that matches
// nothing). mode=summary keeps the files short; page_size covers every match.
const SPAN_FIELDS = {
	session_id: 'sess-night', trace_id: 'trace-alpha', project: 'proj-x', evaluation_id: 'eval-1',
	evaluation_sha: 'sha-1', evaluation_run_id: 'run-1', dataset_id: 'ds-1', dataset_name: 'ds',
	dataset_version: 'v1', test_case_id: 'tc-1', source: 'langsmith', kind: 'LLM', status: 'error',
	model: 'gpt-4o', tool_name: 'web_search', provider: 'nim', agent_id: 'agent-7',
	agent_name: 'travel-agent', prompt_name: 'trip-planner', prompt_version: 'v2',
	parent_span_id: 'night-root',
};

// [case name, path, schema of a 2xx body]. Error bodies get BadRequestError or
// HTTPValidationError by status.
const CASES = [
	// GET spans: paging and sorting (16 live spans in golden-a).
	['spans-default', `${A}/spans`, SpansPage],
	['spans-page-2', `${A}/spans?page=2`, SpansPage],
	['spans-page-size-5-page-2', `${A}/spans?page=2&page_size=5&mode=summary`, SpansPage],
	['spans-last-page', `${A}/spans?page=4&page_size=5&mode=summary`, SpansPage],
	['spans-past-end', `${A}/spans?page=5&page_size=5`, SpansPage],
	['spans-page-size-1000', `${A}/spans?page_size=1000&mode=summary`, SpansPage],
	['spans-sort-asc', `${A}/spans?sort=started_at&page_size=20&mode=summary`, SpansPage],
	['spans-sort-desc', `${A}/spans?sort=-started_at&page_size=20&mode=detailed`, SpansPage],
	['spans-summary', `${A}/spans?mode=summary&page_size=3`, SpansPage],
	// Each SpanFilter field alone (JSON form), then started_at.
	...Object.entries(SPAN_FIELDS).map(([k, v]) =>
		[`spans-filter-${k.replaceAll('_', '-')}`, `${A}/spans?mode=summary&page_size=20&${jf({ [k]: v })}`, SpansPage]),
	['spans-filter-started-at', `${A}/spans?mode=summary&page_size=20&${jf({ started_at: { $gte: '2025-03-14T23:59:59Z', $lte: '2025-03-15T00:00:01Z' } })}`, SpansPage],
	['spans-filter-started-at-gte', `${A}/spans?mode=summary&page_size=20&filter[started_at][$gte]=2025-03-15T00:00:00Z`, SpansPage],
	['spans-filter-started-at-offset', `${A}/spans?mode=summary&page_size=20&filter[started_at][$lte]=${encodeURIComponent('2025-03-13T10:00:00+01:00')}`, SpansPage],
	['spans-children', `${A}/spans?mode=summary&filter[parent_span_id]=alpha-root`, SpansPage],
	['spans-children-of-leaf', `${A}/spans?filter[parent_span_id]=alpha-tool`, SpansPage],
	// Combined filters: JSON, $and, bracket notation with and without `$`, text syntax.
	['spans-combined-json', `${A}/spans?mode=summary&${jf({ kind: 'LLM', provider: 'openai', status: 'success' })}`, SpansPage],
	['spans-combined-json-and', `${A}/spans?mode=summary&${jf({ $and: [{ kind: 'LLM' }, { model: 'llama-3.1-8b' }] })}`, SpansPage],
	['spans-combined-brackets', `${A}/spans?mode=summary&filter[kind]=LLM&filter[provider][$eq]=openai&filter[status]=success`, SpansPage],
	['spans-combined-brackets-no-dollar', `${A}/spans?mode=summary&filter[session_id][eq]=sess-shared&${DAY14.replaceAll('[$', '[')}&filter[kind]=TOOL`, SpansPage],
	['spans-combined-window-and-model', `${A}/spans?mode=summary&sort=started_at&filter[model]=gpt-4o&${DAY14}`, SpansPage],
	['spans-combined-text', `${A}/spans?mode=summary&filter=${encodeURIComponent('kind:"TOOL" AND status:"error"')}`, SpansPage],
	['spans-combined-contradiction', `${A}/spans?${jf({ $and: [{ kind: 'LLM' }, { kind: 'TOOL' }] })}`, SpansPage],
	['spans-filter-empty-object', `${A}/spans?mode=summary&page_size=2&${jf({})}`, SpansPage],
	['spans-empty-result', `${A}/spans?${jf({ model: 'no-such-model' })}`, SpansPage],
	['spans-raw-filter-wins', `${A}/spans?mode=summary&${jf({ kind: 'AGENT' })}&filter[kind]=TOOL`, SpansPage],

	// GET spans/{id}: the newest version, also after it moved to another day.
	['span-get-resent', `${A}/spans/alpha-llm-1`, Span],
	['span-get-moved-day', `${A}/spans/epsilon-root`, Span],

	// GET spans/groups.
	['groups-trace', `${A}/spans/groups?by=trace_id`, SpanGroupsPage],
	['groups-session', `${A}/spans/groups?by=session_id`, SpanGroupsPage],
	['groups-both', `${A}/spans/groups?by=session_id,trace_id`, SpanGroupsPage],
	['groups-both-reversed', `${A}/spans/groups?by=trace_id,session_id&sort=span_count`, SpanGroupsPage],
	['groups-trace-asc', `${A}/spans/groups?by=trace_id&sort=span_count`, SpanGroupsPage],
	['groups-trace-desc', `${A}/spans/groups?by=trace_id&sort=-span_count`, SpanGroupsPage],
	['groups-filter-kind', `${A}/spans/groups?by=trace_id&filter[kind]=LLM`, SpanGroupsPage],
	['groups-filter-json', `${A}/spans/groups?by=session_id&${jf({ status: 'error', started_at: { $gte: '2025-03-13T00:00:00Z' } })}`, SpanGroupsPage],
	['groups-page-2', `${A}/spans/groups?by=trace_id&page=2&page_size=3`, SpanGroupsPage],
	['groups-last-page', `${A}/spans/groups?by=trace_id&page=3&page_size=3`, SpanGroupsPage],
	['groups-past-end', `${A}/spans/groups?by=trace_id&page=9&page_size=3`, SpanGroupsPage],
	['groups-empty-result', `${A}/spans/groups?by=trace_id&filter[model]=no-such-model`, SpanGroupsPage],

	// GET traces (7 roots in golden-a; trace-orphan has none).
	['traces-default', `${A}/traces`, TracesPage],
	['traces-summary', `${A}/traces?mode=summary`, TracesPage],
	['traces-asc', `${A}/traces?sort=started_at&mode=summary`, TracesPage],
	['traces-page-1', `${A}/traces?page_size=3`, TracesPage],
	['traces-page-2', `${A}/traces?page=2&page_size=3`, TracesPage],
	['traces-last-page', `${A}/traces?page=3&page_size=3`, TracesPage],
	['traces-past-end', `${A}/traces?page=4&page_size=3`, TracesPage],
	['traces-filter-id', `${A}/traces?filter[id]=trace-midnight`, TracesPage],
	['traces-filter-id-in', `${A}/traces?${jf({ id: { $in: ['trace-gamma', 'trace-alpha', 'trace-orphan', 'no-such'] } })}`, TracesPage],
	['traces-filter-id-in-brackets', `${A}/traces?mode=summary&filter[id][in]=trace-beta,trace-zeta`, TracesPage],
	['traces-filter-status', `${A}/traces?filter[status]=error`, TracesPage],
	['traces-filter-session', `${A}/traces?filter[session_id]=sess-shared`, TracesPage],
	['traces-filter-started-at', `${A}/traces?${DAY14}`, TracesPage],
	['traces-filter-experiment', `${A}/traces?mode=summary&filter[experiment_id]=eval-1`, TracesPage],
	['traces-filter-test-case', `${A}/traces?mode=summary&${jf({ test_case_id: 'tc-1' })}`, TracesPage],
	['traces-filter-combined', `${A}/traces?mode=summary&filter[status]=success&filter[started_at][$lte]=2025-03-13T23:59:59Z`, TracesPage],
	['traces-empty-result', `${A}/traces?filter[status]=cancelled`, TracesPage],

	// GET traces/{id}.
	['trace-alpha', `${A}/traces/trace-alpha`, Trace],
	['trace-alpha-summary', `${A}/traces/trace-alpha?mode=summary`, Trace],
	['trace-midnight', `${A}/traces/trace-midnight`, Trace],
	['trace-open-ended', `${A}/traces/trace-delta`, Trace],
	['trace-moved-day', `${A}/traces/trace-epsilon`, Trace],
	['trace-no-root-404', `${A}/traces/trace-orphan`],
	['trace-unknown-404', `${A}/traces/no-such-trace`],

	// GET sessions/{id}.
	['session-shared', `${A}/sessions/sess-shared`, Session],
	['session-night', `${A}/sessions/sess-night`, Session],
	['session-error', `${A}/sessions/sess-gamma`, Session],
	['session-default-id', `${A}/sessions/trace-delta`, Session],
	['session-unknown-404', `${A}/sessions/no-such-session`],

	// A second workspace holding a trace with the same id: nothing crosses over.
	['other-ws-spans', `${B}/spans`, SpansPage],
	['other-ws-traces', `${B}/traces`, TracesPage],
	['other-ws-trace', `${B}/traces/trace-alpha`, Trace],
	['other-ws-session', `${B}/sessions/sess-shared`, Session],
	['other-ws-span-404', `${B}/spans/alpha-root`],

	// A workspace with no data: empty pages and 404s.
	['empty-spans', `${E}/spans`, SpansPage],
	['empty-spans-filtered', `${E}/spans?filter[kind]=LLM&page=3`, SpansPage],
	['empty-groups', `${E}/spans/groups?by=trace_id`, SpanGroupsPage],
	['empty-traces', `${E}/traces`, TracesPage],
	['empty-trace-404', `${E}/traces/trace-alpha`],
	['empty-session-404', `${E}/sessions/sess-shared`],

	// Every documented error (reference §2, §3.3, §7.5).
	['err-unknown-field', `${A}/spans?filter[color]=red`],
	['err-unknown-field-traces', `${A}/traces?${jf({ kind: 'LLM' })}`],
	['err-generic-field', `${A}/spans?filter[created_at]=2025-03-14T00:00:00Z`],
	// spandex's extensions: the name filter and free-text search (name, input, output).
	['spans-name', `${A}/spans?filter[name]=plan-trip&mode=summary`, SpansPage],
	['traces-name', `${A}/traces?filter[name]=plan-trip&mode=summary`, TracesPage],
	// The generic entity fields the unknown-field message lists (§3.2), all served: id (a
	// span's span_id), workspace and entity_type (all or nothing), created_at and updated_at
	// (ingested_at; the golden times lie before and after any ingest), a trace's project.
	['spans-filter-id', `${A}/spans?filter[id]=alpha-llm-1&mode=summary`, SpansPage],
	['spans-filter-id-in', `${A}/spans?${jf({ id: { $in: ['night-root', 'alpha-tool', 'nope'] } })}&mode=summary`, SpansPage],
	['spans-filter-workspace', `${A}/spans?filter[workspace]=golden-a&filter[kind]=TOOL&mode=summary`, SpansPage],
	['spans-filter-workspace-other', `${A}/spans?filter[workspace]=golden-b&mode=summary`, SpansPage],
	['spans-filter-entity-type', `${A}/spans?filter=${q('entity_type:"span" kind:"LLM"')}&mode=summary`, SpansPage],
	['spans-filter-entity-type-trace', `${A}/spans?filter[entity_type]=trace&mode=summary`, SpansPage],
	['spans-filter-created-at', `${A}/spans?filter[created_at][$gte]=2020-01-01T00:00:00Z&filter[kind]=AGENT&mode=summary`, SpansPage],
	['spans-filter-updated-at-before', `${A}/spans?filter[updated_at][$lte]=2020-01-01T00:00:00Z&mode=summary`, SpansPage],
	['traces-filter-project', `${A}/traces?filter[project]=proj-x&mode=summary`, TracesPage],
	['traces-filter-entity-type', `${A}/traces?${jf({ entity_type: 'trace', workspace: 'golden-a', id: 'trace-alpha' })}&mode=summary`, TracesPage],
	['traces-filter-created-at', `${A}/traces?filter[created_at][$lte]=2999-01-01T00:00:00Z&filter[status]=error&mode=summary`, TracesPage],
	['groups-filter-id', `${A}/spans/groups?by=trace_id&filter[id]=beta-llm`, SpanGroupsPage],
	['spans-search', `${A}/spans?search=LISBON&mode=summary&page_size=20`, SpansPage],
	['spans-search-two-terms', `${A}/spans?search=plan%20TRIP&mode=summary`, SpansPage],
	['spans-search-with-filter', `${A}/spans?search=lisbon&filter[kind]=AGENT&mode=summary`, SpansPage],
	['traces-search', `${A}/traces?search=lisbon&mode=summary`, TracesPage],
	['groups-search', `${A}/spans/groups?by=trace_id&search=lisbon`, SpanGroupsPage],
	// Case folding beyond ASCII (Latin, Greek with final sigma, Cyrillic); other scripts as
	// written; two terms in two fields of one span.
	['search-fold-cyrillic', `${T}/spans?search=${q('ПРИВЕТ ёЛКА')}&mode=summary`, SpansPage],
	['search-fold-greek', `${T}/spans?search=${q('ΟΔΥΣΣΕΥΣ')}&mode=summary`, SpansPage],
	['search-fold-latin', `${T}/spans?search=${q('BRÛLÉE łÓdŹ')}&mode=summary`, SpansPage],
	['search-fold-name', `${T}/spans?search=${q('перевод')}&mode=summary`, SpansPage],
	['search-other-script', `${T}/spans?search=${q('東京')}&mode=summary`, SpansPage],
	['search-fold-no-match', `${T}/spans?search=${q('ΠΡΙΒΕΤ')}&mode=summary`, SpansPage],
	// spandex's own activity stats (the viewer's overview).
	['stats-day', `${A}/spans/stats?start=2025-03-14T00:00:00Z&end=2025-03-15T00:00:00Z&bucket_seconds=21600`, SpanStats],
	['stats-filtered', `${A}/spans/stats?start=2025-03-01T00:00:00Z&end=2025-04-01T00:00:00Z&bucket_seconds=${31 * 86400}&filter[kind]=LLM`, SpanStats],
	['stats-empty-window', `${A}/spans/stats?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00Z`, SpanStats],
	['err-stats-too-many-buckets', `${A}/spans/stats?start=2020-01-01T00:00:00Z&end=2021-01-01T00:00:00Z&bucket_seconds=60`],
	['err-stats-missing-end', `${A}/spans/stats?start=2020-01-01T00:00:00Z`],
	['err-stats-bad-start', `${A}/spans/stats?start=yesterday&end=2021-01-01T00:00:00Z`],
	['err-search-too-many', `${A}/spans?search=a%20b%20c%20d%20e%20f%20g%20h%20i%20j%20k`],
	['err-unsupported-op', `${A}/spans?filter[model][$like]=gpt`],
	['err-unsupported-op-started-at', `${A}/spans?filter[started_at][$gt]=2025-03-14T00:00:00Z`],
	['err-started-at-bare', `${A}/spans?filter[started_at]=2025-03-13T09:00:00Z`],
	['err-started-at-eq-traces', `${A}/traces?${jf({ started_at: { $eq: '2025-03-13T09:00:00Z' } })}`],
	['err-unsupported-op-in', `${A}/spans?${jf({ trace_id: { $in: ['trace-alpha'] } })}`],
	['err-unsupported-op-traces', `${A}/traces?filter[status][$in]=error`],
	['err-unknown-op', `${A}/spans?${jf({ model: { $regex: 'gpt' } })}`],
	['err-or', `${A}/spans?${jf({ $or: [{ kind: 'LLM' }, { kind: 'TOOL' }] })}`],
	['err-not', `${A}/spans?${jf({ $not: { kind: 'LLM' } })}`],
	['err-or-nested', `${A}/traces?${jf({ $and: [{ status: 'error' }, { $or: [{ id: 'a' }] }] })}`],
	['err-or-text', `${A}/spans?filter=${encodeURIComponent('kind:"LLM" OR kind:"TOOL"')}`],
	['err-mixed-logical', `${A}/spans?${jf({ $and: [{ kind: 'LLM' }], model: 'gpt-4o' })}`],
	['err-null-json', `${A}/spans?${jf({ model: null })}`],
	['err-null-bracket', `${A}/spans?filter[model]=`],
	['err-non-string', `${A}/spans?${jf({ model: 5 })}`],
	// A Unix time is a datetime to pydantic (NeMo's require_datetime_value): a number or its text.
	['spans-started-at-unix', `${A}/spans?${jf({ started_at: { $gte: 1741910400 } })}&mode=summary`, SpansPage],
	['spans-started-at-unix-text', `${A}/spans?filter[started_at][$lte]=1741910400000&mode=summary`, SpansPage],
	['err-non-string-in', `${A}/traces?${jf({ id: { $in: ['trace-alpha', 7] } })}`],
	['err-invalid-kind', `${A}/spans?filter[kind]=llm`],
	['err-invalid-status', `${A}/traces?filter[status]=ok`],
	['err-invalid-datetime', `${A}/spans?filter[started_at][$gte]=yesterday`],
	['err-invalid-datetime-traces', `${A}/traces?${jf({ started_at: { $lte: '2025-13-40T00:00:00Z' } })}`],
	['err-invalid-json', `${A}/spans?filter=${encodeURIComponent('{"kind":')}`],
	['err-unsupported-param', `${A}/spans?zeta=1&alpha=2&page=1`],
	['err-unsupported-param-groups-mode', `${A}/spans/groups?by=trace_id&mode=summary`],
	// Only list routes refuse a parameter they do not take (NeMo's validate_list_query_params)
	['get-trace-ignores-param', `${A}/traces/trace-alpha?page=1&mode=summary`, Trace],
	['get-session-ignores-param', `${A}/sessions/sess-shared?mode=summary`, Session],
	['err-page-0', `${A}/spans?page=0`],
	['err-page-size-0', `${A}/traces?page_size=0`],
	['err-page-size-1001', `${A}/spans/groups?by=trace_id&page_size=1001`],
	['err-page-not-int', `${A}/traces?page=two`],
	['err-sort-invalid', `${A}/spans?sort=name`],
	['err-groups-sort-invalid', `${A}/spans/groups?by=trace_id&sort=started_at`],
	['err-mode-invalid', `${A}/traces?mode=full`],
	['err-groups-missing-by', `${A}/spans/groups`],
	['err-groups-empty-by', `${A}/spans/groups?by=`],
	['err-groups-unknown-by', `${A}/spans/groups?by=model`],
	['err-groups-duplicate-by', `${A}/spans/groups?by=trace_id,trace_id`],
];

// The same response with every ingested_at replaced (the only field that depends on when
// the fixtures were ingested).
function scrub(v) {
	if (Array.isArray(v)) return v.map(scrub);
	if (v && typeof v === 'object') {
		const o = {};
		for (const [k, x] of Object.entries(v)) o[k] = k === 'ingested_at' ? INGESTED_AT : scrub(x);
		return o;
	}
	return v;
}

function schemaFor(status, schema) {
	if (status >= 200 && status < 300) {
		assert.ok(schema, `expected an error, got ${status}`);
		return schema;
	}
	return status === 422 ? HTTPValidationError : BadRequestError;
}

let srv;
before(async () => {
	srv = await startServer({ workers: 1 });
	for (const [ws, file] of BATCHES) {
		const body = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
		const r = await request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body });
		assert.equal(r.status, 201, `ingest ${file}: ${r.status} ${r.text}`);
	}
	if (UPDATE) fs.mkdirSync(GOLDEN, { recursive: true });
});
after(async () => {
	await srv?.stop();
});

test('case names are unique and every golden file has a case', () => {
	checkGoldenNames(GOLDEN, CASES.map((c) => c[0]), UPDATE);
});

for (const [name, p, schema] of CASES) {
	test(name, async () => {
		const r = await request('GET', p);
		assert.match(r.headers['content-type'] || '', /^application\/json/, `${p}: ${r.text}`);
		assert.notEqual(r.json, undefined, `${p}: body is not JSON: ${r.text}`);
		const errs = validate(schemaFor(r.status, schema), r.json);
		assert.deepEqual(errs, [], `${p}: schema violations`);
		const got = `${JSON.stringify({ request: `GET ${p}`, status: r.status, body: scrub(r.json) }, null, 2)}\n`;
		const file = path.join(GOLDEN, `${name}.json`);
		if (UPDATE) {
			fs.writeFileSync(file, got);
			return;
		}
		assert.ok(fs.existsSync(file), `${file} is missing: run with SPANDEX_UPDATE_GOLDEN=1 and check it`);
		assert.equal(got, fs.readFileSync(file, 'utf8'), `${name}: response differs from ${file}`);
	});
}

// created_at and updated_at compare the ingest time of the version listed (to the
// microsecond: the spans of one batch are a microsecond apart), on both sides of a pivot.
test('created_at and updated_at filter on ingested_at', async () => {
	const all = (await request('GET', `${A}/spans?page_size=100&mode=summary`)).json.data;
	// RFC 3339 with six decimals, all in Z: their order as strings is their order in time.
	assert.ok(all.every((s) => /\.\d{6}Z$/.test(s.ingested_at)));
	const times = all.map((s) => s.ingested_at).sort();
	const pivot = times[Math.floor(times.length / 2)];
	const want = (pred) => all.filter((s) => pred(s.ingested_at)).map((s) => s.span_id).sort();
	const ids = async (what, f) => {
		const r = await request('GET', `${A}/${what}?page_size=100&mode=summary&${jf(f)}`);
		assert.equal(r.status, 200, r.text);
		return r.json.data.map((s) => (what === 'spans' ? s.span_id : s.id)).sort();
	};
	const after = await ids('spans', { created_at: { $gte: pivot } });
	assert.deepEqual(after, want((x) => x >= pivot));
	assert.ok(after.length > 0 && after.length < all.length);
	assert.deepEqual(await ids('spans', { updated_at: { $lte: pivot } }), want((x) => x <= pivot));
	assert.deepEqual(await ids('spans', { created_at: { $gte: pivot, $lte: pivot } }), want((x) => x === pivot));
	// A trace's created_at is its root span's.
	const roots = all.filter((s) => !s.parent_span_id && s.ingested_at >= pivot).map((s) => s.trace_id).sort();
	assert.deepEqual(await ids('traces', { created_at: { $gte: pivot } }), roots);
});

test('spans/stats takes a trace of two roots by its earliest, as GET traces does (§7.2), whichever was stored first', async () => {
	const W = `${WS_PREFIX}/stats-roots`;
	const r = await request('POST', `${W}/ingest/spans`, {
		body: { source: 'test', spans: [
			{ span_id: 'late', trace_id: 'Q', name: 'late', status: 'success', started_at: '2025-06-04T10:00:00Z', ended_at: '2025-06-04T10:00:01Z' },
			{ span_id: 'early', trace_id: 'Q', name: 'early', status: 'error', started_at: '2025-06-04T09:00:00Z', ended_at: '2025-06-04T09:00:05Z' },
		] },
	});
	assert.equal(r.status, 201, r.text);
	const t = await request('GET', `${W}/traces/Q?mode=summary`);
	assert.deepEqual([t.json.root_span_id, t.json.duration_ms], ['early', 5000]);
	const st = await request('GET', `${W}/spans/stats?start=2025-06-04T00:00:00Z&end=2025-06-05T00:00:00Z&bucket_seconds=86400`);
	assert.equal(st.status, 200, st.text);
	assert.equal(st.json.trace_count, 1, st.text);
	assert.deepEqual(st.json.slowest_traces.map((x) => [x.root_span_id, x.name, x.status]), [['early', 'early', 'error']], st.text);
	assert.equal(st.json.duration_ms.p50, 5000, st.text);
});

// A query parameter given twice is read by its last value, as FastAPI reads a scalar one
// (Starlette's QueryParams keeps the last value of a key): the seed pages declare page,
// page_size, sort, mode, by and filter as single values.
test('a repeated query parameter is read by its last value, as FastAPI reads it', async () => {
	const get = async (p) => {
		const r = await request('GET', p);
		assert.equal(r.status, 200, `${p}: ${r.text}`);
		return r.json;
	};
	const t = await get(`${A}/traces?page_size=1&page_size=2&sort=-started_at&sort=started_at&mode=detailed&mode=summary`);
	assert.equal(t.pagination.page_size, 2);
	assert.equal(t.data.length, 2);
	assert.equal(t.sort, 'started_at');
	assert.ok(t.data.every((x) => x.span_count === undefined), 'mode=summary (the last) leaves out the rollups');
	const s = await get(`${A}/spans?page=9&page=1&mode=summary&${jf({ kind: 'AGENT' })}&${jf({ kind: 'TOOL' })}`);
	assert.equal(s.pagination.page, 1);
	assert.deepEqual(s.filter, { kind: 'TOOL' });
	assert.ok(s.data.length > 0 && s.data.every((x) => x.kind === 'TOOL'));
	const g = await get(`${A}/spans/groups?by=session_id&by=trace_id`);
	assert.deepEqual(g.grouped_by, ['trace_id']);
	assert.ok(g.data.every((x) => Object.keys(x.group).join() === 'trace_id'));
	// Only the last value is checked: a bad one before it is not read, a bad last one is a 422.
	const r = await request('GET', `${A}/traces?page_size=0&page_size=3`);
	assert.equal(r.status, 200, r.text);
	const bad = await request('GET', `${A}/traces?page_size=3&page_size=0`);
	assert.equal(bad.status, 422, bad.text);
	assert.deepEqual(bad.json.detail[0].loc, ['query', 'page_size']);
});

// FastAPI lists a request's 422 items in the order of the endpoint's parameters, which the
// seed pages show: List Span Groups takes by first, then page, page_size, sort; List Traces
// page, page_size, sort, mode.
test('422 items come in the order of the seed pages\' parameters', async () => {
	const locs = async (p) => {
		const r = await request('GET', p);
		assert.equal(r.status, 422, r.text);
		return r.json.detail.map((d) => d.loc[1]);
	};
	assert.deepEqual(await locs(`${A}/spans/groups?sort=x&page_size=0&page=0`), ['by', 'page', 'page_size', 'sort']);
	assert.deepEqual(await locs(`${A}/traces?mode=x&sort=x&page_size=0&page=0`), ['page', 'page_size', 'sort', 'mode']);
});

// NeMo's handlers refuse an undeclared parameter (validate_list_query_params) only after
// FastAPI has validated the declared ones: a bad value and an unknown key is the 422.
test('a bad parameter value is the 422 even beside an unsupported parameter', async () => {
	for (const p of [`${A}/spans?x=1&page_size=0`, `${A}/traces?sort=x&y=2`, `${A}/spans/groups?z=1`]) {
		const r = await request('GET', p);
		assert.equal(r.status, 422, `${p}: ${r.text}`);
		assert.equal(r.json.detail.length, 1, r.text);
	}
	const r = await request('GET', `${A}/spans/groups?by=trace_id&z=1`);
	assert.equal(r.status, 400, r.text);
	assert.deepEqual(r.json, { detail: 'Unsupported query parameter(s): z' });
	// A pair with an empty name is a parameter too (Starlette's parse_qsl, WHATWG's parsing);
	// an empty pair (&&) is none.
	for (const [q, detail] of [['=5', 'Unsupported query parameter(s): '], ['=&z=1', 'Unsupported query parameter(s): , z']]) {
		const e = await request('GET', `${A}/spans?${q}`);
		assert.equal(e.status, 400, e.text);
		assert.deepEqual(e.json, { detail }, q);
	}
	assert.equal((await request('GET', `${A}/spans?&&page_size=1&`)).status, 200);
});

// The service's Span.from_domain (spans_schemas.py) cuts error_message to its first 1000
// characters in every mode but detailed, and mode=preview (Helix's, §7.1) cuts input and
// output to 300; characters are code points, as Python counts them.
test('mode=summary and mode=preview cut error_message to 1000 characters, preview input and output to 300', async () => {
	const W = `${WS_PREFIX}/cut-modes`;
	const msg = 'é'.repeat(999) + '😀' + 'x'.repeat(500);
	const input = '€'.repeat(400);
	const r = await request('POST', `${W}/ingest/spans`, {
		body: { source: 'test', spans: [{ span_id: 'cut', trace_id: 'cut-t', started_at: '2025-06-04T10:00:00Z', status: 'error', error_message: msg, input, output: 'short' }] },
	});
	assert.equal(r.status, 201, r.text);
	const one = async (mode) => {
		const l = await request('GET', `${W}/spans?mode=${mode}`);
		assert.equal(l.status, 200, l.text);
		return l.json.data[0];
	};
	const detailed = await one('detailed');
	assert.equal(detailed.error_message, msg);
	assert.equal(detailed.input, input);
	assert.equal((await request('GET', `${W}/spans/cut`)).json.error_message, msg);
	const summary = await one('summary');
	assert.equal(summary.error_message, 'é'.repeat(999) + '😀');
	assert.equal(summary.input, undefined);
	const preview = await one('preview');
	assert.equal(preview.error_message, 'é'.repeat(999) + '😀');
	assert.equal(preview.input, '€'.repeat(300));
	assert.equal(preview.output, 'short');
	assert.equal(preview.raw_attributes, undefined);
});
