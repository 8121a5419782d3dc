// Backup and restore (docs/operations.md), run while a writer keeps ingesting through nginx:
// restores that verify and hold every acknowledged span, killed backups and restores, the API
// keys, and DATA's owner when run as root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
	startServer, getSpan, makeSpan, spandexCli, spandexOk, clockEnv, dayTime, childPids, startWriter, linesById, runCgi, run, waitFor, BUILDDIR, WS_PREFIX,
} from '../harness.mjs';
import { srv, tmp, cli, get, ingestOk } from './ops_setup.mjs';

test('backup under load restores to a store that verifies and holds every acknowledged span', async () => {
	const ws = 'ops-backup';
	// Old days the writer never appends to: the second backup links them.
	for (const back of [7, 6]) {
		await ingestOk(ws, Array.from({ length: 20 }, (_, i) =>
			makeSpan(`${ws}-old${back}-${i}`, { started_at: dayTime(i, back), input: 'x'.repeat(300) })));
	}
	const dest = path.join(tmp, 'backups');
	const w = startWriter(ws, { base: srv.base });
	await w.until(100);
	const ackedBefore = new Set(w.acked);
	await cli('backup', srv.dataDir, dest);
	await w.until(w.acked.size + 50);
	// A new version of an old-day span changes that day's flags but not its data.
	await ingestOk(ws, [makeSpan(`${ws}-old7-3`, { started_at: dayTime(0, 1), name: 'moved' })]);
	const ackedBefore2 = new Set(w.acked);
	await cli('backup', srv.dataDir, dest);
	await w.stop();

	const gens = fs.readdirSync(dest).sort();
	assert.equal(gens.length, 2, `two generations: ${gens}`);
	const [g1, g2] = gens.map((g) => path.join(dest, g));
	for (const g of [g1, g2]) assert.ok(fs.existsSync(path.join(g, 'MANIFEST')));
	const d6 = `${dayTime(0, 6).slice(0, 10)}.jsonl`;
	const d7 = `${dayTime(0, 7).slice(0, 10)}.jsonl`;
	assert.equal(fs.statSync(path.join(g2, ws, d6)).ino, fs.statSync(path.join(g1, ws, d6)).ino,
		'an unchanged day is a hard link to the previous generation');
	assert.equal(fs.statSync(path.join(g2, ws, d7)).ino, fs.statSync(path.join(g1, ws, d7)).ino,
		'a day whose flags changed still links its data');
	assert.match(fs.readFileSync(path.join(g2, 'MANIFEST'), 'utf8'), new RegExp(`${ws} \\S+ 20 \\d+ linked`));

	for (const [gen, acked] of [[g1, ackedBefore], [g2, ackedBefore2]]) {
		const data = path.join(tmp, `restored-${path.basename(gen)}`);
		await cli('restore', gen, data);
		await cli('verify', data);
		const live = linesById((await cli('export', data, '--workspace', ws)).stdout);
		for (const id of acked) assert.ok(live.has(id), `${id} acknowledged before the backup is in it`);
		for (let i = 0; i < 20; i++) assert.ok(live.has(`${ws}-old6-${i}`));
	}
	// The newest generation is the default; a non-empty DATA needs --force.
	const data = path.join(tmp, 'restored-latest');
	await cli('restore', dest, data);
	const refused = await spandexCli(['restore', dest, data]);
	assert.equal(refused.code, 1);
	assert.match(refused.stderr, /not empty/);
	await cli('restore', dest, data, '--force');

	// Served from the restored directory, the API answers as before.
	const back = await startServer({ workers: 1, dataDir: data });
	try {
		const r = await back.request('GET', `/apis/intake/v2/workspaces/${ws}/spans/${ws}-old7-3`);
		assert.equal(r.status, 200);
		assert.equal(r.json.name, 'moved');
		const first = [...ackedBefore][0];
		assert.equal((await back.request('GET', `/apis/intake/v2/workspaces/${ws}/spans/${first}`)).status, 200);
	} finally {
		await back.stop();
	}
});

// Issue 30 item 4: `restore --force` over a directory the programs were writing to lost writes
// they acknowledged during the restore, and said "restored and verified". Each program holds
// DATA's serve lock shared while it lives; restore takes it exclusively or refuses, naming them.
test('restore refuses to run under the programs serving DATA, and loses no acknowledged write', async () => {
	const own = await startServer({ workers: { ingest: 2, spans: 1, traces: 1, sessions: 1 }, env: { SPANDEX_SYNC: '0' },
		dataDir: path.join(tmp, 'live-data') });
	const ws = 'ops-live';
	const dest = path.join(tmp, 'live-backups');
	try {
		const w = startWriter(ws, { base: own.base });
		await w.until(40);
		await cli('backup', own.dataDir, dest);
		// A serve lock removed as a "stale lock" is made again by the programs at their next
		// request (they held the removed file, which a restore no longer sees: the fault
		// probe's restore then went ahead and lost what they acknowledged).
		fs.rmSync(path.join(own.dataDir, '.spandex-serve.lock'));
		await w.until(w.acked.size + 20);
		const before = w.acked.size;
		const r = await spandexCli(['restore', dest, own.dataDir, '--force', '--verbose']);
		await w.until(w.acked.size + 40);
		await w.stop();
		assert.equal(r.code, 1, r.stdout + r.stderr);
		// The holders come in the kernel's lock-table order: ingest among them, not first.
		assert.match(r.stderr, /is served by running programs \(.*pid \d+ \(ingest\)/, r.stderr);
		assert.match(r.stderr, /stop them first/);
		assert.doesNotMatch(r.stdout, /restored/);
		assert.ok(w.acked.size > before + 40);
		for (const id of w.acked) assert.equal((await getSpan(ws, id, { base: own.base })).status, 200, id);
		for (const [id, name] of w.latest) assert.equal((await getSpan(ws, id, { base: own.base })).json.name, name, id);
	} finally {
		await own.stop();
	}
	// Stopped, the programs hold nothing: the same restore runs.
	const ok = await spandexCli(['restore', dest, own.dataDir, '--force', '--verbose']);
	assert.equal(ok.code, 0, ok.stderr);
	assert.match(ok.stdout, /restored into .* and verified/);
	fs.rmSync(own.dataDir, { recursive: true, force: true });

	// While a restore holds DATA, a program answers 503 in its API's shape and stores nothing.
	const data = fs.mkdtempSync(path.join(tmp, 'restoring-'));
	const lock = path.join(data, '.spandex-serve.lock');
	fs.closeSync(fs.openSync(lock, 'a'));
	const holder = spawn('flock', ['-x', '-o', lock, 'sleep', 'infinity'], { stdio: 'ignore' });
	try {
		await waitFor('flock to hold the serve lock', () => new Promise((resolve) => {
			spawn('flock', ['-n', '-s', lock, 'true']).on('exit', (code) => resolve(code !== 0));
		}));
		const { done } = runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
			body: { source: 'itest', spans: [makeSpan('during-restore', { started_at: dayTime() })] } });
		const res = await done;
		assert.equal(res.status, 503, res.body);
		assert.deepEqual(JSON.parse(res.body), { detail: 'The data directory is being restored; retry later' });
		assert.ok(!fs.existsSync(path.join(data, ws)), 'nothing stored');
	} finally {
		for (const pid of childPids(holder.pid)) process.kill(pid, 'SIGTERM');
		holder.kill('SIGKILL');
	}
});

// Starts a backup of data into dest and kills it once its generation is being written;
// resolves to the .tmp-* it left.
async function killedBackup(data, dest) {
	for (let attempt = 0; attempt < 5; attempt++) {
		const before = new Set(fs.existsSync(dest) ? fs.readdirSync(dest) : []);
		const child = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['backup', data, dest], { stdio: 'ignore' });
		const exited = new Promise((resolve) => child.on('exit', resolve));
		let left;
		while (child.exitCode === null) {
			left = fs.existsSync(dest) && fs.readdirSync(dest).find((f) => f.startsWith('.tmp-') && !before.has(f));
			if (left && fs.readdirSync(path.join(dest, left)).length) {
				child.kill('SIGKILL');
				break;
			}
			await new Promise((r) => setImmediate(r));
		}
		await exited;
		if (left && fs.existsSync(path.join(dest, left))) return left;
		// It finished first (or renamed its generation just before the kill): remove what it
		// made and try again.
		for (const f of fs.readdirSync(dest)) if (!before.has(f)) fs.rmSync(path.join(dest, f), { recursive: true });
	}
	throw new Error('every backup finished before it could be killed');
}

// Issue 30 item 5: a killed backup leaves DEST/.tmp-<name>. Restore refuses it by name and
// passes over it in DEST; the next backup removes it.
test('a killed backup leaves a .tmp-* that restore refuses clearly and the next backup removes', async () => {
	const ws = 'ops-killed';
	for (let back = 1; back <= 120; back++)
		await ingestOk(ws, [makeSpan(`${ws}-${back}`, { started_at: dayTime(0, back), input: 'y'.repeat(2000) })]);
	const dest = path.join(tmp, 'killed-backups');
	const left = await killedBackup(srv.dataDir, dest);
	let r = await spandexCli(['restore', dest, path.join(tmp, 'from-killed')]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /no complete backup generation .*\.tmp-\* are unfinished ones a killed or failed backup left, which restore refuses and the next backup removes/);
	r = await spandexCli(['restore', path.join(dest, left), path.join(tmp, 'from-killed')]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /is an unfinished generation: a backup was killed or failed while writing it.*restore refuses it/);
	assert.ok(!fs.existsSync(path.join(tmp, 'from-killed', ws)), 'nothing restored');

	await cli('backup', srv.dataDir, dest);
	const gens = fs.readdirSync(dest);
	assert.equal(gens.filter((g) => g.startsWith('.tmp-')).length, 0, `removed by the next run: ${gens}`);
	assert.equal(gens.length, 1);
	// A second killed run beside a complete generation: restore takes the complete one and says
	// what it passed over.
	await killedBackup(srv.dataDir, dest);
	r = await spandexCli(['restore', dest, path.join(tmp, 'from-killed'), '--verbose']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stderr, /1 unfinished generation \(\.tmp-\*\) in .* passed over: left by a backup that was killed or failed; the next backup removes it/);
	const live = linesById((await cli('export', path.join(tmp, 'from-killed'), '--workspace', ws)).stdout);
	assert.equal(live.size, 120);
});

// Issue 30 item 7: backups left the keys out, so a restore onto a fresh directory brought the
// data back with authentication off.
test('backup carries the API keys (mode 0600) and restore brings them back, keeping a directory\'s own', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'keyed-'));
	const made = await spandexCli(['key', 'create', data, '--workspace', 'ops-keyed', '--role', 'write']);
	assert.equal(made.code, 0, made.stderr);
	const key = made.stdout.trim();
	const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-keyed/ingest/spans`, dataDir: data,
		env: { HTTP_AUTHORIZATION: `Bearer ${key}` },
		body: { source: 'itest', spans: [makeSpan('keyed-1', { started_at: dayTime() })] } }).done;
	assert.equal(w.status, 201, w.body);
	const dest = path.join(tmp, 'keyed-backups');
	const b = await cli('backup', data, dest, '--verbose');
	assert.match(b.stdout, /and the API keys/);
	const [gen] = fs.readdirSync(dest);
	const keys = fs.readFileSync(path.join(data, '.spandex-keys'));
	const copy = path.join(dest, gen, '.spandex-keys');
	assert.ok(fs.readFileSync(copy).equals(keys));
	assert.equal(fs.statSync(copy).mode & 0o777, 0o600);
	assert.match(fs.readFileSync(path.join(dest, gen, 'MANIFEST'), 'utf8'), new RegExp(`^# file \\.spandex-keys ${keys.length}$`, 'm'));

	const fresh = path.join(tmp, 'keyed-restored');
	const r = await cli('restore', dest, fresh, '--verbose');
	assert.match(r.stdout, /1 workspace and the API keys restored/);
	// Said plainly, as `key create` does, with or without --verbose (issue 30).
	assert.match(r.stderr, /the backup's API keys \(\.spandex-keys\) restored: authentication is now on for every workspace of .*keyed-restored: a request without a valid key gets 401/);
	const quiet = await cli('restore', dest, path.join(tmp, 'keyed-quiet'));
	assert.match(quiet.stderr, /authentication is now on for every workspace/);
	assert.ok(fs.readFileSync(path.join(fresh, '.spandex-keys')).equals(keys));
	assert.equal(fs.statSync(path.join(fresh, '.spandex-keys')).mode & 0o777, 0o600);
	const get = (dir, k) => runCgi('spans', { path: `${WS_PREFIX}/ops-keyed/spans/keyed-1`, dataDir: dir,
		env: k ? { HTTP_AUTHORIZATION: `Bearer ${k}` } : {} }).done;
	assert.equal((await get(fresh, null)).status, 401, 'authentication on after the restore');
	assert.equal((await get(fresh, key)).status, 200);

	// A directory with keys of its own keeps them (a key revoked since the backup stays
	// revoked), and says where the backup's are.
	const other = await spandexCli(['key', 'create', fresh, '--workspace', 'ops-keyed', '--role', 'read']);
	const id = made.stderr.match(/key (k[0-9a-f]+) /)[1];
	assert.equal((await spandexCli(['key', 'revoke', fresh, id])).code, 0);
	const again = await spandexCli(['restore', dest, fresh, '--force']);
	assert.equal(again.code, 0, again.stderr);
	assert.match(again.stderr, /keeps its own API keys \(\.spandex-keys\); the backup's are in .*\.spandex-keys/);
	assert.equal((await get(fresh, key)).status, 401, 'the revoked key stays revoked');
	assert.equal((await get(fresh, other.stdout.trim())).status, 200);

	// A generation whose key file was cut short is refused before anything is copied.
	fs.writeFileSync(copy, keys.subarray(0, 10));
	const cut = await spandexCli(['restore', dest, path.join(tmp, 'keyed-cut')]);
	assert.equal(cut.code, 1);
	assert.match(cut.stderr, /\.spandex-keys: missing, or not the size the MANIFEST records/);
});

// Issue 55, item 9: a restore of an older generation into a fresh directory brought back keys
// revoked after it was taken, without a word. It lists them (the keys a newer generation beside
// it no longer holds) and, with --keep-revoked, keeps them revoked; restoring the newest, it
// lists every key that came back, since any may have been revoked since.
test('restore lists the keys revoked after its generation was taken; --keep-revoked keeps them revoked', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'revoked-'));
	const make = async (role) => {
		const r = await spandexCli(['key', 'create', data, '--workspace', 'ops-rev', '--role', role, '--name', `the ${role} key`]);
		assert.equal(r.code, 0, r.stderr);
		return { key: r.stdout.trim(), id: r.stderr.match(/key (k[0-9a-f]+) /)[1] };
	};
	const [leaked, kept] = [await make('write'), await make('read')];
	const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-rev/ingest/spans`, dataDir: data,
		env: { HTTP_AUTHORIZATION: `Bearer ${leaked.key}` },
		body: { source: 'itest', spans: [makeSpan('rev-1', { started_at: dayTime() })] } }).done;
	assert.equal(w.status, 201, w.body);
	const dest = path.join(tmp, 'revoked-backups');
	await cli('backup', data, dest);
	// The leaked key is revoked after the first backup; the next night's backup has it no more.
	assert.equal((await spandexCli(['key', 'revoke', data, leaked.id])).code, 0);
	await cli('backup', data, dest);
	const gens = fs.readdirSync(dest).sort();
	assert.equal(gens.length, 2, gens.join(' '));
	const get = (dir, k) => runCgi('spans', { path: `${WS_PREFIX}/ops-rev/spans/rev-1`, dataDir: dir,
		env: { HTTP_AUTHORIZATION: `Bearer ${k}` } }).done;

	// The older generation into a fresh directory: the revoked key is named, and works again.
	const back = path.join(tmp, 'revoked-back');
	let r = await cli('restore', path.join(dest, gens[0]), back);
	assert.match(r.stderr, new RegExp(`key ${leaked.id} \\(workspace ops-rev, write, the write key\\): revoked after this backup was taken, and live again`));
	assert.match(r.stderr, new RegExp(`1 key that the newer generation .*${gens[1]} no longer holds is live again: restore with --keep-revoked`));
	assert.ok(!r.stderr.includes(kept.id), r.stderr);
	assert.equal((await get(back, leaked.key)).status, 200);

	// --keep-revoked: named, and refused; the other key works.
	const safe = path.join(tmp, 'revoked-safe');
	r = await cli('restore', path.join(dest, gens[0]), safe, '--keep-revoked');
	assert.match(r.stderr, new RegExp(`key ${leaked.id} .*: revoked after this backup was taken, and revoked again`));
	assert.equal((await get(safe, leaked.key)).status, 401);
	assert.equal((await get(safe, kept.key)).status, 200);
	const list = await spandexCli(['key', 'list', safe]);
	assert.ok(!list.stdout.includes(leaked.id) && list.stdout.includes(kept.id), list.stdout);

	// The newest generation: nothing newer tells, so every key that came back is listed.
	r = await cli('restore', dest, path.join(tmp, 'revoked-newest'));
	assert.match(r.stderr, new RegExp(`key ${kept.id} \\(workspace ops-rev, read, the read key\\): live again`));
	assert.match(r.stderr, /no newer generation beside .* tells which keys were revoked after it was taken/);
});

// Issue 30: restore run as root left the key file (0600) and the serve lock owned by root, so
// the programs, running as DATA's owner, answered 503 to every request. Like `spandex key`, it
// gives what it writes to DATA's owner.
test('run as root, restore gives the key file, the serve lock and the workspaces to DATA\'s owner', { skip: process.getuid?.() !== 0 && 'not root' }, async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'owned-src-'));
	assert.equal((await spandexCli(['key', 'create', data, '--workspace', 'ops-owned', '--role', 'write'])).code, 0);
	const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-owned/ingest/spans`, dataDir: data,
		env: { SPANDEX_TOKEN: 'itest-token', HTTP_AUTHORIZATION: 'Bearer itest-token' },
		body: { source: 'itest', spans: [makeSpan('owned-1', { started_at: dayTime() })] } }).done;
	assert.equal(w.status, 201, w.body);
	const dest = path.join(tmp, 'owned-backups');
	await cli('backup', data, dest);
	const target = fs.mkdtempSync(path.join(tmp, 'owned-dst-'));
	fs.chownSync(target, 65534, 65534);
	const r = await cli('restore', dest, target);
	assert.match(r.stderr, /authentication is now on/);
	const walk = (p) => [p, ...(fs.lstatSync(p).isDirectory() ? fs.readdirSync(p).flatMap((n) => walk(path.join(p, n))) : [])];
	const all = walk(target).filter((p) => p !== target);
	for (const name of ['.spandex-keys', '.spandex-serve.lock', 'ops-owned'])
		assert.ok(all.includes(path.join(target, name)), name);
	for (const p of all) {
		const st = fs.lstatSync(p);
		assert.deepEqual([st.uid, st.gid], [65534, 65534], p);
	}
});

// Issue 30: a restore killed between its two renames left the workspace missing and its data
// in DATA/.old-<ws>, where the programs do not look and the next restore removed it. The next
// restore puts it back first (whatever the backup holds), and says so.
test('a restore killed between its renames: the next restore puts the workspace back', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'killed-restore-'));
	const put = async (ws, id) => {
		const r = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
			body: { source: 'itest', spans: [makeSpan(id, { started_at: dayTime() })] } }).done;
		assert.equal(r.status, 201, r.body);
	};
	const has = async (ws, id) => (await runCgi('spans', { path: `${WS_PREFIX}/${ws}/spans/${id}`, dataDir: data }).done).status;
	await put('ops-swapped', 'swapped-1');
	const dest = path.join(tmp, 'killed-restore-backups');
	await cli('backup', data, dest);
	const killed = await spandexCli(['restore', dest, data, '--force'], { env: { SPANDEX_TEST_KILL_IN_RESTORE: '1' } });
	assert.equal(killed.signal, 'SIGKILL', killed.stderr);
	assert.ok(!fs.existsSync(path.join(data, 'ops-swapped')), 'moved aside');
	assert.ok(fs.existsSync(path.join(data, '.old-ops-swapped')));
	// A backup of another workspace only: the killed one is put back all the same.
	const other = fs.mkdtempSync(path.join(tmp, 'killed-restore-other-'));
	const r0 = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-other/ingest/spans`, dataDir: other,
		body: { source: 'itest', spans: [makeSpan('other-1', { started_at: dayTime() })] } }).done;
	assert.equal(r0.status, 201, r0.body);
	const dest2 = path.join(tmp, 'killed-restore-other-backups');
	await cli('backup', other, dest2);
	const again = await cli('restore', dest2, data, '--force');
	assert.match(again.stderr, /1 workspace that a killed restore had moved aside \(\.old-<ws>\) put back/);
	assert.deepEqual(fs.readdirSync(data).filter((n) => n.startsWith('.old-') || n.startsWith('.restore-')), []);
	assert.equal(await has('ops-swapped', 'swapped-1'), 200);
	assert.equal(await has('ops-other', 'other-1'), 200);
	assert.equal((await spandexCli(['verify', data])).code, 0);
});

// A backup run as root wrote generations DATA's owner could not read; a restore run as that
// owner (as the docs run it) passed over the newest for an older one without a word. Backup
// run as root now writes as DATA's owner; and a generation restore cannot read is not passed
// over: restore fails and says why.
test('backup writes as DATA\'s owner; restore does not pass over a generation it cannot read', { skip: process.getuid?.() !== 0 && 'not root' }, async () => {
	fs.chmodSync(tmp, 0o711);
	const data = fs.mkdtempSync(path.join(tmp, 'gen-owner-'));
	const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-gen/ingest/spans`, dataDir: data,
		body: { source: 'itest', spans: [makeSpan('gen-1', { started_at: dayTime() })] } }).done;
	assert.equal(w.status, 201, w.body);
	const walk = (p) => [p, ...(fs.lstatSync(p).isDirectory() ? fs.readdirSync(p).flatMap((n) => walk(path.join(p, n))) : [])];
	for (const p of walk(data)) fs.lchownSync(p, 65534, 65534);
	const dest = fs.mkdtempSync(path.join(tmp, 'gen-owner-bk-'));
	fs.chownSync(dest, 65534, 65534);
	await cli('backup', data, dest);
	for (const p of walk(dest).filter((p) => p !== dest)) assert.equal(fs.lstatSync(p).uid, 65534, p);
	// A newer generation only root can read, as an older spandex run as root left it: taken
	// with the clock a minute on (a generation is named by its second), not after a wait.
	await spandexOk(['backup', data, dest], { env: clockEnv(60) });
	const gens = fs.readdirSync(dest).filter((n) => /^\d{8}T/.test(n)).sort();
	assert.equal(gens.length, 2);
	for (const p of walk(path.join(dest, gens[1]))) fs.lchownSync(p, 0, 0);
	fs.chmodSync(path.join(dest, gens[1]), 0o700);
	const target = fs.mkdtempSync(path.join(tmp, 'gen-owner-to-'));
	fs.chownSync(target, 65534, 65534);
	const r = await run(path.join(BUILDDIR, 'src', 'spandex'), ['restore', dest, target], { uid: 65534, gid: 65534 });
	assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
	assert.match(r.stderr, new RegExp(`${gens[1]}.*Permission denied`));
});
