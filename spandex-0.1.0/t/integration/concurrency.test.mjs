// Several client processes write into the same workspace and day at once through nginx and
// the pre-forked ingest workers; every span must come back and the indexes must verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, getSpan, spandexCli, dayTime } from '../harness.mjs';

const WRITERS = 4;
const PER_WRITER = 1000;
const BATCH = 50;
const WS = 'concurrent';
const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), 'writer.mjs');

let srv;
before(async () => {
	srv = await startServer({ workers: { ingest: 4, spans: 2 } });
});
after(async () => {
	await srv?.stop();
});

function runWriter(prefix, startedAt) {
	return new Promise((resolve) => {
		execFile(process.execPath, [writer, srv.base, WS, prefix, String(PER_WRITER), String(BATCH), startedAt],
			{ maxBuffer: 16 << 20 }, (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
	});
}

test(`${WRITERS} processes x ${PER_WRITER} spans into one shard`, async () => {
	// One started_at for all: every span lands in the same workspace/day shard.
	const startedAt = dayTime(42);
	const prefixes = Array.from({ length: WRITERS }, (_, i) => `w${i}`);
	const results = await Promise.all(prefixes.map((p) => runWriter(p, startedAt)));
	for (const [i, r] of results.entries()) {
		assert.equal(r.code, 0, `writer ${i} had failed batches:\n${r.stdout}${r.stderr}`);
	}

	// Every span is there, with its own content (no torn or interleaved lines).
	for (const p of prefixes) {
		for (let start = 0; start < PER_WRITER; start += 50) {
			const ids = Array.from({ length: 50 }, (_, k) => `${p}-${start + k}`);
			const got = await Promise.all(ids.map((id) => getSpan(WS, id)));
			for (const [k, g] of got.entries()) {
				assert.equal(g.status, 200, `${ids[k]}: ${g.status} ${g.text}`);
				assert.equal(g.json.span_id, ids[k]);
				assert.equal(g.json.name, `span ${start + k} of ${p}`);
				assert.equal(g.json.input_tokens, start + k);
				assert.equal(JSON.parse(g.json.raw_attributes).writer, p);
			}
		}
	}

	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify:\n${v.stdout}${v.stderr}`);
	const s = await spandexCli(['stats', srv.dataDir]);
	assert.equal(s.code, 0, `spandex stats:\n${s.stdout}${s.stderr}`);
	assert.match(s.stdout, new RegExp(WS));
});
