// A worker's memory against its reply (issue 30, item 9): a Scale GP search of limit=10000 and
// an Opik stats over a project must not make the worker's peak resident size (VmHWM of
// /proc/<pid>/status, the workers the harness started) grow far beyond the reply, and a
// request that would pass SPANDEX_QUERY_MEM is refused with a 400 that names it.
// SPANDEX_FULL=1: the sizes, with figures printed for BENCHMARKS.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, childPids, WS_PREFIX, BUILDDIR } from '../harness.mjs';

const FULL = process.env.SPANDEX_FULL === '1';
const NSPANS = FULL ? 10000 : 3000;
// Opik stats in full: lines well past QUERY_LINES_RESIDENT (64 MiB), so their pages are given back.
const STATS_SPANS = FULL ? 40000 : 3000;
const MiB = 1 << 20;
// A sanitizer build's shadow memory and quarantine say nothing of the programs' own peaks.
const bin = path.join(BUILDDIR, 'cgi-bin', 'egp');
const SANITIZED = fs.existsSync(bin) && fs.readFileSync(bin).includes('__asan_init');
const peaks = { timeout: FULL ? 1200000 : 600000, skip: SANITIZED && 'a sanitizer build: its resident size is the runtime\'s' };

const servers = [];
after(async () => {
	for (const s of servers) await s.stop();
});

// VmHWM (peak) and VmRSS of each worker of a program, in bytes (one worker: the program itself).
function mem(srv, program) {
	const kids = childPids(srv.procs[program].pid);
	return (kids.length ? kids : [srv.procs[program].pid]).map((pid) => {
		const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (k) => Number(st.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))[1]) * 1024;
		return { pid, hwm: kb('VmHWM'), rss: kb('VmRSS') };
	});
}
const peak = (m) => Math.max(...m.map((x) => x.hwm));

// n spans of workspace ws with about 4 KiB of chat messages each, through the ingest program (so
// the programs measured have served nothing yet).
async function fill(srv, ws, n) {
	const t0 = Date.UTC(2026, 0, 6);
	for (let i = 0; i < n; i += 500) {
		const spans = [];
		for (let j = i; j < Math.min(n, i + 500); j++) {
			const messages = Array.from({ length: 24 }, (_, k) => ({ role: k % 2 ? 'assistant' : 'user', content: `turn ${k} of span ${j}: ${'words '.repeat(24)}` }));
			spans.push({
				span_id: `m-${j}`, trace_id: `mt-${j % 300}`, name: `call ${j}`, kind: 'LLM', status: 'success',
				started_at: new Date(t0 + j * 1000).toISOString(), ended_at: new Date(t0 + j * 1000 + 20).toISOString(),
				input: { messages }, output: { text: `answer ${j}` },
			});
		}
		const r = await srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'mem', spans } });
		assert.equal(r.status, 201, r.text);
	}
}

test('a Scale GP search of 10,000 spans: the worker peaks at a small multiple of its reply', peaks, async () => {
	const srv = await startServer({ workers: { egp: 1, opik: 1 } });
	servers.push(srv);
	await fill(srv, 'mem', NSPANS);
	const before = peak(mem(srv, 'egp'));
	const r = await srv.request('POST', '/v5/spans/search?limit=10000', { headers: { 'x-selected-account-id': 'mem' }, body: {} });
	assert.equal(r.status, 200, r.text.slice(0, 500));
	assert.equal(r.json.items.length, NSPANS);
	const reply = Buffer.byteLength(r.text);
	const after = peak(mem(srv, 'egp'));
	const fig = { spans: NSPANS, reply_mib: +(reply / MiB).toFixed(1), hwm_before_mib: +(before / MiB).toFixed(1), hwm_after_mib: +(after / MiB).toFixed(1) };
	console.log(`# memory egp search ${JSON.stringify(fig)}`);
	// The rows the engine copies are the reply's size or so; what the worker adds beyond that
	// is per row, not per page.
	assert.ok(after - before < 3 * reply, JSON.stringify(fig));
});

test('Opik stats over a project hold one span at a time, not the lines they read', peaks, async () => {
	const srv = await startServer({ workers: { egp: 1, opik: 1 } });
	servers.push(srv);
	await fill(srv, 'mem', STATS_SPANS);
	// What the stats read: every span's line, about as long as its Scale GP rendering.
	let lines = 0;
	for (let after; ;) {
		const q = after ? `&starting_after=${after}` : '';
		const page = await srv.request('POST', `/v5/spans/search?limit=10000${q}`, { headers: { 'x-selected-account-id': 'mem' }, body: {} });
		assert.equal(page.status, 200, page.text.slice(0, 300));
		lines += Buffer.byteLength(page.text);
		if (!page.json.has_more) break;
		after = page.json.items.at(-1).id;
	}
	const h = { 'Comet-Workspace': 'mem' };
	// A page of 1,000 spans before the stats: streamed, each item's memory given back after it.
	const base = peak(mem(srv, 'opik'));
	const page = await srv.request('GET', '/v1/private/spans?project_name=Default%20Project&size=1000', { headers: h });
	assert.equal(page.status, 200, page.text.slice(0, 300));
	assert.equal(page.json.content.length, 1000);
	const pageBytes = Buffer.byteLength(page.text);
	const listed = peak(mem(srv, 'opik'));
	console.log(`# memory opik page ${JSON.stringify({ reply_mib: +(pageBytes / MiB).toFixed(1), hwm_before_mib: +(base / MiB).toFixed(1), hwm_after_mib: +(listed / MiB).toFixed(1) })}`);
	// Besides the page, the project's lines its filter read stay mapped, up to QUERY_LINES_RESIDENT.
	assert.ok(listed - base < 3 * pageBytes + Math.min(lines, 64 * MiB), `page of ${pageBytes} bytes: ${base} -> ${listed}`);
	const before = peak(mem(srv, 'opik'));
	for (const what of ['spans', 'traces']) {
		const r = await srv.request('GET', `/v1/private/${what}/stats?project_name=Default%20Project`, { headers: h });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.stats[0].value, what === 'spans' ? STATS_SPANS : 300, r.text);
	}
	const after = peak(mem(srv, 'opik'));
	const fig = { spans: STATS_SPANS, lines_mib: +(lines / MiB).toFixed(1), hwm_before_mib: +(before / MiB).toFixed(1), hwm_after_mib: +(after / MiB).toFixed(1) };
	console.log(`# memory opik stats ${JSON.stringify(fig)}`);
	// The lines are mapped (page cache, counted in VmHWM as they are read); what was built
	// per span, 5 times the lines before, is given back after each.
	assert.ok(after - before < 2.5 * lines, JSON.stringify(fig));
});

test('a request over SPANDEX_QUERY_MEM gets a 400 that names it, in the API\'s shape', async () => {
	const srv = await startServer({ workers: 1, env: { SPANDEX_QUERY_MEM: String(4 * MiB) } });
	servers.push(srv);
	await fill(srv, 'mem', 2000);
	const r = await srv.request('POST', '/v5/spans/search?limit=10000', { headers: { 'x-selected-account-id': 'mem' }, body: {} });
	assert.equal(r.status, 400, r.text.slice(0, 500));
	assert.deepEqual(Object.keys(r.json), ['detail']);
	assert.match(r.json.detail, /SPANDEX_QUERY_MEM/);
	// A page within it answers.
	const small = await srv.request('POST', '/v5/spans/search?limit=100', { headers: { 'x-selected-account-id': 'mem' }, body: {} });
	assert.equal(small.status, 200, small.text.slice(0, 500));
	assert.equal(small.json.items.length, 100);
});
