// Langfuse's JSON `filter` parameter (docs/api-langfuse.md, "The filter parameter") on
// GET /traces, /observations, /v2/observations and /v2/scores, through nginx and the real
// programs: data written by langfuse 3.39.2, read back through @langfuse/client 5.11.1's api
// methods (which pass `filter` as Langfuse's own query parameter) and plain HTTP; every column
// type, the index's conditions beside the tested ones, a query parameter yielding to a
// condition on its column, and Langfuse's 400 bodies for what its schema or spandex refuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, spandexCli, request, CLIENTS } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Langfuse } = require('langfuse');
const { LangfuseClient } = await import(require.resolve('@langfuse/client'));

const WS = 'lf-filter';
let srv, key, client;
const get = (p) => request('GET', `/api/public${p}`,
	{ base: srv.base, headers: { Authorization: `Basic ${Buffer.from(`${WS}:${key}`).toString('base64')}` } });
const q = (f) => encodeURIComponent(JSON.stringify(f));
const names = (r) => r.data.map((x) => x.name).sort();
const t0 = Date.now() - 3_600_000;
const at = (ms) => new Date(t0 + ms).toISOString();

before(async () => {
	srv = await startServer();
	const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', WS, '--role', 'admin', '--name', 'lf']);
	assert.equal(r.code, 0, r.stderr);
	key = r.stdout.trim();
	const sdk = new Langfuse({ publicKey: WS, secretKey: key, baseUrl: srv.base, flushAt: 1000 });
	const a = sdk.trace({ id: 'f-a', name: 'alpha', userId: 'ann', sessionId: 's-1', tags: ['prod', 'beta'],
		metadata: { tier: 'gold', seats: 12 }, release: 'r1', version: 'v1', environment: 'production', timestamp: new Date(at(0)) });
	a.generation({ id: 'f-a-gen', name: 'llm', model: 'gpt-4o', startTime: new Date(at(1000)), endTime: new Date(at(3500)),
		usage: { input: 100, output: 40 }, costDetails: { input: 0.01, output: 0.02 }, metadata: { step: 'answer' },
		input: 'what is the capital of France', output: 'Paris', promptName: 'qa', promptVersion: 3 });
	a.span({ id: 'f-a-span', name: 'retrieve', startTime: new Date(at(500)), endTime: new Date(at(900)), level: 'WARNING',
		statusMessage: 'slow index' });
	a.score({ id: 'f-score-1', name: 'quality', value: 0.9, comment: 'good', metadata: { reviewer: 'kim' } });
	const b = sdk.trace({ id: 'f-b', name: 'beta-run', userId: 'bob', sessionId: 's-2', tags: ['dev'],
		metadata: { tier: 'free' }, release: 'r2', timestamp: new Date(at(60_000)) });
	b.generation({ id: 'f-b-gen', name: 'llm', model: 'gpt-4o-mini', startTime: new Date(at(61_000)), endTime: new Date(at(61_200)),
		usage: { input: 5, output: 1 }, level: 'ERROR', statusMessage: 'rate limited' });
	b.score({ id: 'f-score-2', name: 'quality', value: 0.2, metadata: { reviewer: 'lee' } });
	b.score({ id: 'f-score-3', name: 'tone', value: 'rude' });
	sdk.trace({ id: 'f-c', name: 'alpha', userId: 'cy', tags: [], timestamp: new Date(at(120_000)) });
	await sdk.flushAsync();
	client = new LangfuseClient({ publicKey: WS, secretKey: key, baseUrl: srv.base });
});
after(() => srv?.stop());

test('traces: @langfuse/client passes filter; strings, options, tags, metadata, time and the totals', async () => {
	const list = async (filter, extra = {}) => (await client.api.trace.list({ filter: JSON.stringify(filter), ...extra })).data.map((t) => t.id).sort();
	assert.deepEqual(await list([{ type: 'string', column: 'name', operator: '=', value: 'alpha' }]), ['f-a', 'f-c']);
	assert.deepEqual(await list([{ type: 'string', column: 'name', operator: 'starts with', value: 'bet' }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'stringOptions', column: 'userId', operator: 'none of', value: ['ann', 'cy'] }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'stringOptions', column: 'id', operator: 'any of', value: ['f-a', 'f-c', 'nope'] }]), ['f-a', 'f-c']);
	assert.deepEqual(await list([{ type: 'string', column: 'id', operator: 'ends with', value: '-b' }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'arrayOptions', column: 'tags', operator: 'all of', value: ['prod', 'beta'] }]), ['f-a']);
	assert.deepEqual(await list([{ type: 'arrayOptions', column: 'tags', operator: 'none of', value: ['prod', 'dev'] }]), ['f-c']);
	assert.deepEqual(await list([{ type: 'stringObject', column: 'metadata', key: 'tier', operator: '=', value: 'gold' }]), ['f-a']);
	assert.deepEqual(await list([{ type: 'numberObject', column: 'metadata', key: 'seats', operator: '>', value: 10 }]), ['f-a']);
	assert.deepEqual(await list([{ type: 'categoryOptions', column: 'metadata', key: 'tier', operator: 'any of', value: ['free'] }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'datetime', column: 'timestamp', operator: '>=', value: at(60_000) },
		{ type: 'datetime', column: 'timestamp', operator: '<', value: at(120_000) }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'number', column: 'totalTokens', operator: '>=', value: 100 }]), ['f-a']);
	assert.deepEqual(await list([{ type: 'number', column: 'totalCost', operator: '>', value: 0.025 }]), ['f-a']);
	assert.deepEqual(await list([{ type: 'number', column: 'errorCount', operator: '=', value: 1 }]), ['f-b']);
	assert.deepEqual(await list([{ type: 'null', column: 'release', operator: 'is null', value: '' }]), ['f-c']);
	assert.deepEqual(await list([{ type: 'boolean', column: 'bookmarked', operator: '=', value: false },
		{ type: 'string', column: 'environment', operator: '=', value: 'production' }]), ['f-a']);
	// A condition on a column takes the place of its query parameter (Langfuse's deriveFilters);
	// the other parameters still apply.
	assert.deepEqual(await list([{ type: 'string', column: 'userId', operator: '=', value: 'bob' }], { userId: 'ann' }), ['f-b']);
	assert.deepEqual(await list([{ type: 'string', column: 'name', operator: '=', value: 'alpha' }], { userId: 'cy' }), ['f-c']);
	const paged = await client.api.trace.list({ filter: JSON.stringify([{ type: 'string', column: 'name', operator: '=', value: 'alpha' }]), limit: 1 });
	assert.deepEqual(paged.meta, { page: 1, limit: 1, totalItems: 2, totalPages: 2 });
});

test('observations, v1 and v2: the columns of an observation', async () => {
	const v2 = async (filter) => names(await client.api.observations.getMany({ filter: JSON.stringify(filter), fields: 'core,basic' }));
	const v1 = async (filter) => names(await client.api.legacy.observationsV1.getMany({ filter: JSON.stringify(filter) }));
	assert.deepEqual(await v2([{ type: 'string', column: 'type', operator: '=', value: 'GENERATION' }]), ['llm', 'llm']);
	assert.deepEqual(await v1([{ type: 'string', column: 'model', operator: 'ends with', value: 'mini' }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'number', column: 'latency', operator: '>', value: 2 }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'number', column: 'inputTokens', operator: '<', value: 50 },
		{ type: 'string', column: 'type', operator: '=', value: 'GENERATION' }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'stringOptions', column: 'level', operator: 'any of', value: ['WARNING', 'ERROR'] }]), ['llm', 'retrieve']);
	assert.deepEqual(await v1([{ type: 'string', column: 'statusMessage', operator: 'contains', value: 'slow' }]), ['retrieve']);
	assert.deepEqual(await v1([{ type: 'string', column: 'input', operator: 'contains', value: 'capital' }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'number', column: 'promptVersion', operator: '=', value: 3 }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'stringObject', column: 'metadata', key: 'step', operator: '=', value: 'answer' }]), ['llm']);
	assert.deepEqual(await v1([{ type: 'string', column: 'traceId', operator: '=', value: 'f-a' },
		{ type: 'datetime', column: 'startTime', operator: '>', value: at(500) }]), ['llm']);
	assert.deepEqual(await v2([{ type: 'stringOptions', column: 'id', operator: 'any of', value: ['f-a-span', 'f-b-gen'] }]), ['llm', 'retrieve']);
	assert.deepEqual(await v2([{ type: 'boolean', column: 'isRootObservation', operator: '=', value: true },
		{ type: 'string', column: 'traceId', operator: '=', value: 'f-a' }]), ['llm', 'retrieve']);
	const r = await get(`/observations?type=SPAN&filter=${q([{ type: 'string', column: 'type', operator: '=', value: 'GENERATION' }])}`);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.data.length, 2); // the filter's type, not the parameter's
});

test('scores: metadata and the score columns', async () => {
	const list = async (filter) => (await client.api.scores.getMany({ filter: JSON.stringify(filter) })).data.map((s) => s.id).sort();
	assert.deepEqual(await list([{ type: 'stringObject', column: 'metadata', key: 'reviewer', operator: '=', value: 'kim' }]), ['f-score-1']);
	assert.deepEqual(await list([{ type: 'number', column: 'value', operator: '<', value: 0.5 },
		{ type: 'string', column: 'name', operator: '=', value: 'quality' }]), ['f-score-2']);
	assert.deepEqual(await list([{ type: 'stringOptions', column: 'dataType', operator: 'any of', value: ['CATEGORICAL'] }]), ['f-score-3']);
	assert.deepEqual(await list([{ type: 'string', column: 'userId', operator: '=', value: 'bob' }]), ['f-score-2', 'f-score-3']);
});

test('what the schema or spandex refuses is Langfuse\'s 400', async () => {
	const bad = async (filter, p = '/traces') => {
		const r = await get(`${p}?filter=${typeof filter === 'string' ? encodeURIComponent(filter) : q(filter)}`);
		assert.equal(r.status, 400, r.text);
		return r.json;
	};
	assert.deepEqual(await bad('[{'), { message: 'Invalid JSON in filter parameter', error: 'InvalidRequestError' });
	let e = await bad({ type: 'string' });
	assert.equal(e.message, 'Invalid request data');
	assert.deepEqual(e.error[0].path, ['filter']);
	e = await bad([{ type: 'string', column: 'name', operator: '>', value: 'x' }]);
	assert.match(e.error[0].message, /operator/);
	e = await bad([{ type: 'number', column: 'totalCost', operator: '>', value: 'cheap' }]);
	assert.match(e.error[0].message, /Expected number/);
	e = await bad([{ type: 'stringObject', column: 'metadata', operator: '=', value: 'x' }]);
	assert.match(e.error[0].message, /key/);
	assert.deepEqual(await bad([{ type: 'string', column: 'colour', operator: '=', value: 'x' }]),
		{ message: 'Column colour does not match a UI / CH table mapping.', error: 'InvalidRequestError' });
	assert.deepEqual(await bad([{ type: 'number', column: 'name', operator: '=', value: 1 }]),
		{ message: "Invalid filter type 'number' for column 'name'. Expected filter type 'string'.", error: 'InvalidRequestError' });
	e = await bad([{ type: 'number', column: 'scores_avg', operator: '>', value: 0.5 }]);
	assert.match(e.message, /^Filtering on scores_avg is not supported here/);
	e = await bad([{ type: 'arrayOptions', column: 'traceTags', operator: 'any of', value: ['prod'] }], '/observations');
	assert.match(e.message, /^Filtering on traceTags is not supported here/);
	e = await bad([{ type: 'stringOptions', column: 'name', operator: 'any of', value: [] }], '/v2/scores');
	assert.equal(e.message, 'Invalid request data');
	e = await bad(Array.from({ length: 65 }, () => ({ type: 'string', column: 'name', operator: '=', value: 'x' })));
	assert.match(e.error[0].message, /at most 64/);
});
