// The trace viewer in Debian's chromium, against nginx and the real programs of
// t/harness.mjs with the fixture of t/ui/fixture.mjs ingested through the API: the traces
// table, its filters, sort and paging; one trace's waterfall and span panel, by mouse and by
// keyboard; a session; the overview; API errors; a narrow screen; the scores and comments the
// opik SDK gives a trace and a thread (read through Opik's API). Every page must end with
// no console error but the HTTP errors a test provokes on purpose (browser.mjs). A
// screenshot of each view goes to SPANDEX_UI_SHOTS (t/ui-screenshots of the build tree);
// docs/ui-{trace,traces,session,overview}.png are copies of four of them (docs/viewer.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer, request, waitFor, BUILDDIR, SRCDIR, WS_PREFIX, CLIENTS } from '../harness.mjs';
import { launch, unexpected, eventually } from './browser.mjs';
import { ingestFixture, ingestBusy, fixtureSpans, FIXTURE } from './fixture.mjs';

const WS = 'ui-fixture';
const BUSY = 'ui-busy';
const SHOTS = process.env.SPANDEX_UI_SHOTS || path.join(BUILDDIR, 't', 'ui-screenshots');

let srv;
let browser;
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

async function open(hash, waitFor) {
	const page = await browser.newPage();
	await page.goto(`${srv.base}/ui/${hash}`);
	if (waitFor) await page.waitForSelector(waitFor);
	return page;
}

async function shot(page, name) {
	// The lazy cells (a trace's model, its scores) filled in.
	await page.waitForFunction(() => !document.querySelector('.pending'));
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

function clean(page, expected = []) {
	assert.deepEqual(unexpected(page, expected), [], 'no console errors');
}

// The trace ids of the table's rows, in order.
const rowIds = (page) => page.$$eval('.traces-table tbody tr .sub .mono', (els) => els.map((e) => e.title));

test('the server hands out the viewer at /ui/; / and /ui lead there; other paths stay JSON 404', async () => {
	for (const [p, status] of [['/', 302], ['/ui', 301]]) {
		const r = await request('GET', p, { base: srv.base });
		assert.equal(r.status, status, p);
		assert.equal(r.headers.location, '/ui/', p);
	}
	const page = await request('GET', '/ui/', { base: srv.base });
	assert.equal(page.status, 200);
	assert.match(page.headers['content-type'], /^text\/html/);
	assert.match(page.headers['content-security-policy'], /default-src 'self'/);
	for (const f of ['js/app.js', 'js/views/trace.js', 'app.css', 'favicon.svg']) {
		const r = await request('GET', `/ui/${f}`, { base: srv.base });
		assert.equal(r.status, 200, f);
		assert.match(r.headers['content-type'], { js: /^text\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml/ }[f.split('.').pop()], f);
	}
	for (const p of ['/ui/nope.js', '/ui/js/', '/elsewhere', `/${WS}`]) {
		const r = await request('GET', p, { base: srv.base });
		assert.equal(r.status, 404, p);
		assert.deepEqual(r.json, { detail: 'Not Found' }, p);
	}
});

test('the traces table lists the fixture traces, newest first, with their model', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	const api = await request('GET', `${WS_PREFIX}/${WS}/traces?page_size=50`, { base: srv.base });
	assert.deepEqual(await rowIds(page), api.json.data.map((t) => t.id));
	assert.deepEqual((await rowIds(page)).sort(), [...FIXTURE.traces].sort());
	// The model column is filled from each trace's spans: the root's, or the first LLM span's.
	await page.waitForFunction(() => !document.querySelector('.traces-table .pending'));
	const models = Object.fromEntries(await page.$$eval('.traces-table tbody tr', (rows) => rows.map((r) =>
		[r.querySelector('.sub .mono').title, r.querySelector('.col-model').textContent])));
	assert.deepEqual(models, {
		'tr-support-1': 'gpt-4o', 'tr-support-2': 'gpt-4o', 'tr-support-3': 'gpt-4o', 'tr-research-1': 'claude-3-5-sonnet',
		'tr-research-2': 'claude-3-5-sonnet', 'tr-chat-1': 'gpt-4o-mini', 'tr-eval-1': 'gpt-4o',
	});
	const row = page.locator('.traces-table tbody tr', { hasText: 'tr-research-1' });
	assert.match(await row.textContent(), /5\.40 s/);
	assert.match(await row.textContent(), /success.*1 failed span/);
	assert.equal(await page.textContent('.head-count'), '7 traces');
	// At 1360 px every column is on screen, the session last: the table does not scroll sideways.
	const wide = await page.$eval('.table-wrap', (w) => ({ scroll: w.scrollWidth, client: w.clientWidth,
		session: document.querySelector('.traces-table thead th.col-session').getBoundingClientRect().right, right: w.getBoundingClientRect().right }));
	assert.ok(wide.scroll <= wide.client && wide.session <= wide.right, `the table is ${wide.scroll}px wide in ${wide.client}px`);
	// The free-text box shows once the API has said it takes search=.
	await page.waitForSelector('#f-q', { state: 'visible' });
	await shot(page, 'traces');
	clean(page);
	await page.close();
});

test('filtering by status=error leaves only the failing traces, and survives a reload', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.selectOption('#f-status', 'error');
	await page.waitForFunction(() => location.hash.includes('status=error'));
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, FIXTURE.failing.length);
	assert.deepEqual((await rowIds(page)).sort(), [...FIXTURE.failing].sort());
	await page.reload();
	await page.waitForSelector('.traces-table tbody tr');
	assert.equal(await page.inputValue('#f-status'), 'error');
	assert.deepEqual((await rowIds(page)).sort(), [...FIXTURE.failing].sort());
	// The session filter narrows further, and Clear puts everything back.
	await page.fill('#f-session', 'sess-support-42');
	await page.press('#f-session', 'Enter');
	await page.waitForFunction(() => location.hash.includes('session=sess-support-42'));
	await page.waitForFunction(() => document.querySelectorAll('.traces-table tbody tr').length === 1);
	assert.deepEqual(await rowIds(page), ['tr-support-2']);
	await shot(page, 'traces-filtered');
	await page.click('text=Clear filters');
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, FIXTURE.traces.length);
	clean(page);
	await page.close();
});

// "Has errors" (issue 54): every trace with a failed span, a root that succeeded over one too,
// which status=error (the root's) cannot find.
test('filtering by "has errors" finds the traces with a failed span, whatever their root\'s status', async () => {
	const withErrors = [...new Set(fixtureSpans().filter((s) => s.status === 'error').map((s) => s.trace_id))].sort();
	const rootOk = withErrors.filter((id) => !FIXTURE.failing.includes(id));
	assert.ok(rootOk.length > 0, 'the fixture has a trace whose root succeeded over a failed span');
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.selectOption('#f-status', 'has-errors');
	await page.waitForFunction(() => location.hash.includes('status=has-errors'));
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, withErrors.length);
	assert.deepEqual((await rowIds(page)).sort(), withErrors);
	await page.reload();
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, withErrors.length);
	assert.equal(await page.inputValue('#f-status'), 'has-errors');
	assert.deepEqual((await rowIds(page)).sort(), withErrors);
	// The API's answer, and its refusals: a span list has no rollup, nor has an export.
	const filter = encodeURIComponent(JSON.stringify({ error_count: { $gte: 1 }, status: 'success' }));
	const api = await request('GET', `${WS_PREFIX}/${WS}/traces?filter=${filter}`, { base: srv.base });
	assert.deepEqual(api.json.data.map((t) => t.id).sort(), rootOk);
	assert.equal((await request('GET', `${WS_PREFIX}/${WS}/traces?filter=error_count%3Dx`, { base: srv.base })).status, 400);
	assert.equal((await request('GET', `${WS_PREFIX}/${WS}/spans?filter=${filter}`, { base: srv.base })).status, 400);
	const exp = await request('GET', `${WS_PREFIX}/${WS}/traces/export?filter=${filter}`, { base: srv.base });
	assert.equal(exp.status, 400);
	assert.match(exp.json.detail, /only for GET traces/);
	clean(page);
	await page.close();
});

// With authentication off the picker lists every workspace of the server, not only those this
// browser opened (issue 54).
test('the workspace picker lists every workspace of the server', async () => {
	// One no page of this browser has opened.
	const fresh = 'ui-never-opened';
	const w = await request('POST', `${WS_PREFIX}/${fresh}/ingest/spans`, { base: srv.base, body: { source: 'ui-fixture', spans: fixtureSpans().slice(0, 1) } });
	assert.equal(w.status, 201, w.text);
	const api = await request('GET', WS_PREFIX, { base: srv.base });
	assert.equal(api.status, 200, api.text);
	const names = api.json.data.map((w) => w.name);
	assert.ok(names.includes(WS) && names.includes(BUSY) && names.includes(fresh), names.join(', '));
	assert.deepEqual(names, [...names].sort());
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.waitForFunction((ws) => [...document.querySelectorAll('#ws-list option')].some((o) => o.value === ws), fresh);
	const offered = await page.$$eval('#ws-list option', (os) => os.map((o) => o.value));
	for (const n of names) assert.ok(offered.includes(n), `${n} offered`);
	clean(page);
	await page.close();
});

// At 1400 px (issue 54): the waterfall shows every span's name and its tokens and cost whole,
// and the overview's four charts fill two rows of two, their axis labels inside their charts.
test('at 1400 px the waterfall cuts no name or cost, and the overview\'s charts fill their rows, labels whole', async () => {
	const page = await browser.newPage();
	await page.setViewportSize({ width: 1400, height: 900 });
	for (const id of FIXTURE.traces) {
		await page.goto(`${srv.base}/ui/#/${WS}/traces/${id}`);
		await page.waitForSelector('.wf-row.selected');
		const cut = await page.$$eval('.wf-name, .wf-usage', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
		assert.deepEqual(cut, [], `${id}: cut short`);
	}
	// Costs of a few hundredths of a cent: the cost axis reads $0.0025 and $0.00125, wider
	// than the room the axis had.
	const tiny = 'ui-tiny-costs';
	const at = (m) => new Date(Date.now() - m * 60000).toISOString();
	const spans = [0, 1, 2].map((i) => ({ span_id: `tiny-${i}`, trace_id: `tiny-${i}`, name: 'cheap-call', kind: 'LLM', status: 'success',
		started_at: at(60 * (i + 1)), ended_at: at(60 * (i + 1) - 1), attributes: { 'llm.cost.total': 0.0007 * (i + 1) } }));
	const w = await request('POST', `${WS_PREFIX}/${tiny}/ingest/spans`, { base: srv.base, body: { source: 'ui-fixture', spans } });
	assert.equal(w.status, 201, w.text);
	for (const ws of [WS, BUSY, tiny]) {
		await page.goto(`${srv.base}/ui/#/${ws}/overview?range=30d`);
		await page.waitForFunction(() => document.querySelectorAll('.chart-svg').length === 4);
		const rows = await page.$$eval('.chart', (cs) => Object.values(cs.reduce((m, c) => {
			const y = Math.round(c.getBoundingClientRect().top);
			m[y] = (m[y] || 0) + 1;
			return m;
		}, {})));
		assert.deepEqual(rows, [2, 2], `${ws}: charts a row`);
		const outside = await page.$$eval('.chart-svg', (svgs) => svgs.flatMap((svg) => {
			const b = svg.getBoundingClientRect();
			return [...svg.querySelectorAll('text')].filter((t) => {
				const r = t.getBoundingClientRect();
				return r.left < b.left - 0.5 || r.right > b.right + 0.5;
			}).map((t) => t.textContent);
		}));
		assert.deepEqual(outside, [], `${ws}: axis labels cut by their chart`);
	}
	clean(page);
	await page.close();
});

test('a time window filters by start; the sort flips to oldest first', async () => {
	const spans = fixtureSpans();
	const start = (id) => spans.find((s) => s.trace_id === id && !s.parent_span_id).started_at;
	const from = start('tr-research-1');
	const to = start('tr-support-2');
	const page = await open(`#/${WS}/traces?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, '.traces-table tbody tr');
	assert.equal(await page.inputValue('#f-range'), 'custom');
	assert.deepEqual(await rowIds(page), ['tr-support-2', 'tr-support-1', 'tr-research-1']);
	await page.click('.traces-table th button.sort');
	await page.waitForFunction(() => location.hash.includes('sort=asc'));
	await page.waitForFunction(() => document.querySelector('.traces-table tbody tr .sub .mono')?.title === 'tr-research-1');
	assert.deepEqual(await rowIds(page), ['tr-research-1', 'tr-support-1', 'tr-support-2']);
	assert.equal(await page.getAttribute('.traces-table th.col-start', 'aria-sort'), 'ascending');
	clean(page);
	await page.close();
});

test('paging moves through a large workspace and keeps its place on reload', async () => {
	const page = await open(`#/${BUSY}/traces?size=25`, '.traces-table tbody tr');
	const first = await rowIds(page);
	assert.equal(first.length, 25);
	await page.click('a[aria-label="Next page"]');
	await page.waitForFunction(() => location.hash.includes('page=2'));
	await page.waitForFunction((id) => {
		const rows = document.querySelectorAll('.traces-table tbody tr .sub .mono');
		return rows.length === 25 && rows[0].title !== id;
	}, first[0]);
	const second = await rowIds(page);
	const api = await request('GET', `${WS_PREFIX}/${BUSY}/traces?page=2&page_size=25`, { base: srv.base });
	assert.deepEqual(second, api.json.data.map((t) => t.id));
	await page.reload();
	await page.waitForSelector('.traces-table tbody tr');
	assert.deepEqual(await rowIds(page), second);
	assert.equal(await page.inputValue('#f-page'), '2');
	assert.match(await page.textContent('.pager'), /of 13/);
	// Jump to a page by number.
	await page.fill('#f-page', '13');
	await page.press('#f-page', 'Enter');
	await page.waitForFunction(() => location.hash.includes('page=13'));
	await page.waitForFunction(() => document.querySelectorAll('.traces-table tbody tr').length === 20);
	await shot(page, 'traces-paged');
	clean(page);
	await page.close();
});

test('live refresh picks up a new trace without a reload', async () => {
	const page = await open(`#/${BUSY}/traces?live=1&size=25`, '.traces-table tbody tr');
	assert.equal(await page.getAttribute('.toggle', 'aria-pressed'), 'true');
	const r = await request('POST', `${WS_PREFIX}/${BUSY}/ingest/spans`, { base: srv.base, body: { source: 'ui-fixture', spans: [
		{ span_id: 'live-1', trace_id: 'tr-live-1', name: 'arrived-live', kind: 'AGENT', status: 'success', started_at: new Date().toISOString() },
	] } });
	assert.equal(r.status, 201, r.text);
	await page.waitForSelector('.traces-table tbody tr:first-child >> text=arrived-live');
	await page.click('.toggle');
	await page.waitForFunction(() => !location.hash.includes('live=1'));
	assert.equal(await page.getAttribute('.toggle', 'aria-pressed'), 'false');
	clean(page);
	await page.close();
});

// The fixture's spans of a trace in waterfall order (children by start) with their depth.
function expectedTree(traceId) {
	const spans = fixtureSpans().filter((s) => s.trace_id === traceId);
	const kids = (p) => spans.filter((s) => (s.parent_span_id || null) === p).sort((a, b) => a.started_at.localeCompare(b.started_at));
	const out = [];
	const walk = (s, d) => {
		out.push({ id: s.span_id, name: s.name, level: d + 1, parent: s.parent_span_id || null });
		kids(s.span_id).forEach((k) => walk(k, d + 1));
	};
	kids(null).forEach((r) => walk(r, 0));
	return out;
}

const treeRows = (page) => page.$$eval('.wf-rows [role=treeitem]', (rows) => rows.map((r) => ({
	id: r.dataset.spanId, level: Number(r.getAttribute('aria-level')), selected: r.getAttribute('aria-selected') === 'true',
	indent: parseFloat(getComputedStyle(r.querySelector('.wf-label')).paddingLeft),
	bar: r.querySelector('.wf-bar').getBoundingClientRect().width, error: r.classList.contains('error'),
})));

test('a trace shows one bar per span, nested under its parent, errors marked', async () => {
	for (const id of ['tr-support-1', 'tr-support-2', 'tr-research-1']) {
		const page = await open(`#/${WS}/traces/${id}`, '.wf-rows [role=treeitem]');
		const want = expectedTree(id);
		// The rows may be in the page before its layout is (a loaded machine read a root's bar
		// as 0 px wide once): every bar gets its width, or the wait fails the test.
		// A row drawn again after that wait (the trace's feedback arriving) is read again too:
		// a CI run under load read a root's bar as 0 px between the wait and the read.
		let rows;
		await waitFor(`${id}: every bar drawn`, async () => (rows = await treeRows(page)).every((r) => r.bar >= 2)).catch(() => {});
		assert.deepEqual(rows.map((r) => r.id), want.map((w) => w.id), `${id}: one row per span, parents first`);
		assert.deepEqual(rows.map((r) => r.level), want.map((w) => w.level), `${id}: aria-level is the depth`);
		for (let i = 0; i < rows.length; i++) {
			assert.ok(rows[i].bar >= 2, `${rows[i].id}: a visible bar`);
			// Deeper rows are indented further than their parent.
			const p = rows.findIndex((r) => r.id === want[i].parent);
			if (p >= 0) assert.ok(rows[i].indent > rows[p].indent, `${rows[i].id} indented under ${rows[p].id}`);
		}
		const failing = fixtureSpans().filter((s) => s.trace_id === id && s.status === 'error').map((s) => s.span_id).sort();
		assert.deepEqual(rows.filter((r) => r.error).map((r) => r.id).sort(), failing, `${id}: error rows`);
		assert.equal(await page.locator('.wf-row.error .wf-err').count(), failing.length);
		assert.equal(await page.getAttribute('.wf-rows', 'role'), 'tree');
		// The root is selected and focused on arrival.
		assert.equal(rows.find((r) => r.selected)?.id, want[0].id);
		if (id === 'tr-support-2') await shot(page, 'trace-error');
		clean(page);
		await page.close();
	}
});

test('clicking a span shows its input and output; folding hides its children', async () => {
	const page = await open(`#/${WS}/traces/tr-support-1`, '.wf-rows [role=treeitem]');
	await page.click('.wf-row:has-text("compose-reply")');
	await page.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'compose-reply');
	await page.waitForSelector('section[aria-labelledby=sp-input] .msg');
	const input = await page.textContent('section[aria-labelledby=sp-input]');
	assert.match(input, /Where is my order #1042\?/);
	assert.equal(await page.locator('section[aria-labelledby=sp-input] .msg-role').first().textContent(), 'system');
	const output = await page.textContent('section[aria-labelledby=sp-output]');
	assert.match(output, /assistant/);
	assert.match(output, /on its way with DHL/);
	assert.match(await page.textContent('.span-panel'), /gpt-4o-mini/);
	assert.match(await page.textContent('section[aria-labelledby=sp-usage]'), /778 input/);
	assert.match(page.url(), /span=tr-support-1-reply/);
	await shot(page, 'trace');
	// Raw shows the stored text.
	await page.click('section[aria-labelledby=sp-output] label.seg:has-text("Raw")');
	assert.match(await page.textContent('section[aria-labelledby=sp-output] pre.raw'), /"chat.completion"/);
	// A tool span: JSON, pretty-printed.
	await page.click('.wf-row:has-text("lookup_order")');
	await page.waitForSelector('section[aria-labelledby=sp-output] pre.json');
	assert.match(await page.textContent('section[aria-labelledby=sp-output] pre.json'), /"carrier": "DHL"/);
	// Folding kb-search hides embed-query and rerank.
	const rowCount = () => page.locator('.wf-rows [role=treeitem]').count();
	await page.click('.wf-row:has-text("kb-search") .wf-twisty');
	await eventually(rowCount, 5, 'kb-search folded');
	assert.equal(await page.getAttribute('.wf-row:has-text("kb-search")', 'aria-expanded'), 'false');
	await page.click('.wf-row:has-text("kb-search") .wf-twisty');
	await eventually(rowCount, 7, 'kb-search unfolded');
	// A failed span shows its error.
	const p2 = await open(`#/${WS}/traces/tr-support-2?span=tr-support-2-tool`, '.span-error');
	assert.match(await p2.textContent('.span-error'), /PermissionError/);
	assert.match(await p2.textContent('.span-error'), /already shipped/);
	clean(page);
	clean(p2);
	await page.close();
	await p2.close();
});

test('up and down keys move between spans', async () => {
	const page = await open(`#/${WS}/traces/tr-support-1`, '.wf-row.selected');
	const want = expectedTree('tr-support-1');
	const selected = async () => (await treeRows(page)).find((r) => r.selected)?.id;
	assert.equal(await selected(), want[0].id);
	assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'treeitem');
	for (let i = 1; i < want.length; i++) {
		await page.keyboard.press('ArrowDown');
		await eventually(selected, want[i].id, `down to row ${i}`);
	}
	await page.keyboard.press('ArrowDown'); // stays on the last
	await eventually(selected, want.at(-1).id, 'down at the last row');
	await page.keyboard.press('ArrowUp');
	await eventually(selected, want.at(-2).id, 'up');
	await page.keyboard.press('ArrowUp');
	await eventually(selected, want.at(-3).id, 'up again');
	await page.waitForFunction((name) => document.querySelector('#span-title')?.textContent === name, want.at(-3).name);
	assert.match(page.url(), new RegExp(`span=${want.at(-3).id}`));
	await page.keyboard.press('Home');
	await eventually(selected, want[0].id, 'Home');
	// Arrows work from anywhere on the page that is not a field.
	await page.click('.trace-head');
	await page.keyboard.press('ArrowDown');
	await eventually(selected, want[1].id, 'down from the header');
	// A link to a span opens on it.
	const p2 = await open(`#/${WS}/traces/tr-support-1?span=tr-support-1-embed`, '.wf-row.selected');
	assert.equal((await treeRows(p2)).find((r) => r.selected)?.id, 'tr-support-1-embed');
	clean(page);
	clean(p2);
	await page.close();
	await p2.close();
});

test('a session reads as a conversation, its traces in order', async () => {
	const page = await open(`#/${WS}/sessions/sess-support-42`, '.turn');
	await page.waitForFunction(() => document.querySelectorAll('.turn .turn-talk .loading').length === 0);
	const turns = await page.$$eval('.turn .turn-name', (els) => els.map((e) => decodeURIComponent(e.getAttribute('href').split('/').pop())));
	assert.deepEqual(turns, ['tr-support-1', 'tr-support-2', 'tr-support-3']);
	const text = await page.$$eval('.turn', (els) => els.map((e) => e.textContent));
	assert.match(text[0], /Where is my order #1042\?/);
	assert.match(text[0], /on its way with DHL/);
	assert.match(text[1], /12 Harbour St/);
	assert.match(text[1], /already shipped/);
	assert.match(text[2], /Thanks for checking/);
	assert.match(await page.textContent('dl.facts'), /Traces\s*3/);
	await shot(page, 'session');
	// The other session, with its midnight-crossing trace, and the list of sessions.
	const p2 = await open(`#/${WS}/sessions/sess-research-7`, '.turn');
	assert.equal(await p2.locator('.turn').count(), 2);
	const p3 = await open(`#/${WS}/sessions`, 'table.data tbody tr');
	await p3.waitForFunction(() => document.querySelectorAll('table.data .pill').length >= 4);
	const ids = await p3.$$eval('table.data tbody tr td:first-child a', (els) => els.map((e) => e.textContent));
	for (const s of FIXTURE.sessions) assert.ok(ids.includes(s), `${s} listed`);
	// A session with no thread state showed "nullnull" beside its status.
	assert.doesNotMatch(await p3.textContent('table.data tbody'), /null|undefined/);
	await shot(p3, 'sessions');
	for (const p of [page, p2, p3]) {
		clean(p);
		await p.close();
	}
});

test('the overview charts spans, tokens, cost and errors, and ranks traces', async () => {
	const page = await open(`#/${WS}/overview`, '.chart-svg');
	assert.equal(await page.locator('.chart-svg').count(), 4);
	assert.match(await page.textContent('.kpis'), /Traces\s*7/);
	const spans = fixtureSpans();
	assert.match(await page.textContent('.kpis'), new RegExp(`Spans\\s*${spans.length}`));
	const errs = spans.filter((s) => s.status === 'error').length;
	assert.match(await page.textContent('.kpis'), new RegExp(`${errs} failed spans`));
	assert.ok(await page.locator('.chart-svg rect.bar').count() > 0);
	// A rollup's total_tokens counts only the spans that sent a total: the larger of it and
	// input + output (Opik spans with a total of 49 beside NeMo spans of 273k showed 49).
	const tokens = await page.evaluate(async () => {
		const { tokensOf } = await import('/ui/js/views/traces.js');
		return [tokensOf({ input_tokens: 237780, output_tokens: 34905, total_tokens: 49 }), tokensOf({ total_tokens: 100, input_tokens: 10 }),
			tokensOf({ input_tokens: 3 }), tokensOf({ total_tokens: 7 }), tokensOf({})];
	});
	assert.deepEqual(tokens, [272685, 100, 3, 7, null]);
	const slowest = await page.$$eval('.top-table:first-child tbody tr td:first-child a', (els) => els.map((e) => e.getAttribute('href')));
	assert.match(slowest[0], /tr-eval-1$/); // 8.2 s, the slowest of the fixture
	for (const range of ['24h', '30d']) {
		await page.selectOption('#f-orange', range);
		await page.waitForFunction((r) => location.hash.endsWith(`range=${r}`), range);
		await page.waitForSelector('.chart-svg');
	}
	const busy = await open(`#/${BUSY}/overview`, '.chart-svg');
	await shot(busy, 'overview');
	clean(page);
	clean(busy);
	await page.close();
	await busy.close();
});

test('the overview asks spandex once, and a server without spans/stats per bucket, with the same figures', async () => {
	const kpis = async (stub) => {
		const page = await browser.newPage();
		const api = [];
		page.on('request', (r) => { if (r.url().includes('/apis/intake/')) api.push(r.url()); });
		// The NeMo service reads "stats" as a span id: 404 Span ... not found.
		if (stub) await page.route(/\/spans\/stats\?/, (route) => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ detail: `Span ${WS}/stats not found` }) }));
		await page.goto(`${srv.base}/ui/#/${WS}/overview?range=30d`);
		await page.waitForSelector('.chart-svg');
		const text = (await page.textContent('.kpis')).replace(/\s+/g, ' ');
		const slowest = await page.$$eval('.top-table:first-child tbody tr td:first-child a', (els) => els.map((e) => e.getAttribute('href')));
		clean(page, stub ? [{ status: 404, url: /spans\/stats/ }] : []);
		await page.close();
		return { text, slowest, api };
	};
	const one = await kpis(false);
	const many = await kpis(true);
	assert.equal(one.api.filter((u) => u.includes('/spans/stats?')).length, 1);
	assert.ok(one.api.length <= 3, one.api.join('\n')); // the latest trace, the stats (and the key probe)
	assert.ok(many.api.length > 30, `${many.api.length} requests`);
	// Exact either way on this small fixture: every bucket's traces fit in its page.
	assert.equal(one.text, many.text);
	assert.deepEqual(one.slowest, many.slowest);
});

test('API errors show the API detail, never a blank page', async () => {
	const bad = await request('GET', `${WS_PREFIX}/${WS}/traces?filter=${encodeURIComponent('{"status":"bogus"}')}`, { base: srv.base });
	assert.equal(bad.status, 400);
	const page = await open(`#/${WS}/traces?status=bogus`, '.error-box');
	assert.equal(await page.textContent('.error-detail'), bad.json.detail);
	assert.match(await page.textContent('.error-title'), /400/);
	await shot(page, 'error');
	clean(page, [{ status: 400, url: /filter=\{"status":"bogus"\}/ }]);
	const p2 = await open(`#/${WS}/traces/no-such-trace`, '.error-box');
	assert.equal(await p2.textContent('.error-detail'), `Trace ${WS}/no-such-trace not found`);
	clean(p2, [{ status: 404, url: /traces\/no-such-trace/ }]);
	const p3 = await open(`#/${WS}/sessions/no-such-session`, '.error-box');
	assert.match(await p3.textContent('.error-detail'), /not found/);
	clean(p3, [{ status: 404, url: /sessions\/no-such-session/ }]);
	// A bad workspace name is refused before any request, with the rule.
	await p3.fill('#ws-input', 'Not A Workspace');
	await p3.press('#ws-input', 'Enter');
	await p3.waitForSelector('#ws-error', { state: 'visible' });
	assert.equal(await p3.getAttribute('#ws-input', 'aria-invalid'), 'true');
	for (const p of [page, p2, p3]) await p.close();
});

test('free text finds the traces whose root span names or holds the words', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.waitForSelector('#f-q', { state: 'visible' });
	const api = await request('GET', `${WS_PREFIX}/${WS}/traces?search=RESEARCH&page_size=100&mode=summary`, { base: srv.base });
	const want = api.json.data.map((t) => t.id);
	assert.ok(want.length > 0 && want.length < FIXTURE.traces.length, want.join());
	await page.fill('#f-q', 'RESEARCH');
	await page.press('#f-q', 'Enter');
	await page.waitForFunction(() => location.hash.includes('q=RESEARCH'));
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, want.length);
	assert.deepEqual(await rowIds(page), want);
	await page.fill('#f-q', 'no-such-words-anywhere');
	await page.press('#f-q', 'Enter');
	await page.waitForSelector('.empty');
	clean(page);
	await page.close();
});

test('keyboard: a skip button, labelled fields, visible focus; a workspace is remembered in the URL', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.keyboard.press('Tab');
	await eventually(() => page.evaluate(() => document.activeElement.id), 'skip', 'Tab to the skip button');
	const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
	assert.notEqual(ring, 'none', 'focus is visible');
	await page.keyboard.press('Enter');
	await eventually(() => page.evaluate(() => document.activeElement.className), 'page-title', 'the skip button');
	// Every form field has a label.
	const unlabelled = await page.$$eval('input, select', (els) => els.filter((e) => e.type !== 'hidden' && e.type !== 'radio' && !e.labels?.length && !e.getAttribute('aria-label')).map((e) => e.id || e.outerHTML));
	assert.deepEqual(unlabelled, []);
	// Tab reaches the first trace link, and Enter opens it.
	let reached = false;
	for (let i = 0; i < 30 && !reached; i++) {
		await page.keyboard.press('Tab');
		reached = await page.evaluate(() => document.activeElement?.classList.contains('row-link'));
	}
	assert.ok(reached, 'the first trace link is reachable by Tab');
	await page.keyboard.press('Enter');
	await page.waitForSelector('.wf-row.selected');
	assert.match(page.url(), new RegExp(`#/${WS}/traces/`));
	// The workspace picker switches workspace and keeps it in the URL.
	await page.fill('#ws-input', BUSY);
	await page.press('#ws-input', 'Enter');
	await page.waitForFunction((ws) => location.hash.startsWith(`#/${ws}/traces`), BUSY);
	await page.waitForSelector('.traces-table tbody tr');
	const total = (await request('GET', `${WS_PREFIX}/${BUSY}/traces?page_size=1`, { base: srv.base })).json.pagination.total_results;
	assert.equal(await page.textContent('.head-count'), `${total} traces`);
	clean(page);
	await page.close();
});

test('a narrow screen gets the same views without sideways scrolling', async () => {
	const page = await browser.newPage();
	await page.setViewportSize({ width: 390, height: 844 });
	for (const [hash, sel, name] of [
		[`#/${WS}/traces`, '.traces-table tbody tr', 'narrow-traces'],
		[`#/${WS}/traces/tr-support-1?span=tr-support-1-reply`, 'section[aria-labelledby=sp-input] .msg', 'narrow-trace'],
		[`#/${WS}/sessions/sess-support-42`, '.turn-out', null],
		[`#/${WS}/overview`, '.chart-svg', null],
	]) {
		await page.goto(`${srv.base}/ui/${hash}`);
		await page.waitForSelector(sel);
		const wide = await page.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(wide <= 390, `${hash}: page is ${wide}px wide`);
		// Every span's name shows a few characters at least (the usage beside it took them all).
		const names = await page.$$eval('.wf-name', (els) => els.map((e) => [e.textContent, e.getBoundingClientRect().width]));
		for (const [text, w] of names) assert.ok(w >= 20, `${hash}: span name '${text}' is ${w}px wide`);
		if (name) await shot(page, name);
	}
	clean(page);
	await page.close();
});

// ---- issue 31: the viewer's answers ----

test('no emoji in the viewer: Debian\'s chromium has no emoji font and draws an empty box', () => {
	const files = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (/\.(html|js|css)$/.test(e.name)) files.push(p);
		}
	};
	walk(path.join(SRCDIR, 'ui'));
	assert.ok(files.length > 5);
	for (const f of files) {
		const m = /[\u{1F000}-\u{1FAFF}]/u.exec(fs.readFileSync(f, 'utf8'));
		assert.equal(m, null, `${path.relative(SRCDIR, f)} holds ${m?.[0]}`);
	}
});

test('at 1440x900 the overview\'s slowest and most expensive tables show every column', async () => {
	const page = await browser.newPage();
	await page.setViewportSize({ width: 1440, height: 900 });
	for (const ws of [WS, BUSY]) {
		await page.goto(`${srv.base}/ui/#/${ws}/overview`);
		await page.waitForSelector('.top-table tbody tr');
		const tables = await page.$$eval('.top-table .table-wrap', (els) => els.map((e) => {
			const status = e.querySelector('thead th:last-child').getBoundingClientRect();
			const box = e.getBoundingClientRect();
			return { scroll: e.scrollWidth, client: e.clientWidth, statusRight: status.right, boxRight: box.right };
		}));
		assert.equal(tables.length, 2);
		for (const t of tables) {
			assert.ok(t.scroll <= t.client, `${ws}: a table scrolls sideways (${t.scroll} > ${t.client})`);
			assert.ok(t.statusRight <= t.boxRight + 0.5, `${ws}: the status column is cut off`);
		}
		if (ws === BUSY) await page.screenshot({ path: path.join(SHOTS, 'overview-1440.png') });
	}
	clean(page);
	await page.close();
});

test('costs follow one rule everywhere: cents from a dollar, else three significant digits', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	const got = await page.evaluate(async () => {
		const { fmtCost } = await import('./js/dom.js');
		return [0, 0.5, 0.0123, 0.000412, 0.123456, 0.037, 1.234, 1240.5, 3e-7].map(fmtCost);
	});
	assert.deepEqual(got, ['$0.00', '$0.50', '$0.0123', '$0.000412', '$0.123', '$0.037', '$1.23', '$1,240.50', '<$0.000001']);
	// One trace's cost reads the same in the table, the trace and the overview.
	const api = (await request('GET', `${WS_PREFIX}/${WS}/traces/tr-eval-1`, { base: srv.base })).json;
	const want = await page.evaluate(async (c) => (await import('./js/dom.js')).fmtCost(c), api.cost_usd);
	const inTable = await page.textContent('.traces-table tbody tr:has-text("tr-eval-1") .col-cost');
	assert.equal(inTable, want);
	const trace = await open(`#/${WS}/traces/tr-eval-1`, 'dl.facts');
	assert.match(await trace.textContent('dl.facts'), new RegExp(`Cost\\s*${want.replace(/[$.]/g, '\\$&')}`));
	const ov = await open(`#/${WS}/overview?range=30d`, '.top-table tbody tr');
	const row = ov.locator('.top-table:nth-child(2) tbody tr', { hasText: 'nightly-eval' });
	assert.match(await row.textContent(), new RegExp(want.replace(/[$.]/g, '\\$&')));
	for (const p of [page, trace, ov]) {
		clean(p);
		await p.close();
	}
});

test('the span tree shows each span\'s tokens and cost inline', async () => {
	const page = await open(`#/${WS}/traces/tr-support-1`, '.wf-rows [role=treeitem]');
	const spans = fixtureSpans().filter((s) => s.trace_id === 'tr-support-1');
	for (const s of spans) {
		const api = (await request('GET', `${WS_PREFIX}/${WS}/spans/${s.span_id}`, { base: srv.base })).json;
		const usage = await page.locator(`.wf-row[data-span-id="${s.span_id}"] .wf-usage`).count()
			? await page.textContent(`.wf-row[data-span-id="${s.span_id}"] .wf-usage`) : null;
		const tokens = api.total_tokens ?? (api.input_tokens !== undefined ? api.input_tokens + (api.output_tokens || 0) : undefined);
		if (tokens === undefined && api.cost_total_usd === undefined && api.cost_input_usd === undefined) {
			assert.equal(usage, null, `${s.span_id}: nothing used, nothing shown`);
			continue;
		}
		const want = await page.evaluate(async ([t, c]) => {
			const m = await import('./js/dom.js');
			return [t !== null ? `${m.fmtCompact(t)} tok` : null, c !== null ? m.fmtCost(c) : null].filter(Boolean).join(' · ');
		}, [tokens ?? null, api.cost_total_usd ?? ((api.cost_input_usd ?? 0) + (api.cost_output_usd ?? 0))]);
		assert.equal(usage, want, s.span_id);
	}
	assert.match(await page.getAttribute('.wf-row[data-span-id="tr-support-1-reply"]', 'aria-label'), /tokens, \$/);
	clean(page);
	await page.close();
});

test('the traces list previews each trace\'s input and output, one request for the page', async () => {
	const page = await browser.newPage();
	const previews = [];
	page.on('request', (r) => { if (/\/spans\?.*mode=preview/.test(decodeURIComponent(r.url()))) previews.push(r.url()); });
	await page.goto(`${srv.base}/ui/#/${WS}/traces`);
	await page.waitForSelector('.traces-table tbody tr .io-input');
	const io = Object.fromEntries(await page.$$eval('.traces-table tbody tr', (rows) => rows.map((r) => [
		r.querySelector('.sub .mono').title,
		[r.querySelector('.io-input')?.textContent || '', r.querySelector('.io-output')?.textContent || ''],
	])));
	assert.match(io['tr-support-1'][0], /input: Hi! Where is my order #1042\?/);
	assert.match(io['tr-support-1'][1], /output: Your order #1042 is on its way with DHL/);
	assert.match(io['tr-chat-1'][0], /What is a span in tracing\?/);
	assert.equal(io['tr-support-2'][1], '', 'a failed turn has no output');
	assert.equal(previews.length, 1, previews.join('\n'));
	// What the API gives: input and output cut to 300 characters, no raw_attributes.
	const api = await request('GET', `${WS_PREFIX}/${WS}/spans?mode=preview&filter[id]=tr-support-3-root`, { base: srv.base });
	assert.equal(api.status, 200, api.text);
	assert.equal([...api.json.data[0].input].length, 300);
	assert.equal(api.json.data[0].raw_attributes, undefined);
	// A page of 200: its ids go in more than one request, each URL well under nginx's 8 KiB.
	previews.length = 0;
	await page.goto(`${srv.base}/ui/#/${BUSY}/traces?size=200`);
	// Every generated root has an input (the live test's trace has none).
	await page.waitForFunction(() => {
		const rows = [...document.querySelectorAll('.traces-table tbody tr')];
		return rows.length === 200 && rows.every((r) => !r.querySelector('.sub .mono').title.startsWith('busy-') || r.querySelector('.io-input'));
	});
	assert.ok(previews.length >= 2, `${previews.length} preview requests`);
	for (const u of previews) assert.ok(u.length < 8192, `a preview URL of ${u.length} characters`);
	clean(page);
	await page.close();
});

// ---- issue 34: judgements (scores, feedback, comments) and a session's state ----

const scoresOf = (page) => page.$$eval('.traces-table tbody tr', (rows) => Object.fromEntries(rows.map((r) => [
	r.querySelector('.sub .mono').title,
	Object.fromEntries([...r.querySelectorAll('.col-scores .score')].map((c) => [c.querySelector('.score-name').textContent, c.querySelector('.score-value').textContent])),
])));

test('the traces table shows each trace\'s scores; a labelled but unscored trace has none', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.waitForSelector('.traces-table th.col-scores');
	const got = await scoresOf(page);
	const api = (await request('GET', `${WS_PREFIX}/${WS}/traces?page_size=50`, { base: srv.base })).json;
	for (const t of api.data) {
		assert.deepEqual(t.evaluator_scores, FIXTURE.scores[t.id] || {}, `${t.id}: the API's rollup`);
		const want = Object.fromEntries(Object.entries(t.evaluator_scores).map(([k, v]) => [k, String(Number(v.toPrecision(3)))]));
		assert.deepEqual(got[t.id], want, `${t.id}: the row's scores`);
	}
	// tr-chat-1 has a person's helpfulness label of 1, which is no evaluator score.
	assert.equal(await page.textContent('.traces-table tbody tr:has-text("tr-chat-1") .col-scores'), '—');
	// The score controls are there, with the workspace's names.
	assert.equal(await page.locator('#f-score').isVisible(), true);
	const names = await page.$$eval('#f-score-names option', (os) => os.map((o) => o.value));
	assert.deepEqual(names, ['correct', 'faithfulness', 'helpfulness']);
	clean(page);
	await page.close();
});

test('the traces list filters by a score range and sorts by a score, kept in the URL', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	await page.waitForSelector('#f-score', { state: 'visible' });
	await page.fill('#f-score', 'helpfulness');
	await page.fill('#f-smin', '0.7');
	await page.press('#f-smin', 'Enter');
	await page.waitForFunction(() => location.hash.includes('score=helpfulness') && location.hash.includes('min=0.7'));
	// tr-chat-1's label of 1 does not count: only evaluator scores do.
	const inRange = ['tr-research-1', 'tr-support-1', 'tr-support-3'];
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, inRange.length);
	assert.deepEqual((await rowIds(page)).sort(), inRange);
	// Sort by it, highest first.
	await page.selectOption('#f-order', 'score');
	await page.waitForFunction(() => location.hash.includes('sort=score'));
	await page.waitForFunction(() => document.querySelector('.traces-table th.col-scores')?.getAttribute('aria-sort') === 'descending');
	assert.deepEqual(await rowIds(page), ['tr-research-1', 'tr-support-1', 'tr-support-3']);
	const filter = encodeURIComponent(JSON.stringify({ 'evaluator_scores.helpfulness': { $gte: 0.7 } }));
	const api = await request('GET', `${WS_PREFIX}/${WS}/traces?filter=${filter}&sort=-evaluator_scores.helpfulness`, { base: srv.base });
	assert.deepEqual(await rowIds(page), api.json.data.map((t) => t.id));
	assert.equal(await page.getAttribute('.traces-table th.col-start', 'aria-sort'), null);
	// The sorted score comes first in each row.
	assert.deepEqual(await page.$$eval('.traces-table tbody tr .score.first .score-name', (els) => els.map((e) => e.textContent)), ['helpfulness', 'helpfulness', 'helpfulness']);
	await shot(page, 'traces-scores');
	// A reload keeps it all; the header flips the order.
	await page.reload();
	await page.waitForSelector('.traces-table tbody tr');
	assert.equal(await page.inputValue('#f-score'), 'helpfulness');
	assert.equal(await page.inputValue('#f-smin'), '0.7');
	assert.equal(await page.inputValue('#f-order'), 'score');
	await page.click('.traces-table th.col-scores button.sort');
	await page.waitForFunction(() => location.hash.includes('sort=score-asc'));
	await page.waitForFunction(() => document.querySelector('.traces-table tbody tr .sub .mono')?.title === 'tr-support-3');
	assert.deepEqual(await rowIds(page), ['tr-support-3', 'tr-support-1', 'tr-research-1']);
	// Without the range every trace is listed, those without the score last.
	await page.fill('#f-smin', '');
	await page.press('#f-smin', 'Enter');
	await page.waitForFunction((n) => document.querySelectorAll('.traces-table tbody tr').length === n, FIXTURE.traces.length);
	const ids = await rowIds(page);
	assert.deepEqual(ids.slice(0, 4), ['tr-support-2', 'tr-support-3', 'tr-support-1', 'tr-research-1']);
	assert.deepEqual(ids.slice(4).sort(), ['tr-chat-1', 'tr-eval-1', 'tr-research-2']);
	// Clicking Started goes back to the time order.
	await page.click('.traces-table th.col-start button.sort');
	await page.waitForFunction(() => !location.hash.includes('sort=score'));
	await page.waitForFunction(() => document.querySelector('.traces-table th.col-start')?.getAttribute('aria-sort') === 'descending');
	clean(page);
	await page.close();
});

test('a span shows its evaluators\' scores, its feedback and comments; the trace its scores and marks', async () => {
	const page = await open(`#/${WS}/traces/tr-support-1?span=tr-support-1-reply`, '.judgements .judge-scores');
	const rows = await page.$$eval('.judge-scores tr', (trs) => trs.map((tr) => [tr.querySelector('th').textContent, tr.querySelector('.judge-score').textContent]));
	assert.deepEqual(rows.sort(), [['correct', '1'], ['helpfulness', '1'], ['tone', 'friendly']]);
	const section = await page.textContent('.judgements');
	assert.match(section, /gives the carrier and the delivery time/);
	assert.match(section, /Thumbs up/);
	assert.match(section, /the tracking link is missing/);
	assert.equal(await page.getAttribute('.judgements .feedback-tally', 'title'), '1 thumbs up');
	// The trace's scores in its header, and the feedback on its spans below.
	const facts = await page.textContent('.trace-head dl.facts');
	assert.match(facts, /Scores\s*correct\s*1\s*helpfulness\s*0\.875/);
	await page.waitForSelector('.trace-judgements details');
	// The reply's thumbs up and note, and the session's own note.
	assert.match(await page.textContent('.trace-judgements summary'), /1 feedback, 2 notes/);
	// The spans judged are marked in the tree, and say so to a screen reader.
	await page.waitForSelector('.wf-row[data-span-id="tr-support-1-reply"] .wf-judged');
	assert.equal(await page.textContent('.wf-row[data-span-id="tr-support-1-reply"] .wf-judged'), '5');
	assert.match(await page.getAttribute('.wf-row[data-span-id="tr-support-1-reply"]', 'aria-label'), /3 scores, 1 feedback, 1 note$/);
	assert.equal(await page.textContent('.wf-row[data-span-id="tr-support-1-root"] .wf-judged'), '1');
	assert.equal(await page.locator('.wf-row[data-span-id="tr-support-1-kb"] .wf-judged').count(), 0);
	await shot(page, 'trace-judgements');
	// The list under the header opens a span.
	await page.click('.wf-row:has-text("support-agent")');
	await page.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'support-agent');
	await page.click('.trace-judgements summary');
	await page.click('.trace-judgements .judge-on >> nth=0');
	await page.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'compose-reply');
	// A failed evaluator result says so.
	const p2 = await open(`#/${WS}/traces/tr-research-2?span=r2-read`, '.judgements .judge-scores');
	assert.match(await p2.textContent('.judge-scores'), /judge\s*failed/);
	assert.match(await p2.textContent('.judge-scores'), /timed out/);
	// A span with nothing says that.
	const p3 = await open(`#/${WS}/traces/tr-eval-1?span=ev-judge`, '.judgements .judge-empty');
	for (const p of [page, p2, p3]) {
		clean(p);
		await p.close();
	}
});

test('a person adds a thumbs up, a score and a comment from the span panel, and deletes their own', async () => {
	const page = await open(`#/${WS}/traces/tr-support-3?span=tr-support-3-reply`, '.judgements .judge-scores');
	const mine = async () => (await request('GET', `${WS_PREFIX}/${WS}/annotations?filter[span_id]=tr-support-3-reply&page_size=100`, { base: srv.base })).json.data;
	assert.equal((await mine()).length, 0);
	await page.click('.judge-actions button[aria-label="Thumbs up"]');
	await page.waitForSelector('.judgements .judge-list .judge-feedback');
	assert.match(await page.textContent('.judge-status'), /Added a thumbs up/);
	// A score: a named number.
	await page.click('.judge-actions button:has-text("Add score")');
	await eventually(() => page.evaluate(() => document.activeElement.id), 'judge-score-name', 'the score form focused');
	await page.fill('#judge-score-name', 'clarity');
	await page.fill('#judge-score-value', '0.5');
	await page.press('#judge-score-value', 'Enter');
	await page.waitForSelector('.judge-scores tr:has-text("clarity")');
	assert.match(await page.textContent('.judge-scores tr:has-text("clarity")'), /0\.5\s*person/);
	await page.waitForSelector('#judge-score-form', { state: 'hidden' });
	// A comment.
	await page.click('.judge-actions button:has-text("Comment")');
	await page.fill('#judge-note-text', 'Short and right.');
	await page.click('#judge-note-form button[type=submit]');
	await page.waitForSelector('.judgements .judge-list .judge-note:has-text("Short and right.")');
	const stored = await mine();
	assert.deepEqual(stored.map((a) => a.kind).sort(), ['feedback', 'label', 'note']);
	assert.ok(stored.every((a) => a.session_id === 'sess-support-42'), 'written on the trace\'s session');
	assert.equal(stored.find((a) => a.kind === 'label').value, 0.5);
	await shot(page, 'span-judged');
	// A person's score is not an evaluator score: the trace's rollup is as it was.
	const tr = (await request('GET', `${WS_PREFIX}/${WS}/traces/tr-support-3`, { base: srv.base })).json;
	assert.deepEqual(tr.evaluator_scores, FIXTURE.scores['tr-support-3']);
	// One's own can be deleted; the fixture's cannot from here.
	await page.click('.judgements .judge-item.judge-k-note button.judge-delete');
	await page.waitForFunction(() => !document.querySelector('.judgements .judge-note'));
	assert.match(await page.textContent('.judge-status'), /Deleted/);
	assert.deepEqual((await mine()).map((a) => a.kind).sort(), ['feedback', 'label']);
	await page.click('.judge-scores tr:has-text("clarity") button.judge-delete');
	await page.waitForFunction(() => !document.querySelector('.judge-scores tr') || ![...document.querySelectorAll('.judge-scores tr')].some((r) => r.textContent.includes('clarity')));
	// After a reload the thumbs up is still there, and still deletable (kept in this browser).
	await page.reload();
	await page.waitForSelector('.judgements .judge-list .judge-feedback');
	assert.equal(await page.locator('.judgements .judge-item.judge-k-feedback button.judge-delete').count(), 1);
	await page.click('.judgements .judge-item.judge-k-feedback button.judge-delete');
	await page.waitForFunction(() => !document.querySelector('.judgements .judge-feedback'));
	assert.deepEqual(await mine(), []);
	const other = await open(`#/${WS}/traces/tr-support-1?span=tr-support-1-reply`, '.judgements .judge-list');
	assert.equal(await other.locator('.judgements button.judge-delete').count(), 0);
	for (const p of [page, other]) {
		clean(p);
		await p.close();
	}
});

test('a session shows its scores, its feedback and comments, and its open or closed state', async () => {
	const page = await browser.newPage();
	// The state comes from Opik's threads API (a close writes a state judgement); the page is
	// shown the Session as the API answers it then.
	await page.route(/\/sessions\/sess-support-42$/, async (route) => {
		const res = await route.fetch();
		const body = await res.json();
		await route.fulfill({ response: res, json: { ...body, state: 'inactive' } });
	});
	await page.goto(`${srv.base}/ui/#/${WS}/sessions/sess-support-42`);
	await page.waitForSelector('.turn');
	assert.equal(await page.textContent('.page-head .state-pill'), 'closed');
	const api = (await request('GET', `${WS_PREFIX}/${WS}/sessions/sess-support-42`, { base: srv.base })).json;
	assert.equal(api.state, undefined, 'no state judgement: no state');
	const facts = await page.textContent('dl.facts');
	assert.match(facts, new RegExp(`Scores\\s*correct\\s*${Number(api.evaluator_scores.correct.toPrecision(3))}\\s*helpfulness\\s*${Number(api.evaluator_scores.helpfulness.toPrecision(3))}`));
	await page.waitForSelector('.session-judgements details');
	const summary = await page.textContent('.session-judgements summary');
	assert.match(summary, /2 feedback, 1 label, 2 notes, 1 metadata/);
	assert.equal(await page.getAttribute('.session-judgements .feedback-tally', 'title'), '1 thumbs up, 1 thumbs down');
	await page.click('.session-judgements summary');
	const list = await page.textContent('.session-judgements .judge-list');
	assert.match(list, /satisfied in the end/);
	assert.match(list, /escalate/);
	assert.match(list, /Metadata \(2 keys\)/);
	await shot(page, 'session-judgements');
	// The list of sessions says so too.
	await page.goto(`${srv.base}/ui/#/${WS}/sessions`);
	await page.waitForSelector('table.data tbody tr:has-text("sess-support-42") .state-pill');
	assert.equal(await page.textContent('table.data tbody tr:has-text("sess-support-42") .state-pill'), 'closed');
	assert.equal(await page.locator('table.data tbody tr:has-text("sess-research-7") .state-pill').count(), 0);
	await page.goBack();
	await page.waitForSelector('.session-judgements details');
	await page.click('.session-judgements summary');
	// A span's annotation opens its trace on it.
	await page.click('.session-judgements .judge-k-feedback:has-text("Thumbs down") .judge-on');
	await page.waitForFunction(() => location.hash.includes('/traces/tr-support-2') && location.hash.includes('span=tr-support-2-tool'));
	await page.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'update_address');
	// An open one, and one with no state at all.
	await page.unroute(/\/sessions\/sess-support-42$/);
	await page.route(/\/sessions\/sess-research-7$/, async (route) => {
		const res = await route.fetch();
		await route.fulfill({ response: res, json: { ...(await res.json()), state: 'active' } });
	});
	await page.goto(`${srv.base}/ui/#/${WS}/sessions/sess-research-7`);
	await page.waitForSelector('.turn');
	assert.equal(await page.textContent('.page-head .state-pill'), 'open');
	await page.unroute(/\/sessions\/sess-research-7$/);
	await page.reload();
	await page.waitForSelector('.turn');
	assert.equal(await page.locator('.state-pill').count(), 0);
	clean(page);
	await page.close();
});

// Trace-level scores (issue 54): what the opik SDK's logTracesFeedbackScores gives a trace is
// in its evaluator_scores, so the list shows, filters and sorts by it and the trace's header
// shows it beside its spans' evaluator scores.
test('a trace\'s own scores (the opik SDK\'s logTracesFeedbackScores) are in the list\'s Scores column, its filter, its sort and the trace\'s header', async () => {
	const req = createRequire(path.join(CLIENTS, 'package.json'));
	const { Opik } = await import(req.resolve('opik'));
	const ws = 'ui-opik-scored';
	const c = new Opik({ apiUrl: srv.base, projectName: 'ui-judged', workspaceName: ws });
	const ts = ['good', 'poor', 'unjudged'].map((name) => {
		const t = c.trace({ name, input: { q: name } });
		t.span({ name: 'answer', type: 'llm' }).end();
		t.end();
		return t;
	});
	await c.flush();
	c.logTracesFeedbackScores([{ id: ts[0].data.id, name: 'overall', value: 0.9 }, { id: ts[1].data.id, name: 'overall', value: 0.25 }]);
	await c.flush();
	const [good, poor, unjudged] = ts.map((t) => t.data.id);
	const page = await open(`#/${ws}/traces`, '.traces-table tbody tr');
	await page.waitForSelector('.traces-table th.col-scores');
	const got = await scoresOf(page);
	assert.deepEqual([got[good], got[poor], got[unjudged]], [{ overall: '0.9' }, { overall: '0.25' }, {}]);
	// Filtered to 0.5 and up, then every trace ordered by it, lowest first, the unjudged last.
	await page.fill('#f-score', 'overall');
	await page.fill('#f-smin', '0.5');
	await page.press('#f-smin', 'Enter');
	await page.waitForFunction(() => location.hash.includes('score=overall') && location.hash.includes('min=0.5'));
	await page.waitForFunction(() => document.querySelectorAll('.traces-table tbody tr').length === 1);
	assert.deepEqual(await rowIds(page), [good]);
	await page.goto(`${srv.base}/ui/#/${ws}/traces?score=overall&sort=score-asc`);
	await page.waitForFunction(() => document.querySelector('.traces-table th.col-scores')?.getAttribute('aria-sort') === 'ascending');
	await page.waitForFunction(() => document.querySelectorAll('.traces-table tbody tr').length === 3);
	assert.deepEqual(await rowIds(page), [poor, good, unjudged]);
	// The trace's header: its own score, not folded away under the feedback.
	await page.goto(`${srv.base}/ui/#/${ws}/traces/${good}`);
	await page.waitForSelector('.trace-head .scores');
	assert.deepEqual(await page.$$eval('.trace-head .facts .score', (els) => els.map((e) => e.textContent)), ['overall0.9']);
	// A person scores the unjudged trace from its header: the header shows it at once, and the
	// list shows it, ranked among the SDK's.
	await page.goto(`${srv.base}/ui/#/${ws}/traces/${unjudged}`);
	await page.waitForSelector('.wf-row');
	await page.click('button:has-text("Score this trace")');
	await eventually(() => page.evaluate(() => document.activeElement?.id), 'trace-score-name', 'the name field has the focus');
	await page.fill('#trace-score-name', 'overall');
	await page.fill('#trace-score-value', '0.6');
	await page.click('#trace-score-form button[type=submit]');
	await page.waitForSelector('.trace-head .facts .score');
	assert.deepEqual(await page.$$eval('.trace-head .facts .score', (els) => els.map((e) => e.textContent)), ['overall0.6']);
	assert.match(await page.textContent('.trace-head .trace-score-status'), /Added the score overall/);
	await page.goto(`${srv.base}/ui/#/${ws}/traces?score=overall&sort=score-asc`);
	await page.waitForFunction((id) => document.querySelector('.traces-table tbody tr:nth-child(2) .sub .mono')?.title === id, unjudged);
	assert.deepEqual(await rowIds(page), [poor, unjudged, good]);
	clean(page);
	await page.close();
});

// A span whose own session differs from its trace's (every span the opik SDK writes names its
// trace as its session; the trace names its thread): its panel links the trace's session,
// which opens, not the span's, which the API answers 404 (issue 54).
test('a span whose session differs from its trace\'s links to the trace\'s session', async () => {
	const req = createRequire(path.join(CLIENTS, 'package.json'));
	const { Opik } = await import(req.resolve('opik'));
	const ws = 'ui-opik-sessions';
	const c = new Opik({ apiUrl: srv.base, projectName: 'ui-sessions', workspaceName: ws });
	const t = c.trace({ name: 'turn', input: { q: 'Where is my parcel?' }, output: { a: 'On its way.' }, threadId: 'th-parcel' });
	const sp = t.span({ name: 'lookup', type: 'tool' });
	sp.end();
	t.end();
	await c.flush();
	const own = await request('GET', `${WS_PREFIX}/${ws}/spans/${sp.data.id}`, { base: srv.base });
	assert.equal(own.status, 200, own.text);
	assert.notEqual(own.json.session_id, 'th-parcel', 'the span names a session of its own');
	assert.equal((await request('GET', `${WS_PREFIX}/${ws}/sessions/${encodeURIComponent(own.json.session_id)}`, { base: srv.base })).status, 404);
	const page = await open(`#/${ws}/traces/${t.data.id}?span=${sp.data.id}`, '.wf-row');
	const link = page.locator('.span-panel table.kv tr:has(th:text-is("Session")) a');
	await link.waitFor();
	assert.equal(await link.textContent(), 'th-parcel');
	assert.equal(await page.textContent('.span-panel table.kv tr:has(th:text-is("Span\'s own session")) td'), own.json.session_id);
	await link.click();
	// The session's page is drawn after its request answers: wait for its address and its turns,
	// not for the first .turn (issue 54: read at once, a loaded machine found none yet).
	await eventually(() => page.evaluate((w) => decodeURIComponent(location.hash).startsWith(`#/${w}/sessions/th-parcel`), ws), true, 'the session page');
	await eventually(() => page.$$eval('.turn .turn-in', (els) => els.map((e) => e.textContent)), ['Where is my parcel?'], 'the session\'s turns');
	assert.equal(await page.locator('.error-box, .error').count(), 0);
	clean(page);
	await page.close();
});

// The link the opik SDK prints on its first trace ("Started logging traces to the ... project
// at <base>/api/v1/session/redirect/projects/?trace_id=...&path=...") opens the trace in the
// viewer (issue 54: it was a 404), found among the workspaces the browser has opened.
test('the link the opik SDK prints opens its trace in the viewer', async () => {
	const req = createRequire(path.join(CLIENTS, 'package.json'));
	const { Opik } = await import(req.resolve('opik'));
	const ws = 'ui-opik-link';
	const printed = [];
	const write = process.stdout.write;
	process.stdout.write = function (chunk, ...rest) {
		printed.push(String(chunk));
		return write.call(this, chunk, ...rest);
	};
	let t;
	try {
		const c = new Opik({ apiUrl: `${srv.base}/api`, projectName: 'ui-linked', workspaceName: ws });
		t = c.trace({ name: 'linked-turn', input: { q: 'Where does the link go?' } });
		t.end();
		await c.flush();
	} finally {
		process.stdout.write = write;
	}
	// eslint-disable-next-line no-control-regex
	const line = printed.join('').replace(/\x1b\[[0-9;]*m/g, '').split('\n').find((l) => l.includes('Started logging traces'));
	assert.ok(line, `the SDK printed its link: ${printed.join('')}`);
	// As the terminal-link package prints it: a hyperlink (ESC ] 8 ;; URL BEL text ESC ] 8 ;; BEL).
	const url = /(http[^\s\x07\x1b]+session\/redirect[^\s\x07\x1b]+)/.exec(line)[1];
	assert.match(url, new RegExp(`^${srv.base}/api/v1/session/redirect/projects/\\?trace_id=${t.data.id}&path=`));
	const r = await request('GET', url.slice(srv.base.length), { base: srv.base });
	assert.equal(r.status, 302);
	// The link opens the trace, whose workspace the browser finds (with authentication off,
	// among every workspace of the server).
	const page = await browser.newPage();
	await page.goto(url);
	await page.waitForSelector('.wf-row');
	assert.ok(new URL(page.url()).hash.startsWith(`#/${ws}/traces/${t.data.id}`), page.url());
	assert.equal(await page.textContent('.trace-head h1, .trace-head .page-title'), 'linked-turn');
	// A trace no workspace has is said so.
	await page.goto(url.replace(t.data.id, 'no-such-trace'));
	await page.waitForSelector('text=Trace not found');
	assert.match(await page.textContent('main'), /Trace no-such-trace is in none of the workspaces/);
	clean(page, [{ status: 404, url: /\/traces\// }]);
	await page.close();
});

test('a trace shows the scores and comments Opik gave it, and not its siblings\'; its session its thread\'s', async () => {
	// Written with the opik SDK (t/clients): two traces of one thread, the first scored and
	// commented as a trace, the thread scored and commented; and a person's score through NeMo
	// on the first trace's root span, which Opik shows on the trace too (shown once, on the span).
	const req = createRequire(path.join(CLIENTS, 'package.json'));
	const { Opik } = await import(req.resolve('opik'));
	const ws = 'ui-opik';
	const c = new Opik({ apiUrl: srv.base, projectName: 'ui-opik-chat', workspaceName: ws });
	const t1 = c.trace({ name: 'first-turn', input: { q: 'Is the tent waterproof?' }, output: { a: 'Yes, to 3000 mm.' }, threadId: 'th-ui' });
	t1.span({ name: 'answer', type: 'llm' }).end();
	t1.end();
	const t2 = c.trace({ name: 'second-turn', input: { q: 'And the floor?' }, output: { a: 'The floor too.' }, threadId: 'th-ui' });
	t2.end();
	await c.flush();
	c.logTracesFeedbackScores([{ id: t1.data.id, name: 'overall', value: 0.9, reason: 'Precise and short.' }]);
	await c.flush();
	await c.api.traces.addTraceComment(t1.data.id, { body: { text: 'Cite the spec sheet next time.' } });
	await c.api.traces.scoreBatchOfThreads({ scores: [{ threadId: 'th-ui', projectName: 'ui-opik-chat', name: 'resolved', value: 1, source: 'sdk' }] });
	const thread = await c.api.traces.getTraceThread({ projectName: 'ui-opik-chat', threadId: 'th-ui' });
	await c.api.traces.addThreadComment(thread.threadModelId, { body: { text: 'The whole chat went well.' } });
	const label = await request('POST', `${WS_PREFIX}/${ws}/annotations`, { base: srv.base,
		body: { kind: 'label', value_type: 'numeric', name: 'clarity', value: 0.4, session_id: 'th-ui', span_id: t1.data.id } });
	assert.equal(label.status, 201, label.text);

	// Each item of the list under a trace's or session's header: [what, what it is on].
	const items = async (page, box) => {
		await page.waitForSelector(`${box} details`);
		await page.click(`${box} summary`);
		return (await page.$$eval(`${box} .judge-item`, (els) => els.map((e) => [
			e.querySelector('.judge-line > :first-child').textContent.replace(/\s+/g, ' ').trim(),
			e.querySelector('.judge-meta-line > .tag, .judge-meta-line > .judge-on')?.textContent || '']))).sort();
	};
	const page = await open(`#/${ws}/traces/${t1.data.id}`, '.wf-row');
	assert.deepEqual(await items(page, '.trace-judgements'), [
		['Cite the spec sheet next time.', 'trace'],
		['The whole chat went well.', 'session'],
		['label clarity: 0.4', 'on first-turn'],
		['score overall: 0.9Precise and short.', 'trace'],
		['score resolved: 1', 'session'],
	]);
	assert.match(await page.textContent('.trace-judgements summary'), /3 scores, 2 notes/);
	await shot(page, 'trace-opik-judgements');
	const other = await open(`#/${ws}/traces/${t2.data.id}`, '.wf-row');
	assert.deepEqual(await items(other, '.trace-judgements'), [
		['The whole chat went well.', 'session'],
		['score resolved: 1', 'session'],
	]);
	const session = await open(`#/${ws}/sessions/th-ui`, '.turn');
	assert.deepEqual(await items(session, '.session-judgements'), [
		['Cite the spec sheet next time.', 'trace'],
		['The whole chat went well.', 'session'],
		['label clarity: 0.4', `on span ${t1.data.id.slice(0, 8)}…${t1.data.id.slice(-4)}`],
		['score resolved: 1', 'session'],
	]);
	// The turns and the list's previews: what the SDK wrapped ({q: ...}, {a: ...}) as its text.
	await session.waitForFunction(() => document.querySelectorAll('.turn-out').length === 2);
	assert.deepEqual(await session.$$eval('.turn', (ts) => ts.map((t) => [t.querySelector('.turn-in').textContent, t.querySelector('.turn-out .msg-text').textContent])), [
		['Is the tent waterproof?', 'Yes, to 3000 mm.'], ['And the floor?', 'The floor too.']]);
	await session.goto(`${srv.base}/ui/#/${ws}/traces?sort=asc`);
	await session.waitForFunction(() => document.querySelectorAll('.traces-table .io-line').length === 4);
	assert.deepEqual(await session.$$eval('.traces-table .io-line', (els) => els.map((e) => e.textContent)), [
		'→input: Is the tent waterproof?', '←output: Yes, to 3000 mm.', '→input: And the floor?', '←output: The floor too.']);
	// A server without Opik's API (the NeMo service): NeMo's alone, and it is not asked again
	// for an hour.
	const nemo = await browser.newPage();
	const asked = [];
	await nemo.route(/\/api\/v1\/private\//, (route) => {
		asked.push(route.request().url());
		return route.fulfill({ status: 404, json: { detail: 'Not Found' } });
	});
	await nemo.goto(`${srv.base}/ui/#/${ws}/traces/${t1.data.id}`);
	assert.deepEqual(await items(nemo, '.trace-judgements'), [
		['Cite the spec sheet next time.', 'session'],
		['The whole chat went well.', 'session'],
		['label clarity: 0.4', 'on first-turn'],
	]);
	assert.equal(asked.length, 1);
	await nemo.reload();
	await items(nemo, '.trace-judgements');
	assert.equal(asked.length, 1, 'asked once');
	await nemo.evaluate(() => localStorage.removeItem('spandex.opik'));
	clean(nemo, [{ status: 404, url: /\/api\/v1\/private\/traces\// }]);
	await nemo.close();
	for (const p of [page, other, session]) {
		clean(p);
		await p.close();
	}
});
