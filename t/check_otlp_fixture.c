/* check_otlp_fixture: the arena, decoder calls and JSON spans the OTLP trace suites share
 * (t/check_otlp.h). */
#include <stdio.h>
#include <string.h>

#include "t/check_otlp.h"

struct arena *ta;

void setup(void)
{
	ta = arena_new();
}

void teardown(void)
{
	arena_free(ta);
}

enum status decode(enum otlp_encoding enc, const void *p, size_t n, struct otlp_result *r,
		   char *msg)
{
	struct err e;
	enum status st = otlp_decode(ta, WS, enc, p, n, NOW, r, &e);
	if (st != ST_OK)
		snprintf(msg, 256, "%.255s", e.msg);
	return st;
}

enum status decode_json(const char *text, struct otlp_result *r, char *msg)
{
	return decode(OTLP_JSON, text, strlen(text), r, msg);
}

char *json_req(const char *span_fields)
{
	return arena_printf(ta,
			    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[]},\"scopeSpans\":"
			    "[{\"scope\":{\"name\":\"s\"},\"spans\":[{%s}]}]}]}",
			    span_fields);
}

struct span *one(const char *fields, struct otlp_result *r)
{
	char msg[256] = "";

	if (decode_json(json_req(fields), r, msg) != ST_OK)
		ck_abort_msg("refused: %s", msg);
	ck_assert_uint_eq(r->nerrors, 0);
	ck_assert_uint_eq(r->nspans, 1);
	return &r->spans[0];
}

json_t *raw(struct span *s, const char *key)
{
	return s->raw_attributes ? json_object_get(s->raw_attributes, key) : NULL;
}

void expect_refused(const void *p, size_t n, enum otlp_encoding enc, const char *part)
{
	struct otlp_result r;
	char msg[256] = "";

	ck_assert_int_eq(decode(enc, p, n, &r, msg), ST_BAD_REQUEST);
	ck_assert_uint_eq(r.nspans, 0);
	if (part && !strstr(msg, part))
		ck_abort_msg("message \"%s\" lacks \"%s\"", msg, part);
}
