/* check_egp: lib/api/egp's field table (map.c) walked: each SGP field alone changes exactly
 * the Span members its row names, and docs/attributes.md's Scale GP table is the table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/egp/map.h"
#include "t/readme.h"

/* A valid value of each SGP field, unlike the base object's. */
static json_t *egp_fixture(const char *name)
{
	static const char *const values[][2] = {
	    {"id", "\"sgp-1\""},
	    {"trace_id", "\"trace-2\""},
	    {"parent_id", "\"parent-1\""},
	    {"name", "\"named\""},
	    {"start_timestamp", "\"2026-03-01T00:00:05Z\""},
	    {"end_timestamp", "\"2026-03-01T00:00:09Z\""},
	    {"input", "{\"q\":1}"},
	    {"output", "{\"a\":2}"},
	    {"status", "\"ERROR\""},
	    {"type", "\"COMPLETION\""},
	    {"metadata", "{\"error_type\":\"E\",\"error_message\":\"m\",\"k\":\"v\"}"},
	    {"expected", "{\"x\":1}"},
	    {"group_id", "\"g-1\""},
	    {"application_interaction_id", "\"ai-1\""},
	    {"application_variant_id", "\"av-1\""},
	};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++)
		if (!strcmp(values[i][0], name))
			return json_loads(values[i][1], JSON_DECODE_ANY, NULL);
	ck_abort_msg("no fixture for the SGP field %s: add one", name);
	return NULL;
}

static void egp_made(struct arena *a, json_t *obj, struct span *s)
{
	struct verrs v;
	verrs_init(&v);
	span_init(s);
	egp_apply(a, "ws", obj, true, s, &v, json_array());
	ck_assert_msg(!verrs_count(&v), "the fixture is refused");
	verrs_free(&v);
}

START_TEST(field_rows)
{
	const char *name, *doc;
	bool patch;
	struct arena *a = arena_new();
	struct span b, g;

	ck_assert(egp_map_row((size_t)_i, &name, &patch, &doc));
	/* An id made for an object without one is random: both get the base's, but the id row. */
	json_t *base = json_pack("{s:s,s:s,s:s,s:s}", "id", "sgp-base", "trace_id", "trace-1",
				 "name", "base", "start_timestamp", "2026-03-01T00:00:00Z");
	json_t *obj = json_copy(base);
	json_object_set_new(obj, name, egp_fixture(name));
	egp_made(a, base, &b);
	egp_made(a, obj, &g);
	readme_row_check(name, doc, &b, &g);
	json_decref(base);
	json_decref(obj);
	arena_free(a);
}
END_TEST

#define EGP_BEGIN "<!-- SGP fields: generated from lib/api/egp/map.c by t/check_egp -->\n"
#define EGP_END "<!-- end of the generated SGP fields -->\n"

START_TEST(readme_fields)
{
	const char *name, *doc;
	bool patch;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, EGP_BEGIN "| Scale GP field | PATCH | Span fields |\n|---|---|---|\n");
	for (size_t i = 0; egp_map_row(i, &name, &patch, &doc); i++) {
		buf_printf(&b, "| `%s` | %s | ", name, patch ? "yes" : "no");
		readme_doc_md(doc, &b);
		buf_adds(&b, " |\n");
	}
	buf_adds(&b, EGP_END);
	readme_block_check(EGP_BEGIN, EGP_END, &b);
	buf_free(&b);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("egp");
	TCase *tc = tcase_create("table");
	const char *name, *doc;
	bool patch;
	int n = 0;

	while (egp_map_row((size_t)n, &name, &patch, &doc))
		n++;
	tcase_add_loop_test(tc, field_rows, 0, n);
	tcase_add_test(tc, readme_fields);
	suite_add_tcase(s, tc);
	return s;
}
