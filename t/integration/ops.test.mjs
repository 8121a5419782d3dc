// The cron jobs of the spandex CLI (docs/operations.md): retain, backup and restore each run
// while a writer keeps ingesting through nginx; export/import round trip; the admin lock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	startServer, ingestSpans, getSpan, makeSpan, spandexCli, spandexOk, dayTime, childPids, startWriter, linesById,
	runCgi, run, cgiRequest, clockEnv, waitFor, BUILDDIR, WS_PREFIX,
} from '../harness.mjs';

let srv;
let tmp;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2, traces: 1, sessions: 1 } });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-ops-'));
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

const cli = (...args) => spandexOk(args);

// The base is always given: the second server of the backup test would otherwise become the
// harness's default one.
const get = (ws, id) => getSpan(ws, id, { base: srv.base });

async function ingestOk(ws, spans) {
	const r = await ingestSpans(ws, spans, { base: srv.base });
	assert.equal(r.status, 201, r.text);
}

// The same through a program whose clock is 200 days behind: spans ingested then, which retain
// may remove (it keeps a day that holds spans ingested within the days it keeps).
async function ingestedLongAgo(ws, spans, dataDir = srv.dataDir) {
	const r = await cgiRequest(dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans }, env: clockEnv(-200 * 86400) });
	assert.equal(r.status, 201, r.text);
}

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
		await new Promise((r) => setTimeout(r, 300));
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
	// A newer generation only root can read, as an older spandex run as root left it.
	await new Promise((r) => setTimeout(r, 1100));
	await cli('backup', data, dest);
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
