// soak.mjs: mixed load for a while, with workers killed under it (issue 13). Writers ingest
// batches, readers ask the query set, and every few seconds one ingest or query worker gets
// SIGKILL (its master starts another). At the end: the latency of each kind of request, every
// status seen, the deployment's memory (PSS of nginx and every program's master and workers,
// from /proc/PID/smaps_rollup, sampled every 5 s), and the proof: every span whose batch was
// acknowledged (201) reads back, and `spandex verify` passes. Exit 1 when a span is lost,
// verify fails or a 5xx other than the 502 of a request whose worker was killed under it is seen.
//
//   [SOAK_PHRASE=1] [SOAK_LOG=FILE] [SOAK_PSS_MS=5000] node bench/soak.mjs [SECONDS] [WRITERS] [READERS] [KILL_EVERY_S] [INDEX_EVERY_S] [SEAL_EVERY_S]
//
// Defaults: 300 s, 2 writers, 4 readers, a kill every 5 s (0: none), no `spandex index` (with
// INDEX_EVERY_S, it runs that often, as cron would), no `spandex seal` (with SEAL_EVERY_S, it
// seals every day before today that often: yesterday's spans keep arriving, so each seal has
// late lines to fold in). `make bench-smoke` runs 20 s.
// The chores run as the Debian package's timers and docs/operations.md's crontab run them, at
// `nice -n 10` and best-effort I/O priority 7 (SOAK_CHORE_NICE=0: at the programs' own).
// SOAK_LOG=FILE writes each request as a line, `start_ms duration_ms kind status` (start: the
// epoch's milliseconds, as the server's clock), each PSS sample as kind `pss` and each `spandex index` and `seal` run, to pair a
// slow page with what ran beside it.
// Loopback only; nginx and the real programs are started by t/harness.mjs (2 workers each).
import fs from 'node:fs';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { startServer, childPids, spandexCli, BUILDDIR, WS_PREFIX } from '../t/harness.mjs';
import { run } from '../t/proc.mjs';

const [secArg = '300', wArg = '2', rArg = '4', kArg = '5', iArg = '0', sArg = '0'] = process.argv.slice(2);
const SECONDS = Number(secArg);
const WRITERS = Number(wArg);
const READERS = Number(rArg);
const KILL_EVERY_MS = Number(kArg) * 1000;
const INDEX_EVERY_MS = Number(iArg) * 1000;
const SEAL_EVERY_MS = Number(sArg) * 1000;
const CHORE_NICE = process.env.SOAK_CHORE_NICE ?? '10';
const WS = 'soak';
const BATCH = 50;
// A chore (`spandex index`, `seal`) as the deployment runs it.
const chore = (args) => CHORE_NICE === '0' ? spandexCli(args)
	: run('nice', ['-n', CHORE_NICE, 'ionice', '-c2', '-n7', path.join(BUILDDIR, 'src', 'spandex'), ...args]);
const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS + READERS + 4 });

function send(base, method, path, body) {
	return new Promise((resolve) => {
		const t0 = process.hrtime.bigint();
		const data = body ? Buffer.from(JSON.stringify(body)) : null;
		const req = http.request(base + path, {
			method, agent,
			headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, text: Buffer.concat(chunks).toString() }));
		});
		req.on('error', (e) => resolve({ status: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, text: String(e) }));
		if (data) req.write(data);
		req.end();
	});
}

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet'];
const WORDS = ['weather', 'flights', 'refund', 'invoice', 'search', 'summary', 'agent', 'tool'];
let seq = 0;
function batch(writer) {
	const now = Date.now();
	const trace = `tr-${writer}-${seq}`;
	return Array.from({ length: BATCH }, (_, i) => {
		const n = seq++;
		return {
			span_id: `s-${writer}-${n}`, trace_id: trace, session_id: `sess-${writer}-${n % 97}`,
			parent_span_id: i ? `s-${writer}-${n - i}` : undefined, name: i ? `step-${i % 7}` : 'agent-run',
			kind: i ? (i % 3 ? 'LLM' : 'TOOL') : 'AGENT', status: n % 23 === 0 ? 'error' : 'success',
			// Over the last two days, so queries cross a day boundary.
			started_at: new Date(now - (n % 2) * 86400e3 - (BATCH - i) * 10).toISOString(),
			ended_at: new Date(now - (n % 2) * 86400e3 - (BATCH - i) * 10 + 5 + (n % 50)).toISOString(),
			input: `${WORDS[n % WORDS.length]} question ${n}`, output: `answer ${n}`,
			attributes: { 'gen_ai.request.model': MODELS[n % 3], 'gen_ai.usage.input_tokens': 100 + (n % 900), 'gen_ai.usage.output_tokens': 20 + (n % 200) },
		};
	});
}

const enc = encodeURIComponent;
const QUERIES = [
	['list spans', () => `/spans`],
	['model+status', () => `/spans?filter=${enc(JSON.stringify({ model: MODELS[seq % 3], status: 'error' }))}`],
	['traces detailed', () => `/traces`],
	['groups', () => `/spans/groups?by=trace_id`],
	['search', () => `/spans?search=${WORDS[seq % WORDS.length]}`],
	['stats 2 days', () => `/spans/stats?start=${enc(new Date(Date.now() - 2 * 86400e3).toISOString())}&end=${enc(new Date(Date.now() + 60e3).toISOString())}&bucket_seconds=3600`],
	['get span', () => `/spans/${enc(acked[Math.floor(Math.random() * acked.length)])}`],
];
// SOAK_PHRASE=1: readers also ask a quoted phrase of two words every span of a word holds, so
// the workers build the fresh days' pairs between requests (lib/store/tailphrase.h) under the load.
if (process.env.SOAK_PHRASE === '1')
	QUERIES.push(['phrase', () => `/spans?search=${enc(`"${WORDS[seq % WORDS.length]} question"`)}`]);

const acked = [];

const pct = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : NaN);

// Two workers each, so a kill is felt; without kills, each program's shipped count
// (nginx/programs), as a deployment runs.
const srv = await startServer(KILL_EVERY_MS > 0 ? { workers: { ingest: 2, spans: 2, traces: 2 } } : {});
const statuses = {};
const lat = {};
let kills = 0;
let killedAt = 0;
let bad5xx = 0;
// A 502 is the request a killed worker held, allowed (and an ingest retried): a kill came after
// the request went out (kills0, the count when it did), or less than 2 s before (the worker
// may still have taken it). Not "within 2 s of the answer": a loaded machine answers later.
const byKind = {};
const log = process.env.SOAK_LOG ? [] : null;
const note = (kind, r, kills0) => {
	if (log) log.push(`${(Date.now() - r.ms).toFixed(1)} ${r.ms.toFixed(1)} ${kind.replace(/ /g, '_')} ${r.status}`);
	statuses[r.status] = (statuses[r.status] || 0) + 1;
	if (r.status < 200 || r.status > 299) (byKind[kind] ||= {})[r.status] = (byKind[kind]?.[r.status] || 0) + 1;
	(lat[kind] ||= []).push(r.ms);
	const sent = Date.now() - r.ms;
	if (r.status >= 500 && !(r.status === 502 && (kills > kills0 || sent - killedAt < 2000))) {
		bad5xx++;
		console.error(`${kind}: ${r.status} ${r.text.slice(0, 200)}`);
	}
};
const end = Date.now() + SECONDS * 1000;
// The memory, sampled every SOAK_PSS_MS (5 s) in a thread of its own (bench/soak_pss.mjs: a
// sample takes hundreds of ms of the kernel's time, which on this event loop held up every
// request in flight, and each second slowed the pages beside it).
const sampler = new Worker(new URL('./soak_pss.mjs', import.meta.url), {
	workerData: { pids: Object.values(srv.procs).map((p) => p.pid), every: Number(process.env.SOAK_PSS_MS || 5000) },
});
try {
	const writers = Array.from({ length: WRITERS }, async (_, w) => {
		while (Date.now() < end) {
			const spans = batch(w);
			let r;
			do {
				const k = kills;
				r = await send(srv.base, 'POST', `${WS_PREFIX}/${WS}/ingest/spans`, { source: 'soak', spans });
				note('ingest batch', r, k);
			} while (r.status === 502 || r.status === 503);
			if (r.status === 201) acked.push(...spans.map((s) => s.span_id));
		}
	});
	const readers = Array.from({ length: READERS }, async (_, k) => {
		for (let i = k; Date.now() < end; i++) {
			// A get by id waits for a first acknowledged span (asked before, it is a 404).
			const ready = acked.length ? QUERIES : QUERIES.filter(([q]) => q !== 'get span');
			const [kind, path] = ready[i % ready.length];
			const k = kills;
			const r = await send(srv.base, 'GET', `${WS_PREFIX}/${WS}${path()}`);
			note(kind, r, k);
		}
	});
	const killer = (async () => {
		const progs = ['ingest', 'spans', 'traces'].map((p) => srv.procs[p]).filter(Boolean);
		while (KILL_EVERY_MS > 0 && Date.now() + KILL_EVERY_MS < end) {
			await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
			const p = progs[kills % progs.length];
			const pids = childPids(p.pid);
			if (!pids.length) continue;
			killedAt = Date.now();
			process.kill(pids[Math.floor(Math.random() * pids.length)], 'SIGKILL');
			kills++;
		}
	})();
	let indexRuns = 0;
	const indexer = (async () => {
		while (INDEX_EVERY_MS > 0 && Date.now() + INDEX_EVERY_MS < end) {
			await new Promise((r) => setTimeout(r, INDEX_EVERY_MS));
			const t0 = Date.now();
			const r = await chore(['index', srv.dataDir, '--wait']);
			if (r.code !== 0) throw new Error(`spandex index exited ${r.code}: ${r.stderr}`);
			if (log) log.push(`${t0} ${Date.now() - t0} index ${r.code}`);
			indexRuns++;
		}
	})();
	let sealRuns = 0;
	const sealer = (async () => {
		while (SEAL_EVERY_MS > 0 && Date.now() + SEAL_EVERY_MS < end) {
			await new Promise((r) => setTimeout(r, SEAL_EVERY_MS));
			const t0 = Date.now();
			const r = await chore(['seal', srv.dataDir, '--older-than', '0', '--wait']);
			if (r.code !== 0) throw new Error(`spandex seal exited ${r.code}: ${r.stderr}`);
			if (log) log.push(`${t0} ${Date.now() - t0} seal ${r.code}`);
			sealRuns++;
		}
	})();
	await Promise.all([...writers, ...readers, killer, indexer, sealer]);
	const done = new Promise((r) => sampler.once('message', r));
	sampler.postMessage('stop');
	const { pss, took } = await done;
	if (log) for (const [t0, ms] of took) log.push(`${t0} ${ms.toFixed(1)} pss 0`);

	// The proof: every acknowledged span is there, and the store verifies.
	let lost = 0;
	for (let i = 0; i < acked.length; i += 64) {
		const got = await Promise.all(acked.slice(i, i + 64).map((id) => send(srv.base, 'GET', `${WS_PREFIX}/${WS}/spans/${enc(id)}`)));
		lost += got.filter((g) => g.status !== 200).length;
	}
	const v = await spandexCli(['verify', srv.dataDir]);
	console.log(`soak: ${SECONDS} s, ${WRITERS} writers, ${READERS} readers, ${kills} workers killed, ${indexRuns} index runs, ${sealRuns} seal runs (nice ${CHORE_NICE}); ` +
		`${acked.length} spans acknowledged, ${lost} lost; verify ${v.code === 0 ? 'ok' : 'FAILED'}; ` +
		`5xx not explained by a kill: ${bad5xx}`);
	console.log(`statuses: ${JSON.stringify(statuses)}; not 2xx by request: ${JSON.stringify(byKind)}`);
	console.log(`memory (PSS of nginx and the programs, ${pss.length} samples): p50 ${(pct(pss, 50) / 1024).toFixed(1)} MiB, max ${(Math.max(...pss) / 1024).toFixed(1)} MiB`);
	console.log('| request | count | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|');
	for (const [k, xs] of Object.entries(lat))
		console.log(`| ${k} | ${xs.length} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`);
	const all = Object.entries(lat).filter(([k]) => k !== 'ingest batch').flatMap(([, xs]) => xs);
	console.log(`| every query | ${all.length} | ${pct(all, 50).toFixed(1)} | ${pct(all, 99).toFixed(1)} | ${Math.max(...all).toFixed(1)} |`);
	if (v.code !== 0) console.error(v.stdout + v.stderr);
	if (log) fs.writeFileSync(process.env.SOAK_LOG, log.join('\n') + '\n');
	process.exitCode = lost || v.code !== 0 || bad5xx ? 1 : 0;
} finally {
	await sampler.terminate();
	agent.destroy();
	await srv.stop();
}
