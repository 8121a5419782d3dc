// s3: the real S3 server of the bucket's tests (radosgw, t/s3.sh) and what the tests do with
// it besides spandex: make a bucket, list and read its objects with curl (--aws-sigv4), stop or
// freeze radosgw. t/s3_suite.sh starts one server for all the files (SPANDEX_TEST_S3_*); a file
// run alone starts its own, stopped when the process exits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SRCDIR, WAIT_MS, freePort, run, within } from './harness.mjs';

const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
// /healthz and ship --status give lag_seconds to 0.1 s: a pass that began after a moment T is
// one whose lag is below the time since T by more than that rounding.
export const LAG_ROUNDING = 0.1;
// Longer runs on demand (more kills, longer outages): SPANDEX_S3_LONG=1.
export const LONG = process.env.SPANDEX_S3_LONG === '1';

let server = null;

function portFree(port) {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.once('error', () => resolve(false));
		s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
	});
}

// The S3 server: {endpoint, key, secret, dir}.
export async function s3Server() {
	if (server) return server;
	const env = process.env;
	if (env.SPANDEX_TEST_S3_ENDPOINT) {
		server = { endpoint: env.SPANDEX_TEST_S3_ENDPOINT, key: env.SPANDEX_TEST_S3_KEY,
			secret: env.SPANDEX_TEST_S3_SECRET, dir: env.SPANDEX_TEST_S3_DIR };
		return server;
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-s3-'));
	// radosgw's port and the mon's after it (t/s3.sh: PORT + 1), both free. They are free for
	// any process until the daemons bind them, tens of seconds later on a busy machine: when
	// another program took radosgw's (t/s3.sh names it), everything again on others.
	for (let lost = 0; ; lost++) {
		const port = await freePort();
		if (port >= 65000 || !(await portFree(port + 1))) continue;
		const r = await run('bash', [path.join(SRCDIR, 't', 's3.sh'), 'start', dir, String(port)],
			{ env: { ...process.env, S3_WITH_MGR: '0' } });
		if (r.code === 0) break;
		if (!/port \d+ is another program's/.test(r.stderr) || lost >= 3) throw new Error(`t/s3.sh start failed:\n${r.stderr}`);
	}
	process.on('exit', () => {
		try {
			execFileSync('bash', [path.join(SRCDIR, 't', 's3.sh'), 'stop', dir], { stdio: 'ignore' });
		} catch {
			// stopped already
		}
		fs.rmSync(dir, { recursive: true, force: true });
	});
	// A signal (node --test's timeout, ^C) ends the process without 'exit' otherwise: the
	// daemons (setsid, so not in our process group) would outlive it.
	for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => process.exit(128 + os.constants.signals[sig]));
	const text = fs.readFileSync(path.join(dir, 's3.env'), 'utf8');
	const v = Object.fromEntries(text.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
	server = { endpoint: v.S3_ENDPOINT, key: v.S3_ACCESS_KEY, secret: v.S3_SECRET_KEY, dir };
	return server;
}

// A request of the tests' own to the S3 server ends by the clock (a frozen radosgw, a test that
// failed before it let it go on, must fail the test, not hang it): WAIT_MS, as every wait.
const CURL_MAX_S = String(WAIT_MS / 1000);

// One request with curl, signed; the body from file (or none). Resolves to {status, body}.
async function curl(s3, method, urlPath, { file, headers = [] } = {}) {
	const sha = file ? execFileSync('sha256sum', [file]).toString().split(' ')[0] : EMPTY_SHA;
	const args = ['-sS', '--max-time', CURL_MAX_S, '-X', method, '--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${s3.key}:${s3.secret}`,
		'-H', `x-amz-content-sha256: ${sha}`, '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h])];
	if (file) args.push('--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream');
	args.push(`${s3.endpoint}${urlPath}`);
	const r = await run('curl', args, { encoding: 'buffer' });
	if (r.code !== 0) throw new Error(`curl ${method} ${urlPath}: exit ${r.code}: ${r.stderr}`);
	const out = r.stdout;
	const nl = out.lastIndexOf(10);
	return { status: Number(out.subarray(nl + 1).toString()), body: out.subarray(0, nl) };
}

let buckets = 0;
// A new bucket for a test: its name.
export async function makeBucket(s3, hint = 'b') {
	const name = `t${process.pid}-${hint}-${++buckets}`.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 60);
	const r = await curl(s3, 'PUT', `/${name}`);
	if (r.status !== 200) throw new Error(`making bucket ${name}: ${r.status} ${r.body}`);
	return name;
}

// The environment that points spandex at bucket/prefix.
export function s3Env(s3, bucket, prefix = 'spx', extra = {}) {
	return {
		SPANDEX_S3: `s3://${bucket}/${prefix}`,
		SPANDEX_S3_ENDPOINT: s3.endpoint,
		AWS_ACCESS_KEY_ID: s3.key,
		AWS_SECRET_ACCESS_KEY: s3.secret,
		...extra,
	};
}

// Every key under prefix (ListObjectsV2, all pages): [{key, size}].
export async function listKeys(s3, bucket, prefix = '') {
	const out = [];
	let token = '';
	for (;;) {
		const q = [token ? `continuation-token=${encodeURIComponent(token)}` : '', 'list-type=2',
			`prefix=${encodeURIComponent(prefix)}`].filter(Boolean).join('&');
		const r = await curl(s3, 'GET', `/${bucket}?${q}`);
		if (r.status !== 200) throw new Error(`listing ${bucket}/${prefix}: ${r.status} ${r.body}`);
		const xml = r.body.toString();
		for (const m of xml.matchAll(/<Contents>.*?<Key>(.*?)<\/Key>.*?<Size>(\d+)<\/Size>.*?<\/Contents>/gs))
			out.push({ key: m[1].replace(/&amp;/g, '&'), size: Number(m[2]) });
		const t = /<NextContinuationToken>(.*?)<\/NextContinuationToken>/.exec(xml);
		if (!/<IsTruncated>true/.test(xml) || !t) break;
		token = t[1].replace(/&amp;/g, '&');
	}
	return out;
}

// An object's bytes (a Buffer), or null when there is none.
export async function getObject(s3, bucket, key) {
	const r = await curl(s3, 'GET', `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
	return r.status === 200 ? r.body : null;
}

// A log object's header line, parsed.
export function objectHeader(buf) {
	const nl = buf.indexOf(10);
	return JSON.parse(buf.subarray(0, nl).toString());
}

// radosgw's pid (the outage tests stop, freeze and restart it; the osd keeps the objects).
export function rgwPid(s3) {
	return Number(fs.readFileSync(path.join(s3.dir, 'run', 'rgw.spawn.pid'), 'utf8'));
}
export async function rgwStop(s3) {
	const r = await run('bash', [path.join(SRCDIR, 't', 's3.sh'), 'rgw-stop', s3.dir]);
	if (r.code !== 0) throw new Error(`t/s3.sh rgw-stop: ${r.stderr}`);
}
export async function rgwStart(s3) {
	const r = await run('bash', [path.join(SRCDIR, 't', 's3.sh'), 'rgw-start', s3.dir]);
	if (r.code !== 0) throw new Error(`t/s3.sh rgw-start: ${r.stderr}`);
}

// Polls cond (async) every 50 ms until it returns a truthy value, which it resolves to; throws
// after ms with what (a generous bound: the tests wait for conditions, never for time). The
// bound holds against a cond that hangs too (a request to a host or bucket that never answers).
const LATE = Symbol('late');
export async function waitFor(cond, what, ms = WAIT_MS) {
	const end = Date.now() + ms;
	for (;;) {
		const v = await within(Promise.resolve().then(cond), LATE, Math.max(end - Date.now(), 0) + 1000);
		if (v === LATE) throw new Error(`timed out waiting for ${what} (a check did not answer)`);
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

// ---- writers of every API, and what a host that pulled must hold of them ----

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
// Days back a batch's spans start on (multi-day batches: each Intake batch spans three).
const DAYS = [1, 2, 3];
function dayIso(daysBack, ms) {
	const d = new Date();
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack, 12) + ms).toISOString();
}
const hex = (n, w) => n.toString(16).padStart(w, '0');
// Opik's and Scale GP's ids are UUIDs: a stable one per (api, n).
const uuid = (k, n) => `0190a1b2-${hex(k, 4)}-7000-8000-${hex(n, 12)}`;

// Writers of ws through every API at once, each request a batch, until stop(): Intake spans
// over three days with a re-send of an earlier span at a newer version, Opik span batches,
// Scale GP upserts and Intake annotations (judgements). Each write acknowledged is recorded
// with the time its answer came: {api, batch, ids, name, at}; failed writes are counted, not
// recorded (they were not acknowledged). writes holds them in the order acknowledged.
//
// pause() resolves once every writer has its answer and waits (a check of the whole history
// costs requests in proportion to it: writers that went on through it would grow it as fast as
// it is read, and the check with it); resume() lets them go on.
export function startMixedWriters(ws, base, { request }) {
	const writes = [];
	let stop = false;
	let failed = 0;
	let gate = null; // while paused: {wait, open, idle}
	const parked = new Set();
	const intake = `/apis/intake/v2/workspaces/${ws}`;
	const opikH = { 'Content-Type': 'application/json', 'Comet-Workspace': ws };
	const sgpH = { 'Content-Type': 'application/json', 'x-selected-account-id': ws };
	const loops = {
		async intake(b) {
			const spans = [0, 1, 2].map((k) => ({ span_id: `i-${b}-${k}`, trace_id: `it-${b % 5}`,
				session_id: `s-${b % 3}`, started_at: dayIso(DAYS[k], b), name: `b${b}` }));
			// A re-send of an earlier batch's span: its newest version is this batch's.
			if (b > 2) spans.push({ span_id: `i-${b - 2}-0`, trace_id: `it-${(b - 2) % 5}`,
				session_id: `s-${(b - 2) % 3}`, started_at: dayIso(DAYS[0], b - 2), name: `b${b}` });
			const r = await request('POST', `${intake}/ingest/spans`, { body: { source: 's3test', spans }, base });
			return r.status === 201 ? spans.map((s) => s.span_id) : null;
		},
		async opik(b) {
			const spans = [0, 1].map((k) => ({ id: uuid(1, b * 4 + k), trace_id: uuid(2, b), project_name: 'p',
				name: `b${b}`, type: 'general', start_time: dayIso(1, b) }));
			const r = await request('POST', '/v1/private/spans/batch', { body: { spans }, headers: opikH, base });
			return r.status === 204 ? spans.map((s) => s.id) : null;
		},
		async sgp(b) {
			const items = [0, 1].map((k) => ({ id: uuid(3, b * 4 + k), name: `b${b}`, trace_id: uuid(4, b),
				start_timestamp: dayIso(2, b) }));
			const r = await request('PUT', '/v5/spans/batch', { body: { items }, headers: sgpH, base });
			return r.status === 200 ? items.map((s) => s.id) : null;
		},
		async judge(b) {
			const r = await request('POST', `${intake}/annotations`, {
				body: { kind: 'note', session_id: `s-${b % 3}`, text: `b${b}` }, base });
			return r.status === 201 ? [r.json.annotation_id] : null;
		},
	};
	const apis = Object.keys(loops);
	const done = Promise.all(Object.entries(loops).map(async ([api, fn]) => {
		for (let b = 0; !stop; b++) {
			if (gate) {
				parked.add(api);
				if (parked.size === apis.length) gate.idle();
				await gate.wait;
				parked.delete(api);
				if (stop) break;
			}
			const ids = await fn(b).catch(() => null);
			if (ids) writes.push({ api, batch: b, ids, name: `b${b}`, at: Date.now() });
			else {
				failed++;
				await sleepMs(20); // a host going down: do not spin
			}
		}
	}));
	return {
		writes,
		get failed() {
			return failed;
		},
		async pause() {
			if (gate) return gate.parked;
			let open, idle;
			const wait = new Promise((r) => {
				open = r;
			});
			const parkedAll = new Promise((r) => {
				idle = r;
			});
			gate = { wait, open, idle, parked: Promise.race([parkedAll, done]) };
			return gate.parked;
		},
		resume() {
			const g = gate;
			gate = null;
			parked.clear();
			g?.open();
		},
		async stop() {
			stop = true;
			gate?.open();
			await done;
		},
	};
}

// The name a span read through the API that wrote it carries, or null when it is not there.
async function readName(base, ws, api, id, { request }) {
	if (api === 'judge') {
		const r = await request('GET', `/apis/intake/v2/workspaces/${ws}/annotations/${id}`, { base });
		return r.status === 200 ? r.json.text : null;
	}
	const paths = {
		intake: [`/apis/intake/v2/workspaces/${ws}/spans/${id}`, {}],
		opik: [`/v1/private/spans/${id}`, { 'Comet-Workspace': ws }],
		sgp: [`/v5/spans/${id}`, { 'x-selected-account-id': ws }],
	};
	const [p, headers] = paths[api];
	const r = await request('GET', p, { headers, base });
	if (r.status === 404) return null;
	if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.text}`);
	return r.json.name;
}

// What a host that pulled ws must hold of writes: every write acknowledged before cutoff (ms)
// at its newest version through the API that wrote it (and Intake's get for every span), and
// of the others each batch whole or not at all (no half batch), never an old version over a
// newer one it holds (a prefix of the history). Returns {held, missing}.
export async function checkPulled(base, ws, writes, cutoff, { request }) {
	// The newest name each id was acknowledged with, and by which write.
	const newest = new Map();
	for (const w of writes)
		for (const id of w.ids) {
			const n = Number(w.name.slice(1));
			const cur = newest.get(`${w.api}:${id}`);
			if (!cur || (cur.api === w.api && Number(cur.name.slice(1)) < n)) newest.set(`${w.api}:${id}`, w);
		}
	let held = 0;
	const missing = [];
	for (const w of writes) {
		const names = [];
		for (const id of w.ids) {
			const n = await readName(base, ws, w.api, id, { request });
			// Every span reads the same through Intake's get as through the API that wrote it.
			if (w.api === 'opik' || w.api === 'sgp') {
				const viaIntake = await readName(base, ws, 'intake', id, { request });
				if (viaIntake !== n) throw new Error(`${id}: Intake reads ${viaIntake}, ${w.api} ${n}`);
			}
			names.push(n);
		}
		// The new spans of a batch (not a re-send of an earlier one's) are there whole or not.
		const own = w.ids.map((id, i) => [id, names[i]]).filter(([id]) => w.api !== 'intake' || id.startsWith(`i-${w.batch}-`));
		const there = own.filter(([, n]) => n !== null).length;
		if (there !== 0 && there !== own.length) throw new Error(`${w.api} batch ${w.batch}: ${there} of ${own.length} spans: a half batch`);
		if (there) held++;
		for (const [i, id] of w.ids.entries()) {
			const n = names[i];
			if (n === null) continue;
			// Never older than this write when this write is there.
			if (there && Number(n.slice(1)) < w.batch && w.api !== 'judge')
				throw new Error(`${w.api} ${id}: ${n} where batch ${w.batch} (held) wrote a newer one`);
		}
		if (w.at < cutoff) {
			for (const [i, id] of w.ids.entries()) {
				const want = newest.get(`${w.api}:${id}`);
				const n = names[i];
				// The newest version acknowledged before the cutoff, or a newer one.
				if (n === null || (want.at < cutoff && Number(n.slice(1)) < Number(want.name.slice(1))))
					missing.push(`${w.api} ${id}: ${n} (acknowledged ${w.name}, newest ${want.name})`);
			}
		}
	}
	return { held, missing };
}

// SIGKILLs every process of a host started by startServer (its programs' workers and masters,
// nginx): a lost host, not a stopped one.
export function killHost(srv, childPids) {
	for (const p of Object.values(srv.procs)) {
		for (const c of childPids(p.pid)) {
			try {
				process.kill(c, 'SIGKILL');
			} catch {
				// gone already
			}
		}
		try {
			process.kill(p.pid, 'SIGKILL');
		} catch {
			// gone already
		}
	}
}

// `spandex ship DATA --status --json`, by workspace.
export async function shipStatus(data, env, spandexCli) {
	const r = await spandexCli(['ship', data, '--status', '--json'], { env });
	if (r.code !== 0) throw new Error(`ship --status: ${r.stderr}`);
	const out = {};
	for (const line of r.stdout.split('\n').filter(Boolean)) {
		const j = JSON.parse(line);
		if ('bucket_error' in j) out.bucket_error = j.bucket_error;
		else out[j.workspace] = j;
	}
	return out;
}

// A proxy in front of the S3 server that passes requests on as they are (the signature covers
// the Host header, which it keeps) or fails them: mode 'pass', '503' (S3's SlowDown error) or
// 'slow' (each answer held back delayMs); onRequest(req), when given, sees each request first
// (bench/ship_requests.mjs counts them). Resolves to {endpoint, set(mode), close()}.
export async function faultProxy(s3, { delayMs = 3000, onRequest } = {}) {
	const http = await import('node:http');
	const target = new URL(s3.endpoint);
	let mode = 'pass';
	const server = http.createServer((req, res) => {
		onRequest?.(req);
		if (mode === '503') {
			req.resume();
			res.writeHead(503, { 'Content-Type': 'application/xml', 'x-amz-request-id': 'proxy' });
			res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>');
			return;
		}
		const forward = () => {
			const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url,
				headers: req.headers }, (r) => {
				res.writeHead(r.statusCode, r.headers);
				r.pipe(res);
			});
			up.on('error', () => res.destroy());
			req.pipe(up);
		};
		if (mode === 'slow') setTimeout(forward, delayMs);
		else forward();
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	return {
		endpoint: `http://127.0.0.1:${server.address().port}`,
		set(m) {
			mode = m;
		},
		close: () => new Promise((r) => {
			server.closeAllConnections?.();
			server.close(r);
		}),
	};
}

// Every log object of ws in the bucket is whole (its header parses, and a delta is exactly its
// header and the bytes it names) and its numbers have no gap from the first one a pull would
// start at. Returns the headers.
export async function checkLog(s3, bucket, prefix, ws) {
	const keys = (await listKeys(s3, bucket, `${prefix}/${ws}/log/`)).map((k) => k.key);
	const heads = [];
	for (const key of keys) {
		const buf = await getObject(s3, bucket, key);
		if (!buf) continue; // deleted by a compaction meanwhile
		const h = objectHeader(buf);
		const body = buf.length - (buf.indexOf(10) + 1);
		if (h.type === 'delta') {
			const want = h.parts.reduce((n, p) => n + p.len, 0) + h.files.reduce((n, f) => n + f.len, 0);
			if (body !== want) throw new Error(`${key}: ${body} bytes after its header where it names ${want}`);
		} else if (body !== 0) {
			throw new Error(`${key}: a ${h.type} with ${body} bytes after its header`);
		}
		if (key !== `${prefix}/${ws}/log/${String(h.seq).padStart(20, '0')}`) throw new Error(`${key}: says it is ${h.seq}`);
		heads.push(h);
	}
	// The consecutive tail (what a pull replays) starts at 1 or with a snapshot.
	let i = heads.length - 1;
	while (i > 0 && heads[i - 1].seq + 1 === heads[i].seq) i--;
	if (heads.length && heads[i].seq !== 1 && heads[i].type !== 'snapshot')
		throw new Error(`the log's tail starts at ${heads[i].seq}, a ${heads[i].type}`);
	return heads;
}
