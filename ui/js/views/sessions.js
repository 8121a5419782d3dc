// sessions: the sessions of a workspace (GET spans/groups?by=session_id, largest first: the
// only order the API offers), and one session as a conversation: its aggregate (GET
// sessions/{id}: its scores, and its open or closed state where one was set), its feedback and
// comments (GET annotations of the session), its traces in order (GET traces filtered by
// session_id, oldest first), and for each trace the root span's input and output (GET
// spans/{root_span_id}) as the turn.
import { h, clear, append, fmtDateTime, fmtDuration, fmtInt, fmtCost, fmtCompact, statusPill, limiter, fmtAgo, markShown } from '../dom.js';
import { api } from '../api.js';
import { href } from '../route.js';
import { decode, asMessages, messageView, contentText, payloadView, soleText } from '../render.js';
import { errorBox, loading, empty, heading, isAbort, facts, rememberList, lastList } from './common.js';
import { spanDetail } from './span.js';
import { scoreChips, sessionJudgements, judgementList, opikJudgements, withOpik } from './judgements.js';
import { tokensOf, failedSpans } from './traces.js';

const LIST_SIZE = 50;
const TURNS = 100; // traces per page of a conversation

// A session's state (spandex's `state`: Opik's thread status, "active" or "inactive") as a
// pill; null when none was ever set.
export function statePill(state) {
	if (state !== 'active' && state !== 'inactive') return null;
	const open = state === 'active';
	return h(`span.pill.state-pill${open ? '' : '.state-closed'}`, { title: `Thread state: ${state}` }, open ? 'open' : 'closed');
}

export function mountList(root, route, ctx) {
	const ws = route.ws;
	const page = Math.max(1, Math.floor(Number(route.params.get('page'))) || 1);
	const more = limiter(4);
	ctx.setTitle(`Sessions · ${ws}`);
	rememberList(location.hash);
	const count = h('span.head-count');
	const open = h('input#f-open-session', { type: 'text', placeholder: 'Session id', autocomplete: 'off', spellcheck: 'false', required: true });
	const openForm = h('form.inline-form', { 'aria-label': 'Open a session by id' },
		h('label', { for: 'f-open-session' }, 'Open session'), open, h('button', { type: 'submit' }, 'Open'));
	openForm.addEventListener('submit', (e) => {
		e.preventDefault();
		if (open.value.trim()) location.hash = href(ws, 'sessions', open.value.trim());
	});
	const body = h('div.list-body', loading('Loading sessions…'));
	root.append(heading('Sessions', count), h('div.filters', openForm),
		h('p.muted.small', 'Largest first (by span count): the order the span groups API offers.'), body);

	(async () => {
		let res;
		try {
			res = await api.groups(ws, { by: 'session_id', page, page_size: LIST_SIZE }, { signal: ctx.signal });
		} catch (e) {
			if (!isAbort(e)) clear(body).append(errorBox(e, { askKey: ctx.askKey, retry: () => location.reload(), what: 'Sessions' }));
			return;
		}
		const pg = res.pagination || {};
		count.textContent = `${fmtInt(pg.total_results ?? res.data.length)} sessions`;
		clear(body);
		if (!res.data.length) {
			body.append(empty(page > 1 ? `Page ${page} is past the end.` : `No sessions in workspace “${ws}” yet.`));
			return;
		}
		const rows = res.data.map((g) => {
			const sid = g.group?.session_id ?? '';
			const cells = {
				start: h('td.col-start', h('span.muted', '…')), traces: h('td.num', h('span.muted', '…')),
				dur: h('td.num', h('span.muted', '…')), tokens: h('td.num', h('span.muted', '…')),
				cost: h('td.num', h('span.muted', '…')), status: h('td', h('span.muted', '…')),
			};
			more(() => (ctx.signal.aborted ? null : api.session(ws, sid, { signal: ctx.signal }))).then((s) => {
				if (!s) return;
				clear(cells.start).append(h('span', { title: `${s.started_at} · ${fmtAgo(s.started_at)}` }, fmtDateTime(s.started_at)));
				clear(cells.traces).append(fmtInt(s.trace_count));
				clear(cells.dur).append(s.duration_ms !== undefined ? fmtDuration(s.duration_ms) : h('span.muted', { title: 'A span of the session has no end time' }, 'no end'));
				clear(cells.tokens).append(tokensOf(s) === null ? h('span.muted', '—') : fmtCompact(tokensOf(s)));
				clear(cells.cost).append(s.cost_usd === undefined ? h('span.muted', '—') : fmtCost(s.cost_usd));
				// append() writes a null as the text "null"
				clear(cells.status).append(...[statusPill(s.status), ...(s.state ? [' ', statePill(s.state)] : [])].filter(Boolean));
			}).catch((e) => {
				if (isAbort(e)) return;
				clear(cells.status).append(h('span.muted', { title: e.detail || e.message }, 'unavailable'));
			});
			return h('tr',
				h('td.col-name', h('a.row-link.mono', { href: href(ws, 'sessions', sid), title: sid }, sid)),
				cells.start, h('td.num', fmtInt(g.span_count)), cells.traces, cells.dur, cells.tokens, cells.cost, cells.status);
		});
		const pages = Math.max(1, pg.total_pages ?? 1);
		const link = (n, text, off) => (off ? h('span.page-btn.disabled', { 'aria-disabled': 'true' }, text)
			: h('a.page-btn', { href: href(ws, 'sessions', null, { page: n > 1 ? n : '' }) }, text));
		body.append(
			h('div.table-wrap', { role: 'region', 'aria-label': 'Sessions table', tabindex: '0' }, h('table.data',
				h('caption.sr-only', `Sessions of workspace ${ws}, largest first, page ${page} of ${pages}`),
				h('thead', h('tr', ['Session', 'Started', 'Spans', 'Traces', 'Duration', 'Tokens', 'Cost', 'Status']
					.map((t, i) => h(`th${[2, 3, 4, 5, 6].includes(i) ? '.num' : ''}`, { scope: 'col' }, t)))),
				h('tbody', rows))),
			h('nav.pager', { 'aria-label': 'Pages of sessions' }, link(page - 1, '‹ Previous', page <= 1),
				h('span.page-of', `Page ${fmtInt(page)} of ${fmtInt(pages)}`), link(page + 1, 'Next ›', page >= pages)));
	})();
	return { update: () => false };
}

// The new part of a turn's input: the last user message (a chat input carries the whole
// history), or the whole input when it is not a conversation.
function turnInput(ws, value) {
	const v = decode(value);
	const msgs = asMessages(v);
	if (!msgs) return { node: value === undefined || value === '' ? null : payloadView(soleText(v) ?? value, 'pretty', ws), earlier: 0 };
	let i = msgs.length - 1;
	while (i > 0 && msgs[i].role !== 'user') i--;
	const shown = msgs.slice(i);
	return { node: h('div.messages', shown.map((m) => messageView(m, ws))), earlier: i, all: msgs };
}

function turn(ws, t, index, fetchRoot, signal) {
	const talk = h('div.turn-talk', loading('Loading the turn…'));
	const tokens = tokensOf(t);
	const el = h('li.turn',
		h('div.turn-head',
			h('span.turn-no', `#${index + 1}`),
			h('a.turn-name', { href: href(ws, 'traces', t.id) }, t.name || '(unnamed)'),
			h('span.muted', { title: t.started_at }, fmtDateTime(t.started_at)),
			h('span.turn-meta', [
				t.duration_ms !== undefined ? fmtDuration(t.duration_ms) : null,
				tokens !== null ? `${fmtInt(tokens)} tokens` : null,
				t.cost_usd !== undefined ? fmtCost(t.cost_usd) : null,
			].filter(Boolean).join(' · ')),
			statusPill(t.status, failedSpans(t))),
		talk);
	fetchRoot(() => (signal.aborted ? null : spanDetail(ws, t.root_span_id))).then((root) => {
		if (!root) return;
		clear(talk);
		const input = turnInput(ws, root.input);
		if (input.node) {
			if (input.earlier > 0) {
				const btn = h('button.link-button', { type: 'button', 'aria-expanded': 'false' }, `Show ${input.earlier} earlier message${input.earlier > 1 ? 's' : ''} of this input`);
				const box = h('div.messages.earlier', { hidden: true }, input.all.slice(0, input.earlier).map((m) => messageView(m, ws)));
				btn.addEventListener('click', () => {
					box.hidden = !box.hidden;
					btn.setAttribute('aria-expanded', String(!box.hidden));
				});
				talk.append(btn, box);
			}
			talk.append(h('div.turn-in', input.node));
		}
		const out = decode(root.output);
		const outMsgs = asMessages(out);
		if (outMsgs) talk.append(h('div.turn-out', h('div.messages', outMsgs.map((m) => messageView({ ...m, role: m.role || 'assistant' }, ws)))));
		else if (root.output !== undefined && root.output !== '') {
			talk.append(h('div.turn-out', h('div.messages', messageView({ role: 'assistant', content: typeof out === 'string' ? out : soleText(out) ?? contentText(out) }, ws))));
		}
		if (root.status === 'error' && root.error_message) talk.append(h('p.turn-error', `✕ ${root.error_type ? `${root.error_type}: ` : ''}${root.error_message}`));
		if (!talk.childNodes.length) talk.append(h('p.muted', 'The root span of this trace recorded no input or output. ', h('a', { href: href(ws, 'traces', t.id) }, 'Open the trace')));
	}).catch((e) => {
		if (isAbort(e)) return;
		clear(talk).append(h('p.muted', `The root span could not be read: ${e.detail || e.message}`));
	});
	return el;
}

export function mountOne(root, route, ctx) {
	const ws = route.ws;
	const id = route.id;
	const roots = limiter(4);
	ctx.setTitle(`Session ${id} · ${ws}`);
	const body = h('div', loading('Loading session…'));
	root.append(h('nav.crumbs', { 'aria-label': 'Breadcrumb' }, h('a.back', { href: lastList(href(ws, 'sessions')) }, '← Sessions')), body);

	let page = 1;
	let firstTrace = null; // the oldest trace: its project names the session's Opik thread
	const list = h('ol.conversation', { 'aria-label': 'Turns of this session, oldest first' });
	const moreBox = h('div.more');

	async function loadTurns() {
		clear(moreBox).append(loading('Loading traces…'));
		let res;
		try {
			res = await api.traces(ws, { filter: { session_id: id }, sort: 'started_at', page_size: TURNS, page, mode: 'detailed' }, { signal: ctx.signal });
		} catch (e) {
			if (!isAbort(e)) clear(moreBox).append(errorBox(e, { retry: loadTurns, askKey: ctx.askKey, what: 'The traces of this session' }));
			return;
		}
		const offset = (page - 1) * TURNS;
		if (page === 1) firstTrace = res.data[0] || null;
		res.data.forEach((t, i) => list.append(turn(ws, t, offset + i, roots, ctx.signal)));
		markShown('session');
		clear(moreBox);
		const pg = res.pagination || {};
		if (!res.data.length && page === 1) moreBox.append(h('p.muted', 'No trace of this session has a root span, so there is no turn to show.'));
		if (page < (pg.total_pages ?? 1)) {
			moreBox.append(h('button', { type: 'button', onclick: () => { page++; loadTurns(); } }, `Show the next ${fmtInt(Math.min(TURNS, pg.total_results - page * TURNS))} traces`));
		}
	}

	// The session's feedback and comments, each with what it is on: the session itself (its
	// Opik thread's scores too: the thread its first trace names in Opik, in that trace's
	// project; none when the trace names none, as one sent without a session does), a trace, or a
	// span, which opens in its trace (the span's trace is read when asked for).
	async function showJudged(box, turns) {
		let got;
		let opik;
		try {
			[got, opik] = await Promise.all([sessionJudgements(ws, [id], { signal: ctx.signal }), (async () => {
				await turns;
				const o = firstTrace ? await opikJudgements(ws, { traceId: firstTrace.id }, { signal: ctx.signal }) : {};
				return o.trace?.thread_id === id ? { thread: o.thread } : {};
			})()]);
		} catch (e) {
			if (!isAbort(e)) box.append(h('p.muted.small', `Feedback could not be read: ${e.detail || e.message}`));
			return;
		}
		const onSpan = (sid) => {
			const b = h('button.link-button.judge-on', { type: 'button', title: `Open span ${sid} in its trace` }, `on span ${sid.length > 16 ? `${sid.slice(0, 8)}…${sid.slice(-4)}` : sid}`);
			b.addEventListener('click', () => spanDetail(ws, sid).then((sp) => {
				location.hash = href(ws, 'traces', sp.trace_id, { span: sid });
			}, (e) => {
				b.replaceWith(h('span.muted', { title: e.detail || e.message }, `on span ${sid} (not found)`));
			}));
			return b;
		};
		append(box, [judgementList(withOpik(got.anns, got.results, opik), { spanLabel: onSpan, title: 'Feedback and comments on this session', more: got.more })]);
	}

	(async () => {
		let s;
		try {
			s = await api.session(ws, id, { signal: ctx.signal });
		} catch (e) {
			if (!isAbort(e)) clear(body).append(errorBox(e, { askKey: ctx.askKey, retry: () => location.reload(), what: 'This session' }));
			return;
		}
		const tokens = tokensOf(s);
		const judged = h('div.session-judgements');
		clear(body).append(
			heading(`Session ${id}`, statusPill(s.status), statePill(s.state)),
			facts([
				['Started', h('span', { title: s.started_at }, fmtDateTime(s.started_at))],
				['Duration', s.duration_ms !== undefined ? fmtDuration(s.duration_ms) : h('span', { title: 'A span of the session has no end time: still running, or sent without one (a chat completion)' }, 'no end time')],
				['Traces', fmtInt(s.trace_count)], ['Spans', fmtInt(s.span_count)],
				['Tokens', tokens !== null ? fmtInt(tokens) : null], ['Cost', s.cost_usd !== undefined ? fmtCost(s.cost_usd) : null],
				['Traces table', h('a', { href: href(ws, 'traces', null, { session: id }) }, 'Filter traces by this session')],
				['Scores', scoreChips(s.evaluator_scores, { label: 'Scores of this session (means of its spans\' evaluator results)' })],
			], 'facts facts-row'),
			judged,
			h('h2.section-title', 'Conversation'),
			list, moreBox);
		showJudged(judged, loadTurns());
	})();
	return { update: () => false };
}
