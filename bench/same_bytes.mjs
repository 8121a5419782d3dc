// same_bytes.mjs: the posts of bench/same_bytes.sh, which sends them through two builds'
// programs as CGI and compares the data directories byte for byte (a change to ingest that must
// store the same bytes: issue 57's goal 3).
//
//   node bench/same_bytes.mjs DIR   (writes DIR/NN.body and DIR/list: one post a line,
//                                    "NN PROGRAM METHOD URI CONTENT-TYPE")
//
// Every span's text mixes what the tokeniser and the line's writer take apart: ASCII words,
// words of more than 16 and more than 64 bytes, accented letters, CJK, emoji, escapes, control
// characters, U+2028, JSON text in a string, and about 2,000 rare words a day so that the
// words' table grows. Direct spans over three days (sent twice: the second a new version),
// OTLP protobuf and OTLP/JSON with every AnyValue type, events, links and statuses, and Opik
// span batches (a PATCH before its create, usage, cost, errors) and a traces batch.
import { mkdirSync, writeFileSync } from 'node:fs';
import { varint, field } from '../t/otlp_wire.mjs';

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const list = [];
const post = (prog, method, uri, type, body) => {
	const n = String(list.length).padStart(2, '0');
	writeFileSync(`${dir}/${n}.body`, body);
	list.push(`${n} ${prog} ${method} ${uri} ${type}`);
};

let seed = 4242;
const rnd = (k) => { // mulberry32, fixed seed: both builds get the same bytes
	seed = (seed + 0x6d2b79f5) | 0;
	let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
	t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
	return ((t ^ (t >>> 14)) >>> 0) % k;
};
const hex = (k) => {
	let s = '';
	while (s.length < k)
		s += rnd(0x10000).toString(16).padStart(4, '0');
	return s.slice(0, k);
};
const PIECES = ['the', 'a', 'Model', 'TOOL', 'agent', 'answer', 'order', 'account', 'refund',
	'Straße', 'ÉCOLE', 'naïve', 'Ünïcödé', 'café', '日本語のテキスト', '検索', '中文字符', '한국어',
	'emoji🚀', '✨', '👩‍💻', 'x'.repeat(17), 'Supercalifragilisticexpialidocious',
	'y'.repeat(70), 'ab12cd34ef56gh78ij90', '0123456789abcdef', '0123456789abcdefg', 'a\\b',
	'"quoted"', 'line\nbreak', 'tab\tstop', 'ctl\u0001\u001f\u007f', 'ls\u2028ps\u2029',
	'{"json":"text","n":[1,2]}', 'ÀÉÎÕÜ', 'ǅǈǋ', 'İstanbul', 'ΣΊΣΥΦΟΣ', 'ﬁnance', 'x_y-z.w',
	'12:30', 'a/b/c', '', ' ', 'ÿ', 'Ａｂｃ', 'Kelvin\u212a', 'long' + 'ö'.repeat(40)];
const text = (k) => {
	const out = [];
	for (let i = 0; i < k; i++)
		out.push(rnd(4) ? PIECES[rnd(PIECES.length)] : 'rare' + hex(4 + rnd(10)));
	return out.join(rnd(3) ? ' ' : '  ');
};
const DAYS = ['2026-11-25', '2026-11-26', '2026-11-27'];
const at = (day, ms) => new Date(Date.parse(`${day}T00:10:00Z`) + ms).toISOString();

// Direct spans: 300 over three days, a few with JSON input and output and attributes of every
// JSON type; every kind and status.
function direct(tag) {
	const spans = [];
	let trace;
	for (let i = 0; i < 300; i++) {
		if (i % 10 === 0)
			trace = hex(24) + tag + i.toString(16).padStart(6, '0');
		const day = DAYS[i % 3];
		const s = {
			span_id: hex(8) + i.toString(16).padStart(8, '0'), trace_id: trace,
			session_id: i % 4 ? `sess-${trace.slice(0, 6)}` : undefined,
			name: ['agent.run', 'chat ' + text(2), 'tool.call', '検索'][i % 4],
			kind: ['AGENT', 'LLM', 'TOOL', 'CHAIN', 'RETRIEVER'][i % 5],
			status: ['success', 'error', 'success'][i % 3],
			started_at: at(day, i * 1000), ended_at: at(day, i * 1000 + 500 + rnd(900)),
			input: i % 7 === 3 ? { messages: [{ role: 'user', content: text(20) }], n: i } : text(10 + rnd(200)),
			output: i % 11 === 5 ? [text(5), { deep: { er: text(3), k: null, t: true } }] : text(5 + rnd(120)),
			attributes: { 'gen_ai.request.model': ['gpt-4o', 'claude-3-5-sonnet', 'm\u00e9lange'][i % 3],
				'gen_ai.system': 'openai', 'gen_ai.usage.input_tokens': rnd(5000),
				'gen_ai.usage.output_tokens': rnd(900), 'llm.cost.total': rnd(1000) / 7e4,
				'user.id': `user-${i % 13}`, flag: i % 2 === 0, nothing: null, nested: { a: [1, 'two', { three: 3.5 }] },
				'langfuse.observation.usage_details': i % 9 === 0 ? { input: 12, output: 7, cache_read: 3 } : undefined,
				weird: 'ctl\u0002\u001b end', big: 2 ** 53 - 1, neg: -42, 'ключ': 'значение' },
		};
		if (i % 10)
			s.parent_span_id = spans[spans.length - (i % 10)].span_id;
		if (i % 6 === 1)
			Object.assign(s, { error_type: 'ValueError', error_message: 'failed: ' + text(4) });
		spans.push(s);
	}
	return JSON.stringify({ source: 'same-bytes', spans });
}

// OTLP: the AnyValue types, one of each a span and in kvlists and arrays.
const any = (v) => {
	if (typeof v === 'string') return { stringValue: v };
	if (typeof v === 'boolean') return { boolValue: v };
	if (typeof v === 'bigint') return { intValue: v.toString() };
	if (typeof v === 'number') return { doubleValue: v };
	if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
	if (Array.isArray(v)) return { arrayValue: { values: v.map(any) } };
	if (v === null) return {};
	return { kvlistValue: { values: Object.entries(v).map(([key, x]) => ({ key, value: any(x) })) } };
};
const kvs = (o) => Object.entries(o).map(([key, v]) => ({ key, value: any(v) }));
const fixed64 = (f, ns) => {
	const b = Buffer.alloc(9);
	b[0] = f * 8 + 1;
	b.writeBigUInt64LE(BigInt(ns), 1);
	return b;
};
const vint = (f, n) => Buffer.concat([varint(f * 8), varint(n)]);
const pbAny = (a) => {
	if ('stringValue' in a) return field(1, Buffer.from(a.stringValue));
	if ('boolValue' in a) return vint(2, a.boolValue ? 1 : 0);
	if ('intValue' in a) return Buffer.concat([varint(3 * 8), varint64(BigInt(a.intValue))]);
	if ('doubleValue' in a) {
		const b = Buffer.alloc(9);
		b[0] = 4 * 8 + 1;
		b.writeDoubleLE(a.doubleValue, 1);
		return b;
	}
	if ('arrayValue' in a) return field(5, Buffer.concat(a.arrayValue.values.map((x) => field(1, pbAny(x)))));
	if ('kvlistValue' in a) return field(6, Buffer.concat(a.kvlistValue.values.map((x) => field(1, pbKv(x)))));
	if ('bytesValue' in a) return field(7, Buffer.from(a.bytesValue, 'base64'));
	return Buffer.alloc(0);
};
function varint64(n) { // two's complement for negatives, as protobuf's int64
	if (n < 0n) n += 1n << 64n;
	const out = [];
	do {
		let b = Number(n & 0x7fn);
		n >>= 7n;
		if (n) b |= 0x80;
		out.push(b);
	} while (n);
	return Buffer.from(out);
}
const pbKv = (kv) => Buffer.concat([field(1, Buffer.from(kv.key)), field(2, pbAny(kv.value))]);
const pbKvs = (f, list) => Buffer.concat(list.map((kv) => field(f, pbKv(kv))));

function otlpSpans(tag, n) {
	const out = [];
	const trace = hex(24) + tag + '000000';
	for (let i = 0; i < n; i++) {
		const day = DAYS[i % 3], t0 = BigInt(Date.parse(at(day, i * 1000))) * 1000000n;
		const attrs = {
			'gen_ai.system': 'anthropic', 'gen_ai.request.model': i % 2 ? 'claude-3-5-haiku' : 'gpt-4o',
			'gen_ai.usage.input_tokens': BigInt(rnd(4000)), 'gen_ai.usage.output_tokens': BigInt(rnd(800)),
			'input.value': text(10 + rnd(60)), 'output.value': i % 4 ? text(5 + rnd(40)) : JSON.stringify({ a: text(3) }),
			'session.id': `s-${i % 3}`, 'user.id': 'ü-ser', neg: -(2n ** 40n), huge: 2n ** 62n, zero: 0n,
			ratio: i % 5 === 0 ? NaN : 0.25 * i, flag: !!(i % 2), list: ['a', 1n, 2.5, true, ['nested', { k: 'v' }]],
			map: { inner: { deeper: 'ctl\u0003 x', n: 7n }, arr: [] }, raw: new Uint8Array([0, 1, 2, 255, 128]),
			empty: null, blank: '', 'openinference.span.kind': ['LLM', 'CHAIN', 'AGENT', 'TOOL'][i % 4],
			'langfuse.observation.usage_details': '{"input":10,"output":4}',
			'langfuse.observation.cost_details': '{"total":0.0031}',
			'gen_ai.usage.raw': { prompt: 3n, completion: 4n }, 'ai.model.provider': 'openai.chat',
			'eval.note': text(3), 'annotation.label': i % 7 === 0 ? 'good' : undefined,
		};
		for (const k of Object.keys(attrs))
			if (attrs[k] === undefined)
				delete attrs[k];
		const events = i % 3 === 0 ? [{ name: 'exception', attrs: { 'exception.type': 'KeyError', 'exception.message': 'missing ' + text(2), 'exception.stacktrace': 'Traceback\n  line 1' } }]
			: i % 3 === 1 ? [{ name: 'gen_ai.choice', attrs: { index: 0n, message: { role: 'assistant', content: text(4) } } },
				{ name: 'gen_ai.evaluation.result', attrs: { 'gen_ai.evaluation.name': 'relevance', 'gen_ai.evaluation.score.value': 0.75, 'gen_ai.evaluation.explanation': text(3) } }] : [];
		out.push({
			traceId: trace, spanId: hex(8) + i.toString(16).padStart(8, '0'),
			parentSpanId: i ? out[0].spanId : '', name: i % 5 ? 'llm ' + text(1) : '検索 🚀',
			kind: 1 + (i % 5), start: t0, end: t0 + BigInt(1000000 * (1 + rnd(900))), attributes: kvs(attrs),
			events: events.map((e, j) => ({ time: t0 + BigInt(j * 1000), name: e.name, attributes: kvs(e.attrs) })),
			links: i % 4 === 2 ? [{ traceId: hex(32), spanId: hex(16), attributes: kvs({ why: 'follows', n: 3n }) }] : [],
			status: i % 6 === 0 ? { code: 2, message: 'boom ' + text(2) } : i % 6 === 1 ? { code: 1 } : { code: 0 },
		});
	}
	return out;
}
const resource = { 'service.name': 'same-bytes', 'deployment.environment': 'test', 'host.ünïcode': 'ö', 'langfuse.project': 'p1' };
const scopes = (spans) => [{ scope: { name: 'openinference.instrumentation', version: '1.2', attributes: kvs({ s: 'x' }) }, spans: spans.slice(0, spans.length / 2) },
	{ spans: spans.slice(spans.length / 2) }];

function otlpJson(spans) {
	const js = (s) => ({
		traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, name: s.name, kind: s.kind,
		startTimeUnixNano: s.start.toString(), endTimeUnixNano: s.end.toString(), attributes: s.attributes,
		events: s.events.map((e) => ({ timeUnixNano: e.time.toString(), name: e.name, attributes: e.attributes })),
		links: s.links, status: s.status,
	});
	return JSON.stringify({ resourceSpans: [{ resource: { attributes: kvs(resource) },
		scopeSpans: scopes(spans).map((sc) => ({ ...(sc.scope ? { scope: sc.scope } : {}), spans: sc.spans.map(js) })) }] },
	(k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}
function otlpProto(spans) {
	const id = (h) => Buffer.from(h, 'hex');
	const span = (s) => Buffer.concat([field(1, id(s.traceId)), field(2, id(s.spanId)),
		s.parentSpanId ? field(4, id(s.parentSpanId)) : Buffer.alloc(0), field(5, Buffer.from(s.name)),
		vint(6, s.kind), fixed64(7, s.start), fixed64(8, s.end), pbKvs(9, s.attributes),
		...s.events.map((e) => field(11, Buffer.concat([fixed64(1, e.time), field(2, Buffer.from(e.name)), pbKvs(3, e.attributes)]))),
		...s.links.map((l) => field(13, Buffer.concat([field(1, id(l.traceId)), field(2, id(l.spanId)), pbKvs(4, l.attributes)]))),
		field(15, Buffer.concat([s.status.message ? field(2, Buffer.from(s.status.message)) : Buffer.alloc(0), s.status.code ? vint(3, s.status.code) : Buffer.alloc(0)]))]);
	const scope = (sc) => Buffer.concat([sc.scope ? field(1, Buffer.concat([field(1, Buffer.from(sc.scope.name)),
		field(2, Buffer.from(sc.scope.version)), pbKvs(3, sc.scope.attributes)])) : Buffer.alloc(0),
	...sc.spans.map((s) => field(2, span(s)))]);
	return field(1, Buffer.concat([field(1, pbKvs(1, kvs(resource))), ...scopes(spans).map((sc) => field(2, scope(sc)))]));
}

// Opik: UUIDv7-shaped ids.
const uuid = () => `${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${hex(12)}`;
function opikSpans(n, trace) {
	const out = [];
	for (let i = 0; i < n; i++) {
		const day = DAYS[i % 3];
		const s = { id: uuid(), trace_id: trace, project_name: i % 2 ? 'same bytes' : 'Default Project',
			name: ['llm call', 'tool 検索', 'general'][i % 3], type: ['llm', 'tool', 'general'][i % 3],
			start_time: at(day, i * 1000), end_time: at(day, i * 1000 + 700),
			input: { messages: [{ role: 'user', content: text(10 + rnd(40)) }], 'q"uote': 'a\\b' },
			output: i % 4 ? { output: text(5 + rnd(30)) } : { choices: [{ text: text(4), n: 1.5, ok: true, none: null }] } };
		if (i)
			s.parent_span_id = out[0].id;
		if (i % 2) {
			s.model = 'gpt-4o-mini';
			s.provider = 'openai';
			s.usage = { prompt_tokens: rnd(3000), completion_tokens: rnd(500), total_tokens: 3500 };
			s.total_estimated_cost = rnd(1000) / 9e4;
		}
		if (i % 3 === 0) {
			s.metadata = { env: 'prod', 'ключ': [1, 'два', { три: 3 }], ctl: 'x\u0004y' };
			s.tags = ['a', 'ü', text(1)];
		}
		if (i % 8 === 5)
			s.error_info = { exception_type: 'ValueError', message: 'bad ' + text(2), traceback: 'Traceback\n  x' };
		out.push(s);
	}
	return out;
}

const d1 = direct('a1'), d2 = direct('b2');
const benchLike = direct('c3');
post('ingest', 'POST', '/apis/intake/v2/workspaces/default/ingest/spans', 'application/json', d1);
post('ingest', 'POST', '/apis/intake/v2/workspaces/default/ingest/spans', 'application/json', d1);
post('ingest', 'POST', '/apis/intake/v2/workspaces/other/ingest/spans', 'application/json', d2);
post('ingest', 'POST', '/apis/intake/v2/workspaces/other/ingest/spans', 'application/json', benchLike);
const ospans = otlpSpans('d4', 40), jspans = otlpSpans('e5', 20);
post('ingest', 'POST', '/apis/intake/v2/workspaces/default/ingest/otlp/v1/traces', 'application/x-protobuf', otlpProto(ospans));
post('ingest', 'POST', '/apis/intake/v2/workspaces/default/ingest/otlp/v1/traces', 'application/json', otlpJson(jspans));
post('ingest', 'POST', '/apis/intake/v2/workspaces/default/ingest/otlp/v1/traces', 'application/x-protobuf', otlpProto(ospans));
const trace = uuid(), op = opikSpans(30, trace), op2 = opikSpans(30, uuid());
post('opik', 'PATCH', `/api/v1/private/spans/${op[4].id}`, 'application/json',
	JSON.stringify({ trace_id: trace, project_name: op[4].project_name, output: { patched: text(5) }, tags: ['late'] }));
post('opik', 'POST', '/api/v1/private/spans/batch', 'application/json', JSON.stringify({ spans: op }));
post('opik', 'POST', '/api/v1/private/spans/batch', 'application/json', JSON.stringify({ spans: op }));
post('opik', 'POST', '/api/v1/private/spans/batch', 'application/json', JSON.stringify({ spans: op2 }));
post('opik', 'POST', '/api/v1/private/traces/batch', 'application/json', JSON.stringify({ traces: [
	{ id: trace, project_name: 'same bytes', name: 'trace ü', start_time: at(DAYS[2], 0), end_time: at(DAYS[2], 5000),
		input: { q: text(6) }, output: { a: text(6) }, metadata: { k: 'v' }, tags: ['t'], thread_id: 'thread-1' }] }));
writeFileSync(`${dir}/list`, list.join('\n') + '\n');
