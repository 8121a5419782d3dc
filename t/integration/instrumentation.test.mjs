// What instrumentation sends (issue 33): the real libraries from npm (t/clients, versions
// pinned in its package.json) make real calls with the official clients against a local
// OpenAI mock (t/openai_mock.mjs) and export their spans to spandex the way their docs set
// them up: the Vercel AI SDK 6 (ai.* dialect, experimental_telemetry: text, tools, a stream,
// an object and an embedding), AI SDK 7 with
// @ai-sdk/otel (gen_ai.*, invoke_agent repeating its calls' usage), Langfuse's span processor
// (its own endpoint and Basic auth, usage and cost as JSON text) with @langfuse/openai, and
// the OpenAI instrumentations of OpenInference and OpenLLMetry (Traceloop). Each is
// read back through all three APIs: kind, model, tokens, input and output, tool name, cost,
// status of a failed call, trace and session rollups equal to the sum of the LLM calls, a
// streamed call's tokens, and the cached and reasoning tokens the mock reports, priced, where
// the library passes them on. The OpenLLMetry SDK (@traceloop/node-server-sdk) registers
// itself globally, so it runs in traceloop.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, CLIENTS, WS_PREFIX } from '../harness.mjs';
import { startOpenAIMock, USAGE, TOOL_USAGE, OBJECT_USAGE, EMBED_USAGE, OBJECT } from '../openai_mock.mjs';
import { useServer, provider, otlpTo, views, checkCall, checkTool, checkFailed, checkParent,
	checkRollups, named, idOf, traceOf, cost, r6, near, sgpObject, ALL, NONE } from '../instrumentation.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const z = require('zod');

let srv, mock;
before(async () => {
	api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
	// The price table as shipped: on by default.
	srv = await startServer({ env: { SPANDEX_PRICES: null } });
	useServer(srv);
	mock = await startOpenAIMock();
});
after(async () => {
	await mock?.stop();
	await srv?.stop();
});

// An Opik filter on ttft finds the span by the ttft it shows, and not past it.
async function checkTtftFilter(ws, id, ttft) {
	const list = async (op, value) => {
		const filters = encodeURIComponent(JSON.stringify([{ field: 'ttft', operator: op, value: String(value) }]));
		const r = await srv.request('GET', `/v1/private/spans?project_name=Default%20Project&size=100&filters=${filters}`,
			{ headers: { 'Comet-Workspace': ws } });
		assert.equal(r.status, 200, r.text);
		return r.json.content.map((x) => x.id);
	};
	assert.ok((await list('>=', ttft)).includes(id), `ttft >= ${ttft}`);
	assert.ok(!(await list('>', ttft + 1)).includes(id), `ttft > ${ttft + 1}`);
}

const weatherTool = (ai) => ({
	get_weather: ai.tool({ description: 'The weather in a city', inputSchema: z.object({ city: z.string() }),
		execute: async ({ city }) => ({ city, sky: 'sunny' }) }),
});

test('Vercel AI SDK 6 (ai.* dialect, experimental_telemetry)', async () => {
	const ws = 'ai-six';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const ai = require('ai-v6');
	const { createOpenAI } = require('@ai-sdk/openai-v6');
	const openai = createOpenAI({ baseURL: mock.url, apiKey: 'sk-mock' });
	const telemetry = { isEnabled: true, tracer, functionId: 'weather-bot', metadata: { sessionId: 'sess-ai6' } };

	const r = await ai.generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Weather in Paris?',
		tools: weatherTool(ai), stopWhen: ai.stepCountIs(3), experimental_telemetry: telemetry });
	assert.equal(r.text, 'Sunny in Paris.');
	const st = ai.streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'Weather?', experimental_telemetry: telemetry });
	for await (const _ of st.textStream);
	await assert.rejects(ai.generateText({ model: openai.chat('fail-model'), prompt: 'x', maxRetries: 0,
		experimental_telemetry: { ...telemetry, metadata: {} } }));
	await p.forceFlush();

	// ai@6 passes on the cached and reasoning tokens (ai.usage.cachedInputTokens,
	// ai.usage.reasoningTokens), which spandex prices.
	const [call1, call2] = named(mem, 'ai.generateText.doGenerate');
	checkCall(await views(ws, idOf(call1)), TOOL_USAGE, 'ai@6 tool-calling step');
	checkCall(await views(ws, idOf(call2)), USAGE, 'ai@6 answering step');
	checkTool(await views(ws, idOf(named(mem, 'ai.toolCall')[0])), 'ai@6 tool call');
	const [root] = named(mem, 'ai.generateText');
	const rv = await views(ws, idOf(root));
	checkParent(rv, 'AGENT', 'ai@6 generateText root');
	assert.equal(rv.nemo.agent_name, 'weather-bot');
	assert.equal(rv.nemo.session_id, 'sess-ai6');
	assert.equal(rv.nemo.output, 'Sunny in Paris.');
	const streamed = named(mem, 'ai.streamText.doStream')[0];
	const sv6 = await views(ws, idOf(streamed));
	checkCall(sv6, USAGE, 'ai@6 streamed call');
	// Opik's ttft is the time to the first chunk the SDK measured; a call not streamed has none.
	assert.equal(sv6.opik.ttft, streamed.attributes['ai.response.msToFirstChunk']);
	assert.equal((await views(ws, idOf(call1))).opik.ttft, undefined);
	await checkTtftFilter(ws, idOf(streamed), sv6.opik.ttft);
	checkParent(await views(ws, idOf(named(mem, 'ai.streamText')[0])), 'AGENT', 'ai@6 streamText root');
	const failed = mem.getFinishedSpans().filter((s) => s.attributes['ai.model.id'] === 'fail-model');
	assert.equal(failed.length, 2);
	for (const s of failed)
		checkFailed(await views(ws, idOf(s)), `ai@6 failed ${s.name}`);
	await checkRollups(ws, traceOf(root), [TOOL_USAGE, USAGE], 'sess-ai6', [TOOL_USAGE, USAGE, USAGE], 'ai@6');
});

test('Vercel AI SDK 6: generateObject and embed', async () => {
	const ws = 'ai-six-object';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const ai = require('ai-v6');
	const { createOpenAI } = require('@ai-sdk/openai-v6');
	const openai = createOpenAI({ baseURL: mock.url, apiKey: 'sk-mock' });
	const telemetry = { isEnabled: true, tracer, metadata: { sessionId: 'sess-ai6-object' } };

	const o = await ai.generateObject({ model: openai.chat('gpt-4o-mini'), prompt: 'Weather in Paris?',
		schema: z.object({ city: z.string(), sky: z.string() }), experimental_telemetry: telemetry });
	assert.deepEqual(o.object, OBJECT);
	const e = await ai.embed({ model: openai.embedding('text-embedding-3-small'), value: 'sunny Paris',
		experimental_telemetry: telemetry });
	assert.equal(e.embedding.length, 3);
	await p.forceFlush();

	// generateObject still names its tokens ai.usage.promptTokens / completionTokens; the
	// call's gen_ai.usage.* come first. Its answer is the object.
	const [root] = named(mem, 'ai.generateObject');
	const call = await views(ws, idOf(named(mem, 'ai.generateObject.doGenerate')[0]));
	checkCall(call, OBJECT_USAGE, 'ai@6 generateObject call');
	assert.deepEqual(JSON.parse(call.nemo.output), OBJECT);
	const rv = await views(ws, idOf(root));
	checkParent(rv, 'AGENT', 'ai@6 generateObject root');
	assert.deepEqual(JSON.parse(rv.nemo.output), OBJECT);
	assert.deepEqual(rv.sgp.output, OBJECT);
	await checkRollups(ws, traceOf(root), [OBJECT_USAGE], 'sess-ai6-object', [OBJECT_USAGE, { prompt_tokens: EMBED_USAGE.prompt_tokens, completion_tokens: 0 }],
		'ai@6 generateObject', (u) => u === OBJECT_USAGE ? cost(u) : r6(EMBED_USAGE.prompt_tokens * 0.02 / 1e6));

	// embed: the root repeats its doEmbed's ai.usage.tokens; the call is an EMBEDDING with
	// input tokens, priced by text-embedding-3-small's line.
	const [eroot] = named(mem, 'ai.embed');
	const ev = await views(ws, idOf(named(mem, 'ai.embed.doEmbed')[0]));
	assert.equal(ev.nemo.kind, 'EMBEDDING');
	assert.equal(ev.nemo.model, 'text-embedding-3-small');
	assert.equal(ev.nemo.input_tokens, EMBED_USAGE.prompt_tokens);
	assert.match(ev.nemo.input, /sunny Paris/);
	near(ev.nemo.cost_total_usd, r6(EMBED_USAGE.prompt_tokens * 0.02 / 1e6), 'ai@6 embedding cost');
	assert.equal(ev.opik.usage.prompt_tokens, EMBED_USAGE.prompt_tokens);
	assert.deepEqual(ev.sgp.input, sgpObject(ev.nemo.input));
	checkParent(await views(ws, idOf(eroot)), 'CHAIN', 'ai@6 embed root');
	const t = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/${traceOf(eroot)}`);
	assert.equal(t.json.input_tokens, EMBED_USAGE.prompt_tokens, 'ai@6 embed trace counts the call once');
});

// ai@6's rerank (no provider in t/clients reranks, so the SDK's own mock model of ai/test
// answers): the documents are its input, the ranking its output (instrumentation.md 1.2,
// "rerank I/O"); the query goes to no span.
test('Vercel AI SDK 6: rerank (ai.documents in, ai.ranking out)', async () => {
	const ws = 'ai-six-rerank';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const ai = require('ai-v6');
	const { MockRerankingModelV3 } = require('ai-v6/test');
	const model = new MockRerankingModelV3({ provider: 'cohere.reranking', modelId: 'rerank-v3.5',
		doRerank: async () => ({ ranking: [{ index: 1, relevanceScore: 0.9 }, { index: 0, relevanceScore: 0.25 }] }) });
	const r = await ai.rerank({ model, documents: ['rainy London', 'sunny Paris'], query: 'sunny',
		experimental_telemetry: { isEnabled: true, tracer } });
	assert.equal(r.ranking[0].document, 'sunny Paris');
	await p.forceFlush();

	const documents = ['rainy London', 'sunny Paris'];
	const ranking = [{ index: 1, relevanceScore: 0.9 }, { index: 0, relevanceScore: 0.25 }];
	const call = await views(ws, idOf(named(mem, 'ai.rerank.doRerank')[0]));
	assert.equal(call.nemo.kind, 'RERANKER');
	assert.equal(call.nemo.model, 'rerank-v3.5');
	assert.equal(call.nemo.provider, 'cohere');
	assert.deepEqual(JSON.parse(call.nemo.input), documents);
	assert.deepEqual(JSON.parse(call.nemo.output), ranking);
	// Opik takes an array of objects as it is; an array of strings is shown as its text.
	assert.equal(call.opik.input, call.nemo.input);
	assert.deepEqual(call.opik.output, ranking);
	assert.equal(call.sgp.type, 'RERANKING');
	assert.deepEqual(call.sgp.input, sgpObject(call.nemo.input));
	assert.deepEqual(call.sgp.output, sgpObject(call.nemo.output));
	const root = await views(ws, idOf(named(mem, 'ai.rerank')[0]));
	assert.equal(root.nemo.kind, 'CHAIN');
	assert.deepEqual(JSON.parse(root.nemo.input), documents);
	assert.equal(root.nemo.output, undefined);
});

test('Vercel AI SDK 7 with @ai-sdk/otel (invoke_agent repeats the usage of its calls)', async () => {
	const ws = 'ai-seven';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const ai = require('ai');
	const { OpenTelemetry } = require('@ai-sdk/otel');
	const { createOpenAI } = require('@ai-sdk/openai');
	ai.registerTelemetry(new OpenTelemetry({ tracer }));
	const openai = createOpenAI({ baseURL: mock.url, apiKey: 'sk-mock' });

	const r = await ai.generateText({ model: openai.chat('gpt-4o-mini'), prompt: 'Weather in Paris?',
		tools: weatherTool(ai), stopWhen: ai.stepCountIs(3), telemetry: { isEnabled: true, functionId: 'weather-bot' } });
	assert.equal(r.text, 'Sunny in Paris.');
	const st = ai.streamText({ model: openai.chat('gpt-4o-mini'), prompt: 'Weather?', telemetry: { isEnabled: true } });
	for await (const _ of st.textStream);
	await assert.rejects(ai.generateText({ model: openai.chat('fail-model'), prompt: 'x', maxRetries: 0,
		telemetry: { isEnabled: true } }));
	await p.forceFlush();

	// @ai-sdk/otel passes on the cached tokens (gen_ai.usage.cache_read.input_tokens), and the
	// reasoning tokens only with its usage option, off here as by default.
	const reports = { cached: true, reasoning: false };
	const costOf = (u) => cost(u, reports);
	const chats = named(mem, 'chat gpt-4o-mini');
	assert.equal(chats.length, 3);
	checkCall(await views(ws, idOf(chats[0])), TOOL_USAGE, 'ai@7 tool-calling chat', { reports });
	checkCall(await views(ws, idOf(chats[1])), USAGE, 'ai@7 answering chat', { reports });
	const sv7 = await views(ws, idOf(chats[2]));
	checkCall(sv7, USAGE, 'ai@7 streamed chat', { reports });
	// @ai-sdk/otel's time to first chunk is in seconds, Opik's ttft in ms.
	const first7 = chats[2].attributes['gen_ai.client.operation.time_to_first_chunk'];
	assert.equal(typeof first7, 'number');
	near(sv7.opik.ttft, first7 * 1000, 'ai@7 ttft');
	checkTool(await views(ws, idOf(named(mem, 'execute_tool get_weather')[0])), 'ai@7 execute_tool');
	const agents = named(mem, 'invoke_agent gpt-4o-mini');
	const av = await views(ws, idOf(agents[0]));
	checkParent(av, 'AGENT', 'ai@7 invoke_agent');
	assert.equal(av.nemo.agent_name, 'weather-bot');
	const step = await views(ws, idOf(named(mem, 'step 1')[0]));
	assert.equal(step.nemo.kind, 'CHAIN');
	checkFailed(await views(ws, idOf(named(mem, 'chat fail-model')[0])), 'ai@7 failed chat');
	checkFailed(await views(ws, idOf(named(mem, 'invoke_agent fail-model')[0])), 'ai@7 failed invoke_agent');
	// AI SDK 7 names no session: each trace is its own.
	await checkRollups(ws, traceOf(agents[0]), [TOOL_USAGE, USAGE], av.nemo.session_id, [TOOL_USAGE, USAGE], 'ai@7', costOf);
	const sv = await views(ws, idOf(agents[1]));
	await checkRollups(ws, traceOf(agents[1]), [USAGE], sv.nemo.session_id, [USAGE], 'ai@7 streamed', costOf);
});

// AI SDK 7's speech and transcription calls (instrumentation.md 2.1: CLIENT spans named by the
// raw operation id, ai.generateSpeech / ai.transcribe): each is one model call, an LLM span
// with its model, provider, text and the usage the model reports (the SDK's own mock models of
// ai/test answer: the OpenAI mock speaks no audio).
test('Vercel AI SDK 7: generateSpeech and transcribe are model calls', async () => {
	const ws = 'ai-seven-audio';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const ai = require('ai');
	const { OpenTelemetry } = require('@ai-sdk/otel');
	const { MockTranscriptionModelV4, MockSpeechModelV4 } = require('ai/test');
	ai.registerTelemetry(new OpenTelemetry({ tracer }));
	const response = (modelId) => ({ timestamp: new Date(), modelId, headers: {} });
	const stt = new MockTranscriptionModelV4({ provider: 'openai.transcription', modelId: 'whisper-1',
		doGenerate: async () => ({ text: 'Sunny in Paris.', segments: [{ text: 'Sunny in Paris.', startSecond: 0, endSecond: 1 }],
			language: 'en', durationInSeconds: 1, warnings: [], response: response('whisper-1'),
			usage: { inputTokens: 12, outputTokens: 4 } }) });
	const tts = new MockSpeechModelV4({ provider: 'openai.speech', modelId: 'tts-1',
		doGenerate: async () => ({ audio: new Uint8Array([1, 2]), warnings: [], response: response('tts-1') }) });
	const r = await ai.transcribe({ model: stt, audio: new Uint8Array([1, 2, 3]), telemetry: { isEnabled: true } });
	assert.equal(r.text, 'Sunny in Paris.');
	await ai.generateSpeech({ model: tts, text: 'Sunny in Paris.', telemetry: { isEnabled: true } });
	await p.forceFlush();

	const heard = await views(ws, idOf(named(mem, 'ai.transcribe whisper-1')[0]));
	assert.equal(heard.nemo.kind, 'LLM');
	assert.equal(heard.nemo.model, 'whisper-1');
	assert.equal(heard.nemo.provider, 'openai');
	assert.equal(heard.nemo.input_tokens, 12);
	assert.equal(heard.nemo.output_tokens, 4);
	assert.match(heard.nemo.output, /Sunny in Paris/);
	assert.equal(heard.opik.type, 'llm');
	assert.equal(heard.opik.usage.prompt_tokens, 12);
	assert.equal(heard.sgp.type, 'COMPLETION');
	const said = await views(ws, idOf(named(mem, 'ai.generateSpeech tts-1')[0]));
	assert.equal(said.nemo.kind, 'LLM');
	assert.equal(said.nemo.model, 'tts-1');
	assert.match(said.nemo.input, /Sunny in Paris/);
	assert.equal(said.opik.type, 'llm');
	const t = await srv.request('GET', `/v1/private/traces/${traceOf(named(mem, 'ai.transcribe whisper-1')[0])}`, { headers: { 'Comet-Workspace': ws } });
	assert.equal(t.json.llm_span_count, 1);
});

test('Langfuse: its span processor, endpoint and Basic auth; @langfuse/openai calls', async () => {
	const ws = 'lf-team';
	const { LangfuseSpanProcessor } = require('@langfuse/otel');
	const tracing = require('@langfuse/tracing');
	const { observeOpenAI } = require('@langfuse/openai');
	const OpenAI = require('openai');
	// As Langfuse's docs set it up; the public key names the workspace (auth is off here).
	const lf = new LangfuseSpanProcessor({ baseUrl: srv.base, publicKey: ws, secretKey: 'sk-lf-test' });
	const { p, mem } = provider([lf]);
	tracing.setLangfuseTracerProvider(p);
	const client = observeOpenAI(new OpenAI({ baseURL: mock.url, apiKey: 'sk-mock', maxRetries: 0 }));
	const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

	await tracing.propagateAttributes({ sessionId: 'sess-lf' }, async () => {
		await tracing.startActiveObservation('weather-agent', async () => {
			const messages = [{ role: 'user', content: 'Weather in Paris?' }];
			const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
			const call = first.choices[0].message.tool_calls[0];
			const tool = tracing.startObservation('get_weather', { input: JSON.parse(call.function.arguments) }, { asType: 'tool' });
			tool.update({ output: { sky: 'sunny' } });
			tool.end();
			messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"sky":"sunny"}' });
			const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
			assert.equal(second.choices[0].message.content, 'Sunny in Paris.');
			// The trace's input and output, on the agent's span (its observation has none).
			tracing.setActiveTraceIO({ input: { question: 'Weather in Paris?' }, output: 'Sunny in Paris.' });
		}, { asType: 'agent' });
		await tracing.startActiveObservation('streamed', async () => {
			const s = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true,
				stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Weather?' }] });
			for await (const _ of s);
		});
	});
	await assert.rejects(client.chat.completions.create({ model: 'fail-model', messages: [{ role: 'user', content: 'x' }] }));
	await p.forceFlush();

	// @langfuse/openai sends input less the cached tokens and those as input_cached_tokens
	// (output and output_reasoning_tokens alike): spandex adds the parts up again.
	const gens = named(mem, 'OpenAI.chat');
	assert.equal(gens.length, 4);
	assert.equal(JSON.parse(gens[1].attributes['langfuse.observation.usage_details']).input,
		USAGE.prompt_tokens - USAGE.prompt_tokens_details.cached_tokens);
	checkCall(await views(ws, idOf(gens[0])), TOOL_USAGE, 'Langfuse tool-calling generation');
	checkCall(await views(ws, idOf(gens[1])), USAGE, 'Langfuse answering generation');
	const lv = await views(ws, idOf(gens[2]));
	checkCall(lv, USAGE, 'Langfuse streamed generation');
	// Langfuse's completion_start_time (a Date's JSON text) less the start is Opik's ttft.
	const started = JSON.parse(gens[2].attributes['langfuse.observation.completion_start_time']);
	const startUs = gens[2].startTime[0] * 1e6 + Math.floor(gens[2].startTime[1] / 1000);
	assert.ok(Math.abs(lv.opik.ttft - (Date.parse(started) * 1000 - startUs) / 1000) < 0.002,
		`Langfuse ttft ${lv.opik.ttft}, completion started ${started}`);
	checkTool(await views(ws, idOf(named(mem, 'get_weather')[0])), 'Langfuse tool observation');
	const agent = await views(ws, idOf(named(mem, 'weather-agent')[0]));
	assert.equal(agent.nemo.kind, 'AGENT');
	assert.equal(agent.nemo.session_id, 'sess-lf');
	assert.deepEqual([agent.nemo.input, agent.nemo.output], ['{"question":"Weather in Paris?"}', 'Sunny in Paris.']);
	// The failed call: ERROR level, and the zero cost Langfuse's wrapper sends, kept.
	const fv = await views(ws, idOf(gens[3]));
	checkFailed(fv, 'Langfuse failed generation');
	assert.equal(fv.nemo.cost_total_usd, 0);
	await checkRollups(ws, traceOf(gens[0]), [TOOL_USAGE, USAGE], 'sess-lf', [TOOL_USAGE, USAGE, USAGE], 'Langfuse');
});

// A Langfuse experiment run (instrumentation.md 3.2, "experiments"): @langfuse/client's runner
// propagates the experiment's id, its dataset and the item onto every span of an item's run
// (through @langfuse/core's propagateAttributes, as here); they are the spans' evaluation
// context, which the NeMo filters read.
test('Langfuse: an experiment run\'s ids are its spans\' evaluation context', async () => {
	const ws = 'lf-experiment';
	const { LangfuseSpanProcessor } = require('@langfuse/otel');
	const tracing = require('@langfuse/tracing');
	const lf = new LangfuseSpanProcessor({ baseUrl: srv.base, publicKey: ws, secretKey: 'sk-lf-test' });
	const { p, mem } = provider([lf]);
	tracing.setLangfuseTracerProvider(p);
	const experiment = { experimentId: 'exp-7', experimentName: 'prompt v2', experimentDatasetId: 'ds-cities',
		experimentItemId: 'item-paris' };
	await tracing.propagateAttributes({ _internalExperiment: experiment }, async () => {
		await tracing.startActiveObservation('item-run', async () => {
			const g = tracing.startObservation('answer', { model: 'gpt-4o-mini', input: 'Weather in Paris?' }, { asType: 'generation' });
			g.update({ output: 'Sunny.', usageDetails: { input: 10, output: 3 } });
			g.end();
		});
	});
	await p.forceFlush();

	const want = { evaluation_id: 'exp-7', dataset_id: 'ds-cities', test_case_id: 'item-paris' };
	for (const name of ['item-run', 'answer']) {
		const v = await views(ws, idOf(named(mem, name)[0]));
		assert.deepEqual(v.nemo.evaluation_context, want, name);
		const raw = JSON.parse(v.nemo.raw_attributes);
		assert.equal(raw['langfuse.experiment.id'], undefined, name);
		assert.equal(raw['langfuse.experiment.name'], 'prompt v2', name);
	}
	for (const [k, v] of Object.entries(want)) {
		const r = await srv.request('GET', `${WS_PREFIX}/${ws}/spans?filter[${k}]=${v}`);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.data.map((x) => x.name).sort(), ['answer', 'item-run'], k);
	}
	const t = await srv.request('GET', `${WS_PREFIX}/${ws}/traces?filter[experiment_id]=exp-7`);
	assert.equal(t.status, 200, t.text);
	assert.deepEqual(t.json.data.map((x) => x.id), [traceOf(named(mem, 'answer')[0])]);
});

// OpenInference's and OpenLLMetry's OpenAI instrumentations patch the official client: one
// tool-calling call and its answer under an app span, then a streamed call. Neither library
// reports a streamed call's usage, nor (with openai 6) a span for a call that fails, so those
// are not checked here: spandex stores what they send.
async function openaiCalls(client, tracer) {
	const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
	const root = tracer.startSpan('weather-run');
	await api.context.with(api.trace.setSpan(api.context.active(), root), async () => {
		const messages = [{ role: 'user', content: 'Weather in Paris?' }];
		const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
		const call = first.choices[0].message.tool_calls[0];
		messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"sky":"sunny"}' });
		await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
	});
	root.end();
	const s = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true,
		stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Weather?' }] });
	for await (const _ of s);
	return root;
}

// OpenInference passes on the cached and reasoning tokens; OpenLLMetry's instrumentation
// neither (it reads usage's three totals only).
for (const [lib, pkg, name, cls, reports] of [
	['OpenInference', '@arizeai/openinference-instrumentation-openai', 'OpenAI Chat Completions', (m) => m, ALL],
	['OpenLLMetry', '@traceloop/instrumentation-openai', 'chat gpt-4o-mini', (m) => m.OpenAI, NONE],
]) {
	test(`${lib} (${pkg})`, async () => {
		const ws = lib.toLowerCase();
		const { p, mem, tracer } = provider([otlpTo(ws)]);
		const OpenAI = require('openai');
		const inst = new (require(pkg).OpenAIInstrumentation)();
		inst.setTracerProvider(p);
		inst.manuallyInstrument(cls(OpenAI));
		try {
			const client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-mock', maxRetries: 0 });
			const { setSession } = require('@arizeai/openinference-core');
			// OpenInference takes the session from the context; OpenLLMetry's instrumentation
			// alone names none, so each trace is its own session.
			const root = await api.context.with(setSession(api.context.active(), { sessionId: `sess-${ws}` }),
				() => openaiCalls(client, tracer));
			await p.forceFlush();
			const calls = named(mem, name);
			assert.equal(calls.length, 3);
			checkCall(await views(ws, idOf(calls[0])), TOOL_USAGE, `${lib} tool-calling call`, { reports });
			checkCall(await views(ws, idOf(calls[1])), USAGE, `${lib} answering call`, { reports });
			const streamed = await views(ws, idOf(calls[2]));
			assert.equal(streamed.nemo.kind, 'LLM');
			assert.equal(streamed.nemo.model, 'gpt-4o-mini');
			assert.match(streamed.nemo.output, /Sunny in Paris/);
			const sessionId = (await views(ws, idOf(calls[0]))).nemo.session_id;
			if (lib === 'OpenInference')
				assert.equal(sessionId, `sess-${ws}`);
			await checkRollups(ws, traceOf(root), [TOOL_USAGE, USAGE], sessionId, [TOOL_USAGE, USAGE], lib,
				(u) => cost(u, reports));
		} finally {
			inst.disable();
		}
	});
}

// An OpenInference embedding span as @arizeai/openinference-core's helpers write it (what its
// LangChain and LlamaIndex instrumentations send): the texts only under
// embedding.embeddings.<i>.embedding.text (instrumentation.md 4), no input.value. They are
// its input, in order; the vectors stay in raw_attributes.
test('OpenInference (openinference-core): an embedding span\'s texts are its input', async () => {
	const ws = 'oi-embedding';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const oi = require('@arizeai/openinference-core');
	const t = new oi.OITracer({ tracer });
	const span = t.startSpan('embed', { attributes: { 'openinference.span.kind': 'EMBEDDING',
		...oi.getEmbeddingAttributes({ modelName: 'text-embedding-3-small',
			embeddings: [{ text: 'sunny Paris', vector: [0.25, -0.5] }, { text: 'rainy London', vector: [0.5, 0.125] }] }) } });
	span.end();
	await p.forceFlush();

	const v = await views(ws, idOf(named(mem, 'embed')[0]));
	assert.equal(v.nemo.kind, 'EMBEDDING');
	assert.equal(v.nemo.model, 'text-embedding-3-small');
	assert.deepEqual(JSON.parse(v.nemo.input), ['sunny Paris', 'rainy London']);
	assert.equal(v.nemo.output, undefined);
	assert.deepEqual(JSON.parse(v.nemo.raw_attributes)['embedding.embeddings.1.embedding.vector'], [0.5, 0.125]);
	assert.equal(v.opik.input, v.nemo.input);
	assert.deepEqual(v.sgp.input, sgpObject(v.nemo.input));
});

// OpenInference's retriever and reranker documents (instrumentation.md 4: retrieval.documents.<i>.
// document.*, reranker.input_documents and .output_documents), as openinference-core's
// getRetrieverAttributes and the conventions' constants write them: a retriever's documents
// are its output, a reranker's documents in and ranked out its input and output.
test('OpenInference (openinference-core): retriever and reranker documents are input and output', async () => {
	const ws = 'oi-documents';
	const { p, mem, tracer } = provider([otlpTo(ws)]);
	const oi = require('@arizeai/openinference-core');
	const sc = require('@arizeai/openinference-semantic-conventions');
	const t = new oi.OITracer({ tracer });
	const docs = [{ id: 'd1', content: 'Paris is sunny', score: 0.9 }, { id: 'd2', content: 'London is rainy', score: 0.4 }];
	t.startSpan('kb', { attributes: { [sc.SemanticConventions.OPENINFERENCE_SPAN_KIND]: 'RETRIEVER',
		[sc.SemanticConventions.INPUT_VALUE]: 'sunny cities', ...oi.getRetrieverAttributes({ documents: docs }) } }).end();
	const flat = (prefix, ds) => Object.fromEntries(ds.flatMap((d, i) => Object.entries(d)
		.map(([k, v]) => [`${prefix}.${i}.document.${k}`, v])));
	t.startSpan('rerank', { attributes: { [sc.SemanticConventions.OPENINFERENCE_SPAN_KIND]: 'RERANKER',
		[sc.SemanticConventions.RERANKER_QUERY]: 'sunny', [sc.SemanticConventions.RERANKER_MODEL_NAME]: 'rerank-v3.5',
		...flat(sc.SemanticConventions.RERANKER_INPUT_DOCUMENTS, [docs[1], docs[0]]),
		...flat(sc.SemanticConventions.RERANKER_OUTPUT_DOCUMENTS, [docs[0]]) } }).end();
	await p.forceFlush();

	const kb = await views(ws, idOf(named(mem, 'kb')[0]));
	assert.equal(kb.nemo.kind, 'RETRIEVER');
	assert.equal(kb.nemo.input, 'sunny cities');
	assert.deepEqual(JSON.parse(kb.nemo.output), docs);
	assert.deepEqual(kb.opik.output, docs);
	assert.equal(kb.sgp.type, 'KB_RETRIEVAL');
	assert.deepEqual(kb.sgp.output, sgpObject(kb.nemo.output));
	const rr = await views(ws, idOf(named(mem, 'rerank')[0]));
	assert.equal(rr.nemo.kind, 'RERANKER');
	assert.equal(rr.nemo.model, 'rerank-v3.5');
	assert.deepEqual(JSON.parse(rr.nemo.input), [docs[1], docs[0]]);
	assert.deepEqual(JSON.parse(rr.nemo.output), [docs[0]]);
	assert.equal(JSON.parse(rr.nemo.raw_attributes)['reranker.query'], 'sunny');
	assert.deepEqual(rr.sgp.output, sgpObject(rr.nemo.output));
});

// A minimal OTLP/JSON body: one chat span of the given trace.
function otlpBody(traceId, spanId) {
	return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [{
		traceId, spanId, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: String(Date.now() * 1e6),
		endTimeUnixNano: String(Date.now() * 1e6 + 1e6),
		attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
			{ key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
			{ key: 'gen_ai.usage.input_tokens', value: { intValue: '10' } }] }] }] }] };
}

test('the Langfuse and Opik OTLP endpoints: workspace and key from their credentials', async () => {
	const s2 = await startServer();
	try {
		const made = await spandexCli(['key', 'create', s2.dataDir, '--workspace', 'lf-keys', '--role', 'write', '--name', 'lf']);
		assert.equal(made.code, 0, made.stderr);
		const key = made.stdout.trim();
		const basic = (user, pass) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
		const post = (p, headers, id) => s2.request('POST', p, { body: otlpBody('ab'.repeat(16), id), headers });
		const get = (ws, id) => s2.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`, { headers: { Authorization: `Bearer ${key}` } });

		// Langfuse's exporter: Basic <public key>:<secret key>; the public key is the workspace.
		const lf = new (require('@langfuse/otel').LangfuseSpanProcessor)({ baseUrl: s2.base, publicKey: 'lf-keys', secretKey: key });
		const { p, mem } = provider([lf]);
		const tracer = p.getTracer('langfuse-sdk');
		tracer.startSpan('checked', { attributes: { 'langfuse.observation.type': 'generation' } }).end();
		await p.forceFlush();
		assert.equal((await get('lf-keys', idOf(mem.getFinishedSpans()[0]))).json.kind, 'LLM');
		// The Basic user alone names the workspace (Langfuse's docs for plain OTel exporters).
		let r = await post('/api/public/otel/v1/traces', basic('lf-keys', key), '0000000000000001');
		assert.equal(r.status, 200, r.text);
		assert.equal((await get('lf-keys', '0000000000000001')).status, 200);
		// A wrong secret, or a workspace the key is not for: refused, nothing stored.
		r = await post('/api/public/otel/v1/traces', basic('lf-keys', 'spx_' + '0'.repeat(40)), '0000000000000002');
		assert.equal(r.status, 401, r.text);
		assert.equal(r.headers['www-authenticate'], 'Basic realm="spandex"');
		r = await post('/api/public/otel/v1/traces', basic('other-ws', key), '0000000000000003');
		assert.equal(r.status, 403, r.text);
		assert.equal((await get('lf-keys', '0000000000000002')).status, 404);
		// Opik's OTLP set-up: the bare key, Comet-Workspace, and the project in projectName; with
		// and without the /api prefix.
		for (const [i, path] of [[4, '/v1/private/otel/v1/traces'], [5, '/api/v1/private/otel/v1/traces']]) {
			const id = `000000000000000${i}`;
			r = await post(path, { Authorization: key, 'Comet-Workspace': 'lf-keys', projectName: 'weather' }, id);
			assert.equal(r.status, 200, r.text);
			const o = await s2.request('GET', `/v1/private/spans/${id}`, { headers: { Authorization: key, 'Comet-Workspace': 'lf-keys' } });
			assert.equal(o.status, 200, o.text);
			assert.equal(o.json.project_name, 'weather');
			assert.equal(o.json.type, 'llm');
		}
		r = await post('/v1/private/otel/v1/traces', { 'Comet-Workspace': 'lf-keys' }, '0000000000000006');
		assert.equal(r.status, 401, r.text);
		// The same decoding and limits as /v1/traces: a body that is no OTLP is a 400.
		r = await s2.request('POST', '/api/public/otel/v1/traces', { body: '{"resourceSpans":7}', headers: basic('lf-keys', key) });
		assert.equal(r.status, 400, r.text);
	} finally {
		await s2.stop();
	}
});
