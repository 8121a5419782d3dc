/* cond: the conditions a query runs under, the same for every API surface. A surface parses
 * its own filter language (lib/api/intake/filter.c: the NeMo filter; Opik and SGP bodies) into
 * this AND list; lib/query narrows by the index where a field has one and confirms on the
 * line. Everything a list points to lives in the caller's arena, echo too (jansson, handed to
 * the arena by the surface that built it). */
#ifndef SPANDEX_COND_H
#define SPANDEX_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/fields.h"

/* The fields a condition can name. First one per span field the table marks cond, in the line's
 * order, and one per member of evaluation_context it lists (lib/model/fields.h), each named as
 * that member; then the conditions that are no one member's. */
#define FF_FIELD_(ID, name, TYPE, PRES, rec, sig, col, text, cond, ...) SPAN_IF(cond)(FF_##ID, )
#define FF_EVAL_(ID, ...) FF_##ID,
enum filter_field {
	/* A span field's */
	SPAN_FIELDS(FF_FIELD_)
	/* A member of evaluation_context */
	SPAN_EVAL_KEYS(FF_EVAL_)
	/* Beside the line's fields: */
	FF__FIELDS,
	FF_SPAN_ID = FF__FIELDS, /* span_id, equal to one value or in a set */
	FF_WORKSPACE,		 /* the workspace listed: all or nothing */
	FF_INGESTED_AT,		 /* ingested_at of the version listed, GTE/LTE bounds */
	FF__COUNT
};
#undef FF_FIELD_
#undef FF_EVAL_
extern const char *const cond_field_names[FF__COUNT];

enum filter_op { FOP_EQ, FOP_GTE, FOP_LTE, FOP_IN };

/* One comparison. EQ has one value, IN one or more; GTE/LTE are started_at and ingested_at
 * bounds in us. */
struct filter_cond {
	enum filter_field field;
	enum filter_op op;
	const char **vals;
	size_t nvals;
	int64_t us;
	int enumv;	/* FF_KIND / FF_STATUS, EQ: the enum span_kind / span_status value */
	uint32_t enums; /* FF_KIND / FF_STATUS, IN: bit v set for each value v (vals unused) */
	bool or_absent; /* EQ of a string field: a span without the field matches too */
};

struct filter {
	struct filter_cond *conds;
	size_t n;
	json_t *echo; /* the filter tree echoed in responses; NULL when no filter was sent */
	bool nothing; /* a condition that no span listed meets was given (its surface settled it) */
};

/* The condition of the span field or evaluation_context member named name (cond_field_names;
 * not the FF_SPAN_ID ... that follow them), or -1. */
int cond_field(const char *name);
/* The type of the values of field ff (a span field's, lib/model/fields.h; a string for the
 * members of evaluation_context, span_id and workspace). */
enum span_ftype cond_field_type(enum filter_field ff);
/* Value text s as an INT field holds it: a decimal integer, all of s, no sign but '-'. */
bool cond_int(const char *s, int64_t *v);
/* Value text s as a NUM field holds it: a finite decimal number, all of s. */
bool cond_num(const char *s, double *v);
/* The JSON literal of value text s of a field of type t as the line holds it (span_render's):
 * a string's JSON string, an integer's decimal, a number's jsonw_number, so that an equality
 * compares the bytes of the line. A value that is no integer (no number) of such a field, which
 * cond_eq refuses but an $in may carry, is written as a string, which no such value equals. */
const char *cond_lit(struct arena *a, enum span_ftype t, const char *s);
/* c (cleared first) becomes field ff equal to value, a string in a: for kind and status, the
 * enum value it names; ST_BAD_REQUEST, with "Filter field 'NAME' must be one of: ..." in e,
 * when it names none, or "... must be an integer" ("a number") when the field is one and value
 * is neither that nor "" (absent). Every surface's equality and `spandex export --filter` come
 * here. */
enum status cond_eq(struct arena *a, struct filter_cond *c, enum filter_field ff, const char *value,
		    struct err *e);

/* Limits: a filter is a short AND list; more conditions than this is abuse, not a query. */
#define FILTER_MAX_CONDS 64
#define FILTER_MAX_IN 1000 /* values of one $in, the page size cap */

#endif
