// harness: starts spandex the way ./bootstrap run does (nginx/genconf, spawn-fcgi per program,
// nginx in front) on a free loopback port with private temp directories, for node:test files.
// Programs come from SPANDEX_BUILDDIR (default: the repository root), configuration templates
// from SPANDEX_SRCDIR. SPANDEX_KEEP=1 keeps the temp directories for a look afterwards.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAIT_MS, bindOwn, childPids, run, stopChildren, waitFor } from './proc.mjs';

export * from './proc.mjs';

export const SRCDIR =
	process.env.SPANDEX_SRCDIR || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILDDIR = process.env.SPANDEX_BUILDDIR || SRCDIR;
// Where t/clients' npm packages are installed (t/integration.sh: the source, or the build
// directory when the source is read-only).
export const CLIENTS = process.env.SPANDEX_CLIENTS || path.join(SRCDIR, 't', 'clients');

// Sanitizer reports in a program's log fail the test that owned the server.
export const SANITIZER_RE = /ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:/;

export function findTool(name) {
	const dirs = (process.env.PATH || '').split(':').concat(['/usr/sbin', '/usr/local/sbin', '/sbin']);
	for (const d of dirs) {
		const p = path.join(d || '.', name);
		try {
			fs.accessSync(p, fs.constants.X_OK);
			return p;
		} catch {
			// not in this directory
		}
	}
	throw new Error(`${name} not found: run ./bootstrap test, or apt-get install ${name === 'nginx' ? 'nginx-light' : name}`);
}

// The programs and their worker counts, from nginx/programs, the one list of them (its other
// columns, the error shape, the workspace's source and the paths, are the configuration
// generators'): {name, workers, errors, paths, routes}, routes [{path, workspace}] (a word
// that is not a path is the workspace source of the paths after it, nginx/programs.awk).
export function programs() {
	const text = fs.readFileSync(path.join(SRCDIR, 'nginx', 'programs'), 'utf8');
	const out = [];
	for (const line of text.split('\n')) {
		const t = line.trim();
		if (!t || t.startsWith('#')) continue;
		const [name, workers, errors, ...rest] = t.split(/\s+/);
		const routes = [];
		let workspace;
		for (const w of rest) {
			if (w.startsWith('^')) routes.push({ path: w, workspace });
			else workspace = w;
		}
		out.push({ name, workers: Number(workers), errors, paths: routes.map((r) => r.path), routes });
	}
	return out;
}

// A path that the regular expression re (of nginx/programs) matches, for each of its
// alternatives: enough of PCRE for those paths (literals, [^/]+, groups, |, ?, $).
export function samplePaths(re) {
	let i = 0;
	const alt = () => {
		const out = [];
		for (;;) {
			out.push(...seq());
			if (re[i] !== '|') return out;
			i++;
		}
	};
	const seq = () => {
		let paths = [''];
		while (i < re.length && re[i] !== '|' && re[i] !== ')') {
			let item;
			if (re[i] === '^' && i === 0) {
				i++;
				continue;
			} else if (re[i] === '$') {
				item = [''];
				i++;
			} else if (re[i] === '(') {
				i++;
				item = alt();
				if (re[i++] !== ')') throw new Error(`${re}: unbalanced`);
			} else if (re.startsWith('[^/]+', i)) {
				item = ['x'];
				i += 5;
			} else if (re[i] === '\\') {
				item = [re[i + 1]];
				i += 2;
			} else if (/[[\]*+.{}]/.test(re[i])) {
				throw new Error(`${re}: samplePaths does not read '${re[i]}' (at ${i}): teach it`);
			} else {
				item = [re[i++]];
			}
			if (re[i] === '?') {
				item = [...item, ''];
				i++;
			}
			paths = paths.flatMap((p) => item.map((x) => p + x));
		}
		return paths;
	};
	return alt();
}

// The prefixes of the APIs, from nginx/shapes (its second table, nginx/programs.awk): [{prefix,
// shape}], a path under one that no program answers being its API's 404 in that shape.
export function apiPrefixes() {
	const text = fs.readFileSync(path.join(SRCDIR, 'nginx', 'shapes'), 'utf8');
	return text.split('\n').filter((l) => l.startsWith('^')).map((l) => {
		const [prefix, shape] = l.split(/\t+/);
		return { prefix, shape };
	});
}

// The body of an error the web server answers itself in shape (a name of nginx/shapes), with
// status code and text, as genconf writes it (nginx/programs.awk's shaped): an object.
export function shapedBody(shape, code, text) {
	const text_ = fs.readFileSync(path.join(SRCDIR, 'nginx', 'shapes'), 'utf8');
	const line = text_.split('\n').find((l) => l.startsWith(`${shape}\t`));
	if (!line) throw new Error(`nginx/shapes has no shape ${shape}`);
	return JSON.parse(line.replace(/^[a-z]+\t+/, '').replaceAll('@CODE@', String(code)).replaceAll('@TEXT@', text));
}

// Whether reply r is the 404 of an unknown path in shape: JSON with every member of the
// web server's own 404 in that shape (a program may add its own: Langfuse's names its error).
export function isShaped404(r, shape) {
	const want = shapedBody(shape, 404, 'Not Found');
	return r.status === 404 && /^application\/json/.test(r.headers['content-type'] || '') && r.json !== null &&
		typeof r.json === 'object' && Object.keys(want).every((k) => JSON.stringify(r.json[k]) === JSON.stringify(want[k]));
}

// For each prefix of apiPrefixes(), a path under each of its forms that no API has: [{path,
// shape}]. A program whose path is the whole prefix (Opik's, Langfuse's) answers it, with its
// own 404 in the same shape; the web server answers the others.
export function unknownPaths() {
	const routes = programs().flatMap((p) => p.paths.map((re) => ({ re: new RegExp(re), shape: p.errors })));
	return apiPrefixes().flatMap(({ prefix, shape }) => samplePaths(prefix).map((p) => {
		const unknown = `${p}spandex-no-such-path`;
		const by = routes.find((r) => r.re.test(unknown));
		if (by && by.shape !== shape) throw new Error(`${unknown}: a path of nginx/programs with errors ${by.shape}, not ${shape}`);
		return { path: unknown, shape };
	}));
}

// make in the build tree for the tests of `make install` (install, install_prices, docs), which
// never build it: under `make -j2 check` t/s3_suite.sh runs beside t/integration.sh, and a
// program relinked under it is missing or not yet executable for a moment (spawn's ENOENT or
// EACCES: a run with neither a code nor a signal, seen twice in s3_erase at load 13-20). The
// tree must be current (`make -q all-am`; an object out of date would also be compiled with
// the install's directories and stay so), and COMMIT_KEEP=1 keeps src/commit.h, which a
// commit or any edit in the checkout changes (git describe --dirty) and src/spandex with it.
// Resolves as run does; a tree out of date is an exit 2 that says so.
export async function makeBuilt(args, opts = {}) {
	const stale = await buildStale();
	if (stale) return { code: 2, signal: null, error: null, stdout: '', stderr: stale };
	return run('make', ['-s', '-C', BUILDDIR, 'COMMIT_KEEP=1', ...args], { ...opts, env: makeEnv(opts.env) });
}

// The environment of a make of the tests' own: outside any make that runs them (no jobserver
// handed down).
function makeEnv(extra = {}) {
	const env = { ...process.env, ...extra };
	for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[k];
	return env;
}

// Why the build tree may not be installed from (makeBuilt), or null when it is current.
export async function buildStale() {
	const q = await run('make', ['-q', '-C', BUILDDIR, '-o', 'src/commit.h', 'all-am'], { env: makeEnv() });
	if (q.code === 0) return null;
	return `${BUILDDIR} is not built or is older than its sources (make -q all-am: ${q.code ?? q.signal ?? q.error}): ` +
		`run make first; a test does not build it, other tests run its programs meanwhile\n${q.stderr}`;
}

const live = new Set(); // children of every running server, killed if the test process exits
process.on('exit', () => {
	for (const c of live) {
		try {
			process.kill(c.pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
});

let current = null; // the server request() talks to when no base is given

// Starts nginx and every built program. workers: a number for every program, or
// Pricing is on by default (docs/configuration.md, "Costs"), but the golden files record the NeMo service's
// answers, which carry no computed costs: the tests' programs run with SPANDEX_PRICES=off
// unless a test sets it, or passes null to run with the default table.
// The query budget (SPANDEX_QUERY_MS, 5 s by default) is a clock budget: a loaded machine
// would turn a test's large query into the budget's 400. The tests' programs run with WAIT_MS
// unless a test sets it (t/integration/budget.test.mjs; null: the default).
const TEST_ENV = { SPANDEX_PRICES: 'off', SPANDEX_QUERY_MS: String(WAIT_MS) };
const dropNull = (env) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== null));

// {program: n}; env: extra environment for the programs (null unsets a variable); dataDir: use this data directory
// (kept on stop) instead of a fresh one; port: listen on this port (a restart) instead of a free one;
// rate: nginx's requests per second per client (genconf -R; 0, the tests' default: no limit);
// conns: requests one client may have in progress at once (genconf -C; 0, the tests' default:
// no limit); replyTemp: the most of one reply nginx keeps in a temporary file (genconf -T;
// undefined: genconf's default);
// params: fastcgi_param lines for the programs, in a copy of nginx's fastcgi_params that the
// configuration includes in their location (genconf -f, docs/configuration.md).
// Resolves to {base, port, dataDir, runDir, procs, stop}.
export async function startServer({ workers, env = {}, dataDir, port: fixedPort, rate = 0, conns = 0, replyTemp, params } = {}) {
	const nginx = findTool('nginx');
	const spawnFcgi = findTool('spawn-fcgi');
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-'));
	const runDir = path.join(tmp, 'run');
	dataDir = path.resolve(dataDir || path.join(tmp, 'data'));
	for (const d of [runDir, path.join(runDir, 'tmp'), path.join(runDir, 'empty'), dataDir])
		fs.mkdirSync(d, { recursive: true });
	// Root's nginx workers would otherwise run as nobody and not reach the 0600 sockets.
	const user = process.getuid() === 0 ? ['-u', 'root'] : [];
	const withParams = [];
	if (params) {
		const file = path.join(runDir, 'fastcgi_params');
		fs.writeFileSync(file, `${fs.readFileSync('/etc/nginx/fastcgi_params', 'utf8')}\n${params}\n`);
		withParams.push('-f', file);
	}
	const conf = path.join(runDir, 'nginx.conf');
	const configure = async (port) => {
		const gen = await run('sh', [
			path.join(SRCDIR, 'nginx', 'genconf'),
			'-r', runDir, '-d', dataDir, '-p', String(port), '-R', String(rate), '-C', String(conns),
			...(replyTemp === undefined ? [] : ['-T', String(replyTemp)]), ...user, ...withParams,
		]);
		if (gen.code !== 0) throw new Error(`nginx/genconf failed: ${gen.stderr}`);
		fs.writeFileSync(conf, gen.stdout);
	};

	const children = [];
	const procs = {};
	const missing = [];
	const start = (name, file, args, extraEnv) => {
		const log = path.join(runDir, `${name}.log`);
		const fd = fs.openSync(log, 'a');
		const child = spawn(file, args, {
			env: dropNull({ ...process.env, ...extraEnv }),
			stdio: ['ignore', fd, fd],
		});
		fs.closeSync(fd);
		child.on('error', () => {}); // reported through the exit code / readiness check
		children.push({ name, child, log });
		live.add(child);
		child.once('exit', () => live.delete(child));
		return child;
	};

	for (const p of programs()) {
		const bin = path.join(BUILDDIR, 'cgi-bin', p.name);
		if (!fs.existsSync(bin)) {
			missing.push(p.name);
			continue;
		}
		const n = typeof workers === 'number' ? workers : (workers?.[p.name] ?? p.workers);
		const sock = path.join(runDir, `${p.name}.sock`);
		// Exactly as ./bootstrap run: spawn-fcgi -n execs the program, so this pid is its master.
		const child = start(p.name, spawnFcgi, ['-n', '-s', sock, '-M', '0600', '--', bin], {
			SPANDEX_WORKERS: String(n),
			SPANDEX_DATA: dataDir,
			...TEST_ENV,
			...env,
		});
		procs[p.name] = { pid: child.pid, sock, log: path.join(runDir, `${p.name}.log`), workers: n };
	}
	// The program that answers /healthz, which tells when the server is up (below).
	const health = programs().find((p) => p.paths.some((re) => new RegExp(re).test('/healthz')))?.name;
	if (!health || missing.includes(health)) {
		for (const c of children) c.child.kill('SIGKILL');
		fs.rmSync(tmp, { recursive: true, force: true });
		throw new Error(`cgi-bin/${health} is not built in ${BUILDDIR} (it answers /healthz): run make`);
	}

	let stopped = false;
	const srv = {
		base: null, port: null, dataDir, runDir, tmpDir: tmp, procs, missing,
		request: (method, p, opts = {}) => request(method, p, { ...opts, base: srv.base }),
		// Stops everything this server started and removes its temp directories (the data
		// directory too unless it was given). Throws if a program logged a sanitizer report.
		async stop() {
			if (stopped) return;
			stopped = true;
			if (current === srv) current = null;
			await stopChildren(children.map((c) => c.child));
			const reports = [];
			for (const c of children) {
				if (c.name === 'nginx') continue;
				const text = fs.existsSync(c.log) ? fs.readFileSync(c.log, 'utf8') : '';
				if (SANITIZER_RE.test(text)) reports.push(`${c.log}:\n${text.slice(0, 8000)}`);
			}
			if (process.env.SPANDEX_KEEP === '1') {
				console.error(`# SPANDEX_KEEP=1: kept ${tmp}`);
			} else {
				// tmp holds runDir, and dataDir only when this server made it.
				fs.rmSync(tmp, { recursive: true, force: true });
			}
			if (reports.length) throw new Error(`sanitizer report:\n${reports.join('\n')}`);
		},
	};

	// nginx on a port of its own (bindOwn): one that lost its port to another process is
	// dropped for the next.
	const errlog = path.join(runDir, 'error.log');
	try {
		const { port, child } = await bindOwn('nginx', [errlog, path.join(runDir, 'nginx.log')], async (port) => {
			children.splice(0, children.length, ...children.filter((c) => c.name !== 'nginx'));
			await configure(port);
			return start('nginx', nginx, ['-p', runDir, '-c', conf, '-e', errlog, '-g', 'daemon off;'], {});
		}, fixedPort);
		Object.assign(srv, { port, base: `http://127.0.0.1:${port}` });
		procs.nginx = { pid: child.pid, log: errlog };
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
	const { base } = srv;

	// Ready when /healthz answers through nginx (200, or a program's 503 "degraded"); a child
	// that exits first is an error.
	let dead = null;
	let last = null;
	try {
		await waitFor('spandex to answer GET /healthz', async () => {
			dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
			if (dead) return true;
			last = await request('GET', '/healthz', { base }).catch(() => null);
			return last && (last.status === 200 || last.json?.status === 'degraded');
		}, { every: 100, detail: () => `last: ${last ? last.status : 'no connection'}\n${fs.existsSync(errlog) ? fs.readFileSync(errlog, 'utf8') : ''}` });
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
	if (dead) {
		const log = fs.existsSync(dead.log) ? fs.readFileSync(dead.log, 'utf8') : '';
		await srv.stop().catch(() => {});
		throw new Error(`${dead.name} exited during start-up:\n${log}`);
	}
	current = srv;
	return srv;
}

// One HTTP request, the path sent exactly as given (no normalisation of "..", "%2F" ...).
// body: a string or Buffer as is, anything else as JSON (Content-Type application/json
// unless headers say otherwise). Resolves to {status, headers, text, json, bytes}; json is
// undefined when the body is not JSON; bytes is the body as it came (a Buffer).
export function request(method, p, { body, headers = {}, base } = {}) {
	base = base || current?.base;
	if (!base) return Promise.reject(new Error('request: no server started and no base given'));
	const url = new URL(base);
	const hdrs = { ...headers };
	const has = (k) => Object.keys(hdrs).some((h) => h.toLowerCase() === k);
	let payload;
	if (body !== undefined) {
		payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
		if (!has('content-type')) hdrs['Content-Type'] = 'application/json';
		if (!has('content-length') && !has('transfer-encoding'))
			hdrs['Content-Length'] = Buffer.byteLength(payload);
	}
	return new Promise((resolve, reject) => {
		const req = http.request(
			{ host: url.hostname, port: url.port, method, path: p, headers: hdrs, agent: false },
			(res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const bytes = Buffer.concat(chunks);
					const text = bytes.toString('utf8');
					let json;
					try {
						json = JSON.parse(text);
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode, headers: res.headers, text, json, bytes });
				});
				res.on('error', reject);
			},
		);
		req.on('error', reject);
		if (payload !== undefined) req.write(payload);
		req.end();
	});
}

// The environment that runs a program (startServer's env, spandexCli's) with its wall clock
// moved by seconds (negative: behind): t/fault/libfault.so's clock= (issue 55, item 7). A
// sanitizer build wants its runtime first among the preloaded libraries; the shim is not
// instrumented, so that check is off for these runs.
export function clockEnv(seconds) {
	const asan = [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':');
	return { LD_PRELOAD: path.join(BUILDDIR, 't', 'fault', 'libfault.so'), SPANDEX_FAULT: `clock=${Math.round(seconds)}`, ASAN_OPTIONS: asan };
}

// Runs the built admin CLI (src/spandex). Resolves to {code, signal, stdout, stderr}.
export function spandexCli(args, { env = {} } = {}) {
	return run(path.join(BUILDDIR, 'src', 'spandex'), args, { env: { ...process.env, ...env } });
}

// Runs a program once as plain CGI (no nginx, no spawn-fcgi), the environment set the way
// nginx's fastcgi_params would. Returns {child, done}; done resolves to {code, signal,
// status, headers, body, bytes} once it exits (status from the CGI "Status:" header; bytes: the
// body as it came, a Buffer).
export function runCgi(prog, { method = 'GET', path: p, body, contentType, headers = {}, dataDir, env = {}, bin }) {
	const [docUri, query = ''] = p.split('?');
	const payload = body === undefined ? Buffer.alloc(0)
		: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
	const cgiEnv = {
		...process.env,
		GATEWAY_INTERFACE: 'CGI/1.1',
		SERVER_PROTOCOL: 'HTTP/1.1',
		REQUEST_METHOD: method,
		REQUEST_URI: p,
		DOCUMENT_URI: decodeURIComponent(docUri),
		SCRIPT_NAME: decodeURIComponent(docUri),
		QUERY_STRING: query,
		CONTENT_LENGTH: body === undefined ? '' : String(payload.length),
		CONTENT_TYPE: body === undefined ? '' : (contentType || 'application/json'),
		SPANDEX_DATA: dataDir,
		...TEST_ENV,
		...env,
	};
	// Request headers as HTTP_* (RFC 3875 section 4.1.18), as nginx's fastcgi_params pass them.
	for (const [k, v] of Object.entries(headers)) {
		const name = k.toLowerCase();
		if (name === 'content-type') cgiEnv.CONTENT_TYPE = String(v);
		else if (name !== 'content-length') cgiEnv[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = String(v);
	}
	for (const k of Object.keys(cgiEnv))
		if (cgiEnv[k] === null) delete cgiEnv[k];
	// The body comes from a file, not a pipe, so the program gets all of it even while the
	// caller blocks its event loop (the crash test does, to time its kills).
	const bodyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-cgi-'));
	const bodyFile = path.join(bodyDir, 'body');
	fs.writeFileSync(bodyFile, payload);
	const fd = fs.openSync(bodyFile, 'r');
	// bin: another build of the program (an installed one).
	const child = spawn(bin || path.join(BUILDDIR, 'cgi-bin', prog), [], { env: cgiEnv, stdio: [fd, 'pipe', 'pipe'] });
	fs.closeSync(fd);
	fs.rmSync(bodyDir, { recursive: true, force: true });
	const out = [];
	const err = [];
	child.stdout.on('data', (c) => out.push(c));
	child.stderr.on('data', (c) => err.push(c));
	const done = new Promise((resolve) => {
		child.on('close', (code, signal) => {
			const all = Buffer.concat(out);
			const raw = all.toString('utf8');
			const sep = raw.indexOf('\r\n\r\n') >= 0 ? '\r\n\r\n' : '\n\n';
			const cut = raw.indexOf(sep);
			const at = all.indexOf(sep);
			const head = cut >= 0 ? raw.slice(0, cut) : '';
			const headers = {};
			for (const line of head.split(/\r?\n/)) {
				const i = line.indexOf(':');
				if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
			}
			const status = headers.status ? parseInt(headers.status, 10) : (cut >= 0 ? 200 : null);
			resolve({ code, signal, status, headers, body: cut >= 0 ? raw.slice(cut + sep.length) : raw,
				bytes: at >= 0 ? all.subarray(at + sep.length) : all, stderr: Buffer.concat(err).toString('utf8') });
		});
	});
	return { child, done };
}

// request() without a server: the program whose path of nginx/programs matches p, run once
// as plain CGI on dataDir (env: more of its environment, clockEnv's). Resolves to {status,
// headers, text, json, bytes, stderr} as request() does; rejects when the program logs a
// sanitizer report or ends without a reply.
export async function cgiRequest(dataDir, method, p, { body, headers = {}, env = {} } = {}) {
	const route = p.split('?')[0];
	const prog = programs().find((x) => x.paths.some((re) => new RegExp(re).test(route)));
	if (!prog) throw new Error(`cgiRequest: no program of nginx/programs answers ${route}`);
	const { done } = runCgi(prog.name, { method, path: p, body, headers, dataDir, env });
	const r = await done;
	if (SANITIZER_RE.test(r.stderr)) throw new Error(`${prog.name} ${method} ${p}: sanitizer report:\n${r.stderr}`);
	if (r.code !== 0 || r.status === null) throw new Error(`${prog.name} ${method} ${p}: exit ${r.code} ${r.signal || ''}\n${r.stderr}`);
	let json;
	try {
		json = JSON.parse(r.body);
	} catch {
		json = undefined;
	}
	return { status: r.status, headers: r.headers, text: r.body, json, bytes: r.bytes, stderr: r.stderr };
}

// Span helpers shared by the tests.
export const WS_PREFIX = '/apis/intake/v2/workspaces';

// stable_id of the reference: SHA-256 over each part as an 8-byte big-endian length and its
// bytes, the first 32 hex characters, behind "prefix-".
export function stableId(prefix, ...parts) {
	const h = crypto.createHash('sha256');
	for (const p of parts) {
		const b = Buffer.from(p, 'utf8');
		const len = Buffer.alloc(8);
		len.writeBigUInt64BE(BigInt(b.length));
		h.update(len);
		h.update(b);
	}
	const hex = h.digest('hex').slice(0, 32);
	return prefix ? `${prefix}-${hex}` : hex;
}

// A UTC time well inside the 90-day window and away from midnight: noon yesterday, plus ms.
export function dayTime(offsetMs = 0, daysBack = 1) {
	const d = new Date();
	const noon = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack, 12);
	return new Date(noon + offsetMs).toISOString();
}

// POST .../ingest/spans of spans from source into workspace ws.
export function ingestSpans(ws, spans, { source = 'itest', base } = {}) {
	return request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source, spans }, base });
}

// GET .../spans/{id}.
export function getSpan(ws, id, { base } = {}) {
	return request('GET', `${WS_PREFIX}/${ws}/spans/${encodeURIComponent(id)}`, { base });
}

// A minimal valid DirectSpanInput; fields in extra override or add.
export function makeSpan(id, extra = {}) {
	return { span_id: id, trace_id: `trace-${id}`, started_at: dayTime(), ...extra };
}

// The .idx files under dir, as {relative path: Buffer}.
export function readIndexes(dir) {
	const out = {};
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (e.name.endsWith('.idx')) out[path.relative(dir, p)] = fs.readFileSync(p);
		}
	};
	walk(dir);
	return out;
}

// Runs the admin CLI and throws (with its output) unless it exits 0.
export async function spandexOk(args, opts) {
	const r = await spandexCli(args, opts);
	if (r.code !== 0) throw new Error(`spandex ${args.join(' ')} exited ${r.code ?? r.signal ?? `without a code or a signal (${r.error})`}:\n${r.stdout}${r.stderr}`);
	return r;
}

// Every line of a JSONL export, by span_id.
export function linesById(text) {
	const out = new Map();
	for (const line of text.split('\n')) if (line) out.set(JSON.parse(line).span_id, line);
	return out;
}

// Ingests batches into ws (at base) until stopped: new spans on the days in `days` (days
// back), and each time a new version of an earlier span, so superseded flags change under
// the admin jobs. acked holds every span id whose batch was answered 201, latest the name of
// each one's newest acknowledged version. stop() throws if a batch was not acknowledged.
export function startWriter(ws, { base, days = [1, 2] } = {}) {
	const acked = new Set();
	const latest = new Map();
	let stop = false;
	let n = 0;
	let failures = 0;
	const done = (async () => {
		while (!stop) {
			const spans = [];
			for (let k = 0; k < 10; k++, n++) {
				spans.push(makeSpan(`${ws}-w${n}`, {
					trace_id: `${ws}-wt${n % 7}`,
					started_at: dayTime(n, days[n % days.length]),
					name: `v1 ${n}`,
					attributes: { 'gen_ai.usage.input_tokens': n },
				}));
			}
			if (n > 20) {
				const again = n - 15;
				spans.push(makeSpan(`${ws}-w${again}`, {
					trace_id: `${ws}-wt${again % 7}`,
					started_at: dayTime(again, days[again % days.length]),
					name: `v2 ${again}`,
				}));
			}
			const r = await ingestSpans(ws, spans, { base }).catch(() => null);
			if (r?.status === 201) {
				for (const s of spans) {
					acked.add(s.span_id);
					latest.set(s.span_id, s.name);
				}
			} else {
				failures++;
			}
		}
	})();
	return {
		acked,
		latest,
		until(count) {
			return waitFor(`the writer of ${ws}: ${count} spans acknowledged`, () => acked.size >= count,
				{ detail: () => `${acked.size} acknowledged, ${failures} batches refused` });
		},
		async stop() {
			stop = true;
			await done;
			if (failures) throw new Error(`${failures} batches of the writer were not acknowledged`);
		},
	};
}

// A front nginx (nginx/genconf -F, docs/scaling.md) over backends (startServer results), on a
// free port. Resolves to {base, dir, request, pin(text), freeze(text), reload(), stop()}:
// pin and freeze write its pin and freeze files, reload makes nginx read them.
export async function startFront(backends) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-front-'));
	for (const d of ['tmp', 'empty']) fs.mkdirSync(path.join(dir, d));
	const user = process.getuid() === 0 ? ['-u', 'root'] : [];
	const nginx = findTool('nginx');
	const errlog = path.join(dir, 'error.log');
	const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', errlog];
	// On a port of its own (bindOwn): a front that lost its port to another process is
	// started again on the next.
	const { port, child } = await bindOwn('the front nginx', [errlog], async (port) => {
		const gen = await run('sh', [path.join(SRCDIR, 'nginx', 'genconf'), '-F', '-r', dir, '-p', String(port), ...user,
			...backends.flatMap((s) => ['-b', `127.0.0.1:${s.port}`])]);
		if (gen.code !== 0) throw new Error(`nginx/genconf -F failed: ${gen.stderr}`);
		fs.writeFileSync(path.join(dir, 'nginx.conf'), gen.stdout);
		const c = spawn(nginx, [...args, '-g', 'daemon off;'], { stdio: 'ignore' });
		live.add(c);
		c.once('exit', () => live.delete(c));
		return c;
	}).catch((e) => {
		fs.rmSync(dir, { recursive: true, force: true });
		throw e;
	});
	const base = `http://127.0.0.1:${port}`;
	await waitFor(`the front nginx on port ${port}`, () => request('GET', '/nothing', { base }).then(() => true, () => false), {
		every: 50, detail: () => fs.readFileSync(errlog, 'utf8'),
	});
	return {
		base, dir,
		request: (m, p, o = {}) => request(m, p, { ...o, base }),
		pin: (lines) => fs.writeFileSync(path.join(dir, 'pins.conf'), lines),
		freeze: (lines) => fs.writeFileSync(path.join(dir, 'freeze.conf'), lines),
		// nginx -s reload returns once the master has the signal; the old workers go on with
		// the requests they hold (a write to a workspace just frozen among them). Done when
		// every worker of the old configuration has exited (docs/scaling.md, the move).
		async reload() {
			const old = childPids(child.pid);
			const r = await run(nginx, [...args, '-s', 'reload']);
			if (r.code !== 0) throw new Error(`nginx -s reload: ${r.stderr}`);
			await waitFor('nginx reload: the old workers to exit', () => {
				const now = childPids(child.pid);
				return now.length > 0 && !now.some((p) => old.includes(p));
			}, { detail: () => fs.readFileSync(path.join(dir, 'error.log'), 'utf8') });
		},
		stop() {
			child.kill('SIGTERM');
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}

// Deterministic random numbers in [0, 1) (mulberry32), so a failing run can be repeated.
export function rng(seed) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// The golden tests' own check: case names are unique, and (unless the files are being
// rewritten) every file of dir belongs to a case.
export function checkGoldenNames(dir, names, updating) {
	assert.equal(new Set(names).size, names.length, 'duplicate case name');
	if (updating || !fs.existsSync(dir)) return;
	const stale = fs.readdirSync(dir).filter((f) => !names.includes(f.replace(/\.json$/, '')));
	assert.deepEqual(stale, [], 'golden files without a case');
}

// Every file under dir, sealed files (.zst) decompressed: [its path relative to dir, its bytes].
export function storedFiles(dir) {
	const out = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (e.isFile())
				out.push([path.relative(dir, p), e.name.endsWith('.zst') ? execFileSync('zstd', ['-dcq', p], { maxBuffer: 1 << 30 }) : fs.readFileSync(p)]);
		}
	};
	walk(dir);
	return out;
}

// The files under dir that hold s, or s in lower case (the text indexes fold words), sealed
// files decompressed: the canary test of erasure (docs/erasure.md).
export function filesHolding(dir, s) {
	return storedFiles(dir).filter(([, b]) => b.includes(s) || b.includes(s.toLowerCase())).map(([f]) => f);
}
