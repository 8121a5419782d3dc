// Writers killed with SIGKILL in the middle of a batch: afterwards `spandex verify` passes
// and every span whose POST was answered 201 can be read back (DESIGN "Recovery"); a batch
// that spans several days is stored whole or not at all (docs/ARCHITECTURE.md, "Writing a
// batch").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	startServer, runCgi, getSpan, ingestSpans, makeSpan, spandexCli, childPids, killWorkers, procOf, running, dayTime, waitFor, WS_PREFIX,
} from '../harness.mjs';

const WS = 'crashy';
const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'writer.mjs');

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2 } });
});
after(async () => {
	await srv?.stop();
});

// Where a kill lands after the batch starts to reach the disk, one round each.
const KILL_DELAYS_MS = [0, 0, 0.1, 0.3, 1, 3, 10, 30, 100];

// Busy-waits (the event loop is blocked on purpose: a timer would be far too coarse) until
// the files of workspace ws grow past size0 or ms pass; true when they grew.
function spinUntilGrowth(size0, ms, ws = WS) {
	const end = Date.now() + ms;
	while (Date.now() < end) if (wsBytes(ws) !== size0) return true;
	return false;
}
function spin(ms) {
	const end = performance.now() + ms;
	while (performance.now() < end);
}

// Total size of the files under the workspace directory (0 before the first write).
function wsBytes(ws = WS) {
	const dir = path.join(srv.dataDir, ws);
	if (!fs.existsSync(dir)) return 0;
	let n = 0;
	for (const f of fs.readdirSync(dir)) {
		try {
			n += fs.statSync(path.join(dir, f)).size;
		} catch {
			// renamed meanwhile
		}
	}
	return n;
}

async function assertAllThere(ids) {
	for (let i = 0; i < ids.length; i += 50) {
		const chunk = ids.slice(i, i + 50);
		const got = await Promise.all(chunk.map((id) => getSpan(WS, id)));
		for (const [k, g] of got.entries()) {
			assert.equal(g.status, 200, `acknowledged span ${chunk[k]} is missing: ${g.status} ${g.text}`);
			assert.equal(g.json.span_id, chunk[k]);
		}
	}
}

async function verify(when) {
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify ${when}:\n${v.stdout}${v.stderr}`);
}

// Right after a crash and before the next writer repairs it, a shard may end in bytes that
// no index record covers (the killed batch). verify may name those; anything else is damage.
async function verifyTornOnly(t, when) {
	const v = await spandexCli(['verify', srv.dataDir]);
	if (v.code === 0) return;
	const lines = (v.stdout + v.stderr).split('\n').filter((l) => l.includes(WS));
	assert.ok(lines.length > 0, `spandex verify ${when} failed without naming a problem:\n${v.stdout}${v.stderr}`);
	for (const l of lines) {
		assert.match(l, /not covered by the index|past the committed records/,
			`spandex verify ${when}: only an unrepaired tail may be reported:\n${v.stdout}${v.stderr}`);
	}
	t.diagnostic(`verify before the repairing write: ${lines.join('; ')}`);
}

test('plain-CGI ingest killed while it writes', async (t) => {
	const acked = [];
	let midWrite = 0; // kills that landed after the shard had started to grow
	const startedAt = dayTime(7);
	for (let round = 0; round < KILL_DELAYS_MS.length; round++) {
		// A committed batch between the crashes: the next writer must cope with the torn tail.
		const small = Array.from({ length: 20 }, (_, i) => makeSpan(`cgi-ok-${round}-${i}`, { started_at: startedAt }));
		const r = await ingestSpans(WS, small);
		assert.equal(r.status, 201, `ingest after a crash: ${r.status} ${r.text}`);
		acked.push(...small.map((s) => s.span_id));

		const spans = Array.from({ length: 1000 }, (_, i) => makeSpan(`cgi-${round}-${i}`, {
			started_at: startedAt,
			input: `payload ${i} `.repeat(20),
			attributes: { round, i },
		}));
		const size0 = wsBytes();
		const { child, done } = runCgi('ingest', {
			method: 'POST',
			path: `${WS_PREFIX}/${WS}/ingest/spans`,
			body: { source: 'crash', spans },
			dataDir: srv.dataDir,
		});
		// Kill once the batch starts to reach the shard, a little later each round, so the
		// kills land at different points of the write.
		if (spinUntilGrowth(size0, 10000)) midWrite++;
		spin(KILL_DELAYS_MS[round]);
		child.kill('SIGKILL');
		const res = await done;
		if (res.signal === null && res.code === 0 && res.status === 201) acked.push(...spans.map((s) => s.span_id));
	}
	t.diagnostic(`${midWrite} of ${KILL_DELAYS_MS.length} writers killed after their batch reached the shard; ${acked.length} spans acknowledged`);
	// Right after the crashes, before any other write repairs a torn tail.
	await verifyTornOnly(t, 'after SIGKILLed CGI writers');
	await assertAllThere(acked);
	const r = await ingestSpans(WS, [makeSpan('cgi-final', { started_at: startedAt })]);
	assert.equal(r.status, 201, r.text);
	await verify('after the next write');
	await assertAllThere([...acked, 'cgi-final']);
});

test('FastCGI ingest workers killed while requests are in flight', async (t) => {
	const master = srv.procs.ingest.pid;
	const startedAt = dayTime(9);
	const writers = ['fa', 'fb', 'fc'].map((prefix) => new Promise((resolve) => {
		execFile(process.execPath, [writer, srv.base, WS, prefix, '600', '40', startedAt],
			{ maxBuffer: 16 << 20 }, (err, stdout) => resolve({ prefix, stdout }));
	}));
	let kills = 0;
	let midWrite = 0;
	for (const delay of KILL_DELAYS_MS) {
		await waitFor('the ingest master to restart its workers', () => childPids(master).length > 0);
		if (spinUntilGrowth(wsBytes(), 5000)) midWrite++;
		spin(delay);
		kills += killWorkers(master);
	}
	const results = await Promise.all(writers);
	assert.ok(kills > 0, 'no ingest worker was found to kill');

	const acked = [];
	let failed = 0;
	for (const { prefix, stdout } of results) {
		for (const line of stdout.trim().split('\n')) {
			const [status, first, last] = line.split(' ');
			if (status !== '201') {
				failed++;
				continue;
			}
			for (let i = Number(first); i <= Number(last); i++) acked.push(`${prefix}-${i}`);
		}
	}
	assert.ok(acked.length > 0, 'no batch was acknowledged');
	t.diagnostic(`${kills} workers killed (${midWrite} rounds while the shard grew), ${failed} batches failed, ${acked.length} spans acknowledged`);
	await verify(`after ${kills} SIGKILLed workers (${failed} batches failed)`);
	await assertAllThere(acked);

	// The master restarted its workers: ingest still works.
	const r = await ingestSpans(WS, [makeSpan('fcgi-final', { started_at: startedAt })]);
	assert.equal(r.status, 201, r.text);
	assert.ok(childPids(master).length > 0, 'the ingest master has workers again');
	await verify('after the next write');
});

// The span ids live in workspace ws, from spandex export (the reader's view of the store).
async function liveIds(ws) {
	const out = path.join(srv.dataDir, `${ws}.export.jsonl`);
	const r = await spandexCli(['export', srv.dataDir, '--workspace', ws, '--out', out]);
	assert.equal(r.code, 0, r.stderr);
	const ids = new Set(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).span_id));
	fs.rmSync(out);
	return ids;
}

test('FastCGI ingest workers killed mid-batch: a three-day batch is stored whole or not at all', async (t) => {
	const ws = 'crashy3';
	const master = srv.procs.ingest.pid;
	const startedAt = dayTime(11);
	// Batches of 150 spans over three days (50 a day), from three clients at once.
	const writers = ['ma', 'mb', 'mc'].map((prefix) => new Promise((resolve) => {
		execFile(process.execPath, [writer, srv.base, ws, prefix, '3000', '150', startedAt, '3'],
			{ maxBuffer: 16 << 20 }, (err, stdout) => resolve({ prefix, stdout }));
	}));
	let kills = 0;
	let midWrite = 0;
	let done = false;
	Promise.all(writers).then(() => { done = true; });
	for (let round = 0; round < 30 && !done; round++) {
		await waitFor('the ingest master to restart its workers', () => childPids(master).length > 0);
		if (spinUntilGrowth(wsBytes(ws), 2000, ws)) midWrite++;
		spin(KILL_DELAYS_MS[round % KILL_DELAYS_MS.length]);
		kills += killWorkers(master);
	}
	const results = await Promise.all(writers);
	assert.ok(kills > 0, 'no ingest worker was found to kill');
	// The next write of the workspace finishes or undoes what a killed writer left (on all
	// three days), as any writer would.
	// A request that meets a worker the last kill took answers 502, as it would for any
	// client: wait for the restarted workers and retry such an answer.
	let fin;
	await waitFor('the next write of the workspace', async () => {
		if (childPids(master).length === 0) return false;
		fin = await ingestSpans(ws, [0, 1, 2].map((d) => makeSpan(`m-final-${d}`, { started_at: dayTime(11, 1 + d) })));
		return fin.status !== 502;
	}, { every: 100 });
	assert.equal(fin.status, 201, fin.text);

	const live = await liveIds(ws);
	let acked = 0;
	let failed = 0;
	let failedStored = 0;
	const partial = [];
	for (const { prefix, stdout } of results) {
		for (const line of stdout.trim().split('\n')) {
			const [status, first, last] = line.split(' ');
			const ids = [];
			for (let i = Number(first); i <= Number(last); i++) ids.push(`${prefix}-${i}`);
			const present = ids.filter((id) => live.has(id)).length;
			if (status === '201') {
				acked++;
				assert.equal(present, ids.length, `acknowledged batch ${prefix} ${first}-${last}: ${present} of ${ids.length} spans stored`);
				continue;
			}
			failed++;
			// Killed after its commit but before its answer: whole. Otherwise: none of it.
			if (present === ids.length) failedStored++;
			else if (present) partial.push(`${prefix} ${first}-${last} (${status}): ${present} of ${ids.length}`);
		}
	}
	t.diagnostic(`${kills} workers killed (${midWrite} rounds while the shards grew); ${acked} batches acknowledged, ${failed} failed (${failedStored} of them stored whole, the rest not at all)`);
	assert.deepEqual(partial, [], 'a failed three-day batch is stored in part');
	assert.ok(failed > 0, 'no batch was interrupted: the test proved nothing');
	await verify(`after ${kills} SIGKILLed workers during three-day batches`);
});

test('a program\'s master SIGKILLed takes its workers with it', async () => {
	const own = await startServer({ workers: { spans: 3 } });
	try {
		const master = own.procs.spans.pid;
		// By pid and start time (procOf): a worker's pid given to another process since is not it.
		const workers = childPids(master).map(procOf).filter(Boolean);
		assert.equal(workers.length, 3, 'the spans master has its three workers');
		process.kill(master, 'SIGKILL');
		await waitFor('the workers to exit with their master', () => !workers.some(running), { every: 50 }).catch(() => {});
		assert.deepEqual(workers.filter(running), [], 'no worker outlives its master');
	} finally {
		await own.stop();
	}
});
