// Media files under the store's rules (issue 52; docs/media.md): spandex verify finds a
// reference without its file and a file whose bytes are not its name; backup and restore carry
// them; retention sweeps the ones no remaining span references (after a grace for writers) and
// archives those of an archived day; export and import take them along; and a writer killed at
// any call, or refused by a full disk, never leaves a reference without its file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, makeSpan, dayTime, clockEnv, cgiRequest, spandexCli, spandexOk, BUILDDIR, WS_PREFIX } from '../harness.mjs';

const DAY = 86400;
let srv, tmp;
before(async () => {
	srv = await startServer({ workers: 1 });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-media-ops-'));
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

let seed = 0;
const png = (n = 30000) => {
	const parts = [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')];
	for (let len = 8; len < n; len += 32) parts.push(crypto.createHash('sha256').update(`ops-${++seed}`).digest());
	return Buffer.concat(parts).subarray(0, n);
};
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
const uri = (b) => `data:image/png;base64,${b.toString('base64')}`;
const mediaPath = (data, ws, b) => path.join(data, ws, 'media', sha(b).slice(0, 2), sha(b));

// Spans of ws into data, through NeMo's ingest as plain CGI (env: clockEnv's, faults).
async function ingest(data, ws, spans, env = {}) {
	return cgiRequest(data, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans }, env });
}
async function media(data, ws, b) {
	const r = await cgiRequest(data, 'GET', `${WS_PREFIX}/${ws}/media/${sha(b)}`);
	return r.status === 200 ? r.bytes : null;
}

test('spandex verify: a reference without its file, and a file whose bytes are not its name', async () => {
	const a = png(), b = png();
	const r = await ingest(srv.dataDir, 'vfy', [makeSpan('v1', { input: uri(a) }), makeSpan('v2', { input: uri(b) })]);
	assert.equal(r.status, 201, r.text);
	await spandexOk(['verify', srv.dataDir, '--workspace', 'vfy']);
	const pa = mediaPath(srv.dataDir, 'vfy', a), pb = mediaPath(srv.dataDir, 'vfy', b);
	const keep = fs.readFileSync(pa);
	fs.unlinkSync(pa);
	const damaged = Buffer.from(fs.readFileSync(pb));
	damaged[100] ^= 1;
	fs.writeFileSync(pb, damaged);
	const v = await spandexCli(['verify', srv.dataDir, '--workspace', 'vfy']);
	assert.equal(v.code, 1, v.stdout + v.stderr);
	assert.match(v.stdout + v.stderr, new RegExp(`references media ${sha(a)}, which has no file`));
	assert.match(v.stdout + v.stderr, new RegExp(`media/${sha(b).slice(0, 2)}/${sha(b)}: damaged: its bytes hash to ${sha(damaged)}`));
	fs.writeFileSync(pa, keep);
	fs.writeFileSync(pb, b);
	await spandexOk(['verify', srv.dataDir, '--workspace', 'vfy']);
});

test('backup and restore carry the media; a second backup links them', async () => {
	const a = png();
	assert.equal((await ingest(srv.dataDir, 'bk', [makeSpan('k1', { input: uri(a) })])).status, 201);
	const dest = path.join(tmp, 'backups');
	let out = await spandexOk(['backup', srv.dataDir, dest, '--verbose']);
	assert.match(out.stdout, /[1-9]\d* media files copied and 0 linked/);
	out = await spandexOk(['backup', srv.dataDir, dest, '--verbose']);
	assert.match(out.stdout, / 0 media files copied and [1-9]\d* linked/);
	const gens = fs.readdirSync(dest).filter((g) => !g.startsWith('.')).sort();
	const manifest = fs.readFileSync(path.join(dest, gens[1], 'MANIFEST'), 'utf8');
	assert.match(manifest, /^# media bk 1 30000$/m);
	const data2 = path.join(tmp, 'restored');
	await spandexOk(['restore', dest, data2]);
	assert.ok((await media(data2, 'bk', a))?.equals(a));
	await spandexOk(['verify', data2]);
	// A generation that lost a media file is refused before anything is copied.
	fs.unlinkSync(mediaPath(path.join(dest, gens[1]), 'bk', a));
	const bad = await spandexCli(['restore', dest, path.join(tmp, 'restored2')]);
	assert.equal(bad.code, 1, bad.stdout + bad.stderr);
	assert.match(bad.stderr, /bk\/media: not the files or bytes the MANIFEST records/);
});

// Spans of ws on days 120 to 122 back, ingested then (the writer's clock 120 days behind), one
// with only, one with shared; and one of today with shared.
async function agedWorkspace(ws, only, shared) {
	let r = await ingest(srv.dataDir, ws, [
		makeSpan(`${ws}-old1`, { started_at: dayTime(0, 120), input: uri(only) }),
		makeSpan(`${ws}-old2`, { started_at: dayTime(0, 121), input: uri(shared) }),
	], clockEnv(-120 * DAY));
	assert.equal(r.status, 201, r.text);
	r = await ingest(srv.dataDir, ws, [makeSpan(`${ws}-now`, { started_at: dayTime(0, 0), input: uri(shared) })]);
	assert.equal(r.status, 201, r.text);
}

test('retention sweeps the media no remaining span references, but not before their hour of grace', async () => {
	const only = png(), shared = png();
	await agedWorkspace('swept', only, shared);
	// The files were written minutes ago: a writer may be about to reference them, so they
	// stay however unreferenced they are.
	let out = (await spandexOk(['retain', srv.dataDir, '--days', '30', '--workspace', 'swept', '--verbose'])).stdout;
	assert.match(out, /retain: swept: 2 days removed/);
	assert.match(out, /retain: swept: media: 0 files no span references removed \(0 bytes\), 1 kept, 1 kept as written within the hour/);
	assert.ok(fs.existsSync(mediaPath(srv.dataDir, 'swept', only)));
	// Two hours on, the next retain that removes a day takes it.
	await agedWorkspace('swept2', only, shared);
	out = (await spandexOk(['retain', srv.dataDir, '--days', '30', '--workspace', 'swept2', '--verbose'], { env: clockEnv(2 * 3600) })).stdout;
	assert.match(out, /retain: swept2: media: 1 file no span references removed \(30000 bytes\), 1 kept/);
	assert.ok(!fs.existsSync(mediaPath(srv.dataDir, 'swept2', only)));
	assert.ok((await media(srv.dataDir, 'swept2', shared))?.equals(shared));
	await spandexOk(['verify', srv.dataDir, '--workspace', 'swept2']);
});

test('retain --archive: an archived day keeps its media beside it', async () => {
	const only = png(), shared = png();
	await agedWorkspace('arch', only, shared);
	const archive = path.join(tmp, 'archive');
	await spandexOk(['retain', srv.dataDir, '--days', '30', '--workspace', 'arch', '--archive', archive], { env: clockEnv(2 * 3600) });
	assert.ok(fs.readFileSync(mediaPath(archive, 'arch', only)).equals(only));
	assert.ok(fs.readFileSync(mediaPath(archive, 'arch', shared)).equals(shared));
	assert.ok(!fs.existsSync(mediaPath(srv.dataDir, 'arch', only)));
	// The archive is a data directory whose spans verify with their media.
	await spandexOk(['verify', archive, '--workspace', 'arch']);
});

test('export --media and import --media: the spans and their files move together', async () => {
	const a = png(), b = png();
	assert.equal((await ingest(srv.dataDir, 'exp', [makeSpan('e1', { input: uri(a) }), makeSpan('e2', { output: uri(b) })])).status, 201);
	const out = path.join(tmp, 'exp.jsonl'), dir = path.join(tmp, 'exp-media');
	await spandexOk(['export', srv.dataDir, '--workspace', 'exp', '--out', out, '--media', dir]);
	assert.deepEqual(fs.readdirSync(dir).sort(), [sha(a), sha(b)].sort());
	assert.ok(fs.readFileSync(path.join(dir, sha(a))).equals(a));
	const data2 = path.join(tmp, 'imported');
	fs.mkdirSync(data2);
	// Without the files the references would dangle: refused, nothing stored.
	let r = await spandexCli(['import', data2, '--workspace', 'imp', out]);
	assert.equal(r.code, 1, r.stdout + r.stderr);
	assert.match(r.stderr, new RegExp(`references media (${sha(a)}|${sha(b)}), which neither the workspace nor --media DIR holds`));
	// Nor with a file whose bytes are not its name.
	fs.writeFileSync(path.join(dir, sha(a)), b);
	r = await spandexCli(['import', data2, '--workspace', 'imp', '--media', dir, out]);
	assert.equal(r.code, 1, r.stdout + r.stderr);
	fs.writeFileSync(path.join(dir, sha(a)), a);
	await spandexOk(['import', data2, '--workspace', 'imp', '--media', dir, out]);
	assert.ok((await media(data2, 'imp', a))?.equals(a));
	assert.ok((await media(data2, 'imp', b))?.equals(b));
	await spandexOk(['verify', data2]);
	// A line of an older export, its base64 inline, moves out as at ingest.
	const inline = path.join(tmp, 'inline.jsonl');
	const line = JSON.parse(fs.readFileSync(out, 'utf8').split('\n')[0]);
	line.span_id = 'inline-1';
	line.input = uri(a);
	fs.writeFileSync(inline, `${JSON.stringify(line)}\n`);
	await spandexOk(['import', data2, '--workspace', 'imp2', inline]);
	const got = await cgiRequest(data2, 'GET', `${WS_PREFIX}/imp2/spans/inline-1`);
	assert.equal(got.json.input, `spandex-media://sha256/${sha(a)}?type=image/png&bytes=${a.length}`);
});

test('a writer killed at any call, or refused by a full disk, leaves no reference without its file', async () => {
	const shim = path.join(BUILDDIR, 't', 'fault', 'libfault.so');
	const asan = [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':');
	const data = path.join(tmp, 'crash');
	fs.mkdirSync(data);
	const a = png(), b = png();
	const spans = [makeSpan('c1', { input: uri(a) }), makeSpan('c2', { input: uri(b), started_at: dayTime(0, 2) })];
	// A full disk under the media files: 503, nothing stored.
	let r = await ingest(data, 'crashws', spans, { LD_PRELOAD: shim, SPANDEX_FAULT: 'enospc=/media/', SPANDEX_SYNC: '1', ASAN_OPTIONS: asan });
	assert.equal(r.status, 503, r.text);
	assert.equal((await cgiRequest(data, 'GET', `${WS_PREFIX}/crashws/spans/c1`)).status, 404);
	// Killed before each call that changes a file of the workspace, media files first.
	let n = 1;
	for (; n < 100; n++) {
		const fault = `count=/crashws/,kill-at=${n}`;
		const run = await cgiRequest(data, 'POST', `${WS_PREFIX}/crashws/ingest/spans`,
			{ body: { source: 'itest', spans }, env: { LD_PRELOAD: shim, SPANDEX_FAULT: fault, SPANDEX_SYNC: '1', ASAN_OPTIONS: asan } })
			.catch((e) => ({ killed: /exit/.test(String(e)) }));
		// What a kill leaves of the shards is the next writer's to settle (verify may name it
		// meanwhile); a reference whose file is missing it never leaves.
		const v = await spandexCli(['verify', data]);
		assert.doesNotMatch(v.stdout + v.stderr, /which has no file|damaged/, `killed at ${n}`);
		for (const [id, bytes] of [['c1', a], ['c2', b]]) {
			const s = await cgiRequest(data, 'GET', `${WS_PREFIX}/crashws/spans/${id}`);
			if (s.status === 200) assert.ok((await media(data, 'crashws', bytes))?.equals(bytes), `killed at ${n}: ${id}`);
		}
		if (!run.killed) {
			assert.equal(run.status, 201, run.text);
			break;
		}
	}
	assert.ok(n > 4, `the batch made only ${n - 1} calls`);
	await spandexOk(['verify', data]);
});
