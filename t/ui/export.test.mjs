// The viewer's Export (issue 56) in Debian's chromium, with a key required (SPANDEX_TOKEN):
// the traces list saves every page its filters give, not the page on screen, and a trace
// saves all its spans, each streamed from the export routes (GET traces/export, spans/export)
// with the key the viewer holds. Where the browser has a file picker (Chromium's File System
// Access API) the answer is piped into the file (here a file of the page's own origin private
// file system, which the test reads back); without one it is a download of a Blob.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, request, WS_PREFIX } from '../harness.mjs';
import { launch, unexpected } from './browser.mjs';
import { busySpans } from './fixture.mjs';

const WS = 'ui-export';
const TOKEN = 'export-test-key-51c9';
const auth = { Authorization: `Bearer ${TOKEN}` };
let srv;
let browser;
let spans;
before(async () => {
	srv = await startServer({ env: { SPANDEX_TOKEN: TOKEN } });
	spans = busySpans(240);
	for (let i = 0; i < spans.length; i += 1000) {
		const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
			base: srv.base, headers: auth, body: { source: 'ui-fixture', spans: spans.slice(i, i + 1000) },
		});
		assert.equal(r.status, 201, r.text);
	}
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await srv?.stop();
});

// A page that holds the key already, and whose file picker (when picker is true) hands out
// files of its origin private file system.
async function open(hash, { picker }) {
	const page = await browser.newPage();
	await page.addInitScript(([key, withPicker]) => {
		localStorage.setItem('spandex.key', key);
		if (!withPicker) {
			delete window.showSaveFilePicker;
			return;
		}
		window.showSaveFilePicker = async ({ suggestedName }) => {
			const dir = await navigator.storage.getDirectory();
			return dir.getFileHandle(suggestedName, { create: true });
		};
	}, [TOKEN, picker]);
	await page.goto(`${srv.base}/ui/${hash}`);
	return page;
}

const savedFile = (page, name) => page.evaluate(async (n) => {
	const dir = await navigator.storage.getDirectory();
	return (await (await dir.getFileHandle(n)).getFile()).text();
}, name);

async function exportAs(page, label) {
	await page.click('.export-menu > summary');
	await page.click(`.export-menu .menu button:has-text("${label}")`);
}

test('the traces list exports every page its filters give, streamed into the file picked', async () => {
	const page = await open(`#/${WS}/traces?status=success&size=25`, { picker: true });
	await page.waitForSelector('.traces-table tbody tr');
	assert.match(await page.textContent('.head-count'), /traces/);
	await exportAs(page, 'CSV');
	await page.waitForFunction(() => document.querySelector('.export-note')?.textContent === 'Saved.');
	const csv = await savedFile(page, `${WS}-traces.csv`);
	const rows = csv.split('\r\n').filter(Boolean);
	assert.match(rows[0], /^span_id,session_id,workspace,/);
	// One row per trace the filter gives, every page of them, as GET traces says.
	const list = await request('GET', `${WS_PREFIX}/${WS}/traces?page_size=1&filter=${encodeURIComponent('{"status":"success"}')}`, { base: srv.base, headers: auth });
	const total = list.json.pagination.total_results;
	assert.ok(total > 25, `${total} traces: more than a page`);
	assert.equal(rows.length - 1, total);
	const wanted = spans.filter((s) => s.span_id.endsWith('-root') && s.status === 'success').map((s) => s.span_id).sort();
	assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]).sort(), wanted);
	// The same bytes as the route gives, newest first as the table.
	const viaApi = await request('GET', `${WS_PREFIX}/${WS}/traces/export?format=csv&sort=-started_at&filter=${encodeURIComponent('{"status":"success"}')}`, { base: srv.base, headers: auth });
	assert.equal(viaApi.status, 200);
	assert.equal(csv, viaApi.text);
	assert.deepEqual(unexpected(page), []);
	await page.close();
});

test('a trace exports all its spans as JSONL; without a file picker it is a download', async () => {
	const trace = 'busy-7';
	const page = await open(`#/${WS}/traces/${trace}`, { picker: false });
	await page.waitForSelector('.wf-rows');
	const [download] = await Promise.all([page.waitForEvent('download'), exportAs(page, 'JSONL')]);
	assert.equal(download.suggestedFilename(), `${WS}-trace-${trace}.jsonl`);
	const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	assert.deepEqual(lines.map((s) => s.span_id).sort(), spans.filter((s) => s.trace_id === trace).map((s) => s.span_id).sort());
	assert.ok(lines.every((s) => s.workspace === WS && s.trace_id === trace));
	// Oldest first, as the waterfall.
	const starts = lines.map((s) => s.started_at);
	assert.deepEqual(starts, [...starts].sort());
	await page.waitForFunction(() => document.querySelector('.export-note')?.textContent === 'Saved.');
	assert.deepEqual(unexpected(page), []);
	await page.close();
});

test('an export the API refuses says why', async () => {
	const page = await open(`#/${WS}/traces`, { picker: false });
	await page.waitForSelector('.traces-table tbody tr');
	// The key is taken away once the page has loaded all it reads (its model cells too): the
	// export is refused (401), and the viewer asks for the key; cancelled, the note says why.
	await page.waitForLoadState('networkidle');
	await page.waitForFunction(() => !document.querySelector('.col-model .pending'));
	await page.evaluate(() => localStorage.removeItem('spandex.key'));
	await exportAs(page, 'CSV');
	await page.waitForSelector('#key-dialog[open]');
	await page.keyboard.press('Escape');
	await page.waitForFunction(() => /^Export failed: Not authenticated/.test(document.querySelector('.export-note')?.textContent || ''));
	assert.deepEqual(unexpected(page, [{ status: 401, url: /\/traces\/export/ }]), []);
	await page.close();
});
