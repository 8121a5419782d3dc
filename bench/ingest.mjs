// ingest.mjs: the ingest load client of bench/run. It POSTs a fixed number of batches to
// .../ingest/spans over a few keep-alive connections and prints one JSON line of results.
//
// Every batch is one template batch (a DirectSpansIngestRequest from any generator) with its
// ids made unique and its day chosen per batch: the template is serialised once with fixed-width
// markers, and each request is a copy with the markers overwritten in place, so the client
// spends microseconds per batch and the server, not the client, is what is measured.
//
//   node bench/ingest.mjs --url URL --template FILE --batches K [--concurrency C]
//        [--days D] [--tag T] [--again 1]
//   node bench/ingest.mjs --make N            (a template batch of N spans on stdout)
//   node bench/ingest.mjs --make-otlp N       (the same spans as an OTLP protobuf
//        ExportTraceServiceRequest on stdout: post it with --otlp 1, which expects 200)
//   node bench/ingest.mjs --make-otlp-json N  (the same spans as OTLP/JSON, and
//   node bench/ingest.mjs --make-opik N        as an Opik spans batch: post either with
//        --hex 1, which writes each id's marker in hex; --expect 200 and 204, and for Opik
//        --header Comet-Workspace:WS)
//
// With --again 1 every other batch sends the spans of the one before it again (batches 2k and
// 2k + 1 carry the same ids, on the same day): a new version of each, which supersedes the one
// stored (issue 55's cost of naming the superseding batch, lib/store/sup.h).
//
// Every reply must be the program's success status (201, OTLP 200) or the sink's (any 2xx
// it was told to answer): anything else counts as an error and fails the run.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { varint, field } from '../t/otlp_wire.mjs';

const ID_MARK = '~~~~~~~~'; // replaced by the batch number: 8 base-36 digits
const DAY_MARK = '@@@@-@@-@@'; // replaced by the batch's UTC day
const DAY_MS = 86400e3;

function args(argv) {
	const o = {};
	for (let i = 0; i < argv.length; i += 2) {
		if (!argv[i].startsWith('--') || i + 1 >= argv.length)
			throw new Error(`bad argument ${argv[i]}`);
		o[argv[i].slice(2)] = argv[i + 1];
	}
	return o;
}

// What a user's message brings now and then (issue 52): one of each thing bench/redact20.rules
// finds, in one span of ten, so that a run with rules on replaces something, as it would.
const PLANTED = ' Reach me at jane.doe@example.com or +1 415 555 0134, card 4111 1111 1111 1111, ' +
	'IBAN DE89 3704 0044 0532 0130 00, from 203.0.113.7, I am EMP-204816 and my key is ' +
	'sk-proj-Zq3vYh8LkT2mWx9RbN4cJd7F';

// A small span generator: LLM, tool and chain spans of a few traces, ~1.3 KB each once
// canonical (the size of the perf-anchors corpus), one in ten with PLANTED in its input (and
// its user's address in user.id). bench/gen.c replaces it once it can write a template batch.
function makeBatch(n) {
	const words = ('the a model tool agent user answer question context token retrieval ' +
		'document summary plan step result error retry cache latency prompt system reply ' +
		'search query index table chart report budget invoice customer order shipping ' +
		'weather flight hotel booking refund policy account password reset schedule').split(' ');
	let seed = 12345;
	const rnd = (k) => { // mulberry32: fixed seed, so every run sends the same spans
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) % k;
	};
	const text = (lo, hi) => {
		const out = [];
		for (let i = lo + rnd(hi - lo); i > 0; i--)
			out.push(words[rnd(words.length)]);
		return out.join(' ');
	};
	const hex = (k) => {
		let s = '';
		while (s.length < k)
			s += rnd(0x10000).toString(16).padStart(4, '0');
		return s.slice(0, k);
	};
	const spans = [];
	let trace, root, t0;
	for (let i = 0; i < n; i++) {
		if (i % 10 === 0) {
			trace = hex(24) + i.toString(16).padStart(8, '0');
			root = null;
			t0 = Date.UTC(2025, 0, 1, rnd(22), rnd(60), rnd(60), rnd(1000));
		}
		const kind = root === null ? 'AGENT' : ['LLM', 'LLM', 'TOOL', 'RETRIEVER'][rnd(4)];
		const start = t0 + (i % 10) * 1500;
		const id = hex(8) + i.toString(16).padStart(8, '0'); // unique within the batch
		const llm = kind === 'LLM';
		const span = {
			span_id: id,
			trace_id: trace,
			session_id: `sess-${trace.slice(0, 12)}`,
			name: llm ? 'chat.completions' : kind.toLowerCase() + '.run',
			kind,
			status: rnd(50) === 0 ? 'error' : 'success',
			started_at: new Date(start).toISOString(),
			ended_at: new Date(start + 200 + rnd(1200)).toISOString(),
			input: text(40, 120),
			output: text(10, 60),
			attributes: {
				'gen_ai.system': 'openai',
				'gen_ai.request.model': ['gpt-4o', 'gpt-4o-mini', 'llama-3.1-70b'][rnd(3)],
				'agent.name': 'support-bot',
				'project.name': 'bench',
				'deployment.environment': 'bench',
			},
		};
		if (i % 10 === 3) {
			span.input += PLANTED;
			span.attributes['user.id'] = 'jane.doe@example.com';
		}
		if (root !== null)
			span.parent_span_id = root;
		else
			root = id;
		if (llm) {
			const inTok = 200 + rnd(2000), outTok = 20 + rnd(400);
			Object.assign(span.attributes, {
				'gen_ai.usage.input_tokens': inTok,
				'gen_ai.usage.output_tokens': outTok,
				'gen_ai.usage.total_tokens': inTok + outTok,
				'llm.cost.total': (inTok * 2.5 + outTok * 10) / 1e6,
			});
		} else if (kind === 'TOOL') {
			span.attributes['tool.name'] = ['search', 'lookup_order', 'send_email'][rnd(3)];
		}
		spans.push(span);
	}
	return { source: 'bench', spans };
}

// The spans of makeBatch(n) as an OTLP/protobuf ExportTraceServiceRequest: one resource,
// one scope, the span's fields as GenAI attributes (input.value and output.value carry the
// text, so the canonical line is the direct span's size). Ids are bytes: each trace and span
// id begins with 4 marker bytes (OTLP_MARK), which run() overwrites with the batch number, so
// every batch's ids differ; times are today's (one day).
const OTLP_MARK = Buffer.from('~~~~');
function makeOtlp(n) {
	const batch = makeBatch(n);
	const fixed64 = (f, big) => {
		const b = Buffer.alloc(9);
		b[0] = f * 8 + 1;
		b.writeBigUInt64LE(big, 1);
		return b;
	};
	const anyStr = (v) => field(1, Buffer.from(v));
	const kv = (k, v) => field(9, Buffer.concat([field(1, Buffer.from(k)),
		field(2, typeof v === 'number'
			? (Number.isInteger(v) ? Buffer.concat([Buffer.from([0x18]), varint(v)])
				: (() => { const b = Buffer.alloc(9); b[0] = 0x21; b.writeDoubleLE(v, 1); return b; })())
			: anyStr(v))]));
	const idBytes = (hexId, len) => Buffer.concat([OTLP_MARK,
		Buffer.from(hexId.padStart(2 * len, '0').slice(-(2 * (len - 4))), 'hex')]);
	const today = BigInt(Math.floor(Date.now() / DAY_MS) * DAY_MS) * 1000000n;
	const ns = (iso) => today + BigInt(Date.parse(iso) % DAY_MS) * 1000000n;
	const spans = batch.spans.map((s) => {
		const parts = [field(1, idBytes(s.trace_id, 16)), field(2, idBytes(s.span_id, 8))];
		if (s.parent_span_id)
			parts.push(field(4, idBytes(s.parent_span_id, 8)));
		parts.push(field(5, Buffer.from(s.name)), fixed64(7, ns(s.started_at)), fixed64(8, ns(s.ended_at)));
		parts.push(kv('openinference.span.kind', s.kind), kv('session.id', s.session_id),
			kv('input.value', s.input), kv('output.value', s.output));
		for (const [k, v] of Object.entries(s.attributes))
			parts.push(kv(k, v));
		if (s.status === 'error')
			parts.push(field(15, Buffer.from([0x18, 2]))); // Status{code: ERROR}
		return field(2, Buffer.concat(parts));
	});
	const resource = field(1, field(1, Buffer.concat([field(1, Buffer.from('service.name')),
		field(2, anyStr('bench'))])));
	return field(1, Buffer.concat([resource, field(2, Buffer.concat(spans))]));
}

// The spans of makeBatch(n) as OTLP/JSON (proto3's JSON mapping: ids in hex, times strings of
// nanoseconds, today's as makeOtlp's), the attributes makeOtlp's. Each id's first 8 hex digits
// are ID_MARK, which run() (--hex 1) overwrites with the batch number in hex.
function makeOtlpJson(n) {
	const batch = makeBatch(n);
	const today = BigInt(Math.floor(Date.now() / DAY_MS) * DAY_MS) * 1000000n;
	const ns = (iso) => String(today + BigInt(Date.parse(iso) % DAY_MS) * 1000000n);
	const id = (h) => ID_MARK + h.slice(8);
	const any = (v) => (typeof v !== 'number' ? { stringValue: v }
		: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v });
	const kv = (k, v) => ({ key: k, value: any(v) });
	const spans = batch.spans.map((s) => {
		const o = { traceId: id(s.trace_id), spanId: id(s.span_id) };
		if (s.parent_span_id)
			o.parentSpanId = id(s.parent_span_id);
		Object.assign(o, {
			name: s.name, kind: 1, startTimeUnixNano: ns(s.started_at), endTimeUnixNano: ns(s.ended_at),
			attributes: [kv('openinference.span.kind', s.kind), kv('session.id', s.session_id),
				kv('input.value', s.input), kv('output.value', s.output),
				...Object.entries(s.attributes).map(([k, v]) => kv(k, v))],
		});
		if (s.status === 'error')
			o.status = { code: 2 };
		return o;
	});
	return {
		resourceSpans: [{
			resource: { attributes: [kv('service.name', 'bench')] },
			scopeSpans: [{ scope: { name: 'bench' }, spans }],
		}],
	};
}

// The spans of makeBatch(n) as an Opik spans batch (POST /api/v1/private/spans/batch), as the
// Python SDK sends them: UUID ids (their first 8 hex digits ID_MARK, as makeOtlpJson's), the
// texts as input and output objects, the model, provider, usage and cost as their own fields,
// the other attributes as metadata, both times on DAY_MARK's day.
function makeOpik(n) {
	const batch = makeBatch(n);
	const uuid = (h) => `${ID_MARK}-${h.slice(0, 4)}-7${h.slice(4, 7)}-8${h.slice(7, 10)}-${h.slice(10, 22)}`;
	const types = { LLM: 'llm', TOOL: 'tool' };
	const day = (iso) => DAY_MARK + iso.slice(10);
	const spans = batch.spans.map((s) => {
		const a = { ...s.attributes };
		const o = {
			id: uuid(s.span_id.slice(8) + s.trace_id),
			trace_id: uuid(s.trace_id.slice(10)),
			project_name: 'bench', name: s.name, type: types[s.kind] || 'general',
			start_time: day(s.started_at), end_time: day(s.ended_at),
			input: { input: s.input }, output: { output: s.output },
		};
		if (s.parent_span_id)
			o.parent_span_id = uuid(s.parent_span_id.slice(8) + s.trace_id);
		if (a['gen_ai.usage.input_tokens'] !== undefined) {
			o.model = a['gen_ai.request.model'];
			o.provider = a['gen_ai.system'];
			o.usage = {
				prompt_tokens: a['gen_ai.usage.input_tokens'],
				completion_tokens: a['gen_ai.usage.output_tokens'],
				total_tokens: a['gen_ai.usage.total_tokens'],
			};
			o.total_estimated_cost = a['llm.cost.total'];
			for (const k of ['gen_ai.request.model', 'gen_ai.system', 'gen_ai.usage.input_tokens',
				'gen_ai.usage.output_tokens', 'gen_ai.usage.total_tokens', 'llm.cost.total'])
				delete a[k];
		}
		o.metadata = a;
		if (s.status === 'error')
			o.error_info = { exception_type: 'Error', message: 'failed', traceback: 'Traceback: failed' };
		return o;
	});
	return { spans };
}

// A template of makeOtlpJson's or makeOpik's: the offsets of every ID_MARK and DAY_MARK.
function markText(buf) {
	const find = (m) => {
		const offs = [];
		for (let at = buf.indexOf(m); at >= 0; at = buf.indexOf(m, at + m.length))
			offs.push(at);
		return offs;
	};
	const j = JSON.parse(buf.toString());
	const spans = j.spans ? j.spans.length
		: j.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, x) => m + x.spans.length, 0), 0);
	return { buf, ids: find(ID_MARK), days: find(DAY_MARK), spans };
}

// The template with markers: every id is prefixed with ID_MARK (so a batch's ids differ from
// every other batch's) and both times of a span get the same DAY_MARK date.
function markTemplate(batch) {
	const mark = (v) => (typeof v === 'string' && v.length ? ID_MARK + v : v);
	for (const s of batch.spans) {
		s.span_id = mark(s.span_id);
		s.trace_id = mark(s.trace_id);
		s.session_id = mark(s.session_id);
		s.parent_span_id = mark(s.parent_span_id);
		if (typeof s.started_at === 'string' && /^\d{4}-\d\d-\d\dT/.test(s.started_at)) {
			const st = s.started_at.slice(10);
			s.started_at = DAY_MARK + st;
			if (typeof s.ended_at === 'string' && /^\d{4}-\d\d-\d\dT/.test(s.ended_at)) {
				const en = s.ended_at.slice(10);
				// Same day for both: a span that crossed midnight becomes instantaneous.
				s.ended_at = DAY_MARK + (en >= st ? en : st);
			}
		}
	}
	const buf = Buffer.from(JSON.stringify(batch));
	const find = (m) => {
		const offs = [];
		for (let at = buf.indexOf(m); at >= 0; at = buf.indexOf(m, at + m.length))
			offs.push(at);
		return offs;
	};
	return { buf, ids: find(ID_MARK), days: find(DAY_MARK), spans: batch.spans.length };
}

function post(agent, url, body, type, extra) {
	return new Promise((resolve, reject) => {
		const req = http.request(url, {
			method: 'POST',
			agent,
			headers: { 'Content-Type': type, 'Content-Length': body.length, ...extra },
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ code: res.statusCode, body: Buffer.concat(chunks).toString() }));
		});
		req.on('error', reject);
		req.end(body);
	});
}

// An OTLP template: the offsets of every id's marker bytes; days are not rewritten.
function markOtlp(buf) {
	const ids = [];
	for (let at = buf.indexOf(OTLP_MARK); at >= 0; at = buf.indexOf(OTLP_MARK, at + 4))
		ids.push(at);
	let spans = 0; // span messages: field 2 of ScopeSpans, counted by their span_id fields
	for (let at = buf.indexOf(Buffer.from([0x12, 0x08, ...OTLP_MARK])); at >= 0;
		at = buf.indexOf(Buffer.from([0x12, 0x08, ...OTLP_MARK]), at + 1))
		spans++;
	return { buf, ids, days: [], spans };
}

async function run(o) {
	const otlp = o.otlp === '1', hex = o.hex === '1';
	const tpl = otlp ? markOtlp(readFileSync(o.template))
		: hex ? markText(readFileSync(o.template))
			: markTemplate(JSON.parse(readFileSync(o.template, 'utf8')));
	// --header NAME:VALUE: one more header on every request (Opik's Comet-Workspace).
	const extra = o.header ? { [o.header.slice(0, o.header.indexOf(':'))]: o.header.slice(o.header.indexOf(':') + 1) } : {};
	const want = Number(o.expect || (otlp ? 200 : 201));
	const type = otlp ? 'application/x-protobuf' : 'application/json';
	const batches = Number(o.batches), conc = Number(o.concurrency || 4);
	const days = Number(o.days || 1), tag = o.tag || '', again = o.again === '1';
	if (!(batches > 0) || !(conc > 0) || !(days > 0) || tag.length > 4)
		throw new Error('--batches, --concurrency and --days must be positive, --tag at most 4 characters');
	const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
	const make = (n) => {
		const seq = again ? n >> 1 : n;
		const b = Buffer.allocUnsafe(tpl.buf.length);
		tpl.buf.copy(b);
		// tag + batch number in base 36, 8 characters in all.
		const id = tag + seq.toString(36).padStart(8 - tag.length, '0');
		const day = new Date(today - (seq % days) * DAY_MS).toISOString().slice(0, 10);
		if (otlp)
			for (const at of tpl.ids)
				b.writeUInt32BE(seq + 1, at); // never 0: an all-zero id is refused
		else if (hex) // never 0: an all-zero OTLP id is refused
			for (const at of tpl.ids)
				b.write((seq + 1).toString(16).padStart(8, '0'), at, 'latin1');
		else
			for (const at of tpl.ids)
				b.write(id, at, 'latin1');
		for (const at of tpl.days)
			b.write(day, at, 'latin1');
		return b;
	};
	const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
	let next = 0, errors = 0, firstError = null;
	const t0 = process.hrtime.bigint();
	await Promise.all(Array.from({ length: conc }, async () => {
		while (next < batches) {
			const r = await post(agent, o.url, make(next++), type, extra);
			if (r.code !== want) {
				errors++;
				firstError ??= `${r.code} ${r.body.slice(0, 300)}`;
			}
		}
	}));
	const secs = Number(process.hrtime.bigint() - t0) / 1e9;
	agent.destroy();
	const spans = batches * tpl.spans;
	console.log(JSON.stringify({
		batches, batch_size: tpl.spans, spans, seconds: secs,
		spans_per_s: Math.round(spans / secs), errors, first_error: firstError,
	}));
	return errors ? 1 : 0;
}

const o = args(process.argv.slice(2));
if (o.make) {
	process.stdout.write(JSON.stringify(makeBatch(Number(o.make))) + '\n');
} else if (o['make-otlp']) {
	process.stdout.write(makeOtlp(Number(o['make-otlp'])));
} else if (o['make-otlp-json']) {
	process.stdout.write(JSON.stringify(makeOtlpJson(Number(o['make-otlp-json']))) + '\n');
} else if (o['make-opik']) {
	process.stdout.write(JSON.stringify(makeOpik(Number(o['make-opik']))) + '\n');
} else {
	if (!o.url || !o.template || !o.batches)
		throw new Error('usage: ingest.mjs --url URL --template FILE --batches K [--concurrency C] [--days D] [--tag T] [--otlp 1 | --hex 1] [--expect STATUS] [--again 1] [--header NAME:VALUE]');
	process.exitCode = await run(o);
}
