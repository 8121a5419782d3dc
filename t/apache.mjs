// apache: starts spandex behind a real Apache (Debian's apache2) on a free loopback port, with
// the configuration apache/genconf writes, in one of the two set-ups of docs/operations.md:
// 'fcgi' (mod_proxy_fcgi to the programs under spawn-fcgi) or 'cgi' (plain CGI through
// ScriptAlias). The sibling of startServer in t/harness.mjs, for node:test files.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	SRCDIR, BUILDDIR, SANITIZER_RE, WAIT_MS, bindOwn, findTool, run, stopChildren, programs, request,
} from './harness.mjs';

const MODULES = '/usr/lib/apache2/modules';
// As root, Apache refuses to serve as root: its children (and so the CGI programs) run as
// this user, which then owns the data directory and the sockets.
const RUN_AS = 'www-data';

// Detached children outlive us unless killed: every running one is, if the test process exits.
const live = new Set();
process.on('exit', () => {
	for (const c of live) {
		try {
			process.kill(c.pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}
});

// The page of the virtual host's own `/` (apache.test.mjs: the snippet leaves it alone).
export const HOST_HOME = '<p>the host\'s own home page</p>\n';

// cgiModule: false leaves mod_cgid out of the 'cgi' set-up (an operator's mistake). Resolves to
// {base, port, dataDir, runDir, mode, request, stop}.
export async function startApache({ mode, workers = 1, env = {}, cgiModule = true }) {
	if (mode !== 'fcgi' && mode !== 'cgi') throw new Error(`startApache: mode '${mode}'`);
	const apache = findTool('apache2');
	const spawnFcgi = mode === 'fcgi' ? findTool('spawn-fcgi') : null;
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-apache-'));
	const runDir = path.join(tmp, 'run');
	const dataDir = path.join(tmp, 'data');
	const progDir = path.join(tmp, 'cgi-bin');
	const uiDir = path.join(tmp, 'ui');
	for (const d of [runDir, path.join(runDir, 'empty'), path.join(runDir, 'home'), dataDir, progDir]) fs.mkdirSync(d, { recursive: true });
	fs.writeFileSync(path.join(runDir, 'home', 'index.html'), HOST_HOME);
	// The Apache user must reach the programs and the data: copies under a traversable tmp.
	fs.chmodSync(tmp, 0o755);
	fs.chmodSync(runDir, 0o755);
	for (const p of programs()) {
		const bin = path.join(BUILDDIR, 'cgi-bin', p.name);
		if (fs.existsSync(bin)) fs.copyFileSync(bin, path.join(progDir, p.name));
	}
	fs.chmodSync(progDir, 0o755);
	// The trace viewer's files, a copy the Apache user can read wherever the tree is.
	fs.cpSync(path.join(SRCDIR, 'ui'), uiDir, { recursive: true });
	const root = process.getuid() === 0;
	let ids = null;
	if (root) {
		ids = { uid: Number(execFileSync('id', ['-u', RUN_AS])), gid: Number(execFileSync('id', ['-g', RUN_AS])) };
		fs.chownSync(dataDir, ids.uid, ids.gid);
	}
	const gen = await run('sh', [path.join(SRCDIR, 'apache', 'genconf'), '-m', mode, '-d', dataDir, '-w', uiDir,
		...(mode === 'fcgi' ? ['-s', runDir] : ['-b', progDir])]);
	if (gen.code !== 0) throw new Error(`apache/genconf failed: ${gen.stderr}`);
	fs.writeFileSync(path.join(runDir, 'spandex.conf'), gen.stdout);
	const mods = ['mpm_prefork', 'authz_core', 'alias', 'env', 'mime', 'headers',
		// mod_cgid, as docs/operations.md enables it (and Debian's threaded MPMs require).
		...(mode === 'fcgi' ? ['proxy', 'proxy_fcgi'] : cgiModule ? ['cgid'] : [])];
	const conf = path.join(runDir, 'apache2.conf');
	const configure = (port) => fs.writeFileSync(conf, [
		`ServerRoot "${runDir}"`,
		`DefaultRuntimeDir "${runDir}"`,
		`PidFile "${runDir}/apache2.pid"`,
		`ErrorLog "${runDir}/error.log"`,
		...(mode === 'cgi' && cgiModule ? [`ScriptSock "${runDir}/cgid.sock"`] : []),
		'LogLevel warn',
		...mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
		...(root ? [`User ${RUN_AS}`, `Group ${RUN_AS}`] : []),
		`Listen 127.0.0.1:${port}`,
		'ServerName 127.0.0.1',
		'StartServers 2',
		'MaxRequestWorkers 8',
		`DocumentRoot "${runDir}/empty"`,
		// mod_mime without the system's table: the viewer's configuration adds its own types.
		'TypesConfig /dev/null',
		'<Directory />',
		'	Require all denied',
		'</Directory>',
		// What the programs need beyond the snippet's SetEnv, as an operator would add it.
		...Object.entries(env).map(([k, v]) => `SetEnv ${k} "${v}"`),
		`Include "${runDir}/spandex.conf"`,
		// The virtual host's own `/`, which the snippet leaves alone (its redirects, checked
		// before any alias, would take it).
		`AliasMatch "^/$" "${runDir}/home/index.html"`,
		`<Directory "${runDir}/home">`,
		'	Require all granted',
		'</Directory>',
		'',
	].join('\n'));

	const children = [];
	// detached: Apache's prefork master ends with SIGTERM to its whole process group, which
	// must not be ours.
	const start = (name, file, args, extraEnv) => {
		const log = path.join(runDir, `${name}.log`);
		const fd = fs.openSync(log, 'a');
		const child = spawn(file, args, {
			env: { ...process.env, ...extraEnv }, stdio: ['ignore', fd, fd], detached: true,
		});
		fs.closeSync(fd);
		child.on('error', () => {});
		children.push({ name, child, log });
		live.add(child);
		child.once('exit', () => live.delete(child));
		return child;
	};
	if (mode === 'fcgi') {
		for (const p of programs()) {
			const bin = path.join(progDir, p.name);
			if (!fs.existsSync(bin)) continue;
			const user = root ? ['-u', RUN_AS, '-g', RUN_AS, '-U', RUN_AS, '-G', RUN_AS] : [];
			// No SPANDEX_DATA here: Apache's SetEnv must bring it with every request.
			start(p.name, spawnFcgi, ['-n', '-s', path.join(runDir, `${p.name}.sock`), '-M', '0600', ...user, '--', bin],
				{ SPANDEX_WORKERS: String(workers), ...env });
		}
	}

	let stopped = false;
	const srv = {
		base: null, port: null, dataDir, runDir, mode,
		request: (method, p, opts = {}) => request(method, p, { ...opts, base: srv.base }),
		async stop() {
			if (stopped) return;
			stopped = true;
			await stopChildren(children.map((c) => c.child));
			// CGI programs write their stderr into Apache's error log.
			const reports = [];
			for (const log of [...children.map((c) => c.log), path.join(runDir, 'error.log')]) {
				const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
				if (SANITIZER_RE.test(text)) reports.push(`${log}:\n${text.slice(0, 8000)}`);
			}
			if (process.env.SPANDEX_KEEP === '1') console.error(`# SPANDEX_KEEP=1: kept ${tmp}`);
			else fs.rmSync(tmp, { recursive: true, force: true });
			if (reports.length) throw new Error(`sanitizer report:\n${reports.join('\n')}`);
		},
	};

	// Apache on a port of its own (bindOwn): one that lost its port to another process is
	// dropped for the next.
	const errlog = path.join(runDir, 'error.log');
	try {
		const { port } = await bindOwn(`Apache (${mode})`, [errlog, path.join(runDir, 'apache2.log')], (port) => {
			children.splice(0, children.length, ...children.filter((c) => c.name !== 'apache2'));
			configure(port);
			return start('apache2', apache, ['-f', conf, '-DFOREGROUND'], {});
		});
		Object.assign(srv, { port, base: `http://127.0.0.1:${port}` });
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
	const { base } = srv;

	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
		if (dead || Date.now() > deadline) {
			const log = [dead?.log, errlog].filter((f) => f && fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
			await srv.stop().catch(() => {});
			throw new Error(`Apache (${mode}) did not start: ${dead ? `${dead.name} exited` : 'no 200 from /healthz'}\n${log}`);
		}
		// With SPANDEX_TOKEN set, /healthz answers 401 to a request without it: up all the same.
		const r = await request('GET', '/healthz', { base }).catch(() => null);
		// Without a CGI module, the 403 that refuses the programs.
		if (r && (r.status === 200 || (r.status === 401 && env.SPANDEX_TOKEN) || (r.status === 403 && !cgiModule))) break;
		await new Promise((res) => setTimeout(res, 100));
	}
	return srv;
}
