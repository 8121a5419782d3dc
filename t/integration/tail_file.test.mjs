// The tail's pairs of words in a file beside the day (issue 57; lib/store/tailphrase.h,
// lib/store/tailpart.h, docs/FORMAT.md "The tail's pairs of words"): built by an idle worker
// once a tail passes a size (here any: SPANDEX_TEST_TAIL_AUTO_BYTES), without a phrase search;
// its parts follow each other, each record in one (two workers share the file: the one that
// holds its lock builds, the other reads); every answer equal to the spans' own text while it is
// built, after more batches, after a restart (answered from the file on the first request, under
// a read budget that refuses the same search without it), and after a part cut in two (let go
// and built again).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, ingestSpans, dayTime, waitFor, WS_PREFIX } from '../harness.mjs';

const WS = 'tailfile';
const ENV = {
	SPANDEX_TEST_TAIL_SCAN_MS: '0',
	SPANDEX_TEST_TAIL_AUTO_BYTES: '1',
	SPANDEX_TEST_TAIL_PHRASE_BYTES: '6000',
	SPANDEX_TEST_TAIL_PART_BYTES: '100000000',
};
let srv;
let dataDir;
before(async () => {
	// The data outlive each server (a server removes the data directory it made).
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-tailfile-'));
	srv = await startServer({ workers: { spans: 2 }, env: ENV, dataDir });
});
after(async () => {
	await srv?.stop();
	if (dataDir && process.env.SPANDEX_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
});

// Spans of forty words of twelve each: every span holds every word, a pair of them one span in
// four, so the words leave every line to read and the pairs a few.
const VOCAB = ['agent', 'calls', 'a', 'tool', 'with', 'the', 'world', 'weather', 'flights', 'account', 'order', 'pay'];
let seed = 777;
function rand(n) {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return Math.floor(seed / 65536) % n;
}
const spans = [];
function batch(n) {
	const out = [];
	for (let k = 0; k < n; k++) {
		const i = spans.length;
		const words = [];
		for (let w = 0; w < 40; w++) words.push(VOCAB[rand(VOCAB.length)]);
		const s = { span_id: `tf-${i}`, trace_id: `ttf-${Math.floor(i / 4)}`, name: 'call', started_at: dayTime(i * 100, 1), input: words.join(' '), output: 'done' };
		spans.push(s);
		out.push(s);
	}
	return out;
}

const PHRASES = ['weather flights pay', 'the world', 'tool with a', 'account order pa'];

function expected(p) {
	const has = (s) => [s.span_id, s.name, s.input, s.output].some((x) => x.toLowerCase().includes(p));
	return spans.filter(has).map((s) => s.span_id).sort();
}

async function search(p, base = srv.base) {
	return request('GET', `${WS_PREFIX}/${WS}/spans?search=${encodeURIComponent(`"${p}"`)}&page_size=1000`, { base });
}

async function checkAll(when) {
	for (const p of PHRASES) {
		const r = await search(p);
		assert.equal(r.status, 200, r.text);
		const want = expected(p);
		assert.equal(r.json.pagination.total_results, want.length, `${when}: total of "${p}"`);
		assert.deepEqual(r.json.data.map((s) => s.span_id).sort(), want, `${when}: "${p}"`);
	}
}

const day = () => dayTime(0, 1).slice(0, 10);
const tpx = () => path.join(dataDir, WS, `${day()}.tpx`);

// The parts of the day's file as [first, end) of records, in order, as their headers say (80
// bytes: magic, first, records, ..., bytes of the body at 32); a part cut short ends them.
function parts() {
	let b;
	try {
		b = fs.readFileSync(tpx());
	} catch {
		return [];
	}
	const out = [];
	for (let at = 0; at + 80 <= b.length && b.toString('latin1', at, at + 8) === 'SPXTPX1\n';) {
		const first = b.readUInt32LE(at + 8), n = b.readUInt32LE(at + 12);
		const len = Number(b.readBigUInt64LE(at + 32));
		if (at + 80 + len > b.length) break;
		out.push([first, first + n]);
		at += 80 + Math.ceil(len / 8) * 8;
	}
	return out;
}

// Until the parts reach record n; each look a request, after which the spans workers take
// their idle steps, and every answer equal to the spans' text meanwhile.
async function builtTo(n, when) {
	await waitFor(`${when}: the parts reach record ${n}`, async () => {
		await checkAll(`${when}, while built`);
		const p = parts();
		return p.length && p.at(-1)[1] === n;
	}, { detail: () => JSON.stringify(parts()) });
}

test('built without a search, shared, kept across a restart, a torn part built again', async () => {
	for (const n of [200, 200, 200]) {
		const r = await ingestSpans(WS, batch(n));
		assert.equal(r.status, 201, r.text);
	}
	await builtTo(600, 'fresh');
	assert.deepEqual(parts(), [[0, 600]], 'built once, at its end');
	// A batch of a sixth of those built: due, built as the next part by whichever worker takes
	// the lock; each record in one part.
	assert.equal((await ingestSpans(WS, batch(100))).status, 201);
	await builtTo(700, 'a batch more');
	assert.deepEqual(parts(), [[0, 600], [600, 700]]);
	// Fewer than 1/32 of those built: read from their lines, not built.
	assert.equal((await ingestSpans(WS, batch(10))).status, 201);
	await checkAll('ten more');
	assert.deepEqual(parts(), [[0, 600], [600, 700]]);

	// A restart under a read budget that the search of every line passes: the first request
	// of each worker answers from the file.
	const lines = fs.statSync(path.join(dataDir, WS, `${day()}.jsonl`)).size;
	const budget = { ...ENV, SPANDEX_QUERY_BYTES: String(Math.floor(lines / 3)), SPANDEX_TEST_TAIL_SCAN_MS: '100000000' };
	await srv.stop();
	srv = await startServer({ workers: { spans: 2 }, env: budget, dataDir });
	await checkAll('after a restart, first requests');
	// The same search without the file: refused for its budget (so the file answered above),
	// then built again by the worker it marked.
	fs.rmSync(tpx());
	const refused = await search('weather flights pay');
	assert.equal(refused.status, 400, refused.text);
	assert.match(refused.text, /budget/);
	await waitFor('built again after the search', async () => {
		await search('weather flights pay');
		return parts().at(-1)?.[1] === 710;
	}, { detail: () => JSON.stringify(parts()) });
	await checkAll('built again');

	// A part cut in two (a writer killed in its append): let go, answers equal, built again.
	await srv.stop();
	srv = await startServer({ workers: { spans: 2 }, env: ENV, dataDir });
	assert.equal((await ingestSpans(WS, batch(40))).status, 201);
	await builtTo(750, 'a batch after the restart');
	const size = fs.statSync(tpx()).size, p = parts();
	assert.ok(p.length >= 2, JSON.stringify(p));
	fs.truncateSync(tpx(), size - 100);
	assert.deepEqual(parts(), p.slice(0, -1), 'the last part cut');
	await builtTo(750, 'after the cut');
	assert.equal(fs.statSync(tpx()).size, size, 'written again over the cut part');
});
