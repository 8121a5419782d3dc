// `spandex reindex` rebuilds every .idx from the JSONL alone, byte for byte the same as the
// ones ingest wrote but for the header's flag generation (bytes 48-55, a fresh one, so that
// the day's old live counts are not trusted) and the end of its text tail (bytes 56-63: reindex
// removes the writer's .tdx, which `spandex index` replaces); `spandex verify` agrees; a deleted
// index comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ingestSpans, getSpan, makeSpan, spandexCli, readIndexes, dayTime, request, WS_PREFIX } from '../harness.mjs';

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
