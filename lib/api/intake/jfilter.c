/* jfilter: the filters of the annotation and evaluator-result lists (judgement.md sections 1.4
 * and 1.6; NeMo Helix annotations.py and evaluator_results.py, query_filters.py) onto a
 * struct jfilter. The tree and its walk are the span lists' (filter.h); what each field takes
 * and the 400s it gives are NeMo's handlers': strings and enums by equality only, value ranges
 * and created_at by $gte and $lte, anything else "Unsupported <list> filter: <field> <op>". */
#include "lib/api/intake/judgements.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/intake/filter.h"
#include "lib/base/time.h"

/* The fields of each filter model, which the unknown-field message lists (with the generic
 * entity fields); the generic ones no handler maps are "Unsupported ...". */
static const char *const annotation_fields[] = {
    "span_id",	  "session_id",	   "kind",	 "name",
    "value_text", "value_numeric", "created_by", "created_at",
};
static const char *const evaluator_fields[] = {
    "span_id", "session_id", "name", "data_type", "status", "created_by", "value", "created_at",
};
/* The enums, in NeMo's order (domain.py): their 400 lists them so. */
static const char *const annotation_kinds[] = {"feedback", "label", "note", "metadata", NULL};
static const char *const data_types[] = {"NUMERIC", "CATEGORICAL", "BOOLEAN", "TEXT", NULL};
static const char *const statuses[] = {"SCORED", "FAILED", NULL};
/* The judgement kind of each data type, and the subtype of each annotation kind (a note is any
 * comment: judgement_shows shows every comment as one). */
static const enum judgement_kind data_type_kinds[] = {JK_NUMBER, JK_CATEGORY, JK_BOOLEAN, JK_TEXT};
static const char *const annotation_subtypes[] = {"annotation.feedback", "annotation.label", NULL,
						  "annotation.metadata"};
#define KIND_NOTE 2

struct jctx {
	struct arena *a;
	enum intake_jlist list;
	struct jfilter *f;
	uint32_t kinds; /* the kinds the conditions allow, ANDed */
	int kind;	/* the annotation kind or data type asked for (the last), or -1 */
};

#define N(x) (sizeof(x) / sizeof(*(x)))

static enum status jfield(void *ctx, const char *name, struct err *err)
{
	struct jctx *c = ctx;
	if (c->list == INTAKE_ANNOTATIONS)
		return intake_filter_field(name, annotation_fields, N(annotation_fields), err);
	return intake_filter_field(name, evaluator_fields, N(evaluator_fields), err);
}

/* require_eq_value of query_filters.py: $eq, not null. */
static enum status want_eq(const char *name, const char *op, json_t *v, struct err *err)
{
	if (strcmp(op, "$eq"))
		return err_set(err, ST_BAD_REQUEST, "Filter field '%s' only supports equality.",
			       name);
	if (json_is_null(v))
		return err_set(err, ST_BAD_REQUEST,
			       "Filter field '%s' does not support null values.", name);
	return ST_OK;
}

/* require_string_value. */
static enum status want_string(struct jctx *c, const char *name, const char *op, json_t *v,
			       const char **out, struct err *err)
{
	enum status st = want_eq(name, op, v, err);
	if (st != ST_OK)
		return st;
	if (!json_is_string(v))
		return err_set(err, ST_BAD_REQUEST, "Filter field '%s' must be a string.", name);
	*out = arena_strndup(c->a, json_string_value(v), json_string_length(v));
	return ST_OK;
}

/* require_enum_value: the index of the value among choices (a value that is no string is no
 * member either). */
static enum status want_enum(const char *name, const char *op, json_t *v,
			     const char *const *choices, int *out, struct err *err)
{
	enum status st = want_eq(name, op, v, err);
	if (st != ST_OK)
		return st;
	for (int i = 0; choices[i]; i++)
		if (json_is_string(v) && !strcmp(choices[i], json_string_value(v))) {
			*out = i;
			return ST_OK;
		}
	char list[128] = "";
	for (int i = 0; choices[i]; i++) {
		strcat(list, i ? ", " : "");
		strcat(list, choices[i]);
	}
	return err_set(err, ST_BAD_REQUEST, "Filter field '%s' must be one of: %s", name, list);
}

/* require_float_value: a number (not a boolean) or a string that reads as one; finite. */
static enum status want_number(const char *name, json_t *v, double *out, struct err *err)
{
	double d = NAN;
	char *end;
	if (json_is_number(v))
		d = json_number_value(v);
	else if (json_is_string(v) && json_string_length(v)) {
		d = strtod(json_string_value(v), &end);
		if (*end)
			d = NAN;
	}
	if (!isfinite(d))
		return err_set(err, ST_BAD_REQUEST, "Filter field '%s' must be a number.", name);
	*out = d;
	return ST_OK;
}

/* require_datetime_value: an ISO 8601 string (without an offset: UTC). */
static enum status want_time(const char *name, json_t *v, int64_t *out, struct err *err)
{
	if (!json_is_string(v) || !time_parse(json_string_value(v), false, out))
		return err_set(err, ST_BAD_REQUEST, "Filter field '%s' must be a valid datetime.",
			       name);
	return ST_OK;
}

/* value_numeric or value, created_at: $gte and $lte. */
static enum status range(struct jctx *c, const char *name, const char *op, json_t *v,
			 struct err *err)
{
	struct jfilter *f = c->f;
	bool gte = !strcmp(op, "$gte");
	if (!strcmp(name, "created_at")) {
		int64_t us;
		enum status st = want_time(name, v, &us, err);
		if (st != ST_OK)
			return st;
		if (!(f->cmin | f->cmax))
			f->cmin = INT64_MIN, f->cmax = INT64_MAX;
		*(gte ? &f->cmin : &f->cmax) = us;
		return ST_OK;
	}
	double d = 0;
	enum status st = want_number(name, v, &d, err);
	if (st != ST_OK)
		return st;
	*(gte ? &f->has_vmin : &f->has_vmax) = true;
	*(gte ? &f->vmin : &f->vmax) = d;
	if (c->list == INTAKE_ANNOTATIONS)
		c->kinds &= 1u << JK_NUMBER; /* value_numeric: numeric labels only */
	return ST_OK;
}

static enum status jcmp(void *ctx, const char *name, const char *op, json_t *v, struct err *err)
{
	struct jctx *c = ctx;
	struct jfilter *f = c->f;
	bool ann = c->list == INTAKE_ANNOTATIONS;
	const char *value_field = ann ? "value_numeric" : "value";
	if (!strcmp(name, "span_id"))
		return want_string(c, name, op, v, &f->span_id, err);
	if (!strcmp(name, "session_id"))
		return want_string(c, name, op, v, &f->session_id, err);
	if (!strcmp(name, "name"))
		return want_string(c, name, op, v, &f->name, err);
	if (!strcmp(name, "created_by"))
		return want_string(c, name, op, v, &f->author, err);
	if (ann && !strcmp(name, "value_text"))
		return want_string(c, name, op, v, &f->label, err);
	if (ann && !strcmp(name, "kind"))
		return want_enum(name, op, v, annotation_kinds, &c->kind, err);
	if (!ann && !strcmp(name, "data_type"))
		return want_enum(name, op, v, data_types, &c->kind, err);
	if (!ann && !strcmp(name, "status")) {
		int st = 0;
		enum status s = want_enum(name, op, v, statuses, &st, err);
		f->scored = st == 0;
		f->failed = st == 1;
		return s;
	}
	if ((!strcmp(name, value_field) || !strcmp(name, "created_at")) &&
	    (!strcmp(op, "$gte") || !strcmp(op, "$lte")))
		return range(c, name, op, v, err);
	return err_set(err, ST_BAD_REQUEST, "Unsupported %s filter: %s %s",
		       ann ? "annotation" : "evaluator_result", name, op);
}

enum status intake_jfilter_parse(struct arena *a, enum intake_jlist list, const char *raw,
				 const char *const *keys, const char *const *vals, size_t n,
				 struct jfilter *f, json_t **echo, struct err *err)
{
	const uint32_t all = (1u << JK__COUNT) - 1;
	struct jctx c = {a, list, f, all, -1};
	const struct intake_filter_walker w = {jfield, jcmp, &c};
	memset(f, 0, sizeof *f);

	f->view = list == INTAKE_ANNOTATIONS ? &intake_view_annotation : &intake_view_evaluator;
	enum status s = intake_filter_tree(a, raw, keys, vals, n, echo, err);
	if (s == ST_OK)
		s = intake_filter_walk(*echo, &w, err);
	if (s != ST_OK)
		return s;
	if (list == INTAKE_ANNOTATIONS && c.kind == KIND_NOTE)
		c.kinds &= 1u << JK_COMMENT;
	else if (list == INTAKE_ANNOTATIONS && c.kind >= 0)
		f->subtype = annotation_subtypes[c.kind];
	else if (c.kind >= 0)
		c.kinds &= 1u << data_type_kinds[c.kind];
	/* No kind left: a bit no judgement has, as jfilter's 0 means any. */
	if (c.kinds != all)
		f->kinds = c.kinds ? c.kinds : 1u << JK__COUNT;
	return ST_OK;
}
