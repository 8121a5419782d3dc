// cold_http.mjs: the first requests of a query to a worker just started, the cost of what the
// worker keeps across requests (lib/query/gcount.c, twins.c) against the later ones.
//
//   node bench/cold_http.mjs DATA_DIR PATH [ROUNDS]
//
// Each round starts the programs (t/harness.mjs, one worker, over DATA_DIR, as
// SPANDEX_BUILDDIR built them), times PATH 6 times one after another and stops them; prints
// each round's first and the median of the other five (ms, the HTTP floor not taken out).
// COLD_HEADERS='{"Comet-Workspace":"bench-0"}' sends those headers too (Opik's paths).
import http from 'node:http';
import { startServer } from '../t/harness.mjs';

const [dataDir, p, roundsArg = '3'] = process.argv.slice(2);
if (!dataDir || !p) {
	console.error('usage: node bench/cold_http.mjs DATA_DIR PATH [ROUNDS]');
	process.exit(2);
}
const timed = (base, agent) => new Promise((resolve, reject) => {
	const t0 = process.hrtime.bigint();
	http.get(base + p, { agent, headers: JSON.parse(process.env.COLD_HEADERS || '{}') }, (res) => {
		res.resume();
		res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
	}).on('error', reject);
});
for (let r = 0; r < Number(roundsArg); r++) {
	const srv = await startServer({ dataDir, workers: 1 });
	const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
	try {
		const ms = [];
		for (let i = 0; i < 6; i++) {
			const a = await timed(srv.base, agent);
			if (a.status !== 200)
				throw new Error(`${p}: ${a.status}`);
			ms.push(a.ms);
		}
		const rest = ms.slice(1).sort((x, y) => x - y);
		console.log(`round ${r + 1}: first ${ms[0].toFixed(2)} ms, then median ${rest[2].toFixed(2)} ms`);
	} finally {
		agent.destroy();
		await srv.stop();
	}
}
