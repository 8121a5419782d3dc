// pg_bench.mjs: the query set of bench/query_bench in PostgreSQL (issue 57), on a server the
// benchmark starts itself: initdb in a new directory under TMPDIR, postgres on 127.0.0.1 at a
// free port (and a unix socket in that directory), stopped and the directory deleted at the end,
// whatever happens. The spans are the store's SQLite twin that query_bench made with the store
// (DATA_DIR/bench.sqlite: the same spans, the same columns and ids), streamed by `query_bench 0
// DATA_DIR 1 copy` into one COPY FROM STDIN with fsync and synchronous_commit on (durable: the
// rate is the spans/s of a durable ingest), into the table with its btree indexes already in
// place as a live table has them; then the pg_trgm GIN index for the text search is built.
// The indexes are the access paths Langfuse v2 and Phoenix keep (span id, trace, session,
// start, model+status, kind, roots) led by the workspace, as SQLite's in bench/qb_load.c, and
// a trigram GIN on the span's text, which serves ILIKE '%phrase%'.
//
//   node bench/pg_bench.mjs DATA_DIR [ITERATIONS]
//
// Each query is query_bench's SQL for SQLite in PostgreSQL's dialect, the same trace, session,
// span and one-day window (picked by the same query), timed by psql's \timing over the loopback
// TCP connection (the statements of one query summed: page and count, a detailed traces page's
// rollups in the same statement); ITERATIONS (default 20) after one warm-up run, fewer for a
// query whose warm-up takes more than PG_QUERY_BUDGET_MS (default 20,000) over them all.
// Prints the load, the indexes' build times, the bytes, and a table of p50/p99 in ms with the
// query names of query_bench. When no PostgreSQL server is installed (initdb not found in
// PG_BINDIR, `pg_config --bindir` or /usr/lib/postgresql/*/bin) it says so and exits 0: the
// comparison is on demand, not a CI requirement.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUILDDIR = process.env.SPANDEX_BUILDDIR || path.join(here, '..');
const [dataDir, nArg = '20'] = process.argv.slice(2);
if (!dataDir) {
	console.error('usage: node bench/pg_bench.mjs DATA_DIR [ITERATIONS]');
	process.exit(2);
}
const N = Math.max(1, Number(nArg));
const BUDGET_MS = Number(process.env.PG_QUERY_BUDGET_MS || 20000);

function bindir() {
	const cands = [process.env.PG_BINDIR];
	const pc = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
	if (pc.status === 0)
		cands.push(pc.stdout.trim());
	const root = '/usr/lib/postgresql';
	if (fs.existsSync(root))
		for (const v of fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)))
			cands.push(path.join(root, v, 'bin'));
	return cands.find((d) => d && fs.existsSync(path.join(d, 'initdb')) && fs.existsSync(path.join(d, 'psql')));
}

const bin = bindir();
if (!bin) {
	console.log('pg_bench: skipped, no PostgreSQL server installed (initdb and psql not found)');
	process.exit(0);
}
if (!fs.existsSync(path.join(dataDir, 'bench.sqlite'))) {
	console.error(`pg_bench: ${dataDir}/bench.sqlite: no store made by bench/query_bench`);
	process.exit(2);
}

const freePort = () => new Promise((resolve, reject) => {
	const s = net.createServer();
	s.on('error', reject);
	s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const tmp = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(), 'pg_bench-'));
const pgdata = path.join(tmp, 'data');
const port = await freePort();
// PostgreSQL's server refuses to run as root: as root, initdb and pg_ctl run as PG_USER (default
// postgres, the Debian package's user, else nobody), which owns the new directory.
const asUser = process.getuid?.() === 0 ? (process.env.PG_USER || (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody')) : null;
if (asUser) {
	const id = (f) => Number(spawnSync('id', [f, asUser], { encoding: 'utf8' }).stdout);
	fs.chownSync(tmp, id('-u'), id('-g'));
	if (spawnSync('runuser', ['-u', asUser, '--', 'test', '-w', tmp]).status !== 0) {
		fs.rmSync(tmp, { recursive: true, force: true });
		console.error(`pg_bench: ${asUser} cannot reach ${tmp}: give TMPDIR's directories search permission (chmod a+x)`);
		process.exit(2);
	}
}
const SERVER = new Set(['initdb', 'pg_ctl']);
const run = (prog, args, opts = {}) => {
	const [cmd, argv] = asUser && SERVER.has(prog) ? ['runuser', ['-u', asUser, '--', path.join(bin, prog), ...args]] : [path.join(bin, prog), args];
	const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
	if (r.status !== 0)
		throw new Error(`${prog} ${args.join(' ')}: ${r.status}\n${r.stderr}${r.stdout}`.slice(0, 4000));
	return r.stdout;
};
let started = false;
function stop() {
	if (started)
		try { run('pg_ctl', ['-D', pgdata, '-m', 'fast', '-w', 'stop']); } catch (e) { console.error(e.message); }
	started = false;
	fs.rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'])
	process.on(sig, () => { stop(); process.exit(130); });

const PSQL = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'bench', 'bench'];
const psql = (sql, opts = {}) => run('psql', [...PSQL, '-At', '-c', sql], opts);
const lit = (s) => `'${String(s).replace(/'/g, "''")}'`;
const mb = (bytes) => (bytes / 1e6).toFixed(1);
function dirBytes(d) {
	let n = 0;
	for (const e of fs.readdirSync(d, { withFileTypes: true }))
		n += e.isDirectory() ? dirBytes(path.join(d, e.name)) : fs.statSync(path.join(d, e.name)).size;
	return n;
}

// The same columns as bench/qb_load.c's SQLite table, in its order (qb_copy writes them so).
const SCHEMA = `CREATE EXTENSION pg_trgm;
CREATE TABLE spans(id bigint NOT NULL, ws text NOT NULL, span_id text NOT NULL, trace_id text,
	session_id text NOT NULL, parent_span_id text, kind text, status text, model text,
	started_at bigint, ended_at bigint, in_tok bigint, out_tok bigint, cached_tok bigint,
	total_tok bigint, cost double precision, cost_in double precision, cost_out double precision,
	body text);
CREATE UNIQUE INDEX spans_id ON spans(ws, span_id);
CREATE INDEX spans_started ON spans(ws, started_at);
CREATE INDEX spans_trace ON spans(ws, trace_id);
CREATE INDEX spans_session ON spans(ws, session_id);
CREATE INDEX spans_model_status ON spans(ws, model, status, started_at);
CREATE INDEX spans_kind_trace ON spans(ws, kind, trace_id);
CREATE INDEX spans_roots ON spans(ws, started_at, trace_id) WHERE parent_span_id IS NULL;`;

// One COPY FROM STDIN fed by query_bench's copy of the SQLite twin; its spans and seconds.
function copyIn() {
	return new Promise((resolve, reject) => {
		const src = spawn(path.join(BUILDDIR, 'bench', 'query_bench'), ['0', dataDir, '1', 'copy'], { stdio: ['ignore', 'pipe', 'inherit'] });
		const dst = spawn(path.join(bin, 'psql'), [...PSQL, '-c', 'COPY spans FROM STDIN'], { stdio: ['pipe', 'pipe', 'inherit'] });
		src.stdout.pipe(dst.stdin);
		let out = '', srcCode = null;
		dst.stdout.on('data', (c) => { out += c; });
		src.on('exit', (c) => { srcCode = c; });
		const t0 = performance.now();
		dst.on('exit', (c) => {
			const secs = (performance.now() - t0) / 1e3;
			if (c !== 0 || srcCode !== 0)
				reject(new Error(`COPY: psql ${c}, query_bench copy ${srcCode}`));
			else
				resolve(secs);
		});
	});
}

const timed = (f) => { const t0 = performance.now(); f(); return (performance.now() - t0) / 1e3; };

try {
	run('initdb', ['-D', pgdata, '-U', 'bench', '--auth=trust', '-E', 'UTF8', '--locale=C']);
	// 1 GB of shared buffers beside SQLite's 256 MB cache and 8 GB map: each engine's working
	// set stays in memory, as the spandex store's does in the page cache. fsync and
	// synchronous_commit stay on (the defaults) so that the COPY is durable.
	const conf = ["listen_addresses='127.0.0.1'", `port=${port}`, `unix_socket_directories='${tmp}'`,
		'shared_buffers=1GB', 'maintenance_work_mem=1GB', 'work_mem=64MB', 'fsync=on',
		'synchronous_commit=on', 'max_wal_size=2GB', 'jit=off'];
	fs.appendFileSync(path.join(pgdata, 'postgresql.conf'), conf.map((c) => `${c}\n`).join(''));
	try {
		run('pg_ctl', ['-D', pgdata, '-l', path.join(tmp, 'log'), '-w', 'start']);
	} catch (e) {
		throw new Error(`${e.message}\n${fs.readFileSync(path.join(tmp, 'log'), 'utf8').slice(-2000)}`);
	}
	started = true;
	run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'bench', 'bench']);
	psql(SCHEMA);
	const copySecs = await copyIn();
	const nSpans = Number(psql('SELECT count(*) FROM spans'));
	const wal0 = dirBytes(path.join(pgdata, 'pg_wal'));
	console.log(`PostgreSQL ${psql('SHOW server_version').trim()} on 127.0.0.1:${port}: COPY of ${nSpans} spans with the btree indexes, durable, in ${copySecs.toFixed(1)} s: ${Math.round(nSpans / copySecs)} spans/s`);
	const trgm = process.env.PG_TRGM !== '0';
	const ginSecs = trgm ? timed(() => psql('CREATE INDEX spans_text ON spans USING gin (body gin_trgm_ops)')) : 0;
	const vacSecs = timed(() => psql('VACUUM ANALYZE spans'));
	const rel = Number(psql("SELECT pg_total_relation_size('spans')"));
	console.log(`${trgm ? `trigram GIN index ${ginSecs.toFixed(1)} s` : 'no trigram index (PG_TRGM=0)'}, VACUUM ANALYZE ${vacSecs.toFixed(1)} s; table and indexes ${mb(rel)} MB (${Math.round(rel / nSpans)} bytes a span), WAL after the COPY ${mb(wal0)} MB`);

	// The trace, session and span query_bench picks (the root in the middle of bench-0 by
	// start) and its day's window, by the same query.
	const [trace, session, span, start] = psql(`SELECT trace_id, session_id, span_id, started_at
		FROM spans WHERE ws='bench-0' AND parent_span_id IS NULL ORDER BY started_at LIMIT 1
		OFFSET (SELECT count(*)/2 FROM spans WHERE ws='bench-0' AND parent_span_id IS NULL)`).trim().split('|');
	const T = lit(trace), S = lit(session), ID = lit(span);
	const lo = Math.floor(Number(start) / 86400e6) * 86400e6, hi = lo + 86400e6 - 1;
	const W = "ws='bench-0'";
	const page = (where) => [`SELECT body FROM spans WHERE ${W} AND ${where} ORDER BY started_at DESC, id LIMIT 10`,
		`SELECT count(*) FROM spans WHERE ${W} AND ${where}`];
	const ROLLUP = `SELECT sum(in_tok), sum(out_tok), sum(cached_tok), sum(total_tok), sum(cost),
		sum(cost_in), sum(cost_out), count(*), count(*) FILTER (WHERE status='error') FROM spans s
		WHERE s.ws='bench-0' AND s.trace_id=`;
	const roots = `SELECT body, trace_id FROM spans WHERE ${W} AND parent_span_id IS NULL
		ORDER BY started_at DESC, trace_id LIMIT 10`;
	const queries = [
		['get span', [`SELECT body FROM spans WHERE ${W} AND span_id=${ID}`]],
		['spans p1', page('true')],
		['spans model+status', page("model='gpt-4o' AND status='error'")],
		['spans trace_id', page(`trace_id=${T}`)],
		['spans window', page(`started_at BETWEEN ${lo} AND ${hi}`)],
		['groups trace_id', [`SELECT trace_id, count(*) c FROM spans WHERE ${W} AND trace_id IS NOT NULL
			GROUP BY trace_id ORDER BY c DESC, trace_id LIMIT 10`,
			`SELECT count(DISTINCT trace_id) FROM spans WHERE ${W}`]],
		// the page of roots and each root's rollup over its trace's spans, in one statement
		['traces p1 detailed', [`SELECT r.body, x.* FROM (${roots}) r CROSS JOIN LATERAL (${ROLLUP}r.trace_id) x`,
			`SELECT count(*) FROM spans WHERE ${W} AND parent_span_id IS NULL`]],
		['get trace', [`SELECT body FROM spans WHERE ${W} AND trace_id=${T} AND parent_span_id IS NULL
			ORDER BY started_at LIMIT 1`, `${ROLLUP}${T}`]],
		['get session', [`SELECT min(started_at), max(ended_at), count(*), count(DISTINCT trace_id),
			sum(in_tok), sum(out_tok), sum(cached_tok), sum(total_tok), sum(cost), sum(cost_in),
			sum(cost_out), count(*) FILTER (WHERE status='error') FROM spans WHERE ${W} AND session_id=${S}`]],
		// ILIKE: case-blind as SQLite's LIKE and spandex's search; the trigram index serves it
		['phrase rare', page("body ILIKE '%agent calls a tool%'")],
		['phrase common', page("body ILIKE '%weather flights%'")],
	];
	const only = process.env.QB_ONLY?.split(',').filter(Boolean);

	// Times iters runs of one query's statements in one psql session (after a warm-up run),
	// each run's statements summed; the milliseconds of each run.
	const timeRuns = (sqls, iters) => {
		const script = ['\\timing on', '\\o /dev/null'];
		for (let i = 0; i <= iters; i++)
			script.push('\\echo @', ...sqls.map((s) => `${s.replace(/\s+/g, ' ')};`));
		const out = run('psql', [...PSQL, '-f', '-'], { input: `${script.join('\n')}\n` });
		const runs = [];
		for (const line of out.split('\n')) {
			if (line === '@')
				runs.push(0);
			const m = /^Time: ([\d.]+) ms/.exec(line);
			if (m)
				runs[runs.length - 1] += Number(m[1]);
		}
		return runs.slice(1);
	};
	const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
	console.log(`| query (\`node bench/pg_bench.mjs ${dataDir} ${N}\`, ${nSpans} spans) | PostgreSQL p50 ms | p99 ms | runs |`);
	console.log('|---|---|---|---|');
	for (const [name, sqls] of queries) {
		if (only && !only.some((o) => name.includes(o)))
			continue;
		const [warm] = timeRuns(sqls, 1);
		const iters = Math.max(1, Math.min(N, Math.floor(BUDGET_MS / Math.max(warm, 0.001))));
		const ms = timeRuns(sqls, iters).sort((a, b) => a - b);
		console.log(`| ${name} | ${pct(ms, 50).toFixed(3)} | ${pct(ms, 99).toFixed(3)} | ${ms.length} |`);
	}
} finally {
	stop();
}
