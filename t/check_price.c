/* check_price: lib/model/price: the table's format and errors, model matching, the costs it
 * computes, and that it stays off a span that brought costs of its own. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/model/price.h"

static char path[64];

static void write_table(const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(path, sizeof path, "/tmp/check_price.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_table("# taken: 2025-06-01\n"
		    "gpt-4o\t2.50\t10.00\t1.25\n"
		    "gpt-4o-mini\t0.15\t0.60\t0.075\n"
		    "claude-3-5-sonnet\t3\t15\t-\n");
}

static void teardown(void)
{
	unlink(path);
}

static struct span llm(const char *model, int64_t in, int64_t out, int64_t cached)
{
	struct span s;
	span_init(&s);
	s.str[SS_MODEL] = model;
	s.input_tokens = in;
	s.output_tokens = out;
	s.cached_tokens = cached;
	return s;
}

START_TEST(matching)
{
	struct err e = {0};
	const struct prices *p = prices_load(path, &e);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->taken, "2025-06-01");
	ck_assert_uint_eq(p->n, 3);
	ck_assert_str_eq(prices_find(p, "gpt-4o")->model, "gpt-4o");
	ck_assert_str_eq(prices_find(p, "gpt-4o-2024-08-06")->model, "gpt-4o");
	ck_assert_str_eq(prices_find(p, "gpt-4o-mini-2024-07-18")->model, "gpt-4o-mini");
	ck_assert_str_eq(prices_find(p, "GPT-4O")->model, "gpt-4o");
	ck_assert_str_eq(prices_find(p, "openai/gpt-4o-mini")->model, "gpt-4o-mini");
	ck_assert_str_eq(prices_find(p, "anthropic.claude-3-5-sonnet-20240620-v1:0")->model,
			 "claude-3-5-sonnet");
	/* Bedrock's cross-region inference profiles put a region before the vendor. */
	ck_assert_str_eq(prices_find(p, "us.anthropic.claude-3-5-sonnet-20241022-v2:0")->model,
			 "claude-3-5-sonnet");
	ck_assert_str_eq(prices_find(p, "apac.anthropic.claude-3-5-sonnet-20240620-v1:0")->model,
			 "claude-3-5-sonnet");
	ck_assert_ptr_null(prices_find(p, "us.anthropic.claude-9"));
	ck_assert_ptr_null(prices_find(p, "gpt-4oxl"));
	ck_assert_ptr_null(prices_find(p, "gpt-4"));
	ck_assert_ptr_null(prices_find(p, ""));
	ck_assert_ptr_null(prices_find(p, NULL));
	ck_assert_ptr_null(prices_load(PRICES_OFF, &e));
	ck_assert_ptr_null(prices_load("", &e));
}
END_TEST

/* Unset, SPANDEX_PRICES is the shipped table: costs by default (issue 33); "off" turns it
 * off. In the build tree the installed one is absent, so the source tree's is used. */
START_TEST(default_table)
{
	struct err e = {0};
	const struct prices *t = prices_load(NULL, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_ptr_nonnull(prices_find(t, "gpt-4o-mini"));
	ck_assert_ptr_null(prices_load(PRICES_OFF, &e));
}
END_TEST

/* The optional columns: cache writes (a part of input_tokens) and reasoning tokens (a part of
 * output_tokens, usage_details) at their own prices; "-" or no column: the input and output
 * prices. */
START_TEST(cache_write_and_reasoning)
{
	write_table("# taken: 2026-01-01\nsonnet\t3\t15\t0.3\t3.75\t-\nthinker\t1\t4\t-\t-\t8\n"
		    "plain\t1\t4\t-\n");
	struct err e = {0};
	const struct prices *p = prices_load(path, &e);
	ck_assert_msg(p != NULL, "%s", e.msg);
	/* 1000 input: 200 cached at 0.3, 300 written at 3.75, 500 at 3; 100 output at 15. */
	struct span s = llm("sonnet", 1000, 100, 200);
	s.usage_details = json_pack("{s:i}", "prompt_details.cache_write", 300);
	ck_assert(prices_apply(p, &s, false));
	ck_assert_double_eq_tol(s.cost_input_usd, (500 * 3 + 200 * 0.3 + 300 * 3.75) / 1e6, 1e-9);
	ck_assert_double_eq_tol(s.cost_output_usd, 100 * 15 / 1e6, 1e-9);
	span_clear(&s);
	/* 100 output of which 40 reasoning at 8. */
	s = llm("thinker", 10, 100, SPAN_NONE_I64);
	s.usage_details = json_pack("{s:i}", "completion_details.reasoning", 40);
	ck_assert(prices_apply(p, &s, false));
	ck_assert_double_eq_tol(s.cost_output_usd, (60 * 4 + 40 * 8) / 1e6, 1e-9);
	span_clear(&s);
	/* Without the columns, reasoning tokens cost the output price; counts over the whole
	 * are capped at it. */
	s = llm("plain", 10, 100, SPAN_NONE_I64);
	s.usage_details = json_pack("{s:i}", "completion_details.reasoning", 400);
	ck_assert(prices_apply(p, &s, false));
	ck_assert_double_eq_tol(s.cost_output_usd, 100 * 4 / 1e6, 1e-9);
	span_clear(&s);
	write_table("# taken: 2026-01-01\nbad\t1\t4\t-\t-\t-\t9\n");
	ck_assert_ptr_null(prices_load(path, &e));
}
END_TEST

START_TEST(costs)
{
	const struct prices *p = prices_load(path, NULL);
	/* 1000 input of which 400 cached, 200 output: 600*2.5 + 400*1.25 + 200*10 per million. */
	struct span s = llm("gpt-4o-2024-08-06", 1000, 200, 400);
	ck_assert(prices_apply(p, &s, false));
	ck_assert_double_eq_tol(s.cost_input_usd, 0.002, 1e-9);
	ck_assert_double_eq_tol(s.cost_output_usd, 0.002, 1e-9);
	ck_assert_double_eq_tol(s.cost_total_usd, 0.004, 1e-9);
	ck_assert_str_eq(json_string_value(json_object_get(s.raw_attributes, PRICE_COMPUTED_KEY)),
			 "computed");
	ck_assert_str_eq(json_string_value(json_object_get(s.raw_attributes, PRICE_TABLE_KEY)),
			 "2025-06-01");
	/* Computed once: not again unless asked (the table changed: recompute). */
	ck_assert(!prices_apply(p, &s, false));
	ck_assert(prices_apply(p, &s, true));
	span_clear(&s);
	/* No cached price: cached tokens cost the input price; 6 decimals kept. */
	s = llm("claude-3-5-sonnet-20241022", 1234567, SPAN_NONE_I64, 1000);
	ck_assert(prices_apply(p, &s, false));
	ck_assert_double_eq_tol(s.cost_input_usd, 3.703701, 1e-9);
	ck_assert(isnan(s.cost_output_usd));
	ck_assert_double_eq_tol(s.cost_total_usd, 3.703701, 1e-9);
	span_clear(&s);
	/* A span with a cost of its own keeps it, and gets no marker. */
	s = llm("gpt-4o", 1000, 200, SPAN_NONE_I64);
	s.cost_output_usd = 0.5;
	ck_assert(!prices_apply(p, &s, false));
	ck_assert(!prices_apply(p, &s, true));
	ck_assert(isnan(s.cost_total_usd));
	ck_assert_ptr_null(s.raw_attributes);
	/* No tokens, no model, an unknown model, no table: nothing. */
	s = llm("gpt-4o", SPAN_NONE_I64, SPAN_NONE_I64, SPAN_NONE_I64);
	ck_assert(!prices_apply(p, &s, false));
	s = llm(NULL, 10, 10, SPAN_NONE_I64);
	ck_assert(!prices_apply(p, &s, false));
	s = llm("mystery-model", 10, 10, SPAN_NONE_I64);
	ck_assert(!prices_apply(p, &s, false));
	ck_assert(!prices_apply(NULL, &s, false));
}
END_TEST

START_TEST(reload_and_errors)
{
	struct err e = {0};
	ck_assert_ptr_nonnull(prices_load(path, &e));
	/* The file changes: the next load sees it (no restart). */
	write_table("# taken: 2026-01-01\ngpt-4o\t5\t20\t-\nnew-model\t1\t1\t-\n");
	const struct prices *p = prices_load(path, &e);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->taken, "2026-01-01");
	ck_assert_ptr_nonnull(prices_find(p, "new-model"));
	/* Damage is an error with its line, never a silent empty table. */
	write_table("# taken: 2026-01-01\ngpt-4o\t5\tlots\t-\n");
	ck_assert_ptr_null(prices_load(path, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, ":2: a price is"));
	write_table("# taken: 2026-01-01\ngpt-4o 5 20 -\n");
	ck_assert_ptr_null(prices_load(path, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "separated by tabs"));
	write_table("gpt-4o\t5\t20\t-\n");
	ck_assert_ptr_null(prices_load(path, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "taken"));
	write_table("# taken: 2026-01-01\ngpt-4o\t-5\t20\t-\n");
	ck_assert_ptr_null(prices_load(path, &e));
	ck_assert_ptr_null(prices_load("/nonexistent/prices.tsv", &e));
	ck_assert_int_eq(e.st, ST_NOT_FOUND);
}
END_TEST

/* prices_find's memo of its last answers (the table prices_load keeps) against the scan of
 * every row (the same table at another address, which the memo does not hold): random model
 * names, from the rows with suffixes, prefixes, capitals and junk, more of them than the memo's
 * slots and some longer than a slot, asked in random order; then a reloaded table's answer,
 * not the memo's of before. */
START_TEST(memo_is_the_scan)
{
	struct err e = {0};
	char tsv[512], names[64][300];
	const char *src = getenv("SPANDEX_SRCDIR");
	snprintf(tsv, sizeof tsv, "%s/prices/prices.tsv", src ? src : ".");
	const struct prices *t = prices_load(tsv, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	struct prices scan = *t;
	static const char *const pre[] = {"", "", "openai/", "us.", "bedrock.us.", "x"};
	static const char *const post[] = {"", "", "-2024-08-06", ":0", "@latest", "x", "-"};
	srand(57);
	for (size_t i = 0; i < 64; i++) {
		const char *m = t->rows[(size_t)rand() % t->n].model;
		int k = snprintf(names[i], sizeof names[i], "%s%s%s", pre[rand() % 6], m,
				 post[rand() % 7]);
		if (rand() % 4 == 0)
			names[i][rand() % k] ^= 0x20; /* a capital, or another byte */
		if (rand() % 16 == 0)
			memset(names[i] + k, 'z', 200), names[i][k + 200] = 0; /* past a slot */
	}
	/* Names that are prefixes of others with other answers, first among the ones asked. */
	snprintf(names[0], sizeof names[0], "gpt-4ox");
	snprintf(names[1], sizeof names[1], "gpt-4o");
	snprintf(names[2], sizeof names[2], "gpt-4o-mini-x");
	for (int i = 0; i < 20000; i++) {
		const char *m = names[rand() % (i < 10000 ? 6 : 64)];
		ck_assert_msg(prices_find(t, m) == prices_find(&scan, m), "%s", m);
	}
	write_table("# taken: 2025-06-01\ngpt-4o\t2.50\t10.00\t1.25\n");
	const struct prices *a = prices_load(path, &e);
	ck_assert_double_eq(prices_find(a, "gpt-4o")->in, 2.5);
	write_table("# taken: 2026-01-01\ngpt-4o\t5\t20\t-\nnew-model\t1\t1\t-\n");
	const struct prices *b = prices_load(path, &e);
	ck_assert_double_eq(prices_find(b, "gpt-4o")->in, 5);
}
END_TEST

START_TEST(shipped_table)
{
	/* The table in the repository parses, and prices its own models. */
	struct err e = {0};
	char p[512];
	const char *src = getenv("SPANDEX_SRCDIR");
	snprintf(p, sizeof p, "%s/prices/prices.tsv", src ? src : ".");
	const struct prices *t = prices_load(p, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_uint_gt(t->n, 20);
	ck_assert_ptr_nonnull(prices_find(t, "gpt-4o-2024-08-06"));
	ck_assert_ptr_nonnull(prices_find(t, "claude-sonnet-4-20250514"));
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("price");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, default_table);
	tcase_add_test(tc, cache_write_and_reasoning);
	tcase_add_test(tc, matching);
	tcase_add_test(tc, costs);
	tcase_add_test(tc, reload_and_errors);
	tcase_add_test(tc, shipped_table);
	tcase_add_test(tc, memo_is_the_scan);
	suite_add_tcase(s, tc);
	return s;
}
