// The bucket (issue 51) and erasure (issue 52): the pass of `spandex erase --pending` takes the
// erased bytes out of the day's files, and the next ship pass replaces that day in the bucket
// and deletes the objects that held them, even when the day holds as many records as the bucket
// had (an erasure version written, the older version cut: one in, one out). A judgement deleted
// alone (an erasure by judgement: docs/erasure.md) leaves the bucket the same way. A pull of
// the bucket then holds no byte of what was erased, and every other span and judgement.
// Against the radosgw of t/s3_suite.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, request, spandexCli, spandexOk, ingestSpans, makeSpan, WS_PREFIX } from '../harness.mjs';
import { s3Server, makeBucket, s3Env, listKeys, getObject } from '../s3.mjs';

const WS = 'forget';
const CANARY = 'canary-7f3a9c-the-words-to-forget';
const JUDGED = 'canary-b41d07-the-note-to-forget';
const cleanup = [];
after(async () => {
	for (const f of cleanup.reverse()) await f();
});

// Every object of the workspace in the bucket that holds canary.
async function holders(s3, bucket, canary = CANARY) {
	const out = [];
	for (const { key } of await listKeys(s3, bucket, `spx/${WS}/`)) {
		const body = await getObject(s3, bucket, key);
		if (body && body.includes(canary)) out.push(key);
	}
	return out;
}

test('an erased span leaves the bucket at the next pass, and a pull holds the rest', async () => {
	const s3 = await s3Server();
	const bucket = await makeBucket(s3, 'erase');
	const env = s3Env(s3, bucket);
	const A = await startServer({ env });
	cleanup.push(() => A.stop());
	const spans = [makeSpan('e1', { input: `say ${CANARY}` }), makeSpan('e2', { input: 'kept' }),
		makeSpan('e3', { input: 'kept too' })];
	const r = await ingestSpans(WS, spans, { base: A.base });
	assert.equal(r.status, 201, r.text);
	const note = async (text) => {
		const n = await request('POST', `${WS_PREFIX}/${WS}/annotations`, { base: A.base, body: { kind: 'note', session_id: 's-e2', span_id: 'e2', text } });
		assert.equal(n.status, 201, n.text);
		return n.json.annotation_id;
	};
	const judged = await note(`say ${JUDGED}`), kept = await note('a note kept');
	await spandexOk(['ship', A.dataDir], { env });
	assert.notDeepEqual(await holders(s3, bucket), [], 'the bucket holds the canary once shipped');
	assert.notDeepEqual(await holders(s3, bucket, JUDGED), [], 'and the judgement\'s');

	await spandexOk(['erase', A.dataDir, '--workspace', WS, '--trace', 'trace-e1'], { env });
	const d = await request('DELETE', `${WS_PREFIX}/${WS}/annotations/${judged}`, { base: A.base });
	assert.equal(d.status, 204, d.text);
	await spandexOk(['erase', A.dataDir, '--pending'], { env });
	await spandexOk(['ship', A.dataDir], { env });
	assert.deepEqual(await holders(s3, bucket), []);
	assert.deepEqual(await holders(s3, bucket, JUDGED), [], 'the judgement deleted alone is gone from the bucket');

	const Bdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-b-'));
	cleanup.push(() => fs.rmSync(Bdir, { recursive: true, force: true }));
	const data = path.join(Bdir, 'data');
	await spandexOk(['pull', data, '--copy'], { env });
	const v = await spandexCli(['verify', data, '--verbose']);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	const B = await startServer({ dataDir: data, env });
	cleanup.push(() => B.stop());
	for (const id of ['e2', 'e3']) {
		const g = await request('GET', `${WS_PREFIX}/${WS}/spans/${id}`, { base: B.base });
		assert.equal(g.status, 200, g.text);
	}
	const g = await request('GET', `${WS_PREFIX}/${WS}/spans/e1`, { base: B.base });
	assert.ok(!g.text.includes(CANARY), g.text);
	const k = await request('GET', `${WS_PREFIX}/${WS}/annotations/${kept}`, { base: B.base });
	assert.equal(k.status, 200, k.text);
	assert.equal((await request('GET', `${WS_PREFIX}/${WS}/annotations/${judged}`, { base: B.base })).status, 404);
});
