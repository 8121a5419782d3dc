// span: the panel beside the waterfall: what a span did (input and output as chat messages
// or JSON), what it cost (tokens, USD), how it failed, how it was judged (scores, feedback,
// comments: judgements.js, where a write key adds them), and every attribute it carries.
import { h, clear, append, fmtDateTime, fmtDuration, fmtInt, fmtCost, parseTime, statusPill, kindBadge, copyButton } from '../dom.js';
import { api } from '../api.js';
import { payloadView, isConversation, jsonBlock, decode } from '../render.js';
import { errorBox, loading, facts, isAbort } from './common.js';
import { href } from '../route.js';
import { spanJudgements } from './judgements.js';

const detailCache = new Map();

// The full span (input, output, raw_attributes) by id, cached: the list gave a summary. Not
// aborted when the selection moves on (the answer is small and kept for coming back).
export function spanDetail(ws, id) {
	const k = `${ws}\u0000${id}`;
	if (!detailCache.has(k)) {
		const p = api.span(ws, id);
		detailCache.set(k, p);
		p.catch(() => detailCache.delete(k));
	}
	return detailCache.get(k);
}

const has = (v) => v !== undefined && v !== null;

// Tokens and cost: the total large, its parts beneath. Cached tokens are part of the input.
function usage(s) {
	const tokParts = [['input', s.input_tokens], ['output', s.output_tokens], ['cached', s.cached_tokens]].filter(([, v]) => has(v));
	const costParts = [['input', s.cost_input_usd], ['output', s.cost_output_usd]].filter(([, v]) => has(v));
	const tokTotal = has(s.total_tokens) ? s.total_tokens : has(s.input_tokens) || has(s.output_tokens) ? (s.input_tokens || 0) + (s.output_tokens || 0) : null;
	const costTotal = has(s.cost_total_usd) ? s.cost_total_usd : costParts.length ? costParts.reduce((a, [, v]) => a + v, 0) : null;
	if (tokTotal === null && costTotal === null) return null;
	const stat = (label, value, parts, fmt) => h('div.stat', h('div.stat-label', label), h('div.stat-value', value),
		parts.length ? h('div.stat-parts', parts.map(([k, v]) => `${fmt(v)} ${k}`).join(' · ')) : null);
	return h('section.span-section', { 'aria-labelledby': 'sp-usage' },
		h('h3#sp-usage', 'Usage'),
		h('div.stats',
			tokTotal !== null ? stat('Tokens', fmtInt(tokTotal), tokParts, fmtInt) : null,
			costTotal !== null ? stat('Cost', fmtCost(costTotal), costParts, fmtCost) : null));
}

function errorSection(s) {
	if (s.status !== 'error' && !s.error_message && !s.error_type) return null;
	return h('section.span-error', { 'aria-labelledby': 'sp-error' },
		h('h3#sp-error', h('span', { 'aria-hidden': 'true' }, '✕ '), s.error_type || 'Error'),
		s.error_message ? h('p.error-message', s.error_message) : h('p.muted', 'The span ended with status error and no message.'));
}

// Input or output (of workspace ws) with a Formatted / Raw switch (a real radio group, so it
// is keyboard-usable).
function payload(ws, id, title, value) {
	const conv = isConversation(value);
	const box = h('div.payload');
	const name = `pv-${id}`;
	const mk = (mode, text) => {
		const input = h('input', { type: 'radio', name, value: mode, checked: mode === 'pretty', id: `${name}-${mode}` });
		input.addEventListener('change', () => show(mode));
		return h('label.seg', { for: `${name}-${mode}` }, input, h('span', text));
	};
	const show = (mode) => clear(box).append(payloadView(value, mode, ws));
	show('pretty');
	const has = value !== undefined && value !== null && value !== '';
	return h('section.span-section', { 'aria-labelledby': `sp-${id}` },
		h('div.section-head',
			h(`h3#sp-${id}`, title, conv ? h('span.tag', 'messages') : null),
			has ? h('div.segmented', { role: 'radiogroup', 'aria-label': `${title} view` }, mk('pretty', conv ? 'Chat' : 'Formatted'), mk('raw', 'Raw')) : null,
			has && typeof value === 'string' ? copyButton(value, `Copy ${title.toLowerCase()}`) : null),
		box);
}

// The span's attributes; its Session is its trace's (sessionId, when known), which the
// sessions pages know: a span's own session_id may differ (every span the opik SDK writes
// names its trace, an OTel child names none of the root's), and is shown beside it unlinked.
function attributes(ws, s, sessionId) {
	const own = sessionId && s.session_id && s.session_id !== sessionId ? s.session_id : null;
	const rows = [
		['Span id', s.span_id], ['Parent span', s.parent_span_id], ['Trace', s.trace_id], ['Session', sessionId || s.session_id],
		['Span\'s own session', own],
		['Source', s.source], ['Project', s.project], ['Provider', s.provider], ['Model', s.model],
		['Agent', [s.agent_name, s.agent_id].filter(Boolean).join(' · ')], ['Tool', s.tool_name],
		['Prompt', [s.prompt_name, s.prompt_version, s.prompt_id].filter(Boolean).join(' · ')],
		['Ingested', s.ingested_at ? `${fmtDateTime(s.ingested_at)} (${s.ingested_at})` : null],
	];
	const table = h('table.kv', h('tbody', rows.filter(([, v]) => v).map(([k, v]) => h('tr', h('th', { scope: 'row' }, k),
		h('td', k === 'Session' ? h('a', { href: href(ws, 'sessions', v) }, v) : h('span.mono', v))))));
	const extra = [];
	const raw = decode(s.raw_attributes);
	if (raw && typeof raw === 'object' && Object.keys(raw).length) extra.push(h('h4', 'Raw attributes'), jsonBlock(raw));
	else if (typeof s.raw_attributes === 'string' && s.raw_attributes && s.raw_attributes !== '{}') extra.push(h('h4', 'Raw attributes'), h('pre.raw', s.raw_attributes));
	for (const [k, label] of [['usage_details', 'Usage details'], ['cost_details', 'Cost details'], ['evaluation_context', 'Evaluation context']]) {
		if (s[k] && typeof s[k] === 'object' && Object.keys(s[k]).length) extra.push(h('h4', label), jsonBlock(s[k]));
	}
	return h('section.span-section', { 'aria-labelledby': 'sp-attrs' }, h('h3#sp-attrs', 'Attributes'), table, extra);
}

// Fills `panel` for span s (a summary from the list) of a trace starting at traceStartUs, of
// session sessionId (the trace's; the span's own when not given), which is what the
// annotations written from it name; fetches the full span for input and output, and its
// scores and feedback. signal: aborted once another span is shown; onJudged: called after a
// judgement is written or deleted from the panel.
export function showSpan(panel, ws, s, traceStartUs, { signal, askKey, sessionId, onJudged } = {}) {
	const start = parseTime(s.started_at);
	const end = parseTime(s.ended_at);
	const dur = Number.isNaN(end) ? null : (end - start) / 1000;
	clear(panel);
	append(panel, [
		h('header.span-head',
			h('div.span-title-row', kindBadge(s.kind), h('h2#span-title', s.name || '(unnamed)'), statusPill(s.status)),
			facts([
				['Started', h('span', { title: s.started_at }, fmtDateTime(s.started_at))],
				['Duration', dur === null ? h('span', { title: 'The span has no end time: still running, or sent without one (a chat completion)' }, 'no end time') : fmtDuration(dur)],
				['Offset', Number.isNaN(traceStartUs) ? null : start <= traceStartUs ? 'trace start' : `+${fmtDuration((start - traceStartUs) / 1000)}`],
				['Model', s.model], ['Tool', s.tool_name],
				['Span id', h('span.id-with-copy', h('code', s.span_id), copyButton(s.span_id, 'Copy span id'))],
			])),
		errorSection(s),
		usage(s),
		spanJudgements(ws, s, sessionId || s.session_id, { signal, onChange: onJudged })]);
	const rest = h('div.span-rest', loading('Loading input and output…'));
	panel.append(rest);
	spanDetail(ws, s.span_id).then((full) => {
		if (signal?.aborted) return;
		clear(rest).append(payload(ws, 'input', 'Input', full.input), payload(ws, 'output', 'Output', full.output), attributes(ws, full, sessionId));
	}).catch((e) => {
		if (isAbort(e)) return;
		clear(rest).append(errorBox(e, { what: 'This span', askKey, retry: () => showSpan(panel, ws, s, traceStartUs, { signal, askKey, sessionId, onJudged }) }), attributes(ws, s, sessionId));
	});
}
