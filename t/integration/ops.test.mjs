// The cron jobs of the spandex CLI (docs/operations.md): retain and export each run while a
// writer keeps ingesting through nginx; export/import round trip; the admin lock; a day a job
// cannot read. Backup and restore: backup.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
	makeSpan, spandexCli, dayTime, childPids, startWriter, linesById, runCgi, run, cgiRequest, waitFor, BUILDDIR, WS_PREFIX,
} from '../harness.mjs';
import { srv, tmp, cli, get, ingestOk, ingestedLongAgo } from './ops_setup.mjs';

test('retain removes and archives whole old days while a writer runs', async () => {
	const ws = 'ops-retain';
	for (const back of [40, 35, 3]) {
		await ingestedLongAgo(ws, Array.from({ length: 5 }, (_, i) =>
			makeSpan(`${ws}-d${back}-${i}`, { started_at: dayTime(i, back) })));
	}
	// A span whose newest version is on a day that goes: its older version, on a day that
	// stays, is the newest one afterwards (as reindex would decide from the files).
	await ingestedLongAgo(ws, [makeSpan(`${ws}-moved`, { name: 'old version', started_at: dayTime(0, 3) })]);
	await ingestedLongAgo(ws, [makeSpan(`${ws}-moved`, { name: 'new version', started_at: dayTime(0, 40) })]);
	assert.equal((await get(ws, `${ws}-moved`)).json.name, 'new version');

	const day = (back) => dayTime(0, back).slice(0, 10);
	const dir = path.join(srv.dataDir, ws);
	const archive = path.join(tmp, 'archive');
	const before40 = fs.readFileSync(path.join(dir, `${day(40)}.jsonl`));

	// The writer's days are kept, and what it writes now keeps them too.
	const w = startWriter(ws, { base: srv.base, days: [1, 2] });
	await w.until(30);
	const r = await cli('retain', srv.dataDir, '--days', '30', '--archive', archive, '--workspace', ws);
	assert.equal(r.stdout + r.stderr, '', 'quiet when all is well');
	await w.until(w.acked.size + 30);
	await w.stop();

	for (const back of [40, 35]) {
		for (const ext of ['jsonl', 'idx']) {
			assert.ok(!fs.existsSync(path.join(dir, `${day(back)}.${ext}`)), `${day(back)}.${ext} removed`);
			assert.ok(fs.existsSync(path.join(archive, ws, `${day(back)}.${ext}`)), `${day(back)}.${ext} archived`);
		}
		assert.equal((await get(ws, `${ws}-d${back}-0`)).status, 404);
	}
	assert.ok(fs.readFileSync(path.join(archive, ws, `${day(40)}.jsonl`)).equals(before40), 'archived as it was');
	assert.equal((await get(ws, `${ws}-d3-4`)).status, 200, 'a kept day stays');
	assert.equal((await get(ws, `${ws}-moved`)).json.name, 'old version');
	for (const id of w.acked) assert.equal((await get(ws, id)).status, 200, id);
	await cli('verify', srv.dataDir, '--workspace', ws);

	// Nothing older than 30 days is left, so a second run has nothing to do.
	const again = await cli('retain', srv.dataDir, '--days', '30', '--workspace', ws, '--verbose');
	assert.equal(again.stdout, '');
	// A run killed between its two unlinks leaves a data file without its index (the index
	// goes first, so no reader trusts it); the next run removes it.
	fs.copyFileSync(path.join(archive, ws, `${day(40)}.jsonl`), path.join(dir, `${day(50)}.jsonl`));
	assert.equal((await get(ws, `${ws}-d40-0`)).status, 404, 'data without an index is not read');
	await cli('retain', srv.dataDir, '--days', '30', '--workspace', ws);
	assert.ok(!fs.existsSync(path.join(dir, `${day(50)}.jsonl`)));
	// Without --archive the files simply go.
	await cli('retain', srv.dataDir, '--days', '2', '--workspace', ws);
	assert.ok(!fs.existsSync(path.join(dir, `${day(3)}.jsonl`)));
	assert.equal((await get(ws, `${ws}-moved`)).status, 404);
	await cli('verify', srv.dataDir, '--workspace', ws);
});

test('export writes the live spans; import reads them back through ingest validation', async () => {
	const ws = 'ops-export';
	const spans = Array.from({ length: 30 }, (_, i) => makeSpan(`${ws}-${i}`, {
		trace_id: `${ws}-t${i % 3}`,
		parent_span_id: i % 3 ? `${ws}-${i - (i % 3)}` : undefined,
		started_at: dayTime(i * 1000, 1 + (i % 2)),
		ended_at: dayTime(i * 1000 + 10, 1 + (i % 2)),
		kind: i % 3 ? 'LLM' : 'AGENT',
		status: i % 5 ? 'success' : 'error',
		input: { messages: [{ role: 'user', content: `q${i}` }] },
		output: `a${i}`,
		attributes: {
			'gen_ai.request.model': 'm1', 'gen_ai.usage.input_tokens': i, 'llm.cost.total': i / 100,
			'gen_ai.project': 'p', custom: { nested: [i, 'x'] },
		},
	}));
	await ingestOk(ws, spans);
	await ingestOk(ws, [makeSpan(`${ws}-0`, { trace_id: `${ws}-t0`, started_at: dayTime(0, 1), name: 'newer' })]);

	const out = path.join(tmp, 'export.jsonl');
	await cli('export', srv.dataDir, '--workspace', ws, '--out', out);
	const lines = linesById(fs.readFileSync(out, 'utf8'));
	assert.equal(lines.size, 30, 'one line per live span');
	assert.equal(JSON.parse(lines.get(`${ws}-0`)).name, 'newer', 'the newest version only');
	for (const [id, line] of lines) assert.equal(line, (await get(ws, id)).text, 'the Get Span body');

	// A time range: only yesterday's spans.
	const from = dayTime(0, 1).slice(0, 10);
	const day1 = linesById((await cli('export', srv.dataDir, '--workspace', ws, '--from', from)).stdout);
	assert.ok(day1.size > 0 && day1.size < 30);
	for (const line of day1.values()) assert.ok(JSON.parse(line).started_at.startsWith(from));

	await cli('import', srv.dataDir, '--workspace', 'ops-imported', out);
	const back = linesById((await cli('export', srv.dataDir, '--workspace', 'ops-imported')).stdout);
	assert.equal(back.size, 30);
	const strip = (line) => {
		const o = JSON.parse(line);
		delete o.workspace;
		delete o.ingested_at;
		return o;
	};
	for (const [id, line] of lines) assert.deepEqual(strip(back.get(id)), strip(line), id);
	for (const line of back.values()) assert.equal(JSON.parse(line).workspace, 'ops-imported');
	await cli('verify', srv.dataDir, '--workspace', 'ops-imported');

	// Bad lines are named by number and nothing of the file is stored.
	const good = [...lines.values()][1];
	const badObj = JSON.parse(good);
	badObj.span_id = 'ops-bad-kind';
	badObj.kind = 'NOT_A_KIND';
	const bad = path.join(tmp, 'bad.jsonl');
	fs.writeFileSync(bad, [good, '{"span_id": "x"', JSON.stringify(badObj),
		JSON.stringify({ ...JSON.parse(good), span_id: 'ops-bad-tok', input_tokens: 'many' }),
		JSON.stringify({ ...JSON.parse(good), span_id: 'ops-bad-extra', color: 'red' })].join('\n') + '\n');
	const r = await spandexCli(['import', srv.dataDir, '--workspace', 'ops-rejected', bad]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /bad\.jsonl:2: invalid JSON/);
	assert.match(r.stderr, /bad\.jsonl:3: kind: Input should be/);
	assert.match(r.stderr, /bad\.jsonl:4: input_tokens: /);
	assert.match(r.stderr, /bad\.jsonl:5: color: Extra inputs are not permitted/);
	assert.match(r.stderr, /4 bad lines; nothing was stored/);
	assert.equal((await get('ops-rejected', JSON.parse(good).span_id)).status, 404);

	// A line over the 8 MiB a span line may hold is refused by number, read no further than
	// the limit (a line of /dev/zero took gigabytes); the line after it is read as usual.
	const long = path.join(tmp, 'long.jsonl');
	// A NUL byte ends no line (it is refused in its own), nor does a last line lack one.
	fs.writeFileSync(long, `{"span_id":"${'x'.repeat(9 << 20)}"}\r\n${good}\n{"span_id": "y"\n${good.slice(0, -1)}\0}\n${good}\0`);
	const lr = await spandexCli(['import', srv.dataDir, '--workspace', 'ops-rejected', long]);
	assert.equal(lr.code, 1);
	assert.match(lr.stderr, /long\.jsonl:1: longer than 8388608 bytes/);
	assert.match(lr.stderr, /long\.jsonl:3: invalid JSON/);
	assert.match(lr.stderr, /long\.jsonl:4: invalid JSON/);
	assert.match(lr.stderr, /long\.jsonl:5: invalid JSON/);
	assert.match(lr.stderr, /4 bad lines; nothing was stored/);

	// What Opik stores and direct ingest refuses (an end before its start) is exported, and
	// imports again as it was: an export of it failed its import.
	const h = { 'Comet-Workspace': 'ops-opik-odd' };
	const T = '01a1fc91-cd0b-7000-8000-00000000c0d0', S = '01a1fc91-cd0b-7000-8000-00000000c0d1';
	let o = await srv.request('POST', '/v1/private/spans', { headers: h, body: { id: S, trace_id: T, project_name: 'odd', name: 'odd', start_time: dayTime(5000), end_time: dayTime(0) } });
	assert.equal(o.status, 201, o.text);
	const odd = path.join(tmp, 'odd.jsonl');
	await cli('export', srv.dataDir, '--workspace', 'ops-opik-odd', '--out', odd);
	await cli('import', srv.dataDir, '--workspace', 'ops-odd-imported', odd);
	const was = linesById(fs.readFileSync(odd, 'utf8')), now = linesById((await cli('export', srv.dataDir, '--workspace', 'ops-odd-imported')).stdout);
	assert.equal(now.size, was.size);
	for (const [id, line] of was) assert.deepEqual(strip(now.get(id)), strip(line), id);
});

// An OTLP span that names no session gets one made of its workspace and trace, which marks it
// as naming none (docs/api-intake.md, "Sessions": it counts in its trace's session). Imported into another
// workspace with the old id, it named a session of its own: the trace's session, its groups and
// Opik's threads changed.
test('import into another workspace makes again the session the store made for a span that named none', async () => {
	const t0 = BigInt(Date.parse(dayTime(0, 1))) * 1000000n;
	const span = (trace, sid, parent, session) => ({
		traceId: trace, spanId: sid, parentSpanId: parent, name: `span ${sid}`,
		startTimeUnixNano: String(t0), endTimeUnixNano: String(t0 + 1000n),
		attributes: session ? [{ key: 'session.id', value: { stringValue: session } }] : [],
	});
	const T1 = '1111111111111111111111111111aaaa', T2 = '2222222222222222222222222222bbbb';
	const body = { resourceSpans: [{ scopeSpans: [{ spans: [
		span(T1, 'a000000000000001'), span(T1, 'a000000000000002', 'a000000000000001', 'conv-mix'),
		span(T2, 'b000000000000001')] }] }] };
	const r = await srv.request('POST', `${WS_PREFIX}/ops-sess/ingest/otlp/v1/traces`, { body });
	assert.equal(r.status, 200, r.text);
	const out = path.join(tmp, 'sess.jsonl');
	await cli('export', srv.dataDir, '--workspace', 'ops-sess', '--out', out);
	await cli('import', srv.dataDir, '--workspace', 'ops-sess-2', out);
	const answers = async (ws) => {
		const q = async (p) => (await srv.request('GET', `${WS_PREFIX}/${ws}/${p}`)).json;
		const groups = await q(`spans/groups?by=session_id&filter[trace_id]=${T1}`);
		const h = { 'Comet-Workspace': ws };
		const threads = (await srv.request('GET', '/api/v1/private/traces/threads?project_name=Default%20Project', { headers: h })).json;
		return [(await q(`traces/${T1}`)).session_id, groups.data.map((g) => g.span_count),
			(await srv.request('GET', `/api/v1/private/traces/${T2}`, { headers: h })).json.thread_id,
			threads.content.map((t) => t.id)];
	};
	const was = await answers('ops-sess');
	assert.deepEqual(was.slice(0, 3), ['conv-mix', [2], undefined], JSON.stringify(was));
	assert.deepEqual(await answers('ops-sess-2'), was);
	await cli('verify', srv.dataDir, '--workspace', 'ops-sess-2');
});

test('the admin lock: a second run fails at once, or waits with --wait; usage is exit 2', async () => {
	const lockFile = path.join(srv.dataDir, '.spandex-admin.lock');
	fs.closeSync(fs.openSync(lockFile, 'a'));
	// Another holder of the lock, as a running job would be: flock -o holds it itself while
	// its command runs, and lets go when the command ends (release() ends it).
	const holder = spawn('flock', ['-o', lockFile, 'sleep', 'infinity'], { stdio: 'ignore' });
	const release = () => {
		for (const pid of childPids(holder.pid)) process.kill(pid, 'SIGTERM');
	};
	try {
		await waitFor('flock to hold the admin lock', () => new Promise((resolve) => {
			spawn('flock', ['-n', lockFile, 'true']).on('exit', (code) => resolve(code !== 0));
		}));
		const busy = await spandexCli(['backup', srv.dataDir, path.join(tmp, 'locked')]);
		assert.equal(busy.code, 1);
		// A holder that is not spandex leaves no note: the kernel's lock table names it
		// (issue 31: it was "(unknown)").
		assert.match(busy.stderr, /another run holds .*\.spandex-admin\.lock \(pid \d+ \(flock\)\); try --wait/);
		assert.ok(!fs.existsSync(path.join(tmp, 'locked')), 'nothing done');

		let finished = false;
		const waiting = spandexCli(['retain', srv.dataDir, '--days', '3650', '--wait']).then((x) => {
			finished = true;
			return x;
		});
		// It waits in the kernel's lock table (a "->" line of /proc/locks on the lock's inode).
		const ino = fs.statSync(lockFile).ino;
		const blocked = new RegExp(`->\\s+FLOCK\\s+\\S+\\s+WRITE\\s+\\d+\\s+[0-9a-f]+:[0-9a-f]+:${ino}\\s`);
		await waitFor('retain --wait to wait on the admin lock', () => blocked.test(fs.readFileSync('/proc/locks', 'utf8')));
		assert.equal(finished, false, '--wait waits for the holder');
		release();
		const r = await waiting;
		assert.equal(r.code, 0, r.stderr);
	} finally {
		release();
		holder.kill('SIGKILL');
	}
	// A spandex run that holds it is named by its note: an import waiting on a FIFO holds the
	// lock for as long as nothing is written to it.
	const fifo = path.join(tmp, 'import.fifo');
	assert.equal((await new Promise((resolve) => spawn('mkfifo', [fifo]).on('exit', resolve))), 0);
	// --wait: a probe below that starts first holds the lock for a moment, and an import
	// that met it would give up at once and leave every later probe free.
	const importer = spawn(path.join(BUILDDIR, 'src', 'spandex'), ['import', srv.dataDir, '--workspace', 'ops-fifo', fifo, '--wait'], { stdio: 'ignore' });
	try {
		let busy;
		// Between the import's flock and its note the kernel's table names it ("pid N
		// (spandex)"): a moment later the note does.
		await waitFor('the import to hold the admin lock with its note', async () => {
			busy = await spandexCli(['backup', srv.dataDir, path.join(tmp, 'locked')]);
			return busy.code !== 0 && /spandex import/.test(busy.stderr);
		}).catch(() => {});
		assert.match(busy.stderr, new RegExp(`another run holds .*\\.spandex-admin\\.lock \\(spandex import, pid ${importer.pid}\\); try --wait`));
	} finally {
		importer.kill('SIGKILL');
		fs.rmSync(path.join(tmp, 'locked'), { recursive: true, force: true });
	}
	for (const args of [['retain', srv.dataDir], ['export', srv.dataDir], ['backup', srv.dataDir],
		['retain', srv.dataDir, '--days', 'x'], ['frobnicate', srv.dataDir], ['verify', srv.dataDir, '--bogus']]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
	}
});

// Issue 30 item 4: a program that cannot hold the serve lock (it cannot be opened or flock
// fails) once served on unseen, and a restore then replaced what it wrote. It fails closed: a
// 503 in the API's shape, and a log line naming the lock and the error. A directory at the
// lock's path makes it so even as root.
test('a program that cannot hold the serve lock answers 503 and says why in the log', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'unlockable-'));
	const lock = path.join(data, '.spandex-serve.lock');
	fs.mkdirSync(lock);
	const ws = 'ops-unlockable';
	const ingest = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
		body: { source: 'itest', spans: [makeSpan('unlockable', { started_at: dayTime() })] } }).done;
	assert.equal(ingest.status, 503, ingest.body);
	assert.deepEqual(JSON.parse(ingest.body), { detail: 'The data directory cannot be locked for serving; retry later' });
	assert.ok(!ingest.body.includes(data), 'no path for the client');
	assert.ok(ingest.stderr.includes(`${lock}: open: Is a directory`), ingest.stderr);
	assert.ok(!fs.existsSync(path.join(data, ws)), 'nothing stored');
	const list = await runCgi('spans', { path: `${WS_PREFIX}/${ws}/spans`, dataDir: data }).done;
	assert.equal(list.status, 503, list.body);
	// Mended, the program serves again.
	fs.rmdirSync(lock);
	const again = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
		body: { source: 'itest', spans: [makeSpan('unlockable', { started_at: dayTime() })] } }).done;
	assert.equal(again.status, 201, again.body);
});

// Run as root, seal, index, reindex and import left their files owned by root: the programs,
// running as DATA's owner, could not read them (a sealed day vanished from every answer; every
// ingest after a reindex was a 503). The commands that write into DATA run as its owner.
test('run as root, the commands that write into DATA run as its owner', { skip: process.getuid?.() !== 0 && 'not root' }, async () => {
	fs.chmodSync(tmp, 0o711); // the owner must reach DATA through it
	const data = fs.mkdtempSync(path.join(tmp, 'owner-'));
	for (const [id, back] of [['own-1', 3], ['own-2', 1]]) {
		const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/ops-own/ingest/spans`, dataDir: data,
			body: { source: 'itest', spans: [makeSpan(id, { started_at: dayTime(0, back) })] } }).done;
		assert.equal(w.status, 201, w.body);
	}
	const walk = (p) => [p, ...(fs.lstatSync(p).isDirectory() ? fs.readdirSync(p).flatMap((n) => walk(path.join(p, n))) : [])];
	for (const p of walk(data)) fs.lchownSync(p, 65534, 65534);
	// root's own export, in a directory only root reads (a workspace moved as root, as
	// docs/scaling.md does it over ssh): import opens it before it becomes DATA's owner.
	const out = fs.mkdtempSync(path.join(tmp, 'owner-export-'));
	const file = path.join(out, 'spans.jsonl');
	await cli('export', data, '--workspace', 'ops-own', '--out', file);
	assert.equal(fs.statSync(out).mode & 0o077, 0);
	for (const args of [['reindex', data], ['index', data], ['seal', data, '--older-than', '0'],
		['import', data, '--workspace', 'ops-own-copy', file], ['retain', data, '--days', '365'], ['verify', data]]) {
		await cli(...args);
		for (const p of walk(data)) {
			const st = fs.lstatSync(p);
			assert.deepEqual([st.uid, st.gid], [65534, 65534], `after ${args[0]}: ${p}`);
		}
	}
	assert.ok(walk(data).some((p) => p.endsWith('.jsonl.zst')), 'a day was sealed');
	for (const ws of ['ops-own', 'ops-own-copy'])
		for (const id of ['own-1', 'own-2'])
			assert.equal((await runCgi('spans', { path: `${WS_PREFIX}/${ws}/spans/${id}`, dataDir: data }).done).status, 200, `${ws} ${id}`);
});

// Spans that come for a day retain archived already (a backfill, a client with a wrong clock)
// make the day again; the next retain archived it over the earlier copy, and every span of that
// copy was gone. A second copy goes to <ws>.2, a third to <ws>.3, ...: nothing is replaced.
test('retain --archive never replaces a day it archived before', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'rearchive-'));
	const arch = fs.mkdtempSync(path.join(tmp, 'rearchive-arch-'));
	const when = dayTime(0, 120);
	// Each sent 200 days ago (by a program whose clock says so): retain keeps a day that holds
	// spans ingested in the days it keeps. Another workspace's span is ingested now.
	const put = (id) => ingestedLongAgo('ops-rearch', [makeSpan(id, { started_at: when })], data);
	await put('ra-1');
	const now = await cgiRequest(data, 'POST', `${WS_PREFIX}/ops-rearch-now/ingest/spans`, { body: { source: 'itest', spans: [makeSpan('now-1')] } });
	assert.equal(now.status, 201, now.text);
	await cli('seal', data, '--older-than', '0');
	await cli('retain', data, '--days', '90', '--archive', arch);
	await put('ra-2');
	await cli('retain', data, '--days', '90', '--archive', arch);
	await put('ra-3');
	await cli('retain', data, '--days', '90', '--archive', arch);
	// Copies under a name no workspace can have: no other tenant's days mix with them.
	assert.deepEqual(fs.readdirSync(arch).sort(), ['.copy-2', '.copy-3', 'ops-rearch', 'ops-rearch-now']);
	const ids = [];
	for (const a of [arch, path.join(arch, '.copy-2'), path.join(arch, '.copy-3')]) {
		await cli('reindex', a);
		await cli('verify', a);
		ids.push(...linesById((await cli('export', a, '--workspace', 'ops-rearch')).stdout).keys());
	}
	assert.deepEqual(ids, ['ra-1', 'ra-2', 'ra-3']);
});

// A workspace DATA's owner cannot read (one a root run of an older spandex made) is not passed
// over as no workspace: backup left it out of a generation and verify called the store clean.
test('a workspace the command cannot read fails the command, named, instead of being left out', { skip: process.getuid?.() !== 0 && 'not root' }, async () => {
	fs.chmodSync(tmp, 0o711);
	const data = fs.mkdtempSync(path.join(tmp, 'unreadable-'));
	for (const ws of ['ops-open', 'ops-closed']) {
		const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
			body: { source: 'itest', spans: [makeSpan(`${ws}-1`, { started_at: dayTime() })] } }).done;
		assert.equal(w.status, 201, w.body);
	}
	const walk = (p) => [p, ...(fs.lstatSync(p).isDirectory() ? fs.readdirSync(p).flatMap((n) => walk(path.join(p, n))) : [])];
	for (const p of walk(data)) if (!p.includes('ops-closed')) fs.lchownSync(p, 65534, 65534);
	fs.chmodSync(path.join(data, 'ops-closed'), 0o700);
	const r = await run(path.join(BUILDDIR, 'src', 'spandex'), ['verify', data], { uid: 65534, gid: 65534 });
	assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
	assert.match(`${r.stdout}${r.stderr}`, /ops-closed/);
});

// Issue 55, item 1: a batch refused on a full disk (or killed) for a day the workspace had no
// file of left a 0-byte <day>.idx, and backup of the whole directory, seal, index, export and
// reindex all exited 1 over it. Such a day holds nothing and every job passes it over; a day
// that is really damaged (lines without their index) is named by backup and verify, which go
// on with everything else, and reindex mends it.
test('a day a refused batch left, or one without its index, stops no job: named, the rest done', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'unborn-'));
	const day = (back) => dayTime(0, back).slice(0, 10);
	for (const ws of ['ops-unborn', 'ops-headless']) {
		const spans = [5, 4, 3].map((back) => makeSpan(`${ws}-${back}`, { started_at: dayTime(0, back) }));
		const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
			body: { source: 'itest', spans } }).done;
		assert.equal(w.status, 201, w.body);
	}
	fs.writeFileSync(path.join(data, 'ops-unborn', `${day(2)}.idx`), '');
	/* The side file of a batch that failed as it made it (lib/store/sup.h): reindex takes it
	 * with the day. */
	fs.writeFileSync(path.join(data, 'ops-unborn', `${day(2)}.sup`), '');
	const line = fs.readFileSync(path.join(data, 'ops-headless', `${day(3)}.jsonl`), 'utf8')
		.replaceAll('ops-headless-3', 'ops-headless-2').replaceAll(day(3), day(2));
	fs.writeFileSync(path.join(data, 'ops-headless', `${day(2)}.jsonl`), line);
	fs.writeFileSync(path.join(data, 'ops-headless', `${day(2)}.idx`), '');

	const dest = path.join(tmp, 'unborn-backup');
	const b = await spandexCli(['backup', data, dest]);
	assert.equal(b.code, 1, b.stderr);
	assert.match(b.stderr, new RegExp(`ops-headless/${day(2)}: unreadable day left out`));
	assert.doesNotMatch(b.stderr, /ops-unborn/);
	const gens = fs.readdirSync(dest).filter((n) => /^\d{8}T/.test(n));
	assert.equal(gens.length, 1, 'the generation is written');
	const manifest = fs.readFileSync(path.join(dest, gens[0], 'MANIFEST'), 'utf8');
	for (const back of [5, 4, 3])
		for (const ws of ['ops-unborn', 'ops-headless']) assert.match(manifest, new RegExp(`^${ws} ${day(back)} 1 `, 'm'));
	assert.match(manifest, new RegExp(`^# left out ops-headless ${day(2)}$`, 'm'));

	for (const args of [['seal', data, '--older-than', '1'], ['index', data]]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
	}
	const out = path.join(tmp, 'unborn.jsonl');
	const x = await spandexCli(['export', data, '--workspace', 'ops-unborn', '--out', out]);
	assert.equal(x.code, 0, x.stderr);
	assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 3);
	const v = await spandexCli(['verify', data]);
	assert.equal(v.code, 1);
	assert.match(v.stdout, new RegExp(`ops-headless/${day(2)}: data without index`));
	assert.doesNotMatch(v.stdout, /ops-unborn/);
	await cli('reindex', data);
	await cli('verify', data);
	assert.ok(!fs.existsSync(path.join(data, 'ops-unborn', `${day(2)}.idx`)), 'the empty day is gone');
	assert.ok(!fs.existsSync(path.join(data, 'ops-unborn', `${day(2)}.sup`)), 'its side file too');
	const g = await runCgi('spans', { path: `${WS_PREFIX}/ops-headless/spans/ops-headless-2`, dataDir: data }).done;
	assert.equal(g.status, 200, 'reindex gave the lines their index');
	await cli('backup', data, dest);
});

// Issue 55, item 1: export reads through lib/query, which passes over a day whose index does
// not open. It wrote the other days and exited 0, saying nothing of the day it left out; now it
// writes them, names the day and exits 1, as backup does.
test('export names a day it cannot read, writes the rest and exits 1', async () => {
	const data = fs.mkdtempSync(path.join(tmp, 'xdamaged-'));
	const ws = 'ops-xdamaged';
	const day = (back) => dayTime(0, back).slice(0, 10);
	const spans = [5, 4, 3].map((back) => makeSpan(`${ws}-${back}`, { started_at: dayTime(0, back) }));
	const w = await runCgi('ingest', { method: 'POST', path: `${WS_PREFIX}/${ws}/ingest/spans`, dataDir: data,
		body: { source: 'itest', spans } }).done;
	assert.equal(w.status, 201, w.body);
	const idx = path.join(data, ws, `${day(4)}.idx`);
	const fd = fs.openSync(idx, 'r+');
	fs.writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, 0); /* its magic */
	fs.closeSync(fd);

	const out = path.join(tmp, 'xdamaged.jsonl');
	const x = await spandexCli(['export', data, '--workspace', ws, '--out', out]);
	assert.equal(x.code, 1, x.stderr);
	assert.match(x.stderr, new RegExp(`${ws}/${day(4)}: unreadable day left out of the export`));
	assert.deepEqual([...linesById(fs.readFileSync(out, 'utf8')).keys()].sort(), [`${ws}-3`, `${ws}-5`]);
	await cli('reindex', data);
	await cli('verify', data);
	const again = await spandexCli(['export', data, '--workspace', ws]);
	assert.equal(again.code, 0, again.stderr);
	assert.equal(linesById(again.stdout).size, 3);
});
