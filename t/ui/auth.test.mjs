// The trace viewer with auth on (SPANDEX_TOKEN): the API answers 401 {"detail":"Not
// authenticated"} until the browser sends Authorization: Bearer <key>. The viewer asks for the
// key once, keeps it in localStorage (one per workspace), and says so when a key is refused; a write from the span
// panel with a read key is refused (403) and says why, and one with a refused key asks again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, request, spandexCli, BUILDDIR, WS_PREFIX } from '../harness.mjs';
import { launch, unexpected } from './browser.mjs';
import { fixtureSpans, FIXTURE } from './fixture.mjs';

const WS = 'ui-auth';
const TOKEN = 'viewer-test-key-7f3a';
const SHOTS = process.env.SPANDEX_UI_SHOTS || path.join(BUILDDIR, 't', 'ui-screenshots');
// Before the key: every request is refused once (401).
const EXPECTED = [{ status: 401, url: /\/apis\/intake\/v2\// }];

let srv;
let browser;
before(async () => {
	srv = await startServer({ env: { SPANDEX_TOKEN: TOKEN } });
	const r = await request('POST', `${WS_PREFIX}/${WS}/ingest/spans`, {
		base: srv.base, headers: { Authorization: `Bearer ${TOKEN}` }, body: { source: 'ui-fixture', spans: fixtureSpans() },
	});
	assert.equal(r.status, 201, r.text);
	browser = await launch();
	fs.mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
	await browser?.close();
	await srv?.stop();
});

test('with SPANDEX_TOKEN the viewer asks for the key once, then loads', async () => {
	const anon = await request('GET', `${WS_PREFIX}/${WS}/traces`, { base: srv.base });
	assert.equal(anon.status, 401);
	assert.equal(anon.headers['www-authenticate'], 'Bearer');

	const page = await browser.newPage();
	const sent = [];
	page.on('request', (r) => {
		if (r.url().includes('/apis/intake/v2/')) sent.push(r.headers().authorization || null);
	});
	await page.goto(`${srv.base}/ui/#/${WS}/traces`);
	await page.waitForSelector('#key-dialog[open]');
	assert.equal(await page.evaluate(() => document.activeElement.id), 'key-input');
	await page.screenshot({ path: path.join(SHOTS, 'key-prompt.png') });
	// Issue 31: the help names the workspace keys, not only the operator's SPANDEX_TOKEN.
	const help = await page.textContent('#key-help');
	assert.match(help, /spandex key create/);
	assert.doesNotMatch(help, /SPANDEX_TOKEN/);

	// A wrong key: asked again, with the reason.
	await page.fill('#key-input', 'wrong-key');
	await page.press('#key-input', 'Enter');
	await page.waitForSelector('#key-reason:not([hidden])');
	assert.match(await page.textContent('#key-reason'), /did not accept/);
	assert.equal(await page.locator('#key-dialog[open]').count(), 1);

	// The right key: the table loads, and the key is kept.
	await page.fill('#key-input', TOKEN);
	await page.click('#key-dialog button[value=ok]');
	await page.waitForSelector('.traces-table tbody tr');
	assert.equal(await page.locator('.traces-table tbody tr').count(), FIXTURE.traces.length);
	assert.equal(await page.locator('#key-dialog[open]').count(), 0);
	assert.equal(await page.evaluate(() => localStorage.getItem('spandex.key')), TOKEN);
	assert.ok(sent.includes(`Bearer ${TOKEN}`));
	assert.equal(await page.locator('#key-button').isVisible(), true);
	// Its icon is drawn (an SVG: Debian's chromium has no emoji font).
	const icon = await page.$eval('#key-button svg', (e) => e.getBoundingClientRect().width);
	assert.ok(icon > 10, `key icon ${icon}px`);
	assert.equal((await page.textContent('#key-button')).trim(), 'Key');

	// A reload, another view: no prompt, every request carries the key.
	sent.length = 0;
	await page.reload();
	await page.waitForSelector('.traces-table tbody tr');
	await page.goto(`${srv.base}/ui/#/${WS}/traces/tr-support-1`);
	await page.waitForSelector('section[aria-labelledby=sp-input]');
	assert.equal(await page.locator('#key-dialog[open]').count(), 0);
	assert.ok(sent.length > 0 && sent.every((a) => a === `Bearer ${TOKEN}`), `every request sent the key: ${sent}`);
	assert.deepEqual(unexpected(page, EXPECTED), []);
	await page.close();
});

test('a cancelled prompt leaves the API detail and a way back; the key can be forgotten', async () => {
	const page = await browser.newPage();
	await page.goto(`${srv.base}/ui/#/${WS}/overview`);
	await page.evaluate(() => ['spandex.key', 'spandex.keys'].forEach((k) => localStorage.removeItem(k)));
	await page.reload();
	await page.waitForSelector('#key-dialog[open]');
	await page.click('#key-dialog button[value=cancel]');
	await page.waitForSelector('.error-box');
	assert.equal(await page.textContent('.error-detail'), 'Not authenticated');
	await page.click('.error-box button:has-text("Enter key")');
	await page.waitForSelector('#key-dialog[open]');
	await page.fill('#key-input', TOKEN);
	await page.press('#key-input', 'Enter');
	await page.waitForSelector('.chart-svg');

	// Forget: the next request asks again.
	await page.click('#key-button');
	await page.waitForSelector('#key-dialog[open]');
	await page.click('#key-forget');
	// The dialog's close event, which forgets the key, is queued after the click returns.
	await page.waitForFunction(() => localStorage.getItem('spandex.key') === null);
	await page.waitForSelector('#key-dialog[open]');
	await page.click('#key-dialog button[value=cancel]');
	await page.waitForSelector('.error-box');
	assert.deepEqual(unexpected(page, EXPECTED), []);
	await page.close();
});

test('a read key may look but not judge (the 403 says so); a write with a refused key asks for one', async () => {
	const k = await spandexCli(['key', 'create', srv.dataDir, '--workspace', WS, '--role', 'read', '--name', 'viewer-read']);
	assert.equal(k.code, 0, k.stderr);
	const page = await browser.newPage();
	// The read key in place before the viewer's first request (set after a first page, the
	// page's 401s could open the key dialog after it, as they did on a loaded machine).
	await page.addInitScript((key) => localStorage.getItem('spandex.key') || (localStorage.removeItem('spandex.keys'), localStorage.setItem('spandex.key', key)), k.stdout.trim());
	await page.goto(`${srv.base}/ui/#/${WS}/traces/tr-support-1?span=tr-support-1-reply`);
	await page.waitForSelector('.judgements .judge-empty');
	await page.click('.judge-actions button[aria-label="Thumbs up"]');
	await page.waitForSelector('.judge-status.field-error');
	assert.match(await page.textContent('.judge-status'), /^Not saved \(403\): .+\. This key may only read: use a key made with the write role\.$/);
	assert.equal(await page.locator('#key-dialog[open]').count(), 0);
	assert.equal(await page.locator('.judgements .judge-list').count(), 0, 'nothing shown as added');
	await page.screenshot({ path: path.join(SHOTS, 'judge-403.png') });
	// A key the API does not take: the prompt, then the same write goes through.
	await page.evaluate(() => localStorage.setItem('spandex.key', 'revoked-key'));
	await page.click('.judge-actions button:has-text("Comment")');
	await page.fill('#judge-note-text', 'Checked by the operator.');
	await page.click('#judge-note-form button[type=submit]');
	await page.waitForSelector('#key-dialog[open]');
	assert.match(await page.textContent('#key-reason'), /did not accept/);
	await page.fill('#key-input', TOKEN);
	await page.press('#key-input', 'Enter');
	await page.waitForSelector('.judgements .judge-note:has-text("Checked by the operator.")');
	assert.doesNotMatch(await page.textContent('.judge-status'), /Not saved/);
	const a = await request('GET', `${WS_PREFIX}/${WS}/annotations?filter[span_id]=tr-support-1-reply`, { base: srv.base, headers: { Authorization: `Bearer ${TOKEN}` } });
	assert.equal(a.status, 200, a.text);
	assert.deepEqual(a.json.data.map((x) => [x.kind, x.text, x.created_by]), [['note', 'Checked by the operator.', 'token']]);
	// The 401 of the refused key's write, and the read key's 403.
	assert.deepEqual(unexpected(page, [...EXPECTED, { status: 403, url: /\/annotations$/ }]), []);
	await page.close();
});

// The workspace list and one key per workspace (issue 54): GET /apis/intake/v2/workspaces
// lists what the key may read; the viewer keeps each workspace's key, so switching between two
// workspaces of two keys asks once for the second and then never ends in a 403 page.
test('the picker lists the workspaces the key may read, and each workspace keeps its own key', async () => {
	const B = 'ui-auth-b';
	const ingest = await request('POST', `${WS_PREFIX}/${B}/ingest/spans`, {
		base: srv.base, headers: { Authorization: `Bearer ${TOKEN}` }, body: { source: 'ui-fixture', spans: fixtureSpans().slice(0, 3) },
	});
	assert.equal(ingest.status, 201, ingest.text);
	const make = async (ws, name) => {
		const k = await spandexCli(['key', 'create', srv.dataDir, '--workspace', ws, '--role', 'read', '--name', name]);
		assert.equal(k.code, 0, k.stderr);
		return k.stdout.trim();
	};
	const keyA = await make(WS, 'viewer-a'), keyB = await make(B, 'viewer-b');
	const list = async (key) => request('GET', WS_PREFIX, { base: srv.base, headers: key ? { Authorization: `Bearer ${key}` } : {} });
	assert.deepEqual((await list(keyA)).json, { data: [{ name: WS }] });
	assert.deepEqual((await list(keyB)).json, { data: [{ name: B }] });
	assert.deepEqual((await list(TOKEN)).json.data.map((w) => w.name), [WS, B]);
	assert.equal((await list(null)).status, 401);
	assert.equal((await list('no-such-key')).json.detail.startsWith('Unknown API key'), true);

	const page = await browser.newPage();
	await page.goto(`${srv.base}/ui/#/${WS}/traces`);
	await page.evaluate(() => ['spandex.key', 'spandex.keys'].forEach((k) => localStorage.removeItem(k)));
	await page.reload();
	await page.waitForSelector('#key-dialog[open]');
	await page.fill('#key-input', keyA);
	await page.press('#key-input', 'Enter');
	await page.waitForSelector('.traces-table tbody tr');
	await page.waitForFunction((ws) => [...document.querySelectorAll('#ws-list option')].some((o) => o.value === ws), WS);
	// To the other workspace: its key is asked for (A's may not read it), and kept for it.
	await page.fill('#ws-input', B);
	await page.press('#ws-input', 'Enter');
	await page.waitForSelector('#key-dialog[open]');
	assert.match(await page.textContent('#key-reason'), new RegExp(`may not read workspace ${B}`));
	await page.fill('#key-input', keyB);
	await page.press('#key-input', 'Enter');
	await page.waitForFunction(() => document.querySelectorAll('.traces-table tbody tr').length === 1);
	assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('spandex.keys'))), { [WS]: keyA, [B]: keyB });
	// And back, and forth again: no prompt, no error page.
	for (const [ws, rows] of [[WS, FIXTURE.traces.length], [B, 1]]) {
		await page.fill('#ws-input', ws);
		await page.press('#ws-input', 'Enter');
		await page.waitForFunction(([w, n]) => location.hash.startsWith(`#/${w}/traces`) && document.querySelectorAll('.traces-table tbody tr').length === n, [ws, rows]);
		assert.equal(await page.locator('#key-dialog[open]').count(), 0);
		assert.equal(await page.locator('.error-box').count(), 0);
	}
	assert.deepEqual(unexpected(page, [...EXPECTED, { status: 403, url: new RegExp(`/workspaces/${B}/`) }]), []);
	await page.close();
});
