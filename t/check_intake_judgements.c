/* check_intake_judgements: NeMo Intake's annotations and evaluator results over judgements
 * (lib/api/intake/judgements.h): each create body into its judgement and back into its read
 * shape, the validation errors in FastAPI's shape, the list filters onto struct jfilter, an
 * Opik-written score read back as an evaluator result through the store, the evaluator_scores
 * rollup, and ATIF's verifier rewards as evaluator results (lib/ingest/atif.h); spandex's own
 * score filters (their split from the filter, the records they read) and a Session's state. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/api/opik/judgements/judged.h"
#include "lib/api/intake/filter.h"
#include "lib/api/intake/judgements.h"
#include "lib/api/intake/pages.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/ingest/atif.h"
#include "lib/store/store.h"

static struct arena *A;
static struct verrs V;
static char root[256];
static struct store st, jst;

static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */

static void setup(void)
{
	A = arena_new();
	verrs_init(&V);
	snprintf(root, sizeof(root), "/tmp/spandex-check-intakej-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
	store_judgements(&jst, &st);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	verrs_free(&V);
	arena_free(A);
}

static json_t *J(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
	ck_assert_msg(j != NULL, "bad JSON in the test: %s", text);
	arena_defer(A, (void (*)(void *))json_decref, j);
	return j;
}

/* The errors so far as "type@loc.loc" joined by spaces. */
static const char *errs(void)
{
	static char out[1024];
	size_t i;
	json_t *e;
	out[0] = 0;
	json_array_foreach(V.list, i, e)
	{
		char *loc = json_dumps(json_object_get(e, "loc"), JSON_COMPACT);
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s@%s", i ? " " : "",
			 json_string_value(json_object_get(e, "type")), loc);
		free(loc);
	}
	return out;
}

static const char *render(void (*fn)(const struct judgement *, struct buf *),
			  const struct judgement *j)
{
	struct buf *b = arena_buf(A);
	fn(j, b);
	buf_addc(b, 0);
	return b->p;
}

/* An annotation body parsed at T0 by "k1" and stored, rendered back (ingested_at cut off). */
static const char *annotation(const char *body)
{
	struct judgement j;
	ck_assert_msg(intake_annotation_parse(A, "ws", J(body), "k1", T0, &j, &V) == ST_OK, "%s",
		      errs());
	ck_assert_str_eq(j.workspace, "ws");
	ck_assert_int_eq(strlen(j.id), 36);
	ck_assert_mem_eq(j.id, "ann-", 4);
	j.id = "ann-x";
	j.ingested_at = T0;
	const char *out = render(intake_annotation_render, &j);
	judgement_clear(&j);
	return out;
}

START_TEST(annotation_kinds)
{
	ck_assert_str_eq(annotation("{\"kind\":\"feedback\",\"session_id\":\"s\",\"span_id\":\"p\","
				    "\"value\":\"negative\"}"),
			 "{\"annotation_id\":\"ann-x\",\"workspace\":\"ws\",\"span_id\":\"p\","
			 "\"session_id\":\"s\",\"created_by\":\"k1\",\"created_at\":"
			 "\"2023-11-14T22:13:20Z\",\"ingested_at\":\"2023-11-14T22:13:20Z\","
			 "\"kind\":\"feedback\",\"value\":\"negative\"}");
	ck_assert_ptr_nonnull(strstr(annotation("{\"kind\":\"note\",\"session_id\":\"s\","
						"\"text\":\"hi\",\"span_id\":null}"),
				     "\"session_id\":\"s\",\"created_by\":\"k1\""));
	ck_assert_ptr_nonnull(strstr(
	    annotation(
		"{\"kind\":\"metadata\",\"session_id\":\"s\",\"metadata\":{\"b\":1,\"a\":2.0}}"),
	    "\"kind\":\"metadata\",\"metadata\":{\"b\":1,\"a\":2.0}}"));
	ck_assert_ptr_nonnull(
	    strstr(annotation("{\"kind\":\"label\",\"session_id\":\"s\","
			      "\"value_type\":\"numeric\",\"value\":4,\"name\":\"h\"}"),
		   "\"kind\":\"label\",\"value_type\":\"numeric\",\"value\":4.0,"
		   "\"name\":\"h\"}"));
	ck_assert_ptr_nonnull(
	    strstr(annotation("{\"kind\":\"label\",\"session_id\":\"s\","
			      "\"value_type\":\"text\",\"value\":\"x\"}"),
		   "\"kind\":\"label\",\"value_type\":\"text\",\"value\":\"x\"}"));
}
END_TEST

/* What each kind is as a judgement (the mapping of annotation.c's header). */
START_TEST(annotation_judgements)
{
	struct judgement j;
	ck_assert_int_eq(intake_annotation_parse(A, "ws",
						 J("{\"kind\":\"feedback\",\"session_id\":\"s\","
						   "\"value\":\"positive\"}"),
						 NULL, T0, &j, &V),
			 ST_OK);
	ck_assert_int_eq(j.kind, JK_BOOLEAN);
	ck_assert(j.value == 1);
	ck_assert_str_eq(j.label, "positive");
	ck_assert_int_eq(j.target, JT_SESSION);
	ck_assert_ptr_null(j.author);
	ck_assert_str_eq(j.subtype, "annotation.feedback");
	ck_assert(judgement_shows(&j, &intake_view_annotation));
	ck_assert(!judgement_shows(&j, &intake_view_evaluator));
	ck_assert_int_eq(intake_annotation_parse(A, "ws",
						 J("{\"kind\":\"note\",\"session_id\":\"s\","
						   "\"span_id\":\"p\",\"text\":\"t\"}"),
						 NULL, T0, &j, &V),
			 ST_OK);
	ck_assert_int_eq(j.kind, JK_COMMENT);
	ck_assert_int_eq(j.target, JT_SPAN);
	ck_assert(judgement_shows(&j, &opik_view_comment)); /* a note is a comment everywhere */
	ck_assert_int_eq(intake_annotation_parse(A, "ws",
						 J("{\"kind\":\"label\",\"session_id\":\"s\","
						   "\"value_type\":\"numeric\",\"value\":2.5,"
						   "\"name\":\"h\"}"),
						 NULL, T0, &j, &V),
			 ST_OK);
	ck_assert_int_eq(j.kind, JK_NUMBER);
	ck_assert(judgement_shows(&j, &opik_view_score));
	/* Another API's comment reads as a note, with its session. */
	struct judgement c;
	judgement_init(&c);
	c.id = "c1";
	c.workspace = "ws";
	c.target = JT_TRACE;
	c.trace_id = "t";
	c.session_id = "s";
	c.kind = JK_COMMENT;
	c.text = "from opik";
	c.api = "opik";
	c.subtype = "comment";
	c.author = "alice";
	c.created_at = c.ingested_at = T0;
	ck_assert(judgement_shows(&c, &intake_view_annotation));
	ck_assert_str_eq(render(intake_annotation_render, &c),
			 "{\"annotation_id\":\"c1\",\"workspace\":\"ws\",\"session_id\":\"s\","
			 "\"created_by\":\"alice\",\"created_at\":\"2023-11-14T22:13:20Z\","
			 "\"ingested_at\":\"2023-11-14T22:13:20Z\",\"kind\":\"note\",\"text\":"
			 "\"from opik\"}");
	c.session_id = NULL; /* the shape requires one */
	ck_assert(!judgement_shows(&c, &intake_view_annotation));
}
END_TEST

static void refused(enum status (*parse)(struct arena *, const char *, json_t *, const char *,
					 int64_t, struct judgement *, struct verrs *),
		    const char *body, const char *want)
{
	struct judgement j;
	verrs_free(&V);
	verrs_init(&V);
	ck_assert_int_eq(parse(A, "ws", J(body), NULL, T0, &j, &V), ST_INVALID);
	ck_assert_str_eq(errs(), want);
}

START_TEST(annotation_errors)
{
	refused(intake_annotation_parse, "{\"session_id\":\"s\"}",
		"union_tag_not_found@[\"body\"]");
	refused(intake_annotation_parse, "{\"kind\":5,\"session_id\":\"s\"}",
		"union_tag_invalid@[\"body\"]");
	char *d = json_dumps(V.list, JSON_COMPACT);
	ck_assert_ptr_nonnull(strstr(d, "\"tag\":\"5\""));
	free(d);
	refused(intake_annotation_parse, "{\"kind\":\"feedback\",\"value\":null,\"x\":1}",
		"missing@[\"body\",\"feedback\",\"session_id\"] "
		"literal_error@[\"body\",\"feedback\",\"value\"] "
		"extra_forbidden@[\"body\",\"feedback\",\"x\"]");
	refused(intake_annotation_parse, "{\"kind\":\"note\",\"session_id\":\"\",\"text\":\"t\"}",
		"string_too_short@[\"body\",\"note\",\"session_id\"]");
	refused(intake_annotation_parse,
		"{\"kind\":\"label\",\"session_id\":\"s\",\"value_type\":\"numeric\","
		"\"value\":false,\"name\":\"n\"}",
		"value_error@[\"body\",\"label\"]");
	refused(intake_annotation_parse,
		"{\"kind\":\"label\",\"session_id\":\"s\",\"value_type\":\"text\",\"value\":{}}",
		"string_type@[\"body\",\"label\",\"value\",\"str\"] "
		"float_type@[\"body\",\"label\",\"value\",\"float\"]");
	refused(intake_annotation_parse, "\"x\"", "model_attributes_type@[\"body\"]");
}
END_TEST

static struct judgement evaluator(const char *body)
{
	struct judgement j;
	ck_assert_msg(intake_evaluator_parse(A, "ws", J(body), "k1", T0, &j, &V) == ST_OK, "%s",
		      errs());
	j.ingested_at = T0;
	return j;
}

START_TEST(evaluator_results)
{
	struct judgement j =
	    evaluator("{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"f/v1\","
		      "\"data_type\":\"NUMERIC\",\"value\":1,\"comment\":\"why\"}");
	const char *parts[] = {"ws", "s", "p", "f/v1"};
	char hex[33];
	hash_stable_hex(parts, 4, hex);
	ck_assert_str_eq(j.id + 5, hex);
	ck_assert_mem_eq(j.id, "eval-", 5);
	ck_assert_int_eq(j.kind, JK_NUMBER);
	ck_assert_str_eq(j.subtype, "evaluator");
	ck_assert_int_eq(j.source, JS_EVALUATOR);
	ck_assert(judgement_shows(&j, &intake_view_evaluator));
	j.id = "eval-x";
	ck_assert_str_eq(
	    render(intake_evaluator_render, &j),
	    "{\"evaluator_result_id\":\"eval-x\",\"span_id\":\"p\",\"session_id\":\"s\","
	    "\"workspace\":\"ws\",\"name\":\"f/v1\",\"value\":1.0,\"data_type\":"
	    "\"NUMERIC\",\"status\":\"SCORED\",\"comment\":\"why\",\"created_by\":\"k1\","
	    "\"created_at\":\"2023-11-14T22:13:20Z\",\"ingested_at\":"
	    "\"2023-11-14T22:13:20Z\"}");
	j = evaluator("{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":"
		      "\"BOOLEAN\",\"value\":true}");
	ck_assert(j.value == 1);
	j = evaluator("{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":"
		      "\"TEXT\",\"string_value\":\"long text\"}");
	ck_assert_int_eq(j.kind, JK_TEXT);
	ck_assert_str_eq(j.label, "long text");
	j = evaluator("{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":"
		      "\"CATEGORICAL\",\"status\":\"FAILED\",\"comment\":\"judge down\"}");
	ck_assert_str_eq(j.error, "judge down");
	ck_assert(isnan(j.value));
	ck_assert_ptr_nonnull(strstr(
	    render(intake_evaluator_render, &j),
	    "\"data_type\":\"CATEGORICAL\",\"status\":\"FAILED\",\"comment\":\"judge down\""));
	j = evaluator("{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":"
		      "\"NUMERIC\",\"status\":\"FAILED\"}");
	ck_assert_str_eq(j.error, "FAILED");
}
END_TEST

START_TEST(evaluator_errors)
{
	refused(intake_evaluator_parse,
		"{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":\"TEXT\","
		"\"value\":1}",
		"value_error@[\"body\"]");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(V.list, 0), "msg")),
			 "Value error, `string_value` is required when data_type is TEXT.");
	refused(intake_evaluator_parse,
		"{\"span_id\":\"p\",\"session_id\":\"s\",\"name\":\"n\",\"data_type\":\"BOOLEAN\","
		"\"value\":0.5}",
		"value_error@[\"body\"]");
	refused(intake_evaluator_parse,
		"{\"span_id\":1,\"session_id\":\"s\",\"data_type\":\"X\",\"value\":[],\"y\":0}",
		"string_type@[\"body\",\"span_id\"] missing@[\"body\",\"name\"] "
		"float_type@[\"body\",\"value\"] enum@[\"body\",\"data_type\"] "
		"extra_forbidden@[\"body\",\"y\"]");
}
END_TEST

/* A score the Opik API would write (a category with a value, a reason) stored and read back as
 * an evaluator result; one on a trace is none. */
START_TEST(opik_score_is_an_evaluator_result)
{
	struct judgement j[2];
	for (int i = 0; i < 2; i++) {
		judgement_init(&j[i]);
		j[i].workspace = "ws";
		j[i].name = "relevance";
		j[i].kind = JK_CATEGORY;
		j[i].value = 0.5;
		j[i].label = "medium";
		j[i].text = "half of it";
		j[i].source = JS_SDK;
		j[i].api = "opik";
		j[i].subtype = "feedback_score";
		j[i].author = "bob";
		j[i].trace_id = "t1";
		j[i].session_id = "s1";
		j[i].created_at = T0 + i;
	}
	j[0].id = "fs-span";
	j[0].target = JT_SPAN;
	j[0].span_id = "p1";
	j[1].id = "fs-trace";
	j[1].target = JT_TRACE;
	struct err e = {0};
	ck_assert_int_eq(store_put_judgements(&jst, "ws", j, 2, &e), ST_OK);
	struct jfilter f;
	json_t *echo;
	ck_assert_int_eq(
	    intake_jfilter_parse(A, INTAKE_EVALUATOR_RESULTS, NULL, NULL, NULL, 0, &f, &echo, NULL),
	    ST_OK);
	struct jquery q = {.st = &st, .a = A, .ws = "ws", .f = &f};
	struct jrows rows;
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	ck_assert_uint_eq(rows.total, 1);
	const char *out = render(intake_evaluator_render, &rows.rows[0]);
	ck_assert_msg(
	    strstr(out, "{\"evaluator_result_id\":\"fs-span\",\"span_id\":\"p1\","
			"\"session_id\":\"s1\",\"workspace\":\"ws\",\"name\":\"relevance\","
			"\"value\":0.5,\"string_value\":\"medium\",\"data_type\":"
			"\"CATEGORICAL\",\"status\":\"SCORED\",\"comment\":\"half of it\","
			"\"created_by\":\"bob\",\"created_at\":\"2023-11-14T22:13:20Z\"") == out,
	    "%s", out);
	/* Not a NUMERIC or BOOLEAN result: no evaluator_scores from it. */
	struct intake_scores sc;
	const char *ids[] = {"s1"};
	ck_assert_int_eq(intake_scores_of(&q, JT_SESSION, ids, 1, &sc), ST_OK);
	ck_assert_uint_eq(sc.n, 0);
}
END_TEST

/* The filters onto struct jfilter: what each field becomes, and the kinds left. */
static enum status jf(enum intake_jlist list, const char *raw, struct jfilter *f, struct err *e)
{
	json_t *echo;
	return intake_jfilter_parse(A, list, raw, NULL, NULL, 0, f, &echo, e);
}

START_TEST(filters)
{
	struct jfilter f;
	struct err e = {0};
	ck_assert_int_eq(jf(INTAKE_ANNOTATIONS, "{\"kind\":\"note\",\"span_id\":\"p\"}", &f, &e),
			 ST_OK);
	ck_assert_uint_eq(f.kinds, 1u << JK_COMMENT);
	ck_assert_str_eq(f.span_id, "p");
	ck_assert(f.view == &intake_view_annotation);
	ck_assert_int_eq(
	    jf(INTAKE_ANNOTATIONS, "{\"kind\":\"label\",\"value_text\":\"x\"}", &f, &e), ST_OK);
	ck_assert_str_eq(f.subtype, "annotation.label");
	ck_assert_str_eq(f.label, "x");
	ck_assert_uint_eq(f.kinds, 0);
	/* A note has no numeric value: no kind is left, and 0 would mean any. */
	ck_assert_int_eq(
	    jf(INTAKE_ANNOTATIONS, "{\"kind\":\"note\",\"value_numeric\":{\"$gte\":1}}", &f, &e),
	    ST_OK);
	ck_assert_uint_eq(f.kinds, 1u << JK__COUNT);
	ck_assert_int_eq(jf(INTAKE_EVALUATOR_RESULTS,
			    "{\"data_type\":\"BOOLEAN\",\"status\":\"FAILED\",\"value\":{\"$lte\":"
			    "\"0.5\"},\"created_at\":{\"$gte\":\"2023-11-14T22:13:20Z\"},"
			    "\"created_by\":\"k1\"}",
			    &f, &e),
			 ST_OK);
	ck_assert_uint_eq(f.kinds, 1u << JK_BOOLEAN);
	ck_assert(f.failed && !f.scored);
	ck_assert(f.has_vmax && f.vmax == 0.5 && !f.has_vmin);
	ck_assert(f.cmin == T0 && f.cmax == INT64_MAX);
	ck_assert_str_eq(f.author, "k1");
	ck_assert(f.view == &intake_view_evaluator);
	ck_assert_int_eq(jf(INTAKE_EVALUATOR_RESULTS, "{\"value\":{\"$gte\":true}}", &f, &e),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "Filter field 'value' must be a number.");
	ck_assert_int_eq(jf(INTAKE_EVALUATOR_RESULTS, "status:SCORED AND name:\"a b\"", &f, &e),
			 ST_OK);
	ck_assert(f.scored);
	ck_assert_str_eq(f.name, "a b");
	ck_assert_int_eq(jf(INTAKE_ANNOTATIONS, "{\"workspace\":\"ws\"}", &f, &e), ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "Unsupported annotation filter: workspace $eq");
	ck_assert_int_eq(jf(INTAKE_ANNOTATIONS, "{\"kind\":{\"$in\":[\"note\"]}}", &f, &e),
			 ST_BAD_REQUEST);
	ck_assert_str_eq(e.msg, "Filter field 'kind' only supports equality.");
}
END_TEST

/* evaluator_scores: the means per name of a session's NUMERIC and BOOLEAN results, FAILED ones
 * and the other kinds left out. */
START_TEST(scores)
{
	const char *bodies[] = {
	    "{\"span_id\":\"p1\",\"session_id\":\"s\",\"name\":\"b\",\"data_type\":\"NUMERIC\","
	    "\"value\":1}",
	    "{\"span_id\":\"p2\",\"session_id\":\"s\",\"name\":\"b\",\"data_type\":\"NUMERIC\","
	    "\"value\":2}",
	    "{\"span_id\":\"p1\",\"session_id\":\"s\",\"name\":\"a\",\"data_type\":\"BOOLEAN\","
	    "\"value\":0}",
	    "{\"span_id\":\"p3\",\"session_id\":\"s\",\"name\":\"a\",\"data_type\":\"NUMERIC\","
	    "\"status\":\"FAILED\"}",
	    "{\"span_id\":\"p1\",\"session_id\":\"s\",\"name\":\"c\",\"data_type\":\"CATEGORICAL\","
	    "\"string_value\":\"x\",\"value\":9}",
	    "{\"span_id\":\"p1\",\"session_id\":\"other\",\"name\":\"b\",\"data_type\":\"NUMERIC\","
	    "\"value\":100}",
	};
	struct judgement j[6];
	for (int i = 0; i < 6; i++)
		j[i] = evaluator(bodies[i]);
	struct err e = {0};
	ck_assert_int_eq(store_put_judgements(&jst, "ws", j, 6, &e), ST_OK);
	struct jquery q = {.st = &st, .a = A, .ws = "ws"};
	struct intake_scores sc[2];
	const char *ids[] = {"s", "none"};
	ck_assert_int_eq(intake_scores_of(&q, JT_SESSION, ids, 2, sc), ST_OK);
	struct buf *b = arena_buf(A);
	intake_scores_render(&sc[0], b);
	intake_scores_render(&sc[1], b);
	buf_addc(b, 0);
	ck_assert_str_eq(b->p,
			 ",\"evaluator_scores\":{\"a\":0.0,\"b\":1.5},\"evaluator_scores\":{}");
}
END_TEST

/* ATIF: one evaluator result per reward of each verifier, on the verifier's span. */
START_TEST(atif_rewards)
{
	json_t *body = J("{\"schema_version\":\"ATIF-v1.6\",\"session_id\":\"sx\",\"agent\":"
			 "{\"name\":\"a\",\"version\":\"1\"},\"steps\":[{\"step_id\":1,"
			 "\"source\":\"user\",\"message\":\"hi\"}],\"extra\":{\"verifier_result\":"
			 "{\"rewards\":{\"ok\":true,\"v1/score\":0.25,\"note\":\"fine\","
			 "\"bad\":[1]}}}}");
	struct span *spans;
	size_t n, nj;
	struct judgement *js;
	ck_assert_int_eq(atif_map(A, "ws", body, T0, &spans, &n, &V), ST_OK);
	atif_judgements(A, INTAKE_API, spans, n, T0, &js, &nj);
	ck_assert_uint_eq(nj, 3);
	const struct span *ver = NULL;
	for (size_t i = 0; i < n; i++)
		if (spans[i].kind == KIND_EVALUATOR)
			ver = &spans[i];
	ck_assert_ptr_nonnull(ver);
	for (size_t i = 0; i < nj; i++) {
		const char *parts[2] = {ver->span_id, js[i].name};
		char hex[33];
		hash_stable_hex(parts, 2, hex);
		ck_assert_str_eq(js[i].id + 5, hex);
		ck_assert_str_eq(js[i].span_id, ver->span_id);
		ck_assert_str_eq(js[i].session_id, "sx");
		ck_assert_str_eq(js[i].trace_id, "sx");
		ck_assert_str_eq(js[i].author, ATIF_EVALUATOR_CREATED_BY);
		ck_assert(judgement_shows(&js[i], &intake_view_evaluator));
	}
	ck_assert_str_eq(js[0].name, "ok");
	ck_assert_int_eq(js[0].kind, JK_BOOLEAN);
	ck_assert(js[0].value == 1);
	ck_assert_int_eq(js[1].kind, JK_NUMBER);
	ck_assert(js[1].value == 0.25);
	ck_assert_int_eq(js[2].kind, JK_TEXT);
	ck_assert_str_eq(js[2].label, "fine");
	for (size_t i = 0; i < n; i++)
		span_clear(&spans[i]);
	/* No verifier: none. */
	body =
	    J("{\"schema_version\":\"ATIF-v1.6\",\"session_id\":\"sy\",\"agent\":{\"name\":\"a\","
	      "\"version\":\"1\"}}");
	ck_assert_int_eq(atif_map(A, "ws", body, T0, &spans, &n, &V), ST_OK);
	atif_judgements(A, INTAKE_API, spans, n, T0, &js, &nj);
	ck_assert_uint_eq(nj, 0);
	for (size_t i = 0; i < n; i++)
		span_clear(&spans[i]);
}
END_TEST

/* An annotation body parsed at T0 + dt on trace t, as judge.c stores it once its span is known. */
static struct judgement stored_annotation(const char *body, const char *trace, int64_t dt)
{
	struct judgement j;
	ck_assert_msg(intake_annotation_parse(A, "ws", J(body), "k1", T0 + dt, &j, &V) == ST_OK,
		      "%s", errs());
	j.trace_id = trace;
	return j;
}

/* A trace's score for filters and sorts (query_judged over intake_scored) is the number its
 * evaluator_scores shows: NeMo's annotations (a numeric label of the same name) and failed
 * results (an Opik score with error, which keeps its value) are left out on the records alone
 * (REC_J_ANNOTATION, REC_J_FAILED), so a labelled but unscored trace has none. */
START_TEST(scored_records)
{
	struct judgement j[5];
	j[0] = evaluator("{\"span_id\":\"p1\",\"session_id\":\"s\",\"name\":\"acc\","
			 "\"data_type\":\"NUMERIC\",\"value\":0.8}");
	j[0].trace_id = "t1";
	j[1] = stored_annotation("{\"kind\":\"label\",\"session_id\":\"s\",\"span_id\":\"p1\","
				 "\"value_type\":\"numeric\",\"value\":0.1,\"name\":\"acc\"}",
				 "t1", 1);
	j[2] = stored_annotation("{\"kind\":\"label\",\"session_id\":\"s\",\"span_id\":\"p3\","
				 "\"value_type\":\"numeric\",\"value\":0.9,\"name\":\"acc\"}",
				 "t2", 2);
	j[3] = evaluator("{\"span_id\":\"p2\",\"session_id\":\"s\",\"name\":\"acc\","
			 "\"data_type\":\"NUMERIC\",\"value\":0}");
	j[3].id = "fs-failed";
	j[3].api = "opik";
	j[3].subtype = "feedback_score";
	j[3].trace_id = "t1";
	j[3].error = "timeout";
	j[4] = stored_annotation("{\"kind\":\"feedback\",\"session_id\":\"s\",\"span_id\":\"p3\","
				 "\"value\":\"positive\"}",
				 "t2", 3);
	struct idx_rec r;
	rec_from_judgement(&j[0], &r);
	ck_assert_uint_eq(r.flags & (REC_J_ANNOTATION | REC_J_FAILED), 0);
	rec_from_judgement(&j[1], &r);
	ck_assert_uint_eq(r.flags & (REC_J_ANNOTATION | REC_J_FAILED), REC_J_ANNOTATION);
	rec_from_judgement(&j[3], &r);
	ck_assert_uint_eq(r.flags & (REC_J_ANNOTATION | REC_J_FAILED), REC_J_FAILED);
	struct err e = {0};
	ck_assert_int_eq(store_put_judgements(&jst, "ws", j, 5, &e), ST_OK);
	struct jquery q = {.st = &st, .a = A, .ws = "ws", .f = &intake_scored};
	struct query_keys k;
	ck_assert_int_eq(query_judged(&q, JT_TRACE, "acc", false, 0, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_uint_eq(k.h[0], hash_bytes("t1", 2));
	ck_assert(k.v[0] == 0.8);
	/* The same as the rollup. */
	struct intake_scores sc[2];
	const char *ids[] = {"t1", "t2"};
	q.f = NULL;
	ck_assert_int_eq(intake_scores_of(&q, JT_TRACE, ids, 2, sc), ST_OK);
	ck_assert_uint_eq(sc[0].n, 1);
	ck_assert(judgement_mean_of(&sc[0].s[0].mean) == 0.8);
	ck_assert_uint_eq(sc[1].n, 0);
	/* By span: p1's own. */
	q.f = &intake_scored;
	ck_assert_int_eq(query_judged(&q, JT_SPAN, "acc", false, 0, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert_uint_eq(k.h[0], hash_bytes("p1", 2));
	/* The annotations list still finds both labels: REC_J_ANNOTATION narrows only the view
	 * that leaves them out. */
	struct jfilter f;
	ck_assert_int_eq(jf(INTAKE_ANNOTATIONS, "{\"name\":\"acc\"}", &f, &e), ST_OK);
	q.f = &f;
	struct jrows rows;
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	ck_assert_uint_eq(rows.total, 2);
	ck_assert_int_eq(jf(INTAKE_EVALUATOR_RESULTS, "{\"name\":\"acc\"}", &f, &e), ST_OK);
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	ck_assert_uint_eq(rows.total, 2); /* 0.8, and the failed Opik score */
	/* A page of traces narrowed to those with a score (intake_score_narrow), each with its
	 * rollup. */
	j[0] = evaluator("{\"span_id\":\"p4\",\"session_id\":\"s\",\"name\":\"acc\","
			 "\"data_type\":\"NUMERIC\",\"value\":0.5}");
	j[0].trace_id = "t2";
	ck_assert_int_eq(store_put_judgements(&jst, "ws", j, 1, &e), ST_OK);
	struct span sp[2];
	for (int i = 0; i < 2; i++) {
		span_init(&sp[i]);
		sp[i].span_id = sp[i].name = i ? "p4" : "p1";
		sp[i].trace_id = i ? "t2" : "t1";
		sp[i].session_id = "s";
		sp[i].workspace = "ws";
		sp[i].source = "test";
		sp[i].started_at = T0 + i;
	}
	ck_assert_int_eq(store_append(&st, "ws", sp, 2, &e), ST_OK);
	struct query tq = {
	    .st = &st, .a = A, .ws = "ws", .page = 1, .page_size = 10, .sort = "-started_at"};
	struct intake_score_conds cond = {.c = &(struct intake_score_cond){"acc", ISO_GTE, 0},
					  .n = 1};
	struct jquery sjq = {.st = &st, .a = A, .ws = "ws"};
	ck_assert_int_eq(intake_score_narrow(&sjq, JT_TRACE, &cond, &tq), ST_OK);
	struct buf *pb = arena_buf(A);
	ck_assert_int_eq(intake_pages_traces(&tq, pb), ST_OK);
	buf_addc(pb, 0);
	ck_assert_msg(strstr(pb->p, "\"id\":\"t2\"") && strstr(pb->p, "\"id\":\"t1\"") &&
			  strstr(pb->p, "\"evaluator_scores\":{\"acc\":0.5}") &&
			  strstr(pb->p, "\"evaluator_scores\":{\"acc\":0.8}"),
		      "%s", pb->p);
}
END_TEST

/* The filter extension: evaluator_scores.<name> comparisons taken out of the tree, the rest
 * left to the filter of spans or traces. */
static const char *split(const char *raw, bool traces, struct intake_score_conds *sc, struct err *e)
{
	json_t *tree, *rest;
	ck_assert_int_eq(intake_filter_tree(A, raw, NULL, NULL, 0, &tree, e), ST_OK);
	if (intake_score_split(A, traces, tree, &rest, sc, e) != ST_OK)
		return NULL;
	if (!rest)
		return "";
	char *t = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
	const char *out = arena_strdup(A, t);
	free(t);
	ck_assert(sc->n || rest == tree);
	return out;
}

START_TEST(score_filter_split)
{
	struct intake_score_conds sc;
	struct err e = {0};
	ck_assert_str_eq(split("{\"evaluator_scores.acc\":{\"$gte\":0.5,\"$lt\":\"0.9\"},"
			       "\"status\":\"error\"}",
			       true, &sc, &e),
			 "{\"status\":\"error\"}");
	ck_assert_uint_eq(sc.n, 2);
	ck_assert_str_eq(sc.c[0].name, "acc");
	ck_assert(sc.c[0].op == ISO_GTE && sc.c[0].v == 0.5);
	ck_assert(sc.c[1].op == ISO_LT && sc.c[1].v == 0.9);
	ck_assert_str_eq(
	    split("{\"$and\":[{\"evaluator_scores.f/v1\":1},{\"name\":\"x\"}]}", true, &sc, &e),
	    "{\"$and\":[{},{\"name\":\"x\"}]}");
	ck_assert(sc.n == 1 && sc.c[0].op == ISO_EQ && sc.c[0].v == 1);
	ck_assert_str_eq(sc.c[0].name, "f/v1");
	ck_assert_str_eq(
	    split("evaluator_scores.a>=0.25 AND evaluator_scores.a<=1", false, &sc, &e), "{}");
	ck_assert(sc.n == 2 && sc.c[0].op == ISO_GTE && sc.c[1].op == ISO_LTE);
	/* None of the extension: the tree itself (an empty name is an unknown field). */
	ck_assert_str_eq(split("{\"evaluator_scores.\":1}", true, &sc, &e),
			 "{\"evaluator_scores.\":1}");
	ck_assert_uint_eq(sc.n, 0);
	ck_assert_str_eq(split(NULL, true, &sc, &e), "");
	ck_assert_ptr_null(split("{\"evaluator_scores.a\":{\"$in\":[1]}}", true, &sc, &e));
	ck_assert_str_eq(e.msg, "Unsupported trace filter: evaluator_scores.a $in");
	ck_assert_ptr_null(split("{\"evaluator_scores.a\":{\"$like\":\"1\"}}", false, &sc, &e));
	ck_assert_str_eq(e.msg, "Unsupported span filter: evaluator_scores.a $like");
	for (const char *const *bad =
		 (const char *const[]){"\"high\"", "true", "null", "\"\"", "\"1e999\"", NULL};
	     *bad; bad++) {
		char raw[64];
		snprintf(raw, sizeof raw, "{\"evaluator_scores.a\":%s}", *bad);
		ck_assert_ptr_null(split(raw, true, &sc, &e));
		ck_assert_str_eq(e.msg, "Filter field 'evaluator_scores.a' must be a number.");
	}
	/* At most INTAKE_SCORE_MAX_CONDS conditions. */
	char many[512] = "{\"$and\":[";
	for (int i = 0; i <= INTAKE_SCORE_MAX_CONDS; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many),
			 "%s{\"evaluator_scores.n%d\":1}", i ? "," : "", i);
	strcat(many, "]}");
	ck_assert_ptr_null(split(many, true, &sc, &e));
	ck_assert_str_eq(e.msg, "Too many evaluator_scores conditions (at most 8).");
	ck_assert_ptr_null(split("{\"$or\":[{\"evaluator_scores.a\":1}]}", true, &sc, &e));
	ck_assert_str_eq(e.msg,
			 "Only AND-combined field filters are supported for Intake span storage.");
}
END_TEST

/* A state judgement (JK_STATE) on a session, as Opik's threads API writes one. */
static struct judgement state(const char *id, const char *session, const char *label, int64_t dt)
{
	struct judgement j;
	judgement_init(&j);
	j.id = id;
	j.workspace = "ws";
	j.target = JT_SESSION;
	j.session_id = session;
	j.kind = JK_STATE;
	j.label = label;
	j.api = "opik";
	j.subtype = "thread";
	j.created_at = T0 + dt;
	return j;
}

/* The Session's state (spandex's own): the label of the session's newest state judgement,
 * absent without one. */
START_TEST(session_state)
{
	struct span sp;
	span_init(&sp);
	sp.span_id = sp.name = "r";
	sp.trace_id = "t";
	sp.session_id = "s";
	sp.workspace = "ws";
	sp.source = "test";
	sp.started_at = T0;
	sp.ended_at = T0 + 1000000;
	struct err e = {0};
	ck_assert_int_eq(store_append(&st, "ws", &sp, 1, &e), ST_OK);
	struct query q = {.st = &st, .a = A, .ws = "ws"};
	struct buf *b = arena_buf(A);
	ck_assert_int_eq(intake_pages_session(&q, "s", b), ST_OK);
	buf_addc(b, 0);
	ck_assert_ptr_null(strstr(b->p, "\"state\""));
	/* Closed, then opened again under another id; a newer deleted one and another session's
	 * do not count. */
	struct judgement j[4] = {
	    state("st-1", "s", "inactive", 10), state("st-2", "s", "active", 20),
	    state("st-3", "s", "inactive", 30), state("st-4", "other", "inactive", 40)};
	j[2].deleted = true;
	ck_assert_int_eq(store_put_judgements(&jst, "ws", j, 4, &e), ST_OK);
	struct jquery jq = {.st = &st, .a = A, .ws = "ws"};
	const char *label;
	ck_assert_int_eq(intake_session_state(&jq, "s", &label), ST_OK);
	ck_assert_str_eq(label, "active");
	ck_assert_int_eq(intake_session_state(&jq, "none", &label), ST_OK);
	ck_assert_ptr_null(label);
	b = arena_buf(A);
	ck_assert_int_eq(intake_pages_session(&q, "s", b), ST_OK);
	buf_addc(b, 0);
	ck_assert_msg(strstr(b->p, ",\"evaluator_scores\":{},\"state\":\"active\"}"), "%s", b->p);
	/* The first closed again, as an update: the newest change wins. */
	struct judgement up = state("st-1", "s", "inactive", 10);
	up.updated_at = T0 + 50;
	ck_assert_int_eq(store_put_judgements(&jst, "ws", &up, 1, &e), ST_OK);
	ck_assert_int_eq(intake_session_state(&jq, "s", &label), ST_OK);
	ck_assert_str_eq(label, "inactive");
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("intake_judgements");
	TCase *t = tcase_create("core");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, annotation_kinds);
	tcase_add_test(t, annotation_judgements);
	tcase_add_test(t, annotation_errors);
	tcase_add_test(t, evaluator_results);
	tcase_add_test(t, evaluator_errors);
	tcase_add_test(t, opik_score_is_an_evaluator_result);
	tcase_add_test(t, filters);
	tcase_add_test(t, scores);
	tcase_add_test(t, atif_rewards);
	tcase_add_test(t, scored_records);
	tcase_add_test(t, score_filter_split);
	tcase_add_test(t, session_state);
	suite_add_tcase(s, t);
	return s;
}
