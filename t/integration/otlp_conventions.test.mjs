// Conventions users' libraries send today (issue 53), sent by the real OpenTelemetry JS exporter
// (t/clients) as those libraries set them, and read back through NeMo Intake and Opik:
// LangSmith in OTel mode (its run type as the kind, its thread metadata as the session, a run
// failed after its span was marked OK), Mastra's model steps and inferences (their input and
// output in mastra.* attributes), and the GenAI conventions of 2026 (cache_write tokens and the
// old cache_creation name, per-modality tokens, time to first chunk, stream, prompt name and
// version, handle_conversation_turn and realtime_inference, a compacted conversation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

// A tracer whose ended spans go to done.
function tracerInto(done) {
	const provider = new BasicTracerProvider({
		spanProcessors: [{ onStart() {}, onEnd(s) { done.push(s); }, forceFlush: async () => {}, shutdown: async () => {} }],
	});
	return provider.getTracer('conventions', '1.0.0');
}
const under = (s) => api.trace.setSpan(api.context.active(), s);
const idOf = (s) => s.spanContext().spanId;

async function send(ws, spans) {
	const exporter = new OTLPTraceExporter({ url: `${srv.base}/v1/traces`, headers: { 'x-workspace': ws } });
	const r = await new Promise((resolve) => exporter.export(spans, resolve)).finally(() => exporter.shutdown());
	assert.equal(r.code, 0, `export failed: ${r.error}`);
}

// A span as NeMo Intake and Opik show it.
async function views(ws, id) {
	const nemo = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`);
	assert.equal(nemo.status, 200, `span ${id}: ${nemo.text}`);
	const opik = await srv.request('GET', `/v1/private/spans/${id}`, { headers: { 'Comet-Workspace': ws } });
	assert.equal(opik.status, 200, `Opik span ${id}: ${opik.text}`);
	return { nemo: nemo.json, opik: opik.json, raw: JSON.parse(nemo.json.raw_attributes ?? '{}') };
}

test('LangSmith in OTel mode: run type, thread, project, a failed run', async () => {
	const ws = 'conv-langsmith';
	const done = [];
	const tracer = tracerInto(done);
	// What langsmith-sdk's OTel translator sets on a run's span (js/src/experimental/otel).
	const run = (name, type, attrs, parent) => tracer.startSpan(name, {
		attributes: {
			'langsmith.span.kind': type,
			'gen_ai.operation.name': { llm: 'chat', tool: 'execute_tool', retriever: 'embeddings' }[type] ?? type,
			'langsmith.trace.name': name,
			'langsmith.trace.session_name': 'ls-project',
			'langsmith.metadata.thread_id': 'ls-thread-1',
			...attrs,
		},
	}, parent ? under(parent) : undefined);
	const chain = run('RunnableSequence', 'chain', { 'gen_ai.prompt': '{"question":"Weather?"}' });
	const retr = run('VectorStoreRetriever', 'retriever', {}, chain);
	const llm = run('ChatOpenAI', 'llm', {
		'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
		'gen_ai.usage.input_tokens': 21, 'gen_ai.usage.output_tokens': 7, 'langsmith.request.streaming': true,
	}, chain);
	const tool = run('get_weather', 'tool', { 'gen_ai.tool.name': 'get_weather' }, chain);
	// The run is posted OK, then patched failed: OTel keeps the OK, the exception is recorded.
	tool.setStatus({ code: api.SpanStatusCode.OK });
	tool.recordException(new Error('weather service down'));
	tool.setStatus({ code: api.SpanStatusCode.ERROR });
	// A span of no LangSmith run with the same event stays a success (the NeMo service's rule).
	const other = tracer.startSpan('handled', { attributes: { 'gen_ai.operation.name': 'execute_tool' } });
	other.setStatus({ code: api.SpanStatusCode.OK });
	other.recordException(new Error('retried and recovered'));
	// The other metadata keys LangSmith groups threads by.
	const bySession = run('s', 'llm', { 'langsmith.metadata.thread_id': undefined, 'langsmith.metadata.session_id': 'ls-session-2' });
	const byConv = run('c', 'llm', { 'langsmith.metadata.thread_id': undefined, 'langsmith.metadata.conversation_id': 'ls-conv-3' });
	for (const s of [retr, llm, tool, chain, other, bySession, byConv])
		s.end();
	await send(ws, done);

	const c = await views(ws, idOf(chain));
	assert.equal(c.nemo.kind, 'CHAIN');
	assert.equal(c.nemo.session_id, 'ls-thread-1');
	assert.equal(c.nemo.project, 'ls-project');
	assert.equal(c.nemo.input, '{"question":"Weather?"}');
	assert.equal(c.raw['langsmith.metadata.thread_id'], undefined, 'the session key is consumed');
	assert.equal(c.opik.type, 'general');
	assert.equal(c.opik.project_name, 'ls-project');
	// Its exporter names a retriever's operation "embeddings": the run type wins.
	assert.equal((await views(ws, idOf(retr))).nemo.kind, 'RETRIEVER');
	const l = await views(ws, idOf(llm));
	assert.equal(l.nemo.kind, 'LLM');
	assert.equal(l.nemo.session_id, 'ls-thread-1');
	assert.equal(l.nemo.input_tokens, 21);
	assert.equal(l.raw['langsmith.request.streaming'], true);
	assert.equal(l.opik.type, 'llm');
	assert.deepEqual(l.opik.usage, { prompt_tokens: 21, completion_tokens: 7 });
	const t = await views(ws, idOf(tool));
	assert.equal(t.nemo.kind, 'TOOL');
	assert.equal(t.nemo.status, 'error');
	assert.equal(t.nemo.error_message, 'weather service down');
	assert.equal(t.opik.type, 'tool');
	assert.equal(t.opik.error_info.message, 'weather service down');
	const o = await views(ws, idOf(other));
	assert.equal(o.nemo.status, 'success');
	assert.equal(o.nemo.error_message, 'retried and recovered');
	assert.equal((await views(ws, idOf(bySession))).nemo.session_id, 'ls-session-2');
	assert.equal((await views(ws, idOf(byConv))).nemo.session_id, 'ls-conv-3');
	// The thread's spans are one session, failed by its failed run; the trace counts it.
	const sess = await srv.request('GET', `${WS_PREFIX}/${ws}/sessions/ls-thread-1`);
	assert.equal(sess.status, 200, sess.text);
	assert.equal(sess.json.span_count, 4);
	assert.equal(sess.json.status, 'error');
	const tr = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/${chain.spanContext().traceId}`);
	assert.equal(tr.status, 200, tr.text);
	assert.equal(tr.json.error_count, 1);
});

test('Mastra: a model step and its inference, their input and output', async () => {
	const ws = 'conv-mastra';
	const done = [];
	const tracer = tracerInto(done);
	const messages = JSON.stringify([{ role: 'user', content: 'Weather in Oslo?' }]);
	const answer = JSON.stringify({ text: 'Cold.', finishReason: 'stop' });
	const started = new Date(Date.now() - 1000);
	// What @mastra/otel-exporter sets (gen-ai-semantics.ts getAttributes).
	const gen = tracer.startSpan('chat gpt-4o-mini', {
		kind: api.SpanKind.CLIENT, startTime: started,
		attributes: {
			'gen_ai.operation.name': 'chat', 'mastra.span.type': 'model_generation',
			'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.provider.name': 'openai',
			'gen_ai.usage.input_tokens': 30, 'gen_ai.usage.output_tokens': 4,
			'gen_ai.usage.audio_input_tokens': 6, 'gen_ai.usage.audio_output_tokens': 2,
			'mastra.completion_start_time': new Date(started.getTime() + 120).toISOString(),
		},
	});
	const step = tracer.startSpan("step: 0", {
		attributes: { 'gen_ai.operation.name': 'model_step', 'mastra.span.type': 'model_step',
			'mastra.model_step.input': messages, 'mastra.model_step.output': answer },
	}, under(gen));
	const inf = tracer.startSpan('inference', {
		attributes: { 'gen_ai.operation.name': 'model_inference', 'mastra.span.type': 'model_inference',
			'mastra.model_inference.input': messages, 'mastra.model_inference.output': answer },
	}, under(step));
	inf.end();
	step.end();
	gen.end(new Date(started.getTime() + 500));
	await send(ws, done);

	for (const s of [step, inf]) {
		const v = await views(ws, idOf(s));
		assert.equal(v.nemo.input, messages);
		assert.equal(v.nemo.output, answer);
		assert.deepEqual(v.opik.input, JSON.parse(messages));
		assert.deepEqual(v.opik.output, JSON.parse(answer));
	}
	const g = await views(ws, idOf(gen));
	assert.equal(g.nemo.kind, 'LLM');
	assert.deepEqual(g.nemo.usage_details, { 'prompt_details.audio': 6, 'completion_details.audio': 2 });
	// Opik's ttft: the completion's start less the span's, in ms.
	assert.equal(g.opik.ttft, 120);
});

test('GenAI conventions of 2026: tokens by kind, first chunk, stream, prompt, turns', async () => {
	const ws = 'conv-genai';
	const done = [];
	const tracer = tracerInto(done);
	const turn = tracer.startSpan('handle_conversation_turn', {
		attributes: { 'gen_ai.operation.name': 'handle_conversation_turn', 'gen_ai.conversation.id': 'conv-2026',
			'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 45 },
	});
	const chat = tracer.startSpan('chat gpt-5', {
		kind: api.SpanKind.CLIENT,
		attributes: {
			'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-5',
			'gen_ai.conversation.id': 'conv-2026', 'gen_ai.conversation.compacted': true,
			'gen_ai.request.stream': true, 'gen_ai.response.time_to_first_chunk': 0.25,
			'gen_ai.prompt.name': 'greeter', 'gen_ai.prompt.version': 3,
			'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 40,
			'gen_ai.usage.cache_read.input_tokens': 10, 'gen_ai.usage.cache_write.input_tokens': 30,
			'gen_ai.usage.text.input_tokens': 80, 'gen_ai.usage.image.input_tokens': 20,
			'gen_ai.usage.text.cache_read.input_tokens': 10, 'gen_ai.usage.text.output_tokens': 40,
		},
	}, under(turn));
	const rt = tracer.startSpan('realtime_inference gpt-realtime', {
		kind: api.SpanKind.CLIENT,
		attributes: { 'gen_ai.operation.name': 'realtime_inference', 'gen_ai.request.model': 'gpt-realtime',
			'gen_ai.conversation.id': 'conv-2026', 'gen_ai.usage.input_tokens': 0, 'gen_ai.usage.output_tokens': 5,
			'gen_ai.usage.audio.output_tokens': 5, 'gen_ai.usage.audio.input_tokens': 0 },
	}, under(turn));
	// An emitter of the old name.
	const old = tracer.startSpan('chat gpt-4o', {
		attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.cache_creation.input_tokens': 12 },
	});
	for (const s of [chat, rt, turn, old])
		s.end();
	await send(ws, done);

	const c = await views(ws, idOf(chat));
	assert.equal(c.nemo.kind, 'LLM');
	assert.equal(c.nemo.session_id, 'conv-2026');
	assert.equal(c.nemo.prompt_name, 'greeter');
	assert.equal(c.nemo.prompt_version, '3');
	assert.equal(c.nemo.cached_tokens, 10);
	assert.deepEqual(c.nemo.usage_details, {
		'prompt_details.cache_write': 30, 'prompt_details.text': 80, 'prompt_details.image': 20,
		'prompt_details.cache_read_text': 10, 'completion_details.text': 40,
	});
	assert.equal(c.raw['gen_ai.request.stream'], true);
	assert.equal(c.raw['gen_ai.conversation.compacted'], true);
	assert.equal(c.raw['gen_ai.response.time_to_first_chunk'], 0.25);
	assert.equal(c.opik.type, 'llm');
	assert.equal(c.opik.ttft, 250);
	const r = await views(ws, idOf(rt));
	assert.equal(r.nemo.kind, 'LLM');
	assert.deepEqual(r.nemo.usage_details, { 'prompt_details.audio': 0, 'completion_details.audio': 5 });
	// A turn repeats its calls' usage: its own is set aside, so the session counts each once.
	const t = await views(ws, idOf(turn));
	assert.equal(t.nemo.kind, 'CHAIN');
	assert.equal(t.nemo.input_tokens, undefined);
	const sess = await srv.request('GET', `${WS_PREFIX}/${ws}/sessions/conv-2026`);
	assert.equal(sess.status, 200, sess.text);
	assert.equal(sess.json.input_tokens, 100);
	assert.equal(sess.json.output_tokens, 45);
	assert.deepEqual((await views(ws, idOf(old))).nemo.usage_details, { 'prompt_details.cache_write': 12 });
	// Opik finds the streamed call by its ttft.
	const filters = encodeURIComponent(JSON.stringify([{ field: 'ttft', operator: '>=', value: '250' }]));
	const list = await srv.request('GET', `/v1/private/spans?project_name=Default%20Project&size=100&filters=${filters}`,
		{ headers: { 'Comet-Workspace': ws } });
	assert.equal(list.status, 200, list.text);
	assert.deepEqual(list.json.content.map((x) => x.id), [idOf(chat)]);
});
