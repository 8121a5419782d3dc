// phrase_first.mjs: a quoted phrase's first requests over HTTP, one by one, on a store's fresh days
// (issue 57): each request's status and time, so the searches that build the tail's pairs of
// words (lib/store/tailphrase.h) and those answered from them are seen apart.
//
//   node bench/phrase_first.mjs DATA_DIR [WORKSPACE] [REQUESTS] [PHRASE]
//
// DATA_DIR a store made by `bench/query_bench SPANS DIR 1 load` (no `spandex index`); WORKSPACE
// bench-0, REQUESTS 20, PHRASE "agent calls a tool" by default. One FastCGI worker (so one kept
// state), through nginx (t/harness.mjs, whose query budget is query_http.mjs's: its
// SPANDEX_QUERY_MS, or this one's when set). PHRASE_GAP_MS (default 0): the pause after each
// request, in which the worker is idle (it builds the tail's pairs then: http_surface.idle).
// Prints a line a request: its number, status, ms, total_results (or the refusal), and the
// worker's resident memory (VmRSS; RssAnon: less the mapped files' pages) and peak (VmHWM)
// then. PHRASE "a|b": the phrases in turn. PHRASE_BUILT=1: the requests after the tail's pairs
// were built into their files by another worker (below).
import fs from 'node:fs';
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
const gap = Number(process.env.PHRASE_GAP_MS || 0);
const env = process.env.SPANDEX_QUERY_MS ? { SPANDEX_QUERY_MS: process.env.SPANDEX_QUERY_MS } : {};

// PHRASE_BUILT=1: first a server whose worker builds the tail's pairs into each fresh day's
// <day>.tpx between requests (a /healthz every 100 ms: after each the worker takes its idle
// steps, and looks for tails past a size without a search), until every such day's parts leave
// fewer than 1/32 of its records past them (what is built, lib/store/tailphrase.h); then it is
// stopped and the requests below are a new worker's first.
function unbuilt() {
	const dir = `${dataDir}/${ws}`;
	const out = [];
	// the days an idle worker builds without a search: a .tdx of 1 MiB or more
	// (TAILPHRASE_AUTO_BYTES); a smaller tail is built once a phrase asks it
	for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.tdx') && fs.statSync(`${dir}/${f}`).size >= 1 << 20)) {
		const day = f.slice(0, 10);
		const n = Math.floor((fs.statSync(`${dir}/${day}.idx`).size - 128) / 128);
		let covered = 0;
		try {
			const b = fs.readFileSync(`${dir}/${day}.tpx`);
			for (let at = 0; at + 80 <= b.length && b.toString('latin1', at, at + 8) === 'SPXTPX1\n';) {
				const len = Number(b.readBigUInt64LE(at + 32));
				if (at + 80 + len > b.length) break;
				covered = b.readUInt32LE(at + 8) + b.readUInt32LE(at + 12);
				at += 80 + Math.ceil(len / 8) * 8;
			}
		} catch { /* none yet */ }
		if (!covered || (n - covered) * 32 >= covered) out.push(`${day} ${covered}/${n}`);
	}
	return out;
}
if (process.env.PHRASE_BUILT === '1') {
	const b = await startServer({ dataDir, workers: 1, env });
	const t0 = Date.now();
	try {
		for (let left = unbuilt(); left.length; left = unbuilt()) {
			await get(b.base, '/healthz');
			await new Promise((res) => setTimeout(res, 100));
		}
	} finally {
		await b.stop();
	}
	console.log(`built: every day's pairs in its .tpx after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const srv = await startServer({ dataDir, workers: 1, env });
try {
	const phrases = phrase.split('|');
	for (let i = 1; i <= Number(nArg); i++) {
		const ph = phrases[(i - 1) % phrases.length];
		const p = `/apis/intake/v2/workspaces/${ws}/spans?page_size=10&search=${encodeURIComponent(`"${ph}"`)}`;
		const r = await get(srv.base, p);
		const what = r.status === 200 ? `total_results ${JSON.parse(r.body).pagination?.total_results}` : r.body.replace(/\s+/g, ' ').slice(0, 120);
		const st = fs.readFileSync(`/proc/${srv.procs.spans.pid}/status`, 'utf8');
		const kb = (k) => Number(st.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? 0) / 1024;
		console.log(`${i} "${ph}" ${r.status} ${r.ms.toFixed(1)} ms ${what} rss ${kb('VmRSS').toFixed(0)} MB (anonymous ${kb('RssAnon').toFixed(0)}) peak ${kb('VmHWM').toFixed(0)} MB`);
		if (gap) await new Promise((res) => setTimeout(res, gap));
	}
} finally {
	await srv.stop();
}
