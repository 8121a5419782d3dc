// Phrases on fresh days while the worker builds their tails' pairs of words between requests
// (issue 57; lib/store/tailphrase.h, http_surface.idle): one worker, steps and parts of a few
// records (SPANDEX_TEST_TAIL_PHRASE_BYTES, SPANDEX_TEST_TAIL_PART_BYTES), so the searches meet
// the pairs partly built, built, and passed by new batches; every answer (total and ids) equal
// to what the spans' own text says, on two days, with batches written between the searches.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ingestSpans, dayTime, WS_PREFIX } from '../harness.mjs';

const WS = 'phraseidle';
let srv;
before(async () => {
	srv = await startServer({
		workers: 1,
		env: { SPANDEX_TEST_TAIL_PHRASE_BYTES: '2000', SPANDEX_TEST_TAIL_PART_BYTES: '9000' },
	});
});
after(async () => {
	await srv?.stop();
});

const VOCAB = ['agent', 'calls', 'a', 'tool', 'with', 'the', 'world', 'weather', 'flights', 'account', 'order', 'pay'];
let seed = 4242;
function rand(n) {
	seed = (seed * 1103515245 + 12345) % 2147483648;
	return Math.floor(seed / 65536) % n;
}
function text(i) {
	const words = [];
	for (let w = 0, n = 5 + (i % 8); w < n; w++)
		words.push(rand(3) === 0 && w + 4 < n ? 'agent calls a tool' : VOCAB[rand(VOCAB.length)]);
	return words.join(' ');
}

const spans = [];
function batch(n) {
	const out = [];
	for (let k = 0; k < n; k++) {
		const i = spans.length;
		const s = {
			span_id: `pi-${i}`, trace_id: `tpi-${Math.floor(i / 3)}`, name: 'call',
			started_at: dayTime(i * 1000, 1 + (i % 2)), input: text(i), output: i % 5 ? 'done' : 'the world',
		};
		spans.push(s);
		out.push(s);
	}
	return out;
}

const PHRASES = ['agent calls a tool', 'calls a to', 'the world', 'account order pa', 'tool with', 'weather flights pay'];

function expected(p) {
	const has = (s) => [s.span_id, s.name, s.input, s.output].some((x) => x.toLowerCase().includes(p));
	return spans.filter(has).map((s) => s.span_id).sort();
}

async function checkAll(when) {
	for (const p of PHRASES) {
		const r = await srv.request('GET', `${WS_PREFIX}/${WS}/spans?search=${encodeURIComponent(`"${p}"`)}&page_size=1000`);
		assert.equal(r.status, 200, r.text);
		const want = expected(p);
		assert.equal(r.json.pagination.total_results, want.length, `${when}: total of "${p}"`);
		assert.deepEqual(r.json.data.map((s) => s.span_id).sort(), want, `${when}: "${p}"`);
	}
}

test('phrases on fresh days equal the spans\' text while the worker builds their pairs between requests', async () => {
	for (const n of [1, 9, 60, 120, 3, 90]) {
		const r = await ingestSpans(WS, batch(n));
		assert.equal(r.status, 201, r.text);
		// Each round of searches leaves the worker idle between requests: it builds a step.
		for (let round = 0; round < 4; round++)
			await checkAll(`${spans.length} spans, round ${round}`);
	}
});
