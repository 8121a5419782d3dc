// The cron jobs killed under ingest (issue 30): two writers POST batches of four days (new
// spans and a new version of an earlier one) to one workspace through nginx and the FastCGI
// programs, while `spandex seal --older-than 0`, `index`, `reindex`, `backup` and `retain`
// (of another workspace) are started and SIGKILLed 10 ms to 1.2 s in, one after the other.
// Afterwards every span answered 201 reads back at its newest acknowledged version, a page
// of the list holds each span once, and `spandex verify` is clean (docs/ARCHITECTURE.md,
// "Admin commands"). SPANDEX_CRASH_MIX_SECONDS sets how long (15 s by default; BENCHMARKS.md
// has a long run); t/check_crash.c runs the same mix in-process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
	startServer, getSpan, ingestSpans, makeSpan, dayTime, spandexCli, request, rng, BUILDDIR,
	WS_PREFIX, clockEnv, cgiRequest,
} from '../harness.mjs';

const SECONDS = Number(process.env.SPANDEX_CRASH_MIX_SECONDS) || 15;

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2 } });
});
after(async () => {
	await srv?.stop();
});

// A writer (ids start with tag) until stop(): batches of 6 new spans and 2 sent again with a
// new name, over four days. latest: each id's newest acknowledged name; failures: batches
// not answered 201.
function writer(tag) {
	const latest = new Map();
	const r = rng(tag.length * 7919);
	let n = 0;
	let stop = false;
	let failures = 0;
	const done = (async () => {
		for (let seq = 0; !stop; seq++) {
			const spans = [];
			const ids = new Set();
			for (let k = 0; k < 6; k++, n++) ids.add(`${tag}-${n}`);
			while (n > 10 && ids.size < 8) ids.add(`${tag}-${Math.floor(r() * (n - 6))}`);
			let d = 0;
			for (const id of ids) {
				spans.push(makeSpan(id, {
					trace_id: `${tag}-t${seq % 5}`,
					started_at: dayTime(seq, 1 + (d++ % 4)),
					name: `${tag} v${seq}`,
				}));
			}
			const res = await ingestSpans('mixone', spans).catch(() => null);
			if (res?.status === 201) for (const s of spans) latest.set(s.span_id, s.name);
			else failures++;
		}
	})();
	return {
		latest,
		async stop() {
			stop = true;
			await done;
			return failures;
		},
	};
}

// Runs `spandex args` and SIGKILLs it after ms unless it ended first; resolves when it is gone.
function killedAfter(args, ms) {
	return new Promise((resolve) => {
		const child = spawn(path.join(BUILDDIR, 'src', 'spandex'), args, { stdio: 'ignore' });
		const t = setTimeout(() => child.kill('SIGKILL'), ms);
		child.on('exit', (code, signal) => {
			clearTimeout(t);
			resolve({ code, signal });
		});
	});
}

test('seal, index, reindex, backup and retain killed at random under two writers lose nothing', { timeout: (SECONDS + 600) * 1000 }, async () => {
	const data = srv.dataDir;
	const dest = path.join(data, '..', 'admin-kill-backup');
	// The other workspace, which retain empties (its spans are days old, and were ingested ten
	// days ago by a program whose clock says so).
	const old = [];
	for (let k = 0; k < 20; k++) old.push(makeSpan(`old-${k}`, { started_at: dayTime(k, 5 + (k % 3)) }));
	const past = await cgiRequest(data, 'POST', `${WS_PREFIX}/mixother/ingest/spans`, { body: { source: 'itest', spans: old }, env: clockEnv(-10 * 86400) });
	assert.equal(past.status, 201, past.text);
	const writers = [writer('wa'), writer('wb')];
	const cmds = [
		['seal', data, '--older-than', '0', '--wait'],
		['index', data, '--wait'],
		['reindex', data, '--workspace', 'mixone'],
		['backup', data, dest, '--wait'],
		['retain', data, '--days', '2', '--workspace', 'mixother', '--wait'],
	];
	const rand = rng(30);
	const end = Date.now() + SECONDS * 1000;
	let runs = 0;
	let killed = 0;
	while (Date.now() < end) {
		const r = await killedAfter(cmds[Math.floor(rand() * cmds.length)], 10 + Math.floor(rand() * 1190));
		runs++;
		killed += r.signal === 'SIGKILL';
	}
	const failures = await Promise.all(writers.map((w) => w.stop()));
	const v = await spandexCli(['verify', data]);
	assert.equal(v.code, 0, `verify:\n${v.stdout}${v.stderr}`);
	const latest = new Map([...writers[0].latest, ...writers[1].latest]);
	let lost = 0;
	let stale = 0;
	const ids = [...latest.keys()];
	for (let i = 0; i < ids.length; i += 50) {
		const got = await Promise.all(ids.slice(i, i + 50).map((id) => getSpan('mixone', id)));
		for (const [k, g] of got.entries()) {
			const id = ids[i + k];
			if (g.status !== 200) lost++;
			else if (g.json.name !== latest.get(id)) stale++;
		}
	}
	// Every span once in the list: the total is the number of distinct ids.
	const page = await request('GET', `${WS_PREFIX}/mixone/spans?page_size=1`);
	assert.equal(page.status, 200, page.text);
	console.log(`# ${SECONDS} s, ${runs} admin runs (${killed} killed), ${ids.length} spans acknowledged (${failures.join('+')} batches refused), ${lost} lost, ${stale} not at their newest version`);
	assert.equal(lost, 0, `${lost} acknowledged spans answer 404`);
	assert.equal(stale, 0, `${stale} spans are not at a newest acknowledged version`);
	assert.equal(page.json.pagination.total_results, ids.length, 'the list counts each span once');
});
