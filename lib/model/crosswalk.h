/* crosswalk: between spandex's span kinds and statuses and another API's types and statuses
 * (Opik's span type, Scale GP v5's SpanType and SpanStatus), by a table the surface hands
 * down (struct crosswalk: opik_crosswalk, egp_crosswalk in their folders), in both
 * directions. It names no API (issue 53): every rule an API's table does not say is here once.
 *
 * A foreign type that names no kind exactly (Opik "general", SGP "TEXT_INPUT") is stored as
 * the kind of its row and kept verbatim in raw_attributes under the table's attr, so a span
 * reads back through its own API with the type it was sent with; a span from elsewhere reads
 * back with its kind's default type. */
#ifndef SPANDEX_CROSSWALK_H
#define SPANDEX_CROSSWALK_H

#include <stdint.h>
#include "lib/model/span.h"

/* One row per foreign type: the kind it is stored as. The first row of a kind is that kind's
 * default type when read back. */
struct crosswalk_row {
	enum span_kind kind;
	const char *type;
};
/* One row per spandex status: its name when read back; the first row of a name is the status
 * it is stored as. */
struct crosswalk_status {
	enum span_status st;
	const char *name;
};
/* An API's types and statuses. */
struct crosswalk {
	const char *attr; /* the raw_attributes key a verbatim type is kept under ("opik.type") */
	const struct crosswalk_row *rows;
	size_t nrows;
	const char *fallback; /* the type of a kind no row names */
	/* A type no row names: stored as KIND_UNKNOWN and kept as sent (SGP asks servers to accept
	 * unknown uppercase types), else refused (crosswalk_kind -1: Opik). */
	bool keep_unlisted;
	const struct crosswalk_status *statuses; /* NULL: the API has no statuses (Opik) */
	size_t nstatuses;
	const char *const *types; /* the type names it lists, NULL-terminated (messages, enums) */
};

/* The kind a foreign type is stored as: exact names first (case-sensitive, as each API spells
 * them), then KIND_UNKNOWN (keep_unlisted) or -1, the caller refuses. */
int crosswalk_kind(const struct crosswalk *cw, const char *type);
/* The type a span reads back with: the verbatim type kept in raw_attributes when it is still
 * one that maps to the span's kind, else the default type of the kind. */
const char *crosswalk_type(const struct crosswalk *cw, const struct span *s);
/* The same from the span's kind and the verbatim type kept for it (NULL: none). */
const char *crosswalk_type_of(const struct crosswalk *cw, enum span_kind kind, const char *kept);
/* The same from a scanned line (span_line_scan), for predicates that run on every candidate;
 * NULL when the line does not say plainly (an escaped or long kept type, attributes too long
 * to decode): parse the line then. buf holds a kept type that is returned. */
#define CROSSWALK_TYPE_MAX 64
const char *crosswalk_line_type(const struct crosswalk *cw, const struct span_line *m,
				char buf[CROSSWALK_TYPE_MAX]);
/* The kinds whose spans can read back as type (case-blind, so a superset for a filter to
 * narrow by before it compares the type itself): a bit per enum span_kind. */
uint32_t crosswalk_kinds_of(const struct crosswalk *cw, const char *type);
/* Whether the verbatim type must be kept: it is not the default type of its kind. */
bool crosswalk_keep_type(const struct crosswalk *cw, const char *type);
/* Keeps type in s's raw_attributes under cw->attr when crosswalk_keep_type says so, else
 * removes what was kept there (type NULL: a null type). */
void crosswalk_set_type(const struct crosswalk *cw, struct span *s, json_t *type);

/* Statuses (none: every function below answers as for a name that is no member). */
int crosswalk_status(const struct crosswalk *cw, const char *status); /* -1: not a member */
/* The name st reads back with; NULL when the api has no statuses. */
const char *crosswalk_status_name(const struct crosswalk *cw, enum span_status st);
/* The statuses that read back as status (for a filter to narrow by): a bit per enum
 * span_status; 0 when it is no member. */
uint32_t crosswalk_statuses_of(const struct crosswalk *cw, const char *status);

#endif
