// The documented commands work as written (issue 31). The blocks of docs/operations.md marked
// `doc-check` run in order on a scratch prefix: install (make install), the user and its
// directories, keys, the spawn-fcgi loop (over an installed list with a blank line and an
// indented comment), a request to each program through the installed nginx include, the
// crontab's commands, the restore (refused unless its block stops the programs, which have
// served) and the loop again; paths moved under the prefix, sudo and the spandex user left
// out, adduser as the home it makes. The commands, pages and front maps that name the
// programs follow nginx/programs, the one list of them: checked too.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
	SRCDIR, BUILDDIR, bindOwn, buildStale, findTool, run, programs, procOf, running, signalProc, makeSpan, dayTime, request, startServer, waitFor, waitGone, WS_PREFIX,
	samplePaths, unknownPaths, isShaped404,
} from '../harness.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-docs-'));
// The programs the documented commands start, and nginx: procOf's, for the restore block stops
// the programs (by their pid files, as the page says) and an nginx that lost its port exits,
// and by the end of the file their pids may be other programs' (a bare pid would SIGTERM
// whatever has it since: another suite's `spandex erase`, say).
const started = [];
// Stops what is still running of them, and waits until it has exited (a program stops its
// workers first).
async function stopStarted() {
	for (const p of started.splice(0)) if (signalProc(p, 'SIGTERM')) await waitGone(p);
}
after(async () => {
	await stopStarted();
	if (process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

const read = (f) => fs.readFileSync(path.join(SRCDIR, f), 'utf8');

// The fenced blocks of a Markdown file whose info string has `doc-check`: [{lang, text}].
function checkedBlocks(md) {
	const out = [];
	const re = /^```(\w+) doc-check\n([\s\S]*?)^```$/gm;
	for (let m; (m = re.exec(md));) out.push({ lang: m[1], text: m[2] });
	return out;
}

// A documented command, moved to the prefix P and run without root's accounts.
const PATHS = /(?<![\w/.-])(\/var\/lib\/spandex|\/srv\/|\/run\/spandex|\/usr\/share\/spandex|\/usr\/libexec\/spandex|\/etc\/spandex)/g;
function rewrite(text, P) {
	return text.split('\n').map((line) => {
		if (/^(\.\/bootstrap|\.\/configure|make -j2|sudo systemctl|systemctl)\b/.test(line)) return '';
		if (/^sudo make install\b/.test(line))
			// From the current build tree, never building it (makeBuilt, t/harness.mjs, says why;
			// docCheck checks it is current first).
			return `make -s -C '${BUILDDIR}' COMMIT_KEEP=1 install DESTDIR='${P}' prefix=/usr sysconfdir=/etc localstatedir=/var`;
		const home = line.match(/^sudo adduser .*--home (\S+)/);
		if (home) return `mkdir -p ${home[1]}`.replace(PATHS, `${P}$1`);
		return line.replace(/(^|[\s;&|(])sudo (-u spandex )?/g, '$1')
			.replace(/ -o spandex -g (spandex|www-data)/g, '').replace(/ -u spandex -g spandex -U www-data/g, '')
			.replace(PATHS, `${P}$1`);
	}).join('\n');
}

// The commands of a crontab: what follows the five time fields of each line.
const cronCommands = (text) => text.split('\n').filter((l) => l.trim() && !l.startsWith('#'))
	.map((l) => l.trim().replace(/^(\S+\s+){5}/, ''));

// The documented command that names the socket unit of each program (operations.md, systemd).
const systemdAwk = (text) => text.match(/\$\((awk '[^']*' \\?\s*\/usr\/share\/spandex\/nginx\/programs)\)/)[1];

// One request that each program answers (with the write key the keys block made, of team-a):
// a request served takes the program's hold on the data directory, which restore refuses
// to run under. A new program of nginx/programs needs its line here.
const TEAM = 'team-a';
function probes(key) {
	const nemo = { Authorization: `Bearer ${key}` };
	return {
		ingest: ['POST', `${WS_PREFIX}/${TEAM}/ingest/spans`, nemo,
			{ source: 'docs', spans: [makeSpan('doc-live', { trace_id: 'doc-t', session_id: 'doc-s', started_at: dayTime() })] }, 201],
		spans: ['GET', `${WS_PREFIX}/${TEAM}/spans/doc-live`, nemo, undefined, 200],
		traces: ['GET', `${WS_PREFIX}/${TEAM}/traces/doc-t`, nemo, undefined, 200],
		sessions: ['GET', `${WS_PREFIX}/${TEAM}/sessions/doc-s`, nemo, undefined, 200],
		opik: ['GET', '/api/v1/private/spans?project_name=Default%20Project', { authorization: key, 'Comet-Workspace': TEAM }, undefined, 200],
		egp: ['GET', '/v5/spans/doc-live', { 'x-api-key': key, 'x-selected-account-id': TEAM }, undefined, 200],
		mcp: ['POST', '/mcp', { ...nemo, Accept: 'application/json, text/event-stream' },
			{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_span', arguments: { workspace: TEAM, span_id: 'doc-live' } } }, 200],
		langfuse: ['GET', '/api/public/observations/doc-live', { Authorization: `Basic ${Buffer.from(`${TEAM}:${key}`).toString('base64')}` }, undefined, 200],
	};
}

// nginx as operations.md's "nginx: the include" block has it, with the installed includes,
// on a free port: the documented server with its listen line and its own http settings.
async function startIncludeNginx(P) {
	const ops = read('docs/operations.md');
	const block = ops.match(/^```nginx\n([\s\S]*?)^```$/m)[1];
	const dir = path.join(tmp, 'nginx');
	fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
	// The include names fastcgi_params as Debian's nginx.conf does, beside the configuration.
	fs.copyFileSync('/etc/nginx/fastcgi_params', path.join(dir, 'fastcgi_params'));
	// The installed include, its paths moved to the prefix as the commands' are.
	for (const f of ['spandex-locations.conf', 'spandex-http.conf']) {
		const inc = path.join(P, 'etc/spandex/nginx', f);
		fs.writeFileSync(inc, fs.readFileSync(inc, 'utf8').replace(PATHS, `${P}$1`));
	}
	const own = [`access_log ${dir}/access.log;`, `client_body_temp_path ${dir}/tmp/body;`,
		`fastcgi_temp_path ${dir}/tmp/fastcgi;`, `proxy_temp_path ${dir}/tmp/proxy;`,
		`scgi_temp_path ${dir}/tmp/scgi;`, `uwsgi_temp_path ${dir}/tmp/uwsgi;`].join(' ');
	assert.match(block, /# \.\.\. your http settings \.\.\.\n/);
	assert.match(block, /listen 443 ssl;/);
	const errlog = path.join(dir, 'error.log');
	// On a port of its own (bindOwn, t/proc.mjs): one another process took first is left
	// for the next.
	const { port } = await bindOwn('the documented nginx', [errlog], async (port) => {
		const http = block.replace(/# \.\.\. your http settings \.\.\./, own)
			.replace(/listen 443 ssl;/, `listen 127.0.0.1:${port};`).replace(PATHS, `${P}$1`);
		// The sockets are root's here (the spandex user and www-data left out): so are the workers.
		const conf = `user root;\npid ${dir}/nginx.pid;\nerror_log ${errlog};\nevents {}\n${http}`;
		fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
		const t = await run(findTool('nginx'), ['-t', '-c', path.join(dir, 'nginx.conf'), '-e', errlog]);
		assert.equal(t.code, 0, `${t.stderr}\n${conf}`);
		const ng = spawn(findTool('nginx'), ['-c', path.join(dir, 'nginx.conf'), '-e', errlog, '-g', 'daemon off;'],
			{ stdio: 'ignore' });
		started.push(procOf(ng.pid));
		return ng;
	});
	const base = `http://127.0.0.1:${port}`;
	await waitFor('the documented nginx to answer', () => request('GET', '/healthz', { base }).then(() => true, () => false),
		{ every: 50, detail: () => fs.readFileSync(errlog, 'utf8') });
	return base;
}

// Every program answers its probe through the installed include.
async function probeAll(base, key) {
	const want = probes(key);
	for (const p of programs()) {
		assert.ok(want[p.name], `docs.test.mjs: no request for the program ${p.name} (add one to probes())`);
		const [method, where, headers, body, status] = want[p.name];
		const r = await request(method, where, { base, headers, body });
		assert.equal(r.status, status, `${p.name}: ${method} ${where}: ${r.text}`);
	}
}

test('the marked commands of docs/operations.md run in order on a fresh prefix', async () => {
	const P = path.join(tmp, 'root');
	const bin = path.join(tmp, 'bin');
	fs.mkdirSync(bin, { recursive: true });
	fs.symlinkSync(path.join(BUILDDIR, 'src', 'spandex'), path.join(bin, 'spandex'));
	const env = { ...process.env, PATH: `${bin}:${process.env.PATH}:/usr/sbin:/sbin` };
	for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete env[k];
	const ops = read('docs/operations.md');
	const blocks = checkedBlocks(ops);
	assert.deepEqual(blocks.map((b) => b.lang), ['sh', 'sh', 'sh', 'sh', 'cron', 'sh'], 'the marked blocks');
	const data = path.join(P, 'var/lib/spandex');
	try {
		await docCheck(P, env, blocks, data);
	} finally {
		await stopStarted();
	}
});

// The crontab's pruning of backup generations keeps the newest ones, however old: it once
// removed every generation older than two weeks (find -mtime +14), so after two weeks of
// failing backups (a full backup disk) it removed the last good one too.
test('the crontab keeps the newest backup generations when backups have stopped', async () => {
	const cron = checkedBlocks(read('docs/operations.md')).find((b) => b.lang === 'cron');
	const prune = cronCommands(cron.text).find((c) => c.includes('/srv/backup/spandex') && /\brm\b/.test(c));
	assert.ok(prune, 'a crontab line prunes the backups');
	const P = path.join(tmp, 'prune');
	const dir = path.join(P, 'srv/backup/spandex');
	fs.mkdirSync(dir, { recursive: true });
	const month = Date.now() / 1000 - 30 * 86400;
	const gens = Array.from({ length: 20 }, (_, i) => `202510${String(i + 1).padStart(2, '0')}T024500Z`);
	for (const g of gens) {
		fs.mkdirSync(path.join(dir, g));
		fs.utimesSync(path.join(dir, g), month, month);
	}
	fs.mkdirSync(path.join(dir, '.tmp-20251021T024500Z')); // a killed backup's: not a generation
	const r = await run('bash', ['-euo', 'pipefail', '-c', rewrite(prune, P)], { cwd: tmp });
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout + r.stderr, '', 'quiet under cron');
	assert.deepEqual(fs.readdirSync(dir).filter((g) => g.startsWith('20')).sort(), gens.slice(-14));
});

// The marked blocks of operations.md in order, on the prefix P, with the checks between them.
async function docCheck(P, env, [install, user, keysBlock, spawnBlock, cron, restore], data) {
	const sh = async (text, what) => {
		const script = rewrite(text, P);
		const r = await run('bash', ['-euo', 'pipefail', '-c', script], { env, cwd: tmp });
		for (const m of `${r.stdout}${r.stderr}`.matchAll(/PID: (\d+)/g)) started.push(procOf(Number(m[1])));
		assert.equal(r.code, 0, `${what} failed:\n${script}\n${r.stdout}${r.stderr}`);
		return r;
	};
	const ops = read('docs/operations.md');
	const stale = await buildStale();
	assert.equal(stale, null, stale);
	await sh(install.text, 'install');
	// The installed list, as an operator may leave it: a blank line and an indented comment.
	const list = path.join(P, 'usr/share/spandex/nginx/programs');
	const lines = fs.readFileSync(list, 'utf8').split('\n');
	const first = lines.findIndex((l) => l && !l.startsWith('#'));
	lines.splice(first + 1, 0, '', '\t# a note of the operator\'s', '   ');
	fs.writeFileSync(list, lines.join('\n'));
	// The systemd line names one socket unit per program, each installed.
	const units = await run('bash', ['-euo', 'pipefail', '-c', rewrite(systemdAwk(ops), P)], { env });
	assert.equal(units.code, 0, units.stderr);
	assert.deepEqual(units.stdout.split(/\s+/).filter(Boolean), programs().map((p) => `spandex-${p.name}.socket`));
	for (const u of units.stdout.split(/\s+/).filter(Boolean)) {
		assert.ok(fs.existsSync(path.join(P, 'usr/lib/systemd/system', u)), u);
		assert.ok(fs.existsSync(path.join(P, 'usr/lib/systemd/system', u.replace(/\.socket$/, '.service'))), u);
	}

	await sh(user.text, 'the user and its directories');
	const keyOut = await sh(keysBlock.text, 'keys');
	const key = keyOut.stdout.match(/spx_[0-9a-f]{40}/)?.[0];
	assert.ok(key, keyOut.stdout);

	await sh(spawnBlock.text, 'spawn-fcgi');
	// The loop started every program of the list, on its socket, with its pidfile.
	for (const p of programs()) {
		assert.ok(fs.existsSync(path.join(P, 'run/spandex', `${p.name}.sock`)), `${p.name}.sock`);
		assert.ok(fs.existsSync(path.join(P, 'run/spandex', `${p.name}.pid`)), `${p.name}.pid`);
	}
	assert.equal(started.length, programs().length, 'one spawn-fcgi child per program');
	assert.ok(started.every(running));
	// Run again while they run (to bring back one that died), the loop starts none twice and
	// leaves every pid file as it was (spawn-fcgi emptied each, so the stop lines missed them).
	const pids = programs().map((p) => fs.readFileSync(path.join(P, 'run/spandex', `${p.name}.pid`), 'utf8'));
	await sh(spawnBlock.text, 'spawn-fcgi, again');
	assert.equal(started.length, programs().length, 'none started twice');
	assert.deepEqual(programs().map((p) => fs.readFileSync(path.join(P, 'run/spandex', `${p.name}.pid`), 'utf8')), pids);
	// Each program serves a request through the installed include, as it would in production.
	const base = await startIncludeNginx(P);
	await probeAll(base, key);
	// A path under an API's prefix (nginx/shapes) that no program answers is that API's 404 in
	// its shape through the include too (not the server's own page), as under the standalone
	// server, the front and Apache.
	for (const { path: p, shape } of [{ path: `${WS_PREFIX}/${TEAM}/no-such-route`, shape: 'detail' }, ...unknownPaths()]) {
		const r = await request('GET', p, { base });
		assert.ok(isShaped404(r, shape), `${p}: ${shape} 404, not ${r.status} ${r.text}`);
	}

	// Something for the cron jobs to work on: spans of yesterday and of a week ago.
	const spans = [1, 7].map((d) => JSON.stringify({ ...makeSpan(`doc-${d}`, { started_at: dayTime(0, d) }), source: 'docs' }));
	fs.writeFileSync(path.join(tmp, 'spans.jsonl'), `${spans.join('\n')}\n`);
	const imp = await run(path.join(BUILDDIR, 'src', 'spandex'), ['import', data, '--workspace', 'docs', path.join(tmp, 'spans.jsonl')]);
	assert.equal(imp.code, 0, imp.stderr);
	await sh(cronCommands(cron.text).join('\n'), 'the crontab');
	// The crontab archived nothing yet (90 days) but made a backup.
	const backups = path.join(P, 'srv/backup/spandex');
	assert.ok(fs.readdirSync(backups).some((g) => /^20/.test(g)));

	// The programs have served: a restore now is refused, naming each one. So the restore
	// block must stop them first, and does.
	const refused = await run(path.join(BUILDDIR, 'src', 'spandex'), ['restore', backups, data, '--force']);
	assert.equal(refused.code, 1, refused.stderr);
	for (const p of programs()) assert.match(refused.stderr, new RegExp(`\\(${p.name}\\)`), refused.stderr);
	await sh(restore.text, 'restore');
	assert.ok(fs.existsSync(path.join(data, 'docs')));
	assert.ok(fs.existsSync(path.join(data, TEAM)));

	// Started again as the page says (the spawn-fcgi loop), every program serves the restored data.
	await sh(spawnBlock.text, 'spawn-fcgi, after the restore');
	await probeAll(base, key);
}

// The first of a map block's regular expressions that matches uri, nginx's order: its value.
function mapLookup(conf, name, uri) {
	const body = conf.match(new RegExp(`map \\$uri \\$${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`))[1];
	let dflt;
	for (const line of body.split('\n')) {
		const m = line.trim().match(/^"~(.*)" (\S+);$/);
		if (m && new RegExp(m[1]).test(uri)) return m[2];
		const d = line.trim().match(/^default (\S+);$/);
		if (d) dflt = d[1];
	}
	return dflt;
}

test('the commands and tables that name the programs follow nginx/programs', async () => {
	const names = programs().map((p) => p.name);
	const ops = read('docs/operations.md');
	// The install table and the deploying steps name the file, not its programs: a new program
	// is one line of it (the man page says what each answers, below).
	const row = ops.split('\n').find((l) => l.startsWith('| the FastCGI programs'));
	assert.match(row, /\/usr\/share\/spandex\/nginx\/programs/, 'install table');
	const readme = read('README.md');
	const deploying = read('docs/deploying.md');
	const nginx = deploying.slice(deploying.indexOf('## nginx'), deploying.indexOf('## Apache'));
	assert.ok(nginx.length > 100, 'docs/deploying.md has its nginx section');
	for (const [doc, text] of [['install table', row], ['docs/deploying.md', nginx]]) {
		const named = names.filter((n) => new RegExp(`\`${n}\``).test(text));
		assert.ok(named.length < 3, `${doc} lists the programs by hand (${named.join(', ')}): name nginx/programs`);
	}
	// No command lists the programs by hand: the systemd and spawn-fcgi lines read the file.
	const man = read('man/spandex-fcgi.8');
	assert.doesNotMatch(readme, /spandex-sessions\.socket|ingest:4/, 'README.md');
	for (const [doc, text] of [['docs/deploying.md', deploying], ['docs/operations.md', ops], ['man/spandex-fcgi.8', man]]) {
		assert.doesNotMatch(text, /spandex-sessions\.socket|ingest:4/, doc);
		assert.match(text, /\/usr\/share\/spandex\/nginx\/programs\)/, doc);
	}
	// The man page: its NAME and SYNOPSIS list the programs in the file's order, and its
	// DESCRIPTION says what each answers; its examples are operations.md's commands.
	const nameLine = man.match(/^\.SH NAME\n(.*)$/m)[1];
	assert.deepEqual(nameLine.split(' \\- ')[0].split(/,\s*/), names, 'man page NAME');
	const synopsis = man.slice(man.indexOf('.SH SYNOPSIS'), man.indexOf('.SH DESCRIPTION'));
	assert.deepEqual([...synopsis.matchAll(/^\.IR libexecdir \/spandex\/(\S+)$/gm)].map((m) => m[1]), names, 'man page SYNOPSIS');
	const description = man.slice(man.indexOf('.SH DESCRIPTION'), man.indexOf('.SH ENVIRONMENT'));
	assert.deepEqual([...description.matchAll(/^\.TP\n\.B (\S+)$/gm)].map((m) => m[1]), names, 'man page DESCRIPTION');
	const flat = (t) => t.replace(/\\-/g, '-').replace(/\\e/g, '\\').replace(/\\fI|\\fP/g, '').replace(/\s+/g, ' ').trim();
	const opsFlat = flat(ops.replace(/(^|\s)sudo (-u spandex )?/gm, '$1'));
	for (const m of man.matchAll(/^\.nf\n([\s\S]*?)^\.fi$/gm))
		for (const cmd of m[1].split(/\n(?=\S)/)) assert.ok(opsFlat.includes(flat(cmd)), `man page example not in operations.md: ${flat(cmd)}`);
	// docs/deploying.md's systemd line is operations.md's.
	const oneLine = (t) => t.replace(/\\\n/g, ' ').replace(/\s+/g, ' ');
	assert.equal(oneLine(systemdAwk(deploying)), oneLine(systemdAwk(ops)));

	// The scaling front: each path of each program gets the workspace source and the error
	// shape of its route (the columns of nginx/programs), as a backend would route it (the
	// first route that matches); a path whose source is - (/healthz, the list) names none.
	const dir = path.join(tmp, 'front-map');
	fs.mkdirSync(dir);
	const gen = await run('sh', [path.join(SRCDIR, 'nginx', 'genconf'), '-F', '-r', dir, '-b', 'a:1']);
	assert.equal(gen.code, 0, gen.stderr);
	const routes = programs().flatMap((p) => p.routes.map((r) => ({ re: new RegExp(r.path), workspace: r.workspace, p })));
	const single = (w) => (w === 'path' ? '$spandex_path_ws' : w === 'basic' ? '$remote_user' : `$http_${w.toLowerCase().replace(/-/g, '_')}`);
	let named = 0;
	for (const { p } of routes) {
		for (const re of p.paths) {
			for (const uri of samplePaths(re)) {
				const owner = routes.find((r) => r.re.test(uri));
				assert.equal(mapLookup(gen.stdout, 'spandex_shape', uri), owner.p.errors, `front: the error shape of ${uri}`);
				const ws = mapLookup(gen.stdout, 'spandex_ws_given', uri);
				if (owner.workspace === '-') assert.equal(ws, '""', `front: ${uri} names no workspace`);
				else if (!owner.workspace.includes(',')) assert.equal(ws, single(owner.workspace), `front: the workspace of ${uri}`);
				else {
					// A list: a map of its first source, whose empty value is the rest's.
					const [first, ...rest] = owner.workspace.split(',');
					const v = single(first).replace('$', '\\$');
					const m = gen.stdout.match(new RegExp(`\\tmap ${v} ${ws.replace('$', '\\$')} \\{\\n\\t\\t"" (\\S+);\\n\\t\\tdefault ${v};`));
					assert.ok(m, `front: the map of ${ws} (${owner.workspace}) for ${uri}`);
					if (rest.length === 1) assert.equal(m[1], single(rest[0]), `front: the workspace of ${uri}`);
				}
				named += ws !== '""';
			}
		}
	}
	assert.ok(named > 10, 'the paths that name their workspace');
});

// curl as the reader runs it, its output followed by a line with the HTTP status, so each of a
// block's requests can be told apart.
function curlShim(bin) {
	const curl = findTool('curl');
	fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\nexec ${curl} -w '\\n%{http_code}\\n' "$@"\n`, { mode: 0o755 });
}

test("README's quick start and docs/configuration.md's key commands run as written against a server started as ./bootstrap run does", async () => {
	const blocks = checkedBlocks(read('README.md'));
	assert.deepEqual(blocks.map((b) => b.lang), ['sh'], "README's marked blocks");
	const [tryIt] = blocks;
	const keyBlocks = checkedBlocks(read('docs/configuration.md'));
	assert.deepEqual(keyBlocks.map((b) => b.lang), ['sh'], "docs/configuration.md's marked blocks");
	const [keys] = keyBlocks;
	// ./bootstrap run: every program with its workers, the shipped price table, 50 requests a
	// second per address; the reader's port 8080 is this server's.
	const srv = await startServer({ env: { SPANDEX_PRICES: null }, rate: 50 });
	try {
		const bin = path.join(tmp, 'readme-bin');
		fs.mkdirSync(bin);
		curlShim(bin);
		fs.symlinkSync(path.join(BUILDDIR, 'src', 'spandex'), path.join(bin, 'spandex'));
		const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
		const sh = (text) => run('bash', ['-euo', 'pipefail', '-c', text.replaceAll('http://127.0.0.1:8080', srv.base)
			.replaceAll('/var/lib/spandex', srv.dataDir)], { env });
		// [status, body] of each request of a block's output.
		const replies = (out) => [...out.matchAll(/([\s\S]*?)\n(\d{3})\n/g)].map((m) => [Number(m[2]), m[1]]);

		const r = await sh(tryIt.text);
		assert.equal(r.code, 0, r.stderr);
		const [post, span, traces] = replies(r.stdout);
		assert.deepEqual(post, [201, ''], 'the ingest: 201, no body');
		assert.equal(span[0], 200, span[1]);
		const s1 = JSON.parse(span[1]);
		assert.deepEqual([s1.span_id, s1.trace_id, s1.model, s1.input_tokens, s1.output_tokens, s1.cost_total_usd],
			['s1', 't1', 'gpt-4o', 12, 3, 0.0004], span[1]);
		assert.equal(traces[0], 200, traces[1]);
		const page = JSON.parse(traces[1]);
		assert.deepEqual(page.data.map((t) => [t.id, t.span_count]), [['t1', 1]], traces[1]);

		// The keys: the first one turns authentication on (the quick start's reads now need
		// it); revoking the last leaves nobody in, as docs/configuration.md says.
		const k = await sh(keys.text.replace(/^spandex key revoke .*$/m, ''));
		assert.equal(k.code, 0, k.stderr);
		const key = k.stdout.match(/spx_[0-9a-f]{40}/)[0];
		const id = k.stdout.match(/^(k[0-9a-f]{10})\s+team-a\s+write\s.*ci-pipeline$/m)?.[1];
		assert.ok(id, k.stdout);
		const read = (h) => srv.request('GET', `${WS_PREFIX}/team-a/spans`, { headers: h });
		assert.equal((await read({})).status, 401);
		assert.equal((await read({ Authorization: `Bearer ${key}` })).status, 200);
		// The revoke line as written, with the id key list showed for its example id.
		const revoke = keys.text.match(/^spandex key revoke .*$/m)[0];
		assert.match(revoke, /k3f9a1c2e07/);
		const rv = await sh(revoke.replace('k3f9a1c2e07', id));
		assert.equal(rv.code, 0, rv.stderr);
		assert.equal((await read({ Authorization: `Bearer ${key}` })).status, 401);
	} finally {
		await srv.stop();
	}
});

test("docs/deploying.md's steps are operations.md's commands, which docs.test runs", () => {
	const ops = read('docs/operations.md');
	const flat = (t) => t.replace(/\\\n/g, ' ').replace(/\s+/g, ' ').trim();
	const opsFlat = flat(ops);
	const deploy = read('docs/deploying.md');
	const commands = [...deploy.matchAll(/``?([^`]+?)``?/g)].map((m) => flat(m[1]))
		.filter((c) => /^(sudo |\.\/configure |include |\/usr\/share\/spandex\/\S+ -)/.test(c));
	assert.ok(commands.length >= 10, commands.join('\n'));
	for (const c of commands)
		for (const part of c.split(' && ')) assert.ok(opsFlat.includes(part), `docs/deploying.md's \`${part}\` is not in docs/operations.md`);
});

test("docs/api-intake.md's direct-span table is lib/ingest/direct.c's schema", () => {
	const readme = read('docs/api-intake.md');
	const c = read('lib/ingest/direct.c');
	const h = read('lib/ingest/direct.h');
	// The schema: {"name", type, required, ...} per field, request and span.
	const fields = (table) => [...c.match(new RegExp(`${table}\\[\\] = \\{([\\s\\S]*?)\\n\\};`))[1]
		.matchAll(/\{"(\w+)", VS_\w+, (true|false)/g)].map((m) => [m[1], m[2] === 'true']);
	const section = readme.slice(readme.indexOf('## Direct spans'), readme.indexOf('## Sessions'));
	assert.ok(section.length > 100, 'docs/api-intake.md has its direct spans section');
	// The table: the fields named in its first column, required when its third says yes.
	const rows = section.split('\n').filter((l) => /^\| `/.test(l)).flatMap((l) => {
		const cols = l.split(' | ');
		return [...cols[0].matchAll(/`(\w+)`/g)].map((m) => [m[1], cols[2].trim() === 'yes']);
	});
	const byName = (a) => [...a].sort((x, y) => x[0].localeCompare(y[0]));
	assert.deepEqual(byName(rows), byName(fields('input_fields')), 'the table of span fields');
	assert.deepEqual(fields('request_fields').map((f) => f[0]), ['source', 'spans']);
	assert.match(section, /the body is `\{"source", "spans"\}` and\s+nothing else/);
	for (const [name, text] of [['DIRECT_MAX_SPANS', /1–(\d+) objects \(`DIRECT_MAX_SPANS`\)/],
		['DIRECT_MAX_SOURCE', /`source` is 1–(\d+) characters/], ['DIRECT_MAX_ATTRIBUTES', /at most (\d+) keys \(`DIRECT_MAX_ATTRIBUTES`\)/]]) {
		const value = h.match(new RegExp(`#define ${name} (\\d+)`))[1];
		assert.equal(section.match(text)?.[1], value, name);
	}
	assert.match(c, new RegExp(`#define SOURCE_PATTERN "${section.match(/matching `([^`]+)`/)[1].replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}"`));
});

test('./bootstrap run installs only what serving needs; the rate is SPANDEX_RATE', () => {
	const text = read('bootstrap');
	const runList = text.slice(text.indexOf('RUN_PACKAGES=('), text.indexOf('TEST_PACKAGES=('));
	for (const tool of ['clang', 'chromium', 'wrk', 'ripgrep', 'libsqlite3-dev', 'apache2', 'nodejs'])
		assert.doesNotMatch(runList.replace(/#.*$/gm, ''), new RegExp(tool), tool);
	assert.match(text, /ensure_packages "\$\{RUN_PACKAGES\[@\]\}" "\$\{TEST_PACKAGES\[@\]\}"/);
	assert.match(text, /genconf -r "\$rundir" .*-R "\$rate"/);
	// With a bucket (docs/bucket.md) it ships every 10 s, as the cron line or systemd would.
	assert.match(text, /if \[ -n "\$\{SPANDEX_S3:-\}" \]; then\n\t\tsrc\/spandex ship "\$data" --every 10 &/);
});

test('docs/scaling.md: the front starts on a fresh directory; its reloads name its configuration', async () => {
	const dir = path.join(tmp, 'front');
	fs.mkdirSync(dir);
	const gen = await run('sh', [path.join(SRCDIR, 'nginx', 'genconf'), '-F', '-r', dir, '-p', '1', '-b', '127.0.0.1:2', '-b', '127.0.0.1:3']);
	assert.equal(gen.code, 0, gen.stderr);
	fs.writeFileSync(path.join(dir, 'nginx.conf'), gen.stdout);
	const t = await run(findTool('nginx'), ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
	assert.equal(t.code, 0, t.stderr);
	const scaling = read('docs/scaling.md');
	const reloads = scaling.split('\n').filter((l) => /nginx .*-s reload/.test(l));
	assert.ok(reloads.length >= 3);
	for (const l of reloads) assert.match(l, / -c \S+nginx\.conf -s reload/, l);
	assert.match(scaling, /-R 0/);
});

test('the nginx include leaves / to its server unless -o; nginx starts without warnings', async () => {
	const gen = (...args) => run('sh', [path.join(SRCDIR, 'nginx', 'genconf'), ...args]);
	const inc = await gen('-l', '-s', '/run/spandex', '-d', '/var/lib/spandex');
	assert.equal(inc.code, 0, inc.stderr);
	assert.doesNotMatch(inc.stdout, /location = \/ \{/);
	assert.match(inc.stdout, /location = \/ui \{/);
	const own = await gen('-l', '-o', '-s', '/run/spandex', '-d', '/var/lib/spandex');
	assert.match(own.stdout, /location = \/ \{/);
	const dir = path.join(tmp, 'standalone');
	const conf = await gen('-r', dir, '-d', path.join(tmp, 'data'));
	assert.equal(conf.code, 0, conf.stderr);
	assert.match(conf.stdout, /location = \/ \{/);
	fs.writeFileSync(path.join(dir, 'nginx.conf'), conf.stdout);
	const t = await run(findTool('nginx'), ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
	assert.equal(t.code, 0, t.stderr);
	assert.doesNotMatch(t.stderr, /\[warn\]/);
});

test('a new program is one line of nginx/programs: both generators route it, the front finds its workspace', async () => {
	const src = path.join(tmp, 'seventh');
	for (const d of ['nginx', 'apache']) fs.cpSync(path.join(SRCDIR, d), path.join(src, d), { recursive: true });
	fs.appendFileSync(path.join(src, 'nginx', 'programs'), 'things\t1\topik\tX-Things-Team\t^/v9/things(/|$) path ^/v9/teams/[^/]+/stuff$\n');
	const ng = await run('sh', [path.join(src, 'nginx', 'genconf'), '-l', '-s', '/run/spandex', '-d', '/var/lib/spandex', '-w', '-']);
	assert.equal(ng.code, 0, ng.stderr);
	assert.match(ng.stdout, /location ~ "\^\/v9\/things\(\/\|\$\)" \{\n\t\tfastcgi_pass unix:\/run\/spandex\/things\.sock;\n\t\terror_page 400 \/\.spandex-error\/opik\/400;/);
	assert.match(ng.stdout, /location ~ "\^\(\/apis\/intake\/v2\/\|.*\|\/v9\/things\(\/\|\$\)\|\/v9\/teams\/\[\^\/\]\+\/stuff\$\)" \{/);
	const fcgi = await run('sh', [path.join(src, 'apache', 'genconf'), '-m', 'fcgi', '-s', '/run/spandex', '-d', '/var/lib/spandex', '-w', '-']);
	assert.equal(fcgi.code, 0, fcgi.stderr);
	assert.match(fcgi.stdout, /^ProxyPassMatch "\^\/v9\/teams\/\[\^\/\]\+\/stuff\$" "unix:\/run\/spandex\/things\.sock\|fcgi:\/\/spandex-things\/"$/m);
	assert.match(fcgi.stdout, /^<Proxy "unix:\/run\/spandex\/things\.sock\|fcgi:\/\/spandex-things\/">$/m);
	assert.match(fcgi.stdout, /^<LocationMatch "\^\(\/v9\/things\(\/\|\$\)\|\/v9\/teams\/\[\^\/\]\+\/stuff\$\)">\n\tErrorDocument 400 "\{\\"code\\":400,/m);
	// The front gives its paths their program's error shape too.
	fs.mkdirSync(path.join(tmp, 'seventh-front'));
	const front = await run('sh', [path.join(src, 'nginx', 'genconf'), '-F', '-r', path.join(tmp, 'seventh-front'), '-b', 'a:1']);
	assert.equal(front.code, 0, front.stderr);
	assert.match(front.stdout, /^\t\t"~\^\/v9\/things\(\/\|\$\)" opik;$/m);
	// And the workspace of its column: its header, and the path's segment after its source.
	assert.match(front.stdout, /^\t\t"~\^\/v9\/things\(\/\|\$\)" \$http_x_things_team;$/m);
	assert.match(front.stdout, /^\t\t"~\^\/v9\/teams\/\(\?<spandex_path_ws>\[\^\/\]\+\)\/stuff\$" \$spandex_path_ws;$/m);
	const cgi = await run('sh', [path.join(src, 'apache', 'genconf'), '-m', 'cgi', '-b', '/usr/libexec/spandex', '-d', '/var/lib/spandex', '-w', '-']);
	assert.match(cgi.stdout, /^ScriptAliasMatch "\^\/v9\/things\(\/\|\$\)" "\/usr\/libexec\/spandex\/things"$/m);
	// A line the generators cannot use is refused, not half used: a path that is not one, a
	// line without its workspace, a path whose workspace is in a path without a segment for
	// it, a source without a path.
	const list = fs.readFileSync(path.join(src, 'nginx', 'programs'), 'utf8');
	for (const [line, why] of [['broken\t1\tdetail\t-\t^/v9/ok v9/no-anchor', /must start with \^\//],
		['broken\t1\tdetail\t^/v9/no-source', /bad line/], ['broken\t1\tdetail\tpath\t^/v9/whole$', /has no \[\^\/\]\+/],
		['broken\t1\tdetail\tX-A\t^/v9/a X-B', /has no path after it/], ['broken\t1\tdetail\tX-A X-B\t^/v9/b', /has no path after it/]]) {
		fs.writeFileSync(path.join(src, 'nginx', 'programs'), `${list}${line}\n`);
		for (const args of [['nginx', '-l', '-s', '/r', '-d', '/d'], ['apache', '-m', 'cgi', '-b', '/b', '-d', '/d'],
			['nginx', '-F', '-r', path.join(tmp, 'seventh-front'), '-b', 'a:1']]) {
			const r = await run('sh', [path.join(src, args[0], 'genconf'), ...args.slice(1)]);
			assert.notEqual(r.code, 0, `${args[0]}: ${line}`);
			assert.match(r.stderr, why, `${args[0]}: ${line}`);
		}
	}
	fs.writeFileSync(path.join(src, 'nginx', 'programs'), list);
});

test('a new prefix is one line of nginx/shapes: nginx, Apache and the front give its unknown paths its 404', async () => {
	const src = path.join(tmp, 'prefixed');
	for (const d of ['nginx', 'apache']) fs.cpSync(path.join(SRCDIR, d), path.join(src, d), { recursive: true });
	const shapes = fs.readFileSync(path.join(src, 'nginx', 'shapes'), 'utf8');
	fs.writeFileSync(path.join(src, 'nginx', 'shapes'), `${shapes}^/v9/\topik\n`);
	const ng = await run('sh', [path.join(src, 'nginx', 'genconf'), '-l', '-s', '/run/spandex', '-d', '/var/lib/spandex', '-w', '-']);
	assert.equal(ng.code, 0, ng.stderr);
	assert.match(ng.stdout, /location ~ "\^\(\/apis\/intake\/v2\/\|.*\|\/v9\/\|/);
	assert.match(ng.stdout, /\tlocation ~ "\^\/v9\/" \{\n\t\terror_page 404 \/\.spandex-error\/opik\/404;\n\t\treturn 404;\n\t\}/);
	const fcgi = await run('sh', [path.join(src, 'apache', 'genconf'), '-m', 'fcgi', '-s', '/run/spandex', '-d', '/var/lib/spandex', '-w', '-']);
	assert.equal(fcgi.code, 0, fcgi.stderr);
	assert.match(fcgi.stdout, /^RedirectMatch 404 "\^\(\?!.*\)\(.*\|\/v9\/\)"$/m);
	assert.match(fcgi.stdout, /^<LocationMatch "\^\(\/v9\/\)">\n(\tErrorDocument .*\n)*\tErrorDocument 404 "\{\\"code\\":404,\\"message\\":\\"Not Found\\"\}"$/m);
	fs.mkdirSync(path.join(tmp, 'prefixed-front'));
	const front = await run('sh', [path.join(src, 'nginx', 'genconf'), '-F', '-r', path.join(tmp, 'prefixed-front'), '-b', 'a:1']);
	assert.equal(front.code, 0, front.stderr);
	assert.match(front.stdout, /^\t\t"~\^\/v9\/" opik;$/m);
	// A prefix line the generators cannot use is refused: a shape that is not a line, a prefix
	// that is not a path, a space in it.
	for (const [line, why] of [['^/v9/\tnosuch', /shape nosuch, which is not a line/], ['^v9/\tdetail', /must start with \^\//],
		['^/v9/ x\tdetail', /bad prefix line/]]) {
		fs.writeFileSync(path.join(src, 'nginx', 'shapes'), `${shapes}${line}\n`);
		for (const args of [['nginx', '-l', '-s', '/r', '-d', '/d'], ['apache', '-m', 'cgi', '-b', '/b', '-d', '/d'],
			['nginx', '-F', '-r', path.join(tmp, 'prefixed-front'), '-b', 'a:1']]) {
			const r = await run('sh', [path.join(src, args[0], 'genconf'), ...args.slice(1)]);
			assert.notEqual(r.code, 0, `${args[0]}: ${line}`);
			assert.match(r.stderr, why, `${args[0]}: ${line}`);
		}
	}
	// The front's list of workspaces is a path of nginx/programs that names none: without it,
	// no front.
	fs.writeFileSync(path.join(src, 'nginx', 'shapes'), shapes);
	const programs_ = fs.readFileSync(path.join(src, 'nginx', 'programs'), 'utf8');
	fs.writeFileSync(path.join(src, 'nginx', 'programs'), programs_.replace(' ^/apis/intake/v2/workspaces$', ''));
	const none = await run('sh', [path.join(src, 'nginx', 'genconf'), '-F', '-r', path.join(tmp, 'prefixed-front'), '-b', 'a:1']);
	assert.notEqual(none.code, 0, none.stdout);
	assert.match(none.stderr, /the list of workspaces \/apis\/intake\/v2\/workspaces is not a path/);
});

// GitHub's anchor of a heading: lower case, punctuation but - and _ dropped, spaces to -.
const slug = (h) => h.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
// The headings of a Markdown page (outside code blocks), as written and as anchors.
function headings(md) {
	const out = [], seen = new Map();
	const text = md.replace(/^```[\s\S]*?^```$/gm, '');
	for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
		const s = slug(m[1]), n = seen.get(s) ?? 0;
		seen.set(s, n + 1);
		out.push({ text: m[1].replace(/`/g, ''), anchor: n ? `${s}-${n}` : s });
	}
	// A paragraph or item that starts in bold is named by it too (no anchor of its own).
	for (const m of text.matchAll(/^(?:- )?\*\*([^*\n]+)\*\*/gm)) out.push({ text: m[1].replace(/`/g, '') });
	return out;
}

// The docs were cut into pages (issue 54): every link between them, and every mention of a
// page's section by name anywhere in the tree (`docs/operations.md, "Backup and restore"`, in
// code, configuration, the man pages and the docs), names a page and a heading that exist.
test('every link and every named section of the docs leads to a page and a heading that exist', () => {
	// The source tree's files (a release tarball has no git to ask).
	const walk = (dir) => fs.readdirSync(path.join(SRCDIR, dir), { withFileTypes: true }).flatMap((e) => {
		const rel = dir ? `${dir}/${e.name}` : e.name;
		if (e.isDirectory()) return /^(\.|node_modules$|golden$|fuzz-build$|ui-screenshots$|autom4te)/.test(e.name) ? [] : walk(rel);
		return e.isFile() ? [rel] : [];
	});
	const tracked = walk('');
	const pages = ['README.md', ...fs.readdirSync(path.join(SRCDIR, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
		...fs.readdirSync(SRCDIR).filter((f) => /^BENCHMARKS.*\.md$/.test(f))];
	const heads = new Map(pages.map((p) => [p, headings(read(p))]));
	const bad = [];
	// The history of benchmarks is a dated log, kept as it was written.
	for (const page of pages.filter((p) => p !== 'BENCHMARKS-HISTORY.md')) {
		const text = read(page).replace(/^```[\s\S]*?^```$/gm, '');
		for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
			const [file, anchor] = m[1].split('#');
			if (/^[a-z]+:/.test(file)) continue;
			const target = file ? path.normalize(path.join(path.dirname(page), file)) : page;
			if (!fs.existsSync(path.join(SRCDIR, target))) bad.push(`${page}: ${m[1]}: no file ${target}`);
			else if (anchor !== undefined && !(heads.get(target) ?? []).some((h) => h.anchor === anchor))
				bad.push(`${page}: ${m[1]}: no heading #${anchor} in ${target}`);
		}
	}
	// A section named beside its page: `docs/x.md, "Name"`, `README "Name"`, `BENCHMARKS "Name"`.
	const names = /\b(README|BENCHMARKS(?:-HISTORY)?|(?:docs\/)?(?:ARCHITECTURE|FORMAT|operations|scaling|configuration|limits|deploying|attributes|judgements|viewer|development|api-[a-z]+|benchmarks-history))(?:\.md)?(?:'s)?,? "([^"\n]+)"/g;
	const files = tracked.filter((f) => /\.(c|h|md|mjs|js|sh|am|ac|in|[18])$|^(bootstrap|nginx\/genconf|apache\/genconf|nginx\/programs)$/.test(f)
		&& !/^(t\/integration\/docs\.test\.mjs|Makefile\.in|BENCHMARKS-HISTORY\.md)$/.test(f));
	for (const f of files) {
		const text = read(f);
		for (const m of text.matchAll(names)) {
			let page = m[1] === 'README' ? 'README.md' : /^BENCHMARKS/.test(m[1]) ? `${m[1]}.md` : `${m[1].replace(/^docs\//, '')}`;
			if (!page.endsWith('.md')) page = `docs/${page}.md`;
			if (!heads.has(page)) {
				bad.push(`${f}: ${m[0]}: no page ${page}`);
				continue;
			}
			const name = m[2].replace(/[\\`]/g, '');
			if (!heads.get(page).some((h) => h.text.startsWith(name)))
				bad.push(`${f}: ${m[0]}: no section "${name}" in ${page}`);
		}
	}
	assert.deepEqual(bad, []);
});

// Issue 54: the README is a README and the architecture stays short; the rest has its page.
test('README.md is at most 250 lines, docs/ARCHITECTURE.md under 300', () => {
	const lines = (f) => read(f).split('\n').length - 1;
	assert.ok(lines('README.md') <= 250, `README.md: ${lines('README.md')} lines`);
	assert.ok(lines('docs/ARCHITECTURE.md') < 300, `docs/ARCHITECTURE.md: ${lines('docs/ARCHITECTURE.md')} lines`);
});

// Issue 54: `genconf --help` ended in "Illegal option --" and exit 2; -h too.
test('nginx/genconf and apache/genconf: -h and --help print the usage on stdout and exit 0', async () => {
	for (const g of ['nginx', 'apache']) {
		for (const arg of ['-h', '--help']) {
			const r = await run('sh', [path.join(SRCDIR, g, 'genconf'), arg]);
			assert.equal(r.code, 0, `${g}/genconf ${arg}: ${r.stderr}`);
			assert.match(r.stdout, new RegExp(`^usage: ${g}/genconf `), `${g}/genconf ${arg}`);
			assert.equal(r.stderr, '', `${g}/genconf ${arg}`);
		}
		const bad = await run('sh', [path.join(SRCDIR, g, 'genconf'), '-Q']);
		assert.equal(bad.code, 2, `${g}/genconf -Q`);
		assert.match(bad.stderr, new RegExp(`usage: ${g}/genconf `));
	}
});

// Issue 54: man spandex's synopsis was justified, its options spread apart on each line.
test('the man pages set their synopsis ragged right, unhyphenated, and adjust again after it', () => {
	for (const f of ['man/spandex.1', 'man/spandex-fcgi.8']) {
		const man = read(f);
		const synopsis = man.slice(man.indexOf('.SH SYNOPSIS'), man.indexOf('.SH DESCRIPTION'));
		assert.match(synopsis, /^\.SH SYNOPSIS\n(\.\\".*\n)?\.nh\n\.ad l\n/, f);
		assert.match(synopsis, /\n\.ad b\n\.hy\n$/, f);
	}
});
