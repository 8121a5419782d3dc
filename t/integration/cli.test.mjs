// The operator's first hour with the CLI (issue 16): help and version, per-command help, the
// flags the usage names, progress on request, what reindex cuts (kept and said), verify's
// counts, small new workspaces, and costs priced again from a changed table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, ingestSpans, getSpan, makeSpan, spandexCli, dayTime, clockEnv, cgiRequest, WS_PREFIX, BUILDDIR, SRCDIR } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer();
});
after(async () => {
	await srv?.stop();
});

test('help, -h, --help and --version answer on stdout with exit 0; each command has its own help', async () => {
	for (const args of [['help'], ['-h'], ['--help']]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, args.join(' '));
		// Its first line says what spandex is (issue 54: it began with the usage of reindex).
		assert.match(r.stdout, /^spandex: the admin command of spandex, a self-hosted store for LLM and agent traces/);
		assert.match(r.stdout, /\n\nusage: spandex reindex/);
		assert.equal(r.stderr, '');
	}
	const v = await spandexCli(['--version']);
	assert.equal(v.code, 0);
	assert.match(v.stdout, /^spandex \d+\.\d+\.\d+ \([0-9a-f]{7,}(-dirty)?\)\n$|^spandex \d+\.\d+\.\d+ \(unknown\)\n$/);
	for (const cmd of ['reindex', 'verify', 'stats', 'seal', 'retain', 'backup', 'restore', 'export', 'import', 'redact']) {
		for (const args of [[cmd, '--help'], [cmd, '-h'], ['help', cmd]]) {
			const r = await spandexCli(args);
			assert.equal(r.code, 0, args.join(' '));
			assert.match(r.stdout, new RegExp(`^usage: spandex ${cmd} `), args.join(' '));
		}
	}
	const bad = await spandexCli(['nope']);
	assert.equal(bad.code, 2);
	assert.match(bad.stderr, /unknown command 'nope'/);
	// Every flag a command's help names is one it takes.
	for (const cmd of ['reindex', 'verify', 'seal', 'export']) {
		const help = (await spandexCli([cmd, '--help'])).stdout.split('\n')[0];
		for (const flag of help.match(/--[a-z-]+/g)) assert.doesNotMatch((await spandexCli([cmd, flag])).stderr, /unknown option/, `${cmd} ${flag}`);
	}
});

test('verify --verbose and reindex --verbose summarise; --progress reports under cron too', async () => {
	const ws = 'cli-verbose';
	assert.equal((await ingestSpans(ws, [makeSpan('v-1', { started_at: dayTime(0, 1) }), makeSpan('v-2', { started_at: dayTime(0, 2) })])).status, 201);
	let r = await spandexCli(['verify', srv.dataDir, '--workspace', ws, '--verbose']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^verify: 1 workspace, no problem found, \d+ MB in [\d.]+ s \(\d+ MB\/s\)$/m);
	r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.stdout + r.stderr, '', 'quiet without a terminal (cron)');
	r = await spandexCli(['verify', srv.dataDir, '--workspace', ws, '--progress']);
	assert.match(r.stderr, new RegExp(`^${ws}: 2/2, \\d+ MB in [\\d.]+ s, \\d+ MB/s$`, 'm'));
	r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws, '--verbose', '--progress']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /reindex: 1 workspace/);
	// Each step's bar says what it counts (issue 31: two bars without a label between them).
	// The steps that read every line give the MB read and the rate (issue 35); the others count days.
	assert.match(r.stderr, new RegExp(`^${ws} \\(indexes\\): 2/2, \\d+ MB in [\\d.]+ s, \\d+ MB/s$`, 'm'));
	assert.match(r.stderr, new RegExp(`^${ws} \\(text index\\): 2/2$`, 'm'));
	r = await spandexCli(['seal', srv.dataDir, '--workspace', ws, '--progress', '--no-progress']);
	assert.equal(r.stderr, '');
});

test('seal --progress counts the days it seals and ends with N/N; the summary has its own line', async () => {
	const ws = 'cli-seal-progress';
	// Yesterday stays open (--older-than 1); the two days before it are sealed: 2 of 3 days.
	const spans = [1, 2, 3].map((back) => makeSpan(`sp-${back}`, { started_at: dayTime(0, back) }));
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const r = await spandexCli(['seal', srv.dataDir, '--workspace', ws, '--progress', '--verbose']);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stderr.trimEnd().split('\n');
	assert.equal(lines.at(-1), `${ws}: 2/2`, r.stderr);
	assert.ok(lines.every((l) => /^\S+: \d\/2$/.test(l)), r.stderr);
	assert.match(r.stdout, /^seal: 2 days, /);
	// On a terminal the bar redraws in place; it ends with 2/2 and a newline before the summary.
	if (!fs.existsSync('/usr/bin/script')) return;
	for (const back of [2, 3]) {
		const late = makeSpan(`sp-late-${back}`, { started_at: dayTime(1000, back) });
		assert.equal((await ingestSpans(ws, [late])).status, 201);
	}
	const cmd = [path.join(BUILDDIR, 'src', 'spandex'), 'seal', srv.dataDir, '--workspace', ws, '--verbose'];
	const tty = await new Promise((resolve) => {
		execFile('/usr/bin/script', ['-qec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8' },
			(err, stdout) => resolve({ err, out: stdout.replace(/\r\n/g, '\n') }));
	});
	assert.ifError(tty.err);
	assert.match(tty.out, /\] 2\/2\nseal: 2 days, /, JSON.stringify(tty.out));
});

// Three spans of ws on one day (ids prefix-0..2): the spans, the workspace's directory, the
// day's .jsonl name and its path.
async function threeSpansOneDay(ws, prefix) {
	const spans = [0, 1, 2].map((i) => makeSpan(`${prefix}-${i}`, { started_at: dayTime(i * 1000, 1) }));
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const dir = path.join(srv.dataDir, ws);
	const day = fs.readdirSync(dir).find((f) => f.endsWith('.jsonl'));
	return { spans, dir, day, file: path.join(dir, day) };
}

test('reindex keeps what it cuts from a damaged day in <day>.quarantine and says so; verify counts right', async () => {
	const ws = 'cli-damaged';
	const { spans, dir, day, file } = await threeSpansOneDay(ws, 'dmg');
	// A torn write: half of a fourth line at the end, and the index says nothing of it.
	const tail = `${JSON.stringify({ ...spans[0], span_id: 'dmg-torn', workspace: ws })}`.slice(0, 60);
	fs.appendFileSync(file, tail);
	let r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 1);
	assert.match(r.stdout, new RegExp(`${tail.length} bytes not covered by the index`));
	// Cut the last line short instead: the index now names bytes that are gone.
	const full = fs.readFileSync(file);
	fs.writeFileSync(file, full.subarray(0, full.length - tail.length - 10));
	r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 1);
	assert.doesNotMatch(r.stdout, /-\d+ bytes/);
	assert.match(r.stdout, /bytes the index names are missing from the data/);
	r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stderr);
	const q = path.join(dir, day.replace('.jsonl', '.quarantine'));
	assert.match(r.stderr, new RegExp(`cut \\d+ bytes .* into ${q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; span ids still readable in them: dmg-2`));
	assert.ok(fs.readFileSync(q, 'utf8').includes('"span_id":"dmg-2"'), 'the cut bytes are kept');
	r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stdout + r.stderr);
	assert.equal((await getSpan(ws, 'dmg-1')).status, 200);
	assert.equal((await getSpan(ws, 'dmg-2')).status, 404);
	// The quarantine is no day of the store and no *.jsonl* file.
	assert.doesNotMatch(path.basename(q), /\.jsonl/);
});

// A day's data cut short after its batches were acknowledged and synced (a damaged disk, a
// file copied back short): the next write to that day took the records past the end for a
// torn write and cut them, and the start of the last line with them, without a word; verify
// was clean after, and reindex had nothing left to keep. The write is refused (503) until
// reindex, which keeps the cut line in <day>.quarantine and names its span.
test('a write into a day whose data was cut short is refused until reindex, which keeps the cut line', async () => {
	const ws = 'cli-cut';
	const { file } = await threeSpansOneDay(ws, 'cut');
	const full = fs.readFileSync(file);
	fs.writeFileSync(file, full.subarray(0, full.length - 30));
	const w = await ingestSpans(ws, [makeSpan('cut-new', { started_at: dayTime(5000, 1) })]);
	assert.equal(w.status, 503, w.text);
	assert.match(w.json.detail, /^Spans not stored \(\d{4}-\d\d-\d\d: /);
	assert.ok(w.headers['retry-after'], 'Retry-After');
	assert.equal(fs.readFileSync(file).length, full.length - 30, 'the write cut nothing');
	let r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 1, 'verify still names the problem');
	assert.match(r.stdout, /bytes the index names are missing from the data/);
	r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stderr, /span ids still readable in them: cut-2/);
	assert.equal((await ingestSpans(ws, [makeSpan('cut-new', { started_at: dayTime(5000, 1) })])).status, 201);
	for (const id of ['cut-0', 'cut-1', 'cut-new']) assert.equal((await getSpan(ws, id)).status, 200, id);
	r = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('retain removes (or archives) a day\'s quarantine with the day, and one left without its day', async () => {
	const ws = 'cli-retain-q';
	const spans = [0, 1].map((i) => makeSpan(`rq-${i}`, { started_at: dayTime(i * 1000, 5) }));
	// Ingested ten days ago (by a program whose clock says so), as retain wants of a day it
	// removes; the store's newest ingestion is now.
	const past = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans }, env: clockEnv(-10 * 86400) });
	assert.equal(past.status, 201, past.text);
	assert.equal((await ingestSpans('cli-retain-now', [makeSpan('now-1')])).status, 201);
	const dir = path.join(srv.dataDir, ws);
	const day = fs.readdirSync(dir).find((f) => f.endsWith('.jsonl')).replace('.jsonl', '');
	fs.appendFileSync(path.join(dir, `${day}.jsonl`), '{"span_id":"rq-torn","na');
	let r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(fs.existsSync(path.join(dir, `${day}.quarantine`)));
	// An older quarantine whose day a retention before this one removed.
	const older = new Date(Date.parse(`${day}T00:00:00Z`) - 86400e3).toISOString().slice(0, 10);
	fs.writeFileSync(path.join(dir, `${older}.quarantine`), '{"span_id":"rq-old","na');
	const arch = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-arch-'));
	r = await spandexCli(['retain', srv.dataDir, '--workspace', ws, '--days', '2', '--archive', arch, '--verbose']);
	assert.equal(r.code, 0, r.stderr);
	assert.deepEqual(fs.readdirSync(dir).filter((f) => /^\d{4}-/.test(f)), [], 'no file of an old day is left');
	const kept = fs.readdirSync(path.join(arch, ws)).sort();
	assert.ok(kept.includes(`${day}.quarantine`) && kept.includes(`${older}.quarantine`), kept.join(' '));
	assert.equal(fs.readFileSync(path.join(arch, ws, `${day}.quarantine`), 'utf8'), '{"span_id":"rq-torn","na');
	// Without --archive they are removed.
	fs.writeFileSync(path.join(dir, `${older}.quarantine`), 'x');
	r = await spandexCli(['retain', srv.dataDir, '--workspace', ws, '--days', '2']);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(!fs.existsSync(path.join(dir, `${older}.quarantine`)));
	fs.rmSync(arch, { recursive: true });
});

test('a new workspace starts small', async () => {
	const ws = 'cli-small';
	const spans = Array.from({ length: 12 }, (_, i) => makeSpan(`small-${i}`, { started_at: dayTime(i * 1000, 1) }));
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const dir = path.join(srv.dataDir, ws);
	const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
	// Three tables of 1,024 slots (16 KiB each), the day's data and index.
	assert.ok(bytes < 64 * 1024, `${bytes} bytes for 12 spans`);
});

test('reindex --prices prices again what was computed, and leaves sent costs alone', async () => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-prices-'));
	const table = path.join(tmp, 'prices.tsv');
	fs.writeFileSync(table, '# taken: 2025-06-01\ngpt-4o\t2.50\t10.00\t1.25\n');
	const priced = await startServer({ dataDir: fs.mkdtempSync(path.join(tmp, 'data-')), env: { SPANDEX_PRICES: table } });
	try {
		const ws = 'cli-prices';
		const attrs = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100 };
		const r = await priced.request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans: [
			makeSpan('computed', { started_at: dayTime(0, 1), attributes: attrs }),
			makeSpan('sent', { started_at: dayTime(1000, 1), attributes: { ...attrs, 'gen_ai.usage.cost': 0.5 } }),
		] } });
		assert.equal(r.status, 201, r.text);
		const cost = async (id) => (await priced.request('GET', `${WS_PREFIX}/${ws}/spans/${id}`)).json.cost_total_usd;
		assert.equal(await cost('computed'), 0.0035);
		fs.writeFileSync(table, '# taken: 2025-09-01\ngpt-4o\t5.00\t20.00\t2.50\n');
		const cli = await spandexCli(['reindex', priced.dataDir, '--workspace', ws, '--prices', table, '--verbose']);
		assert.equal(cli.code, 0, cli.stderr);
		assert.match(cli.stdout, /1 span priced again from .* \(taken 2025-09-01\)/);
		assert.equal(await cost('computed'), 0.007);
		assert.equal(await cost('sent'), 0.5);
		// The same table again changes nothing: no span priced, no new version written.
		const versions = async () => (await spandexCli(['stats', priced.dataDir, '--workspace', ws])).stdout.split('\n')[1].trim().split(/\s+/)[3];
		const before = await versions();
		for (let i = 0; i < 2; i++) {
			const again = await spandexCli(['reindex', priced.dataDir, '--workspace', ws, '--prices', table, '--verbose']);
			assert.equal(again.code, 0, again.stderr);
			assert.match(again.stdout, /0 spans priced again/);
		}
		assert.equal(await versions(), before);
		// A model the table no longer names keeps the cost last computed for it, and the date
		// of the table that gave it (docs/configuration.md, "Costs").
		fs.writeFileSync(table, '# taken: 2025-10-01\ngpt-4.1\t2.00\t8.00\t0.50\n');
		const gone = await spandexCli(['reindex', priced.dataDir, '--workspace', ws, '--prices', table, '--verbose']);
		assert.match(gone.stdout, /0 spans priced again .* \(taken 2025-10-01\)/);
		assert.equal(await cost('computed'), 0.007);
		const exported = (await spandexCli(['export', priced.dataDir, '--workspace', ws])).stdout.trim().split('\n').map((l) => JSON.parse(l));
		const kept = exported.find((s) => s.span_id === 'computed');
		kept.raw_attributes = JSON.parse(kept.raw_attributes); // a JSON string, as stored
		assert.equal(kept.raw_attributes['spandex.cost'], 'computed');
		assert.equal(kept.raw_attributes['spandex.price_table'], '2025-09-01');
		assert.equal(await versions(), before);
		const v = await spandexCli(['verify', priced.dataDir]);
		assert.equal(v.code, 0, v.stdout);
	} finally {
		await priced.stop();
	}
});

// Issue 31: a bad option printed the usage of every command; a workspace typed wrong was an
// empty row and exit 0; the README named 3 of the 11 commands.
test('a bad option prints that command\'s usage; an unknown workspace is an error naming it', async () => {
	const r = await spandexCli(['seal', srv.dataDir, '--bogus']);
	assert.equal(r.code, 2);
	assert.match(r.stderr, /^spandex: seal: unknown option '--bogus' for this command\nusage: spandex seal DATA /);
	assert.doesNotMatch(r.stderr, /spandex reindex|spandex backup/, 'only seal\'s usage');
	for (const args of [['backup', srv.dataDir], ['import', srv.dataDir, '--workspace', 'w']]) {
		const u = await spandexCli(args);
		assert.equal(u.code, 2);
		assert.match(u.stderr, new RegExp(`^spandex: ${args[0]}: .*\nusage: spandex ${args[0]} `), u.stderr);
	}
	assert.equal((await ingestSpans('cli-known', [makeSpan('known-1', { started_at: dayTime(0, 1) })], { base: srv.base })).status, 201);
	for (const cmd of [['stats'], ['verify'], ['reindex'], ['index'], ['seal'], ['retain', '--days', '30'], ['export']]) {
		const t = await spandexCli([cmd[0], srv.dataDir, ...cmd.slice(1), '--workspace', 'cli-knwon']);
		assert.equal(t.code, 1, `${cmd[0]}: ${t.stdout}${t.stderr}`);
		assert.match(t.stderr, new RegExp(`has no workspace 'cli-knwon'`), cmd[0]);
		assert.equal(t.stdout, '', cmd[0]);
	}
	const ok = await spandexCli(['stats', srv.dataDir, '--workspace', 'cli-known']);
	assert.equal(ok.code, 0, ok.stderr);
	assert.match(ok.stdout, /^cli-known +1 +1 /m);
});

test('a missing data directory is named as such; a refused restore leaves no directory; an empty export window is refused', async () => {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-cli-'));
	const none = path.join(tmp, 'nodata');
	for (const args of [['index', none], ['seal', none], ['retain', none, '--days', '30'], ['backup', none, path.join(tmp, 'b')],
		['import', none, '--workspace', 'w', path.join(tmp, 'x.jsonl')], ['verify', none], ['stats', none]]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
		assert.equal(r.stderr, `spandex: ${none} is not a data directory\n`, args[0]);
	}
	const fresh = path.join(tmp, 'fresh');
	const r = await spandexCli(['restore', path.join(tmp, 'no-backup'), fresh]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /no complete backup generation/);
	assert.equal(fs.existsSync(fresh), false, 'a refused restore takes away the directory it made');
	const x = await spandexCli(['export', srv.dataDir, '--workspace', 'cli-known', '--from', '2026-11-27', '--to', '2026-11-01']);
	assert.equal(x.code, 2);
	assert.match(x.stderr, /--from \(2026-11-27\) must be before --to \(2026-11-01\)/);
	fs.rmSync(tmp, { recursive: true, force: true });
});

test('the README lists every command of spandex --help, a line each', async () => {
	const help = (await spandexCli(['--help'])).stdout;
	const commands = [...help.matchAll(/^(?:usage:)?\s+spandex ([a-z]+)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
	assert.equal(commands.length, 16, help);
	const readme = fs.readFileSync(path.join(SRCDIR, 'README.md'), 'utf8');
	const listed = [...readme.matchAll(/^ {2}- `spandex ([a-z]+)[ `]/gm)].map((m) => m[1]);
	assert.deepEqual(listed, commands);
});

// export --out wrote FILE.tmp and renamed it over FILE: run as root, --out /dev/full replaced the
// device with a file. What is not a regular file (a device, a FIFO) is written in place.
test('export --out a FIFO writes into it, and leaves it a FIFO', async () => {
	const ws = 'cli-fifo';
	assert.equal((await ingestSpans(ws, [makeSpan('fifo-1')], { base: srv.base })).status, 201);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-fifo-'));
	const fifo = path.join(dir, 'out');
	await new Promise((resolve, reject) => execFile('mkfifo', [fifo], (e) => (e ? reject(e) : resolve())));
	const read = new Promise((resolve) => {
		const parts = [];
		fs.createReadStream(fifo).on('data', (c) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts).toString()));
	});
	const r = await spandexCli(['export', srv.dataDir, '--workspace', ws, '--out', fifo]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(await read, /"span_id":"fifo-1"/);
	assert.ok(fs.statSync(fifo).isFIFO());
	assert.ok(!fs.existsSync(`${fifo}.tmp`));
	fs.rmSync(dir, { recursive: true });
});

// backup DATA DATA/inside exited 0, and the backup then counted as a workspace of DATA.
test('backup into the data directory, or restore from inside the target, is refused (exit 2)', async () => {
	const data = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-inside-'));
	fs.mkdirSync(path.join(data, 'ws-a'));
	for (const args of [['backup', data, path.join(data, 'backups')], ['backup', data, data],
		['backup', data, path.join(data, 'ws-a', '..', 'b')], ['restore', path.join(data, 'ws-a'), data, '--force']]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
		assert.match(r.stderr, /is inside the data directory/);
	}
	assert.deepEqual(fs.readdirSync(data).filter((n) => !n.startsWith('.spandex-')), ['ws-a']);
	fs.rmSync(data, { recursive: true });
});

// `spandex verify /etc` made a lock, a journal and three tables in every directory of /etc: a
// directory with no file of a workspace is none, and no command makes anything in it.
test('directories under DATA that hold no workspace file are left alone by every command', async () => {
	const data = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-notws-'));
	for (const d of ['cron.d', 'apt', 'lost+found']) {
		fs.mkdirSync(path.join(data, d));
		fs.writeFileSync(path.join(data, d, 'conf'), 'x');
	}
	for (const args of [['verify', data], ['index', data], ['reindex', data], ['seal', data], ['retain', data, '--days', '1'], ['stats', data]]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
	}
	for (const d of ['cron.d', 'apt', 'lost+found']) assert.deepEqual(fs.readdirSync(path.join(data, d)), ['conf'], d);
	fs.rmSync(data, { recursive: true });
});
