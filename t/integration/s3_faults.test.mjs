// The bucket (issue 51) through faults: the shipper SIGKILLed at random points of its passes,
// many times, and the bucket failing (radosgw stopped, then SIGSTOPped; 503s and slow answers
// from a proxy in front of it). Ingest goes on in async mode, the lag shows in /healthz, the
// shipper catches up afterwards, no object in the bucket is ever torn or out of order, and a
// pull (--copy) at any instant gives a clean store holding a prefix of what was written.
// SPANDEX_S3_LONG=1 kills more often and keeps the bucket down longer. Against the radosgw of
// t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, request, spandexCli, spandexOk, rng, BUILDDIR, WAIT_MS } from '../harness.mjs';
import { LONG, s3Server, makeBucket, s3Env, startMixedWriters, checkPulled, waitFor, checkLog, rgwPid, rgwStop, rgwStart, faultProxy, LAG_ROUNDING } from '../s3.mjs';

const WS = 'faulty';
const SPANDEX = path.join(BUILDDIR, 'src', 'spandex');
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// A copy of WS pulled from the bucket now (no takeover): verify finds it clean, and it holds
// whole batches of what the writers were answered, never an old version over a newer one.
async function pullCopy(env, writes, cutoff) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-copy-'));
	try {
		await spandexOk(['pull', dir, '--workspace', WS, '--copy'], { env });
		const v = await spandexCli(['verify', dir]);
		assert.equal(v.code, 0, v.stdout + v.stderr);
		const C = await startServer({ dataDir: dir, env });
		try {
			return await checkPulled(C.base, WS, writes, cutoff, { request });
		} finally {
			await C.stop();
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

test('the shipper SIGKILLed at random points of its passes: no torn or misordered object, a pull at any instant is clean', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'kills');
	const env = s3Env(s3, bucket);
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	// The workspace in the bucket first: a pull finds it from here on, whatever is killed.
	await waitFor(async () => w.writes.length >= 10, 'some writes');
	await spandexOk(['ship', A.dataDir], { env });
	const rand = rng(51);
	const kills = LONG ? 120 : 16;
	// The kill points spread over a pass as long as this machine's last whole one (150 ms before
	// any ran to its end), and the passes go on past `kills` until a quarter of them were killed
	// (WAIT_MS of the clock at most): a fast machine's short passes are still killed in them.
	let killed = 0;
	let passMs = 150;
	const deadline = Date.now() + WAIT_MS;
	for (let i = 0; i < kills || (killed < kills / 4 && Date.now() < deadline); i++) {
		const t0 = Date.now();
		const p = spawn(SPANDEX, ['ship', A.dataDir], { env: { ...process.env, ...env }, stdio: 'ignore' });
		const exited = new Promise((r) => p.once('exit', (code, sig) => r({ status: sig || code, at: Date.now() })));
		// Somewhere in its pass: listing, uploading, between the upload and the state.
		await new Promise((r) => setTimeout(r, Math.floor(rand() * passMs)));
		if (p.exitCode === null) {
			p.kill('SIGKILL');
			killed++;
			await exited;
		} else {
			passMs = Math.max(1, (await exited).at - t0);
		}
		if (i % 5 === 4) {
			// The writers wait while the copy is checked against every write so far.
			await w.pause();
			await checkLog(s3, bucket, 'spx', WS);
			await pullCopy(env, w.writes, 0);
			w.resume();
		}
	}
	assert.ok(killed >= kills / 4, `${killed} of ${kills} passes killed`);
	await w.stop();
	// A pass that runs to its end takes up whatever the killed ones left.
	const r = await spandexCli(['ship', A.dataDir], { env });
	assert.equal(r.code, 0, r.stderr);
	await checkLog(s3, bucket, 'spx', WS);
	const { missing } = await pullCopy(env, w.writes, Infinity);
	assert.deepEqual(missing, []);
});

// The bucket's part of /healthz for WS.
async function health(A) {
	const r = await request('GET', '/healthz', { base: A.base });
	assert.equal(r.status, 200, `async mode: the host stays up while the bucket is down: ${r.text}`);
	return r.json.bucket.workspaces.find((x) => x.workspace === WS);
}

test('the bucket stopped, frozen, failing and slow: ingest goes on, /healthz shows the lag and the error, the shipper catches up', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'outage');
	const proxy = await faultProxy(s3, { delayMs: 1500 });
	cleanup.push(() => proxy.close());
	// The shipper goes through the proxy; a request with nothing moving for 2 s is given up.
	const env = s3Env({ ...s3, endpoint: proxy.endpoint }, bucket, 'spx', { SPANDEX_S3_TIMEOUT: '2' });
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const loop = spawn(SPANDEX, ['ship', A.dataDir, '--every', '1'], { env: { ...process.env, ...env }, stdio: 'ignore' });
	cleanup.push(() => loop.kill('SIGKILL'));
	const w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	await waitFor(async () => (await health(A))?.seq >= 2, 'a first pass or two');
	const down = LONG ? 30000 : 4000;
	// Each fault, and how /healthz shows it: passes that fail name the error and what they
	// could not ship; slow answers (1.5 s each, under the 2 s timeout) only make the bucket lag.
	const failed = (x) => x.error && x.lag_bytes > 0;
	const faults = {
		stopped: [async () => {
			await rgwStop(s3);
			return () => rgwStart(s3);
		}, failed],
		frozen: [async () => {
			process.kill(rgwPid(s3), 'SIGSTOP');
			return () => process.kill(rgwPid(s3), 'SIGCONT');
		}, failed],
		failing: [async () => {
			proxy.set('503');
			return () => proxy.set('pass');
		}, (x) => failed(x) && /SlowDown/.test(x.error)],
		slow: [async () => {
			proxy.set('slow');
			return () => proxy.set('pass');
		}, (x) => x.lag_seconds >= 2],
	};
	for (const [what, [start, shows]] of Object.entries(faults)) {
		const acked = w.writes.length;
		const end = await start();
		const t0 = Date.now();
		// Ingest goes on; /healthz shows the fault. The bucket comes back whatever this finds:
		// a radosgw left stopped or frozen would fail (or hang) every test after this one.
		let h;
		try {
			h = await waitFor(async () => {
				const x = await health(A);
				return x && shows(x) && w.writes.length > acked + 10 && Date.now() - t0 >= down ? x : null;
			}, `the ${what} bucket in /healthz`);
		} finally {
			await end();
		}
		assert.equal(h.owner, 'owner');
		// Caught up: no error, and a pass that started after the bucket came back left
		// nothing behind.
		const back = Date.now();
		await waitFor(async () => {
			const asked = Date.now(); // before the answer's clock: its lag is at least as long
			const x = await health(A);
			return !x.error && x.lag_seconds + LAG_ROUNDING < (asked - back) / 1000 && x.lag_seconds >= 0;
		}, `catching up after the ${what} bucket`);
	}
	await w.stop();
	const last = Date.now();
	await waitFor(async () => {
		const asked = Date.now();
		const x = await health(A);
		return !x.error && x.lag_seconds + LAG_ROUNDING < (asked - last) / 1000;
	}, 'the last writes shipped');
	await checkLog(s3, bucket, 'spx', WS);
	const { missing } = await pullCopy(s3Env(s3, bucket), w.writes, Infinity);
	assert.deepEqual(missing, []);
});
