// fixture: a small, realistic workspace for the viewer tests and the docs' screenshots, sent
// through POST ingest/spans. Seven traces: a support agent's three-turn session (chat
// messages in and out, a tool call, a nested retriever, one failing tool that fails its
// trace), a research agent's two-turn session whose first trace crosses UTC midnight (spans
// on two days), a plain chat completion, and a failed evaluation run. Then their judgements,
// through the NeMo endpoints: evaluators' scores on the support and research spans, and what
// people said (thumbs, comments, a metadata note, and a person's score on the chat completion,
// which is a label and no evaluator score: that trace stays unscored).
import { ingestSpans, request, WS_PREFIX } from '../harness.mjs';

const S = 1000;

// Noon UTC `daysBack` days ago, plus ms: inside every window the views offer.
function noon(daysBack) {
	const d = new Date();
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack, 12);
}
function midnight(daysBack) {
	const d = new Date();
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - daysBack);
}
const iso = (ms) => new Date(ms).toISOString();

const llm = (model, inTok, outTok, usdIn, usdOut, extra = {}) => ({
	'gen_ai.request.model': model,
	'gen_ai.system': model.startsWith('claude') ? 'anthropic' : 'openai',
	'gen_ai.usage.input_tokens': inTok,
	'gen_ai.usage.output_tokens': outTok,
	'llm.cost.prompt': usdIn,
	'llm.cost.completion': usdOut,
	'llm.cost.total': Math.round((usdIn + usdOut) * 1e6) / 1e6,
	...extra,
});

// One span: times as offsets (ms) from the trace's t0.
function span(t0, id, o) {
	const s = {
		span_id: id, trace_id: o.trace, name: o.name, kind: o.kind, status: o.status || 'success',
		started_at: iso(t0 + o.at), ended_at: iso(t0 + o.at + o.dur),
	};
	if (o.parent) s.parent_span_id = o.parent;
	if (o.session) s.session_id = o.session;
	if (o.input !== undefined) s.input = o.input;
	if (o.output !== undefined) s.output = o.output;
	if (o.attrs) s.attributes = o.attrs;
	return s;
}

const SYSTEM = 'You are Ada, the support assistant of Northwind Outfitters. Be brief and kind. Use the tools to look up orders; never invent tracking numbers.';

function supportTurn({ t0, n, trace, session, history, user, reply, fail }) {
	const p = `${trace}`;
	const messages = [{ role: 'system', content: SYSTEM }, ...history, { role: 'user', content: user }];
	const root = span(t0, `${p}-root`, {
		trace, session, name: 'support-agent', kind: 'AGENT', at: 0, dur: fail ? 2900 : 4200, status: fail ? 'error' : 'success',
		input: messages, output: fail ? undefined : { role: 'assistant', content: reply },
		attrs: { 'gen_ai.agent.name': 'ada', 'gen_ai.agent.id': 'ada-v3', project: 'support',
			...(fail ? { 'exception.type': 'ToolError', 'exception.message': 'update_address failed: the order has already shipped' } : {}) },
	});
	const plan = span(t0, `${p}-plan`, {
		trace, session, parent: root.span_id, name: 'plan', kind: 'LLM', at: 40, dur: 980,
		input: messages,
		output: { id: `chatcmpl-${n}a`, object: 'chat.completion', model: 'gpt-4o', choices: [{ index: 0, finish_reason: 'tool_calls', message: {
			role: 'assistant', content: null,
			tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: fail ? 'update_address' : 'lookup_order', arguments: JSON.stringify(fail ? { order_id: '1042', address: '12 Harbour St, Leith' } : { order_id: '1042' }) } }],
		} }] },
		attrs: llm('gpt-4o', 412 + n * 60, 38, 0.00103 + n * 0.00015, 0.00038),
	});
	const tool = span(t0, `${p}-tool`, {
		trace, session, parent: root.span_id, name: fail ? 'update_address' : 'lookup_order', kind: 'TOOL', at: 1050, dur: fail ? 1800 : 420,
		status: fail ? 'error' : 'success',
		input: fail ? { order_id: '1042', address: '12 Harbour St, Leith' } : { order_id: '1042' },
		output: fail ? undefined : { order_id: '1042', status: 'in_transit', carrier: 'DHL', eta: '2 days', items: [{ sku: 'TNT-2P', name: 'Two-person tent', qty: 1 }] },
		attrs: { 'gen_ai.tool.name': fail ? 'update_address' : 'lookup_order',
			...(fail ? { 'exception.type': 'PermissionError', 'exception.message': 'update_address: order 1042 has already shipped; the address can no longer be changed' } : {}) },
	});
	const spans = [root, plan, tool];
	if (!fail) {
		const retr = span(t0, `${p}-kb`, {
			trace, session, parent: root.span_id, name: 'kb-search', kind: 'RETRIEVER', at: 1500, dur: 610,
			input: { query: user, top_k: 3 },
			output: [{ id: 'kb-88', score: 0.82, text: 'Orders ship within 24 hours; the carrier sends tracking by e-mail.' }, { id: 'kb-12', score: 0.74, text: 'Cancelling is free until the parcel leaves the warehouse.' }],
			attrs: { 'retrieval.top_k': 3 },
		});
		const emb = span(t0, `${p}-embed`, {
			trace, session, parent: retr.span_id, name: 'embed-query', kind: 'EMBEDDING', at: 1520, dur: 140,
			input: user, attrs: { 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.usage.input_tokens': 14, 'llm.cost.total': 0.0000003 },
		});
		const rerank = span(t0, `${p}-rerank`, {
			trace, session, parent: retr.span_id, name: 'rerank', kind: 'RERANKER', at: 1690, dur: 380,
			input: { candidates: 12 }, output: { kept: ['kb-88', 'kb-12'] },
		});
		const reply1 = span(t0, `${p}-reply`, {
			trace, session, parent: root.span_id, name: 'compose-reply', kind: 'LLM', at: 2150, dur: 1980,
			input: [...messages, { role: 'tool', tool_call_id: `call_${n}`, content: '{"status":"in_transit","carrier":"DHL","eta":"2 days"}' }],
			output: { id: `chatcmpl-${n}b`, object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: reply } }] },
			attrs: llm('gpt-4o-mini', 688 + n * 90, 74 + n * 9, 0.000103, 0.000044),
		});
		spans.push(retr, emb, rerank, reply1);
	}
	return spans;
}

export function fixtureSpans() {
	const spans = [];
	// Session 1: three turns, yesterday morning (UTC).
	const s1 = 'sess-support-42';
	const base1 = noon(1) - 3 * 3600 * S;
	const u1 = 'Hi! Where is my order #1042? It was supposed to arrive yesterday.';
	const a1 = 'Your order #1042 is on its way with DHL and should arrive within 2 days. You will get the tracking link by e-mail.';
	const u2 = 'Could you send it to 12 Harbour St, Leith instead?';
	const u3 = 'Never mind then. Thanks for checking!';
	const a3 = 'You are welcome! Your tent is still due within 2 days. Anything else I can help with?';
	spans.push(...supportTurn({ t0: base1, n: 1, trace: 'tr-support-1', session: s1, history: [], user: u1, reply: a1 }));
	spans.push(...supportTurn({ t0: base1 + 95 * S, n: 2, trace: 'tr-support-2', session: s1,
		history: [{ role: 'user', content: u1 }, { role: 'assistant', content: a1 }], user: u2, fail: true }));
	spans.push(...supportTurn({ t0: base1 + 240 * S, n: 3, trace: 'tr-support-3', session: s1,
		history: [{ role: 'user', content: u1 }, { role: 'assistant', content: a1 }, { role: 'user', content: u2 },
			{ role: 'assistant', content: 'I could not change it: the parcel has already shipped.' }], user: u3, reply: a3 }));

	// Session 2: a research agent; its first trace starts 2 s before UTC midnight.
	const s2 = 'sess-research-7';
	const t4 = midnight(1) - 2 * S;
	const q4 = 'Summarise what changed in the EU AI Act drafts about general-purpose models.';
	const tr4 = 'tr-research-1';
	spans.push(
		span(t4, 'r1-root', { trace: tr4, session: s2, name: 'research', kind: 'CHAIN', at: 0, dur: 5400,
			input: [{ role: 'user', content: q4 }],
			output: [{ role: 'assistant', content: 'Three changes stand out: (1) a separate tier for models with systemic risk, (2) transparency duties on training data summaries, and (3) a code of practice as the route to compliance.' }],
			attrs: { project: 'research' } }),
		span(t4, 'r1-guard', { trace: tr4, session: s2, parent: 'r1-root', name: 'input-guardrail', kind: 'GUARDRAIL', at: 10, dur: 90, input: q4, output: { allowed: true } }),
		span(t4, 'r1-search', { trace: tr4, session: s2, parent: 'r1-root', name: 'web-search', kind: 'TOOL', at: 120, dur: 1700,
			input: { q: 'EU AI Act general-purpose AI model obligations' }, output: { results: 8 }, attrs: { 'gen_ai.tool.name': 'web_search' } }),
		span(t4, 'r1-fetch', { trace: tr4, session: s2, parent: 'r1-search', name: 'fetch-page', kind: 'TOOL', at: 900, dur: 880, status: 'error',
			input: { url: 'https://example.org/ai-act/annex' },
			attrs: { 'exception.type': 'TimeoutError', 'exception.message': 'GET https://example.org/ai-act/annex: no answer within 800 ms' } }),
		span(t4, 'r1-read', { trace: tr4, session: s2, parent: 'r1-root', name: 'summarise', kind: 'LLM', at: 1900, dur: 3400,
			input: [{ role: 'system', content: 'Summarise the sources in three points.' }, { role: 'user', content: q4 }],
			output: { role: 'assistant', content: 'Three changes stand out: (1) a separate tier for models with systemic risk, (2) transparency duties on training data summaries, and (3) a code of practice as the route to compliance.' },
			attrs: llm('claude-3-5-sonnet', 5120, 410, 0.01536, 0.00615) }),
	);
	const t5 = noon(1) - 90 * 60 * S;
	const q5 = 'Which of those apply to open-weight models?';
	spans.push(
		span(t5, 'r2-root', { trace: 'tr-research-2', session: s2, name: 'research', kind: 'CHAIN', at: 0, dur: 3100,
			input: [{ role: 'user', content: q4 }, { role: 'assistant', content: 'Three changes stand out: …' }, { role: 'user', content: q5 }],
			output: [{ role: 'assistant', content: 'Open-weight models are exempt from most transparency duties unless they carry systemic risk; the training-data summary still applies.' }] }),
		span(t5, 'r2-read', { trace: 'tr-research-2', session: s2, parent: 'r2-root', name: 'answer', kind: 'LLM', at: 30, dur: 3000,
			input: [{ role: 'user', content: q5 }], output: { role: 'assistant', content: 'Open-weight models are exempt from most transparency duties unless they carry systemic risk; the training-data summary still applies.' },
			attrs: llm('claude-3-5-sonnet', 2210, 160, 0.00663, 0.0024) }),
	);

	// A single chat completion, stored as the OpenAI request and response.
	const t6 = noon(1) + 45 * 60 * S;
	spans.push(span(t6, 'cc-1', { trace: 'tr-chat-1', name: 'chat gpt-4o-mini', kind: 'LLM', at: 0, dur: 740,
		input: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Answer in one sentence.' }, { role: 'user', content: 'What is a span in tracing?' }] },
		output: { id: 'chatcmpl-cc1', object: 'chat.completion', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'A span is one timed operation in a trace, with a start, an end, and a parent that places it in the tree.' } }] },
		attrs: llm('gpt-4o-mini', 31, 27, 0.0000047, 0.0000162) }));

	// A failed evaluation run: an evaluator that errors, and its failing judge call.
	const t7 = noon(2) + 2 * 3600 * S;
	spans.push(
		span(t7, 'ev-root', { trace: 'tr-eval-1', name: 'nightly-eval', kind: 'EVALUATOR', at: 0, dur: 8200, status: 'error',
			input: { dataset: 'support-golden', cases: 40 }, output: { passed: 31, failed: 7, errored: 2 },
			attrs: { 'exception.type': 'EvalError', 'exception.message': '2 of 40 cases errored: judge model rate-limited' } }),
		span(t7, 'ev-judge', { trace: 'tr-eval-1', parent: 'ev-root', name: 'judge', kind: 'LLM', at: 200, dur: 7600, status: 'error',
			input: [{ role: 'user', content: 'Grade the answer from 1 to 5 for correctness.' }],
			attrs: llm('gpt-4o', 18240, 0, 0.0456, 0, { 'exception.type': 'RateLimitError', 'exception.message': '429 Too Many Requests: rate limit of 30000 TPM exceeded' }) }),
	);
	return spans;
}

// The judgements of the fixture: evaluator results (POST evaluator-results) and annotations
// (POST annotations), each on a span of its session.
export function fixtureJudgements() {
	const sess = 'sess-support-42';
	const res = (span, session, name, value, extra = {}) => ({ span_id: span, session_id: session, name, data_type: 'NUMERIC', value, ...extra });
	return {
		results: [
			res('tr-support-1-root', sess, 'helpfulness', 0.75),
			res('tr-support-1-reply', sess, 'helpfulness', 1, { comment: 'Answers the question and gives the carrier and the delivery time.' }),
			res('tr-support-1-reply', sess, 'correct', 1, { data_type: 'BOOLEAN' }),
			res('tr-support-1-reply', sess, 'tone', undefined, { data_type: 'CATEGORICAL', value: undefined, string_value: 'friendly' }),
			res('tr-support-2-root', sess, 'helpfulness', 0.2, { comment: 'The address was not changed and no way forward was offered.' }),
			res('tr-support-2-root', sess, 'correct', 0, { data_type: 'BOOLEAN' }),
			res('tr-support-3-reply', sess, 'helpfulness', 0.7),
			res('tr-support-3-reply', sess, 'correct', 1, { data_type: 'BOOLEAN' }),
			res('r1-read', 'sess-research-7', 'faithfulness', 0.6, { comment: '2 of 5 claims have no source.' }),
			res('r1-root', 'sess-research-7', 'helpfulness', 0.95),
			res('r2-read', 'sess-research-7', 'judge', undefined, { status: 'FAILED', value: undefined, comment: 'judge model timed out' }),
		].map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))),
		annotations: [
			{ kind: 'feedback', session_id: sess, span_id: 'tr-support-1-reply', value: 'positive' },
			{ kind: 'note', session_id: sess, span_id: 'tr-support-1-reply', text: 'Good answer, but the tracking link is missing.' },
			{ kind: 'feedback', session_id: sess, span_id: 'tr-support-2-tool', value: 'negative' },
			{ kind: 'label', session_id: sess, span_id: 'tr-support-2-root', value_type: 'text', value: 'escalate' },
			{ kind: 'metadata', session_id: sess, span_id: 'tr-support-3-root', metadata: { ticket: 'NW-1042', channel: 'chat' } },
			{ kind: 'note', session_id: sess, text: 'The customer was satisfied in the end.' },
			// A person's score: a numeric label, not an evaluator result.
			{ kind: 'label', session_id: 'tr-chat-1', span_id: 'cc-1', value_type: 'numeric', name: 'helpfulness', value: 1 },
		],
	};
}

// What the tests assert against.
export const FIXTURE = {
	traces: ['tr-support-1', 'tr-support-2', 'tr-support-3', 'tr-research-1', 'tr-research-2', 'tr-chat-1', 'tr-eval-1'],
	failing: ['tr-support-2', 'tr-eval-1'],
	sessions: ['sess-support-42', 'sess-research-7'],
	// The traces' evaluator_scores: means of their spans' NUMERIC and BOOLEAN results.
	scores: {
		'tr-support-1': { correct: 1, helpfulness: 0.875 },
		'tr-support-2': { correct: 0, helpfulness: 0.2 },
		'tr-support-3': { correct: 1, helpfulness: 0.7 },
		'tr-research-1': { faithfulness: 0.6, helpfulness: 0.95 },
	},
};

// A busier workspace for paging and the overview: `n` traces of a few spans each over the last
// seven days, more by day than by night, from a seeded generator (the same data every run
// for a given clock hour).
export function busySpans(n = 320) {
	let seed = 7;
	const rnd = () => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed / 2147483648;
	};
	const pick = (a) => a[Math.floor(rnd() * a.length)];
	const now = Date.now();
	const names = ['support-agent', 'support-agent', 'research', 'triage', 'summarise-ticket', 'sql-assistant'];
	const models = [['gpt-4o', 2.5e-6, 1e-5], ['gpt-4o-mini', 1.5e-7, 6e-7], ['claude-3-5-sonnet', 3e-6, 1.5e-5], ['llama-3.1-70b', 8.8e-7, 8.8e-7]];
	const out = [];
	for (let i = 0; i < n; i++) {
		// Start times: spread over 7 days, thinned at night (UTC) and growing towards today.
		let t;
		do {
			t = now - rnd() ** 0.8 * 7 * 86400e3;
		} while (Math.abs(new Date(t).getUTCHours() - 13) > 8 && rnd() < 0.7);
		const trace = `busy-${i}`;
		const fail = rnd() < 0.06;
		const [model, pin, pout] = pick(models);
		const kids = 1 + Math.floor(rnd() * 3);
		let at = 30;
		const spans = [];
		for (let k = 0; k < kids; k++) {
			const isTool = k > 0 && rnd() < 0.4;
			const dur = isTool ? 80 + rnd() * 900 : 400 + rnd() * 4000;
			const inTok = Math.floor(200 + rnd() * 3000);
			const outTok = Math.floor(20 + rnd() * 600);
			const kfail = fail && k === kids - 1;
			spans.push(span(t, `${trace}-${k}`, {
				trace, parent: `${trace}-root`, name: isTool ? pick(['search_docs', 'run_sql', 'lookup_order']) : pick(['plan', 'answer', 'classify']),
				kind: isTool ? 'TOOL' : 'LLM', at, dur, status: kfail ? 'error' : 'success',
				input: isTool ? { q: 'example' } : [{ role: 'user', content: 'example question' }],
				output: kfail ? undefined : isTool ? { rows: 3 } : { role: 'assistant', content: 'example answer' },
				attrs: isTool ? { 'gen_ai.tool.name': 'tool', ...(kfail ? { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timed out' } : {}) }
					: { ...llm(model, inTok, outTok, Math.round(inTok * pin * 1e6) / 1e6, Math.round(outTok * pout * 1e6) / 1e6),
						...(kfail ? { 'exception.type': 'RateLimitError', 'exception.message': '429 Too Many Requests' } : {}) },
			}));
			at += dur + 20;
		}
		out.push(span(t, `${trace}-root`, { trace, session: `busy-sess-${Math.floor(i / 3)}`, name: pick(names), kind: pick(['AGENT', 'CHAIN']),
			at: 0, dur: at + 20, status: fail ? 'error' : 'success', input: 'example', output: fail ? undefined : 'example' }), ...spans);
	}
	return out;
}

export async function ingestBusy(ws, base, n) {
	const spans = busySpans(n);
	for (let i = 0; i < spans.length; i += 1000) {
		const r = await ingestSpans(ws, spans.slice(i, i + 1000), { source: 'ui-fixture', base });
		if (r.status !== 201) throw new Error(`busy ingest: ${r.status} ${r.text}`);
	}
	return spans;
}

export async function ingestFixture(ws, base, { headers } = {}) {
	const r = await ingestSpans(ws, fixtureSpans(), { source: 'ui-fixture', base });
	if (r.status !== 201) throw new Error(`fixture ingest: ${r.status} ${r.text}`);
	const { results, annotations } = fixtureJudgements();
	for (const [p, bodies] of [['evaluator-results', results], ['annotations', annotations]]) {
		for (const body of bodies) {
			const j = await request('POST', `${WS_PREFIX}/${ws}/${p}`, { body, headers, base });
			if (j.status !== 201) throw new Error(`fixture ${p}: ${j.status} ${j.text}`);
		}
	}
}
