/* check_opik: lib/api/opik's mapping (map.c, render.c) and thread ids (thread_rows.c) on their
 * own: what opik_apply puts in a span holds after the object it came from is released
 * (t/fuzz/opik_body found a span reading its trace id from the released placeholder object that
 * write.c applies for a PATCH before its create, when write.c still released it). */
#include <check.h>
#include <malloc.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/api/opik/map.h"
#include "lib/api/opik/surface.h"
#include "lib/json/jsonx.h"
#include "lib/api/opik/threads/thread.h"
#include "lib/base/time.h"
#include "lib/model/price.h"
#include "t/readme.h"

/* Frees as malloc does, after overwriting, so a read of a released value sees garbage. */
static void scribble_free(void *p)
{
	if (p)
		memset(p, 0xA5, malloc_usable_size(p));
	free(p);
}

START_TEST(apply_copies_what_it_keeps)
{
	struct arena *a = arena_new();
	struct verrs v;
	struct span s;
	json_set_alloc_funcs(malloc, scribble_free);
	verrs_init(&v);
	span_init(&s);
	/* A PATCH before its create, as patch_absent of write.c applies it: a placeholder object
	 * (released here at once), then the body (which reads the trace id the placeholder set). */
	json_t *stub = json_pack("{s:s,s:s,s:s}", "id", "sp-1", "trace_id", "tr-1", "start_time",
				 "1970-01-01T00:00:00Z");
	opik_apply(a, "ws", OPIK_SPAN, stub, true, &s, &v, json_array());
	json_decref(stub);
	json_t *body = json_pack("{s:s,s:s}", "name", "late", "end_time", "1970-01-01T00:00:01Z");
	opik_apply(a, "ws", OPIK_SPAN, body, false, &s, &v, json_array());
	json_decref(body);
	ck_assert_int_eq(verrs_count(&v), 0);
	ck_assert_str_eq(s.span_id, "sp-1");
	ck_assert_str_eq(s.trace_id, "tr-1");
	ck_assert_str_eq(s.parent_span_id, "tr-1");
	ck_assert_str_eq(s.session_id, "tr-1");
	ck_assert_str_eq(s.name, "late");
	span_clear(&s);
	verrs_free(&v);
	json_set_alloc_funcs(malloc, free);
	arena_free(a);
}
END_TEST

/* input and output are written through one buffer kept from value to value (map.c's
 * text_value): each span's text is its own JSON text, whatever came before it (a text past
 * the buffer's keep, 64 KiB, then short ones; an array, a string, an object). */
START_TEST(texts_through_one_buffer)
{
	struct arena *a = arena_new();
	char *big = malloc(100001);
	memset(big, 'x', 100000);
	big[100000] = 0;
	json_t *vals[] = {json_pack("{s:s}", "input", big), json_pack("[i,s]", 1, "a\"b"),
			  json_string("plain"), json_pack("{s:s}", "output", big),
			  json_pack("{s:{s:n}}", "k", "z")};
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		struct span s;
		struct verrs v;
		verrs_init(&v);
		span_init(&s);
		json_t *o = json_pack("{s:s,s:s,s:s,s:O,s:O}", "id", "sp-1", "trace_id", "tr-1",
				      "start_time", "2026-03-01T00:00:00Z", "input", vals[i],
				      "output", vals[(i + 1) % 5]);
		opik_apply(a, "ws", OPIK_SPAN, o, true, &s, &v, json_array());
		ck_assert_int_eq(verrs_count(&v), 0);
		char *in = json_dumps(vals[i], JSON_COMPACT | JSON_ENCODE_ANY),
		     *out = json_dumps(vals[(i + 1) % 5], JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_str_eq(s.input, in);
		ck_assert_str_eq(s.output, out);
		free(in);
		free(out);
		json_decref(o);
		span_clear(&s);
		verrs_free(&v);
	}
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
		json_decref(vals[i]);
	free(big);
	arena_free(a);
}
END_TEST

/* A batch's input and output taken as their text (opik_batch_body, jsonx_rd_written) store the
 * same line as the body parsed whole and written back (map.c's text_value): tricky values,
 * taken where they are jsonw_value's bytes (escapes, characters, numbers, nesting, empty
 * containers) and parsed where they are not (\u escapes of characters, uppercase hex, "\/",
 * -0, 1e5, 1.50, a name twice, spaces); a body with a byte that is not UTF-8 refused as before
 * (400 "Unable to process JSON"). */
START_TEST(batch_texts_are_the_parse)
{
	static const struct {
		const char *text;
		bool taken;
	} vals[] = {
	    {"{\"input\":\"plain\"}", true},
	    {"{\"q\":\"a\\\"b\\\\c\\n\\t\\u001f\x7f/\xc3\xa9\xf0\x9f\x98\x80\"}", true},
	    {"[1,-2,9223372036854775807,-9223372036854775808,0.1,-0.0,100000.0,1e-07]", true},
	    {"{\"a\":{\"b\":[[],{},[{}]],\"c\":null,\"d\":true,\"e\":false}}", true},
	    {"[]", true},
	    {"{}", true},
	    {"\"a string\"", true},
	    {"\"\\u00e9\\ud83d\\ude00\\u0041\"", false},
	    {"{\"q\":\"\\u001F\\/\"}", false},
	    {"[-0,1e5,1.50,1E2,12345678901234567]", false},
	    {"{\"a\":1,\"a\":2}", false},
	    {"{\"a\": [1, 2]}", false},
	    {"[12345678901234567890.5]", false},
	};
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		struct arena *a = arena_new();
		struct buf body;
		buf_init(&body);
		buf_printf(&body,
			   "{\"spans\":[{\"id\":\"sp-%zu\",\"trace_id\":\"tr-1\",\"start_time\":"
			   "\"2026-03-01T00:00:00Z\",\"input\":%s,\"output\":%s,\"metadata\":%s},"
			   "\"not an object\"]}",
			   i, vals[i].text, vals[(i + 1) % 13].text, vals[i].text);
		struct http_req req = {.arena = a,
				       .content_type = "application/json",
				       .body = body.p,
				       .body_len = body.len};
		json_t *items;
		struct opik_item *read;
		size_t n;
		ck_assert_int_eq(opik_batch_body(&req, "spans", &items, &read, &n), ST_OK);
		ck_assert_ptr_nonnull(read);
		ck_assert_ptr_null(items);
		ck_assert_uint_eq(n, 2);
		ck_assert_msg((read[0].text[0] != NULL) == vals[i].taken, "%s", vals[i].text);
		ck_assert(json_is_string(read[1].obj));
		size_t pos;
		json_t *whole = jsonx_parse(body.p, body.len, &pos, NULL);
		json_t *list = json_object_get(whole, "spans");
		struct span s[2];
		struct buf line[2];
		for (int k = 0; k < 2; k++) {
			struct verrs v;
			verrs_init(&v);
			span_init(&s[k]);
			if (!k)
				opik_apply_item(a, "ws", OPIK_SPAN, &read[0], &s[0], &v,
						json_array());
			else
				opik_apply(a, "ws", OPIK_SPAN, json_array_get(list, 0), true, &s[1],
					   &v, json_array());
			ck_assert_int_eq(verrs_count(&v), 0);
			/* The item that is no object: the same refusal either way. */
			struct span no;
			span_init(&no);
			if (!k)
				opik_apply_item(a, "ws", OPIK_SPAN, &read[1], &no, &v,
						json_array());
			else
				opik_apply(a, "ws", OPIK_SPAN, json_array_get(list, 1), true, &no,
					   &v, json_array());
			ck_assert_int_eq(verrs_count(&v), 1);
			span_clear(&no);
			verrs_free(&v);
			/* the time of the create, the one member made of the clock */
			if (k)
				span_raw_set(&s[1], "opik.created_at",
					     json_incref(span_raw(&s[0], "opik.created_at")));
			buf_init(&line[k]);
			span_render(&s[k], &line[k]);
		}
		ck_assert_str_eq(line[0].p, line[1].p);
		for (int k = 0; k < 2; k++) {
			span_clear(&s[k]);
			buf_free(&line[k]);
		}
		for (size_t k = 0; k < n; k++) {
			json_decref(read[k].obj);
			for (size_t f = 0; f < OPIK_FIELDS; f++)
				json_decref(read[k].vals[f]);
		}
		json_decref(whole);
		buf_free(&body);
		arena_free(a);
	}
	/* Not UTF-8: refused as the parse refuses it. */
	struct arena *a = arena_new();
	static const char bad[] = "{\"spans\":[{\"id\":\"sp-1\",\"input\":{\"a\":\"\xff\"}}]}";
	struct http_req req = {.arena = a,
			       .content_type = "application/json",
			       .body = bad,
			       .body_len = sizeof bad - 1};
	json_t *items;
	struct opik_item *read;
	size_t n;
	ck_assert_int_eq(opik_batch_body(&req, "spans", &items, &read, &n), ST_BAD_REQUEST);
	ck_assert_str_eq(req.err.msg, "Unable to process JSON");
	ck_assert_ptr_null(read);
	arena_free(a);
}
END_TEST

/* A create's usage of integers is the item's own object (map.c's usage_value), a PATCH's a new
 * one: on random usage objects (known and other names, integers, and now and then a real) the
 * two give the same counts, the same usage_details written out, and the create's survives its
 * item's release. */
START_TEST(usage_shared_is_the_copy)
{
	static const char *const names[] = {"prompt_tokens", "completion_tokens", "total_tokens",
					    "cached",	     "reasoning",	  "x"};
	struct arena *a = arena_new();
	srand(57);
	for (int r = 0; r < 300; r++) {
		json_t *u = json_object();
		for (int k = rand() % 7; k > 0; k--) {
			int v = rand() % 100000;
			json_object_set_new(u, names[rand() % 6],
					    rand() % 9 ? json_integer(v) : json_real(v + 0.5));
		}
		struct span c, p;
		struct verrs v;
		verrs_init(&v);
		span_init(&c);
		span_init(&p);
		json_t *o = json_pack("{s:s,s:s,s:s,s:O}", "id", "sp-1", "trace_id", "tr-1",
				      "start_time", "2026-03-01T00:00:00Z", "usage", u);
		opik_apply(a, "ws", OPIK_SPAN, o, true, &c, &v, json_array());
		json_t *b = json_pack("{s:s,s:O}", "trace_id", "tr-1", "usage", u);
		opik_apply(a, "ws", OPIK_SPAN, b, false, &p, &v, json_array());
		json_decref(o);
		json_decref(b);
		json_decref(u);
		ck_assert_int_eq(verrs_count(&v), 0);
		ck_assert_int_eq(c.input_tokens, p.input_tokens);
		ck_assert_int_eq(c.output_tokens, p.output_tokens);
		ck_assert_int_eq(c.total_tokens, p.total_tokens);
		char *cj = json_dumps(c.usage_details, JSON_COMPACT | JSON_PRESERVE_ORDER),
		     *pj = json_dumps(p.usage_details, JSON_COMPACT | JSON_PRESERVE_ORDER);
		ck_assert_str_eq(cj, pj);
		free(cj);
		free(pj);
		span_clear(&c);
		span_clear(&p);
		verrs_free(&v);
	}
	arena_free(a);
}
END_TEST

/* OpenInference through OTLP gives a span token counts and a detail ({"completion_details.
 * reasoning": 0}); Opik showed only the detail, as if the call had used no tokens (issue 33). */
START_TEST(usage_keeps_counts_beside_details)
{
	struct span s;
	span_init(&s);
	s.input_tokens = 12, s.output_tokens = 3, s.total_tokens = 15;
	s.usage_details =
	    json_pack("{s:i,s:i}", "completion_details.reasoning", 0, "prompt_tokens", 12);
	json_t *u = opik_usage(&s, NULL, OPIK_SPAN);
	ck_assert_int_eq(json_object_size(u), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(u, "prompt_tokens")), 12);
	ck_assert_int_eq(json_integer_value(json_object_get(u, "completion_tokens")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(u, "total_tokens")), 15);
	ck_assert_int_eq(json_integer_value(json_object_get(u, "completion_details.reasoning")), 0);
	json_decref(u);
	span_clear(&s);
}
END_TEST

/* A PATCH of usage replaces all of it (opik.md 8.1): counts it does not name go, the total is
 * the one sent or the parts' sum; a PATCH of the cost replaces every cost, computed or not.
 * The old total, cached count and cost parts stayed beside the new values. */
static void patched(struct arena *a, struct span *s, const char *body)
{
	struct verrs v;
	json_t *obj = json_loads(body, 0, NULL);
	verrs_init(&v);
	opik_apply(a, "ws", OPIK_SPAN, obj, false, s, &v, json_array());
	ck_assert_int_eq(verrs_count(&v), 0);
	verrs_free(&v);
	json_decref(obj);
}

START_TEST(patch_replaces_usage_and_cost)
{
	struct arena *a = arena_new();
	struct span s;
	span_init(&s);
	s.span_id = "sp-1", s.trace_id = "tr-1";
	s.input_tokens = 100, s.output_tokens = 10, s.total_tokens = 110, s.cached_tokens = 20;
	s.usage_details = json_pack("{s:i}", "completion_details.reasoning", 4);
	s.cost_total_usd = 0.5, s.cost_input_usd = 0.3, s.cost_output_usd = 0.2;
	s.cost_details = json_pack("{s:f}", "cache_read", 0.1);
	s.raw_attributes =
	    json_pack("{s:s,s:s}", PRICE_COMPUTED_KEY, "computed", PRICE_TABLE_KEY, "2026-01-01");
	patched(a, &s,
		"{\"trace_id\":\"tr-1\",\"usage\":{\"prompt_tokens\":7,"
		"\"completion_tokens\":3}}");
	ck_assert_int_eq(s.input_tokens, 7);
	ck_assert_int_eq(s.output_tokens, 3);
	ck_assert_int_eq(s.total_tokens, SPAN_NONE_I64); /* as sent: none */
	ck_assert_int_eq(s.cached_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(json_object_size(s.usage_details), 2);
	patched(a, &s, "{\"trace_id\":\"tr-1\",\"usage\":{\"prompt_tokens\":5}}");
	ck_assert_int_eq(s.input_tokens, 5);
	ck_assert_int_eq(s.output_tokens, SPAN_NONE_I64);
	ck_assert_int_eq(s.total_tokens, SPAN_NONE_I64);
	patched(a, &s,
		"{\"trace_id\":\"tr-1\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":9}}");
	ck_assert_int_eq(s.total_tokens, 9);
	/* Costs are untouched by usage; a cost replaces them all and is no longer computed. */
	ck_assert(s.cost_input_usd == 0.3);
	patched(a, &s, "{\"trace_id\":\"tr-1\",\"total_estimated_cost\":0.25}");
	ck_assert(s.cost_total_usd == 0.25);
	ck_assert(isnan(s.cost_input_usd) && isnan(s.cost_output_usd));
	ck_assert_int_eq(json_object_size(s.cost_details), 0);
	ck_assert_ptr_null(span_raw(&s, PRICE_COMPUTED_KEY));
	ck_assert_ptr_null(span_raw(&s, PRICE_TABLE_KEY));
	span_clear(&s);
	arena_free(a);
}
END_TEST

/* A cost is kept to 6 decimals, as every other API's (catalog_cost): two spans of 0.0000004
 * each showed 0 but summed to 1e-06 in their trace, and a filter cost > 0 matched them. */
static void opik_made(struct arena *a, enum opik_entity ent, json_t *obj, struct span *s);

START_TEST(cost_keeps_six_decimals)
{
	static const struct {
		double sent, kept;
	} cases[] = {{0.0000004, 0}, {0.0000016, 0.000002}, {0.1234564, 0.123456}, {2, 2}};
	struct arena *a = arena_new();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct span s;
		json_t *obj =
		    json_pack("{s:s,s:s,s:f}", "trace_id", "tr-1", "start_time",
			      "2026-03-01T00:00:00Z", "total_estimated_cost", cases[i].sent);
		opik_made(a, OPIK_SPAN, obj, &s);
		ck_assert_msg(s.cost_total_usd == cases[i].kept, "%g kept as %g", cases[i].sent,
			      s.cost_total_usd);
		json_decref(obj);
		char body[96];
		snprintf(body, sizeof body,
			 "{\"trace_id\":\"tr-1\",\"total_estimated_cost\":%.17g}", cases[i].sent);
		s.cost_total_usd = NAN;
		patched(a, &s, body);
		ck_assert_msg(s.cost_total_usd == cases[i].kept, "%g patched as %g", cases[i].sent,
			      s.cost_total_usd);
		span_clear(&s);
	}
	arena_free(a);
}
END_TEST

/* A thread's model id is its state's id laid out as a UUID, and maps back to it (thread.h);
 * what is no model id maps to nothing. */
START_TEST(thread_model_id_maps_back)
{
	struct arena *a = arena_new();
	const char *state = opik_thread_state_id(a, "proj", "chat-1");
	const char *model = opik_thread_model_id(a, "proj", "chat-1");
	ck_assert_uint_eq(strlen(state), strlen(OPIK_THREAD_PREFIX) + 32);
	ck_assert_uint_eq(strlen(model), 36);
	ck_assert(model[8] == '-' && model[13] == '-' && model[18] == '-' && model[23] == '-');
	ck_assert_str_eq(opik_thread_state_of(a, model), state);
	char upper[37];
	for (int i = 0; i < 37; i++)
		upper[i] = (char)(model[i] >= 'a' && model[i] <= 'f' ? model[i] - 32 : model[i]);
	ck_assert_str_eq(opik_thread_state_of(a, upper), state);
	ck_assert_str_ne(opik_thread_model_id(a, "other", "chat-1"), model);
	ck_assert_ptr_null(opik_thread_state_of(a, "x"));
	ck_assert_ptr_null(opik_thread_state_of(a, NULL));
	ck_assert_ptr_null(opik_thread_state_of(a, "0123456789abcdef0123456789abcdef0123"));
	ck_assert_ptr_null(opik_thread_state_of(a, "g1234567-89ab-cdef-0123-456789abcdef"));
	arena_free(a);
}
END_TEST

/* A thread's created_at is its traces' as they show it (o_created): the create's time kept in
 * raw_attributes, else the version's; the threads took the newest version's ingested time. */
START_TEST(line_created_is_the_create)
{
	struct arena *a = arena_new();
	static const char kept[] = "\"{\\\"opik.created_at\\\":\\\"2026-03-01T00:00:01Z\\\"}\"";
	static const char other[] = "\"{\\\"opik.tags\\\":[\\\"a\\\"]}\"";
	int64_t at;
	ck_assert(time_parse("2026-03-01T00:00:01Z", true, &at));
	ck_assert_int_eq(opik_line_created(a, kept, strlen(kept), 42), at);
	ck_assert_int_eq(opik_line_created(a, other, strlen(other), 42), 42);
	ck_assert_int_eq(opik_line_created(a, NULL, 0, 42), 42);
	arena_free(a);
}
END_TEST

/* ---- the field table (map.c), walked: each field alone changes exactly the Span members its
 * row names, and docs/attributes.md's Opik table is the table ---- */

/* A valid value of each Opik field, unlike the base object's. */
static json_t *opik_fixture(const char *name)
{
	static const char *const values[][2] = {
	    {"id", "\"0190a1b2-0000-7000-8000-0000000000f1\""},
	    {"trace_id", "\"0190a1b2-0000-7000-8000-0000000000f2\""},
	    {"parent_span_id", "\"0190a1b2-0000-7000-8000-0000000000f3\""},
	    {"project_name", "\"fields\""},
	    {"name", "\"named\""},
	    {"type", "\"llm\""},
	    {"start_time", "\"2026-03-01T00:00:05Z\""},
	    {"end_time", "\"2026-03-01T00:00:09Z\""},
	    {"input", "{\"q\":1}"},
	    {"output", "{\"a\":2}"},
	    {"model", "\"gpt-4o-mini\""},
	    {"provider", "\"openai\""},
	    {"usage", "{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}"},
	    {"total_estimated_cost", "0.001"},
	    {"error_info", "{\"exception_type\":\"E\",\"message\":\"m\",\"traceback\":\"t\"}"},
	    {"thread_id", "\"thread-1\""},
	    {"metadata", "{\"k\":\"v\"}"},
	    {"tags", "[\"a\"]"},
	    {"ttft", "12.5"},
	    {"environment", "\"prod\""},
	    {"source", "\"sdk\""},
	    {"total_estimated_cost_version", "\"v1\""},
	    {"last_updated_at", "\"2026-03-01T00:00:10Z\""},
	};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++)
		if (!strcmp(values[i][0], name))
			return json_loads(values[i][1], JSON_DECODE_ANY, NULL);
	ck_abort_msg("no fixture for the Opik field %s: add one", name);
	return NULL;
}

/* The span a create of obj makes. */
static void opik_made(struct arena *a, enum opik_entity ent, json_t *obj, struct span *s)
{
	struct verrs v;
	verrs_init(&v);
	span_init(s);
	opik_apply(a, "ws", ent, obj, true, s, &v, json_array());
	ck_assert_msg(!verrs_count(&v), "the fixture is refused");
	verrs_free(&v);
}

START_TEST(field_rows)
{
	const char *name, *doc;
	int only;
	struct arena *a = arena_new();
	struct span b, g;

	ck_assert(opik_map_row((size_t)_i, &name, &only, &doc));
	enum opik_entity ent = only < 0 ? OPIK_SPAN : (enum opik_entity)only;
	json_t *base =
	    ent == OPIK_SPAN
		? json_pack("{s:s,s:s,s:s}", "trace_id", "0190a1b2-0000-7000-8000-000000000001",
			    "name", "base", "start_time", "2026-03-01T00:00:00Z")
		: json_pack("{s:s,s:s,s:s}", "id", "0190a1b2-0000-7000-8000-000000000001", "name",
			    "base", "start_time", "2026-03-01T00:00:00Z");
	json_t *obj = json_copy(base);
	json_object_set_new(obj, name, opik_fixture(name));
	/* An id made for an object without one is random: both get the base's, but the id row. */
	if (ent == OPIK_SPAN && strcmp(name, "id"))
		json_object_set_new(base, "id",
				    json_string("0190a1b2-0000-7000-8000-0000000000aa")),
		    json_object_set(obj, "id", json_object_get(base, "id"));
	opik_made(a, ent, base, &b);
	opik_made(a, ent, obj, &g);
	/* The time of the create: the two creates' differ, whatever the field. */
	json_object_del(b.raw_attributes, "opik.created_at");
	json_object_del(g.raw_attributes, "opik.created_at");
	readme_row_check(name, doc, &b, &g);
	json_decref(base);
	json_decref(obj);
	arena_free(a);
}
END_TEST

#define OPIK_BEGIN "<!-- Opik fields: generated from lib/api/opik/map.c by t/check_opik -->\n"
#define OPIK_END "<!-- end of the generated Opik fields -->\n"

START_TEST(readme_fields)
{
	const char *name, *doc;
	int only;
	struct buf b;

	buf_init(&b);
	buf_adds(&b, OPIK_BEGIN "| Opik field | of | Span fields |\n|---|---|---|\n");
	for (size_t i = 0; opik_map_row(i, &name, &only, &doc); i++) {
		buf_printf(&b, "| `%s` | %s | ", name,
			   only < 0	       ? "spans, traces"
			   : only == OPIK_SPAN ? "spans"
					       : "traces");
		readme_doc_md(doc, &b);
		buf_adds(&b, " |\n");
	}
	buf_adds(&b, OPIK_END);
	readme_block_check(OPIK_BEGIN, OPIK_END, &b);
	buf_free(&b);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("opik");
	TCase *tc = tcase_create("map");
	tcase_add_test(tc, apply_copies_what_it_keeps);
	tcase_add_test(tc, texts_through_one_buffer);
	tcase_add_test(tc, batch_texts_are_the_parse);
	tcase_add_test(tc, usage_keeps_counts_beside_details);
	tcase_add_test(tc, patch_replaces_usage_and_cost);
	tcase_add_test(tc, usage_shared_is_the_copy);
	tcase_add_test(tc, cost_keeps_six_decimals);
	tcase_add_test(tc, thread_model_id_maps_back);
	tcase_add_test(tc, line_created_is_the_create);
	suite_add_tcase(s, tc);
	tc = tcase_create("table");
	{
		const char *name, *doc;
		int only, n = 0;
		while (opik_map_row((size_t)n, &name, &only, &doc))
			n++;
		tcase_add_loop_test(tc, field_rows, 0, n);
	}
	tcase_add_test(tc, readme_fields);
	suite_add_tcase(s, tc);
	return s;
}
