/* jsonw: compact JSON writing of jansson values the way the NeMo service serialises them
 * (Python json: shortest round-trip floats, UTF-8 kept), with the options canonical ids need
 * (sorted keys, nulls left out). Appends to a caller-owned buf. */
#ifndef SPANDEX_JSON_JSONW_H
#define SPANDEX_JSON_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/buf.h"

struct arena;

enum {
	JSONW_SORT_KEYS = 1 << 0,  /* object keys in byte order (code point order for UTF-8) */
	JSONW_OMIT_NULLS = 1 << 1, /* drop object members whose value is null, at any depth */
};

/* Appends s[0..n) as a JSON string literal with quotes (RFC 8259 section 7). */
void jsonw_string(struct buf *b, const char *s, size_t n);
/* The bytes jsonw_string writes for the byte c of a string into out: their count, 1 for a byte
 * it writes as it is (\", \\, \b, \t, \n, \f, \r or \u00xx, lowercase, for the others it
 * escapes). */
size_t jsonw_char(char out[6], unsigned char c);
/* Appends a double the way Python's json would (shortest round-trip form, ints without .0). */
/* Appends v in decimal. */
void jsonw_int(struct buf *b, int64_t v);
void jsonw_number(struct buf *b, double v);
/* The same for a value Python holds as a float: an integral one keeps its ".0" ("4.0"), as
 * pydantic's float fields print. */
void jsonw_real(struct buf *b, double v);
/* Appends any JSON value compactly, keys in insertion order, numbers in their shortest
 * round-trip form (jansson's own dump prints 0.1 as 0.10000000000000001); a real that is
 * integral keeps its ".0" as Python prints it. */
void jsonw_value(struct buf *b, const json_t *v);
/* Appends v as compact JSON (no spaces), object keys in insertion order unless sorted. */
void jsonw_dump(struct buf *b, json_t *v, int flags);
/* Appends v exactly as jansson's json_dumps(v, flags) would print it, without the string
 * json_dumps allocates (which is the arena's while arena_json is set). */
void jsonw_jansson(struct buf *b, const json_t *v, size_t jansson_flags);
/* The same, as a NUL-terminated string in arena a. */
char *jsonw_astr(struct arena *a, json_t *v, int flags);

#endif
