// Real OpenTelemetry JS exporters (t/clients, from npm) send nested GenAI, OpenInference,
// OpenLLMetry and Langfuse spans through nginx to both OTLP paths as JSON, gzip JSON and protobuf; every mapped field
// is read back with GET spans/{id}. Then hostile bodies, each refused with a 4xx, and the
// store still verifies (reference nemo-intake.md 4.1, 5, 6; otel-egp.md 1-3).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServer, getSpan, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';
import { varint, field } from '../otlp_wire.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

const WS = 'otlp-ws';

// A tracer whose ended spans go to done, under a resource with the attributes res.
function tracerInto(done, res, scope, version) {
	const provider = new BasicTracerProvider({
		resource: resourceFromAttributes(res),
		spanProcessors: [{
			onStart() {},
			onEnd(s) { done.push(s); },
			forceFlush: async () => {},
			shutdown: async () => {},
		}],
	});
	return provider.getTracer(scope, version);
}

// Makes the spans of one agent run and returns them ended, with their ids. Children end
// first, as in a real export.
function makeSpans(tag) {
	const done = [];
	const tracer = tracerInto(done, { 'service.name': `demo-${tag}`, 'deployment.environment.name': 'dev' },
		'demo-instrumentation', '0.1.0');
	const under = (s) => api.trace.setSpan(api.context.active(), s);

	const agent = tracer.startSpan('invoke_agent weather_bot', {
		attributes: {
			'gen_ai.operation.name': 'invoke_agent',
			'gen_ai.provider.name': 'openai',
			'gen_ai.agent.id': 'agent_123',
			'gen_ai.agent.name': 'weather_bot',
			'gen_ai.conversation.id': `conv-${tag}`,
		},
	});
	const chat = tracer.startSpan('chat gpt-4o', {
		kind: api.SpanKind.CLIENT,
		attributes: {
			'gen_ai.operation.name': 'chat',
			'gen_ai.system': 'openai',
			'gen_ai.request.model': 'gpt-4o',
			'gen_ai.request.temperature': 0.2,
			'gen_ai.request.max_tokens': 512,
			'gen_ai.usage.input_tokens': 97,
			'gen_ai.usage.output_tokens': 52,
			'gen_ai.response.finish_reasons': ['tool_calls'],
		},
	}, under(agent));
	chat.addEvent('gen_ai.user.message', { content: 'Weather in Paris?' });
	chat.setStatus({ code: api.SpanStatusCode.OK });
	const tool = tracer.startSpan('execute_tool get_weather', {
		attributes: {
			'gen_ai.operation.name': 'execute_tool',
			'gen_ai.tool.name': 'get_weather',
			'gen_ai.tool.call.arguments': '{"city":"Paris"}',
		},
	}, under(chat));
	const err = new Error('upstream timeout');
	err.stack = 'Error: upstream timeout\n    at getWeather (tools.js:1:1)';
	tool.recordException(err);
	tool.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream timeout' });
	// OpenInference: kind, flattened messages, token counts, costs.
	const oi = tracer.startSpan('ChatCompletion', {
		attributes: {
			'openinference.span.kind': 'LLM',
			'llm.model_name': 'gpt-4o-mini',
			'llm.provider': 'openai',
			'llm.token_count.prompt': 40,
			'llm.token_count.completion': 10,
			'llm.token_count.total': 50,
			'llm.input_messages.0.message.role': 'system',
			'llm.input_messages.0.message.content': 'Be brief.',
			'llm.input_messages.1.message.role': 'user',
			'llm.input_messages.1.message.content': 'Hi',
			'llm.output_messages.0.message.role': 'assistant',
			'llm.output_messages.0.message.content': 'Hello!',
			'session.id': `oi-session-${tag}`,
			'custom.flag': true,
		},
	}, under(agent));
	tool.end();
	chat.end();
	oi.end();
	agent.end();
	const id = (s) => s.spanContext().spanId;
	return {
		spans: done,
		trace: agent.spanContext().traceId,
		ids: { agent: id(agent), chat: id(chat), tool: id(tool), oi: id(oi) },
	};
}

function exportWith(exporter, spans) {
	return new Promise((resolve) => exporter.export(spans, (r) => resolve(r)))
		.finally(() => exporter.shutdown());
}

async function span(id) {
	const r = await getSpan(WS, id, { base: srv.base });
	assert.equal(r.status, 200, `GET spans/${id}: ${r.status} ${r.text}`);
	return r.json;
}

async function checkRun(run, tag) {
	const { ids, trace } = run;
	const agent = await span(ids.agent);
	assert.equal(agent.kind, 'AGENT');
	assert.equal(agent.status, 'success');
	assert.equal(agent.trace_id, trace);
	assert.equal(agent.parent_span_id ?? null, null);
	assert.equal(agent.session_id, `conv-${tag}`);
	assert.equal(agent.agent_id, 'agent_123');
	assert.equal(agent.agent_name, 'weather_bot');
	assert.equal(agent.provider, 'openai');
	assert.equal(agent.source, 'otel');
	assert.equal(agent.workspace, WS);
	const raw = JSON.parse(agent.raw_attributes);
	assert.equal(raw['service.name'], `demo-${tag}`);
	assert.deepEqual(raw['otel.scope'], { name: 'demo-instrumentation', version: '0.1.0' });
	assert.equal(raw['gen_ai.conversation.id'], undefined);

	const chat = await span(ids.chat);
	assert.equal(chat.kind, 'LLM');
	assert.equal(chat.status, 'success');
	assert.equal(chat.parent_span_id, ids.agent);
	assert.equal(chat.model, 'gpt-4o');
	assert.equal(chat.input_tokens, 97);
	assert.equal(chat.output_tokens, 52);
	// The session comes from neither attribute here: the NeMo stable id of the trace.
	assert.match(chat.session_id, /^session-[0-9a-f]{32}$/);
	const craw = JSON.parse(chat.raw_attributes);
	assert.equal(craw['gen_ai.request.temperature'], 0.2);
	assert.equal(craw['gen_ai.request.max_tokens'], 512);
	assert.deepEqual(craw['gen_ai.response.finish_reasons'], ['tool_calls']);
	const events = JSON.parse(craw['otel.events']);
	assert.equal(events[0].name, 'gen_ai.user.message');
	assert.equal(events[0].attributes.content, 'Weather in Paris?');
	// The deprecated GenAI message event is the input when no attribute holds one.
	assert.deepEqual(JSON.parse(chat.input), { messages: [{ role: 'user', content: 'Weather in Paris?' }] });

	const tool = await span(ids.tool);
	assert.equal(tool.kind, 'TOOL');
	assert.equal(tool.status, 'error');
	assert.equal(tool.parent_span_id, ids.chat);
	assert.equal(tool.tool_name, 'get_weather');
	assert.equal(tool.error_type, 'Error');
	assert.equal(tool.error_message, 'upstream timeout');
	assert.equal(tool.input, '{"city":"Paris"}');
	assert.equal(tool.session_id, chat.session_id);

	const oi = await span(ids.oi);
	assert.equal(oi.kind, 'LLM');
	assert.equal(oi.session_id, `oi-session-${tag}`);
	assert.equal(oi.model, 'gpt-4o-mini');
	assert.equal(oi.provider, 'openai');
	assert.equal(oi.input_tokens, 40);
	assert.equal(oi.output_tokens, 10);
	assert.equal(oi.total_tokens, 50);
	assert.deepEqual(JSON.parse(oi.input), {
		messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
	});
	assert.deepEqual(JSON.parse(oi.output), { messages: [{ role: 'assistant', content: 'Hello!' }] });
	const oraw = JSON.parse(oi.raw_attributes);
	assert.equal(oraw['custom.flag'], true);
	assert.equal(oraw['llm.input_messages.0.message.role'], undefined);
	assert.equal(oraw['session.id'], undefined);
	assert.ok(Date.parse(oi.started_at) > 0);
	assert.ok(Date.parse(oi.ended_at) >= Date.parse(oi.started_at));

	// The trace, by GET traces/{id} and in GET traces: the agent span is its root, and the
	// rollups add up its spans as read back above.
	const members = [agent, chat, tool, oi].filter((s) => s.trace_id === trace);
	const sum = (k) => members.reduce((a, s) => a + (s[k] ?? 0), 0);
	const tr = await srv.request('GET', `${WS_PREFIX}/${WS}/traces/${trace}`);
	assert.equal(tr.status, 200, tr.text);
	assert.equal(tr.json.id, trace);
	assert.equal(tr.json.root_span_id, ids.agent);
	assert.equal(tr.json.name, agent.name);
	assert.equal(tr.json.session_id, agent.session_id);
	assert.equal(tr.json.status, 'success');
	assert.equal(tr.json.span_count, members.length);
	assert.equal(tr.json.error_count, members.filter((s) => s.status === 'error').length);
	assert.equal(tr.json.input_tokens, sum('input_tokens'));
	assert.equal(tr.json.output_tokens, sum('output_tokens'));
	const list = await srv.request('GET', `${WS_PREFIX}/${WS}/traces?filter[id]=${trace}`);
	assert.equal(list.status, 200, list.text);
	assert.deepEqual(list.json.data, [tr.json]);
}

const intakeUrl = () => `${srv.base}${WS_PREFIX}/${WS}/ingest/otlp/v1/traces`;
const stdUrl = () => `${srv.base}/v1/traces`;
const wsHeader = { 'X-Workspace': WS };

const transports = [
	['JSON, /v1/traces', () => new JsonExporter({ url: stdUrl(), headers: wsHeader })],
	['JSON, intake path', () => new JsonExporter({ url: intakeUrl() })],
	['gzip JSON, /v1/traces', () => new JsonExporter({ url: stdUrl(), headers: wsHeader, compression: 'gzip' })],
	['gzip JSON, intake path', () => new JsonExporter({ url: intakeUrl(), compression: 'gzip' })],
	['protobuf, /v1/traces', () => new ProtoExporter({ url: stdUrl(), headers: wsHeader })],
	['protobuf, intake path', () => new ProtoExporter({ url: intakeUrl() })],
	['gzip protobuf, intake path', () => new ProtoExporter({ url: intakeUrl(), compression: 'gzip' })],
];

for (const [name, make] of transports) {
	test(`OTel exporter: ${name}`, async () => {
		const tag = name.replace(/[^a-z]+/g, '-');
		const run = makeSpans(tag);
		const r = await exportWith(make(), run.spans);
		assert.equal(r.code, 0, `export failed: ${r.error}`);
		await checkRun(run, tag);
	});
}

// The other conventions' keys (docs/attributes.md; otel-egp.md 3.1-3.4): a Langfuse
// generation, an OpenLLMetry tool and agent, an OpenInference span with only cost details,
// GenAI spans that fail by error.type alone, are cancelled, and carry system instructions
// and the prompt's name and version; a GenAI retrieval and memory search.
function makeConventionSpans(tag) {
	const done = [];
	const tracer = tracerInto(done, { 'service.name': `conv-${tag}` }, 'conventions', '1.0.0');
	const under = (s) => api.trace.setSpan(api.context.active(), s);
	const spans = {};

	spans.workflow = tracer.startSpan('trip.workflow', {
		attributes: {
			'traceloop.span.kind': 'workflow',
			'traceloop.entity.name': 'trip',
			'traceloop.workflow.name': 'trip',
			'langfuse.session.id': `lf-session-${tag}`,
		},
	});
	spans.langfuse = tracer.startSpan('generation', {
		attributes: {
			'langfuse.observation.type': 'generation',
			'langfuse.session.id': `lf-session-${tag}`,
			'langfuse.user.id': 'user-42',
			'langfuse.observation.model.name': 'claude-3-5-sonnet',
			'langfuse.observation.prompt.name': 'support-prompt',
			'langfuse.observation.prompt.version': 3,
			'langfuse.observation.input': '{"question":"Where is Lisbon?"}',
			'langfuse.observation.output': 'Portugal',
		},
	}, under(spans.workflow));
	spans.agent = tracer.startSpan('planner.agent', {
		attributes: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'planner' },
	}, under(spans.workflow));
	spans.tool = tracer.startSpan('get_weather.tool', {
		attributes: {
			'traceloop.span.kind': 'tool',
			'traceloop.entity.name': 'get_weather',
			'traceloop.entity.input': '{"args":["Lisbon"],"kwargs":{}}',
			'traceloop.entity.output': '"sunny"',
			'gen_ai.tool.call.id': 'call_7',
		},
	}, under(spans.agent));
	// OTel "recording errors": status ERROR and error.type, no exception event.
	spans.failed = tracer.startSpan('chat gpt-4o', {
		attributes: {
			'gen_ai.operation.name': 'chat',
			'gen_ai.request.model': 'gpt-4o',
			'gen_ai.response.model': 'gpt-4o-2024-08-06',
			'error.type': 'timeout',
			'user.id': 'user-42',
		},
	}, under(spans.agent));
	spans.failed.setStatus({ code: api.SpanStatusCode.ERROR });
	// A cancelled call: NeMo's status attribute names it (nemo-intake.md 6); a status ERROR
	// with cancellation wording stays error, as the NeMo service answers.
	spans.cancelled = tracer.startSpan('chat cancelled', {
		attributes: { 'gen_ai.operation.name': 'chat', 'error.type': 'asyncio.CancelledError', status: 'cancelled' },
	}, under(spans.agent));
	spans.cancelled.setStatus({ code: api.SpanStatusCode.ERROR, message: 'CancelledError: ' });
	spans.instructions = tracer.startSpan('chat with instructions', {
		attributes: {
			'gen_ai.operation.name': 'chat',
			'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
			'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]),
			// The GenAI prompt attributes (instrumentation.md 6): name, version, a variable.
			'gen_ai.prompt.name': 'greeting',
			'gen_ai.prompt.version': '4',
			'gen_ai.prompt.variable.city': 'Lisbon',
		},
	}, under(spans.agent));
	// A GenAI retrieval and a memory search (instrumentation.md 6): the query in, what they found out.
	spans.retrieval = tracer.startSpan('retrieval kb', {
		attributes: {
			'gen_ai.operation.name': 'retrieval',
			'gen_ai.retrieval.query.text': 'sunny cities',
			'gen_ai.retrieval.documents': JSON.stringify([{ id: 'doc-1', score: 0.9 }]),
		},
	}, under(spans.agent));
	spans.memory = tracer.startSpan('search_memory prefs', {
		attributes: {
			'gen_ai.operation.name': 'search_memory',
			'gen_ai.memory.query.text': 'travel preferences',
			'gen_ai.memory.records': JSON.stringify([{ id: 'mem-1', content: 'likes the sea' }]),
		},
	}, under(spans.agent));
	spans.costs = tracer.startSpan('ChatCompletion', {
		attributes: {
			'openinference.span.kind': 'LLM',
			'llm.cost.prompt_details.input': 0.0003,
			'llm.cost.prompt_details.cache_read': 0.0001,
			'llm.cost.completion_details.output': 0.0009,
		},
	}, under(spans.agent));
	spans.level = tracer.startSpan('langfuse error', {
		attributes: {
			'langfuse.observation.level': 'ERROR',
			'langfuse.observation.status_message': 'rate limited',
		},
	}, under(spans.workflow));
	for (const k of ['tool', 'failed', 'cancelled', 'instructions', 'retrieval', 'memory', 'costs', 'agent', 'langfuse', 'level', 'workflow'])
		spans[k].end();
	const ids = Object.fromEntries(Object.entries(spans).map(([k, s]) => [k, s.spanContext().spanId]));
	return { spans: done, ids };
}

async function checkConventions({ ids }, tag) {
	const lf = await span(ids.langfuse);
	assert.equal(lf.kind, 'LLM');
	assert.equal(lf.session_id, `lf-session-${tag}`);
	assert.equal(lf.model, 'claude-3-5-sonnet');
	assert.equal(lf.prompt_name, 'support-prompt');
	assert.equal(lf.prompt_version, '3');
	assert.equal(lf.input, '{"question":"Where is Lisbon?"}');
	assert.equal(lf.output, 'Portugal');
	const lraw = JSON.parse(lf.raw_attributes);
	assert.equal(lraw['langfuse.session.id'], undefined);
	assert.equal(lraw['langfuse.observation.model.name'], undefined);
	assert.equal(lraw['langfuse.user.id'], 'user-42');

	const wf = await span(ids.workflow);
	assert.equal(wf.kind, 'CHAIN');
	assert.equal(wf.agent_name ?? null, null);
	assert.equal(wf.tool_name ?? null, null);
	assert.equal(JSON.parse(wf.raw_attributes)['traceloop.entity.name'], 'trip');

	const agent = await span(ids.agent);
	assert.equal(agent.kind, 'AGENT');
	assert.equal(agent.agent_name, 'planner');
	// No session attribute here: the NeMo stable id of the trace, not Langfuse's.
	assert.match(agent.session_id, /^session-[0-9a-f]{32}$/);

	const tool = await span(ids.tool);
	assert.equal(tool.kind, 'TOOL');
	assert.equal(tool.tool_name, 'get_weather');
	assert.equal(tool.input, '{"args":["Lisbon"],"kwargs":{}}');
	assert.equal(tool.output, '"sunny"');
	// The Span schema has no tool call id: it stays queryable in raw_attributes.
	assert.equal(JSON.parse(tool.raw_attributes)['gen_ai.tool.call.id'], 'call_7');

	const failed = await span(ids.failed);
	assert.equal(failed.status, 'error');
	assert.equal(failed.error_type, 'timeout');
	assert.equal(failed.model, 'gpt-4o');
	const fraw = JSON.parse(failed.raw_attributes);
	assert.equal(fraw['gen_ai.response.model'], 'gpt-4o-2024-08-06');
	assert.equal(fraw['user.id'], 'user-42');
	assert.equal(fraw['error.type'], undefined);

	const cancelled = await span(ids.cancelled);
	assert.equal(cancelled.status, 'cancelled');
	assert.equal(cancelled.error_type, 'asyncio.CancelledError');
	assert.equal(cancelled.error_message, 'CancelledError: ');

	const instr = await span(ids.instructions);
	assert.deepEqual(JSON.parse(instr.input), [
		{ role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
		{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
	]);
	assert.equal(instr.prompt_name, 'greeting');
	assert.equal(instr.prompt_version, '4');
	const iraw = JSON.parse(instr.raw_attributes);
	assert.equal(iraw['gen_ai.prompt.version'], undefined);
	assert.equal(iraw['gen_ai.prompt.variable.city'], 'Lisbon');

	for (const [k, input, output] of [['retrieval', 'sunny cities', [{ id: 'doc-1', score: 0.9 }]],
		['memory', 'travel preferences', [{ id: 'mem-1', content: 'likes the sea' }]]]) {
		const r = await span(ids[k]);
		assert.equal(r.kind, 'RETRIEVER', k);
		assert.equal(r.input, input, k);
		assert.deepEqual(JSON.parse(r.output), output, k);
	}

	const costs = await span(ids.costs);
	assert.equal(costs.cost_input_usd, 0.0004);
	assert.equal(costs.cost_output_usd, 0.0009);
	assert.equal(costs.cost_total_usd, 0.0013, 'no llm.cost.total: input + output (otel-egp.md 3.4)');
	assert.deepEqual(costs.cost_details, {
		'prompt_details.input': 0.0003, 'prompt_details.cache_read': 0.0001, 'completion_details.output': 0.0009,
	});

	const level = await span(ids.level);
	assert.equal(level.status, 'error');
	assert.equal(level.error_message, 'rate limited');
}

for (const [name, make] of [transports[0], transports[5]]) {
	test(`other conventions mapped: ${name}`, async () => {
		const tag = `conv-${name.replace(/[^a-z]+/g, '-')}`;
		const run = makeConventionSpans(tag);
		const r = await exportWith(make(), run.spans);
		assert.equal(r.code, 0, `export failed: ${r.error}`);
		await checkConventions(run, tag);
	});
}

// The SDK's attribute length limit cuts a string by UTF-16 units, so an emoji at the cut
// leaves half a surrogate pair, which JSON.stringify sends as a lone \ud83d; model output can
// hold a NUL. Either is U+FFFD in the stored span, and the batch's other spans are kept (the
// exporter does not send a 400 again: a refusal would lose them all). The protobuf encoder
// replaces the lone surrogate itself, and a NUL in an attribute's string is U+FFFD there too.
for (const [name, make, nul] of [['JSON', () => new JsonExporter({ url: intakeUrl() }), true], ['protobuf', () => new ProtoExporter({ url: intakeUrl() }), true]]) {
	test(`OTel exporter, ${name}: a string cut inside a surrogate pair${nul ? ' and a NUL' : ''} cost no span of the batch`, async () => {
		const done = [];
		const provider = new BasicTracerProvider({
			resource: resourceFromAttributes({ 'service.name': 'cut' }),
			spanLimits: { attributeValueLengthLimit: 5 },
			spanProcessors: [{ onStart() {}, onEnd(sp) { done.push(sp); }, forceFlush: async () => {}, shutdown: async () => {} }],
		});
		const tracer = provider.getTracer('cut');
		const ids = [];
		for (let i = 0; i < 5; i++) {
			const sp = tracer.startSpan(`cut-${name}-${i}`);
			sp.setAttribute('input.value', i === 2 ? 'und \u{1F642} more' : 'plain text');
			if (nul && i === 3) sp.setAttribute('output.value', 'a\u0000b');
			sp.end();
			ids.push(sp.spanContext().spanId);
		}
		const r = await exportWith(make(), done);
		assert.equal(r.code, 0, `export failed: ${r.error}`);
		const got = await Promise.all(ids.map(span));
		assert.deepEqual(got.map((x) => x.name), ids.map((_, i) => `cut-${name}-${i}`));
		assert.equal(got[2].input, 'und \uFFFD');
		assert.equal(got[0].input, 'plain');
		if (nul) assert.equal(got[3].output, 'a\uFFFDb');
	});
}

// Only a request that held a NUL has its SUBs (0x1A) read as U+FFFD: a SUB the client sent in
// another is kept, in either encoding.
for (const [name, make] of [['JSON', () => new JsonExporter({ url: intakeUrl() })], ['protobuf', () => new ProtoExporter({ url: intakeUrl() })]]) {
	test(`OTel exporter, ${name}: a SUB character in a request without a NUL is kept`, async () => {
		const done = [];
		const provider = new BasicTracerProvider({ spanProcessors: [{ onStart() {}, onEnd(sp) { done.push(sp); }, forceFlush: async () => {}, shutdown: async () => {} }] });
		const sp = provider.getTracer('sub').startSpan(`sub-${name}`);
		sp.setAttribute('output.value', 'x\u001ay');
		sp.end();
		const r = await exportWith(make(), done);
		assert.equal(r.code, 0, `export failed: ${r.error}`);
		assert.equal((await span(sp.spanContext().spanId)).output, 'x\u001ay');
	});
}

test('a re-sent span replaces the earlier version', async () => {
	const run = makeSpans('resend');
	for (let i = 0; i < 2; i++) {
		const r = await exportWith(new ProtoExporter({ url: intakeUrl() }), run.spans);
		assert.equal(r.code, 0);
	}
	await checkRun(run, 'resend');
	const list = await srv.request('GET', `${WS_PREFIX}/${WS}/spans?filter[trace_id]=${run.trace}&page_size=100`);
	if (list.status === 200) assert.equal(list.json.data.length, 4, list.text);
});

test('partial success: bad spans reported, good ones stored', async () => {
	const body = {
		resourceSpans: [{ scopeSpans: [{ spans: [
			{ traceId: '0102030405060708090a0b0c0d0e0f10', spanId: 'a1a2a3a4a5a6a7a8', name: 'ok', startTimeUnixNano: '1700000000000000000' },
			{ traceId: '0102030405060708090a0b0c0d0e0f10', name: 'no id' },
		] }] }],
	};
	// The NeMo path answers NeMo's IngestResponse (nemo-intake.md 4.1), OTLP's partialSuccess
	// beside it; the standard path OTLP's response alone (otel-egp.md 1.5).
	const partial = { rejectedSpans: 1, errorMessage: 'span <missing>: span_id is required' };
	const r = await srv.request('POST', `${WS_PREFIX}/${WS}/ingest/otlp/v1/traces`, { body });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers['content-type'], 'application/json');
	assert.deepEqual(r.json, { errors: ['span <missing>: span_id is required'], partialSuccess: partial });
	assert.equal((await span('a1a2a3a4a5a6a7a8')).name, 'ok');
	const std = await srv.request('POST', '/v1/traces', { body, headers: wsHeader });
	assert.equal(std.status, 200, std.text);
	assert.deepEqual(std.json, { partialSuccess: partial });
	const empty = await srv.request('POST', '/v1/traces', { body: {}, headers: wsHeader });
	assert.equal(empty.status, 200);
	assert.equal(empty.text, '{}');
	// Protobuf on the NeMo path: the same JSON IngestResponse, as NeMo answers it.
	const pb = await srv.request('POST', `${WS_PREFIX}/${WS}/ingest/otlp/v1/traces`, {
		body: Buffer.alloc(0),
		headers: { 'Content-Type': 'application/x-protobuf' },
	});
	assert.equal(pb.status, 200, pb.text);
	assert.equal(pb.headers['content-type'], 'application/json');
	assert.deepEqual(pb.json, { errors: [] });
});

// ---- hostile input ----

// A request holding one span (valid ids) whose body ends with extra.
function envelope(extra) {
	const spanBody = Buffer.concat([
		field(1, Buffer.alloc(16, 7)), field(2, Buffer.alloc(8, 9)), extra,
	]);
	return field(1, field(2, field(2, spanBody)));
}
// kvlist nesting n deep, built from the inside out without recursion.
function deepKvlist(n) {
	const prefixes = [];
	let len = 0; // the innermost AnyValue is empty
	for (let i = 0; i < n; i++) {
		const kv = Buffer.concat([Buffer.from([0x0a, 1, 0x6b, 0x12]), varint(len)]);
		const kvLen = kv.length + len;
		const kvl = Buffer.concat([Buffer.from([0x0a]), varint(kvLen)]);
		const kvlLen = kvl.length + kvLen;
		const av = Buffer.concat([Buffer.from([0x32]), varint(kvlLen)]);
		prefixes.push(Buffer.concat([av, kvl, kv]));
		len = av.length + kvlLen;
	}
	const value = Buffer.concat(prefixes.reverse());
	return envelope(field(9, Buffer.concat([field(1, Buffer.from('deep')), field(2, value)])));
}

const hostile = [
	['truncated protobuf', () => envelope(field(5, Buffer.from('name'))).subarray(0, 20), 'x-protobuf', 400],
	['wrong wire type', () => envelope(Buffer.from([0x38, 0x05])), 'x-protobuf', 400],
	['overflowing varint', () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), 'x-protobuf', 400],
	['kvlist nested 10,000 deep', () => deepKvlist(10000), 'x-protobuf', 400],
	['invalid UTF-8 in a protobuf string', () => envelope(field(5, Buffer.from([0x63, 0xff, 0xfe]))), 'x-protobuf', 400],
	['invalid UTF-8 in JSON', () => Buffer.concat([Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}]}]}')]), 'json', 400],
	['100,000 attributes', () => {
		const attrs = [];
		for (let i = 0; i < 100000; i++) attrs.push(`{"key":"k${i}","value":{"intValue":1}}`);
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[${attrs.join(',')}]}]}]}]}`;
	}, 'json', 400],
	['kvlist nested 10,000 deep in JSON', () => `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"d","value":${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(10000)}{}${'}]}}'.repeat(10000)}}]}]}]}]}`, 'json', 400],
];

for (const [name, make, type, status] of hostile) {
	test(`hostile: ${name} gets ${status}`, async () => {
		const r = await srv.request('POST', `${WS_PREFIX}/${WS}/ingest/otlp/v1/traces`, {
			body: Buffer.from(make()),
			headers: { 'Content-Type': `application/${type}` },
		});
		assert.equal(r.status, status, r.text);
		assert.equal(typeof r.json?.detail, 'string', r.text);
		if (status === 400)
			assert.match(r.json.detail, type === 'json' ? /^Invalid OTLP JSON: / : /^Invalid OTLP protobuf: /);
	});
}

test('hostile: a gzip bomb gets 413', async () => {
	const bomb = gzipSync(Buffer.alloc(64 << 20), { level: 9 });
	assert.ok(bomb.length < 1 << 20);
	const r = await srv.request('POST', '/v1/traces', {
		body: bomb,
		headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...wsHeader },
	});
	assert.equal(r.status, 413, r.text);
});

test('other media types get 415, a bad X-Workspace 400', async () => {
	const r = await srv.request('POST', '/v1/traces', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
	assert.equal(r.status, 415, r.text);
	const w = await srv.request('POST', '/v1/traces', { body: {}, headers: { 'X-Workspace': 'Bad/Name' } });
	assert.equal(w.status, 400, w.text);
});

test('the store verifies after everything above', async () => {
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify:\n${v.stdout}${v.stderr}`);
});
