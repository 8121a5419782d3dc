/* direct: the provider-neutral spans ingest (DirectSpansIngestRequest, reference section 4.4)
 * validated into typed spans. Type, presence and extra-field checks are lib/vschema's; the
 * rules of the request model itself (lengths, pattern, datetimes, batch rules) are here. */
#include "lib/ingest/direct.h"
#include "lib/model/vschema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

/* The fields of request_fields and input_fields, by their place in them. */
enum { R_SOURCE, R_SPANS, R_N };
enum {
	F_SPAN_ID,
	F_TRACE_ID,
	F_SESSION_ID,
	F_PARENT_SPAN_ID,
	F_NAME,
	F_KIND,
	F_STATUS,
	F_STARTED_AT,
	F_ENDED_AT,
	F_INPUT,
	F_OUTPUT,
	F_ATTRIBUTES,
	F_ERROR_TYPE,
	F_ERROR_MESSAGE,
	F_N
};

static const struct vs_field request_fields[] = {
    {"source", VS_STR, true, false},
    {"spans", VS_LIST, true, false},
};

static const struct vs_field input_fields[] = {
    {"span_id", VS_STR, true, false},
    {"trace_id", VS_STR, true, false},
    {"session_id", VS_STR, false, false},
    {"parent_span_id", VS_STR, false, false},
    {"name", VS_STR, false, false},
    {"kind", VS_ANY, false, false},
    {"status", VS_ANY, false, false},
    {"started_at", VS_ANY, true, false},
    {"ended_at", VS_ANY, false, false},
    {"input", VS_ANY, false, false},
    {"output", VS_ANY, false, false},
    {"attributes", VS_DICT, false, false},
    /* Get Span's error fields, taken as given (beside exception.type/.message in attributes,
     * which they override). */
    {"error_type", VS_STR, false, false},
    {"error_message", VS_STR, false, false},
};

_Static_assert(sizeof request_fields / sizeof *request_fields == R_N, "a place for each field");
_Static_assert(sizeof input_fields / sizeof *input_fields == F_N, "a place for each field");

#define SOURCE_PATTERN "^[A-Za-z0-9][A-Za-z0-9_.-]*$"

/* A member's value: a string read from the body's text (s, n; j NULL until an error or a lax
 * reading needs it as JSON: dv_json), or its JSON value (j; NULL when absent). */
struct dval {
	json_t *j;
	const char *s; /* NUL-terminated (jsonx refuses \u0000) */
	size_t n;
};

/* Absent or null: what the optional fields treat as absent. */
static bool dv_absent(const struct dval *x)
{
	return !x->s && (!x->j || json_is_null(x->j));
}

static bool dv_str(const struct dval *x)
{
	return x->s || json_is_string(x->j);
}

static const char *dv_text(const struct dval *x)
{
	return x->s ? x->s : json_string_value(x->j);
}

/* x as a JSON value, made from its text the first time it is asked for. */
static json_t *dv_json(struct dval *x)
{
	if (!x->j && x->s)
		x->j = json_stringn_nocheck(x->s, x->n);
	return x->j;
}

/* Member key's value x as a string of min..max characters (vs_str_len); its type was checked by
 * vs_model. NULL when absent or out of bounds (the error is added). */
static const char *str_len(struct verrs *v, json_t *loc, struct dval *x, const char *key,
			   size_t min, size_t max)
{
	if (!dv_str(x))
		return NULL;
	/* Within bounds by its bytes (a character is 1 to 4 of them): no count, no location. */
	size_t bytes = x->s ? x->n : json_string_length(x->j);
	if (bytes <= max && (min == 0 || (min == 1 && bytes >= 1)))
		return dv_text(x);
	json_t *l = vs_loc(loc, key);
	bool ok = vs_str_len(v, l, dv_json(x), min, max);
	json_decref(l);
	return ok ? dv_text(x) : NULL;
}

/* Member key's value x as an id (one rule for every format: span_id_problem); NULL when absent
 * or refused. */
static const char *id_field(struct verrs *v, json_t *loc, struct dval *x, const char *key)
{
	if (!dv_str(x))
		return NULL;
	if (!span_id_problem(dv_text(x)))
		return dv_text(x); /* vs_id's check, with no location to build */
	json_t *l = vs_loc(loc, key);
	bool ok = vs_id(v, l, dv_json(x));
	json_decref(l);
	return ok ? dv_text(x) : NULL;
}

/* Member key's value x as an enum (absent: def). */
static int choice(struct verrs *v, json_t *loc, struct dval *x, const char *key,
		  const char *const *names, int def)
{
	if (dv_absent(x))
		return def;
	for (int k = 0; dv_str(x) && names[k]; k++)
		if (!strcmp(names[k], dv_text(x)))
			return k; /* vs_choice passes it: no location to build */
	json_t *l = vs_loc(loc, key);
	bool ok = vs_choice(v, l, dv_json(x), names, "enum");
	json_decref(l);
	if (!ok)
		return def;
	for (int k = 0; names[k]; k++)
		if (!strcmp(names[k], dv_text(x)))
			return k;
	return def;
}

/* A datetime that must carry a UTC offset (the request model uses AwareDatetime); a Unix
 * time, a number or its text, is one in UTC to pydantic (lax mode). */
static bool aware_time(struct verrs *v, json_t *loc, struct dval *x, const char *key, int64_t *us)
{
	int64_t t;
	*us = SPAN_NONE_I64;
	if (dv_absent(x))
		return true;
	/* Most are RFC 3339 with an offset: read once, not three times as below. */
	if (dv_str(x) && time_parse(dv_text(x), true, us))
		return true;
	json_t *j = dv_json(x);
	if (!vs_datetime(j, &t)) {
		vs_error(v, loc, key, "datetime_from_date_parsing",
			 "Input should be a valid datetime", j);
		return false;
	}
	const char *text = json_string_value(j);
	if (text && !time_parse_unix(text, &t) && !time_parse(text, true, &t)) {
		vs_error(v, loc, key, "timezone_aware", "Input should have timezone info", j);
		return false;
	}
	*us = t;
	return true;
}

/* input/output: strings are kept, any other JSON value becomes compact JSON. */
static const char *any_text(struct arena *a, const struct dval *x)
{
	if (dv_absent(x))
		return NULL;
	if (dv_str(x))
		return dv_text(x);
	struct buf b;
	buf_init(&b);
	jsonw_value(&b, x->j);
	char *s = arena_strndup(a, b.p, b.len);
	buf_free(&b);
	return s;
}

static bool source_ok(const char *s)
{
	for (size_t k = 0; s[k]; k++) {
		char c = s[k];
		bool alnum =
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (k == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

/* pydantic's value_error of a validator at loc + [field] (NULL: a model validator, at loc),
 * with the input it refused (copied; may be NULL). */
static void value_error(struct verrs *v, json_t *loc, const char *field, const char *msg,
			json_t *input)
{
	char m[256];
	snprintf(m, sizeof(m), "Value error, %s", msg);
	vs_error(v, loc, field, "value_error", m, input);
}

/* One DirectSpanInput's field values f (input_fields' order, vs_model's checks done) at loc
 * into s (fields of the batch set by the caller); o is the span, the input of its model
 * validator's errors (NULL: none kept). */
static void input_span(struct arena *a, struct verrs *v, json_t *loc, struct dval *f, json_t *o,
		       struct span *s)
{
	s->span_id = id_field(v, loc, &f[F_SPAN_ID], "span_id");
	s->trace_id = id_field(v, loc, &f[F_TRACE_ID], "trace_id");
	s->session_id = id_field(v, loc, &f[F_SESSION_ID], "session_id");
	s->parent_span_id = id_field(v, loc, &f[F_PARENT_SPAN_ID], "parent_span_id");
	s->name = str_len(v, loc, &f[F_NAME], "name", 0, SPAN_MAX_ID);
	if (!s->name)
		s->name = "";
	s->kind = choice(v, loc, &f[F_KIND], "kind", span_kind_names, KIND_UNKNOWN);
	s->status = choice(v, loc, &f[F_STATUS], "status", span_status_names, SPST_UNKNOWN);
	/* started_at is required and not Optional: null is pydantic's datetime_type. It reached
	 * the store as no time, a day outside years 1-9999 whose file no listing read. */
	struct dval *st = &f[F_STARTED_AT];
	if (!st->s && json_is_null(st->j))
		vs_error(v, loc, "started_at", "datetime_type", "Input should be a valid datetime",
			 st->j);
	bool t1 = !dv_absent(st) && aware_time(v, loc, st, "started_at", &s->started_at);
	bool t2 = aware_time(v, loc, &f[F_ENDED_AT], "ended_at", &s->ended_at);
	s->input = any_text(a, &f[F_INPUT]);
	s->output = any_text(a, &f[F_OUTPUT]);
	json_t *attrs = dv_absent(&f[F_ATTRIBUTES]) ? NULL : f[F_ATTRIBUTES].j;
	if (json_object_size(attrs) > DIRECT_MAX_ATTRIBUTES) {
		char m[96];
		snprintf(m, sizeof(m), "at most %d attributes per span", DIRECT_MAX_ATTRIBUTES);
		value_error(v, loc, "attributes", m, attrs);
	} else if (json_is_object(attrs)) {
		catalog_apply(a, s, attrs);
	}
	if (dv_str(&f[F_ERROR_TYPE]))
		s->str[SS_ERROR_TYPE] = dv_text(&f[F_ERROR_TYPE]);
	if (dv_str(&f[F_ERROR_MESSAGE]))
		s->str[SS_ERROR_MESSAGE] = dv_text(&f[F_ERROR_MESSAGE]);
	if (!s->session_id)
		s->session_id = s->trace_id;
	/* DirectSpanInput's model validator (NeMo's spans.py): at the span, the span its input. */
	if (s->span_id && s->parent_span_id && !strcmp(s->span_id, s->parent_span_id))
		value_error(v, loc, NULL, "parent_span_id must differ from span_id", o);
	if (t1 && t2 && s->ended_at != SPAN_NONE_I64 && s->ended_at < s->started_at)
		value_error(v, loc, NULL, "ended_at must be greater than or equal to started_at",
			    o);
	/* Unlike the ClickHouse-backed service there is no age limit on started_at: retention is
	 * the operator's choice, made by cron. */
}

/* One DirectSpanInput at loc into s (fields of the batch set by the caller). */
static void parse_span(struct arena *a, struct verrs *v, json_t *loc, json_t *o, struct span *s)
{
	json_t *j[F_N];
	struct dval f[F_N];
	if (!vs_model_vals(v, loc, o, input_fields, F_N, true, j) && !json_is_object(o))
		return;
	for (size_t i = 0; i < F_N; i++)
		f[i] = (struct dval){j[i], NULL, 0};
	input_span(a, v, loc, f, o, s);
}

/* The hash a span's (trace_id, span_id) pair is sorted by, taken while its strings are in the
 * cache (right after parse_span read them); 0 and unused when either is missing. */
static uint64_t idh_of(const struct span *s)
{
	if (!s->span_id || !s->trace_id)
		return 0;
	return hash_bytes(s->span_id, strlen(s->span_id)) ^
	       hash_bytes(s->trace_id, strlen(s->trace_id));
}

/* True when two spans of s[0..n) share their (trace_id, span_id) pair: sorted by the pairs'
 * hashes (hs[k] is idh_of(&s[k])), neighbours compared. */
static bool duplicated(struct arena *a, const struct span *s, const uint64_t *hs, size_t n)
{
	struct mem_keyed *ids = arena_alloc(a, n * sizeof(*ids));
	size_t nid = 0;
	for (size_t k = 0; k < n; k++)
		if (s[k].span_id && s[k].trace_id)
			ids[nid++] = (struct mem_keyed){hs[k], k};
	mem_sort_keyed(ids, nid); /* by hash, then by span */
	for (size_t k = 1; k < nid; k++) {
		const struct span *x = &s[ids[k - 1].val], *y = &s[ids[k].val];
		if (ids[k].key == ids[k - 1].key && !strcmp(x->span_id, y->span_id) &&
		    !strcmp(x->trace_id, y->trace_id))
			return true;
	}
	return false;
}

/* The pairs unique within a batch: DirectSpansIngestRequest's model validator, one item at the
 * body, after every span passed. */
static void duplicates(struct arena *a, struct verrs *v, json_t *body, const struct span *s,
		       const uint64_t *hs, size_t n)
{
	if (!duplicated(a, s, hs, n))
		return;
	json_t *l = json_pack("[s]", "body");
	value_error(v, l, NULL, "spans must not contain duplicate (trace_id, span_id) identities",
		    body);
	json_decref(l);
}

size_t direct_parse(struct arena *a, const char *ws, json_t *body, struct span **out,
		    struct verrs *v)
{
	*out = NULL;
	json_t *loc = json_pack("[s]", "body");
	json_t *spans_loc = vs_loc(loc, "spans");
	struct span *s = NULL;
	size_t n = 0;
	json_t *f[R_N];
	if (!vs_model_vals(v, loc, body, request_fields, R_N, true, f) && !json_is_object(body))
		goto out;
	struct dval src = {f[R_SOURCE], NULL, 0};
	const char *source = str_len(v, loc, &src, "source", 1, DIRECT_MAX_SOURCE);
	if (source && !source_ok(source))
		verrs_add_ctx(v, vs_loc(loc, "source"), "string_pattern_mismatch",
			      "String should match pattern '" SOURCE_PATTERN "'",
			      json_string(source), json_pack("{s:s}", "pattern", SOURCE_PATTERN));
	json_t *spans = f[R_SPANS];
	if (!json_is_array(spans))
		goto out;
	n = json_array_size(spans);
	if (n < 1 || n > DIRECT_MAX_SPANS) {
		char m[128];
		bool few = n < 1;
		snprintf(m, sizeof(m), "List should have %s %d item%s after validation, not %zu",
			 few ? "at least" : "at most", few ? 1 : DIRECT_MAX_SPANS, few ? "" : "s",
			 n);
		verrs_add_ctx(v, json_incref(spans_loc), few ? "too_short" : "too_long", m,
			      json_incref(spans),
			      json_pack("{s:s,s:i,s:I}", "field_type", "List",
					few ? "min_length" : "max_length",
					few ? 1 : DIRECT_MAX_SPANS, "actual_length",
					(json_int_t)n));
		n = 0;
		goto out;
	}
	s = arena_alloc(a, n * sizeof(*s));
	uint64_t *hs = arena_alloc(a, n * sizeof(*hs));
	for (size_t k = 0; k < n; k++) {
		span_init(&s[k]);
		s[k].workspace = ws;
		s[k].source = source;
		json_t *l = vs_loci(spans_loc, k);
		parse_span(a, v, l, json_array_get(spans, k), &s[k]);
		json_decref(l);
		hs[k] = idh_of(&s[k]);
	}
	if (!verrs_count(v))
		duplicates(a, v, body, s, hs, n);
out:
	json_decref(loc);
	json_decref(spans_loc);
	if (verrs_count(v)) {
		for (size_t k = 0; s && k < n; k++)
			span_clear(&s[k]);
		return 0;
	}
	*out = s;
	return n;
}

/* What the text path carries from span to span. */
struct text_rd {
	struct arena *a;
	const char *ws;
	struct jsonx_rd r;
	struct verrs v;	  /* input_span's errors: one says the tree must tell them */
	json_t *loc;	  /* where they would be */
	json_t *a_string; /* stands for a string read as text in vs_vals_ok */
};

/* One span object of the text into s; false when it is not one that passes every check
 * (nothing reported: the caller takes direct_parse's path). */
static bool span_text(struct text_rd *t, struct span *s)
{
	struct dval f[F_N] = {0};
	json_t *types[F_N] = {0};
	size_t at = 0;
	int more;
	if (!jsonx_rd_open(&t->r, '{'))
		return false;
	for (size_t k = 0; (more = jsonx_rd_more(&t->r, '}', k)) == 1; k++) {
		const char *key, *text;
		size_t kl, i;
		/* An unknown member is extra_forbidden; one named twice, the last wins: both left
		 * to direct_parse. */
		const char *name = input_fields[at].name;
		if (jsonx_rd_name(&t->r, name, strlen(name))) {
			i = at; /* the one expected: bodies list members mostly in the model's order
				 */
			at = at + 1 < F_N ? at + 1 : 0;
		} else if (!jsonx_rd_key(&t->r, &key, &kl) ||
			   (i = jsonx_name_of(&input_fields[0].name, sizeof *input_fields, F_N, key,
					      kl, &at)) == F_N) {
			return false;
		}
		if (types[i])
			return false;
		/* A string is kept as its text (no JSON value to make and read back). */
		if (jsonx_rd_peek(&t->r) == '"') {
			if (!jsonx_rd_string(&t->r, &text, &f[i].n))
				return false;
			f[i].s = arena_strndup(t->a, text, f[i].n);
			types[i] = t->a_string;
		} else if (!(types[i] = f[i].j = jsonx_rd_value(&t->r))) {
			return false;
		}
	}
	if (more || !vs_vals_ok(input_fields, F_N, types))
		return false;
	input_span(t->a, &t->v, t->loc, f, NULL, s);
	return !verrs_count(&t->v);
}

/* The spans array into *s (grown in t->a), their count into *n; false as span_text. */
static bool spans_text(struct text_rd *t, struct span **s, size_t *n)
{
	size_t cap = 0;
	int more;
	if (!jsonx_rd_open(&t->r, '['))
		return false;
	for (; (more = jsonx_rd_more(&t->r, ']', *n)) == 1; ++*n) {
		if (*n == DIRECT_MAX_SPANS)
			return false;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			struct span *g = arena_alloc(t->a, cap * sizeof(*g));
			if (*n)
				memcpy(g, *s, *n * sizeof(*g));
			*s = g;
		}
		span_init(&(*s)[*n]);
		(*s)[*n].workspace = t->ws;
		if (!span_text(t, &(*s)[*n])) {
			++*n; /* cleared with the others */
			return false;
		}
	}
	return !more && *n;
}

size_t direct_parse_text(struct arena *a, const char *ws, const char *p, size_t len,
			 struct span **out)
{
	struct text_rd t = {.a = a,
			    .ws = ws,
			    .loc = json_pack("[s,s]", "body", "spans"),
			    .a_string = json_string("")};
	json_t *source = NULL;
	struct span *s = NULL;
	size_t n = 0;
	bool spans = false, ok = false;
	int more;
	*out = NULL;
	jsonx_rd_init(&t.r, p, len);
	verrs_init(&t.v);
	if (!jsonx_rd_open(&t.r, '{'))
		goto out;
	for (size_t k = 0; (more = jsonx_rd_more(&t.r, '}', k)) == 1; k++) {
		const char *key;
		size_t kl;
		if (!jsonx_rd_key(&t.r, &key, &kl))
			goto out;
		if (kl == 6 && !memcmp(key, "source", 6) && !source) {
			if (!(source = jsonx_rd_value(&t.r)))
				goto out;
		} else if (kl == 5 && !memcmp(key, "spans", 5) && !spans) {
			spans = true;
			if (!spans_text(&t, &s, &n))
				goto out;
		} else {
			goto out;
		}
	}
	/* source: a string of 1 to DIRECT_MAX_SOURCE characters, sure of it by its bytes. */
	size_t sl = json_string_length(source);
	if (more || !spans || !jsonx_rd_end(&t.r) || !json_is_string(source) || !sl ||
	    sl > DIRECT_MAX_SOURCE || !source_ok(json_string_value(source)))
		goto out;
	uint64_t *hs = arena_alloc(a, n * sizeof(*hs));
	for (size_t k = 0; k < n; k++) {
		s[k].source = json_string_value(source);
		hs[k] = idh_of(&s[k]);
	}
	ok = !duplicated(a, s, hs, n);
out:
	jsonx_rd_free(&t.r);
	verrs_free(&t.v);
	json_decref(t.loc);
	json_decref(t.a_string);
	if (ok) {
		*out = s;
		return n;
	}
	for (size_t k = 0; k < n; k++)
		span_clear(&s[k]);
	return 0;
}
