/* cond: Opik's filter conditions as every filter of the surface reads them (reference opik.md
 * §7): the types and operators, a column table (the fields one filter knows, each with its type
 * and a source the filter's own file gives meaning), a parsed condition, and the one parser,
 * run by the span and trace filters (filters/) and the thread filter (threads/) on their own
 * tables. Everything lives in the request's arena. */
#ifndef SPANDEX_API_OPIK_FILTERS_COND_H
#define SPANDEX_API_OPIK_FILTERS_COND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/status.h"

struct http_req;

enum ftype { T_STRING, T_NUMBER, T_DATE, T_LIST, T_DICT, T_SCORES, T_ERROR, T_ENUM };

enum fop {
	O_EQ,
	O_NE,
	O_GT,
	O_GE,
	O_LT,
	O_LE,
	O_CONTAINS,
	O_NOT_CONTAINS,
	O_STARTS,
	O_ENDS,
	O_EMPTY,
	O_NOT_EMPTY,
	O_IN,
	O_NOT_IN
};

/* One column: src is the table owner's enum (filter_int.h's fsrc, thread_filter.c's tsrc). */
struct ffield {
	const char *name;
	enum ftype type;
	int src;
	int only; /* -1 any entity, else the enum opik_entity a column table is read for */
};

/* The fields one filter knows. */
struct opik_columns {
	const struct ffield *f;
	size_t n;
	int ent;     /* the rows whose only is -1 or this */
	bool custom; /* "custom" with a key input.<path>, output.<path> or metadata.<path> is
			that dictionary's column (input_json, output_json, metadata; §7.3) */
};

struct fcond {
	const struct ffield *f;
	enum fop op;
	const char *key;   /* metadata path or score name */
	const char *value; /* "" for the no-value operators */
	double num;	   /* T_NUMBER, T_SCORES, T_DICT's > < */
	int64_t us;	   /* T_DATE */
	/* T_SCORES of a span or trace filter, once opik_filter_judged read the judgements: the
	 * hashes of the ids of the items whose score is not wanted (negate: != and is_empty),
	 * ascending; the others are answered by the query's key sets. by_trace: the items are
	 * traces. */
	const uint64_t *hs;
	size_t nh;
	bool negate, by_trace;
};

/* The conditions of `filters`, a JSON array, or of raw_text (a query parameter holding one)
 * when it is set, against the columns cols: *c (n of them) in the request's arena. A 400 in the
 * dialect for text that is no array, too many conditions, an unknown field, an operator its
 * type does not take or a value it cannot read. */
enum status opik_conds_parse(struct http_req *req, const struct opik_columns *cols, json_t *filters,
			     const char *raw_text, struct fcond **c, size_t *n);

/* A number condition's test: x (has: there is one) against v by op; an absent value holds for
 * != and is_empty only. */
bool opik_cond_number(enum fop op, bool has, double x, double v);

#endif
