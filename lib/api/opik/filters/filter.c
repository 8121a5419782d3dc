/* filter: Opik's `filters` (reference opik.md §7) tested on an item: run by lib/query as a
 * predicate on each candidate span, on a trace's rollup, and as key sets of judged items. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/api/opik/filters/filter_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/crosswalk.h"
#include "lib/query/judgements.h"

static bool ci_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static bool ci_starts(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

static bool ci_ends(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);
	return n >= m && strcasecmp(s + n - m, p) == 0;
}

static bool ci_has(const char *s, const char *p)
{
	return utf8_casefind(s, strlen(s), p, strlen(p));
}

/* A string compared by op (absent: only is_empty and != hold). */
static bool str_test(const struct fcond *c, const char *s)
{
	if (c->op == O_EMPTY)
		return !s || !*s;
	if (c->op == O_NOT_EMPTY)
		return s && *s;
	if (!s) /* Opik's missing value is '': only the negative operators take it */
		return c->op == O_NE || c->op == O_NOT_CONTAINS || c->op == O_NOT_IN;
	switch (c->op) {
	case O_EQ:
		return ci_eq(s, c->value);
	case O_NE:
		return !ci_eq(s, c->value);
	case O_GT:
		return strcasecmp(s, c->value) > 0;
	case O_LT:
		return strcasecmp(s, c->value) < 0;
	case O_CONTAINS:
		return ci_has(s, c->value);
	case O_NOT_CONTAINS:
		return !ci_has(s, c->value);
	case O_STARTS:
		return ci_starts(s, c->value);
	case O_ENDS:
		return ci_ends(s, c->value);
	case O_IN:
	case O_NOT_IN: {
		bool in = false;
		for (const char *p = c->value; *p && !in;) {
			size_t l = strcspn(p, ",");
			in = strlen(s) == l && strncasecmp(s, p, l) == 0; /* as = compares */
			p += l + (p[l] == ',');
		}
		return c->op == O_IN ? in : !in;
	}
	default:
		return false;
	}
}

bool opik_cond_number(enum fop op, bool has, double x, double v)
{
	if (op == O_EMPTY)
		return !has;
	if (op == O_NOT_EMPTY)
		return has;
	if (!has)
		return op == O_NE;
	switch (op) {
	case O_EQ:
		return x == v;
	case O_NE:
		return x != v;
	case O_GT:
		return x > v;
	case O_GE:
		return x >= v;
	case O_LT:
		return x < v;
	case O_LE:
		return x <= v;
	default:
		return false;
	}
}

static json_t *raw(const struct span *s, const char *k)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, k) : NULL;
}

/* The value at a metadata path: "a.b", "$.a.b", "a[0].b". */
static json_t *path_get(json_t *o, const char *path)
{
	char seg[256];
	if (path[0] == '$')
		path += path[1] == '.' ? 2 : 1;
	while (o && *path) {
		size_t l = strcspn(path, ".[");
		if (l) {
			snprintf(seg, sizeof seg, "%.*s", (int)l, path);
			o = json_object_get(o, seg);
			path += l;
		} else if (*path == '[') {
			o = json_array_get(o, strtoul(path + 1, NULL, 10));
			path += strcspn(path, "]") + (path[strcspn(path, "]")] ? 1 : 0);
		}
		if (*path == '.')
			path++;
	}
	return o;
}

/* A dictionary's value v (§7.2): as text, compared as a string, or by > < as a number;
 * absent or null is empty. */
static bool dict_test(const struct fcond *c, json_t *v, struct arena *a)
{
	const char *text = NULL;
	if (json_is_string(v)) {
		text = json_string_value(v);
	} else if (v && !json_is_null(v)) {
		struct buf *b = arena_buf(a);
		jsonw_value(b, v);
		text = arena_strndup(a, b->p, b->len);
	}
	double x, want;
	if (c->op == O_GT || c->op == O_LT) /* a value that is no number is neither */
		return text && opik_number(text, &x) && opik_cond_number(c->op, true, x, c->num);
	/* A number equals a value that reads as the same number: 0.9 = "0.9", 5.0 = "5". */
	if ((c->op == O_EQ || c->op == O_NE) && json_is_number(v) && opik_number(c->value, &want))
		return (json_number_value(v) == want) == (c->op == O_EQ);
	return str_test(c, text);
}

/* A trace's usage and cost are the sums over its spans (§8.2): tested on its rollup
 * (opik_filter_rollup), not on its row. */
static bool on_rollup(const struct opik_filter *f, const struct fcond *c)
{
	return f->ent == OPIK_TRACE &&
	       (c->f->src == F_COST || c->f->src == F_PROMPT || c->f->src == F_COMPLETION ||
		c->f->src == F_TOTAL || c->f->src == F_LLM_COUNT);
}

static bool rollup_test(void *ctx, const struct query_rollup *u)
{
	const struct opik_filter *f = ctx;
	for (size_t i = 0; i < f->n; i++) {
		const struct fcond *c = &f->c[i];
		int t = c->f->src == F_PROMPT	    ? QT_INPUT
			: c->f->src == F_COMPLETION ? QT_OUTPUT
						    : QT_TOTAL;
		if (!on_rollup(f, c))
			continue;
		bool ok = c->f->src == F_COST ? opik_cond_number(c->op, u->has_cost[QC_TOTAL],
								 u->cost[QC_TOTAL], c->num)
			  : c->f->src == F_LLM_COUNT
			      ? opik_cond_number(c->op, true, (double)u->llm, c->num)
			      : opik_cond_number(c->op, u->has_tok[t], (double)u->tok[t], c->num);
		if (!ok)
			return false;
	}
	return true;
}

static int cmp_hash(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A feedback_scores condition on the item of id: the complement of its set for != and
 * is_empty; the others were answered by the query's key sets before the line was read. */
static bool score_test(const struct fcond *c, const char *id)
{
	if (!c->negate)
		return true;
	uint64_t h = id ? hash_bytes(id, strlen(id)) : 0;
	return !c->nh || !bsearch(&h, c->hs, c->nh, sizeof h, cmp_hash);
}

/* F_CREATED, F_UPDATED as the item shows them (render.c's o_created, o_updated): the time the
 * client sent, else when the version was stored. */
static bool stamp_test(const struct fcond *c, const struct span *s)
{
	json_t *t = raw(s, c->f->src == F_CREATED ? "opik.created_at" : "opik.last_updated_at");
	int64_t us = s->ingested_at;
	if (json_is_string(t))
		time_parse(json_string_value(t), false, &us);
	return opik_cond_number(c->op, us != SPAN_NONE_I64, (double)us, (double)c->us);
}

static bool tags_test(const struct fcond *c, const struct span *s)
{
	json_t *tags = raw(s, "opik.tags"), *t;
	size_t i, n = json_array_size(tags);
	if (c->op == O_EMPTY || c->op == O_NOT_EMPTY)
		return (n == 0) == (c->op == O_EMPTY);
	bool hit = false;
	json_array_foreach(tags, i, t)
	{
		const char *v = json_string_value(t);
		if (v &&
		    (c->op == O_EQ || c->op == O_NE ? !strcmp(v, c->value) : ci_has(v, c->value)))
			hit = true;
	}
	return c->op == O_EQ || c->op == O_CONTAINS ? hit : !hit;
}

/* F_INPUT_JSON, F_OUTPUT_JSON (§7.2): the value at the key's path in the input (output) parsed
 * as JSON. */
static bool json_text_test(const struct fcond *c, const struct span *s, struct arena *a)
{
	const char *text = c->f->src == F_INPUT_JSON ? s->input : s->output;
	json_t *doc = json_loads(text ? text : "", JSON_DECODE_ANY, NULL);
	bool ok = dict_test(c, path_get(doc, c->key), a);
	json_decref(doc);
	return ok;
}

static bool cond_test(const struct fcond *c, const struct span *s, struct arena *a)
{
	switch ((enum fsrc)c->f->src) {
	case F_ID:
		return str_test(c, c->f->only == OPIK_TRACE || opik_is_trace_row(s) ? s->trace_id
										    : s->span_id);
	case F_NAME:
		return str_test(c, s->name);
	case F_INPUT:
		return str_test(c, s->input);
	case F_OUTPUT:
		return str_test(c, s->output);
	case F_MODEL:
		return str_test(c, s->str[SS_MODEL]);
	case F_PROVIDER:
		return str_test(c, s->str[SS_PROVIDER]);
	case F_TRACE_ID:
		return str_test(c, s->trace_id);
	case F_THREAD:
		return str_test(c, opik_thread_of(s));
	case F_ERROR_TYPE:
		return str_test(c, s->str[SS_ERROR_TYPE]);
	case F_START:
		return opik_cond_number(c->op, true, (double)s->started_at, (double)c->us);
	case F_END:
		return opik_cond_number(c->op, s->ended_at != SPAN_NONE_I64, (double)s->ended_at,
					(double)c->us);
	case F_CREATED:
	case F_UPDATED:
		return stamp_test(c, s);
	case F_LLM_COUNT: /* a trace's only: on its rollup (rollup_test) */
		return true;
	case F_COST:
		return opik_cond_number(c->op, !isnan(s->cost_total_usd), s->cost_total_usd,
					c->num);
	case F_PROMPT:
		return opik_cond_number(c->op, s->input_tokens != SPAN_NONE_I64,
					(double)s->input_tokens, c->num);
	case F_COMPLETION:
		return opik_cond_number(c->op, s->output_tokens != SPAN_NONE_I64,
					(double)s->output_tokens, c->num);
	case F_TOTAL:
		return opik_cond_number(c->op, s->total_tokens != SPAN_NONE_I64,
					(double)s->total_tokens, c->num);
	case F_DURATION: /* ms; 0 while there is no end (§7.2) */
		return opik_cond_number(c->op, true,
					s->ended_at == SPAN_NONE_I64
					    ? 0
					    : (double)(s->ended_at - s->started_at) / 1000.0,
					c->num);
	case F_TTFT: {
		double ms = 0;
		bool has = opik_ttft(s, &ms);
		return opik_cond_number(c->op, has, ms, c->num);
	}
	case F_TAGS:
		return tags_test(c, s);
	case F_METADATA:
		return dict_test(c, path_get(raw(s, "opik.metadata"), c->key), a);
	case F_INPUT_JSON:
	case F_OUTPUT_JSON:
		return json_text_test(c, s, a);
	case F_SCORES:
	case F_SPAN_SCORES:
		return score_test(c, c->by_trace ? s->trace_id : s->span_id);
	case F_ERROR:
		return (s->status == SPST_ERROR) == (c->op == O_NOT_EMPTY);
	case F_TYPE:
		return str_test(c, crosswalk_type(&opik_crosswalk, s));
	case F_SOURCE:
		return str_test(c, json_string_value(raw(s, "opik.source")));
	case F_ENVIRONMENT:
		return str_test(c, json_string_value(raw(s, "opik.environment")));
	case F_ABSENT: /* a missing value answers a list's operators as a string's */
		return str_test(c, NULL);
	case F_VISIBILITY:
		return str_test(c, "default");
	}
	return false;
}

/* A feedback_scores condition the query's key sets answer (opik_filter_judged). */
static bool keyed(const struct fcond *c)
{
	return (c->f->src == F_SCORES || c->f->src == F_SPAN_SCORES) && !c->negate;
}

/* The type conditions (type= and the filters on `type`) against the span's type t: -1 one
 * fails; 1 all hold and no other condition is left; 0 they hold and others are left. */
static int types_match(const struct opik_filter *f, const char *t)
{
	if (f->type && strcmp(t, f->type))
		return -1;
	bool rest = f->project_id != NULL;
	for (size_t i = 0; i < f->n; i++) {
		if (on_rollup(f, &f->c[i]) || keyed(&f->c[i]))
			continue; /* tested on the trace's rollup, or by the query's key sets */
		if (f->c[i].f->src != F_TYPE)
			rest = true;
		else if (!str_test(&f->c[i], t))
			return -1;
	}
	return rest ? 0 : 1;
}

/* The text of string member key of a canonical line, decoded into the arena: 1, with *s NULL
 * when the member is absent or null; 0 when only a parse can say (a value that is no string,
 * an escaped character outside ASCII). */
static int line_text(struct arena *a, const char *line, size_t n, const char *key, const char **s)
{
	const char *v;
	size_t vn, tn;
	*s = NULL;
	if (!jline_get(line, n, key, &v, &vn) || (vn == 4 && !memcmp(v, "null", 4)))
		return 1;
	if (vn < 2 || v[0] != '"')
		return 0;
	char *t = arena_alloc(a, vn);
	if ((tn = jline_unquote(v, vn, t, vn)) == (size_t)-1 || memchr(t, '\0', tn))
		return 0;
	t[tn] = '\0';
	*s = t;
	return 1;
}

/* One condition from the line, as cond_test answers it from the parsed span: 1 holds, -1
 * fails, 0 only a parse can say. Texts (name, input, output, the input or output as JSON)
 * and the metadata: so a `contains` on the input, or a metadata filter, over a project the
 * text index has not seen reads each line instead of parsing it (issue 30). */
static int line_cond(const struct opik_filter *f, const struct fcond *c, const char *line, size_t n,
		     const struct span_line *m)
{
	const char *s, *v;
	size_t vn;
	json_t *doc;
	int r;
	switch ((enum fsrc)c->f->src) {
	case F_NAME:
	case F_INPUT:
	case F_OUTPUT:
		if (!line_text(f->a, line, n,
			       c->f->src == F_NAME    ? "name"
			       : c->f->src == F_INPUT ? "input"
						      : "output",
			       &s))
			return 0;
		return str_test(c, s) ? 1 : -1;
	case F_INPUT_JSON:
	case F_OUTPUT_JSON:
		if (!line_text(f->a, line, n, c->f->src == F_INPUT_JSON ? "input" : "output", &s))
			return 0;
		doc = json_loads(s ? s : "", JSON_DECODE_ANY, NULL);
		r = dict_test(c, path_get(doc, c->key), f->a) ? 1 : -1;
		json_decref(doc);
		return r;
	case F_SCORES:
	case F_SPAN_SCORES:
		return score_test(c, opik_line_id(f->a, f->ent, line, n)) ? 1 : -1;
	case F_METADATA:
		if (!(r = span_line_attr(m, "opik.metadata", &v, &vn)))
			return 0;
		doc = r > 0 ? json_loadb(v, vn, JSON_DECODE_ANY, NULL) : NULL;
		r = dict_test(c, path_get(doc, c->key), f->a) ? 1 : -1;
		json_decref(doc);
		return r;
	default:
		return 0;
	}
}

/* The conditions line_cond answers: -1 one fails; 1 all hold and no other condition is left;
 * 0 others are left. */
static int texts_match(const struct opik_filter *f, const char *line, size_t n,
		       const struct span_line *m)
{
	bool rest = f->project_id != NULL;
	for (size_t i = 0; i < f->n; i++) {
		const struct fcond *c = &f->c[i];
		if (on_rollup(f, c) || c->f->src == F_TYPE || keyed(c))
			continue; /* the rollup's, settled by types_match, or by the key sets */
		int r = line_cond(f, c, line, n, m);
		if (r < 0)
			return -1;
		rest |= r == 0;
	}
	return rest ? 0 : 1;
}

/* What the line settles without parsing it (span_line_scan): the trace rows, the project and
 * the type, which are most lists' only conditions, then the conditions on texts. -1: no
 * match; 1: a match, nothing else to test; 0: parse the line to know. */
static int line_match(const struct opik_filter *f, const char *line, size_t n)
{
	struct span_line m;
	const char *t = NULL;
	char buf[CROSSWALK_TYPE_MAX];
	span_line_scan(line, n, &m);
	int row = f->spans_only ? opik_line_is_trace_row(&m) : -1;
	if (row >= 0)
		return row ? -1 : 0;
	if (f->project) {
		bool has = m.project && !(m.projectn == 4 && !memcmp(m.project, "null", 4));
		if (has ? m.projectn != strlen(f->project_lit) ||
			      memcmp(m.project, f->project_lit, m.projectn)
			: strcmp(f->project, OPIK_DEFAULT_PROJECT) != 0)
			return -1;
	}
	if ((f->type || f->n) && !(t = crosswalk_line_type(&opik_crosswalk, &m, buf)))
		return 0;
	int r = types_match(f, t);
	return r ? r : texts_match(f, line, n, &m);
}

/* A span without raw_attributes is no trace row and has its kind's default type; the
 * project (the default one too) is confirmed by the index condition scope() adds, and a
 * project id on the line (types_match). */
static int opik_bare(void *ctx, int kind)
{
	const struct opik_filter *f = ctx;
	int r = types_match(f, crosswalk_type_of(&opik_crosswalk, (enum span_kind)kind, NULL));
	return r < 0 ? 0 : r > 0 ? 1 : -1;
}

/* The predicate lib/query runs on each candidate line (transient: its parse is given back). */
static bool opik_match(void *ctx, const char *line, size_t n)
{
	struct opik_filter *f = ctx;
	struct span s;
	json_t *root = NULL;
	int quick = line_match(f, line, n);
	if (quick)
		return quick > 0;
	bool ok = span_parse(line, n, &s, &root);
	if (ok && f->spans_only && opik_is_trace_row(&s))
		ok = false;
	if (ok && f->project) {
		const char *p = s.str[SS_PROJECT];
		ok = p ? !strcmp(p, f->project) : !strcmp(f->project, OPIK_DEFAULT_PROJECT);
	}
	if (ok && f->project_id) {
		const char *p = s.str[SS_PROJECT] ? s.str[SS_PROJECT] : OPIK_DEFAULT_PROJECT;
		ok = !strcmp(opik_project_id(f->a, p), f->project_id);
	}
	if (ok && f->type)
		ok = !strcmp(crosswalk_type(&opik_crosswalk, &s), f->type);
	for (size_t i = 0; ok && i < f->n; i++)
		ok = on_rollup(f, &f->c[i]) || cond_test(&f->c[i], &s, f->a);
	span_clear(&s);
	json_decref(root);
	return ok;
}

/* The shortest value taken as a term: one or two letters are in most words, so the text index
 * would leave most candidates and cost more than it saves (BENCHMARKS-HISTORY.md, "Opik's
 * traces with a filter on a name"). */
#define OPIK_TERM_MIN 3

/* Whether v's words are in a line's text as they are in the decoded text: printable ASCII but
 * '\\' (a line escapes '"' as well, but neither is a word byte, and a run of bytes between two
 * words that holds a quote is not one space in either: the text index's pairs take both alike),
 * with OPIK_TERM_MIN bytes or more besides the quotes (docs/FORMAT.md: the server writes every
 * line). */
static bool term_as_stored(const char *v)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			return false;
		n += *p != '"';
	}
	return n >= OPIK_TERM_MIN;
}

size_t opik_filter_terms(const struct opik_filter *f, const char **terms, size_t max,
			 size_t max_len)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n && n < max; i++) {
		const struct fcond *c = &f->c[i];
		if ((c->f->src == F_NAME || c->f->src == F_INPUT || c->f->src == F_OUTPUT) &&
		    (c->op == O_EQ || c->op == O_CONTAINS || c->op == O_STARTS ||
		     c->op == O_ENDS) &&
		    strlen(c->value) <= max_len && term_as_stored(c->value))
			terms[n++] = c->value;
	}
	return n;
}

void opik_filter_rollup(struct opik_filter *f, struct query *q)
{
	for (size_t i = 0; i < f->n; i++)
		if (on_rollup(f, &f->c[i])) {
			q->rollup_pred = rollup_test;
			q->rollup_ctx = f;
		}
}

void opik_filter_pred(struct opik_filter *f, struct query_pred *p)
{
	p->fn = opik_match;
	p->ctx = f;
	p->bare = opik_bare;
	p->transient = true;
	p->tests = f->n;
}

enum status opik_filter_judged(struct opik_filter *f, struct http_req *req, struct query *q)
{
	struct query_keys *keys = arena_alloc(req->arena, (f->n ? f->n : 1) * sizeof *keys);
	struct jquery jq = {
	    .st = api_store(req), .a = req->arena, .ws = req->ws, .name_nocase = true};
	size_t nk = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct fcond *c = &f->c[i];
		struct query_keys all;
		if (c->f->src != F_SCORES && c->f->src != F_SPAN_SCORES)
			continue;
		/* Every item's score of the name: the mean of its authors', which is what Opik
		 * compares (feedback_scores_final); those the operator wants, or for != and
		 * is_empty those it does not; a trace's, those opik_judged_keys gives it. A
		 * trace's span_feedback_scores: the mean of its spans' scores of the name (the
		 * judgements of spans, by their trace). */
		struct jfilter spans = {.targets = 1u << JT_SPAN};
		enum status st;
		if (c->f->src == F_SPAN_SCORES) {
			jq.f = &spans;
			st = query_judged(&jq, opik_target(f->ent), c->key, false, 0, false, 0,
					  &all);
			jq.f = NULL;
		} else {
			st = opik_judged_keys(&jq, f->ent, c->key, &all);
		}
		if (st != ST_OK)
			return http_fail(req, st, "%s", err_text(&jq.err));
		c->by_trace = f->ent == OPIK_TRACE;
		c->negate = c->op == O_NE || c->op == O_EMPTY;
		uint64_t *hs = arena_alloc(req->arena, (all.n ? all.n : 1) * sizeof *hs);
		size_t nh = 0;
		for (size_t k = 0; k < all.n; k++)
			if (c->op == O_EMPTY || c->op == O_NOT_EMPTY ||
			    opik_cond_number(c->negate ? O_EQ : c->op, true, all.v[k], c->num))
				hs[nh++] = all.h[k];
		if (c->negate)
			c->hs = hs, c->nh = nh;
		else
			keys[nk++] = (struct query_keys){all.by, hs, NULL, nh};
	}
	if (nk)
		q->keys = keys, q->nkeys = nk;
	return ST_OK;
}
