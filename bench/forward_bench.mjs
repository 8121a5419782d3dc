// forward_bench: how fast `spandex forward` delivers a backlog to a real OTLP receiver (a second
// spandex through nginx, as t/harness.mjs starts one), against that receiver's own ingest rate
// for the same spans in the same requests (issue 56).
//   node bench/forward_bench.mjs            smoke size (20,000 spans; make bench-smoke)
//   node bench/forward_bench.mjs 100000     the published figure (BENCHMARKS.md)
// The backlog is bench/gen's (one workspace, 30 days, 200-4000 bytes of input and output a
// span). Rows: the forwarder in one pass (protobuf with gzip, its default; then OTLP/JSON
// without), timed with /usr/bin/time (wall, CPU, peak RSS); then the receiver fed the same
// spans as OTLP/JSON requests of FWD_BATCH_SPANS by a client that sends them one after another
// (as the forwarder does) and by four at once. Set SPANDEX_BUILDDIR for an out-of-tree build.
// No timing is checked: it fails only when a command or a request fails.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, BUILDDIR } from '../t/harness.mjs';

const SPANS = Number(process.argv[2] || 20000);
const BATCH = 512; // FWD_BATCH_SPANS (src/forward.h)
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-fwdbench-'));
const src = path.join(tmp, 'src');
const log = (m) => process.stderr.write(`forward_bench: ${m}\n`);

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
	if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
	return r;
}

// spandex forward SRC under /usr/bin/time: wall, CPU seconds, peak RSS MB.
function forward(conf) {
	fs.writeFileSync(path.join(src, '.spandex-forward.conf'), conf);
	const r = run('/usr/bin/time', ['-f', '%e %U %S %M', path.join(BUILDDIR, 'src', 'spandex'), 'forward', src]);
	const [wall, user, sys, rss] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
	return { wall, cpu: user + sys, rss: rss / 1024 };
}

function post(base, ws, body) {
	const url = new URL(`${base}/v1/traces`);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
			headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Workspace': ws } }, (res) => {
			res.resume();
			res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
		});
		req.on('error', reject);
		req.end(body);
	});
}

// The receiver fed bodies by `clients` clients at once: seconds.
async function feed(base, ws, bodies, clients) {
	let next = 0;
	const t0 = process.hrtime.bigint();
	await Promise.all(Array.from({ length: clients }, async () => {
		while (next < bodies.length) await post(base, ws, bodies[next++]);
	}));
	return Number(process.hrtime.bigint() - t0) / 1e9;
}

log(`generating ${SPANS} spans (bench/gen)`);
run(path.join(BUILDDIR, 'bench', 'gen'), [String(SPANS), src, '1', '1']);
const dst = await startServer();
try {
	const rows = [];
	log('spandex forward, http/protobuf + gzip');
	const pb = forward(`[pb]\nurl = ${dst.base}/v1/traces\nheader = X-Workspace: fwd-pb\n`);
	rows.push(['`spandex forward`, http/protobuf, gzip (one request at a time)', pb]);
	log('spandex forward, http/json');
	const js = forward(`[js]\nurl = ${dst.base}/v1/traces\nprotocol = http/json\ncompression = none\nheader = X-Workspace: fwd-js\n`);
	rows.push(['`spandex forward`, http/json, no compression', js]);

	// The same spans in the forwarder's requests: the export's OTLP/JSON spans (day by day, in
	// the order of the day's JSONL, which holds each span's ingested_at) put back in the order
	// of their commits, in requests of BATCH spans. The order matters: a request whose spans
	// fall on many days costs the receiver a sync of each day.
	const exp = (fmt, day) => run(path.join(BUILDDIR, 'src', 'spandex'), ['export', src, '--workspace', 'bench-0',
		'--format', fmt, '--from', day, '--to', new Date(Date.parse(day) + 86400e3).toISOString().slice(0, 10)]).stdout;
	const days = fs.readdirSync(path.join(src, 'bench-0')).filter((f) => f.endsWith('.idx')).map((f) => f.slice(0, 10));
	const spans = [];
	let resource, scope;
	for (const day of days) {
		const doc = JSON.parse(exp('otlp-json', day));
		const at = exp('jsonl', day).trim().split('\n').map((l) => JSON.parse(l).ingested_at);
		let i = 0;
		for (const rs of doc.resourceSpans) {
			for (const ss of rs.scopeSpans) {
				resource = rs.resource;
				scope = ss.scope;
				for (const s of ss.spans) spans.push({ at: at[i++], text: JSON.stringify(s) });
			}
		}
	}
	spans.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
	// (bench/gen's spans share one resource and scope: the forwarder sends them as one group.)
	const head = `{"resourceSpans":[{"resource":${JSON.stringify(resource)},"scopeSpans":[{"scope":${JSON.stringify(scope)},"spans":[`;
	const bodies = [];
	for (let i = 0; i < spans.length; i += BATCH)
		bodies.push(Buffer.from(`${head}${spans.slice(i, i + BATCH).map((x) => x.text).join(',')}]}]}]}`));
	spans.length = 0;
	for (const clients of [1, 4]) {
		log(`the receiver's own ingest, ${clients} client(s)`);
		const wall = await feed(dst.base, `own-${clients}`, bodies, clients);
		rows.push([`the receiver's ingest of the same requests (OTLP/JSON), ${clients} client${clients > 1 ? 's' : ''}`, { wall }]);
	}
	const own = rows[2][1].wall;
	console.log(`### forwarding: ${SPANS} spans to a second spandex on loopback`);
	console.log();
	console.log(`Both spandex on this machine's ${os.cpus().length} CPUs; the receiver with its default workers behind nginx. Load average before: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`);
	console.log();
	console.log('| delivery | wall s | spans/s | of the receiver\'s own rate (1 client) | CPU s | peak RSS MB |');
	console.log('|---|---|---|---|---|---|');
	for (const [what, r] of rows) {
		console.log(`| ${what} | ${r.wall.toFixed(2)} | ${Math.round(SPANS / r.wall)} | ${(own / r.wall).toFixed(2)} | ${r.cpu === undefined ? '' : r.cpu.toFixed(2)} | ${r.rss === undefined ? '' : r.rss.toFixed(1)} |`);
	}
} finally {
	await dst.stop();
	if (process.env.BENCH_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
}
