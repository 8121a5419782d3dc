/* thread_filter: the `filters` of Opik's thread list, search and stats (reference opik.md §7.1
 * for the format, judgement.md 2.4 and the SDK's thread OQL for the fields: TraceThreadField),
 * tested on each thread once it is built (thread.h): its id, messages, counts, times, scores,
 * status and tags. Errors are the trace filters' 400s. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/base/utf8.h"

enum ttype { TT_STRING, TT_NUMBER, TT_DATE, TT_SCORES, TT_ENUM, TT_LIST };
static const char *const ttype_names[] = {"string", "number", "date_time", "feedback_scores_number",
					  "enum",   "list"};

enum tsrc {
	TS_ID,
	TS_FIRST,
	TS_LAST,
	TS_MESSAGES,
	TS_DURATION,
	TS_CREATED,
	TS_UPDATED,
	TS_START,
	TS_END,
	TS_SCORES,
	TS_STATUS,
	TS_TAGS,
	TS_QUEUES,
	TS_ENVIRONMENT,
};

static const struct tfield {
	const char *name;
	enum ttype type;
	enum tsrc src;
} tfields[] = {
    {"id", TT_STRING, TS_ID}, /* STRING_EXACT: = and != case-sensitive */
    {"first_message", TT_STRING, TS_FIRST},
    {"last_message", TT_STRING, TS_LAST},
    {"number_of_messages", TT_NUMBER, TS_MESSAGES},
    {"duration", TT_NUMBER, TS_DURATION},
    {"created_at", TT_DATE, TS_CREATED},
    {"last_updated_at", TT_DATE, TS_UPDATED},
    {"start_time", TT_DATE, TS_START},
    {"end_time", TT_DATE, TS_END},
    {"feedback_scores", TT_SCORES, TS_SCORES},
    {"status", TT_ENUM, TS_STATUS},
    {"tags", TT_LIST, TS_TAGS},
    {"annotation_queue_ids", TT_LIST, TS_QUEUES}, /* spandex has no annotation queues */
    {"environment", TT_ENUM, TS_ENVIRONMENT},	  /* nor thread environments */
};
#define NTF (sizeof tfields / sizeof *tfields)

enum top {
	T_EQ,
	T_NE,
	T_GT,
	T_GE,
	T_LT,
	T_LE,
	T_CONTAINS,
	T_NOT_CONTAINS,
	T_STARTS,
	T_ENDS,
	T_EMPTY,
	T_NOT_EMPTY,
	T_IN,
	T_NOT_IN
};
static const char *const top_names[] = {"=",	       "!=",	    ">",	">=",
					"<",	       "<=",	    "contains", "not_contains",
					"starts_with", "ends_with", "is_empty", "is_not_empty",
					"in",	       "not_in"};
#define NTOPS (sizeof top_names / sizeof *top_names)

#define B(o) (1u << (o))
static const unsigned ttype_ops[] = {
    [TT_STRING] = B(T_EQ) | B(T_NE) | B(T_GT) | B(T_LT) | B(T_CONTAINS) | B(T_NOT_CONTAINS) |
		  B(T_STARTS) | B(T_ENDS) | B(T_EMPTY) | B(T_NOT_EMPTY),
    [TT_NUMBER] = B(T_EQ) | B(T_NE) | B(T_GT) | B(T_GE) | B(T_LT) | B(T_LE),
    [TT_DATE] = B(T_EQ) | B(T_NE) | B(T_GT) | B(T_GE) | B(T_LT) | B(T_LE),
    [TT_SCORES] =
	B(T_EQ) | B(T_NE) | B(T_GT) | B(T_GE) | B(T_LT) | B(T_LE) | B(T_EMPTY) | B(T_NOT_EMPTY),
    [TT_ENUM] = B(T_EQ) | B(T_NE) | B(T_IN) | B(T_NOT_IN) | B(T_EMPTY) | B(T_NOT_EMPTY),
    [TT_LIST] = B(T_EQ) | B(T_NE) | B(T_CONTAINS) | B(T_NOT_CONTAINS) | B(T_EMPTY) | B(T_NOT_EMPTY),
};

struct tcond {
	const struct tfield *f;
	enum top op;
	const char *key, *value;
	double num;
	int64_t us;
};

struct opik_thread_filter {
	struct tcond *c;
	size_t n;
	struct arena *a;
};

/* A string by op, case-blind but for the id's = and != (absent: only != and the negations). */
static bool str_test(const struct tcond *c, const char *s, bool exact)
{
	const char *v = c->value;
	if (c->op == T_EMPTY || c->op == T_NOT_EMPTY)
		return (c->op == T_EMPTY) == (!s || !*s);
	if (!s)
		return c->op == T_NE || c->op == T_NOT_CONTAINS;
	size_t n = strlen(s), m = strlen(v);
	switch (c->op) {
	case T_EQ:
	case T_NE:
		return (c->op == T_EQ) == !(exact ? strcmp(s, v) : strcasecmp(s, v));
	case T_GT:
		return strcasecmp(s, v) > 0;
	case T_LT:
		return strcasecmp(s, v) < 0;
	case T_CONTAINS:
	case T_NOT_CONTAINS:
		return (c->op == T_CONTAINS) == utf8_casefind(s, n, v, m);
	case T_STARTS:
		return !strncasecmp(s, v, m);
	case T_ENDS:
		return n >= m && !strcasecmp(s + n - m, v);
	default:
		return false;
	}
}

static bool num_test(enum top op, bool has, double x, double v)
{
	if (op == T_EMPTY || op == T_NOT_EMPTY)
		return (op == T_EMPTY) == !has;
	if (!has)
		return op == T_NE;
	switch (op) {
	case T_EQ:
		return x == v;
	case T_NE:
		return x != v;
	case T_GT:
		return x > v;
	case T_GE:
		return x >= v;
	case T_LT:
		return x < v;
	case T_LE:
		return x <= v;
	default:
		return false;
	}
}

/* An enum's value against = != in not_in (in: a comma-joined list, opik.md §7.1). */
static bool enum_test(const struct tcond *c, const char *s)
{
	bool in = false;
	if (c->op == T_EMPTY || c->op == T_NOT_EMPTY)
		return (c->op == T_EMPTY) == !s;
	if (c->op == T_EQ || c->op == T_NE)
		in = s && !strcasecmp(s, c->value);
	for (const char *p = c->value; (c->op == T_IN || c->op == T_NOT_IN) && s && *p && !in;) {
		size_t l = strcspn(p, ",");
		in = strlen(s) == l && !strncasecmp(s, p, l);
		p += l + (p[l] == ',');
	}
	return c->op == T_EQ || c->op == T_IN ? in : !in;
}

/* A list (tags): = an element exactly, != none is, contains one holding the text. */
static bool list_test(const struct tcond *c, json_t *list)
{
	size_t i, n = json_array_size(list);
	json_t *x;
	bool hit = false;
	if (c->op == T_EMPTY || c->op == T_NOT_EMPTY)
		return (c->op == T_EMPTY) == !n;
	json_array_foreach(list, i, x)
	{
		const char *s = json_string_value(x);
		if (!s)
			continue;
		if (c->op == T_EQ || c->op == T_NE)
			hit |= !strcmp(s, c->value);
		else
			hit |= utf8_casefind(s, strlen(s), c->value, strlen(c->value));
	}
	return c->op == T_EQ || c->op == T_CONTAINS ? hit : !hit;
}

/* The text a message filter compares: a JSON string's own text, else the JSON. */
static const char *message_text(struct arena *a, const char *json)
{
	json_t *j = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	const char *s = json_string_value(j);
	return s ? arena_strdup(a, s) : json;
}

static bool cond_test(const struct opik_thread_filter *f, const struct tcond *c,
		      const struct opik_thread *t)
{
	double v;
	bool ended = t->end != SPAN_NONE_I64;
	switch (c->f->src) {
	case TS_ID:
		return str_test(c, t->id, true);
	case TS_FIRST:
	case TS_LAST:
		return str_test(
		    c,
		    message_text(f->a, c->f->src == TS_FIRST ? t->first_message : t->last_message),
		    false);
	case TS_MESSAGES:
		return num_test(c->op, true, (double)(2 * t->traces), c->num);
	case TS_DURATION:
		return num_test(c->op, ended, (double)(t->end - t->start) / 1000.0, c->num);
	case TS_CREATED:
	case TS_UPDATED:
	case TS_START:
	case TS_END: {
		int64_t us = c->f->src == TS_CREATED   ? t->created
			     : c->f->src == TS_UPDATED ? t->updated
			     : c->f->src == TS_START   ? t->start
						       : t->end;
		return num_test(c->op, us != SPAN_NONE_I64, (double)us, (double)c->us);
	}
	case TS_SCORES: {
		bool has = opik_thread_score(t, c->key, &v);
		return num_test(c->op, has, v, c->num);
	}
	case TS_STATUS:
		return enum_test(c, t->inactive ? "inactive" : "active");
	case TS_TAGS:
		return list_test(c, t->tags);
	case TS_QUEUES:
		return list_test(c, NULL);
	case TS_ENVIRONMENT:
		return enum_test(c, NULL);
	}
	return false;
}

bool opik_thread_filter_test(const struct opik_thread_filter *f, const struct opik_thread *t)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (!cond_test(f, &f->c[i], t))
			return false;
	return true;
}

bool opik_thread_filter_messages(const struct opik_thread_filter *f)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->c[i].f->src == TS_FIRST || f->c[i].f->src == TS_LAST)
			return true;
	return false;
}

/* One element {field, operator, key?, value} into c; a 400 in the dialect otherwise. */
static enum status cond_parse(struct http_req *req, json_t *x, struct tcond *c)
{
	const char *field = json_string_value(json_object_get(x, "field"));
	const char *op = json_string_value(json_object_get(x, "operator"));
	const char *key = json_string_value(json_object_get(x, "key"));
	json_t *vj = json_object_get(x, "value");
	size_t o = 0;
	memset(c, 0, sizeof *c);
	for (size_t k = 0; field && k < NTF; k++)
		if (!strcmp(tfields[k].name, field))
			c->f = &tfields[k];
	while (op && o < NTOPS && strcmp(top_names[o], op))
		o++;
	if (!json_is_object(x) || !c->f)
		return http_fail(req, ST_BAD_REQUEST, "Invalid filter field '%.100s'",
				 field ? field : "(none)");
	if (!op || o == NTOPS || !(ttype_ops[c->f->type] & B(o)))
		return http_fail(req, ST_BAD_REQUEST,
				 "Invalid operator '%.40s' for field '%s' of type '%s'",
				 op ? op : "(none)", c->f->name, ttype_names[c->f->type]);
	c->op = (enum top)o;
	c->key = key ? arena_strdup(req->arena, key) : NULL;
	/* Values come as strings; null for the no-value operators (opik.md §7.1). */
	const char *v = json_is_string(vj) ? json_string_value(vj) : "";
	if (json_is_number(vj))
		v = arena_printf(req->arena, "%.17g", json_number_value(vj));
	c->value = arena_strdup(req->arena, v);
	bool need = c->op != T_EMPTY && c->op != T_NOT_EMPTY;
	if (c->f->type == TT_SCORES && (!c->key || !*c->key))
		return http_fail(req, ST_BAD_REQUEST,
				 "Invalid value '%.100s' or key '' for field '%s'", v, c->f->name);
	if (need && (c->f->type == TT_NUMBER || c->f->type == TT_SCORES)) {
		if (!opik_number(v, &c->num))
			return http_fail(req, ST_BAD_REQUEST,
					 "Invalid value '%.100s' or key '%.100s' for field '%s'", v,
					 c->key ? c->key : "", c->f->name);
	}
	if (need && c->f->type == TT_DATE && !time_parse(v, false, &c->us))
		return http_fail(req, ST_BAD_REQUEST, "Invalid value '%.100s' for field '%s'", v,
				 c->f->name);
	return ST_OK;
}

enum status opik_thread_filter_parse(struct http_req *req, json_t *filters, const char *text,
				     struct opik_thread_filter **out)
{
	struct opik_thread_filter *f = arena_alloc(req->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->a = req->arena;
	*out = f;
	if (text && *text) {
		filters = json_loads(text, 0, NULL);
		if (!json_is_array(filters))
			return http_fail(req, ST_BAD_REQUEST,
					 "Invalid filters query parameter '%.200s'", text);
	}
	if (!filters || json_is_null(filters))
		return ST_OK;
	if (!json_is_array(filters))
		return http_fail(req, ST_BAD_REQUEST, "filters must be an array");
	if (json_array_size(filters) > OPIK_MAX_FILTERS)
		return http_fail(req, ST_BAD_REQUEST, "at most %d filters", OPIK_MAX_FILTERS);
	f->c = arena_alloc(req->arena, (json_array_size(filters) + 1) * sizeof *f->c);
	size_t i;
	json_t *x;
	json_array_foreach(filters, i, x)
	{
		enum status st = cond_parse(req, x, &f->c[f->n]);
		if (st != ST_OK)
			return st;
		f->n++;
	}
	return ST_OK;
}
