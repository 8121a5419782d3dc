// POST .../ingest/spans then GET .../spans/{id} through nginx: every Span field, replacement
// by span_id, and the error paths (reference nemo-intake.md 4.4 and 5; seed Get Span).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
	startServer, request, runCgi, ingestSpans, getSpan, makeSpan, dayTime, WS_PREFIX,
} from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const WS = 'itest-ws';
let seq = 0;
const uid = (p) => `${p}-${process.pid}-${++seq}`;

// The Span's properties in the order of the Get Span page; the canonical line keeps it.
const SPAN_ORDER = [
	'span_id', 'session_id', 'workspace', 'project', 'evaluation_context', 'parent_span_id',
	'kind', 'name', 'source', 'trace_id', 'started_at', 'ended_at', 'status', 'error_type',
	'error_message', 'provider', 'model', 'prompt_id', 'prompt_name', 'prompt_version',
	'agent_id', 'agent_name', 'tool_name', 'input_tokens', 'output_tokens', 'cached_tokens',
	'total_tokens', 'usage_details', 'cost_total_usd', 'cost_input_usd', 'cost_output_usd',
	'cost_details', 'input', 'output', 'raw_attributes', 'ingested_at',
];

function assertSpanOrder(obj) {
	const keys = Object.keys(obj);
	for (const k of keys) assert.ok(SPAN_ORDER.includes(k), `unexpected Span property ${k}`);
	const idx = keys.map((k) => SPAN_ORDER.indexOf(k));
	assert.deepEqual(idx, [...idx].sort((a, b) => a - b), `properties out of order: ${keys.join(',')}`);
}

async function ingestOk(ws, spans, source) {
	const r = await ingestSpans(ws, spans, { source });
	assert.equal(r.status, 201, `ingest: ${r.status} ${r.text}`);
	assert.equal(r.text, '', '201 has an empty body');
	return r;
}

// A 422 in the HTTPValidationError shape.
function assert422(r) {
	assert.equal(r.status, 422, `${r.status} ${r.text}`);
	assert.ok(Array.isArray(r.json?.detail) && r.json.detail.length > 0, r.text);
	for (const e of r.json.detail) {
		assert.equal(typeof e.type, 'string');
		assert.equal(typeof e.msg, 'string');
		assert.ok(Array.isArray(e.loc), `loc is an array: ${JSON.stringify(e)}`);
	}
}

// {"detail": "..."} with the given status.
function assertDetail(r, status) {
	assert.equal(r.status, status, `${r.status} ${r.text}`);
	assert.equal(typeof r.json?.detail, 'string', r.text);
	assert.match(r.headers['content-type'] || '', /application\/json/);
}

async function assertAbsent(ws, id) {
	const g = await getSpan(ws, id);
	assert.equal(g.status, 404, `span ${id} must not exist: ${g.text}`);
}

test('GET /healthz answers 200', async () => {
	const r = await request('GET', '/healthz');
	assert.equal(r.status, 200);
});

test('every Span field round-trips, attributes mapped by the catalog', async () => {
	const id = uid('full');
	const day = dayTime().slice(0, 10);
	const startedIn = `${day}T14:00:00+02:00`; // an offset other than Z: stored as UTC
	const endedIn = `${day}T12:00:05.250Z`;
	const attrs = {
		'gen_ai.request.model': 'gpt-4-turbo',
		'gen_ai.system': 'OpenAI',
		'gen_ai.usage.input_tokens': 150,
		'gen_ai.usage.output_tokens': 200,
		'gen_ai.usage.cached_tokens': 10,
		'gen_ai.usage.total_tokens': 350,
		'llm.token_count.completion_details.reasoning': 12,
		'llm.cost.total': 0.035,
		'llm.cost.prompt': 0.015,
		'llm.cost.completion': 0.02,
		'llm.cost.reasoning': 0.001,
		'gen_ai.prompt.id': 'prompt-abc123',
		'gen_ai.agent.id': 'agent-42',
		'gen_ai.agent.name': 'MarketingBot',
		'gen_ai.tool.name': 'TextGenerator',
		'gen_ai.project': 'ad-campaign-2024',
		'exception.type': 'ValueError',
		'exception.message': 'boom: "quoted"\nsecond line',
		language: 'en',
		tone: { x: [1, true, null, 'é'] },
		count: 3,
		ratio: 1.5,
	};
	const span = {
		span_id: id,
		trace_id: `trace-${id}`,
		session_id: `session-${id}`,
		parent_span_id: `parent-${id}`,
		name: 'Générer la pub ✓',
		kind: 'LLM',
		status: 'error',
		started_at: startedIn,
		ended_at: endedIn,
		input: 'Create a catchy ad copy',
		output: { text: 'Introducing', n: 1 },
		attributes: attrs,
	};
	const t0 = Date.now();
	await ingestOk(WS, [span], 'langsmith');
	const t1 = Date.now();

	const g = await getSpan(WS, id);
	assert.equal(g.status, 200, g.text);
	assert.match(g.headers['content-type'], /application\/json/);
	const s = g.json;
	assertSpanOrder(s);
	const { ingested_at: ingestedAt, raw_attributes: raw, ...rest } = s;
	assert.deepEqual(rest, {
		span_id: id,
		session_id: `session-${id}`,
		workspace: WS,
		project: 'ad-campaign-2024',
		parent_span_id: `parent-${id}`,
		kind: 'LLM',
		name: 'Générer la pub ✓',
		source: 'langsmith',
		trace_id: `trace-${id}`,
		started_at: `${day}T12:00:00Z`,
		ended_at: `${day}T12:00:05.250000Z`,
		status: 'error',
		error_type: 'ValueError',
		error_message: 'boom: "quoted"\nsecond line',
		provider: 'OpenAI',
		model: 'gpt-4-turbo',
		prompt_id: 'prompt-abc123',
		agent_id: 'agent-42',
		agent_name: 'MarketingBot',
		tool_name: 'TextGenerator',
		input_tokens: 150,
		output_tokens: 200,
		cached_tokens: 10,
		total_tokens: 350,
		usage_details: { 'completion_details.reasoning': 12 },
		cost_total_usd: 0.035,
		cost_input_usd: 0.015,
		cost_output_usd: 0.02,
		cost_details: { reasoning: 0.001 },
		input: 'Create a catchy ad copy',
		output: '{"text":"Introducing","n":1}',
	});
	// Everything the catalog does not consume, with its JSON type, as a JSON string.
	assert.equal(typeof raw, 'string');
	assert.deepEqual(JSON.parse(raw), { language: 'en', tone: { x: [1, true, null, 'é'] }, count: 3, ratio: 1.5 });
	const ing = Date.parse(ingestedAt);
	assert.ok(ing >= t0 - 1000 && ing <= t1 + 1000, `ingested_at ${ingestedAt} is the time of the POST`);
});

test('defaults: session_id from trace_id, UNKNOWN kind, unknown status, empty name', async () => {
	const id = uid('min');
	const started = dayTime(123456); // 12:02:03.456
	await ingestOk(WS, [{ span_id: id, trace_id: `t-${id}`, started_at: started }], 'mlflow');
	const g = await getSpan(WS, id);
	assert.equal(g.status, 200, g.text);
	assertSpanOrder(g.json);
	const { ingested_at: ingestedAt, ...rest } = g.json;
	assert.equal(typeof ingestedAt, 'string');
	assert.deepEqual(rest, {
		span_id: id,
		session_id: `t-${id}`,
		workspace: WS,
		kind: 'UNKNOWN',
		name: '',
		source: 'mlflow',
		trace_id: `t-${id}`,
		started_at: started.replace(/\.(\d{3})Z$/, '.$1000Z'),
		status: 'unknown',
		usage_details: {},
		cost_details: {},
	});
});

test('non-string input and output become compact JSON; a batch stores every span', async () => {
	const ids = [uid('io'), uid('io'), uid('io')];
	await ingestOk(WS, [
		makeSpan(ids[0], { input: [1, 'a', { b: null }], output: 42 }),
		makeSpan(ids[1], { input: true, output: 'plain', parent_span_id: ids[0] }),
		makeSpan(ids[2], { kind: 'TOOL', status: 'cancelled', parent_span_id: 'outside-the-batch' }),
	]);
	const [a, b, c] = await Promise.all(ids.map((i) => getSpan(WS, i)));
	assert.equal(a.json.input, '[1,"a",{"b":null}]');
	assert.equal(a.json.output, '42');
	assert.equal(b.json.input, 'true');
	assert.equal(b.json.output, 'plain');
	assert.equal(b.json.parent_span_id, ids[0]);
	assert.equal(c.json.kind, 'TOOL');
	assert.equal(c.json.status, 'cancelled');
	assert.equal(c.json.parent_span_id, 'outside-the-batch');
});

test('members in any order are read as in the model order; an extra among them is a 422', async () => {
	// The fields are found in one walk over the members (lib/model/vschema.c, model_walk),
	// looked for from the one after the last found: the model's order, its reverse and a mix
	// must read the same span.
	const full = (id) => ({
		span_id: id, trace_id: `trace-${id}`, session_id: `s-${id}`, parent_span_id: `p-${id}`,
		name: 'walk', kind: 'LLM', status: 'error', started_at: dayTime(0), ended_at: dayTime(1500),
		input: 'in', output: { o: 1 }, attributes: { 'gen_ai.request.model': 'gpt-4o' },
		error_type: 'E', error_message: 'M',
	});
	const order = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
	const ids = [uid('walk'), uid('walk'), uid('walk')];
	const keys = Object.keys(full(ids[0]));
	const mixed = [...keys.slice(7), ...keys.slice(0, 7).reverse()];
	await ingestOk(WS, [full(ids[0]), order(full(ids[1]), [...keys].reverse()), order(full(ids[2]), mixed)]);
	const got = await Promise.all(ids.map((i) => getSpan(WS, i)));
	const same = (g, id) => {
		const { ingested_at: _, ...rest } = g.json;
		return JSON.stringify(rest).replaceAll(id, 'ID');
	};
	assert.equal(same(got[1], ids[1]), same(got[0], ids[0]));
	assert.equal(same(got[2], ids[2]), same(got[0], ids[0]));
	assert.equal(got[0].json.model, 'gpt-4o');
	assert.equal(got[0].json.error_message, 'M');
	// An unknown member between two fields, and a field's name in another case: each an
	// extra_forbidden at its own key, the fields around them still read.
	const bad = order({ ...full(uid('walk')), spanid: 'x', Name: 'y' }, ['name', 'spanid', ...keys.filter((k) => k !== 'name'), 'Name']);
	const r = await ingestSpans(WS, [bad]);
	assert422(r);
	assert.deepEqual(r.json.detail.map((e) => [e.type, e.loc.join('.')]),
		[['extra_forbidden', 'body.spans.0.spanid'], ['extra_forbidden', 'body.spans.0.Name']]);
});

test('error_type and error_message are span fields, as Get Span names them (issue 31)', async () => {
	const [a, b] = [uid('err'), uid('err')];
	await ingestOk(WS, [
		makeSpan(a, { status: 'error', error_type: 'TimeoutError', error_message: 'no answer in 30 s' }),
		// The fields win over the attributes' exception.type and .message.
		makeSpan(b, { status: 'error', error_type: 'Mine', attributes: { 'exception.type': 'Theirs', 'exception.message': 'kept' } }),
	]);
	const [ga, gb] = await Promise.all([getSpan(WS, a), getSpan(WS, b)]);
	assert.equal(ga.json.error_type, 'TimeoutError');
	assert.equal(ga.json.error_message, 'no answer in 30 s');
	assert.equal(gb.json.error_type, 'Mine');
	assert.equal(gb.json.error_message, 'kept');
	// Still strings only: a number is the 422 of any mistyped field.
	assert422(await ingestSpans(WS, [makeSpan(uid('err'), { error_type: 7 })]));
});

test('a re-sent span_id replaces the older version, also from another day', async () => {
	const id = uid('rep');
	await ingestOk(WS, [makeSpan(id, { name: 'v1', status: 'success' })]);
	await ingestOk(WS, [makeSpan(id, { name: 'v2', status: 'error' })]);
	let g = await getSpan(WS, id);
	assert.equal(g.status, 200);
	assert.equal(g.json.name, 'v2');
	assert.equal(g.json.status, 'error');
	const started = dayTime(0, 3);
	await ingestOk(WS, [makeSpan(id, { name: 'v3', started_at: started })]);
	g = await getSpan(WS, id);
	assert.equal(g.json.name, 'v3');
	assert.equal(g.json.started_at, started.replace('.000Z', 'Z'));
});

test('workspaces are separate', async () => {
	const id = uid('sep');
	await ingestOk('itest-other', [makeSpan(id)]);
	assert.equal((await getSpan('itest-other', id)).status, 200);
	await assertAbsent(WS, id);
});

test('unknown span: 404 {"detail": "..."}', async () => {
	assertDetail(await getSpan(WS, 'no-such-span'), 404);
	assertDetail(await getSpan('never-written', 'no-such-span'), 404);
});

test('schema violations: 422 and nothing of the batch is written', async (t) => {
	const cases = {
		'missing span_id': (ok) => [ok, { trace_id: 't', started_at: dayTime() }],
		'missing trace_id': (ok) => [ok, { span_id: uid('x'), started_at: dayTime() }],
		'missing started_at': (ok) => [ok, { span_id: uid('x'), trace_id: 't' }],
		'bad kind': (ok) => [ok, makeSpan(uid('x'), { kind: 'BOGUS' })],
		'lower-case kind': (ok) => [ok, makeSpan(uid('x'), { kind: 'llm' })],
		'bad status': (ok) => [ok, makeSpan(uid('x'), { status: 'ok' })],
		'started_at without offset': (ok) => [ok, makeSpan(uid('x'), { started_at: dayTime().slice(0, 19) })],
		'started_at not a date': (ok) => [ok, makeSpan(uid('x'), { started_at: 'yesterday' })],
		'ended_at before started_at': (ok) => [ok, makeSpan(uid('x'), { started_at: dayTime(5000), ended_at: dayTime(0) })],
		'duplicate span ids': (ok) => [ok, { ...ok }],
		'parent is itself': (ok) => {
			const id = uid('x');
			return [ok, makeSpan(id, { parent_span_id: id })];
		},
		'extra span field': (ok) => [ok, makeSpan(uid('x'), { colour: 'red' })],
		'span_id not a string': (ok) => [ok, makeSpan(123)],
		'empty span_id': (ok) => [ok, makeSpan('')],
		'span_id over 1024 characters': (ok) => [ok, makeSpan('s'.repeat(1025))],
		'attributes not an object': (ok) => [ok, makeSpan(uid('x'), { attributes: [1, 2] })],
	};
	for (const [name, build] of Object.entries(cases)) {
		await t.test(name, async () => {
			const ok = makeSpan(uid('ok'));
			assert422(await ingestSpans(WS, build(ok)));
			await assertAbsent(WS, ok.span_id);
		});
	}
	await t.test('no age limit: a span started 400 days ago is stored (retention is cron\'s)', async () => {
		const old = makeSpan(uid('old'), { started_at: dayTime(0, 400) });
		const r = await ingestSpans(WS, [old]);
		assert.equal(r.status, 201, r.text);
		const g = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans/${old.span_id}`);
		assert.equal(g.status, 200, g.text);
		assert.equal(Date.parse(g.json.started_at), Date.parse(old.started_at));
	});
	await t.test('the model validators\' items are NeMo\'s (spans.py): at the span, or the body for duplicates', async () => {
		const ok = makeSpan(uid('ok'));
		const late = makeSpan(uid('x'), { started_at: dayTime(5000), ended_at: dayTime(0) });
		let r = await ingestSpans(WS, [ok, late]);
		assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc, d.msg, d.input?.span_id]), [
			['value_error', ['body', 'spans', 1], 'Value error, ended_at must be greater than or equal to started_at', late.span_id]]);
		const self = makeSpan(uid('x'));
		self.parent_span_id = self.span_id;
		r = await ingestSpans(WS, [self]);
		assert.deepEqual(r.json.detail.map((d) => [d.loc, d.msg]), [[['body', 'spans', 0], 'Value error, parent_span_id must differ from span_id']]);
		r = await ingestSpans(WS, [ok, { ...ok }]);
		assert.deepEqual(r.json.detail.map((d) => [d.type, d.loc, d.msg]), [
			['value_error', ['body'], 'Value error, spans must not contain duplicate (trace_id, span_id) identities']]);
		assert.equal(r.json.detail[0].input.spans.length, 2);
	});
	await t.test('a Unix time is a datetime, as pydantic takes one: a number, or its text', async () => {
		const n = makeSpan(uid('unix'), { started_at: 1748772000, ended_at: '1748772000500' });
		const r = await ingestSpans(WS, [n]);
		assert.equal(r.status, 201, r.text);
		const g = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans/${n.span_id}`);
		assert.deepEqual([g.json.started_at, g.json.ended_at], ['2025-06-01T10:00:00Z', '2025-06-01T10:00:00.500000Z']);
	});
	await t.test('0 spans', async () => {
		const r = await ingestSpans(WS, []);
		assert422(r);
		// pydantic's item: the list as input, its length in ctx
		assert.deepEqual(r.json.detail, [{
			type: 'too_short', loc: ['body', 'spans'], msg: 'List should have at least 1 item after validation, not 0',
			input: [], ctx: { field_type: 'List', min_length: 1, actual_length: 0 },
		}]);
	});
	await t.test('1001 spans', async () => {
		const spans = Array.from({ length: 1001 }, () => makeSpan(uid('many')));
		assert422(await ingestSpans(WS, spans));
		await assertAbsent(WS, spans[0].span_id);
		await assertAbsent(WS, spans[1000].span_id);
	});
	for (const source of ['', '-leading-dash', 'has space', 'slash/no', 'x'.repeat(129)]) {
		await t.test(`bad source ${JSON.stringify(source.slice(0, 20))}`, async () => {
			const ok = makeSpan(uid('ok'));
			assert422(await ingestSpans(WS, [ok], { source }));
			await assertAbsent(WS, ok.span_id);
		});
	}
	await t.test('missing source', async () => {
		const ok = makeSpan(uid('ok'));
		assert422(await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: { spans: [ok] } }));
		await assertAbsent(WS, ok.span_id);
	});
	await t.test('extra top-level field', async () => {
		const ok = makeSpan(uid('ok'));
		assert422(await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`,
			{ body: { source: 'x', spans: [ok], extra: 1 } }));
		await assertAbsent(WS, ok.span_id);
	});
	await t.test('body not an object', async () => {
		assert422(await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: [1, 2] }));
	});
});

test('malformed JSON, invalid UTF-8 and too-deep JSON: 422', async () => {
	const url = `${WS_PREFIX}/${WS}/ingest/spans`;
	const ok = makeSpan(uid('ok'));
	const good = JSON.stringify({ source: 'x', spans: [ok] });
	let r = await request('POST', url, { body: good.slice(0, -3) });
	assert422(r);
	assert.equal(r.json.detail[0].type, 'json_invalid');
	r = await request('POST', url, { body: Buffer.concat([Buffer.from(good.slice(0, -4)), Buffer.from([0xff, 0x22, 0x7d, 0x5d, 0x7d])]) });
	assert.ok(r.status === 422 || r.status === 400, `${r.status} ${r.text}`);
	let deep = 1;
	for (let i = 0; i < 200; i++) deep = [deep];
	r = await request('POST', url, { body: { source: 'x', spans: [{ ...ok, attributes: { deep } }] } });
	assert422(r);
	await assertAbsent(WS, ok.span_id);
});

test('media type: text/plain is 415', async () => {
	const ok = makeSpan(uid('ok'));
	const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		body: JSON.stringify({ source: 'x', spans: [ok] }),
		headers: { 'Content-Type': 'text/plain' },
	});
	assertDetail(r, 415);
	await assertAbsent(WS, ok.span_id);
	// Parameters such as charset do not matter.
	const r2 = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		body: JSON.stringify({ source: 'x', spans: [ok] }),
		headers: { 'Content-Type': 'application/json; charset=utf-8' },
	});
	assert.equal(r2.status, 201, r2.text);
});

test('media type: none is read as JSON, as FastAPI reads it', async () => {
	const ok = makeSpan(uid('untyped'));
	const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		body: JSON.stringify({ source: 'x', spans: [ok] }),
		headers: { 'Content-Type': '' },
	});
	assert.equal(r.status, 201, r.text);
	const g = await request('GET', `${WS_PREFIX}/${WS}/spans/${ok.span_id}`);
	assert.equal(g.status, 200, g.text);
	assert.equal(g.json.span_id, ok.span_id);
	// and a bad body so typed is the 422 of any JSON body
	const bad = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: '{"source":', headers: { 'Content-Type': '' } });
	assert.equal(bad.status, 422, bad.text);
	assert.equal(bad.json.detail[0].type, 'json_invalid');
});

// FastAPI reads a body as JSON when its media type is application/json or any
// application/<x>+json (its get_request_handler); other structured suffixes are not JSON.
test('media type: application/<x>+json is read as JSON, as FastAPI reads it', async () => {
	for (const type of ['application/vnd.api+json', 'Application/Merge-Patch+JSON; charset=utf-8']) {
		const ok = makeSpan(uid('plusjson'));
		const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
			body: JSON.stringify({ source: 'x', spans: [ok] }),
			headers: { 'Content-Type': type },
		});
		assert.equal(r.status, 201, `${type}: ${r.text}`);
		assert.equal((await getSpan(WS, ok.span_id)).status, 200);
	}
	for (const type of ['application/vnd.api+xml', 'text/x+json', 'application/+jsonx']) {
		const ok = makeSpan(uid('notjson'));
		const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
			body: JSON.stringify({ source: 'x', spans: [ok] }),
			headers: { 'Content-Type': type },
		});
		assertDetail(r, 415);
		await assertAbsent(WS, ok.span_id);
	}
});

test('a body over the limit is 413 JSON, from nginx and from the program', async () => {
	const big = Buffer.alloc(9 << 20, 0x20); // nginx's client_max_body_size 8m answers
	assertDetail(await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, { body: big }), 413);
	// SPANDEX_MAX_BODY lower than nginx's cap: the program's own check answers.
	const ok = makeSpan(uid('ok'), { input: 'x'.repeat(4096) });
	const { done } = runCgi('ingest', {
		method: 'POST',
		path: `${WS_PREFIX}/${WS}/ingest/spans`,
		body: { source: 'x', spans: [ok] },
		dataDir: srv.dataDir,
		env: { SPANDEX_MAX_BODY: '1024' },
	});
	const r = await done;
	assert.equal(r.status, 413, `${r.status} ${r.body} ${r.stderr}`);
	assert.equal(typeof JSON.parse(r.body).detail, 'string');
	await assertAbsent(WS, ok.span_id);
});

test('bad workspace names: 4xx and nothing created on disk', async () => {
	const before = fs.readdirSync(srv.dataDir).sort();
	const names = [
		'MyTeam', 'UPPER', '..', '.', '%2e%2e', '%2E%2E', 'a%2Fb', '..%2F..%2Fescape', '%00', 'ab%00cd',
		'x', '1abc', '-abc', 'abc-', 'ab--cd', 'a'.repeat(64), 'sp%20ace', 'a%5Cb', '%C3%A9t%C3%A9',
	];
	for (const name of names) {
		const ok = makeSpan(uid('ws'));
		const r = await request('POST', `${WS_PREFIX}/${name}/ingest/spans`, { body: { source: 'x', spans: [ok] } });
		assert.ok(r.status >= 400 && r.status < 500, `POST workspace ${name}: ${r.status} ${r.text}`);
		const g = await request('GET', `${WS_PREFIX}/${name}/spans/${ok.span_id}`);
		assert.ok(g.status >= 400 && g.status < 500, `GET workspace ${name}: ${g.status} ${g.text}`);
	}
	assert.deepEqual(fs.readdirSync(srv.dataDir).sort(), before, 'no workspace directory appeared');
	// The temp root holds only run/ and data/: nothing escaped the data directory.
	assert.deepEqual(fs.readdirSync(srv.tmpDir).sort(), ['data', 'run']);
	assert.ok(!fs.existsSync(path.join(srv.tmpDir, 'escape')));
	// Longest and shortest valid names work.
	for (const name of ['a'.repeat(63), 'ab', 'team_a.b+c@d']) {
		const ok = makeSpan(uid('ws'));
		await ingestOk(name, [ok]);
		assert.equal((await getSpan(name, ok.span_id)).status, 200);
	}
});

test('paths outside the API and unknown API paths: 404 JSON', async () => {
	for (const p of ['/data', '/run/nginx.conf', `${WS_PREFIX}/${WS}/nothing`, '/apis/intake/v2/', '/ui/no-such-file']) {
		assertDetail(await request('GET', p), 404);
	}
	// `/` is the trace viewer's (issue 14): a redirect, nothing else.
	const root = await request('GET', '/');
	assert.equal(root.status, 302);
	assert.equal(root.headers.location, '/ui/');
});
