/* tree: get_trace, a trace as the tree of its spans within a budget. Every span of the trace is
 * read off its line (brief.c) in one visit; the tree is built from the parent ids; the spans
 * shown are chosen before any is written: the top level first, then every failed span with the
 * spans above it, then the rest level by level, each while its estimated size fits. Only the
 * spans shown are read whole (their input and output), by id. */
#include "lib/api/mcp/tool.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jline.h"

#define NONE UINT32_MAX

struct node {
	const char *id, *parent, *name, *model, *error;
	int kind, status;
	int64_t started, ended, tok[4];
	double cost;
	size_t in_chars, out_chars, in_bytes, out_bytes; /* of the text, and of its JSON literal */
	uint32_t up, child, last, next; /* the tree: parent, first and last child, next sibling */
	uint32_t depth, desc, desc_err, hidden, hidden_err;
	uint32_t j0, nj; /* its judgements: jv[j0 .. j0 + nj) */
	bool shown, reached;
};

struct tree {
	struct mcp_call *c;
	struct node *v;
	size_t n, cap, over; /* over: spans past MCP_TRACE_MAX_SPANS, not read */
	uint32_t *order;     /* pre-order of the nodes reached from the tops */
	size_t norder;
	struct {
		uint64_t h;
		uint32_t i;
	} * ix; /* span id hash -> node, sorted */
	const struct judgement **jv;
	size_t nj;
};

static const uint64_t want =
    (uint64_t)1 << SF_SPAN_ID | (uint64_t)1 << SF_PARENT_SPAN_ID | (uint64_t)1 << SF_KIND |
    (uint64_t)1 << SF_NAME | (uint64_t)1 << SF_STARTED_AT | (uint64_t)1 << SF_ENDED_AT |
    (uint64_t)1 << SF_STATUS | (uint64_t)1 << SF_ERROR_MESSAGE | (uint64_t)1 << SF_MODEL |
    (uint64_t)1 << SF_INPUT_TOKENS | (uint64_t)1 << SF_OUTPUT_TOKENS |
    (uint64_t)1 << SF_CACHED_TOKENS | (uint64_t)1 << SF_TOTAL_TOKENS |
    (uint64_t)1 << SF_COST_TOTAL_USD | (uint64_t)1 << SF_INPUT | (uint64_t)1 << SF_OUTPUT;

static void tree_reset(void *ctx)
{
	struct tree *t = ctx;
	t->n = t->over = 0;
}

static void tree_add(void *ctx, const struct query_row *row)
{
	struct tree *t = ctx;
	struct mcp_line m;
	struct arena *a = t->c->a;
	if (t->n == MCP_TRACE_MAX_SPANS) {
		t->over++;
		return;
	}
	void *v = t->v;
	mcp_grow(&v, &t->cap, t->n, sizeof *t->v);
	t->v = v;
	mcp_line_scan(row->line, row->len, want, &m);
	struct node *x = &t->v[t->n];
	memset(x, 0, sizeof *x);
	x->id = mcp_line_str(a, &m, SF_SPAN_ID);
	if (!x->id)
		return;
	x->parent = mcp_line_str(a, &m, SF_PARENT_SPAN_ID);
	x->name = mcp_line_str(a, &m, SF_NAME);
	x->model = mcp_line_str(a, &m, SF_MODEL);
	const char *err = mcp_line_str(a, &m, SF_ERROR_MESSAGE);
	if (err && strlen(err) > 4 * MCP_JUDGEMENT_TEXT)
		err = arena_strndup(a, err, mcp_char_at(err, strlen(err), MCP_JUDGEMENT_TEXT));
	x->error = err;
	x->kind = mcp_line_enum(&m, SF_KIND, span_kind_names, KIND_UNKNOWN);
	x->status = mcp_line_enum(&m, SF_STATUS, span_status_names, SPST_UNKNOWN);
	x->started = row->started_us;
	x->ended = mcp_line_time(&m, SF_ENDED_AT);
	x->tok[0] = mcp_line_int(&m, SF_INPUT_TOKENS);
	x->tok[1] = mcp_line_int(&m, SF_OUTPUT_TOKENS);
	x->tok[2] = mcp_line_int(&m, SF_CACHED_TOKENS);
	x->tok[3] = mcp_line_int(&m, SF_TOTAL_TOKENS);
	x->cost = mcp_line_num(&m, SF_COST_TOTAL_USD);
	x->in_chars = mcp_line_chars(&m, SF_INPUT);
	x->out_chars = mcp_line_chars(&m, SF_OUTPUT);
	x->in_bytes = m.n[SF_INPUT];
	x->out_bytes = m.n[SF_OUTPUT];
	t->n++;
}

/* Siblings by start, then id: the nodes sorted so. */
static int by_start(const void *a, const void *b)
{
	const struct node *x = a, *y = b;
	if (x->started != y->started)
		return (x->started > y->started) - (x->started < y->started);
	return strcmp(x->id, y->id);
}

static int by_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static uint32_t find(const struct tree *t, const char *id)
{
	uint64_t h = hash_bytes(id, strlen(id));
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->ix[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n && t->ix[lo].h == h; lo++)
		if (!strcmp(t->v[t->ix[lo].i].id, id))
			return t->ix[lo].i;
	return NONE;
}

/* Pre-order from node top (depth 0): each node once, a cycle of parent ids cut where it is
 * entered. */
static void walk(struct tree *t, uint32_t top)
{
	uint32_t *stack = xmalloc((t->n + 1) * sizeof *stack);
	size_t sp = 0;
	t->v[top].depth = 0;
	t->v[top].reached = true;
	stack[sp++] = top;
	while (sp) {
		uint32_t i = stack[--sp];
		t->order[t->norder++] = i;
		/* children pushed last first, so they come out in start order */
		size_t mark = sp;
		for (uint32_t k = t->v[i].child; k != NONE; k = t->v[k].next)
			if (!t->v[k].reached) {
				t->v[k].reached = true;
				t->v[k].depth = t->v[i].depth + 1;
				stack[sp++] = k;
			}
		for (size_t a = mark, b = sp; a + 1 < b; a++, b--) {
			uint32_t s = stack[a];
			stack[a] = stack[b - 1];
			stack[b - 1] = s;
		}
	}
	free(stack);
}

/* The nodes in start order, and the index of their ids. */
static void index_nodes(struct tree *t)
{
	if (t->n)
		qsort(t->v, t->n, sizeof *t->v, by_start);
	t->ix = xmalloc((t->n ? t->n : 1) * sizeof *t->ix);
	for (uint32_t i = 0; i < t->n; i++) {
		t->ix[i].h = hash_bytes(t->v[i].id, strlen(t->v[i].id));
		t->ix[i].i = i;
		t->v[i].up = t->v[i].child = t->v[i].last = t->v[i].next = NONE;
	}
	if (t->n)
		qsort(t->ix, t->n, sizeof *t->ix, by_hash);
}

/* Links the nodes into the tree and orders them, from under (NONE: every top: a span whose
 * parent the trace does not hold, then any span a cycle of parents hides). */
static void build(struct tree *t, uint32_t under)
{
	for (uint32_t i = 0; i < t->n; i++) {
		struct node *x = &t->v[i];
		uint32_t p = x->parent ? find(t, x->parent) : NONE;
		if (p == NONE || p == i)
			continue;
		x->up = p;
		if (t->v[p].last == NONE)
			t->v[p].child = i;
		else
			t->v[t->v[p].last].next = i;
		t->v[p].last = i;
	}
	t->order = xmalloc((t->n ? t->n : 1) * sizeof *t->order);
	if (under != NONE) {
		walk(t, under);
		return;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (t->v[i].up == NONE)
			walk(t, i);
	for (uint32_t i = 0; i < t->n; i++)
		if (!t->v[i].reached)
			walk(t, i);
}

/* Descendants of each node (and failed ones), from the pre-order backwards. */
static void count(struct tree *t)
{
	for (size_t k = t->norder; k-- > 0;) {
		struct node *x = &t->v[t->order[k]];
		uint32_t up = x->up;
		if (up == NONE || !t->v[up].reached || x->depth == 0)
			continue;
		t->v[up].desc += 1 + x->desc;
		t->v[up].desc_err += (x->status == SPST_ERROR) + x->desc_err;
	}
}

/* ---- what is shown ---- */

/* Bytes of the text of n characters of a field whose literal holds bytes for chars of them. */
static size_t text_bytes(size_t n, size_t chars, size_t bytes)
{
	if (!chars)
		return 0;
	return (n < chars ? n : chars) * (bytes / chars + 1) + 200;
}

/* An upper guess of a node's entry: its members, its texts as cut, its judgements. */
static size_t estimate(const struct tree *t, const struct node *x, size_t fc)
{
	size_t s = 320 + 2 * (strlen(x->id) + (x->parent ? strlen(x->parent) : 0));
	s += (x->name ? 2 * strlen(x->name) : 0) + (x->model ? 2 * strlen(x->model) : 0);
	s += x->error ? 2 * strlen(x->error) : 0;
	s += text_bytes(fc, x->in_chars, x->in_bytes) + text_bytes(fc, x->out_chars, x->out_bytes);
	for (uint32_t k = 0; k < x->nj && k < MCP_JUDGEMENTS_MAX; k++) {
		const struct judgement *j = t->jv[x->j0 + k];
		size_t text = j->text ? strlen(j->text) : 0;
		s += 200 + (text < 4 * MCP_JUDGEMENT_TEXT ? text : 4 * MCP_JUDGEMENT_TEXT) +
		     (j->name ? 2 * strlen(j->name) : 0) + (j->label ? 2 * strlen(j->label) : 0) +
		     (j->author ? 2 * strlen(j->author) : 0);
	}
	return s;
}

struct pick {
	struct tree *t;
	size_t fc, room, used;
};

/* Shows node i and every node above it not shown yet, when they fit together. */
static bool take(struct pick *p, uint32_t i)
{
	size_t need = 0;
	for (uint32_t k = i; k != NONE && !p->t->v[k].shown; k = p->t->v[k].up) {
		need += estimate(p->t, &p->t->v[k], p->fc);
		if (p->t->v[k].depth == 0)
			break;
	}
	if (p->used + need > p->room)
		return false;
	p->used += need;
	for (uint32_t k = i; k != NONE && !p->t->v[k].shown; k = p->t->v[k].up) {
		p->t->v[k].shown = true;
		if (p->t->v[k].depth == 0)
			break;
	}
	return true;
}

/* The top level, then the failed spans and what is above them, then level by level until a
 * node does not fit. Then each shown node's count of the descendants left out. */
static void choose(struct tree *t, size_t fc, size_t room)
{
	struct pick p = {t, fc, room, 0};
	uint32_t deepest = 0;
	for (size_t k = 0; k < t->norder; k++) {
		const struct node *x = &t->v[t->order[k]];
		if (x->depth == 0)
			take(&p, t->order[k]);
		deepest = x->depth > deepest ? x->depth : deepest;
	}
	for (size_t k = 0; k < t->norder; k++)
		if (t->v[t->order[k]].status == SPST_ERROR)
			take(&p, t->order[k]);
	bool full = false;
	for (uint32_t d = 1; d <= deepest && !full; d++)
		for (size_t k = 0; k < t->norder && !full; k++)
			if (t->v[t->order[k]].depth == d && !t->v[t->order[k]].shown)
				full = !take(&p, t->order[k]);
	for (size_t k = t->norder; k-- > 0;) {
		struct node *x = &t->v[t->order[k]];
		if (x->depth == 0 || x->up == NONE)
			continue;
		struct node *up = &t->v[x->up];
		up->hidden += x->shown ? x->hidden : 1 + x->desc;
		up->hidden_err +=
		    x->shown ? x->hidden_err : (x->status == SPST_ERROR) + x->desc_err;
	}
}

/* ---- the answer ---- */

static void put_tokens(struct buf *b, const int64_t tok[4])
{
	static const char *const names[] = {"input", "output", "cached", "total"};
	bool any = false;
	for (int i = 0; i < 4; i++)
		any |= tok[i] != SPAN_NONE_I64;
	if (!any)
		return;
	buf_adds(b, ",\"tokens\":{");
	for (int i = 0; i < 4; i++)
		mcp_put_int(b, names[i], tok[i]);
	buf_addc(b, '}');
}

/* The judgements jv[0..n), at most MCP_JUDGEMENTS_MAX of them and while b stays within max
 * bytes, and how many more there are. */
static void put_judgements(struct buf *b, const struct judgement *const *jv, size_t n, size_t max)
{
	if (!n)
		return;
	size_t k = 0;
	buf_adds(b, ",\"judgements\":[");
	for (; k < n && k < MCP_JUDGEMENTS_MAX; k++) {
		size_t at = b->len;
		if (k)
			buf_addc(b, ',');
		mcp_put_judgement(b, jv[k]);
		if (b->len > max) {
			b->len = at;
			b->p[at] = '\0';
			break;
		}
	}
	buf_addc(b, ']');
	if (n > k)
		mcp_put_int(b, "judgements_not_shown", (int64_t)(n - k));
}

/* A node's entry; its input and output read by id when there are some to show. */
static void put_node(struct tree *t, const struct node *x, size_t fc, struct buf *b)
{
	struct mcp_call *c = t->c;
	buf_addc(b, '{');
	mcp_put_str(b, "span_id", x->id);
	mcp_put_str(b, "parent_span_id", x->parent);
	mcp_put_int(b, "depth", x->depth);
	mcp_put_str(b, "kind", span_kind_names[x->kind]);
	mcp_put_str(b, "name", x->name);
	mcp_put_str(b, "status", span_status_names[x->status]);
	mcp_put_time(b, "started_at", x->started);
	mcp_put_ms(b, "duration_ms", x->started, x->ended);
	mcp_put_str(b, "model", x->model);
	put_tokens(b, x->tok);
	mcp_put_num(b, "cost_usd", x->cost);
	mcp_put_str(b, "error", x->error);
	put_judgements(b, t->jv + x->j0, x->nj, b->len + t->c->budget / 2);
	struct span s;
	json_t *root = NULL;
	if (fc && (x->in_chars || x->out_chars) &&
	    query_span_get(api_store(c->req), c->ws, c->a, x->id, &s, &root)) {
		mcp_put_cut(b, "input", s.input, fc, x->id);
		mcp_put_cut(b, "output", s.output, fc, x->id);
		span_clear(&s);
		json_decref(root);
	} else if (x->in_chars || x->out_chars) {
		mcp_put_int(b, "input_chars", (int64_t)x->in_chars);
		mcp_put_int(b, "output_chars", (int64_t)x->out_chars);
	}
	if (x->hidden) {
		mcp_put_int(b, "hidden_spans", x->hidden);
		mcp_put_int(b, "hidden_errors", x->hidden_err);
	}
	buf_addc(b, '}');
}

/* Each node's judgements (its span's), and the trace's own into *top. */
static enum status judgements(struct tree *t, const char *trace, struct buf *top)
{
	struct judgement *js;
	size_t n;
	enum status st = mcp_judgements(t->c, JT_TRACE, &trace, 1, &js, &n);
	if (st != ST_OK)
		return st;
	const struct judgement **mine = arena_alloc(t->c->a, (n ? n : 1) * sizeof *mine);
	uint32_t *at = arena_alloc(t->c->a, (n ? n : 1) * sizeof *at);
	size_t nmine = 0;
	for (size_t k = 0; k < n; k++) {
		at[k] = js[k].target == JT_SPAN && js[k].span_id ? find(t, js[k].span_id) : NONE;
		if (at[k] != NONE)
			t->v[at[k]].nj++;
		else if (js[k].target == JT_TRACE)
			mine[nmine++] = &js[k];
	}
	uint32_t sum = 0;
	for (size_t i = 0; i < t->n; i++) {
		t->v[i].j0 = sum;
		sum += t->v[i].nj;
		t->v[i].nj = 0;
	}
	t->jv = arena_alloc(t->c->a, (sum ? sum : 1) * sizeof *t->jv);
	for (size_t k = 0; k < n; k++)
		if (at[k] != NONE) {
			struct node *x = &t->v[at[k]];
			t->jv[x->j0 + x->nj++] = &js[k];
		}
	put_judgements(top, mine, nmine, top->len + t->c->budget / 4);
	return ST_OK;
}

/* The head of the answer: the trace as its root and rollup tell it (or, with no root stored,
 * as its first span does), and its own judgements. */
static void head(struct tree *t, const char *trace, const struct query_trace *root, bool found,
		 const struct buf *own, struct buf *b)
{
	struct mcp_call *c = t->c;
	struct mcp_line m;
	buf_addc(b, '{');
	mcp_put_str(b, "workspace", c->ws);
	mcp_put_str(b, "trace_id", trace);
	if (found) {
		mcp_line_scan(root->root.line, root->root.len, ~(uint64_t)0, &m);
		mcp_put_str(b, "name", mcp_line_str(c->a, &m, SF_NAME));
		mcp_put_time(b, "started_at", root->root.started_us);
		mcp_put_ms(b, "duration_ms", root->root.started_us, root->ended_us);
		mcp_put_str(b, "status", mcp_line_str(c->a, &m, SF_STATUS));
		mcp_put_str(b, "session_id",
			    root->session ? jline_text(c->a, root->session, strlen(root->session))
					  : mcp_line_str(c->a, &m, SF_SESSION_ID));
		mcp_put_rollup(b, &root->u);
	} else {
		mcp_put_str(b, "note",
			    "No root span of this trace is stored (its parent may be in "
			    "another service): its spans are shown as they are.");
	}
	buf_add(b, own->p, own->len);
	mcp_put_int(b, "spans_read", (int64_t)t->n);
	if (t->over)
		mcp_put_int(b, "spans_not_read", (int64_t)t->over);
}

/* Bytes kept back for the end of the answer: the list's close and the notes. */
#define TAIL_BYTES 600

/* The spans chosen, in pre-order, each while it fits; the note of what was left out. */
static void body(struct tree *t, size_t fc, struct buf *b)
{
	struct buf *item = arena_buf(t->c->a);
	size_t shown = 0, chosen = 0;
	bool cut = false;
	buf_adds(b, ",\"tree\":[");
	for (size_t k = 0; k < t->norder; k++) {
		const struct node *x = &t->v[t->order[k]];
		if (!x->shown)
			continue;
		chosen++;
		if (cut)
			continue;
		/* a span read whole is the arena's only while its entry is written */
		struct arena_mark mark = arena_mark(t->c->a);
		item->len = 0;
		put_node(t, x, fc, item);
		arena_release(t->c->a, mark);
		if (!(cut = !mcp_fits(t->c, b, TAIL_BYTES, item, !shown)))
			shown++;
	}
	buf_addc(b, ']');
	mcp_put_int(b, "spans_shown", (int64_t)shown);
	if (shown < t->norder)
		mcp_put_str(
		    b, "hidden",
		    cut ? "The answer ran out of max_bytes before the last spans chosen: "
			  "open a part with under_span_id, raise max_bytes or lower "
			  "field_chars."
			: "Spans with hidden_spans have descendants not shown: call get_trace "
			  "with under_span_id set to one to open it.");
	(void)chosen;
	buf_addc(b, '}');
}

enum status mcp_get_trace(struct mcp_call *c)
{
	const char *id = mcp_str(c, "trace_id"), *under = mcp_str(c, "under_span_id");
	size_t fc = (size_t)mcp_int(c, "field_chars", MCP_FIELD_DEFAULT);
	struct tree t = {.c = c};
	struct query q;
	struct filter f;
	struct query_trace root;
	mcp_query_init(c, &q);
	mcp_filter_init(c, &f);
	mcp_cond_eq(c, &f, FF_TRACE_ID, id);
	q.f = &f;
	q.visit_reset = tree_reset;
	enum status st = query_span_visit(&q, tree_add, &t);
	if (st != ST_OK)
		goto out;
	if (!t.n) {
		st = mcp_fail(c, ST_NOT_FOUND,
			      "No trace '%.200s' in workspace '%s' (search_traces lists them).", id,
			      c->ws);
		goto out;
	}
	index_nodes(&t);
	uint32_t top = under ? find(&t, under) : NONE;
	if (under && top == NONE) {
		st = mcp_fail(c, ST_NOT_FOUND, "No span '%.200s' in trace '%.200s'.", under, id);
		goto out;
	}
	build(&t, top);
	count(&t);
	struct buf *own = arena_buf(c->a);
	if ((st = judgements(&t, id, own)) != ST_OK)
		goto out;
	mcp_query_init(c, &q);
	st = query_trace_find(&q, id, &root);
	if (st != ST_OK && st != ST_NOT_FOUND)
		goto out;
	head(&t, id, &root, st == ST_OK, own, c->out);
	st = ST_OK;
	if (under)
		mcp_put_str(c->out, "under_span_id", under);
	size_t room =
	    c->budget > c->out->len + TAIL_BYTES ? c->budget - c->out->len - TAIL_BYTES : 0;
	choose(&t, fc, room);
	body(&t, fc, c->out);
out:
	if (st != ST_OK && !c->err.msg[0])
		mcp_query_fail(c, &q, st);
	free(t.v);
	free(t.ix);
	free(t.order);
	return st;
}
