/* spans: spans as rows (query_span_rows), by start, duration or tokens, paged or after a
 * cursor span; and one span by id (query_span_get). */
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog_value.h"
#include "lib/model/workspace.h"

/* ---- one span by id ---- */

bool query_span_get(struct store *st, const char *ws, struct arena *a, const char *id,
		    struct span *s, json_t **root)
{
	struct buf *line = arena_buf(a);

	return store_get(st, ws, id, line) == ST_OK && span_parse(line->p, line->len, s, root);
}

/* ---- GET spans ---- */

struct span_ctx {
	bool asc;
	bool ids; /* ties by trace_id, then span_id (q->ties_by_ids) */
	struct scan *db;
	query_span_fn visit; /* query_span_visit: called for every match, nothing kept */
	void *visit_ctx;
};

/* The first 8 bytes of an id, big-endian, zero-padded: bytewise order of the prefixes. */
static uint64_t id_prefix(const char *v, size_t n)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 8; i++)
		x = x << 8 | (i < n ? (unsigned char)v[i] : 0);
	return x;
}

/* Fills the id prefixes of cd from its line p[0..n). */
static void cand_ids(struct cand *cd, const char *p, size_t n)
{
	const char *v;
	size_t vn;
	cd->tp = jline_get2(p, n, "trace_id", NULL, &v, &vn) ? id_prefix(v, vn) : 0;
	cd->sp = jline_get2(p, n, "span_id", NULL, &v, &vn) ? id_prefix(v, vn) : 0;
}

/* Bytewise order of the whole id `field` of x and y, whose prefixes are equal: read from the
 * lines (copied, as a sealed block may be dropped by the next read). Equal 64-bit hashes of
 * the ids are taken for equal ids. */
static int id_cmp_lines(struct scan *db, const struct cand *x, const struct cand *y, bool trace)
{
	struct scan_day *sx = db_shard(db, x->a), *sy = db_shard(db, y->a);
	if (!sx || !sy)
		return 0;
	const struct idx_rec *rx = &sx->sh.recs[x->b], *ry = &sy->sh.recs[y->b];
	if (trace ? rx->trace_h == ry->trace_h : rx->span_h == ry->span_h)
		return 0;
	const char *field = trace ? "trace_id" : "span_id", *p, *v;
	char bx[SPAN_MAX_ID + 8];
	size_t n, vn, xn = 0;
	if (db_line(sx, x->b, &p, &n) && jline_get2(p, n, field, NULL, &v, &vn)) {
		xn = vn < sizeof bx ? vn : sizeof bx;
		memcpy(bx, v, xn);
	}
	if (!db_line(sy, y->b, &p, &n) || !jline_get2(p, n, field, NULL, &v, &vn))
		vn = 0;
	int d = memcmp(bx, v, xn < vn ? xn : vn);
	return d ? d : (xn > vn) - (xn < vn);
}

static int span_tie(void *ctx, const struct cand *x, const struct cand *y)
{
	const struct span_ctx *c = ctx;
	/* otel-egp.md §4.5: trace_id, then id, bytewise, in the sort's direction; the ids'
	 * prefixes when cand_ids took them, else (both 0: q->ties_lazy) the ids from the lines */
	if (c->ids) {
		int d = x->tp != y->tp ? (x->tp < y->tp ? -1 : 1) : id_cmp_lines(c->db, x, y, true);
		if (!d)
			d = x->sp != y->sp ? (x->sp < y->sp ? -1 : 1)
					   : id_cmp_lines(c->db, x, y, false);
		if (d)
			return (d < 0) == c->asc ? -1 : 1;
	}
	if (x->a != y->a) /* ties: storage order, which is ingest order within a day */
		return x->a < y->a ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

/* The value a span listing orders by (q->order): absent tokens and open spans count 0. */
static inline int64_t sort_key(const struct query *q, const struct idx_rec *r)
{
	switch (q->order) {
	case QO_DURATION:
		return r->ended_us == SPAN_NONE_I64 ? 0 : r->ended_us - r->started_us;
	case QO_END:
		return r->ended_us == SPAN_NONE_I64 ? 0 : r->ended_us;
	case QO_COST: /* in micro-USD, as the costs are kept (CATALOG_COST_DECIMALS) */
		return (r->flags & REC_HAS_COST_TOTAL)
			   ? llround(r->cost_total * CATALOG_COST_DECIMALS)
			   : 0;
	case QO_INPUT_TOKENS:
		return (r->flags & REC_HAS_IN_TOK) ? r->in_tok : 0;
	case QO_OUTPUT_TOKENS:
		return (r->flags & REC_HAS_OUT_TOK) ? r->out_tok : 0;
	case QO_KEYS:
		return keys_order(q, q->order_keys && q->order_keys->by == QK_TRACE ? r->trace_h
										    : r->span_h);
	default:
		return r->started_us;
	}
}

/* Finds the live record of span id within the filtered set: its sort candidate. */
static bool find_cursor(struct query *q, struct scan *db, const struct rec_filter *c, size_t lo,
			size_t hi, const char *id, struct cand *out)
{
	uint64_t h = hash_bytes(id, strlen(id));
	const char *lit_id = cond_lit(q->a, SFT_STR, id);
	for (size_t di = lo; di < hi && !db->b.over; di++) {
		struct scan_day *sh = db_shard(db, di);
		for (size_t i = 0; sh && i < sh->sh.nrecs && db_rec(db); i++) {
			const struct idx_rec *r = &sh->sh.recs[i];
			const char *p, *v;
			size_t n, vn;
			if (r->span_h != h || !shard_live(&sh->sh, i) || !rec_ok(c, r) ||
			    !line_ok(c, sh, i) || !extra_ok(db, sh, i) || !db_line(sh, i, &p, &n) ||
			    !jline_get2(p, n, "span_id", NULL, &v, &vn) || vn != strlen(lit_id) ||
			    memcmp(v, lit_id, vn) != 0)
				continue;
			*out = (struct cand){sort_key(q, r), (uint32_t)di, (uint32_t)i, 0, 0};
			if (q->ties_by_ids && !q->ties_lazy)
				cand_ids(out, p, n);
			return true;
		}
	}
	return false;
}

#define DAY_US 86400000000LL

/* Hands the span of record i to the visit of sc, its line as read (not copied). */
static void visit_row(struct scan_day *sh, size_t i, const struct span_ctx *sc)
{
	struct query_row row;
	if (!db_row(sh, i, &row.line, &row.len))
		return;
	row.started_us = sh->sh.recs[i].started_us;
	sc->visit(sc->visit_ctx, &row);
}

/* For a day the window holds whole, the records of s whose count tq the day's indexes give,
 * from the first (store_index_count); that count added to *total. */
static size_t day_counted(struct scan_day *s, const struct store_dayindex_q *tq, size_t *total)
{
	uint64_t n;
	size_t covered = store_index_count(&s->ix, tq, &n);
	*total += n;
	return covered;
}

/* What span_select takes a span with: the query, its filter, the page kept so far and the
 * total, and the day's records counted from its indexes ([0, covered)). */
struct span_take {
	struct query *q;
	struct scan *db;
	struct rec_filter *c;
	struct span_ctx *sc;
	const struct cand *cursor;
	struct topk *tk;
	size_t *total;
	size_t covered;
};

/* Record i of day di (sh), named by a visit: the filter's checks, then the count (past the
 * counted records), then the span's visit or its place among the kept rows (with a cursor, only
 * one strictly beyond it in sc's order). */
static inline __attribute__((always_inline)) void
span_take(const struct span_take *t, struct scan_day *sh, size_t di, size_t i)
{
	struct query *q = t->q;
	const struct cand *cursor = t->cursor;
	const struct idx_rec *r = &sh->sh.recs[i];
	if (!shard_live(&sh->sh, i) || !rec_ok(t->c, r) || !line_ok(t->c, sh, i) ||
	    !extra_ok(t->db, sh, i))
		return;
	if (i >= t->covered)
		(*t->total)++;
	if (t->sc->visit) {
		visit_row(sh, i, t->sc);
		return;
	}
	int64_t key = sort_key(q, r);
	struct cand cd = {key, (uint32_t)di, (uint32_t)i, 0, 0};
	if (cursor && key != cursor->key && (key < cursor->key) == t->sc->asc)
		return; /* at or before the cursor by the key alone */
	if (topk_past(t->tk, key))
		return;
	const char *p;
	size_t n;
	if (t->sc->ids && !q->ties_lazy && db_line(sh, i, &p, &n))
		cand_ids(&cd, p, n);
	if (cursor && topk_cmp(t->tk, cursor, &cd) >= 0)
		return;
	topk_push(t->tk, cd);
}

/* The records of list[0..n) (by start) in the page's order, each taken (span_take); with stop
 * (every record of the day counted, or no total), only until one starts past every kept row of
 * a full page: those after it start later still (earlier, descending). */
static void span_walk1(const struct span_take *t, struct scan_day *sh, size_t di,
		       const uint32_t *list, size_t n, bool stop)
{
	bool asc = t->sc->asc;
	for (size_t j = 0; j < n && db_rec(t->db); j++) {
		size_t i = list[asc ? j : n - 1 - j];
		if (j + QUERY_PREFETCH < n)
			__builtin_prefetch(&sh->sh.recs[list[asc ? j + QUERY_PREFETCH
								 : n - 1 - j - QUERY_PREFETCH]]);
		if (i >= sh->sh.nrecs) /* checked, not trusted */
			continue;
		if (stop && topk_past(t->tk, sh->sh.recs[i].started_us))
			break;
		span_take(t, sh, di, i);
	}
}

/* The records of o's lists, each walked as span_walk1 does: a list is stopped at the first
 * record that cannot make the page, whatever the other holds. The tail's (the newest records)
 * first for -started_at, so the page fills with winners early. */
static void span_walk(const struct span_take *t, struct scan_day *sh, size_t di,
		      const struct ordered *o, bool stop)
{
	for (int j = 0; j < 2; j++) {
		int h = t->sc->asc ? j : 1 - j;
		span_walk1(t, sh, di, o->list[h], o->n[h], stop);
	}
}

/* The records of day index di for a page by start time, block by block (shard_blocks), newest
 * first for -started_at: a block none of whose records is in the filter's window is not read;
 * one whose records the total needs none of (those before skip: counted, or with no total every
 * one) is read only while a record of it can still make the page (its bounds against the worst
 * kept row). So a page of a day of a million records reads the few blocks that hold its rows,
 * and a window of an hour the blocks of that hour, not every record (the records' order is
 * the ingest order, which follows the start times). Each record read is taken (span_take). */
static void span_blocks(const struct span_take *t, struct scan_day *sh, size_t di, size_t skip)
{
	const struct rec_filter *c = t->c;
	const struct shard_block *b;
	size_t nb = shard_blocks(&sh->sh, &b), n = sh->sh.nrecs;
	for (size_t step = 0; step <= nb && !t->db->b.over; step++) {
		/* Block nb is the records past the whole blocks, read always. */
		size_t j = t->sc->asc ? step : nb - step;
		size_t lo = j * SHARD_BLOCK, hi = j == nb ? n : lo + SHARD_BLOCK;
		if (j < nb && (b[j].hi < c->smin || b[j].lo > c->smax))
			continue;
		if (j < nb && topk_past(t->tk, t->sc->asc ? b[j].lo : b[j].hi))
			lo = lo > skip ? lo : skip; /* only those the total needs */
		for (size_t i = lo; i < hi && db_rec(t->db); i++)
			span_take(t, sh, di, i);
	}
}

/* Where span_select starts: on a cache line, so that its loop over the records (most of a page
 * query's time: span_select, rec_ok and sort_key inlined) sits where it sits whatever is added
 * above it in this file. Unaligned, a helper of 10 lines added before it (day_counted, issue 53)
 * moved the loop and made spans page 1 3% slower with no more instructions (cachegrind: 437.3M
 * against 440.0M for 300 queries); aligned, as fast as before (BENCHMARKS-HISTORY.md, "The
 * spans page's 3%"). */
#define SPANS_HOT_ALIGN 64

/* Selects the spans of q into tk (keep of them, best first by sc) and counts them all into
 * *total (unless q->no_total). With a cursor, only candidates strictly beyond it in sc's order are
 * kept (not counted differently: total is the whole filtered set). */
__attribute__((aligned(SPANS_HOT_ALIGN))) static void
span_select(struct query *q, struct scan *db, struct rec_filter *c, size_t lo, size_t hi,
	    struct span_ctx *sc, const struct cand *cursor, struct topk *tk, size_t *total)
{
	/* Totals from the days' counts: ordered by start with no cursor, a day the window
	 * holds whole is counted by its indexes (day_counted), and
	 * its records are visited only while they can still make the page. */
	struct store_dayindex_q tq;
	bool by_start = !sc->visit && q->order == QO_START;
	bool plain = by_start && narrow_countable(q->a, q, c, &tq);
	bool countable = plain && !cursor && !q->no_total;
	struct span_take t = {q, db, c, sc, cursor, tk, total, 0};
	for (size_t step = 0; step < hi - lo && !c->nothing && !db->b.over; step++) {
		/* Newest days first for -started_at, so the heap fills with winners early. */
		size_t di = sc->asc ? lo + step : hi - 1 - step;
		struct scan_day *sh = db_shard(db, di);
		if (!sh)
			continue;
		int64_t day_lo = (int64_t)db->days[di] * DAY_US, day_hi = day_lo + DAY_US - 1;
		bool whole = c->smin <= day_lo && c->smax >= day_hi;
		size_t covered = countable && whole ? day_counted(sh, &tq, total) : 0;
		/* The records the total needs none of, which a plain filter may take block by
		 * block: those counted, or with no total every one. */
		size_t skip = plain && q->no_total ? sh->sh.nrecs : covered;
		/* One trace or session: the records the day's key map names. Else a sealed
		 * shard's start-time order narrows a time window to its records; the late ones
		 * (after the sealed) are scanned as in an open shard. A counted day no row of
		 * which can beat the page's worst kept row: only the records past the counts. A
		 * plain filter the day's lists do not answer, on a day of records the total needs
		 * none of or a window that cuts the day (an open one): its blocks (span_blocks). */
		struct visit v;
		const uint32_t *order = NULL;
		size_t olo, ohi;
		struct ordered o;
		/* By start, with every record of the day counted (or no total): the records of the
		 * value the day's lists name for the filter, from the best, only while they can
		 * still make the page. */
		bool stop = covered == sh->sh.nrecs || q->no_total;
		t.covered = covered;
		bool blocks = false;
		if (skip && (!tk->k || (tk->n == tk->k && (sc->asc ? day_lo > tk->h[0].key
								   : day_hi < tk->h[0].key)))) {
			v = (struct visit){NULL, NULL, 0, skip};
		} else if (by_start && narrow_ordered(sh, c, !stop, &o)) {
			span_walk(&t, sh, di, &o, stop);
			v = o.rest;
		} else if (plain && (skip || (!whole && !sh->sh.nsealed))) {
			v = (struct visit){NULL, NULL, 0, sh->sh.nrecs};
			blocks = true;
		} else {
			narrow_visit(sh, c, &v);
			if (!v.list &&
			    shard_by_start(&sh->sh, c->smin, c->smax, &order, &olo, &ohi) &&
			    ohi - olo < sh->sh.nsealed)
				v = (struct visit){order + olo, NULL, ohi - olo, sh->sh.nsealed};
		}
		for (size_t k = 0; k < visit_len(&v, sh) && db_rec(db); k++) {
			size_t i = visit_at(&v, k);
			/* A list read from a file (a sealed day's order, an index's map) names
			 * records of this day only: checked, not trusted (issue 55). */
			if (i >= sh->sh.nrecs)
				continue;
			__builtin_prefetch(visit_ahead(&v, sh, k));
			span_take(&t, sh, di, i);
		}
		free(v.own);
		if (blocks)
			span_blocks(&t, sh, di, skip);
		/* Without a total, the days beyond stop mattering once the kept rows all start
		 * before (after, ascending) every span of the next day: a day holds the spans that
		 * start on it. */
		if (q->no_total && q->order == QO_START && tk->k && tk->n == tk->k &&
		    step + 1 < hi - lo) {
			int64_t next = (int64_t)db->days[sc->asc ? di + 1 : di - 1] * DAY_US;
			if (sc->asc ? next > tk->h[0].key : next + DAY_US - 1 < tk->h[0].key)
				break;
		}
	}
	topk_finish(tk);
}

static enum status span_rows(struct query *q, void *arg)
{
	struct query_rows *out = arg;
	struct scan db;
	struct rec_filter c;
	struct topk tk = {0};
	bool asc = sort_asc(q);
	const char *cursor_id = q->after_id ? q->after_id : q->before_id;
	/* Rows before a cursor are the nearest ones in the opposite order, turned back. */
	struct span_ctx sc = {q->before_id ? !asc : asc, q->ties_by_ids, &db, NULL, NULL};
	struct cand cursor;
	memset(out, 0, sizeof *out);
	if (q->after_id && q->before_id) {
		err_set(&q->err, ST_BAD_REQUEST, "Give one cursor, not both.");
		return ST_BAD_REQUEST;
	}
	enum status s = page_check(q);
	if (s != ST_OK)
		return s;
	/* The compiled filter, then the days it can match; lo == hi when none. */
	plan_query(q, &c);
	c.roots = q->roots_only;
	if ((s = db_open(q, &db, &c)) != ST_OK)
		return s;
	size_t lo, hi, avail = 0, offset;
	plan_window(&db, &c, &lo, &hi);
	/* The cursor is looked up in every day the filter allows, so a window that moved does
	 * not lose it. */
	if (cursor_id && !find_cursor(q, &db, &c, lo, hi, cursor_id, &cursor)) {
		db_close(&db);
		if (db.b.over)
			return db_over(&db);
		err_set(&q->err, ST_NOT_FOUND, "Cursor span %.256s not found in this listing.",
			cursor_id);
		return ST_NOT_FOUND;
	}
	for (size_t di = lo; di < hi; di++) {
		struct scan_day *sh = db_shard(&db, di);
		avail += sh ? sh->sh.nrecs : 0;
	}
	topk_init(&tk, page_keep(q, avail, true, &offset), sc.asc, span_tie, &sc);
	span_select(q, &db, &c, lo, hi, &sc, cursor_id ? &cursor : NULL, &tk, &out->total);
	if (db.b.over) {
		free(tk.h);
		db_close(&db);
		return db_over(&db);
	}
	size_t from = offset < tk.n ? offset : tk.n;
	size_t n = tk.n - from, lim = (size_t)(q->page > 0 ? q->page_size : q->limit);
	out->more = n > lim;
	if (out->more)
		n = lim;
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cand *cd = &tk.h[from + i];
		struct scan_day *sh = db_shard(&db, cd->a);
		bytes += sh ? sh->sh.recs[cd->b].len + 1 : 0;
	}
	if (!db_fits(&db, bytes + n * sizeof *out->rows)) {
		free(tk.h);
		db_close(&db);
		return db_over(&db);
	}
	out->rows = arena_alloc(q->a, (n ? n : 1) * sizeof *out->rows);
	for (size_t i = 0; i < n; i++) {
		/* Before a cursor the heap is in the opposite order: the last kept comes first. */
		const struct cand *cd = &tk.h[q->before_id ? from + n - 1 - i : from + i];
		const char *p;
		size_t len;
		struct scan_day *sh = db_shard(&db, cd->a);
		if (!sh || !db_row(sh, cd->b, &p, &len))
			continue;
		struct query_row *r = &out->rows[out->n++];
		r->line = arena_strndup(q->a, p, len);
		r->len = len;
		r->started_us = sh->sh.recs[cd->b].started_us;
	}
	free(tk.h);
	db_close(&db);
	return ST_OK;
}

/* Every span of q in the order of its sort, to sc's visit or (none) only counted: no page is
 * kept. */
static enum status span_all(struct query *q, struct span_ctx *sc, size_t *total)
{
	struct scan db;
	struct rec_filter c;
	struct topk tk = {0};
	size_t lo, hi;
	*total = 0;
	plan_query(q, &c);
	c.roots = q->roots_only;
	enum status s = db_open(q, &db, &c);
	if (s != ST_OK)
		return s;
	sc->db = &db;
	plan_window(&db, &c, &lo, &hi);
	topk_init(&tk, 0, sc->asc, span_tie, sc);
	span_select(q, &db, &c, lo, hi, sc, NULL, &tk, total);
	s = db.b.over ? db_over(&db) : ST_OK;
	db_close(&db);
	return s;
}

/* A visit's run (db_snapshot's): a second one sets fn's state back first. */
static enum status span_visit(struct query *q, void *arg)
{
	struct visit_run *v = arg;
	if (v->runs++)
		q->visit_reset(v->ctx);
	struct span_ctx sc = {sort_asc(q), false, NULL, v->span_fn, v->ctx};
	size_t total;
	return span_all(q, &sc, &total);
}

enum status query_span_visit(struct query *q, query_span_fn fn, void *ctx)
{
	struct visit_run v = {.span_fn = fn, .ctx = ctx};
	return q->visit_reset ? db_snapshot(q, span_visit, &v) : span_visit(q, &v);
}

static enum status span_count(struct query *q, void *n)
{
	struct span_ctx sc = {sort_asc(q), false, NULL, NULL, NULL};
	return span_all(q, &sc, n);
}

enum status query_span_rows(struct query *q, struct query_rows *out)
{
	return db_snapshot(q, span_rows, out);
}

enum status query_span_count(struct query *q, size_t *n)
{
	return db_snapshot(q, span_count, n);
}
