// `spandex reindex` rebuilds every .idx from the JSONL alone, byte for byte the same as the
// ones ingest wrote but for the header's flag generation (bytes 48-55, a fresh one, so that
// the day's old live counts are not trusted) and the end of its text tail (bytes 56-63: reindex
// removes the writer's .tdx, which `spandex index` replaces); `spandex verify` agrees; a deleted
// index comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ingestSpans, getSpan, makeSpan, spandexCli, readIndexes, dayTime, request, rng, WS_PREFIX } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer({ workers: 2 });
});
after(async () => {
	await srv?.stop();
});

async function cli(...args) {
	const r = await spandexCli(args);
	assert.equal(r.code, 0, `spandex ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
	return r;
}

// Two .idx files are the same but for the header's flag generation and text tail.
function sameIndex(a, b) {
	const mask = (x) => { const c = Buffer.from(x); if (c.length >= 64) c.fill(0, 48, 64); return c; };
	return mask(a).equals(mask(b));
}

function assertSameIndexes(got, want, what) {
	assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: the same .idx files`);
	for (const [name, buf] of Object.entries(want)) {
		assert.ok(sameIndex(got[name], buf), `${what}: ${name} differs (${got[name].length} vs ${buf.length} bytes)`);
	}
}

test('reindex rebuilds byte-equal indexes; a deleted .idx is restored', async () => {
	// Two workspaces, three days, a tree of spans with tokens and costs, and re-sent ids (so
	// some records are superseded, also across days).
	for (const ws of ['reidx-a', 'reidx-b']) {
		for (const daysBack of [1, 2, 3]) {
			const spans = [];
			for (let i = 0; i < 30; i++) {
				spans.push(makeSpan(`${ws}-${daysBack}-${i}`, {
					trace_id: `${ws}-trace-${daysBack}-${i % 3}`,
					parent_span_id: i % 3 === 0 ? undefined : `${ws}-${daysBack}-${i - (i % 3)}`,
					started_at: dayTime(i * 1000, daysBack),
					ended_at: dayTime(i * 1000 + 500, daysBack),
					kind: i % 3 === 0 ? 'AGENT' : 'LLM',
					status: i % 7 === 0 ? 'error' : 'success',
					attributes: {
						'gen_ai.request.model': `model-${i % 2}`,
						'gen_ai.usage.input_tokens': i,
						'gen_ai.usage.output_tokens': 2 * i,
						'llm.cost.total': i / 1000,
						'gen_ai.project': 'p',
					},
				}));
			}
			const r = await ingestSpans(ws, spans);
			assert.equal(r.status, 201, r.text);
		}
		const again = [makeSpan(`${ws}-1-4`, { name: 'newer', started_at: dayTime(0, 1) }),
			makeSpan(`${ws}-2-5`, { name: 'moved day', started_at: dayTime(0, 1) })];
		assert.equal((await ingestSpans(ws, again)).status, 201);
	}

	const original = readIndexes(srv.dataDir);
	assert.ok(Object.keys(original).length >= 6, `one .idx per shard: ${Object.keys(original)}`);

	await cli('reindex', srv.dataDir);
	assertSameIndexes(readIndexes(srv.dataDir), original, 'after reindex');
	await cli('verify', srv.dataDir);

	// The newest versions still win after the rebuild.
	assert.equal((await getSpan('reidx-a', 'reidx-a-1-4')).json.name, 'newer');
	assert.equal((await getSpan('reidx-b', 'reidx-b-2-5')).json.name, 'moved day');

	// Deleting one index: verify names the problem, reindex --workspace restores it.
	const victim = Object.keys(original).find((p) => p.startsWith(`reidx-b${path.sep}`));
	fs.rmSync(path.join(srv.dataDir, victim));
	const bad = await spandexCli(['verify', srv.dataDir]);
	assert.notEqual(bad.code, 0, 'verify notices a missing index');
	assert.match(bad.stdout + bad.stderr, /reidx-b/, 'verify names the workspace');
	await cli('reindex', srv.dataDir, '--workspace', 'reidx-b');
	assertSameIndexes(readIndexes(srv.dataDir), original, 'after restoring one index');
	await cli('verify', srv.dataDir);

	// Every index gone: a full reindex restores them all.
	for (const p of Object.keys(original)) fs.rmSync(path.join(srv.dataDir, p));
	await cli('reindex', srv.dataDir);
	assertSameIndexes(readIndexes(srv.dataDir), original, 'after restoring every index');
	await cli('verify', srv.dataDir);
	assert.equal((await getSpan('reidx-a', 'reidx-a-3-29')).status, 200);
});

test('verify reports a damaged index and fails', async () => {
	const ws = 'reidx-c';
	const spans = Array.from({ length: 10 }, (_, i) => makeSpan(`${ws}-${i}`));
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const idx = Object.keys(readIndexes(srv.dataDir)).find((p) => p.startsWith(`${ws}${path.sep}`));
	const file = path.join(srv.dataDir, idx);
	const buf = fs.readFileSync(file);
	const damaged = Buffer.from(buf);
	damaged[damaged.length - 40] ^= 0xff; // inside the last record
	fs.writeFileSync(file, damaged);
	const bad = await spandexCli(['verify', srv.dataDir]);
	assert.notEqual(bad.code, 0, 'verify notices a flipped byte');
	assert.match(bad.stdout + bad.stderr, new RegExp(ws));
	await cli('reindex', srv.dataDir, '--workspace', ws);
	assert.ok(sameIndex(fs.readFileSync(file), buf), 'reindex writes the original bytes back');
	await cli('verify', srv.dataDir);
});

// The id, trace and session tables removed by hand (or a workspace copied in without them):
// every span stays readable by id, the next write rebuilds them from the indexes, and verify is
// clean. A get answered 404 for every stored span, and the next writer started an empty table
// that named only its own batch, so they stayed 404 until a reindex.
test('a removed id table: gets still answer, the next write rebuilds it, verify is clean', async () => {
	const ws = 'reidx-tab';
	const ids = [];
	for (const daysBack of [1, 2]) {
		const spans = Array.from({ length: 10 }, (_, i) => makeSpan(`${ws}-${daysBack}-${i}`, {
			trace_id: `${ws}-t${daysBack}`, started_at: dayTime(i, daysBack),
		}));
		ids.push(...spans.map((s) => s.span_id));
		assert.equal((await ingestSpans(ws, spans)).status, 201);
	}
	const dir = path.join(srv.dataDir, ws);
	const readAll = async (what) => {
		for (const id of ids) assert.equal((await getSpan(ws, id)).status, 200, `${what}: GET ${id}`);
		const t = await request('GET', `${WS_PREFIX}/${ws}/traces/${ws}-t1`);
		assert.equal(t.status, 200, `${what}: trace ${t.text}`);
	};
	for (const f of ['ids.tab', 'traces.tab', 'sessions.tab']) fs.rmSync(path.join(dir, f));
	await readAll('tables removed');
	const more = [makeSpan(`${ws}-new`, { trace_id: `${ws}-t1`, started_at: dayTime(99, 1) })];
	ids.push(more[0].span_id);
	assert.equal((await ingestSpans(ws, more)).status, 201);
	await readAll('after the next write');
	assert.ok(fs.existsSync(path.join(dir, 'ids.tab')), 'the writer made the table again');
	await cli('verify', srv.dataDir);
});

// A trace and session that cross 1970-01-01: reindex sorted a key's days by RANGE's unsigned
// high bits, where 1969-12-31 comes after 2025-01-01, and wrote the range [2025-01-01,
// 1969-12-31]: verify then found 4 problems and GET traces/t and sessions/t answered 404.
// The tables reindex writes are the writers' own, byte for byte.
test('reindex keeps a trace and session that cross 1970-01-01', async () => {
	const ws = 'reidx-epoch';
	const r = await ingestSpans(ws, [
		{ span_id: 'a', trace_id: 't', name: 'n', kind: 'LLM', status: 'success', started_at: '1969-12-31T00:00:00Z', ended_at: '1969-12-31T00:00:01Z' },
		{ span_id: 'b', trace_id: 't', name: 'n', kind: 'LLM', status: 'success', started_at: '2025-01-01T00:00:00Z' },
	]);
	assert.equal(r.status, 201, r.text);
	await cli('verify', srv.dataDir, '--workspace', ws);
	const tables = ['traces.tab', 'sessions.tab'];
	const read = () => Object.fromEntries(tables.map((t) => [t, fs.readFileSync(path.join(srv.dataDir, ws, t))]));
	const written = read();
	await cli('reindex', srv.dataDir, '--workspace', ws);
	await cli('verify', srv.dataDir, '--workspace', ws);
	const rebuilt = read();
	// The same slots (the header's generation may differ): bytes 64 on.
	for (const t of tables) assert.ok(rebuilt[t].subarray(64).equals(written[t].subarray(64)), `${t} as the writers wrote it`);
	for (const kind of ['traces', 'sessions']) {
		const g = await request('GET', `${WS_PREFIX}/${ws}/${kind}/t`);
		assert.equal(g.status, 200, `${kind}/t: ${g.text}`);
		assert.equal(g.json.span_count, 2, `${kind}/t: ${g.text.slice(0, 300)}`);
	}
});

// Issue 17's promise, that damage costs only the damaged part: a byte flipped in the middle of
// a stored line (of an open day, and of a sealed day's late lines) or inside a sealed day's
// compressed block made reindex refuse the whole workspace ("not a canonical span"), so no
// index of any healthy span could be rebuilt. Now each damaged line, and each frame that cannot
// be decompressed, is cut into <day>.quarantine (said on stderr), the day's other lines are
// written again as its plain JSONL, and every other span answers in every API.
test('reindex cuts damaged lines and sealed blocks into the quarantine and keeps every other span', async () => {
	const ws = 'reidx-damage';
	const rand = rng(17);
	const text = (n) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz '[Math.floor(rand() * 27)]).join('');
	// Day 3: 40 spans of 8 KB each, several 64 KiB blocks once sealed; day 1: five small ones.
	const sealed = Array.from({ length: 40 }, (_, i) => makeSpan(`${ws}-s${i}`, { trace_id: `${ws}-ts`, started_at: dayTime(i * 1000, 3), input: text(8000) }));
	const open = Array.from({ length: 5 }, (_, i) => makeSpan(`${ws}-o${i}`, { trace_id: `${ws}-to`, started_at: dayTime(i * 1000, 1) }));
	assert.equal((await ingestSpans(ws, [...sealed, ...open])).status, 201);
	await cli('seal', srv.dataDir, '--older-than', '2');
	const late = [0, 1].map((i) => makeSpan(`${ws}-late${i}`, { trace_id: `${ws}-ts`, started_at: dayTime(50000 + i, 3) }));
	assert.equal((await ingestSpans(ws, late)).status, 201);
	const dir = path.join(srv.dataDir, ws);
	const files = fs.readdirSync(dir);
	const zst = files.find((f) => f.endsWith('.jsonl.zst'));
	const lateFile = files.find((f) => f.endsWith('.late.jsonl'));
	const openFile = files.find((f) => /^\d{4}-\d\d-\d\d\.jsonl$/.test(f));
	assert.ok(zst && lateFile && openFile, files.join(' '));
	// A NUL in the middle of the second line of each plain file, a flipped byte inside the
	// compressed data a third of the way into the sealed file.
	const breakLine = (f, k) => {
		const b = fs.readFileSync(path.join(dir, f));
		let at = 0;
		for (let i = 0; i < k; i++) at = b.indexOf(10, at) + 1;
		const line = b.subarray(at, b.indexOf(10, at)).toString();
		b[at + (line.length >> 1)] = 0;
		fs.writeFileSync(path.join(dir, f), b);
		return JSON.parse(line).span_id;
	};
	const lostOpen = breakLine(openFile, 1), lostLate = breakLine(lateFile, 1);
	const z = fs.readFileSync(path.join(dir, zst));
	z[Math.floor(z.length / 3)] ^= 0x55;
	fs.writeFileSync(path.join(dir, zst), z);

	const r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stdout + r.stderr);
	const q = (f) => path.join(dir, f.replace(/\.(late\.)?jsonl(\.zst)?$/, '.quarantine'));
	assert.match(r.stderr, new RegExp(`${openFile.slice(0, 10)}: cut \\d+ bytes of 1 damaged line into ${q(openFile)}; span ids still readable in them: ${lostOpen}\\n`));
	assert.match(r.stderr, new RegExp(`${zst.slice(0, 10)}: cut \\d+ bytes of 1 damaged line and 1 sealed block that cannot be decompressed into ${q(zst)}`));
	assert.ok(fs.readFileSync(q(openFile), 'utf8').includes(`"span_id":"${lostOpen}"`), 'the damaged line is kept');
	assert.ok(fs.readFileSync(q(zst)).includes(`"span_id":"${lostLate}"`), 'the damaged late line is kept');
	await cli('verify', srv.dataDir, '--workspace', ws);

	// Every span whose line is intact answers; the lost ones are those of the cut block.
	const list = await request('GET', `${WS_PREFIX}/${ws}/spans?page_size=100`);
	assert.equal(list.status, 200, list.text);
	const listed = list.json.data.map((s) => s.span_id);
	assert.equal(list.json.pagination.total_results, listed.length);
	for (const s of [...open, ...late]) assert.equal(listed.includes(s.span_id), s.span_id !== lostOpen && s.span_id !== lostLate, s.span_id);
	const lostSealed = sealed.filter((s) => !listed.includes(s.span_id)).length;
	assert.ok(lostSealed > 0 && lostSealed < 10, `${lostSealed} spans of one 64 KiB block lost`);
	for (const id of listed) assert.equal((await getSpan(ws, id)).status, 200, id);
	for (const id of [lostOpen, lostLate]) assert.equal((await getSpan(ws, id)).status, 404, id);
	const sgp = await request('POST', '/v5/spans/search', { body: {}, headers: { 'x-selected-account-id': ws, 'Content-Type': 'application/json' } });
	assert.equal(sgp.status, 200, sgp.text);
	assert.equal(sgp.json.total, listed.length);
	// A word of every sealed span's input, through NeMo's search and the Opik page.
	const word = sealed[0].input.split(' ').find((x) => x.length > 6);
	const found = await request('GET', `${WS_PREFIX}/${ws}/spans?search=${encodeURIComponent(word)}&page_size=100&mode=summary`);
	assert.equal(found.status, 200, found.text);
	assert.ok(found.json.data.some((s) => s.span_id === `${ws}-s0`) === listed.includes(`${ws}-s0`), found.text.slice(0, 300));
	const opik = await request('GET', `/api/v1/private/spans?project_name=${encodeURIComponent('Default Project')}&size=100`, { headers: { 'Comet-Workspace': ws } });
	assert.equal(opik.status, 200, opik.text);
	assert.equal(opik.json.total, listed.length);
	assert.equal(opik.json.content.length, listed.length);
	for (const t of [`${ws}-ts`, `${ws}-to`]) {
		const g = await request('GET', `${WS_PREFIX}/${ws}/traces/${t}`);
		assert.equal(g.status, 200, g.text);
		assert.equal(g.json.span_count, listed.filter((id) => id.startsWith(t === `${ws}-ts` ? `${ws}-s` : `${ws}-o`) || (t === `${ws}-ts` && id.startsWith(`${ws}-late`))).length, t);
	}
	// The days take writes again, and a second reindex finds nothing left to cut.
	assert.equal((await ingestSpans(ws, [makeSpan(`${ws}-after`, { started_at: dayTime(99, 3) }), makeSpan(`${ws}-after1`, { started_at: dayTime(99, 1) })])).status, 201);
	const again = await cli('reindex', srv.dataDir, '--workspace', ws);
	assert.doesNotMatch(again.stderr, /cut/);
	await cli('verify', srv.dataDir, '--workspace', ws);
	assert.equal((await getSpan(ws, `${ws}-after`)).status, 200);
});

// A byte flipped in a day's .idx (a record's checksum then fails) or in ids.tab (a slot then
// names a record of another span, or none): the get of that span answered 404 until reindex.
// The reader now takes such a slot for damage and looks at the days, where a record that fails
// its checksum is confirmed on its line alone (found where its neighbours say it lies).
test('a damaged index record or id table slot: the get still answers, verify names it, reindex repairs', async () => {
	const ws = 'reidx-rot';
	const spans = Array.from({ length: 6 }, (_, i) => makeSpan(`${ws}-${i}`, { started_at: dayTime(i * 1000, 1) }));
	assert.equal((await ingestSpans(ws, spans)).status, 201);
	const dir = path.join(srv.dataDir, ws);
	const idx = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.idx')));
	const b = fs.readFileSync(idx);
	b[128 + 1 * 128 + 0] ^= 0x10; // record 1's span hash
	b[128 + 3 * 128 + 58] ^= 0x10; // record 3's offset
	b[128 + 5 * 128 + 100] ^= 0x10; // the last record's cost
	fs.writeFileSync(idx, b);
	const t = fs.readFileSync(path.join(dir, 'ids.tab'));
	const slots = [];
	for (let s = 64; s < t.length; s += 16) if (t.readBigUInt64LE(s) !== 0n) slots.push(s);
	t[slots[0] + 8] ^= 0x01; // a slot's record number
	t[slots[1] + 12] ^= 0x01; // a slot's day
	fs.writeFileSync(path.join(dir, 'ids.tab'), t);
	for (const s of spans) {
		const g = await getSpan(ws, s.span_id);
		assert.equal(g.status, 200, `${s.span_id}: ${g.text}`);
		assert.equal(g.json.span_id, s.span_id);
	}
	const v = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(v.code, 1);
	assert.match(v.stdout, /record 1: checksum mismatch/);
	await cli('reindex', srv.dataDir, '--workspace', ws);
	await cli('verify', srv.dataDir, '--workspace', ws);
	for (const s of spans) assert.equal((await getSpan(ws, s.span_id)).status, 200, s.span_id);
});
