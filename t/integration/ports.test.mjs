// The harness's servers on ports of their own (t/harness.mjs, bindOwn). A port from freePort is
// free for every process until nginx binds it; on this machine several suites start servers at
// once, and a server that took the port first answered the readiness check and then every
// request meant for the one that could not bind (scale.test.mjs once read another server's
// workspaces so). Here a stranger takes the port in that gap, on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { bindOwn, childPids, findTool, freePort, makeSpan, request, startServer, waitExit, waitFor, WAIT_MS, WS_PREFIX } from '../harness.mjs';

// A stranger on port: an HTTP server that answers 200 to anything, as another spandex would
// answer /healthz. Resolves to {seen: the paths it was asked, close()}.
function stranger(port) {
	const seen = [];
	const srv = http.createServer((req, res) => {
		seen.push(req.url);
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end('{"status":"ok"}');
	});
	return new Promise((resolve, reject) => {
		srv.once('error', reject);
		srv.listen(port, '127.0.0.1', () => resolve({ seen, close: () => new Promise((r) => srv.close(r)) }));
	});
}

// Whether an nginx child of this process has logged a failed bind (its -e error log).
function failedBind() {
	return childPids(process.pid).some((pid) => {
		let argv;
		try {
			argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
		} catch {
			return false; // exited
		}
		const log = argv[argv.indexOf('-e') + 1];
		return path.basename(argv[0]) === 'nginx' && argv.includes('-e') && fs.existsSync(log) &&
			/Address already in use/.test(fs.readFileSync(log, 'utf8'));
	});
}

test('a restart on a port another process holds waits for it, and never takes the stranger for itself', async () => {
	const port = await freePort();
	const other = await stranger(port);
	const starting = startServer({ port });
	let srv;
	try {
		// Given up once nginx has failed to bind (its first try); it binds on a later one,
		// or the harness starts it again on the same port.
		await waitFor('nginx to fail to bind the stranger\'s port', failedBind);
		await other.close();
		srv = await starting;
		assert.deepEqual(other.seen, [], 'the stranger was asked nothing');
		assert.equal(srv.port, port);
		const w = await srv.request('POST', `${WS_PREFIX}/ports/ingest/spans`, { body: { source: 'ports', spans: [makeSpan('p1')] } });
		assert.equal(w.status, 201, w.text);
		assert.equal((await srv.request('GET', `${WS_PREFIX}/ports/spans/p1`)).status, 200);
	} finally {
		await other.close();
		await (srv ?? (await starting.catch(() => null)))?.stop();
	}
});

test('a server whose free port is taken before it binds starts on another', async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-ports-'));
	const errlog = path.join(dir, 'error.log');
	const tried = [];
	let other;
	let child;
	try {
		const got = await bindOwn('nginx', [errlog], async (port) => {
			tried.push(port);
			// The first port is taken between freePort and nginx's bind, as another suite may.
			if (tried.length === 1) other = await stranger(port);
			fs.writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;
events {}
http {
	access_log off;
	client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f;
	uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
	server { listen 127.0.0.1:${port}; location / { return 200 "own\\n"; } }
}
`);
			child = spawn(findTool('nginx'), ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', errlog, '-g', 'daemon off;'],
				{ stdio: 'ignore' });
			return child;
		});
		assert.equal(tried.length, 2, `ports tried: ${tried}`);
		assert.equal(got.port, tried[1]);
		assert.equal(got.child, child);
		const r = await request('GET', '/', { base: `http://127.0.0.1:${got.port}` });
		assert.equal(r.text, 'own\n');
		assert.deepEqual(other.seen, []);
	} finally {
		child?.kill('SIGTERM');
		if (child) await waitExit(child, WAIT_MS);
		await other?.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
