// Scale-out (issue 15): two spandex backends (two data directories, two sets of programs, each
// with its nginx) behind a front nginx made by `nginx/genconf -F`, all on this machine. 50
// workspaces are written through the front in every ingest format and every API, read back
// through it, found on disk on exactly one backend each, about half on each; a stopped
// backend costs only its own workspaces (a JSON 503); and a workspace moves to the other
// backend while a writer runs, losing no acknowledged span (docs/scaling.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, startFront, spandexCli, WS_PREFIX } from '../harness.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let a, b, front;

before(async () => {
	a = await startServer();
	b = await startServer();
	front = await startFront([a, b]);
});
after(async () => {
	front?.stop();
	await a?.stop();
	await b?.stop();
});

const WS = Array.from({ length: 50 }, (_, i) => `team-${i}`);
const T = Date.now() - 3600e3;
const iso = (ms) => new Date(ms).toISOString();
const onDisk = (srv, ws) => fs.existsSync(path.join(srv.dataDir, ws));

test('50 workspaces through the front, every ingest format and API; each on one backend, about half on each', async () => {
	for (const [i, ws] of WS.entries()) {
		const id = (k) => `${ws}-${k}`;
		let r = await front.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'scale', spans: [
			{ span_id: id('direct'), trace_id: id('t'), name: 'root', kind: 'AGENT', status: 'success', started_at: iso(T + i) }] } });
		assert.equal(r.status, 201, r.text);
		r = await front.request('POST', '/v1/traces', { headers: { 'X-Workspace': ws }, body: { resourceSpans: [{ scopeSpans: [{ spans: [{
			traceId: Buffer.from(id('otlp').padEnd(16, 'x').slice(0, 16)).toString('hex'), spanId: Buffer.from(String(i).padStart(8, '0')).toString('hex'),
			name: 'otlp', startTimeUnixNano: String((T + i) * 1e6), endTimeUnixNano: String((T + i + 5) * 1e6) }] }] }] } });
		assert.equal(r.status, 200, r.text);
		r = await front.request('POST', `${WS_PREFIX}/${ws}/ingest/chat-completions`, { body: {
			request: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
			response: { id: id('chat'), model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }] } } });
		assert.ok([200, 201].includes(r.status), r.text);
		r = await front.request('POST', '/v1/private/spans/batch', { headers: { 'Comet-Workspace': ws }, body: { spans: [
			{ id: id('opik'), trace_id: id('t'), name: 'opik', start_time: iso(T + i), project_name: 'p' }] } });
		assert.equal(r.status, 204, r.text);
		r = await front.request('POST', '/v5/spans', { headers: { 'x-selected-account-id': ws }, body: { id: id('sgp'), name: 'sgp', trace_id: id('t'), start_timestamp: iso(T + i) } });
		assert.equal(r.status, 200, r.text);
	}
	let onA = 0;
	for (const ws of WS) {
		const id = (k) => `${ws}-${k}`;
		assert.notEqual(onDisk(a, ws), onDisk(b, ws), `${ws} lives on exactly one backend`);
		onA += onDisk(a, ws);
		const spans = await front.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=100`);
		assert.equal(spans.status, 200, spans.text);
		assert.equal(spans.json.pagination.total_results, 5, `${ws}: ${spans.text}`);
		const tr = await front.request('GET', `${WS_PREFIX}/${ws}/traces/${id('t')}`);
		assert.equal(tr.json.span_count, 3);
		const o = await front.request('GET', `/v1/private/spans/${id('sgp')}`, { headers: { 'Comet-Workspace': ws } });
		assert.equal(o.status, 200, o.text);
		const s = await front.request('POST', '/v5/spans/search', { headers: { 'x-selected-account-id': ws }, body: { trace_ids: [id('t')] } });
		assert.equal(s.json.total, 3);
	}
	assert.ok(onA >= 15 && onA <= 35, `${onA} of 50 workspaces on backend a`);
});

test('a stopped backend costs only its own workspaces, with a JSON 503', async () => {
	const onB = WS.filter((ws) => onDisk(b, ws));
	const onA = WS.filter((ws) => onDisk(a, ws));
	await b.stop();
	try {
		for (const ws of onB.slice(0, 5)) {
			const r = await front.request('GET', `${WS_PREFIX}/${ws}/spans`);
			assert.equal(r.status, 503, r.text);
			assert.match(r.json.detail, /backend of this workspace/);
			assert.ok(r.headers['retry-after']);
		}
		for (const ws of onA.slice(0, 5)) {
			const r = await front.request('GET', `${WS_PREFIX}/${ws}/spans`);
			assert.equal(r.status, 200, r.text);
		}
	} finally {
		b = await startServer({ dataDir: b.dataDir, port: b.port });
	}
	const r = await front.request('GET', `${WS_PREFIX}/${onB[0]}/spans`);
	assert.equal(r.status, 200, r.text);
});

test('a workspace moves to the other backend while a writer runs; no acknowledged span is lost', async () => {
	const ws = WS.find((w) => onDisk(a, w));
	const [from, to] = [a, b];
	const acked = [];
	let n = 0;
	let stop = false;
	const writer = (async () => {
		while (!stop) {
			const id = `move-${n++}`;
			const r = await front.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'scale', spans: [
				{ span_id: id, trace_id: 'move-t', name: 'w', kind: 'TOOL', status: 'success', started_at: iso(Date.now()) }] } });
			if (r.status === 201) acked.push(id);
			else assert.equal(r.status, 503, r.text); // the pause: retry later
			await sleep(5);
		}
	})();
	await sleep(300);
	// The move as docs/scaling.md describes it.
	const dump = path.join(front.dir, `${ws}.jsonl`);
	const cli = async (...args) => {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, `spandex ${args.join(' ')}: ${r.stderr}`);
	};
	// The marker before the bulk copy: a day written after it is copied again.
	const marker = Date.now();
	await sleep(20);
	await cli('export', from.dataDir, '--workspace', ws, '--out', dump);
	await cli('import', to.dataDir, '--workspace', ws, dump);
	await sleep(300);
	front.freeze(`${ws} 1;\n`);
	await front.reload();
	// The days written since the first copy, again (a span re-sent is a new version).
	const days = fs.readdirSync(path.join(from.dataDir, ws)).filter((f) => /\.jsonl$/.test(f) &&
		fs.statSync(path.join(from.dataDir, ws, f)).mtimeMs >= marker - 50).map((f) => f.slice(0, 10)); // -50: coarse file times
	for (const day of days) {
		const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86400e3).toISOString().slice(0, 10);
		await cli('export', from.dataDir, '--workspace', ws, '--from', day, '--to', next, '--out', dump);
		await cli('import', to.dataDir, '--workspace', ws, dump);
	}
	front.pin(`${ws} 127.0.0.1:${to.port};\n`);
	front.freeze('');
	await front.reload();
	await sleep(300);
	stop = true;
	await writer;
	assert.ok(acked.length > 20, `${acked.length} spans acknowledged`);
	for (const id of acked) {
		const r = await front.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`);
		assert.equal(r.status, 200, `${id}: ${r.text}`);
	}
	// Served by the new backend now.
	const direct = await to.request('GET', `${WS_PREFIX}/${ws}/spans/${acked.at(-1)}`);
	assert.equal(direct.status, 200);
});
