/* t/check_catalog's fixture (check_catalog.h): an arena and a span made before each test and
 * released after it, and a value as sorted compact JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "t/check_catalog.h"

struct arena *A;
struct span S;

void setup(void)
{
	A = arena_new();
	span_init(&S);
}

void teardown(void)
{
	json_decref(S.evaluation_context);
	json_decref(S.usage_details);
	json_decref(S.cost_details);
	json_decref(S.raw_attributes);
	arena_free(A);
}

const char *dump(json_t *v)
{
	static char out[4096];
	char *t;
	if (!v)
		return "";
	t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
	snprintf(out, sizeof out, "%s", t);
	free(t);
	return out;
}

json_t *line_json(const char *line)
{
	json_t *v = json_loads(line, 0, NULL), *raw;
	ck_assert_ptr_nonnull(v);
	raw = json_object_get(v, "raw_attributes");
	if (json_is_string(raw))
		json_object_set_new(v, "raw_attributes",
				    json_loads(json_string_value(raw), 0, NULL));
	return v;
}
