/* groups: spans grouped by trace or session (query_group_rows). */
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

/* ---- GET spans/groups ---- */

struct group_ctx {
	struct scan *db;
	struct htab *ht;
	const enum query_group_by *by;
	size_t nby;
};

_Static_assert((int)QG_TRACE_ID == (int)STORE_KEY_TRACE &&
		   (int)QG_SESSION_ID == (int)STORE_KEY_SESSION,
	       "a group's key is its store key");

/* Loads a group's key literals, its first span's ids: from the day's index, or its line (""
 * from one damaged on disk). */
static void group_strings(struct group_ctx *g, struct hslot *h)
{
	if (h->s1)
		return;
	const char *v;
	size_t vn;
	const char *s[2] = {"\"\"", "\"\""};
	struct scan_day *sh = db_shard(g->db, h->di);
	for (size_t i = 0; i < g->nby; i++)
		if (sh && db_id(sh, h->ri, (enum store_key)g->by[i], true, &v, &vn))
			s[i] = arena_strndup(g->db->q->a, v, vn);
	h->s1 = s[0];
	h->s2 = s[1];
}

static int group_tie(void *ctx, const struct cand *x, const struct cand *y)
{
	struct group_ctx *g = ctx;
	struct hslot *hx = &g->ht->s[x->a], *hy = &g->ht->s[y->a];
	if (hx == hy)
		return 0;
	group_strings(g, hx);
	group_strings(g, hy);
	int r = strcmp(hx->s1, hy->s1);
	return r ? r : strcmp(hx->s2, hy->s2);
}

struct group_scan {
	struct htab *ht;
	const enum query_group_by *by;
	size_t nby;
	uint64_t empty_h;
	/* Grouped by session: a span that names no session (REC_SESSION_DEFAULT) is of the
	 * session another span of its trace names (docs/api-intake.md, "Sessions"), known once
	 * every span is seen. named: trace_h -> the first named span (started: its session_h);
	 * later: (trace_h, default session_h) -> those spans' count and the first of them. */
	bool by_session;
	struct htab named, later;
	uint64_t last_named; /* the trace of the last named span: a trace's spans mostly come
				together, and its slot need not be looked for again */
};

/* Adds count spans to the group of keys k, whose key strings are in the line of (di, ri). */
static void group_add(struct group_scan *g, const uint64_t *k, size_t di, size_t ri, int64_t count)
{
	bool fresh;
	struct hslot *h = htab_find(g->ht, k[0], g->nby > 1 ? k[1] : 0, &fresh);
	if (fresh) {
		h->di = (uint32_t)di;
		h->ri = (uint32_t)ri;
	}
	h->count += count;
}

static void group_match(void *ctx, struct scan *db, size_t di, size_t i, const struct idx_rec *r)
{
	struct group_scan *g = ctx;
	uint64_t k[2];
	bool fresh;
	(void)db;
	for (size_t j = 0; j < g->nby; j++) {
		if (g->by[j] == QG_TRACE_ID) {
			k[j] = r->trace_h;
			if (!(r->flags & REC_HAS_TRACE) || r->trace_h == g->empty_h)
				return; /* spans with an empty group key are left out (§3.3) */
		} else {
			k[j] = r->session_h;
			if (r->session_h == g->empty_h)
				return;
		}
	}
	if (g->by_session && (r->flags & REC_HAS_TRACE)) {
		struct hslot *h;
		if (r->flags & REC_SESSION_DEFAULT) {
			h = htab_find(&g->later, r->trace_h, r->session_h, &fresh);
			if (fresh) {
				h->di = (uint32_t)di;
				h->ri = (uint32_t)i;
			}
			h->count++;
			return;
		}
		if (r->trace_h != g->last_named) {
			g->last_named = r->trace_h;
			h = htab_find(&g->named, r->trace_h, 0, &fresh);
			if (fresh) {
				h->started = (int64_t)r->session_h;
				h->di = (uint32_t)di;
				h->ri = (uint32_t)i;
			}
		}
	}
	group_add(g, k, di, i, 1);
}

/* The spans that named no session, each into the group of the session its trace names (the
 * line of that trace's named span gives the key strings), or else of its own default. */
static void group_later(struct group_scan *g)
{
	for (size_t i = 0; i < g->later.n; i++) {
		const struct hslot *p = &g->later.s[i];
		const struct hslot *n = htab_get(&g->named, p->key, 0);
		uint64_t k[2];
		for (size_t j = 0; j < g->nby; j++)
			k[j] = g->by[j] == QG_TRACE_ID ? p->key : n ? (uint64_t)n->started : p->h2;
		group_add(g, k, n ? n->di : p->di, n ? n->ri : p->ri, p->count);
	}
}

struct group_args {
	const enum query_group_by *by;
	size_t nby;
	struct query_groups *out;
};

static enum status group_rows(struct query *q, void *arg)
{
	const struct group_args *a = arg;
	const enum query_group_by *by = a->by;
	size_t nby = a->nby;
	struct query_groups *out = a->out;
	struct scan db;
	struct rec_filter c;
	struct htab ht = {0};
	struct topk tk = {0};
	memset(out, 0, sizeof *out);
	enum status s = page_check(q);
	if (s != ST_OK)
		return s;
	plan_query(q, &c);
	if ((s = db_open(q, &db, &c)) != ST_OK)
		return s;
	/* By trace under kinds and statuses alone: from the counts kept (gcount.c). */
	if (nby == 1 && by[0] == QG_TRACE_ID && gcount_page(&db, &c, out)) {
		db_close(&db);
		return ST_OK;
	}
	if (db.b.over) {
		db_close(&db);
		return db_over(&db);
	}
	htab_init(&ht, 1024);
	struct group_scan gs = {&ht, by, nby, hash_bytes("", 0), false, {0}, {0}, 0};
	for (size_t j = 0; j < nby; j++)
		gs.by_session |= by[j] == QG_SESSION_ID;
	if (gs.by_session) {
		htab_init(&gs.named, 64);
		htab_init(&gs.later, 64);
	}
	narrow_scan(&db, &c, group_match, NULL, &gs);
	if (gs.by_session) {
		group_later(&gs);
		htab_free(&gs.named);
		htab_free(&gs.later);
	}
	if (db.b.over) {
		htab_free(&ht);
		db_close(&db);
		return db_over(&db);
	}
	struct group_ctx g = {&db, &ht, by, nby};
	size_t offset;
	topk_init(&tk, page_keep(q, ht.n, false, &offset), sort_asc(q), group_tie, &g);
	for (size_t i = 0; i < ht.n; i++)
		topk_push(&tk, (struct cand){.key = ht.s[i].count, .a = (uint32_t)i});
	topk_finish(&tk);
	out->total = ht.n;
	out->rows = arena_alloc(q->a, (tk.n > offset ? tk.n - offset : 1) * sizeof *out->rows);
	for (size_t i = offset; i < tk.n; i++) {
		struct hslot *h = &ht.s[tk.h[i].a];
		struct query_group *r = &out->rows[out->n++];
		group_strings(&g, h);
		r->key[0] = h->s1;
		r->key[1] = nby > 1 ? h->s2 : NULL;
		r->count = h->count;
	}
	out->more = offset + out->n < out->total;
	free(tk.h);
	htab_free(&ht);
	db_close(&db);
	return ST_OK;
}

enum status query_group_rows(struct query *q, const enum query_group_by *by, size_t nby,
			     struct query_groups *out)
{
	struct group_args a = {by, nby, out};
	return db_snapshot(q, group_rows, &a);
}
