// ui_first_screen: how long the trace viewer takes to show its first screen on a large store,
// in Debian's chromium through playwright-core (t/ui/node_modules), over loopback through nginx
// and the real programs. Usage: node bench/ui_first_screen.mjs DATA_DIR WORKSPACE [RUNS]
// (a store made by `bench/gen SPANS DATA_DIR 1 1`, whose workspace is bench-0). Each run is
// a new tab; the first also pays the search probe and a cold page cache of the viewer's files.
// Prints, per view, the median and worst time from navigation to the first useful screen,
// and the slowest API request the view made. "First screen" is the view's User Timing mark
// (spandex:<view>, set when its data is on screen) measured from the start of navigation, so
// it counts the page, its code, the API answer and the rendering, and not Playwright's own
// round trips; "complete" adds what fills in afterwards (the model column, the span panel).
// BENCH_BROWSER_CPUS=1 runs chromium under `taskset -c 1` (through a wrapper script), so run
// the bench itself as `taskset -c 0 node bench/ui_first_screen.mjs ...`: on a 2-CPU machine the
// server gets one CPU and the browser the other, as bench/run keeps its clients apart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../t/harness.mjs';

if (process.env.BENCH_BROWSER_CPUS) {
	const wrapper = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-bench-')), 'chromium');
	const real = process.env.SPANDEX_CHROMIUM || '/usr/bin/chromium';
	fs.writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${process.env.BENCH_BROWSER_CPUS} ${real} "$@"\n`, { mode: 0o755 });
	process.env.SPANDEX_CHROMIUM = wrapper;
}
const { launch } = await import('../t/ui/browser.mjs');

const [dataDir, ws, runsArg] = process.argv.slice(2);
if (!dataDir || !ws) {
	console.error('usage: node bench/ui_first_screen.mjs DATA_DIR WORKSPACE [RUNS]');
	process.exit(2);
}
const runs = Number(runsArg || 10);
const srv = await startServer({ dataDir });
const browser = await launch();

// [view, hash, its mark, selector that must be gone for "complete"]
const trace = (await srv.request('GET', `/apis/intake/v2/workspaces/${ws}/traces?page_size=1`)).json.data[0];
const views = [
	['traces (50 rows)', `#/${ws}/traces`, 'traces', '.traces-table .pending'],
	['one trace', `#/${ws}/traces/${encodeURIComponent(trace.id)}`, 'trace', '.span-rest .loading'],
	['session', `#/${ws}/sessions/${encodeURIComponent(trace.session_id)}`, 'session', '.turn .loading'],
	['overview (7 days)', `#/${ws}/overview`, 'overview', null],
];

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`| view | first screen p50 ms | worst ms | complete p50 ms | requests | slowest request ms |`);
console.log(`|---|---|---|---|---|---|`);
for (const [name, hash, first, pending] of views) {
	const firsts = [];
	const completes = [];
	let requests = 0;
	let slowest = 0;
	let slowestUrl = '';
	for (let i = 0; i < runs; i++) {
		const page = await browser.newPage();
		await page.goto(`${srv.base}/ui/${hash}`);
		const mark = `spandex:${first}`;
		await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 30000 });
		firsts.push(await page.evaluate((m) => performance.getEntriesByName(m)[0].startTime, mark));
		if (pending) await page.waitForFunction((sel) => !document.querySelector(sel), pending, { timeout: 60000, polling: 10 });
		completes.push(await page.evaluate(() => performance.now()));
		// Resource Timing's duration: from the fetch() call to the last byte as the page sees
		// it, so a busy renderer or a queued connection counts too, not only the API's time.
		const api = await page.evaluate(() => performance.getEntriesByType('resource')
			.filter((e) => e.name.includes('/apis/intake/v2/')).map((e) => ({ ms: e.duration, url: e.name })));
		requests = Math.max(requests, api.length);
		for (const e of api) {
			if (e.ms > slowest) [slowest, slowestUrl] = [e.ms, new URL(e.url).pathname.replace(/^.*\/workspaces\/[^/]+/, '') + new URL(e.url).search];
		}
		const bad = page.problems.filter((p) => !/status of 400/.test(p.text) || !/search=/.test(p.url));
		if (bad.length) throw new Error(`${name}: console errors: ${JSON.stringify(bad)}`);
		await page.close();
	}
	console.log(`| ${name} | ${median(firsts).toFixed(0)} | ${Math.max(...firsts).toFixed(0)} | ${median(completes).toFixed(0)} | ${requests} | ${slowest.toFixed(0)} (\`${slowestUrl}\`) |`);
}
await browser.close();
await srv.stop();
