/* jsonx: JSON parsing with the project's limits (depth, size), over jansson.
 * The returned value is owned by the caller (json_decref). */
#ifndef SPANDEX_JSONX_H
#define SPANDEX_JSONX_H

#include <stddef.h>
#include <stdbool.h>
#include <jansson.h>
#include "lib/base/status.h"

#define JSONX_MAX_DEPTH 64 /* nesting of any JSON document we accept; deeper is refused */

/* Parses p[0..n) (RFC 8259; duplicate keys: last wins; NUL in strings refused).
 * On failure returns NULL, *pos gets the byte offset of the problem and e (when not NULL)
 * ST_BAD_REQUEST with a short reason. */
json_t *jsonx_parse(const char *p, size_t n, size_t *pos, struct err *e);

/* Flags of jsonx_parse_with, for the lines the store wrote (lib/model's span_parse and
 * judgement_parse): they took jansson's json_loadb, which reads about 8x slower, and so accept
 * every line it accepted. */
#define JSONX_NO_DUPLICATES 1 /* a name twice in one object is refused (JSON_REJECT_DUPLICATES) */
#define JSONX_DEEP 2	      /* nesting up to JSONX_DEEP_DEPTH, jansson's own limit */
#define JSONX_DEEP_DEPTH 2048
/* jsonx_parse with flags. */
json_t *jsonx_parse_with(const char *p, size_t n, int flags, size_t *pos, struct err *e);

#endif
