// reply_cpu.mjs: what two large replies cost the server, in CPU (the program's and nginx's
// processes, read from /proc) and wall clock a request: a NeMo page of 10 spans filtered by
// model and status, and Opik's search stream of 1,000 spans. One worker a program, one
// keep-alive connection, one request at a time, through the nginx and programs of
// t/harness.mjs over an existing store (bench/query_bench or bench/gen made it).
//
//   node bench/reply_cpu.mjs DATA_DIR [WORKSPACE] [REQUESTS]
//
// REQUESTS (default 2000) is the page's count; the stream is sent a tenth as often. CPU is
// the steadier figure on a shared machine: run the builds to compare (SPANDEX_BUILDDIR)
// alternately. Any answer but 200 fails the run.
import http from 'node:http';
import fs from 'node:fs';
import { startServer, childPids } from '../t/harness.mjs';

const [dataDir, ws = 'bench-0', nArg = '2000'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/reply_cpu.mjs DATA_DIR [WORKSPACE] [REQUESTS]');
	process.exit(2);
}
const srv = await startServer({ workers: 1, dataDir });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(path, body) {
	return new Promise((resolve, reject) => {
		const headers = { 'Comet-Workspace': ws, 'Content-Type': 'application/json' };
		const req = http.request(srv.base + path, { agent, method: body ? 'POST' : 'GET', headers }, (res) => {
			let bytes = 0;
			res.on('data', (c) => { bytes += c.length; });
			res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: ${res.statusCode}`))));
		});
		req.on('error', reject);
		req.end(body);
	});
}

// The ticks (user + system) of the answering programs' and nginx's processes, in ms.
function serverMs() {
	const pids = ['spans', 'opik', 'nginx'].flatMap((p) => [srv.procs[p].pid, ...childPids(srv.procs[p].pid)]);
	let ticks = 0;
	for (const pid of pids) {
		try {
			const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
			ticks += Number(f[11]) + Number(f[12]);
		} catch {
			// gone: a worker that ended is not counted
		}
	}
	return ticks * 10; // USER_HZ is 100 on Linux
}

async function time(name, n, path, body) {
	for (let i = 0; i < 10; i++) await send(path, body);
	const cpu0 = serverMs();
	const t0 = process.hrtime.bigint();
	let bytes = 0;
	for (let i = 0; i < n; i++) bytes = await send(path, body);
	const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
	const cpu = (serverMs() - cpu0) / n;
	console.log(`| ${name} | ${bytes} | ${n} | ${wall.toFixed(3)} | ${cpu.toFixed(3)} |`);
}

try {
	const api = `/apis/intake/v2/workspaces/${ws}`;
	const first = JSON.parse(await new Promise((resolve, reject) => {
		http.get(`${srv.base}${api}/spans?page_size=1`, { agent }, (res) => {
			let s = '';
			res.on('data', (c) => { s += c; });
			res.on('end', () => resolve(s));
		}).on('error', reject);
	})).data[0];
	if (!first) throw new Error(`workspace ${ws} has no spans in ${dataDir}`);
	const n = Number(nArg);
	const filter = encodeURIComponent(JSON.stringify({ model: 'gpt-4o', status: 'error' }));
	console.log(`| reply (\`node bench/reply_cpu.mjs ${dataDir} ${ws} ${n}\`) | bytes | requests | wall ms a request | server CPU ms a request |`);
	console.log('|---|---|---|---|---|');
	await time('NeMo spans page of 10, model+status', n, `${api}/spans?page_size=10&filter=${filter}`);
	await time('Opik search stream, 1000 spans', Math.max(1, Math.round(n / 10)), '/api/v1/private/spans/search',
		JSON.stringify({ project_name: first.project || 'Default Project', limit: 1000 }));
} finally {
	await srv.stop();
}
