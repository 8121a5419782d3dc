/* line: the members of a canonical line (a span's, a judgement's), written and read the one
 * way both use: absent values omitted, times as RFC 3339 UTC strings with microseconds,
 * numbers as Python's json prints them. Writers append to a caller-owned buf; readers return
 * what points into the caller's jansson object. */
#ifndef SPANDEX_MODEL_LINE_H
#define SPANDEX_MODEL_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/buf.h"

#define LINE_NONE INT64_MIN /* an absent integer or time (SPAN_NONE_I64) */

/* Each appends ,"k":value, or nothing when the value is absent (NULL, LINE_NONE, NAN). */
void line_key(struct buf *b, const char *k);
void line_str(struct buf *b, const char *k, const char *v);
void line_time(struct buf *b, const char *k, int64_t us);
void line_int(struct buf *b, const char *k, int64_t v);
void line_num(struct buf *b, const char *k, double v);
/* v compact; with always, {} for a NULL v. */
void line_obj(struct buf *b, const char *k, const json_t *v, bool always);

/* The value of a stored line len bytes long, new reference (NULL when it is not JSON): a name
 * twice in one object is refused, nesting up to jansson's own limit, as json_loadb with
 * JSON_REJECT_DUPLICATES took it, about 8x faster (jsonx). */
json_t *line_parse(const char *line, size_t len);

/* Member k of o: a string (else NULL), an integer (else LINE_NONE), a number (else NAN), an
 * object with a new reference (else NULL). line_get_time is false for a string that is not a
 * time, *us LINE_NONE for none. */
const char *line_get_str(json_t *o, const char *k);
int64_t line_get_int(json_t *o, const char *k);
double line_get_num(json_t *o, const char *k);
json_t *line_get_obj(json_t *o, const char *k);
bool line_get_time(json_t *o, const char *k, int64_t *us);

/* The index of s in names[0..n), or -1 (also for NULL). */
int line_lookup(const char *const *names, int n, const char *s);

#endif
