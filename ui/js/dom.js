// dom: building elements without innerHTML (every API string lands as text, never as markup)
// and the formatters every view shares (times, durations, tokens, cost).

// h('tag.class#id', {attrs}, ...children): attrs starting with "on" are listeners, "style"
// takes an object (set through the CSSOM, which the Content-Security-Policy allows), false,
// null and undefined attributes and children are skipped.
export function h(tag, attrs, ...children) {
	let name = tag;
	const classes = [];
	let id = null;
	name = name.replace(/([.#])([^.#]+)/g, (_, sigil, v) => {
		if (sigil === '.') classes.push(v);
		else id = v;
		return '';
	});
	const svg = SVG_TAGS.has(name);
	const el = svg ? document.createElementNS(SVG_NS, name) : document.createElement(name || 'div');
	if (classes.length) el.setAttribute('class', classes.join(' '));
	if (id) el.id = id;
	if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
		children.unshift(attrs);
		attrs = null;
	}
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined) continue;
		if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (k === 'style') Object.assign(el.style, v);
		else if (k === 'class') el.setAttribute('class', [el.getAttribute('class'), v].filter(Boolean).join(' '));
		else if (k === 'dataset') Object.assign(el.dataset, v);
		else if (!svg && (k === 'value' || k === 'checked' || k === 'selected')) el[k] = v;
		else el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, children);
	return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'path', 'text', 'title', 'circle', 'polyline', 'defs', 'pattern', 'tspan']);

export function append(el, children) {
	for (const c of children.flat(Infinity)) {
		if (c === null || c === undefined || c === false) continue;
		el.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}

export function clear(el) {
	while (el.firstChild) el.firstChild.remove();
	return el;
}

// ---- time ----

// Microseconds since the epoch from an RFC 3339 time; the API keeps microseconds, which
// Date.parse drops. NaN when absent or unreadable.
export function parseTime(iso) {
	if (!iso) return NaN;
	const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(.*)$/.exec(iso);
	if (!m) return Date.parse(iso) * 1000;
	const ms = Date.parse(m[1] + (m[3] || 'Z'));
	const frac = m[2] ? Number((m[2] + '000000').slice(0, 6)) : 0;
	return ms * 1000 + frac;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local wall time, "2025-06-01 14:03:07" (the time zone is the browser's; titles carry UTC).
export function fmtDateTime(iso, { seconds = true } = {}) {
	const us = parseTime(iso);
	if (Number.isNaN(us)) return '—';
	const d = new Date(us / 1000);
	const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
	return seconds ? `${s}:${pad(d.getSeconds())}` : s;
}

export function fmtAgo(iso, now = Date.now()) {
	const us = parseTime(iso);
	if (Number.isNaN(us)) return '';
	const s = Math.round((now - us / 1000) / 1000);
	if (s < 0) return 'in the future';
	if (s < 60) return `${s} s ago`;
	if (s < 3600) return `${Math.floor(s / 60)} min ago`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
	const d = Math.floor(s / 86400);
	return d === 1 ? 'yesterday' : `${d} days ago`;
}

// A duration in milliseconds: "840 µs", "12.3 ms", "1.24 s", "3 min 05 s", "2 h 10 min",
// "8 d 00 h". Each step is chosen by the figure as rounded, so 999.7 ms is "1.00 s" and
// 59,999 ms "1 min 00 s", not "1000 ms" and "60.0 s".
export function fmtDuration(ms) {
	if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
	if (Math.round(ms * 1000) < 1000) return `${Math.round(ms * 1000)} µs`;
	if (Number(ms.toFixed(2)) < 10) return `${ms.toFixed(2)} ms`;
	if (Number(ms.toFixed(1)) < 100) return `${ms.toFixed(1)} ms`;
	if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
	const s = ms / 1000;
	if (Number(s.toFixed(2)) < 10) return `${s.toFixed(2)} s`;
	if (Number(s.toFixed(1)) < 60) return `${s.toFixed(1)} s`;
	const secs = Math.round(s);
	if (secs < 3600) return `${Math.floor(secs / 60)} min ${pad(secs % 60)} s`;
	const mins = Math.round(s / 60);
	if (mins < 24 * 60) return `${Math.floor(mins / 60)} h ${pad(mins % 60)} min`;
	const hours = Math.round(s / 3600);
	return `${Math.floor(hours / 24)} d ${pad(hours % 24)} h`;
}

// ---- numbers ----

const intFmt = new Intl.NumberFormat('en-US');
export const fmtInt = (n) => (n === null || n === undefined ? '—' : intFmt.format(n));

// 1234 -> "1.2k", 3400000 -> "3.4M" (tables); exact figures go in titles. The unit is chosen
// by the figure as rounded: 999,999 is "1.0M", not "1000k".
export function fmtCompact(n) {
	if (n === null || n === undefined) return '—';
	const small = Math.round(n * 100) / 100;
	if (Math.abs(small) < 1000) return String(small);
	for (const [unit, suffix] of [[1e3, 'k'], [1e6, 'M']]) {
		const x = Math.abs(n) / unit;
		const digits = Number(x.toFixed(1)) < 10 ? 1 : 0;
		if (Number(x.toFixed(digits)) < 1000) return `${(n / unit).toFixed(digits)}${suffix}`;
	}
	return `${(n / 1e9).toFixed(1)}B`;
}

// Every cost the viewer shows, by one rule: US dollars in cents from a dollar up ($1.24,
// $1,240.50); below a dollar, three significant digits but never fewer than cents and never
// more than the 6 decimals the API keeps ($0.50, $0.0123, $0.000412); under a millionth,
// "<$0.000001".
export function fmtCost(usd) {
	if (usd === null || usd === undefined || Number.isNaN(usd)) return '—';
	if (usd === 0) return '$0.00';
	const a = Math.abs(usd);
	const sign = usd < 0 ? '−' : '';
	if (a < 5e-7) return `${sign}<$0.000001`;
	const digits = a >= 1 ? 2 : Math.min(6, Math.max(2, 2 - Math.floor(Math.log10(a))));
	return `${sign}$${costFmt[digits].format(a)}`;
}

// One formatter per number of decimals (2 to 6): toLocaleString builds one per call, 0.5 s of
// opening a 12k-span trace when every row formatted its cost.
const costFmt = Object.fromEntries([2, 3, 4, 5, 6].map((d) => [d, new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: d })]));

export const fmtPercent = (x) => (x === null || x === undefined || Number.isNaN(x) ? '—'
	: x === 0 ? '0%' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`);

// An axis label: a duration without trailing zeros ("1 s", "1.5 s", "250 ms").
export const fmtTick = (ms) => fmtDuration(ms).replace(/\.0+ /, ' ').replace(/(\.\d*?)0+ /, '$1 ');

// ---- small widgets ----

// A status pill: success, error, cancelled, unknown.
export function statusPill(status, extra) {
	const s = status || 'unknown';
	const icon = { success: '✓', error: '✕', cancelled: '⊘', unknown: '?' }[s] || '?';
	return h(`span.pill.status-${s}`, h('span.pill-icon', { 'aria-hidden': 'true' }, icon), s, extra ? h('span.pill-extra', extra) : null);
}

export const KINDS = ['LLM', 'AGENT', 'CHAIN', 'TOOL', 'RETRIEVER', 'EMBEDDING', 'RERANKER', 'EVALUATOR', 'GUARDRAIL', 'UNKNOWN'];

// Labels short enough for a waterfall row.
export const KIND_SHORT = {
	LLM: 'LLM', AGENT: 'AGENT', CHAIN: 'CHAIN', TOOL: 'TOOL', RETRIEVER: 'RETR', EMBEDDING: 'EMBED',
	RERANKER: 'RERANK', EVALUATOR: 'EVAL', GUARDRAIL: 'GUARD', UNKNOWN: 'SPAN',
};

export function kindBadge(kind) {
	const k = KINDS.includes(kind) ? kind : 'UNKNOWN';
	return h(`span.kind.kind-${k}`, { title: k }, k === 'UNKNOWN' ? 'SPAN' : k);
}

const copyIcon = () => h('svg.icon', { viewBox: '0 0 16 16', 'aria-hidden': 'true' },
	h('rect', { x: '5.5', y: '5.5', width: '8', height: '8', rx: '1.5' }),
	h('path', { d: 'M10.5 3.5v-0.5a1.5 1.5 0 0 0-1.5-1.5h-5a1.5 1.5 0 0 0-1.5 1.5v5a1.5 1.5 0 0 0 1.5 1.5h0.5' }));

// A button that copies text and says so (to screen readers too, through its label).
export function copyButton(text, label = 'Copy') {
	const b = h('button.copy', { type: 'button', title: label, 'aria-label': label }, copyIcon());
	b.addEventListener('click', async () => {
		let ok = true;
		try {
			await navigator.clipboard.writeText(text);
		} catch {
			ok = false;
		}
		b.setAttribute('aria-label', ok ? 'Copied' : 'Copy failed');
		b.classList.add(ok ? 'done' : 'failed');
		setTimeout(() => {
			b.setAttribute('aria-label', label);
			b.classList.remove('done', 'failed');
		}, 1200);
	});
	return b;
}

// Short form of a long id for tables: the start and the end.
export function shortId(id) {
	if (!id) return '';
	return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

// A User Timing mark when a view first shows its data ("spandex:traces", ...): what
// bench/ui_first_screen.mjs reads, and what the browser's performance panel shows.
const marked = new Set();
export function markShown(view) {
	if (marked.has(view)) return;
	marked.add(view);
	performance.mark(`spandex:${view}`);
}

// Runs at most n of the functions given to it at a time (lazy enrichment must not starve the
// FastCGI workers or the browser's six connections).
export function limiter(n) {
	let active = 0;
	const queue = [];
	const next = () => {
		if (active >= n || !queue.length) return;
		active++;
		const { fn, resolve, reject } = queue.shift();
		Promise.resolve().then(fn).then(resolve, reject).finally(() => {
			active--;
			next();
		});
	};
	return (fn) => new Promise((resolve, reject) => {
		queue.push({ fn, resolve, reject });
		next();
	});
}
