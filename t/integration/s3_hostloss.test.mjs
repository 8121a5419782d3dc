// The bucket (issue 51): a host lost, its workspace pulled on an empty host. Async mode: every
// write of every API (multi-day batches, re-sends, judgements) acknowledged before the last
// pass's cut reads back on the new host at its newest version, and what it holds is a prefix
// of the old host's history (whole batches, no old version over a newer one); sync mode: no
// acknowledged write is lost at all. Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { startServer, request, spandexCli, spandexOk, childPids, BUILDDIR, ingestSpans, makeSpan, WS_PREFIX } from '../harness.mjs';
import { s3Server, makeBucket, s3Env, startMixedWriters, checkPulled, killHost, shipStatus, waitFor } from '../s3.mjs';

const WS = 'lossy';
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// A host writing WS through every API with the shipper running, then SIGKILLed with its
// directory deleted; an empty directory pulled. Returns what the checks need.
async function loseHost(env, { passes }) {
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const shipper = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['ship', A.dataDir, '--every', '1'],
		{ env: { ...process.env, ...env }, stdio: 'ignore' });
	cleanup.push(() => shipper.kill('SIGKILL'));
	const w = startMixedWriters(WS, A.base, { request });
	cleanup.push(() => w.stop());
	// Several passes while every API writes, then the host goes mid-ingest.
	await waitFor(async () => {
		const st = (await shipStatus(A.dataDir, env, spandexCli))[WS];
		return st && st.seq >= passes && w.writes.length >= 40;
	}, `${passes} passes of ${WS}`);
	killHost(A, childPids);
	shipper.kill('SIGKILL');
	await w.stop();
	// What the bucket held when the host went: every write answered before the cut of the
	// last pass that finished (the state says when it cut).
	const state = JSON.parse(fs.readFileSync(path.join(A.dataDir, '.spandex-ship', `${WS}.state`), 'utf8'));
	const cutoff = state.caught_up_at / 1000;
	await A.stop(); // and its data directory with it
	if (process.env.SPANDEX_KEEP !== '1') assert.equal(fs.existsSync(A.dataDir), false);

	const Bdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-b-'));
	if (process.env.SPANDEX_KEEP !== '1') cleanup.push(() => fs.rmSync(Bdir, { recursive: true, force: true }));
	else console.error(`# kept ${Bdir} (A: ${A.dataDir})`);
	await spandexOk(['pull', path.join(Bdir, 'data')], { env });
	const v = await spandexCli(['verify', path.join(Bdir, 'data'), '--verbose']);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	const B = await startServer({ dataDir: path.join(Bdir, 'data'), env });
	cleanup.push(() => B.stop());
	return { B, w, cutoff };
}

test('host loss, async mode: every write acknowledged before the last pass reads back on the new host, a prefix of the old one\'s history', async () => {
	const s3 = await s3Server();
	const env = s3Env(s3, await makeBucket(s3, 'async'));
	const { B, w, cutoff } = await loseHost(env, { passes: 4 });
	const before = w.writes.filter((x) => x.at < cutoff);
	assert.ok(before.length >= 20, `${before.length} writes before the cut`);
	for (const api of ['intake', 'opik', 'sgp', 'judge'])
		assert.ok(before.some((x) => x.api === api), `${api} wrote before the cut`);
	const { held, missing } = await checkPulled(B.base, WS, w.writes, cutoff, { request });
	assert.deepEqual(missing, []);
	assert.ok(held >= before.length, `${held} writes held, ${before.length} before the cut`);
});

test('host loss, sync mode: no acknowledged write is lost', async () => {
	const s3 = await s3Server();
	const env = s3Env(s3, await makeBucket(s3, 'sync'), 'spx', { SPANDEX_S3_SYNC: '1' });
	const { B, w } = await loseHost(env, { passes: 6 });
	const { held, missing } = await checkPulled(B.base, WS, w.writes, Infinity, { request });
	assert.deepEqual(missing, []);
	assert.equal(held, w.writes.length);
});

// Media files (docs/media.md) travel with the lines: a pull on an empty host holds the file a
// span references, so verify is clean and the media route serves its bytes. And the secret the
// media URLs are signed with travels too: a Langfuse download and upload URL handed out by the
// old host work on the new one.
test('host loss: the media files a span references, and the URLs signed for them, are pulled with it', async () => {
	const s3 = await s3Server();
	const env = s3Env(s3, await makeBucket(s3, 'media'));
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const parts = [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')];
	for (let i = 0; i < 1200; i++) parts.push(crypto.createHash('sha256').update(`s3-media-${i}`).digest());
	const img = Buffer.concat(parts);
	const sha = crypto.createHash('sha256').update(img).digest('hex');
	const input = `data:image/png;base64,${img.toString('base64')}`;
	const r = await ingestSpans('pics', [makeSpan('m1', { input })], { base: A.base });
	assert.equal(r.status, 201, r.text);
	assert.ok(fs.existsSync(path.join(A.dataDir, 'pics', 'media', sha.slice(0, 2), sha)), 'the media file');
	const lf = { Authorization: `Basic ${Buffer.from('pics:none').toString('base64')}` };
	const id = crypto.createHash('sha256').update(img).digest('base64url').slice(0, 22);
	const got = await request('GET', `/api/public/media/${id}`, { base: A.base, headers: lf });
	assert.equal(got.status, 200, got.text);
	const more = Buffer.concat([img.subarray(0, 8), crypto.createHash('sha256').update('s3-media-more').digest()]);
	const up = await request('POST', '/api/public/media', { base: A.base, headers: lf, body: { traceId: 'm1', field: 'input',
		contentType: 'image/png', contentLength: more.length, sha256Hash: crypto.createHash('sha256').update(more).digest('base64') } });
	assert.equal(typeof up.json?.uploadUrl, 'string', up.text);
	await spandexOk(['ship', A.dataDir], { env });
	await A.stop();

	const Bdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-b-'));
	cleanup.push(() => fs.rmSync(Bdir, { recursive: true, force: true }));
	const data = path.join(Bdir, 'data');
	await spandexOk(['pull', data], { env });
	const v = await spandexCli(['verify', data, '--verbose']);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	const B = await startServer({ dataDir: data, env });
	cleanup.push(() => B.stop());
	const m = await request('GET', `${WS_PREFIX}/pics/media/${sha}`, { base: B.base });
	assert.equal(m.status, 200, m.text);
	assert.ok(m.bytes.equals(img), 'the media bytes came back changed');
	const du = new URL(got.json.url);
	const d = await request('GET', du.pathname + du.search, { base: B.base });
	assert.equal(d.status, 200, d.text);
	assert.ok(d.bytes.equals(img));
	const uu = new URL(up.json.uploadUrl);
	const p = await request('PUT', uu.pathname + uu.search, { base: B.base, body: more, headers: { 'Content-Type': 'image/png' } });
	assert.equal(p.status, 200, p.text);
	assert.equal(fs.statSync(path.join(data, '.spandex-sign')).mode & 0o777, 0o600);
});
