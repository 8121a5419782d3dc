/* check_crosswalk: lib/model/crosswalk: every listed foreign type maps to a kind and reads
 * back as sent, a span from another API reads back with its kind's default type, and the
 * statuses of SGP go both ways. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "lib/model/crosswalk.h"

/* A span stored from `type` as a surface would store it, read back through the same api. */
static const char *round_trip(enum crosswalk_api api, const char *type)
{
	static struct span s;
	span_clear(&s);
	span_init(&s);
	int k = crosswalk_kind(api, type);
	ck_assert_int_ge(k, 0);
	s.kind = (enum span_kind)k;
	if (crosswalk_keep_type(api, type)) {
		s.raw_attributes = json_object();
		json_object_set_new(s.raw_attributes,
				    api == CW_OPIK ? CROSSWALK_OPIK_TYPE : CROSSWALK_SGP_TYPE,
				    json_string(type));
	}
	return crosswalk_type(api, &s);
}

START_TEST(types_round_trip)
{
	for (const char *const *t = crosswalk_opik_types; *t; t++)
		ck_assert_str_eq(round_trip(CW_OPIK, *t), *t);
	for (const char *const *t = crosswalk_sgp_types; *t; t++)
		ck_assert_str_eq(round_trip(CW_SGP, *t), *t);
	/* SGP asks servers to take unknown uppercase types; Opik has four and refuses others. */
	ck_assert_str_eq(round_trip(CW_SGP, "NEW_KIND"), "NEW_KIND");
	ck_assert_int_eq(crosswalk_kind(CW_OPIK, "agent"), -1);
	ck_assert_int_eq(crosswalk_kind(CW_OPIK, "llm"), KIND_LLM);
	ck_assert_int_eq(crosswalk_kind(CW_SGP, "COMPLETION"), KIND_LLM);
	ck_assert_int_eq(crosswalk_kind(CW_SGP, "KB_RETRIEVAL"), KIND_RETRIEVER);
}
END_TEST

START_TEST(foreign_kinds)
{
	struct span s;
	span_init(&s);
	s.kind = KIND_LLM;
	ck_assert_str_eq(crosswalk_type(CW_OPIK, &s), "llm");
	ck_assert_str_eq(crosswalk_type(CW_SGP, &s), "COMPLETION");
	s.kind = KIND_AGENT;
	ck_assert_str_eq(crosswalk_type(CW_OPIK, &s), "general");
	ck_assert_str_eq(crosswalk_type(CW_SGP, &s), "AGENT_TRACER");
	/* A kept type that no longer fits the kind (the span was re-sent elsewhere) gives way. */
	s.kind = KIND_TOOL;
	s.raw_attributes = json_pack("{s:s}", CROSSWALK_SGP_TYPE, "COMPLETION");
	ck_assert_str_eq(crosswalk_type(CW_SGP, &s), "CODE_EXECUTION");
	span_clear(&s);
}
END_TEST

START_TEST(statuses)
{
	ck_assert_int_eq(crosswalk_status(CW_SGP, "CANCELED"), SPST_CANCELLED);
	ck_assert_int_eq(crosswalk_status(CW_SGP, "CANCELLED"), -1);
	ck_assert_str_eq(crosswalk_status_name(CW_SGP, SPST_ERROR), "ERROR");
	ck_assert_ptr_null(crosswalk_status_name(CW_SGP, SPST_UNKNOWN));
	ck_assert_ptr_null(crosswalk_status_name(CW_OPIK, SPST_ERROR));
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("crosswalk");
	TCase *tc = tcase_create("crosswalk");
	tcase_add_test(tc, types_round_trip);
	tcase_add_test(tc, foreign_kinds);
	tcase_add_test(tc, statuses);
	suite_add_tcase(s, tc);
	return s;
}
