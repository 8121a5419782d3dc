/* map: Opik traces and spans <-> spandex spans (map.h). */
#include "lib/api/opik/map.h"
#include "lib/api/opik/judged.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/ingest/ingest.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog_value.h"
#include "lib/model/crosswalk.h"
#include "lib/model/price.h"

/* The table. Each Opik field, the hook that puts it into the span (create or PATCH; null
 * clears an optional field, the ids and start_time are not optional), for which entity (both
 * unless said), and the Span members it fills (README's Opik table is made from this column,
 * and t/check_opik applies each field to check it). */
struct field;
/* The JSON a kept field takes (Opik's types): any, a list of strings, a number, a string. */
enum kept { K_ANY, K_TAGS, K_NUMBER, K_STRING };
typedef void put_fn(const struct field *f, const struct ingest_put *p, json_t *x, bool null);
static put_fn put_id, put_trace, put_parent, put_project, put_name, put_type, put_start, put_end,
    put_text, put_str, put_usage, put_cost, put_error, put_thread, put_keep;

static const struct field {
	const char *name;
	put_fn *put;
	int arg;  /* put_str: enum span_str; put_text: 0 input, 1 output; put_keep: enum kept */
	int only; /* -1 both, else the one enum opik_entity it belongs to */
	const char *span;
} fields[] = {
    {"id", put_id, 0, -1, "span_id"},
    /* A trace's id is its trace id; a span without a parent is a child of its trace's row. */
    {"trace_id", put_trace, 0, OPIK_SPAN, "trace_id, session_id, parent_span_id"},
    {"parent_span_id", put_parent, 0, OPIK_SPAN, "parent_span_id"},
    {"project_name", put_project, 0, -1, "project"},
    {"name", put_name, 0, -1, "name"},
    {"type", put_type, 0, OPIK_SPAN, "kind (lib/model/crosswalk)"},
    {"start_time", put_start, 0, -1, "started_at"},
    {"end_time", put_end, 0, -1, "ended_at"},
    {"input", put_text, 0, -1, "input (its JSON text)"},
    {"output", put_text, 1, -1, "output (its JSON text)"},
    {"model", put_str, SS_MODEL, OPIK_SPAN, "model"},
    {"provider", put_str, SS_PROVIDER, OPIK_SPAN, "provider"},
    {"usage", put_usage, 0, OPIK_SPAN,
     "input_tokens, output_tokens, total_tokens (as sent), usage_details (a "
     "usage replaces every count: one it does not name, `cached_tokens` too, is cleared)"},
    {"total_estimated_cost", put_cost, 0, OPIK_SPAN,
     "cost_total_usd (to 6 decimals; `cost_input_usd`, `cost_output_usd` and `cost_details` "
     "cleared)"},
    {"error_info", put_error, 0, -1, "status, error_type, error_message, raw opik.error_info"},
    {"thread_id", put_thread, 0, OPIK_TRACE, "session_id, raw opik.thread_id"},
    /* Kept verbatim in raw_attributes as "opik.<name>". */
    {"metadata", put_keep, 0, -1, "raw opik.metadata"},
    {"tags", put_keep, K_TAGS, -1, "raw opik.tags"},
    {"ttft", put_keep, K_NUMBER, -1, "raw opik.ttft"},
    {"environment", put_keep, K_STRING, -1, "raw opik.environment"},
    {"source", put_keep, K_STRING, -1, "raw opik.source"},
    {"total_estimated_cost_version", put_keep, K_STRING, OPIK_SPAN,
     "raw opik.total_estimated_cost_version"},
    {"last_updated_at", put_keep, K_STRING, -1, "raw opik.last_updated_at"},
};
#define NFIELDS (sizeof fields / sizeof *fields)

#define RAW_ENTITY "opik.entity"

bool opik_map_row(size_t i, const char **name, int *only, const char **span)
{
	if (i >= NFIELDS)
		return false;
	*name = fields[i].name;
	*only = fields[i].only;
	*span = fields[i].span;
	return true;
}

static const char *raw_key(struct arena *a, const char *name)
{
	return arena_printf(a, "opik.%s", name);
}

const char *opik_project_id(struct arena *a, const char *name)
{
	const char *parts[] = {"opik-project", name};
	const char *h = hash_stable_id(a, "", parts, 2);
	/* The shape of a UUID version 8 (custom), so clients that check the format take it. */
	return arena_printf(a, "%.8s-%.4s-8%.3s-a%.3s-%.12s", h, h + 8, h + 13, h + 17, h + 20);
}

/* An id field: a string spandex can store and fetch by id (lib/model/span.h). A copy in a:
 * the span may outlive obj (a caller with jansson on malloc may release obj at once, as
 * t/check_opik does with write.c's placeholder object of a PATCH before its create). */
static const char *id_value(struct arena *a, struct verrs *v, json_t *loc, const char *name,
			    json_t *x)
{
	const char *why =
	    json_is_string(x) ? span_id_problem(json_string_value(x)) : "must be a string";
	if (!why)
		return arena_strdup(a, json_string_value(x));
	char msg[160];
	snprintf(msg, sizeof msg, "%s %s", name, why);
	verrs_add_field(v, loc, name, "value_error", msg, x);
	return NULL;
}

static bool time_value(struct verrs *v, json_t *loc, const char *name, json_t *x, int64_t *us)
{
	if (json_is_string(x) && time_parse(json_string_value(x), false, us))
		return true;
	verrs_add_field(v, loc, name, "datetime_parsing", "must be an ISO 8601 date-time", x);
	return false;
}

/* input, output: an object, an array or a string (§8.1), stored as its JSON text. */
static const char *text_value(struct arena *a, struct verrs *v, json_t *loc, const char *name,
			      json_t *x)
{
	if (!json_is_object(x) && !json_is_array(x) && !json_is_string(x)) {
		verrs_add_field(v, loc, name, "value_error",
				"must be an object, an array or a string", x);
		return NULL;
	}
	struct buf *b = arena_buf(a);
	jsonw_value(b, x);
	return arena_strndup(a, b->p, b->len);
}

static void usage_value(struct span *s, struct verrs *v, json_t *loc, json_t *x)
{
	static const struct {
		const char *key;
		size_t off;
	} tok[] = {
	    {"prompt_tokens", offsetof(struct span, input_tokens)},
	    {"completion_tokens", offsetof(struct span, output_tokens)},
	    {"total_tokens", offsetof(struct span, total_tokens)},
	};
	const char *k;
	json_t *n;
	if (!json_is_object(x)) {
		verrs_add_field(v, loc, "usage", "dict_type", "must be an object of integers", x);
		return;
	}
	json_object_foreach(x, k, n)
	{
		if (!json_is_number(n)) {
			verrs_add_field(v, loc, "usage", "int_type",
					"must be an object of integers", x);
			return;
		}
		/* A count the catalog takes (CATALOG_MAX_TOKENS), so llround below is in range. */
		if (!(json_number_value(n) >= 0 &&
		      json_number_value(n) <= (double)CATALOG_MAX_TOKENS)) {
			verrs_add_field(v, loc, "usage", "int_type",
					"must be an object of integers from 0 to 4294967295", x);
			return;
		}
	}
	/* Opik's usage replaces (§8.1): every count of the span is the new usage's or none, so a
	 * PATCH leaves no count of before beside it (a total the parts no longer add up to, the
	 * cached part of another API's input). Kept as sent, as Opik keeps it: no total is made. */
	json_decref(s->usage_details);
	s->usage_details = json_object();
	s->input_tokens = s->output_tokens = s->total_tokens = s->cached_tokens = SPAN_NONE_I64;
	json_object_foreach(x, k, n)
	{
		json_int_t i = json_is_integer(n) ? json_integer_value(n)
						  : (json_int_t)llround(json_real_value(n));
		json_object_set_new(s->usage_details, k, json_integer(i));
		for (size_t t = 0; t < sizeof tok / sizeof *tok; t++)
			if (!strcmp(k, tok[t].key))
				*(int64_t *)((char *)s + tok[t].off) = i;
	}
}

static void error_value(struct arena *a, struct span *s, struct verrs *v, json_t *loc, json_t *x)
{
	if (json_is_null(x)) {
		s->status = SPST_SUCCESS;
		s->str[SS_ERROR_TYPE] = s->str[SS_ERROR_MESSAGE] = NULL;
		if (s->raw_attributes)
			json_object_del(s->raw_attributes, "opik.error_info");
		return;
	}
	if (!json_is_object(x)) {
		verrs_add_field(v, loc, "error_info", "dict_type", "must be an object", x);
		return;
	}
	json_t *t = json_object_get(x, "exception_type"), *m = json_object_get(x, "message");
	s->status = SPST_ERROR;
	s->str[SS_ERROR_TYPE] = json_is_string(t) ? arena_strdup(a, json_string_value(t)) : NULL;
	s->str[SS_ERROR_MESSAGE] = json_is_string(m) ? arena_strdup(a, json_string_value(m)) : NULL;
	span_raw_set(s, "opik.error_info", json_deep_copy(x));
}

static const char *str_value(struct arena *a, struct verrs *v, json_t *loc, const char *name,
			     json_t *x)
{
	if (json_is_string(x) && json_string_length(x) <= SPAN_MAX_ID)
		return arena_strdup(a, json_string_value(x));
	verrs_add_field(v, loc, name, "string_type", "must be a string of at most 1024 characters",
			x);
	return NULL;
}

/* ---- the fields' hooks ---- */

static void put_id(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (p->create && !null && (sv = id_value(p->a, p->v, p->loc, f->name, x)))
		p->s->span_id = sv;
}

static void put_trace(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (!null && (sv = id_value(p->a, p->v, p->loc, f->name, x)))
		p->s->trace_id = sv;
}

static void put_parent(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (null)
		p->s->parent_span_id = NULL;
	else if ((sv = id_value(p->a, p->v, p->loc, f->name, x)))
		p->s->parent_span_id = sv;
}

/* A name or none (then the default project); a blank one is refused, as Opik refuses it
 * (opik.md 8.1; NULL_OR_NOT_BLANK in its model). */
static void put_project(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (null || !(sv = str_value(p->a, p->v, p->loc, f->name, x)))
		return;
	if (!sv[strspn(sv, " \t\r\n")])
		verrs_add_field(p->v, p->loc, f->name, "value_error", "must not be blank", x);
	else
		p->s->str[SS_PROJECT] = sv;
}

static void put_name(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	p->s->name = null ? NULL : str_value(p->a, p->v, p->loc, f->name, x);
}

static void put_type(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	int k = null ? KIND_CHAIN : crosswalk_kind(CW_OPIK, json_string_value(x));
	if (k < 0) {
		verrs_add_field(p->v, p->loc, f->name, "enum",
				"Input should be 'general', 'tool', 'llm' or 'guardrail'", x);
		return;
	}
	p->s->kind = (enum span_kind)k;
	if (!null && crosswalk_keep_type(CW_OPIK, json_string_value(x)))
		span_raw_set(p->s, CROSSWALK_OPIK_TYPE, json_incref(x));
	else if (p->s->raw_attributes)
		json_object_del(p->s->raw_attributes, CROSSWALK_OPIK_TYPE);
}

static void put_start(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	if (!null)
		time_value(p->v, p->loc, f->name, x, &p->s->started_at);
}

static void put_end(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	if (null)
		p->s->ended_at = SPAN_NONE_I64;
	else
		time_value(p->v, p->loc, f->name, x, &p->s->ended_at);
}

static void put_text(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char **slot = f->arg ? &p->s->output : &p->s->input;
	*slot = null ? NULL : text_value(p->a, p->v, p->loc, f->name, x);
}

static void put_str(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	p->s->str[f->arg] = null ? NULL : str_value(p->a, p->v, p->loc, f->name, x);
}

static void put_usage(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	(void)f;
	if (!null)
		usage_value(p->s, p->v, p->loc, x);
}

/* A cost replaces every cost of the span (its parts would no longer add up to it) and is the
 * client's: no longer one the price table computed, which a PATCH's pricing would put back
 * (lib/model/price.h). */
static void put_cost(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	struct span *s = p->s;
	double d = NAN;
	/* Rounded to the 6 decimals every cost keeps (catalog_cost; reference nemo-intake.md 5):
	 * stored unrounded, sub-micro-USD costs showed 0 each and summed to 1e-06 in their trace.
	 */
	if (!null && !catalog_cost(x, &d)) {
		verrs_add_field(p->v, p->loc, f->name, "decimal_type",
				"must be a number from 0 to 1000000000", x);
		return;
	}
	s->cost_total_usd = d;
	s->cost_input_usd = s->cost_output_usd = NAN;
	json_decref(s->cost_details);
	s->cost_details = NULL;
	if (s->raw_attributes) {
		json_object_del(s->raw_attributes, PRICE_COMPUTED_KEY);
		json_object_del(s->raw_attributes, PRICE_TABLE_KEY);
	}
}

static void put_error(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	(void)f, (void)null;
	error_value(p->a, p->s, p->v, p->loc, x);
}

static void put_thread(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (!null && (sv = id_value(p->a, p->v, p->loc, f->name, x))) {
		p->s->session_id = sv;
		span_raw_set(p->s, "opik.thread_id", json_incref(x));
	}
}

const char *opik_thread_of(const struct span *s)
{
	json_t *x = span_raw(s, "opik.thread_id");
	if (json_is_string(x))
		return json_string_value(x);
	return s->session_id && !span_session_default(s) ? s->session_id : NULL;
}

static bool kept_ok(enum kept k, json_t *x)
{
	size_t i;
	json_t *t;
	switch (k) {
	case K_TAGS:
		if (!json_is_array(x))
			return false;
		json_array_foreach(x, i, t) if (!json_is_string(t)) return false;
		return true;
	case K_NUMBER:
		return json_is_number(x);
	case K_STRING:
		return json_is_string(x);
	default:
		return true;
	}
}

static void put_keep(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	static const char *const want[] = {"", "must be a list of strings", "must be a number",
					   "must be a string"};
	if (!null && !kept_ok((enum kept)f->arg, x)) {
		verrs_add_field(p->v, p->loc, f->name, "type_error", want[f->arg], x);
		return;
	}
	if (null && p->s->raw_attributes)
		json_object_del(p->s->raw_attributes, raw_key(p->a, f->name));
	else if (!null)
		span_raw_set(p->s, raw_key(p->a, f->name), json_deep_copy(x));
}

void opik_apply(struct arena *a, const char *ws, enum opik_entity ent, json_t *obj, bool create,
		struct span *s, struct verrs *v, json_t *loc)
{
	if (!json_is_object(obj)) {
		verrs_add(v, loc, "dict_type", "must be an object", json_incref(obj));
		return;
	}
	const char *was_trace = s->trace_id; /* an update's: the stored span's */
	if (create) {
		s->workspace = ws;
		s->source = OPIK_SOURCE;
		s->kind = KIND_CHAIN; /* Opik's "general"; a trace has no type */
		s->status = SPST_SUCCESS;
		s->str[SS_PROJECT] = OPIK_DEFAULT_PROJECT;
		if (ent == OPIK_TRACE)
			span_raw_set(s, RAW_ENTITY, json_string("trace"));
		char ts[40];
		time_format(time_now(), ts);
		span_raw_set(s, "opik.created_at", json_string(ts));
	}
	const struct ingest_put p = {a, s, v, loc, create};
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *x = json_object_get(obj, f->name);
		/* A PATCH's null is a field not sent: Opik's update sets only what is not null. */
		if (!x || (f->only >= 0 && f->only != (int)ent) || (!create && json_is_null(x)))
			continue;
		f->put(f, &p, x, json_is_null(x));
	}
	if (create) {
		/* An id not sent, or null (both APIs' id is optional), is made here. */
		json_t *id = json_object_get(obj, "id");
		if (!s->span_id && (!id || json_is_null(id)))
			s->span_id = hash_uuid(a, 7);
		if (!json_object_get(obj, "start_time") ||
		    json_is_null(json_object_get(obj, "start_time")))
			verrs_add_field(v, loc, "start_time", "missing", "Field required", NULL);
		if (ent == OPIK_TRACE) {
			s->trace_id = s->span_id;
			s->parent_span_id = NULL;
		} else if (!s->trace_id && (!json_object_get(obj, "trace_id") ||
					    json_is_null(json_object_get(obj, "trace_id")))) {
			verrs_add_field(v, loc, "trace_id", "missing", "Field required", NULL);
		}
		if (!s->session_id)
			s->session_id = s->trace_id ? s->trace_id : s->span_id;
	}
	/* A span created without a parent hangs under its trace's row (map.h); one moved to
	 * another trace, with no parent, its old trace's row or the parent it had there (the
	 * update names none), hangs under the new one's: never under a span of another trace. An
	 * update within the trace leaves the parent, or none, as stored: a span another API wrote
	 * as its trace's root stays the root (an Opik SDK's update sends trace_id and would have
	 * hung it under an id of no span). */
	bool orphan = !s->parent_span_id || !*s->parent_span_id;
	bool moved = was_trace && strcmp(was_trace, s->trace_id ? s->trace_id : "");
	json_t *parent = json_object_get(obj, "parent_span_id");
	if (ent == OPIK_SPAN && s->trace_id &&
	    (create ? orphan
		    : moved && (orphan || !parent || json_is_null(parent) ||
				!strcmp(s->parent_span_id, was_trace))))
		s->parent_span_id = s->trace_id;
	/* A parent sent that is the span itself, as direct ingest and Scale GP refuse it. */
	if (ent == OPIK_SPAN && create && s->span_id && json_is_string(parent) &&
	    !strcmp(s->span_id, json_string_value(parent)))
		verrs_add_field(v, loc, "parent_span_id", "value_error", "must differ from id",
				NULL);
	json_decref(loc);
}

bool opik_is_trace_row(const struct span *s)
{
	const char *e = json_string_value(span_raw(s, RAW_ENTITY));
	return e && !strcmp(e, "trace");
}

int opik_line_is_trace_row(const struct span_line *m)
{
	const char *v;
	size_t vn;
	int has = span_line_attr(m, RAW_ENTITY, &v, &vn);
	return has <= 0 ? has : vn == 7 && !memcmp(v, "\"trace\"", 7) ? 1 : -1;
}

/* ---- reading back ---- */

static bool excluded(json_t *exclude, const char *name)
{
	size_t i;
	json_t *x;
	json_array_foreach(exclude, i, x)
	{
		if (json_is_string(x) && !strcmp(json_string_value(x), name))
			return true;
	}
	return false;
}

static void key(struct buf *b, bool *first, const char *name)
{
	buf_adds(b, *first ? "{\"" : ",\"");
	buf_adds(b, name);
	buf_adds(b, "\":");
	*first = false;
}

static void str_or_null(struct buf *b, const char *s)
{
	if (s)
		jsonw_string(b, s, strlen(s));
	else
		buf_adds(b, "null");
}

/* input and output as Opik wants them (§4.4: an object, an array of objects or a string):
 * stored JSON text that parses to one of those is that; anything else reads as a string. */
static void text_out(struct buf *b, const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	bool ok = json_is_object(j) || json_is_string(j);
	if (json_is_array(j)) {
		size_t i;
		json_t *x;
		ok = true;
		json_array_foreach(j, i, x) ok = ok && json_is_object(x);
	}
	if (ok)
		jsonw_value(b, j);
	else
		jsonw_string(b, text, strlen(text));
	json_decref(j);
}

static void time_out(struct buf *b, int64_t us)
{
	char ts[40];
	time_format(us, ts);
	jsonw_string(b, ts, strlen(ts));
}

json_t *opik_usage(const struct span *s, const struct query_rollup *u, enum opik_entity ent)
{
	static const char *const names[] = {"prompt_tokens", "completion_tokens", "total_tokens"};
	int64_t v[3] = {s->input_tokens, s->output_tokens, s->total_tokens};
	bool has[3] = {v[0] != SPAN_NONE_I64, v[1] != SPAN_NONE_I64, v[2] != SPAN_NONE_I64};
	if (ent == OPIK_TRACE && u) {
		v[0] = u->tok[QT_INPUT], v[1] = u->tok[QT_OUTPUT], v[2] = u->tok[QT_TOTAL];
		has[0] = u->has_tok[QT_INPUT], has[1] = u->has_tok[QT_OUTPUT],
		has[2] = u->has_tok[QT_TOTAL];
	}
	json_t *o = json_object();
	for (int i = 0; i < 3; i++)
		if (has[i])
			json_object_set_new(o, names[i], json_integer(v[i]));
	/* A span's details sit beside its counts (OpenInference sends reasoning tokens as a
	 * detail): a detail never hides a count, and a count the client named itself stays. */
	if (ent == OPIK_SPAN && s->usage_details)
		json_object_update_missing(o, s->usage_details);
	return o;
}

/* The input and output as the span's line holds them (JSON string literals), when the caller
 * took them out of the line before parsing it; NULL for absent. */
struct raw_io {
	const char *v[2];
	size_t n[2];
};

/* input or output (§4.4) from its literal: the literal itself when its text cannot be an
 * object, an array or a string (it does not start, after white space, with {, [ or an
 * escaped quote), so the long texts of most spans are copied, not parsed and written again;
 * else as text_out decides. */
static void raw_text_out(struct buf *b, struct arena *a, const char *v, size_t vn)
{
	size_t i = 1; /* past the quote, over white space: raw, or escaped as \n \t \r */
	for (;;) {
		if (i + 1 < vn && v[i] == ' ')
			i++;
		else if (i + 2 < vn && v[i] == '\\' && memchr("ntr", v[i + 1], 3))
			i += 2;
		else
			break;
	}
	if (i + 1 < vn && v[i] != '{' && v[i] != '[' && !(v[i] == '\\' && v[i + 1] == '"')) {
		buf_add(b, v, vn);
		return;
	}
	char *text = arena_alloc(a, vn + 1);
	size_t tn = jline_unquote(v, vn, text, vn + 1);
	if (tn == (size_t)-1) {
		buf_add(b, v, vn); /* not reached for a line spandex wrote */
		return;
	}
	text[tn] = 0;
	text_out(b, text);
}

static void render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		   const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude,
		   const struct raw_io *io);

void opik_render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		 const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude)
{
	render(out, a, ent, s, u, marks, exclude, NULL);
}

bool opik_render_line(struct buf *out, struct arena *a, enum opik_entity ent, const char *line,
		      size_t n, const struct query_rollup *u, const struct opik_marks *marks,
		      json_t *exclude)
{
	struct raw_io io = {{NULL, NULL}, {0, 0}};
	struct buf *slim = arena_buf(a);
	struct jline_member m;
	size_t pos = 0, last = 0;
	while (jline_next(line, n, &pos, &m)) {
		int k = m.kn == 5 && !memcmp(m.k, "input", 5)	 ? 0
			: m.kn == 6 && !memcmp(m.k, "output", 6) ? 1
								 : -1;
		if (k < 0 || m.start == 0 || m.vn < 2 || m.v[0] != '"')
			continue;
		buf_add(slim, line + last, m.start - last);
		last = m.end;
		io.v[k] = m.v;
		io.n[k] = m.vn;
	}
	buf_add(slim, line + last, n - last);
	struct span s;
	json_t *root;
	if (!span_parse(slim->p, slim->len, &s, &root))
		return false;
	render(out, a, ent, &s, u, marks, exclude, &io);
	span_clear(&s);
	json_decref(root);
	return true;
}

/* ---- the members of a rendered trace or span, in Opik's order ---- */

/* What a member's writer has at hand. */
struct out {
	struct buf *b;
	struct arena *a;
	enum opik_entity ent;
	const struct span *s;
	const struct query_rollup *u;	/* a trace's rollup of its spans, or NULL */
	const struct opik_marks *marks; /* its scores and comments, or NULL */
	const struct raw_io *io;	/* input and output as the line holds them, or NULL */
	json_t *exclude;
	bool first;
};
struct member;
/* Writes the member (its key through member_key, then its value) when the span has one. */
typedef void out_fn(struct out *o, const struct member *m);

static void member_key(struct out *o, const struct member *m);

static const char *project_of(const struct span *s)
{
	return s->str[SS_PROJECT] ? s->str[SS_PROJECT] : OPIK_DEFAULT_PROJECT;
}

static void o_id(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, o->ent == OPIK_TRACE ? o->s->trace_id : o->s->span_id);
}

static void o_project(struct out *o, const struct member *m)
{
	member_key(o, m);
	jsonw_string(o->b, project_of(o->s), strlen(project_of(o->s)));
}

static void o_project_id(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, opik_project_id(o->a, project_of(o->s)));
}

static void o_trace(struct out *o, const struct member *m)
{
	member_key(o, m);
	str_or_null(o->b, o->s->trace_id);
}

/* The trace's row is no span of Opik's: its children are the trace's top spans. */
static void o_parent(struct out *o, const struct member *m)
{
	const struct span *s = o->s;
	bool top = !s->parent_span_id || !*s->parent_span_id ||
		   (s->trace_id && !strcmp(s->parent_span_id, s->trace_id));
	member_key(o, m);
	str_or_null(o->b, top ? NULL : s->parent_span_id);
}

static void o_type(struct out *o, const struct member *m)
{
	const char *t = crosswalk_type(CW_OPIK, o->s);
	member_key(o, m);
	jsonw_string(o->b, t, strlen(t));
}

static void o_str(struct out *o, const struct member *m);
static void o_time(struct out *o, const struct member *m);
static void o_text(struct out *o, const struct member *m);
static void o_kept(struct out *o, const struct member *m);
static void o_thread(struct out *o, const struct member *m);
static void o_error(struct out *o, const struct member *m);
static void o_usage(struct out *o, const struct member *m);
static void o_cost(struct out *o, const struct member *m);
static void o_duration(struct out *o, const struct member *m);
static void o_scores(struct out *o, const struct member *m);
static void o_comments(struct out *o, const struct member *m);
static void o_const(struct out *o, const struct member *m);
static void o_created(struct out *o, const struct member *m);
static void o_updated(struct out *o, const struct member *m);
static void o_span_count(struct out *o, const struct member *m);
static void o_llm_count(struct out *o, const struct member *m);
static void o_has_tools(struct out *o, const struct member *m);

enum { M_ALWAYS, M_EXCLUDABLE }; /* whether `exclude` may leave the member out */

static const struct member {
	const char *name;
	out_fn *put;
	int only;	  /* -1 both, else the one enum opik_entity that has it */
	int excl;	  /* M_ALWAYS or M_EXCLUDABLE */
	int arg;	  /* o_str: enum span_str; o_time, o_text: 0 start/input, 1 end/output */
	const char *text; /* o_const: the value */
} members[] = {
    {"id", o_id, -1, M_ALWAYS, 0, NULL},
    {"project_name", o_project, -1, M_ALWAYS, 0, NULL},
    {"project_id", o_project_id, -1, M_ALWAYS, 0, NULL},
    {"trace_id", o_trace, OPIK_SPAN, M_ALWAYS, 0, NULL},
    {"parent_span_id", o_parent, OPIK_SPAN, M_ALWAYS, 0, NULL},
    {"type", o_type, OPIK_SPAN, M_EXCLUDABLE, 0, NULL},
    {"name", o_str, -1, M_EXCLUDABLE, -1, NULL},
    {"start_time", o_time, -1, M_EXCLUDABLE, 0, NULL},
    {"end_time", o_time, -1, M_EXCLUDABLE, 1, NULL},
    {"input", o_text, -1, M_EXCLUDABLE, 0, NULL},
    {"output", o_text, -1, M_EXCLUDABLE, 1, NULL},
    {"model", o_str, OPIK_SPAN, M_EXCLUDABLE, SS_MODEL, NULL},
    {"provider", o_str, OPIK_SPAN, M_EXCLUDABLE, SS_PROVIDER, NULL},
    /* What was kept verbatim (the fields table's put_keep), each excludable. */
    {NULL, o_kept, -1, M_ALWAYS, 0, NULL},
    {"thread_id", o_thread, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"error_info", o_error, -1, M_EXCLUDABLE, 0, NULL},
    {"usage", o_usage, -1, M_EXCLUDABLE, 0, NULL},
    {"total_estimated_cost", o_cost, -1, M_EXCLUDABLE, 0, NULL},
    {"duration", o_duration, -1, M_EXCLUDABLE, 0, NULL},
    {"feedback_scores", o_scores, -1, M_EXCLUDABLE, 0, NULL},
    {"comments", o_comments, -1, M_EXCLUDABLE, 0, NULL},
    {"created_at", o_created, -1, M_EXCLUDABLE, 0, NULL},
    {"last_updated_at", o_updated, -1, M_EXCLUDABLE, 0, NULL},
    {"created_by", o_const, -1, M_EXCLUDABLE, 0, "\"admin\""},
    {"last_updated_by", o_const, -1, M_EXCLUDABLE, 0, "\"admin\""},
    {"span_count", o_span_count, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"llm_span_count", o_llm_count, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
    {"has_tool_spans", o_has_tools, OPIK_TRACE, M_EXCLUDABLE, 0, NULL},
};

static void member_key(struct out *o, const struct member *m)
{
	key(o->b, &o->first, m->name);
}

/* name (arg -1) or a typed string (model, provider), when the span has it. */
static void o_str(struct out *o, const struct member *m)
{
	const char *v = m->arg < 0 ? o->s->name : o->s->str[m->arg];
	if (!v)
		return;
	member_key(o, m);
	jsonw_string(o->b, v, strlen(v));
}

static void o_time(struct out *o, const struct member *m)
{
	int64_t us = m->arg ? o->s->ended_at : o->s->started_at;
	if (m->arg && us == SPAN_NONE_I64)
		return;
	member_key(o, m);
	time_out(o->b, us);
}

static void o_text(struct out *o, const struct member *m)
{
	const char *text = m->arg ? o->s->output : o->s->input;
	bool raw = o->io && o->io->v[m->arg];
	if (!text && !raw)
		return;
	member_key(o, m);
	if (raw)
		raw_text_out(o->b, o->a, o->io->v[m->arg], o->io->n[m->arg]);
	else
		text_out(o->b, text);
}

static void o_kept(struct out *o, const struct member *m)
{
	(void)m;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *x = f->put == put_keep ? span_raw(o->s, raw_key(o->a, f->name)) : NULL;
		if (x && !excluded(o->exclude, f->name) &&
		    (f->only < 0 || f->only == (int)o->ent)) {
			key(o->b, &o->first, f->name);
			jsonw_value(o->b, x);
		}
	}
}

static void o_thread(struct out *o, const struct member *m)
{
	const char *t = opik_thread_of(o->s);
	if (!t)
		return;
	member_key(o, m);
	jsonw_string(o->b, t, strlen(t));
}

/* The error_info object as it came, or one made from the typed fields of a span that came
 * another way. */
static void o_error(struct out *o, const struct member *m)
{
	const struct span *s = o->s;
	json_t *e = span_raw(s, "opik.error_info");
	if (s->status != SPST_ERROR)
		return;
	member_key(o, m);
	if (e) {
		jsonw_value(o->b, e);
		return;
	}
	const char *t = s->str[SS_ERROR_TYPE] ? s->str[SS_ERROR_TYPE] : "Error";
	buf_adds(o->b, "{\"exception_type\":");
	jsonw_string(o->b, t, strlen(t));
	if (s->str[SS_ERROR_MESSAGE]) {
		buf_adds(o->b, ",\"message\":");
		jsonw_string(o->b, s->str[SS_ERROR_MESSAGE], strlen(s->str[SS_ERROR_MESSAGE]));
	}
	buf_adds(o->b, ",\"traceback\":\"\"}");
}

static void o_usage(struct out *o, const struct member *m)
{
	json_t *usage = opik_usage(o->s, o->u, o->ent);
	if (json_object_size(usage)) {
		member_key(o, m);
		jsonw_value(o->b, usage);
	}
	json_decref(usage);
}

static void o_cost(struct out *o, const struct member *m)
{
	const struct query_rollup *u = o->u;
	double cost = o->ent == OPIK_TRACE && u ? (u->has_cost[QC_TOTAL] ? u->cost[QC_TOTAL] : NAN)
						: o->s->cost_total_usd;
	if (isnan(cost))
		return;
	member_key(o, m);
	jsonw_number(o->b, round(cost * 1e6) / 1e6);
}

static void o_duration(struct out *o, const struct member *m)
{
	if (o->s->ended_at == SPAN_NONE_I64)
		return;
	member_key(o, m);
	jsonw_number(o->b, (double)(o->s->ended_at - o->s->started_at) / 1000.0);
}

static void o_scores(struct out *o, const struct member *m)
{
	member_key(o, m);
	opik_scores_out(o->b, o->a, o->marks, span_raw(o->s, OPIK_LEGACY_SCORES));
}

static void o_comments(struct out *o, const struct member *m)
{
	member_key(o, m);
	opik_comments_out(o->b, o->a, o->marks);
}

static void o_const(struct out *o, const struct member *m)
{
	member_key(o, m);
	buf_adds(o->b, m->text);
}

static void o_created(struct out *o, const struct member *m)
{
	json_t *created = span_raw(o->s, "opik.created_at");
	member_key(o, m);
	if (json_is_string(created))
		jsonw_value(o->b, created);
	else
		time_out(o->b, o->s->ingested_at);
}

int64_t opik_line_created(struct arena *a, const char *raw, size_t rawn, int64_t ingested)
{
	static const char key[] = "opik.created_at";
	const char *text, *v;
	size_t vn;
	int64_t us;
	/* Most lines of other APIs hold no such key: their attributes are not decoded. */
	if (!raw || !memmem(raw, rawn, key, sizeof key - 1) || !(text = jline_text(a, raw, rawn)) ||
	    !jline_get(text, strlen(text), key, &v, &vn) || !(text = jline_text(a, v, vn)) ||
	    !time_parse(text, false, &us))
		return ingested;
	return us;
}

/* Kept verbatim when the client sent it (o_kept); else the version's own time. */
static void o_updated(struct out *o, const struct member *m)
{
	if (span_raw(o->s, "opik.last_updated_at"))
		return;
	member_key(o, m);
	time_out(o->b, o->s->ingested_at);
}

/* The trace's own row is not one of its spans. */
static void o_span_count(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_printf(o->b, "%lld", (long long)(o->u->spans - (opik_is_trace_row(o->s) ? 1 : 0)));
}

/* Of the trace's spans, those of type llm (its own row is of none). */
static void o_llm_count(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_printf(o->b, "%lld", (long long)o->u->llm);
}

static void o_has_tools(struct out *o, const struct member *m)
{
	if (!o->u)
		return;
	member_key(o, m);
	buf_adds(o->b, o->u->tools ? "true" : "false");
}

static void render(struct buf *out, struct arena *a, enum opik_entity ent, const struct span *s,
		   const struct query_rollup *u, const struct opik_marks *marks, json_t *exclude,
		   const struct raw_io *io)
{
	struct out o = {out, a, ent, s, u, marks, io, exclude, true};

	for (size_t i = 0; i < sizeof members / sizeof *members; i++) {
		const struct member *m = &members[i];
		if ((m->only < 0 || m->only == (int)ent) &&
		    !(m->excl == M_EXCLUDABLE && excluded(exclude, m->name)))
			m->put(&o, m);
	}
	buf_addc(out, '}');
}
