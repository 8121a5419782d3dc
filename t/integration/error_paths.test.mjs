// No error body of any API names a path (issue 55, item 8): a retention.json that did not
// parse once answered Opik's 503 with the absolute path of the data directory. Each damaged or
// misplaced file a program reads is made in turn, and every API is asked: the answer is the
// API's own error, and neither it nor its body names the data directory, a file of it, or a
// temporary directory; the reason, with the path, is in the programs' log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, WS_PREFIX } from '../harness.mjs';

let srv;
before(async () => {
	srv = await startServer({ workers: 1 });
	const r = await srv.request('POST', `${WS_PREFIX}/paths/ingest/spans`, {
		body: { source: 'itest', spans: [{ span_id: 's-1', trace_id: 't-1', name: 'one', started_at: '2026-01-05T00:00:00Z' }] },
	});
	assert.equal(r.status, 201, r.text);
});
after(async () => {
	await srv?.stop();
});

const opik = { 'Comet-Workspace': 'paths' };
// One request of each API, with what it is called.
const REQUESTS = [
	['NeMo list', 'GET', `${WS_PREFIX}/paths/spans`, undefined, {}],
	['NeMo ingest', 'POST', `${WS_PREFIX}/paths/ingest/spans`, { source: 'itest', spans: [{ span_id: 's-2', trace_id: 't-1', name: 'two', started_at: '2026-01-05T00:00:00Z' }] }, {}],
	['OTLP', 'POST', '/v1/traces', { resourceSpans: [] }, { 'X-Workspace': 'paths' }],
	['Opik list', 'GET', '/v1/private/spans?project_name=Default%20Project', undefined, opik],
	['Opik rules', 'GET', '/v1/private/retention/rules', undefined, opik],
	['Opik rule create', 'POST', '/v1/private/retention/rules', { retention: 'base_60d' }, opik],
	['Scale GP search', 'POST', '/v5/spans/search', {}, { 'x-selected-account-id': 'paths' }],
];

// The answer names nothing of the file system.
function namesNoPath(what, r) {
	for (const p of [srv.dataDir, srv.runDir, srv.tmpDir, 'retention.json', '.spandex-', '/tmp/'])
		assert.ok(!r.text.includes(p), `${what}: ${r.status} names ${p}: ${r.text}`);
	for (const v of Object.values(r.headers)) assert.ok(!String(v).includes(srv.dataDir), `${what}: a header names the data directory`);
}

// Makes the damage (a function of the data directory), asks every request of names (all when
// null), expects status of each, and undoes it.
async function damaged(what, make, undo, status, names = null) {
	make(srv.dataDir);
	try {
		for (const [name, method, p, body, headers] of REQUESTS) {
			if (names && !names.includes(name)) continue;
			const r = await srv.request(method, p, { body, headers });
			assert.equal(r.status, status, `${what}, ${name}: ${r.text}`);
			assert.ok(r.json, `${what}, ${name}: no JSON: ${r.text}`);
			namesNoPath(`${what}, ${name}`, r);
		}
	} finally {
		undo(srv.dataDir);
	}
	// Undone, every request is answered again.
	const r = await srv.request('GET', '/v1/private/retention/rules', { headers: opik });
	assert.equal(r.status, 200, `${what}, undone: ${r.text}`);
}

const rules = (d) => path.join(d, 'paths', 'retention.json');
const rm = (p) => () => fs.rmSync(p, { recursive: true, force: true });

test('a retention.json that does not parse, or is no file, or too large: Opik\'s 503 names no path', async () => {
	const opikRules = ['Opik rules', 'Opik rule create'];
	await damaged('not JSON', (d) => fs.writeFileSync(rules(d), '{"rules": [ nope'), rm(rules(srv.dataDir)), 503, opikRules);
	await damaged('a damaged rule', (d) => fs.writeFileSync(rules(d), '{"rules":[{"id":"x"}]}\n'), rm(rules(srv.dataDir)), 503, opikRules);
	await damaged('a directory', (d) => fs.mkdirSync(rules(d)), rm(rules(srv.dataDir)), 503, opikRules);
	await damaged('over 1 MiB', (d) => fs.writeFileSync(rules(d), `{"rules":[]}${' '.repeat(2 << 20)}`), rm(rules(srv.dataDir)), 503, opikRules);
	// Where the new version is written aside: the create cannot store it.
	const tmp = path.join(srv.dataDir, 'paths', 'retention.json.tmp');
	await damaged('its temporary file a directory', (d) => fs.mkdirSync(path.join(d, 'paths', 'retention.json.tmp')), rm(tmp), 503, ['Opik rule create']);
	// The programs' log has the reason, with the file.
	// (The FastCGI stderr of a request is nginx's error log.)
	const log = fs.readFileSync(srv.procs.nginx.log, 'utf8');
	assert.match(log, /paths\/retention\.json: not a rules document/);
	assert.match(log, /paths\/retention\.json\.tmp: /);
});

test('a key file that does not parse or is no file, and a serve lock that cannot be taken: every API\'s 503 names no path', async () => {
	const keys = path.join(srv.dataDir, '.spandex-keys');
	await damaged('a key file line that does not parse', (d) => fs.writeFileSync(path.join(d, '.spandex-keys'), '# keys\nnot a key line\n'), rm(keys), 503);
	await damaged('a key file that is a directory', (d) => fs.mkdirSync(path.join(d, '.spandex-keys')), rm(keys), 503);
	const lock = path.join(srv.dataDir, '.spandex-serve.lock');
	await damaged('a serve lock that is a directory', (d) => {
		fs.rmSync(path.join(d, '.spandex-serve.lock'), { force: true });
		fs.mkdirSync(path.join(d, '.spandex-serve.lock'));
	}, rm(lock), 503);
});
