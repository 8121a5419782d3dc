// phrase_first.mjs: a quoted phrase's first requests over HTTP, one by one, on a store's fresh days
// (issue 57): each request's status and time, so the searches that build the tail's pairs of
// words (lib/store/tailphrase.h) and those answered from them are seen apart.
//
//   node bench/phrase_first.mjs DATA_DIR [WORKSPACE] [REQUESTS] [PHRASE]
//
// DATA_DIR a store made by `bench/query_bench SPANS DIR 1 load` (no `spandex index`); WORKSPACE
// bench-0, REQUESTS 20, PHRASE "agent calls a tool" by default. One FastCGI worker (so one kept
// state), through nginx (t/harness.mjs, whose query budget is query_http.mjs's: its
// SPANDEX_QUERY_MS, or this one's when set). Prints a line a request: its number, status, ms,
// total_results (or the refusal).
import http from 'node:http';
import { startServer } from '../t/harness.mjs';

const [dataDir, ws = 'bench-0', nArg = '20', phrase = 'agent calls a tool'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/phrase_first.mjs DATA_DIR [WORKSPACE] [REQUESTS] [PHRASE]');
	process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(base, p) {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		http.get(base + p, { agent }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(),
				ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
		}).on('error', reject);
	});
}
const env = process.env.SPANDEX_QUERY_MS ? { SPANDEX_QUERY_MS: process.env.SPANDEX_QUERY_MS } : {};
const srv = await startServer({ dataDir, workers: 1, env });
try {
	const p = `/apis/intake/v2/workspaces/${ws}/spans?page_size=10&search=${encodeURIComponent(`"${phrase}"`)}`;
	for (let i = 1; i <= Number(nArg); i++) {
		const r = await get(srv.base, p);
		const what = r.status === 200 ? `total_results ${JSON.parse(r.body).pagination?.total_results}` : r.body.replace(/\s+/g, ' ').slice(0, 120);
		console.log(`${i} ${r.status} ${r.ms.toFixed(1)} ms ${what}`);
	}
} finally {
	await srv.stop();
}
