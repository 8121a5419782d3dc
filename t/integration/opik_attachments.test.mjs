// Opik's attachment upload (docs/media.md, "Uploads"; Opik's AttachmentResource as its backend
// on local storage answers it) through nginx and the real programs, with the REST client of
// the real `opik` npm SDK (t/clients) where it speaks the routes, and the PUT its SDKs send to
// the URL upload-start hands out: the file is stored once as a media file of the workspace,
// listed and downloaded under its own name, kept by the span's row (so by create, PATCH and
// verify), uploaded before its span is created as well as after, and taken off by delete.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, spandexOk, request, CLIENTS } from '../harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Opik } = await import(require.resolve('opik'));

const WS = 'opik-att';
const h = { 'Comet-Workspace': WS };
let srv;
before(async () => {
	srv = await startServer();
});
after(() => srv?.stop());

let seed = 0;
const png = (n = 5000) => {
	const parts = [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')];
	for (let len = 8; len < n; len += 32) parts.push(crypto.createHash('sha256').update(`att-${++seed}`).digest());
	return Buffer.concat(parts).subarray(0, n);
};
const hex = (b) => crypto.createHash('sha256').update(b).digest('hex');
const mediaFile = (b) => path.join(srv.dataDir, WS, 'media', hex(b).slice(0, 2), hex(b));
const base64 = (s) => Buffer.from(s).toString('base64');
const put = (url, body, ctype = 'image/png') => {
	const u = new URL(url);
	return request('PUT', u.pathname + u.search, { base: srv.base, body, headers: { ...h, 'Content-Type': ctype } });
};
const client = () => new Opik({ apiUrl: srv.base, projectName: 'att', workspaceName: WS });

// upload-start, the PUT, upload-complete: as Opik's SDKs upload one file.
async function upload(c, entityType, entityId, fileName, bytes) {
	const start = await c.api.attachments.startMultiPartUpload({ fileName, numOfFileParts: 1, mimeType: 'image/png',
		entityType, entityId, path: base64(srv.base) });
	assert.equal(start.uploadId, 'BEMinIO');
	assert.equal(start.preSignUrls.length, 1);
	assert.ok(start.preSignUrls[0].startsWith(`${srv.base}/v1/private/attachment/upload?file_name=`), start.preSignUrls[0]);
	const r = await put(start.preSignUrls[0], bytes);
	assert.equal(r.status, 204, r.text);
	await c.api.attachments.completeMultiPartUpload({ fileName, entityType, entityId, fileSize: bytes.length,
		uploadId: start.uploadId, uploadedFileParts: [] });
}

const list = (c, entityType, entityId) => c.api.attachments.attachmentList({ entityType, entityId, projectId: 'p', path: base64(srv.base) });

test('an attachment uploaded for a span is listed and downloaded under its own name', async () => {
	const c = client();
	const trace = c.trace({ name: 'vision' });
	const span = trace.span({ name: 'look', input: { q: 'what is this?' } });
	span.end();
	trace.end();
	await c.flush();
	const chart = png();
	await upload(c, 'span', span.data.id, 'chart.png', chart);
	assert.ok(fs.readFileSync(mediaFile(chart)).equals(chart));

	const page = await list(c, 'span', span.data.id);
	assert.equal(page.total, 1);
	const [a] = page.content;
	assert.deepEqual([a.fileName, a.fileSize, a.mimeType], ['chart.png', chart.length, 'image/png']);
	const u = new URL(a.link);
	assert.equal(u.searchParams.get('file_name'), 'chart.png');
	const d = await request('GET', u.pathname + u.search, { base: srv.base, headers: h });
	assert.equal(d.status, 200, d.text);
	assert.equal(d.headers['content-type'], 'image/png');
	assert.ok(d.bytes.equals(chart));

	// The span reads back as it was, and a PATCH keeps the attachment.
	span.update({ output: { a: 'a chart' } });
	await c.flush();
	const got = await c.api.spans.getSpanById(span.data.id);
	assert.deepEqual(got.input, { q: 'what is this?' });
	assert.deepEqual(got.output, { a: 'a chart' });
	assert.equal((await list(c, 'span', span.data.id)).total, 1);

	// A trace's own attachment, on its row.
	const tchart = png();
	await upload(c, 'trace', trace.data.id, 'overview.png', tchart);
	const tl = await list(c, 'trace', trace.data.id);
	assert.deepEqual(tl.content.map((x) => x.fileName), ['overview.png']);
	await spandexOk(['verify', srv.dataDir, '--workspace', WS]);
});

test('an attachment uploaded before its span is created is kept by the create', async () => {
	const c = client();
	const early = png();
	const trace = c.trace({ name: 'early' });
	const id = '0190f9c4-0000-7000-8000-00000000e001';
	await upload(c, 'span', id, 'early.png', early);
	trace.span({ id, name: 'late span', input: { x: 1 } }).end();
	trace.end();
	await c.flush();
	const got = await c.api.spans.getSpanById(id);
	assert.equal(got.name, 'late span');
	assert.deepEqual(got.input, { x: 1 });
	const page = await list(c, 'span', id);
	assert.deepEqual(page.content.map((x) => [x.fileName, x.fileSize]), [['early.png', early.length]]);
});

test('delete takes an attachment off its entity; bad requests are Opik-shaped 4xx', async () => {
	const c = client();
	const trace = c.trace({ name: 'del' });
	const span = trace.span({ name: 'del span' });
	span.end();
	trace.end();
	await c.flush();
	const a = png(), b = png();
	await upload(c, 'span', span.data.id, 'a.png', a);
	await upload(c, 'span', span.data.id, 'b.png', b);
	assert.equal((await list(c, 'span', span.data.id)).total, 2);
	const del = await request('POST', '/v1/private/attachment/delete', { base: srv.base, headers: h,
		body: { file_names: ['a.png'], entity_type: 'span', entity_id: span.data.id, container_id: 'p' } });
	assert.equal(del.status, 204, del.text);
	assert.deepEqual((await list(c, 'span', span.data.id)).content.map((x) => x.fileName), ['b.png']);
	const gone = await request('GET', `/v1/private/attachment/download?file_name=a.png&entity_type=span&entity_id=${span.data.id}`, { base: srv.base, headers: h });
	assert.equal(gone.status, 404, gone.text);
	assert.deepEqual(gone.json, { code: 404, message: 'Attachment not found' });

	let r = await request('POST', '/v1/private/attachment/upload-start', { base: srv.base, headers: h,
		body: { file_name: 'x.png', num_of_file_parts: 1, entity_type: 'span' } });
	assert.equal(r.status, 422, r.text);
	assert.match(r.text, /entity_id/);
	r = await request('POST', '/v1/private/attachment/upload-start', { base: srv.base, headers: h,
		body: { file_name: 'x.png', num_of_file_parts: 1, entity_type: 'thread', entity_id: 'x' } });
	assert.equal(r.status, 422, r.text);
	r = await request('PUT', `/v1/private/attachment/upload?entity_type=span&entity_id=${span.data.id}`, { base: srv.base, headers: h, body: a });
	assert.ok(r.status >= 400 && r.status < 500, r.text);
	r = await request('PUT', `/v1/private/attachment/upload?file_name=x&entity_type=thread&entity_id=x`, { base: srv.base, headers: h, body: a });
	assert.ok(r.status >= 400 && r.status < 500, r.text);
	r = await request('POST', '/v1/private/attachment/delete', { base: srv.base, headers: h, body: { entity_type: 'span' } });
	assert.equal(r.status, 422, r.text);
});
