// The trace viewer at its edges, in Debian's chromium against nginx and the real programs
// (t/harness.mjs), each test on data of its own: a trace of 3,001 spans (only the rows on
// screen are in the page; keys, folds, clicks and links still reach every span); a trace whose
// spans count tokens in two ways; failed spans whose bars end late (where their durations go).
// a session turn with a 300-character name and an error holding a URL; a long exception type
// and tool name in the span panel; the chat messages of
// the GenAI conventions and the AI SDK, sent as OTLP, and of an ATIF trajectory; a session
// of a trace sent without one; a trace judged from
// its span panel; the formatters of ui/js/dom.js at the edges of their units. Kept apart
// from viewer.test.mjs, which tours the views on the fixture of t/ui/fixture.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ingestSpans, request, WS_PREFIX, SRCDIR } from '../harness.mjs';
import { launch, unexpected, eventually } from './browser.mjs';

const WS = 'ui-edges';
const S = 1000;
const T0 = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() - 1, 9);
const iso = (ms) => new Date(T0 + ms).toISOString();

// A trace of 1 + 100 + 2,900 spans: a root, 100 steps under it, 29 calls under each step.
const BIG_GROUPS = 100;
const BIG_KIDS = 29;
const BIG_TOTAL = 1 + BIG_GROUPS * (1 + BIG_KIDS);
function bigTrace() {
	const trace = 'tr-big';
	const out = [{ span_id: 'big-root', trace_id: trace, name: 'big-agent', kind: 'AGENT', status: 'success', started_at: iso(0), ended_at: iso(600 * S) }];
	for (let g = 0; g < BIG_GROUPS; g++) {
		const at = g * 5 * S;
		out.push({ span_id: `big-g${g}`, parent_span_id: 'big-root', trace_id: trace, name: `step ${g}`, kind: 'CHAIN', status: 'success', started_at: iso(at), ended_at: iso(at + 4 * S) });
		for (let k = 0; k < BIG_KIDS; k++) {
			out.push({ span_id: `big-g${g}-${k}`, parent_span_id: `big-g${g}`, trace_id: trace, name: `call ${g}.${k}`, kind: 'LLM', status: 'success',
				started_at: iso(at + k * 100 + 10), ended_at: iso(at + k * 100 + 90),
				attributes: { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 100 + k, 'gen_ai.usage.output_tokens': 10, 'llm.cost.total': 0.000123 } });
		}
	}
	return out;
}

// A trace of an LLM call that sent input and output tokens and one that sent a total too: the
// rollup's total_tokens (15) counts only the second, its input and output (1,010, 505) both.
function mixedTrace() {
	const trace = 'tr-mixed';
	return [
		{ span_id: 'mixed-root', trace_id: trace, name: 'mixed-tokens', kind: 'AGENT', status: 'success', started_at: iso(700 * S), ended_at: iso(710 * S) },
		{ span_id: 'mixed-a', parent_span_id: 'mixed-root', trace_id: trace, name: 'llm-a', kind: 'LLM', status: 'success', started_at: iso(701 * S), ended_at: iso(705 * S),
			attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500 } },
		{ span_id: 'mixed-b', parent_span_id: 'mixed-root', trace_id: trace, name: 'llm-b', kind: 'LLM', status: 'success', started_at: iso(706 * S), ended_at: iso(709 * S),
			attributes: { 'gen_ai.request.model': 'gpt-4o', 'llm.token_count.prompt': 10, 'llm.token_count.completion': 5, 'llm.token_count.total': 15 } },
	];
}

// Failed spans whose bars end past 78% of the axis: one from its start (the duration goes in
// the bar), one short (before the bar), and a successful long one (in the bar).
function lateTrace() {
	const trace = 'tr-late';
	const sp = (id, name, from, to, status = 'error') => ({ span_id: id, parent_span_id: 'late-root', trace_id: trace, name, kind: 'TOOL', status,
		started_at: iso(800 * S + from), ended_at: iso(800 * S + to), ...(status === 'error' ? { attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'no answer' } } : {}) });
	return [
		{ span_id: 'late-root', trace_id: trace, name: 'late', kind: 'AGENT', status: 'error', started_at: iso(800 * S), ended_at: iso(810 * S) },
		sp('late-long', 'fails-late-from-start', 0, 9 * S),
		sp('late-short', 'fails-late-short', 8.5 * S, 9.5 * S),
		sp('late-ok', 'long-ok', 1 * S, 9 * S, 'success'),
	];
}

// A session of one turn: its name 300 characters without a space, its error a long URL.
const LONG_NAME = `summarise-${'x'.repeat(290)}`;
function wrapSession() {
	return [{ span_id: 'wrap-root', trace_id: 'tr-wrap', session_id: 'sess-wrap', name: LONG_NAME, kind: 'AGENT', status: 'error',
		started_at: iso(900 * S), ended_at: iso(902 * S), input: [{ role: 'user', content: 'hello' }],
		attributes: { 'exception.type': 'RateLimitError', 'exception.message': 'Error code: 429 - rate limited; see https://platform.example.com/docs/guides/rate-limits?context=a-very-long-query-string-that-does-not-break&utm_source=error-message-without-any-spaces' } }];
}

// Chat messages of the instrumentation conventions, as OTLP/JSON to /v1/traces: a GenAI call
// (gen_ai.input.messages and gen_ai.output.messages of `parts`: text, an image, a tool call,
// its result, and a result as pydantic-ai sends one, the user's, with `result`), an AI SDK model
// call (ai.prompt.messages of tool-call and tool-result parts, and ai.response.toolCalls), an
// AI SDK whole call (ai.prompt: a system and a prompt) and Logfire's OpenAI call
// (request_data, and response_data: a message and the usage).
const OTLP_TRACE = '0000000000000000000000000000c0de';
function otlpConventions() {
	const attrs = (o) => Object.entries(o).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: v } : { stringValue: typeof v === 'string' ? v : JSON.stringify(v) } }));
	const at = (ms) => String((T0 + 1000 * S + ms) * 1e6);
	const sp = (spanId, parentSpanId, name, a) => ({ traceId: OTLP_TRACE, spanId, ...(parentSpanId ? { parentSpanId } : {}), name, kind: 3,
		startTimeUnixNano: at(0), endTimeUnixNano: at(900), attributes: attrs(a), status: {} });
	const paris = { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }, { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' }] };
	const call = { type: 'tool_call', id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } };
	return { resourceSpans: [{ resource: { attributes: attrs({ 'service.name': 'ui-edges' }) }, scopeSpans: [{ scope: { name: 'ui-edges' }, spans: [
		sp('00000000000c0de1', null, 'invoke_agent weather', { 'gen_ai.operation.name': 'invoke_agent' }),
		sp('00000000000c0de2', '00000000000c0de1', 'chat gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
			'gen_ai.input.messages': [paris, { role: 'assistant', parts: [call] }, { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_w1', response: { temp_c: 21 } }] },
				{ role: 'user', parts: [{ type: 'tool_call_response', id: 'call_w2', name: 'get_time', result: '09:00' }] }],
			'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'It is 21 degrees in Paris.' }], finish_reason: 'stop' }] }),
		sp('00000000000c0de3', '00000000000c0de1', 'ai.generateText.doGenerate', { 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'gpt-4o-mini',
			'ai.prompt.messages': [{ role: 'user', content: [{ type: 'text', text: 'And in Rome?' }] },
				{ role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_r1', toolName: 'get_weather', input: { city: 'Rome' } }] },
				{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_r1', toolName: 'get_weather', output: { type: 'json', value: { temp_c: 25 } } }] }],
			'ai.response.toolCalls': [{ toolCallType: 'function', toolCallId: 'call_r2', toolName: 'get_forecast', input: '{"city":"Rome"}' }] }),
		sp('00000000000c0de5', '00000000000c0de1', 'Chat Completion with gpt-4o-mini', { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
			request_data: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather in Oslo?' }] },
			response_data: { message: { role: 'assistant', content: 'Snowy in Oslo.' }, usage: { prompt_tokens: 9, completion_tokens: 4 } } }),
		sp('00000000000c0de4', '00000000000c0de1', 'ai.generateText', { 'ai.operationId': 'ai.generateText', 'ai.model.id': 'gpt-4o-mini',
			'ai.prompt': { system: 'Answer in one word.', prompt: 'Sunny or rainy?' }, 'ai.response.text': 'Sunny.' }),
	] }] }] };
}

// A failed call with a Java exception's long type and a long tool name (an MCP tool's).
const LONG_TYPE = 'org.springframework.web.client.HttpServerErrorException$InternalServerError';
const LONG_TOOL = 'mcp__github__create_pull_request_review_comment_reply_with_suggestion';
function longWords() {
	return [{ span_id: 'long-call', trace_id: 'tr-long', name: 'long-words', kind: 'LLM', status: 'error', started_at: iso(950 * S), ended_at: iso(951 * S),
		input: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: LONG_TOOL, arguments: '{}' } }] }],
		attributes: { 'exception.type': LONG_TYPE, 'exception.message': '500 Internal Server Error' } }];
}

let srv;
let browser;
before(async () => {
	srv = await startServer();
	const spans = [...bigTrace(), ...mixedTrace(), ...lateTrace(), ...wrapSession(), ...longWords()];
	for (let i = 0; i < spans.length; i += 1000) {
		const r = await ingestSpans(WS, spans.slice(i, i + 1000), { source: 'ui-edges', base: srv.base });
		if (r.status !== 201) throw new Error(`ingest: ${r.status} ${r.text}`);
	}
	const o = await request('POST', '/v1/traces', { body: otlpConventions(), headers: { 'x-workspace': WS }, base: srv.base });
	if (o.status !== 200) throw new Error(`otlp: ${o.status} ${o.text}`);
	const a = await request('POST', `${WS_PREFIX}/${WS}/ingest/atif`, { body: fs.readFileSync(path.join(SRCDIR, 't', 'fixtures', 'atif', 'full_v16.json'), 'utf8'), base: srv.base });
	if (a.status !== 201) throw new Error(`atif: ${a.status} ${a.text}`);
	browser = await launch();
});
after(async () => {
	await browser?.close();
	await srv?.stop();
});

async function open(hash, waitFor, viewport) {
	const page = await browser.newPage();
	if (viewport) await page.setViewportSize(viewport);
	await page.goto(`${srv.base}/ui/${hash}`);
	if (waitFor) await page.waitForSelector(waitFor);
	return page;
}

function clean(page) {
	assert.deepEqual(unexpected(page), [], 'no console errors');
}

// ---- a trace of 3,001 spans ----

// The selected row: its span, whether it has the focus, and whether it is on screen.
const current = (page) => page.evaluate(() => {
	const r = document.querySelector('.wf-row.selected');
	if (!r) return null;
	const b = r.getBoundingClientRect();
	return { id: r.dataset.spanId, focused: document.activeElement === r, onScreen: b.top >= 0 && b.bottom <= innerHeight,
		pos: r.getAttribute('aria-posinset'), size: r.getAttribute('aria-setsize'), level: r.getAttribute('aria-level') };
});
const rowCount = (page) => page.locator('.wf-rows [role=treeitem]').count();
// Every point of the tree on screen is a row: the window of rows drawn covers it.
const covered = (page) => page.evaluate(() => {
	const tree = document.querySelector('.wf-rows').getBoundingClientRect();
	const x = tree.left + 40;
	for (let y = Math.max(tree.top, 80) + 5; y < Math.min(tree.bottom, innerHeight) - 5; y += 15) {
		if (!document.elementFromPoint(x, y)?.closest('.wf-row')) return `nothing at y=${y}`;
	}
	return true;
});

test('a trace of 3,001 spans puts only the rows on screen in the page; keys, folds and links reach every span', async (t0) => {
	const t = Date.now();
	const page = await open(`#/${WS}/traces/tr-big`, '.wf-row.selected');
	const opened = Date.now() - t;
	assert.equal(await page.textContent('#wf-title'), `Spans (${BIG_TOTAL.toLocaleString('en-US')})`);
	// The tree is as tall as all its rows; only a few screenfuls of them are drawn.
	assert.equal(await page.$eval('.wf-rows', (e) => e.getBoundingClientRect().height), BIG_TOTAL * 30);
	const drawn = await rowCount(page);
	assert.ok(drawn > 20 && drawn < 200, `${drawn} rows in the page`);
	await eventually(() => current(page), { id: 'big-root', focused: true, onScreen: true, pos: '1', size: '1', level: '1' });
	// End: the last span, focused and scrolled to; Home: back.
	let k = Date.now();
	await page.keyboard.press('End');
	await eventually(() => current(page), { id: `big-g${BIG_GROUPS - 1}-${BIG_KIDS - 1}`, focused: true, onScreen: true, pos: String(BIG_KIDS), size: String(BIG_KIDS), level: '3' }, 'End');
	const end = Date.now() - k;
	await eventually(() => covered(page), true, 'rows cover the screen after End');
	assert.ok(await rowCount(page) < 200);
	await page.keyboard.press('Home');
	await eventually(async () => (await current(page))?.id, 'big-root', 'Home');
	// Down moves one row at a time through the drawn window and past it.
	k = Date.now();
	for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowDown');
	const down = (Date.now() - k) / 40;
	await eventually(() => current(page), { id: 'big-g1-8', focused: true, onScreen: true, pos: '9', size: String(BIG_KIDS), level: '3' }, '40 times down');
	await page.waitForFunction(() => location.hash.includes('span=big-g1-8'));
	// Scrolling the page draws the rows it brings on screen, and keeps the selected one.
	await page.evaluate(() => window.scrollTo(0, document.querySelector('.wf-rows').offsetTop + 1500 * 30));
	await page.waitForFunction(() => document.querySelector('.wf-row[data-span-id="big-g50-19"]'));
	await eventually(() => covered(page), true, 'rows cover the screen after a scroll');
	assert.equal(await page.locator('.wf-row[data-span-id="big-g1-8"].selected').count(), 1, 'the selected row stays in the page');
	// A click on a row drawn there selects it and shows its span.
	k = Date.now();
	await page.click('.wf-row[data-span-id="big-g50-19"]');
	await page.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'call 50.19');
	const click = Date.now() - k;
	await eventually(async () => (await current(page))?.id, 'big-g50-19', 'the clicked row');
	// Fold the root: one row; unfold: the rows back, the root still selected.
	await page.keyboard.press('Home');
	await eventually(async () => (await current(page))?.id, 'big-root', 'Home');
	k = Date.now();
	await page.keyboard.press('ArrowLeft');
	await eventually(() => rowCount(page), 1, 'the root folded');
	assert.equal(await page.textContent('.wf-row .wf-folded'), `+${BIG_TOTAL - 1}`);
	await page.keyboard.press('ArrowRight');
	await eventually(() => page.getAttribute('.wf-row[data-span-id="big-root"]', 'aria-expanded'), 'true', 'the root unfolded');
	const fold = Date.now() - k;
	await eventually(async () => { const n = await rowCount(page); return n > 20 && n < 200; }, true, 'a window of rows again');
	await eventually(() => current(page), { id: 'big-root', focused: true, onScreen: true, pos: '1', size: '1', level: '1' }, 'the root unfolded');
	// A folded step says how many spans it hides, and the rows after it move up.
	await page.keyboard.press('ArrowDown');
	await eventually(async () => (await current(page))?.id, 'big-g0', 'down to the first step');
	await page.keyboard.press('ArrowLeft');
	await eventually(() => page.textContent('.wf-row[data-span-id="big-g0"] .wf-folded').catch(() => null), `+${BIG_KIDS}`, 'the step folded');
	await page.keyboard.press('ArrowDown');
	await eventually(async () => (await current(page))?.id, 'big-g1', 'down past the folded step');
	assert.equal(await page.$eval('.wf-rows', (e) => e.getBoundingClientRect().height), (BIG_TOTAL - BIG_KIDS) * 30);
	t0.diagnostic(`3,001 spans: open ${opened} ms, End ${end} ms, ↓ ${down.toFixed(0)} ms, click ${click} ms, fold and unfold the root ${fold} ms`);
	// A link to a span deep down opens on it, on screen and focused, its step unfolded.
	const p2 = await open(`#/${WS}/traces/tr-big?span=big-g70-5`, '.wf-row.selected');
	await eventually(() => current(p2), { id: 'big-g70-5', focused: true, onScreen: true, pos: '6', size: String(BIG_KIDS), level: '3' }, 'a link to a deep span');
	await p2.waitForFunction(() => document.querySelector('#span-title')?.textContent === 'call 70.5');
	await eventually(() => covered(p2), true, 'rows cover the screen at a deep span');
	await p2.keyboard.press('ArrowDown');
	await eventually(async () => (await current(p2))?.id, 'big-g70-6', 'down from the deep span');
	for (const p of [page, p2]) {
		clean(p);
		await p.close();
	}
});

// ---- figures ----

test('a trace\'s header counts its tokens as the traces list does, when its spans count them differently', async () => {
	const api = (await request('GET', `${WS_PREFIX}/${WS}/traces/tr-mixed`, { base: srv.base })).json;
	assert.deepEqual([api.input_tokens, api.output_tokens, api.total_tokens], [1010, 505, 15]);
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	assert.equal((await page.textContent('.traces-table tbody tr:has-text("mixed-tokens") .col-tokens')).trim(), '1.5k');
	await page.goto(`${srv.base}/ui/#/${WS}/traces/tr-mixed`);
	await page.waitForSelector('.wf-row.selected');
	assert.match(await page.textContent('.trace-head dl.facts'), /Tokens\s*1,515/);
	clean(page);
	await page.close();
});

test('the duration of a failed span that ends late stays inside the track, clear of the span names', async () => {
	for (const width of [1360, 390]) {
		const page = await open(`#/${WS}/traces/tr-late`, '.wf-row.selected', { width, height: 860 });
		const boxes = await page.$$eval('.wf-row', (rows) => rows.map((r) => {
			const box = (sel) => {
				const b = r.querySelector(sel).getBoundingClientRect();
				return { left: b.left, right: b.right };
			};
			return { id: r.dataset.spanId, dur: box('.wf-dur'), track: box('.wf-track'), bar: box('.wf-bar'), name: box('.wf-label'), text: r.querySelector('.wf-dur').textContent };
		}));
		assert.equal(boxes.length, 4);
		for (const b of boxes) {
			assert.ok(b.dur.left >= b.track.left - 0.5, `${width}px, ${b.id}: the duration ${b.text} starts at ${b.dur.left}, the track at ${b.track.left}`);
			assert.ok(b.dur.left >= b.name.right - 0.5, `${width}px, ${b.id}: the duration is clear of the name`);
		}
		// In a long bar that ends late, failed or not, the duration is within the bar.
		for (const id of ['late-long', 'late-ok']) {
			const b = boxes.find((x) => x.id === id);
			assert.ok(b.dur.left >= b.bar.left - 0.5 && b.dur.right <= b.bar.right + 0.5, `${width}px, ${id}: the duration is in its bar`);
		}
		clean(page);
		await page.close();
	}
});

test('a session turn\'s long name and error wrap on a narrow screen', async () => {
	const page = await open(`#/${WS}/sessions/sess-wrap`, '.turn-error', { width: 375, height: 700 });
	assert.match(await page.textContent('.turn-error'), /RateLimitError: Error code: 429/);
	assert.equal(await page.textContent('.turn-name'), LONG_NAME);
	const wide = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(wide <= 375, `the page is ${wide}px wide`);
	clean(page);
	await page.close();
});

test('a long exception type and a long tool name wrap inside the span panel', async () => {
	for (const width of [1360, 390]) {
		const page = await open(`#/${WS}/traces/tr-long?span=long-call`, 'section[aria-labelledby=sp-input] .tool-call', { width, height: 860 });
		assert.equal(await page.textContent('#sp-error'), `✕ ${LONG_TYPE}`);
		assert.equal(await page.textContent('.tool-call-head code'), LONG_TOOL);
		for (const sel of ['#sp-error', '.tool-call-head']) {
			const [scroll, client] = await page.$eval(sel, (e) => [e.scrollWidth, e.clientWidth]);
			assert.ok(scroll <= client, `${width}px: ${sel} is ${scroll}px wide in ${client}px`);
		}
		clean(page);
		await page.close();
	}
});

// The formatters as the browser runs them (dom.js is an ES module of the page).
test('durations and compact numbers change unit where the rounded figure reaches the next', async () => {
	const page = await open(`#/${WS}/traces`, '.traces-table tbody tr');
	const got = await page.evaluate(async () => {
		const { fmtDuration, fmtCompact } = await import('/ui/js/dom.js');
		const d = [0.5, 0.9996, 9.996, 99.96, 999.4, 999.7, 1240, 59949, 59999, 60000, 3599400, 3599600, 7800000, 86399000, 8 * 86400e3, 30 * 86400e3 + 5 * 3600e3];
		const c = [999.994, 999.996, 1234, 9999.96, 12345, 999499, 999999, 3400000, 999999999, -999999];
		return [d.map((x) => [x, fmtDuration(x)]), c.map((x) => [x, fmtCompact(x)])];
	});
	assert.deepEqual(Object.fromEntries(got[0]), {
		0.5: '500 µs', 0.9996: '1.00 ms', 9.996: '10.0 ms', 99.96: '100 ms', 999.4: '999 ms', 999.7: '1.00 s', 1240: '1.24 s',
		59949: '59.9 s', 59999: '1 min 00 s', 60000: '1 min 00 s', 3599400: '59 min 59 s', 3599600: '1 h 00 min', 7800000: '2 h 10 min',
		86399000: '1 d 00 h', [8 * 86400e3]: '8 d 00 h', [30 * 86400e3 + 5 * 3600e3]: '30 d 05 h',
	});
	assert.deepEqual(Object.fromEntries(got[1]), {
		999.994: '999.99', 999.996: '1.0k', 1234: '1.2k', 9999.96: '10k', 12345: '12k', 999499: '999k', 999999: '1.0M', 3400000: '3.4M',
		999999999: '1.0B', [-999999]: '-1.0M',
	});
	clean(page);
	await page.close();
});

// ---- messages ----

// The bubbles of a payload section: role, text, and the calls' names and arguments.
const bubbles = (page, side) => page.$$eval(`section[aria-labelledby=sp-${side}] .msg`, (els) => els.map((e) => ({
	role: e.querySelector('.msg-role').textContent,
	text: e.querySelector('.msg-text, pre.json:not(.tool-call pre)')?.textContent.replace(/\s+/g, ' ').trim() ?? '',
	calls: [...e.querySelectorAll('.tool-call')].map((c) => `${c.querySelector('code').textContent} ${c.querySelector('pre').textContent.replace(/\s+/g, '')}`),
})));

test('messages of GenAI parts and of the AI SDK read as chat, their tool calls and results shown', async () => {
	const page = await open(`#/${WS}/traces/${OTLP_TRACE}?span=00000000000c0de2`, 'section[aria-labelledby=sp-output] .msg');
	assert.deepEqual(await bubbles(page, 'input'), [
		{ role: 'user', text: 'Weather in Paris? [image]', calls: [] },
		{ role: 'assistant', text: '', calls: ['get_weather {"city":"Paris"}'] },
		{ role: 'tool · call_w1', text: '{ "temp_c": 21 }', calls: [] },
		{ role: 'tool · call_w2', text: '09:00', calls: [] },
	]);
	assert.deepEqual(await bubbles(page, 'output'), [{ role: 'assistant', text: 'It is 21 degrees in Paris.', calls: [] }]);
	await page.goto(`${srv.base}/ui/#/${WS}/traces/${OTLP_TRACE}?span=00000000000c0de3`);
	await page.reload();
	await page.waitForSelector('section[aria-labelledby=sp-output] .msg');
	assert.deepEqual(await bubbles(page, 'input'), [
		{ role: 'user', text: 'And in Rome?', calls: [] },
		{ role: 'assistant', text: '', calls: ['get_weather {"city":"Rome"}'] },
		{ role: 'tool · call_r1', text: '{ "temp_c": 25 }', calls: [] },
	]);
	assert.deepEqual(await bubbles(page, 'output'), [{ role: 'assistant', text: '', calls: ['get_forecast {"city":"Rome"}'] }]);
	// Logfire's OpenAI call: its response_data, a message beside the usage.
	await page.goto(`${srv.base}/ui/#/${WS}/traces/${OTLP_TRACE}?span=00000000000c0de5`);
	await page.reload();
	await page.waitForSelector('section[aria-labelledby=sp-output] .msg');
	assert.deepEqual(await bubbles(page, 'output'), [{ role: 'assistant', text: 'Snowy in Oslo.', calls: [] }]);
	// The AI SDK's whole call: its ai.prompt, a system and a prompt.
	await page.goto(`${srv.base}/ui/#/${WS}/traces/${OTLP_TRACE}?span=00000000000c0de4`);
	await page.reload();
	await page.waitForSelector('section[aria-labelledby=sp-input] .msg');
	assert.deepEqual(await bubbles(page, 'input'), [
		{ role: 'system', text: 'Answer in one word.', calls: [] },
		{ role: 'user', text: 'Sunny or rainy?', calls: [] },
	]);
	clean(page);
	await page.close();
});

// An ATIF agent step (t/fixtures/atif/full_v16.json, step 3): its output, the step's message,
// reasoning and tool calls, reads as chat; the trajectory's input, a user message of parts, as
// its text.
test('an ATIF agent step\'s message, reasoning and tool calls read as chat; a message of parts as its text', async () => {
	const spans = (await request('GET', `${WS_PREFIX}/${WS}/spans?filter=${encodeURIComponent('{"trace_id":"sess-atif-1"}')}&page_size=100`, { base: srv.base })).json.data;
	const step = spans.find((x) => x.name === 'agent-3');
	assert.ok(step, spans.map((x) => x.name).join());
	const page = await open(`#/${WS}/traces/sess-atif-1?span=${step.span_id}`, 'section[aria-labelledby=sp-output] .msg');
	assert.deepEqual(await bubbles(page, 'output'), [
		{ role: 'reasoning', text: 'think first', calls: [] },
		{ role: 'assistant', text: 'Running tools', calls: ['bash {"cmd":"ls"}', 'bash {"cmd":"false"}', 'read_file {"path":"notes.txt"}', 'bash {"cmd":"make"}', 'edit {}'] },
	]);
	// The trajectory's input, the first user step's message, is a list of parts: its text.
	const root = spans.find((x) => !x.parent_span_id);
	await page.goto(`${srv.base}/ui/#/${WS}/traces/sess-atif-1?span=${root.span_id}`);
	await page.reload();
	await page.waitForSelector('section[aria-labelledby=sp-output] pre.json');
	assert.equal(await page.textContent('section[aria-labelledby=sp-input] .payload'), 'Fix the bug\n[image]');
	await page.goto(`${srv.base}/ui/#/${WS}/traces?session=sess-atif-1`);
	await page.reload();
	await page.waitForSelector('.traces-table tbody tr .io-line');
	assert.equal(await page.textContent('.traces-table tbody tr .io-line'), '→input: Fix the bug [image]');
	clean(page);
	await page.close();
});

// A trace sent without a session is a session of its own (the API makes up its id), which is
// no Opik thread: its page asks Opik for the thread its trace names, none, so no 404.
test('the session of a trace sent without one shows its turn, and asks Opik for no thread it lacks', async () => {
	const t = await request('GET', `${WS_PREFIX}/${WS}/traces/${OTLP_TRACE}`, { base: srv.base });
	assert.match(t.json.session_id, /^session-[0-9a-f]{32}$/);
	const page = await browser.newPage();
	const asked = [];
	page.on('request', (r) => asked.push(`${r.method()} ${new URL(r.url()).pathname}`));
	await page.goto(`${srv.base}/ui/#/${WS}/sessions/${t.json.session_id}`, { waitUntil: 'networkidle' });
	await page.waitForSelector('.turn .turn-talk .msg, .turn .turn-talk p.muted');
	await page.waitForLoadState('networkidle');
	assert.deepEqual(asked.filter((r) => r.includes('threads')), []);
	clean(page);
	assert.ok(asked.includes(`GET /api/v1/private/traces/${OTLP_TRACE}`), asked.join('\n'));
	await page.close();
});

// ---- judging ----

test('a thumbs up and a comment from the span panel show at once in the trace\'s header and on its row; deleting them takes them away', async () => {
	const page = await open(`#/${WS}/traces/tr-mixed?span=mixed-a`, '.judgements .judge-empty');
	const mark = (id) => page.evaluate((sid) => document.querySelector(`.wf-row[data-span-id="${sid}"] .wf-judged`)?.textContent ?? null, id);
	const summary = () => page.evaluate(() => document.querySelector('.trace-judgements summary')?.textContent ?? null);
	assert.equal(await mark('mixed-a'), null);
	assert.equal(await summary(), null);
	await page.click('.judge-actions button[aria-label="Thumbs up"]');
	await page.waitForFunction(() => document.querySelector('.wf-row[data-span-id="mixed-a"] .wf-judged')?.textContent === '1');
	await page.waitForFunction(() => /1 feedback/.test(document.querySelector('.trace-judgements summary')?.textContent));
	assert.match(await page.getAttribute('.wf-row[data-span-id="mixed-a"]', 'aria-label'), /, 1 feedback$/);
	await page.click('.judge-actions button:has-text("Comment")');
	await page.fill('#judge-note-text', 'Counted twice?');
	await page.click('#judge-note-form button[type=submit]');
	await page.waitForFunction(() => document.querySelector('.wf-row[data-span-id="mixed-a"] .wf-judged')?.textContent === '2');
	await page.waitForFunction(() => /1 feedback, 1 note/.test(document.querySelector('.trace-judgements summary')?.textContent));
	await page.click('.trace-judgements summary');
	assert.match(await page.textContent('.trace-judgements .judge-list'), /Counted twice\?/);
	// Deleting them: the list follows (staying open), then the mark goes.
	await page.click('.judgements .judge-item.judge-k-note button.judge-delete');
	await page.waitForFunction(() => document.querySelector('.wf-row[data-span-id="mixed-a"] .wf-judged')?.textContent === '1');
	await page.waitForFunction(() => !/note/.test(document.querySelector('.trace-judgements summary')?.textContent));
	assert.equal(await page.evaluate(() => document.querySelector('.trace-judgements details').open), true);
	await page.click('.judgements .judge-item.judge-k-feedback button.judge-delete');
	await page.waitForFunction(() => !document.querySelector('.wf-row[data-span-id="mixed-a"] .wf-judged'));
	await page.waitForFunction(() => !document.querySelector('.trace-judgements details'));
	// The span judged is still the one selected.
	assert.equal(await page.getAttribute('.wf-row.selected', 'data-span-id'), 'mixed-a');
	clean(page);
	await page.close();
});
