// Sealed shards (issue 5, `spandex seal`): every endpoint answers byte for byte as it did
// on the open shards; late spans land beside a sealed day and a second seal folds them in;
// seal, retain and backup/restore run while a writer ingests; and a seal SIGKILLed at any
// point leaves a store that verifies and answers as before (docs/ARCHITECTURE.md, sealed
// shards: write the .tmp, fsync, rename, commit by the index header, then tidy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	startServer, request, ingestSpans, makeSpan, spandexCli, spandexOk, run, dayTime, startWriter,
	linesById, waitExit, cgiRequest, clockEnv, WAIT_MS, BUILDDIR, WS_PREFIX, rng } from '../harness.mjs';

let srv;
let tmp;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2, traces: 1, sessions: 1 } });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-seal-'));
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

// daysBack days before today (UTC) at h:m:s.ms, as ISO text.
function at(daysBack, h, m = 0, s = 0, ms = 0) {
	const d = new Date();
	return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack, h, m, s, ms)).toISOString();
}
const dayName = (daysBack) => at(daysBack, 12).slice(0, 10);

async function ingestOk(ws, spans, base = srv.base) {
	const r = await ingestSpans(ws, spans, { base });
	assert.equal(r.status, 201, r.text);
}

// A seal, retain or verify that is quiet and succeeds.
async function quiet(...args) {
	const r = await spandexOk(args);
	assert.equal(r.stdout + r.stderr, '', `spandex ${args.join(' ')} is quiet when all is well`);
	return r;
}
const verifyClean = (data, ...rest) => quiet('verify', data, ...rest);

// Status and body of every path, fetched a few at a time.
async function snapshot(paths, base = srv.base) {
	const out = new Map();
	for (let i = 0; i < paths.length; i += 6) {
		const chunk = paths.slice(i, i + 6);
		const got = await Promise.all(chunk.map((p) => request('GET', p, { base })));
		chunk.forEach((p, k) => out.set(p, `${got[k].status}\n${got[k].text}`));
	}
	return out;
}

function assertSame(before, now, when) {
	let differ = 0;
	for (const [p, body] of before) {
		if (now.get(p) === body) continue;
		if (++differ <= 3) assert.equal(now.get(p), body, `${when}: GET ${p}`);
	}
	assert.equal(differ, 0, `${when}: ${differ} answers changed`);
}

// The index header's seal fields (lib/store_int.h struct idx_hdr: sealed_bytes at 32,
// sealed_recs at 40); sealedBytes 0 is an open shard.
function idxHeader(file) {
	const fd = fs.openSync(file, 'r');
	try {
		const b = Buffer.alloc(48);
		fs.readSync(fd, b, 0, 48, 0);
		return { committed: b.readBigUInt64LE(24), sealedBytes: b.readBigUInt64LE(32), sealedRecs: b.readBigUInt64LE(40) };
	} finally {
		fs.closeSync(fd);
	}
}

const has = (dir, f) => fs.existsSync(path.join(dir, f));

function assertSealed(dir, day, { late = false } = {}) {
	assert.ok(has(dir, `${day}.jsonl.zst`), `${day}.jsonl.zst exists`);
	assert.ok(!has(dir, `${day}.jsonl`), `${day}.jsonl is gone`);
	assert.ok(!has(dir, `${day}.jsonl.zst.tmp`), `no ${day}.jsonl.zst.tmp is left`);
	assert.equal(has(dir, `${day}.late.jsonl`), late, `${day}.late.jsonl ${late ? 'holds the late spans' : 'is gone'}`);
	assert.ok(idxHeader(path.join(dir, `${day}.idx`)).sealedBytes > 0n, `${day}.idx commits the seal`);
}

async function zstdcat(file) {
	const r = await run('zstdcat', [file], { encoding: 'buffer' });
	assert.equal(r.code, 0, `zstdcat ${file}: ${r.stderr}`);
	return r.stdout;
}

// The requests a workspace is checked with: every span and trace and session by id, and
// lists with paging, both sorts, kind/status/model/session/text filters and time windows
// narrower than a day (the sealed path answers those from its start-time order).
function requestsFor(ws, { ids, traces, sessions, windows }) {
	const P = `${WS_PREFIX}/${ws}`;
	const win = ([from, to]) =>
		`${from ? `filter[started_at][$gte]=${from}` : ''}${from && to ? '&' : ''}${to ? `filter[started_at][$lte]=${to}` : ''}`;
	const text = (t) => `filter=${encodeURIComponent(t)}`;
	const out = [];
	for (const id of [...ids, 'no-such-span']) out.push(`${P}/spans/${encodeURIComponent(id)}`);
	for (const q of ['', 'page=2', 'mode=summary&page_size=1000', 'mode=detailed&page_size=40',
		'sort=-started_at&page_size=25', 'filter[kind]=LLM', 'filter[kind]=TOOL&sort=started_at',
		'filter[status]=error&mode=summary', 'filter[model]=gpt-4o', `filter[session_id]=${sessions[0]}`,
		`filter[trace_id]=${traces[0]}`, text('kind:"LLM" AND status:"success"'),
		text('model:"claude-3-5-sonnet"'), 'filter[kind]=CHAIN']) out.push(`${P}/spans?${q}`);
	for (let page = 1; page <= 12; page++) {
		out.push(`${P}/spans?page=${page}&page_size=9&mode=summary`);
		out.push(`${P}/spans?page=${page}&page_size=9&sort=started_at&mode=summary`);
	}
	for (const w of windows) {
		out.push(`${P}/spans?${win(w)}`);
		out.push(`${P}/spans?sort=started_at&page_size=3&page=2&${win(w)}`);
		out.push(`${P}/spans?mode=summary&filter[kind]=LLM&${win(w)}`);
		out.push(`${P}/spans?mode=summary&${text('status:"error"')}&${win(w)}`);
		out.push(`${P}/spans/groups?by=trace_id&${win(w)}`);
		out.push(`${P}/traces?mode=summary&${win(w)}`);
	}
	for (const q of ['by=trace_id', 'by=session_id', 'by=session_id,trace_id', 'by=trace_id&sort=span_count',
		'by=trace_id&page=2&page_size=5', 'by=trace_id&page=3&page_size=5', 'by=session_id&filter[kind]=LLM',
		'by=trace_id&filter[status]=error']) out.push(`${P}/spans/groups?${q}`);
	for (const q of ['', 'mode=summary', 'sort=started_at&mode=summary', 'page_size=4', 'page=2&page_size=4',
		'page=3&page_size=4', 'page=9&page_size=4', 'filter[status]=error', `filter[session_id]=${sessions[1 % sessions.length]}`,
		`filter[id][in]=${traces.slice(0, 3).join(',')},no-such`]) out.push(`${P}/traces?${q}`);
	for (const t of [...traces, 'no-such-trace']) out.push(`${P}/traces/${encodeURIComponent(t)}`);
	out.push(`${P}/traces/${encodeURIComponent(traces[0])}?mode=summary`);
	for (const s of [...sessions, 'no-such-session']) out.push(`${P}/sessions/${encodeURIComponent(s)}`);
	return out;
}

// A small workspace of past days: traces of four spans each day (tokens, costs, models,
// some errors), sessions across days, traces crossing midnight, spans sharing a start time
// (storage order breaks the tie), and versions superseded on the same day and on another.
function apiFixture(ws, days) {
	const spans = [];
	const traces = [];
	const sessions = [`${ws}-sess-a`, `${ws}-sess-b`, `${ws}-sess-c`];
	for (const d of days) {
		for (let t = 0; t < 4; t++) {
			const tid = `${ws}-d${d}-t${t}`;
			traces.push(tid);
			const sess = sessions[(d + t) % 3];
			const base = { trace_id: tid, session_id: sess };
			const h = 2 + 5 * t;
			spans.push(makeSpan(`${tid}-root`, {
				...base, kind: 'AGENT', name: `agent ${t}`, status: 'success', started_at: at(d, h), ended_at: at(d, h, 0, 9),
				input: `question ${d}/${t}`, output: `answer ${d}/${t}`, attributes: { 'agent.name': 'helper', project: 'p1' },
			}));
			spans.push(makeSpan(`${tid}-llm`, {
				...base, parent_span_id: `${tid}-root`, kind: 'LLM', name: 'chat', status: t === 2 ? 'error' : 'success',
				started_at: at(d, h, 0, 1, 250), ended_at: at(d, h, 0, 4),
				input: [{ role: 'user', content: `q${d}${t}` }], output: `a${d}${t}`,
				attributes: {
					'gen_ai.request.model': t % 2 ? 'claude-3-5-sonnet' : 'gpt-4o', 'gen_ai.system': t % 2 ? 'anthropic' : 'openai',
					'gen_ai.usage.input_tokens': 100 + d * 10 + t, 'gen_ai.usage.output_tokens': 20 + t,
					'gen_ai.usage.total_tokens': 120 + d * 10 + 2 * t, 'llm.cost.total': (d + t) / 1000,
				},
			}));
			spans.push(makeSpan(`${tid}-tool`, {
				...base, parent_span_id: `${tid}-llm`, kind: 'TOOL', name: 'search', status: t === 1 ? 'error' : 'success',
				started_at: at(d, h, 0, 2), ended_at: at(d, h, 0, 3), input: { query: `q${t}` },
				attributes: { 'tool.name': 'web_search', ...(t === 1 ? { 'exception.type': 'Timeout' } : {}) },
			}));
			// Same start time as the tool span: the lists order the two by storage.
			spans.push(makeSpan(`${tid}-ret`, {
				...base, parent_span_id: `${tid}-root`, kind: 'RETRIEVER', name: 'retrieve', status: 'success',
				started_at: at(d, h, 0, 2), ended_at: at(d, h, 0, 2, 500),
			}));
		}
		// Crossing midnight into the next day (d - 1 days back).
		const mid = `${ws}-mid-${d}`;
		traces.push(mid);
		spans.push(makeSpan(`${mid}-root`, {
			trace_id: mid, session_id: sessions[d % 3], kind: 'CHAIN', name: 'overnight', status: 'success',
			started_at: at(d, 23, 59, 58, 500), ended_at: at(d - 1, 0, 0, 5),
		}));
		spans.push(makeSpan(`${mid}-late-child`, {
			trace_id: mid, session_id: sessions[d % 3], parent_span_id: `${mid}-root`, kind: 'LLM', name: 'chat',
			status: 'success', started_at: at(d - 1, 0, 0, 0), ended_at: at(d - 1, 0, 0, 3),
			attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 7, 'llm.cost.total': 0.5 },
		}));
	}
	return { spans, traces, sessions };
}

test('every endpoint answers byte for byte the same after seal', async () => {
	const ws = 'seal-api';
	const days = [8, 7, 6, 5, 4, 3];
	const { spans, traces, sessions } = apiFixture(ws, days);
	for (let i = 0; i < spans.length; i += 40) await ingestOk(ws, spans.slice(i, i + 40));
	// New versions: one on its own day, one moved to another sealed day, one moved to today
	// (an open shard), one sent twice more.
	const d5 = `${ws}-d5-t1`;
	const d6 = `${ws}-d6-t2`;
	await ingestOk(ws, [makeSpan(`${d5}-root`, { trace_id: d5, session_id: sessions[0], kind: 'AGENT', name: 'renamed', started_at: at(5, 7, 30) })]);
	await ingestOk(ws, [makeSpan(`${d6}-llm`, { trace_id: d6, kind: 'LLM', name: 'moved', started_at: at(3, 1), attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1 } })]);
	await ingestOk(ws, [makeSpan(`${ws}-d4-t3-tool`, { trace_id: `${ws}-d4-t3`, kind: 'TOOL', name: 'to today', started_at: dayTime(5, 0) })]);
	for (const name of ['again 1', 'again 2'])
		await ingestOk(ws, [makeSpan(`${ws}-d7-t0-ret`, { trace_id: `${ws}-d7-t0`, kind: 'RETRIEVER', name, started_at: at(7, 2, 0, 2) })]);
	await ingestOk(ws, [makeSpan(`${ws}-today`, { trace_id: `${ws}-today`, session_id: sessions[2], kind: 'AGENT', started_at: dayTime(0, 0) })]);
	await ingestOk(ws, [makeSpan(`${ws}-yesterday`, { trace_id: `${ws}-today`, session_id: sessions[2], kind: 'LLM', started_at: dayTime(0, 1) })]);
	traces.push(`${ws}-today`);

	const ids = [...new Set([...spans.map((s) => s.span_id), `${ws}-today`, `${ws}-yesterday`])];
	const windows = [
		[at(4, 1), at(4, 9, 30)], // part of one day
		[at(6, 23), at(5, 1)], // across midnight
		[at(6, 23, 59, 58, 500), at(5, 0, 0, 0)], // both ends exactly on span starts
		[at(7, 2, 0, 2), at(7, 2, 0, 2)], // one instant, two spans
		[at(5, 10), null], // from a point on
		[null, at(6, 12)], // up to a point
		[at(9, 0), at(2, 0)], // every sealed day
	];
	const paths = requestsFor(ws, { ids, traces, sessions, windows });
	const before0 = await snapshot(paths);
	// The fixture is what the checks rely on: spans in the windows, traces, sessions.
	assert.equal(before0.get(paths.find((p) => p.endsWith(`/spans/${d5}-root`))).split('\n')[0], '200');
	const firstWin = JSON.parse(before0.get(paths.find((p) => p.includes('?filter[started_at]'))).split('\n')[1]);
	assert.equal(firstWin.pagination.total_results, 8, 'the part-of-a-day window holds two traces');
	assert.ok([...before0.values()].filter((v) => v.startsWith('200\n')).length > paths.length * 0.9);

	const dir = path.join(srv.dataDir, ws);
	const plain = {};
	for (const d of days) plain[d] = fs.readFileSync(path.join(dir, `${dayName(d)}.jsonl`));
	const exported = linesById((await spandexOk(['export', srv.dataDir, '--workspace', ws])).stdout);

	// By default the days before yesterday: yesterday stays open for its late spans.
	await quiet('seal', srv.dataDir, '--workspace', ws);
	assertSealed(dir, dayName(2));
	assert.ok(has(dir, `${dayName(1)}.jsonl`) && !has(dir, `${dayName(1)}.jsonl.zst`), 'yesterday stays open');
	assertSame(before0, await snapshot(paths), 'after the days before yesterday are sealed');
	await quiet('seal', srv.dataDir, '--older-than', '0', '--workspace', ws);
	assertSealed(dir, dayName(1));
	for (const d of days) {
		assertSealed(dir, dayName(d));
		assert.ok((await zstdcat(path.join(dir, `${dayName(d)}.jsonl.zst`))).equals(plain[d]),
			`zstdcat ${dayName(d)}.jsonl.zst prints the day's lines as they were`);
	}
	assert.ok(has(dir, `${dayName(0)}.jsonl`) && !has(dir, `${dayName(0)}.jsonl.zst`), 'today stays open');

	assertSame(before0, await snapshot(paths), 'after seal');
	await verifyClean(srv.dataDir);
	const again = linesById((await spandexOk(['export', srv.dataDir, '--workspace', ws])).stdout);
	assert.deepEqual([...again], [...exported], 'export reads the sealed days alike');
	// reindex rebuilds the indexes of sealed days from their sealed files.
	await quiet('reindex', srv.dataDir, '--workspace', ws);
	assertSame(before0, await snapshot(paths), 'after reindex');
	assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.late.jsonl')), [],
		'a reindex creates no late files');
	await verifyClean(srv.dataDir, '--workspace', ws);

	// A second run has nothing to do and changes nothing.
	const zst = fs.statSync(path.join(dir, `${dayName(5)}.jsonl.zst`));
	await quiet('seal', srv.dataDir, '--older-than', '0', '--workspace', ws);
	assert.equal(fs.statSync(path.join(dir, `${dayName(5)}.jsonl.zst`)).ino, zst.ino, 'a sealed day is not rewritten');
	assertSame(before0, await snapshot(paths), 'after a second seal');
});

test('late spans for a sealed day are served at once and folded in by the next seal', async () => {
	const ws = 'seal-late';
	const days = [5, 4, 3];
	const { spans, traces, sessions } = apiFixture(ws, days);
	await ingestOk(ws, spans);
	const dir = path.join(srv.dataDir, ws);
	const plain4 = fs.readFileSync(path.join(dir, `${dayName(4)}.jsonl`));
	await quiet('seal', srv.dataDir, '--older-than', '2', '--workspace', ws);
	for (const d of days) assertSealed(dir, dayName(d));

	// Late: new spans of a sealed day, a new version on the same sealed day, one moved from
	// one sealed day to another, and one moved from a sealed day to today.
	const late = [
		makeSpan(`${ws}-late-1`, { trace_id: `${ws}-d4-t0`, session_id: sessions[1], parent_span_id: `${ws}-d4-t0-root`, kind: 'LLM', name: 'late one', started_at: at(4, 2, 0, 3), attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5 } }),
		// The start time of two sealed spans: sorted lists put it after them (storage order).
		makeSpan(`${ws}-late-tie`, { trace_id: `${ws}-d4-t0`, parent_span_id: `${ws}-d4-t0-root`, kind: 'TOOL', name: 'late tie', started_at: at(4, 2, 0, 2) }),
		makeSpan(`${ws}-late-2`, { trace_id: `${ws}-late-trace`, session_id: sessions[0], kind: 'AGENT', name: 'late root', started_at: at(4, 20) }),
		makeSpan(`${ws}-d4-t1-llm`, { trace_id: `${ws}-d4-t1`, kind: 'LLM', status: 'error', name: 'late version', started_at: at(4, 7, 0, 1, 250) }),
		makeSpan(`${ws}-d5-t2-tool`, { trace_id: `${ws}-d5-t2`, kind: 'TOOL', name: 'moved to day 3', started_at: at(3, 12) }),
		makeSpan(`${ws}-d3-t3-root`, { trace_id: `${ws}-d3-t3`, kind: 'AGENT', name: 'moved to today', started_at: dayTime(0, 0) }),
	];
	const r = await ingestSpans(ws, late, { base: srv.base });
	assert.equal(r.status, 201, `late spans are accepted: ${r.text}`);
	for (const d of [4, 3]) assert.ok(has(dir, `${dayName(d)}.late.jsonl`), `${dayName(d)} has late lines`);
	const lateLines4 = fs.readFileSync(path.join(dir, `${dayName(4)}.late.jsonl`));

	const P = `${WS_PREFIX}/${ws}`;
	for (const s of late) {
		const g = await request('GET', `${P}/spans/${s.span_id}`, { base: srv.base });
		assert.equal(g.status, 200, s.span_id);
		assert.equal(g.json.name, s.name, `${s.span_id}: the late version is the live one`);
	}
	const list4 = await request('GET', `${P}/spans?page_size=100&mode=summary&filter[started_at][$gte]=${at(4, 0)}&filter[started_at][$lte]=${at(4, 23, 59, 59)}`, { base: srv.base });
	const names4 = new Map(list4.json.data.map((s) => [s.span_id, s.name]));
	assert.equal(names4.get(`${ws}-late-1`), 'late one');
	assert.equal(names4.get(`${ws}-late-2`), 'late root');
	const tie = await request('GET', `${P}/spans?sort=started_at&mode=summary&filter[started_at][$gte]=${at(4, 2, 0, 2)}&filter[started_at][$lte]=${at(4, 2, 0, 2)}`, { base: srv.base });
	assert.deepEqual(tie.json.data.map((s) => s.span_id), [`${ws}-d4-t0-tool`, `${ws}-d4-t0-ret`, `${ws}-late-tie`]);
	assert.equal(names4.get(`${ws}-d4-t1-llm`), 'late version', 'only the new version is listed');
	assert.equal(list4.json.data.filter((s) => s.span_id === `${ws}-d4-t1-llm`).length, 1);
	const list5 = await request('GET', `${P}/spans?page_size=100&mode=summary&filter[started_at][$gte]=${at(5, 0)}&filter[started_at][$lte]=${at(5, 23, 59, 59)}`, { base: srv.base });
	assert.ok(!list5.json.data.some((s) => s.span_id === `${ws}-d5-t2-tool`), 'the old version left its sealed day');
	const lateTrace = await request('GET', `${P}/traces/${ws}-late-trace`, { base: srv.base });
	assert.equal(lateTrace.status, 200);
	await verifyClean(srv.dataDir, '--workspace', ws);

	const ids = [...new Set([...spans, ...late].map((s) => s.span_id))];
	const paths = requestsFor(ws, {
		ids, traces: [...traces, `${ws}-late-trace`], sessions,
		windows: [[at(4, 2, 0, 2), at(4, 2, 0, 2)], [at(4, 0), at(4, 23, 59, 59)], [at(4, 1), at(4, 8)], [at(5, 23), at(4, 1)], [at(3, 11), at(3, 13)]],
	});
	const withLate = await snapshot(paths);
	await quiet('seal', srv.dataDir, '--older-than', '2', '--workspace', ws);
	for (const d of days) assertSealed(dir, dayName(d));
	assert.ok((await zstdcat(path.join(dir, `${dayName(4)}.jsonl.zst`))).equals(Buffer.concat([plain4, lateLines4])),
		'the new sealed file holds the old lines, then the late ones');
	assertSame(withLate, await snapshot(paths), 'after folding the late spans in');
	await verifyClean(srv.dataDir, '--workspace', ws);
});

test('seal takes the admin lock; bad arguments are usage errors', async () => {
	const lockFile = path.join(srv.dataDir, '.spandex-admin.lock');
	fs.closeSync(fs.openSync(lockFile, 'a'));
	// flock holds the lock while its command, a seal, tries to take it for itself.
	const busy = await run('flock', [lockFile, path.join(BUILDDIR, 'src', 'spandex'), 'seal', srv.dataDir, '--older-than', '0']);
	assert.equal(busy.code, 1, busy.stderr);
	assert.match(busy.stderr, /another run holds .*\.spandex-admin\.lock/);
	for (const args of [['seal'], ['seal', srv.dataDir, '--older-than', 'x'], ['seal', srv.dataDir, '--older-than', '-1'],
		['seal', srv.dataDir, '--days', '3'], ['seal', srv.dataDir, tmp]]) {
		const r = await spandexCli(args);
		assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
		assert.equal(r.stdout, '');
	}
});

// Every acknowledged span of a writer is there with its newest acknowledged version.
async function assertWriterSpans(w, ws, base = srv.base) {
	const ids = [...w.acked];
	for (let i = 0; i < ids.length; i += 20) {
		const chunk = ids.slice(i, i + 20);
		const got = await Promise.all(chunk.map((id) => request('GET', `${WS_PREFIX}/${ws}/spans/${id}`, { base })));
		chunk.forEach((id, k) => {
			assert.equal(got[k].status, 200, `acknowledged ${id}`);
			assert.equal(got[k].json.name, w.latest.get(id), `${id}: the newest acknowledged version`);
		});
	}
}

test('seal while a writer ingests into today and into the days being sealed', async () => {
	const ws = 'seal-live';
	const { spans } = apiFixture(ws, [5, 4, 3]);
	await ingestOk(ws, spans);
	const w = startWriter(ws, { base: srv.base, days: [0, 3, 4] });
	await w.until(100);
	await quiet('seal', srv.dataDir, '--older-than', '1', '--workspace', ws);
	await w.until(w.acked.size + 100);
	// Again while late spans keep coming: they are folded in, or wait for the next run.
	await quiet('seal', srv.dataDir, '--older-than', '1', '--workspace', ws);
	await w.until(w.acked.size + 50);
	await w.stop();
	const dir = path.join(srv.dataDir, ws);
	for (const d of [5, 4, 3]) {
		assert.ok(has(dir, `${dayName(d)}.jsonl.zst`) && !has(dir, `${dayName(d)}.jsonl`), `${dayName(d)} is sealed`);
		assert.ok(!has(dir, `${dayName(d)}.jsonl.zst.tmp`));
	}
	await assertWriterSpans(w, ws);
	for (const s of spans) {
		const g = await request('GET', `${WS_PREFIX}/${ws}/spans/${s.span_id}`, { base: srv.base });
		assert.equal(g.status, 200, s.span_id);
	}
	await verifyClean(srv.dataDir, '--workspace', ws);
	// A last seal with nothing arriving leaves no late file behind.
	await quiet('seal', srv.dataDir, '--older-than', '1', '--workspace', ws);
	for (const d of [5, 4, 3]) assertSealed(dir, dayName(d));
	await assertWriterSpans(w, ws);
	await verifyClean(srv.dataDir, '--workspace', ws);
});

test('retain removes and archives sealed days, late lines too, while a writer runs', async () => {
	const ws = 'seal-retain';
	// Sent 200 days ago (by a program whose clock says so): retain keeps a day that holds spans
	// ingested in the days it keeps.
	const past = async (spans) => {
		const r = await cgiRequest(srv.dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans }, env: clockEnv(-200 * 86400) });
		assert.equal(r.status, 201, r.text);
	};
	for (const back of [40, 35, 3]) {
		await past(Array.from({ length: 8 }, (_, i) =>
			makeSpan(`${ws}-d${back}-${i}`, { started_at: at(back, 9, i), name: `n${i}` })));
	}
	await quiet('seal', srv.dataDir, '--older-than', '0', '--workspace', ws);
	await past([makeSpan(`${ws}-late40`, { started_at: at(40, 10) })]);
	const dir = path.join(srv.dataDir, ws);
	const archive = path.join(tmp, 'archive');
	const d40 = dayName(40);
	const d35 = dayName(35);
	assert.ok(has(dir, `${d40}.late.jsonl`));
	const zst40 = fs.readFileSync(path.join(dir, `${d40}.jsonl.zst`));
	const late40 = fs.readFileSync(path.join(dir, `${d40}.late.jsonl`));

	const w = startWriter(ws, { base: srv.base, days: [0, 3] });
	await w.until(40);
	await quiet('retain', srv.dataDir, '--days', '30', '--archive', archive, '--workspace', ws);
	await w.until(w.acked.size + 40);
	await w.stop();

	for (const f of [`${d40}.idx`, `${d40}.jsonl.zst`, `${d40}.late.jsonl`, `${d35}.idx`, `${d35}.jsonl.zst`]) {
		assert.ok(!has(dir, f), `${f} removed`);
		assert.ok(fs.existsSync(path.join(archive, ws, f)), `${f} archived`);
	}
	assert.ok(fs.readFileSync(path.join(archive, ws, `${d40}.jsonl.zst`)).equals(zst40), 'archived as it was');
	assert.ok(fs.readFileSync(path.join(archive, ws, `${d40}.late.jsonl`)).equals(late40));
	for (const id of [`${ws}-d40-0`, `${ws}-d35-7`, `${ws}-late40`]) {
		assert.equal((await request('GET', `${WS_PREFIX}/${ws}/spans/${id}`, { base: srv.base })).status, 404, id);
	}
	for (let i = 0; i < 8; i++) {
		assert.equal((await request('GET', `${WS_PREFIX}/${ws}/spans/${ws}-d3-${i}`, { base: srv.base })).status, 200, 'a kept sealed day stays');
	}
	await assertWriterSpans(w, ws);
	await verifyClean(srv.dataDir, '--workspace', ws);
});

test('backup and restore of sealed days while a writer runs; unchanged sealed files are linked', async () => {
	const ws = 'seal-backup';
	const { spans, traces, sessions } = apiFixture(ws, [7, 6, 5]);
	await ingestOk(ws, spans);
	await quiet('seal', srv.dataDir, '--older-than', '0', '--workspace', ws);
	await ingestOk(ws, [makeSpan(`${ws}-late5`, { trace_id: `${ws}-d5-t0`, started_at: at(5, 3) })]);
	const dest = path.join(tmp, 'backups');
	const w = startWriter(ws, { base: srv.base, days: [0, 5] });
	await w.until(80);
	const ackedBefore = new Set(w.acked);
	await spandexOk(['backup', srv.dataDir, dest]);
	await w.until(w.acked.size + 60);
	const ackedBefore2 = new Set(w.acked);
	await spandexOk(['backup', srv.dataDir, dest]);
	await w.stop();
	// Quiet now: a third generation taken while nothing moves must answer exactly as live.
	await spandexOk(['backup', srv.dataDir, dest]);

	const gens = fs.readdirSync(dest).sort().map((g) => path.join(dest, g));
	assert.equal(gens.length, 3, `three generations: ${gens}`);
	const [g1, g2, g3] = gens;
	for (const d of [7, 6]) {
		const f = `${dayName(d)}.jsonl.zst`;
		for (const g of [g2, g3])
			assert.equal(fs.statSync(path.join(g, ws, f)).ino, fs.statSync(path.join(g1, ws, f)).ino, `${path.basename(g)}: ${f} is a hard link`);
	}
	const manifest = fs.readFileSync(path.join(g2, 'MANIFEST'), 'utf8');
	for (const d of [7, 6, 5])
		assert.match(manifest, new RegExp(`^${ws} ${dayName(d)} \\d+ \\d+ \\w+ sealed$`, 'm'), `${dayName(d)} is listed as sealed`);
	assert.match(manifest, new RegExp(`^${ws} ${dayName(7)} \\d+ \\d+ linked sealed$`, 'm'));
	assert.ok(fs.existsSync(path.join(g1, ws, `${dayName(5)}.late.jsonl`)), 'the late lines are backed up');

	for (const [gen, acked] of [[g1, ackedBefore], [g2, ackedBefore2]]) {
		const data = path.join(tmp, `restored-${path.basename(gen)}`);
		await spandexOk(['restore', gen, data]);
		await verifyClean(data);
		assert.ok(fs.existsSync(path.join(data, ws, `${dayName(6)}.jsonl.zst`)), 'restored sealed');
		const live = linesById((await spandexOk(['export', data, '--workspace', ws])).stdout);
		for (const id of acked) assert.ok(live.has(id), `${id} acknowledged before the backup is in it`);
		for (const s of spans) assert.ok(live.has(s.span_id), s.span_id);
		assert.ok(live.has(`${ws}-late5`));
	}

	const data = path.join(tmp, 'restored-quiet');
	await spandexOk(['restore', g3, data]);
	await verifyClean(data);
	const paths = requestsFor(ws, {
		ids: [...new Set([...spans.map((s) => s.span_id), ...w.acked, `${ws}-late5`])], traces, sessions,
		windows: [[at(6, 1), at(6, 9)], [at(6, 23), at(5, 1)], [at(5, 0), at(5, 23, 59, 59)]],
	});
	const live = await snapshot(paths);
	const back = await startServer({ workers: 1, dataDir: data });
	try {
		assertSame(live, await snapshot(paths, back.base), 'the restored store');
	} finally {
		await back.stop();
	}
});

// ---- SIGKILL during seal ----


// What a seal left of each day that had something to seal in the store it started from
// (before: the day's {sealed file size or 0} there): old (untouched), new (committed and
// tidied), or a state between: the temporary file, the new sealed file renamed into place
// but not committed, committed with the old plain or late lines not removed yet.
function sealStates(dir, before) {
	const out = { old: 0, new: 0, tmp: 0, renamed: 0, untidied: 0 };
	for (const [day, zsize] of Object.entries(before)) {
		const h = idxHeader(path.join(dir, `${day}.idx`));
		const done = h.sealedBytes > 0n && h.sealedRecs === h.committed;
		if (has(dir, `${day}.jsonl.zst.tmp`)) out.tmp++;
		if (!done) {
			const z = path.join(dir, `${day}.jsonl.zst`);
			out[fs.existsSync(z) && fs.statSync(z).size !== zsize ? 'renamed' : 'old']++;
		} else {
			out[has(dir, `${day}.jsonl`) || has(dir, `${day}.late.jsonl`) ? 'untidied' : 'new']++;
		}
	}
	return out;
}

// The days of a workspace directory that a seal would change, with their sealed file size
// (0: none yet).
function unsealedDays(dir) {
	const out = {};
	for (const f of fs.readdirSync(dir)) {
		if (!f.endsWith('.idx')) continue;
		const day = f.slice(0, -4);
		const h = idxHeader(path.join(dir, f));
		if (h.sealedBytes > 0n && h.sealedRecs === h.committed) continue;
		const z = path.join(dir, `${day}.jsonl.zst`);
		out[day] = fs.existsSync(z) ? fs.statSync(z).size : 0;
	}
	return out;
}

const BENCH_WS = 'bench-0';
const benchDir = () => path.join(srv.dataDir, BENCH_WS);
const sealBench = () => quiet('seal', srv.dataDir, '--older-than', '0', '--workspace', BENCH_WS);

// Puts the workspace back as it is in `from` (a copy made while no seal ran).
function resetBench(from) {
	fs.rmSync(benchDir(), { recursive: true, force: true });
	fs.cpSync(from, benchDir(), { recursive: true });
}

// rounds seals of the store in `from`, each SIGKILLed after a random delay (right away in
// the first two) somewhere in a run of about fullMs; after each, verify is clean and every
// sampled answer is the baseline one. Returns a line for the test's diagnostics.
async function killRounds({ from, rounds, fullMs, rand, seed, paths, baseline }) {
	const spandex = path.join(BUILDDIR, 'src', 'spandex');
	const before = unsealedDays(from);
	assert.ok(Object.keys(before).length > 0, 'the store has days to seal');
	const totals = { old: 0, new: 0, tmp: 0, renamed: 0, untidied: 0 };
	let finished = 0;
	const delays = [];
	for (let round = 0; round < rounds; round++) {
		resetBench(from);
		const delay = round < 2 ? 0 : rand() * fullMs * 1.5;
		delays.push(delay.toFixed(1));
		const child = spawn(spandex, ['seal', srv.dataDir, '--older-than', '0', '--workspace', BENCH_WS], { stdio: 'ignore' });
		const t0 = performance.now();
		while (performance.now() - t0 < delay); // a timer is far too coarse for these delays
		child.kill('SIGKILL');
		assert.ok(await waitExit(child, WAIT_MS), 'the killed seal exits');
		if (child.signalCode !== 'SIGKILL') finished++;
		const st = sealStates(benchDir(), before);
		for (const k of Object.keys(totals)) totals[k] += st[k];
		const what = `round ${round} (seed ${seed}, kill after ${delay.toFixed(1)} ms, days ${JSON.stringify(st)})`;
		const v = await spandexCli(['verify', srv.dataDir, '--workspace', BENCH_WS]);
		assert.equal(`${v.code}\n${v.stdout}${v.stderr}`, '0\n', `${what}: spandex verify`);
		assertSame(baseline, await snapshot(paths), what);
	}
	return `an uninterrupted seal took ${fullMs.toFixed(0)} ms; kills after ${delays.join(', ')} ms; ` +
		`${finished} of ${rounds} seals finished first; states of the ${Object.keys(before).length} days to seal, over all rounds: ${JSON.stringify(totals)}`;
}

// A seal over the store in `from` made exactly in every state between its steps (a kill
// rarely lands in the short windows), from the files of `sealed` (the same store sealed):
// a .tmp cut short on one day, a new sealed file renamed but uncommitted on another, a
// committed seal whose old lines were not removed yet on a third. Verify is clean, the
// answers are the baseline ones, and the next seal tidies everything.
async function madeStates({ from, sealed, paths, baseline, when }) {
	resetBench(from);
	const dir = benchDir();
	const before = unsealedDays(from);
	const days = Object.keys(before).sort();
	assert.ok(days.length >= 3, `${when}: three days to seal`);
	const [dTmp, dRenamed, dUntidied] = [days[0], days[days.length >> 1], days[days.length - 1]];
	const zst = (d) => path.join(sealed, `${d}.jsonl.zst`);
	const cut = fs.readFileSync(zst(dTmp));
	fs.writeFileSync(path.join(dir, `${dTmp}.jsonl.zst.tmp`), cut.subarray(0, cut.length >> 1));
	// Renamed into place as seal does (a re-seal replaces a sealed file, never rewrites it).
	const put = (d) => {
		fs.copyFileSync(zst(d), path.join(dir, `${d}.jsonl.zst.made`));
		fs.renameSync(path.join(dir, `${d}.jsonl.zst.made`), path.join(dir, `${d}.jsonl.zst`));
	};
	put(dRenamed);
	put(dUntidied);
	fs.copyFileSync(path.join(sealed, `${dUntidied}.idx`), path.join(dir, `${dUntidied}.idx`));
	// The .tmp day counts as old too.
	assert.deepEqual(sealStates(dir, before), { old: days.length - 2, new: 0, tmp: 1, renamed: 1, untidied: 1 }, when);
	await verifyClean(srv.dataDir, '--workspace', BENCH_WS);
	assertSame(baseline, await snapshot(paths), `${when}, with every leftover in place`);
	await sealBench();
	assert.deepEqual(sealStates(dir, before), { old: 0, new: days.length, tmp: 0, renamed: 0, untidied: 0 }, `${when}, sealed over`);
	assertSame(baseline, await snapshot(paths), `${when}, after sealing over the leftovers`);
	await verifyClean(srv.dataDir, '--workspace', BENCH_WS);
}

// The sample of bench-0 requests: per day, a window of a few hours (sealed: the start-time
// order) and the spans, traces and sessions it shows, plus ids given.
async function benchPaths(ids = []) {
	const P = `${WS_PREFIX}/${BENCH_WS}`;
	const days = fs.readdirSync(benchDir()).filter((f) => f.endsWith('.idx')).map((f) => f.slice(0, 10)).sort();
	const paths = [];
	const traces = new Set();
	const sessions = new Set();
	for (const d of days) {
		const win = `filter[started_at][$gte]=${d}T06:00:00Z&filter[started_at][$lte]=${d}T13:30:00Z`;
		const list = await request('GET', `${P}/spans?page_size=4&sort=started_at&${win}`, { base: srv.base });
		assert.equal(list.status, 200, list.text);
		paths.push(`${P}/spans?page_size=4&sort=started_at&${win}`, `${P}/spans?mode=summary&page=3&page_size=7&${win}`,
			`${P}/spans/groups?by=trace_id&page_size=5&${win}`);
		for (const s of list.json.data) {
			paths.push(`${P}/spans/${encodeURIComponent(s.span_id)}`);
			traces.add(s.trace_id);
			if (s.session_id) sessions.add(s.session_id);
		}
	}
	for (const id of ids) paths.push(`${P}/spans/${encodeURIComponent(id)}`);
	for (const tr of [...traces].slice(0, 15)) paths.push(`${P}/traces/${encodeURIComponent(tr)}`);
	for (const s of [...sessions].slice(0, 8)) paths.push(`${P}/sessions/${encodeURIComponent(s)}`);
	paths.push(`${P}/spans?page=2&page_size=50&mode=summary`, `${P}/traces?page=3&page_size=10&mode=summary`,
		`${P}/spans?mode=summary&filter[kind]=TOOL&filter[status]=error&page_size=20`);
	assert.ok(traces.size > 10, 'the sample holds traces');
	return { paths, days };
}

async function timed(fn) {
	const t0 = performance.now();
	await fn();
	return performance.now() - t0;
}

test('seal SIGKILLed at random points leaves a store that verifies and answers as before', async (t) => {
	// bench/gen: 12000 spans of one workspace over 30 days of May 2024, written with
	// store_append into the server's data directory (a workspace no other test uses).
	const gen = await run(path.join(BUILDDIR, 'bench', 'gen'), ['12000', srv.dataDir, '7', '1']);
	assert.equal(gen.code, 0, gen.stderr);
	const seed = Number(process.env.SPANDEX_SEAL_SEED || Date.now() % 1e9);
	const rand = rng(seed);
	t.diagnostic(`seed ${seed} (SPANDEX_SEAL_SEED repeats it)`);

	// First seals: plain days into sealed files.
	const open = path.join(tmp, 'bench-open');
	fs.cpSync(benchDir(), open, { recursive: true });
	const { paths, days } = await benchPaths();
	assert.ok(days.length >= 25, `bench/gen spread the spans over ${days.length} days`);
	let baseline = await snapshot(paths);
	let fullMs = await timed(sealBench);
	assertSame(baseline, await snapshot(paths), 'after an uninterrupted seal');
	const sealed = path.join(tmp, 'bench-sealed');
	fs.cpSync(benchDir(), sealed, { recursive: true });
	t.diagnostic(`first seal: ${await killRounds({ from: open, rounds: 16, fullMs, rand, seed, paths, baseline })}`);
	// The last killed state: a full seal completes from it and tidies every leftover.
	await sealBench();
	for (const d of days) assertSealed(benchDir(), d);
	assertSame(baseline, await snapshot(paths), 'after a seal that completes');
	await verifyClean(srv.dataDir, '--workspace', BENCH_WS);
	await madeStates({ from: open, sealed, paths, baseline, when: 'first seal' });

	// Re-seals: late spans (new ones, and new versions of sealed ones) on a third of the
	// days, folded into new sealed files.
	const late = [];
	const P = `${WS_PREFIX}/${BENCH_WS}`;
	for (const [k, d] of days.entries()) {
		if (k % 3) continue;
		const list = await request('GET', `${P}/spans?page_size=3&mode=summary&filter[started_at][$gte]=${d}T00:00:00Z&filter[started_at][$lte]=${d}T23:59:59Z`, { base: srv.base });
		for (const s of list.json.data)
			late.push(makeSpan(s.span_id, { trace_id: s.trace_id, kind: s.kind, name: `late version of ${s.name}`, started_at: s.started_at }));
		for (let i = 0; i < 20; i++)
			late.push(makeSpan(`late-${d}-${i}`, { trace_id: `late-trace-${d}`, kind: 'LLM', name: `late ${i}`, started_at: `${d}T${String(6 + (i % 12)).padStart(2, '0')}:30:00Z`, input: 'x'.repeat(500) }));
	}
	await ingestOk(BENCH_WS, late);
	const withLate = path.join(tmp, 'bench-late');
	fs.cpSync(benchDir(), withLate, { recursive: true });
	const again = await benchPaths(late.map((s) => s.span_id));
	baseline = await snapshot(again.paths);
	fullMs = await timed(sealBench);
	assertSame(baseline, await snapshot(again.paths), 'after an uninterrupted re-seal');
	const resealed = path.join(tmp, 'bench-resealed');
	fs.cpSync(benchDir(), resealed, { recursive: true });
	t.diagnostic(`re-seal: ${await killRounds({ from: withLate, rounds: 10, fullMs, rand, seed, paths: again.paths, baseline })}`);
	await sealBench();
	for (const d of days) assertSealed(benchDir(), d);
	assertSame(baseline, await snapshot(again.paths), 'after a re-seal that completes');
	await verifyClean(srv.dataDir, '--workspace', BENCH_WS);
	await madeStates({ from: withLate, sealed: resealed, paths: again.paths, baseline, when: 're-seal' });
});
