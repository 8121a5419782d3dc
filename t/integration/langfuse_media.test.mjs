// Langfuse's media API (docs/media.md, "Uploads") through nginx and the real programs: the real
// langfuse 3.39.2 SDK finds a base64 data URI in a trace's input and a generation's output, asks
// POST /api/public/media for an upload URL, PUTs the bytes to it (this server's signed URL),
// reports the upload (PATCH) and sends the @@@langfuseMedia:...@@@ tag in the span; the SDK's
// resolveMediaReferences reads the bytes back (GET /api/public/media/{id} and its signed
// download URL), NeMo's media route serves the same file (by its hash, or by the tag's id), the same content is not uploaded
// twice, every wrong upload (bytes, length, type, signature, expiry) is a Langfuse-shaped 4xx
// with nothing stored, retention's sweep keeps the files a tag references, export, import and
// retain --archive carry them, and a URL handed out before a backup works after its restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, spandexCli, spandexOk, request, cgiRequest, clockEnv, makeSpan, dayTime, CLIENTS, WS_PREFIX } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Langfuse } = require('langfuse');

const WS = 'lf-media';
let srv;
const keys = {};
const basic = (key, ws = WS) => ({ Authorization: `Basic ${Buffer.from(`${ws}:${key}`).toString('base64')}` });

before(async () => {
	srv = await startServer();
	for (const role of ['read', 'write']) {
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', '*', '--role', role, '--name', `m-${role}`]);
		assert.equal(r.code, 0, r.stderr);
		keys[role] = r.stdout.trim();
	}
});
after(() => srv?.stop());

let seed = 0;
const png = (n = 20000) => {
	const parts = [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')];
	for (let len = 8; len < n; len += 32) parts.push(crypto.createHash('sha256').update(`lfm-${++seed}`).digest());
	return Buffer.concat(parts).subarray(0, n);
};
const hex = (b) => crypto.createHash('sha256').update(b).digest('hex');
const b64 = (b) => crypto.createHash('sha256').update(b).digest('base64');
const mediaId = (b) => crypto.createHash('sha256').update(b).digest('base64url').slice(0, 22);
const mediaFile = (ws, b) => path.join(srv.dataDir, ws, 'media', hex(b).slice(0, 2), hex(b));
const uri = (b) => `data:image/png;base64,${b.toString('base64')}`;
const lf = (method, p, { body, key = keys.write, ws = WS, headers = {} } = {}) =>
	request(method, `/api/public${p}`, { base: srv.base, body, headers: { ...basic(key, ws), ...headers } });
const uploadBody = (b, extra = {}) => ({ traceId: 't-1', field: 'input', contentType: 'image/png',
	contentLength: b.length, sha256Hash: b64(b), ...extra });
const put = (url, body, headers = { 'Content-Type': 'image/png' }) => {
	const u = new URL(url, srv.base);
	return request('PUT', u.pathname + u.search, { base: srv.base, body, headers });
};
const isLangfuseError = (r, status, error) => {
	assert.equal(r.status, status, r.text);
	assert.equal(typeof r.json?.message, 'string', r.text);
	if (error) assert.equal(r.json.error, error, r.text);
};

test('langfuse 3.x uploads the data URIs of a trace through the media API and reads them back', async () => {
	const shot = png(), plot = png(3000);
	const c = new Langfuse({ publicKey: WS, secretKey: keys.write, baseUrl: srv.base, flushAt: 1000 });
	const errors = [];
	c.on('error', (e) => errors.push(e));
	const trace = c.trace({ name: 'vision', input: { question: 'what is this?', image: uri(shot) } });
	const gen = trace.generation({ name: 'llm', input: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: uri(plot) } }] }] });
	gen.end({ output: 'a plot' });
	await c.flushAsync();
	assert.deepEqual(errors, []);

	// Each content is one file of the workspace, named by its hash.
	assert.ok(fs.readFileSync(mediaFile(WS, shot)).equals(shot));
	assert.ok(fs.readFileSync(mediaFile(WS, plot)).equals(plot));

	// The span keeps the SDK's tag; the SDK resolves it through GET /media/{id} and its URL.
	const reader = new Langfuse({ publicKey: WS, secretKey: keys.read, baseUrl: srv.base });
	const t = await reader.api.traceGet(trace.id);
	assert.equal(t.input.image, `@@@langfuseMedia:type=image/png|id=${mediaId(shot)}|source=base64_data_uri@@@`);
	const resolved = await reader.resolveMediaReferences({ obj: t, resolveWith: 'base64DataUri' });
	assert.equal(resolved.input.image, uri(shot));
	const o = t.observations.find((x) => x.name === 'llm');
	assert.equal(o.input[0].content[0].image_url.url, `@@@langfuseMedia:type=image/png|id=${mediaId(plot)}|source=base64_data_uri@@@`);
	assert.equal((await reader.resolveMediaReferences({ obj: o, resolveWith: 'base64DataUri' })).input[0].content[0].image_url.url, uri(plot));

	const m = await reader.fetchMedia(mediaId(shot));
	assert.equal(m.mediaId, mediaId(shot));
	assert.equal(m.contentType, 'image/png');
	assert.equal(m.contentLength, shot.length);
	assert.ok(Date.parse(m.urlExpiry) > Date.now() + 50 * 60 * 1000);
	assert.ok(Math.abs(Date.parse(m.uploadedAt) - Date.now()) < 10 * 60 * 1000);
	// The download URL needs no key, and serves the bytes as what they are.
	const d = await request('GET', new URL(m.url).pathname + new URL(m.url).search, { base: srv.base });
	assert.equal(d.status, 200);
	assert.equal(d.headers['content-type'], 'image/png');
	assert.ok(d.bytes.equals(shot));

	// Another API serves the same file by its hash.
	const n = await request('GET', `${WS_PREFIX}/${WS}/media/${hex(shot)}`, { base: srv.base, headers: { Authorization: `Bearer ${keys.read}` } });
	assert.equal(n.status, 200);
	assert.ok(n.bytes.equals(shot));
	// And by the tag's id, as the viewer fetches a tag's file.
	const byId = await request('GET', `${WS_PREFIX}/${WS}/media/${mediaId(shot)}`, { base: srv.base, headers: { Authorization: `Bearer ${keys.read}` } });
	assert.equal(byId.status, 200);
	assert.equal(byId.headers.etag, `"${hex(shot)}"`);
	assert.ok(byId.bytes.equals(shot));

	// Stored already: no upload URL, the same id.
	const again = await lf('POST', '/media', { body: uploadBody(shot) });
	assert.equal(again.status, 201, again.text);
	assert.deepEqual(again.json, { uploadUrl: null, mediaId: mediaId(shot) });
	// Another workspace holds no such file: it uploads its own.
	const other = await lf('POST', '/media', { body: uploadBody(shot), ws: 'lf-media-2' });
	assert.equal(typeof other.json.uploadUrl, 'string', other.text);
});

test('wrong uploads are Langfuse-shaped 4xx errors and store nothing', async () => {
	const b = png();
	const r = await lf('POST', '/media', { body: uploadBody(b) });
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.mediaId, mediaId(b));
	const url = r.json.uploadUrl;
	assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/public\/media\/upload\/lf-media\//);

	const wrong = Buffer.from(b);
	wrong[500] ^= 1;
	isLangfuseError(await put(url, wrong), 400, 'InvalidRequestError');
	isLangfuseError(await put(url, b.subarray(0, b.length - 1)), 400, 'InvalidRequestError');
	isLangfuseError(await put(url, b, { 'Content-Type': 'image/jpeg' }), 403, 'ForbiddenError');
	// The signature's first hex digit changed (replacing it by a fixed digit left it as it was
	// when it already was that digit: a 200 one run in sixteen).
	isLangfuseError(await put(url.replace(/signature=(.)/, (_, c) => `signature=${c === '0' ? '1' : '0'}`), b), 403, 'ForbiddenError');
	isLangfuseError(await put(url.replace(/length=\d+/, `length=${b.length + 1}`), b), 403, 'ForbiddenError');
	assert.ok(!fs.existsSync(mediaFile(WS, b)));
	assert.equal((await lf('GET', `/media/${mediaId(b)}`, { key: keys.read })).status, 404);

	// Expired: a URL handed out two hours ago (the program's clock set back) is refused.
	const old = await cgiRequest(srv.dataDir, 'POST', '/api/public/media', {
		body: uploadBody(b), headers: { ...basic(keys.write), Host: '127.0.0.1' }, env: clockEnv(-2 * 3600) });
	assert.equal(old.status, 201, old.text);
	isLangfuseError(await put(old.json.uploadUrl, b), 403, 'ForbiddenError');
	assert.match((await put(old.json.uploadUrl, b)).json.message, /expired/);
	assert.ok(!fs.existsSync(mediaFile(WS, b)));

	// The right bytes then go in, once.
	const ok = await put(url, b);
	assert.equal(ok.status, 200, ok.text);
	assert.ok(fs.readFileSync(mediaFile(WS, b)).equals(b));
	const patched = await lf('PATCH', `/media/${mediaId(b)}`, { body: { uploadedAt: new Date().toISOString(), uploadHttpStatus: 200, uploadHttpError: null, uploadTimeMs: 3 } });
	assert.equal(patched.status, 204, patched.text);

	// The request itself: Langfuse's zod answers, its 404s and its 401.
	let bad = await lf('POST', '/media', { body: uploadBody(b, { sha256Hash: 'not-a-hash' }) });
	isLangfuseError(bad, 400);
	assert.deepEqual(bad.json.error[0].path, ['sha256Hash']);
	bad = await lf('POST', '/media', { body: uploadBody(b, { contentType: 'image/x-unknown' }) });
	assert.deepEqual(bad.json.error[0].path, ['contentType']);
	bad = await lf('POST', '/media', { body: uploadBody(b, { field: 'expectedOutput' }) });
	isLangfuseError(bad, 400);
	isLangfuseError(await lf('POST', '/media', { body: uploadBody(b, { contentLength: 1 << 30 }) }), 400, 'InvalidRequestError');
	isLangfuseError(await lf('POST', '/media', { body: uploadBody(b), key: keys.read }), 403);
	isLangfuseError(await request('POST', '/api/public/media', { base: srv.base, body: uploadBody(b) }), 401);
	isLangfuseError(await lf('GET', '/media/AAAAAAAAAAAAAAAAAAAAAA', { key: keys.read }), 404, 'LangfuseNotFoundError');
	isLangfuseError(await lf('GET', '/media/not-an-id', { key: keys.read }), 404, 'LangfuseNotFoundError');
	isLangfuseError(await lf('PATCH', '/media/AAAAAAAAAAAAAAAAAAAAAA', { body: { uploadedAt: new Date().toISOString(), uploadHttpStatus: 200 } }), 404, 'LangfuseNotFoundError');
	bad = await lf('PATCH', `/media/${mediaId(b)}`, { body: { uploadedAt: 'yesterday', uploadHttpStatus: 200 } });
	assert.deepEqual(bad.json.error[0].path, ['uploadedAt']);

	// A download URL: expired or altered, refused; of another workspace, not this one's.
	const m = (await lf('GET', `/media/${mediaId(b)}`, { key: keys.read })).json;
	isLangfuseError(await request('GET', new URL(m.url).pathname + '?expires=1&signature=' + '0'.repeat(64), { base: srv.base }), 403, 'ForbiddenError');
	const u = new URL(m.url);
	isLangfuseError(await request('GET', u.pathname.replace('/lf-media/', '/lf-media-2/') + u.search, { base: srv.base }), 403, 'ForbiddenError');
	const stale = await cgiRequest(srv.dataDir, 'GET', `/api/public/media/${mediaId(b)}`, { headers: basic(keys.read), env: clockEnv(-2 * 3600) });
	assert.equal(stale.status, 200, stale.text);
	const su = new URL(stale.json.url, srv.base);
	const expired = await request('GET', su.pathname + su.search, { base: srv.base });
	isLangfuseError(expired, 403, 'ForbiddenError');
	assert.match(expired.json.message, /expired/);
});

test('the sweep keeps the files a Langfuse tag references and removes the others', async () => {
	const ws = 'lf-sweep';
	const kept = png(), dropped = png();
	// A day 120 days back for retention to remove, so that it sweeps (written first,
	// as a day ingested after the kept ones is kept).
	const old = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, {
		body: { source: 'itest', spans: [makeSpan('old', { started_at: dayTime(0, 120) })] },
		headers: { Authorization: `Bearer ${keys.write}` }, env: clockEnv(-120 * 86400) });
	assert.equal(old.status, 201, old.text);
	for (const b of [kept, dropped]) {
		const r = await lf('POST', '/media', { body: uploadBody(b), ws });
		assert.equal((await put(r.json.uploadUrl, b)).status, 200);
	}
	const tag = `@@@langfuseMedia:type=image/png|id=${mediaId(kept)}|source=base64_data_uri@@@`;
	const ing = await lf('POST', '/ingestion', { ws, body: { batch: [{ id: 'e1', type: 'trace-create', timestamp: new Date().toISOString(),
		body: { id: 'swept-trace', name: 'shot', input: { image: tag } } }] } });
	assert.equal(ing.status, 207, ing.text);
	const out = (await spandexOk(['retain', srv.dataDir, '--days', '30', '--workspace', ws, '--verbose'], { env: clockEnv(2 * 3600) })).stdout;
	assert.match(out, /media: 1 file no span references removed \(20000 bytes\), 1 kept/);
	assert.ok(fs.existsSync(mediaFile(ws, kept)));
	assert.ok(!fs.existsSync(mediaFile(ws, dropped)));
	const m = await lf('GET', `/media/${mediaId(kept)}`, { key: keys.read, ws });
	assert.equal(m.status, 200, m.text);
	await spandexOk(['verify', srv.dataDir, '--workspace', ws]);
});

// A file that only a tag references travels as a referenced one does (docs/media.md, "The
// files, and what keeps them right"): export --media writes it, import --media takes it into
// another data directory, retain --archive puts it beside its archived day; each copy is the
// bytes, and NeMo's and Langfuse's media routes serve it there.
test('export, import and retain --archive carry a file only a Langfuse tag references', async (t) => {
	const ws = 'lf-carry';
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-lf-carry-'));
	t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const shot = png(), aged = png();
	// A trace of a day 120 back (ingested then, so retention takes it: written first, as a day
	// ingested after today's is kept) whose only media is the tag of an upload.
	const r = await lf('POST', '/media', { body: uploadBody(aged), ws });
	assert.equal((await put(r.json.uploadUrl, aged)).status, 200);
	const old = await cgiRequest(srv.dataDir, 'POST', '/api/public/ingestion', {
		body: { batch: [{ id: 'e-old', type: 'trace-create', timestamp: dayTime(0, 120), body: { id: 'carry-old',
			name: 'old', timestamp: dayTime(0, 120), input: { image: `@@@langfuseMedia:type=image/png|id=${mediaId(aged)}|source=bytes@@@` } } }] },
		headers: basic(keys.write, ws), env: clockEnv(-120 * 86400) });
	assert.equal(old.status, 207, old.text);
	// Today's trace through the SDK, which uploads shot and leaves its tag.
	const c = new Langfuse({ publicKey: ws, secretKey: keys.write, baseUrl: srv.base, flushAt: 1000 });
	const errors = [];
	c.on('error', (e) => errors.push(e));
	c.trace({ id: 'carry-now', name: 'vision', input: { image: uri(shot) } });
	await c.flushAsync();
	assert.deepEqual(errors, []);

	const served = async (data, b) => {
		const byId = await cgiRequest(data, 'GET', `${WS_PREFIX}/${ws}/media/${mediaId(b)}`);
		assert.equal(byId.status, 200, byId.text);
		assert.ok(byId.bytes.equals(b));
		const m = await cgiRequest(data, 'GET', `/api/public/media/${mediaId(b)}`, { headers: basic('none', ws) });
		assert.equal(m.status, 200, m.text);
		const u = new URL(m.json.url, srv.base);
		const d = await cgiRequest(data, 'GET', u.pathname + u.search);
		assert.equal(d.status, 200, d.text);
		assert.ok(d.bytes.equals(b));
	};
	const out = path.join(tmp, 'lf.jsonl'), dir = path.join(tmp, 'lf-media');
	await spandexOk(['export', srv.dataDir, '--workspace', ws, '--out', out, '--media', dir]);
	assert.deepEqual(fs.readdirSync(dir).sort(), [hex(shot), hex(aged)].sort());
	assert.ok(fs.readFileSync(path.join(dir, hex(shot))).equals(shot));
	assert.ok(fs.readFileSync(path.join(dir, hex(aged))).equals(aged));
	const data2 = path.join(tmp, 'imported');
	fs.mkdirSync(data2);
	// Without the files a tag is text, as at ingest: the spans go in, no file with them.
	await spandexOk(['import', data2, '--workspace', 'lf-bare', out]);
	await spandexOk(['import', data2, '--workspace', ws, '--media', dir, out]);
	assert.ok(fs.readFileSync(path.join(data2, ws, 'media', hex(shot).slice(0, 2), hex(shot))).equals(shot));
	await served(data2, shot);
	await served(data2, aged);
	// Opik's attachment list takes the same list: the trace's tag names its file.
	const list = await cgiRequest(data2, 'GET', '/v1/private/attachment/list?entity_type=trace&entity_id=carry-now&page=1&size=10',
		{ headers: { 'Comet-Workspace': ws } });
	assert.equal(list.status, 200, list.text);
	assert.deepEqual(list.json.content.map((x) => [x.file_name, x.file_size, x.mime_type]), [[`${hex(shot)}.png`, shot.length, 'image/png']]);
	await spandexOk(['verify', data2]);

	const archive = path.join(tmp, 'archive');
	await spandexOk(['retain', srv.dataDir, '--days', '30', '--workspace', ws, '--archive', archive], { env: clockEnv(2 * 3600) });
	assert.ok(!fs.existsSync(mediaFile(ws, aged)));
	assert.ok(fs.readFileSync(path.join(archive, ws, 'media', hex(aged).slice(0, 2), hex(aged))).equals(aged));
	await served(archive, aged);
	await spandexOk(['verify', archive, '--workspace', ws]);
});

// The secret the URLs are signed with is in the backup (FORMAT.md, "Beside the workspaces"):
// an upload and a download URL handed out before a backup work on the directory it is
// restored into.
test('a signed URL handed out before a backup works after its restore into another directory', async (t) => {
	const ws = 'lf-restore';
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-lf-restore-'));
	t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
	const a = png(), b = png();
	const c = new Langfuse({ publicKey: ws, secretKey: keys.write, baseUrl: srv.base, flushAt: 1000 });
	const errors = [];
	c.on('error', (e) => errors.push(e));
	c.trace({ name: 'vision', input: { image: uri(a) } });
	await c.flushAsync();
	assert.deepEqual(errors, []);
	const m = await lf('GET', `/media/${mediaId(a)}`, { key: keys.read, ws });
	assert.equal(m.status, 200, m.text);
	const later = await lf('POST', '/media', { body: uploadBody(b), ws });
	assert.equal(typeof later.json.uploadUrl, 'string', later.text);

	await spandexOk(['backup', srv.dataDir, path.join(tmp, 'backups')]);
	const data2 = path.join(tmp, 'restored');
	await spandexOk(['restore', path.join(tmp, 'backups'), data2]);
	assert.equal(fs.statSync(path.join(data2, '.spandex-sign')).mode & 0o777, 0o600);
	const B = await startServer({ dataDir: data2 });
	t.after(() => B.stop());
	const u = new URL(m.json.url);
	const d = await request('GET', u.pathname + u.search, { base: B.base });
	assert.equal(d.status, 200, d.text);
	assert.ok(d.bytes.equals(a));
	const lu = new URL(later.json.uploadUrl);
	const p = await request('PUT', lu.pathname + lu.search, { base: B.base, body: b, headers: { 'Content-Type': 'image/png' } });
	assert.equal(p.status, 200, p.text);
	assert.ok(fs.readFileSync(path.join(data2, ws, 'media', hex(b).slice(0, 2), hex(b))).equals(b));
});
