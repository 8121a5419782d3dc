/* filter: the `filter` query parameter of the Intake list endpoints (reference nemo-intake.md
 * §3.2, §3.3), written as JSON, bracket notation or the text syntax, parsed into an AND list
 * of comparisons over SpanFilter or TraceFilter (seed pages). Everything a parse allocates
 * lives in the caller's arena, the echo tree too (handed to it with arena_defer). */
#ifndef SPANDEX_FILTER_H
#define SPANDEX_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/query/cond.h"

enum filter_kind { FILTER_SPANS, FILTER_TRACES };

/* Parses the filter of one request. raw is the `filter=` value or NULL; keys/vals are every
 * query parameter (only keys starting with "filter[" are read, and only when raw is NULL).
 * On failure returns ST_BAD_REQUEST with the §3.3 message in err (may be NULL); f is then
 * empty. */
enum status intake_filter_parse(struct arena *a, enum filter_kind kind, const char *raw,
				const char *const *keys, const char *const *vals, size_t n,
				struct filter *f, struct err *err);

#endif
