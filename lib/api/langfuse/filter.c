/* filter: Langfuse's JSON `filter` parameter (filter.h): parsed as its server's zod schema
 * checks it (singleFilter of packages/shared/src/interfaces/filters.ts), each column checked
 * against the view's table as its createFilterFromFilterState does, then split between the
 * index and the test of each candidate. */
#include "lib/api/langfuse/filter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"

/* The condition types, as Langfuse names them. */
enum ltype {
	T_DATETIME,
	T_STRING,
	T_NUMBER,
	T_STRING_OPTIONS,
	T_CATEGORY_OPTIONS,
	T_ARRAY_OPTIONS,
	T_STRING_OBJECT,
	T_NUMBER_OBJECT,
	T_BOOLEAN_OBJECT,
	T_BOOLEAN,
	T_NULL,
	T_POSITION,
	T__COUNT
};
static const char *const type_names[T__COUNT] = {
    "datetime",	       "string",       "number",       "stringOptions",
    "categoryOptions", "arrayOptions", "stringObject", "numberObject",
    "booleanObject",   "boolean",      "null",	       "positionInTrace"};

enum lop {
	OP_EQ,
	OP_GT,
	OP_LT,
	OP_GE,
	OP_LE,
	OP_CONTAINS,
	OP_NOT_CONTAINS,
	OP_STARTS,
	OP_ENDS,
	OP_ANY,
	OP_NONE,
	OP_ALL,
	OP_NE,
	OP_NULL,
	OP_NOT_NULL,
	OP__COUNT
};
static const char *const op_names[OP__COUNT] = {
    "=",	 ">",	   "<",	      ">=",	"<=", "contains", "does not contain", "starts with",
    "ends with", "any of", "none of", "all of", "<>", "is null",  "is not null"};

/* The operators of each type (filterOperators), as bits of enum lop. */
#define B(op) (1u << (op))
#define OPS_STRING (B(OP_EQ) | B(OP_CONTAINS) | B(OP_NOT_CONTAINS) | B(OP_STARTS) | B(OP_ENDS))
#define OPS_NUMBER (B(OP_EQ) | B(OP_GT) | B(OP_LT) | B(OP_GE) | B(OP_LE))
static const unsigned type_ops[T__COUNT] = {
    [T_DATETIME] = B(OP_GT) | B(OP_LT) | B(OP_GE) | B(OP_LE),
    [T_STRING] = OPS_STRING,
    [T_NUMBER] = OPS_NUMBER,
    [T_STRING_OPTIONS] = B(OP_ANY) | B(OP_NONE),
    [T_CATEGORY_OPTIONS] = B(OP_ANY) | B(OP_NONE),
    [T_ARRAY_OPTIONS] = B(OP_ANY) | B(OP_NONE) | B(OP_ALL),
    [T_STRING_OBJECT] = OPS_STRING,
    [T_NUMBER_OBJECT] = OPS_NUMBER,
    [T_BOOLEAN_OBJECT] = B(OP_EQ) | B(OP_NE),
    [T_BOOLEAN] = B(OP_EQ) | B(OP_NE),
    [T_NULL] = B(OP_NULL) | B(OP_NOT_NULL),
    [T_POSITION] = B(OP_EQ),
};

/* The columns of each view (the public API's columns of trace.yml and observations.yml, and
 * the scores' members), with the type Langfuse declares for each. A column of LC_NONE is one
 * Langfuse filters on and spandex keeps nothing for: a 400 that says why. */
static const struct column {
	const char *name;
	unsigned views;
	enum langfuse_col col;
	enum ltype type; /* T_STRING, T_DATETIME, T_NUMBER, T_ARRAY_OPTIONS, T_STRING_OBJECT
			    (metadata) or T_BOOLEAN */
	const char *why; /* LC_NONE: why it is not served */
} columns[] = {
#define T LV_TRACES
#define O LV_OBSERVATIONS
#define S LV_SCORES
    /* A trace's id is its trace id (a root another API wrote has a span id of its own). */
    {"id", T, LC_TRACE_ID, T_STRING, NULL},
    {"id", O | S, LC_ID, T_STRING, NULL},
    {"name", T | O | S, LC_NAME, T_STRING, NULL},
    {"timestamp", T | S, LC_TIMESTAMP, T_DATETIME, NULL},
    {"startTime", O, LC_TIMESTAMP, T_DATETIME, NULL},
    {"endTime", O, LC_END, T_DATETIME, NULL},
    {"userId", T | O | S, LC_USER, T_STRING, NULL},
    {"sessionId", T | O | S, LC_SESSION, T_STRING, NULL},
    {"environment", T | O | S, LC_ENV, T_STRING, NULL},
    {"version", T | O, LC_VERSION, T_STRING, NULL},
    {"release", T, LC_RELEASE, T_STRING, NULL},
    {"tags", T, LC_TAGS, T_ARRAY_OPTIONS, NULL},
    {"traceTags", S, LC_TAGS, T_ARRAY_OPTIONS, NULL},
    {"bookmarked", T, LC_BOOKMARKED, T_BOOLEAN, NULL},
    {"metadata", T | O | S, LC_METADATA, T_STRING_OBJECT, NULL},
    {"latency", O, LC_LATENCY, T_NUMBER, NULL},
    {"inputTokens", T | O, LC_IN_TOK, T_NUMBER, NULL},
    {"outputTokens", T | O, LC_OUT_TOK, T_NUMBER, NULL},
    {"totalTokens", T | O, LC_TOT_TOK, T_NUMBER, NULL},
    {"tokens", T | O, LC_TOT_TOK, T_NUMBER, NULL},
    {"inputCost", T | O, LC_IN_COST, T_NUMBER, NULL},
    {"outputCost", T | O, LC_OUT_COST, T_NUMBER, NULL},
    {"totalCost", T | O, LC_TOT_COST, T_NUMBER, NULL},
    {"errorCount", T, LC_ERRORS, T_NUMBER, NULL},
    {"type", O, LC_TYPE, T_STRING, NULL},
    {"traceId", O | S, LC_TRACE_ID, T_STRING, NULL},
    {"level", O, LC_LEVEL, T_STRING, NULL},
    {"statusMessage", O, LC_STATUS_MSG, T_STRING, NULL},
    {"isRootObservation", O, LC_ROOT, T_BOOLEAN, NULL},
    {"model", O, LC_MODEL, T_STRING, NULL},
    {"providedModelName", O, LC_MODEL, T_STRING, NULL},
    {"promptName", O, LC_PROMPT_NAME, T_STRING, NULL},
    {"promptVersion", O, LC_PROMPT_VERSION, T_NUMBER, NULL},
    {"input", O, LC_INPUT, T_STRING, NULL},
    {"output", O, LC_OUTPUT, T_STRING, NULL},
    {"timeToFirstToken", O, LC_TTFT, T_NUMBER, NULL},
    {"value", S, LC_VALUE, T_NUMBER, NULL},
    {"source", S, LC_SOURCE, T_STRING, NULL},
    {"dataType", S, LC_DATA_TYPE, T_STRING, NULL},
    {"comment", S, LC_COMMENT, T_STRING, NULL},
    {"observationId", S, LC_OBS_ID, T_STRING, NULL},
    {"stringValue", S, LC_STRING_VALUE, T_STRING, NULL},
    {"configId", S, LC_CONFIG_ID, T_STRING, NULL},
    {"queueId", S, LC_QUEUE_ID, T_STRING, NULL},
    /* Langfuse's, not kept here. */
    {"latency", T, LC_NONE, T_NUMBER,
     "a trace's latency is not kept with its row (filter its observations' latency)"},
    {"level", T, LC_NONE, T_STRING, "a trace's highest level is not kept (use errorCount)"},
    {"warningCount", T, LC_NONE, T_NUMBER, "levels other than ERROR are not counted here"},
    {"defaultCount", T, LC_NONE, T_NUMBER, "levels other than ERROR are not counted here"},
    {"debugCount", T, LC_NONE, T_NUMBER, "levels other than ERROR are not counted here"},
    {"scores_avg", T, LC_NONE, T_NUMBER, "score filters on traces are not served here"},
    {"scores", T, LC_NONE, T_NUMBER, "score filters on traces are not served here"},
    {"score_categories", T, LC_NONE, T_CATEGORY_OPTIONS,
     "score filters on traces are not served here"},
    {"score_booleans", T, LC_NONE, T_BOOLEAN_OBJECT, "score filters on traces are not served here"},
    {"traceName", O, LC_NONE, T_STRING,
     "observations are not filtered by their trace's members here (filter traces)"},
    {"traceTags", O, LC_NONE, T_ARRAY_OPTIONS,
     "observations are not filtered by their trace's members here (filter traces)"},
    {"tags", O, LC_NONE, T_ARRAY_OPTIONS,
     "observations are not filtered by their trace's members here (filter traces)"},
    {"tokensPerSecond", O, LC_NONE, T_NUMBER, "tokens per second are not kept here"},
#undef T
#undef O
#undef S
};

/* One condition the index did not answer. */
struct lcond {
	enum langfuse_col col;
	enum ltype type;
	enum lop op;
	const char *key, *s;
	double n;
	int64_t us;
	bool b, rollup;
	const char **list;
	size_t nlist;
};

struct langfuse_filter {
	struct lcond *c;
	size_t n;
	enum langfuse_col named[FILTER_MAX_CONDS];
	size_t nnamed;
};

/* The column types each condition type may filter (Langfuse: "Invalid filter type"). */
static bool compatible(enum ltype column, enum ltype cond)
{
	if (cond == T_NULL)
		return true;
	switch (column) {
	case T_STRING:
		return cond == T_STRING || cond == T_STRING_OPTIONS;
	case T_STRING_OBJECT:
		return cond == T_STRING_OBJECT || cond == T_NUMBER_OBJECT ||
		       cond == T_CATEGORY_OPTIONS;
	default:
		return cond == column;
	}
}

static const struct column *column_find(const char *name, enum langfuse_view v)
{
	for (size_t i = 0; i < sizeof columns / sizeof *columns; i++)
		if ((columns[i].views & v) && !strcmp(columns[i].name, name))
			return &columns[i];
	return NULL;
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* A list of strings value into c; false with *why when it is no such list. */
static bool read_list(struct arena *a, json_t *v, struct lcond *c, const char **why)
{
	size_t i;
	json_t *x;
	if (!json_is_array(v)) {
		*why = "Expected array, received something else";
		return false;
	}
	c->nlist = json_array_size(v);
	if (c->nlist > FILTER_MAX_IN) {
		*why = "Too many values (at most 1000)";
		return false;
	}
	c->list = arena_alloc(a, (c->nlist + 1) * sizeof *c->list);
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x)) {
			*why = "Expected string, received something else";
			return false;
		}
		c->list[i] = arena_strdup(a, json_string_value(x));
	}
	if (!c->nlist &&
	    (c->type == T_STRING_OPTIONS || (c->type == T_ARRAY_OPTIONS && c->op == OP_ANY))) {
		*why = "Value array must not be empty";
		return false;
	}
	return true;
}

/* The value of one condition by its type (zod's checks); NULL or why it is refused. */
static const char *read_value(struct arena *a, json_t *v, struct lcond *c)
{
	const char *why = NULL;
	switch (c->type) {
	case T_DATETIME:
		if (!json_is_string(v) || !time_parse(json_string_value(v), false, &c->us))
			return "Invalid date";
		return NULL;
	case T_STRING:
	case T_STRING_OBJECT:
		if (!json_is_string(v))
			return "Expected string, received something else";
		c->s = arena_strdup(a, json_string_value(v));
		return NULL;
	case T_NUMBER:
	case T_NUMBER_OBJECT:
		if (!json_is_number(v))
			return "Expected number, received something else";
		c->n = json_number_value(v);
		return NULL;
	case T_BOOLEAN:
	case T_BOOLEAN_OBJECT:
		if (!json_is_boolean(v))
			return "Expected boolean, received something else";
		c->b = json_is_true(v);
		return NULL;
	case T_NULL:
		return json_is_string(v) && !*json_string_value(v)
			   ? NULL
			   : "Invalid literal value, expected \"\"";
	default:
		return read_list(a, v, c, &why) ? NULL : why;
	}
}

/* One condition's members into c, as zod checks them; NULL or why it is refused. */
static const char *read_cond(struct arena *a, json_t *x, struct lcond *c, const char **column)
{
	if (!json_is_object(x))
		return "Expected object, received something else";
	int t = name_index(type_names, T__COUNT, json_string_value(json_object_get(x, "type")));
	if (t < 0)
		return "Invalid discriminator value. Expected 'datetime' | 'string' | 'number' | "
		       "'stringOptions' | 'categoryOptions' | 'arrayOptions' | 'stringObject' | "
		       "'numberObject' | 'booleanObject' | 'boolean' | 'null' | 'positionInTrace'";
	c->type = (enum ltype)t;
	*column = json_string_value(json_object_get(x, "column"));
	if (!*column)
		return "column: Expected string, received something else";
	int op = name_index(op_names, OP__COUNT, json_string_value(json_object_get(x, "operator")));
	if (op < 0 || !(type_ops[t] & B(op)))
		return arena_printf(a, "operator: Invalid enum value for a %s filter",
				    type_names[t]);
	c->op = (enum lop)op;
	json_t *key = json_object_get(x, "key");
	if (t == T_STRING_OBJECT || t == T_NUMBER_OBJECT || t == T_BOOLEAN_OBJECT ||
	    t == T_CATEGORY_OPTIONS || t == T_POSITION) {
		if (!json_is_string(key))
			return "key: Required";
		c->key = arena_strdup(a, json_string_value(key));
	}
	const char *why = read_value(a, json_object_get(x, "value"), c);
	return why ? arena_printf(a, "value: %s", why) : NULL;
}

/* The index's field of column col in view v, or -1: the columns a span's record holds. */
static int index_field(enum langfuse_view v, enum langfuse_col col)
{
	switch (col) {
	case LC_ID:
		return v == LV_OBSERVATIONS ? FF_SPAN_ID : -1;
	case LC_NAME:
		return v == LV_SCORES ? -1 : FF_NAME;
	case LC_TRACE_ID:
		return v == LV_SCORES ? -1 : FF_TRACE_ID;
	case LC_SESSION:
		return v == LV_SCORES ? -1 : FF_SESSION_ID;
	case LC_TIMESTAMP:
		return v == LV_SCORES ? -1 : FF_STARTED_AT;
	default:
		return -1;
	}
}

/* c as a condition of the index, appended to flt; false when the index cannot answer it. */
static bool to_index(struct arena *a, enum langfuse_view v, const struct lcond *c,
		     struct filter *flt)
{
	int ff = index_field(v, c->col);
	struct filter_cond *fc = &flt->conds[flt->n];
	if (ff < 0)
		return false;
	memset(fc, 0, sizeof *fc);
	fc->field = (enum filter_field)ff;
	if (c->type == T_DATETIME) {
		fc->op = c->op == OP_GT || c->op == OP_GE ? FOP_GTE : FOP_LTE;
		fc->us = c->us + (c->op == OP_GT) - (c->op == OP_LT);
	} else if (c->type == T_STRING && c->op == OP_EQ) {
		const char **one = arena_alloc(a, sizeof *one);
		*one = c->s;
		fc->op = FOP_EQ;
		fc->vals = one;
		fc->nvals = 1;
	} else if (c->type == T_STRING_OPTIONS && c->op == OP_ANY) {
		fc->op = FOP_IN;
		fc->vals = c->list;
		fc->nvals = c->nlist;
	} else {
		return false;
	}
	flt->n++;
	return true;
}

/* One condition of the array: read, its column checked, then the index's or kept; false when
 * the 400 is written. */
static bool take(struct http_req *req, enum langfuse_view v, json_t *x, const char *path,
		 struct filter *flt, struct langfuse_filter *f)
{
	struct lcond *c = &f->c[f->n];
	const char *column = NULL, *why;
	memset(c, 0, sizeof *c);
	if ((why = read_cond(req->arena, x, c, &column))) {
		langfuse_bad(req, path, why);
		return false;
	}
	const struct column *col = column_find(column, v);
	if (!col)
		return langfuse_refuse(req, "Column %.200s does not match a UI / CH table mapping.",
				       column);
	if (!compatible(col->type, c->type))
		return langfuse_refuse(
		    req, "Invalid filter type '%s' for column '%s'. Expected filter type '%s'.",
		    type_names[c->type], col->name, type_names[col->type]);
	if (col->col == LC_NONE || c->type == T_POSITION)
		return langfuse_refuse(req, "Filtering on %s is not supported here: %s", col->name,
				       col->why ? col->why : "positions in a trace are not kept");
	c->col = col->col;
	c->rollup = v == LV_TRACES &&
		    (c->col == LC_IN_TOK || c->col == LC_OUT_TOK || c->col == LC_TOT_TOK ||
		     c->col == LC_IN_COST || c->col == LC_OUT_COST || c->col == LC_TOT_COST ||
		     c->col == LC_ERRORS);
	f->named[f->nnamed++] = c->col;
	if (!to_index(req->arena, v, c, flt))
		f->n++;
	return true;
}

bool langfuse_filter_from(struct http_req *req, enum langfuse_view v, json_t *arr, const char *path,
			  struct filter *flt, struct langfuse_filter **out)
{
	size_t i;
	json_t *x;
	*out = NULL;
	if (!json_is_array(arr)) {
		langfuse_bad(req, path, "Expected array, received something else");
		return false;
	}
	if (json_array_size(arr) + flt->n > FILTER_MAX_CONDS) {
		langfuse_bad(req, path, "Too many conditions (at most 64)");
		return false;
	}
	struct langfuse_filter *f = arena_alloc(req->arena, sizeof *f);
	memset(f, 0, sizeof *f);
	f->c = arena_alloc(req->arena, (json_array_size(arr) + 1) * sizeof *f->c);
	json_array_foreach(arr, i, x) if (!take(req, v, x, path, flt, f)) return false;
	*out = f;
	return true;
}

bool langfuse_filter_read(struct http_req *req, enum langfuse_view v, struct filter *flt,
			  struct langfuse_filter **out)
{
	const char *text = http_param(req, "filter");
	json_error_t je;
	*out = NULL;
	if (!text || !*text)
		return true;
	json_t *arr = json_loads(text, JSON_DECODE_ANY, &je);
	if (!arr)
		return langfuse_refuse(req, "Invalid JSON in filter parameter");
	return langfuse_filter_from(req, v, arr, "filter", flt, out);
}

bool langfuse_filter_names(const struct langfuse_filter *f, enum langfuse_col col)
{
	for (size_t i = 0; f && i < f->nnamed; i++)
		if (f->named[i] == col)
			return true;
	return false;
}

const char *langfuse_filter_param(struct http_req *req, const struct langfuse_filter *f,
				  const char *name, enum langfuse_col col)
{
	return langfuse_filter_names(f, col) ? NULL : http_param(req, name);
}

bool langfuse_filter_has_rollup(const struct langfuse_filter *f)
{
	for (size_t i = 0; f && i < f->n; i++)
		if (f->c[i].rollup)
			return true;
	return false;
}

/* ---- the test of a candidate ---- */

static bool str_op(enum lop op, const char *v, const char *want)
{
	size_t n = strlen(v), k = strlen(want);
	switch (op) {
	case OP_EQ:
		return !strcmp(v, want);
	case OP_CONTAINS:
		return strstr(v, want) != NULL;
	case OP_NOT_CONTAINS:
		return !strstr(v, want);
	case OP_STARTS:
		return !strncmp(v, want, k);
	case OP_ENDS:
		return n >= k && !strcmp(v + n - k, want);
	default:
		return false;
	}
}

static bool num_op(enum lop op, double v, double want)
{
	switch (op) {
	case OP_EQ:
		return v == want;
	case OP_GT:
		return v > want;
	case OP_LT:
		return v < want;
	case OP_GE:
		return v >= want;
	case OP_LE:
		return v <= want;
	default:
		return false;
	}
}

static bool in_list(const struct lcond *c, const char *v)
{
	for (size_t i = 0; v && i < c->nlist; i++)
		if (!strcmp(c->list[i], v))
			return true;
	return false;
}

/* A list column (tags) against any of / none of / all of. */
static bool list_op(const struct lcond *c, json_t *have)
{
	size_t hits = 0;
	for (size_t i = 0; i < c->nlist; i++) {
		size_t k;
		json_t *x;
		bool has = false;
		json_array_foreach(have, k, x) has |=
		    json_is_string(x) && !strcmp(json_string_value(x), c->list[i]);
		hits += has;
	}
	return c->op == OP_ANY ? hits > 0 : c->op == OP_ALL ? hits == c->nlist : hits == 0;
}

/* A metadata member against a stringObject, numberObject or categoryOptions condition; Langfuse
 * keeps metadata values as strings, so a number or an object is compared as its JSON text. */
static bool member_op(const struct lcond *c, json_t *obj)
{
	json_t *m = json_is_object(obj) ? json_object_get(obj, c->key) : NULL;
	if (c->type == T_NULL)
		return (c->op == OP_NULL) == (!m || json_is_null(m));
	if (!m || json_is_null(m))
		return c->type == T_STRING_OBJECT && c->op == OP_NOT_CONTAINS;
	if (c->type == T_NUMBER_OBJECT) {
		char *end;
		double v = json_is_number(m) ? json_number_value(m) : NAN;
		if (json_is_string(m))
			v = strtod(json_string_value(m), &end), v = *end ? NAN : v;
		return !isnan(v) && num_op(c->op, v, c->n);
	}
	char text[64];
	const char *t = json_string_value(m);
	if (json_is_integer(m))
		snprintf(text, sizeof text, "%lld", (long long)json_integer_value(m));
	else if (json_is_real(m))
		snprintf(text, sizeof text, "%.17g", json_real_value(m));
	else if (json_is_boolean(m))
		snprintf(text, sizeof text, "%s", json_is_true(m) ? "true" : "false");
	else if (!t)
		return c->op == OP_NOT_CONTAINS ||
		       (c->type == T_CATEGORY_OPTIONS && c->op == OP_NONE);
	const char *s = t ? t : text;
	return c->type == T_STRING_OBJECT ? str_op(c->op, s, c->s)
					  : in_list(c, s) == (c->op == OP_ANY);
}

static bool cond_passes(const struct lcond *c, const struct langfuse_val *v)
{
	if (c->col == LC_METADATA)
		return member_op(c, v->t == LVAL_OBJ ? v->j : NULL);
	if (c->type == T_NULL)
		return (c->op == OP_NULL) == (v->t == LVAL_NONE);
	switch (c->type) {
	case T_STRING:
		return str_op(c->op, v->t == LVAL_STR ? v->s : "", c->s);
	case T_STRING_OPTIONS:
		return in_list(c, v->t == LVAL_STR ? v->s : "") == (c->op == OP_ANY);
	case T_NUMBER:
		return v->t == LVAL_NUM && !isnan(v->n) && num_op(c->op, v->n, c->n);
	case T_DATETIME:
		return v->t == LVAL_TIME && num_op(c->op, (double)v->us, (double)c->us);
	case T_BOOLEAN:
		return v->t == LVAL_BOOL && (v->b == c->b) == (c->op == OP_EQ);
	case T_ARRAY_OPTIONS:
		return list_op(c, v->t == LVAL_LIST ? v->j : NULL);
	default:
		return false;
	}
}

bool langfuse_filter_test(const struct langfuse_filter *f, langfuse_get_fn get, const void *subject,
			  bool rollup)
{
	for (size_t i = 0; f && i < f->n; i++) {
		struct langfuse_val v = {.t = LVAL_NONE};
		if (f->c[i].rollup != rollup)
			continue;
		get(subject, f->c[i].col, &v);
		if (!cond_passes(&f->c[i], &v))
			return false;
	}
	return true;
}
