// spandex forward (issue 56, docs/forwarding.md): every span stored, from every API (the OTel
// SDK's OTLP, the opik SDK, Scale GP's batch, direct ingest), sent on to a real OTLP receiver,
// a second spandex (its /v1/traces, protobuf and JSON), in the order of its commit: the
// receiver stores the same spans; the endpoint's answers are honoured (a key it refuses holds
// the spans, a body it refuses is split down to the span that is dropped, no answer waits);
// the forwarder SIGKILLed at random points while a writer keeps ingesting loses nothing and
// sends again at most the batches it had in flight. SPANDEX_FORWARD_KILLS sets the number of
// random kills (default 12).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
	startServer, ingestSpans, makeSpan, spandexCli, spandexOk, dayTime, linesById, startWriter, refusingPort,
	waitExit, waitFor, rng, BUILDDIR, CLIENTS, WS_PREFIX, WAIT_MS,
} from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { Opik } = await import(require.resolve('opik'));

const BATCH = 512; // FWD_BATCH_SPANS (src/forward.h): what a kill may send twice
let src, dst;
before(async () => {
	const workers = { ingest: 2, spans: 1, traces: 1, sessions: 1, opik: 1, egp: 1 };
	src = await startServer({ workers });
	dst = await startServer({ workers });
});
after(async () => {
	await src?.stop();
	await dst?.stop();
});

const conf = (srv, text) => fs.writeFileSync(path.join(srv.dataDir, '.spandex-forward.conf'), text);
// The forwarder gives up on a request after its endpoint's timeout (30 s by default), a speed
// check on a loaded machine: the tests' real endpoints wait as long as every wait (WAIT_MS).
const TIMEOUT_S = WAIT_MS / 1000;
const forward = (srv, args = [], env = {}) => spandexCli(['forward', srv.dataDir, ...args], { env });
const exported = async (srv, ws) => linesById((await spandexOk(['export', srv.dataDir, '--workspace', ws])).stdout);
const parsed = (line) => {
	const s = JSON.parse(line);
	s.raw_attributes = s.raw_attributes ? JSON.parse(s.raw_attributes) : {};
	return s;
};
async function health(srv) {
	const r = await srv.request('GET', '/healthz');
	assert.equal(r.status, 200, r.text);
	return Object.fromEntries((r.json.forwarding || []).map((f) => [f.endpoint, f]));
}
async function versions(srv, ws) {
	const out = (await spandexOk(['stats', srv.dataDir, '--workspace', ws])).stdout;
	const row = out.split('\n').find((l) => l.startsWith(`${ws} `)).trim().split(/\s+/);
	return { spans: Number(row[2]), versions: Number(row[3]) };
}

// The same agent run each API would write: OTLP through the OTel SDK's protobuf exporter,
// a trace with spans through the opik SDK, a Scale GP trace, direct spans.
async function fill(ws) {
	const done = [];
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes({ 'service.name': 'shop', 'deployment.environment.name': 'test' }),
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	});
	const tracer = provider.getTracer('shop-agent', '2.1.0');
	const under = (s) => api.trace.setSpan(api.context.active(), s);
	const agent = tracer.startSpan('invoke_agent helper', {
		kind: api.SpanKind.CLIENT,
		attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'helper', 'gen_ai.conversation.id': 'conv-1', 'gen_ai.usage.input_tokens': 11 },
	});
	const chat = tracer.startSpan('chat gpt-4o', {
		kind: api.SpanKind.CLIENT,
		attributes: {
			'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o',
			'gen_ai.response.model': 'gpt-4o-2024-08-06', 'gen_ai.usage.input_tokens': 97, 'gen_ai.usage.output_tokens': 52,
			'gen_ai.request.temperature': 0.2, 'gen_ai.response.finish_reasons': ['stop'],
			'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]',
		},
	}, under(agent));
	chat.addEvent('gen_ai.content.note', { detail: 'cached' });
	const tool = tracer.startSpan('execute_tool get_weather', {
		attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather', 'gen_ai.tool.call.arguments': '{"city":"Paris"}' },
	}, under(chat));
	tool.recordException(Object.assign(new Error('upstream timeout'), { stack: 'Error: upstream timeout' }));
	tool.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream timeout' });
	const oi = tracer.startSpan('ChatCompletion', {
		attributes: {
			'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.prompt': 40,
			'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': 'Hi', 'session.id': 'oi-1',
		},
	}, under(agent));
	for (const s of [tool, chat, oi, agent]) s.end();
	const exporter = new OTLPTraceExporter({ url: `${src.base}/v1/traces`, headers: { 'X-Workspace': ws } });
	const res = await new Promise((resolve) => exporter.export(done, resolve));
	assert.equal(res.code, 0, String(res.error));
	await exporter.shutdown();

	const opik = new Opik({ apiUrl: src.base, projectName: 'shop', workspaceName: ws });
	const trace = opik.trace({ name: 'opik-run', input: { question: 'refund?' }, tags: ['beta'], metadata: { team: 'a' } });
	const llm = trace.span({
		name: 'opik-answer', type: 'llm', model: 'gpt-4o-mini', provider: 'openai',
		input: { messages: [{ role: 'user', content: 'refund?' }] }, usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
	});
	llm.update({ output: { content: 'yes' } });
	llm.end();
	trace.update({ output: { answer: 'yes' } });
	trace.end();
	await opik.flush();

	const t = randomUUID(), root = randomUUID();
	const iso = (ms) => new Date(ms).toISOString().replace('Z', '000+00:00');
	const t0 = Date.parse(dayTime(0, 1));
	let r = await src.request('PUT', '/v5/spans/batch', {
		headers: { 'x-selected-account-id': ws },
		body: { items: [{ name: 'sgp-run', id: root, trace_id: t, start_timestamp: iso(t0), end_timestamp: iso(t0 + 900), input: { q: 'x' }, output: { a: 'y' }, metadata: { k: 'v' }, status: 'SUCCESS', type: 'AGENT_WORKFLOW' }] },
	});
	assert.equal(r.status, 200, r.text);
	r = await ingestSpans(ws, [
		makeSpan('direct-1', { name: 'plan', kind: 'CHAIN', status: 'success', started_at: dayTime(10, 1), attributes: { 'app.step': 1 } }),
		makeSpan('direct-2', { name: 'search', kind: 'RETRIEVER', status: 'error', started_at: dayTime(20, 1), trace_id: 'trace-direct-1', parent_span_id: 'direct-1', input: 'q' }),
	], { base: src.base });
	assert.equal(r.status, 201, r.text);
}

// The receiver's spans (workspace ws of dst) are the source's: an OTLP span whole (its
// workspace and ingest time aside, and a session its trace gave it, which is the
// workspace's); another API's span by the id it keeps as spandex.span_id, its typed fields.
async function sameSpans(ws, back) {
	const mine = [...(await exported(src, ws)).values()].map(parsed);
	const theirs = [...(await exported(dst, back)).values()].map(parsed);
	assert.equal(theirs.length, mine.length, `${back}: every live span arrived once`);
	const byOrigId = new Map(theirs.map((s) => [s.raw_attributes['spandex.span_id'] || s.span_id, s]));
	for (const a of mine) {
		const b = byOrigId.get(a.span_id);
		assert.ok(b, `${a.span_id} (${a.source}) reached ${back}`);
		const defaultSession = /^session-[0-9a-f]{32}$/.test(a.session_id) || a.session_id === a.trace_id;
		for (const k of ['workspace', 'ingested_at', ...(defaultSession ? ['session_id'] : [])]) delete a[k], delete b[k];
		if (a.source === 'otel') {
			assert.deepEqual(b, a, a.span_id);
			continue;
		}
		for (const k of ['kind', 'name', 'started_at', 'ended_at', 'model', 'provider', 'input_tokens', 'output_tokens',
			'total_tokens', 'cost_total_usd', 'input', 'output', 'error_type', 'error_message', 'project', 'session_id'])
			assert.deepEqual(b[k], a[k], `${a.span_id} (${a.source}): ${k}`);
		assert.equal(b.status, a.status === 'unknown' ? 'success' : a.status, `${a.span_id}: status`);
		for (const [k, v] of Object.entries(a.raw_attributes)) assert.deepEqual(b.raw_attributes[k], v, `${a.span_id}: ${k}`);
	}
}

test('every API\'s spans reach a real OTLP receiver as the same spans, protobuf and JSON', async () => {
	const ws = 'fw-all';
	await fill(ws);
	conf(src, `# two endpoints, one workspace each way
[pb]
url = ${dst.base}/v1/traces
header = X-Workspace: fw-pb
timeout = ${TIMEOUT_S}
workspaces = ${ws}

[js]
url = ${dst.base}/v1/traces
protocol = http/json
compression = none
header = X-Workspace: fw-js
timeout = ${TIMEOUT_S}
`);
	const r = await forward(src);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stderr, '');
	const live = (await versions(src, ws)).spans;
	assert.ok(live >= 9, `${live} spans`);
	await sameSpans(ws, 'fw-pb');
	await sameSpans(ws, 'fw-js');
	let h = await health(src);
	for (const e of ['pb', 'js']) {
		assert.equal(h[e].pending, 0, e);
		assert.equal(h[e].lag_seconds, 0, e);
		assert.ok(h[e].delivered >= live, e);
		assert.equal(h[e].dropped + h[e].rejected, 0, e);
		assert.equal(h[e].last_error, undefined, e);
	}
	// Nothing new: nothing sent. A span sent again goes on as its new version.
	const before = await versions(dst, 'fw-pb');
	assert.equal((await forward(src)).code, 0);
	assert.deepEqual(await versions(dst, 'fw-pb'), before);
	const again = await ingestSpans(ws, [makeSpan('direct-1', { name: 'plan v2', kind: 'CHAIN', status: 'success', started_at: dayTime(10, 1) })], { base: src.base });
	assert.equal(again.status, 201);
	assert.equal((await forward(src)).code, 0);
	await sameSpans(ws, 'fw-pb');
	assert.equal((await versions(dst, 'fw-pb')).versions, before.versions + 1);
	h = await health(src);
	assert.equal(h.pb.pending, 0);
});

test('the endpoint\'s answers: a refused key holds the spans, a refused body is split down to the span dropped, no answer waits', async () => {
	const ws = 'fw-answers';
	const keyed = await startServer({ workers: 1, env: { SPANDEX_MAX_BODY: '4096' } });
	const down = await refusingPort(); // nothing listens there, nor can
	try {
		const k = await spandexCli(['key', 'create', keyed.dataDir, '--workspace', '*', '--role', 'write', '--name', 'fwd']);
		assert.equal(k.code, 0, k.stderr);
		const key = k.stdout.trim();
		const spans = Array.from({ length: 5 }, (_, i) => makeSpan(`ans-${i}`, { name: `n${i}`, status: 'success', started_at: dayTime(i, 1) }));
		spans[3].input = 'x'.repeat(8000); // over the receiver's 4 KiB body: refused (413) alone
		assert.equal((await ingestSpans(ws, spans, { base: src.base })).status, 201);
		const { port } = down;
		const text = (header) => `[keyed]\nurl = ${keyed.base}/v1/traces\ntimeout = ${TIMEOUT_S}\ncompression = none\nheader = X-Workspace: ${ws}\n${header}workspaces = ${ws}\n[down]\nurl = http://127.0.0.1:${port}/v1/traces\ntimeout = 5\nworkspaces = ${ws}\n`;
		conf(src, text(''));
		let r = await forward(src);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /keyed: fw-answers: HTTP 401/);
		assert.match(r.stderr, /down: fw-answers: no answer/);
		let h = await health(src);
		assert.equal(h.keyed.delivered, 0);
		assert.equal(h.keyed.dropped, 0, 'a key refused drops nothing');
		assert.equal(h.keyed.pending, 5);
		assert.match(h.keyed.last_error, /HTTP 401/);
		assert.equal(h.down.pending, 5);
		assert.match(h.down.last_error, /no answer/);
		assert.ok(h.down.lag_seconds > 0);
		// The key put into the file (read again at each pass): all but the span too large for
		// the receiver arrive; that one is dropped and counted.
		conf(src, text(`header = Authorization: Bearer ${key}\n`));
		r = await forward(src);
		assert.match(r.stderr, /span [0-9a-f]{16} dropped: HTTP 413/);
		h = await health(src);
		assert.equal(h.keyed.delivered, 4);
		assert.equal(h.keyed.dropped, 1);
		assert.equal(h.keyed.pending, 0);
		const got = [...(await exported(keyed, ws)).values()].map(parsed).map((s) => s.raw_attributes['spandex.span_id']).sort();
		assert.deepEqual(got, ['ans-0', 'ans-1', 'ans-2', 'ans-4']);
		// A file that does not parse: said so, exit 1, nothing sent.
		conf(src, '[bad name]\nurl = x\n');
		r = await forward(src);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /\.spandex-forward\.conf:1: 'bad name' is no endpoint name/);
	} finally {
		down.close();
		await keyed.stop();
	}
});

// Kills `spandex forward --every 1` at a random point, n times, while w writes.
async function killLoop(n, seed, w) {
	const next = rng(seed);
	let kills = 0;
	for (let i = 0; i < n; i++) {
		await w.until(w.acked.size + 20);
		const child = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['forward', src.dataDir, '--every', '1', '--wait'], { stdio: 'ignore' });
		await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(next() * 400)));
		child.kill('SIGKILL');
		assert.ok(await waitExit(child, WAIT_MS), 'the forwarder ends when killed');
		kills++;
	}
	return kills;
}

test('killed at random points while a writer ingests: every span arrives, none altered, duplicates within the bound', async () => {
	const ws = 'fw-kill';
	conf(src, `[kill]\nurl = ${dst.base}/v1/traces\ntimeout = ${TIMEOUT_S}\nheader = X-Workspace: fw-killed\nworkspaces = ${ws}\n`);
	const w = startWriter(ws, { base: src.base, days: [1, 2, 3] });
	const kills = await killLoop(Number(process.env.SPANDEX_FORWARD_KILLS || 12), 56, w);
	await w.stop();
	// Then until it has caught up (a pass that found nothing pending).
	for (let i = 0; ; i++) {
		const r = await forward(src);
		assert.equal(r.code, 0, r.stderr);
		if ((await health(src)).kill.pending === 0) break;
		assert.ok(i < 50, 'the forwarder catches up');
	}
	await sameSpans(ws, 'fw-killed');
	// The newest version of each span is the receiver's newest too: the versions went in the
	// order of their commits.
	const back = [...(await exported(dst, 'fw-killed')).values()].map(parsed);
	for (const s of back) assert.equal(s.name, w.latest.get(s.raw_attributes['spandex.span_id']), s.raw_attributes['spandex.span_id']);
	const mine = await versions(src, ws), theirs = await versions(dst, 'fw-killed');
	assert.equal(theirs.spans, mine.spans);
	assert.ok(theirs.versions - theirs.spans <= mine.versions - mine.spans + kills * BATCH,
		`${theirs.versions} versions received for ${mine.versions} stored, ${kills} kills`);

	// Killed where it matters most, after the endpoint took a batch and before the cursor
	// says so: that batch goes again, whole, and nothing else.
	const fresh = Array.from({ length: 7 }, (_, i) => makeSpan(`${ws}-late-${i}`, { name: 'late', started_at: dayTime(i, 1) }));
	assert.equal((await ingestSpans(ws, fresh, { base: src.base })).status, 201);
	const killed = await forward(src, [], { SPANDEX_TEST_KILL_IN_FORWARD: '1' });
	assert.equal(killed.signal, 'SIGKILL');
	assert.equal((await versions(dst, 'fw-killed')).versions, theirs.versions + 7);
	assert.equal((await forward(src)).code, 0);
	assert.deepEqual(await versions(dst, 'fw-killed'), { spans: theirs.spans + 7, versions: theirs.versions + 14 });
	assert.equal((await health(src)).kill.pending, 0);
});

test('spandex forward refuses what it cannot do, and a second one while one runs', async () => {
	let r = await forward(src, ['--every', '0']);
	assert.equal(r.code, 2);
	assert.match(r.stderr, /--every is a number of seconds/);
	// --wait: a pass of the loop below may hold the lock when it starts.
	const lock = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['forward', src.dataDir, '--every', '3600', '--wait'], { stdio: 'ignore' });
	try {
		// It holds the lock once it has started: wait for the second to be refused.
		await waitFor('a second forwarder is refused', async () => {
			r = await forward(src);
			return r.code === 1 && /another spandex forward runs/.test(r.stderr);
		}, { detail: () => r.stderr });
	} finally {
		lock.kill('SIGTERM');
		assert.ok(await waitExit(lock, WAIT_MS), 'SIGTERM ends the loop');
	}
	assert.equal(lock.exitCode, 0);
});
