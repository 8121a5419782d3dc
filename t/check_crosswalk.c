/* check_crosswalk: lib/model/crosswalk over the tables Opik's and Scale GP's surfaces hand it
 * (opik_crosswalk, egp_crosswalk): every listed foreign type maps to a kind and reads back as
 * sent, a span from another API reads back with its kind's default type, and the statuses of
 * SGP go both ways. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/egp/map.h"
#include "lib/api/opik/map.h"
#include "lib/base/buf.h"
#include "lib/model/crosswalk.h"

/* A span stored from `type` as a surface would store it, read back through the same api. */
static const char *round_trip(const struct crosswalk *api, const char *type)
{
	static struct span s;
	span_clear(&s);
	span_init(&s);
	int k = crosswalk_kind(api, type);
	ck_assert_int_ge(k, 0);
	s.kind = (enum span_kind)k;
	if (crosswalk_keep_type(api, type)) {
		s.raw_attributes = json_object();
		json_object_set_new(s.raw_attributes, api->attr, json_string(type));
	}
	return crosswalk_type(api, &s);
}

START_TEST(types_round_trip)
{
	for (const char *const *t = opik_crosswalk.types; *t; t++)
		ck_assert_str_eq(round_trip(&opik_crosswalk, *t), *t);
	for (const char *const *t = egp_crosswalk.types; *t; t++)
		ck_assert_str_eq(round_trip(&egp_crosswalk, *t), *t);
	/* SGP asks servers to take unknown uppercase types; Opik has four and refuses others. */
	ck_assert_str_eq(round_trip(&egp_crosswalk, "NEW_KIND"), "NEW_KIND");
	ck_assert_int_eq(crosswalk_kind(&opik_crosswalk, "agent"), -1);
	ck_assert_int_eq(crosswalk_kind(&opik_crosswalk, "llm"), KIND_LLM);
	ck_assert_int_eq(crosswalk_kind(&egp_crosswalk, "COMPLETION"), KIND_LLM);
	ck_assert_int_eq(crosswalk_kind(&egp_crosswalk, "KB_RETRIEVAL"), KIND_RETRIEVER);
}
END_TEST

START_TEST(foreign_kinds)
{
	struct span s;
	span_init(&s);
	s.kind = KIND_LLM;
	ck_assert_str_eq(crosswalk_type(&opik_crosswalk, &s), "llm");
	ck_assert_str_eq(crosswalk_type(&egp_crosswalk, &s), "COMPLETION");
	s.kind = KIND_AGENT;
	ck_assert_str_eq(crosswalk_type(&opik_crosswalk, &s), "general");
	ck_assert_str_eq(crosswalk_type(&egp_crosswalk, &s), "AGENT_TRACER");
	/* A kept type that no longer fits the kind (the span was re-sent elsewhere) gives way. */
	s.kind = KIND_TOOL;
	s.raw_attributes = json_pack("{s:s}", egp_crosswalk.attr, "COMPLETION");
	ck_assert_str_eq(crosswalk_type(&egp_crosswalk, &s), "CODE_EXECUTION");
	span_clear(&s);
}
END_TEST

/* crosswalk_line_type from the canonical line agrees with crosswalk_type from the span, or
 * says it cannot tell; the plain cases it must tell. */
static void line_agrees(const struct crosswalk *api, struct span *s, bool must_tell)
{
	struct buf line;
	char tb[CROSSWALK_TYPE_MAX];
	struct span_line m;
	buf_init(&line);
	span_render(s, &line);
	span_line_scan(line.p, line.len, &m);
	const char *t = crosswalk_line_type(api, &m, tb);
	if (must_tell)
		ck_assert_ptr_nonnull(t);
	if (t)
		ck_assert_str_eq(t, crosswalk_type(api, s));
	buf_free(&line);
}

START_TEST(line_types)
{
	const struct crosswalk *apis[] = {&opik_crosswalk, &egp_crosswalk};
	for (size_t i = 0; i < sizeof apis / sizeof *apis; i++) {
		const struct crosswalk *api = apis[i];
		const char *key = api->attr;
		for (int k = 0; k < KIND__COUNT; k++) {
			struct span s;
			span_init(&s);
			s.span_id = "s";
			s.trace_id = "t";
			s.kind = (enum span_kind)k;
			line_agrees(api, &s, true);
			for (const char *const *t = api->types; *t; t++) {
				/* Kept, beside a nested member of the same name that must not
				 * count. */
				json_decref(s.raw_attributes);
				s.raw_attributes =
				    json_pack("{s:{s:s},s:s}", "meta", key, "llm", key, *t);
				line_agrees(api, &s, true);
				/* The kinds a filter for the type narrows by hold every kind it
				 * reads back on. */
				if (!strcmp(crosswalk_type(api, &s), *t))
					ck_assert(crosswalk_kinds_of(api, *t) >> k & 1);
			}
			/* Not a string, escaped, or attributes too long to look into. */
			json_decref(s.raw_attributes);
			s.raw_attributes = json_pack("{s:i}", key, 7);
			line_agrees(api, &s, true);
			json_decref(s.raw_attributes);
			s.raw_attributes = json_pack("{s:s}", key, "a\"b");
			line_agrees(api, &s, false);
			char *big = calloc(1, SPAN_LINE_RAW_MAX + 1);
			memset(big, 'x', SPAN_LINE_RAW_MAX);
			json_decref(s.raw_attributes);
			s.raw_attributes = json_pack("{s:s,s:s}", "big", big, key, api->types[0]);
			line_agrees(api, &s, false);
			free(big);
			json_decref(s.raw_attributes);
			s.raw_attributes = NULL;
		}
	}
	ck_assert_uint_eq(crosswalk_kinds_of(&opik_crosswalk, "LLM"), 1u << KIND_LLM);
	ck_assert_uint_eq(crosswalk_kinds_of(&opik_crosswalk, "nothing"), 0);
	ck_assert(crosswalk_kinds_of(&egp_crosswalk, "NEW_KIND") >> KIND_UNKNOWN & 1);
}
END_TEST

START_TEST(statuses)
{
	ck_assert_int_eq(crosswalk_status(&egp_crosswalk, "CANCELED"), SPST_CANCELLED);
	ck_assert_int_eq(crosswalk_status(&egp_crosswalk, "CANCELLED"), -1);
	ck_assert_str_eq(crosswalk_status_name(&egp_crosswalk, SPST_ERROR), "ERROR");
	/* Unknown reads as SGP's default, and a filter for that finds it. */
	ck_assert_str_eq(crosswalk_status_name(&egp_crosswalk, SPST_UNKNOWN), "SUCCESS");
	ck_assert_int_eq(crosswalk_status(&egp_crosswalk, "SUCCESS"), SPST_SUCCESS);
	ck_assert_uint_eq(crosswalk_statuses_of(&egp_crosswalk, "SUCCESS"),
			  1u << SPST_SUCCESS | 1u << SPST_UNKNOWN);
	ck_assert_uint_eq(crosswalk_statuses_of(&egp_crosswalk, "ERROR"), 1u << SPST_ERROR);
	ck_assert_uint_eq(crosswalk_statuses_of(&egp_crosswalk, "DONE"), 0);
	for (int st = 0; st < SPST__COUNT; st++) {
		const char *name = crosswalk_status_name(&egp_crosswalk, (enum span_status)st);
		ck_assert(crosswalk_statuses_of(&egp_crosswalk, name) >> st & 1);
	}
	ck_assert_ptr_null(crosswalk_status_name(&opik_crosswalk, SPST_ERROR));
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("crosswalk");
	TCase *tc = tcase_create("crosswalk");
	tcase_add_test(tc, types_round_trip);
	tcase_add_test(tc, foreign_kinds);
	tcase_add_test(tc, line_types);
	tcase_add_test(tc, statuses);
	suite_add_tcase(s, tc);
	return s;
}
