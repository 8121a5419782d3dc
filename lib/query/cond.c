/* cond: the names of the condition fields, and an equality on one (cond.h). */
#include "lib/query/cond.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/buf.h"
#include "lib/json/jsonw.h"
#include "lib/model/span.h"

#define NAME_FIELD_(ID, name, TYPE, PRES, rec, sig, col, text, cond, ...)                          \
	SPAN_IF(cond)([FF_##ID] = #name, )
#define NAME_EVAL_(ID, name, sig) [FF_##ID] = #name,
/* clang-format off */
const char *const cond_field_names[FF__COUNT] = {
	SPAN_FIELDS(NAME_FIELD_)
	SPAN_EVAL_KEYS(NAME_EVAL_)
	[FF_SPAN_ID] = "span_id",
	[FF_WORKSPACE] = "workspace",
	[FF_INGESTED_AT] = "ingested_at",
};
/* clang-format on */

#define TYPE_FIELD_(ID, name, TYPE, PRES, rec, sig, col, text, cond, ...)                          \
	SPAN_IF(cond)([FF_##ID] = SFT_##TYPE, )
#define TYPE_EVAL_(ID, name, sig) [FF_##ID] = SFT_STR,
/* clang-format off */
static const enum span_ftype cond_types[FF__COUNT] = {
	SPAN_FIELDS(TYPE_FIELD_)
	SPAN_EVAL_KEYS(TYPE_EVAL_)
	[FF_SPAN_ID] = SFT_STR,
	[FF_WORKSPACE] = SFT_STR,
	[FF_INGESTED_AT] = SFT_TIME,
};
/* clang-format on */
#undef TYPE_FIELD_
#undef TYPE_EVAL_

enum span_ftype cond_field_type(enum filter_field ff)
{
	return cond_types[ff];
}

bool cond_int(const char *s, int64_t *v)
{
	char *end;
	long long n;

	if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*v = n;
	return true;
}

bool cond_num(const char *s, double *v)
{
	char *end;
	double d;

	/* strtod's hexadecimal, infinity and NaN are no JSON number. */
	if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))) ||
	    strpbrk(s, "xX"))
		return false;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return false;
	*v = d;
	return true;
}

const char *cond_lit(struct arena *a, enum span_ftype t, const char *s)
{
	int64_t i;
	double d;
	struct buf b;
	char *r;

	if (t == SFT_INT && cond_int(s, &i))
		return arena_printf(a, "%lld", (long long)i); /* span.c's put_int */
	buf_init(&b);
	if (t == SFT_NUM && cond_num(s, &d))
		jsonw_number(&b, d);
	else
		jsonw_string(&b, s, strlen(s));
	r = arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return r;
}

int cond_field(const char *name)
{
	for (int i = 0; i < FF__FIELDS; i++)
		if (!strcmp(cond_field_names[i], name))
			return i;
	return -1;
}

enum status cond_eq(struct arena *a, struct filter_cond *c, enum filter_field ff, const char *value,
		    struct err *e)
{
	memset(c, 0, sizeof *c);
	c->field = ff;
	c->op = FOP_EQ;
	c->nvals = 1;
	c->vals = arena_alloc(a, sizeof *c->vals);
	c->vals[0] = value;
	if (ff != FF_KIND && ff != FF_STATUS) {
		int64_t i;
		double d;
		if (*value && cond_types[ff] == SFT_INT && !cond_int(value, &i))
			return err_set(e, ST_BAD_REQUEST, "Filter field '%s' must be an integer",
				       cond_field_names[ff]);
		if (*value && cond_types[ff] == SFT_NUM && !cond_num(value, &d))
			return err_set(e, ST_BAD_REQUEST, "Filter field '%s' must be a number",
				       cond_field_names[ff]);
		return ST_OK;
	}
	bool k = ff == FF_KIND;
	c->enumv = k ? span_kind_parse(value) : span_status_parse(value);
	if (c->enumv >= 0)
		return ST_OK;
	const char *const *names = k ? span_kind_names : span_status_names;
	char list[256] = "";
	for (int i = 0; names[i]; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	return err_set(e, ST_BAD_REQUEST, "Filter field '%s' must be one of: %s",
		       cond_field_names[ff], list);
}
