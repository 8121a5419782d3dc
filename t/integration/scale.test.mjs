// Scale-out (issue 15): two spandex backends (two data directories, two sets of programs, each
// with its nginx) behind a front nginx made by `nginx/genconf -F`, all on this machine. 50
// workspaces are written through the front in every ingest format and every API, read back
// through it, found on disk on exactly one backend each, about half on each; a stopped
// backend costs only its own workspaces (a JSON 503); a workspace moves to the other backend
// while a writer runs, losing no acknowledged span (docs/scaling.md); and the list of
// workspaces through the front is every backend's, for the request's key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, startFront, spandexCli, waitFor, clockPast, SRCDIR, WS_PREFIX, unknownPaths, isShaped404, shapedBody } from '../harness.mjs';
import { varint, field } from '../otlp_wire.mjs';

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

// nginx's consistent hash (ngx_http_upstream_hash_module.c, ngx_http_upstream_init_chash):
// 160 points per server, each crc32(host \0 port prev_hash) of the server's text as written in
// the upstream block; a key goes to the first point at or after crc32(key). Order and address
// play no part, which is what docs/scaling.md's promotion of a standby relies on.
function chashPick(servers, key) {
	const points = [];
	for (const server of servers) {
		const colon = server.lastIndexOf(':');
		const base = Buffer.from(`${server.slice(0, colon)}\0${server.slice(colon + 1)}`);
		const prev = Buffer.alloc(4); // little-endian, as on this machine
		for (let j = 0; j < 160; j++) {
			const h = zlib.crc32(Buffer.concat([base, prev]));
			points.push({ h, server });
			prev.writeUInt32LE(h);
		}
	}
	points.sort((x, y) => x.h - y.h);
	const h = zlib.crc32(Buffer.from(key));
	const i = points.findIndex((p) => p.h >= h);
	return points[i < 0 ? 0 : i].server;
}

// One span over OTLP protobuf (opentelemetry/proto/trace/v1): request { resource_spans {
// scope_spans { span { trace_id, span_id, name, start and end time (fixed64) } } } }.
function otlpProto(traceId, spanId, name, startMs) {
	const fixed64 = (f, ms) => Buffer.concat([varint(f * 8 + 1), (() => {
		const b = Buffer.alloc(8);
		b.writeBigUInt64LE(BigInt(ms) * 1000000n);
		return b;
	})()]);
	const span = Buffer.concat([field(1, traceId), field(2, spanId), field(5, Buffer.from(name)),
		fixed64(7, startMs), fixed64(8, startMs + 5)]);
	return field(1, field(2, field(2, span)));
}

const ATIF = JSON.parse(fs.readFileSync(path.join(SRCDIR, 't/fixtures/atif/minimal_v10.json'), 'utf8'));
const ATIF_SPANS = fs.readFileSync(path.join(SRCDIR, 't/golden/atif/minimal_v10.jsonl'), 'utf8').trim().split('\n').length;
// Spans per workspace: direct, OTLP JSON, OTLP protobuf, OTLP on the NeMo path, OTLP where
// Langfuse's and Opik's exporters post it, chat, ATIF's, Opik span and trace, Scale GP create
// and batch.
const PER_WS = 1 + 1 + 1 + 1 + 2 + 1 + ATIF_SPANS + 2 + 2;
const hex = (s, n) => Buffer.from(s.padEnd(n, 'x').slice(0, n));

const comet0 = (ws) => ({ 'Comet-Workspace': ws });

// Every ingest format and every API's writes, for workspace i.
async function writeAll(i, ws) {
	const id = (k) => `${ws}-${k}`;
	const ok = (r, want, what) => assert.ok([want].flat().includes(r.status), `${ws} ${what}: ${r.status} ${r.text}`);
	ok(await front.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'scale', spans: [
		{ span_id: id('direct'), trace_id: id('t'), name: 'root', kind: 'AGENT', status: 'success', started_at: iso(T + i) }] } }), 201, 'direct');
	const otlpJson = (k) => ({ resourceSpans: [{ scopeSpans: [{ spans: [{
		traceId: hex(id(k), 16).toString('hex'), spanId: hex(`${i}${k}`, 8).toString('hex'),
		name: k, startTimeUnixNano: String((T + i) * 1e6), endTimeUnixNano: String((T + i + 5) * 1e6) }] }] }] });
	ok(await front.request('POST', '/v1/traces', { headers: { 'X-Workspace': ws }, body: otlpJson('otlp') }), 200, 'OTLP JSON');
	// Its content as the GenAI conventions send it, a log record on /v1/logs: routed by
	// X-Workspace as /v1/traces is, so it reaches the span's backend.
	const logs = { resourceLogs: [{ scopeLogs: [{ logRecords: [{
		traceId: hex(id('otlp'), 16).toString('hex'), spanId: hex(`${i}otlp`, 8).toString('hex'),
		eventName: 'gen_ai.client.inference.operation.details', attributes: [{ key: 'gen_ai.input.messages',
			value: { stringValue: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: ws }] }]) } }] }] }] }] };
	const lr = await front.request('POST', '/v1/logs', { headers: { 'X-Workspace': ws }, body: logs });
	ok(lr, 200, 'OTLP logs');
	assert.equal(lr.text, '{}', `${ws} OTLP logs`);
	ok(await front.request('POST', '/v1/traces', { headers: { 'X-Workspace': ws, 'Content-Type': 'application/x-protobuf' },
		body: otlpProto(hex(id('pb'), 16), hex(`${i}pb`, 8), 'otlp-pb', T + i) }), 200, 'OTLP protobuf');
	ok(await front.request('POST', `${WS_PREFIX}/${ws}/ingest/otlp/v1/traces`, { body: otlpJson('nemo-otlp') }), 200, 'OTLP, NeMo path');
	// Langfuse's span processor names the workspace by its public key, in a header and in
	// the Basic credentials (no key file here: the secret is not checked).
	ok(await front.request('POST', '/api/public/otel/v1/traces', { body: otlpJson('langfuse'), headers: {
		'x-langfuse-public-key': ws, Authorization: `Basic ${Buffer.from(`${ws}:sk`).toString('base64')}` } }), 200, 'OTLP, Langfuse');
	ok(await front.request('POST', '/api/v1/private/otel/v1/traces', { body: otlpJson('opik-otlp'), headers: comet0(ws) }), 200, 'OTLP, Opik');
	ok(await front.request('POST', `${WS_PREFIX}/${ws}/ingest/chat-completions`, { body: {
		request: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
		response: { id: id('chat'), model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }] } } }), [200, 201], 'chat');
	ok(await front.request('POST', `${WS_PREFIX}/${ws}/ingest/atif`, { body: { ...ATIF, session_id: id('atif') } }), 201, 'ATIF');
	const comet = { 'Comet-Workspace': ws };
	ok(await front.request('POST', '/v1/private/spans/batch', { headers: comet, body: { spans: [
		{ id: id('opik'), trace_id: id('t'), name: 'opik', start_time: iso(T + i), project_name: 'p' }] } }), 204, 'Opik spans');
	ok(await front.request('POST', '/api/v1/private/traces/batch', { headers: comet, body: { traces: [
		{ id: id('ot'), name: 'opik-trace', start_time: iso(T + i), project_name: 'p' }] } }), 204, 'Opik traces');
	const acct = { 'x-selected-account-id': ws };
	ok(await front.request('POST', '/v5/spans', { headers: acct, body: { id: id('sgp'), name: 'sgp', trace_id: id('t'), start_timestamp: iso(T + i) } }), 200, 'SGP create');
	ok(await front.request('POST', '/v5/spans/batch', { headers: acct, body: { items: [
		{ id: id('sgp2'), name: 'sgp-batch', trace_id: id('t'), start_timestamp: iso(T + i) }] } }), 200, 'SGP batch');
}

// Every query API reads the workspace back through srv (the front, or another front).
async function readAll(srv, ws) {
	const id = (k) => `${ws}-${k}`;
	const spans = await srv.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=100`);
	assert.equal(spans.status, 200, spans.text);
	assert.equal(spans.json.pagination.total_results, PER_WS, `${ws}: ${spans.text}`);
	const otlp = spans.json.data.find((s) => s.name === 'otlp');
	assert.equal(JSON.parse(otlp?.input ?? '[]')[0]?.parts[0].content, ws, `${ws}: the log's content on its span`);
	const tr = await srv.request('GET', `${WS_PREFIX}/${ws}/traces/${id('t')}`);
	assert.equal(tr.json.span_count, 4, `${ws}: ${tr.text}`); // direct, Opik, Scale GP twice
	const trs = await srv.request('GET', `${WS_PREFIX}/${ws}/traces?page_size=100`);
	assert.equal(trs.status, 200, trs.text);
	assert.equal(trs.json.data.find((t) => t.id === id('t'))?.span_count, 4, `${ws}: ${trs.text}`);
	const comet = { 'Comet-Workspace': ws };
	const o = await srv.request('GET', `/v1/private/spans/${id('sgp')}`, { headers: comet });
	assert.equal(o.status, 200, o.text);
	const ot = await srv.request('GET', `/api/v1/private/traces/${id('ot')}`, { headers: comet });
	assert.equal(ot.json?.name, 'opik-trace', ot.text);
	const stream = await srv.request('POST', '/v1/private/spans/search', { headers: comet, body: { project_name: 'p', limit: 100 } });
	assert.equal(stream.status, 200, stream.text);
	const streamed = stream.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l).id);
	assert.ok(streamed.includes(id('opik')), `${ws}: ${stream.text}`);
	const acct = { 'x-selected-account-id': ws };
	const s = await srv.request('POST', '/v5/spans/search', { headers: acct, body: { trace_ids: [id('t')] } });
	assert.equal(s.json.total, 4, s.text);
	const l = await srv.request('GET', `/v5/spans?trace_id=${id('t')}`, { headers: acct });
	assert.equal(l.status, 200, l.text);
	assert.ok(l.json.items.some((x) => x.id === id('sgp2')), `${ws}: ${l.text}`);
}

// n at a time, so the two backends' workers are busy together.
async function inParallel(list, n, fn) {
	for (let i = 0; i < list.length; i += n) await Promise.all(list.slice(i, i + n).map((x, j) => fn(x, i + j)));
}

test('50 workspaces through the front, every ingest format and API; each on one backend, both backends used', async () => {
	await inParallel(WS, 5, (ws, i) => writeAll(i, ws));
	await inParallel(WS, 5, (ws) => readAll(front, ws));
	let onA = 0;
	const servers = [a, b].map((s) => `127.0.0.1:${s.port}`);
	for (const ws of WS) {
		assert.notEqual(onDisk(a, ws), onDisk(b, ws), `${ws} lives on exactly one backend`);
		onA += onDisk(a, ws);
		// Where nginx put it is where its hash of the servers' text says.
		assert.equal(chashPick(servers, ws), servers[onDisk(a, ws) ? 0 : 1], ws);
	}
	// The split follows the hash of the two servers' texts, whose ports are free ones picked at
	// random; each workspace's place is checked against that hash above. Over 3,000 random port
	// pairs, 0.4% of splits fell outside 15-35 of 50 (a flaky bound) and none outside 5-45.
	assert.ok(onA >= 5 && onA <= 45, `${onA} of 50 workspaces on backend a`);
});

// The list of workspaces names none: the front asks every backend and answers the union, in
// the order of -b, each backend's as it lists them (docs/scaling.md, "The list of workspaces").
const listOf = async (srv, headers) => {
	const r = await srv.request('GET', '/apis/intake/v2/workspaces', { headers });
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(Object.keys(r.json), ['data'], r.text);
	return r.json.data.map((w) => w.name);
};

test('the list of workspaces through the front is every backend\'s', async () => {
	const [onA, onB] = [await listOf(a), await listOf(b)];
	assert.ok(onA.length > 0 && onB.length > 0, `${onA} / ${onB}`);
	const all = await listOf(front);
	assert.deepEqual(all, [...onA, ...onB]);
	for (const ws of WS) assert.ok(all.includes(ws), `${ws} in ${all}`);
	// HEAD as GET; another method is the backend's of "default" (its 405, as without a front).
	assert.equal((await front.request('HEAD', '/apis/intake/v2/workspaces')).status, 200);
	const post = await front.request('POST', '/apis/intake/v2/workspaces', { body: {} });
	assert.deepEqual([post.status, post.json], [405, { detail: 'Method Not Allowed' }], post.text);
	// Its inner locations are not reachable from outside.
	for (const p of ['/.spandex-front-list/1', '/.spandex-front-list/key/1']) {
		const r = await front.request('GET', p);
		assert.deepEqual([r.status, r.json], [404, { detail: 'Not Found' }], `${p}: ${r.text}`);
	}
});

// A path under an API's prefix (nginx/shapes) that no program answers: the API's 404 in its
// shape through the front as from a backend, and the front's own errors on it in that shape too
// (its body limit here).
test('an unknown path under each API\'s prefix is that API\'s 404 through the front, and its 413', async () => {
	const big = Buffer.alloc(9 << 20, 0x20);
	for (const { path: p, shape } of unknownPaths()) {
		const r = await front.request('GET', p);
		assert.ok(isShaped404(r, shape), `${p}: ${shape} 404, not ${r.status} ${r.text}`);
		const too = await front.request('POST', p, { body: big });
		assert.deepEqual([too.status, too.json], [413, shapedBody(shape, 413, 'Request body is larger than the limit of 8 MiB')], `${p}: ${too.text}`);
	}
});

test('the hash depends on each backend\'s text, not its order: a front with the list reversed serves every workspace', async () => {
	const reversed = await startFront([b, a]);
	try {
		await inParallel(WS, 5, async (ws) => {
			const r = await reversed.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=1`);
			assert.equal(r.json?.pagination?.total_results, PER_WS, `${ws}: ${r.text}`);
		});
	} finally {
		reversed.stop();
	}
	// A backend given by a new address instead (what a promoted standby would be without a
	// stable name) takes other points: workspaces of the backend that stayed move too.
	const servers = [a, b].map((s) => `127.0.0.1:${s.port}`);
	const moved = [`127.0.0.2:${a.port}`, servers[1]];
	const stayedMoved = WS.filter((ws) => chashPick(servers, ws) === servers[1] && chashPick(moved, ws) !== servers[1]);
	assert.ok(stayedMoved.length > 0, 'a new address re-maps workspaces of the other backend');
});

test('a stopped backend costs only its own workspaces, with a JSON 503', async () => {
	const onB = WS.filter((ws) => onDisk(b, ws));
	const onA = WS.filter((ws) => onDisk(a, ws));
	// The front's own 413 (its body limit) is in the API's shape too.
	const big = Buffer.alloc(9 << 20, 0x20);
	const o413 = await front.request('POST', '/v1/private/spans/batch', { headers: { 'Comet-Workspace': onA[0] }, body: big });
	assert.deepEqual([o413.status, o413.json], [413, { code: 413, message: 'Request body is larger than the limit of 8 MiB' }], o413.text);
	const n413 = await front.request('POST', `${WS_PREFIX}/${onA[0]}/ingest/spans`, { body: big });
	assert.deepEqual([n413.status, n413.json], [413, { detail: 'Request body is larger than the limit of 8 MiB' }], n413.text);
	// Opik's OTLP path is the ingest program's, under Opik's prefix: its errors are FastAPI's,
	// as the backend's (the errors column of nginx/programs, which genconf -F reads).
	const t413 = await front.request('POST', '/api/v1/private/otel/v1/traces', { headers: { 'Comet-Workspace': onA[0] }, body: big });
	assert.deepEqual([t413.status, t413.json], [413, { detail: 'Request body is larger than the limit of 8 MiB' }], t413.text);
	// Langfuse's public API and the MCP server: their own shapes (nginx/shapes).
	const l413 = await front.request('POST', '/api/public/ingestion', { headers: { 'x-langfuse-public-key': onA[0] }, body: big });
	assert.deepEqual([l413.status, l413.json], [413, { message: 'Request body is larger than the limit of 8 MiB' }], l413.text);
	const m413 = await front.request('POST', '/mcp', { headers: { 'X-Workspace': onA[0] }, body: big });
	assert.deepEqual([m413.status, m413.json], [413, { jsonrpc: '2.0', error: { code: -32000,
		message: 'Request body is larger than the limit of 8 MiB', data: { http_status: 413 } } }], m413.text);
	await b.stop();
	try {
		const errlog = path.join(front.dir, 'error.log');
		for (const ws of onB.slice(0, 5)) {
			const seen = fs.statSync(errlog).size;
			const r = await front.request('GET', `${WS_PREFIX}/${ws}/spans`);
			// A refused connection answers at once, not after proxy_connect_timeout (2 s): the
			// front's log tells which it met (nginx writes it before the reply), where a clock
			// on a busy machine could not.
			const told = fs.readFileSync(errlog).subarray(seen).toString();
			assert.match(told, /connect\(\) failed \(111: Connection refused\) while connecting to upstream/, told);
			assert.doesNotMatch(told, /timed out/, told);
			assert.equal(r.status, 503, r.text);
			assert.match(r.json.detail, /backend of this workspace/);
			assert.ok(r.headers['retry-after']);
			// Each API in its own shape: Opik's {code, message} (opik.md §1), Scale GP's FastAPI.
			for (const p of ['/v1/private/spans', '/api/v1/private/traces']) {
				const o = await front.request('GET', `${p}?project_name=p`, { headers: { 'Comet-Workspace': ws } });
				assert.equal(o.status, 503, o.text);
				assert.deepEqual(Object.keys(o.json), ['code', 'message'], o.text);
				assert.equal(o.json.code, 503);
				assert.match(o.json.message, /backend of this workspace/);
				assert.equal(o.headers['retry-after'], '10');
			}
			const g = await front.request('POST', '/v5/spans/search', { headers: { 'x-selected-account-id': ws }, body: {} });
			assert.equal(g.status, 503, g.text);
			assert.match(g.json.detail, /backend of this workspace/);
			// Opik's OTLP path: the workspace from Comet-Workspace, the ingest program's shape.
			const t = await front.request('POST', '/v1/private/otel/v1/traces', { headers: { 'Comet-Workspace': ws }, body: { resourceSpans: [] } });
			assert.equal(t.status, 503, t.text);
			assert.deepEqual(Object.keys(t.json), ['detail'], t.text);
		}
		for (const ws of onA.slice(0, 5)) {
			const r = await front.request('GET', `${WS_PREFIX}/${ws}/spans`);
			assert.equal(r.status, 200, r.text);
		}
		// The list of workspaces: the backend that answers, without the stopped one's.
		assert.deepEqual(await listOf(front), await listOf(a));
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
	// Some spans on the old backend first.
	const acks = (n) => {
		const want = acked.length + n;
		return waitFor(`${want} spans acknowledged through the front`, () => acked.length >= want);
	};
	await acks(20);
	// The move as docs/scaling.md describes it.
	const dump = path.join(front.dir, `${ws}.jsonl`);
	const cli = async (...args) => {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, `spandex ${args.join(' ')}: ${r.stderr}`);
	};
	// The marker before the bulk copy: a day written after it is copied again.
	const marker = Date.now();
	await clockPast(marker);
	await cli('export', from.dataDir, '--workspace', ws, '--out', dump);
	await cli('import', to.dataDir, '--workspace', ws, dump);
	await acks(5); // writes go on during the copy
	front.freeze(`${ws} 1;\n`);
	// reload() returns once every old worker has exited, with the writes it held: from here
	// every write of ws answers 503, in each API's shape, and nothing more reaches the old
	// backend.
	await front.reload();
	const pb = await front.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'scale', spans: [
		{ span_id: 'frozen-probe', trace_id: 'move-t', name: 'w', kind: 'TOOL', status: 'success', started_at: iso(Date.now()) }] } });
	assert.equal(pb.status, 503, pb.text);
	assert.match(pb.json.detail, /moving/);
	assert.equal(pb.headers['retry-after'], '5');
	const po = await front.request('POST', '/v1/private/spans/batch', { headers: { 'Comet-Workspace': ws }, body: { spans: [
		{ id: 'frozen-probe', trace_id: 'move-t', name: 'w', start_time: iso(Date.now()) }] } });
	assert.equal(po.status, 503, po.text);
	assert.deepEqual(po.json, { code: 503, message: 'This workspace is moving to another backend; retry in a few seconds' });
	assert.equal((await front.request('GET', `${WS_PREFIX}/${ws}/spans?page_size=1`)).status, 200, 'reads go on');
	const frozenAt = acked.length;
	// The days written since the first copy, again (a span re-sent is a new version).
	const days = fs.readdirSync(path.join(from.dataDir, ws)).filter((f) => /\.jsonl$/.test(f) &&
		fs.statSync(path.join(from.dataDir, ws, f)).mtimeMs >= marker - 50).map((f) => f.slice(0, 10)); // -50: coarse file times
	for (const day of days) {
		const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86400e3).toISOString().slice(0, 10);
		await cli('export', from.dataDir, '--workspace', ws, '--from', day, '--to', next, '--out', dump);
		await cli('import', to.dataDir, '--workspace', ws, dump);
	}
	assert.equal(acked.length, frozenAt, 'no write acknowledged while frozen');
	front.pin(`${ws} 127.0.0.1:${to.port};\n`);
	front.freeze('');
	await front.reload();
	await acks(10); // writes to the new backend
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

test('with keys on the backends, the list through the front is what the request\'s key may read', async () => {
	// A key of a workspace is made on the backend that holds it; each backend then refuses
	// the other's key (401, an unknown key) and the front lists what the one that knows it lists.
	const ws = { a: 'listed-a', b: 'listed-b' };
	const key = {};
	for (const [name, srv] of [['a', a], ['b', b]]) {
		const w = await srv.request('POST', `${WS_PREFIX}/${ws[name]}/ingest/spans`, { body: { source: 'scale', spans: [
			{ span_id: 'l', trace_id: 'l', name: 'l', kind: 'TOOL', status: 'success', started_at: iso(T) }] } });
		assert.equal(w.status, 201, w.text);
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', ws[name], '--role', 'read', '--name', 'list']);
		assert.equal(r.code, 0, r.stderr);
		key[name] = r.stdout.trim();
	}
	const bearer = (k) => ({ Authorization: `Bearer ${k}` });
	assert.deepEqual(await listOf(front, bearer(key.a)), [ws.a]);
	assert.deepEqual(await listOf(front, bearer(key.b)), [ws.b]);
	// No backend lists for no key or an unknown one: the backend of "default" answers, as alone.
	const none = await front.request('GET', '/apis/intake/v2/workspaces');
	assert.deepEqual([none.status, none.json], [401, { detail: 'Not authenticated' }], none.text);
	assert.equal(none.headers['www-authenticate'], 'Bearer');
	const unknown = await front.request('GET', '/apis/intake/v2/workspaces', { headers: bearer('spx_0123456789abcdef0123456789abcdef01234567') });
	assert.equal(unknown.status, 401, unknown.text);
	assert.match(unknown.json.detail, /^Unknown API key/);
});
