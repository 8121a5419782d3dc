/* direct: validates a DirectSpansIngestRequest (reference section 4.4) into typed spans.
 * The spans and their strings live in the arena and in the request's JSON document, which
 * must outlive them; their json_t fields are released with span_clear. */
#ifndef SPANDEX_DIRECT_H
#define SPANDEX_DIRECT_H

#include <stddef.h>
#include <jansson.h>
#include "lib/model/span.h"
#include "lib/model/verr.h"

#define DIRECT_MAX_SPANS 1000	   /* spans per request, as the NeMo service */
#define DIRECT_MAX_SOURCE 128	   /* characters in source */
#define DIRECT_MAX_ATTRIBUTES 4096 /* attributes per span: bounds the work per line */

/* Validates body for workspace ws. Returns the number of spans (*out, in arena a), or 0 with
 * every problem added to v (nothing is valid then: a batch is all or nothing). */
size_t direct_parse(struct arena *a, const char *ws, json_t *body, struct span **out,
		    struct verrs *v);

#endif
