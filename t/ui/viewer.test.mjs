// The trace viewer in Debian's chromium, against nginx and the real programs of
// t/harness.mjs with the fixture of t/ui/fixture.mjs ingested through the API: the traces
// table, its filters, sort and paging; one trace's waterfall and span panel, by mouse and by
// keyboard; a session; the overview; API errors; a narrow screen (scores and comments:
// scores.test.mjs). Every page must end with no console error but the HTTP errors a test
// provokes on purpose (browser.mjs). A screenshot of each view goes to SPANDEX_UI_SHOTS
// (t/ui-screenshots of the build tree); docs/ui-{trace,traces,session,overview}.png are copies
// of four of them (docs/viewer.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request, waitFor, SRCDIR, WS_PREFIX } from '../harness.mjs';
import { eventually } from './browser.mjs';
import { fixtureSpans, FIXTURE } from './fixture.mjs';
import { srv, browser, WS, BUSY, SHOTS, open, shot, clean, rowIds } from './viewer_setup.mjs';

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
