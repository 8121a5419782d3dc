// scale_ingest.mjs: ingest throughput through a front nginx with two spandex backends (issue
// 15) against one backend alone, on this machine. Both runs use the same client: WRITERS
// connections posting direct-ingest batches of BATCH spans, spread over 50 workspaces, for
// SECONDS each. Prints spans/s of each run and their ratio (two backends / one).
//
//   node bench/scale_ingest.mjs [SECONDS] [WRITERS] [BATCH]
//
// Defaults 20 s, 8 writers, 100 spans. On one machine the two backends share its cores, so
// the ratio shows the front's cost more than a second machine's gain (docs/scaling.md).
import http from 'node:http';
import { startServer, startFront, WS_PREFIX } from '../t/harness.mjs';

const [secArg = '20', wArg = '8', bArg = '100'] = process.argv.slice(2);
const SECONDS = Number(secArg), WRITERS = Number(wArg), BATCH = Number(bArg);

function post(agent, base, path, body) {
	return new Promise((resolve) => {
		const data = Buffer.from(JSON.stringify(body));
		const req = http.request(base + path, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': data.length } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', () => resolve(0));
		req.end(data);
	});
}

async function load(base, label) {
	const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });
	let spans = 0, failed = 0, seq = 0;
	const end = Date.now() + SECONDS * 1000;
	await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
		while (Date.now() < end) {
			const ws = `scale-${(w * 7 + seq) % 50}`;
			const now = Date.now();
			const batch = Array.from({ length: BATCH }, (_, i) => ({
				span_id: `${label}-${w}-${seq}-${i}`, trace_id: `${label}-${w}-${seq}`, name: 'step', kind: 'LLM',
				status: 'success', started_at: new Date(now + i).toISOString(), input: 'benchmark input text', output: 'benchmark output',
			}));
			seq++;
			const st = await post(agent, base, `${WS_PREFIX}/${ws}/ingest/spans`, { source: 'bench', spans: batch });
			if (st === 201) spans += BATCH;
			else failed++;
		}
	}));
	agent.destroy();
	const rate = spans / SECONDS;
	console.log(`${label}: ${spans} spans in ${SECONDS} s, ${Math.round(rate)} spans/s, ${failed} failed batches`);
	return rate;
}

const a = await startServer();
const b = await startServer();
const front = await startFront([a, b]);
try {
	const one = await load(a.base, 'one backend');
	const two = await load(front.base, 'front, two backends');
	console.log(`ratio (front with two backends / one backend alone): ${(two / one).toFixed(2)}`);
} finally {
	front.stop();
	await a.stop();
	await b.stop();
}
