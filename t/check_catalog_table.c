/* t/check_catalog, the conventions table (lib/model/catalog_rows.c, catalog_kind.c) walked
 * through the OTLP mapping: every key of every row alone, each field's keys in their order,
 * every kind row and every source. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ingest/otlp.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/catalog_object.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "t/check_catalog.h"

/* ---- the conventions table walked through the OTLP mapping (issue 33) ----
 * Every row of lib/model/catalog_rows.c and catalog_kind.c (kinds, field rows and each of their
 * keys, the sources of session, input, output, status and error, the dropped and raw-only keys) is
 * sent alone, as an OTLP/JSON span, through otlp_decode, and its value read back from the rendered
 * span; then each field's keys all at once, then one fewer at a time, so each must win in its
 * order. docs/attributes.md tables are generated from the same rows. */

#define FX_TRACE "5b8efff798038103d269b633813fc60c"
#define FX_SPAN "eee19b7ec3c1b174"
#define FX_NAME "fixture"

/* One OTLP span to send: attributes (a spread object's members gather in the object, sent as
 * JSON text as Langfuse and Logfire send them), events, status and OTLP span kind. */
struct fx {
	json_t *attrs, *events;
	int code, kind;
	const char *message;
};

static void fx_init(struct fx *f)
{
	f->attrs = json_object();
	f->events = json_array();
	f->code = 0;
	f->kind = 1; /* INTERNAL */
	f->message = NULL;
}

static void fx_free(struct fx *f)
{
	json_decref(f->attrs);
	json_decref(f->events);
}

/* The catalog object a spread key ("<attr>{<member>}") names; NULL for a plain key. */
static const struct catalog_object *fx_object(const char *key, char *member, size_t cap)
{
	size_t n;
	const struct catalog_object *o = catalog_objects(&n);
	const char *brace = strchr(key, '{');

	if (!brace)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strlen(o[i].key) == (size_t)(brace - key) &&
		    !strncmp(key, o[i].key, strlen(o[i].key))) {
			snprintf(member, cap, "%.*s", (int)(strlen(brace) - 2), brace + 1);
			return &o[i];
		}
	ck_abort_msg("%s names no catalog object", key);
	return NULL;
}

/* Sets key to v (stolen); NULL v removes it. A KEEP object's dotted member is nested. */
static void fx_set(struct fx *f, const char *key, json_t *v)
{
	char member[256], *dot, *p;
	const struct catalog_object *o = fx_object(key, member, sizeof member);
	json_t *obj;

	if (!o) {
		if (v)
			json_object_set_new(f->attrs, key, v);
		else
			json_object_del(f->attrs, key);
		return;
	}
	if (!(obj = json_object_get(f->attrs, o->key))) {
		obj = json_object();
		json_object_set_new(f->attrs, o->key, obj);
	}
	p = member;
	while (o->rest == CATALOG_REST_KEEP && (dot = strchr(p, '.'))) {
		json_t *sub;
		*dot = '\0';
		if (!(sub = json_object_get(obj, p))) {
			sub = json_object();
			json_object_set_new(obj, p, sub);
		}
		obj = sub;
		p = dot + 1;
	}
	if (v)
		json_object_set_new(obj, p, v);
	else
		json_object_del(obj, p);
	if (!json_object_size(json_object_get(f->attrs, o->key)))
		json_object_del(f->attrs, o->key);
}

static void fx_event(struct fx *f, const char *name, json_t *attrs)
{
	json_array_append_new(f->events,
			      json_pack("{s:s, s:o}", "name", name, "attributes", attrs));
}

/* An OTLP/JSON AnyValue for v; an object goes as its JSON text. */
static json_t *fx_any(json_t *v)
{
	char *t;
	json_t *out;

	if (json_is_string(v))
		return json_pack("{s:O}", "stringValue", v);
	if (json_is_integer(v)) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)json_integer_value(v));
		return json_pack("{s:s}", "intValue", n);
	}
	if (json_is_real(v))
		return json_pack("{s:O}", "doubleValue", v);
	if (json_is_boolean(v))
		return json_pack("{s:O}", "boolValue", v);
	/* A list of strings as OTLP's arrayValue (ai@6's ai.values); other values as JSON text. */
	bool strings = json_is_array(v) && json_array_size(v);
	for (size_t i = 0; strings && i < json_array_size(v); i++)
		strings = json_is_string(json_array_get(v, i));
	if (strings) {
		json_t *values = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(values, fx_any(json_array_get(v, i)));
		return json_pack("{s:{s:o}}", "arrayValue", "values", values);
	}
	t = json_dumps(v, JSON_COMPACT);
	out = json_pack("{s:s}", "stringValue", t);
	free(t);
	return out;
}

static json_t *fx_kvs(json_t *attrs)
{
	json_t *out = json_array(), *v;
	const char *k;

	json_object_foreach(attrs, k, v)
	{
		json_array_append_new(out, json_pack("{s:s, s:o}", "key", k, "value", fx_any(v)));
	}
	return out;
}

/* The span f maps to, rendered as a JSON object (raw_attributes parsed), through the real
 * OTLP decoder and mapping. */
static json_t *fx_map(const struct fx *f)
{
	json_t *events = json_array(), *ev, *span, *body, *out;
	struct otlp_result r;
	struct err e;
	struct buf b;
	size_t i;
	char *text;

	json_array_foreach(f->events, i, ev)
	{
		json_array_append_new(events, json_pack("{s:O, s:s, s:o}", "name",
							json_object_get(ev, "name"), "timeUnixNano",
							"1700000000000000001", "attributes",
							fx_kvs(json_object_get(ev, "attributes"))));
	}
	span =
	    json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:o, s:{s:i}}", "traceId", FX_TRACE,
		      "spanId", FX_SPAN, "name", FX_NAME, "kind", f->kind, "startTimeUnixNano",
		      "1700000000000000000", "endTimeUnixNano", "1700000001000000000", "attributes",
		      fx_kvs(f->attrs), "events", events, "status", "code", f->code);
	if (f->message)
		json_object_set_new(json_object_get(span, "status"), "message",
				    json_string(f->message));
	body = json_pack("{s:[{s:{s:[]}, s:[{s:{s:s}, s:[o]}]}]}", "resourceSpans", "resource",
			 "attributes", "scopeSpans", "scope", "name", "s", "spans", span);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	ck_assert_int_eq(otlp_decode(A, "ws", OTLP_JSON, text, strlen(text), 1, &r, &e), ST_OK);
	free(text);
	ck_assert_uint_eq(r.nspans, 1);
	out_roundtrip(&r.spans[0]);
	buf_init(&b);
	span_render(&r.spans[0], &b);
	otlp_result_free(&r);
	out = line_json(b.p);
	buf_free(&b);
	return out;
}

/* Member name of span, or its member sub when sub is set. */
static json_t *fx_member(json_t *span, const char *name, const char *sub)
{
	json_t *v = json_object_get(span, name);
	return sub ? json_object_get(v, sub) : v;
}

static json_t *fx_raw(json_t *span, const char *key)
{
	return json_object_get(json_object_get(span, "raw_attributes"), key);
}

/* The raw attributes of a and b are the same (none and an empty object alike). */
static bool raw_same(json_t *a, json_t *b)
{
	json_t *x = json_object_get(a, "raw_attributes"), *y = json_object_get(b, "raw_attributes");
	if (!json_object_size(x) || !json_object_size(y))
		return !json_object_size(x) && !json_object_size(y);
	return json_equal(x, y);
}

/* Every member of got equals base's, but those named in allow (NULL-terminated). */
static void fx_same_but(json_t *got, json_t *base, const char *const *allow, const char *what)
{
	const char *k;
	json_t *v;

	json_object_foreach(got, k, v)
	{
		bool ok = false;
		for (size_t i = 0; allow[i]; i++)
			ok = ok || !strcmp(k, allow[i]);
		if (!ok)
			ck_assert_msg(json_equal(v, json_object_get(base, k)),
				      "%s: %s changed (%s)", what, k, dump(v));
	}
	json_object_foreach(base, k, v)
	{
		if (!json_object_get(got, k))
			ck_assert_msg(false, "%s: %s gone", what, k);
	}
}

/* The (row, key) pairs of the field rows, for the loop tests. */
static struct {
	size_t row, key;
} field_keys[256];
static size_t n_field_keys;

/* The fixture value of key j of row i: distinct per row and key, of the row's type. */
static json_t *fx_value(size_t i, size_t j)
{
	size_t n;
	const struct catalog_row *r = &catalog_rows(&n)[i];
	char s[64];

	switch (r->type) {
	case CATALOG_TOKENS:
	case CATALOG_USAGE:
		return json_integer((json_int_t)(1000 + 100 * i + j));
	case CATALOG_COST:
		return json_real((double)(1000 + 100 * i + j) / 1e6);
	default:
		snprintf(s, sizeof s, "f%zu-k%zu", i, j);
		return json_string(s);
	}
}

/* A span of the row's kind when it has one (OpenInference's kind names it). */
static void fx_kind(struct fx *f, const struct catalog_row *r)
{
	if (r->kind)
		fx_set(f, "openinference.span.kind", json_string(r->kind));
}

static bool is_kind_key(const char *key)
{
	size_t n;
	const struct catalog_kind_row *k = catalog_kind_rows(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k[i].key, key))
			return true;
	return false;
}

/* Each key of each field row alone: its value lands in the row's field and nowhere else (but
 * an input or output cost, which is the total's too when no total is sent), and leaves
 * raw_attributes (a Langfuse member included). */
START_TEST(field_row_keys)
{
	size_t n, i = field_keys[_i].row, j = field_keys[_i].key;
	const struct catalog_row *r = &catalog_rows(&n)[i];
	bool part = r->type == CATALOG_COST && strcmp(r->name, "cost_total_usd");
	const char *allow[] = {r->name, is_kind_key(r->keys[j]) ? "kind" : "raw_attributes",
			       part ? "cost_total_usd" : NULL, NULL};
	struct fx base, one;
	json_t *b, *got, *want = fx_value(i, j);

	fx_init(&base);
	fx_kind(&base, r);
	fx_init(&one);
	fx_kind(&one, r);
	fx_set(&one, r->keys[j], json_incref(want));
	b = fx_map(&base);
	got = fx_map(&one);
	ck_assert_msg(json_equal(fx_member(got, r->name, r->sub), want), "%s: %s is %s", r->keys[j],
		      r->name, dump(fx_member(got, r->name, r->sub)));
	{
		/* A KEEP object (Logfire's raw usage) stays whole; nothing else stays. */
		char member[256];
		const struct catalog_object *o = fx_object(r->keys[j], member, sizeof member);
		if (o && o->rest == CATALOG_REST_KEEP) {
			json_t *kept = fx_raw(got, o->key);
			json_t *sent = json_loads(json_string_value(kept), 0, NULL);
			ck_assert_msg(json_equal(sent, json_object_get(one.attrs, o->key)),
				      "%s is kept whole", o->key);
			json_decref(sent);
			json_object_del(json_object_get(got, "raw_attributes"), o->key);
		}
	}
	ck_assert_msg(raw_same(got, b), "%s stays raw: %s", r->keys[j],
		      dump(json_object_get(got, "raw_attributes")));
	fx_same_but(got, b, allow, r->keys[j]);
	json_decref(want);
	json_decref(b);
	json_decref(got);
	fx_free(&base);
	fx_free(&one);
}
END_TEST

/* Each row's keys all present, each with its own value: the first wins; without it the
 * next; and so on to the last. */
START_TEST(field_row_order)
{
	size_t n;
	const struct catalog_row *r = &catalog_rows(&n)[_i];
	struct fx f;

	fx_init(&f);
	fx_kind(&f, r);
	for (size_t j = 0; r->keys[j]; j++)
		fx_set(&f, r->keys[j], fx_value(_i, j));
	for (size_t j = 0; r->keys[j]; j++) {
		json_t *got = fx_map(&f), *want = fx_value(_i, j);
		ck_assert_msg(json_equal(fx_member(got, r->name, r->sub), want),
			      "%s%s%s: %s should win, got %s", r->name, r->sub ? "." : "",
			      r->sub ? r->sub : "", r->keys[j],
			      dump(fx_member(got, r->name, r->sub)));
		json_decref(want);
		json_decref(got);
		fx_set(&f, r->keys[j], NULL);
	}
	fx_free(&f);
}
END_TEST

/* Each kind row through the mapping: its kind, and whether the span's usage is its own (an
 * INTERNAL span, then a CLIENT one: invoke_agent's usage is a remote agent's own). */
START_TEST(kind_rows_mapped)
{
	size_t n;
	const struct catalog_kind_row *r = &catalog_kind_rows(&n)[_i];

	for (int client = 0; client < 2; client++) {
		struct fx f;
		json_t *got;
		bool own =
		    r->usage == CATALOG_OWN || (client && r->usage == CATALOG_CHILDREN_LOCAL);

		fx_init(&f);
		f.kind = client ? 3 : 1;
		fx_set(&f, r->key, json_string(r->value ? r->value : "any"));
		fx_set(&f, "gen_ai.usage.input_tokens", json_integer(7));
		got = fx_map(&f);
		ck_assert_str_eq(json_string_value(json_object_get(got, "kind")),
				 span_kind_names[r->kind]);
		if (own) {
			ck_assert_int_eq(json_integer_value(json_object_get(got, "input_tokens")),
					 7);
			ck_assert_ptr_null(fx_raw(got, CATALOG_USAGE_KEY));
		} else {
			ck_assert_ptr_null(json_object_get(got, "input_tokens"));
			ck_assert_str_eq(json_string_value(fx_raw(got, CATALOG_USAGE_KEY)),
					 "children");
			ck_assert_int_eq(
			    json_integer_value(fx_raw(got, "gen_ai.usage.input_tokens")), 7);
		}
		json_decref(got);
		fx_free(&f);
	}
}
END_TEST

/* The value of a source's when attribute that lets it read: the one it names, else any. */
#define FX_WHEN(r) ((r)->when_value ? (r)->when_value : "fx-any")

/* What source row i needs on the span to give its field value v; *want gets the text the
 * field should then hold (NULL for status, raw-only and dropped rows). */
static void fx_source(struct fx *f, const struct catalog_source *r, const char *v, json_t **want)
{
	char k[256];

	*want = NULL;
	if (r->kind >= 0)
		fx_set(f, "openinference.span.kind", json_string(span_kind_names[r->kind]));
	if (r->when)
		fx_set(f, r->when, json_string(FX_WHEN(r)));
	switch (r->how) {
	case CATALOG_TEXT:
	case CATALOG_NONEMPTY:
	case CATALOG_ID:
	case CATALOG_RAW:
		fx_set(f, r->key, json_string(v));
		*want = json_string(v);
		break;
	case CATALOG_MESSAGES:
		*want = json_pack("[{s:s, s:[{s:s, s:s}]}]", "role", "user", "parts", "type",
				  "text", "content", v);
		fx_set(f, r->key, json_copy(*want));
		break;
	case CATALOG_JSON_LIST: {
		/* ai@6's ai.values: each value as its JSON text; the field the values. */
		struct buf text;
		buf_init(&text);
		jsonw_string(&text, v, strlen(v));
		*want = json_pack("[s]", v);
		fx_set(f, r->key, json_pack("[s#]", text.p, text.len));
		buf_free(&text);
		break;
	}
	case CATALOG_OI_LIST:
	case CATALOG_FLAT_LIST: {
		const char *mid = r->how == CATALOG_OI_LIST ? "0.message." : "0.";
		snprintf(k, sizeof k, "%s%srole", r->key, mid);
		fx_set(f, k, json_string("user"));
		snprintf(k, sizeof k, "%s%scontent", r->key, mid);
		fx_set(f, k, json_string(v));
		*want = json_pack("{s:[{s:s, s:s}]}", "messages", "role", "user", "content", v);
		break;
	}
	case CATALOG_TEXT_LIST:
		/* OpenInference's embedded texts: the field their list. */
		snprintf(k, sizeof k, "%s0.embedding.text", r->key);
		fx_set(f, k, json_string(v));
		*want = json_pack("[s]", v);
		break;
	case CATALOG_DOC_LIST:
		/* OpenInference's documents: the field their list. */
		snprintf(k, sizeof k, "%s0.document.content", r->key);
		fx_set(f, k, json_string(v));
		*want = json_pack("[{s:s}]", "content", v);
		break;
	case CATALOG_EVENT:
		fx_event(f, r->key, json_pack("{s:s}", "content", v));
		*want = json_pack("{s:[{s:s, s:s}]}", "messages", "role", r->value, "content", v);
		break;
	case CATALOG_STATUS_TEXT:
		f->code = 2;
		f->message = arena_strdup(A, v);
		*want = json_string(v);
		break;
	case CATALOG_PREFIX:
		snprintf(k, sizeof k, "%s0.x", r->key);
		fx_set(f, k, json_string(v));
		break;
	case CATALOG_STATUS_ATTR:
	case CATALOG_LEVEL: {
		/* Any case matches. */
		char up[64];
		size_t m = 0;
		for (; r->value[m] && m < sizeof up - 1; m++)
			up[m] = (char)(m % 2 ? toupper((unsigned char)r->value[m])
					     : tolower((unsigned char)r->value[m]));
		up[m] = '\0';
		fx_set(f, r->key, json_string(up));
		break;
	}
	case CATALOG_STATUS_CODE:
		f->code = 2;
		break;
	case CATALOG_STATUS_EVENT:
		/* On a span its exporter ended OK. */
		f->code = 1;
		fx_event(f, r->key, json_pack("{s:s}", "exception.message", v));
		break;
	}
}

/* The field's value on the rendered span: text fields parsed when the source gives JSON. */
static json_t *fx_text(json_t *span, const struct catalog_source *r)
{
	json_t *v = json_object_get(span, catalog_field_names[r->field]);

	if (v && (r->how == CATALOG_MESSAGES || r->how == CATALOG_OI_LIST ||
		  r->how == CATALOG_FLAT_LIST || r->how == CATALOG_EVENT ||
		  r->how == CATALOG_JSON_LIST || r->how == CATALOG_TEXT_LIST ||
		  r->how == CATALOG_DOC_LIST))
		return json_loads(json_string_value(v), 0, NULL);
	return json_incref(v);
}

/* The keys a source puts on the span are in raw_attributes, or are not. */
static void fx_raw_kept(json_t *got, const struct catalog_source *r, bool kept)
{
	json_t *raw = json_object_get(got, "raw_attributes");
	const char *k;
	json_t *v;
	bool any = false;

	if (!r->key)
		return;
	if (r->how == CATALOG_EVENT || r->how == CATALOG_STATUS_EVENT) {
		ck_assert_ptr_nonnull(fx_raw(got, "otel.events"));
		return;
	}
	json_object_foreach(raw, k, v)
	{
		any = any || !strncmp(k, r->key, strlen(r->key));
	}
	ck_assert_msg(any == kept, "%s: %s raw_attributes (%s)", r->key, kept ? "kept in" : "left",
		      dump(raw));
}

/* Each source row alone: its field's value, its status, or its key kept where the row says. */
START_TEST(source_rows)
{
	size_t n;
	const struct catalog_source *r = &catalog_sources(&n)[_i];
	struct fx base, one;
	json_t *b, *got, *want, *have;
	char v[32];

	snprintf(v, sizeof v, "src-%d", _i);
	fx_init(&base);
	fx_init(&one);
	if (r->kind >= 0)
		fx_set(&base, "openinference.span.kind", json_string(span_kind_names[r->kind]));
	if (r->when)
		fx_set(&base, r->when, json_string(FX_WHEN(r)));
	fx_source(&one, r, v, &want);
	b = fx_map(&base);
	got = fx_map(&one);
	switch (r->field) {
	case CATALOG_STATUS:
		ck_assert_str_eq(json_string_value(json_object_get(got, "status")),
				 span_status_names[r->status]);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		if (r->when) {
			/* Without its when, the source says nothing. */
			json_t *without;
			fx_set(&one, r->when, NULL);
			without = fx_map(&one);
			ck_assert_str_eq(json_string_value(json_object_get(without, "status")),
					 span_status_names[SPST_SUCCESS]);
			json_decref(without);
		}
		break;
	case CATALOG_DROPPED:
	case CATALOG_USER:
	case CATALOG_TOOL_CALL_ID:
	case CATALOG_FIRST_CHUNK:
	case CATALOG_STREAMED:
	case CATALOG_COMPACTED: {
		const char *allow[] = {"raw_attributes", NULL};
		fx_same_but(got, b, allow, r->key);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		if (want)
			ck_assert(json_equal(fx_raw(got, r->key), want));
		break;
	}
	default:
		have = fx_text(got, r);
		ck_assert_msg(json_equal(have, want), "%s: %s is %s, not %s", r->key ? r->key : "",
			      catalog_field_names[r->field], dump(have), json_dumps(want, 0));
		json_decref(have);
		fx_raw_kept(got, r, r->drop == CATALOG_KEEP);
		break;
	}
	json_decref(want);
	json_decref(b);
	json_decref(got);
	fx_free(&base);
	fx_free(&one);
}
END_TEST

/* The text fields' sources all present, each with its own value (the span an LLM one, so
 * OpenInference's lists count): the first wins, then without it the next, to the last; the
 * event sources of a field are one list. The error message starts from the field row's
 * exception.message. */
static const enum catalog_field order_fields[] = {CATALOG_SESSION, CATALOG_INPUT, CATALOG_OUTPUT,
						  CATALOG_ERROR_MESSAGE};

START_TEST(source_order)
{
	enum catalog_field fld = order_fields[_i];
	size_t n, first = 0, count = 0;
	const struct catalog_source *all = catalog_sources(&n);
	struct fx f;
	json_t *wants[64];

	fx_init(&f);
	for (size_t i = 0; i < n; i++)
		if (all[i].field == fld) {
			char v[32];
			if (!count)
				first = i;
			snprintf(v, sizeof v, "order-%zu", i);
			ck_assert_uint_lt(count, 64);
			fx_source(&f, &all[i], v, &wants[count++]);
		}
	fx_set(&f, "openinference.span.kind", json_string("LLM"));
	if (fld == CATALOG_ERROR_MESSAGE) {
		fx_set(&f, "exception.message", json_string("from-exception"));
		json_t *got = fx_map(&f);
		ck_assert_str_eq(json_string_value(json_object_get(got, "error_message")),
				 "from-exception");
		json_decref(got);
		fx_set(&f, "exception.message", NULL);
	}
	for (size_t c = 0; c < count; c++) {
		const struct catalog_source *r = &all[first + c];
		json_t *got = fx_map(&f), *have = fx_text(got, r);

		if (r->how == CATALOG_EVENT) {
			/* Every event source of the field, in one list. */
			json_t *list = json_array();
			size_t e = c;
			for (; e < count && all[first + e].how == CATALOG_EVENT; e++)
				json_array_extend(list, json_object_get(wants[e], "messages"));
			ck_assert_msg(json_equal(json_object_get(have, "messages"), list),
				      "%s: events should win, got %s", catalog_field_names[fld],
				      dump(have));
			json_decref(list);
			json_array_clear(f.events);
			for (; c + 1 < e; c++)
				json_decref(wants[c]);
		} else {
			ck_assert_msg(json_equal(have, wants[c]), "%s: %s should win, got %s",
				      catalog_field_names[fld], r->key ? r->key : "(status)",
				      dump(have));
		}
		json_decref(have);
		json_decref(got);
		json_decref(wants[c]);
		/* Without this source, the next one wins. */
		if (r->how == CATALOG_STATUS_TEXT) {
			f.message = NULL;
		} else if (r->how == CATALOG_OI_LIST || r->how == CATALOG_FLAT_LIST) {
			char k[256];
			snprintf(k, sizeof k, "%s%srole", r->key,
				 r->how == CATALOG_OI_LIST ? "0.message." : "0.");
			fx_set(&f, k, NULL);
			snprintf(k, sizeof k, "%s%scontent", r->key,
				 r->how == CATALOG_OI_LIST ? "0.message." : "0.");
			fx_set(&f, k, NULL);
		} else if (r->how == CATALOG_TEXT_LIST || r->how == CATALOG_DOC_LIST) {
			char k[256];
			snprintf(k, sizeof k, "%s0.%s", r->key,
				 r->how == CATALOG_TEXT_LIST ? "embedding.text"
							     : "document.content");
			fx_set(&f, k, NULL);
		} else if (r->key) {
			fx_set(&f, r->key, NULL);
		}
	}
	fx_free(&f);
}
END_TEST

TCase *table_tcase(void)
{
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	{
		size_t n, ns, nk;
		const struct catalog_row *r = catalog_rows(&n);
		n_field_keys = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; r[i].keys[j]; j++) {
				if (n_field_keys == sizeof field_keys / sizeof field_keys[0])
					abort(); /* more keys than the walk has room for */
				field_keys[n_field_keys].row = i;
				field_keys[n_field_keys++].key = j;
			}
		tcase_add_loop_test(tc, field_row_keys, 0, (int)n_field_keys);
		tcase_add_loop_test(tc, field_row_order, 0, (int)n);
		catalog_kind_rows(&nk);
		tcase_add_loop_test(tc, kind_rows_mapped, 0, (int)nk);
		catalog_sources(&ns);
		tcase_add_loop_test(tc, source_rows, 0, (int)ns);
		tcase_add_loop_test(tc, source_order, 0,
				    sizeof order_fields / sizeof order_fields[0]);
	}
	readme_tcase_add(tc);
	out_tcase_add(tc);
	return tc;
}
