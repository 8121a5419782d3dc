// The bucket (issue 51): split brain. Host B pulls a workspace while host A still takes writes
// for it, both believing they own it. The loser (A) never writes into B's log; in async mode it
// stops within one pass and `spandex ship --status` names what it acknowledged that the bucket
// does not hold; in sync mode it acknowledges nothing the bucket did not take, so every write it
// acknowledged is on B. Writes to the lost workspace answer 503 with Retry-After in each API's
// shape; reads go on. Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, request, spandexCli, spandexOk, BUILDDIR } from '../harness.mjs';
import { s3Server, makeBucket, s3Env, startMixedWriters, checkPulled, shipStatus, waitFor, listKeys, getObject, objectHeader } from '../s3.mjs';

const WS = 'split';
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// A writing WS through every API with its shipper; B, an empty host, pulls WS meanwhile.
async function splitBrain(env, { interval }) {
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const shipper = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['ship', A.dataDir, '--every', String(interval)],
		{ env: { ...process.env, ...env }, stdio: 'ignore' });
	cleanup.push(() => shipper.kill('SIGKILL'));
	const w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	await waitFor(async () => ((await shipStatus(A.dataDir, env, spandexCli))[WS]?.seq ?? 0) >= 3 && w.writes.length >= 30,
		'A shipping');
	const Bdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-split-'));
	cleanup.push(() => fs.rmSync(Bdir, { recursive: true, force: true }));
	const pulled = Date.now();
	await spandexOk(['pull', Bdir, '--workspace', WS], { env });
	// A learns it lost WS at its next create-only write: its writes start to fail.
	await waitFor(async () => {
		const st = (await shipStatus(A.dataDir, env, spandexCli))[WS];
		return st?.owner === 'lost';
	}, 'A to learn it lost the workspace').catch(async (err) => {
		console.error(JSON.stringify(await shipStatus(A.dataDir, env, spandexCli)), w.writes.length, w.failed);
		console.error(fs.readFileSync(path.join(A.dataDir, '.spandex-ship', `${WS}.state`), 'utf8').slice(0, 400));
		throw err;
	});
	const lostAt = Date.now();
	// The writers go on until A refuses one of them; whatever writes were under way finish; then
	// each API answers 503 on A.
	const failedBefore = w.failed;
	await waitFor(() => w.failed > failedBefore, 'a write refused on A');
	await w.stop();
	shipper.kill('SIGKILL');
	const B = await startServer({ dataDir: Bdir, env });
	cleanup.push(() => B.stop());
	return { A, B, w, pulled, lostAt, Bdir };
}

// Every object after B's takeover is B's: the loser never wrote into B's log.
async function onlyB(s3, bucket, Bdir) {
	const hostB = fs.readFileSync(path.join(Bdir, '.spandex-ship', 'host'), 'utf8').trim();
	const keys = (await listKeys(s3, bucket, `spx/${WS}/log/`)).map((k) => k.key);
	const heads = [];
	for (const k of keys) heads.push(objectHeader(await getObject(s3, bucket, k)));
	const take = heads.findIndex((h) => h.type === 'takeover' && h.host === hostB);
	assert.ok(take >= 0, 'B\'s takeover is in the log');
	for (const h of heads.slice(take)) assert.equal(h.host, hostB, `object ${h.seq} after B's takeover`);
	for (const [i, h] of heads.entries()) if (i) assert.equal(h.seq, heads[i - 1].seq + 1, 'the log has no gap');
}

// Each API's write to the lost workspace on A: 503 with Retry-After, in the API's own shape.
async function refusedOnA(A) {
	const now = new Date().toISOString();
	const intake = await request('POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`,
		{ body: { source: 'x', spans: [{ span_id: 'late-1', trace_id: 't', started_at: now }] }, base: A.base });
	assert.equal(intake.status, 503, intake.text);
	assert.equal(typeof intake.json.detail, 'string');
	assert.match(intake.json.detail, /taken over by host/);
	assert.ok(intake.headers['retry-after']);
	const opik = await request('POST', '/v1/private/spans/batch', { body: { spans: [{ id: '0190a1b2-0009-7000-8000-000000000001',
		trace_id: '0190a1b2-0009-7000-8000-000000000002', project_name: 'p', name: 'late', type: 'general', start_time: now }] },
	headers: { 'Content-Type': 'application/json', 'Comet-Workspace': WS }, base: A.base });
	assert.equal(opik.status, 503, opik.text);
	assert.equal(opik.json.code, 503);
	assert.match(opik.json.message, /taken over/);
	const sgp = await request('PUT', '/v5/spans/batch', { body: { items: [{ id: '0190a1b2-0009-7000-8000-000000000003', name: 'late',
		trace_id: '0190a1b2-0009-7000-8000-000000000004', start_timestamp: now }] },
	headers: { 'Content-Type': 'application/json', 'x-selected-account-id': WS }, base: A.base });
	assert.equal(sgp.status, 503, sgp.text);
	assert.ok(sgp.headers['retry-after']);
	// Reads go on.
	const list = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans?page_size=5`, { base: A.base });
	assert.equal(list.status, 200, list.text);
}

test('split brain, async mode: the loser stops within a pass, names what it acknowledged since, and never writes into the winner\'s log', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'split-async');
	const env = s3Env(s3, bucket);
	const { A, B, w, Bdir } = await splitBrain(env, { interval: 1 });
	await refusedOnA(A);
	await onlyB(s3, bucket, Bdir);
	// What A acknowledged that B lacks is named, id by id, in A's status.
	const st = (await shipStatus(A.dataDir, env, spandexCli))[WS];
	const named = new Set((st.unshipped?.days ?? []).flatMap((d) => d.ids));
	const missingOnB = [];
	for (const x of w.writes) {
		if (x.api !== 'intake') continue;
		for (const id of x.ids.filter((i) => i.startsWith(`i-${x.batch}-`))) {
			const r = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans/${id}`, { base: B.base });
			if (r.status === 404) missingOnB.push(id);
		}
	}
	for (const id of missingOnB) assert.ok(named.has(id), `${id}: acknowledged by A, not on B, and not named by A's status`);
	// What B holds is whole batches of A's history.
	await checkPulled(B.base, WS, w.writes, 0, { request });
	const v = await spandexCli(['verify', Bdir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('split brain, sync mode: every write the loser acknowledged is on the winner', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'split-sync');
	const env = s3Env(s3, bucket, 'spx', { SPANDEX_S3_SYNC: '1' });
	const { A, B, w, Bdir } = await splitBrain(env, { interval: 5 });
	await refusedOnA(A);
	await onlyB(s3, bucket, Bdir);
	const { held, missing } = await checkPulled(B.base, WS, w.writes, Infinity, { request });
	assert.deepEqual(missing, []);
	assert.equal(held, w.writes.length);
	// Nothing acknowledged on A is missing from the bucket: its report names no line.
	const st = (await shipStatus(A.dataDir, env, spandexCli))[WS];
	assert.equal(st.owner, 'lost');
});
