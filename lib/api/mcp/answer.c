/* answer: what the tools share to ask lib/query and to write an answer an agent reads: failures
 * said in a sentence, the conditions and the time window, JSON members written compactly,
 * texts cut at a character with a note that says how to read the rest, and lists that stop
 * where the budget does. */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/query/judgements.h"

enum status mcp_fail(struct mcp_call *c, enum status st, const char *fmt, ...)
{
	va_list ap;
	c->err.st = st;
	va_start(ap, fmt);
	vsnprintf(c->err.msg, sizeof c->err.msg, fmt, ap);
	va_end(ap);
	return st;
}

enum status mcp_query_fail(struct mcp_call *c, const struct query *q, enum status st)
{
	if (q->err.st == st && q->err.msg[0])
		return mcp_fail(c, st, "%s", q->err.msg);
	return mcp_fail(c, st, "%s", status_message(st));
}

void mcp_query_init(struct mcp_call *c, struct query *q)
{
	api_query_init(c->req, q);
	q->a = c->a;
	q->ws = c->ws;
}

/* ---- conditions ---- */

void mcp_filter_init(struct mcp_call *c, struct filter *f)
{
	memset(f, 0, sizeof *f);
	f->conds = arena_alloc(c->a, MCP_MAX_CONDS * sizeof *f->conds);
}

void mcp_cond_eq(struct mcp_call *c, struct filter *f, enum filter_field field, const char *v)
{
	const char **vals = arena_alloc(c->a, sizeof *vals);
	vals[0] = v;
	f->conds[f->n++] =
	    (struct filter_cond){.field = field, .op = FOP_EQ, .vals = vals, .nvals = 1};
}

void mcp_cond_enum(struct filter *f, enum filter_field field, int v)
{
	f->conds[f->n++] = (struct filter_cond){.field = field, .op = FOP_EQ, .enumv = v};
}

static void cond_time(struct filter *f, enum filter_op op, int64_t us)
{
	f->conds[f->n++] = (struct filter_cond){.field = FF_STARTED_AT, .op = op, .us = us};
}

enum status mcp_window(struct mcp_call *c, int64_t def_last_us, struct filter *f, int64_t *from,
		       int64_t *to)
{
	const char *last = mcp_str(c, "last"), *a = mcp_str(c, "from"), *b = mcp_str(c, "to");
	int64_t lo = INT64_MIN, hi = INT64_MAX, span = def_last_us;
	if (last && (a || b))
		return mcp_fail(c, ST_BAD_REQUEST, "Give either last or from and to, not both.");
	if (last)
		mcp_duration(last, &span);
	if (a)
		time_parse(a, false, &lo);
	if (b)
		time_parse(b, false, &hi);
	if (!a && !b && span > 0)
		lo = time_now() - span;
	if (lo > hi)
		return mcp_fail(c, ST_BAD_REQUEST, "from must not be after to.");
	if (lo != INT64_MIN)
		cond_time(f, FOP_GTE, lo);
	if (hi != INT64_MAX)
		cond_time(f, FOP_LTE, hi);
	if (from)
		*from = lo;
	if (to)
		*to = hi;
	return ST_OK;
}

/* ---- members ---- */

static void key(struct buf *b, const char *k)
{
	if (b->len && b->p[b->len - 1] != '{')
		buf_addc(b, ',');
	jsonw_string(b, k, strlen(k));
	buf_addc(b, ':');
}

void mcp_put_str(struct buf *b, const char *k, const char *s)
{
	if (!s)
		return;
	key(b, k);
	jsonw_string(b, s, strlen(s));
}

void mcp_put_int(struct buf *b, const char *k, int64_t v)
{
	if (v == SPAN_NONE_I64)
		return;
	key(b, k);
	jsonw_int(b, v);
}

void mcp_put_num(struct buf *b, const char *k, double v)
{
	if (isnan(v))
		return;
	key(b, k);
	jsonw_number(b, v);
}

void mcp_put_time(struct buf *b, const char *k, int64_t us)
{
	char t[40];
	if (us == SPAN_NONE_I64)
		return;
	time_format(us, t);
	mcp_put_str(b, k, t);
}

void mcp_put_ms(struct buf *b, const char *k, int64_t from_us, int64_t to_us)
{
	if (from_us == SPAN_NONE_I64 || to_us == SPAN_NONE_I64)
		return;
	mcp_put_num(b, k, (double)(to_us - from_us) / 1000.0);
}

/* ---- texts ---- */

size_t mcp_chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

size_t mcp_char_at(const char *s, size_t n, size_t k)
{
	size_t i = 0;
	for (size_t seen = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (seen++ == k)
			return i;
	}
	return n;
}

void mcp_put_cut(struct buf *b, const char *k, const char *s, size_t max, const char *span_id)
{
	if (!s)
		return;
	size_t n = strlen(s), total = mcp_chars(s, n);
	key(b, k);
	if (total <= max) {
		jsonw_string(b, s, n);
		return;
	}
	jsonw_string(b, s, mcp_char_at(s, n, max));
	struct buf note, name;
	buf_init(&note);
	buf_init(&name);
	buf_printf(&note, "shown %zu of %zu characters", max, total);
	if (span_id)
		buf_printf(&note, "; the rest: get_span with span_id %s, field %s, offset %zu",
			   span_id, k, max);
	buf_printf(&name, "%s_cut", k);
	key(b, name.p);
	jsonw_string(b, note.p, note.len);
	buf_free(&note);
	buf_free(&name);
}

void mcp_put_judgement(struct buf *b, const struct judgement *j)
{
	buf_addc(b, '{');
	mcp_put_str(b, "on", judgement_target_names[j->target]);
	mcp_put_str(b, "kind", judgement_kind_names[j->kind]);
	mcp_put_str(b, "name", j->name);
	mcp_put_num(b, "value", j->value);
	mcp_put_str(b, "label", j->label);
	mcp_put_cut(b, "text", j->text, MCP_JUDGEMENT_TEXT, NULL);
	mcp_put_str(b, "error", j->error);
	mcp_put_str(b, "author", j->author);
	mcp_put_str(b, "via", judgement_api_name(j));
	mcp_put_time(b, "at", j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at);
	buf_addc(b, '}');
}

void mcp_put_rollup(struct buf *b, const struct query_rollup *u)
{
	static const char *const toks[] = {"input", "output", "cached", "total"};
	mcp_put_int(b, "spans", u->spans);
	mcp_put_int(b, "errors", u->errors);
	bool any = false;
	for (int i = 0; i < 4; i++)
		any |= u->has_tok[i];
	if (any) {
		key(b, "tokens");
		buf_addc(b, '{');
		for (int i = 0; i < 4; i++)
			if (u->has_tok[i])
				mcp_put_int(b, toks[i], u->tok[i]);
		buf_addc(b, '}');
	}
	if (u->has_cost[QC_TOTAL])
		mcp_put_num(b, "cost_usd", u->cost[QC_TOTAL]);
}

void mcp_put_trace(struct mcp_call *c, struct buf *b, const struct query_trace *t,
		   const struct mcp_line *m)
{
	mcp_put_str(b, "trace_id", mcp_line_str(c->a, m, SF_TRACE_ID));
	mcp_put_str(b, "name", mcp_line_str(c->a, m, SF_NAME));
	mcp_put_time(b, "started_at", t->root.started_us);
	mcp_put_ms(b, "duration_ms", t->root.started_us, t->ended_us);
	mcp_put_str(b, "status", mcp_line_str(c->a, m, SF_STATUS));
	mcp_put_rollup(b, &t->u);
}

bool mcp_fits(const struct mcp_call *c, struct buf *b, size_t reserve, const struct buf *item,
	      bool first)
{
	if (b->len + !first + item->len + reserve > c->budget)
		return false;
	if (!first)
		buf_addc(b, ',');
	buf_add(b, item->p, item->len);
	return true;
}

/* ---- judgements ---- */

struct gather {
	struct judgement **v;
	size_t n, cap;
};

static void gather_one(void *ctx, size_t which, const struct judgement *j)
{
	struct gather *g = ctx;
	(void)which;
	void *v = g->v;
	mcp_grow(&v, &g->cap, g->n, sizeof *g->v);
	g->v = v;
	g->v[g->n++] = (struct judgement *)j; /* the arena's, alive as long as it (judgements.h) */
}

static int64_t when(const struct judgement *j)
{
	return j->updated_at != JUDGEMENT_NONE ? j->updated_at : j->created_at;
}

static int newest_first(const void *x, const void *y)
{
	const struct judgement *a = *(struct judgement *const *)x,
			       *b = *(struct judgement *const *)y;
	int64_t p = when(a), q = when(b);
	return p != q ? (p < q) - (p > q) : strcmp(a->id, b->id);
}

enum status mcp_judgements(struct mcp_call *c, enum judgement_target by, const char *const *ids,
			   size_t n, struct judgement **out, size_t *n_out)
{
	struct jquery jq = {.st = api_store(c->req), .a = c->a, .ws = c->ws};
	struct gather g = {0};
	enum status st = query_judgements_of(&jq, by, ids, n, gather_one, &g);
	*out = NULL;
	*n_out = 0;
	if (st == ST_OK && g.n) {
		qsort(g.v, g.n, sizeof *g.v, newest_first);
		*out = arena_alloc(c->a, g.n * sizeof **out);
		for (size_t i = 0; i < g.n; i++)
			(*out)[i] = *g.v[i];
		*n_out = g.n;
	}
	free(g.v);
	if (st == ST_NOT_FOUND) /* no judgement store yet: none */
		return ST_OK;
	return st == ST_OK ? ST_OK : mcp_fail(c, st, "%s", err_text(&jq.err));
}

/* ---- tables by key ---- */

void mcp_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return;
	size_t c = *cap ? 2 * *cap : 256;
	void *p = xmalloc(c * size);
	if (n)
		memcpy(p, *v, n * size);
	free(*v);
	*v = p;
	*cap = c;
}

static void map_rehash(struct mcp_map *m)
{
	size_t ns = m->nslot ? 2 * m->nslot : 1024;
	uint32_t *slot = xcalloc(ns, sizeof *slot);
	for (size_t i = 0; i < m->n; i++) {
		size_t k = m->h[i] & (ns - 1);
		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)(i + 1);
	}
	free(m->slot);
	m->slot = slot;
	m->nslot = ns;
}

size_t mcp_map_find(struct mcp_map *m, uint64_t h, bool (*same)(void *ctx, size_t i), void *ctx,
		    bool *fresh)
{
	if (2 * (m->n + 1) > m->nslot)
		map_rehash(m);
	size_t k = h & (m->nslot - 1);
	*fresh = false;
	for (; m->slot[k]; k = (k + 1) & (m->nslot - 1)) {
		size_t i = m->slot[k] - 1;
		if (m->h[i] == h && same(ctx, i))
			return i;
	}
	void *hv = m->h;
	mcp_grow(&hv, &m->cap, m->n, sizeof *m->h);
	m->h = hv;
	m->h[m->n] = h;
	m->slot[k] = (uint32_t)(m->n + 1);
	*fresh = true;
	return m->n++;
}

size_t mcp_map_get(const struct mcp_map *m, uint64_t h, bool (*same)(void *ctx, size_t i),
		   void *ctx)
{
	for (size_t k = m->nslot ? h & (m->nslot - 1) : 0; m->nslot && m->slot[k];
	     k = (k + 1) & (m->nslot - 1)) {
		size_t i = m->slot[k] - 1;
		if (m->h[i] == h && same(ctx, i))
			return i;
	}
	return SIZE_MAX;
}

void mcp_map_clear(struct mcp_map *m)
{
	m->n = 0;
	if (m->slot)
		memset(m->slot, 0, m->nslot * sizeof *m->slot);
}

void mcp_map_free(struct mcp_map *m)
{
	free(m->slot);
	free(m->h);
	memset(m, 0, sizeof *m);
}
