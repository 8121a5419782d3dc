/* check_judgement: judgements (lib/model/judgement.h) through the store and lib/query: the
 * canonical line, newest version wins, deletion, read-merge-write, reindex, verify and seal
 * as for spans, lists with filters and orders, the judgements of a set of targets, and the
 * targets of a score filter. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/api/egp/assess_map.h"
#include "lib/api/intake/judgements.h"
#include "lib/api/opik/judgements/judged.h"
#include "lib/query/judgements.h"
#include "lib/store/ops.h"
#include "lib/store/store.h"

static char root[256];
static struct store st, jst;
static struct arena *A;

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/spandex-check-judgement-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	store_init(&st, root, false);
	store_judgements(&jst, &st);
	A = arena_new();
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
	arena_free(A);
}

static const int64_t T0 = 1700000000000000ll; /* 2023-11-14T22:13:20Z */
static const int64_t DAY = 86400000000ll;

/* A score named name on span (of trace-1, session-1) at created time t. */
static struct judgement score(const char *id, const char *span, const char *name, double v,
			      int64_t t)
{
	struct judgement j;
	judgement_init(&j);
	j.id = arena_strdup(A, id);
	j.workspace = "ws1";
	j.target = JT_SPAN;
	j.span_id = span ? arena_strdup(A, span) : NULL;
	j.trace_id = "trace-1";
	j.session_id = "session-1";
	j.name = name ? arena_strdup(A, name) : NULL;
	j.kind = JK_NUMBER;
	j.value = v;
	j.source = JS_SDK;
	j.api = "opik";
	j.subtype = "feedback_score";
	j.created_at = t;
	return j;
}

static void put(struct judgement *j, size_t n)
{
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_put_judgements(&jst, "ws1", j, n, &e) == ST_OK, "put: %s",
		      err_text(&e));
}

static char *get(const char *id)
{
	struct buf b;
	buf_init(&b);
	if (store_get(&jst, "ws1", id, &b) != ST_OK) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static size_t nproblems;
static void count_problem(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "verify: %s\n", msg);
	nproblems++;
}

static size_t verify(void)
{
	nproblems = 0;
	size_t n = store_verify(&jst, "ws1", count_problem, NULL, NULL, NULL);
	ck_assert_uint_eq(n, nproblems);
	return n;
}

static struct jquery jq(const struct jfilter *f)
{
	return (struct jquery){.st = &st, .a = A, .ws = "ws1", .f = f};
}

START_TEST(test_line_round_trip)
{
	struct judgement j = score("j1", "s1", "accuracy", 0.75, T0), back;
	j.label = "good";
	j.text = "because \"quoted\"\n";
	j.payload = json_pack("{s:i}", "k", 1);
	j.author = "alice";
	j.updated_at = T0 + 5;
	j.ingested_at = T0 + 9;
	struct buf b;
	buf_init(&b);
	judgement_render(&j, &b);
	json_t *root;
	ck_assert(judgement_parse(b.p, b.len, &back, &root));
	ck_assert_str_eq(back.id, "j1");
	ck_assert_str_eq(back.name, "accuracy");
	ck_assert(back.value == 0.75);
	ck_assert_str_eq(back.text, j.text);
	ck_assert_int_eq(json_integer_value(json_object_get(back.payload, "k")), 1);
	ck_assert_int_eq(back.updated_at, T0 + 5);
	ck_assert_str_eq(back.api, "opik");
	struct buf again;
	buf_init(&again);
	judgement_render(&back, &again);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert(!memcmp(again.p, b.p, b.len));
	ck_assert_mem_eq(b.p, "{\"id\":\"j1\",", 11); /* the store reads the id off the start */
	judgement_clear(&back);
	json_decref(root);
	/* Not a judgement: a span line, an unknown member, a missing created_at. */
	const char *bad[] = {
	    "{\"span_id\":\"x\"}",
	    "{\"id\":\"x\",\"target\":\"span\",\"kind\":\"number\",\"source\":\"sdk\",\"api\":"
	    "\"opik\",\"created_at\":\"2023-11-14T22:13:20Z\",\"ingested_at\":"
	    "\"2023-11-14T22:13:20Z\",\"extra\":1}",
	    "{\"id\":\"x\",\"target\":\"span\",\"kind\":\"number\",\"source\":\"sdk\",\"api\":"
	    "\"opik\",\"ingested_at\":\"2023-11-14T22:13:20Z\"}",
	};
	for (size_t i = 0; i < 3; i++)
		ck_assert(!judgement_parse(bad[i], strlen(bad[i]), &back, &root));
	judgement_clear(&j);
	buf_free(&b);
	buf_free(&again);
}
END_TEST

START_TEST(test_views)
{
	struct judgement j = score("j1", "s1", "accuracy", 0.5, T0);
	ck_assert(judgement_shows(&j, &opik_view_score));
	ck_assert(judgement_shows(&j, &intake_view_evaluator));
	ck_assert(judgement_shows(&j, &egp_view_assessment));
	ck_assert(!judgement_shows(&j, &opik_view_comment));
	ck_assert(!judgement_shows(&j, &intake_view_annotation));
	j.kind = JK_COMMENT;
	j.name = NULL;
	j.value = NAN;
	j.text = "nice";
	ck_assert(judgement_shows(&j, &opik_view_comment));
	ck_assert(judgement_shows(&j, &intake_view_annotation));
	ck_assert(!judgement_shows(&j, &opik_view_score));
	j.deleted = true;
	const struct judgement_view *views[] = {&intake_view_annotation, &intake_view_evaluator,
						&opik_view_score, &opik_view_comment,
						&egp_view_assessment};
	for (size_t v = 0; v < sizeof views / sizeof *views; v++)
		ck_assert(!judgement_shows(&j, views[v]));
}
END_TEST

/* A surface names itself: its name round-trips through the line, the views show its judgements
 * as any API's, and a name that no line should carry is refused. */
START_TEST(test_named_api)
{
	struct judgement j = score("j1", "s1", "helpfulness", 0.5, T0), back;
	j.api = "mcp";
	j.ingested_at = T0 + 1;
	struct buf b;
	buf_init(&b);
	judgement_render(&j, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "\"api\":\"mcp\""));
	json_t *root;
	ck_assert(judgement_parse(b.p, b.len, &back, &root));
	ck_assert_str_eq(back.api, "mcp");
	ck_assert_str_eq(judgement_api_name(&back), "mcp");
	ck_assert(judgement_shows(&back, &opik_view_score));
	ck_assert(judgement_shows(&back, &intake_view_evaluator));
	ck_assert(judgement_shows(&back, &egp_view_assessment));
	judgement_clear(&back);
	json_decref(root);
	j.api = "opik";
	ck_assert_str_eq(judgement_api_name(&j), "opik");
	ck_assert(judgement_api_is(&j, "opik") && !judgement_api_is(&j, "sgp"));
	const char *ok[] = {"mcp", "langfuse", "a", "x-2", "opik", "otlp"};
	const char *no[] = {"", "Mcp", "2x", "a b", "a_b", "abcdefghijklmnopqrstuvwxyzabcdefg"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		ck_assert_msg(judgement_api_valid(ok[i]), "%s", ok[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ck_assert_msg(!judgement_api_valid(no[i]), "%s", no[i]);
	ck_assert(!judgement_api_valid(NULL));
	/* A judgement without a valid name is written "other", never a line without an API. */
	buf_free(&b);
	buf_init(&b);
	j.api = NULL;
	judgement_render(&j, &b);
	ck_assert_ptr_nonnull(strstr(b.p, "\"api\":\"other\""));
	buf_free(&b);
	judgement_clear(&j);
}
END_TEST

/* The upsert ids: the prefix as given, then NeMo's stable_id (SHA-256 over each part's 8-byte
 * big-endian length and bytes; the values from Python's hashlib); NULL parts count as "". */
START_TEST(test_key_id)
{
	const char *eval[] = {"default", "session-1", "span-a", "faithfulness"};
	ck_assert_str_eq(judgement_key_id(A, "eval-", eval, 4),
			 "eval-5b083ef21ae8e4a63c6f21523cd70904");
	const char *fs[] = {"span", "s1", "q", NULL};
	ck_assert_str_eq(judgement_key_id(A, "fs-", fs, 4), "fs-ffbb1439156f25b1f934e774961eb601");
}
END_TEST

START_TEST(test_newest_wins_and_delete)
{
	struct judgement a[3] = {score("j1", "s1", "accuracy", 0.2, T0),
				 score("j2", "s2", "accuracy", 0.9, T0 + 1),
				 score("j3", "s1", "helpful", 1, T0 + DAY)};
	put(a, 3);
	/* Its files are under the workspace's, in judgements/. */
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof p, "%s/ws1/judgements/2023-11-14.jsonl", root);
	ck_assert_int_eq(stat(p, &sb), 0);
	snprintf(p, sizeof p, "%s/ws1/judgements/2023-11-15.idx", root);
	ck_assert_int_eq(stat(p, &sb), 0);
	struct judgement again = score("j1", "s1", "accuracy", 0.4, T0);
	put(&again, 1);
	char *l = get("j1");
	ck_assert_ptr_nonnull(strstr(l, "\"value\":0.4"));
	free(l);
	struct jfilter f = {.name = "accuracy"};
	struct jquery q = jq(&f);
	struct jrows rows;
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	ck_assert_uint_eq(rows.total, 2);
	/* A deletion is a version: gone from lists and gets. */
	struct judgement del = score("j2", "s2", "accuracy", 0.9, T0 + 1);
	del.deleted = true;
	put(&del, 1);
	ck_assert_int_eq(query_judgements(&q, &rows), ST_OK);
	ck_assert_uint_eq(rows.total, 1);
	struct judgement out;
	ck_assert_int_eq(query_judgement_get(&q, "j2", &out), ST_NOT_FOUND);
	ck_assert_int_eq(query_judgement_get(&q, "j1", &out), ST_OK);
	ck_assert(out.value == 0.4);
	ck_assert_uint_eq(verify(), 0);
	/* The spans' store never sees them. */
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(store_get(&st, "ws1", "j1", &b), ST_NOT_FOUND);
	buf_free(&b);
}
END_TEST

/* A judgement that names no session (an OTLP evaluation record that came before its span, a
 * score of a span without one): the tables and verify leave its session out, and a rebuild
 * agrees. */
START_TEST(test_no_session)
{
	struct judgement j = score("j9", "s9", "early", 1, T0);
	j.session_id = NULL;
	put(&j, 1);
	ck_assert_uint_eq(verify(), 0);
	struct err e = {0};
	ck_assert_int_eq(store_reindex(&jst, "ws1", NULL, NULL, NULL, NULL, &e), ST_OK);
	ck_assert_uint_eq(verify(), 0);
}
END_TEST

/* The merge of test_update: a comment's text replaced, its creation kept. */
static enum status edit(void *ctx, struct arena *a, const char *id, const struct judgement *cur,
			struct judgement *out, struct err *e)
{
	(void)a;
	(void)e;
	if (!cur || cur->deleted)
		return ST_NOT_FOUND;
	judgement_copy(out, cur);
	out->id = id;
	out->text = ctx;
	out->updated_at = cur->created_at + 7;
	return ST_OK;
}

START_TEST(test_update)
{
	struct judgement c = score("c1", "s1", NULL, NAN, T0);
	c.kind = JK_COMMENT;
	c.text = "first";
	put(&c, 1);
	const char *ids[] = {"c1"};
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_update_judgements(&jst, "ws1", A, ids, 1, edit, "second", &e),
			 ST_OK);
	char *l = get("c1");
	ck_assert_ptr_nonnull(strstr(l, "\"text\":\"second\""));
	ck_assert_ptr_nonnull(strstr(l, "\"updated_at\""));
	free(l);
	const char *none[] = {"nope"};
	ck_assert_int_eq(store_update_judgements(&jst, "ws1", A, none, 1, edit, "x", &e),
			 ST_NOT_FOUND);
	ck_assert_uint_eq(verify(), 0);
}
END_TEST

START_TEST(test_reindex_and_seal)
{
	struct judgement a[40];
	for (int i = 0; i < 40; i++) {
		char id[16], span[16];
		snprintf(id, sizeof id, "j%d", i);
		snprintf(span, sizeof span, "s%d", i % 7);
		a[i] =
		    score(id, span, i % 2 ? "accuracy" : "tone", i / 40.0, T0 + (i % 3) * DAY + i);
	}
	put(a, 40);
	put(a, 10); /* versions */
	struct jfilter f = {.name = "accuracy"};
	struct jquery q = jq(&f);
	struct jrows before, after;
	ck_assert_int_eq(query_judgements(&q, &before), ST_OK);
	ck_assert_uint_eq(before.total, 20);
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_reindex(&jst, "ws1", NULL, NULL, NULL, NULL, &e), ST_OK);
	ck_assert_uint_eq(verify(), 0);
	ck_assert_int_eq(query_judgements(&q, &after), ST_OK);
	ck_assert_uint_eq(after.total, 20);
	uint64_t in, out;
	for (int d = 0; d < 3; d++) {
		ck_assert_int_eq(store_seal(&jst, "ws1", time_day(T0) + d, &in, &out, &e), ST_OK);
		ck_assert_uint_gt(in, 0);
	}
	ck_assert_uint_eq(verify(), 0);
	ck_assert_int_eq(query_judgements(&q, &after), ST_OK);
	ck_assert_uint_eq(after.total, 20);
	for (size_t i = 0; i < after.n; i++)
		ck_assert_str_eq(after.rows[i].id, before.rows[i].id);
	char *l = get("j5");
	ck_assert_ptr_nonnull(l);
	free(l);
}
END_TEST

/* Records written before issue 53 held the API's number in source_h (0 intake, 1 opik, 2 sgp,
 * docs/FORMAT.md, "Judgements"): a filter by API reads such a record's line, verify accepts
 * it, and reindex writes the name's hash. */
START_TEST(test_legacy_api_numbers)
{
	struct judgement a[6];
	for (int i = 0; i < 6; i++) {
		char id[16];
		snprintf(id, sizeof id, "j%d", i);
		a[i] = score(id, "s1", "accuracy", i / 10.0, T0 + i);
		a[i].api = i % 2 ? "sgp" : "opik";
	}
	put(a, 6);
	struct jfilter f = {.api = "sgp"};
	struct jquery q = jq(&f);
	struct jrows r;
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 3);
	/* The records as the code before wrote them: opik's 1, sgp's 2. */
	char path[PATH_MAX];
	struct tm tm;
	time_t secs = (time_t)(T0 / 1000000);
	gmtime_r(&secs, &tm);
	snprintf(path, sizeof path, "%s/ws1/judgements/%04d-%02d-%02d.idx", root, tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday);
	FILE *fp = fopen(path, "r+b");
	ck_assert_ptr_nonnull(fp);
	struct idx_rec rec;
	size_t n = 0;
	for (long at = STORE_IDX_HDR;
	     fseek(fp, at, SEEK_SET) == 0 && fread(&rec, sizeof rec, 1, fp) == 1;
	     at += (long)sizeof rec, n++) {
		ck_assert_uint_ge(rec.source_h, STORE_J_API_NUMBERS);
		rec.source_h = rec.source_h == (uint32_t)hash_bytes("sgp", 3) ? 2 : 1;
		rec.crc = hash_crc32c(0, &rec, offsetof(struct idx_rec, crc));
		ck_assert_int_eq(fseek(fp, at, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(&rec, sizeof rec, 1, fp), 1);
	}
	fclose(fp);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(verify(), 0);
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 3);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_str_eq(r.rows[i].api, "sgp");
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_reindex(&jst, "ws1", NULL, NULL, NULL, NULL, &e), ST_OK);
	ck_assert_uint_eq(verify(), 0);
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 3);
}
END_TEST

START_TEST(test_list_orders_and_filters)
{
	struct judgement a[] = {
	    score("a", "s1", "accuracy", 0.3, T0 + 3), score("b", "s2", "accuracy", 0.9, T0 + 1),
	    score("c", "s3", "accuracy", NAN, T0 + 2), score("d", "s1", "tone", 0.1, T0 + 4)};
	a[2].kind = JK_CATEGORY;
	a[2].label = "meh";
	a[3].trace_id = "trace-2";
	put(a, 4);
	struct jfilter f = {.name = "accuracy"};
	struct jquery q = jq(&f);
	struct jrows r;
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.rows[0].id, "b"); /* created ascending */
	q.desc = true;
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_str_eq(r.rows[0].id, "a");
	q.order = JQ_VALUE;
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_str_eq(r.rows[0].id, "b");
	ck_assert_str_eq(r.rows[2].id, "c"); /* no value: last */
	q.desc = false;
	q.offset = 1;
	q.limit = 1;
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.total, 3);
	ck_assert_str_eq(r.rows[0].id, "b");
	struct jfilter g = {.has_vmax = true, .vmax = 0.5};
	q = jq(&g);
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 2); /* a and d */
	struct jfilter t = {.trace_id = "trace-2"};
	q = jq(&t);
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 1);
	ck_assert_str_eq(r.rows[0].id, "d");
	struct jfilter s = {.span_id = "s1", .view = &opik_view_score};
	q = jq(&s);
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 2);
	/* A workspace with none: an empty list. */
	q.ws = "other";
	ck_assert_int_eq(query_judgements(&q, &r), ST_OK);
	ck_assert_uint_eq(r.total, 0);
}
END_TEST

static void collect(void *ctx, size_t which, const struct judgement *j)
{
	size_t *count = ctx;
	count[which]++;
	ck_assert_ptr_nonnull(j->name);
}

START_TEST(test_of_and_judged)
{
	struct judgement a[] = {
	    score("a", "s1", "accuracy", 0.3, T0), score("b", "s2", "accuracy", 0.9, T0 + 1),
	    score("c", "s2", "tone", 0.2, T0 + 2), score("d", "s3", "accuracy", 0.1, T0 + DAY)};
	put(a, 4);
	const char *spans[] = {"s2", "s3", "s9"};
	size_t count[3] = {0};
	struct jquery q = jq(NULL);
	ck_assert_int_eq(query_judgements_of(&q, JT_SPAN, spans, 3, collect, count), ST_OK);
	ck_assert_uint_eq(count[0], 2);
	ck_assert_uint_eq(count[1], 1);
	ck_assert_uint_eq(count[2], 0);
	struct query_keys k;
	ck_assert_int_eq(query_judged(&q, JT_SPAN, "accuracy", false, 0, true, 0.5, &k), ST_OK);
	ck_assert_uint_eq(k.n, 2); /* s1 and s3 */
	ck_assert_int_eq(k.by, QK_SPAN);
	uint64_t h1 = hash_bytes("s1", 2), h3 = hash_bytes("s3", 2);
	ck_assert((k.h[0] == h1 && k.h[1] == h3) || (k.h[0] == h3 && k.h[1] == h1));
	ck_assert(k.h[0] < k.h[1]);
	ck_assert(k.v[k.h[0] == h1 ? 0 : 1] == 0.3);
	/* By trace: the trace's own judgements, not those of its spans. */
	ck_assert_int_eq(query_judged(&q, JT_TRACE, "accuracy", true, 0.5, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 0);
	struct judgement t = score("t", NULL, "accuracy", 0.7, T0 + 5);
	t.target = JT_TRACE;
	put(&t, 1);
	ck_assert_int_eq(query_judged(&q, JT_TRACE, "accuracy", true, 0.5, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert(k.h[0] == hash_bytes("trace-1", 7));
	/* A trace's own scores and its spans': 0.3 (s1), 0.9 (s2), 0.1 (s3) and 0.7 (t). */
	struct jfilter every = {.targets = 1u << JT_SPAN | 1u << JT_TRACE};
	q.f = &every;
	ck_assert_int_eq(query_judged(&q, JT_TRACE, "accuracy", false, 0, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert(k.v[0] > 0.4999 && k.v[0] < 0.5001);
	q.f = NULL;
	/* Two authors' scores of one target: their mean. */
	struct judgement t2 = score("t2", NULL, "accuracy", 0.9, T0 + 6);
	t2.target = JT_TRACE;
	put(&t2, 1);
	ck_assert_int_eq(query_judged(&q, JT_TRACE, "accuracy", false, 0, false, 0, &k), ST_OK);
	ck_assert_uint_eq(k.n, 1);
	ck_assert(k.v[0] > 0.79 && k.v[0] < 0.81);
}
END_TEST

/* Judgements go with their workspace: backed up, restored into a fresh directory, archived
 * and removed by retention with the day they were made on. */
START_TEST(test_backup_restore_retain)
{
	struct span sp;
	span_init(&sp);
	sp.span_id = "s1";
	sp.trace_id = "trace-1";
	sp.session_id = "session-1";
	sp.workspace = "ws1";
	sp.source = "test";
	sp.started_at = T0;
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_append(&st, "ws1", &sp, 1, &e), ST_OK);
	struct judgement a[] = {score("old", "s1", "accuracy", 0.1, T0),
				score("new", "s1", "accuracy", 0.9, T0 + 3 * DAY)};
	put(a, 2);
	char dest[PATH_MAX], fresh[PATH_MAX], arch[PATH_MAX];
	snprintf(dest, sizeof dest, "%s/backups", root);
	snprintf(fresh, sizeof fresh, "%s/fresh", root);
	snprintf(arch, sizeof arch, "%s/archive", root);
	struct ops_backup_stats bs;
	ck_assert_int_eq(ops_backup(&st, dest, NULL, &bs, NULL, &e), ST_OK);
	ck_assert_uint_eq(bs.days_copied, 3); /* one day of spans, two of judgements */
	struct store fst, fjst;
	store_init(&fst, fresh, false);
	store_judgements(&fjst, &fst);
	struct ops_restored r;
	ck_assert_msg(ops_restore(dest, &fst, false, NULL, &r, &e) == ST_OK, "restore: %s",
		      err_text(&e));
	ops_restored_free(&r);
	struct buf b;
	buf_init(&b);
	ck_assert_int_eq(store_get(&fjst, "ws1", "old", &b), ST_OK);
	ck_assert_int_eq(store_get(&fst, "ws1", "s1", &b), ST_OK);
	buf_free(&b);
	nproblems = 0;
	ck_assert_uint_eq(store_verify(&fjst, "ws1", count_problem, NULL, NULL, NULL), 0);
	/* A second backup links what did not change. */
	ck_assert_int_eq(ops_backup(&st, dest, NULL, &bs, NULL, &e), ST_OK);
	ck_assert_uint_eq(bs.days_linked, 3);
	/* Retention of the judgements' days before T0 + 2 days, archived. */
	struct ops_retention keep = {
	    .cutoff_day = time_day(T0) + 2, .recent_us = INT64_MAX, .archive = arch};
	struct ops_retained out;
	ck_assert_int_eq(ops_retain(&jst, "ws1", &keep, &out, &e), ST_OK);
	ck_assert_uint_eq(out.removed, 1);
	char *l = get("old");
	ck_assert_ptr_null(l);
	l = get("new");
	ck_assert_ptr_nonnull(l);
	free(l);
	char p[PATH_MAX + 64];
	struct stat sb;
	snprintf(p, sizeof p, "%s/ws1/judgements/2023-11-14.jsonl", arch);
	ck_assert_int_eq(stat(p, &sb), 0);
	ck_assert_uint_eq(verify(), 0);
	ck_assert(store_has_judgements(&st, "ws1"));
	ck_assert(!store_has_judgements(&st, "ws2"));
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("judgement");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_line_round_trip);
	tcase_add_test(tc, test_views);
	tcase_add_test(tc, test_named_api);
	tcase_add_test(tc, test_key_id);
	tcase_add_test(tc, test_newest_wins_and_delete);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_no_session);
	tcase_add_test(tc, test_reindex_and_seal);
	tcase_add_test(tc, test_legacy_api_numbers);
	tcase_add_test(tc, test_list_orders_and_filters);
	tcase_add_test(tc, test_of_and_judged);
	tcase_add_test(tc, test_backup_restore_retain);
	suite_add_tcase(s, tc);
	return s;
}
