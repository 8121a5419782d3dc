// Erasure that finishes (issue 52; docs/erasure.md): a canary planted in the spans of one user
// among many (direct spans through NeMo's ingest, on an open day, a sealed day and its late
// lines, an older version, a NeMo annotation, a quarantine) is gone from every answer once
// `spandex erase` acknowledges, and from every byte under the data directory (sealed files
// decompressed) once `spandex erase --pending` ran, with a writer ingesting throughout; every
// other span reads back whole, verify is clean, a backup made after holds none of it. An erase
// or a pass SIGKILLed under a writer is done or pending, and the next pass finishes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
	startServer, request, ingestSpans, getSpan, spandexCli, spandexOk, dayTime, startWriter,
	filesHolding, waitFor, WS_PREFIX } from '../harness.mjs';

let srv;
let tmp;
before(async () => {
	srv = await startServer({ workers: { ingest: 2, spans: 2, traces: 1, sessions: 1 } });
	tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spandex-erase-'));
});
after(async () => {
	await srv?.stop();
	if (tmp && process.env.SPANDEX_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

const USERS = ['u-alice', 'u-bob', 'u-victim', 'u-carol', 'u-dave'];

// Spans of every user: per user two traces a day on days 1 and 3 back, a root naming the user
// (user.id, or enduser.id for the last) and a child that names nobody. The victim's carry the
// canary in their name, input, output and attributes.
function corpus(ws, canary) {
	const spans = [];
	for (const [u, user] of USERS.entries())
		for (const back of [1, 3])
			for (let t = 0; t < 2; t++) {
				const trace = `${ws}-${user}-d${back}-t${t}`;
				const mark = user === 'u-victim' ? ` ${canary}` : '';
				const key = u === USERS.length - 1 ? 'enduser.id' : 'user.id';
				spans.push({
					span_id: `${trace}-root`, trace_id: trace, session_id: `${ws}-${user}-s`,
					name: `chat${mark}`, started_at: dayTime(t * 1000, back), kind: 'AGENT',
					input: `question of ${user}${mark}`, output: `answer${mark}`,
					attributes: { [key]: user, note: `n${mark}` },
				}, {
					span_id: `${trace}-llm`, trace_id: trace, parent_span_id: `${trace}-root`,
					name: 'llm', started_at: dayTime(t * 1000 + 10, back), kind: 'LLM',
					input: `prompt for ${user}${mark}`, output: `completion${mark}`,
				});
			}
	return spans;
}

const hits = filesHolding;

async function ingestOk(ws, spans) {
	const r = await ingestSpans(ws, spans, { base: srv.base });
	assert.equal(r.status, 201, r.text);
}

// The body of GET span of each id.
async function bodies(ws, ids) {
	const out = new Map();
	for (const id of ids) {
		const r = await getSpan(ws, id, { base: srv.base });
		assert.equal(r.status, 200, `${id}: ${r.text}`);
		out.set(id, r.text);
	}
	return out;
}

// A store of ws with the canary everywhere a byte of a span can be: sealed days and their late
// lines, an open day, an older version, an annotation, a quarantine, text indexes. Returns the
// victim's and the others' span ids.
async function plant(ws, canary) {
	const spans = corpus(ws, canary);
	await ingestOk(ws, spans);
	// A second version of a victim span: the first stays in the bytes until erased.
	const v = spans.find((s) => s.span_id.includes('u-victim-d1-t0-llm'));
	await ingestOk(ws, [{ ...v, output: `second ${canary}` }]);
	const ann = await request('POST', `${WS_PREFIX}/${ws}/annotations`, {
		base: srv.base,
		body: { kind: 'note', session_id: `${ws}-u-victim-s`, span_id: v.span_id, text: `note ${canary}` },
	});
	assert.equal(ann.status, 201, ann.text);
	await spandexOk(['seal', srv.dataDir, '--workspace', ws]);
	// A late victim span on the sealed day: its line is in <day>.late.jsonl.
	const late = { ...spans.find((s) => s.span_id.includes('u-victim-d3-t1-llm')), span_id: `${ws}-u-victim-d3-t1-late` };
	await ingestOk(ws, [late]);
	await spandexOk(['index', srv.dataDir, '--workspace', ws]);
	// A torn end naming a victim span, which reindex keeps in the day's quarantine.
	const day = dayTime(0, 1).slice(0, 10);
	fs.appendFileSync(path.join(srv.dataDir, ws, `${day}.jsonl`), `{"span_id":"${v.span_id}","input":"torn ${canary}`);
	const r = await spandexCli(['reindex', srv.dataDir, '--workspace', ws]);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(fs.existsSync(path.join(srv.dataDir, ws, `${day}.quarantine`)), 'a quarantine was made');
	// A victim span in the day's tail past its index, and the tail's pairs of words in the file
	// beside the day (<day>.tpx), which a spans worker builds between requests once a phrase
	// asks it.
	const tail = { ...spans.find((s) => s.span_id.includes('u-victim-d1-t1-llm')), span_id: `${ws}-u-victim-d1-t1-tail`, input: `tail words ${canary}` };
	await ingestOk(ws, [tail]);
	await waitFor('the tail\'s pairs of words in their file', async () => {
		await request('GET', `${WS_PREFIX}/${ws}/spans?search=${encodeURIComponent(`"tail words ${canary}"`)}`, { base: srv.base });
		return hits(srv.dataDir, canary).some((f) => f.endsWith('.tpx'));
	});
	const victim = [...spans.filter((s) => s.span_id.includes('u-victim')).map((s) => s.span_id), late.span_id, tail.span_id];
	const others = spans.filter((s) => !s.span_id.includes('u-victim')).map((s) => s.span_id);
	assert.ok(hits(srv.dataDir, canary).length >= 5, `the canary is planted in many files: ${hits(srv.dataDir, canary)}`);
	return { victim, others, annotation: ann.json.annotation_id };
}

// What the APIs show of the canary: spans by id, a search, a list, the export.
async function shown(ws, canary, victim) {
	const seen = [];
	for (const id of victim) {
		const r = await getSpan(ws, id, { base: srv.base });
		if (r.status !== 404) seen.push(`GET ${id}: ${r.status}`);
	}
	const s = await request('GET', `${WS_PREFIX}/${ws}/spans?search=${canary}`, { base: srv.base });
	assert.equal(s.status, 200, s.text);
	if (s.text.includes(canary)) seen.push('search');
	const l = await request('GET', `${WS_PREFIX}/${ws}/spans?page_size=1000`, { base: srv.base });
	if (l.text.includes(canary) || victim.some((id) => l.text.includes(id))) seen.push('list');
	const ex = await spandexOk(['export', srv.dataDir, '--workspace', ws]);
	if (ex.stdout.includes(canary)) seen.push('export');
	return seen;
}

async function eraseUser(ws, user) {
	const r = await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--user', user, '--by', 'test']);
	const m = /^(erase-[0-9a-f]{24}): (\d+) spans and (\d+) judgements/.exec(r.stdout);
	assert.ok(m, r.stdout);
	return { id: m[1], spans: Number(m[2]), judgements: Number(m[3]) };
}

test('a user erased: hidden at once, gone from every byte after one pass, under a writer', async () => {
	const ws = 'erase-canary';
	const canary = 'CANARY7f3e9b1c';
	const { victim, others, annotation } = await plant(ws, canary);
	const kept = await bodies(ws, others);
	const writer = startWriter(ws, { base: srv.base });
	await writer.until(30);
	const ack = await eraseUser(ws, 'u-victim');
	assert.equal(ack.spans, victim.length, 'every span of the victim\'s traces');
	assert.equal(ack.judgements, 1);
	assert.deepEqual(await shown(ws, canary, victim), [], 'nothing shown from the acknowledgement on');
	const a = await request('GET', `${WS_PREFIX}/${ws}/annotations/${annotation}`, { base: srv.base });
	assert.equal(a.status, 404, a.text);
	const pass = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	assert.match(pass.stdout, /1 requests in 1 workspaces done/);
	await writer.stop();
	assert.deepEqual(hits(srv.dataDir, canary), [], 'no byte of the canary under the data directory');
	assert.deepEqual(await bodies(ws, others), kept, 'every other span reads back whole');
	const wrote = await bodies(ws, [...writer.acked]);
	for (const [id, body] of wrote) assert.equal(JSON.parse(body).name, writer.latest.get(id), id);
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
	const audit = fs.readFileSync(path.join(srv.dataDir, '.spandex-erase', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	const line = audit.find((x) => x.id === ack.id);
	assert.equal(line.status, 'done');
	assert.equal(line.by, 'test');
	assert.deepEqual(line.what, { user: ['u-victim'] });
	assert.equal(line.spans, victim.length);
	assert.ok(line.versions_removed >= victim.length, JSON.stringify(line));
	assert.ok(!fs.existsSync(path.join(srv.dataDir, '.spandex-erase', `${ack.id}.json`)));
	const dest = path.join(tmp, 'backup');
	await spandexOk(['backup', srv.dataDir, dest]);
	assert.deepEqual(hits(dest, canary), [], 'a backup made after the pass holds none of it');
	// A second pass has nothing to do.
	const again = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	assert.match(again.stdout, /0 requests/);
});

test('an erase or a pass SIGKILLed under a writer is done or pending, and the next pass finishes it', async () => {
	const kills = [
		['request', { SPANDEX_TEST_KILL_IN_ERASE: '0' }], // between its judgements and its spans
		['apply', { SPANDEX_TEST_KILL_IN_ERASE: '1' }], // the pass, before its reindex
		['reindex', { SPANDEX_TEST_KILL_IN_REINDEX: '1' }]]; // the pass, after one day's publish
	for (const [at, env] of kills) {
		const ws = `erase-kill-${at}`;
		const canary = `KILLCANARY${at}x`;
		const { victim, others } = await plant(ws, canary);
		const kept = await bodies(ws, others);
		const writer = startWriter(ws, { base: srv.base });
		await writer.until(20);
		if (at === 'request') {
			const k = await spandexCli(['erase', srv.dataDir, '--workspace', ws, '--user', 'u-victim'], { env });
			assert.equal(k.signal, 'SIGKILL', JSON.stringify(k));
			assert.equal(fs.readdirSync(path.join(srv.dataDir, '.spandex-erase')).filter((f) => f.endsWith('.json')).length, 1, 'pending');
		} else {
			await eraseUser(ws, 'u-victim');
			const k = await spandexCli(['erase', srv.dataDir, '--pending'], { env });
			assert.equal(k.signal, 'SIGKILL', JSON.stringify(k));
			assert.deepEqual(await shown(ws, canary, victim), [], `${ws}: still hidden after the kill`);
		}
		assert.deepEqual(await bodies(ws, others), kept, `${ws}: others whole after the kill`);
		await spandexOk(['erase', srv.dataDir, '--pending']);
		await writer.stop();
		assert.deepEqual(await shown(ws, canary, victim), [], `${ws}: hidden`);
		assert.deepEqual(hits(srv.dataDir, canary), [], `${ws}: no byte left after the next pass`);
		assert.deepEqual(await bodies(ws, others), kept, `${ws}: others whole`);
		const wrote = await bodies(ws, [...writer.acked]);
		for (const [id, body] of wrote) assert.equal(JSON.parse(body).name, writer.latest.get(id), id);
		const v = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
		assert.equal(v.code, 0, v.stdout + v.stderr);
	}
});

test('by trace, session and time range; bad requests are refused', async () => {
	const ws = 'erase-by';
	const t = (back, ms) => dayTime(ms, back);
	await ingestOk(ws, [
		{ span_id: 'a1', trace_id: 'ta', session_id: 's1', started_at: t(1, 0), input: 'TRACECANARY' },
		{ span_id: 'a2', trace_id: 'ta', parent_span_id: 'a1', started_at: t(1, 5), input: 'TRACECANARY' },
		{ span_id: 'b1', trace_id: 'tb', session_id: 's2', started_at: t(1, 10), input: 'SESSIONCANARY' },
		{ span_id: 'c1', trace_id: 'tc', session_id: 's3', started_at: t(4, 0), input: 'TIMECANARY' },
		{ span_id: 'd1', trace_id: 'td', session_id: 's3', started_at: t(1, 20), input: 'kept' },
	]);
	await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--trace', 'ta']);
	await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--session', 's2']);
	const day = t(4, 0).slice(0, 10);
	await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--from', day, '--to', t(3, 0).slice(0, 10)]);
	for (const id of ['a1', 'a2', 'b1', 'c1'])
		assert.equal((await getSpan(ws, id, { base: srv.base })).status, 404, id);
	assert.equal((await getSpan(ws, 'd1', { base: srv.base })).status, 200);
	// A span sent again after its erasure is a new span: the pass keeps it, and takes out
	// the versions before the erasure.
	await ingestOk(ws, [{ span_id: 'a2', trace_id: 'ta', parent_span_id: 'a1', started_at: t(1, 5), input: 'sent again' }]);
	await spandexOk(['erase', srv.dataDir, '--pending']);
	const again = await getSpan(ws, 'a2', { base: srv.base });
	assert.equal(again.status, 200, again.text);
	assert.equal(again.json.input, 'sent again');
	for (const c of ['TRACECANARY', 'SESSIONCANARY', 'TIMECANARY'])
		assert.deepEqual(hits(path.join(srv.dataDir, ws), c), [], c);
	assert.equal((await getSpan(ws, 'd1', { base: srv.base })).status, 200);
	for (const args of [['--trace', 'x', '--user', 'y'], ['--from', day], []]) {
		const r = await spandexCli(['erase', srv.dataDir, '--workspace', ws, ...args]);
		assert.equal(r.code, 2, `${args}: ${r.stderr}`);
	}
	const r = await spandexCli(['erase', srv.dataDir, '--workspace', 'Bad Name', '--trace', 'x']);
	assert.equal(r.code, 1, r.stderr);
	assert.match(r.stderr, /invalid workspace name/);
});

// The files of ws's day (its index and lines, plain or sealed) by name: their inode and change
// time, which a pass that writes the day again changes.
function dayFiles(ws, day) {
	const dir = path.join(srv.dataDir, ws);
	const out = {};
	for (const f of fs.readdirSync(dir))
		if (f.startsWith(day) && /\.(idx|jsonl|jsonl\.zst)$/.test(f)) {
			const st = fs.statSync(path.join(dir, f));
			out[f] = `${st.ino}:${st.ctimeMs}`;
		}
	return out;
}

test('the pass writes again only the days that hold an erased span; the tables find every other span', async () => {
	const ws = 'erase-days';
	const t = (back, ms) => dayTime(ms, back);
	const spans = [];
	for (const back of [1, 2, 3])
		for (let i = 0; i < 6; i++)
			spans.push({ span_id: `s${back}-${i}`, trace_id: `t${back}-${i % 2}`, session_id: `ss${back}`, started_at: t(back, i * 10), input: i % 2 ? 'kept' : 'DAYCANARY' });
	await ingestOk(ws, spans);
	// A second version of a kept span of the erased day: the newest stays, after the pass too.
	await ingestOk(ws, [{ ...spans.find((s) => s.span_id === 's2-1'), output: 'second' }]);
	await spandexOk(['seal', srv.dataDir, '--workspace', ws, '--older-than', '0']);
	await spandexOk(['index', srv.dataDir, '--workspace', ws]);
	const kept = await bodies(ws, spans.filter((s) => s.input === 'kept').map((s) => s.span_id));
	const day = (back) => t(back, 0).slice(0, 10);
	const before = { 1: dayFiles(ws, day(1)), 2: dayFiles(ws, day(2)), 3: dayFiles(ws, day(3)) };
	await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--trace', 't2-0']);
	const pass = await spandexOk(['erase', srv.dataDir, '--pending', '--verbose']);
	assert.match(pass.stdout, /1 requests in 1 workspaces done/);
	assert.deepEqual(dayFiles(ws, day(1)), before[1], 'a day without an erased span is not written again');
	assert.deepEqual(dayFiles(ws, day(3)), before[3], 'nor this one');
	assert.notDeepEqual(dayFiles(ws, day(2)), before[2], 'the erased trace\'s day is');
	const h = hits(path.join(srv.dataDir, ws), 'DAYCANARY');
	assert.ok(h.some((f) => f.startsWith(day(1))) && h.some((f) => f.startsWith(day(3))), `the other days keep theirs: ${h}`);
	assert.deepEqual(h.filter((f) => f.startsWith(day(2))), [], 'the erased day holds none');
	assert.deepEqual(await bodies(ws, [...kept.keys()]), kept, 'every other span reads back whole');
	assert.equal(JSON.parse(kept.get('s2-1')).output, 'second');
	for (const id of ['s2-0', 's2-2', 's2-4'])
		assert.equal((await getSpan(ws, id, { base: srv.base })).status, 404, id);
	const tr = await request('GET', `${WS_PREFIX}/${ws}/traces/t2-1`, { base: srv.base });
	assert.equal(tr.status, 200, tr.text);
	const v = await spandexCli(['verify', srv.dataDir, '--workspace', ws]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('the audit log and the pending requests go into backups; a restore erases again what was erased after the backup', async () => {
	const ws = 'erase-backup';
	const t = (ms) => dayTime(ms, 1);
	await ingestOk(ws, [
		{ span_id: 'ba', trace_id: 'ta', started_at: t(0), input: 'BEFORECANARY' },
		{ span_id: 'bb', trace_id: 'tb', started_at: t(10), input: 'AFTERCANARY' },
		{ span_id: 'bc', trace_id: 'tc', started_at: t(20), input: 'PENDINGCANARY' },
		{ span_id: 'bk', trace_id: 'tk', started_at: t(30), input: 'kept' },
	]);
	const erase = async (trace) => (await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--trace', trace])).stdout.split(':')[0];
	const a = await erase('ta');
	await spandexOk(['erase', srv.dataDir, '--pending']);
	const c = await erase('tc'); // pending when the backup is taken
	const dest = path.join(tmp, 'backup-audit');
	await spandexOk(['backup', srv.dataDir, dest]);
	const gen = path.join(dest, fs.readdirSync(dest).filter((g) => /^\d/.test(g)).sort().at(-1));
	const audit = (dir) => fs.readFileSync(path.join(dir, '.spandex-erase', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).id);
	assert.ok(audit(gen).includes(a), 'the backup holds the audit line');
	assert.ok(fs.existsSync(path.join(gen, '.spandex-erase', `${c}.json`)), 'and the pending request');
	assert.match(fs.readFileSync(path.join(gen, 'MANIFEST'), 'utf8'), /^# erasures 2 \d+$/m);
	await spandexOk(['erase', srv.dataDir, '--pending']);
	const b = await erase('tb'); // after the backup
	await spandexOk(['erase', srv.dataDir, '--pending']);
	// Restored into a new directory: the audit comes back, the pending request is finished.
	const fresh = path.join(tmp, 'restored-fresh');
	const r1 = await spandexOk(['restore', gen, fresh, '--verbose']);
	assert.match(r1.stderr, /erasures? done after this backup was taken \(or pending in it\): erasing again/);
	assert.ok(audit(fresh).includes(a) && audit(fresh).includes(c) && !audit(fresh).includes(b), audit(fresh).join());
	assert.deepEqual(hits(fresh, 'PENDINGCANARY'), []);
	assert.ok(hits(fresh, 'AFTERCANARY').length > 0, 'an erasure this DATA never saw is not known to it');
	// Restored where the audit log survived the loss of the data (the erasure of tb was done
	// after the backup): tb is erased again, its line kept, the backup's lines merged in.
	const host = path.join(tmp, 'restored-host');
	fs.mkdirSync(path.join(host, '.spandex-erase'), { recursive: true });
	fs.copyFileSync(path.join(srv.dataDir, '.spandex-erase', 'audit.jsonl'), path.join(host, '.spandex-erase', 'audit.jsonl'));
	const r2 = await spandexOk(['restore', gen, host, '--force', '--verbose']);
	assert.match(r2.stderr, /erasing again/);
	for (const canary of ['AFTERCANARY', 'PENDINGCANARY', 'BEFORECANARY'])
		assert.deepEqual(hits(host, canary), [], canary);
	const ex = await spandexOk(['export', host, '--workspace', ws]);
	assert.deepEqual(ex.stdout.trim().split('\n').map((l) => JSON.parse(l).span_id), ['bk']);
	assert.ok([a, b, c].every((id) => audit(host).includes(id)), audit(host).join());
	const v = await spandexCli(['verify', host]);
	assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('the HTTP route (admin keys): 202 with the request, GET pending then done; 422, 403, 404 in NeMo\'s shape; Opik\'s and Langfuse\'s trace deletes are erasures', async () => {
	const s2 = await startServer({ workers: { ingest: 1, spans: 1, opik: 1, langfuse: 1 } });
	try {
		const ws = 'erase-http';
		const keys = {};
		for (const role of ['write', 'admin']) {
			const r = await spandexCli(['key', 'create', s2.dataDir, '--workspace', ws, '--role', role, '--name', role]);
			assert.equal(r.code, 0, r.stderr);
			keys[role] = { Authorization: `Bearer ${r.stdout.trim()}` };
		}
		const call = (method, p, body, who = 'admin') =>
			request(method, `${WS_PREFIX}/${ws}/${p}`, { base: s2.base, body, headers: keys[who] });
		let r = await request('POST', `${WS_PREFIX}/${ws}/ingest/spans`, {
			base: s2.base, headers: keys.write,
			body: { source: 'itest', spans: [
				{ span_id: 'h1', trace_id: 'th', started_at: dayTime(0), input: 'HTTPCANARY' },
				{ span_id: 'h2', trace_id: 'tk', started_at: dayTime(5), input: 'kept' }] },
		});
		assert.equal(r.status, 201, r.text);
		r = await call('POST', 'erasures', { trace_id: 'th' }, 'write');
		assert.equal(r.status, 403, r.text);
		assert.equal(typeof r.json.detail, 'string');
		r = await call('POST', 'erasures', { trace_id: 'th' });
		assert.equal(r.status, 202, r.text);
		assert.match(r.json.erasure_id, /^erase-[0-9a-f]{24}$/);
		assert.equal(r.json.status, 'pending');
		assert.equal(r.json.workspace, ws);
		assert.deepEqual(r.json.what, { trace: ['th'] });
		assert.equal(r.json.spans, 1);
		const id = r.json.erasure_id;
		assert.equal((await call('GET', 'spans/h1')).status, 404);
		assert.equal((await call('GET', `erasures/${id}`)).json.status, 'pending');
		for (const [body, type] of [[{}, 'value_error'], [{ trace_id: 1 }, 'string_type'],
			[{ trace_id: '' }, 'string_too_short'], [{ trace_id: 'a', user_id: 'b' }, 'value_error'],
			[{ start: dayTime(0) }, 'value_error'], [{ start: 'soon', end: dayTime(0) }, 'datetime_from_date_parsing'],
			[{ trace_id: 'a', other: 1 }, 'extra_forbidden'], [[], 'model_attributes_type']]) {
			const bad = await call('POST', 'erasures', body);
			assert.equal(bad.status, 422, `${JSON.stringify(body)}: ${bad.text}`);
			assert.equal(bad.json.detail[0].type, type, JSON.stringify(body));
		}
		const reversed = await call('POST', 'erasures', { start: dayTime(10), end: dayTime(0) });
		assert.equal(reversed.status, 400, reversed.text);
		const none = await call('GET', 'erasures/erase-000000000000000000000000');
		assert.equal(none.status, 404, none.text);
		assert.match(none.json.detail, /not found/);
		// Opik's trace delete and Langfuse's are erasures: pending until the pass.
		const opikHeaders = { ...keys.admin, Authorization: keys.admin.Authorization.slice(7), 'Comet-Workspace': ws, 'Content-Type': 'application/json' };
		const trace = '0190b6a0-0000-7000-8000-0000000000aa';
		r = await request('POST', '/v1/private/traces/batch', { base: s2.base, headers: opikHeaders,
			body: { traces: [{ id: trace, name: 'OPIKCANARY', start_time: dayTime(20), project_name: 'p', input: { q: 'OPIKCANARY' } }] } });
		assert.equal(r.status, 204, r.text);
		r = await request('POST', '/v1/private/traces/delete', { base: s2.base, headers: opikHeaders, body: { ids: [trace] } });
		assert.equal(r.status, 204, r.text);
		assert.deepEqual(hits(path.join(s2.dataDir, ws), 'OPIKCANARY').length > 0, true);
		await spandexOk(['erase', s2.dataDir, '--pending']);
		const done = await call('GET', `erasures/${id}`);
		assert.equal(done.status, 200, done.text);
		assert.equal(done.json.status, 'done');
		assert.ok(done.json.done_at);
		assert.deepEqual(hits(s2.dataDir, 'HTTPCANARY'), []);
		assert.deepEqual(hits(s2.dataDir, 'OPIKCANARY'), []);
		assert.equal((await call('GET', 'spans/h2')).status, 200);
		const audit = fs.readFileSync(path.join(s2.dataDir, '.spandex-erase', 'audit.jsonl'), 'utf8');
		assert.match(audit, /"by":"opik:k[0-9a-f]+"/);
		assert.match(audit, /"by":"intake:k[0-9a-f]+"/);
	} finally {
		await s2.stop();
	}
});

test('an erased span\'s media file goes with the pass; one another span references stays', async () => {
	const ws = 'erase-media';
	const png = (tag) => {
		const parts = [Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')];
		for (let i = 0; parts.length < 1000; i++) parts.push(crypto.createHash('sha256').update(`${tag}-${i}`).digest());
		return Buffer.concat(parts);
	};
	const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
	const uri = (b) => `data:image/png;base64,${b.toString('base64')}`;
	const file = (b) => path.join(srv.dataDir, ws, 'media', sha(b).slice(0, 2), sha(b));
	const gone = png('gone'), shared = png('shared');
	await ingestOk(ws, [
		{ span_id: 'm1', trace_id: 'tm', started_at: dayTime(0), input: uri(gone), output: uri(shared) },
		{ span_id: 'm2', trace_id: 'tk', started_at: dayTime(5), input: uri(shared) }]);
	assert.ok(fs.existsSync(file(gone)) && fs.existsSync(file(shared)), 'both moved out of the lines');
	await spandexOk(['erase', srv.dataDir, '--workspace', ws, '--trace', 'tm']);
	// Older than the pass's grace for files a writer may be about to reference (a minute).
	const old = new Date(Date.now() - 5 * 60 * 1000);
	for (const b of [gone, shared]) fs.utimesSync(file(b), old, old);
	await spandexOk(['erase', srv.dataDir, '--pending']);
	assert.equal(fs.existsSync(file(gone)), false, 'the erased span\'s media file is removed');
	assert.equal(fs.existsSync(file(shared)), true, 'a file another span references stays');
	const r = await request('GET', `${WS_PREFIX}/${ws}/media/${sha(shared)}`, { base: srv.base });
	assert.equal(r.status, 200, r.text);
});
