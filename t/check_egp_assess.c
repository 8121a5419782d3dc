/* check_egp_assess: Scale GP's span assessments over judgements (lib/api/egp/assess_map.c): the
 * checks of a create and a PATCH body in FastAPI's shape, the type rule, each type stored and
 * read back, the PATCH merge, the SpanAssessment shape, and what another API's comment and
 * named value read as. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/api/opik/judgements/judged.h"
#include "lib/api/egp/assess_map.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

static struct arena *A;
static struct verrs V; /* the items of the call under test, read by items() */

static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

static void setup(void)
{
	A = arena_new();
	verrs_init(&V);
}

static void teardown(void)
{
	verrs_free(&V);
	arena_free(A);
}

/* text as JSON, released with the arena. */
static json_t *doc(const char *text)
{
	json_error_t why;
	json_t *x = json_loads(text, JSON_DECODE_ANY, &why);
	ck_assert_msg(x != NULL, "%s: %s", text, why.text);
	arena_defer(A, (void (*)(void *))json_decref, x);
	return x;
}

/* V's items as "type@loc", space-separated, in the arena; V is emptied. */
static const char *items(void)
{
	struct buf *b = arena_buf(A);
	for (size_t i = 0; i < verrs_count(&V); i++) {
		json_t *item = json_array_get(V.list, i);
		char *loc = json_dumps(json_object_get(item, "loc"), JSON_COMPACT);
		buf_printf(b, "%s%s@%s", i ? " " : "",
			   json_string_value(json_object_get(item, "type")), loc);
		free(loc);
	}
	buf_addc(b, 0);
	verrs_free(&V);
	verrs_init(&V);
	return b->p;
}

static const char *check(const char *body, bool create)
{
	egp_assess_check(&V, doc(body), create);
	return items();
}

/* "" when a create body's content fits its type, else the items. */
static const char *fits(const char *body)
{
	json_t *c = json_object();
	egp_assess_merge(c, doc(body));
	bool ok = egp_assess_fits(&V, c, doc(body));
	json_decref(c);
	const char *got = items();
	ck_assert_int_eq(ok, !*got);
	return got;
}

START_TEST(create_checks)
{
	ck_assert_str_eq(check("{}", true),
			 "missing@[\"body\",\"assessment_type\"] missing@[\"body\",\"trace_id\"]");
	ck_assert_str_eq(check("[1]", true), "model_attributes_type@[\"body\"]");
	ck_assert_str_eq(check("{\"assessment_type\":\"rating\",\"trace_id\":\"t\",\"rating\":4,"
			       "\"span_id\":null,\"comment\":null}",
			       true),
			 "");
	ck_assert_str_eq(
	    check("{\"assessment_type\":\"score\",\"trace_id\":7,\"span_id\":\"..\","
		  "\"comment\":5,\"rating\":0,\"approval\":\"ok\",\"rubric\":{\"r\":1},"
		  "\"metadata\":[],\"overwrite\":\"x\"}",
		  true),
	    "enum@[\"body\",\"assessment_type\"] string_type@[\"body\",\"trace_id\"] "
	    "value_error@[\"body\",\"span_id\"] string_type@[\"body\",\"comment\"] "
	    "greater_than_equal@[\"body\",\"rating\"] enum@[\"body\",\"approval\"] "
	    "string_type@[\"body\",\"rubric\",\"r\"] dict_type@[\"body\",\"metadata\"] "
	    "dict_type@[\"body\",\"overwrite\"]");
	ck_assert_str_eq(
	    check("{\"assessment_type\":\"rating\",\"trace_id\":\"t\",\"rating\":6}", true),
	    "less_than_equal@[\"body\",\"rating\"]");
	ck_assert_str_eq(
	    check("{\"assessment_type\":\"rating\",\"trace_id\":\"t\",\"rating\":2.5}", true),
	    "int_from_float@[\"body\",\"rating\"]");
	/* pydantic's lax integer: 3.0 is 3. */
	ck_assert_str_eq(
	    check("{\"assessment_type\":\"rating\",\"trace_id\":\"t\",\"rating\":3.0}", true), "");
	/* A required member sent as null is checked, not missing. */
	ck_assert_str_eq(check("{\"assessment_type\":null,\"trace_id\":null}", true),
			 "enum@[\"body\",\"assessment_type\"] string_type@[\"body\",\"trace_id\"]");
}
END_TEST

START_TEST(patch_checks)
{
	/* Every member optional; span_id and trace_id are no members of an update. */
	ck_assert_str_eq(check("{}", false), "");
	ck_assert_str_eq(check("{\"span_id\":5,\"trace_id\":[],\"rating\":null}", false), "");
	ck_assert_str_eq(check("{\"rating\":\"5\",\"assessment_type\":\"x\"}", false),
			 "enum@[\"body\",\"assessment_type\"] int_type@[\"body\",\"rating\"]");
}
END_TEST

START_TEST(type_rule)
{
	ck_assert_str_eq(fits("{\"assessment_type\":\"comment\",\"comment\":\"c\"}"), "");
	ck_assert_str_eq(fits("{\"assessment_type\":\"rating\",\"rating\":5,\"comment\":\"c\"}"),
			 "");
	ck_assert_str_eq(fits("{\"assessment_type\":\"rubric\",\"rubric\":{}}"), "");
	ck_assert_str_eq(fits("{\"assessment_type\":\"comment\"}"), "value_error@[\"body\"]");
	ck_assert_str_eq(fits("{\"assessment_type\":\"rating\",\"approval\":\"approved\"}"),
			 "value_error@[\"body\"]");
	ck_assert_str_eq(
	    fits("{\"assessment_type\":\"overwrite\",\"overwrite\":{},\"metadata\":{\"a\":1}}"),
	    "value_error@[\"body\"]");
	ck_assert_str_eq(fits("{\"assessment_type\":\"comment\",\"comment\":\"c\",\"rating\":1}"),
			 "value_error@[\"body\"]");
	/* The messages say what the type takes. */
	json_t *c = json_object();
	egp_assess_merge(c, doc("{\"assessment_type\":\"rating\",\"approval\":\"approved\","
				"\"rating\":2}"));
	ck_assert(!egp_assess_fits(&V, c, doc("{}")));
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_array_get(V.list, 0), "msg")),
	    "Value error, assessment_type 'rating' takes rating and a comment, not approval");
	json_decref(c);
	items();
}
END_TEST

/* A judgement of span s1 in trace t1 with the content of body. */
static void stored(const char *body, struct judgement *j)
{
	json_t *c = json_object();
	judgement_init(j);
	j->id = "a-1";
	j->workspace = "acc";
	j->target = JT_SPAN;
	j->span_id = "s1";
	j->trace_id = "t1";
	j->api = EGP_API;
	j->source = JS_HUMAN;
	j->created_at = T0;
	egp_assess_merge(c, doc(body));
	egp_assess_apply(A, c, j);
	json_decref(c);
}

static const char *render(const struct judgement *j)
{
	struct buf *b = arena_buf(A);
	egp_assess_render(b, j, "acc");
	buf_addc(b, 0);
	return b->p;
}

START_TEST(types_stored_and_read_back)
{
	static const char *const bodies[] = {
	    "{\"assessment_type\":\"comment\",\"comment\":\"needs work\"}",
	    "{\"assessment_type\":\"rating\",\"rating\":4,\"comment\":\"good\"}",
	    "{\"assessment_type\":\"approval\",\"approval\":\"rejected\"}",
	    "{\"assessment_type\":\"rubric\",\"rubric\":{\"tone\":\"ok\"}}",
	    "{\"assessment_type\":\"metadata\",\"metadata\":{\"n\":[1,2]}}",
	    "{\"assessment_type\":\"overwrite\",\"overwrite\":{\"text\":\"fixed\"}}",
	};
	static const enum judgement_kind kinds[] = {JK_COMMENT, JK_NUMBER, JK_BOOLEAN,
						    JK_OBJECT,	JK_OBJECT, JK_OBJECT};
	for (int t = 0; t < ASSESS__COUNT; t++) {
		struct judgement j;
		stored(bodies[t], &j);
		ck_assert_int_eq(j.kind, kinds[t]);
		ck_assert_str_eq(j.subtype, egp_assess_types[t]);
		ck_assert_int_eq(egp_assess_type_of(&j), t);
		ck_assert_int_eq(egp_assess_owner(&j), ASSESS_OWN);
		json_t *c = egp_assess_content(&j);
		ck_assert_msg(json_equal(c, doc(bodies[t])), "type %d", t);
		json_decref(c);
		judgement_clear(&j);
	}
	/* A rating is a named number, so every API that shows named values shows it; an
	 * approval a boolean with its word. */
	struct judgement r, ap;
	stored(bodies[ASSESS_RATING], &r);
	ck_assert_str_eq(r.name, EGP_RATING_NAME);
	ck_assert(r.value == 4.0);
	ck_assert_str_eq(r.text, "good");
	ck_assert(judgement_shows(&r, &opik_view_score));
	stored(bodies[ASSESS_APPROVAL], &ap);
	ck_assert(ap.value == 0.0 && !ap.name);
	ck_assert_str_eq(ap.label, "rejected");
	r.author = "k0123456789";
	ck_assert_str_eq(render(&r),
			 "{\"assessment_id\":\"a-1\",\"assessment_type\":\"rating\","
			 "\"trace_id\":\"t1\",\"span_id\":\"s1\",\"created_by\":\"k0123456789\","
			 "\"object\":\"span.assessment\",\"rating\":4,\"comment\":\"good\","
			 "\"account_id\":\"acc\",\"created_at\":\"2023-11-14T22:13:20Z\","
			 "\"updated_at\":\"2023-11-14T22:13:20Z\"}");
	ap.updated_at = T0 + 1000000;
	ck_assert(strstr(render(&ap), "\"approval\":\"rejected\",\"account_id\""));
	ck_assert(strstr(render(&ap), "\"created_by\":\"anonymous\""));
	ck_assert(strstr(render(&ap), "\"updated_at\":\"2023-11-14T22:13:21Z\"}"));
}
END_TEST

START_TEST(patch_merge)
{
	struct judgement j;
	stored("{\"assessment_type\":\"rating\",\"rating\":4,\"comment\":\"good\"}", &j);
	json_t *c = egp_assess_content(&j);
	/* Supplied members replace, null clears, a null type leaves the type. */
	egp_assess_merge(c, doc("{\"assessment_type\":null,\"rating\":2,\"comment\":null,"
				"\"span_id\":\"other\"}"));
	ck_assert(json_equal(c, doc("{\"assessment_type\":\"rating\",\"rating\":2}")));
	egp_assess_merge(c, doc("{\"assessment_type\":\"approval\",\"approval\":\"approved\"}"));
	ck_assert(!egp_assess_fits(&V, c, doc("{}")));
	items();
	egp_assess_merge(c, doc("{\"rating\":null}"));
	ck_assert(egp_assess_fits(&V, c, doc("{}")));
	egp_assess_apply(A, c, &j);
	ck_assert_int_eq(j.kind, JK_BOOLEAN);
	ck_assert(!j.name && !j.text && j.value == 1.0);
	ck_assert_str_eq(j.subtype, "approval");
	json_decref(c);
}
END_TEST

START_TEST(other_apis)
{
	struct judgement com, score, trace_score;
	judgement_init(&com);
	com.id = "c-1";
	com.target = JT_SPAN;
	com.span_id = "s1";
	com.trace_id = "t1";
	com.kind = JK_COMMENT;
	com.text = "from opik";
	com.api = "opik";
	com.subtype = "comment";
	com.author = "k1";
	com.created_at = T0;
	ck_assert_int_eq(egp_assess_type_of(&com), ASSESS_COMMENT);
	ck_assert_int_eq(egp_assess_owner(&com), ASSESS_FOREIGN_COMMENT);
	ck_assert(strstr(render(&com), "\"assessment_type\":\"comment\",\"trace_id\":\"t1\","
				       "\"span_id\":\"s1\",\"created_by\":\"k1\","
				       "\"object\":\"span.assessment\",\"comment\":\"from opik\""));
	score = com;
	score.id = "fs-1";
	score.kind = JK_NUMBER;
	score.name = "accuracy";
	score.value = 0.5;
	score.label = "half";
	score.text = "why";
	score.source = JS_SDK;
	score.subtype = "feedback_score";
	ck_assert_int_eq(egp_assess_type_of(&score), ASSESS_METADATA);
	ck_assert_int_eq(egp_assess_owner(&score), ASSESS_READ_ONLY);
	ck_assert(
	    strstr(render(&score),
		   "\"assessment_type\":\"metadata\",\"trace_id\":\"t1\",\"span_id\":\"s1\","
		   "\"created_by\":\"k1\",\"object\":\"span.assessment\",\"metadata\":{"
		   "\"name\":\"accuracy\",\"value\":0.5,\"label\":\"half\",\"source\":\"sdk\","
		   "\"api\":\"opik\"},\"comment\":\"why\""));
	/* A trace's own score has no span: SGP's shape cannot carry it. */
	trace_score = score;
	trace_score.target = JT_TRACE;
	trace_score.span_id = NULL;
	ck_assert_int_eq(egp_assess_type_of(&trace_score), -1);
	/* A deletion shows nowhere. */
	com.deleted = true;
	ck_assert_int_eq(egp_assess_type_of(&com), -1);
}
END_TEST

START_TEST(narrowing)
{
	struct jfilter f = {0};
	egp_assess_narrow(&f, 1u << ASSESS_OVERWRITE);
	ck_assert_uint_eq(f.kinds, 1u << JK_OBJECT);
	ck_assert_str_eq(f.api, EGP_API);
	ck_assert_str_eq(f.subtype, "overwrite");
	memset(&f, 0, sizeof f);
	egp_assess_narrow(&f, 1u << ASSESS_COMMENT);
	ck_assert_uint_eq(f.kinds, 1u << JK_COMMENT);
	ck_assert(!f.api && !f.subtype);
	memset(&f, 0, sizeof f);
	egp_assess_narrow(&f, 1u << ASSESS_RATING | 1u << ASSESS_METADATA);
	ck_assert_uint_eq(f.kinds, 1u << JK_NUMBER | 1u << JK_OBJECT | 1u << JK_CATEGORY |
				       1u << JK_BOOLEAN | 1u << JK_TEXT);
	ck_assert(!f.api && !f.subtype);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("egp_assess");
	TCase *t = tcase_create("assess");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, create_checks);
	tcase_add_test(t, patch_checks);
	tcase_add_test(t, type_rule);
	tcase_add_test(t, types_stored_and_read_back);
	tcase_add_test(t, patch_merge);
	tcase_add_test(t, other_apis);
	tcase_add_test(t, narrowing);
	suite_add_tcase(s, t);
	return s;
}
