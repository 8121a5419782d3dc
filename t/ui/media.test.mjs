// The viewer shows the media ingest moved out of a span (docs/media.md) where the span
// referenced them: the image of an OpenAI image_url part as an image, an input_audio
// recording with a player, an Anthropic document block as a link to the PDF; fetched with the
// viewer's key (auth on: SPANDEX_TOKEN), shown from blob: URLs, which the viewer's
// Content-Security-Policy allows; no console error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, request, BUILDDIR, WS_PREFIX } from '../harness.mjs';
import { launch, unexpected } from './browser.mjs';

const WS = 'ui-media';
const TOKEN = 'viewer-media-key-41c2';
const SHOTS = process.env.SPANDEX_UI_SHOTS || path.join(BUILDDIR, 't', 'ui-screenshots');

// CRC-32 (ISO 3309), for the PNG's chunks.
const CRC = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
function crc32(buf) {
	let c = 0xffffffff;
	for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([len, body, crc]);
}
// A real PNG of w x h pixels of noise (RGB), so that it is well over the 16 KiB threshold.
function png(w, hgt) {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(hgt, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);
	const rows = [];
	let x = 7;
	for (let y = 0; y < hgt; y++) {
		const row = Buffer.alloc(1 + w * 3);
		for (let i = 1; i < row.length; i++) row[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
		rows.push(row);
	}
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}
// A real WAV: three seconds of 8 kHz 8-bit mono tone.
function wav() {
	const n = 24000, data = Buffer.alloc(n);
	for (let i = 0; i < n; i++) data[i] = 128 + Math.round(60 * Math.sin(i / 4));
	const hdr = Buffer.alloc(44);
	hdr.write('RIFF', 0, 'latin1');
	hdr.writeUInt32LE(36 + n, 4);
	hdr.write('WAVEfmt ', 8, 'latin1');
	hdr.writeUInt32LE(16, 16);
	hdr.writeUInt16LE(1, 20);
	hdr.writeUInt16LE(1, 22);
	hdr.writeUInt32LE(8000, 24);
	hdr.writeUInt32LE(8000, 28);
	hdr.writeUInt16LE(1, 32);
	hdr.writeUInt16LE(8, 34);
	hdr.write('data', 36, 'latin1');
	hdr.writeUInt32LE(n, 40);
	return Buffer.concat([hdr, data]);
}
const pdf = Buffer.from(`%PDF-1.4\n%${'x'.repeat(20000)}\n%%EOF\n`, 'latin1');

let srv;
let browser;
before(async () => {
	srv = await startServer({ env: { SPANDEX_TOKEN: TOKEN } });
	const t0 = Date.now() - 3600e3;
	const input = JSON.stringify({ messages: [{ role: 'user', content: [
		{ type: 'text', text: 'What is in this screenshot, and what do I say?' },
		{ type: 'image_url', image_url: { url: `data:image/png;base64,${png(120, 90).toString('base64')}` } },
		{ type: 'input_audio', input_audio: { data: wav().toString('base64'), format: 'wav' } },
	] }] });
	const output = JSON.stringify({ role: 'assistant', content: [
		{ type: 'text', text: 'A login form; the report is attached.' },
		{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: pdf.toString('base64') } },
	] });
	const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		base: srv.base, headers: { Authorization: `Bearer ${TOKEN}` },
		body: { source: 'ui-media', spans: [{ span_id: 'look', trace_id: 'tr-media', name: 'vision', kind: 'LLM',
			started_at: new Date(t0).toISOString(), ended_at: new Date(t0 + 1500).toISOString(), input, output }] },
	});
	assert.equal(r.status, 201, r.text);
	browser = await launch();
	fs.mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
	await browser?.close();
	await srv?.stop();
});

// A page of the browser with the key the viewer keeps, there before its first request.
async function keyedPage() {
	const page = await browser.newPage();
	await page.addInitScript((k) => {
		try {
			localStorage.setItem('spandex.key', k);
		} catch {
			// not the viewer's origin
		}
	}, TOKEN);
	return page;
}

test('an image as an image, audio with a player, a PDF as a link, all with the key', async () => {
	const page = await keyedPage();
	await page.goto(`${srv.base}/ui/#/${WS}/traces/tr-media?span=look`);
	await page.waitForSelector('figure.media-image img');
	// The image decoded: its pixels are there.
	await page.waitForFunction(() => document.querySelector('figure.media-image img')?.naturalWidth > 0);
	assert.deepEqual(await page.$eval('figure.media-image img', (i) => [i.naturalWidth, i.naturalHeight, i.src.slice(0, 5)]), [120, 90, 'blob:']);
	assert.match(await page.textContent('figure.media-image figcaption'), /^image\/png · \d+ KB$/);
	// The recording: a player whose metadata loaded (three seconds long).
	await page.waitForFunction(() => document.querySelector('figure.media-audio audio')?.readyState >= 1);
	const duration = await page.$eval('figure.media-audio audio', (a) => [a.controls, Math.round(a.duration)]);
	assert.deepEqual(duration, [true, 3]);
	// The document: a link to open it.
	await page.waitForSelector('figure.media-pdf a[href^="blob:"]');
	assert.match(await page.textContent('figure.media-pdf a'), /^Open the PDF \(\d+ KB\)$/);
	// Each in its message: the image and the audio in the user's, the PDF in the answer.
	assert.equal(await page.locator('.msg-user figure.media').count(), 2);
	assert.equal(await page.locator('.msg-assistant figure.media-pdf').count(), 1);
	await page.screenshot({ path: path.join(SHOTS, 'media.png') });
	assert.deepEqual(unexpected(page), [], 'no console errors');
});

test('an image Langfuse\'s SDK uploaded, shown from the tag it left in the span', async () => {
	// The upload as the SDK makes it: POST /api/public/media, then a PUT to the signed URL.
	const img = png(64, 48);
	const basic = { Authorization: `Basic ${Buffer.from(`${WS}:${TOKEN}`).toString('base64')}` };
	const sha = crypto.createHash('sha256').update(img);
	const hash = sha.digest('base64');
	const id = Buffer.from(hash, 'base64').toString('base64url').slice(0, 22);
	const r = await request('POST', '/api/public/media', { base: srv.base, headers: basic,
		body: { traceId: 'tr-tag', field: 'input', contentType: 'image/png', contentLength: img.length, sha256Hash: hash } });
	assert.equal(r.status, 201, r.text);
	const u = new URL(r.json.uploadUrl);
	const up = await request('PUT', u.pathname + u.search, { base: srv.base, body: img, headers: { 'Content-Type': 'image/png' } });
	assert.equal(up.status, 200, up.text);
	const t0 = Date.now() - 1800e3;
	const tag = `@@@langfuseMedia:type=image/png|id=${id}|source=base64_data_uri@@@`;
	const s = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		base: srv.base, headers: { Authorization: `Bearer ${TOKEN}` },
		body: { source: 'ui-media', spans: [{ span_id: 'tagged', trace_id: 'tr-tag', name: 'vision', kind: 'LLM',
			started_at: new Date(t0).toISOString(), ended_at: new Date(t0 + 500).toISOString(),
			input: JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: 'And this one?' }, { type: 'image_url', image_url: { url: tag } }] }] }) }] },
	});
	assert.equal(s.status, 201, s.text);
	const page = await keyedPage();
	await page.goto(`${srv.base}/ui/#/${WS}/traces/tr-tag?span=tagged`);
	await page.waitForSelector('figure.media-image img');
	await page.waitForFunction(() => document.querySelector('figure.media-image img')?.naturalWidth > 0);
	assert.deepEqual(await page.$eval('figure.media-image img', (i) => [i.naturalWidth, i.naturalHeight]), [64, 48]);
	assert.deepEqual(unexpected(page), [], 'no console errors');
});
