/* thread_filter: the `filters` of Opik's thread list, search and stats (reference opik.md §7.1
 * for the format, judgement.md 2.4 and the SDK's thread OQL for the fields: TraceThreadField),
 * tested on each thread once it is built (thread.h): its id, messages, counts, times, scores,
 * status and tags. Its columns are data for the one parser of the surface's conditions
 * (filters/cond.h), whose 400s are the trace filters'. */
#include "lib/api/opik/surface.h"
#include "lib/api/opik/threads/thread.h"
#include "lib/api/opik/filters/cond.h"

#include <string.h>
#include "lib/base/utf8.h"

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

static const struct ffield tfields[] = {
    {"id", T_STRING, TS_ID, -1}, /* STRING_EXACT: = and != case-sensitive */
    {"first_message", T_STRING, TS_FIRST, -1},
    {"last_message", T_STRING, TS_LAST, -1},
    {"number_of_messages", T_NUMBER, TS_MESSAGES, -1},
    {"duration", T_NUMBER, TS_DURATION, -1},
    {"created_at", T_DATE, TS_CREATED, -1},
    {"last_updated_at", T_DATE, TS_UPDATED, -1},
    {"start_time", T_DATE, TS_START, -1},
    {"end_time", T_DATE, TS_END, -1},
    {"feedback_scores", T_SCORES, TS_SCORES, -1},
    {"status", T_ENUM, TS_STATUS, -1},
    {"tags", T_LIST, TS_TAGS, -1},
    {"annotation_queue_ids", T_LIST, TS_QUEUES, -1}, /* spandex has no annotation queues */
    {"environment", T_ENUM, TS_ENVIRONMENT, -1},     /* nor thread environments */
};
static const struct opik_columns thread_columns = {
    .f = tfields, .n = sizeof tfields / sizeof *tfields, .ent = -1};

struct opik_thread_filter {
	struct fcond *c;
	size_t n;
	struct arena *a;
};

/* A string by op, case-blind but for the id's = and != (absent: only != and the negations). */
static bool str_test(const struct fcond *c, const char *s, bool exact)
{
	const char *v = c->value;
	if (c->op == O_EMPTY || c->op == O_NOT_EMPTY)
		return (c->op == O_EMPTY) == (!s || !*s);
	if (!s)
		return c->op == O_NE || c->op == O_NOT_CONTAINS;
	size_t n = strlen(s), m = strlen(v);
	switch (c->op) {
	case O_EQ:
	case O_NE:
		return (c->op == O_EQ) == !(exact ? strcmp(s, v) : strcasecmp(s, v));
	case O_GT:
		return strcasecmp(s, v) > 0;
	case O_LT:
		return strcasecmp(s, v) < 0;
	case O_CONTAINS:
	case O_NOT_CONTAINS:
		return (c->op == O_CONTAINS) == utf8_casefind(s, n, v, m);
	case O_STARTS:
		return !strncasecmp(s, v, m);
	case O_ENDS:
		return n >= m && !strcasecmp(s + n - m, v);
	default:
		return false;
	}
}

/* An enum's value against = != in not_in (in: a comma-joined list, opik.md §7.1). */
static bool eopik_cond_number(const struct fcond *c, const char *s)
{
	bool in = false;
	if (c->op == O_EMPTY || c->op == O_NOT_EMPTY)
		return (c->op == O_EMPTY) == !s;
	if (c->op == O_EQ || c->op == O_NE)
		in = s && !strcasecmp(s, c->value);
	for (const char *p = c->value; (c->op == O_IN || c->op == O_NOT_IN) && s && *p && !in;) {
		size_t l = strcspn(p, ",");
		in = strlen(s) == l && !strncasecmp(s, p, l);
		p += l + (p[l] == ',');
	}
	return c->op == O_EQ || c->op == O_IN ? in : !in;
}

/* A list (tags): = an element exactly, != none is, contains one holding the text. */
static bool list_test(const struct fcond *c, json_t *list)
{
	size_t i, n = json_array_size(list);
	json_t *x;
	bool hit = false;
	if (c->op == O_EMPTY || c->op == O_NOT_EMPTY)
		return (c->op == O_EMPTY) == !n;
	json_array_foreach(list, i, x)
	{
		const char *s = json_string_value(x);
		if (!s)
			continue;
		if (c->op == O_EQ || c->op == O_NE)
			hit |= !strcmp(s, c->value);
		else
			hit |= utf8_casefind(s, strlen(s), c->value, strlen(c->value));
	}
	return c->op == O_EQ || c->op == O_CONTAINS ? hit : !hit;
}

/* The text a message filter compares: a JSON string's own text, else the JSON. */
static const char *message_text(struct arena *a, const char *json)
{
	json_t *j = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	const char *s = json_string_value(j);
	return s ? arena_strdup(a, s) : json;
}

static bool cond_test(const struct opik_thread_filter *f, const struct fcond *c,
		      const struct opik_thread *t)
{
	double v;
	bool ended = t->end != SPAN_NONE_I64;
	switch ((enum tsrc)c->f->src) {
	case TS_ID:
		return str_test(c, t->id, true);
	case TS_FIRST:
	case TS_LAST:
		return str_test(
		    c,
		    message_text(f->a, c->f->src == TS_FIRST ? t->first_message : t->last_message),
		    false);
	case TS_MESSAGES:
		return opik_cond_number(c->op, true, (double)(2 * t->traces), c->num);
	case TS_DURATION:
		return opik_cond_number(c->op, ended, (double)(t->end - t->start) / 1000.0, c->num);
	case TS_CREATED:
	case TS_UPDATED:
	case TS_START:
	case TS_END: {
		int64_t us = c->f->src == TS_CREATED   ? t->created
			     : c->f->src == TS_UPDATED ? t->updated
			     : c->f->src == TS_START   ? t->start
						       : t->end;
		return opik_cond_number(c->op, us != SPAN_NONE_I64, (double)us, (double)c->us);
	}
	case TS_SCORES: {
		bool has = opik_thread_score(t, c->key, &v);
		return opik_cond_number(c->op, has, v, c->num);
	}
	case TS_STATUS:
		return eopik_cond_number(c, t->inactive ? "inactive" : "active");
	case TS_TAGS:
		return list_test(c, t->tags);
	case TS_QUEUES:
		return list_test(c, NULL);
	case TS_ENVIRONMENT:
		return eopik_cond_number(c, NULL);
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

enum status opik_thread_filter_parse(struct http_req *req, json_t *filters, const char *text,
				     struct opik_thread_filter **out)
{
	struct opik_thread_filter *f = arena_alloc(req->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->a = req->arena;
	*out = f;
	return opik_conds_parse(req, &thread_columns, filters, text, &f->c, &f->n);
}
