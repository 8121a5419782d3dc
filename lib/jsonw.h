/* jsonw: compact JSON writing of jansson values the way the NeMo service serialises them
 * (Python json: shortest round-trip floats, UTF-8 kept), with the options canonical ids need
 * (sorted keys, nulls left out). Appends to a caller-owned buf. */
#ifndef SPANDEX_JSONW_H
#define SPANDEX_JSONW_H

#include <jansson.h>
#include "lib/util.h"

enum {
	JSONW_SORT_KEYS = 1 << 0,  /* object keys in byte order (code point order for UTF-8) */
	JSONW_OMIT_NULLS = 1 << 1, /* drop object members whose value is null, at any depth */
};

/* Appends v as compact JSON (no spaces), object keys in insertion order unless sorted. */
void jsonw_dump(struct buf *b, json_t *v, int flags);
/* The same, as a NUL-terminated string in arena a. */
char *jsonw_str(struct arena *a, json_t *v, int flags);

#endif
