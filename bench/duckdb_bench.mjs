// duckdb_bench.mjs: the query set of bench/query_bench (issue 3's, and the searches of issue 10)
// in DuckDB, in-process, over the same data: the live spans of one workspace of a spandex data
// directory, loaded once with the project's own macros (analytics/spandex.sql) into an
// in-memory table, as an analyst would. Each query is what query_bench asks of SQLite: the page
// and its count (traces detailed: and the rollup of each of its 10 traces), timed together.
//
//   node bench/duckdb_bench.mjs DATA_DIR [WORKSPACE] [ITERATIONS]
//
// DATA_DIR is a store made by bench/query_bench; WORKSPACE defaults to bench-0, ITERATIONS to 20
// (after one warm-up run of each; fewer when ITERATIONS would take over DUCKDB_BUDGET_MS, and
// QB_ONLY picks queries as query_bench's does). Prints the load time and a table of p50/p99 in ms, with the
// same query names as query_bench. The DuckDB client is @duckdb/node-api from t/clients.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [dataDir, ws = 'bench-0', nArg = '20'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/duckdb_bench.mjs DATA_DIR [WORKSPACE] [ITERATIONS]');
	process.exit(2);
}
const N = Math.max(1, Number(nArg));
const clients = process.env.SPANDEX_CLIENTS || path.join(here, '..', 't', 'clients');
const require = createRequire(path.join(clients, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;

await c.run(fs.readFileSync(path.join(here, '..', 'analytics', 'spandex.sql'), 'utf8'));
let t0 = performance.now();
await c.run(`CREATE TABLE spans AS SELECT span_id, trace_id, session_id, parent_span_id, kind, status,
	model, name, CAST(started_at AS TIMESTAMP) AS started_at, CAST(ended_at AS TIMESTAMP) AS ended_at,
	input_tokens, output_tokens, cached_tokens, total_tokens, cost_total_usd, cost_input_usd,
	cost_output_usd, input, output
	FROM spandex_workspace_spans(${lit(dataDir)}, ${lit(ws)})`);
const [{ n }] = await rows('SELECT count(*) AS n FROM spans');
console.log(`loaded ${n} live spans of ${ws} in ${((performance.now() - t0) / 1e3).toFixed(1)} s`);

// The trace, session and span query_bench picks: the root in the middle by start time.
const [pick] = await rows(`SELECT trace_id, session_id, span_id, started_at FROM spans
	WHERE parent_span_id IS NULL ORDER BY started_at LIMIT 1
	OFFSET (SELECT count(*) / 2 FROM spans WHERE parent_span_id IS NULL)`);
const day = String(pick.started_at).slice(0, 10);
const T = lit(pick.trace_id), S = lit(pick.session_id), ID = lit(pick.span_id);
const LO = lit(`${day} 00:00:00`), HI = lit(`${day} 23:59:59.999999`);

const ROLLUP = (t) => `SELECT sum(input_tokens), sum(output_tokens), sum(cached_tokens),
	sum(total_tokens), sum(cost_total_usd), sum(cost_input_usd), sum(cost_output_usd), count(*),
	sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) FROM spans WHERE trace_id = ${t}`;
const roots = (offset) => [`SELECT *, trace_id FROM spans WHERE parent_span_id IS NULL
	ORDER BY started_at DESC, trace_id LIMIT 10 OFFSET ${offset}`,
	'SELECT count(*) FROM spans WHERE parent_span_id IS NULL'];
// Case-blind substring of the name, input or output: RE2's (?i) was the fastest form tried at
// 66k spans (127 ms, against 168 for contains(lower(x)), 199 for lower(x) LIKE, 619 for ILIKE).
const text = (term) => {
	const re = lit(`(?i)${term.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`);
	return ['name', 'CAST(input AS VARCHAR)', 'CAST(output AS VARCHAR)']
		.map((col) => `regexp_matches(${col}, ${re})`).join(' OR ');
};
const page = (where) => [`SELECT * FROM spans WHERE (${where}) ORDER BY started_at DESC LIMIT 10`,
	`SELECT count(*) FROM spans WHERE (${where})`];
const groups = (where) => [`SELECT trace_id, count(*) c FROM spans WHERE ${where} AND trace_id IS NOT NULL
	GROUP BY trace_id ORDER BY c DESC, trace_id LIMIT 10`,
	`SELECT count(DISTINCT trace_id) FROM spans WHERE ${where}`];

const queries = [
	['spans p1', page('true')],
	['spans trace_id', page(`trace_id = ${T}`)],
	['spans model+status', page(`model = 'gpt-4o' AND status = 'error'`)],
	['spans window', page(`started_at BETWEEN ${LO} AND ${HI}`)],
	['groups trace_id', groups('true')],
	['groups kind=LLM', groups(`kind = 'LLM'`)],
	['traces p1 summary', roots(0)],
	['traces p1 detailed', roots(0), true],
	['traces p100 summary', roots(990)],
	['traces p100 detailed', roots(990), true],
	['get trace', [`SELECT * FROM spans WHERE trace_id = ${T} AND parent_span_id IS NULL
		ORDER BY started_at LIMIT 1`, ROLLUP(T)]],
	['get session', [`SELECT min(started_at), max(ended_at), count(*), count(DISTINCT trace_id),
		sum(input_tokens), sum(output_tokens), sum(cached_tokens), sum(total_tokens),
		sum(cost_total_usd), sum(cost_input_usd), sum(cost_output_usd),
		sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) FROM spans WHERE session_id = ${S}`]],
	['get span', [`SELECT * FROM spans WHERE span_id = ${ID}`]],
	['search none', page(text('zqxjv'))],
	['search rare (1%)', page(text('ZANZIBAR'))],
	['search 30%', page(text('Lisbon'))],
	['search common', page(text('WEATHER'))],
	['phrase rare', page(text('Agent calls a tool'))],
	['phrase common', page(text('weather flights'))],
];

async function once(sqls, detailed) {
	let top = null;
	for (const sql of sqls) {
		const r = await rows(sql);
		top ??= r;
	}
	if (detailed) // a detailed traces page: each trace's rollup over all its spans
		for (const r of top)
			await rows(ROLLUP(lit(r.trace_id)));
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log(`| query (\`node bench/duckdb_bench.mjs ${dataDir} ${ws} ${N}\`) | DuckDB p50 ms | p99 ms |`);
console.log('|---|---|---|');
// QB_ONLY as query_bench's: only the queries whose name holds one of its comma-separated parts.
const only = process.env.QB_ONLY?.split(',').filter(Boolean);
for (const [name, sqls, detailed] of queries) {
	if (only && !only.some((o) => name.includes(o)))
		continue;
	t0 = performance.now();
	await once(sqls, detailed);
	// A query slower than DUCKDB_BUDGET_MS (default 20,000) over its N runs runs fewer times.
	const warm = performance.now() - t0;
	const n = Math.max(1, Math.min(N, Math.floor(Number(process.env.DUCKDB_BUDGET_MS || 20000) / warm)));
	const ms = [];
	for (let i = 0; i < n; i++) {
		t0 = performance.now();
		await once(sqls, detailed);
		ms.push(performance.now() - t0);
	}
	ms.sort((a, b) => a - b);
	console.log(`| ${name} | ${pct(ms, 50).toFixed(3)} | ${pct(ms, 99).toFixed(3)} |`);
}
c.closeSync?.();
