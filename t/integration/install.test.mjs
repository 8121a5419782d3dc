// `make install` for existing hosting (docs/operations.md): what it installs, that the nginx
// include is the text the standalone configuration embeds, that nginx and Apache accept the
// installed configurations, that the systemd units are sound, and that uninstall removes it all
// but the settings an operator edited.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SRCDIR, BUILDDIR, findTool, run, programs, makeBuilt } from '../harness.mjs';

let tmp;
before(() => {
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-install-'));
});
after(() => {
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

// make in the build tree, which it never builds (makeBuilt, t/harness.mjs).
const make = (...args) => makeBuilt(args);

function files(dir) {
	const out = [];
	const walk = (d) => {
		for (const e of fs.readdirSync(d, { withFileTypes: true })) {
			const p = path.join(d, e.name);
			if (e.isDirectory()) walk(p);
			else out.push(path.relative(dir, p));
		}
	};
	if (fs.existsSync(dir)) walk(dir);
	return out.sort();
}

// nginx -t on an ordinary server block that includes the http-level file and the locations
// file (either may be null), or on a whole configuration (main: its path).
async function nginxAccepts(label, httpConf, locations, main = null) {
	const ngdir = path.join(tmp, `nginx-${label}`);
	fs.mkdirSync(path.join(ngdir, 'logs'), { recursive: true });
	// The include names fastcgi_params relative to nginx's configuration directory.
	fs.writeFileSync(path.join(ngdir, 'fastcgi_params'), 'fastcgi_param REQUEST_URI $request_uri;\n');
	fs.writeFileSync(path.join(ngdir, 'nginx.conf'), `pid ${ngdir}/nginx.pid;
error_log ${ngdir}/error.log;
events {}
http {
	access_log off;
	client_body_temp_path ${ngdir}/tmp;
	${httpConf ? `include ${httpConf};` : ''}
	server {
		listen 127.0.0.1:1;
		root ${ngdir}/www;
		${locations ? `include ${locations};` : ''}
	}
}
`);
	const conf = main ?? path.join(ngdir, 'nginx.conf');
	const ng = await run(findTool('nginx'), ['-t', '-p', ngdir, '-c', conf, '-e', path.join(ngdir, 'error.log')]);
	assert.equal(ng.code, 0, `nginx -t ${label}:\n${ng.stderr}`);
}

const APACHE_MODS = { 'spandex-fcgi.conf': ['proxy', 'proxy_fcgi'], 'spandex-cgi.conf': ['cgi'] };

// apache2 -t on a minimal server that includes file (name: which of the two configurations).
async function apacheAccepts(name, file) {
	const apdir = path.join(tmp, `apache-${path.basename(file)}-${name}`);
	fs.mkdirSync(apdir, { recursive: true });
	fs.writeFileSync(path.join(apdir, 'apache2.conf'), [
		`ServerRoot "${apdir}"`, `DefaultRuntimeDir "${apdir}"`, `ErrorLog "${apdir}/error.log"`,
		...['mpm_prefork', 'authz_core', 'alias', 'env', ...APACHE_MODS[name]].map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
		'Listen 127.0.0.1:1', 'ServerName localhost', `Include "${file}"`, '',
	].join('\n'));
	const ap = await run(findTool('apache2'), ['-t', '-f', path.join(apdir, 'apache2.conf')]);
	assert.equal(ap.code, 0, `apache2 -t ${name}:\n${ap.stderr}`);
}

test('make install honours prefix and DESTDIR; make uninstall removes everything', async () => {
	const dest = path.join(tmp, 'stage');
	const vars = ['prefix=/usr', 'sysconfdir=/etc', 'localstatedir=/var'];
	const r = await make('install', `DESTDIR=${dest}`, ...vars);
	assert.equal(r.code, 0, r.stderr);
	const got = files(dest);
	const want = ['usr/bin/spandex', 'usr/share/man/man1/spandex.1', 'usr/share/man/man8/spandex-fcgi.8',
		'etc/spandex/nginx/spandex-locations.conf', 'etc/spandex/apache/spandex-fcgi.conf',
		'etc/spandex/apache/spandex-cgi.conf', 'etc/spandex/spandex.env'];
	for (const p of programs()) {
		want.push(`usr/libexec/spandex/${p.name}`, `usr/lib/systemd/system/spandex-${p.name}.socket`,
			`usr/lib/systemd/system/spandex-${p.name}.service`);
	}
	// The trace viewer: every file of ui/ (Makefile.am lists them one by one).
	const ui = files(path.join(SRCDIR, 'ui'));
	assert.ok(ui.includes('index.html') && ui.includes('js/app.js'));
	for (const f of ui) want.push(`usr/share/spandex/ui/${f}`);
	// The redaction rules (issue 52): the operator's file, every rule off, and the examples.
	want.push('etc/spandex/redact.rules');
	for (const f of files(path.join(SRCDIR, 'redact', 'examples'))) want.push(`usr/share/spandex/redact/${f}`);
	for (const f of want) assert.ok(got.includes(f), `${f} installed (got ${got.join(', ')})`);
	assert.ok(fs.readFileSync(path.join(dest, 'etc/spandex/redact.rules')).equals(fs.readFileSync(path.join(SRCDIR, 'redact/redact.rules'))));
	for (const f of ui) {
		assert.ok(fs.readFileSync(path.join(dest, 'usr/share/spandex/ui', f)).equals(fs.readFileSync(path.join(SRCDIR, 'ui', f))), f);
	}
	// The docs (issue 54): README.md and every page of docs/, where the man pages and messages
	// name them, their paths kept so the links between them hold (Makefile.am lists them).
	const docs = ['README.md', 'BENCHMARKS.md', 'BENCHMARKS-HISTORY.md', ...files(path.join(SRCDIR, 'docs')).map((f) => `docs/${f}`)];
	for (const f of docs) {
		const p = path.join(dest, 'usr/share/doc/spandex', f);
		assert.ok(fs.existsSync(p) && fs.readFileSync(p).equals(fs.readFileSync(path.join(SRCDIR, f))), `${f} installed in usr/share/doc/spandex`);
	}
	// The installed operations page names installed paths, not the source tree's.
	const ops = fs.readFileSync(path.join(dest, 'usr/share/doc/spandex/docs/operations.md'), 'utf8');
	assert.doesNotMatch(ops, /(?<![\w/.-])(nginx\/programs|nginx\/genconf|apache\/genconf|analytics\/|src\/spandex|cgi-bin\/)/);
	// The configuration names the final paths, not the staging directory.
	const snippet = fs.readFileSync(path.join(dest, 'etc/spandex/nginx/spandex-locations.conf'), 'utf8');
	assert.match(snippet, /fastcgi_pass unix:\/run\/spandex\/ingest\.sock;/);
	assert.match(snippet, /fastcgi_param SPANDEX_DATA "\/var\/lib\/spandex";/);
	assert.doesNotMatch(snippet, new RegExp(dest));
	// The include serves the installed viewer, and so do both Apache configurations.
	assert.match(snippet, /alias \/usr\/share\/spandex\/ui\/;/);
	for (const name of ['spandex-fcgi.conf', 'spandex-cgi.conf']) {
		assert.match(fs.readFileSync(path.join(dest, 'etc/spandex/apache', name), 'utf8'), /^AliasMatch "\^\/ui\/\(\.\+\)\$" "\/usr\/share\/spandex\/ui\/\$1"$/m, name);
	}

	// The include is exactly the locations the standalone configuration of ./bootstrap run holds.
	const standalone = await run('sh', [path.join(SRCDIR, 'nginx', 'genconf'), '-r', '/run/x', '-s', '/run/spandex',
		'-d', '/var/lib/spandex', '-f', 'fastcgi_params', '-w', '/usr/share/spandex/ui']);
	assert.equal(standalone.code, 0, standalone.stderr);
	const body = snippet.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
	const inStandalone = standalone.stdout.split('\n').map((l) => l.trim());
	for (const line of body) assert.ok(inStandalone.includes(line.trim()), `standalone has: ${line}`);

	const un = await make('uninstall', `DESTDIR=${dest}`, ...vars);
	assert.equal(un.code, 0, un.stderr);
	assert.deepEqual(files(dest), [], 'nothing left after uninstall');

	// Issue 31: uninstall removed the settings and the price table that install keeps for the
	// operator to edit. An edited one stays, and uninstall says so; an untouched one goes.
	assert.equal((await make('install', `DESTDIR=${dest}`, ...vars)).code, 0);
	const env = path.join(dest, 'etc/spandex/spandex.env');
	// Each setting, uncommented, is the setting alone: a description on its line became
	// part of the value (SPANDEX_TOKEN= "a global admin key ...").
	const settings = fs.readFileSync(env, 'utf8').split('\n').filter((l) => /^# SPANDEX_[A-Z_]+=/.test(l));
	assert.ok(settings.length >= 6, settings.join('\n'));
	for (const l of settings) assert.match(l, /^# SPANDEX_[A-Z_]+=\S*$/, l);
	fs.appendFileSync(env, 'SPANDEX_TOKEN=edited\n');
	const edited = fs.readFileSync(env);
	const again = await make('uninstall', `DESTDIR=${dest}`, ...vars);
	assert.equal(again.code, 0, again.stderr);
	assert.match(again.stdout, /kept .*etc\/spandex\/spandex\.env: edited since it was installed/);
	assert.deepEqual(files(dest), ['etc/spandex/spandex.env'], 'only the edited file is left');
	assert.ok(fs.readFileSync(env).equals(edited));
	// The same for the price table: an edited one stays, the untouched settings go.
	fs.rmSync(env);
	assert.equal((await make('install', `DESTDIR=${dest}`, ...vars)).code, 0);
	const prices = path.join(dest, 'etc/spandex/prices.tsv');
	fs.appendFileSync(prices, 'my-model\t1\t2\t0.5\n');
	const mine = fs.readFileSync(prices);
	const third = await make('uninstall', `DESTDIR=${dest}`, ...vars);
	assert.equal(third.code, 0, third.stderr);
	assert.match(third.stdout, /kept .*etc\/spandex\/prices\.tsv: edited since it was installed/);
	assert.doesNotMatch(third.stdout, /spandex\.env/);
	assert.deepEqual(files(dest), ['etc/spandex/prices.tsv'], 'only the edited price table is left');
	assert.ok(fs.readFileSync(prices).equals(mine));
	// And the redaction rules: an edited file is the operator's, and stays.
	fs.rmSync(prices);
	assert.equal((await make('install', `DESTDIR=${dest}`, ...vars)).code, 0);
	const rules = path.join(dest, 'etc/spandex/redact.rules');
	fs.appendFileSync(rules, 'email\n');
	const fourth = await make('uninstall', `DESTDIR=${dest}`, ...vars);
	assert.equal(fourth.code, 0, fourth.stderr);
	assert.match(fourth.stdout, /kept .*etc\/spandex\/redact\.rules: edited since it was installed/);
	assert.deepEqual(files(dest), ['etc/spandex/redact.rules'], 'only the edited rules are left');
});

let prefix; // the installed tree of the next test, for the one after it
test('nginx and Apache accept the installed configurations; the systemd units are sound', async () => {
	prefix = path.join(tmp, 'root');
	const r = await make('install', `prefix=${prefix}/usr`, `sysconfdir=${prefix}/etc`,
		`localstatedir=${prefix}/var`, `spandexsockdir=${prefix}/run/spandex`);
	assert.equal(r.code, 0, r.stderr);
	const conf = path.join(prefix, 'etc', 'spandex');

	// nginx: the include inside an ordinary server block.
	await nginxAccepts('include', `${conf}/nginx/spandex-http.conf`, `${conf}/nginx/spandex-locations.conf`);

	// Apache: each installed configuration in a minimal server.
	for (const name of ['spandex-fcgi.conf', 'spandex-cgi.conf']) await apacheAccepts(name, `${conf}/apache/${name}`);

	// systemd: the listening socket on fd 0 (libfcgi), the service as its own user.
	const unitdir = path.join(prefix, 'usr/lib/systemd/system');
	for (const p of programs()) {
		const svc = fs.readFileSync(path.join(unitdir, `spandex-${p.name}.service`), 'utf8');
		assert.match(svc, new RegExp(`^ExecStart=${prefix}/usr/libexec/spandex/${p.name}$`, 'm'));
		// never serving the empty mount point beneath a data directory not mounted yet
		for (const line of ['StandardInput=socket', 'StandardOutput=journal', 'User=spandex',
			`RequiresMountsFor=${prefix}/var/lib/spandex`,
			`Environment=SPANDEX_DATA=${prefix}/var/lib/spandex SPANDEX_WORKERS=${p.workers}`]) {
			assert.ok(svc.split('\n').includes(line), `${p.name}.service: ${line}`);
		}
		const sock = fs.readFileSync(path.join(unitdir, `spandex-${p.name}.socket`), 'utf8');
		assert.ok(sock.split('\n').includes(`ListenStream=${prefix}/run/spandex/${p.name}.sock`));
	}
	let analyze = null;
	try {
		analyze = findTool('systemd-analyze');
	} catch {
		// a container without systemd: the unit text checks above stand alone
	}
	if (analyze) {
		for (const f of fs.readdirSync(unitdir)) {
			const v = await run(analyze, ['verify', '--man=no', path.join(unitdir, f)],
				{ env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitdir}:` } });
			assert.equal(v.code, 0, `systemd-analyze verify ${f}:\n${v.stderr}`);
			assert.equal(v.stderr.trim(), '', `systemd-analyze verify ${f} is silent`);
		}
	}
});

// docs/deploying.md step 4 and docs/operations.md run the installed generators for other paths: they must
// find every template beside them (the viewer's too) and write what nginx and Apache accept.
test('the installed genconf scripts write accepted configurations with the documented options', async () => {
	assert.ok(prefix, 'the previous test installed a tree');
	const share = path.join(prefix, 'usr/share/spandex');
	const ui = path.join(share, 'ui');
	const out = path.join(tmp, 'generated');
	fs.mkdirSync(out, { recursive: true });
	const gen = async (file, script, args) => {
		const r = await run('sh', [path.join(share, script), ...args]);
		assert.equal(r.code, 0, `${script} ${args.join(' ')}:\n${r.stderr}`);
		assert.equal(r.stderr, '', `${script} is silent`);
		fs.writeFileSync(path.join(out, file), r.stdout);
		return r.stdout;
	};

	// nginx: the include (docs/deploying.md step 4, operations.md), its http-level line, a standalone
	// configuration and a front (docs/scaling.md).
	const loc = await gen('locations.conf', 'nginx/genconf', ['-l', '-s', '/run/spandex', '-d', '/srv/spandex', '-f', 'fastcgi_params', '-w', ui]);
	assert.match(loc, /fastcgi_pass unix:\/run\/spandex\/opik\.sock;/);
	assert.match(loc, /fastcgi_param SPANDEX_DATA "\/srv\/spandex";/);
	assert.ok(loc.includes(`alias ${ui}/;`), 'the include serves the installed viewer');
	// Without -w the installed script serves the installed viewer, which sits beside it.
	const dflt = await gen('locations-default.conf', 'nginx/genconf', ['-l', '-s', '/run/spandex', '-d', '/srv/spandex']);
	assert.ok(dflt.includes(`alias ${ui}/;`), 'the default viewer is the installed one');
	assert.doesNotMatch(await gen('locations-noui.conf', 'nginx/genconf', ['-l', '-s', '/run/spandex', '-d', '/srv/spandex', '-w', '-']), /alias/);
	await gen('http.conf', 'nginx/genconf', ['-z']);
	await nginxAccepts('generated-include', path.join(out, 'http.conf'), path.join(out, 'locations.conf'));
	await nginxAccepts('generated-noui', path.join(out, 'http.conf'), path.join(out, 'locations-noui.conf'));
	const run_ = path.join(tmp, 'standalone-run');
	fs.mkdirSync(path.join(run_, 'tmp'), { recursive: true });
	await gen('standalone.conf', 'nginx/genconf', ['-r', run_, '-d', '/srv/spandex', '-p', '8080']);
	await nginxAccepts('generated-standalone', null, null, path.join(out, 'standalone.conf'));
	const frontRun = path.join(tmp, 'front-run');
	fs.mkdirSync(path.join(frontRun, 'tmp'), { recursive: true });
	const front = await gen('front.conf', 'nginx/genconf', ['-F', '-r', frontRun, '-p', '8080', '-b', '127.0.0.1:8081', '-b', '127.0.0.1:8082']);
	assert.match(front, /hash \$spandex_ws consistent;/);
	await nginxAccepts('generated-front', null, null, path.join(out, 'front.conf'));

	// Apache: both modes as docs/operations.md writes them.
	const fcgi = await gen('spandex-fcgi.conf', 'apache/genconf', ['-m', 'fcgi', '-s', '/run/spandex', '-d', '/srv/spandex', '-w', ui]);
	const cgi = await gen('spandex-cgi.conf', 'apache/genconf', ['-m', 'cgi', '-b', '/usr/libexec/spandex', '-d', '/srv/spandex', '-w', ui]);
	for (const text of [fcgi, cgi]) assert.ok(text.includes(`"${ui}/$1"`), 'Apache serves the installed viewer');
	for (const name of ['spandex-fcgi.conf', 'spandex-cgi.conf']) await apacheAccepts(name, path.join(out, name));
});
