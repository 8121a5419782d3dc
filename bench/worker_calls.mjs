// worker_calls.mjs: the instructions of a request in a warm FastCGI worker (issue 57, goal 1's
// per-request floor), counted by callgrind, which a loaded machine does not move.
//
//   node bench/worker_calls.mjs DATA_DIR [REQUESTS]
//
// DATA_DIR is a store made by `bench/query_bench SPANS DIR 1 load` (its bench.sqlite names the
// trace and span asked for, as bench/query_http.mjs takes them). The spans, traces and opik
// programs of SPANDEX_BUILDDIR (default: this checkout) run under `valgrind --tool=callgrind`,
// one worker each, behind nginx (t/harness.mjs); after 30 rounds of warm-up, each kind of
// request is asked REQUESTS times (100) between a zeroing and a dump of its worker's counts.
// Prints, a request: `http_dispatch` inclusive, its handler's inclusive, and the rest (what a
// request pays outside its handler: reading its parameters, its settings, its route, its key),
// with the SHA-1 of the first answer's body. Work a worker does between requests (api_idle) is
// not in `http_dispatch`.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The build measured (t/harness.mjs's SPANDEX_BUILDDIR, this checkout by default).
const BUILDDIR = process.env.SPANDEX_BUILDDIR || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const [dataDir, nArg = '100'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/worker_calls.mjs DATA_DIR [REQUESTS]');
	process.exit(2);
}
const N = Number(nArg);
const ids = execFileSync(path.join(BUILDDIR, 'bench', 'query_bench'), ['0', dataDir, '1', 'serve'], { input: '' })
	.toString().split('\n')[0].split(' ');
const [trace, span] = [ids[1], `${ids[1]}-01`];
const api = '/apis/intake/v2/workspaces/bench-0';
const kinds = [
	['get span', 'spans', 'intake_get_span', `${api}/spans/${span}`, {}],
	['list spans page 1', 'spans', 'intake_list_spans', `${api}/spans?page_size=10`, {}],
	['get trace', 'traces', 'intake_get_trace', `${api}/traces/${trace}`, {}],
	['Opik get span', 'opik', 'opik_get_span', `/api/v1/private/spans/${span}`, { 'Comet-Workspace': 'bench-0' }],
];

// A build directory whose three programs run under callgrind, the rest as built.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-calls-'));
const wrap = path.join(tmp, 'build');
fs.mkdirSync(path.join(wrap, 'cgi-bin'), { recursive: true });
for (const f of fs.readdirSync(BUILDDIR))
	if (f !== 'cgi-bin') fs.symlinkSync(path.join(BUILDDIR, f), path.join(wrap, f));
for (const f of fs.readdirSync(path.join(BUILDDIR, 'cgi-bin'))) {
	const bin = path.join(BUILDDIR, 'cgi-bin', f);
	if (f.includes('.') || !(fs.statSync(bin).mode & 0o111)) continue;
	const to = path.join(wrap, 'cgi-bin', f);
	if (['spans', 'traces', 'opik'].includes(f))
		fs.writeFileSync(to, `#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=${tmp}/${f}.%p.cg ${bin} "$@"\n`, { mode: 0o755 });
	else fs.symlinkSync(bin, to);
}
process.env.SPANDEX_BUILDDIR = wrap;
const { startServer, request } = await import('../t/harness.mjs');

// Inclusive instructions of a function in a dump (callgrind_annotate), 0 when absent.
function inclusive(file, fn) {
	const out = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { maxBuffer: 1 << 28 }).toString();
	const line = out.split('\n').find((l) => l.includes(`:${fn} [`));
	return line ? Number(line.trim().split(/\s+/)[0].replace(/,/g, '')) : 0;
}

const srv = await startServer({ workers: 1, dataDir });
try {
	for (let r = 0; r < 30; r++)
		for (const [, , , p, h] of kinds) {
			const res = await request('GET', p, { headers: h });
			if (res.status !== 200) throw new Error(`${p}: ${res.status} ${res.text}`);
		}
	console.log(`| request (\`node bench/worker_calls.mjs ${dataDir} ${N}\`) | http_dispatch a request | its handler | the rest | answer's SHA-1 |`);
	console.log('|---|---|---|---|---|');
	for (const [name, prog, handler, p, h] of kinds) {
		const pid = String(srv.procs[prog].pid);
		execFileSync('callgrind_control', ['-z', pid], { stdio: 'ignore' });
		let sha = '';
		for (let i = 0; i < N; i++) {
			const res = await request('GET', p, { headers: h });
			if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
			if (i === 0) sha = crypto.createHash('sha1').update(res.bytes).digest('hex').slice(0, 12);
		}
		const dump = `${name.replace(/\W+/g, '-')}`;
		execFileSync('callgrind_control', ['-d', dump, pid], { stdio: 'ignore' });
		const file = fs.readdirSync(tmp).filter((f) => f.startsWith(`${prog}.${pid}.cg.`)).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
		const all = inclusive(path.join(tmp, file), 'http_dispatch') / N;
		const own = inclusive(path.join(tmp, file), handler) / N;
		console.log(`| ${name} | ${Math.round(all)} | ${Math.round(own)} | ${Math.round(all - own)} | ${sha} |`);
	}
} finally {
	await srv.stop();
	fs.rmSync(tmp, { recursive: true, force: true });
}
