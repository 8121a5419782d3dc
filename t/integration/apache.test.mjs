// The API through a real Apache in both set-ups of docs/operations.md: mod_proxy_fcgi to the
// programs under spawn-fcgi, and plain CGI through ScriptAlias (one process per request).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WS_PREFIX, makeSpan, dayTime } from '../harness.mjs';
import { startApache } from '../apache.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

for (const mode of ['fcgi', 'cgi']) {
	test(`the API through Apache (${mode})`, async () => {
		const srv = await startApache({ mode, env: { SPANDEX_SYNC: '0' } });
		servers.push(srv);
		const ws = `apache-${mode}`;
		const spans = Array.from({ length: 5 }, (_, i) => makeSpan(`${ws}-${i}`, {
			trace_id: `${ws}-trace`,
			parent_span_id: i ? `${ws}-0` : undefined,
			started_at: dayTime(i * 1000),
			name: `span ${i}`,
			attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': i },
		}));

		const health = await srv.request('GET', '/healthz');
		assert.equal(health.status, 200, health.text);

		const ing = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'apache', spans } });
		assert.equal(ing.status, 201, ing.text);
		// SetEnv brought SPANDEX_DATA: the shard is in the data directory Apache was given.
		assert.ok(fs.existsSync(path.join(srv.dataDir, ws, `${dayTime().slice(0, 10)}.jsonl`)));

		const one = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-3`);
		assert.equal(one.status, 200, one.text);
		assert.equal(one.json.name, 'span 3');
		assert.equal(one.json.input_tokens, 3);
		assert.match(one.headers['content-type'], /application\/json/);

		const list = await srv.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=10`);
		assert.equal(list.status, 200, list.text);
		assert.deepEqual(list.json.data.map((s) => s.span_id).sort(), spans.map((s) => s.span_id).sort());

		const missing = await srv.request('GET', `${WS_PREFIX}/${ws}/spans/nope`);
		assert.equal(missing.status, 404);
		assert.equal(typeof missing.json.detail, 'string');
		const bad = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { spans: [{}] } });
		assert.equal(bad.status, 422);
		assert.ok(Array.isArray(bad.json.detail) && bad.json.detail.length > 0);

		// Nothing of the data directory is reachable as a file.
		const leak = await srv.request('GET', `/${ws}/${dayTime().slice(0, 10)}.jsonl`);
		assert.equal(leak.status >= 400 && leak.status < 500, true, `status ${leak.status}`);
		assert.doesNotMatch(leak.text, /span_id/);
	});
}

test('Apache passes Authorization to the programs (CGIPassAuth) in both set-ups', async () => {
	for (const mode of ['fcgi', 'cgi']) {
		const srv = await startApache({ mode, env: { SPANDEX_TOKEN: 'sesame' } });
		servers.push(srv);
		const path_ = `${WS_PREFIX}/auth-${mode}/spans`;
		assert.equal((await srv.request('GET', path_)).status, 401, `${mode}: no token`);
		const ok = await srv.request('GET', path_, { headers: { Authorization: 'Bearer sesame' } });
		assert.equal(ok.status, 200, `${mode}: ${ok.text}`);
	}
});
