// viewer_setup: the server, fixture and chromium of the viewer's tests (viewer.test.mjs,
// scores.test.mjs), started before a file's tests and stopped after them, and the helpers
// they share: open a view, save its screenshot, no console error, the table's trace ids.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, BUILDDIR } from '../harness.mjs';
import { launch, unexpected } from './browser.mjs';
import { ingestFixture, ingestBusy } from './fixture.mjs';

export const WS = 'ui-fixture';
export const BUSY = 'ui-busy';
export const SHOTS = process.env.SPANDEX_UI_SHOTS || path.join(BUILDDIR, 't', 'ui-screenshots');

export let srv;
export let browser;
before(async () => {
	srv = await startServer();
	await ingestFixture(WS, srv.base);
	await ingestBusy(BUSY, srv.base, 320);
	browser = await launch();
	fs.mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
	await browser?.close();
	await srv?.stop();
});

export async function open(hash, waitFor) {
	const page = await browser.newPage();
	await page.goto(`${srv.base}/ui/${hash}`);
	if (waitFor) await page.waitForSelector(waitFor);
	return page;
}

export async function shot(page, name) {
	// The lazy cells (a trace's model, its scores) filled in.
	await page.waitForFunction(() => !document.querySelector('.pending'));
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export function clean(page, expected = []) {
	assert.deepEqual(unexpected(page, expected), [], 'no console errors');
}

// The trace ids of the table's rows, in order.
export const rowIds = (page) => page.$$eval('.traces-table tbody tr .sub .mono', (els) => els.map((e) => e.title));
