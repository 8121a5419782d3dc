// soak_pss.mjs: bench/soak.mjs's memory sampler, in a thread of its own. Every `every` ms, the
// PSS in KiB of the server's processes (the masters given and their children: nginx and each
// program, masters and workers), from /proc/PID/smaps_rollup. Reading those walks every mapping
// of each process under its lock (300-1,500 ms a sample under the phrase soak, most of a CPU
// of two meanwhile): on the soak's event loop it held up every request in flight, and their
// latencies counted it; in a thread, each second, the pages beside a sample were still 3x as
// likely to pass 50 ms (BENCHMARKS-HISTORY.md, "The list page under the soak with phrases"), so
// the soak samples every 5 s. Started with workerData {pids, every}; on the message 'stop' it
// posts back {pss: [KiB...], took: [[epoch_ms, ms]...]} and ends.
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { childPids } from '../t/proc.mjs';

function pssKiB(pids) {
	let kib = 0;
	for (const m of pids)
		for (const pid of [m, ...childPids(m)]) {
			try {
				const r = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
				if (r) kib += Number(r[1]);
			} catch {
				// exited meanwhile (a killed worker)
			}
		}
	return kib;
}

const pss = [];
const took = [];
let stop = false;
parentPort.on('message', (m) => {
	if (m === 'stop') stop = true;
});
while (!stop) {
	await new Promise((r) => setTimeout(r, workerData.every));
	if (stop) break;
	const t0 = Date.now(), h0 = process.hrtime.bigint();
	pss.push(pssKiB(workerData.pids));
	took.push([t0, Number(process.hrtime.bigint() - h0) / 1e6]);
}
parentPort.postMessage({ pss, took });
