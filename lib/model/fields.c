/* fields: the storage of lib/model/fields.h's tables, made from SPAN_FIELDS and
 * SPAN_EVAL_KEYS, and the lookup of a member by its key. */
#include "lib/model/fields.h"

#define STR_NAME_(ID, name, TYPE, ...) SPAN_IF_SSTR(TYPE)([SS_##ID] = #name, )
const char *const span_str_names[SS__COUNT] = {SPAN_FIELDS(STR_NAME_)};
#undef STR_NAME_

/* What the table promises, checked at compile time: the line opens with span_id (readers
 * compare ids without parsing, rec_line_id_at); no two fields share a signature field (the
 * sum of their bits is their OR only then); the .tix columns are 0 .. SPAN_COLS - 1, once
 * each; only strings have signature bits or columns; raw_attributes is the one RAW field (the
 * index reads its flags off it). */
_Static_assert(SF_SPAN_ID == 0, "a line opens with span_id");
#define SIG_BIT_(ID, name, TYPE, PRES, rec, sig, ...) ((sig) >= 0 ? 1ull << (sig) : 0)
#define SIG_OR_(...) | SIG_BIT_(__VA_ARGS__)
#define SIG_SUM_(...) +SIG_BIT_(__VA_ARGS__)
#define EVAL_BIT_(ID, name, sig) (1ull << (sig))
#define EVAL_OR_(...) | EVAL_BIT_(__VA_ARGS__)
#define EVAL_SUM_(...) +EVAL_BIT_(__VA_ARGS__)
_Static_assert((0 SPAN_FIELDS(SIG_OR_) SPAN_EVAL_KEYS(EVAL_OR_)) ==
		   (0 SPAN_FIELDS(SIG_SUM_) SPAN_EVAL_KEYS(EVAL_SUM_)),
	       "a signature field number is taken twice");
#define COL_OR_(ID, name, TYPE, PRES, rec, sig, col, ...) | ((col) >= 0 ? 1ull << (col) : 0)
_Static_assert((0 SPAN_FIELDS(COL_OR_)) == (1ull << SPAN_COLS) - 1,
	       "the .tix columns are 0 .. SPAN_COLS - 1, each once");
#define TYPES_(ID, name, TYPE, PRES, rec, sig, col, ...)                                           \
	_Static_assert((sig < 0 && col < 0) || SFT_##TYPE == SFT_STR || SFT_##TYPE == SFT_SSTR,    \
		       #name ": only a string has signature bits or a column");                    \
	_Static_assert(SFT_##TYPE != SFT_RAW || SF_##ID == SF_RAW_ATTRIBUTES,                      \
		       #name ": raw_attributes is the one RAW field");
SPAN_FIELDS(TYPES_)
#undef TYPES_

#define INFO_(ID, n, TYPE, PRES, r, s, c, t, f)                                                    \
	[SF_##ID] = {.name = #n,                                                                   \
		     .len = sizeof #n - 1,                                                         \
		     .type = SFT_##TYPE,                                                           \
		     .pres = SFP_##PRES,                                                           \
		     .rec = r,                                                                     \
		     .text = t,                                                                    \
		     .cond = f,                                                                    \
		     .sig = s,                                                                     \
		     .col = c},
const struct span_field_info span_fields[SF__COUNT] = {SPAN_FIELDS(INFO_)};
#undef INFO_
#define EVAL_INFO_(ID, name, sig) [SE_##ID] = {#name, sig},
const struct span_eval_info span_eval_keys[SE__COUNT] = {SPAN_EVAL_KEYS(EVAL_INFO_)};
#undef EVAL_INFO_

int span_field_find(const char *k, size_t kn)
{
	for (int i = 0; i < SF__COUNT; i++)
		if (span_fields[i].len == kn && !memcmp(span_fields[i].name, k, kn))
			return i;
	return -1;
}
