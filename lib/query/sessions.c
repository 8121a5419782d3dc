/* sessions (§7.3, and docs/api-intake.md, "Sessions"): the traces any of whose spans name the
 * session, with every span of those traces (query_session_find), and a trace listing's session_id
 * condition as those traces. */
#include "lib/query/engine.h"
#include "lib/query/narrow.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* What a set of spans adds up to as a session: one trace of it, or the whole. */
struct sess_acc {
	struct query_rollup u;
	int64_t started, ended; /* INT64_MAX, INT64_MIN while empty */
	bool open_end;		/* a span has no end */
	unsigned seen;		/* bit per span_status */
	bool names;		/* a span names a session of its own (not REC_SESSION_DEFAULT) */
};

static void acc_init(struct sess_acc *a)
{
	memset(a, 0, sizeof *a);
	a->started = INT64_MAX;
	a->ended = INT64_MIN;
}

static void acc_add(struct sess_acc *a, const struct idx_rec *r)
{
	rollup_add(&a->u, r);
	if (r->started_us < a->started)
		a->started = r->started_us;
	if (r->ended_us == SPAN_NONE_I64)
		a->open_end = true;
	else if (r->ended_us > a->ended)
		a->ended = r->ended_us;
	a->seen |= 1u << r->status;
	a->names |= !(r->flags & REC_SESSION_DEFAULT);
}

static void acc_merge(struct sess_acc *to, const struct sess_acc *from)
{
	rollup_merge(&to->u, &from->u);
	if (from->started < to->started)
		to->started = from->started;
	if (from->ended > to->ended)
		to->ended = from->ended;
	to->open_end |= from->open_end;
	to->seen |= from->seen;
}

/* The spans that carry the session id: their traces (count 1 when one of the trace's spans
 * names the session itself), and the spans with no trace, which count alone. */
struct sess_find {
	struct htab traces;
	struct sess_acc loose;
};

static void sess_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	struct sess_find *g = ctx;
	bool fresh;
	(void)db, (void)di, (void)i;
	if (!(r->flags & REC_HAS_TRACE)) {
		acc_add(&g->loose, r);
		return;
	}
	struct hslot *h = htab_find(&g->traces, r->trace_h, 0, &fresh);
	if (!(r->flags & REC_SESSION_DEFAULT))
		h->count = 1;
}

static void slot_acc(struct hslot *h, const struct idx_rec *r, size_t di, size_t ri)
{
	(void)di, (void)ri;
	acc_add(h->ext, r);
}

/* Whether db's days hold every day of each trace in want, as the trace range table gives
 * them: db's days are every day of the workspace from its first to its last (a key's range or
 * the listing, db_open), so a range within those bounds is within db. False when a table cannot
 * say. */
static bool traces_within(struct scan *db, const struct htab *want)
{
	if (!db->ndays)
		return false;
	for (size_t i = 0; i < want->n; i++) {
		int32_t first, last;
		enum status s = db_key_days(db, STORE_KEY_TRACE, want->s[i].key, &first, &last);
		if (s == ST_NOT_FOUND)
			continue; /* no span of it: narrow_traces passes it over */
		if (s != ST_OK || first < db->days[0] || last > db->days[db->ndays - 1])
			return false;
	}
	return true;
}

/* The session id: the traces of the spans that carry it, each summed over all its spans on
 * any day (the range tables give the days of each trace, which can lie outside the
 * session's: a span with no session id of its own, sent in another batch). A trace is the
 * session's when one of its spans names it, or when the id is the trace's default and no
 * span of the trace names a session. Into g: the traces (count 2 when the session's, ext their
 * sums in *accs, the caller frees it) and the loose spans. */
static enum status session_members(struct query *q, const char *id, struct sess_find *g,
				   struct sess_acc **accs)
{
	struct scan db;
	struct rec_filter c;
	*accs = NULL;
	acc_init(&g->loose);
	htab_init(&g->traces, 64);
	enum status s = plan_open_key(q, &db, FF_SESSION_ID, id, &c);
	if (s != ST_OK)
		return s;
	narrow_scan(&db, &c, sess_match, NULL, g);
	bool over = db.b.over;
	if (over || !g->traces.n) {
		db_close(&db);
		return over ? db_over(&db) : ST_OK;
	}
	/* The traces' spans from the days just read when the range tables put them there (a
	 * session's traces lie on its days but for a span sent in another batch), else from the
	 * workspace's: one pass over a session's days, its shards opened once (a second open
	 * of every day was a third of a get session's instructions in a warm worker). */
	if (!traces_within(&db, &g->traces)) {
		db_close(&db);
		if ((s = db_open(q, &db, NULL)) != ST_OK)
			return s;
	}
	*accs = xmalloc(g->traces.n * sizeof **accs);
	for (size_t i = 0; i < g->traces.n; i++) {
		acc_init(&(*accs)[i]);
		g->traces.s[i].ext = &(*accs)[i];
	}
	narrow_traces(&db, &g->traces, false, slot_acc);
	over = db.b.over;
	db_close(&db);
	if (over)
		return db_over(&db);
	for (size_t i = 0; i < g->traces.n; i++)
		if (g->traces.s[i].count || !(*accs)[i].names)
			g->traces.s[i].count = 2;
	return ST_OK;
}

/* A trace listing's session_id condition as the session's traces (session_members), so that
 * a trace whose root names no session is listed with the session its other spans name: the
 * condition becomes one on the trace ids (with the listing's own ids, their intersection). */
enum status sessions_plan(struct query *q, struct rec_filter *c)
{
	const char *id = NULL;
	for (size_t i = 0; q->f && i < q->f->n; i++) {
		const struct filter_cond *fc = &q->f->conds[i];
		if (fc->field == FF_SESSION_ID && fc->op == FOP_EQ && !fc->or_absent &&
		    fc->nvals == 1 && *fc->vals[0])
			id = fc->vals[0];
	}
	if (!id || c->nothing || !(c->need & NEED_SESSION))
		return ST_OK;
	struct sess_find g;
	struct sess_acc *accs;
	enum status s = session_members(q, id, &g, &accs);
	if (s == ST_OK) {
		uint64_t *ids = arena_alloc(q->a, (g.traces.n ? g.traces.n : 1) * sizeof *ids);
		size_t n = 0;
		for (size_t i = 0; i < g.traces.n; i++)
			if (g.traces.s[i].count == 2 &&
			    (!(c->need & NEED_IDS) ||
			     in_sorted(c->ids, c->nids, g.traces.s[i].key)))
				ids[n++] = g.traces.s[i].key;
		qsort(ids, n, sizeof *ids, cmp_u64);
		c->need = (c->need & ~(unsigned)NEED_SESSION) | NEED_IDS;
		c->ids = ids;
		c->nids = n;
		c->nothing |= !n;
		/* The roots' own session ids are no longer asked. */
		size_t k = 0;
		for (size_t i = 0; i < c->nchk; i++)
			if (c->chk[i].sub || strcmp(c->chk[i].key, "session_id"))
				c->chk[k++] = c->chk[i];
		c->nchk = k;
	}
	free(accs);
	htab_free(&g.traces);
	return s;
}

struct find_args {
	const char *id;
	struct query_session *out;
};

static enum status session_find(struct query *q, void *arg)
{
	const char *id = ((struct find_args *)arg)->id;
	struct query_session *out = ((struct find_args *)arg)->out;
	struct sess_find g;
	struct sess_acc *accs;
	memset(out, 0, sizeof *out);
	enum status s = session_members(q, id, &g, &accs);
	struct sess_acc all = g.loose;
	for (size_t i = 0; s == ST_OK && i < g.traces.n; i++)
		if (g.traces.s[i].count == 2) {
			acc_merge(&all, &accs[i]);
			out->traces++; /* trace_count: trace ids, whatever their spans' sources */
		}
	if (s == ST_OK && !all.u.spans) {
		s = ST_NOT_FOUND; /* no reason in q->err: each surface words it */
	} else if (s == ST_OK) {
		out->u = all.u;
		out->started_us = all.started;
		out->open_end = all.open_end;
		out->ended_us = all.open_end ? INT64_MIN : all.ended;
		/* §6: error beats cancelled beats unknown beats success. */
		out->status = (all.seen & 1u << SPST_ERROR)	  ? SPST_ERROR
			      : (all.seen & 1u << SPST_CANCELLED) ? SPST_CANCELLED
			      : (all.seen & 1u << SPST_UNKNOWN)	  ? SPST_UNKNOWN
								  : SPST_SUCCESS;
	}
	free(accs);
	htab_free(&g.traces);
	return s;
}

enum status query_session_find(struct query *q, const char *id, struct query_session *out)
{
	struct find_args a = {id, out};
	return db_snapshot(q, session_find, &a);
}
