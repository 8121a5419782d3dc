// waterfall: a trace's spans as bars on one time axis, nested by parent, coloured by kind,
// errors marked. An ARIA tree (flat treeitems with aria-level, setsize and posinset) with a
// roving tabindex: Up/Down move, Left/Right fold and unfold, Home/End jump; selection follows
// the focus and is reported through onSelect. Only the rows on screen (and a screenful either
// side, and the selected one) are in the page: a trace of 12,001 spans took 5-8 s to open,
// 3-5 s to unfold its root and 0.2-0.4 s a key press when every row was (layout forced over
// 12k rows by focus and scrollIntoView, a cost string formatted per row).
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

// Rows are this tall (.wf-row in app.css says the same): the window of rows drawn is computed
// from it and the page's scroll position, with no layout read per row.
const ROW_H = 30;
const OVERSCAN = 30; // rows drawn beyond each edge of the screen: a fast scroll shows no gap

export function createWaterfall({ spans, trace, onSelect, labelledBy }) {
	const { roots, nodes } = buildTree(spans);
	let t0 = Infinity;
	let t1 = -Infinity;
	for (const n of nodes.values()) {
		if (!Number.isNaN(n.start)) t0 = Math.min(t0, n.start);
		const e = Number.isNaN(n.end) ? n.start : n.end;
		if (!Number.isNaN(e)) t1 = Math.max(t1, e);
	}
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
	let visible = []; // {n, pos, size} of every row unfolded, in order; n.vi is its index
	const drawn = new Map(); // node -> its row element, for the rows in the page
	let selected = null;

	const step = tickStep(total);
	const ticks = [];
	for (let x = 0; x <= total + 1e-6; x += step) ticks.push(x);
	const axis = h('div.wf-axis', { 'aria-hidden': 'true' },
		h('div.wf-axis-label', 'Span'),
		h('div.wf-axis-track', ticks.map((x) => h('span.wf-tick', { style: { left: `${(x / total) * 100}%` } }, x === 0 ? '0' : fmtTick(x / 1000)))));
	const grid = h('div.wf-grid', { 'aria-hidden': 'true' }, ticks.map((x) => h('span.wf-gridline', { style: { left: `${(x / total) * 100}%` } })));
	const tree = h('div.wf-rows', { role: 'tree', 'aria-labelledby': labelledBy, 'aria-multiselectable': 'false' });
	const kinds = new Set();
	let anyError = false;
	for (const n of nodes.values()) {
		kinds.add(KINDS.includes(n.span.kind) ? n.span.kind : 'UNKNOWN');
		anyError ||= n.span.status === 'error';
	}
	const legend = h('div.wf-legend', { 'aria-hidden': 'true' },
		KINDS.filter((k) => kinds.has(k)).map((k) => h('span.wf-legend-item', h(`span.wf-swatch.kind-${k}`), k === 'UNKNOWN' ? 'other' : k.toLowerCase())),
		anyError ? h('span.wf-legend-item', h('span.wf-swatch.wf-swatch-error'), 'error') : null);
	const el = h('div.waterfall', legend, axis, h('div.wf-body', grid, tree));

	function rowOf(n, i) {
		const { pos, size } = visible[i];
		const s = n.span;
		const kind = KINDS.includes(s.kind) ? s.kind : 'UNKNOWN';
		const open = Number.isNaN(n.end);
		const left = Number.isNaN(n.start) ? 0 : pct(n.start);
		const right = open ? 100 : pct(n.end);
		const width = Math.max(0, right - left);
		const err = s.status === 'error';
		const hasKids = n.children.length > 0;
		const used = usageText(spanUsage(s), false);
		const on = n === selected;
		const twisty = h('span.wf-twisty', { 'aria-hidden': 'true' }, hasKids ? (collapsed.has(n) ? '▸' : '▾') : '');
		if (hasKids) {
			twisty.addEventListener('click', (e) => {
				e.stopPropagation();
				toggle(n);
			});
		}
		// The duration goes after the bar, or inside a long bar that ends late (on a failed
		// one, on a patch of its own colour over the stripes), or before a short one that ends
		// late: that one starts past 56% of the track, so the duration has room there. A
		// failed bar from 0 to past 78% had its duration drawn before the track, over the name.
		const late = right > 78;
		const inside = late && width > 22;
		const row = h(`div.wf-row${err ? '.error' : ''}${on ? '.selected' : ''}`, {
			role: 'treeitem', id: `wf-${cssId(s.span_id)}`, tabindex: on ? '0' : '-1',
			'aria-level': String(n.depth + 1), 'aria-setsize': String(size), 'aria-posinset': String(pos),
			'aria-selected': String(on), 'aria-expanded': hasKids ? String(!collapsed.has(n)) : null,
			'aria-label': label(n, t0, judged.get(s.span_id)), dataset: { spanId: s.span_id, depth: String(n.depth) },
			style: { top: `${i * ROW_H}px` },
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
			h(`span.wf-dur${inside ? `.inside${err ? '.on-error' : ''}` : late ? '.before' : ''}`, { style: inside ? { right: `${100 - right}%` } : late ? { right: `${100 - left}%` } : { left: `${right}%` } },
				open ? 'no end' : fmtDuration((n.end - n.start) / 1000))));
		row.addEventListener('click', () => select(n, { focus: true }));
		row.addEventListener('focus', () => {
			if (selected !== n) select(n, { focus: false });
		});
		return row;
	}

	// How many spans are below n (shown on a folded row); a subtree does not change.
	function countBelow(n) {
		if (n.below === undefined) {
			n.below = 0;
			for (const k of n.children) n.below += 1 + countBelow(k);
		}
		return n.below;
	}

	const shown = (n) => n && visible[n.vi]?.n === n;

	// The rows unfolded (after a fold, an unfold, or on creation); then the page's rows anew.
	function layout() {
		visible = [];
		const add = (list) => list.forEach((n, i) => {
			n.vi = visible.length;
			visible.push({ n, pos: i + 1, size: list.length });
			if (!collapsed.has(n)) add(n.children);
		});
		add(roots);
		tree.style.height = `${visible.length * ROW_H}px`;
		if (selected && !shown(selected)) {
			// Folded away: the selection moves to the visible ancestor.
			let p = nodes.get(selected.span.parent_span_id);
			while (p && !shown(p)) p = nodes.get(p.span.parent_span_id);
			selected = p || visible[0]?.n || null;
		}
		redraw();
	}

	// Every row drawn again (what it says changed: folds, marks), keeping the focus.
	function redraw() {
		const hadFocus = tree.contains(document.activeElement);
		for (const row of drawn.values()) row.remove();
		drawn.clear();
		draw();
		if (hadFocus && selected) drawn.get(selected)?.focus({ preventScroll: true });
	}

	// The indexes of the rows on screen, and OVERSCAN more either side. One layout read (the
	// tree's place); detached, the first screenful.
	function windowed() {
		const top = tree.isConnected ? tree.getBoundingClientRect().top : 0;
		const height = window.innerHeight || document.documentElement.clientHeight || 1000;
		const a = Math.max(0, Math.floor(-top / ROW_H) - OVERSCAN);
		const b = Math.min(visible.length - 1, Math.ceil((height - top) / ROW_H) + OVERSCAN);
		return [a, b];
	}

	// Puts in the page the rows of the window and the selected one (it may hold the focus),
	// in order, and takes out the others.
	function draw() {
		const [a, b] = windowed();
		const want = [];
		for (let i = a; i <= b; i++) want.push(visible[i].n);
		if (shown(selected) && (selected.vi < a || selected.vi > b)) {
			want.push(selected);
			want.sort((x, y) => x.vi - y.vi);
		}
		const keep = new Set(want);
		for (const [n, row] of drawn) {
			if (!keep.has(n)) {
				row.remove();
				drawn.delete(n);
			}
		}
		let prev = null;
		for (const n of want) {
			let row = drawn.get(n);
			if (!row) {
				row = rowOf(n, n.vi);
				drawn.set(n, row);
				if (prev) prev.after(row);
				else tree.prepend(row);
			}
			prev = row;
		}
		if (!selected) drawn.get(visible[0]?.n)?.setAttribute('tabindex', '0');
	}

	function mark(n, on) {
		const row = drawn.get(n);
		if (!row) return;
		row.setAttribute('aria-selected', String(on));
		row.tabIndex = on ? 0 : -1;
		row.classList.toggle('selected', on);
	}

	function select(n, { focus = false, notify = true } = {}) {
		if (!n) return;
		const prev = selected;
		const changed = prev !== n;
		selected = n;
		if (changed && prev) mark(prev, false);
		if (!drawn.has(n)) draw();
		mark(n, true);
		const row = drawn.get(n);
		if (focus) row?.focus({ preventScroll: true });
		row?.scrollIntoView({ block: 'nearest' });
		draw(); // the window where the page now is
		if (changed && notify) onSelect?.(n.span);
	}

	function toggle(n, open) {
		if (!n.children.length) return;
		const wasOpen = !collapsed.has(n);
		const want = open === undefined ? !wasOpen : open;
		if (want === wasOpen) return;
		if (want) collapsed.delete(n);
		else collapsed.add(n);
		layout();
	}

	function move(delta) {
		const i = shown(selected) ? selected.vi : -1;
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
			collapsed.clear();
			layout();
			break;
		default: return;
		}
		e.preventDefault();
	});

	// Scrolling and resizing move the window; so does the page above growing or shrinking (the
	// judgements under the header opening), which changes the body's size.
	const onScroll = () => {
		if (tree.isConnected) draw();
	};
	window.addEventListener('scroll', onScroll, { passive: true });
	window.addEventListener('resize', onScroll, { passive: true });
	const resized = typeof ResizeObserver === 'function' ? new ResizeObserver(onScroll) : null;
	resized?.observe(document.body);

	layout();
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
			if (refold) layout();
			select(n, opts);
			return true;
		},
		move,
		// Marks the spans judged: marks maps a span id to {n, text} ("2 scores, 1 note").
		setJudged(marks) {
			if (!marks.size && !judged.size) return;
			judged.clear();
			for (const [id, m] of marks) judged.set(id, m);
			redraw();
		},
		focus() {
			const n = selected || visible[0]?.n;
			if (!n) return;
			if (!drawn.has(n)) draw();
			drawn.get(n)?.focus({ preventScroll: true });
		},
		get selectedId() {
			return selected?.span.span_id ?? null;
		},
		first: () => visible[0]?.n.span.span_id ?? null,
		// Stops following the page's scrolling (the view is gone).
		destroy() {
			window.removeEventListener('scroll', onScroll);
			window.removeEventListener('resize', onScroll);
			resized?.disconnect();
		},
	};
}

// An id attribute from a span id (any string).
const cssId = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
