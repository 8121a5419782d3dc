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
/* direct_parse read straight from the body's text p[0..len): no JSON value is built for the
 * batch or a span, only a span's members' values (jsonx's, as jsonx_parse builds them, left
 * like a parsed body's to the request's arena: lib/base's arena_json, which must be a). Returns
 * the spans
 * direct_parse gives for the same body, or 0 when the body is not a batch that passes every
 * check, with nothing reported: the caller then takes jsonx_parse and direct_parse, whose
 * errors are the API's. A refused body's parse is paid twice; an accepted one is spared the
 * batch's tree (jansson's objects of 1,000 spans, and a lookup a field). */
size_t direct_parse_text(struct arena *a, const char *ws, const char *p, size_t len,
			 struct span **out);

#endif
