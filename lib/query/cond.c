/* cond: the names of the condition fields, and an equality on one (cond.h). */
#include "lib/query/cond.h"

#include <stdio.h>
#include <string.h>
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
	if (ff != FF_KIND && ff != FF_STATUS)
		return ST_OK;
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
