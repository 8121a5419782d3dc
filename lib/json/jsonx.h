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

#endif
