/* crosswalk: the one table between spandex's span kinds and statuses and the types and
 * statuses of the other APIs (Opik's span type, Scale GP v5's SpanType and SpanStatus).
 * Every surface maps through here, in both directions; none keeps its own list.
 *
 * A foreign type that names no kind exactly (Opik "general", SGP "TEXT_INPUT") is stored as
 * the kind of its row and kept verbatim in raw_attributes under CROSSWALK_OPIK_TYPE or
 * CROSSWALK_SGP_TYPE, so a span reads back through its own API with the type it was sent
 * with; a span from elsewhere reads back with its kind's default type. */
#ifndef SPANDEX_CROSSWALK_H
#define SPANDEX_CROSSWALK_H

#include <stdint.h>
#include "lib/model/span.h"

#define CROSSWALK_OPIK_TYPE "opik.type"
#define CROSSWALK_SGP_TYPE "sgp.type"

enum crosswalk_api { CW_OPIK, CW_SGP, CW__COUNT };

/* The kind a foreign type is stored as: exact names first (case-sensitive, as each API spells
 * them), then the api's default for names it does not list (Opik: -1, the caller refuses;
 * SGP: KIND_UNKNOWN, SGP asks servers to accept unknown uppercase types). */
int crosswalk_kind(enum crosswalk_api api, const char *type);
/* The type a span reads back with: the verbatim type kept in raw_attributes when it is still
 * one that maps to the span's kind, else the default type of the kind. */
const char *crosswalk_type(enum crosswalk_api api, const struct span *s);
/* The same from the span's kind and the verbatim type kept for it (NULL: none). */
const char *crosswalk_type_of(enum crosswalk_api api, enum span_kind kind, const char *kept);
/* The same from a scanned line (span_line_scan), for predicates that run on every candidate;
 * NULL when the line does not say plainly (an escaped or long kept type, attributes too long
 * to decode): parse the line then. buf holds a kept type that is returned. */
#define CROSSWALK_TYPE_MAX 64
const char *crosswalk_line_type(enum crosswalk_api api, const struct span_line *m,
				char buf[CROSSWALK_TYPE_MAX]);
/* The kinds whose spans can read back as type (case-blind, so a superset for a filter to
 * narrow by before it compares the type itself): a bit per enum span_kind. */
uint32_t crosswalk_kinds_of(enum crosswalk_api api, const char *type);
/* Whether the verbatim type must be kept: it is not the default type of its kind. */
bool crosswalk_keep_type(enum crosswalk_api api, const char *type);

/* Statuses. Opik has none (an error_info object means error); SGP: SUCCESS, ERROR, CANCELED,
 * and a span whose source gave none (unknown) reads back as SUCCESS. */
int crosswalk_status(enum crosswalk_api api, const char *status); /* -1 when not a member */
/* The name st reads back with; NULL when the api has no statuses. */
const char *crosswalk_status_name(enum crosswalk_api api, enum span_status st);
/* The statuses that read back as status (for a filter to narrow by): a bit per enum
 * span_status; 0 when it is no member. */
uint32_t crosswalk_statuses_of(enum crosswalk_api api, const char *status);

/* The type names an api lists, ending with NULL (for validation messages and enums). */
extern const char *const crosswalk_opik_types[];
extern const char *const crosswalk_sgp_types[];

#endif
