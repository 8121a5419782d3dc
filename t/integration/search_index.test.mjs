// Free text through all three APIs (NeMo `search=`, Opik `search`, SGP `search_texts`) with
// and without the text index (issue 10, `spandex index`; docs/FORMAT.md, "The text and field
// index"): the same spans every time, equal to what the spans' own text says; spans stored
// after the index was built (a tail it does not cover) and new versions that drop or gain a
// term are right before and after the next build; a sealed day keeps its index; an index
// copied from another day or damaged is ignored, and verify names it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ingestSpans, spandexOk, spandexCli, dayTime, rng, WS_PREFIX } from '../harness.mjs';

const WS = 'search-ix';
const WORDS = ['alpha', 'beta', 'gamma', 'Lisbon', 'LISBOA', 'ΟΔΥΣΣΕΥΣ', 'οδυσσεια', 'Привет', 'tram', '28',
	'weather', 'Crème', 'brûlée', 'x'.repeat(70) + 'needle'];
const TERMS = ['lisbon', 'LISBO', 'οδυσσ', 'ПРИВЕТ', 'amm', 'BRÛLÉE', 'needle', 'tram', 'nowhere', 'ΣΕΥΣ'];

let srv;
const spans = new Map(); // span_id -> the newest version sent
before(async () => {
	srv = await startServer({ workers: 1 });
});
after(async () => {
	await srv?.stop();
});

// JavaScript's lower case with final sigma folded, as spandex folds (Latin, Greek, Cyrillic).
const fold = (s) => s.toLowerCase().replaceAll('ς', 'σ');
const expected = (term) => [...spans.values()]
	.filter((s) => [s.name, s.input, s.output].some((t) => fold(t).includes(fold(term))))
	.map((s) => s.span_id).sort();

function sentence(r, n) {
	return Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
}

async function put(list) {
	const r = await ingestSpans(WS, list);
	assert.equal(r.status, 201, r.text);
	for (const s of list) spans.set(s.span_id, s);
}

// The span ids each API finds for term, sorted.
async function found(term) {
	const nemo = await srv.request('GET', `${WS_PREFIX}/${WS}/spans?search=${encodeURIComponent(term)}&page_size=1000&mode=summary`);
	assert.equal(nemo.status, 200, nemo.text);
	assert.equal(nemo.json.pagination.total_results, nemo.json.data.length);
	const opik = await srv.request('POST', '/v1/private/spans/search', {
		body: { project_name: 'Default Project', search: term, limit: 1000 },
		headers: { 'Content-Type': 'application/json', 'Comet-Workspace': WS },
	});
	assert.equal(opik.status, 200, opik.text);
	const sgp = await srv.request('POST', '/v5/spans/search?limit=1000', {
		body: { search_texts: [term] },
		headers: { 'Content-Type': 'application/json', 'x-selected-account-id': WS },
	});
	assert.equal(sgp.status, 200, sgp.text);
	return {
		nemo: nemo.json.data.map((s) => s.span_id).sort(),
		opik: opik.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l).id).sort(),
		sgp: sgp.json.items.map((s) => s.id).sort(),
	};
}

async function checkAll(when) {
	for (const term of TERMS) {
		const want = expected(term);
		const got = await found(term);
		for (const api of ['nemo', 'opik', 'sgp'])
			assert.deepEqual(got[api], want, `${when}: ${api} search for ${term}`);
	}
}

const dayIndexFiles = () => fs.readdirSync(path.join(srv.dataDir, WS)).filter((f) => f.endsWith('.tix')).sort();

test('the same spans with and without the text index, through every API', async () => {
	const r = rng(10);
	const first = Array.from({ length: 120 }, (_, i) => ({
		span_id: `s-${i}`, trace_id: `t-${i % 17}`, name: i % 9 ? 'step' : 'Lisbon planner',
		started_at: dayTime(i * 1000, 1 + (i % 2)), input: sentence(r, 6), output: sentence(r, 4),
	}));
	await put(first);
	assert.ok(expected('lisbon').length > 5 && expected('nowhere').length === 0);
	await checkAll('no index');

	const built = await spandexOk(['index', srv.dataDir, '--verbose']);
	assert.match(built.stdout, /2 days indexed/);
	assert.deepEqual(dayIndexFiles().length, 2);
	await checkAll('indexed');
	// A second run has nothing to do.
	assert.match((await spandexOk(['index', srv.dataDir, '--verbose'])).stdout, /0 days indexed/);

	// A tail the index does not cover, and new versions that lose or gain a term.
	await put([
		{ span_id: 'tail-1', trace_id: 't-x', name: 'late', started_at: dayTime(500e3, 1), input: 'back to Lisbon', output: '' },
		{ ...first[0], input: 'nothing here', output: 'or here', name: 'step' },
		{ ...first[1], output: 'ПРИВЕТ мир, οδυσσεια' },
	]);
	await checkAll('tail');
	await spandexOk(['index', srv.dataDir]);
	await checkAll('indexed again');

	// Sealed: the records keep their numbers, so the index stays good (and seal indexes).
	await spandexOk(['seal', srv.dataDir, '--older-than', '0']);
	await checkAll('sealed');
	await spandexOk(['verify', srv.dataDir]);
});

test('an index of other records or a damaged one is ignored; verify names the damage', async () => {
	const [a, b] = dayIndexFiles().map((f) => path.join(srv.dataDir, WS, f));
	const saved = fs.readFileSync(a);
	fs.copyFileSync(b, a); // another day's index: built from other records
	await checkAll('foreign index');
	assert.match((await spandexCli(['verify', srv.dataDir])).stdout, /\.tix: its header or sizes do not check/);
	// A damaged word list, a damaged column (the last, before the counts), damaged counts,
	// damaged roots (24 bytes each), damaged id strings (their bytes the 8 before the value
	// lists) and damaged value lists (at the end, their bytes the last 8): each section has
	// its own checksum.
	const bad = Buffer.from(saved);
	const roots = saved.readUInt32LE(112);
	const lists = Number(saved.readBigUInt64LE(saved.length - 8));
	const ids = Number(saved.readBigUInt64LE(saved.length - lists - 8));
	const end = bad.length - lists - ids;
	const rootBytes = 24 * roots;
	const counts = 16 * saved.readUInt32LE(96);
	assert.ok(roots > 0, 'the day has root spans');
	bad[140] ^= 0x55; // a word (version 11: the text section's 8-byte head first)
	bad[end - rootBytes - counts - 1] ^= 0x55;
	bad[end - rootBytes - 1] ^= 0x55;
	bad[end - rootBytes] ^= 0x55;
	bad[end + 20] ^= 0x55;
	bad[bad.length - lists + 20] ^= 0x55;
	fs.writeFileSync(a, bad);
	await checkAll('damaged index');
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 1);
	assert.match(v.stdout, /\.tix: the text section's checksum does not check/);
	assert.match(v.stdout, /\.tix: column name: checksum mismatch/);
	assert.match(v.stdout, /\.tix: the counts' checksum does not check/);
	assert.match(v.stdout, /\.tix: the roots' checksum or order does not check/);
	assert.match(v.stdout, /\.tix: the id strings' checksum or order does not check/);
	assert.match(v.stdout, /\.tix: the value lists' checksum or order does not check/);
	await spandexOk(['index', srv.dataDir]);
	await spandexOk(['verify', srv.dataDir]);
	await checkAll('rebuilt');
});

test('spandex index killed while writing leaves at most a temporary: same answers, verify clean, the next run completes', async () => {
	// A tail on both days, so both indexes are stale and the next run rebuilds them.
	await put([
		{ span_id: 'kill-1', trace_id: 't-k', name: 'after kill', started_at: dayTime(600e3, 1), input: 'Lisbon again', output: 'tram' },
		{ span_id: 'kill-2', trace_id: 't-k', name: 'after kill', started_at: dayTime(600e3, 2), input: 'gamma', output: 'οδυσσεια' },
	]);
	const dir = path.join(srv.dataDir, WS);
	const before = new Map(dayIndexFiles().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
	// One builder (SPANDEX_INDEX_JOBS=1): the process the hook kills is the command itself.
	const killed = await spandexCli(['index', srv.dataDir], { env: { SPANDEX_TEST_KILL_IN_INDEX: '1', SPANDEX_INDEX_JOBS: '1' } });
	assert.equal(killed.signal, 'SIGKILL', `${killed.code} ${killed.stdout}${killed.stderr}`);
	// The indexes in place are the old ones, byte for byte; the half-written one is a .tmp.
	for (const [f, b] of before) assert.deepEqual(fs.readFileSync(path.join(dir, f)), b, f);
	const tmps = fs.readdirSync(dir).filter((f) => f.endsWith('.tix.tmp'));
	assert.equal(tmps.length, 1, fs.readdirSync(dir).join(' '));
	await checkAll('index killed');
	await spandexOk(['verify', srv.dataDir]);
	const done = await spandexOk(['index', srv.dataDir, '--verbose']);
	assert.match(done.stdout, /2 days indexed/);
	for (const [f, b] of before) assert.notDeepEqual(fs.readFileSync(path.join(dir, f)), b, `${f} rebuilt`);
	await checkAll('indexed after the kill');
	await spandexOk(['verify', srv.dataDir]);
});

// spandex index builds a workspace's days in parallel, one process per CPU (SPANDEX_INDEX_JOBS):
// the indexes are byte for byte those one builder writes, and verify is clean.
test('spandex index with several builders writes the same indexes as one', async () => {
	await put([
		{ span_id: 'jobs-1', trace_id: 't-j', name: 'jobs', started_at: dayTime(700e3, 1), input: 'Lisbon in parallel', output: 'tram' },
		{ span_id: 'jobs-2', trace_id: 't-j', name: 'jobs', started_at: dayTime(700e3, 2), input: 'gamma', output: 'beta' },
	]);
	const dir = path.join(srv.dataDir, WS);
	await spandexOk(['index', srv.dataDir], { env: { SPANDEX_INDEX_JOBS: '1' } });
	const one = new Map(dayIndexFiles().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
	assert.equal(one.size, 2);
	for (const f of one.keys()) fs.unlinkSync(path.join(dir, f));
	const done = await spandexOk(['index', srv.dataDir, '--verbose'], { env: { SPANDEX_INDEX_JOBS: '4' } });
	assert.match(done.stdout, /2 days indexed/);
	for (const [f, b] of one) assert.deepEqual(fs.readFileSync(path.join(dir, f)), b, f);
	await checkAll('indexed by several builders');
	await spandexOk(['verify', srv.dataDir]);
});
