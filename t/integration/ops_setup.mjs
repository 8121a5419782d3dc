// ops_setup: the server, scratch directory and helpers of the cron jobs' tests (ops.test.mjs,
// backup.test.mjs): each file that imports it starts its own server before its tests.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, ingestSpans, getSpan, spandexOk, cgiRequest, clockEnv, WS_PREFIX } from '../harness.mjs';

export let srv;
export let tmp;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2, traces: 1, sessions: 1 } });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-ops-'));
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

export const cli = (...args) => spandexOk(args);

// The base is always given: the second server of the backup test would otherwise become the
// harness's default one.
export const get = (ws, id) => getSpan(ws, id, { base: srv.base });

export async function ingestOk(ws, spans) {
	const r = await ingestSpans(ws, spans, { base: srv.base });
	assert.equal(r.status, 201, r.text);
}

// The same through a program whose clock is 200 days behind: spans ingested then, which retain
// may remove (it keeps a day that holds spans ingested within the days it keeps).
export async function ingestedLongAgo(ws, spans, dataDir = srv.dataDir) {
	const r = await cgiRequest(dataDir, 'POST', `${WS_PREFIX}/${ws}/ingest/spans`, { body: { source: 'itest', spans }, env: clockEnv(-200 * 86400) });
	assert.equal(r.status, 201, r.text);
}
