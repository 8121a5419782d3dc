/* map: Scale GP v5 spans (reference otel-egp.md §4.3, the seed page scale-egp-v5-spans-search)
 * as spandex spans, and back: the one table between the two shapes. Types and statuses go
 * through lib/model/crosswalk; what the span schema has no field for (group_id, metadata,
 * expected, the application ids) is kept in raw_attributes under "sgp.<name>". */
#ifndef SPANDEX_API_EGP_MAP_H
#define SPANDEX_API_EGP_MAP_H

#include <jansson.h>
#include <stdbool.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/model/crosswalk.h"
#include "lib/model/span.h"
#include "lib/model/verr.h"

#define EGP_SOURCE "sgp"     /* spandex's source of what came through Scale GP */
#define EGP_MAX_TRACE_ID 256 /* the seed's maxLength of trace_id */

/* Applies the fields of obj onto s in workspace ws: a SpanCreateRequest when create (name,
 * trace_id and start_timestamp required; an id made when absent), else a PATCH body (only
 * name, end_timestamp, output, metadata, status). Problems go to v under loc (stolen). */
void egp_apply(struct arena *a, const char *ws, json_t *obj, bool create, struct span *s,
	       struct verrs *v, json_t *loc);

/* Row i of the field table, for docs/attributes.md and the test that walks it: the SGP field,
 * whether a PATCH may change it, and the Span members it fills ("raw x" for raw_attributes member
 * x); false past the last row. */
bool egp_map_row(size_t i, const char **name, bool *patch, const char **span);

/* Appends the Span of s; account is the x-selected-account-id it is read under. */
void egp_render(struct buf *out, struct arena *a, const struct span *s, const char *account);
/* The name (a dotted path) under which Scale GP's Span shows each field of the line
 * (lib/model/fields.h), NULL where it does not: t/check_fields.c checks egp_render shows each. */
extern const char *const egp_field_names[SF__COUNT];
/* Scale GP's span types and statuses as lib/model's crosswalk reads them (map.c); a type kept
 * as "sgp.type". */
extern const struct crosswalk egp_crosswalk;

/* The metadata object of s as SGP shows it (a new reference): the metadata sent through SGP,
 * or for a span from another API its typed fields of note (model, provider, agent_name, ...).
 * The renderer and the search's metadata filters both read it, so a filter finds what a
 * reply shows. */
json_t *egp_metadata(const struct span *s);

/* Whether a stored version has ended (the upsert keeps a completed span over a started one). */
bool egp_completed(const struct span *s);

#endif
