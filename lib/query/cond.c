/* cond: the names of the condition fields (cond.h). */
#include "lib/query/cond.h"

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
