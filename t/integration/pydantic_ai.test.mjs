// pydantic-ai and Logfire (Python; issue 33): their spans as they export them, recorded from
// their source in t/fixtures/pydantic_ai (pydantic-ai 2.33 and 1.75, Logfire 4.41's OpenAI
// instrumentation; docs/attributes.md names the keys), posted to /v1/traces as an
// OTLP exporter would and read back through the three APIs. The agent run carries its run's
// summed usage (gen_ai.aggregated_usage.* since pydantic-ai 2, gen_ai.usage.* before): a
// trace's and a session's tokens and cost must count each model call once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, SRCDIR, WS_PREFIX } from '../harness.mjs';
import { useServer, views, checkCall, checkTool, checkParent, checkRollups, rollups, cost, near,
	ALL } from '../instrumentation.mjs';

const FIXTURES = path.join(SRCDIR, 't', 'fixtures', 'pydantic_ai');
// The usage of the two model calls of each recorded run, as the OpenAI mock reports them.
const TOOL_CALL = { prompt_tokens: 2300, completion_tokens: 500, prompt_tokens_details: { cached_tokens: 1000 },
	completion_tokens_details: { reasoning_tokens: 0 } };
const ANSWER = { prompt_tokens: 1100, completion_tokens: 700, prompt_tokens_details: { cached_tokens: 300 },
	completion_tokens_details: { reasoning_tokens: 200 } };

let srv;
before(async () => {
	// The price table as shipped: on by default.
	srv = await startServer({ env: { SPANDEX_PRICES: null } });
	useServer(srv);
});
after(async () => { await srv?.stop(); });

async function post(ws, file) {
	const body = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
	const r = await srv.request('POST', '/v1/traces', { body, headers: { 'content-type': 'application/json', 'x-workspace': ws } });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, {});
	return JSON.parse(body).resourceSpans[0].scopeSpans[0].spans;
}
const byName = (spans, name) => spans.find((s) => s.name === name);
const attr = (s, k) => s.attributes.find((a) => a.key === k)?.value;

test('pydantic-ai 2: invoke_agent repeats its calls\' usage as gen_ai.aggregated_usage.*; chat costs its own', async () => {
	const ws = 'pydantic-two';
	const spans = await post(ws, 'v2_run.json');
	const chats = spans.filter((s) => s.name === 'chat gpt-4o-mini');
	// pydantic-ai prices each call itself (genai-prices, operation.cost): kept, not the table's.
	const [c1, c2] = [Number(attr(chats[0], 'operation.cost').doubleValue), Number(attr(chats[1], 'operation.cost').doubleValue)];
	const first = await views(ws, chats[0].spanId);
	checkCall(first, TOOL_CALL, 'pydantic-ai 2 tool-calling chat', { reports: ALL, cost: c1 });
	checkCall(await views(ws, chats[1].spanId), ANSWER, 'pydantic-ai 2 answering chat', { reports: ALL, cost: c2 });
	assert.equal(first.nemo.agent_name, 'weather_agent');
	assert.equal(first.nemo.session_id, 'conv-7');
	assert.equal(JSON.parse(first.nemo.raw_attributes)['spandex.cost'], undefined, 'the client\'s cost, not computed');
	checkTool(await views(ws, byName(spans, 'execute_tool get_weather').spanId), 'pydantic-ai 2 tool');
	const run = byName(spans, 'invoke_agent weather_agent');
	const rv = await views(ws, run.spanId);
	assert.equal(rv.nemo.kind, 'AGENT');
	assert.equal(rv.nemo.input_tokens, undefined);
	assert.equal(rv.nemo.cost_total_usd, undefined);
	assert.equal(rv.nemo.agent_name, 'weather_agent');
	assert.equal(rv.nemo.model, 'gpt-4o-mini');
	assert.equal(rv.nemo.output, 'Sunny in Paris.');
	assert.equal(JSON.parse(rv.nemo.input).length, 4, 'the run\'s messages');
	assert.equal(JSON.parse(rv.nemo.raw_attributes)['gen_ai.aggregated_usage.input_tokens'], 3400);
	const costs = new Map([[TOOL_CALL, c1], [ANSWER, c2]]);
	await checkRollups(ws, run.traceId, [TOOL_CALL, ANSWER], 'conv-7', [TOOL_CALL, ANSWER], 'pydantic-ai 2', (u) => costs.get(u));
});

test('pydantic-ai 1.75: the agent run (agent_name, no gen_ai.operation.name) holds the run\'s gen_ai.usage.*, counted once', async () => {
	const ws = 'pydantic-one';
	const spans = await post(ws, 'v1_run.json');
	const chats = spans.filter((s) => s.name === 'chat gpt-4o-mini');
	// No cost sent: the table prices the calls, their cached tokens at the cached price.
	checkCall(await views(ws, chats[0].spanId), TOOL_CALL, 'pydantic-ai 1.75 tool-calling chat', { reports: ALL });
	checkCall(await views(ws, chats[1].spanId), ANSWER, 'pydantic-ai 1.75 answering chat', { reports: ALL });
	const tool = await views(ws, byName(spans, 'running tool').spanId);
	checkTool(tool, 'pydantic-ai 1.75 running tool');
	const run = byName(spans, 'agent run');
	const rv = await views(ws, run.spanId);
	checkParent(rv, 'AGENT', 'pydantic-ai 1.75 agent run');
	assert.equal(rv.nemo.agent_name, 'weather_agent');
	assert.equal(JSON.parse(rv.nemo.raw_attributes)['gen_ai.usage.input_tokens'], 3400);
	await checkRollups(ws, run.traceId, [TOOL_CALL, ANSWER], rv.nemo.session_id, [TOOL_CALL, ANSWER], 'pydantic-ai 1.75', (u) => cost(u, ALL));
});

test('Logfire\'s OpenAI instrumentation: request_data, response_data, gen_ai.usage.raw\'s cached and reasoning tokens', async () => {
	const ws = 'logfire';
	const [s] = await post(ws, 'logfire_openai.json');
	const v = await views(ws, s.spanId);
	checkCall(v, ANSWER, 'Logfire chat completion', { reports: ALL });
	assert.deepEqual(JSON.parse(v.nemo.input).messages, [{ role: 'user', content: 'Weather in Paris?' }]);
	assert.equal(JSON.parse(v.nemo.output).message.content, 'Sunny in Paris.');
	// The raw usage stays whole in raw_attributes; only its two counts were read.
	assert.equal(JSON.parse(JSON.parse(v.nemo.raw_attributes)['gen_ai.usage.raw']).prompt_tokens_details.cached_tokens, 300);
	const r = await rollups(ws, s.traceId, v.nemo.session_id);
	near(r.trace.cost_usd, cost(ANSWER, ALL), 'Logfire trace cost');
	const t = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/${s.traceId}`);
	assert.equal(t.json.input_tokens, ANSWER.prompt_tokens);
});
