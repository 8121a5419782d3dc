/* fields: every member of a span's canonical line, defined once (issue 32). struct span, its
 * rendering and parsing (lib/model/span.c), the index record read off a line and the Bloom
 * signature (lib/store/record.c), the .tix columns and text fields (lib/store/dayindex.c,
 * words.c; lib/query/narrow.c), the conditions of lib/query/cond.h and the import check
 * (lib/ingest/import.c) are made from SPAN_FIELDS; _Static_asserts tie the numbers the files
 * hold to it. docs/ARCHITECTURE.md, "How to add a field". The storage: fields.c. */
#ifndef SPANDEX_MODEL_FIELDS_H
#define SPANDEX_MODEL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* X(ID, name, TYPE, PRES, rec, sig, col, text, cond): one line per member of the
 * line, in the line's order (the Get Span page's, so a line is the Get Span body).
 *   ID    SF_<ID> (enum span_field); SS_<ID> too for an SSTR.
 *   name  the JSON key, and the member of struct span (an SSTR's is str[SS_<ID>]).
 *   TYPE  STR   const char *, NULL when absent
 *         SSTR  the same in s->str[]: strings the catalog, the filters and the signature
 *               address by number (enum span_str)
 *         ENUM  enum span_<name>, written as its span_<name>_names entry
 *         TIME  int64_t microseconds, SPAN_NONE_I64 when absent; an RFC 3339 string
 *         INT   int64_t (a token count), SPAN_NONE_I64 when absent
 *         NUM   double (USD), NAN when absent
 *         OBJ   json_t * object (owned), NULL when absent
 *         RAW   json_t * object (owned), written as a JSON string of it
 *   PRES  OPT (omitted when absent), REQ (a line without it is no span), ALWAYS (written as {}
 *         when absent), NONEMPTY (omitted when absent or "").
 *   rec   1: the 128-byte index record holds it (a hash, time, enum, count, cost or flag:
 *         rec_fill in lib/store/record.c). The record has no byte to spare.
 *   sig   its field number in the record's Bloom signature (equality filters that need no
 *         line), or -1. The bits are in the files: never renumber; a new one takes the next
 *         free number (span.c checks that none is taken twice).
 *   col   its column in the day's .tix (an equality answered by a hash per record), or -1.
 *         Columns are in the files: a new one is a new .tix version (docs/FORMAT.md).
 *   text  1: free-text search reads it (the .tix words, the tail's, a scan); a change is a
 *         new .tix version.
 *   cond  1: lib/query/cond.h has the condition FF_<ID>, named name.
 * rec, text and cond are written 0 or 1 (SPAN_IF pastes them). An API's name for a field is
 * its surface's table (opik_field_names, egp_field_names in lib/api/<surface>/map.h), never a
 * column here: lib/model names no API (issue 53); t/check_fields.c checks each API shows them. */
/* clang-format off */
#define SPAN_FIELDS(X)                                                             \
	X(SPAN_ID,            span_id,            STR,  REQ,      1, -1, -1, 0, 0) \
	X(SESSION_ID,         session_id,         STR,  REQ,      1, -1, -1, 0, 1) \
	X(WORKSPACE,          workspace,          STR,  REQ,      1, -1, -1, 0, 0) \
	X(PROJECT,            project,            SSTR, OPT,      0,  0,  0, 0, 1) \
	X(EVALUATION_CONTEXT, evaluation_context, OBJ,  OPT,      0, -1, -1, 0, 0) \
	X(PARENT_SPAN_ID,     parent_span_id,     STR,  NONEMPTY, 1, -1, -1, 0, 1) \
	X(KIND,               kind,               ENUM, REQ,      1, -1, -1, 0, 1) \
	X(NAME,               name,               STR,  OPT,      0, -1,  8, 1, 1) \
	X(SOURCE,             source,             STR,  REQ,      1, -1, -1, 0, 1) \
	X(TRACE_ID,           trace_id,           STR,  OPT,      1, -1, -1, 0, 1) \
	X(STARTED_AT,         started_at,         TIME, REQ,      1, -1, -1, 0, 1) \
	X(ENDED_AT,           ended_at,           TIME, OPT,      1, -1, -1, 0, 0) \
	X(STATUS,             status,             ENUM, REQ,      1, -1, -1, 0, 1) \
	X(ERROR_TYPE,         error_type,         SSTR, OPT,      0, -1, -1, 0, 0) \
	X(ERROR_MESSAGE,      error_message,      SSTR, OPT,      0, -1, -1, 0, 0) \
	X(PROVIDER,           provider,           SSTR, OPT,      0,  3,  2, 0, 1) \
	X(MODEL,              model,              SSTR, OPT,      0,  4,  1, 0, 1) \
	X(PROMPT_ID,          prompt_id,          SSTR, OPT,      0,  5, -1, 0, 0) \
	X(PROMPT_NAME,        prompt_name,        SSTR, OPT,      0,  6,  6, 0, 1) \
	X(PROMPT_VERSION,     prompt_version,     SSTR, OPT,      0,  7,  7, 0, 1) \
	X(AGENT_ID,           agent_id,           SSTR, OPT,      0,  8,  3, 0, 1) \
	X(AGENT_NAME,         agent_name,         SSTR, OPT,      0,  9,  4, 0, 1) \
	X(TOOL_NAME,          tool_name,          SSTR, OPT,      0, 10,  5, 0, 1) \
	X(INPUT_TOKENS,       input_tokens,       INT,  OPT,      1, -1, -1, 0, 0) \
	X(OUTPUT_TOKENS,      output_tokens,      INT,  OPT,      1, -1, -1, 0, 0) \
	X(CACHED_TOKENS,      cached_tokens,      INT,  OPT,      1, -1, -1, 0, 0) \
	X(TOTAL_TOKENS,       total_tokens,       INT,  OPT,      1, -1, -1, 0, 0) \
	X(USAGE_DETAILS,      usage_details,      OBJ,  ALWAYS,   0, -1, -1, 0, 0) \
	X(COST_TOTAL_USD,     cost_total_usd,     NUM,  OPT,      1, -1, -1, 0, 0) \
	X(COST_INPUT_USD,     cost_input_usd,     NUM,  OPT,      1, -1, -1, 0, 0) \
	X(COST_OUTPUT_USD,    cost_output_usd,    NUM,  OPT,      1, -1, -1, 0, 0) \
	X(COST_DETAILS,       cost_details,       OBJ,  ALWAYS,   0, -1, -1, 0, 0) \
	X(INPUT,              input,              STR,  OPT,      0, -1, -1, 1, 0) \
	X(OUTPUT,             output,             STR,  OPT,      0, -1, -1, 1, 0) \
	X(RAW_ATTRIBUTES,     raw_attributes,     RAW,  OPT,      1, -1, -1, 0, 0) \
	X(INGESTED_AT,        ingested_at,        TIME, REQ,      1, -1, -1, 0, 0)

/* X(ID, name, sig): the members of evaluation_context that equality filters read (the
 * conditions FF_<ID>, by the same name): signature bits, confirmed on the line. */
#define SPAN_EVAL_KEYS(X)                      \
	X(EVALUATION_ID,     evaluation_id,     11) \
	X(EVALUATION_SHA,    evaluation_sha,    12) \
	X(EVALUATION_RUN_ID, evaluation_run_id, 13) \
	X(DATASET_ID,        dataset_id,        14) \
	X(DATASET_NAME,      dataset_name,      15) \
	X(DATASET_VERSION,   dataset_version,   16) \
	X(TEST_CASE_ID,      test_case_id,      17)
/* clang-format on */

/* SPAN_IF(flag)(tokens): the tokens when flag is the token 1, nothing when it is 0. */
#define SPAN_IF(flag) SPAN_IF_##flag
#define SPAN_IF_0(...)
#define SPAN_IF_1(...) __VA_ARGS__
/* SPAN_IF_SSTR(TYPE)(tokens): the tokens when TYPE is SSTR. */
#define SPAN_CAT(a, b) SPAN_CAT_(a, b)
#define SPAN_CAT_(a, b) a##b
#define SPAN_IS_SSTR_SSTR 1
#define SPAN_IS_SSTR_STR 0
#define SPAN_IS_SSTR_ENUM 0
#define SPAN_IS_SSTR_TIME 0
#define SPAN_IS_SSTR_INT 0
#define SPAN_IS_SSTR_NUM 0
#define SPAN_IS_SSTR_OBJ 0
#define SPAN_IS_SSTR_RAW 0
#define SPAN_IF_SSTR(TYPE) SPAN_CAT(SPAN_IF_, SPAN_IS_SSTR_##TYPE)
/* SPAN_IF_STRING(TYPE)(tokens): the tokens when the member is a const char * (STR, SSTR). */
#define SPAN_IS_STRING_SSTR 1
#define SPAN_IS_STRING_STR 1
#define SPAN_IS_STRING_ENUM 0
#define SPAN_IS_STRING_TIME 0
#define SPAN_IS_STRING_INT 0
#define SPAN_IS_STRING_NUM 0
#define SPAN_IS_STRING_OBJ 0
#define SPAN_IS_STRING_RAW 0
#define SPAN_IF_STRING(TYPE) SPAN_CAT(SPAN_IF_, SPAN_IS_STRING_##TYPE)

/* The member of struct span that holds field ID: SPAN_MEMBER(ID, name, TYPE). */
#define SPAN_MEMBER(ID, name, TYPE) SPAN_MEMBER_##TYPE(ID, name)
#define SPAN_MEMBER_STR(ID, name) name
#define SPAN_MEMBER_SSTR(ID, name) str[SS_##ID]
#define SPAN_MEMBER_ENUM(ID, name) name
#define SPAN_MEMBER_TIME(ID, name) name
#define SPAN_MEMBER_INT(ID, name) name
#define SPAN_MEMBER_NUM(ID, name) name
#define SPAN_MEMBER_OBJ(ID, name) name
#define SPAN_MEMBER_RAW(ID, name) name

/* The fields, by position in the line. */
#define SPAN_FIELD_ENUM_(ID, ...) SF_##ID,
enum span_field { SPAN_FIELDS(SPAN_FIELD_ENUM_) SF__COUNT };
#undef SPAN_FIELD_ENUM_

/* The SSTR fields, in the line's order: struct span's str[]. */
#define SPAN_STR_ENUM_(ID, name, TYPE, ...) SPAN_IF_SSTR(TYPE)(SS_##ID, )
enum span_str { SPAN_FIELDS(SPAN_STR_ENUM_) SS__COUNT };
/* The JSON key of each SSTR field, by enum value. */
extern const char *const span_str_names[SS__COUNT];
#undef SPAN_STR_ENUM_

/* The members of evaluation_context with a condition. */
#define SPAN_EVAL_ENUM_(ID, ...) SE_##ID,
enum span_eval_key { SPAN_EVAL_KEYS(SPAN_EVAL_ENUM_) SE__COUNT };
#undef SPAN_EVAL_ENUM_

/* How many .tix columns there are. */
#define SPAN_COUNT_COL_(ID, name, TYPE, PRES, rec, sig, col, ...) +((col) >= 0)
enum { SPAN_COLS = 0 SPAN_FIELDS(SPAN_COUNT_COL_) };
#undef SPAN_COUNT_COL_

enum span_ftype { SFT_STR, SFT_SSTR, SFT_ENUM, SFT_TIME, SFT_INT, SFT_NUM, SFT_OBJ, SFT_RAW };
enum span_fpres { SFP_OPT, SFP_REQ, SFP_ALWAYS, SFP_NONEMPTY };

/* One field as data, for code that looks fields up by name or walks them (span_fields, by
 * enum span_field; span_eval_keys, by enum span_eval_key). */
struct span_field_info {
	const char *name;
	size_t len;
	enum span_ftype type;
	enum span_fpres pres;
	bool rec, text, cond;
	int sig, col;
};
struct span_eval_info {
	const char *name;
	int sig;
};
extern const struct span_field_info span_fields[SF__COUNT];
extern const struct span_eval_info span_eval_keys[SE__COUNT];

/* The field of JSON key k[0..kn), or -1. */
int span_field_find(const char *k, size_t kn);

/* The .tix column of member k[0..kn) of a line, or -1: inline, for the writer's walk over every
 * member of every line. */
static inline int span_col_key(const char *k, size_t kn)
{
#define SPAN_COL_KEY_(ID, name, TYPE, PRES, rec, sig, col, ...)                                    \
	if ((col) >= 0 && kn == sizeof #name - 1 && !memcmp(k, #name, sizeof #name - 1))           \
		return col;
	SPAN_FIELDS(SPAN_COL_KEY_)
#undef SPAN_COL_KEY_
	return -1;
}

/* Whether free-text search reads member k[0..kn) of a line (the table's text): inline, for
 * the loops that walk every member of every line. */
static inline bool span_text_key(const char *k, size_t kn)
{
#define SPAN_TEXT_KEY_(ID, name, TYPE, PRES, rec, sig, col, text, ...)                             \
	SPAN_IF(text)((kn == sizeof #name - 1 && !memcmp(k, #name, sizeof #name - 1)) ||)
	return SPAN_FIELDS(SPAN_TEXT_KEY_) false;
#undef SPAN_TEXT_KEY_
}

#endif
