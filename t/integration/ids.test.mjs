// One rule for every id of every ingest format (issue 13): at most 1024 characters, and
// nothing that could never be fetched by id ("", and "." or ".." between slashes, which the web
// server resolves: "../x"). Direct, chat and ATIF answer 422
// with the field's loc; OTLP rejects the span in partialSuccess. Every id that is accepted, odd
// characters and '/' included (a session "user/42"), is then fetchable with a percent-encoded
// path segment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, getSpan, makeSpan, dayTime, WS_PREFIX, SRCDIR } from '../harness.mjs';

const WS = 'ids-ws';
let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const post = (kind, body) => request('POST', `${WS_PREFIX}/${WS}/ingest/${kind}`, { body });
const long = 'x'.repeat(1025);
const bad = ['.', '..', '../x', 'a/./b', 'a/..', long];
const chatFixture = () => JSON.parse(fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'chat', 'basic.json'), 'utf8'));
const atifFixture = () => JSON.parse(fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'atif', 'minimal_v10.json'), 'utf8'));

function assert422(r, loc, id) {
	assert.equal(r.status, 422, `${JSON.stringify(id).slice(0, 40)}: ${r.status} ${r.text.slice(0, 300)}`);
	assert.ok(r.json.detail.some((d) => JSON.stringify(d.loc) === JSON.stringify(loc)),
		`${JSON.stringify(loc)} in ${JSON.stringify(r.json.detail).slice(0, 300)}`);
}

test('direct ingest refuses ids that are too long or cannot be addressed, in every id field', async () => {
	for (const field of ['span_id', 'trace_id', 'session_id', 'parent_span_id']) {
		for (const id of bad) {
			const span = makeSpan('ok-span', { started_at: dayTime(), [field]: id });
			const r = await post('spans', { source: 'ids', spans: [span] });
			assert422(r, ['body', 'spans', 0, field], id);
		}
	}
	assert.equal((await getSpan(WS, 'ok-span')).status, 404, 'nothing of a refused batch stored');
});

test('chat completions: the same rule for response.id, trace_id and session_id', async () => {
	for (const id of bad) {
		const a = chatFixture();
		a.response.id = id;
		assert422(await post('chat-completions', a), ['body', 'response', 'id'], id);
		for (const key of ['trace_id', 'session_id']) {
			const b = chatFixture();
			b[key] = id;
			assert422(await post('chat-completions', b), ['body', key], id);
		}
	}
});

test('ATIF: the same rule for the session id its spans take as trace and session', async () => {
	for (const id of bad) {
		const t = atifFixture();
		t.session_id = id;
		assert422(await post('atif', t), ['body', 'session_id'], id);
	}
});

test('OTLP: a session id attribute under the rule rejects its span, the others are stored (a "/" in it too)', async () => {
	const t0 = BigInt(Date.parse(dayTime())) * 1000000n;
	const span = (sid, session) => ({
		traceId: '0af7651916cd43dd8448eb211c80319c', spanId: sid, name: `otlp ${sid}`,
		startTimeUnixNano: String(t0), endTimeUnixNano: String(t0 + 1000n),
		attributes: session === undefined ? [] : [{ key: 'session.id', value: { stringValue: session } }],
	});
	const body = { resourceSpans: [{ scopeSpans: [{ spans: [
		span('b7ad6b7169203331', 'fine-session'), span('b7ad6b7169203332', long), span('b7ad6b7169203333', 'a/b'),
	] }] }] };
	const r = await post('otlp/v1/traces', body);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.partialSuccess.rejectedSpans, 1, r.text);
	assert.match(r.json.partialSuccess.errorMessage, /span b7ad6b7169203332: session id: String should have at most 1024 characters/);
	assert.equal((await getSpan(WS, 'b7ad6b7169203331')).status, 200);
	assert.equal((await getSpan(WS, 'b7ad6b7169203332')).status, 404);
	// Stored whole where it was refused with its span: fetched as a%2Fb.
	assert.equal((await getSpan(WS, 'b7ad6b7169203333')).json.session_id, 'a/b');
	const s = await request('GET', `${WS_PREFIX}/${WS}/sessions/a%2Fb`);
	assert.equal(s.status, 200, s.text);
	assert.equal(s.json.id ?? s.json.session_id, 'a/b', s.text);
});

test('every accepted id is fetchable: odd characters through a percent-encoded segment', async () => {
	const ids = ['with space', 'q?x=1#frag', '100%', 'ü-ñ-日本', 'a.b', '...', 'x'.repeat(1022), 'plus+sign',
		'/', 'a/b', 'projects/p/sessions/s', '//', 'a/.../b', '.x/..y'];
	const spans = ids.map((id, i) => makeSpan(id, { started_at: dayTime(i), trace_id: `t-${id}`, session_id: `s-${id}` }));
	const r = await post('spans', { source: 'ids', spans });
	assert.equal(r.status, 201, r.text);
	for (const id of ids) {
		const g = await request('GET', `${WS_PREFIX}/${WS}/spans/${encodeURIComponent(id)}`);
		assert.equal(g.status, 200, `${id.slice(0, 20)}: ${g.status} ${g.text.slice(0, 200)}`);
		assert.equal(g.json.span_id, id);
		const t = await request('GET', `${WS_PREFIX}/${WS}/traces/${encodeURIComponent(`t-${id}`)}`);
		assert.equal(t.status, 200, `trace of ${id.slice(0, 20)}: ${t.status}`);
		const s = await request('GET', `${WS_PREFIX}/${WS}/sessions/${encodeURIComponent(`s-${id}`)}`);
		assert.equal(s.status, 200, `session of ${id.slice(0, 20)}: ${s.status}`);
	}
});
