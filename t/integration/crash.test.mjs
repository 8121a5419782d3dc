// Writers killed with SIGKILL in the middle of a batch: afterwards `spandex verify` passes
// and every span whose POST was answered 201 can be read back (DESIGN "Recovery").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	startServer, runCgi, getSpan, ingestSpans, makeSpan, spandexCli, childPids, dayTime, WS_PREFIX,
} from '../harness.mjs';

const WS = 'crashy';
const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'writer.mjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2 } });
});
after(async () => {
	await srv?.stop();
});

// Total size of the files under the workspace directory (0 before the first write).
function wsBytes() {
	const dir = path.join(srv.dataDir, WS);
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
	const startedAt = dayTime(7);
	for (let round = 0; round < 8; round++) {
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
		// Kill as soon as the shard grows (the batch is being written), or after a delay that
		// varies by round when the growth is not seen in time.
		const limit = Date.now() + 5 * (round + 1);
		while (child.exitCode === null && child.signalCode === null) {
			if (wsBytes() !== size0 || Date.now() > limit) {
				child.kill('SIGKILL');
				break;
			}
			await sleep(0);
		}
		const res = await done;
		if (res.signal === null && res.code === 0 && res.status === 201) acked.push(...spans.map((s) => s.span_id));
	}
	// Right after the crashes, before any other write repairs a torn tail.
	await verifyTornOnly(t, 'after SIGKILLed CGI writers');
	await assertAllThere(acked);
	const r = await ingestSpans(WS, [makeSpan('cgi-final', { started_at: startedAt })]);
	assert.equal(r.status, 201, r.text);
	await verify('after the next write');
	await assertAllThere([...acked, 'cgi-final']);
});

test('FastCGI ingest workers killed while requests are in flight', async () => {
	const master = srv.procs.ingest.pid;
	const startedAt = dayTime(9);
	const writers = ['fa', 'fb', 'fc'].map((prefix) => new Promise((resolve) => {
		execFile(process.execPath, [writer, srv.base, WS, prefix, '600', '40', startedAt],
			{ maxBuffer: 16 << 20 }, (err, stdout) => resolve({ prefix, stdout }));
	}));
	let kills = 0;
	for (let i = 0; i < 6; i++) {
		await sleep(60);
		for (const pid of childPids(master)) {
			try {
				process.kill(pid, 'SIGKILL');
				kills++;
			} catch {
				// exited on its own
			}
		}
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
	await verify(`after ${kills} SIGKILLed workers (${failed} batches failed)`);
	await assertAllThere(acked);

	// The master restarted its workers: ingest still works.
	const r = await ingestSpans(WS, [makeSpan('fcgi-final', { started_at: startedAt })]);
	assert.equal(r.status, 201, r.text);
	assert.ok(childPids(master).length > 0, 'the ingest master has workers again');
	await verify('after the next write');
});
