// The OpenLLMetry SDK (@traceloop/node-server-sdk, pinned in t/clients) as its docs set it up:
// traceloop.initialize({ baseUrl, headers, instrumentModules: { openAI } }) posts OTLP protobuf
// to <baseUrl>/v1/traces. A workflow with an agent, a tool and two OpenAI calls, then a
// streamed call, all under association properties naming a session and a user, against the
// local OpenAI mock; read back through the three APIs. The SDK registers a global tracer
// provider and patches the OpenAI client, so it runs alone in this file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, CLIENTS } from '../harness.mjs';
import { startOpenAIMock, USAGE, TOOL_USAGE } from '../openai_mock.mjs';
import { useServer, views, checkCall, checkTool, checkRollups, named, idOf, traceOf, cost, near,
	NONE } from '../instrumentation.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const api = require('@opentelemetry/api');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');

let srv, mock;
before(async () => {
	// The price table as shipped: on by default.
	srv = await startServer({ env: { SPANDEX_PRICES: null } });
	useServer(srv);
	mock = await startOpenAIMock();
});
after(async () => {
	await mock?.stop();
	await srv?.stop();
});

test('OpenLLMetry SDK: workflow, agent, tool, a session and a user by association properties, a streamed call, guards', async () => {
	const ws = 'traceloop-sdk';
	const traceloop = require('@traceloop/node-server-sdk');
	const OpenAI = require('openai');
	const mem = new InMemorySpanExporter();
	// As its docs say, with spandex's URL and headers; no API key, so no prompt registry.
	traceloop.initialize({ appName: 'weather-app', baseUrl: srv.base, headers: { 'x-workspace': ws },
		disableBatch: true, silenceInitializationMessage: true, traceloopSyncEnabled: false,
		instrumentModules: { openAI: OpenAI.OpenAI }, processor: new SimpleSpanProcessor(mem) });
	const client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-mock', maxRetries: 0 });
	const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

	await traceloop.withAssociationProperties({ session_id: 'sess-tl', user_id: 'user-7' }, () =>
		traceloop.withWorkflow({ name: 'weather_flow' }, async () => {
			await traceloop.withAgent({ name: 'weather_agent' }, async () => {
				const messages = [{ role: 'user', content: 'Weather in Paris?' }];
				const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
				const call = first.choices[0].message.tool_calls[0];
				const sky = await traceloop.withTool({ name: 'get_weather' },
					async (args) => ({ city: args.city, sky: 'sunny' }), JSON.parse(call.function.arguments));
				messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify(sky) });
				const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
				assert.equal(second.choices[0].message.content, 'Sunny in Paris.');
			});
			const s = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true,
				stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Weather?' }] });
			for await (const _ of s);
		}));
	// A call that fails: the SDK's OpenAI wrapper ends no span on a rejection (its
	// _wrapPromise only handles success), so nothing of it is sent.
	await assert.rejects(client.chat.completions.create({ model: 'fail-model', messages: [{ role: 'user', content: 'x' }] }));
	// A guardrail run (instrumentation.md 5.1): one `{name}.guard` span a guard, with
	// gen_ai.operation.name "guard", what it checked and (as the SDK's own guards do) what
	// its check answered; a guard that throws fails its span.
	const short = async (input) => {
		api.trace.getActiveSpan().setAttribute('gen_ai.guardrail.output', JSON.stringify({ length: input.text.length }));
		return input.text.length < 40;
	};
	short.guardName = 'short_answer';
	const broken = async () => { throw new Error('guard broke'); };
	broken.guardName = 'broken';
	await new traceloop.Guardrails([short]).run(async () => ({ text: 'Sunny in Paris.' }));
	await assert.rejects(new traceloop.Guardrails([broken]).run(async () => ({ text: 'x' })), { name: 'GuardExecutionError' });
	await traceloop.forceFlush();

	const chats = named(mem, 'chat gpt-4o-mini');
	assert.equal(chats.length, 3);
	assert.equal(mem.getFinishedSpans().filter((s) => /fail-model/.test(s.name)).length, 0);
	// OpenLLMetry's OpenAI instrumentation passes on no cached or reasoning tokens.
	const reports = NONE;
	const first = await views(ws, idOf(chats[0]));
	checkCall(first, TOOL_USAGE, 'OpenLLMetry SDK tool-calling call', { reports });
	checkCall(await views(ws, idOf(chats[1])), USAGE, 'OpenLLMetry SDK answering call', { reports });
	// The session and the user come from the association properties, on every span; the
	// session id leaves raw_attributes, the user stays there (no Span field).
	assert.equal(first.nemo.session_id, 'sess-tl');
	const raw = JSON.parse(first.nemo.raw_attributes);
	assert.equal(raw['traceloop.association.properties.user_id'], 'user-7');
	assert.equal(raw['traceloop.association.properties.session_id'], undefined);
	// Its agent name reaches every span under the agent.
	assert.equal(first.nemo.agent_name, 'weather_agent');

	// A streamed call: the SDK drops the stream's usage chunk and counts the tokens itself
	// (enrichTokens, js-tiktoken): spandex stores what it sent, priced.
	const streamed = chats[2];
	const est = { prompt_tokens: streamed.attributes['gen_ai.usage.input_tokens'],
		completion_tokens: streamed.attributes['gen_ai.usage.output_tokens'] };
	assert.ok(est.prompt_tokens > 0 && est.completion_tokens > 0, JSON.stringify(streamed.attributes));
	assert.notEqual(est.prompt_tokens, USAGE.prompt_tokens);
	const sv = await views(ws, idOf(streamed));
	assert.equal(sv.nemo.kind, 'LLM');
	assert.equal(sv.nemo.input_tokens, est.prompt_tokens);
	assert.equal(sv.nemo.output_tokens, est.completion_tokens);
	near(sv.nemo.cost_total_usd, cost(est, reports), 'OpenLLMetry SDK streamed cost');
	assert.match(sv.nemo.output, /Sunny in Paris/);
	assert.equal(sv.nemo.session_id, 'sess-tl');

	// workflow -> CHAIN, agent -> AGENT, each repeating none of the usage; the tool.
	const wf = await views(ws, idOf(named(mem, 'weather_flow.workflow')[0]));
	assert.equal(wf.nemo.kind, 'CHAIN');
	assert.equal(wf.nemo.input_tokens, undefined);
	assert.equal(wf.nemo.session_id, 'sess-tl');
	const ag = await views(ws, idOf(named(mem, 'weather_agent.agent')[0]));
	assert.equal(ag.nemo.kind, 'AGENT');
	assert.equal(ag.nemo.agent_name, 'weather_agent');
	assert.equal(ag.opik.type, 'general');
	const tv = await views(ws, idOf(named(mem, 'get_weather.tool')[0]));
	checkTool(tv, 'OpenLLMetry SDK tool');
	assert.deepEqual(JSON.parse(tv.nemo.output), { city: 'Paris', sky: 'sunny' });

	const guard = await views(ws, idOf(named(mem, 'short_answer.guard')[0]));
	assert.equal(guard.nemo.kind, 'GUARDRAIL');
	assert.equal(JSON.parse(guard.nemo.input).text, 'Sunny in Paris.');
	assert.deepEqual(JSON.parse(guard.nemo.output), { length: 15 });
	assert.equal(guard.nemo.status, 'success');
	assert.equal(guard.opik.type, 'guardrail');
	assert.equal(guard.sgp.type, 'GUARDRAIL');
	const failedGuard = await views(ws, idOf(named(mem, 'broken.guard')[0]));
	assert.equal(failedGuard.nemo.kind, 'GUARDRAIL');
	assert.equal(failedGuard.nemo.status, 'error');
	assert.equal(failedGuard.nemo.error_message, 'guard broke');
	assert.equal(failedGuard.sgp.status, 'ERROR');

	// The trace and the session add up the three calls once each.
	await checkRollups(ws, traceOf(chats[0]), [TOOL_USAGE, USAGE, est], 'sess-tl', [TOOL_USAGE, USAGE, est],
		'OpenLLMetry SDK', (u) => cost(u, reports));
	await traceloop.shutdown?.();
});
