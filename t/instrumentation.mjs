// What t/integration/instrumentation.test.mjs and traceloop.test.mjs share: the tracer set-up
// and the checks of what each library's spans read as through the three APIs (NeMo Intake,
// Opik, Scale GP), with the costs the shipped price table gives.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CLIENTS, WS_PREFIX } from './harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, BatchSpanProcessor } =
	require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');

let srv;
// The server the checks read from (t/harness.mjs startServer).
export function useServer(s) { srv = s; }

// gpt-4o-mini in prices/prices.tsv: USD per million input, output and cached-input tokens (no
// reasoning price: reasoning tokens cost the output price); costs keep 6 decimals, as spandex
// rounds them, and are worked out in the order lib/model/price.c works them.
const PRICE_IN = 0.15, PRICE_OUT = 0.6, PRICE_CACHED = 0.075;
export const r6 = (x) => Math.round(x * 1e6) / 1e6;
const cachedOf = (u) => u.prompt_tokens_details?.cached_tokens ?? 0;
const reasoningOf = (u) => u.completion_tokens_details?.reasoning_tokens ?? 0;
// What a library reports of the mock's usage details: ALL (cached and reasoning), or less.
export const ALL = { cached: true, reasoning: true };
export const NONE = { cached: false, reasoning: false };
// The cost the price table gives usage u as a library reports it.
export function cost(u, reports = ALL) {
	const c = reports.cached ? cachedOf(u) : 0, rs = reports.reasoning ? reasoningOf(u) : 0;
	const input = r6(((u.prompt_tokens - c) * PRICE_IN + c * PRICE_CACHED) / 1e6);
	const output = r6(((u.completion_tokens - rs) * PRICE_OUT + rs * PRICE_OUT) / 1e6);
	return r6(input + output);
}
export const near = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
export const sum = (calls, f) => calls.reduce((a, u) => a + f(u), 0);

// A tracer provider whose spans go to spandex through the processors given and, for the test's
// own bookkeeping, to memory.
export function provider(processors) {
	const mem = new InMemorySpanExporter();
	const p = new BasicTracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor(mem)] });
	return { p, mem, tracer: p.getTracer('app') };
}
// The OTLP/JSON exporter to /v1/traces of workspace ws, batched.
export function otlpTo(ws) {
	return new BatchSpanProcessor(new OTLPTraceExporter({ url: `${srv.base}/v1/traces`, headers: { 'x-workspace': ws } }));
}

// Every view of one span, through the three APIs.
export async function views(ws, id) {
	const nemo = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`);
	assert.equal(nemo.status, 200, `span ${id}: ${nemo.text}`);
	const opik = await srv.request('GET', `/v1/private/spans/${id}`, { headers: { 'Comet-Workspace': ws } });
	const sgp = await srv.request('GET', `/v5/spans/${id}`, { headers: { 'x-selected-account-id': ws } });
	return { nemo: nemo.json, opik: opik.json, sgp: sgp.json, opikStatus: opik.status, sgpStatus: sgp.status };
}
export async function rollups(ws, traceId, sessionId) {
	const t = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/${traceId}`);
	const s = await srv.request('GET', `${WS_PREFIX}/${ws}/sessions/${encodeURIComponent(sessionId)}`);
	const o = await srv.request('GET', `/v1/private/traces/${traceId}`, { headers: { 'Comet-Workspace': ws } });
	return { trace: t.json, session: s.json, opik: o.json, opikStatus: o.status };
}

// What SGP shows of a span's stored input or output text (lib/api/egp/map.c object_out): an
// object as it is, a list as {messages}, anything else as {value}.
export function sgpObject(text) {
	if (text === undefined)
		return {};
	let j;
	try { j = JSON.parse(text); } catch { return { value: text }; }
	if (j && typeof j === 'object' && !Array.isArray(j))
		return j;
	if (Array.isArray(j))
		return { messages: j };
	return { value: typeof j === 'string' ? j : text };
}

// One model call through every API: kind, model, tokens (usage u, its cached and reasoning
// parts as the library reports them), input and output (SGP's objects of the same text), the
// cost (the client's own when it sent one, else the price table's), success.
export function checkCall(v, u, what, { reports = ALL, cost: c = cost(u, reports) } = {}) {
	const { nemo, opik, sgp } = v;
	assert.equal(nemo.kind, 'LLM', what);
	assert.equal(nemo.model, 'gpt-4o-mini', what);
	assert.equal(nemo.input_tokens, u.prompt_tokens, what);
	assert.equal(nemo.output_tokens, u.completion_tokens, what);
	if (reports.cached)
		assert.equal(nemo.cached_tokens ?? 0, cachedOf(u), `${what}: cached tokens`);
	else
		assert.equal(nemo.cached_tokens, undefined, `${what}: no cached tokens reported`);
	const reasoning = nemo.usage_details['completion_details.reasoning'];
	if (reports.reasoning)
		assert.equal(reasoning ?? 0, reasoningOf(u), `${what}: reasoning tokens`);
	else
		assert.equal(reasoning, undefined, `${what}: no reasoning tokens reported`);
	assert.ok(nemo.input && nemo.output, `${what}: input and output`);
	near(nemo.cost_total_usd, c, `${what} cost`);
	assert.equal(nemo.status, 'success', what);
	assert.equal(v.opikStatus, 200, what);
	assert.equal(opik.type, 'llm', what);
	assert.equal(opik.model, 'gpt-4o-mini', what);
	assert.equal(opik.usage.prompt_tokens, u.prompt_tokens, what);
	assert.equal(opik.usage.completion_tokens, u.completion_tokens, what);
	near(opik.total_estimated_cost, c, `${what} Opik cost`);
	assert.ok(opik.input && opik.output, `${what}: Opik input and output`);
	assert.equal(v.sgpStatus, 200, what);
	assert.equal(sgp.type, 'COMPLETION', what);
	assert.equal(sgp.metadata.model, 'gpt-4o-mini', what);
	assert.equal(sgp.input_tokens, u.prompt_tokens, what);
	assert.equal(sgp.output_tokens, u.completion_tokens, what);
	assert.deepEqual(sgp.input, sgpObject(nemo.input), `${what}: SGP input`);
	assert.deepEqual(sgp.output, sgpObject(nemo.output), `${what}: SGP output`);
	assert.equal(sgp.status, 'SUCCESS', what);
}

export function checkTool(v, what) {
	assert.equal(v.nemo.kind, 'TOOL', what);
	assert.equal(v.nemo.tool_name, 'get_weather', what);
	assert.ok(v.nemo.input && v.nemo.output, `${what}: input and output`);
	assert.equal(v.nemo.input_tokens, undefined, what);
	assert.equal(v.opik.type, 'tool', what);
	assert.equal(v.sgp.metadata.tool_name, 'get_weather', what);
	assert.equal(v.sgp.type, 'CODE_EXECUTION', what);
	assert.deepEqual(v.sgp.input, sgpObject(v.nemo.input), `${what}: SGP input`);
	assert.deepEqual(v.sgp.output, sgpObject(v.nemo.output), `${what}: SGP output`);
}

export function checkFailed(v, what) {
	assert.equal(v.nemo.status, 'error', what);
	assert.match(v.nemo.error_message, /mock upstream failure/, what);
	assert.equal(v.sgp.status, 'ERROR', what);
	assert.ok(v.opik.error_info, `${what}: Opik error_info`);
}

// A parent that repeats its children's usage (the AI SDK's roots) shows none of its own.
export function checkParent(v, kind, what) {
	assert.equal(v.nemo.kind, kind, what);
	assert.equal(v.nemo.input_tokens, undefined, what);
	assert.equal(v.nemo.cost_total_usd, undefined, what);
	assert.equal(JSON.parse(v.nemo.raw_attributes)['spandex.usage'], 'children', what);
	assert.equal(v.opik.usage, undefined, what);
	assert.equal(v.opik.total_estimated_cost, undefined, what);
}

// The trace (NeMo and Opik) and the session (NeMo) add up exactly the model calls; costOf
// prices one call's usage.
export async function checkRollups(ws, traceId, traceCalls, sessionId, sessionCalls, what, costOf = cost) {
	const r = await rollups(ws, traceId, sessionId);
	const tin = sum(traceCalls, (u) => u.prompt_tokens), tout = sum(traceCalls, (u) => u.completion_tokens);
	assert.equal(r.trace.input_tokens, tin, `${what}: trace input tokens`);
	assert.equal(r.trace.output_tokens, tout, `${what}: trace output tokens`);
	near(r.trace.cost_usd, sum(traceCalls, (u) => costOf(u)), `${what}: trace cost`);
	assert.equal(r.opikStatus, 200, what);
	assert.equal(r.opik.usage.prompt_tokens, tin, `${what}: Opik trace usage`);
	assert.equal(r.opik.usage.completion_tokens, tout, `${what}: Opik trace usage`);
	near(r.opik.total_estimated_cost, sum(traceCalls, (u) => costOf(u)), `${what}: Opik trace cost`);
	assert.equal(r.session.input_tokens, sum(sessionCalls, (u) => u.prompt_tokens), `${what}: session input tokens`);
	assert.equal(r.session.output_tokens, sum(sessionCalls, (u) => u.completion_tokens), `${what}: session output tokens`);
	near(r.session.cost_usd, sum(sessionCalls, (u) => costOf(u)), `${what}: session cost`);
}

// The ended spans of the test's own exporter, by name, in the order they ended.
export const named = (mem, name) => mem.getFinishedSpans().filter((s) => s.name === name);
export const idOf = (s) => s.spanContext().spanId;
export const traceOf = (s) => s.spanContext().traceId;
