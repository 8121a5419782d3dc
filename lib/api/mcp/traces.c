/* traces: search_traces, the traces of a workspace as lib/query lists them (one row a root span,
 * rolled up over its spans), narrowed by the index where a condition is a root's field, by a
 * set of trace ids where it is any span's (a model, text in any span, a score), and by a
 * predicate on the root's line for its user. */
#include "lib/api/mcp/tool.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jline.h"
#include "lib/query/judgements.h"
#include "lib/query/search.h"

/* Characters of a row's input and output previews (of a chat, its last user message and its
 * answer): enough to tell one run from another. */
#define PREVIEW_CHARS 200

/* ---- the trace ids of the spans a condition finds ---- */

struct idset {
	uint64_t *h;
	size_t n, cap;
};

static void idset_reset(void *ctx)
{
	((struct idset *)ctx)->n = 0;
}

static void idset_add(void *ctx, const struct query_row *row)
{
	struct idset *s = ctx;
	const char *v;
	size_t vn;
	char id[4 * SPAN_MAX_ID + 8];
	if (!jline_get(row->line, row->len, "trace_id", &v, &vn))
		return;
	size_t n = jline_unquote(v, vn, id, sizeof id);
	if (n == (size_t)-1)
		return;
	void *h = s->h;
	mcp_grow(&h, &s->cap, s->n, sizeof *s->h);
	s->h = h;
	s->h[s->n++] = hash_bytes(id, n);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The trace ids (as a query's keys) of the spans of base's window that meet cond (when its
 * field is set) and the search terms (when n > 0): traces "with a span of model m", "with
 * these words in any span". */
static enum status span_traces(struct mcp_call *c, const struct filter *base,
			       const struct filter_cond *cond, const char *const *terms, size_t n,
			       struct query_keys *out)
{
	struct query q;
	struct filter f = *base;
	struct idset s = {0};
	mcp_query_init(c, &q);
	f.conds = arena_alloc(c->a, (base->n + 1) * sizeof *f.conds);
	memcpy(f.conds, base->conds, base->n * sizeof *f.conds);
	if (cond)
		f.conds[f.n++] = *cond;
	q.f = &f;
	q.search = terms;
	q.nsearch = n;
	q.visit_reset = idset_reset;
	enum status st = query_span_visit(&q, idset_add, &s);
	if (st != ST_OK) {
		free(s.h);
		return mcp_query_fail(c, &q, st);
	}
	uint64_t *h = arena_alloc(c->a, (s.n ? s.n : 1) * sizeof *h);
	size_t k = 0;
	if (s.n)
		qsort(s.h, s.n, sizeof *s.h, cmp_u64);
	for (size_t i = 0; i < s.n; i++)
		if (!k || h[k - 1] != s.h[i])
			h[k++] = s.h[i];
	free(s.h);
	*out = (struct query_keys){.by = QK_TRACE, .h = h, .n = k};
	return ST_OK;
}

/* ---- the user of a root ---- */

struct user_pred {
	struct arena *a;
	const char *want;
};

static bool user_match(void *ctx, const char *line, size_t n)
{
	struct user_pred *u = ctx;
	const char *have = mcp_line_user(u->a, line, n);
	return have && !strcmp(have, u->want);
}

/* A span without raw attributes names no user. */
static int user_bare(void *ctx, int kind)
{
	(void)ctx, (void)kind;
	return 0;
}

/* ---- the listing ---- */

/* The terms of the text argument, or a failure the agent reads. */
static enum status terms_of(struct mcp_call *c, const char ***terms, size_t *n)
{
	const char *text = mcp_str(c, "text");
	*terms = NULL;
	*n = 0;
	if (!text)
		return ST_OK;
	enum search_parse r =
	    search_terms_parse(c->a, text, SEARCH_MAX_TERMS, SEARCH_MAX_TERM, terms, n);
	return r == SEARCH_OK ? ST_OK
			      : mcp_fail(c, ST_BAD_REQUEST, "text: %s", search_parse_msg(r));
}

/* The score condition and order: the traces scored under score_name (a trace's own scores and
 * its spans', their mean), within score_min and score_max. */
static enum status by_score(struct mcp_call *c, struct query *q, struct query_keys *keys,
			    size_t *nkeys)
{
	const char *name = mcp_str(c, "score_name"), *order = mcp_str(c, "order");
	bool by_order = order && strstr(order, "_score");
	double lo = 0, hi = 0;
	bool has_lo = mcp_num(c, "score_min", &lo), has_hi = mcp_num(c, "score_max", &hi);
	if (!name && (has_lo || has_hi || by_order))
		return mcp_fail(c, ST_BAD_REQUEST,
				"score_min, score_max and the score orders need score_name.");
	if (!name)
		return ST_OK;
	struct jfilter jf = {.targets = 1u << JT_SPAN | 1u << JT_TRACE};
	struct jquery jq = {.st = api_store(c->req), .a = c->a, .ws = c->ws, .f = &jf};
	struct query_keys *k = &keys[(*nkeys)++];
	enum status st = query_judged(&jq, JT_TRACE, name, has_lo, lo, has_hi, hi, k);
	if (st == ST_OK && by_order) {
		q->order = QO_KEYS;
		q->order_keys = k;
	}
	return st == ST_OK ? ST_OK : mcp_fail(c, st, "%s", err_text(&jq.err));
}

static void order_of(struct mcp_call *c, struct query *q)
{
	const char *o = mcp_str(c, "order");
	q->sort = "-started_at";
	if (!o)
		return;
	if (!strcmp(o, "oldest")) {
		q->sort = "started_at";
	} else if (!strcmp(o, "slowest")) {
		q->order = QO_DURATION;
	} else if (!strcmp(o, "costliest")) {
		q->order = QO_COST;
	} else if (!strcmp(o, "lowest_score")) {
		q->sort = "started_at";
	}
	q->ties_by_ids = true;
}

/* The conditions of the listing: the index's (window, status, name, session) in f, a model or
 * text in any span and a score as sets of trace ids, the user as a predicate. */
static enum status conditions(struct mcp_call *c, struct query *q, struct filter *f)
{
	const char *s, **terms;
	size_t nterms, nkeys = 0;
	struct query_keys *keys = arena_alloc(c->a, 3 * sizeof *keys);
	enum status st = mcp_window(c, 0, f, NULL, NULL);
	if (st == ST_OK)
		st = terms_of(c, &terms, &nterms);
	if (st != ST_OK)
		return st;
	struct filter window = *f;
	if ((s = mcp_str(c, "status")))
		mcp_cond_enum(f, FF_STATUS, span_status_parse(s));
	if ((s = mcp_str(c, "name")))
		mcp_cond_eq(c, f, FF_NAME, s);
	if ((s = mcp_str(c, "session_id")))
		mcp_cond_eq(c, f, FF_SESSION_ID, s);
	q->f = f;
	s = mcp_str(c, "text_in");
	if (nterms && s && !strcmp(s, "any_span"))
		st = span_traces(c, &window, NULL, terms, nterms, &keys[nkeys++]);
	else {
		q->search = terms;
		q->nsearch = nterms;
	}
	if (st == ST_OK && (s = mcp_str(c, "model"))) {
		struct filter one;
		mcp_filter_init(c, &one);
		mcp_cond_eq(c, &one, FF_MODEL, s);
		st = span_traces(c, &window, &one.conds[0], NULL, 0, &keys[nkeys++]);
	}
	if (st == ST_OK)
		st = by_score(c, q, keys, &nkeys);
	q->keys = keys;
	q->nkeys = nkeys;
	if (st == ST_OK && (s = mcp_str(c, "user_id"))) {
		struct user_pred *u = arena_alloc(c->a, sizeof *u);
		struct query_pred *p = arena_alloc(c->a, sizeof *p);
		*u = (struct user_pred){c->a, s};
		*p = (struct query_pred){
		    .fn = user_match, .ctx = u, .bare = user_bare, .transient = true};
		q->preds = p;
		q->npreds = 1;
	}
	return st;
}

/* One row: what the trace is, how it went, what it cost, and how it began and ended. */
static void row(struct mcp_call *c, const struct query_trace *t, struct buf *b)
{
	struct mcp_line m;
	mcp_line_scan(t->root.line, t->root.len, ~(uint64_t)0, &m);
	const char *session = t->session ? jline_text(c->a, t->session, strlen(t->session))
					 : mcp_line_str(c->a, &m, SF_SESSION_ID);
	buf_addc(b, '{');
	mcp_put_trace(c, b, t, &m);
	mcp_put_str(b, "session_id", session);
	bool picked;
	const char *in = mcp_line_str(c->a, &m, SF_INPUT), *out = mcp_line_str(c->a, &m, SF_OUTPUT);
	mcp_put_cut(b, "input_preview", mcp_turn_text(c->a, in, true, &picked), PREVIEW_CHARS,
		    NULL);
	mcp_put_cut(b, "output_preview", mcp_turn_text(c->a, out, false, &picked), PREVIEW_CHARS,
		    NULL);
	buf_addc(b, '}');
}

/* Bytes kept back for the end of the answer: the list's close, the cursor and the note. */
#define TAIL_BYTES (4 * SPAN_MAX_ID + 400)

enum status mcp_search_traces(struct mcp_call *c)
{
	struct query q;
	struct filter f;
	struct query_traces t;
	mcp_query_init(c, &q);
	mcp_filter_init(c, &f);
	enum status st = conditions(c, &q, &f);
	if (st != ST_OK)
		return st;
	order_of(c, &q);
	q.limit = mcp_int(c, "limit", MCP_PAGE_DEFAULT);
	q.after_id = mcp_str(c, "cursor");
	st = query_trace_rows(&q, &t);
	if (st == ST_NOT_FOUND && q.after_id)
		return mcp_fail(
		    c, st,
		    "The cursor's trace is not in this listing (deleted, or the arguments "
		    "changed): search again without cursor.");
	if (st != ST_OK)
		return mcp_query_fail(c, &q, st);
	struct buf *b = c->out, *item = arena_buf(c->a);
	buf_adds(b, "{");
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_int(b, "total", (int64_t)t.total);
	buf_adds(b, ",\"traces\":[");
	size_t shown = 0;
	const char *last = NULL;
	for (; shown < t.n; shown++) {
		struct arena_mark mark = arena_mark(c->a); /* a row's parsed texts: its own */
		item->len = 0;
		row(c, &t.rows[shown], item);
		arena_release(c->a, mark);
		if (!mcp_fits(c, b, TAIL_BYTES, item, !shown))
			break;
		struct mcp_line m;
		mcp_line_scan(t.rows[shown].root.line, t.rows[shown].root.len,
			      (uint64_t)1 << SF_TRACE_ID, &m);
		last = mcp_line_str(c->a, &m, SF_TRACE_ID);
	}
	buf_addc(b, ']');
	mcp_put_int(b, "shown", (int64_t)shown);
	if (last && (shown < t.n || t.more))
		mcp_put_str(b, "next_cursor", last);
	if (shown < t.n)
		mcp_put_str(
		    b, "cut",
		    "Not every row of this page fitted max_bytes: next_cursor continues after "
		    "the last one shown.");
	buf_addc(b, '}');
	return ST_OK;
}
