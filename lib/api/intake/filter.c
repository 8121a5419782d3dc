/* filter: parse and check the Intake `filter` parameter (reference nemo-intake.md §3). */
#include "lib/api/intake/filter.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/json/jsonx.h"
#include "lib/model/span.h"
#include "lib/model/vschema.h"
#include "lib/base/arena.h"
#include "lib/base/mem.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"

/* §3.2: the shared parser accepts the filter model's fields plus these entity fields, and
 * spandex serves them all: id (a span's span_id, a trace's id), name, workspace and
 * entity_type (all or nothing), created_at and updated_at (ingested_at), project. */
static const char *const generic_fields[] = {
    "id", "name", "workspace", "created_at", "updated_at", "entity_type", "project", NULL,
};

/* Operators of the platform filter syntax (§3.1); any other is refused by the shared parser. */
static const char *const known_ops[] = {
    "$eq",  "$like", "$lt", "$lte", "$gt",     "$gte", "$in",
    "$nin", "$and",  "$or", "$not", "$exists", NULL,
};

static const char only_and[] =
    "Only AND-combined field filters are supported for Intake span storage.";

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* A field of the filter: its name and the condition it is (cond.h), or FIELD_ENTITY. */
#define FIELD_ENTITY (-2) /* entity_type: all or nothing, settled here (filter.nothing) */
struct field {
	const char *name;
	int ff;
};

/* The filter's fields that are no field of the Span line: §3.2's entity fields and
 * TraceFilter's id and experiment_id, as conditions of spans and of traces (-1: not served). */
static const struct {
	const char *name;
	int spans, traces;
} entity_fields[] = {
    {"id", FF_SPAN_ID, FF_TRACE_ID},
    {"experiment_id", -1, FF_EVALUATION_ID},
    {"workspace", FF_WORKSPACE, FF_WORKSPACE},
    {"entity_type", FIELD_ENTITY, FIELD_ENTITY},
    {"created_at", FF_INGESTED_AT, FF_INGESTED_AT},
    {"updated_at", FF_INGESTED_AT, FF_INGESTED_AT},
};
#define N_ENTITY_FIELDS (sizeof entity_fields / sizeof entity_fields[0])

/* The Span fields TraceFilter (List Traces page) takes; SpanFilter (List Span Groups page)
 * takes every one cond.h has (FF__FIELDS). */
static bool trace_field(int ff)
{
	return ff == FF_NAME || ff == FF_SESSION_ID || ff == FF_STATUS || ff == FF_STARTED_AT ||
	       ff == FF_TEST_CASE_ID || ff == FF_PROJECT;
}

/* The field of name that kind serves into *out; false when there is none. */
static bool field_lookup(enum filter_kind kind, const char *name, struct field *out)
{
	for (size_t i = 0; i < N_ENTITY_FIELDS; i++)
		if (strcmp(entity_fields[i].name, name) == 0) {
			out->name = entity_fields[i].name;
			out->ff =
			    kind == FILTER_SPANS ? entity_fields[i].spans : entity_fields[i].traces;
			return out->ff != -1;
		}
	int i = cond_field(name);
	if (i < 0)
		return false;
	out->name = cond_field_names[i];
	out->ff = i;
	return kind == FILTER_SPANS || trace_field(i);
}

/* Fields compared as datetimes, with $gte and $lte only (§3.3). */
static bool time_field(int ff)
{
	return ff == FF_STARTED_AT || ff == FF_INGESTED_AT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "Unknown filter field 'x'. Valid fields: ['a', 'b']": Python's repr of the sorted set. */
enum status intake_filter_field(const char *name, const char *const *fields, size_t n,
				struct err *err)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(fields[i], name))
			return ST_OK;
	if (in_list(generic_fields, name))
		return ST_OK;
	const char **names = xmalloc((n + 8) * sizeof *names);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		names[k++] = fields[i];
	for (const char *const *g = generic_fields; *g; g++) {
		bool dup = false;
		for (size_t i = 0; i < k; i++)
			dup |= strcmp(names[i], *g) == 0;
		if (!dup)
			names[k++] = *g;
	}
	qsort(names, k, sizeof names[0], cmp_str);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "Unknown filter field '%s'. Valid fields: [", name);
	for (size_t i = 0; i < k; i++)
		buf_printf(&b, "%s'%s'", i ? ", " : "", names[i]);
	buf_addc(&b, ']');
	err_set(err, ST_BAD_REQUEST, "%s", b.p);
	buf_free(&b);
	free(names);
	return ST_BAD_REQUEST;
}

/* The message of an unknown span or trace field: the fields the kind serves. */
static enum status unknown_field(enum filter_kind kind, const char *name, struct err *err)
{
	const char *names[FF__FIELDS + N_ENTITY_FIELDS];
	size_t n = 0;
	struct field fd;
	for (int i = 0; i < FF__FIELDS; i++)
		if (kind == FILTER_SPANS || trace_field(i))
			names[n++] = cond_field_names[i];
	for (size_t i = 0; i < N_ENTITY_FIELDS; i++)
		if (field_lookup(kind, entity_fields[i].name, &fd))
			names[n++] = fd.name;
	return intake_filter_field(name, names, n, err);
}

struct pctx {
	struct arena *a;
	enum filter_kind kind;
	struct filter *f;
	struct err *err;
};

/* A 400 with the message in err (which may be NULL). */
static enum status failv(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum status failv(struct err *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return ST_BAD_REQUEST;
	err->st = ST_BAD_REQUEST;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return ST_BAD_REQUEST;
}
#define fail(c, ...) failv((c)->err, __VA_ARGS__)

/* §3.3: values are non-null strings (the messages of NeMo's query_filters.py). */
static enum status want_string(struct pctx *c, const char *field, json_t *v, const char **out)
{
	if (json_is_null(v))
		return fail(c, "Filter field '%s' does not support null values.", field);
	if (!json_is_string(v))
		return fail(c, "Filter field '%s' must be a string.", field);
	*out = arena_strndup(c->a, json_string_value(v), json_string_length(v));
	return ST_OK;
}

static enum status add_cond(struct pctx *c, const struct field *fd, const char *op, json_t *v)
{
	const char *fname = fd->name;
	int ff = fd->ff;
	bool id = strcmp(fname, "id") == 0; /* a span's span_id, a trace's id: $in too */
	const char *what = c->kind == FILTER_SPANS ? "span" : "trace";
	enum filter_op fop;
	/* §3.3: started_at takes $gte and $lte only, so a bare datetime ($eq) is refused; the
	 * seeds' DatetimeFilter has no other member. created_at and updated_at alike. */
	if (strcmp(op, "$eq") == 0 && !time_field(ff))
		fop = FOP_EQ;
	else if (time_field(ff) && strcmp(op, "$gte") == 0)
		fop = FOP_GTE;
	else if (time_field(ff) && strcmp(op, "$lte") == 0)
		fop = FOP_LTE;
	else if (id && strcmp(op, "$in") == 0)
		fop = FOP_IN;
	else if (!time_field(ff) &&
		 !(c->kind == FILTER_TRACES && (ff == FF_TEST_CASE_ID || ff == FF_EVALUATION_ID)))
		/* NeMo's span and trace fields are equality-only; its trace index fields
		 * (evaluation, test case) and started_at name the operator they refuse. */
		return fail(c, "Filter field '%s' only supports equality.", fname);
	else
		return fail(c, "Unsupported %s filter: %s %s", what, fname, op);
	if (c->f->n >= FILTER_MAX_CONDS)
		return fail(c, "Too many filter conditions (at most %d).", FILTER_MAX_CONDS);
	struct filter_cond *fc = &c->f->conds[c->f->n];
	memset(fc, 0, sizeof *fc);
	fc->field = ff;
	fc->op = fop;
	enum status s;
	if (fop == FOP_IN) {
		/* §3.2: a string value of $in is split on commas. */
		json_t *list = v;
		json_t *owned = NULL;
		if (json_is_string(v)) {
			owned = list = json_array();
			const char *p = json_string_value(v);
			for (const char *q; (q = strchr(p, ',')); p = q + 1)
				json_array_append_new(list, json_stringn(p, q - p));
			json_array_append_new(list, json_string(p));
		}
		bool strings = json_is_array(list) && json_array_size(list) > 0;
		for (size_t i = 0; strings && i < json_array_size(list); i++)
			strings = json_is_string(json_array_get(list, i));
		if (!strings) {
			/* An empty list too: it would match nothing. */
			json_decref(owned);
			return fail(c, "Filter field '%s' with $in must be a list of strings.",
				    fname);
		}
		if (json_array_size(list) > FILTER_MAX_IN) {
			json_decref(owned);
			return fail(c, "Filter field '%s' $in takes at most %d values.", fname,
				    FILTER_MAX_IN);
		}
		fc->nvals = json_array_size(list);
		fc->vals = arena_alloc(c->a, fc->nvals * sizeof *fc->vals);
		for (size_t i = 0; i < fc->nvals; i++)
			if ((s = want_string(c, fname, json_array_get(list, i), &fc->vals[i])) !=
			    ST_OK) {
				json_decref(owned);
				return s;
			}
		json_decref(owned);
		c->f->n++;
		return ST_OK;
	}
	fc->nvals = 1;
	fc->vals = arena_alloc(c->a, sizeof *fc->vals);
	/* A datetime as pydantic validates one (NeMo's require_datetime_value): also a Unix
	 * time, a number or its text. */
	if (time_field(ff)) {
		if (!vs_datetime(v, &fc->us))
			return fail(c, "Filter field '%s' must be a valid datetime.", fname);
		fc->vals[0] = arena_strdup(c->a, json_is_string(v) ? json_string_value(v) : "");
		c->f->n++;
		return ST_OK;
	}
	const char *text;
	if ((s = want_string(c, fname, v, &text)) != ST_OK)
		return s;
	if (ff == FIELD_ENTITY) {
		/* Every span listed is of the entity listed: all or none meet the condition. */
		const char *listed = c->kind == FILTER_SPANS ? "span" : "trace";
		c->f->nothing |= strcmp(text, listed) != 0;
		return ST_OK;
	}
	struct err e;
	if (cond_eq(c->a, fc, ff, text, &e) != ST_OK)
		return fail(c, "%s", e.msg);
	c->f->n++;
	return ST_OK;
}

/* One field's value: a literal ($eq) or an operator object (§3.1 JSON form). */
static enum status walk_field(const struct intake_filter_walker *w, const char *name, json_t *v,
			      struct err *err)
{
	enum status s = w->field(w->ctx, name, err);
	if (s != ST_OK)
		return s;
	if (!json_is_object(v))
		return w->cmp(w->ctx, name, "$eq", v, err);
	const char *op;
	json_t *ov;
	json_object_foreach(v, op, ov)
	{
		if (strcmp(op, "$or") == 0 || strcmp(op, "$not") == 0)
			return failv(err, "%s", only_and);
		if (!in_list(known_ops, op))
			return failv(err, "Unsupported filter operator '%s' for field '%s'.", op,
				     name);
		if ((s = w->cmp(w->ctx, name, op, ov, err)) != ST_OK)
			return s;
	}
	return ST_OK;
}

/* A filter object: field keys, or logical keys alone (§3.2: mixing them is refused). */
static enum status walk_object(const struct intake_filter_walker *w, json_t *obj, int depth,
			       struct err *err)
{
	if (!json_is_object(obj))
		return failv(err, "Filter must be a JSON object.");
	if (depth > 8)
		return failv(err, "Filter nesting is too deep.");
	bool logical = false, fields = false;
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v)
	{
		if (k[0] == '$')
			logical = true;
		else
			fields = true;
	}
	if (logical && fields)
		return failv(err, "Logical operators ($and, $or, $not) cannot be mixed with field "
				  "filters at the same level; wrap the field filters in $and.");
	enum status s;
	json_object_foreach(obj, k, v)
	{
		if (strcmp(k, "$or") == 0 || strcmp(k, "$not") == 0)
			return failv(err, "%s", only_and);
		if (strcmp(k, "$and") == 0) {
			if (!json_is_array(v))
				return failv(err, "Filter $and takes a list of filter objects.");
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) if ((s = walk_object(w, e, depth + 1, err)) !=
							ST_OK) return s;
			continue;
		}
		if (k[0] == '$')
			return failv(err, "Unsupported filter operator '%s'.", k);
		if ((s = walk_field(w, k, v, err)) != ST_OK)
			return s;
	}
	return ST_OK;
}

enum status intake_filter_walk(json_t *tree, const struct intake_filter_walker *w, struct err *err)
{
	return tree ? walk_object(w, tree, 0, err) : ST_OK;
}

/* §3.2 bracket value: JSON for { or [, null when empty, a list when it holds commas. */
static json_t *bracket_value(const char *v, bool *bad)
{
	*bad = false;
	if (v[0] == '{' || v[0] == '[') {
		size_t pos;
		json_t *j = jsonx_parse(v, strlen(v), &pos, NULL);
		*bad = j == NULL;
		return j;
	}
	if (!v[0])
		return json_null();
	if (!strchr(v, ','))
		return json_string(v);
	json_t *list = json_array();
	for (const char *q; (q = strchr(v, ',')); v = q + 1)
		json_array_append_new(list, json_stringn(v, q - v));
	json_array_append_new(list, json_string(v));
	return list;
}

/* Sets obj[key] = v, turning a repeated key into a list (§3.2). Steals v. */
static void set_or_append(json_t *obj, const char *key, json_t *v)
{
	json_t *old = json_object_get(obj, key);
	if (!old) {
		json_object_set_new(obj, key, v);
	} else if (json_is_array(old)) {
		json_array_append_new(old, v);
	} else {
		json_t *list = json_array();
		json_array_append(list, old);
		json_array_append_new(list, v);
		json_object_set_new(obj, key, list);
	}
}

/* Collects filter[field] and filter[field][op] keys into the nested dict (§3.2). */
static enum status from_brackets(struct pctx *c, const char *const *keys, const char *const *vals,
				 size_t n, json_t **out)
{
	json_t *tree = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(keys[i], "filter[", 7) != 0)
			continue;
		const char *p = keys[i] + 6;
		char part[2][128];
		int np = 0;
		while (*p == '[' && np < 3) {
			const char *e = strchr(p, ']');
			if (!e || (size_t)(e - p - 1) >= sizeof part[0] || e == p + 1 || np == 2) {
				np = 3;
				break;
			}
			memcpy(part[np], p + 1, e - p - 1);
			part[np++][e - p - 1] = 0;
			p = e + 1;
		}
		if (np == 0 || np > 2 || *p) {
			json_decref(tree);
			return fail(c,
				    "Invalid filter parameter '%s': use filter[field] or "
				    "filter[field][$op].",
				    keys[i]);
		}
		bool bad;
		json_t *v = bracket_value(vals[i], &bad);
		if (bad) {
			json_decref(tree);
			return fail(c, "Invalid JSON in filter parameter '%s'.", keys[i]);
		}
		if (!tree)
			tree = json_object();
		if (np == 1) {
			set_or_append(tree, part[0], v);
			continue;
		}
		char op[132];
		snprintf(op, sizeof op, "%s%s", part[1][0] == '$' ? "" : "$", part[1]);
		json_t *fo = json_object_get(tree, part[0]);
		if (fo && !json_is_object(fo)) { /* filter[f]=a with filter[f][op]=b */
			json_t *w = json_object();
			json_object_set(w, "$eq", fo);
			json_object_set_new(tree, part[0], w);
			fo = w;
		} else if (!fo) {
			fo = json_object();
			json_object_set_new(tree, part[0], fo);
		}
		set_or_append(fo, op, v);
	}
	*out = tree;
	return ST_OK;
}

/* Text syntax (§3.1): field:"v", field>="v", field IN ["a","b"], joined by AND or spaces.
 * OR and the - negation are refused like $or/$not; parentheses only group. */
struct lex {
	const char *p;
};

static void lex_ws(struct lex *l)
{
	while (isspace((unsigned char)*l->p) || *l->p == '(' || *l->p == ')')
		l->p++;
}

static bool lex_word(struct lex *l, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(l->p, w, n) == 0 && !isalnum((unsigned char)l->p[n]) && l->p[n] != '_') {
		l->p += n;
		return true;
	}
	return false;
}

/* A quoted string (backslash escapes the next byte) or a bare token. */
static json_t *lex_value(struct lex *l)
{
	lex_ws(l);
	struct buf b;
	buf_init(&b);
	if (*l->p == '"') {
		for (l->p++; *l->p && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p[1])
				l->p++;
			buf_addc(&b, *l->p);
		}
		if (*l->p != '"') {
			buf_free(&b);
			return NULL;
		}
		l->p++;
	} else {
		while (*l->p && !isspace((unsigned char)*l->p) && !strchr("()[],", *l->p))
			buf_addc(&b, *l->p++);
		if (!b.len) {
			buf_free(&b);
			return NULL;
		}
	}
	json_t *j = json_stringn(b.p, b.len);
	buf_free(&b);
	return j;
}

static enum status from_text(struct pctx *c, const char *text, json_t **out)
{
	static const struct {
		const char *tok, *op;
	} ops[] = {{">=", "$gte"}, {"<=", "$lte"}, {">", "$gt"},
		   {"<", "$lt"},   {":", "$eq"},   {"~", "$like"}};
	struct lex l = {text};
	json_t *tree = json_object();
	enum status s = ST_OK;
	for (;;) {
		lex_ws(&l);
		if (!*l.p)
			break;
		if (lex_word(&l, "AND"))
			continue;
		if (*l.p == '-' || lex_word(&l, "OR") || lex_word(&l, "NOT")) {
			s = fail(c, "%s", only_and);
			goto out;
		}
		const char *f = l.p;
		while (isalnum((unsigned char)*l.p) || *l.p == '_' || *l.p == '.')
			l.p++;
		char field[128];
		if (l.p == f || (size_t)(l.p - f) >= sizeof field) {
			s = fail(c, "Invalid filter text near '%.20s'.", f);
			goto out;
		}
		memcpy(field, f, l.p - f);
		field[l.p - f] = 0;
		lex_ws(&l);
		const char *op = NULL;
		json_t *v = NULL;
		if (lex_word(&l, "NOT")) {
			s = fail(c, "%s", only_and);
			goto out;
		} else if (lex_word(&l, "IN")) {
			op = "$in";
			lex_ws(&l);
			if (*l.p++ != '[') {
				s = fail(c, "Invalid filter text: IN takes a [list].");
				goto out;
			}
			v = json_array();
			json_t *e;
			while ((e = lex_value(&l))) {
				json_array_append_new(v, e);
				lex_ws(&l);
				if (*l.p == ',')
					l.p++;
			}
			lex_ws(&l);
			if (*l.p++ != ']') {
				json_decref(v);
				s = fail(c, "Invalid filter text: IN takes a [list].");
				goto out;
			}
		} else {
			for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !op; i++)
				if (strncmp(l.p, ops[i].tok, strlen(ops[i].tok)) == 0) {
					op = ops[i].op;
					l.p += strlen(ops[i].tok);
				}
			if (!op || !(v = lex_value(&l))) {
				s = fail(c, "Invalid filter text near '%.20s'.", f);
				goto out;
			}
		}
		if (strcmp(op, "$eq") == 0 && !json_object_get(tree, field)) {
			json_object_set_new(tree, field, v);
			continue;
		}
		json_t *fo = json_object_get(tree, field);
		if (fo && !json_is_object(fo)) {
			json_t *w = json_object();
			json_object_set(w, "$eq", fo);
			json_object_set_new(tree, field, w);
			fo = w;
		} else if (!fo) {
			fo = json_object();
			json_object_set_new(tree, field, fo);
		}
		json_object_set_new(fo, op, v);
	}
out:
	if (s != ST_OK) {
		json_decref(tree);
		tree = NULL;
	}
	*out = tree;
	return s;
}

enum status intake_filter_tree(struct arena *a, const char *raw, const char *const *keys,
			       const char *const *vals, size_t n, json_t **out, struct err *err)
{
	struct pctx c = {a, FILTER_SPANS, NULL, err};
	json_t *tree = NULL;
	enum status s = ST_OK;
	*out = NULL;
	if (raw) {
		/* §3.2: a raw filter= wins over bracket keys; '{' means JSON, else text syntax. */
		const char *p = raw;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '{') {
			size_t pos;
			struct err e;
			tree = jsonx_parse(raw, strlen(raw), &pos, &e);
			if (!tree)
				return fail(&c, "Invalid JSON in filter: %s (at byte %zu).", e.msg,
					    pos);
		} else if ((s = from_text(&c, raw, &tree)) != ST_OK) {
			return s;
		}
	} else if ((s = from_brackets(&c, keys, vals, n, &tree)) != ST_OK) {
		return s;
	}
	/* The tree is the arena's: under arena_json its release is a no-op, under malloc (the
	 * Check suites) it is freed at the reset. */
	if (tree)
		arena_defer(a, (void (*)(void *))json_decref, tree);
	*out = tree;
	return ST_OK;
}

/* The span and trace fields: unknown ones are refused before their operators are looked at. */
static enum status span_field(void *ctx, const char *name, struct err *err)
{
	struct pctx *c = ctx;
	struct field fd;
	if (!field_lookup(c->kind, name, &fd))
		return unknown_field(c->kind, name, err);
	return ST_OK;
}

static enum status span_cmp(void *ctx, const char *name, const char *op, json_t *v, struct err *err)
{
	(void)err; /* c->err is the same */
	struct pctx *c = ctx;
	struct field fd;
	field_lookup(c->kind, name, &fd);
	return add_cond(c, &fd, op, v);
}

enum status intake_filter_parse_tree(struct arena *a, enum filter_kind kind, json_t *tree,
				     struct filter *f, struct err *err)
{
	struct pctx c = {a, kind, f, err};
	const struct intake_filter_walker w = {span_field, span_cmp, &c};
	memset(f, 0, sizeof *f);
	f->conds = arena_alloc(a, FILTER_MAX_CONDS * sizeof *f->conds);
	enum status s = intake_filter_walk(tree, &w, err);
	if (s != ST_OK) {
		f->n = 0;
		return s;
	}
	f->echo = tree;
	return ST_OK;
}

enum status intake_filter_parse(struct arena *a, enum filter_kind kind, const char *raw,
				const char *const *keys, const char *const *vals, size_t n,
				struct filter *f, struct err *err)
{
	json_t *tree;
	enum status s = intake_filter_tree(a, raw, keys, vals, n, &tree, err);
	if (s != ST_OK) {
		memset(f, 0, sizeof *f);
		f->conds = arena_alloc(a, FILTER_MAX_CONDS * sizeof *f->conds);
		return s;
	}
	return intake_filter_parse_tree(a, kind, tree, f, err);
}
