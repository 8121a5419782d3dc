// writer: one client process for the concurrency and crash tests. Posts `count` spans with
// ids <prefix>-<n> in batches of `batch` to workspace ws, and prints one line per batch,
// "<status> <first> <last>", so the parent knows which spans were acknowledged. With DAYS,
// span n starts n % DAYS days before STARTED_AT, so each batch spans DAYS days.
// usage: node writer.mjs BASE WS PREFIX COUNT BATCH [STARTED_AT [DAYS]]
import { ingestSpans, makeSpan } from '../harness.mjs';

const [base, ws, prefix, count, batch, startedAt, days = '1'] = process.argv.slice(2);
const n = Number(count);
const per = Number(batch);
let failed = 0;
for (let first = 0; first < n; first += per) {
	const last = Math.min(n, first + per) - 1;
	const spans = [];
	for (let i = first; i <= last; i++) {
		spans.push(makeSpan(`${prefix}-${i}`, {
			trace_id: `${prefix}-trace-${Math.floor(i / 10)}`,
			name: `span ${i} of ${prefix}`,
			kind: 'LLM',
			status: 'success',
			...(startedAt ? { started_at: new Date(Date.parse(startedAt) - (i % Number(days)) * 86400e3).toISOString() } : {}),
			input: `question ${i}`,
			attributes: { 'gen_ai.request.model': 'm', 'gen_ai.usage.input_tokens': i, writer: prefix },
		}));
	}
	let status;
	try {
		status = (await ingestSpans(ws, spans, { base })).status;
	} catch (e) {
		status = `error:${e.code || e.message}`;
	}
	if (status !== 201) failed++;
	process.stdout.write(`${status} ${first} ${last}\n`);
}
process.exit(failed ? 1 : 0);
