// browser: Debian's chromium (/usr/bin/chromium, or SPANDEX_CHROMIUM) driven by playwright-core
// from t/ui/node_modules (or SPANDEX_UI_MODULES, where t/ui.sh installed it when the source
// tree is read-only). Never downloads a browser. Every page records its console errors and
// uncaught exceptions so a test can assert there were none. Every wait (playwright's, and
// eventually()) is for a condition, bounded by the harness's WAIT_MS (issue 54).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { WAIT_MS, waitFor } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CHROMIUM = process.env.SPANDEX_CHROMIUM || '/usr/bin/chromium';

// The flags of the machine notes: no sandbox (root in CI), no GPU, no network of its own.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-dev-shm-usage'];

function playwright() {
	const dir = process.env.SPANDEX_UI_MODULES || here;
	const req = createRequire(path.join(dir, 'package.json'));
	return req('playwright-core');
}

// Resolves to {browser, newPage(opts), close()}. A missing chromium is an error, not a skip.
export async function launch() {
	if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: ./bootstrap test installs Debian's chromium`);
	const { chromium } = playwright();
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-chromium-'));
	// launchPersistentContext is what takes a --user-data-dir; one context per browser.
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: FLAGS,
		viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1, colorScheme: 'light',
		reducedMotion: 'reduce', timezoneId: 'UTC', locale: 'en-US',
	});
	for (const p of context.pages()) await p.close();
	// Playwright's own default, 30 s, is a speed check on a loaded machine.
	context.setDefaultTimeout(WAIT_MS);
	return {
		context,
		// A page that records problems: console errors (Chromium also logs each HTTP error
		// status of a fetch as one, "Failed to load resource"), and uncaught exceptions.
		async newPage() {
			const page = await context.newPage();
			page.problems = [];
			page.on('console', (m) => {
				if (m.type() === 'error') page.problems.push({ text: m.text(), url: m.location()?.url || '' });
			});
			page.on('pageerror', (e) => page.problems.push({ text: `uncaught: ${e.message}`, url: '' }));
			return page;
		},
		async close() {
			await context.close();
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

// Asserts that read() comes to equal want (deeply): what a page shows after a key or a click
// may be drawn a moment later, so it is read again until it does, or until WAIT_MS pass.
export async function eventually(read, want, message) {
	let got;
	await waitFor(message || 'the page', async () => isDeepStrictEqual((got = await read()), want), { every: 50 }).catch(() => {});
	assert.deepEqual(got, want, message);
}

// The problems of a page that are not expected ones. expected: [{status, url: RegExp}], the
// HTTP errors a test provokes on purpose (Chromium reports "the server responded with a
// status of 400" for the request the viewer then explains to the user).
export function unexpected(page, expected = []) {
	return page.problems.filter((p) => {
		const m = /the server responded with a status of (\d+)/.exec(p.text);
		if (!m) return true;
		return !expected.some((e) => Number(m[1]) === e.status && e.url.test(decodeURIComponent(p.url)));
	});
}
