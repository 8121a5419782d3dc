// overview: spans, tokens, cost and error rate over time for a workspace, and its slowest and
// most expensive traces. The API has no metrics endpoint and sorts only by start time, so per
// time bucket it asks three page-sized questions: how many spans started (total_results of a
// one-row GET spans), how many of them failed (the same with status=error), and a page of the
// traces that started (GET traces mode=detailed) whose rollups give tokens and cost. Counts are
// exact; tokens, cost and the trace tables are exact when a bucket's traces fit in its page,
// else estimated from that page and marked so.
import { h, clear, fmtInt, fmtCompact, fmtCost, fmtCostAxis, fmtDuration, fmtPercent, fmtDateTime, statusPill, limiter, markShown } from '../dom.js';
import { api } from '../api.js';
import { href } from '../route.js';
import { barChart, rateChart } from '../chart.js';
import { errorBox, loading, empty, heading, isAbort } from './common.js';
import { tokensOf } from './traces.js';

const HOUR = 3.6e6;
const OVERVIEW_RANGES = {
	'24h': { label: 'Last 24 hours', size: HOUR, n: 24, bucket: 'hour' },
	'7d': { label: 'Last 7 days', size: 6 * HOUR, n: 28, bucket: '6 hours' },
	'30d': { label: 'Last 30 days', size: 24 * HOUR, n: 30, bucket: 'day' },
};
const SAMPLE_BUDGET = 3000; // traces read per overview, spread over the buckets

// The end of the bucket holding time t, aligned to local hours (days start at local midnight).
function bucketEnd(t, size) {
	const d = new Date(t);
	d.setMinutes(0, 0, 0);
	if (size >= 24 * HOUR) d.setHours(0);
	else if (size > HOUR) d.setHours(Math.floor(d.getHours() / (size / HOUR)) * (size / HOUR));
	return d.getTime() + size;
}

const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// The x-axis label of a bucket, or '' for none: hours every 4 h over a day, days at midnight
// over a week, every 5th day over a month.
function bucketLabel(t, size, i) {
	const d = new Date(t);
	const day = `${MONTHS[d.getMonth()]} ${d.getDate()}`;
	if (size >= 24 * HOUR) return i % 5 === 0 ? day : '';
	if (size > HOUR) return d.getHours() < size / HOUR ? day : '';
	return d.getHours() % 4 === 0 ? `${pad(d.getHours())}:00` : '';
}

// Inclusive upper bound for started_at: the last microsecond before `end`.
const lte = (end) => new Date(end - 1).toISOString().replace('Z', '999Z');

export function mount(root, route, ctx) {
	const ws = route.ws;
	const rangeKey = OVERVIEW_RANGES[route.params.get('range')] ? route.params.get('range') : '7d';
	const R = OVERVIEW_RANGES[rangeKey];
	const q = limiter(4);
	ctx.setTitle(`Overview · ${ws}`);

	const select = h('select#f-orange', Object.entries(OVERVIEW_RANGES).map(([k, v]) => h('option', { value: k, selected: k === rangeKey }, v.label)));
	select.addEventListener('change', () => { location.hash = href(ws, 'overview', null, { range: select.value }); });
	const note = h('p.muted.small');
	const body = h('div.overview-body', loading('Reading the workspace…'));
	root.append(heading('Overview', h('div.head-actions', h('div.field.field-inline', h('label', { for: 'f-orange' }, 'Window'), select))), note, body);

	(async () => {
		const sig = { signal: ctx.signal };
		let latest;
		try {
			latest = await api.traces(ws, { page_size: 1, sort: '-started_at', mode: 'summary' }, sig);
		} catch (e) {
			if (!isAbort(e)) clear(body).append(errorBox(e, { askKey: ctx.askKey, retry: () => location.reload(), what: 'Overview' }));
			return;
		}
		if (!latest.data.length) {
			clear(body).append(empty(`No traces in workspace “${ws}” yet.`));
			return;
		}
		const last = new Date(latest.data[0].started_at).getTime();
		const end = bucketEnd(last, R.size);
		const start = end - R.n * R.size;
		note.textContent = `${R.label} of data, up to the latest trace (${fmtDateTime(latest.data[0].started_at)}), one bar per ${R.bucket}, local time.`;
		const sample = Math.min(1000, Math.max(50, Math.ceil(SAMPLE_BUDGET / R.n)));
		const buckets = Array.from({ length: R.n }, (_, i) => ({ t0: start + i * R.size, t1: start + (i + 1) * R.size }));
		let results;
		try {
			results = await Promise.all(buckets.map((b) => {
				const win = { $gte: new Date(b.t0).toISOString(), $lte: lte(b.t1) };
				return Promise.all([
					q(() => api.spans(ws, { page_size: 1, mode: 'summary', filter: { started_at: win } }, sig)),
					q(() => api.spans(ws, { page_size: 1, mode: 'summary', filter: { started_at: win, status: 'error' } }, sig)),
					q(() => api.traces(ws, { page_size: sample, mode: 'detailed', filter: { started_at: win } }, sig)),
				]);
			}));
		} catch (e) {
			if (!isAbort(e)) clear(body).append(errorBox(e, { askKey: ctx.askKey, retry: () => location.reload(), what: 'Overview' }));
			return;
		}
		render(buckets, results, sample);
		markShown('overview');
	})();

	function render(buckets, results, sample) {
		const all = [];
		let spans = 0;
		let errors = 0;
		let traces = 0;
		let tokens = 0;
		let cost = 0;
		let estimated = false;
		const rows = buckets.map((b, i) => {
			const [sp, er, tr] = results[i];
			const n = sp.pagination?.total_results ?? 0;
			const e = er.pagination?.total_results ?? 0;
			const tTotal = tr.pagination?.total_results ?? tr.data.length;
			const got = tr.data.length;
			const scale = got ? tTotal / got : 0;
			const tok = tr.data.reduce((a, t) => a + (tokensOf(t) ?? 0), 0) * scale;
			const usd = tr.data.reduce((a, t) => a + (t.cost_usd ?? 0), 0) * scale;
			const est = tTotal > got;
			estimated ||= est;
			spans += n;
			errors += e;
			traces += tTotal;
			tokens += tok;
			cost += usd;
			all.push(...tr.data);
			const title = `${fmtDateTime(new Date(b.t0).toISOString(), { seconds: false })} – ${fmtDateTime(new Date(b.t1).toISOString(), { seconds: false })}`;
			return { ...b, n, e, tTotal, tok, usd, est, title, label: bucketLabel(b.t0, R.size, i) };
		});
		const durs = all.map((t) => t.duration_ms).filter((d) => d !== undefined).sort((a, b) => a - b);
		const pct = (p) => (durs.length ? durs[Math.min(durs.length - 1, Math.floor(p * durs.length))] : undefined);
		const approx = estimated ? '≈ ' : '';
		const kpi = (label, value, sub) => h('div.kpi', h('div.kpi-label', label), h('div.kpi-value', value), sub ? h('div.kpi-sub', sub) : null);
		clear(body);
		if (!traces && !spans) {
			body.append(empty('Nothing started in this window.'));
			return;
		}
		body.append(h('section.kpis', { 'aria-label': 'Totals for the window' },
			kpi('Traces', fmtInt(traces)),
			kpi('Spans', fmtInt(spans)),
			kpi('Error rate', fmtPercent(spans ? errors / spans : 0), `${fmtInt(errors)} failed spans`),
			kpi('Tokens', approx + fmtCompact(Math.round(tokens))),
			kpi('Cost', approx + fmtCost(cost)),
			kpi('Latency p50', durs.length ? fmtDuration(pct(0.5)) : '—', `${fmtInt(durs.length)} ${estimated ? 'sampled ' : ''}traces`),
			kpi('Latency p95', durs.length ? fmtDuration(pct(0.95)) : '—')));
		if (estimated) {
			body.append(h('p.notice', `Some buckets hold more than ${fmtInt(sample)} traces: their tokens and cost are estimated from the ${fmtInt(sample)} newest (marked lighter), and the tables below rank those. Span counts and error rates are exact.`));
		}
		const maxOf = (k) => rows.reduce((a, r) => (r[k] > a[k] ? r : a), rows[0]);
		const chart = (title, cls, key, fmt, est, axis = fmt) => {
			const top = maxOf(key);
			return h('figure.chart', h('figcaption', title),
				barChart({ title, cls, fmt, axis, buckets: rows.map((r) => ({ label: r.label, title: r.title, value: r[key], estimated: est && r.est })),
					summary: `Highest ${fmt(top[key])} in ${top.title}.` }));
		};
		const rate = rows.map((r) => ({ label: r.label, title: r.title, value: r.n ? r.e / r.n : null, detail: `${fmtInt(r.e)} of ${fmtInt(r.n)} spans` }));
		const worst = rate.reduce((a, r) => ((r.value ?? -1) > (a.value ?? -1) ? r : a), rate[0]);
		body.append(h('div.charts',
			chart('Spans', 'series-a', 'n', (v) => fmtCompact(Math.round(v)), false),
			chart('Tokens', 'series-b', 'tok', (v) => fmtCompact(Math.round(v)), true),
			chart('Cost (USD)', 'series-c', 'usd', fmtCost, true, fmtCostAxis),
			h('figure.chart', h('figcaption', 'Error rate (spans with status error)'),
				rateChart({ title: 'Error rate', buckets: rate, fmt: fmtPercent, axis: (x) => `${Number((x * 100).toPrecision(3))}%`, summary: worst.value !== null ? `Highest ${fmtPercent(worst.value)} in ${worst.title}.` : 'No spans.' }))));
		const top = (title, key, fmt, cap) => {
			const list = all.filter((t) => t[key] !== undefined).sort((a, b) => b[key] - a[key]).slice(0, 8);
			return h('section.top-table', { 'aria-labelledby': `top-${key}` },
				h('h2.section-title', { id: `top-${key}` }, title),
				list.length ? h('div.table-wrap', h('table.data.compact',
					h('caption.sr-only', cap),
					h('thead', h('tr', h('th', { scope: 'col' }, 'Trace'), h('th', { scope: 'col' }, 'Started'), h('th.num', { scope: 'col' }, key === 'duration_ms' ? 'Duration' : 'Cost'), h('th', { scope: 'col' }, 'Status'))),
					h('tbody', list.map((t) => h('tr',
						h('td', h('a.row-link', { href: href(ws, 'traces', t.id) }, t.name || '(unnamed)')),
						h('td', fmtDateTime(t.started_at)),
						h('td.num', fmt(t[key])),
						h('td', statusPill(t.status))))))) : h('p.muted', 'No trace in this window has this figure.'));
		};
		body.append(h('div.tops',
			top('Slowest traces', 'duration_ms', fmtDuration, 'The slowest traces of the window'),
			top('Most expensive traces', 'cost_usd', fmtCost, 'The most expensive traces of the window')));
	}

	return { update: () => false };
}
