/* check_otlp_fixture: the arena, decoder calls and JSON spans the OTLP trace suites share
 * (t/check_otlp.h). */
#include <stdio.h>
#include <string.h>

#include "t/check_otlp.h"
#include "lib/model/judgement.h"

struct arena *ta;

void setup(void)
{
	ta = arena_new();
}

void teardown(void)
{
	arena_free(ta);
}

void outcome(enum outcome_how how, enum otlp_encoding enc, const void *p, size_t n, struct buf *out)
{
	struct arena *a = arena_new();
	struct otlp_result r;
	struct err e = {0};
	enum status st;

	if (how == OUT_TEXT) {
		if (!otlp_decode_text(a, WS, p, n, NOW, &r)) {
			buf_adds(out, "not taken\n");
			arena_free(a);
			return;
		}
		st = ST_OK;
	} else if (how == OUT_REFERENCE) {
		st = otlp_decode_reference(a, WS, enc, p, n, NOW, &r, &e);
	} else {
		st = otlp_decode(a, WS, enc, p, n, NOW, &r, &e);
	}
	buf_printf(out, "%d %s\n", (int)st, st == ST_OK ? "" : e.msg);
	if (st == ST_OK) {
		for (size_t i = 0; i < r.nspans; i++) {
			r.spans[i].ingested_at = NOW;
			span_render(&r.spans[i], out);
			buf_addc(out, '\n');
		}
		for (size_t i = 0; i < r.nerrors; i++)
			buf_printf(out, "%s\n", r.errors[i]);
		for (size_t i = 0; i < r.evals.n; i++) {
			struct judgement j = r.evals.v[i].j;
			j.id = j.id ? j.id : "-";
			judgement_render(&j, out);
			buf_printf(out, " %s\n", r.evals.v[i].id_time ? r.evals.v[i].id_time : "-");
		}
		otlp_response(&r, enc, out);
		otlp_result_free(&r);
	}
	arena_free(a);
}

bool json_same(const void *p, size_t n)
{
	struct buf x, ref, text;
	bool taken;

	buf_init(&x);
	buf_init(&ref);
	buf_init(&text);
	outcome(OUT_DECODE, OTLP_JSON, p, n, &x);
	outcome(OUT_REFERENCE, OTLP_JSON, p, n, &ref);
	outcome(OUT_TEXT, OTLP_JSON, p, n, &text);
	taken = strcmp(text.p, "not taken\n") != 0;
	if (strcmp(x.p, ref.p) || (taken && strcmp(text.p, ref.p)))
		ck_abort_msg("OTLP/JSON %.*s\ntree:\n%s\notlp_decode:\n%s\ntext:\n%s", (int)n,
			     (const char *)p, ref.p, x.p, text.p);
	buf_free(&x);
	buf_free(&ref);
	buf_free(&text);
	return taken;
}

enum status decode(enum otlp_encoding enc, const void *p, size_t n, struct otlp_result *r,
		   char *msg)
{
	struct err e;

	if (enc == OTLP_JSON)
		json_same(p, n);
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
