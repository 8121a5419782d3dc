/* traces: one per root span, rolled up over every span of the trace (query_trace_rows,
 * query_trace_find). */
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

struct trace_ctx {
	struct scan *db;
	struct htab *ht;
	bool desc; /* ties by trace id descending (q->ties_by_ids, sorted descending) */
};

/* The trace id literal of (di, ri), cached in *slot: from the day's index, or its line. */
static const char *cached_trace(struct scan *db, uint32_t di, uint32_t ri, const char **slot)
{
	if (*slot)
		return *slot;
	const char *v;
	size_t vn;
	struct scan_day *sh = db_shard(db, di);
	*slot = "\"\"";
	if (sh && db_id(sh, ri, STORE_KEY_TRACE, false, &v, &vn))
		*slot = arena_strndup(db->q->a, v, vn);
	return *slot;
}

static int trace_tie(void *ctx, const struct cand *x, const struct cand *y)
{
	struct trace_ctx *t = ctx;
	struct hslot *hx = &t->ht->s[x->a], *hy = &t->ht->s[y->a];
	if (hx == hy)
		return 0;
	/* §7.2: ties broken by id ascending, in both directions; with q->ties_by_ids in the
	 * sort's direction */
	int d = strcmp(cached_trace(t->db, hx->di, hx->ri, &hx->s1),
		       cached_trace(t->db, hy->di, hy->ri, &hy->s1));
	return t->desc ? -d : d;
}

/* Offers each matching root of a trace (ctx: the roots' table). */
static void root_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	if (r->flags & REC_HAS_TRACE)
		tpage_root_offer(db, ctx, r->started_us, di, i, r->trace_h);
}

/* Offers each matching root of the index's entries e[0..n) of day di (a roots_fn). */
static void root_entries(void *ctx, struct scan *db, const struct rec_filter *c, size_t di,
			 const struct store_dayindex_root *e, size_t n)
{
	for (size_t k = 0; k < n && db_rec(db); k++)
		if ((e[k].flags & REC_HAS_TRACE) && store_flags_live(e[k].flags) &&
		    start_kind_status_ok(c, e[k].started_us, e[k].kind, e[k].status))
			tpage_root_offer(db, ctx, e[k].started_us, di, e[k].rec, e[k].trace_h);
}

/* Keeps in h (count 1, di, ri) the first span of its trace that names a session (not
 * REC_SESSION_DEFAULT): the trace's session when its root names none (trace_session). */
static inline void slot_named(struct hslot *h, const struct idx_rec *r, size_t di, size_t ri)
{
	if (!h->count && !(r->flags & REC_SESSION_DEFAULT)) {
		h->count = 1;
		h->di = (uint32_t)di;
		h->ri = (uint32_t)ri;
	}
}

/* What a trace of the listing is ordered by: its root's start, its root's end or duration
 * (an open root counts 0), its spans' total cost (all: the rollups, NULL unless QO_COST asked
 * for them; none counts 0), or its value (QO_KEYS). */
static inline int64_t trace_key(const struct query *q, struct scan *db, const struct hslot *roots,
				const struct hslot *root, const struct query_rollup *all)
{
	struct scan_day *sh;
	const struct idx_rec *r;
	switch (q->order) {
	case QO_KEYS:
		return keys_order(q, root->key);
	case QO_COST:
		return all && all[root - roots].has_cost[0]
			   ? llround(all[root - roots].cost[0] * CATALOG_COST_DECIMALS)
			   : 0;
	case QO_END:
	case QO_DURATION:
		if (!(sh = db_shard(db, root->di)))
			return 0;
		r = &sh->sh.recs[root->ri];
		return r->ended_us == SPAN_NONE_I64 ? 0
		       : q->order == QO_END	    ? r->ended_us
						    : r->ended_us - r->started_us;
	default:
		return root->started;
	}
}

/* A rollup's slot_fn: the rollup is the slot's ext. */
static void slot_rollup(struct hslot *h, const struct idx_rec *r, size_t di, size_t ri)
{
	rollup_add(h->ext, r);
	slot_named(h, r, di, ri);
}

/* Adds every live span of the traces in want (trace_h -> rollup in ext) to their rollups. */
void traces_rollups(struct scan *db, struct htab *want, bool all_days)
{
	narrow_traces(db, want, all_days, slot_rollup);
}

/* A trace row from its root record (the line copied into q->a). False when the data does
 * not hold the line. */
bool traces_row(struct scan *db, const struct hslot *h, struct query_trace *t)
{
	const char *p;
	size_t n;
	struct scan_day *sh = db_shard(db, h->di);
	if (!sh || !db_row(sh, h->ri, &p, &n))
		return false;
	t->root.line = arena_strndup(db->q->a, p, n);
	t->root.len = n;
	t->root.started_us = sh->sh.recs[h->ri].started_us;
	t->ended_us = sh->sh.recs[h->ri].ended_us;
	return true;
}

/* The session of trace row t, whose root record is root, when the root names none and the
 * span named (a slot_named slot, or NULL) does: that span's session_id, as a JSON literal. */
static void trace_session(struct scan *db, const struct hslot *root, const struct hslot *named,
			  struct query_trace *t)
{
	struct scan_day *sh = db_shard(db, root->di);
	const char *v;
	size_t vn;
	if (!named || !named->count || !sh || !(sh->sh.recs[root->ri].flags & REC_SESSION_DEFAULT))
		return;
	if ((sh = db_shard(db, named->di)) &&
	    db_id(sh, named->ri, STORE_KEY_SESSION, true, &v, &vn))
		t->session = arena_strndup(db->q->a, v, vn);
}

/* The roots' rollups into u (one per slot of roots), in one scan of every day; want, when not
 * NULL, keeps the traces' slots (slot_named: the span that names each one's session). */
static struct query_rollup *rollups_all(struct scan *db, struct htab *roots, struct htab *want)
{
	struct htab own = {0};
	struct query_rollup *u = xcalloc(roots->n ? roots->n : 1, sizeof *u);
	if (!want)
		want = &own;
	htab_init(want, roots->n);
	for (size_t i = 0; i < roots->n; i++) {
		bool fresh;
		htab_find(want, roots->s[i].key, 0, &fresh)->ext = &u[i];
	}
	traces_rollups(db, want, true);
	htab_free(&own);
	return u;
}

/* How many roots the .tix of the days in c's window hold (store_index_roots): the size of the
 * roots' table, so that it need not grow (and copy) as it fills; 1024 when no day has them. */
static size_t roots_hint(struct scan *db, struct rec_filter *c)
{
	size_t lo, hi, n = 0;
	plan_window(db, c, &lo, &hi);
	for (size_t di = lo; di < hi && !c->nothing; di++) {
		struct scan_day *sh = db_shard(db, di);
		const struct store_index_roots *r;
		if (sh && store_index_roots(&sh->ix, &r))
			n += r->ne;
	}
	return n ? n : 1024;
}

/* Opens db for the trace listing of q, c compiled from its conditions (roots only). */
static enum status roots_open(struct query *q, struct scan *db, struct rec_filter *c)
{
	plan_query(q, c);
	c->roots = true;
	enum status s = sessions_plan(q, c);
	return s != ST_OK ? s : db_open(q, db, c);
}

/* Gathers into roots (trace_h -> its earliest root that q matches, by started) the roots of db
 * that c matches. */
static void roots_gather(struct scan *db, struct rec_filter *c, struct htab *roots)
{
	htab_init(roots, roots_hint(db, c));
	narrow_scan(db, c, root_match, root_entries, roots);
}

/* Opens db for the trace listing of q and gathers every root of it into roots. */
static enum status roots_scan(struct query *q, struct scan *db, struct rec_filter *c,
			      struct htab *roots)
{
	enum status s = roots_open(q, db, c);
	if (s == ST_OK)
		roots_gather(db, c, roots);
	return s;
}

/* Closes what a trace listing holds. */
static void listing_free(struct scan *db, struct htab *roots, struct htab *want, struct topk *tk,
			 struct query_rollup *all)
{
	free(all);
	htab_free(want);
	free(tk->h);
	htab_free(roots);
	db_close(db);
}

/* What a page of traces is chosen from and into: the roots gathered (or the page's, tpage.c),
 * the rows kept, the rollups of all (NULL unless asked for), the total, the rows after the
 * cursor (the total without one) and where the page starts among the kept. */
struct tsel {
	struct htab roots;
	struct topk tk;
	struct trace_ctx tc;
	struct query_rollup *all;
	size_t pass, after, offset;
};

/* The page of q among every root gathered in t->roots: by the rollups' condition and after the
 * cursor when asked. ST_NOT_FOUND when the cursor trace is not in the listing. */
static enum status rows_select(struct query *q, struct scan *db, struct tsel *t)
{
	struct htab *roots = &t->roots;
	if ((q->rollup_pred || q->order == QO_COST) && !db->b.over)
		t->all = rollups_all(db, roots, NULL);
	struct query_rollup *all = t->all;
	/* The cursor: a trace of this listing; the rows strictly after it in the page's order. */
	struct cand cursor = {0};
	struct hslot *ch =
	    q->after_id ? htab_get(roots, hash_bytes(q->after_id, strlen(q->after_id)), 0) : NULL;
	/* all: the rollups, for the rollups' predicate or the order by cost. */
	bool (*pred)(void *, const struct query_rollup *) = all ? q->rollup_pred : NULL;
	if (ch && pred && !pred(q->rollup_ctx, &all[ch - roots->s]))
		ch = NULL;
	if (q->after_id && !ch && !db->b.over) {
		err_set(&q->err, ST_NOT_FOUND, "Cursor trace %.256s not found in this listing.",
			q->after_id);
		return ST_NOT_FOUND;
	}
	if (ch)
		cursor = (struct cand){.key = trace_key(q, db, roots->s, ch, all),
				       .a = (uint32_t)(ch - roots->s)};
	for (size_t i = 0; i < roots->n; i++)
		t->pass += !pred || pred(q->rollup_ctx, &all[i]);
	topk_init(&t->tk, page_keep(q, t->pass, false, &t->offset), sort_asc(q), trace_tie, &t->tc);
	for (size_t i = 0; i < roots->n; i++) {
		struct cand cd = {.key = trace_key(q, db, roots->s, &roots->s[i], all),
				  .a = (uint32_t)i};
		if ((pred && !pred(q->rollup_ctx, &all[i])) ||
		    (ch && topk_cmp(&t->tk, &cursor, &cd) >= 0))
			continue;
		t->after++;
		topk_push(&t->tk, cd);
	}
	topk_finish(&t->tk);
	return ST_OK;
}

/* The page of q: from the counts and the blocks (tpage.c) when they can give it, else from
 * every root of its window gathered. */
static enum status page_select(struct query *q, struct scan *db, struct rec_filter *c,
			       struct tsel *t)
{
	struct tpage p = {.q = q, .db = db, .c = c, .roots = &t->roots};
	if (!tpage_total(&p, &t->pass)) {
		roots_gather(db, c, &t->roots);
		return rows_select(q, db, t);
	}
	t->after = t->pass;
	topk_init(&t->tk, page_keep(q, t->pass, false, &t->offset), sort_asc(q), trace_tie, &t->tc);
	tpage_rows(&p, &t->tk);
	return ST_OK;
}

static enum status trace_rows(struct query *q, void *arg)
{
	struct query_traces *out = arg;
	struct scan db;
	struct rec_filter c;
	struct htab want = {0};
	struct tsel t = {0};
	memset(out, 0, sizeof *out);
	enum status s = page_check(q);
	if (s != ST_OK || (s = roots_open(q, &db, &c)) != ST_OK)
		return s;
	t.tc = (struct trace_ctx){&db, &t.roots, q->ties_by_ids && !sort_asc(q)};
	if ((s = page_select(q, &db, &c, &t)) != ST_OK)
		goto out;
	struct topk *tk = &t.tk;
	struct htab *roots = &t.roots;
	size_t offset = t.offset, n = tk->n > offset ? tk->n - offset : 0;
	out->total = t.pass;
	out->rows = arena_alloc(q->a, (n ? n : 1) * sizeof *out->rows);
	memset(out->rows, 0, (n ? n : 1) * sizeof *out->rows);
	if (t.all) {
		for (size_t i = offset; i < tk->n; i++)
			out->rows[i - offset].u = t.all[tk->h[i].a];
	} else if (!q->summary && n) {
		htab_init(&want, n);
		for (size_t i = offset; i < tk->n; i++) {
			bool fresh;
			htab_find(&want, roots->s[tk->h[i].a].key, 0, &fresh)->ext =
			    &out->rows[i - offset].u;
		}
		traces_rollups(&db, &want, false);
	}
	if (db.b.over) {
		s = db_over(&db);
		goto out;
	}
	size_t bytes = 0;
	for (size_t i = offset; i < tk->n; i++) {
		const struct hslot *h = &roots->s[tk->h[i].a];
		struct scan_day *sh = db_shard(&db, h->di);
		bytes += sh ? sh->sh.recs[h->ri].len + 1 : 0;
	}
	if (!db_fits(&db, bytes)) {
		s = db_over(&db);
		goto out;
	}
	/* Rows whose line cannot be read are left out; the rest move up over them (row k's
	 * rollup is read before any row at or below k is written). */
	for (size_t i = offset; i < tk->n; i++) {
		struct query_trace tr = {.u = out->rows[i - offset].u};
		const struct hslot *root = &roots->s[tk->h[i].a];
		if (!traces_row(&db, root, &tr))
			continue;
		if (want.s)
			trace_session(&db, root, htab_get(&want, root->key, 0), &tr);
		out->rows[out->n++] = tr;
	}
	out->more = offset + n < t.after;
out:
	listing_free(&db, &t.roots, &want, &t.tk, t.all);
	return s;
}

struct trace_get {
	struct htab roots;
	struct query_rollup u;
	struct hslot named; /* slot_named */
};

static void trace_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	struct trace_get *t = ctx;
	rollup_add(&t->u, r);
	slot_named(&t->named, r, di, i);
	if (store_rec_root(r))
		tpage_root_offer(db, &t->roots, r->started_us, di, i, 1);
}

enum status query_trace_rows(struct query *q, struct query_traces *out)
{
	return db_snapshot(q, trace_rows, out);
}

struct find_args {
	const char *id;
	struct query_trace *out;
};

static enum status trace_find(struct query *q, void *arg)
{
	const char *id = ((struct find_args *)arg)->id;
	struct query_trace *out = ((struct find_args *)arg)->out;
	struct scan db;
	struct trace_get t = {0};
	memset(out, 0, sizeof *out);
	struct rec_filter c;
	enum status s = plan_open_key(q, &db, FF_TRACE_ID, id, &c);
	if (s != ST_OK)
		return s;
	htab_init(&t.roots, 4);
	narrow_scan(&db, &c, trace_match, NULL, &t);
	struct hslot *h = htab_get(&t.roots, 1, 0);
	if (db.b.over) {
		s = db_over(&db);
	} else if (!h || !traces_row(&db, h, out)) {
		s = ST_NOT_FOUND; /* no reason in q->err: each surface words it */
	} else if (!q->summary) {
		out->u = t.u;
		trace_session(&db, h, &t.named, out);
	}
	htab_free(&t.roots);
	db_close(&db);
	return s;
}

enum status query_trace_find(struct query *q, const char *id, struct query_trace *out)
{
	struct find_args a = {id, out};
	return db_snapshot(q, trace_find, &a);
}

/* Hands the trace of root h to fn: its line as read (not copied), u its rollup (NULL: none),
 * named the span that names its session (NULL: none asked). */
static void visit_trace(struct scan *db, const struct hslot *h, const struct query_rollup *u,
			const struct hslot *named, query_trace_fn fn, void *ctx)
{
	struct scan_day *sh = db_shard(db, h->di);
	struct query_trace t = {0};
	if (u)
		t.u = *u;
	if (!sh || !db_row(sh, h->ri, &t.root.line, &t.root.len))
		return;
	t.root.started_us = sh->sh.recs[h->ri].started_us;
	t.ended_us = sh->sh.recs[h->ri].ended_us;
	trace_session(db, h, named, &t);
	fn(ctx, &t);
}

/* A visit's run (db_snapshot's): a second one sets fn's state back first. */
static enum status trace_visit(struct query *q, void *arg)
{
	struct visit_run *v = arg;
	query_trace_fn fn = v->trace_fn;
	void *ctx = v->ctx;
	if (v->runs++)
		q->visit_reset(ctx);
	struct scan db;
	struct rec_filter c;
	struct htab roots = {0}, want = {0};
	struct topk tk = {0};
	struct query_rollup *all = NULL;
	enum status s = roots_scan(q, &db, &c, &roots);
	if (s != ST_OK)
		return s;
	/* Every trace's rollup in one scan of the days, unless none is asked for. */
	if ((q->rollup_pred || !q->summary || q->order == QO_COST) && !db.b.over)
		all = rollups_all(&db, &roots, &want);
	/* In the listing's order, as its pages would give them. */
	struct trace_ctx tc = {&db, &roots, q->ties_by_ids && !sort_asc(q)};
	topk_init(&tk, roots.n, sort_asc(q), trace_tie, &tc);
	for (size_t i = 0; i < roots.n && !db.b.over; i++)
		if (!q->rollup_pred || q->rollup_pred(q->rollup_ctx, &all[i]))
			topk_push(&tk,
				  (struct cand){.key = trace_key(q, &db, roots.s, &roots.s[i], all),
						.a = (uint32_t)i});
	topk_finish(&tk);
	for (size_t i = 0; i < tk.n && !db.b.over; i++) {
		const struct hslot *h = &roots.s[tk.h[i].a];
		visit_trace(&db, h, all ? &all[tk.h[i].a] : NULL,
			    all && !q->summary ? htab_get(&want, h->key, 0) : NULL, fn, ctx);
	}
	if (db.b.over)
		s = db_over(&db);
	listing_free(&db, &roots, &want, &tk, all);
	return s;
}

enum status query_trace_visit(struct query *q, query_trace_fn fn, void *ctx)
{
	struct visit_run v = {.trace_fn = fn, .ctx = ctx};
	return q->visit_reset ? db_snapshot(q, trace_visit, &v) : trace_visit(q, &v);
}

const char *query_span_session(struct query *q, const struct span *s)
{
	struct query_trace t;
	const char *v;
	size_t vn;
	if (!s->session_id || !s->trace_id || !span_session_default(s))
		return s->session_id;
	struct query tq = *q;
	tq.summary = false;
	if (query_trace_find(&tq, s->trace_id, &t) != ST_OK)
		return s->session_id;
	const char *named = t.session ? jline_text(q->a, t.session, strlen(t.session))
			    : jline_get(t.root.line, t.root.len, "session_id", &v, &vn)
				? jline_text(q->a, v, vn)
				: NULL;
	return named ? named : s->session_id;
}
