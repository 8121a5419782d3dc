// traces: the workspace's traces as a table, one page-sized GET traces (mode=detailed) per
// screen, with the List Traces filters (status, session, time window), sort by start, paging
// kept in the URL, live refresh, free text where the API takes `search=`, and an Export of
// every page the filters give. Where the
// workspace has scores (the rows' evaluator_scores), a column of them, a range filter on one
// and a sort by it (spandex's evaluator_scores.<name> filter field and sort). The model column
// is filled after the table shows, from the spans of the visible traces only; so are the
// input and output previews under each name (one GET spans?mode=preview for the page).
import { h, clear, fmtDateTime, fmtAgo, fmtDuration, fmtCompact, fmtCost, fmtInt, statusPill, shortId, limiter, markShown } from '../dom.js';
import { api, traceModel, knownModel, searchSupported } from '../api.js';
import { href } from '../route.js';
import { errorBox, loading, empty, heading, isAbort, rememberList, exportMenu } from './common.js';
import { previewText } from '../render.js';
import { scoreChips } from './judgements.js';

export const RANGES = [
	['', 'Any time'], ['15m', 'Last 15 minutes'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'],
	['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['custom', 'Custom…'],
];
const RANGE_MS = { '15m': 9e5, '1h': 3.6e6, '24h': 8.64e7, '7d': 6.048e8, '30d': 2.592e9 };
const SIZES = [25, 50, 100, 200];
const LIVE_MS = 5000;
const PREVIEW_URL = 4000; // characters of span ids in one preview request's URL
const HAS_ERRORS = 'has-errors'; // the Status filter's choice of traces with a failed span
const SORTS = ['desc', 'asc', 'score', 'score-asc']; // newest, oldest, highest score, lowest score
const SCORE_NAMES = 'spandex.scoreNames'; // per workspace: the score names its pages showed
const SCORE_NAMES_MAX = 50;

// The score names seen in a workspace (kept, so the controls stay while a filter empties the
// page), with those of a page added.
function scoreNames(ws, page) {
	let known = {};
	try {
		known = JSON.parse(localStorage.getItem(SCORE_NAMES) || '{}') || {};
	} catch {
		// none kept
	}
	const mine = new Set(Array.isArray(known[ws]) ? known[ws] : []);
	const before = mine.size;
	for (const t of page || []) for (const n of Object.keys(t.evaluator_scores || {})) mine.add(n);
	const names = [...mine].sort().slice(0, SCORE_NAMES_MAX);
	if (names.length !== before) {
		try {
			localStorage.setItem(SCORE_NAMES, JSON.stringify({ ...known, [ws]: names }));
		} catch {
			// not kept
		}
	}
	return names;
}

// A bound of the score range from the URL: a number, or '' when absent or not one.
const bound = (v) => (v !== null && v !== '' && Number.isFinite(Number(v)) ? String(Number(v)) : '');

// The started_at window of the URL: a preset relative to now, or from/to (ISO, either open).
export function windowOf(p, now = Date.now()) {
	const range = p.get('range') || '';
	if (RANGE_MS[range]) return { $gte: new Date(now - RANGE_MS[range]).toISOString() };
	const w = {};
	if (p.get('from')) w.$gte = p.get('from');
	if (p.get('to')) w.$lte = p.get('to');
	return Object.keys(w).length ? w : null;
}

function stateOf(p) {
	return {
		status: p.get('status') || '',
		session: p.get('session') || '',
		range: p.get('range') || (p.get('from') || p.get('to') ? 'custom' : ''),
		from: p.get('from') || '',
		to: p.get('to') || '',
		sort: SORTS.includes(p.get('sort')) && (p.get('score') || !p.get('sort').startsWith('score')) ? p.get('sort') : 'desc',
		score: p.get('score') || '',
		min: bound(p.get('min')),
		max: bound(p.get('max')),
		page: String(Math.max(1, Math.floor(Number(p.get('page'))) || 1)),
		size: p.get('size') || '50',
		live: p.get('live') === '1',
		q: p.get('q') || '',
	};
}

// The URL parameters of a state, defaults left out so links stay short.
function paramsOf(s) {
	return {
		q: s.q, status: s.status, session: s.session, range: s.range === 'custom' ? '' : s.range,
		from: s.range === 'custom' ? s.from : '', to: s.range === 'custom' ? s.to : '',
		score: s.score, min: s.score ? s.min : '', max: s.score ? s.max : '',
		sort: s.sort !== 'desc' ? s.sort : '', page: s.page !== '1' ? s.page : '', size: s.size !== '50' ? s.size : '',
		live: s.live ? '1' : '',
	};
}

// <input type=datetime-local> speaks local wall time; the URL and the API speak UTC.
const toLocalInput = (iso) => {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return '';
	const off = d.getTimezoneOffset() * 60000;
	return new Date(d.getTime() - off).toISOString().slice(0, 19);
};
const fromLocalInput = (v) => (v ? new Date(v).toISOString() : '');

export function mount(root, route, ctx) {
	const ws = route.ws;
	let state = stateOf(route.params);
	let loadCtl = null;
	let liveTimer = null;
	let lastPage = null;
	const models = limiter(4);

	ctx.setTitle(`Traces · ${ws}`);
	const count = h('span.head-count', { 'aria-live': 'polite' });
	const liveBtn = h('button.toggle', { type: 'button', 'aria-pressed': 'false', title: `Reload this page every ${LIVE_MS / 1000} s` },
		h('span.live-dot', { 'aria-hidden': 'true' }), 'Live');
	// Export: what the table shows, every page of it (its filters, search and direction; a
	// score order exports by start), streamed from GET traces/export: a trace is its root span.
	const exporter = exportMenu((format, ext) => {
		const { filter, search, sort } = request();
		return api.exportTraces(ws, { format, filter, search, sort: sort.includes('evaluator_scores') ? '-started_at' : sort },
			`${ws}-traces.${ext}`, { signal: ctx.signal });
	});
	const head = heading('Traces', count, h('div.head-actions', exporter, liveBtn));

	// ---- filters ----
	const searchBox = h('input#f-q', { type: 'search', placeholder: 'Search names, input, output…', autocomplete: 'off' });
	const searchField = h('div.field.field-search', { hidden: true }, h('label', { for: 'f-q' }, 'Search'), searchBox);
	// The root's status, or "has errors": any span of the trace failed (spandex's error_count
	// filter over the trace's rollup), which finds a root that succeeded over a failed span.
	const status = h('select#f-status', [['', 'Any status'], ['success', 'Success'], ['error', 'Error'], ['has-errors', 'Has errors (any span failed)'], ['cancelled', 'Cancelled'], ['unknown', 'Unknown']]
		.map(([v, t]) => h('option', { value: v }, t)));
	const session = h('input#f-session', { type: 'text', placeholder: 'Session id', autocomplete: 'off', spellcheck: 'false' });
	const range = h('select#f-range', RANGES.map(([v, t]) => h('option', { value: v }, t)));
	const from = h('input#f-from', { type: 'datetime-local', step: '1' });
	const to = h('input#f-to', { type: 'datetime-local', step: '1' });
	const custom = h('div.field-group', { hidden: true },
		h('div.field', h('label', { for: 'f-from' }, 'From'), from),
		h('div.field', h('label', { for: 'f-to' }, 'To'), to));
	// The score controls: which score, its range, and the order (by start, or by that score).
	const scoreList = h('datalist#f-score-names');
	const score = h('input#f-score', { type: 'text', list: 'f-score-names', placeholder: 'Score name', autocomplete: 'off', spellcheck: 'false' });
	const smin = h('input#f-smin', { type: 'number', step: 'any', placeholder: 'min', inputmode: 'decimal' });
	const smax = h('input#f-smax', { type: 'number', step: 'any', placeholder: 'max', inputmode: 'decimal' });
	const order = h('select#f-order', [['desc', 'Newest first'], ['asc', 'Oldest first'], ['score', 'Highest score first'], ['score-asc', 'Lowest score first']]
		.map(([v, t]) => h('option', { value: v }, t)));
	const scoreFields = h('div.field-group.score-fields', { hidden: true, role: 'group', 'aria-label': 'Score' },
		h('div.field', h('label', { for: 'f-score' }, 'Score'), score, scoreList),
		h('div.field.field-num', h('label', { for: 'f-smin' }, 'Min'), smin),
		h('div.field.field-num', h('label', { for: 'f-smax' }, 'Max'), smax));
	const orderField = h('div.field', h('label', { for: 'f-order' }, 'Order'), order);
	const clearBtn = h('button.link-button', { type: 'button' }, 'Clear filters');
	const form = h('form.filters', { 'aria-label': 'Filter traces' },
		searchField,
		h('div.field', h('label', { for: 'f-status' }, 'Status'), status),
		h('div.field', h('label', { for: 'f-session' }, 'Session'), session),
		h('div.field', h('label', { for: 'f-range' }, 'Started'), range),
		custom,
		scoreFields,
		orderField,
		h('div.field.field-buttons', h('button.primary', { type: 'submit' }, 'Apply'), clearBtn));

	const body = h('div.list-body');
	const notice = h('div.notice', { role: 'status', hidden: true });
	root.append(head, form, notice, body);

	const go = (next) => {
		const target = href(ws, 'traces', null, paramsOf(next));
		if (target !== location.hash) location.hash = target;
	};
	const fromForm = () => {
		const name = score.value.trim();
		return {
			...state,
			q: searchField.hidden ? state.q : searchBox.value.trim(),
			status: status.value,
			session: session.value.trim(),
			range: range.value,
			from: range.value === 'custom' ? fromLocalInput(from.value) : '',
			to: range.value === 'custom' ? fromLocalInput(to.value) : '',
			score: name,
			min: name ? bound(smin.value) : '',
			max: name ? bound(smax.value) : '',
			// A score order needs a score: without one it is by start again.
			sort: order.value.startsWith('score') && !name ? 'desc' : order.value,
			page: '1',
		};
	};
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		go(fromForm());
	});
	status.addEventListener('change', () => go(fromForm()));
	order.addEventListener('change', () => go(fromForm()));
	range.addEventListener('change', () => {
		custom.hidden = range.value !== 'custom';
		if (range.value !== 'custom') go(fromForm());
	});
	clearBtn.addEventListener('click', () => go({ ...stateOf(new URLSearchParams()), size: state.size, live: state.live }));
	liveBtn.addEventListener('click', () => go({ ...state, live: !state.live }));

	function syncForm() {
		searchBox.value = state.q;
		status.value = [...status.options].some((o) => o.value === state.status) ? state.status : '';
		session.value = state.session;
		range.value = state.range;
		custom.hidden = state.range !== 'custom';
		from.value = state.from ? toLocalInput(state.from) : '';
		to.value = state.to ? toLocalInput(state.to) : '';
		liveBtn.setAttribute('aria-pressed', String(state.live));
		liveBtn.classList.toggle('on', state.live);
		score.value = state.score;
		smin.value = state.min;
		smax.value = state.max;
		order.value = state.sort;
		syncScores();
	}

	// The score controls show once the workspace is known to have scores (or the URL names
	// one); the score orders need a score name.
	let names = scoreNames(ws, null);
	function syncScores(page) {
		if (page) names = scoreNames(ws, page);
		const any = names.length > 0 || !!state.score;
		scoreFields.hidden = !any;
		form.classList.toggle('with-scores', any);
		clear(scoreList).append(...names.map((n) => h('option', { value: n })));
		for (const o of order.options) {
			if (o.value.startsWith('score')) {
				o.hidden = !any;
				o.disabled = !state.score && !score.value.trim();
			}
		}
	}
	score.addEventListener('input', () => syncScores());

	// Free text lights up where the API takes `search=` (spandex does; others answer 400). Asked after the
	// first page is shown, so the probe never delays it.
	let probed = false;
	function probeSearch() {
		if (probed) return;
		probed = true;
		searchSupported(ws, { signal: ctx.signal }).then((ok) => {
			searchField.hidden = !ok;
			form.classList.toggle('with-search', ok);
			if (ok && state.q) load();
		}).catch(() => {});
	}

	function request() {
		const filter = {};
		if (state.status === HAS_ERRORS) filter.error_count = { $gte: 1 };
		else if (state.status) filter.status = state.status;
		if (state.session) filter.session_id = state.session;
		const win = windowOf(new URLSearchParams(paramsOf(state)));
		if (win) filter.started_at = win;
		if (state.score && (state.min || state.max)) {
			const range = {};
			if (state.min) range.$gte = Number(state.min);
			if (state.max) range.$lte = Number(state.max);
			filter[`evaluator_scores.${state.score}`] = range;
		}
		const byScore = state.score && state.sort.startsWith('score');
		return {
			page: state.page, page_size: state.size, mode: 'detailed',
			sort: byScore ? `${state.sort === 'score' ? '-' : ''}evaluator_scores.${state.score}` : state.sort === 'asc' ? 'started_at' : '-started_at',
			filter: Object.keys(filter).length ? filter : undefined,
			search: !searchField.hidden && state.q ? state.q : undefined,
		};
	}

	ctx.signal.addEventListener('abort', () => loadCtl?.abort(), { once: true });
	async function load({ quiet = false } = {}) {
		loadCtl?.abort();
		const ctl = new AbortController();
		loadCtl = ctl;
		if (!quiet || !lastPage) {
			clear(body).append(loading('Loading traces…'));
		}
		let page;
		try {
			page = await api.traces(ws, request(), { signal: ctl.signal });
		} catch (e) {
			if (isAbort(e)) return;
			if (quiet && lastPage) {
				notice.hidden = false;
				notice.textContent = `Live refresh failed: ${e.detail || e.message}`;
				return;
			}
			count.textContent = '';
			clear(body).append(errorBox(e, { retry: () => load(), askKey: ctx.askKey, what: 'Traces' }));
			probeSearch();
			return;
		}
		if (ctl.signal.aborted) return;
		notice.hidden = true;
		lastPage = page;
		// A live reload must not take the focus away from the row a keyboard user is on.
		const focused = body.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
		render(page, ctl.signal);
		if (focused) body.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
		markShown('traces');
		probeSearch();
	}

	const previewCells = new Map(); // root span id -> its row's preview cell
	function render(page, signal) {
		const pg = page.pagination || {};
		const total = pg.total_results ?? page.data.length;
		count.textContent = `${fmtInt(total)} ${total === 1 ? 'trace' : 'traces'}`;
		clear(body);
		previewCells.clear();
		syncScores(page.data);
		const filtered = state.status || state.session || state.range || state.q || (state.score && (state.min || state.max));
		if (!page.data.length) {
			if (total > 0) {
				body.append(empty(`Page ${state.page} is past the end.`, h('p', h('a', { href: href(ws, 'traces', null, paramsOf({ ...state, page: String(pg.total_pages || 1) })) }, `Go to the last page (${pg.total_pages})`))));
			} else if (filtered) {
				body.append(empty('No traces match these filters.', h('p', h('button.link-button', { type: 'button', onclick: () => clearBtn.click() }, 'Clear filters'))));
			} else {
				body.append(empty(`No traces in workspace “${ws}” yet.`,
					h('p', 'Send spans to ', h('code', `/apis/intake/v2/workspaces/${ws}/ingest/spans`), ', OTLP to ', h('code', '/v1/traces'),
						' (header ', h('code', `X-Workspace: ${ws}`), '), or a chat completion to ', h('code', 'ingest/chat-completions'), '.')));
			}
			body.append(pager(pg));
			return;
		}
		const maxDur = Math.max(1, ...page.data.map((t) => t.duration_ms || 0));
		const byScore = state.score && state.sort.startsWith('score');
		const sortLabel = byScore ? `by ${state.score}, ${state.sort === 'score' ? 'highest' : 'lowest'} first, traces without it last`
			: state.sort === 'asc' ? 'oldest first' : 'newest first';
		const sortBtn = h('button.sort', { type: 'button', title: byScore ? 'Sort by start, newest first' : `Sorted ${sortLabel}; click to reverse` },
			'Started', byScore ? null : h('span.sort-icon', { 'aria-hidden': 'true' }, state.sort === 'asc' ? '▲' : '▼'));
		sortBtn.addEventListener('click', () => go({ ...state, sort: !byScore && state.sort === 'desc' ? 'asc' : 'desc', page: '1' }));
		// The scores column: where the page or the workspace has scores. Its header sorts by the
		// chosen score.
		const scored = byScore || page.data.some((t) => Object.keys(t.evaluator_scores || {}).length);
		let scoreHead = null;
		if (scored) {
			const btn = state.score ? h('button.sort', { type: 'button', title: byScore ? `Sorted ${sortLabel}; click to reverse` : `Sort by ${state.score}, highest first` },
				'Scores', byScore ? h('span.sort-icon', { 'aria-hidden': 'true' }, state.sort === 'score' ? '▼' : '▲') : null) : null;
			btn?.addEventListener('click', () => go({ ...state, sort: state.sort === 'score' ? 'score-asc' : 'score', page: '1' }));
			scoreHead = h('th.col-scores', { scope: 'col', 'aria-sort': byScore ? (state.sort === 'score' ? 'descending' : 'ascending') : null }, btn || 'Scores');
		}
		const table = h('table.data.traces-table',
			h('caption.sr-only', `Traces of workspace ${ws}, ${sortLabel}, page ${pg.page ?? state.page} of ${pg.total_pages ?? 1}`),
			h('thead', h('tr',
				h('th.col-name', { scope: 'col' }, 'Name'),
				h('th.col-start', { scope: 'col', 'aria-sort': byScore ? null : state.sort === 'asc' ? 'ascending' : 'descending' }, sortBtn),
				h('th.num.col-dur', { scope: 'col' }, 'Duration'),
				h('th.col-status', { scope: 'col' }, 'Status'),
				h('th.num.col-spans', { scope: 'col' }, 'Spans'),
				h('th.num.col-tokens', { scope: 'col' }, 'Tokens'),
				h('th.num.col-cost', { scope: 'col' }, 'Cost'),
				scoreHead,
				h('th.col-model', { scope: 'col' }, 'Model'),
				h('th.col-session', { scope: 'col' }, 'Session'))),
			h('tbody', page.data.map((t) => row(t, maxDur, signal, scored))));
		body.append(h('div.table-wrap', { role: 'region', 'aria-label': 'Traces table', tabindex: '0' }, table), pager(pg));
		fillPreviews(page.data, signal);
	}

	// The input and output of each trace's root span, one line each under its name: one
	// request for the page (more when its ids would make a URL longer than PREVIEW_URL, as
	// nginx refuses a request line over 8 KiB), with input and output cut to 300 characters
	// by the API (mode=preview, NeMo Helix's). A server without that mode answers 422, and
	// the rows stay as they are.
	async function fillPreviews(traces, signal) {
		const chunks = [];
		let len = PREVIEW_URL;
		for (const id of traces.map((t) => t.root_span_id).filter(Boolean)) {
			const n = encodeURIComponent(JSON.stringify(id)).length + 3;
			if (len + n > PREVIEW_URL) {
				chunks.push([]);
				len = 0;
			}
			chunks.at(-1).push(id);
			len += n;
		}
		for (const ids of chunks) {
			let res;
			try {
				res = await api.spans(ws, { filter: { id: { $in: ids } }, mode: 'preview', page_size: ids.length }, { signal });
			} catch {
				return;
			}
			showPreviews(res.data || []);
		}
	}

	function showPreviews(spans) {
		for (const s of spans) {
			const cell = previewCells.get(s.span_id);
			if (!cell || !cell.isConnected) continue;
			const line = (side, value) => {
				const text = previewText(value, side);
				return text ? h(`div.io-line.io-${side}`, { title: text },
					h('span.io-tag', { 'aria-hidden': 'true' }, side === 'input' ? '→' : '←'),
					h('span.sr-only', `${side}: `), text) : null;
			};
			clear(cell).append(...[line('input', s.input), line('output', s.output)].filter(Boolean));
		}
	}

	function row(t, maxDur, signal, scored) {
		const modelCell = h('td.col-model', { 'data-label': 'Model' });
		const showModel = (m) => clear(modelCell).append(m ? h('span.model', { title: m }, m) : h('span.muted', '—'));
		const known = knownModel(ws, t);
		if (known !== undefined) {
			showModel(known);
		} else {
			modelCell.append(h('span.muted.pending', { 'aria-label': 'model loading' }, '…'));
			models(() => (signal.aborted ? null : traceModel(ws, t, { signal }))).then((m) => {
				if (m !== null) showModel(m);
			}).catch((e) => {
				if (isAbort(e)) return;
				clear(modelCell).append(h('span.muted', { title: e.detail || e.message }, '?'));
			});
		}
		const dur = t.duration_ms;
		const io = h('div.io-preview');
		if (t.root_span_id) previewCells.set(t.root_span_id, io);
		return h('tr',
			h('td.col-name', h('a.row-link', { href: href(ws, 'traces', t.id) }, t.name || h('span.muted', '(unnamed)')),
				h('div.sub', h('span.mono', { title: t.id }, shortId(t.id))), io),
			h('td.col-start', h('span', { title: `${t.started_at} (UTC) · ${fmtAgo(t.started_at)}` }, fmtDateTime(t.started_at))),
			h('td.num.col-dur', { 'data-label': 'Duration' }, h('div.dur-cell', fmtDuration(dur),
				dur !== undefined ? h('span.dur-bar', { 'aria-hidden': 'true', style: { width: `${Math.max(2, (dur / maxDur) * 100)}%` } }) : null)),
			h('td.col-status', statusPill(t.status, failedSpans(t))),
			h('td.num.col-spans', { 'data-label': 'Spans' }, fmtInt(t.span_count)),
			h('td.num.col-tokens', { 'data-label': 'Tokens', title: t.total_tokens !== undefined || t.input_tokens !== undefined ? `input ${fmtInt(t.input_tokens ?? 0)} · output ${fmtInt(t.output_tokens ?? 0)}${t.cached_tokens ? ` · cached ${fmtInt(t.cached_tokens)}` : ''}` : null },
				tokensOf(t) === null ? h('span.muted', '—') : fmtCompact(tokensOf(t))),
			h('td.num.col-cost', { 'data-label': 'Cost' }, t.cost_usd === undefined ? h('span.muted', '—') : fmtCost(t.cost_usd)),
			scored ? h('td.col-scores', { 'data-label': 'Scores' }, scoreChips(t.evaluator_scores, { first: state.score }) || h('span.muted', '—')) : null,
			modelCell,
			h('td.col-session', t.session_id && t.session_id !== t.id
				? h('a.mono', { href: href(ws, 'sessions', t.session_id), title: t.session_id }, shortId(t.session_id))
				: h('span.muted', { title: t.session_id ? 'the trace is its own session' : null }, '—')));
	}

	function pager(pg) {
		const page = Number(pg.page ?? state.page) || 1;
		const pages = Math.max(1, pg.total_pages ?? 1);
		const link = (n, label, text, disabled) => disabled
			? h('span.page-btn.disabled', { 'aria-disabled': 'true' }, text)
			: h('a.page-btn', { href: href(ws, 'traces', null, paramsOf({ ...state, page: String(n) })), 'aria-label': label }, text);
		const jump = h('input#f-page', { type: 'number', min: '1', max: String(pages), value: String(page), inputmode: 'numeric' });
		const size = h('select#f-size', SIZES.map((n) => h('option', { value: String(n), selected: String(n) === state.size }, String(n))));
		if (!SIZES.map(String).includes(state.size)) size.append(h('option', { value: state.size, selected: true }, state.size));
		const jumpForm = h('form.page-jump', h('label', { for: 'f-page' }, 'Page'), jump, h('span', ` of ${fmtInt(pages)}`));
		jumpForm.addEventListener('submit', (e) => {
			e.preventDefault();
			const n = Math.min(pages, Math.max(1, Math.floor(Number(jump.value)) || 1));
			go({ ...state, page: String(n) });
		});
		jump.addEventListener('change', () => jumpForm.requestSubmit());
		size.addEventListener('change', () => go({ ...state, size: size.value, page: '1' }));
		return h('nav.pager', { 'aria-label': 'Pages of traces' },
			h('span.page-edge', link(1, 'First page', '«', page <= 1)),
			link(page - 1, 'Previous page', '‹ Previous', page <= 1),
			jumpForm,
			link(page + 1, 'Next page', 'Next ›', page >= pages),
			h('span.page-edge', link(pages, 'Last page', '»', page >= pages)),
			h('div.page-size', h('label', { for: 'f-size' }, 'Rows'), size));
	}

	function setLive() {
		clearInterval(liveTimer);
		liveTimer = null;
		if (state.live) {
			liveTimer = setInterval(() => {
				if (!document.hidden) load({ quiet: true });
			}, LIVE_MS);
		}
	}

	function apply(next) {
		const same = JSON.stringify(paramsOf(next)) === JSON.stringify(paramsOf(state));
		const onlyLive = !same && JSON.stringify({ ...paramsOf(next), live: '' }) === JSON.stringify({ ...paramsOf(state), live: '' });
		state = next;
		rememberList(location.hash);
		syncForm();
		setLive();
		if (!onlyLive) load();
	}

	rememberList(location.hash);
	syncForm();
	setLive();
	load();

	return {
		update(r) {
			apply(stateOf(r.params));
			return true;
		},
		destroy() {
			clearInterval(liveTimer);
			loadCtl?.abort();
		},
	};
}

// The pill's note on a trace: how many spans failed, when that says more than its status.
export function failedSpans(t) {
	const n = t.error_count || 0;
	if (!n || (t.status === 'error' && n === 1)) return null;
	return `${n} failed span${n > 1 ? 's' : ''}`;
}

// A rollup's total_tokens sums only the spans that sent a total, and its input and output
// only those that sent them: the larger of the two (a stats bucket of NeMo spans with input
// and output, and Opik spans with a total of 49, showed 49 for 273k).
export function tokensOf(t) {
	const parts = t.input_tokens !== undefined || t.output_tokens !== undefined ? (t.input_tokens || 0) + (t.output_tokens || 0) : null;
	if (t.total_tokens === undefined) return parts;
	return parts === null ? t.total_tokens : Math.max(t.total_tokens, parts);
}
