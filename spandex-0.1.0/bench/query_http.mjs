// query_http.mjs: end-to-end HTTP latency of the issue 3 query set, through nginx and the real
// programs (started by t/harness.mjs over an existing data directory), one request at a time.
//
//   node bench/query_http.mjs DATA_DIR [WORKSPACE] [REQUESTS]
//
// DATA_DIR is a store made by bench/query_bench (or bench/gen); WORKSPACE defaults to bench-0,
// REQUESTS (per query, after 5 warm-up requests) to 200. Prints a Markdown table of p50/p99 in
// ms. The client is node's http module on one keep-alive connection, so the figures include
// nginx, FastCGI and the client's own parsing. Loopback only; every loop is bounded.
import http from 'node:http';
import { startServer } from '../t/harness.mjs';

const [dataDir, ws = 'bench-0', nArg = '200'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/query_http.mjs DATA_DIR [WORKSPACE] [REQUESTS]');
	process.exit(2);
}
const N = Number(nArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(base, path) {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		http.get(base + path, { agent }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const ms = Number(process.hrtime.bigint() - t0) / 1e6;
				resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms });
			});
		}).on('error', reject);
	});
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

const srv = await startServer({ dataDir, workers: 2 });
try {
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
	console.log(`| query (\`node bench/query_http.mjs ${dataDir} ${ws} ${N}\`) | p50 ms | p99 ms |`);
	console.log('|---|---|---|');
	for (const [name, path] of queries) {
		for (let i = 0; i < 5; i++)
			await get(srv.base, path);
		const ms = [];
		for (let i = 0; i < N; i++) {
			const r = await get(srv.base, path);
			if (r.status !== 200)
				throw new Error(`${name}: ${r.status} ${r.body.slice(0, 200)}`);
			ms.push(r.ms);
		}
		ms.sort((a, b) => a - b);
		console.log(`| ${name} | ${pct(ms, 50).toFixed(2)} | ${pct(ms, 99).toFixed(2)} |`);
	}
} finally {
	agent.destroy();
	await srv.stop();
}
