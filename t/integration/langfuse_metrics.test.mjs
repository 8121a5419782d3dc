// Langfuse's metrics API (docs/api-langfuse.md, "The metrics query"): GET /api/public/metrics
// and /api/public/v2/metrics through nginx and the real programs, asked through
// @langfuse/client 5.11.1's api.legacy.metricsV1.metrics and api.metrics.metrics, on data
// written by langfuse 3.39.2; the totals checked against Langfuse's daily metrics and NeMo's
// spans/stats on the same store, and Langfuse's 400s for what its schema or validateQuery
// refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, request, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Langfuse } = require('langfuse');
const { LangfuseClient } = await import(require.resolve('@langfuse/client'));

const WS = 'lf-metrics';
let srv, key, client;
const t0 = Date.now() - 30 * 60_000;
const at = (ms) => new Date(t0 + ms);
const fromTimestamp = new Date(t0 - 3_600_000).toISOString();
const toTimestamp = new Date(t0 + 3_600_000).toISOString();
const v1 = async (query) => (await client.api.legacy.metricsV1.metrics({ query: JSON.stringify({ fromTimestamp, toTimestamp, filters: [], ...query }) })).data;
const v2 = async (query) => (await client.api.metrics.metrics({ query: JSON.stringify({ fromTimestamp, toTimestamp, filters: [], ...query }) })).data;
const close = (a, b) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);

before(async () => {
	srv = await startServer();
	const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', WS, '--role', 'admin', '--name', 'lf']);
	assert.equal(r.code, 0, r.stderr);
	key = r.stdout.trim();
	const sdk = new Langfuse({ publicKey: WS, secretKey: key, baseUrl: srv.base, flushAt: 1000 });
	const gen = (trace, id, model, start, ms, usage, cost) => trace.generation({ id, name: 'llm', model, startTime: at(start),
		endTime: at(start + ms), usage, costDetails: cost });
	const a = sdk.trace({ id: 'm-a', name: 'chat', userId: 'ann', timestamp: at(0) });
	gen(a, 'm-a1', 'gpt-4o', 0, 2500, { input: 100, output: 40 }, { input: 0.01, output: 0.02 });
	gen(a, 'm-a2', 'gpt-4o-mini', 3000, 200, { input: 10, output: 5 }, { input: 0.001, output: 0.0005 });
	a.span({ id: 'm-a3', name: 'retrieve', startTime: at(100), endTime: at(500) });
	a.score({ id: 'm-s1', name: 'quality', value: 0.9 });
	a.score({ id: 'm-s2', name: 'tone', value: 'polite' });
	const b = sdk.trace({ id: 'm-b', name: 'chat', userId: 'bob', timestamp: at(60_000) });
	gen(b, 'm-b1', 'gpt-4o', 60_000, 1000, { input: 50, output: 10 }, { input: 0.005, output: 0.004 });
	b.score({ id: 'm-s3', name: 'quality', value: 0.5 });
	b.score({ id: 'm-s4', name: 'tone', value: 'polite' });
	const c = sdk.trace({ id: 'm-c', name: 'batch', userId: 'cy', timestamp: at(120_000) });
	c.span({ id: 'm-c1', name: 'step', startTime: at(120_000), endTime: at(120_300) });
	c.score({ id: 'm-s5', name: 'quality', value: 0.1 });
	await sdk.flushAsync();
	client = new LangfuseClient({ publicKey: WS, secretKey: key, baseUrl: srv.base });
});
after(() => srv?.stop());

test('v1 observations by model: counts, sums, percentiles; the same totals as the daily metrics and NeMo\'s stats', async () => {
	const rows = await v1({ view: 'observations', dimensions: [{ field: 'providedModelName' }],
		metrics: [{ measure: 'count', aggregation: 'count' }, { measure: 'totalCost', aggregation: 'sum' },
			{ measure: 'totalTokens', aggregation: 'sum' }, { measure: 'latency', aggregation: 'p50' }],
		orderBy: [{ field: 'providedModelName', direction: 'asc' }] });
	assert.deepEqual(rows.map((x) => [x.providedModelName, x.count_count, x.sum_totalTokens, x.p50_latency]),
		[[null, 2, 0, 350], ['gpt-4o', 2, 200, 1750], ['gpt-4o-mini', 1, 15, 200]]);
	close(rows[1].sum_totalCost, 0.039);
	close(rows[2].sum_totalCost, 0.0015);
	const all = (await v1({ view: 'observations', metrics: [{ measure: 'count', aggregation: 'count' },
		{ measure: 'totalCost', aggregation: 'sum' }, { measure: 'inputTokens', aggregation: 'sum' }] }))[0];

	// Langfuse's daily metrics on the same store: the same observations, cost and usage.
	const auth = { Authorization: `Basic ${Buffer.from(`${WS}:${key}`).toString('base64')}` };
	const daily = (await request('GET', `/api/public/metrics/daily?fromTimestamp=${fromTimestamp}&toTimestamp=${toTimestamp}`, { base: srv.base, headers: auth })).json.data;
	assert.equal(daily.reduce((n, d) => n + d.countObservations, 0), all.count_count);
	close(daily.reduce((n, d) => n + d.totalCost, 0), all.sum_totalCost);
	assert.equal(daily.flatMap((d) => d.usage).reduce((n, u) => n + u.inputUsage, 0), all.sum_inputTokens);
	// NeMo's spans/stats: every span (the traces' rows too) and the same cost.
	const nemo = await request('GET', `${WS_PREFIX}/${WS}/spans/stats?start=${fromTimestamp}&end=${toTimestamp}&bucket_seconds=86400`,
		{ base: srv.base, headers: { Authorization: `Bearer ${key}` } });
	assert.equal(nemo.status, 200, nemo.text);
	const traces = (await v1({ view: 'traces', metrics: [{ measure: 'count', aggregation: 'count' }, { measure: 'totalCost', aggregation: 'sum' }] }))[0];
	assert.equal(traces.count_count, 3);
	assert.equal(nemo.json.trace_count, traces.count_count);
	assert.equal(nemo.json.span_count, all.count_count + traces.count_count);
	close(nemo.json.cost_usd, all.sum_totalCost);
	close(traces.sum_totalCost, all.sum_totalCost);
	assert.equal(nemo.json.input_tokens, all.sum_inputTokens);
});

test('v1 traces by user with a filter; a time dimension fills its empty buckets', async () => {
	const rows = await v1({ view: 'traces', dimensions: [{ field: 'userId' }],
		metrics: [{ measure: 'observationsCount', aggregation: 'sum' }, { measure: 'totalTokens', aggregation: 'max' }],
		filters: [{ type: 'string', column: 'name', operator: '=', value: 'chat' }] });
	assert.deepEqual(rows.map((x) => [x.userId, x.sum_observationsCount, x.max_totalTokens]),
		[['ann', 3, 155], ['bob', 1, 60]]); // by the first metric, largest first
	const series = await v1({ view: 'traces', metrics: [{ measure: 'count', aggregation: 'count' }],
		timeDimension: { granularity: 'minute' }, fromTimestamp: at(0).toISOString(), toTimestamp: at(180_000).toISOString() });
	const minute = (ms) => new Date(Math.floor((t0 + ms) / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
	assert.equal(series.length >= 3 && series.length <= 4, true, JSON.stringify(series));
	assert.deepEqual(series.filter((x) => x.count_count).map((x) => x.time_dimension), [minute(0), minute(60_000), minute(120_000)]);
	assert.equal(series.reduce((n, x) => n + x.count_count, 0), 3);
});

test('v2: observations with a filter, an hourly series, row_limit; scores views', async () => {
	const gens = await v2({ view: 'observations', dimensions: [{ field: 'name' }],
		metrics: [{ measure: 'latency', aggregation: 'max' }, { measure: 'outputTokens', aggregation: 'avg' }],
		filters: [{ type: 'string', column: 'type', operator: '=', value: 'GENERATION' }] });
	assert.deepEqual(gens.map((x) => [x.name, x.max_latency]), [['llm', 2500]]);
	close(gens[0].avg_outputTokens, 55 / 3);
	const hourly = await v2({ view: 'observations', metrics: [{ measure: 'count', aggregation: 'count' }], timeDimension: { granularity: 'day' } });
	assert.equal(hourly.reduce((n, x) => n + x.count_count, 0), 5);
	assert.match(hourly[0].time_dimension, /^\d{4}-\d\d-\d\d$/);
	const top = await v2({ view: 'observations', dimensions: [{ field: 'traceName' }], metrics: [{ measure: 'count', aggregation: 'count' }],
		config: { row_limit: 1 } });
	assert.deepEqual(top, [{ traceName: 'chat', count_count: 4 }]);
	const quality = await v2({ view: 'scores-numeric', dimensions: [{ field: 'name' }],
		metrics: [{ measure: 'value', aggregation: 'avg' }, { measure: 'value', aggregation: 'p90' }, { measure: 'count', aggregation: 'count' }] });
	assert.equal(quality.length, 1);
	assert.equal(quality[0].name, 'quality');
	close(quality[0].avg_value, 0.5);
	close(quality[0].p90_value, 0.82);
	assert.equal(quality[0].count_count, 3);
	assert.deepEqual(await v2({ view: 'scores-categorical', dimensions: [{ field: 'stringValue' }], metrics: [{ measure: 'count', aggregation: 'count' }] }),
		[{ stringValue: 'polite', count_count: 2 }]);
	const byUser = await v2({ view: 'observations', dimensions: [{ field: 'userId' }], metrics: [{ measure: 'count', aggregation: 'count' }],
		orderBy: [{ field: 'count_count', direction: 'desc' }, { field: 'userId', direction: 'asc' }], config: { row_limit: 10 } });
	assert.deepEqual(byUser, [{ userId: 'ann', count_count: 3 }, { userId: 'bob', count_count: 1 }, { userId: 'cy', count_count: 1 }]);
});

test('what the schema or validateQuery refuses is Langfuse\'s 400', async () => {
	const auth = { Authorization: `Basic ${Buffer.from(`${WS}:${key}`).toString('base64')}` };
	const bad = async (p, query) => {
		const r = await request('GET', `/api/public${p}?query=${encodeURIComponent(typeof query === 'string' ? query : JSON.stringify({ fromTimestamp, toTimestamp, ...query }))}`,
			{ base: srv.base, headers: auth });
		assert.equal(r.status, 400, r.text);
		return r.json;
	};
	const count = [{ measure: 'count', aggregation: 'count' }];
	assert.deepEqual(await bad('/metrics', '{'), { message: 'Invalid JSON in query parameter', error: 'InvalidRequestError' });
	assert.equal((await bad('/v2/metrics', { view: 'traces', metrics: count })).message, 'Invalid request data');
	assert.equal((await bad('/metrics', { view: 'observations', metrics: [] })).message, 'Invalid request data');
	assert.equal((await bad('/metrics', { view: 'observations', metrics: count, toTimestamp: fromTimestamp })).message, 'Invalid request data');
	assert.deepEqual(await bad('/metrics', { view: 'observations', metrics: count, dimensions: [{ field: 'colour' }] }),
		{ message: 'Invalid dimension colour for view observations', error: 'InvalidRequestError' });
	assert.match((await bad('/v2/metrics', { view: 'observations', metrics: count, dimensions: [{ field: 'traceId' }] })).message,
		/^High cardinality dimension\(s\) 'traceId' require both 'config.row_limit' and 'orderBy'/);
	assert.match((await bad('/v2/metrics', { view: 'observations', metrics: count, dimensions: [{ field: 'userId' }], timeDimension: { granularity: 'hour' } })).message,
		/cannot be used with timeDimension/);
	assert.match((await bad('/metrics', { view: 'observations', metrics: [{ measure: 'latency', aggregation: 'histogram' }] })).message, /histogram/);
	assert.match((await bad('/metrics', { view: 'observations', metrics: count, filters: [{ type: 'string', column: 'colour', operator: '=', value: 'x' }] })).message,
		/^Column colour does not match/);
	const many = await bad('/metrics', { view: 'observations', metrics: count, timeDimension: { granularity: 'minute' },
		fromTimestamp: new Date(t0 - 30 * 86_400_000).toISOString() });
	assert.match(many.message, /more than 10000 groups/);
});
