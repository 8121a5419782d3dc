// API keys per workspace and role (issue 13) through nginx and the real programs: keys made
// with `spandex key create`, checked before any body is read, 401 and 403 in the API's shape,
// a revoke counted from the next request with no restart. One key works in all three APIs,
// each taking it where its clients send it (NeMo and OTLP Bearer, Opik the raw authorization
// header, Scale GP x-api-key) and refusing in its own error shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, spandexCli, makeSpan, dayTime, run, within, BUILDDIR, WAIT_MS, WS_PREFIX } from '../harness.mjs';

let srv;
const keys = {};
before(async () => {
	srv = await startServer({ env: { SPANDEX_SYNC: '0' } });
	for (const [name, ws, role] of [['read', 'team-a', 'read'], ['write', 'team-a', 'write'],
		['admin', 'team-a', 'admin'], ['other', 'team-b', 'admin'], ['all', '*', 'write']]) {
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', ws, '--role', role, '--name', name]);
		assert.equal(r.code, 0, r.stderr);
		keys[name] = r.stdout.trim();
		assert.match(keys[name], /^spx_[0-9a-f]{40}$/);
	}
});
after(async () => {
	await srv?.stop();
});

const bearer = (k) => (k ? { Authorization: `Bearer ${k}` } : {});
const ingest = (ws, key, id) => srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, {
	headers: bearer(key), body: { source: 'keys', spans: [makeSpan(id, { started_at: dayTime() })] },
});
const list = (ws, key) => srv.request('GET', `${WS_PREFIX}/${ws}/spans`, { headers: bearer(key) });

// Issue 54: a wrong key was answered "Not authenticated", as if none had been sent.
const UNKNOWN = /^Unknown API key: the request's key was read, and this server has no such key \(revoked, mistyped, or another server's\)$/;

test('no key or an unknown key: 401 with WWW-Authenticate, which says whether a key was read; healthz needs none', async () => {
	for (const k of [null, 'spx_0000', keys.read.slice(0, -1)]) {
		const r = await list('team-a', k);
		assert.equal(r.status, 401, `${k}: ${r.text}`);
		assert.deepEqual(Object.keys(r.json), ['detail']);
		assert.match(r.json.detail, k ? UNKNOWN : /^Not authenticated$/, k);
		assert.equal(r.headers['www-authenticate'], 'Bearer');
	}
	assert.equal((await srv.request('GET', '/healthz')).status, 200);
});

test('roles: read reads, write also ingests, each only in its workspace; "*" everywhere', async () => {
	assert.equal((await list('team-a', keys.read)).status, 200);
	const denied = await ingest('team-a', keys.read, 'k-denied');
	assert.equal(denied.status, 403, denied.text);
	assert.match(denied.json.detail, /role \(read\)/);
	assert.equal((await ingest('team-a', keys.write, 'k-1')).status, 201);
	assert.equal((await list('team-a', keys.write)).status, 200);
	assert.equal((await ingest('team-a', keys.admin, 'k-2')).status, 201);
	const cross = await list('team-a', keys.other);
	assert.equal(cross.status, 403, cross.text);
	assert.equal(cross.json.detail, "This key is not valid for workspace 'team-a'");
	assert.equal((await ingest('team-c', keys.all, 'k-3')).status, 201);
	assert.equal((await list('team-b', keys.all)).status, 200);
	// The standard OTLP path takes the same key (its workspace from X-Workspace).
	const otlp = await srv.request('POST', '/v1/traces', {
		headers: { ...bearer(keys.read), 'X-Workspace': 'team-a' }, body: { resourceSpans: [] } });
	assert.equal(otlp.status, 403, otlp.text);
	const otlpOk = await srv.request('POST', '/v1/traces', {
		headers: { ...bearer(keys.write), 'X-Workspace': 'team-a' }, body: { resourceSpans: [] } });
	assert.equal(otlpOk.status, 200, otlpOk.text);
});

test('the key is checked before the body is read: a bad body without a key is a 401', async () => {
	const r = await srv.request('POST', `${WS_PREFIX}/team-a/ingest/spans`, {
		headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: 'not gzip at all',
	});
	assert.equal(r.status, 401, r.text);
	const bad = await srv.request('POST', `${WS_PREFIX}/team-a/ingest/spans`, {
		headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', ...bearer(keys.write) },
		body: 'not gzip at all',
	});
	assert.equal(bad.status, 400, bad.text);
});

test('list shows ids and last use, never a key; a revoke counts from the next request', async () => {
	const l = await spandexCli(['key', 'list', srv.dataDir, '--workspace', 'team-a']);
	assert.equal(l.code, 0, l.stderr);
	// The '*' key works on team-a: listed with it, its workspace shown as '*'; team-b's is not.
	const rows = l.stdout.trim().split('\n').slice(1).map((line) => line.split(/\s+/));
	assert.deepEqual(rows.map((r) => [r[1], r.at(-1)]).sort(),
		[['*', 'all'], ['team-a', 'admin'], ['team-a', 'read'], ['team-a', 'write']]);
	for (const k of Object.values(keys)) assert.ok(!l.stdout.includes(k.slice(4)), 'no key in the listing');
	const row = l.stdout.split('\n').find((line) => line.endsWith(' write'));
	assert.ok(row, l.stdout);
	assert.doesNotMatch(row, / never /, 'the write key was used');
	const id = row.split(/\s+/)[0];
	assert.equal((await list('team-a', keys.write)).status, 200);
	const rv = await spandexCli(['key', 'revoke', srv.dataDir, id]);
	assert.equal(rv.code, 0, rv.stderr);
	assert.equal((await list('team-a', keys.write)).status, 401);
	assert.equal((await list('team-a', keys.read)).status, 200);
	assert.equal((await spandexCli(['key', 'revoke', srv.dataDir, id])).code, 1);
});

// Each API: where its key goes, its workspace header, one read and one write of workspace ws,
// and its error shape (NeMo and Scale GP FastAPI's {detail}, Opik Dropwizard's {code, message}).
const detail = (r, status, text) => {
	assert.deepEqual(Object.keys(r.json), ['detail'], r.text);
	assert.match(r.json.detail, text);
};
const apisOf = (srv) => ({
	nemo: {
		key: bearer,
		read: (ws, h) => srv.request('GET', `${WS_PREFIX}/${ws}/spans`, { headers: h }),
		write: (ws, h, id) => srv.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, {
			headers: h, body: { source: 'keys', spans: [makeSpan(id, { started_at: dayTime() })] } }),
		ok: { read: 200, write: 201 },
		error: detail,
	},
	opik: {
		key: (k) => (k ? { authorization: k } : {}),
		read: (ws, h) => srv.request('GET', '/v1/private/traces/o-1', { headers: { ...h, 'Comet-Workspace': ws } }),
		write: (ws, h, id) => srv.request('POST', '/v1/private/traces/batch', {
			headers: { ...h, 'Comet-Workspace': ws },
			body: { traces: [{ id, name: 'keys', start_time: new Date().toISOString() }] } }),
		ok: { read: 200, write: 204 },
		error: (r, status, text) => {
			assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message'], r.text);
			assert.equal(r.json.code, status);
			assert.match(r.json.message, text);
		},
	},
	sgp: {
		key: (k) => (k ? { 'x-api-key': k } : {}),
		read: (ws, h) => srv.request('POST', '/v5/spans/search', { headers: { ...h, 'x-selected-account-id': ws }, body: {} }),
		write: (ws, h, id) => srv.request('POST', '/v5/spans', {
			headers: { ...h, 'x-selected-account-id': ws },
			body: { id, trace_id: `t-${id}`, name: 'keys', start_timestamp: new Date().toISOString() } }),
		ok: { read: 200, write: 200 },
		error: detail,
	},
});
const APIS = apisOf({ request: (...a) => srv.request(...a) });

test('one key in all three APIs where each client sends it; 401 and 403 in each API\'s shape', async () => {
	const made = {};
	for (const [name, role] of [['multi-write', 'write'], ['multi-read', 'read']]) {
		const r = await spandexCli(['key', 'create', srv.dataDir, '--workspace', 'team-m', '--role', role, '--name', name]);
		assert.equal(r.code, 0, r.stderr);
		made[role] = r.stdout.trim();
	}
	for (const [api, a] of Object.entries(APIS)) {
		// The Opik read is of the trace its write makes first.
		const id = api === 'opik' ? 'o-1' : `${api}-1`;
		const w = await a.write('team-m', a.key(made.write), id);
		assert.equal(w.status, a.ok.write, `${api} write: ${w.text}`);
		const r = await a.read('team-m', a.key(made.write));
		assert.equal(r.status, a.ok.read, `${api} read: ${r.text}`);
		assert.equal((await a.read('team-m', a.key(made.read))).status, a.ok.read, `${api} read with the read key`);
		for (const [why, h] of [['no key', a.key(null)], ['unknown key', a.key('spx_' + '0'.repeat(40))],
			['a key in the wrong header', api === 'opik' ? { 'x-api-key': made.write } : { authorization: made.write }]]) {
			for (const [kind, res] of [['read', await a.read('team-m', h)], ['write', await a.write('team-m', h, `${id}-x`)]]) {
				assert.equal(res.status, 401, `${api} ${kind}, ${why}: ${res.text}`);
				a.error(res, 401, why === 'unknown key' ? UNKNOWN : /^Not authenticated$/);
			}
		}
		const cross = await a.read('team-a', a.key(made.write));
		assert.equal(cross.status, 403, `${api} on another workspace: ${cross.text}`);
		a.error(cross, 403, /not valid for workspace 'team-a'/);
		const ro = await a.write('team-m', a.key(made.read), `${id}-ro`);
		assert.equal(ro.status, 403, `${api} write with a read key: ${ro.text}`);
		a.error(ro, 403, /role \(read\)/);
	}
	// Nothing refused was stored: each API's one write is there, and only it.
	const all = await APIS.nemo.read('team-m', bearer(made.read));
	assert.deepEqual(all.json.data.map((s) => s.span_id).sort(), ['nemo-1', 'o-1', 'sgp-1']);
});

test('every key subcommand answers --help on stdout with exit 0', async () => {
	for (const args of [['key', '--help'], ['key', 'create', '--help'], ['key', 'list', '-h'],
		['key', 'revoke', '--help'], ['key', 'create', srv.dataDir, '--help'], ['help', 'key']]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, args.join(' '));
		assert.match(r.stdout, /^usage: spandex key create/, args.join(' '));
		assert.equal(r.stderr, '');
	}
});

test('run as root, spandex key gives the key file to the owner of the data directory', { skip: process.getuid?.() !== 0 && 'not root' }, async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-keyown-'));
	try {
		fs.chownSync(dir, 65534, 65534);
		const r = await spandexCli(['key', 'create', dir, '--workspace', 'team-own', '--role', 'read']);
		assert.equal(r.code, 0, r.stderr);
		for (const f of ['.spandex-keys', '.spandex-keys.lock']) {
			const st = fs.statSync(path.join(dir, f));
			assert.deepEqual([st.uid, st.gid, st.mode & 0o777], [65534, 65534, 0o600], f);
		}
		// A revoke rewrites the file: still the owner's.
		const id = r.stderr.match(/key (k[0-9a-f]+) /)[1];
		assert.equal((await spandexCli(['key', 'revoke', dir, id])).code, 0);
		assert.equal(fs.statSync(path.join(dir, '.spandex-keys')).uid, 65534);
	} finally {
		fs.rmSync(dir, { recursive: true });
	}
});

// Issue 30: authentication once went off when no key line parsed, so revoking the last key (a
// leaked one) opened every workspace to anyone, and so did a key file whose tabs became spaces
// or whose role was typed "Admin". Once a key file exists it stays on: with no key, every
// request of every API is a 401; with a line that does not parse, a 503 and a line in the log.
test('the last key revoked, or a key file that does not parse, refuses every request of every API', async () => {
	const own = await startServer({ workers: 1, env: { SPANDEX_SYNC: '0' } });
	try {
		const apis = apisOf(own);
		const made = await spandexCli(['key', 'create', own.dataDir, '--workspace', 'team-z', '--role', 'write']);
		assert.equal(made.code, 0, made.stderr);
		assert.match(made.stderr, /authentication is now on for every workspace/, 'the first key says so');
		const key = made.stdout.trim();
		const id = made.stderr.match(/key (k[0-9a-f]+) /)[1];
		const second = await spandexCli(['key', 'create', own.dataDir, '--workspace', 'team-y', '--role', 'read']);
		assert.doesNotMatch(second.stderr, /authentication is now on/, 'only the first one');
		for (const [api, a] of Object.entries(apis)) {
			// The Opik read is of trace o-1: its write makes it.
			const w = await a.write('team-z', a.key(key), api === 'opik' ? 'o-1' : `${api}-z1`);
			assert.equal(w.status, a.ok.write, `${api}: ${w.text}`);
		}
		const id2 = second.stderr.match(/key (k[0-9a-f]+) /)[1];
		let rv = await spandexCli(['key', 'revoke', own.dataDir, id2]);
		assert.equal(rv.code, 0, rv.stderr);
		assert.match(rv.stderr, /no key is left that works on workspace team-y: its requests get 401/);
		assert.doesNotMatch(rv.stderr, /every request to every workspace/);
		rv = await spandexCli(['key', 'revoke', own.dataDir, id]);
		assert.equal(rv.code, 0, rv.stderr);
		assert.match(rv.stderr, /no key is left: authentication stays on, and every request to every workspace gets 401/);
		for (const [api, a] of Object.entries(apis)) {
			for (const [why, h] of [['no key', a.key(null)], ['the revoked key', a.key(key)]]) {
				for (const ws of ['team-z', 'never-had-a-key']) {
					for (const [kind, res] of [['read', await a.read(ws, h)], ['write', await a.write(ws, h, `${api}-z2`)]]) {
						assert.equal(res.status, 401, `${api} ${kind} ${ws}, ${why}: ${res.text}`);
						a.error(res, 401, why === 'no key' ? /^Not authenticated$/ : UNKNOWN);
					}
				}
			}
		}
		// Hand-edited key files that say nothing parsable: tabs turned into spaces, a role
		// typed "Admin". A new key, then the file damaged.
		const fresh = await spandexCli(['key', 'create', own.dataDir, '--workspace', 'team-z', '--role', 'admin']);
		const key2 = fresh.stdout.trim();
		const file = path.join(own.dataDir, '.spandex-keys');
		const text = fs.readFileSync(file, 'utf8');
		const log = () => fs.readFileSync(own.procs.nginx.log, 'utf8') +
			Object.values(own.procs).map((p) => (fs.existsSync(p.log) ? fs.readFileSync(p.log, 'utf8') : '')).join('');
		for (const [how, damaged, reason] of [
			['tabs as spaces', text.replace(/\t/g, ' '), /line 2: 1 tab-separated fields/],
			['role Admin', text.replace('\tadmin\t', '\tAdmin\t'), /line 2: 'Admin' is not a role/],
		]) {
			fs.writeFileSync(file, damaged, { mode: 0o600 });
			for (const [api, a] of Object.entries(apis)) {
				for (const [why, h] of [['no key', a.key(null)], ['the valid key', a.key(key2)]]) {
					for (const [kind, res] of [['read', await a.read('team-z', h)], ['write', await a.write('team-z', h, `${api}-z3`)]]) {
						assert.equal(res.status, 503, `${how}, ${api} ${kind}, ${why}: ${res.text}`);
						a.error(res, 503, /^Authentication is unavailable: the server's key file does not parse$/);
					}
				}
			}
			assert.match(log(), new RegExp(`\\.spandex-keys does not parse: ${reason.source}[^"]*; every request is refused until it is fixed`), how);
			const l = await spandexCli(['key', 'list', own.dataDir]);
			assert.equal(l.code, 1);
			assert.match(l.stderr, reason);
		}
		// A key file that cannot be read, even by root (as CI runs): a directory at its path.
		fs.unlinkSync(file);
		fs.mkdirSync(file);
		for (const [api, a] of Object.entries(apis)) {
			for (const [why, h] of [['no key', a.key(null)], ['the valid key', a.key(key2)]]) {
				const res = await a.read('team-z', h);
				assert.equal(res.status, 503, `unreadable, ${api}, ${why}: ${res.text}`);
				a.error(res, 503, /^Authentication is unavailable: the server's key file cannot be read$/);
			}
		}
		assert.match(log(), /\.spandex-keys cannot be read: Is a directory; every request is refused until it is fixed/);
		fs.rmdirSync(file);
		// No file at all but a FIFO, or a link to a device: the open waited for a writer of
		// the FIFO, holding every worker of every program (each request hung), and
		// /dev/zero was read as one endless line until the worker died. Both are a key
		// file that cannot be read.
		for (const [how, make] of [
			['a FIFO', () => execFileSync('mkfifo', [file])],
			['a link to /dev/zero', () => fs.symlinkSync('/dev/zero', file)],
		]) {
			make();
			for (const [api, a] of Object.entries(apis)) {
				const res = await within(a.read('team-z', a.key(key2)), { status: 'no answer', text: `in ${WAIT_MS / 1000} s` });
				assert.equal(res.status, 503, `${how}, ${api}: ${res.text}`);
				a.error(res, 503, /^Authentication is unavailable: the server's key file cannot be read$/);
			}
			assert.match(log(), /\.spandex-keys cannot be read: not a regular file; every request is refused until it is fixed/, how);
			const l = await run(path.join(BUILDDIR, 'src', 'spandex'), ['key', 'list', own.dataDir], { timeout: WAIT_MS });
			assert.equal(l.code, 1, `${how}: key list ${l.signal ?? ''}${l.stderr}`);
			assert.match(l.stderr, /\.spandex-keys is not a regular file: every request is refused until it is fixed/);
			try {
				// Lets a worker still waiting in the FIFO's open go (before the fix).
				fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
			} catch {
				// no reader, or not a FIFO
			}
			fs.unlinkSync(file);
		}
		fs.writeFileSync(file, text, { mode: 0o600 });
		for (const [api, a] of Object.entries(apis))
			assert.equal((await a.read('team-z', a.key(key2))).status, a.ok.read, `${api} mended`);
		// Removing the file is what turns authentication off.
		fs.unlinkSync(file);
		for (const [api, a] of Object.entries(apis))
			assert.equal((await a.read('team-z', a.key(null))).status, a.ok.read, `${api} without a key file`);
	} finally {
		await own.stop();
	}
});

// docs/configuration.md: a setting passed as a FastCGI parameter reaches the programs from a
// copy of fastcgi_params that the generated location includes (genconf -f), which is where a
// server-level fastcgi_param beside the include does not reach (nginx passes those only to
// locations that set none).
test('SPANDEX_TOKEN as a fastcgi_param in the params file of genconf -f turns keys on', async () => {
	const keyed = await startServer({ params: 'fastcgi_param SPANDEX_TOKEN "sesame-param";' });
	try {
		const where = `${WS_PREFIX}/team-a/spans`;
		const none = await keyed.request('GET', where);
		assert.equal(none.status, 401, none.text);
		const ok = await keyed.request('GET', where, { headers: bearer('sesame-param') });
		assert.equal(ok.status, 200, ok.text);
		const opik = await keyed.request('GET', '/api/v1/private/spans?project_name=Default%20Project',
			{ headers: { 'Comet-Workspace': 'team-a' } });
		assert.equal(opik.status, 401, opik.text);
	} finally {
		await keyed.stop();
	}
});
