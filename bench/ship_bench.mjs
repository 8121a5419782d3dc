// ship_bench.mjs: the bucket's figures (issue 51; docs/bucket.md) against a real radosgw on
// loopback (t/s3.sh starts one unless SPANDEX_TEST_S3_ENDPOINT and the rest name one). Prints
// one Markdown report on stdout, progress on stderr; no timing is checked.
//
//   S3_OSD_STORE=bluestore TMPDIR=/var/tmp node bench/ship_bench.mjs [SPANS] [ROUNDS]
//
// SPANS defaults to 200000 (~1 GB of lines), ROUNDS to 3. bluestore (a sparse 10 GiB file):
// the default memstore holds 1 GiB in RAM, and this puts the store in the bucket twice.
//
// 1. ship: a store of SPANS spans (bench/gen, 30 days) shipped by one `spandex ship` (its first
//    pass: a snapshot, one object per day), against `sha256sum` + `curl --aws-sigv4 -T` of the
//    same files, one after another, into another prefix, and against one curl process that
//    PUTs them all on one connection with their hashes made beforehand (not timed: the
//    strictest reference); and the shipper's peak memory (/usr/bin/time).
// 2. pull: `spandex pull --verbose` of it on an empty directory (fetch and reindex reported
//    apart), against `curl` GETs of the same objects.
// 3. ingest: POSTs of 100-span batches (4 clients) without a bucket and with one in async mode
//    (a `spandex ship --every 10` loop running), alternated ROUNDS times (which goes first
//    alternates too): the median of each round's ratio of spans/s, and the CPU the loop and
//    the S3 server took during the "on" rounds (on this machine they share its cores).
// 4. sync: the latency of one batch at a time with SPANDEX_S3_SYNC=1 against async, and the
//    rate of 4 clients in sync mode.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { BUILDDIR, startServer, run } from '../t/harness.mjs';
import { s3Server, makeBucket, s3Env, listKeys } from '../t/s3.mjs';

const SPANS = Number(process.argv[2] || 200000);
const ROUNDS = Number(process.argv[3] || 3);
const SPANDEX = path.join(BUILDDIR, 'src', 'spandex');
const GEN = path.join(BUILDDIR, 'bench', 'gen');
const log = (s) => process.stderr.write(`ship_bench: ${s}\n`);
const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'ship-bench-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const secs = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
// cmd under /usr/bin/time: its seconds, peak RSS ("%M", KiB: stderr's last line) and stdout.
async function timedRss(cmd, args, env) {
	const t0 = process.hrtime.bigint();
	const r = await run('/usr/bin/time', ['-f', '%M', cmd, ...args], { env: { ...process.env, ...env } });
	if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
	const lines = r.stderr.trim().split('\n');
	return { sec: secs(t0), rssKiB: Number(lines.pop()), out: r.stdout };
}

function curlArgs(s3) {
	return ['-sS', '-f', '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${s3.key}:${s3.secret}`];
}
function files(dir) {
	const out = [];
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) out.push(...files(p));
		else if (/\.jsonl(\.zst)?$/.test(e.name)) out.push(p);
	}
	return out;
}

async function shipAndPull(s3) {
	const data = path.join(tmp, 'a');
	log(`bench/gen ${SPANS} spans into ${data}`);
	execFileSync(GEN, [String(SPANS), data, '1', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
	const bucket = await makeBucket(s3, 'bench');
	const env = s3Env(s3, bucket);
	const ship = await timedRss(SPANDEX, ['ship', data], env);
	const objs = await listKeys(s3, bucket, 'spx/');
	const bytes = objs.reduce((n, o) => n + o.size, 0);
	log(`ship: ${bytes} bytes in ${objs.length} objects, ${ship.sec.toFixed(2)} s, peak RSS ${ship.rssKiB} KiB`);
	// The same lines with curl, one file after another (sha256 of each, as spandex sends it).
	const fl = files(data);
	let t0 = process.hrtime.bigint();
	for (const [i, f] of fl.entries()) {
		const sha = execFileSync('sha256sum', [f]).toString().split(' ')[0];
		execFileSync('curl', [...curlArgs(s3), '-H', `x-amz-content-sha256: ${sha}`, '-T', f,
			`${s3.endpoint}/${bucket}/curl/${i}`, '-o', '/dev/null']);
	}
	const curlUp = secs(t0);
	const curlBytes = fl.reduce((n, f) => n + fs.statSync(f).size, 0);
	log(`curl: ${curlBytes} bytes in ${fl.length} files, ${curlUp.toFixed(2)} s`);
	// curl at its best: one process, one kept connection (--next), the hashes made beforehand
	// and not timed: only the PUTs of the same bytes, the strictest reference.
	const shas = fl.map((f) => execFileSync('sha256sum', [f]).toString().split(' ')[0]);
	const one = fl.flatMap((f, i) => [...(i ? ['--next'] : []), ...curlArgs(s3), '-H', `x-amz-content-sha256: ${shas[i]}`,
		'-T', f, `${s3.endpoint}/${bucket}/curl1/${i}`, '-o', '/dev/null']);
	t0 = process.hrtime.bigint();
	execFileSync('curl', one);
	const curlOne = secs(t0);
	log(`curl, one connection, hashes given: ${curlOne.toFixed(2)} s`);
	// pull on an empty directory, then curl GETs of the same objects.
	const b = path.join(tmp, 'b');
	const pull = await timedRss(SPANDEX, ['pull', b, '--verbose'], env);
	const m = /in ([\d.]+) s, indexed in ([\d.]+) s/.exec(pull.out) || [];
	t0 = process.hrtime.bigint();
	for (const o of objs)
		execFileSync('curl', [...curlArgs(s3), '-H', 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
			`${s3.endpoint}/${bucket}/${o.key}`, '-o', '/dev/null']);
	const curlDown = secs(t0);
	log(`pull: ${pull.sec.toFixed(2)} s (fetch ${m[1]} s, reindex ${m[2]} s), peak RSS ${pull.rssKiB} KiB; curl GETs ${curlDown.toFixed(2)} s`);
	fs.rmSync(b, { recursive: true, force: true });
	return { ship, bytes, nobj: objs.length, curlUp, curlOne, curlBytes, pull, fetch: Number(m[1]), index: Number(m[2]), curlDown, data };
}

// K batches of 100 spans over C keep-alive clients to base: spans/s and per-batch latencies.
function makeBody(n, tag) {
	const day = new Date().toISOString().slice(0, 10);
	const spans = [];
	for (let i = 0; i < 100; i++)
		spans.push({ span_id: `${tag}-${n}-${i}`, trace_id: `${tag}-t${n}`, name: 'llm call', kind: 'LLM',
			started_at: `${day}T00:00:00Z`, ended_at: `${day}T00:00:01Z`, input: 'the question '.repeat(40), output: 'the answer '.repeat(50),
			attributes: { 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.prompt': 120, 'llm.token_count.completion': 80 } });
	return JSON.stringify({ source: 'bench', spans });
}
async function load(base, ws, batches, clients, tag) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
	const url = new URL(`${base}/apis/intake/v2/workspaces/${ws}/ingest/spans`);
	const lat = [];
	let next = 0;
	const one = (body) => new Promise((res, rej) => {
		const t0 = process.hrtime.bigint();
		const r = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (x) => {
			x.resume();
			x.on('end', () => (x.statusCode === 201 ? res(secs(t0)) : rej(new Error(`status ${x.statusCode}`))));
		});
		r.on('error', rej);
		r.end(body);
	});
	const t0 = process.hrtime.bigint();
	await Promise.all(Array.from({ length: clients }, async () => {
		for (let n = next++; n < batches; n = next++) lat.push(await one(makeBody(n, tag)));
	}));
	const sec = secs(t0);
	agent.destroy();
	lat.sort((a, b) => a - b);
	return { rate: (batches * 100) / sec, p50: lat[lat.length >> 1] * 1000, p99: lat[Math.floor(lat.length * 0.99)] * 1000 };
}
// The middle value (of an even count, the mean of the two middle ones).
const median = (a) => {
	const s = [...a].sort((x, y) => x - y), m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// CPU seconds (user + system) pid has used so far (/proc, utime and stime); 0 when it is gone.
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString());
function cpuOf(pid) {
	try {
		const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(f[11]) + Number(f[12])) / CLK_TCK;
	} catch {
		return 0;
	}
}
// The pids of the S3 server's daemons (t/s3.sh's run/*.spawn.pid), when it is ours to see.
function s3Pids(s3) {
	const run = s3.dir ? path.join(s3.dir, 'run') : null;
	if (!run || !fs.existsSync(run)) return [];
	return fs.readdirSync(run).filter((f) => f.endsWith('.spawn.pid')).map((f) => Number(fs.readFileSync(path.join(run, f), 'utf8')));
}
const sum = (a) => a.reduce((x, y) => x + y, 0);

// INGEST_BATCHES (default 3000: 300k spans, about 25 s a round here, so that each "on" round
// holds two or three passes of the 10 s loop) 100-span batches a round.
const INGEST_BATCHES = Number(process.env.INGEST_BATCHES || 3000);
async function ingest(s3) {
	const off = [], on = [], ratio = [], shipCpu = [], s3Cpu = [];
	const pids = s3Pids(s3);
	for (let r = 0; r < ROUNDS; r++) {
		// A bucket a round: each round's host is a new one, which another's log would fence.
		const env = s3Env(s3, await makeBucket(s3, `ingest${r}`));
		// Which goes first alternates too, so a load that rises through a round favours neither.
		const modes = r % 2 ? ['on', 'off'] : ['off', 'on'];
		const got = {};
		for (const mode of modes) {
			const A = await startServer({ env: mode === 'on' ? env : {}, workers: 2 });
			const loop = mode === 'on' ? spawn(SPANDEX, ['ship', A.dataDir, '--every', '10'], { env: { ...process.env, ...env }, stdio: 'ignore' }) : null;
			const s3Before = sum(pids.map(cpuOf));
			try {
				const x = await load(A.base, 'bench-w', INGEST_BATCHES, 4, `r${r}`);
				got[mode] = x.rate;
				if (loop) {
					shipCpu.push(cpuOf(loop.pid) / (INGEST_BATCHES * 100 / x.rate));
					s3Cpu.push((sum(pids.map(cpuOf)) - s3Before) / (INGEST_BATCHES * 100 / x.rate));
				}
				log(`ingest round ${r} ${mode}: ${x.rate.toFixed(0)} spans/s (load ${os.loadavg()[0].toFixed(1)})`);
			} finally {
				loop?.kill('SIGTERM');
				await A.stop();
			}
		}
		off.push(got.off);
		on.push(got.on);
		ratio.push(got.on / got.off);
	}
	return { off: median(off), on: median(on), ratio: median(ratio), lo: Math.min(...ratio), hi: Math.max(...ratio),
		shipCpu: shipCpu.length ? median(shipCpu) : 0, s3Cpu: s3Cpu.length ? median(s3Cpu) : 0 };
}

async function sync(s3) {
	const out = {};
	for (const mode of ['async', 'sync']) {
		const bucket = await makeBucket(s3, mode);
		const env = s3Env(s3, bucket, 'spx', mode === 'sync' ? { SPANDEX_S3_SYNC: '1' } : {});
		const A = await startServer({ env, workers: 2 });
		try {
			const one = await load(A.base, 'bench-w', 200, 1, mode);
			const four = await load(A.base, 'bench-w', 400, 4, `${mode}4`);
			out[mode] = { one, four };
			log(`${mode}: p50 ${one.p50.toFixed(2)} ms, 4 clients ${four.rate.toFixed(0)} spans/s`);
		} finally {
			await A.stop();
		}
	}
	return out;
}

// BENCH_PARTS (default "ship,ingest,sync"): the parts to run.
const PARTS = (process.env.BENCH_PARTS || 'ship,ingest,sync').split(',');
const s3 = await s3Server();
const sp = PARTS.includes('ship') ? await shipAndPull(s3) : null;
const ing = PARTS.includes('ingest') ? await ingest(s3) : null;
const sy = PARTS.includes('sync') ? await sync(s3) : null;
const mb = (b) => (b / 1e6).toFixed(1);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: path.dirname(new URL(import.meta.url).pathname) }).toString().trim();
const rows = [];
if (sp)
	rows.push(`| ship, first pass (snapshot), ${SPANS} spans | ${mb(sp.bytes)} MB in ${sp.nobj} objects, ${sp.ship.sec.toFixed(2)} s: ${mb(sp.bytes / sp.ship.sec)} MB/s; peak RSS ${(sp.ship.rssKiB / 1024).toFixed(1)} MiB | curl -T of the same ${mb(sp.curlBytes)} MB: ${sp.curlUp.toFixed(2)} s, ${mb(sp.curlBytes / sp.curlUp)} MB/s; ratio ${((sp.bytes / sp.ship.sec) / (sp.curlBytes / sp.curlUp)).toFixed(2)}; one curl, one connection, hashes given: ${sp.curlOne.toFixed(2)} s, ${mb(sp.curlBytes / sp.curlOne)} MB/s, ratio ${((sp.bytes / sp.ship.sec) / (sp.curlBytes / sp.curlOne)).toFixed(2)} |`,
		`| pull on an empty directory | ${sp.pull.sec.toFixed(2)} s (fetch ${sp.fetch} s, reindex ${sp.index} s); peak RSS ${(sp.pull.rssKiB / 1024).toFixed(1)} MiB | curl GET of the same objects: ${sp.curlDown.toFixed(2)} s |`);
if (ing)
	rows.push(`| ingest with async shipping (${INGEST_BATCHES} 100-span batches, 4 clients, ${ROUNDS} alternated rounds) | ${ing.on.toFixed(0)} spans/s; median of the rounds' ratios ${ing.ratio.toFixed(3)} (${ing.lo.toFixed(2)} to ${ing.hi.toFixed(2)}); the ship loop used ${(ing.shipCpu * 100).toFixed(1)}% of a core, the S3 server ${(ing.s3Cpu * 100).toFixed(1)}% | without a bucket: ${ing.off.toFixed(0)} spans/s |`);
if (sy)
	rows.push(`| sync mode, one batch at a time | p50 ${sy.sync.one.p50.toFixed(2)} ms, p99 ${sy.sync.one.p99.toFixed(2)} ms | async: p50 ${sy.async.one.p50.toFixed(2)}, p99 ${sy.async.one.p99.toFixed(2)} |`,
		`| sync mode, 4 clients | ${sy.sync.four.rate.toFixed(0)} spans/s | async: ${sy.async.four.rate.toFixed(0)} spans/s |`);
console.log(`## bench/ship_bench.mjs ${SPANS} ${ROUNDS} (${new Date().toISOString().slice(0, 10)}, ${commit})

| figure | value | reference |
|---|---|---|
${rows.join('\n')}
`);
process.exit(0);
