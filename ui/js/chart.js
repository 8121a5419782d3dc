// chart: small hand-written SVG charts for the overview (bars over time buckets), each with a
// text summary for screen readers and a <title> per bar for pointer users.
import { h } from './dom.js';

const W = 560; // viewBox units; the SVG scales to its box
const H = 170;
const PAD = { l: 46, r: 8, t: 10, b: 24 };

// The room an axis label takes: a character of the 10.5px axis text is at most this many
// viewBox units wide (digits and '$' in the sans-serif fonts Chromium picks are about 5.8).
const CH = 6.4;

// The left edge of the plot: room for the widest value label ('$0.000412', '100%') beside it.
function leftOf(labels) {
	return Math.max(PAD.l, 10 + CH * Math.max(0, ...labels.map((t) => String(t).length)));
}

// A time label's centre, moved in so that the whole label stays inside the chart.
function labelX(x, label) {
	const half = (CH * String(label).length) / 2;
	return Math.min(Math.max(x, half), W - half);
}

// Round maximum for the axis: 1, 2, 2.5 or 5 times a power of ten.
function niceMax(v) {
	if (!(v > 0)) return 1;
	const p = 10 ** Math.floor(Math.log10(v));
	for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
	return 10 * p;
}

// buckets: [{label (x axis), title (full time), value (number or null when unknown),
// estimated (bool)}]; fmt formats values; cls picks the colour.
export function barChart({ title, buckets, fmt, axis = fmt, cls = 'series-a', summary }) {
	const vals = buckets.map((b) => b.value ?? 0);
	const max = niceMax(Math.max(0, ...vals));
	const ticks = [0, 0.5, 1].map((f) => axis(max * f));
	const l = leftOf(ticks);
	const iw = W - l - PAD.r;
	const ih = H - PAD.t - PAD.b;
	const bw = iw / Math.max(1, buckets.length);
	const gap = Math.min(4, bw * 0.2);
	const y = (v) => PAD.t + ih - (v / max) * ih;
	const svg = h('svg.chart-svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. ${summary || ''}`, preserveAspectRatio: 'xMidYMid meet' });
	[0, 0.5, 1].forEach((f, i) => {
		const yy = y(max * f);
		svg.append(h('line.grid', { x1: l, x2: W - PAD.r, y1: yy, y2: yy }));
		svg.append(h('text.axis', { x: l - 6, y: yy + 3.5, 'text-anchor': 'end' }, ticks[i]));
	});
	buckets.forEach((b, i) => {
		const x = l + i * bw + gap / 2;
		if (b.value !== null && b.value !== undefined) {
			const top = y(b.value);
			const bar = h(`rect.bar.${cls}${b.estimated ? '.estimated' : ''}`, {
				x, y: top, width: Math.max(1, bw - gap), height: Math.max(b.value > 0 ? 1 : 0, PAD.t + ih - top), rx: 1.5,
			});
			bar.append(h('title', `${b.title}: ${fmt(b.value)}${b.estimated ? ' (estimated from a sample)' : ''}`));
			svg.append(bar);
		}
		if (b.label) svg.append(h('text.axis', { x: labelX(x + (bw - gap) / 2, b.label), y: H - 6, 'text-anchor': 'middle' }, b.label));
	});
	svg.append(h('line.baseline', { x1: l, x2: W - PAD.r, y1: PAD.t + ih, y2: PAD.t + ih }));
	return svg;
}

// A line over buckets for a ratio 0..1 (error rate); null values break the line.
export function rateChart({ title, buckets, fmt, axis = fmt, summary }) {
	const vals = buckets.map((b) => b.value).filter((v) => v !== null && v !== undefined);
	const max = niceMax(Math.max(0.01, ...vals));
	const ticks = [0, 0.5, 1].map((f) => axis(max * f));
	const l = leftOf(ticks);
	const iw = W - l - PAD.r;
	const ih = H - PAD.t - PAD.b;
	const bw = iw / Math.max(1, buckets.length);
	const y = (v) => PAD.t + ih - (v / max) * ih;
	const svg = h('svg.chart-svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}. ${summary || ''}`, preserveAspectRatio: 'xMidYMid meet' });
	[0, 0.5, 1].forEach((f, i) => {
		const yy = y(max * f);
		svg.append(h('line.grid', { x1: l, x2: W - PAD.r, y1: yy, y2: yy }));
		svg.append(h('text.axis', { x: l - 6, y: yy + 3.5, 'text-anchor': 'end' }, ticks[i]));
	});
	const lines = h('g');
	svg.append(lines);
	let seg = [];
	const flush = () => {
		if (seg.length > 1) lines.append(h('polyline.rate-line', { points: seg.join(' ') }));
		seg = [];
	};
	buckets.forEach((b, i) => {
		const cx = l + i * bw + bw / 2;
		if (b.value === null || b.value === undefined) {
			flush();
		} else {
			seg.push(`${cx},${y(b.value)}`);
			const dot = h(`circle.rate-dot${b.value > 0 ? '.hot' : ''}`, { cx, cy: y(b.value), r: 2.6 });
			dot.append(h('title', `${b.title}: ${fmt(b.value)}${b.detail ? ` (${b.detail})` : ''}`));
			svg.append(dot);
		}
		if (b.label) svg.append(h('text.axis', { x: labelX(cx, b.label), y: H - 6, 'text-anchor': 'middle' }, b.label));
	});
	flush();
	svg.append(h('line.baseline', { x1: l, x2: W - PAD.r, y1: PAD.t + ih, y2: PAD.t + ih }));
	return svg;
}
