// The bucket (issue 51) under the admin commands, with the shipper looping: index, seal (a
// sealed day replaces its open form in the bucket), reindex, retain (a removed day leaves the
// bucket, the objects that held it deleted), an Opik retention rule (its file travels), and a
// backup restored over a workspace the bucket has moved past (its passes and writes refused
// as behind, nothing older written over the bucket's copy, until a pull takes that copy).
// Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, request, spandexCli, spandexOk, cgiRequest, clockEnv, BUILDDIR } from '../harness.mjs';
import { s3Server, makeBucket, s3Env, startMixedWriters, checkPulled, shipStatus, waitFor, checkLog, listKeys, getObject, objectHeader, LAG_ROUNDING } from '../s3.mjs';

const WS = 'admin';
const SPANDEX = path.join(BUILDDIR, 'src', 'spandex');
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});
const OLD = 10; // days back of the day retain removes
const dayName = (back) => new Date(Date.now() - back * 86400000).toISOString().slice(0, 10);

// The workspace's newest snapshot as the bucket holds it (its log object).
async function newestSnapshot(s3, bucket) {
	const heads = await checkLog(s3, bucket, 'spx', WS);
	return heads.filter((h) => h.type === 'snapshot').pop();
}

// A pass after now has finished: the state says it left nothing behind since.
async function shipped(data, env) {
	const t = Date.now();
	await waitFor(async () => {
		const asked = Date.now(); // before the status's clock: its lag is at least as long
		const st = (await shipStatus(data, env, spandexCli))[WS];
		return st && !st.lag_bytes && st.lag_seconds + LAG_ROUNDING < (asked - t) / 1000;
	}, 'a pass after the last change');
}

async function copyOf(env) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-admin-copy-'));
	cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
	await spandexOk(['pull', dir, '--workspace', WS, '--copy'], { env });
	const v = await spandexCli(['verify', dir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	return dir;
}

test('seal, index, reindex, retain and retention rules under the shipper; a restore does not resurrect what the bucket superseded', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'admin');
	const env = s3Env(s3, bucket);
	const Adir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-admin-a-'));
	cleanup.push(() => fs.rmSync(Adir, { recursive: true, force: true }));
	// A day a retain will remove: 10 days back, ingested then (a program whose clock is 10
	// days behind), before anything else, so the store's own clock finds it old too
	// (docs/operations.md, "Retention does not trust the clocks").
	const old = await cgiRequest(Adir, 'POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`, {
		body: { source: 'x', spans: [{ span_id: 'old-1', trace_id: 'old', started_at: `${dayName(OLD)}T12:00:00Z` }] },
		env: clockEnv(-OLD * 86400) });
	assert.equal(old.status, 201, old.text);
	const A = await startServer({ dataDir: Adir, env });
	cleanup.push(() => A.stop());
	const loop = spawn(SPANDEX, ['ship', A.dataDir, '--every', '1'], { env: { ...process.env, ...env }, stdio: 'ignore' });
	cleanup.push(() => loop.kill('SIGKILL'));
	let w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	await waitFor(async () => ((await shipStatus(A.dataDir, env, spandexCli))[WS]?.seq ?? 0) >= 3, 'shipping');

	// index and seal while writes and passes go on: the days before yesterday are sealed,
	// and the next snapshot holds them as their .jsonl.zst.
	await spandexOk(['index', A.dataDir, '--wait']);
	await spandexOk(['seal', A.dataDir, '--older-than', '1', '--wait']);
	const sealedDays = [dayName(2), dayName(3)];
	await waitFor(async () => {
		const snap = await newestSnapshot(s3, bucket);
		return snap && sealedDays.every((d) => snap.days.some((x) => x.kind === 'spans' && x.day === d && x.sealed));
	}, 'a snapshot holding the sealed days sealed');
	const snap = await newestSnapshot(s3, bucket);
	for (const d of snap.days.filter((x) => x.sealed)) {
		const z = await getObject(s3, bucket, `spx/${d.sealed.key}`);
		assert.equal(z.length, d.sealed.size);
		assert.equal(z.readUInt32LE(0), 0xfd2fb528, `${d.day}: a zstd frame`);
	}
	// reindex, under writes and passes: the lines did not change, so nothing is replaced.
	await spandexOk(['reindex', A.dataDir, '--workspace', WS]);
	await w.stop();
	await shipped(A.dataDir, env);
	let copy = await copyOf(env);
	for (const d of sealedDays) assert.ok(fs.existsSync(path.join(copy, WS, `${d}.jsonl.zst`)), `${d} pulled sealed`);
	let C = await startServer({ dataDir: copy, env });
	cleanup.push(() => C.stop());
	const { missing } = await checkPulled(C.base, WS, w.writes, Infinity, { request });
	assert.deepEqual(missing, []);
	await C.stop();

	// retain: the oldest day leaves this host, then the bucket, with the objects that held it.
	const before = new Set((await listKeys(s3, bucket, `spx/${WS}/`)).map((k) => k.key));
	await spandexOk(['retain', A.dataDir, '--days', '2', '--wait']);
	await waitFor(async () => {
		const s = await newestSnapshot(s3, bucket);
		return s && !s.days.some((x) => x.day === dayName(OLD));
	}, 'a snapshot without the removed day');
	// The pass that wrote it deletes what it replaced after the snapshot is there: a pass
	// after this one has finished (passes take turns) once it has.
	await shipped(A.dataDir, env);
	const now = await newestSnapshot(s3, bucket);
	const keys = (await listKeys(s3, bucket, `spx/${WS}/`)).map((k) => k.key);
	// Nothing of the removed day is left: no log object below the snapshot (but takeovers),
	// and no data object the snapshot does not name.
	const named = new Set(now.days.flatMap((d) => [d.sealed?.key, ...d.pieces.map((p) => p.key)]).concat(now.files.map((f) => f.key)).filter(Boolean).map((k) => `spx/${k}`));
	for (const k of keys) {
		if (k.includes('/data/')) assert.ok(named.has(k), `${k}: a data object the newest snapshot does not name`);
		const m = /\/log\/(\d+)$/.exec(k);
		if (m) assert.ok(Number(m[1]) >= now.seq, `${k}: a log object below the erasing snapshot ${now.seq}`);
	}
	assert.ok([...before].some((k) => !keys.includes(k)), 'the objects that held the removed day were deleted');
	copy = await copyOf(env);
	assert.ok(!fs.existsSync(path.join(copy, WS, `${dayName(OLD)}.jsonl.zst`)), 'the removed day is not pulled');
	assert.ok(fs.existsSync(path.join(copy, WS, `${dayName(3)}.jsonl.zst`)), 'the days kept are');

	// A retention rule through Opik's API: its file goes with the workspace.
	const rule = await request('POST', '/v1/private/retention/rules', {
		body: { retention: 'extended_400d' }, headers: { 'Comet-Workspace': WS }, base: A.base });
	assert.equal(rule.status, 201, rule.text);
	await shipped(A.dataDir, env);
	copy = await copyOf(env);
	C = await startServer({ dataDir: copy, env });
	cleanup.push(() => C.stop());
	const rules = await request('GET', '/v1/private/retention/rules', { headers: { 'Comet-Workspace': WS }, base: C.base });
	assert.equal(rules.status, 200, rules.text);
	assert.deepEqual(rules.json.content.map((r) => r.retention), ['extended_400d']);
	await C.stop();

	// A backup, then more writes shipped, then the backup restored over the workspace: the
	// bucket has moved past it, so its next pass is refused, its writes too, and the bucket
	// keeps what it had; a pull takes the bucket's copy back.
	const backups = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-admin-backup-'));
	cleanup.push(() => fs.rmSync(backups, { recursive: true, force: true }));
	await spandexOk(['backup', A.dataDir, backups, '--wait']);
	w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	await waitFor(async () => w.writes.length >= 20, 'writes after the backup');
	await w.stop();
	await shipped(A.dataDir, env);
	const head = (await checkLog(s3, bucket, 'spx', WS)).pop();
	loop.kill('SIGKILL');
	await A.stop();
	const gen = fs.readdirSync(backups).filter((g) => /^\d/.test(g)).sort().pop();
	await spandexOk(['restore', path.join(backups, gen), A.dataDir, '--force', '--wait']);
	const r = await spandexCli(['ship', A.dataDir], { env });
	assert.equal(r.code, 1, r.stdout + r.stderr);
	assert.match(r.stderr, /spandex pull DATA --workspace admin/);
	assert.deepEqual((await checkLog(s3, bucket, 'spx', WS)).pop(), head, 'the bucket kept its log as it was');
	assert.equal((await shipStatus(A.dataDir, env, spandexCli))[WS].owner, 'behind');
	const A2 = await startServer({ dataDir: A.dataDir, env });
	cleanup.push(() => A2.stop());
	const refused = await request('POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`, {
		body: { source: 'x', spans: [{ span_id: 'after-restore', trace_id: 't', started_at: new Date().toISOString() }] }, base: A2.base });
	assert.equal(refused.status, 503, refused.text);
	await spandexOk(['pull', A.dataDir, '--workspace', WS], { env });
	const { missing: gone } = await checkPulled(A2.base, WS, w.writes, Infinity, { request });
	assert.deepEqual(gone, []);
	const ok = await request('POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`, {
		body: { source: 'x', spans: [{ span_id: 'after-pull', trace_id: 't', started_at: new Date().toISOString() }] }, base: A2.base });
	assert.equal(ok.status, 201, ok.text);
	await spandexOk(['ship', A.dataDir], { env });
});
