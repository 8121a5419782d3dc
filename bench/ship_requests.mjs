// ship_requests.mjs: the requests a workspace costs in the bucket (issue 51; docs/bucket.md,
// "Cost"), counted, not estimated: every request spandex makes goes through a proxy in front of
// a real radosgw (t/s3.sh starts one unless SPANDEX_TEST_S3_ENDPOINT and the rest name one),
// which counts them by kind (LIST, PUT, GET, HEAD, DELETE). Prints a Markdown report on stdout,
// progress on stderr; no timing is checked.
//
//   node bench/ship_requests.mjs [PASSES] [IDLE_SECONDS]
//
// 1. The check `spandex ship` makes of the bucket at its start (the loop makes it once).
// 2. Busy: PASSES (default 750: past twice SHIP_SNAP_OBJECTS, 360, so the second snapshot
//    after the first pass's compacts a whole interval, as every later one does) single
//    passes, each after one write of a batch (Intake, three spans over three days); each
//    pass's requests less the start check, by kind of pass (`--verbose` says which wrote a
//    snapshot), each snapshot apart.
// 3. Idle: a `spandex ship --every 5` loop over the same workspace with no write, counted for
//    IDLE_SECONDS (default 130) after its first passes: its requests a minute.
// Then a month at the default interval (`--every 10`: 259,200 passes).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BUILDDIR, startServer, request, spandexCli, sleep } from '../t/harness.mjs';
import { s3Server, makeBucket, s3Env, faultProxy } from '../t/s3.mjs';

const PASSES = Number(process.argv[2] || 750);
const IDLE_S = Number(process.argv[3] || 130);
const SPANDEX = path.join(BUILDDIR, 'src', 'spandex');
const MONTH_PASSES = (30 * 86400) / 10;
const KINDS = ['LIST', 'PUT', 'GET', 'HEAD', 'DELETE'];
const log = (s) => process.stderr.write(`ship_requests: ${s}\n`);

// A proxy that passes every request on and counts it by kind.
async function countingProxy(s3) {
	const counts = Object.fromEntries(KINDS.map((k) => [k, 0]));
	const proxy = await faultProxy(s3, {
		onRequest(req) {
			const kind = req.method === 'GET' && /[?&]list-type=2/.test(req.url) ? 'LIST' : req.method;
			counts[kind] = (counts[kind] || 0) + 1;
		},
	});
	return { endpoint: proxy.endpoint, counts, close: proxy.close };
}

const snap = (c) => ({ ...c });
const diff = (a, b) => Object.fromEntries(KINDS.map((k) => [k, (b[k] || 0) - (a[k] || 0)]));
const add = (a, b) => Object.fromEntries(KINDS.map((k) => [k, (a[k] || 0) + (b[k] || 0)]));
const total = (c) => KINDS.reduce((n, k) => n + (c[k] || 0), 0);
const row = (what, c, per = 1) => `| ${what} | ${KINDS.map((k) => fmt((c[k] || 0) / per)).join(' | ')} | ${fmt(total(c) / per)} |`;
function fmt(x) {
	return Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

async function ship(env, data) {
	const r = await spandexCli(['ship', data, '--verbose'], { env });
	if (r.code !== 0) throw new Error(`spandex ship: ${r.stderr}`);
	return r.stdout;
}

const s3 = await s3Server();
const proxy = await countingProxy(s3);
const env = s3Env({ ...s3, endpoint: proxy.endpoint }, await makeBucket(s3, 'requests'));
const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ship-requests-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// 1. The start check: a pass over a directory with no workspace.
let c0 = snap(proxy.counts);
await ship(env, tmp);
const check = diff(c0, proxy.counts);
log(`the start check: ${JSON.stringify(check)}`);

// 2. Busy passes.
const A = await startServer({ env });
const deltas = { n: 0, c: {} };
const snaps = []; // [{pass, c}]
const day = (back) => new Date(Date.now() - back * 86400000).toISOString();
for (let i = 0; i < PASSES; i++) {
	const spans = [0, 1, 2].map((k) => ({ span_id: `s-${i}-${k}`, trace_id: `t-${i}`, started_at: day(k), name: `n${i}` }));
	const w = await request('POST', '/apis/intake/v2/workspaces/busy/ingest/spans', { body: { source: 'bench', spans }, base: A.base });
	if (w.status !== 201) throw new Error(`ingest: ${w.status} ${w.text}`);
	c0 = snap(proxy.counts);
	const out = await ship(env, A.dataDir);
	const c = diff(check, diff(c0, proxy.counts));
	if (/\(snapshot\)/.test(out)) {
		snaps.push({ pass: i + 1, c });
	} else {
		deltas.n++;
		deltas.c = add(deltas.c, c);
	}
	if (i % 50 === 49) log(`${i + 1} busy passes`);
}

// 3. Idle: the loop with nothing to ship.
const loop = spawn(SPANDEX, ['ship', A.dataDir, '--every', '5'], { env: { ...process.env, ...env }, stdio: 'ignore' });
// Counted from its third pass on: its first passes follow the busy ones by less than
// SHIP_STATUS_SEC, so they look for another host's object before the state keeps when they did.
await sleep(12000); // spans of time measured, not a synchronization
c0 = snap(proxy.counts);
const t0 = Date.now();
await sleep(IDLE_S * 1000);
loop.kill('SIGTERM');
await new Promise((r) => loop.once('exit', r));
const idle = diff(c0, proxy.counts);
const idleMin = (Date.now() - t0) / 60000;
await A.stop();
proxy.close();

// A month: the deltas' mean every pass, and the last snapshot (a whole interval compacted) every
// SHIP_SNAP_OBJECTS passes, as the passes measured had them.
const every = snaps.length > 1 ? snaps[snaps.length - 1].pass - snaps[snaps.length - 2].pass : Infinity;
const last = snaps[snaps.length - 1].c;
const busyMonth = Object.fromEntries(KINDS.map((k) => [k,
	Math.round(((deltas.c[k] || 0) / deltas.n) * MONTH_PASSES + (last[k] || 0) * (MONTH_PASSES / every))]));
const idleMonth = Object.fromEntries(KINDS.map((k) => [k, Math.round(((idle[k] || 0) / idleMin) * 60 * 24 * 30)]));
console.log(`## Requests to the bucket per workspace (\`node bench/ship_requests.mjs ${PASSES}\`)\n`);
console.log(`| what | ${KINDS.join(' | ')} | all |`);
console.log(`|---|${KINDS.map(() => '---:').join('|')}|---:|`);
console.log(row('the start check of `spandex ship` (once per loop)', check));
console.log(row(`a busy pass that writes a delta (mean of ${deltas.n})`, deltas.c, deltas.n));
for (const x of snaps) console.log(row(`busy pass ${x.pass}: a snapshot${x.pass === 1 ? ' (the first)' : ', and its compaction'}`, x.c));
console.log(row(`an idle loop, a minute (${IDLE_S} s measured)`, idle, idleMin));
console.log(row(`busy, a month at --every 10 (a snapshot every ${every} passes)`, busyMonth));
console.log(row('idle, a month', idleMonth));
