// waterfall: a trace's spans as bars on one time axis, nested by parent, coloured by kind,
// errors marked. An ARIA tree (flat treeitems with aria-level, setsize and posinset) with a
// roving tabindex: Up/Down move, Left/Right fold and unfold, Home/End jump; selection follows
// the focus and is reported through onSelect.
import { h, clear, parseTime, fmtDuration, fmtTick, fmtCompact, fmtCost, fmtInt, KINDS, KIND_SHORT } from './dom.js';

// Nodes {span, children, depth, start, end (µs)} in display order: children by start time;
// a span whose parent is missing (not ingested, or another page) is shown at the top level.
export function buildTree(spans) {
	const nodes = new Map();
	for (const s of spans) {
		if (!nodes.has(s.span_id)) nodes.set(s.span_id, { span: s, children: [], start: parseTime(s.started_at), end: parseTime(s.ended_at) });
	}
	const roots = [];
	for (const n of nodes.values()) {
		const p = n.span.parent_span_id ? nodes.get(n.span.parent_span_id) : null;
		if (p && p !== n) p.children.push(n);
		else roots.push(n);
	}
	const byStart = (a, b) => (a.start - b.start) || String(a.span.name || '').localeCompare(String(b.span.name || ''));
	// Walk from the roots; a cycle of parents (bad data) is cut where it closes, and the spans
	// no root reaches are shown as roots.
	const seen = new Set();
	const order = [];
	const walk = (n, depth) => {
		if (seen.has(n)) return false;
		seen.add(n);
		n.depth = depth;
		order.push(n);
		n.children.sort(byStart);
		n.children = n.children.filter((c) => walk(c, depth + 1) !== false);
		return true;
	};
	roots.sort(byStart).forEach((r) => walk(r, 0));
	for (const n of nodes.values()) if (!seen.has(n)) { roots.push(n); walk(n, 0); }
	return { roots, nodes };
}

// A round step for about `want` ticks over `total` µs.
function tickStep(total, want = 5) {
	const raw = total / want;
	const p = 10 ** Math.floor(Math.log10(raw));
	for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * p) return m * p;
	return 10 * p;
}

// What a span used: its tokens (total, else input + output) and cost (total, else input +
// output), null where it recorded none. The tree shows them on each row, as Langfuse and
// Phoenix do.
export function spanUsage(s) {
	const sum = (a, b) => (a === undefined && b === undefined ? null : (a || 0) + (b || 0));
	return { tokens: s.total_tokens ?? sum(s.input_tokens, s.output_tokens), cost: s.cost_total_usd ?? sum(s.cost_input_usd, s.cost_output_usd) };
}

const usageText = ({ tokens, cost }, long) => [
	tokens !== null ? (long ? `${fmtInt(tokens)} tokens` : `${fmtCompact(tokens)} tok`) : null,
	cost !== null ? fmtCost(cost) : null,
].filter(Boolean).join(long ? ', ' : ' · ');

const label = (n, t0, judged) => {
	const s = n.span;
	const dur = Number.isNaN(n.end) ? 'no end time' : fmtDuration((n.end - n.start) / 1000);
	const used = usageText(spanUsage(s), true);
	return `${s.name || '(unnamed)'}, ${s.kind || 'UNKNOWN'}, ${dur}, starts at +${fmtDuration((n.start - t0) / 1000)}${used ? `, ${used}` : ''}${s.status === 'error' ? ', error' : ''}${judged ? `, ${judged.text}` : ''}`;
};

// The mark of a span that was judged: a speech bubble and how many judgements.
const judgedIcon = () => h('svg.wf-judged-icon', { viewBox: '0 0 12 12', 'aria-hidden': 'true', focusable: 'false' },
	h('path', { d: 'M2 1.5h8a1 1 0 0 1 1 1v5a1 1 0 0 1-1 1H5.5L3 10.5v-2H2a1 1 0 0 1-1-1v-5a1 1 0 0 1 1-1z' }));

export function createWaterfall({ spans, trace, onSelect, labelledBy }) {
	const { roots, nodes } = buildTree(spans);
	let t0 = Math.min(...[...nodes.values()].map((n) => n.start).filter((x) => !Number.isNaN(x)));
	let t1 = Math.max(...[...nodes.values()].map((n) => (Number.isNaN(n.end) ? n.start : n.end)).filter((x) => !Number.isNaN(x)));
	const ts = parseTime(trace?.started_at);
	const te = parseTime(trace?.ended_at);
	if (!Number.isNaN(ts)) t0 = Math.min(t0, ts);
	if (!Number.isNaN(te)) t1 = Math.max(t1, te);
	if (!Number.isFinite(t0)) t0 = 0;
	if (!Number.isFinite(t1) || t1 <= t0) t1 = t0 + 1000;
	const total = t1 - t0;
	const pct = (us) => ((us - t0) / total) * 100;

	const collapsed = new Set();
	const judged = new Map(); // span id -> {n, text}: its judgements (setJudged)
	let visible = [];
	let selected = null;

	const step = tickStep(total);
	const ticks = [];
	for (let x = 0; x <= total + 1e-6; x += step) ticks.push(x);
	const axis = h('div.wf-axis', { 'aria-hidden': 'true' },
		h('div.wf-axis-label', 'Span'),
		h('div.wf-axis-track', ticks.map((x) => h('span.wf-tick', { style: { left: `${(x / total) * 100}%` } }, x === 0 ? '0' : fmtTick(x / 1000)))));
	const grid = h('div.wf-grid', { 'aria-hidden': 'true' }, ticks.map((x) => h('span.wf-gridline', { style: { left: `${(x / total) * 100}%` } })));
	const tree = h('div.wf-rows', { role: 'tree', 'aria-labelledby': labelledBy, 'aria-multiselectable': 'false' });
	const kindsUsed = KINDS.filter((k) => [...nodes.values()].some((n) => (KINDS.includes(n.span.kind) ? n.span.kind : 'UNKNOWN') === k));
	const legend = h('div.wf-legend', { 'aria-hidden': 'true' },
		kindsUsed.map((k) => h('span.wf-legend-item', h(`span.wf-swatch.kind-${k}`), k === 'UNKNOWN' ? 'other' : k.toLowerCase())),
		[...nodes.values()].some((n) => n.span.status === 'error') ? h('span.wf-legend-item', h('span.wf-swatch.wf-swatch-error'), 'error') : null);
	const el = h('div.waterfall', legend, axis, h('div.wf-body', grid, tree));

	function rowOf(n, pos, size) {
		const s = n.span;
		const kind = KINDS.includes(s.kind) ? s.kind : 'UNKNOWN';
		const open = Number.isNaN(n.end);
		const left = Number.isNaN(n.start) ? 0 : pct(n.start);
		const right = open ? 100 : pct(n.end);
		const width = Math.max(0, right - left);
		const err = s.status === 'error';
		const hasKids = n.children.length > 0;
		const used = usageText(spanUsage(s), false);
		const twisty = h('span.wf-twisty', { 'aria-hidden': 'true' }, hasKids ? (collapsed.has(n) ? '▸' : '▾') : '');
		if (hasKids) {
			twisty.addEventListener('click', (e) => {
				e.stopPropagation();
				toggle(n);
			});
		}
		// The duration goes after the bar, or inside a long bar that ends late, or before a
		// short one that ends late.
		const late = right > 78;
		const inside = late && width > 22 && !err; // not over the error stripes
		const row = h(`div.wf-row${err ? '.error' : ''}`, {
			role: 'treeitem', id: `wf-${cssId(s.span_id)}`, tabindex: '-1',
			'aria-level': String(n.depth + 1), 'aria-setsize': String(size), 'aria-posinset': String(pos),
			'aria-selected': 'false', 'aria-expanded': hasKids ? String(!collapsed.has(n)) : null,
			'aria-label': label(n, t0, judged.get(s.span_id)), dataset: { spanId: s.span_id, depth: String(n.depth) },
		},
		h('div.wf-label', { style: { paddingLeft: `${0.35 + n.depth * 1.05}rem` } },
			twisty,
			h(`span.wf-kind.kind-${kind}`, { title: kind }, KIND_SHORT[kind]),
			h('span.wf-name', { title: s.name || '' }, s.name || '(unnamed)'),
			err ? h('span.wf-err', { title: s.error_message || 'error' }, '!') : null,
			hasKids && collapsed.has(n) ? h('span.wf-folded', `+${countBelow(n)}`) : null,
			judged.has(s.span_id) ? h('span.wf-judged', { title: judged.get(s.span_id).text }, judgedIcon(), String(judged.get(s.span_id).n)) : null,
			used ? h('span.wf-usage', { title: usageText(spanUsage(s), true) }, used) : null),
		h('div.wf-track',
			h(`div.wf-bar.kind-${kind}${err ? '.error' : ''}${open ? '.open' : ''}`, { style: { left: `${left}%`, width: `${width}%` } }),
			h(`span.wf-dur${inside ? '.inside' : late ? '.before' : ''}`, { style: inside ? { right: `${100 - right}%` } : late ? { right: `${100 - left}%` } : { left: `${right}%` } },
				open ? 'no end' : fmtDuration((n.end - n.start) / 1000))));
		row.addEventListener('click', () => select(n, { focus: true }));
		row.addEventListener('focus', () => {
			if (selected !== n) select(n, { focus: false });
		});
		n.row = row;
		return row;
	}

	function countBelow(n) {
		let c = 0;
		for (const k of n.children) c += 1 + countBelow(k);
		return c;
	}

	function render() {
		visible = [];
		const add = (list) => list.forEach((n, i) => {
			visible.push({ n, pos: i + 1, size: list.length });
			if (!collapsed.has(n)) add(n.children);
		});
		add(roots);
		clear(tree);
		const frag = document.createDocumentFragment();
		for (const v of visible) frag.append(rowOf(v.n, v.pos, v.size));
		tree.append(frag);
		if (selected && !visible.some((v) => v.n === selected)) {
			// Folded away: the selection moves to the visible ancestor.
			let p = nodes.get(selected.span.parent_span_id);
			while (p && !visible.some((v) => v.n === p)) p = nodes.get(p.span.parent_span_id);
			selected = p || visible[0]?.n || null;
		}
		mark();
	}

	function mark() {
		for (const v of visible) {
			const on = v.n === selected;
			v.n.row.setAttribute('aria-selected', String(on));
			v.n.row.tabIndex = on ? 0 : -1;
			v.n.row.classList.toggle('selected', on);
		}
		if (!selected && visible[0]) visible[0].n.row.tabIndex = 0;
	}

	function select(n, { focus = false, notify = true } = {}) {
		if (!n) return;
		const changed = selected !== n;
		selected = n;
		mark();
		if (focus) n.row.focus({ preventScroll: true });
		n.row.scrollIntoView({ block: 'nearest' });
		if (changed && notify) onSelect?.(n.span);
	}

	function toggle(n, open) {
		if (!n.children.length) return;
		const wasOpen = !collapsed.has(n);
		const want = open === undefined ? !wasOpen : open;
		if (want === wasOpen) return;
		if (want) collapsed.delete(n);
		else collapsed.add(n);
		const hadFocus = tree.contains(document.activeElement);
		render();
		if (hadFocus && selected) selected.row.focus({ preventScroll: true });
	}

	function move(delta) {
		const i = visible.findIndex((v) => v.n === selected);
		const j = Math.max(0, Math.min(visible.length - 1, (i < 0 ? 0 : i + delta)));
		if (visible[j]) select(visible[j].n, { focus: true });
	}

	tree.addEventListener('keydown', (e) => {
		if (e.altKey || e.ctrlKey || e.metaKey) return;
		const n = selected;
		switch (e.key) {
		case 'ArrowDown': case 'j': move(1); break;
		case 'ArrowUp': case 'k': move(-1); break;
		case 'Home': move(-visible.length); break;
		case 'End': move(visible.length); break;
		case 'PageDown': move(10); break;
		case 'PageUp': move(-10); break;
		case 'ArrowRight':
			if (n?.children.length && collapsed.has(n)) toggle(n, true);
			else if (n?.children.length) select(n.children[0], { focus: true });
			break;
		case 'ArrowLeft':
			if (n?.children.length && !collapsed.has(n)) toggle(n, false);
			else if (n && nodes.get(n.span.parent_span_id)) select(nodes.get(n.span.parent_span_id), { focus: true });
			break;
		case '*': // WAI-ARIA tree: unfold every sibling group
			for (const x of nodes.values()) collapsed.delete(x);
			render();
			selected?.row.focus({ preventScroll: true });
			break;
		default: return;
		}
		e.preventDefault();
	});

	render();
	return {
		el,
		count: nodes.size,
		select(id, opts) {
			const n = nodes.get(id);
			if (!n) return false;
			// Unfold its ancestors so it can be shown.
			let p = nodes.get(n.span.parent_span_id);
			let refold = false;
			while (p) {
				if (collapsed.delete(p)) refold = true;
				p = nodes.get(p.span.parent_span_id);
			}
			if (refold) render();
			select(n, opts);
			return true;
		},
		move,
		// Marks the spans judged: marks maps a span id to {n, text} ("2 scores, 1 note").
		setJudged(marks) {
			judged.clear();
			for (const [id, m] of marks) judged.set(id, m);
			const hadFocus = tree.contains(document.activeElement);
			render();
			if (hadFocus && selected) selected.row.focus({ preventScroll: true });
		},
		focus() {
			(selected || visible[0]?.n)?.row.focus({ preventScroll: true });
		},
		get selectedId() {
			return selected?.span.span_id ?? null;
		},
		first: () => visible[0]?.n.span.span_id ?? null,
	};
}

// An id attribute from a span id (any string).
const cssId = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
