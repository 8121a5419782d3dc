// media_ingest: spans with a 2 MB screenshot each (an OpenAI image_url data URI in the input,
// issue 52), ingested through nginx with the payloads moved into media files (the default)
// and kept in the lines (SPANDEX_MEDIA_MIN=off): spans/s, the bytes on disk, and what a list
// page and a free-text search then cost, p50.
//   node bench/media_ingest.mjs          smoke size (8 screenshots, 200 plain spans)
//   node bench/media_ingest.mjs 100      full size (100 screenshots, 2,500 plain spans)
// Uses t/harness.mjs (set SPANDEX_BUILDDIR for an out-of-tree build). Each screenshot is
// different (2 MiB of bytes behind a PNG signature); a request carries one span, two at once.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { startServer, spandexCli, WS_PREFIX } from '../t/harness.mjs';

const SHOTS = Number(process.argv[2] || 8);
const PLAIN = SHOTS * 25;
const CONCURRENCY = 2;
const ROUNDS = Math.max(5, Math.min(20, 2000 / SHOTS));
const WS = 'bench-media';
const SHOT = 2 << 20;

function send(agent, port, method, p, body) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, method, agent, path: p,
			headers: body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {} }, (res) => {
			let n = 0;
			res.on('data', (c) => (n += c.length));
			res.on('end', () => (res.statusCode < 300 ? resolve(n)
				: method === 'GET' && res.statusCode === 400 ? resolve(-1) // over a query budget
					: reject(new Error(`${method} ${p}: HTTP ${res.statusCode}`))));
		});
		req.on('error', reject);
		req.end(body);
	});
}

const t0 = Date.now() - 3600e3;
const span = (i, input) => ({ span_id: `s-${i}`, trace_id: `t-${i}`, name: `screen ${i}`, kind: 'LLM',
	started_at: new Date(t0 + i).toISOString(), ended_at: new Date(t0 + i + 900).toISOString(), input, output: 'A login form with two fields.' });
const body = (spans) => Buffer.from(JSON.stringify({ source: 'bench', spans }));

function screenshot(i) {
	const b = crypto.randomBytes(SHOT);
	Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
	b.writeUInt32BE(i, 8);
	return b;
}

// Bytes under dir (the lines, their indexes and tables, the media files).
function du(dir) {
	let n = 0;
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		n += e.isDirectory() ? du(p) : fs.statSync(p).size;
	}
	return n;
}
const p50 = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;

// p50 of GET p, and the bytes of its answer; bytes -1 when the query is refused (400: a list
// of spans whose lines pass SPANDEX_QUERY_MEM, 256 MiB).
async function timed(agent, port, p) {
	const ms = [];
	let bytes = 0;
	for (let r = 0; r < ROUNDS; r++) {
		const t = process.hrtime.bigint();
		bytes = await send(agent, port, 'GET', p);
		ms.push(Number(process.hrtime.bigint() - t) / 1e6);
	}
	return { ms: p50(ms), bytes };
}
const shown = (r) => (r.bytes < 0 ? `refused (400, over the query's memory budget) in ${r.ms.toFixed(1)} ms` : `${r.ms.toFixed(1)} ms, ${mb(r.bytes)}`);

async function run(name, env, shots) {
	const srv = await startServer({ env: { SPANDEX_SYNC: '1', ...env } });
	try {
		const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
		const bodies = shots.map((s, i) => body([span(i, JSON.stringify({ messages: [{ role: 'user', content: [
			{ type: 'text', text: 'What does this screen show?' },
			{ type: 'image_url', image_url: { url: `data:image/png;base64,${s.toString('base64')}` } }] }] }))]));
		let next = 0;
		const t = process.hrtime.bigint();
		await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
			while (next < bodies.length) await send(agent, srv.port, 'POST', `${WS_PREFIX}/${WS}/ingest/spans`, bodies[next++]);
		}));
		const secs = Number(process.hrtime.bigint() - t) / 1e9;
		// Plain spans beside them, as a workspace has.
		for (let i = 0; i < PLAIN; i += 500)
			await send(agent, srv.port, 'POST', `${WS_PREFIX}/${WS}/ingest/spans`,
				body(Array.from({ length: Math.min(500, PLAIN - i) }, (_, k) => span(SHOTS + i + k, `How do I reset my password? (${i + k})`))));
		const disk = du(path.join(srv.dataDir, WS));
		const media = fs.existsSync(path.join(srv.dataDir, WS, 'media')) ? du(path.join(srv.dataDir, WS, 'media')) : 0;
		const list10 = await timed(agent, srv.port, `${WS_PREFIX}/${WS}/spans?page_size=10&sort=started_at`);
		const list = await timed(agent, srv.port, `${WS_PREFIX}/${WS}/spans?page_size=100&sort=started_at`);
		const search = await timed(agent, srv.port, `${WS_PREFIX}/${WS}/spans?page_size=10&search=${encodeURIComponent('"reset my password? (3)"')}`);
		agent.destroy();
		console.log(`${name.padEnd(22)} ${shots.length} screenshot spans in ${secs.toFixed(2)} s: ${(shots.length / secs).toFixed(1)} spans/s, ${mb(shots.length * SHOT / secs)}/s of images;` +
			` on disk ${mb(disk)} (lines ${mb(disk - media)}, media ${mb(media)});` +
			` a list page of 10 screenshot spans: ${shown(list10)}, of ${Math.min(100, shots.length)}: ${shown(list)};` +
			` search over ${shots.length + PLAIN} spans: ${search.ms.toFixed(1)} ms`);
		const v = await spandexCli(['verify', srv.dataDir]);
		if (v.code !== 0) throw new Error(`spandex verify failed:\n${v.stdout}${v.stderr}`);
	} finally {
		await srv.stop();
	}
}

const shots = Array.from({ length: SHOTS }, (_, i) => screenshot(i));
await run('moved (default)', {}, shots);
await run('kept inline (off)', { SPANDEX_MEDIA_MIN: 'off' }, shots);
