// judgements: the scores, feedback, labels, notes and metadata beside a span, a trace and a
// session, and the forms a person with a write key adds them with. NeMo Intake's two shapes
// (judgement.md section 1): evaluator results (GET spans/{id}/evaluator-results, GET
// evaluator-results) are what evaluators scored; annotations (GET annotations) are what people
// said: feedback (thumbs up or down), a label (a named number or a word), a note, metadata.
// A person's score is a numeric label (POST annotations, kind label), NeMo's only way to one;
// it is shown among the scores, marked as a person's, and is not part of evaluator_scores.
import { h, clear, append, fmtAgo, fmtDateTime } from '../dom.js';
import { api, ApiError } from '../api.js';
import { jsonBlock } from '../render.js';
import { isAbort } from './common.js';

export const PAGE = 1000; // the API's largest page: the annotations of a span, trace or session

// A score as people read it: an integer as it is, else three significant digits (0.75, 0.123,
// 12.3, 1234.5 -> 1235); the exact number goes in a title.
export function fmtScore(v) {
	if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
	if (Number.isInteger(v)) return String(v);
	const a = Math.abs(v);
	if (a >= 1000) return String(Math.round(v));
	return String(Number(v.toPrecision(3)));
}

// Chips of a {name: mean} rollup (a trace's or a session's evaluator_scores), by name; first
// the one named `first` (the score a list is sorted or filtered by). null when there are none.
export function scoreChips(scores, { first, label = 'Scores' } = {}) {
	const names = Object.keys(scores || {}).filter((n) => typeof scores[n] === 'number').sort();
	if (!names.length) return null;
	if (first && names.includes(first)) names.splice(names.indexOf(first), 1), names.unshift(first);
	return h('ul.scores', { 'aria-label': label }, names.map((n) => h(`li.score${n === first ? '.first' : ''}`, { title: `${n}: ${scores[n]}` },
		h('span.score-name', n), h('span.score-value', fmtScore(scores[n])))));
}

// A thumb, drawn (Debian's chromium has no emoji font): up, or down (turned over).
export function thumb(up) {
	return h(`svg.thumb.thumb-${up ? 'up' : 'down'}`, { viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
		h('g', up ? null : { transform: 'rotate(180 8 8)' },
			h('rect', { x: '1.5', y: '7', width: '3', height: '7.5', rx: '0.8' }),
			h('path', { d: 'M5.5 7.3 8 2c1.1 0 1.9.9 1.7 2L9.3 6.2H13c1 0 1.7.9 1.5 1.8l-1.1 5.3c-.2.7-.8 1.2-1.5 1.2H5.5z' })));
}

const isFeedback = (a) => a.kind === 'feedback';
const isNumericLabel = (a) => a.kind === 'label' && a.value_type === 'numeric';

// {up, down}: the feedback among annotations.
export function tally(anns) {
	let up = 0;
	let down = 0;
	for (const a of anns) {
		if (!isFeedback(a)) continue;
		if (a.value === 'positive') up++;
		else if (a.value === 'negative') down++;
	}
	return { up, down };
}

// The feedback of annotations as "thumb 3 thumb 1" (null without any), read out in words.
export function feedbackTally(anns) {
	const { up, down } = tally(anns);
	if (!up && !down) return null;
	const words = [up ? `${up} thumbs up` : null, down ? `${down} thumbs down` : null].filter(Boolean).join(', ');
	return h('span.feedback-tally', { title: words },
		h('span.sr-only', words),
		up ? h('span.fb.fb-up', { 'aria-hidden': 'true' }, thumb(true), String(up)) : null,
		down ? h('span.fb.fb-down', { 'aria-hidden': 'true' }, thumb(false), String(down)) : null);
}

// "2 scores, 1 note" of annotations and evaluator results: what a waterfall row or a summary says.
export function countText(anns, results = []) {
	const n = (k, one, many) => (k ? `${k} ${k === 1 ? one : many}` : null);
	const scores = results.filter((r) => r.value !== undefined || r.string_value !== undefined).length + anns.filter(isNumericLabel).length;
	const { up, down } = tally(anns);
	return [n(scores, 'score', 'scores'), n(up + down, 'feedback', 'feedback'),
		n(anns.filter((a) => a.kind === 'label' && !isNumericLabel(a)).length, 'label', 'labels'),
		n(anns.filter((a) => a.kind === 'note').length, 'note', 'notes'),
		n(anns.filter((a) => a.kind === 'metadata').length, 'metadata', 'metadata')].filter(Boolean).join(', ');
}

// Who and when, the way comments show them: "k1a2b3c4d5 · 3 min ago" (exact time in a title).
function byline(a) {
	return h('span.judge-by',
		h('span.judge-author', a.created_by || 'anonymous'),
		' · ', h('time', { datetime: a.created_at, title: `${fmtDateTime(a.created_at)} (${a.created_at})` }, fmtAgo(a.created_at)));
}

// The annotations this browser wrote (their ids, in localStorage): those it offers to delete,
// beside any whose created_by is the key this page wrote with.
const MINE = 'spandex.mine';
const MINE_MAX = 500;
let myAuthor = null;
function mine() {
	try {
		const v = JSON.parse(localStorage.getItem(MINE) || '[]');
		return Array.isArray(v) ? v : [];
	} catch {
		return [];
	}
}
function remember(a) {
	if (a.created_by) myAuthor = a.created_by;
	try {
		localStorage.setItem(MINE, JSON.stringify([a.annotation_id, ...mine()].slice(0, MINE_MAX)));
	} catch {
		// not kept: deletable until the page closes only by author
	}
}
export const isMine = (a) => (myAuthor !== null && a.created_by === myAuthor) || mine().includes(a.annotation_id);

// One annotation as a list item: a feedback's thumb, a label's name and value, a note's text,
// metadata as JSON, with who and when; `on` (a node) says what it is attached to where that
// is not obvious; onDelete offered for one's own.
export function annotationItem(a, { on = null, onDelete = null } = {}) {
	let body;
	if (isFeedback(a)) {
		const up = a.value === 'positive';
		body = h('span.judge-feedback', { class: up ? 'fb-up' : 'fb-down' }, thumb(up), up ? 'Thumbs up' : 'Thumbs down');
	} else if (a.kind === 'label') {
		body = h('span.judge-label', h('span.tag', a.opik ? 'score' : 'label'), ' ',
			a.name ? h('span.judge-name', `${a.name}: `) : null,
			h('span.judge-value', isNumericLabel(a) ? fmtScore(a.value) : String(a.value)),
			a.category ? ` (${a.category})` : null, a.reason ? h('div.judge-comment', a.reason) : null);
	} else if (a.kind === 'note') {
		body = h('div.judge-note', a.text);
	} else if (a.kind === 'metadata') {
		body = h('details.judge-meta', h('summary', 'Metadata', h('span.muted', ` (${Object.keys(a.metadata || {}).length} keys)`)), jsonBlock(a.metadata));
	} else {
		body = h('span', a.kind);
	}
	const del = onDelete && isMine(a)
		? h('button.link-button.judge-delete', { type: 'button', 'aria-label': `Delete this ${a.kind === 'note' ? 'comment' : a.kind}` }, 'Delete')
		: null;
	del?.addEventListener('click', () => onDelete(a, del));
	return h(`li.judge-item.judge-k-${a.kind}`, { dataset: { annotationId: a.annotation_id } },
		h('div.judge-line', body, h('span.judge-meta-line', on, byline(a), del)));
}

// One evaluator result (or a person's numeric label, which onDelete may delete when it is
// one's own) in the table of a span's scores.
function scoreRow(r, onDelete) {
	const person = r.annotation_id !== undefined;
	const del = person && onDelete && isMine(r)
		? h('button.link-button.judge-delete', { type: 'button', 'aria-label': `Delete the score ${r.name}` }, 'Delete')
		: null;
	del?.addEventListener('click', () => onDelete(r, del));
	const failed = r.status === 'FAILED';
	const value = failed ? h('span.pill.status-error', 'failed')
		: r.value !== undefined && r.string_value !== undefined ? `${r.string_value} (${fmtScore(r.value)})`
			: r.value !== undefined ? fmtScore(r.value) : r.string_value ?? '—';
	return h('tr',
		h('th', { scope: 'row' }, h('span.judge-name', r.name || '(unnamed)')),
		h('td.num.judge-score', { title: r.value !== undefined ? String(r.value) : null }, value),
		h('td.judge-source', person ? h('span.tag', 'person') : h('span.tag.tag-eval', (r.data_type || '').toLowerCase() || 'score'),
			' ', h('span.muted', r.created_by || (person ? 'anonymous' : '')), del ? ' ' : null, del,
			r.comment ? h('div.judge-comment', r.comment) : null));
}

// What a failed write says: the API's detail, with what to do for a key that may only read.
function writeError(e) {
	if (!(e instanceof ApiError)) return `Not saved: ${e?.message || e}`;
	const detail = String(e.detail).replace(/\.$/, '');
	if (e.status === 403) return `Not saved (403): ${detail}. This key may only read: use a key made with the write role.`;
	if (e.status === 401) return `Not saved (401): ${detail}. A key that may write is needed.`;
	return `Not saved (${e.status || 'no answer'}): ${e.detail}`;
}

// The span panel's "Scores and feedback" section of span s (of a trace in session sessionId):
// its evaluator results and annotations, loaded now; thumbs, a score and a comment added from
// it appear at once; one's own annotations can be deleted. signal: the panel moved on;
// onChange: called after each write and delete (the trace's header and marks follow).
export function spanJudgements(ws, s, sessionId, { signal, onChange } = {}) {
	const state = { results: [], anns: [] };
	const head = h('span.judge-summary');
	const body = h('div.judge-body', h('p.muted.small', 'Loading scores and feedback…'));
	const status = h('p.judge-status', { role: 'status', 'aria-live': 'polite' });
	const section = h('section.span-section.judgements', { 'aria-labelledby': 'sp-judge' },
		h('div.section-head', h('h3#sp-judge', 'Scores and feedback'), head), body);

	function render() {
		append(clear(head), [feedbackTally(state.anns)]);
		clear(body);
		const scores = [...state.results, ...state.anns.filter(isNumericLabel)];
		const rest = state.anns.filter((a) => !isNumericLabel(a));
		if (!scores.length && !rest.length) {
			body.append(h('p.muted.small.judge-empty', 'No scores or feedback on this span yet.'));
			return;
		}
		if (scores.length) {
			body.append(h('table.kv.judge-scores', h('caption.sr-only', 'Scores of this span'), h('tbody', scores.map((r) => scoreRow(r, remove)))));
		}
		if (rest.length) {
			body.append(h('ol.judge-list', { 'aria-label': 'Feedback, labels and comments on this span' },
				rest.map((a) => annotationItem(a, { onDelete: remove }))));
		}
	}

	async function load() {
		const [res, anns] = await Promise.allSettled([
			api.spanResults(ws, s.span_id, { signal }),
			api.annotations(ws, { filter: { span_id: s.span_id }, page_size: PAGE, sort: 'created_at' }, { signal }),
		]);
		if (signal?.aborted) return;
		const failed = [res, anns].find((r) => r.status === 'rejected');
		if (failed && isAbort(failed.reason)) return;
		state.results = res.status === 'fulfilled' && Array.isArray(res.value) ? res.value : [];
		state.anns = anns.status === 'fulfilled' ? anns.value.data || [] : [];
		render();
		if (failed) body.prepend(h('p.field-error', `Some judgements could not be read: ${failed.reason?.detail || failed.reason?.message}`));
	}

	async function add(fields, button) {
		button.disabled = true;
		status.textContent = 'Saving…';
		status.className = 'judge-status';
		try {
			const a = await api.annotate(ws, { session_id: sessionId, span_id: s.span_id, ...fields });
			remember(a);
			state.anns.push(a);
			render();
			onChange?.();
			status.textContent = `Added ${a.kind === 'note' ? 'the comment' : a.kind === 'feedback' ? (a.value === 'positive' ? 'a thumbs up' : 'a thumbs down') : `the score ${a.name}`}.`;
			return true;
		} catch (e) {
			if (isAbort(e)) return false;
			status.textContent = writeError(e);
			status.className = 'judge-status field-error';
			return false;
		} finally {
			button.disabled = false;
		}
	}

	async function remove(a, button) {
		button.disabled = true;
		try {
			await api.unannotate(ws, a.annotation_id);
			state.anns = state.anns.filter((x) => x.annotation_id !== a.annotation_id);
			render();
			onChange?.();
			status.className = 'judge-status';
			status.textContent = 'Deleted.';
		} catch (e) {
			button.disabled = false;
			status.textContent = writeError(e).replace('Not saved', 'Not deleted');
			status.className = 'judge-status field-error';
		}
	}

	// ---- the forms ----
	const up = h('button.judge-thumb', { type: 'button', 'aria-label': 'Thumbs up', title: 'Thumbs up' }, thumb(true));
	const down = h('button.judge-thumb', { type: 'button', 'aria-label': 'Thumbs down', title: 'Thumbs down' }, thumb(false));
	up.addEventListener('click', () => add({ kind: 'feedback', value: 'positive' }, up));
	down.addEventListener('click', () => add({ kind: 'feedback', value: 'negative' }, down));
	const scoreBtn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'judge-score-form' }, 'Add score');
	const noteBtn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'judge-note-form' }, 'Comment');

	const name = h('input#judge-score-name', { type: 'text', required: true, maxlength: '256', autocomplete: 'off', spellcheck: 'false', placeholder: 'helpfulness' });
	const value = h('input#judge-score-value', { type: 'number', required: true, step: 'any', placeholder: '0.8' });
	const scoreSave = h('button.primary', { type: 'submit' }, 'Save score');
	const scoreForm = h('form.judge-form#judge-score-form', { hidden: true, 'aria-label': 'Add a score' },
		h('div.field', h('label', { for: 'judge-score-name' }, 'Name'), name),
		h('div.field', h('label', { for: 'judge-score-value' }, 'Value'), value),
		h('div.field.field-buttons', scoreSave, h('button', { type: 'button', onclick: () => show(null) }, 'Cancel')));
	const text = h('textarea#judge-note-text', { required: true, maxlength: '10000', rows: '3', placeholder: 'What went well, or wrong?' });
	const noteSave = h('button.primary', { type: 'submit' }, 'Save comment');
	const noteForm = h('form.judge-form.judge-note-form#judge-note-form', { hidden: true, 'aria-label': 'Add a comment' },
		h('div.field', h('label', { for: 'judge-note-text' }, 'Comment'), text),
		h('div.field.field-buttons', noteSave, h('button', { type: 'button', onclick: () => show(null) }, 'Cancel')));

	function show(form) {
		scoreForm.hidden = form !== scoreForm;
		noteForm.hidden = form !== noteForm;
		scoreBtn.setAttribute('aria-expanded', String(form === scoreForm));
		noteBtn.setAttribute('aria-expanded', String(form === noteForm));
		(form === scoreForm ? name : form === noteForm ? text : null)?.focus();
	}
	scoreBtn.addEventListener('click', () => show(scoreForm.hidden ? scoreForm : null));
	noteBtn.addEventListener('click', () => show(noteForm.hidden ? noteForm : null));
	scoreForm.addEventListener('submit', async (e) => {
		e.preventDefault();
		const v = Number(value.value);
		if (!name.value.trim() || value.value === '' || !Number.isFinite(v)) return;
		if (await add({ kind: 'label', value_type: 'numeric', name: name.value.trim(), value: v }, scoreSave)) {
			value.value = '';
			show(null);
			scoreBtn.focus();
		}
	});
	noteForm.addEventListener('submit', async (e) => {
		e.preventDefault();
		if (!text.value.trim()) return;
		if (await add({ kind: 'note', text: text.value.trim() }, noteSave)) {
			text.value = '';
			show(null);
			noteBtn.focus();
		}
	});

	section.append(h('div.judge-actions', { role: 'group', 'aria-label': 'Judge this span' }, up, down, scoreBtn, noteBtn), scoreForm, noteForm, status);
	load().catch((e) => {
		if (!isAbort(e)) clear(body).append(h('p.field-error', `Scores and feedback could not be read: ${e?.detail || e?.message}`));
	});
	return section;
}

// "Score this trace": a name and a number, written as the trace's own score (api.scoreTrace:
// Opik's trace feedback score, which the trace's evaluator_scores take in), then onSaved().
export function traceScoreForm(ws, id, { onSaved, signal } = {}) {
	const btn = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'trace-score-form' }, 'Score this trace');
	const name = h('input#trace-score-name', { type: 'text', required: true, maxlength: '256', autocomplete: 'off', spellcheck: 'false', placeholder: 'overall' });
	const value = h('input#trace-score-value', { type: 'number', required: true, step: 'any', placeholder: '0.8' });
	const save = h('button.primary', { type: 'submit' }, 'Save score');
	const status = h('p.trace-score-status', { role: 'status', 'aria-live': 'polite' });
	const form = h('form.judge-form.trace-score-form#trace-score-form', { hidden: true, 'aria-label': 'Score this trace' },
		h('div.field', h('label', { for: 'trace-score-name' }, 'Name'), name),
		h('div.field', h('label', { for: 'trace-score-value' }, 'Value'), value),
		h('div.field.field-buttons', save, h('button', { type: 'button', onclick: () => open(false) }, 'Cancel')));
	const open = (on) => {
		form.hidden = !on;
		btn.setAttribute('aria-expanded', String(on));
		if (on) name.focus();
	};
	btn.addEventListener('click', () => open(form.hidden));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		const v = Number(value.value);
		if (!name.value.trim() || value.value === '' || !Number.isFinite(v)) return;
		save.disabled = true;
		status.className = 'trace-score-status';
		status.textContent = 'Saving…';
		try {
			await api.scoreTrace(ws, id, { name: name.value.trim(), value: v }, { signal });
			status.textContent = `Added the score ${name.value.trim()} to this trace.`;
			value.value = '';
			open(false);
			btn.focus();
			onSaved?.();
		} catch (err) {
			if (isAbort(err)) return;
			status.textContent = writeError(err);
			status.className = 'trace-score-status field-error';
		} finally {
			save.disabled = false;
		}
	});
	return { button: btn, form, status };
}

// Every annotation and evaluator result of the sessions ids (a trace's spans may name more
// than one), a page each: {anns, results, more} (more: a page was full, some are not shown).
export async function sessionJudgements(ws, ids, { signal } = {}) {
	const out = { anns: [], results: [], more: false };
	const seen = new Set();
	await Promise.all([...new Set(ids.filter(Boolean))].map(async (sid) => {
		const filter = { session_id: sid };
		const [a, r] = await Promise.all([
			api.annotations(ws, { filter, page_size: PAGE, sort: 'created_at' }, { signal }),
			api.evaluatorResults(ws, { filter, page_size: PAGE, sort: 'created_at' }, { signal }),
		]);
		for (const x of a.data || []) if (!seen.has(x.annotation_id)) seen.add(x.annotation_id), out.anns.push(x);
		for (const x of r.data || []) if (!seen.has(x.evaluator_result_id)) seen.add(x.evaluator_result_id), out.results.push(x);
		out.more ||= (a.pagination?.total_results ?? 0) > PAGE || (r.pagination?.total_results ?? 0) > PAGE;
	}));
	out.anns.sort((x, y) => String(x.created_at).localeCompare(String(y.created_at)));
	return out;
}

// A summary line and a foldable list of annotations (of a trace's spans, or a session): the
// feedback tally, what there is, and each with what it is on. spanLabel(id) names a span (a
// node, or null for a session's own); empty: null.
export function judgementList(anns, { spanLabel = () => null, title = 'Feedback and comments', more = false } = {}) {
	if (!anns.length) return null;
	const list = h('ol.judge-list', { 'aria-label': title }, anns.map((a) => annotationItem(a, { on: a.span_id ? spanLabel(a.span_id) : h('span.tag', a.on || 'session') })));
	return h('details.judge-details',
		h('summary', h('span.judge-summary-title', title), ' ', feedbackTally(anns), h('span.muted', ` ${countText(anns)}`)),
		list, more ? h('p.muted.small', `Showing the first ${PAGE} of each; there are more.`) : null);
}

// ---- what Opik adds: the scores and comments of a trace and of a thread ----
// NeMo's shapes carry neither an Opik score of a trace or a thread nor which trace an Opik
// comment is on (it reads as a note of the trace's session: docs/judgements.md). Opik's API
// on this origin tells them apart: GET traces/{id} (the trace's own and its root span's) and
// the thread of its project and session.

// Opik's reads for trace id (its own scores and comments, and those of the thread it names in
// its project): {trace, thread}, each null when there is none, this origin serves no Opik
// API, or its read failed (NeMo's are shown alone then).
export async function opikJudgements(ws, { traceId }, { signal } = {}) {
	const read = (p) => p.catch((e) => {
		if (isAbort(e)) throw e;
		return null;
	});
	const trace = await read(api.opikTrace(ws, traceId, { signal }));
	const pj = trace?.project_name;
	const th = trace?.thread_id;
	return { trace, thread: th && pj ? await read(api.opikThread(ws, pj, th, { signal })) : null };
}

// Opik's feedback_scores as numeric labels, one per name and author (on: what they are on), but
// for those NeMo shows already (shown: its evaluator results and numeric labels of the root
// span, or of the session, which Opik's trace and thread show too), by name and author.
function opikScores(scores, on, shown) {
	const key = (name, by) => `${name}\u0000${by || 'admin'}`; // Opik's name for nobody
	const known = new Set(shown.map((x) => key(x.name, x.created_by)));
	const out = [];
	for (const f of scores || []) {
		for (const [by, v] of Object.entries(f.value_by_author || { [f.created_by || 'admin']: f })) {
			if (known.has(key(f.name, by))) continue;
			out.push({ annotation_id: `opik-score:${on}:${f.name}:${by}`, kind: 'label', value_type: 'numeric', opik: true, on,
				name: f.name, value: v.value, category: v.category_name, reason: v.reason, created_by: by, created_at: v.last_updated_at || f.last_updated_at });
		}
	}
	return out;
}

// The annotations to list for a trace (of trace, the trace's id and root span ids) or for a
// session (trace null), given NeMo's (anns, results: of the spans and the session) and Opik's
// (o, opikJudgements): a session note that is a comment on this trace says so (on: "trace");
// one on another trace of the session is left out of a trace's list and marked "trace" in a
// session's; Opik's scores of the trace and the thread are added, and comments NeMo does not
// show (a trace without a session). Without Opik's answers, NeMo's as they are.
export function withOpik(anns, results, o, trace = null) {
	const ids = (list) => new Set((list || []).map((c) => c.id));
	const onTrace = ids(o.trace?.comments);
	const ofThread = o.thread ? ids(o.thread.comments) : null;
	const out = [];
	for (const a of anns) {
		if (a.span_id || a.kind !== 'note') out.push(a);
		else if (onTrace.has(a.annotation_id)) out.push({ ...a, on: 'trace' });
		else if (!ofThread || ofThread.has(a.annotation_id)) out.push(a);
		else if (!trace) out.push({ ...a, on: 'trace' });
	}
	const nemo = new Set(anns.map((a) => a.annotation_id));
	const note = (c, on) => ({ annotation_id: c.id, kind: 'note', text: c.text, created_by: c.created_by, created_at: c.created_at, on });
	for (const c of o.trace?.comments || []) if (!nemo.has(c.id)) out.push(note(c, 'trace'));
	for (const c of o.thread?.comments || []) if (!nemo.has(c.id)) out.push(note(c, 'session'));
	const at = (pick) => [...results.filter(pick), ...anns.filter((a) => isNumericLabel(a) && pick(a))];
	if (trace) out.push(...opikScores(o.trace?.feedback_scores, 'trace', at((x) => trace.ids.has(x.span_id))));
	out.push(...opikScores(o.thread?.feedback_scores, 'session', at((x) => !x.span_id)));
	return out.sort((x, y) => String(x.created_at).localeCompare(String(y.created_at)));
}
