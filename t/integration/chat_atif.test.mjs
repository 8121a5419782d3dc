// POST .../ingest/chat-completions and .../ingest/atif through nginx, then GET .../spans/{id}:
// the stored spans equal the golden lines of the unit suites (t/golden/chat, t/golden/atif),
// which were mapped in the same workspace; only the fields that depend on the ingest time
// differ (reference nemo-intake.md 4.2, 4.3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, getSpan, stableId, WS_PREFIX, SRCDIR } from '../harness.mjs';

const WS = 'ws-test'; // the unit suites' workspace: span ids include it
let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const fixture = (dir, name) => fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', dir, `${name}.json`), 'utf8');
const goldenLines = (dir, name, ext) =>
	fs.readFileSync(path.join(SRCDIR, 't', 'golden', dir, `${name}.${ext}`), 'utf8')
		.split('\n').filter((l) => l).map((l) => JSON.parse(l));
const post = (kind, body, headers) =>
	request('POST', `${WS_PREFIX}/${WS}/ingest/${kind}`, { body, headers });

// The golden span without the fields that depend on when it was ingested.
function strip(span, keys) {
	const out = { ...span };
	for (const k of ['ingested_at', ...keys]) delete out[k];
	return out;
}

async function assertStored(golden, timeKeys = []) {
	const r = await getSpan(WS, golden.span_id);
	assert.equal(r.status, 200, `GET ${golden.span_id}: ${r.status} ${r.text}`);
	assert.ok(Date.parse(r.json.ingested_at) > Date.parse('2024-01-01T00:00:00Z'));
	assert.deepEqual(strip(r.json, timeKeys), strip(golden, timeKeys), golden.name);
	return r.json;
}

test('chat-completions: 201 {session_id, span_id} and the golden span', async () => {
	for (const name of ['basic', 'error', 'error_code', 'alt_usage', 'anthropic_usage', 'costs', 'h_context']) {
		const [g] = goldenLines('chat', name, 'json');
		const r = await post('chat-completions', fixture('chat', name));
		assert.equal(r.status, 201, `${name}: ${r.status} ${r.text}`);
		assert.deepEqual(r.json, { session_id: g.session_id, span_id: g.span_id });
		// No ended_at: a capture has no end time (docs/api-intake.md, "Chat completions"); started_at
		// is the ingest time where response.created is unusable.
		const now = ['error_code', 'anthropic_usage'].includes(name) ? ['started_at'] : [];
		const s = await assertStored(g, now);
		assert.equal(s.ended_at, undefined, `${name}: no end from a capture`);
	}
});

test('chat-completions without response.id: a stable hash id, so a retry replaces', async () => {
	const [g] = goldenLines('chat', 'no_id', 'json');
	const a = await post('chat-completions', fixture('chat', 'no_id'));
	assert.equal(a.status, 201, a.text);
	assert.match(a.json.span_id, /^chatcmpl-hash-[0-9a-f]{32}$/);
	assert.equal(a.json.span_id, g.span_id);
	const first = await assertStored(g, ['started_at', 'ended_at']);
	const b = await post('chat-completions', fixture('chat', 'no_id'));
	assert.deepEqual(b.json, a.json);
	const second = await assertStored(g, ['started_at', 'ended_at']);
	assert.ok(Date.parse(second.ingested_at) >= Date.parse(first.ingested_at));
});

test('chat-completions: an empty response.id, trace_id or session_id is none, as the service\'s `or` takes it (nemo-intake.md 4.2)', async () => {
	const body = JSON.parse(fixture('chat', 'no_id'));
	body.response.id = '';
	const a = await post('chat-completions', JSON.stringify(body));
	assert.equal(a.status, 201, a.text);
	assert.match(a.json.span_id, /^chatcmpl-hash-[0-9a-f]{32}$/);
	const b = await post('chat-completions', JSON.stringify({ ...body, trace_id: '', session_id: '' }));
	assert.equal(b.status, 201, b.text);
	assert.equal(b.json.session_id, b.json.span_id);
	const s = await getSpan(WS, b.json.span_id);
	assert.equal(s.status, 200, s.text);
	assert.equal(s.json.trace_id, b.json.span_id);
	assert.equal(s.json.session_id, b.json.span_id);
});

test('chat-completions: 422 bodies equal the unit golden ones', async () => {
	for (const name of ['invalid_extra_field', 'invalid_both', 'invalid_neither', 'invalid_request',
		'invalid_types', 'invalid_missing', 'invalid_not_object']) {
		const [g] = goldenLines('chat', name, 'json');
		const r = await post('chat-completions', fixture('chat', name));
		assert.equal(r.status, 422, `${name}: ${r.status} ${r.text}`);
		assert.deepEqual(r.json, g, name);
	}
});

test('chat-completions and atif refuse a non-JSON media type (415) and bad JSON (422)', async () => {
	for (const kind of ['chat-completions', 'atif']) {
		const r = await post(kind, '{}', { 'Content-Type': 'text/plain' });
		assert.equal(r.status, 415, r.text);
		assert.equal(typeof r.json.detail, 'string');
		const bad = await post(kind, '{"request":');
		assert.equal(bad.status, 422, bad.text);
		assert.equal(bad.json.detail[0].type, 'json_invalid');
	}
});

test('atif: 201 with an empty body; every span of the tree is stored as mapped', async () => {
	const r = await post('atif', fixture('atif', 'full_v16'));
	assert.equal(r.status, 201, r.text);
	assert.equal(r.text, '');
	// Every time in this trajectory is explicit, so the spans equal the golden ones.
	for (const g of goldenLines('atif', 'full_v16', 'jsonl')) await assertStored(g);
});

test('atif: subagents, unresolved refs and verifier spans; untimed spans at ingest time', async () => {
	const r = await post('atif', fixture('atif', 'subagents_v17'));
	assert.equal(r.status, 201, r.text);
	const lines = goldenLines('atif', 'subagents_v17', 'jsonl');
	const ingestTimed = new Set(['user-1', 'idle', 'harbor.verifier']);
	for (const g of lines) {
		const s = await assertStored(g, ingestTimed.has(g.name) ? ['started_at', 'ended_at'] : []);
		if (ingestTimed.has(g.name))
			assert.ok(Date.parse(s.started_at) > Date.parse('2024-01-01T00:00:00Z'), g.name);
	}
	const byName = Object.fromEntries(lines.map((l) => [l.name, l]));
	assert.equal(byName.researcher.parent_span_id, byName['agent-2'].span_id);
	assert.equal(byName['subagent-missing/sub.json'].kind, 'AGENT');
	assert.equal(byName.idle.parent_span_id, lines[0].span_id);
});

test('atif: a re-import keeps the ids and replaces the spans', async () => {
	const body = fixture('atif', 'minimal_v10');
	const lines = goldenLines('atif', 'minimal_v10', 'jsonl');
	assert.equal((await post('atif', body)).status, 201);
	const before1 = await assertStored(lines[0], ['started_at']);
	assert.equal((await post('atif', body)).status, 201);
	const after1 = await assertStored(lines[0], ['started_at']);
	assert.ok(Date.parse(after1.ingested_at) >= Date.parse(before1.ingested_at));
	for (const g of lines.slice(1)) await assertStored(g, ['started_at']);
});


// Sorted keys, nulls left out, compact: the canonical JSON of the ids (no floats here).
function canonical(v) {
	if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
	if (v && typeof v === 'object')
		return `{${Object.keys(v).sort().filter((k) => v[k] !== null)
			.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
	return JSON.stringify(v);
}

test('atif without session_id: a name-based session, so the root id is known in advance', async () => {
	const text = fixture('atif', 'no_session');
	const h = stableId('', WS, canonical(JSON.parse(text)));
	// UUID4-shaped: version 4, variant 8-b, the rest the hash's
	const variant = '89ab'[parseInt(h[16], 16) & 3];
	const session = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
	assert.match(session, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	assert.equal((await post('atif', text)).status, 201);
	const root = await getSpan(WS, stableId('span', WS, session, 'trajectory'));
	assert.equal(root.status, 200, root.text);
	assert.equal(root.json.session_id, session);
	assert.equal(root.json.trace_id, session);
	assert.deepEqual(root.json.evaluation_context, { evaluation_id: 'exp-7' });
	const [g] = goldenLines('atif', 'no_session', 'jsonl');
	assert.equal(root.json.span_id, g.span_id);
});

test('atif: 422 bodies equal the unit golden ones, with the documented messages', async () => {
	for (const name of ['invalid_step_ids', 'invalid_dup_tool_call', 'invalid_source_call_id',
		'invalid_v17_ref', 'invalid_ref_empty', 'invalid_sub_no_id', 'invalid_sub_dup_id',
		'invalid_schema', 'invalid_steps', 'invalid_sub_nested']) {
		const [g] = goldenLines('atif', name, 'jsonl');
		const r = await post('atif', fixture('atif', name));
		assert.equal(r.status, 422, `${name}: ${r.status} ${r.text}`);
		assert.deepEqual(r.json, g, name);
	}
	const r = await post('atif', fixture('atif', 'invalid_step_ids'));
	assert.equal(r.json.detail[0].msg,
		'Value error, steps[1].step_id: expected 2 (sequential from 1), got 3');
});

// The service's AtifStepBase validator reads a step's timestamp with datetime.fromisoformat:
// one that is no ISO 8601 time is a 422 at the field, the tag in loc, and nothing is stored.
test('atif: a step timestamp that is no ISO 8601 time is a 422 value_error', async () => {
	const traj = (timestamp, session) => ({
		schema_version: 'ATIF-v1.6',
		session_id: session,
		agent: { name: 'a', version: '1' },
		steps: [{ step_id: 1, source: 'user', message: 'hi' }, { step_id: 2, source: 'agent', message: 'x', timestamp }],
	});
	const r = await post('atif', traj('not-a-timestamp', 'bad-ts'));
	assert.equal(r.status, 422, r.text);
	assert.deepEqual(r.json.detail, [{
		type: 'value_error',
		loc: ['body', 'steps', 1, 'agent', 'timestamp'],
		msg: "Value error, Invalid ISO 8601 timestamp: Invalid isoformat string: 'not-a-timestamp'",
		input: 'not-a-timestamp',
	}]);
	const spans = await request('GET', `${WS_PREFIX}/${WS}/spans?filter[session_id]=bad-ts`);
	assert.deepEqual(spans.json.data, []);
	for (const bad of ['', 'yesterday', '2026-11-25T10:00:00 PST']) {
		const b = await post('atif', traj(bad, 'bad-ts'));
		assert.equal(b.status, 422, `${JSON.stringify(bad)}: ${b.text}`);
	}
	// What fromisoformat reads is taken: RFC 3339, an offset-less or a date-only time, and
	// the rarer ISO 8601 forms.
	for (const [i, good] of ['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05+01:00', '2026-01-02 03:04:05', '2026-01-02', '20260102T030405Z'].entries()) {
		const g = await post('atif', traj(good, `good-ts-${i}`));
		assert.equal(g.status, 201, `${good}: ${g.text}`);
	}
});

// The harbor.verifier span's input and output are the service's (_evaluator_result_to_span):
// the evaluated trajectory and task, then the score and the verifier result.
test('atif: the verifier span holds the evaluated span and task in, the score and result out', async () => {
	const vr = { rewards: { reward: 0.0 } };
	const r = await post('atif', {
		schema_version: 'ATIF-v1.5', session_id: 'verifier-io', agent: { name: 'a', version: '1' },
		extra: { task_id: 'ds/tc-a', task_name: 'ds/tc-a', trial_name: 'tc-a__t', verifier_result: vr },
		steps: [{ step_id: 1, source: 'user', message: 'go' }],
	});
	assert.equal(r.status, 201, r.text);
	const spans = (await request('GET', `${WS_PREFIX}/${WS}/spans?filter[session_id]=verifier-io`)).json.data;
	const root = spans.find((s) => !s.parent_span_id);
	const ver = spans.find((s) => s.name === 'harbor.verifier');
	assert.equal(ver.kind, 'EVALUATOR');
	assert.equal(ver.parent_span_id, root.span_id);
	assert.deepEqual(JSON.parse(ver.input), {
		session_id: 'verifier-io', evaluated_span_id: root.span_id,
		task_id: 'ds/tc-a', task_name: 'ds/tc-a', trial_name: 'tc-a__t',
	});
	assert.deepEqual(JSON.parse(ver.output), { score: 0, verifier_result: vr });
});
