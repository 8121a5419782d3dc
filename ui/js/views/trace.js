// trace: one trace: its summary (GET traces/{id}: its scores too), its spans (GET spans
// filtered by trace_id, summary mode, sorted by start, 1000 a page) as a waterfall, the
// feedback and comments on them (GET annotations and evaluator-results of its session, after
// the waterfall shows), the selected span's panel (GET spans/{id}), and an Export of its
// spans. The selected span is in the URL (?span=), so a link opens on it.
import { h, clear, append, fmtDateTime, fmtDuration, fmtInt, fmtCost, parseTime, statusPill, copyButton, fmtAgo, markShown } from '../dom.js';
import { api, ApiError } from '../api.js';
import { href } from '../route.js';
import { createWaterfall } from '../waterfall.js';
import { errorBox, loading, heading, isAbort, lastList, facts, exportMenu } from './common.js';
import { showSpan } from './span.js';
import { failedSpans, tokensOf } from './traces.js';
import { scoreChips, sessionJudgements, judgementList, countText, opikJudgements, withOpik, traceScoreForm } from './judgements.js';

const PAGE = 1000; // the API's largest page
const MAX_PAGES = 20; // 20,000 spans: beyond that the waterfall says it shows part

async function traceSpans(ws, id, signal) {
	const params = (page) => ({ filter: { trace_id: id }, sort: 'started_at', mode: 'summary', page_size: PAGE, page });
	const first = await api.spans(ws, params(1), { signal });
	const pages = Math.min(MAX_PAGES, first.pagination?.total_pages ?? 1);
	const rest = [];
	for (let p = 2; p <= pages; p++) rest.push(api.spans(ws, params(p), { signal }));
	const more = await Promise.all(rest);
	return { spans: [first, ...more].flatMap((r) => r.data || []), total: first.pagination?.total_results ?? 0 };
}

// The trace's facts under its name: when, how long, its size and cost, its session, and its
// scores (evaluator_scores: its spans' evaluator results and its own scores).
function factsOf(ws, trace, spans, tokens) {
	const id = trace.id;
	return facts([
		['Started', h('span', { title: `${trace.started_at} · ${fmtAgo(trace.started_at)}` }, fmtDateTime(trace.started_at))],
		['Duration', trace.duration_ms !== undefined ? fmtDuration(trace.duration_ms) : null],
		['Spans', fmtInt(trace.span_count ?? spans.length)],
		['Tokens', tokens !== null ? h('span', { title: `input ${fmtInt(trace.input_tokens ?? 0)} · output ${fmtInt(trace.output_tokens ?? 0)}` }, fmtInt(tokens)) : null],
		['Cost', trace.cost_usd !== undefined ? fmtCost(trace.cost_usd) : null],
		['Session', trace.session_id ? h('a', { href: href(ws, 'sessions', trace.session_id) }, trace.session_id) : null],
		['Trace id', h('span.id-with-copy', h('code', id), copyButton(id, 'Copy trace id'))],
		['Scores', scoreChips(trace.evaluator_scores, { label: 'Scores of this trace (its own, and the means of its spans\' evaluator results)' })],
	], 'facts facts-row');
}

export function mount(root, route, ctx) {
	const ws = route.ws;
	const id = route.id;
	let wf = null;
	let spanCtl = null;
	let t0 = NaN;
	let pending = null;
	let sessionId = null; // the trace's session: what annotations written from a span name
	let judgedAgain = null; // reads the trace's judgements again (after one is written)
	let judgedSeq = 0; // the latest read of them: an older answer is dropped
	ctx.setTitle(`Trace ${id} · ${ws}`);

	const back = h('a.back', { href: lastList(href(ws, 'traces')) }, '← Traces');
	const body = h('div.trace-body', loading('Loading trace…'));
	root.append(h('nav.crumbs', { 'aria-label': 'Breadcrumb' }, back), body);

	const keys = (e) => {
		// Up/Down anywhere on the page (outside a form field or the tree itself) move between spans.
		if (!wf || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
		const t = e.target;
		if (t.closest?.('input, select, textarea, [contenteditable], .wf-rows, dialog')) return;
		if (e.key === 'ArrowDown' || e.key === 'j') wf.move(1);
		else if (e.key === 'ArrowUp' || e.key === 'k') wf.move(-1);
		else return;
		e.preventDefault();
	};
	document.addEventListener('keydown', keys);

	function onSelect(s) {
		spanCtl?.abort();
		spanCtl = new AbortController();
		history.replaceState(null, '', href(ws, 'traces', id, { span: s.span_id }));
		// A burst of arrow presses shows the last span only.
		clearTimeout(pending);
		const sig = spanCtl.signal;
		pending = setTimeout(() => showSpan(panel, ws, s, t0, { signal: sig, askKey: ctx.askKey, sessionId, onJudged: () => judgedAgain?.() }), 60);
	}

	const panel = h('section.span-panel', { 'aria-labelledby': 'span-title', tabindex: '-1' });

	async function load() {
		clear(body).append(loading('Loading trace…'));
		const [tr, sp] = await Promise.allSettled([api.trace(ws, id, { signal: ctx.signal }), traceSpans(ws, id, ctx.signal)]);
		if (ctx.signal.aborted) return;
		if (sp.status === 'rejected') {
			if (isAbort(sp.reason)) return;
			clear(body).append(errorBox(sp.reason, { retry: load, askKey: ctx.askKey, what: 'The spans of this trace' }));
			return;
		}
		let trace = tr.status === 'fulfilled' ? tr.value : null;
		const spans = sp.value.spans;
		if (!trace && (!spans.length || !(tr.reason instanceof ApiError && tr.reason.status === 404))) {
			if (isAbort(tr.reason)) return;
			clear(body).append(errorBox(tr.reason, { retry: load, askKey: ctx.askKey, what: 'This trace' }));
			return;
		}
		const warn = [];
		if (!trace) {
			warn.push('This trace has no root span (a span without a parent), so the API does not list it; its spans are shown as found.');
			trace = { id, name: spans[0]?.name, started_at: spans[0]?.started_at };
		}
		if (sp.value.total > spans.length) warn.push(`Showing the first ${fmtInt(spans.length)} of ${fmtInt(sp.value.total)} spans.`);
		render(trace, spans, warn);
	}

	function render(trace, spans, warn) {
		t0 = parseTime(trace.started_at);
		sessionId = trace.session_id || spans.find((s) => s.span_id === trace.root_span_id)?.session_id || null;
		ctx.setTitle(`${trace.name || id} · Trace · ${ws}`);
		const tokens = tokensOf(trace); // as the traces list and the session page count them
		const judged = h('div.trace-judgements');
		// Export: every span of the trace (GET spans/export on its trace_id), oldest first.
		const exporter = exportMenu((format, ext) => api.exportSpans(ws, { format, sort: 'started_at', filter: { trace_id: id } },
			`${ws}-trace-${id}.${ext}`, { signal: ctx.signal }));
		// A person's score of the trace itself (where the Opik API is served: the header's
		// scores show it once saved).
		const scoring = trace.root_span_id ? traceScoreForm(ws, id, { signal: ctx.signal, onSaved: () => rescore() }) : null;
		let dl = factsOf(ws, trace, spans, tokens);
		const rescore = async () => {
			const fresh = await api.trace(ws, id, { signal: ctx.signal }).catch(() => null);
			if (!fresh || ctx.signal.aborted) return;
			const next = factsOf(ws, fresh, spans, tokens);
			dl.replaceWith(next);
			dl = next;
			judgedAgain?.();
		};
		const head = h('header.trace-head',
			heading(trace.name || '(unnamed trace)', statusPill(trace.status, failedSpans(trace)), h('div.head-actions', scoring?.button, exporter)),
			dl, scoring?.form, scoring?.status,
			judged);
		clear(body).append(head);
		for (const w of warn) body.append(h('p.notice', { role: 'status' }, w));
		if (!spans.length) {
			body.append(h('p.empty', 'No spans found for this trace.'));
			return;
		}
		wf?.destroy();
		wf = createWaterfall({ spans, trace, onSelect, labelledBy: 'wf-title' });
		const hint = h('p.hint', h('kbd', '↑'), ' ', h('kbd', '↓'), ' move between spans · ', h('kbd', '←'), ' ', h('kbd', '→'), ' fold');
		body.append(h('div.trace-split',
			h('section.wf-panel', { 'aria-labelledby': 'wf-title' },
				h('div.section-head', h('h2#wf-title', `Spans (${fmtInt(wf.count)})`), hint),
				wf.el),
			panel));
		const want = route.params.get('span');
		if (!(want && wf.select(want, { focus: true, notify: true }))) {
			wf.select(spans.find((s) => s.span_id === trace.root_span_id)?.span_id || wf.first(), { focus: true });
		}
		markShown('trace');
		judgedAgain = () => showJudged(judged, spans, trace);
		judgedAgain();
	}

	// The feedback and comments on the trace's spans, the trace and its session, under the
	// header, and a mark on each span judged: from the annotations and evaluator results of
	// the sessions its spans name, and Opik's scores and comments of the trace and its thread
	// (withOpik), after the waterfall is on screen, and again after the span panel writes or
	// deletes one.
	async function showJudged(box, spans, trace) {
		const seq = ++judgedSeq;
		const ids = new Set(spans.map((s) => s.span_id));
		let got;
		let opik;
		try {
			[got, opik] = await Promise.all([
				sessionJudgements(ws, [sessionId, ...spans.map((s) => s.session_id)], { signal: ctx.signal }),
				// A trace the API does not list (no root span) is no Opik trace either.
				trace.root_span_id ? opikJudgements(ws, { traceId: id }, { signal: ctx.signal }) : {},
			]);
		} catch (e) {
			if (!isAbort(e) && seq === judgedSeq) append(clear(box), [h('p.muted.small', `Feedback could not be read: ${e.detail || e.message}`)]);
			return;
		}
		if (ctx.signal.aborted || seq !== judgedSeq) return;
		const nemo = got.anns.filter((a) => (a.span_id ? ids.has(a.span_id) : a.session_id === sessionId));
		const anns = withOpik(nemo, got.results, opik, { ids: new Set([id, trace.root_span_id]) });
		const results = got.results.filter((r) => ids.has(r.span_id));
		const name = new Map(spans.map((s) => [s.span_id, s.name || '(unnamed)']));
		const onSpan = (sid) => h('button.link-button.judge-on', { type: 'button', title: `Show span ${sid}`, onclick: () => wf?.select(sid, { focus: true }) }, `on ${name.get(sid)}`);
		const wasOpen = box.querySelector('details')?.open;
		append(clear(box), [judgementList(anns, { spanLabel: onSpan, title: 'Feedback and comments on this trace', more: got.more })]);
		if (wasOpen && box.querySelector('details')) box.querySelector('details').open = true;
		const bySpan = new Map(); // span id -> {a, r}: its annotations and evaluator results
		const of = (sid) => bySpan.get(sid) || bySpan.set(sid, { a: [], r: [] }).get(sid);
		for (const x of anns) if (x.span_id) of(x.span_id).a.push(x);
		for (const x of results) of(x.span_id).r.push(x);
		const marks = new Map([...bySpan].map(([sid, { a, r }]) => [sid, { n: a.length + r.length, text: countText(a, r) }]));
		// Every time, so a span whose last judgement was deleted loses its mark.
		wf?.setJudged(marks);
	}

	load();

	return {
		update(r) {
			// Back and forward between spans of this trace: select, do not reload.
			const want = r.params.get('span');
			if (wf && want && want !== wf.selectedId) wf.select(want, { focus: true });
			return true;
		},
		// The tree takes the focus itself once loaded (so the app leaves the heading alone).
		focus() {},
		destroy() {
			document.removeEventListener('keydown', keys);
			clearTimeout(pending);
			spanCtl?.abort();
			wf?.destroy();
		},
	};
}
