// Judgement writers killed (issue 34: "killed writers lose no acknowledged judgement"): Opik
// feedback-score batches and NeMo annotations are sent by several clients while every worker
// of the opik and spans programs is SIGKILLed again and again; afterwards every judgement whose
// request was acknowledged (204, 200 or 201) reads back with its value, and `spandex verify`
// passes. A batch's scores are one judgement batch (docs/ARCHITECTURE.md, "Judgements"), so
// the same crash rules hold for them as for spans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, ingestSpans, makeSpan, spandexCli, killWorkers, dayTime, waitFor, WS_PREFIX } from '../harness.mjs';

const WS = 'judgekill';
const SPANS = 40;
const ROUNDS = 30; // kills, 60-180 ms apart

let srv;
before(async () => {
	srv = await startServer({ workers: { opik: 2, spans: 2 } });
});
after(async () => {
	await srv?.stop();
});

const opik = (m, p, body) =>
	srv.request(m, p, { body, headers: { 'Content-Type': 'application/json', 'Comet-Workspace': WS } });

test('Opik score batches and NeMo annotations under SIGKILLed workers: every acknowledged judgement is kept', async (t) => {
	const ids = Array.from({ length: SPANS }, () => crypto.randomUUID());
	const started = dayTime(5);
	const r = await ingestSpans(WS, ids.map((id) => makeSpan(id, { started_at: started, session_id: `s-${id}` })));
	assert.equal(r.status, 201, r.text);

	// Each client sends its own score names, each batch a new value of every (span, name).
	const acked = new Map(); // `${span} ${name}` -> value of the last acknowledged batch
	const ackedNotes = []; // [span, annotation id]
	let stop = false;
	let sent = 0;
	let failed = 0;
	const scorer = async (c) => {
		for (let round = 0; !stop; round++) {
			const scores = ids.map((id, i) => ({ id, name: `q${c}`, value: round * 1000 + i, source: 'sdk' }));
			const res = await opik('PUT', '/v1/private/spans/feedback-scores', { scores }).catch(() => null);
			sent++;
			if (res?.status === 204) for (const s of scores) acked.set(`${s.id} ${s.name}`, s.value);
			else failed++;
		}
	};
	const annotator = async () => {
		for (let round = 0; !stop; round++) {
			const id = ids[round % SPANS];
			const res = await srv.request('POST', `${WS_PREFIX}/${WS}/annotations`, {
				body: {
					kind: 'label', session_id: `s-${id}`, span_id: id, name: 'human',
					value_type: 'numeric', value: round,
				},
			}).catch(() => null);
			sent++;
			if (res && res.status >= 200 && res.status < 300) ackedNotes.push([id, res.json.annotation_id, round]);
			else failed++;
		}
	};
	const clients = [scorer(0), scorer(1), annotator()];
	let kills = 0;
	for (let round = 0; round < ROUNDS; round++) {
		// Each kill after 2 to 6 more requests went out: the kills paced by the clients' progress
		// (some while a batch is being written, some between), not by the clock.
		const before = sent;
		await waitFor('the clients to send more', () => sent >= before + 2 + (round % 5), { every: 5 });
		kills += killWorkers(srv.procs.opik.pid) + killWorkers(srv.procs.spans.pid);
	}
	// The clients go on until a score and an annotation were acknowledged (on a loaded machine
	// every request of the rounds may have met a kill).
	await waitFor('a score and an annotation acknowledged', () => acked.size > 0 && ackedNotes.length > 0);
	stop = true;
	await Promise.all(clients);
	t.diagnostic(`${kills} workers killed; ${sent} requests, ${failed} not acknowledged, ${acked.size} scores and ${ackedNotes.length} annotations acknowledged`);
	assert.ok(kills > 0, 'no worker was found to kill');
	assert.ok(acked.size > 0 && ackedNotes.length > 0, 'nothing was acknowledged');

	// Every acknowledged score is there with a value at least as new as the last acknowledged
	// one (a batch that was not acknowledged may still have been stored after it).
	for (const id of ids) {
		const g = await opik('GET', `/v1/private/spans/${id}`);
		assert.equal(g.status, 200, g.text);
		const byName = new Map((g.json.feedback_scores ?? []).map((f) => [f.name, f.value]));
		for (const c of [0, 1]) {
			const want = acked.get(`${id} q${c}`);
			if (want === undefined) continue;
			assert.ok(byName.has(`q${c}`), `acknowledged score q${c} of ${id} is missing`);
			assert.ok(byName.get(`q${c}`) >= want, `score q${c} of ${id} went back: ${byName.get(`q${c}`)} < ${want}`);
			assert.equal(byName.get(`q${c}`) % 1000, ids.indexOf(id), 'a score is its own batch row');
		}
	}
	for (const [span, id, round] of ackedNotes) {
		const g = await srv.request('GET', `${WS_PREFIX}/${WS}/annotations/${id}`);
		assert.equal(g.status, 200, `acknowledged annotation ${id} of ${span} is missing: ${g.status} ${g.text}`);
		assert.equal(g.json.span_id, span);
		assert.equal(g.json.value, round);
	}
	const v = await spandexCli(['verify', srv.dataDir]);
	assert.equal(v.code, 0, `spandex verify after the kills:\n${v.stdout}${v.stderr}`);
});
