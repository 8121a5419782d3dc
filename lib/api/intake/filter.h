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
/* The filter of one request as a JSON tree (§3.2): a raw filter= (JSON when it starts with '{',
 * else the text syntax) or, without one, the filter[...] keys of keys/vals collected. *tree is
 * the arena's (NULL when the request has no filter); ST_BAD_REQUEST with the message in err
 * (may be NULL) when it does not parse. */
enum status intake_filter_tree(struct arena *a, const char *raw, const char *const *keys,
			       const char *const *vals, size_t n, json_t **tree, struct err *err);

/* A walk of a filter tree (§3.2, §3.3): AND-combined comparisons only ($and flattened; $or and
 * $not refused), field keys not mixed with logical ones, operators among the platform's. field
 * is called once per field key before its comparisons (a list refuses unknown fields there);
 * cmp once per comparison, op "$eq" for a bare value. Either stops the walk with a non-OK
 * status, its message in err. */
struct intake_filter_walker {
	enum status (*field)(void *ctx, const char *name, struct err *err);
	enum status (*cmp)(void *ctx, const char *name, const char *op, json_t *v, struct err *err);
	void *ctx;
};
enum status intake_filter_walk(json_t *tree, const struct intake_filter_walker *w, struct err *err);
/* ST_OK when name is one of fields[0..n) or a generic entity field (§3.2); else ST_BAD_REQUEST
 * with "Unknown filter field 'name'. Valid fields: [...]" in err: both, sorted, as Python
 * prints a list of strings. */
enum status intake_filter_field(const char *name, const char *const *fields, size_t n,
				struct err *err);

enum status intake_filter_parse(struct arena *a, enum filter_kind kind, const char *raw,
				const char *const *keys, const char *const *vals, size_t n,
				struct filter *f, struct err *err);
/* The same from a tree of intake_filter_tree (NULL: no filter), which becomes f's echo. */
enum status intake_filter_parse_tree(struct arena *a, enum filter_kind kind, json_t *tree,
				     struct filter *f, struct err *err);

#endif
