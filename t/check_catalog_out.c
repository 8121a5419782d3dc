/* t/check_catalog, the conventions table read backwards (lib/model/catalog_out.c, issue 56): a
 * stored span sent on as OTLP/JSON and read by the OTLP mapping again is the same span. Every
 * span the table's own tests map (check_catalog_table.c) goes round so (out_roundtrip); spans
 * of the other APIs, which came with no attributes, come back with the same fields; and
 * docs/attributes.md's "Sent on" table is the code's. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ingest/otlp.h"
#include "lib/model/catalog_out.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "t/check_catalog.h"
#include "t/readme.h"

/* s as a one-span OTLP/JSON request, decoded by the OTLP mapping into *back (workspace ws). */
static void send_on(const struct span *s, struct otlp_result *back, const char *ws)
{
	struct catalog_otlp o;
	struct catalog_out_doc d;
	struct buf b;
	struct err e;
	buf_init(&b);
	catalog_out_span(A, s, &o);
	catalog_out_json_begin(&b, &d);
	catalog_out_json_add(&b, &d, &o);
	catalog_out_json_end(&b, &d);
	catalog_out_clear(&o);
	ck_assert_msg(otlp_decode(A, ws, OTLP_JSON, b.p, b.len, 1, back, &e) == ST_OK, "%s: %s",
		      e.msg, b.p);
	ck_assert_uint_eq(back->nspans, 1);
	buf_free(&b);
}

void out_roundtrip(const struct span *s)
{
	struct buf one, two;
	struct span parsed;
	json_t *root;
	struct otlp_result back;
	struct span stored = *s;
	stored.ingested_at = 1700000002000000; /* what the store adds */
	buf_init(&one);
	buf_init(&two);
	span_render(&stored, &one);
	/* What the forwarder has: the stored line, parsed. */
	ck_assert(span_parse(one.p, one.len, &parsed, &root));
	send_on(&parsed, &back, parsed.workspace);
	back.spans[0].ingested_at = stored.ingested_at;
	span_render(&back.spans[0], &two);
	/* raw_attributes compare as objects: the order of their members is the mapping's and
	 * carries nothing (a receiver merges the resource's attributes first). */
	json_t *x = line_json(one.p), *y = line_json(two.p);
	ck_assert_msg(json_equal(x, y), "sent on:\n%s\nread back:\n%s", one.p, two.p);
	json_decref(x);
	json_decref(y);
	otlp_result_free(&back);
	span_clear(&parsed);
	json_decref(root);
	buf_free(&one);
	buf_free(&two);
}

/* A span as Opik, Scale GP or direct ingest store it: no attributes but their own, every
 * typed field set, ids that are no OTLP ids. */
static void other_api_span(struct span *s, enum span_kind kind, bool usage)
{
	span_init(s);
	s->span_id = "0b9b5c1e-8d1a-4f2e-9c3b-6a7d8e9f0a1b";
	s->trace_id = "0192f0c4-7b6e-7c1a-9d2e-3f4a5b6c7d8e";
	s->parent_span_id = "root-span";
	s->session_id = "thread-7";
	s->workspace = "ws";
	s->kind = kind;
	s->name = "step";
	s->source = "opik";
	s->started_at = 1700000000123456;
	s->ended_at = 1700000001123456;
	s->status = SPST_ERROR;
	s->str[SS_ERROR_TYPE] = "ValueError";
	s->str[SS_ERROR_MESSAGE] = "no such tool";
	s->str[SS_PROJECT] = "shop";
	s->str[SS_MODEL] = "gpt-4o";
	s->str[SS_PROVIDER] = "openai";
	s->str[SS_PROMPT_NAME] = "refund";
	s->str[SS_PROMPT_VERSION] = "3";
	s->str[SS_AGENT_NAME] = "helper";
	s->str[SS_TOOL_NAME] = "lookup";
	s->input = "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]";
	s->output = "{\"answer\":42}";
	s->evaluation_context = json_pack("{s:s, s:s, s:s}", "evaluation_id", "ev1", "dataset_name",
					  "golden", "test_case_id", "tc9");
	s->raw_attributes = json_pack("{s:{s:s, s:[i, i]}, s:[s]}", "opik.metadata", "team", "a",
				      "nums", 1, 2, "opik.tags", "beta");
	if (usage) {
		s->input_tokens = 120;
		s->output_tokens = 30;
		s->total_tokens = 150;
		s->cached_tokens = 20;
		s->usage_details =
		    json_pack("{s:i, s:i}", "completion_details.reasoning", 7, "audio_seconds", 3);
		s->cost_total_usd = 0.00125;
		s->cost_input_usd = 0.0005;
		s->cost_output_usd = 0.00075;
		s->cost_details = json_pack("{s:f}", "tool_call", 0.0001);
	}
}

/* The typed fields of a line (its ids, session, source and raw_attributes aside). */
static json_t *fields_of(const struct span *s)
{
	struct buf b;
	buf_init(&b);
	span_render(s, &b);
	json_t *v = line_json(b.p);
	buf_free(&b);
	for (const char *const *k =
		 (const char *const[]){"span_id", "trace_id", "parent_span_id", "source",
				       "raw_attributes", "ingested_at", NULL};
	     *k; k++)
		json_object_del(v, *k);
	return v;
}

/* Every kind, with usage and without: the receiver's fields are the span's; the ids are OTLP
 * ids derived from the span's, which travel as attributes; a chain's own usage is the one
 * thing no convention carries (every convention counts a chain's usage as its children's). */
START_TEST(other_apis)
{
	enum span_kind kind = (enum span_kind)(_i / 2);
	bool usage = _i % 2;
	struct span s;
	struct otlp_result back;
	other_api_span(&s, kind, usage);
	s.ingested_at = 1;
	send_on(&s, &back, "ws");
	struct span *r = &back.spans[0];
	r->ingested_at = 1;
	json_t *want = fields_of(&s), *got = fields_of(r);
	if (kind == KIND_CHAIN && usage) {
		for (const char *const *k =
			 (const char *const[]){"input_tokens", "output_tokens", "total_tokens",
					       "cached_tokens", "cost_total_usd", "cost_input_usd",
					       "cost_output_usd", NULL};
		     *k; k++)
			json_object_del(want, *k);
		json_object_set_new(want, "usage_details", json_object());
		json_object_set_new(want, "cost_details", json_object());
		ck_assert_str_eq(json_string_value(span_raw(r, "spandex.usage")), "children");
	}
	/* evaluation_context members no attribute names travel as one object. */
	json_object_del(json_object_get(want, "evaluation_context"), "dataset_name");
	ck_assert_msg(json_equal(want, got), "kind %s usage %d:\n%s\n%s", span_kind_names[kind],
		      usage, json_dumps(want, JSON_COMPACT), json_dumps(got, JSON_COMPACT));
	ck_assert_str_eq(r->trace_id, "0192f0c47b6e7c1a9d2e3f4a5b6c7d8e");
	ck_assert_uint_eq(strlen(r->span_id), 16);
	ck_assert_str_eq(json_string_value(span_raw(r, CATALOG_OUT_SPAN_ID)), s.span_id);
	ck_assert_str_eq(json_string_value(span_raw(r, CATALOG_OUT_PARENT_ID)), s.parent_span_id);
	ck_assert_ptr_null(span_raw(r, CATALOG_OUT_TRACE_ID)); /* a UUID is a trace id */
	char parent[17];
	ck_assert(catalog_out_id("root-span", 8, parent));
	ck_assert_str_eq(r->parent_span_id, parent);
	ck_assert_str_eq(
	    json_string_value(json_object_get(span_raw(r, CATALOG_OUT_EVAL_REST), "dataset_name")),
	    "golden");
	/* Their own attributes go as they are: an object as a kvlist, a list as an array. */
	ck_assert(json_equal(span_raw(r, "opik.metadata"), span_raw(&s, "opik.metadata")));
	ck_assert(json_equal(span_raw(r, "opik.tags"), span_raw(&s, "opik.tags")));
	json_decref(want);
	json_decref(got);
	otlp_result_free(&back);
	span_clear(&s);
}
END_TEST

/* A cancelled span says so; a span that named no session gets the receiver's own default;
 * a value nested past CATALOG_OUT_MAX_DEPTH goes as its JSON text. */
START_TEST(status_session_depth)
{
	struct span s;
	struct otlp_result back;
	other_api_span(&s, KIND_TOOL, false);
	s.status = SPST_CANCELLED;
	s.str[SS_ERROR_TYPE] = s.str[SS_ERROR_MESSAGE] = NULL;
	s.session_id = s.trace_id; /* Opik's default: the trace's id */
	json_t *deep = json_string("bottom");
	for (int i = 0; i < CATALOG_OUT_MAX_DEPTH + 3; i++)
		deep = json_pack("{s:o}", "d", deep);
	json_object_set_new(s.raw_attributes, "deep", deep);
	send_on(&s, &back, "other");
	struct span *r = &back.spans[0];
	ck_assert_int_eq(r->status, SPST_CANCELLED);
	ck_assert(span_session_default(r));
	ck_assert_str_eq(r->workspace, "other");
	json_t *v = span_raw(r, "deep");
	for (int i = 0; i < CATALOG_OUT_MAX_DEPTH; i++)
		v = json_object_get(v, "d");
	ck_assert(json_is_string(v));
	otlp_result_free(&back);
	span_clear(&s);
}
END_TEST

/* ---- docs/attributes.md, "Sent on": the table of catalog_out_rows, generated ---- */
#define OUT_DOC_BEGIN                                                                              \
	"<!-- sent on: generated from lib/model/catalog_out.c by t/check_catalog -->\n"
#define OUT_DOC_END "<!-- end of the generated sent on -->\n"

START_TEST(out_doc_generated)
{
	size_t n;
	const struct catalog_out_row *r = catalog_out_rows(&n);
	struct buf want;
	buf_init(&want);
	buf_adds(&want, OUT_DOC_BEGIN "| Span field | goes out in |\n|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&want, "| `%s`", r[i].field);
		if (r[i].sub)
			buf_printf(&want, " `%s`", r[i].sub);
		buf_printf(&want, " | `%s`%s%s |\n", r[i].key, r[i].note ? " " : "",
			   r[i].note ? r[i].note : "");
	}
	buf_adds(&want, OUT_DOC_END);
	readme_block_check(OUT_DOC_BEGIN, OUT_DOC_END, &want);
	buf_free(&want);
}
END_TEST

void out_tcase_add(TCase *tc)
{
	tcase_add_loop_test(tc, other_apis, 0, 2 * KIND__COUNT);
	tcase_add_test(tc, status_session_depth);
	tcase_add_test(tc, out_doc_generated);
}
