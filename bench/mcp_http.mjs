// mcp_http.mjs: the MCP server's tools (issue 56, docs/mcp.md) against the same questions asked
// of the HTTP API, through nginx and the real programs (started by t/harness.mjs over an
// existing data directory), one request at a time.
//
//   node bench/mcp_http.mjs DATA_DIR [WORKSPACE] [REQUESTS]
//
// DATA_DIR is a store made by bench/gen or bench/query_bench; WORKSPACE defaults to bench-0,
// REQUESTS (per row, after 3 warm-up calls) to 50. Both sides are node's http module on one
// keep-alive connection: a tools/call is one POST of JSON-RPC to /mcp, as the SDK sends it
// (its own cost is the first row: the official client's ping, @modelcontextprotocol/sdk from
// t/clients, against the same ping posted bare). Where a tool answers what takes a client two
// requests of the HTTP API (a trace's root and its spans; a session and its traces) both are
// timed, one after the other. Prints a Markdown table of p50/p99 in ms and the size of each
// answer (the tool's text). The window of the window rows is the last day of the store
// (bench/gen's data ends on 2024-06-01). Any error fails the run.
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, CLIENTS } from '../t/harness.mjs';

const require = createRequire(path.join(CLIENTS, 'package.json'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const [dataDir, ws = 'bench-0', nArg = '50'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/mcp_http.mjs DATA_DIR [WORKSPACE] [REQUESTS]');
	process.exit(2);
}
const N = Number(nArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(base, p, body) {
	return new Promise((resolve, reject) => {
		const headers = body === undefined ? {} : {
			'Content-Type': 'application/json', Accept: 'application/json, text/event-stream',
			'Content-Length': Buffer.byteLength(body),
		};
		const req = http.request(base + p, { agent, method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const body = Buffer.concat(chunks).toString();
				if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode} ${body.slice(0, 200)}`));
				else resolve(body);
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}
const get = (base, p) => send(base, p);

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// p50 and p99 of fn over N calls after 3 warm-ups, and the size of its last answer.
async function time(fn) {
	let bytes = 0;
	for (let i = 0; i < 3; i++) await fn();
	const ms = [];
	for (let i = 0; i < N; i++) {
		const t0 = process.hrtime.bigint();
		bytes = await fn();
		ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	ms.sort((a, b) => a - b);
	return { p50: pct(ms, 50), p99: pct(ms, 99), bytes };
}

const srv = await startServer({ dataDir, workers: 2 });
const client = new Client({ name: 'mcp-bench', version: '1.0.0' });
try {
	await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.base}/mcp`)));
	const api = `/apis/intake/v2/workspaces/${ws}`;
	const f = (o) => `filter=${encodeURIComponent(JSON.stringify(o))}`;
	const newest = JSON.parse(await get(srv.base, `${api}/spans?page_size=1`)).data[0];
	if (!newest) throw new Error(`workspace ${ws} has no spans in ${dataDir}`);
	const to = newest.started_at, from = new Date(Date.parse(to) - 86400e3).toISOString();
	const win = { from, to };
	const rpc = (method, params) => send(srv.base, '/mcp', JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
	const tool = (name, args) => async () => {
		const r = JSON.parse(await rpc('tools/call', { name, arguments: { workspace: ws, ...args } })).result;
		if (r.isError) throw new Error(`${name}: ${r.content[0].text}`);
		return Buffer.byteLength(r.content[0].text);
	};
	const gets = (...paths) => async () => {
		let n = 0;
		for (const p of paths) n += Buffer.byteLength(await get(srv.base, p));
		return n;
	};
	const { trace_id: trace, session_id: session, span_id: span } = newest;
	const rows = [
		// The floors: what any answer costs through nginx and FastCGI; the SDK client's own.
		['ping through the SDK\'s client', async () => { await client.ping(); return 0; },
			'ping posted bare', async () => { await rpc('ping', {}); return 0; }],
		['floor: ping', async () => { await rpc('ping', {}); return 0; },
			'floor: GET /healthz', gets('/healthz')],
		['search_traces: newest 20', tool('search_traces', { limit: 20 }),
			'GET traces, 20 a page', gets(`${api}/traces?page_size=20`)],
		['search_traces: status error', tool('search_traces', { status: 'error' }),
			'GET traces, status error', gets(`${api}/traces?page_size=20&${f({ status: 'error' })}`)],
		['search_traces: text, a word in 1% of spans', tool('search_traces', { text: 'zanzibar' }),
			'GET traces?search=', gets(`${api}/traces?page_size=20&search=zanzibar`)],
		['search_traces: model, one day', tool('search_traces', { model: 'gpt-4o', ...win }),
			'GET spans, model, one day', gets(`${api}/spans?page_size=20&${f({ model: 'gpt-4o', started_at: { $gte: from, $lte: to } })}`)],
		['get_trace', tool('get_trace', { trace_id: trace }),
			'GET traces/{id} + its spans', gets(`${api}/traces/${encodeURIComponent(trace)}`, `${api}/spans?page_size=1000&${f({ trace_id: trace })}`)],
		['get_span', tool('get_span', { span_id: span }),
			'GET spans/{id}', gets(`${api}/spans/${encodeURIComponent(span)}`)],
		['get_session', tool('get_session', { session_id: session }),
			'GET sessions/{id} + its traces', gets(`${api}/sessions/${encodeURIComponent(session)}`, `${api}/traces?page_size=100&sort=started_at&${f({ session_id: session })}`)],
		['list_sessions: one day', tool('list_sessions', { ...win }),
			'GET spans/groups by session, one day', gets(`${api}/spans/groups?by=session_id&page_size=20&${f({ started_at: { $gte: from, $lte: to } })}`)],
		['get_stats: one day', tool('get_stats', { ...win }),
			'GET spans/stats, one day', gets(`${api}/spans/stats?start=${from}&end=${to}&bucket_seconds=7200`)],
		['get_stats: one day by model', tool('get_stats', { ...win, group_by: 'model' }), null, null],
		['get_stats: 30 days by model', tool('get_stats', { from: new Date(Date.parse(to) - 30 * 86400e3).toISOString(), to, group_by: 'model' }), null, null],
	];
	console.log(`| tool (\`node bench/mcp_http.mjs ${dataDir} ${ws} ${N}\`) | MCP p50 ms | p99 | answer KB | the same over HTTP | HTTP p50 ms | p99 | KB |`);
	console.log('|---|---|---|---|---|---|---|---|');
	for (const [name, fn, hname, hfn] of rows) {
		const m = await time(fn);
		const h = hfn ? await time(hfn) : null;
		const kb = (b) => (b / 1024).toFixed(1);
		console.log(`| ${name} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${kb(m.bytes)} | ${hname ?? '—'} | ${h ? h.p50.toFixed(2) : '—'} | ${h ? h.p99.toFixed(2) : '—'} | ${h ? kb(h.bytes) : '—'} |`);
	}
} finally {
	await client.close();
	agent.destroy();
	await srv.stop();
}
