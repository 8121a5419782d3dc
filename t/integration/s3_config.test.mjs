// The bucket (issue 51) badly configured: settings that do not parse, a wrong secret, an
// unknown access key, a bucket that does not exist, an endpoint where nothing listens, and one
// that is no S3 server (nginx). Each is named by `spandex ship` (exit 1, never a signal), in
// /healthz, and at the programs' start; async writes stay on disk (nothing is lost) and ship
// once the settings are right. Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, spandexCli, spandexOk, runCgi, refusingPort, BUILDDIR } from '../harness.mjs';
import { spawn } from 'node:child_process';
import { s3Server, makeBucket, s3Env, waitFor, shipStatus } from '../s3.mjs';

const WS = 'conf';
const SPANDEX = path.join(BUILDDIR, 'src', 'spandex');
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// GET /healthz of dataDir with env, as plain CGI: {status, json}.
async function healthz(dataDir, env) {
	const { done } = runCgi('spans', { path: '/healthz', dataDir, env });
	const r = await done;
	return { status: r.status, json: JSON.parse(r.body) };
}

test('settings that do not parse: said at start, in /healthz (503) and by spandex ship; every write refused, never lost', async () => {
	const s3 = await s3Server();
	const env = { ...s3Env(s3, 'nowhere'), SPANDEX_S3: 'http://nowhere/x' };
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const log = fs.readFileSync(A.procs.spans.log, 'utf8');
	assert.match(log, /SPANDEX_S3 'http:\/\/nowhere\/x' is not of the form s3:\/\/BUCKET\/PREFIX/);
	const h = await request('GET', '/healthz', { base: A.base });
	assert.equal(h.status, 503, h.text);
	assert.equal(h.json.status, 'degraded');
	assert.match(h.json.detail, /bucket's settings/);
	assert.match(h.json.bucket.error, /SPANDEX_S3/);
	const w = await request('POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`,
		{ body: { source: 'x', spans: [{ span_id: 'c1', trace_id: 't', started_at: new Date().toISOString() }] }, base: A.base });
	assert.equal(w.status, 503, w.text);
	assert.match(w.json.detail, /settings are wrong/);
	assert.ok(w.headers['retry-after']);
	const r = await spandexCli(['ship', A.dataDir], { env });
	assert.equal(r.code, 1, r.stderr);
	assert.match(r.stderr, /SPANDEX_S3 'http:\/\/nowhere\/x'/);
	for (const [k, v, says] of [['SPANDEX_S3_SYNC', 'yes', /SPANDEX_S3_SYNC/], ['SPANDEX_S3_TIMEOUT', '0', /SPANDEX_S3_TIMEOUT/],
		['SPANDEX_S3_ENDPOINT', 'ftp://x', /SPANDEX_S3_ENDPOINT/], ['AWS_SECRET_ACCESS_KEY', '', /AWS_SECRET_ACCESS_KEY/]]) {
		const bad = await spandexCli(['ship', A.dataDir], { env: { ...s3Env(s3, 'b-ok'), [k]: v } });
		assert.equal(bad.code, 1, `${k}=${v}: ${bad.stderr}`);
		assert.match(bad.stderr, says, `${k}=${v}`);
	}
});

// Starts a server on dir with env and waits for its spans program's start-up check of the
// bucket to say what it found (the check is made once, before the program takes requests):
// {A, said}. A check that met the radosgw not answering in time at that moment (on a loaded
// machine; the case under test is not "nothing answers") says that instead of the setting's
// fault: that start is stopped and another made, at most three times.
async function startSaying(dir, env, what, says) {
	const transport = /stopped answering|cannot reach the endpoint/;
	for (let tries = 1; ; tries++) {
		const A = await startServer({ dataDir: dir, env });
		const said = await waitFor(async () => {
			const log = fs.readFileSync(A.procs.spans.log, 'utf8');
			return /the bucket \(SPANDEX_S3\): /.test(log) && log;
		}, `${what}: the start-up check of the bucket said something`);
		if (says.test(said) || !transport.test(said) || tries === 3) return { A, said };
		console.log(`# ${what}: the start-up check met a bucket that did not answer in time; starting again:\n# ${said.trim()}`);
		await A.stop();
	}
}

test('a wrong secret, an unknown key, no such bucket, nothing listening, not an S3 server: each named, writes kept and shipped once mended', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'conf');
	const good = s3Env(s3, bucket);
	// The data, written with the bucket's settings all wrong but async: kept on disk.
	const nginx = await startServer({});
	cleanup.push(() => nginx.stop());
	const down = await refusingPort(); // nothing listens there, nor can
	cleanup.push(() => down.close());
	const nothing = `http://127.0.0.1:${down.port}`;
	const cases = [
		['a wrong secret', { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, /AWS_SECRET_ACCESS_KEY is wrong/],
		['an unknown access key', { AWS_ACCESS_KEY_ID: 'NOSUCHKEY0000000' }, /AWS_ACCESS_KEY_ID is wrong/],
		['no such bucket', { SPANDEX_S3: 's3://no-such-bucket-here/spx' }, /no bucket 'no-such-bucket-here'/],
		['nothing listening', { SPANDEX_S3_ENDPOINT: nothing }, /cannot reach the endpoint/],
		['not an S3 server (nginx)', { SPANDEX_S3_ENDPOINT: nginx.base }, /it is not an S3 server/],
	];
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-conf-'));
	cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
	for (const [what, over, says] of cases) {
		const env = { ...good, ...over };
		const { A, said: atStart } = await startSaying(dir, env, what, says);
		let stopped = false;
		cleanup.push(() => stopped || A.stop());
		const w = await request('POST', `/apis/intake/v2/workspaces/${WS}/ingest/spans`,
			{ body: { source: 'x', spans: [{ span_id: `kept-${cases.indexOf(cases.find((c) => c[0] === what))}`, trace_id: 't', started_at: new Date().toISOString() }] }, base: A.base });
		assert.equal(w.status, 201, `${what}: async mode keeps taking writes: ${w.text}`);
		// Said at the programs' start, by one pass (exit 1, never a signal), by the loop
		// (which goes on), and in /healthz, which stays 200: async mode keeps the host up.
		assert.match(atStart, says, `${what}: said at start`);
		const r = await spandexCli(['ship', dir], { env });
		assert.equal(r.code, 1, `${what}: ${r.stderr}`);
		assert.equal(r.signal, null, what);
		assert.match(r.stderr, says, what);
		const loop = spawn(SPANDEX, ['ship', dir, '--every', '1'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
		let said = '';
		loop.stderr.on('data', (d) => (said += d));
		await waitFor(async () => says.test(said) && /checking again every pass/.test(said), `${what}: said by the loop`);
		assert.equal(loop.exitCode, null, `${what}: the loop goes on`);
		loop.kill('SIGTERM');
		await new Promise((res) => loop.once('exit', res));
		const h = await healthz(dir, env);
		assert.equal(h.status, 200, `${what}: ${JSON.stringify(h.json)}`);
		assert.match(h.json.bucket.error ?? '', says, `${what}: /healthz`);
		const st = await shipStatus(dir, env, spandexCli);
		assert.match(st.bucket_error ?? '', says, `${what}: ship --status`);
		stopped = true;
		await A.stop();
	}
	// Mended: everything written meanwhile goes, and a copy pulled holds it.
	await spandexOk(['ship', dir], { env: good });
	const h = await healthz(dir, good);
	assert.equal(h.json.bucket.error, undefined, 'the check that succeeded clears the error');
	assert.equal(h.json.bucket.workspaces.find((x) => x.workspace === WS).error, null);
	assert.equal((await shipStatus(dir, good, spandexCli)).bucket_error, undefined);
	const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-conf-copy-'));
	cleanup.push(() => fs.rmSync(copy, { recursive: true, force: true }));
	await spandexOk(['pull', copy, '--workspace', WS, '--copy'], { env: good });
	const B = await startServer({ dataDir: copy, env: good });
	cleanup.push(() => B.stop());
	for (let i = 0; i < cases.length; i++) {
		const g = await request('GET', `/apis/intake/v2/workspaces/${WS}/spans/kept-${i}`, { base: B.base });
		assert.equal(g.status, 200, `kept-${i}: ${g.text}`);
	}
});
