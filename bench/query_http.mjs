// query_http.mjs: end-to-end HTTP latency of the issue 3 query set, through nginx and the real
// programs (started by t/harness.mjs over an existing data directory), one request at a time.
//
//   node bench/query_http.mjs DATA_DIR [WORKSPACE] [REQUESTS]
//
// DATA_DIR is a store made by bench/query_bench (or bench/gen); WORKSPACE defaults to bench-0,
// REQUESTS (per query, after 5 warm-up requests) to 200. Prints a Markdown table of p50/p99 in
// ms. The client is node's http module on one keep-alive connection, so the figures include
// nginx, FastCGI and the client's own parsing. Loopback only; every loop is bounded.
// After the NeMo queries come the Scale GP search (issue 12: no filter, a trace id,
// statuses+types, a search_texts term, and the 10th page of a cursor walk against the first),
// free text in the three APIs (with the text index when `spandex index` has run on DATA_DIR)
// and Opik's (issue 11: GET spans page 1 with a filter, and a search stream of 1000 spans).
//
// With --sqlite (issue 35), only the rows that have a SQLite twin in bench/query_bench are
// timed, each request alternated with the HTTP floor (GET /healthz) and with SQLite running
// the same query in-process (`bench/query_bench 0 DATA_DIR 1 serve`, on DATA_DIR/bench.sqlite,
// which query_bench made with the store): the same trace, session, span and window on both
// sides. The table gives spandex's time over HTTP minus the floor (the median of the
// per-request differences) against SQLite's: the fresh-data comparison when DATA_DIR was
// made by `bench/query_bench SPANS DATA_DIR 1 load` and no `spandex index` ran. Any answer
// but 200 fails the run. QH_ONLY=A,B (with --sqlite) times only the rows whose query_bench name
// holds A or B (as query_bench's QB_ONLY).
import http from 'node:http';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import path from 'node:path';
import { startServer, BUILDDIR } from '../t/harness.mjs';

const argv = process.argv.slice(2).filter((a) => a !== '--sqlite');
const withSqlite = argv.length !== process.argv.length - 2;
const [dataDir, ws = 'bench-0', nArg = '200'] = argv;
if (!dataDir) {
	console.error('usage: node bench/query_http.mjs DATA_DIR [WORKSPACE] [REQUESTS] [--sqlite]');
	process.exit(2);
}
const N = Number(nArg);
// --sqlite: the time one row may take over its requests before fewer are sent (QH_BUDGET_MS)
const BUDGET_MS = Number(process.env.QH_BUDGET_MS || 30000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
// --sqlite: QH_ONLY=A,B times only the rows whose query_bench name holds A or B
const only = process.env.QH_ONLY ? process.env.QH_ONLY.split(',') : null;

function call(base, method, path, body, headers = {}) {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		const payload = body === undefined ? undefined : JSON.stringify(body);
		const h = payload === undefined ? headers : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
		const req = http.request(base + path, { method, agent, headers: h }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const ms = Number(process.hrtime.bigint() - t0) / 1e6;
				resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms });
			});
		});
		req.on('error', reject);
		req.end(payload);
	});
}
const get = (base, path, headers) => call(base, 'GET', path, undefined, headers);

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// SQLite's side: a query_bench child answering one query a line (its in-process ms).
function sqliteServer() {
	const child = spawn(path.join(BUILDDIR, 'bench', 'query_bench'), ['0', dataDir, '1', 'serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
	const lines = readline.createInterface({ input: child.stdout });
	const waiting = [];
	lines.on('line', (l) => waiting.shift()?.(l));
	const next = () => new Promise((resolve) => waiting.push(resolve));
	return {
		ids: next().then((l) => { const [, trace, session, span, lo, hi] = l.split(' '); return { trace, session, span, lo: Number(lo), hi: Number(hi) }; }),
		async time(name) {
			const r = next();
			child.stdin.write(`${name}\n`);
			const ms = Number(await r);
			if (!(ms >= 0)) throw new Error(`query_bench serve does not know "${name}"`);
			return ms;
		},
		close() { child.stdin.end(); },
	};
}

// The fresh-data table (--sqlite): spandex over HTTP minus the floor against SQLite in-process.
async function vsSqlite(srv) {
	const sq = sqliteServer();
	const ids = await sq.ids;
	const api = `/apis/intake/v2/workspaces/${ws}`;
	const f = (o) => `filter=${encodeURIComponent(JSON.stringify(o))}`;
	const rows = [
		['list spans page 1', 'spans p1', `${api}/spans?page_size=10`],
		['list spans, one trace\'s spans', 'spans trace_id', `${api}/spans?page_size=10&${f({ trace_id: ids.trace })}`],
		['list spans, model+status', 'spans model+status', `${api}/spans?page_size=10&${f({ model: 'gpt-4o', status: 'error' })}`],
		['groups by trace_id', 'groups trace_id', `${api}/spans/groups?by=trace_id&page_size=10`],
		['groups by trace_id, kind=LLM', 'groups kind=LLM', `${api}/spans/groups?by=trace_id&page_size=10&${f({ kind: 'LLM' })}`],
		['traces page 1, detailed', 'traces p1 detailed', `${api}/traces?page_size=10`],
		['get trace', 'get trace', `${api}/traces/${encodeURIComponent(ids.trace)}`],
		['get session', 'get session', `${api}/sessions/${encodeURIComponent(ids.session)}`],
		['get span', 'get span', `${api}/spans/${encodeURIComponent(ids.span)}`],
		// issue 57's quoted phrase (query_bench's "phrase rare": SQLite's LIKE over the line)
		['a quoted phrase', 'phrase rare', `${api}/spans?page_size=10&search=${encodeURIComponent('"agent calls a tool"')}`],
	];
	const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
	console.log(`| query (\`node bench/query_http.mjs ${dataDir} ${ws} ${N} --sqlite\`) | HTTP p50 ms | floor p50 | spandex = HTTP - floor | SQLite in-process p50 | spandex/SQLite |`);
	console.log('|---|---|---|---|---|---|');
	for (const [name, sqName, p] of rows) {
		if (only && !only.some((o) => sqName.includes(o)))
			continue;
		const t = { http: [], floor: [], diff: [], sql: [] };
		let warm = 0, spent = 0;
		for (let i = 0; i < 5 && spent < BUDGET_MS / 3; i++) {
			const r = await call(srv.base, 'GET', p);
			warm = r.ms + await sq.time(sqName);
			spent += warm;
			if (r.status !== 200 && r.status < 500)
				break;
		}
		// A query slower than the budget over its N requests (a phrase in millions of spans)
		// is timed fewer times, down to once.
		const n = Math.max(1, Math.min(N, Math.floor(BUDGET_MS / Math.max(warm, 0.001))));
		let refused = null;
		for (let i = 0; i < n; i++) {
			const fl = await call(srv.base, 'GET', '/healthz');
			const r = await call(srv.base, 'GET', p);
			if (r.status >= 400 && r.status < 500 && sqName.startsWith('phrase')) {
				refused = `${r.status} ${r.body.replace(/\s+/g, ' ').slice(0, 160)}`;
				break;
			}
			if (r.status !== 200 || fl.status !== 200)
				throw new Error(`${name}: ${r.status} ${r.body.slice(0, 200)}`);
			t.http.push(r.ms);
			t.floor.push(fl.ms);
			t.diff.push(r.ms - fl.ms);
			t.sql.push(await sq.time(sqName));
		}
		if (refused) { // the search's budget (docs/limits.md): a figure of its own
			for (let i = 0; i < 3; i++)
				t.sql.push(await sq.time(sqName));
			console.log(`| ${name} | refused: ${refused} | | | ${med(t.sql).toFixed(3)} | |`);
			continue;
		}
		const d = Math.max(med(t.diff), 0.001);
		console.log(`| ${name} | ${med(t.http).toFixed(3)} | ${med(t.floor).toFixed(3)} | ${d.toFixed(3)} | ${med(t.sql).toFixed(3)} | ${(d / med(t.sql)).toFixed(2)} |`);
	}
	sq.close();
}

// The HTTP table of every query (without --sqlite).
async function httpTable(srv) {
	const api = `/apis/intake/v2/workspaces/${ws}`;
	// A trace and a session of the workspace, and its time range, from its newest spans.
	const first = JSON.parse((await get(srv.base, `${api}/spans?page_size=1`)).body).data[0];
	const last = JSON.parse((await get(srv.base, `${api}/spans?page_size=1&sort=started_at`)).body).data[0];
	if (!first)
		throw new Error(`workspace ${ws} has no spans in ${dataDir}`);
	const mid = new Date((Date.parse(first.started_at) + Date.parse(last.started_at)) / 2);
	const hi = new Date(mid.getTime() + 3600e3).toISOString();
	const lo = mid.toISOString();
	const f = (o) => `filter=${encodeURIComponent(JSON.stringify(o))}`;
	const queries = [
		// The floor: what any answer costs through nginx and FastCGI on this client.
		['HTTP floor: GET /healthz', '/healthz'],
		['list spans page 1', `${api}/spans`],
		['list spans, trace_id', `${api}/spans?${f({ trace_id: first.trace_id })}`],
		['list spans, model+status', `${api}/spans?${f({ model: 'gpt-4o', status: 'error' })}`],
		['list spans, 1 h window', `${api}/spans?${f({ started_at: { $gte: lo, $lte: hi } })}`],
		['groups by trace_id', `${api}/spans/groups?by=trace_id`],
		['groups by trace_id, kind=LLM', `${api}/spans/groups?by=trace_id&${f({ kind: 'LLM' })}`],
		['traces page 1, summary', `${api}/traces?mode=summary`],
		['traces page 1, detailed', `${api}/traces`],
		['traces page 100, summary', `${api}/traces?mode=summary&page=100`],
		['traces page 100, detailed', `${api}/traces?page=100`],
		['get trace', `${api}/traces/${encodeURIComponent(first.trace_id)}`],
		['get session', `${api}/sessions/${encodeURIComponent(first.session_id)}`],
	];
	const sgpH = { 'x-selected-account-id': ws };
	const search = (q, body) => ['POST', `/v5/spans/search?${q}`, body, sgpH];
	// The cursor of page 10 of an SGP walk: the id of the last span of page 9.
	let cursor = null;
	for (let i = 0; i < 9; i++) {
		const r = await call(srv.base, ...search(`limit=100${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ''}`, {}));
		cursor = JSON.parse(r.body).items.at(-1).id;
	}
	const word = (first.name || 'agent').split(/\W+/)[0] || 'agent';
	const opikH = { 'Comet-Workspace': ws };
	const projectName = first.project || 'Default Project';
	const opikF = encodeURIComponent(JSON.stringify([{ field: 'type', operator: '=', value: 'llm' }]));
	const all = [
		...queries.map(([name, path]) => [name, 'GET', path]),
		['SGP search, no filter', ...search('limit=100', {})],
		['SGP search, a trace id', ...search('limit=100', { trace_ids: [first.trace_id] })],
		['SGP search, statuses+types', ...search('limit=100', { statuses: ['ERROR'], types: ['COMPLETION'] })],
		[`SGP search, search_texts "${word}"`, ...search('limit=100', { search_texts: [word] })],
		// bench/gen plants zanzibar in 1% of spans and lisbon in 30% (the text index's rows)
		['NeMo search, a word in 1% of spans', 'GET', `${api}/spans?search=zanzibar`],
		['SGP search, search_texts a word in 30%', ...search('limit=100', { search_texts: ['Lisbon'] })],
		['Opik search stream, search a word in 1%', 'POST', '/v1/private/spans/search', { project_name: projectName, search: 'zanzibar', limit: 1000 }, opikH],
		['SGP search, page 10 of a cursor walk', ...search(`limit=100&starting_after=${encodeURIComponent(cursor)}`, {})],
		['Opik GET spans page 1, type=llm', 'GET', `/v1/private/spans?project_name=${encodeURIComponent(projectName)}&filters=${opikF}`, undefined, opikH],
		['Opik search stream, 1000 spans', 'POST', '/v1/private/spans/search', { project_name: projectName, limit: 1000 }, opikH],
	];
	console.log(`| query (\`node bench/query_http.mjs ${dataDir} ${ws} ${N}\`) | p50 ms | p99 ms |`);
	console.log('|---|---|---|');
	for (const [name, ...req] of all) {
		for (let i = 0; i < 5; i++)
			await call(srv.base, ...req);
		const ms = [];
		for (let i = 0; i < N; i++) {
			const r = await call(srv.base, ...req);
			if (r.status !== 200)
				throw new Error(`${name}: ${r.status} ${r.body.slice(0, 200)}`);
			ms.push(r.ms);
		}
		ms.sort((a, b) => a - b);
		console.log(`| ${name} | ${pct(ms, 50).toFixed(2)} | ${pct(ms, 99).toFixed(2)} |`);
	}
}

const srv = await startServer({ dataDir, workers: 2 });
try {
	// --sqlite returns here too, so that the server is stopped (nginx and the programs are
	// not left running)
	if (withSqlite)
		await vsSqlite(srv);
	else
		await httpTable(srv);
} finally {
	agent.destroy();
	await srv.stop();
}
