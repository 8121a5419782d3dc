// The query budget (issue 13): a query that would read more than SPANDEX_QUERY_BYTES (or run
// longer than SPANDEX_QUERY_MS) is refused with a 400 that says how to narrow it; a get by id
// (the id table, no scan) still answers, and the same store answers under the default budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, WS_PREFIX } from '../harness.mjs';

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

test('a query over its byte budget gets a 400 that names the budget', async () => {
	// 64 KiB: about 500 index records, so 2,000 spans cannot all be looked at.
	const srv = await startServer({ env: { SPANDEX_QUERY_BYTES: String(64 * 1024) } });
	servers.push(srv);
	const ws = `${WS_PREFIX}/budget`;
	const spans = Array.from({ length: 2000 }, (_, i) => ({
		span_id: `b-${i}`, trace_id: `t-${i % 40}`, session_id: 's', name: `step ${i}`, kind: 'LLM',
		status: 'success', started_at: new Date(Date.UTC(2025, 5, 1, 0, 0, i)).toISOString(),
	}));
	for (let i = 0; i < spans.length; i += 1000) {
		const r = await srv.request('POST', `${ws}/ingest/spans`, { body: { source: 'budget', spans: spans.slice(i, i + 1000) } });
		assert.equal(r.status, 201, r.text);
	}
	for (const path of ['/spans', '/traces', '/spans/groups?by=trace_id', '/spans?search=step']) {
		const r = await srv.request('GET', `${ws}${path}`);
		assert.equal(r.status, 400, `${path}: ${r.text}`);
		assert.match(r.json.detail, /budget.*SPANDEX_QUERY_BYTES.*narrow it/, path);
	}
	const one = await srv.request('GET', `${ws}/spans/b-1999`);
	assert.equal(one.status, 200, one.text);
	// The same store with the default budget answers the full listing.
	const roomy = await startServer({ dataDir: srv.dataDir });
	servers.push(roomy);
	const all = await roomy.request('GET', `${ws}/spans?page_size=1`);
	assert.equal(all.status, 200, all.text);
	assert.equal(all.json.pagination.total_results, 2000);
});
