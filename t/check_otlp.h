/* check_otlp.h: what the OTLP trace suites share (t/check_otlp_fixture.c): an arena per test
 * (setup, teardown), the decoder called as the ingest calls it, and one OTLP/JSON span decoded
 * and read. The suites: t/check_otlp.c (decoding), t/check_otlp_map.c (the mapping onto a span),
 * t/check_otlp_wire.c (protobuf against OTLP/JSON; hostile input in t/check_otlp_hostile.c). */
#ifndef SPANDEX_T_CHECK_OTLP_H
#define SPANDEX_T_CHECK_OTLP_H

#include <check.h>

#include "lib/ingest/otlp.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

#define WS "team-a"
#define NOW 1700000000000000LL /* the ingest time handed to the decoder, us */

#define IDS "\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\""
#define TRACE "5b8efff798038103d269b633813fc60c"
#define SPAN "eee19b7ec3c1b174"

/* {"key":k,"value":{"stringValue":v}}, both C string literals. */
#define A(k, v) "{\"key\":\"" k "\",\"value\":{\"stringValue\":\"" v "\"}}"

/* The arena of the test (setup, teardown): everything below allocates in it. */
extern struct arena *ta;
void setup(void);
void teardown(void);
/* otlp_decode of the n bytes at p for WS at NOW; on a refusal its message is in msg[256]. */
enum status decode(enum otlp_encoding enc, const void *p, size_t n, struct otlp_result *r,
		   char *msg);
/* Everything a decode of p[0..n) in enc gives, as text appended to out: status and reason,
 * the spans' lines, the refusals, the evaluations and the response; by otlp_decode, by
 * otlp_decode_reference, or by otlp_decode_text ("not taken" when it leaves the body). */
enum outcome_how { OUT_DECODE, OUT_REFERENCE, OUT_TEXT };
void outcome(enum outcome_how how, enum otlp_encoding enc, const void *p, size_t n,
	     struct buf *out);
/* An OTLP/JSON body's outcome by otlp_decode must be the reference's (the tree path's), and
 * by the text path too when it takes the body; true when it does. decode calls it for every
 * OTLP/JSON body of the suites. */
bool json_same(const void *p, size_t n);
/* decode of the OTLP/JSON text. */
enum status decode_json(const char *text, struct otlp_result *r, char *msg);
/* The request of one span in the standard envelope; span_fields is the inside of its {...}. */
char *json_req(const char *span_fields);
/* Decodes the request of one span (json_req) that must convert; returns the span. */
struct span *one(const char *fields, struct otlp_result *r);
/* The raw attribute key of s, NULL when it has none. */
json_t *raw(struct span *s, const char *key);
/* decode of the n bytes at p must refuse the request whole, its message holding part (when not
 * NULL). */
void expect_refused(const void *p, size_t n, enum otlp_encoding enc, const char *part);

/* check_otlp_wire's hostile input's tests (check_otlp_hostile.c), added to its case. */
void check_otlp_hostile(TCase *hostile);

#endif
