/* map: Scale GP v5 spans <-> spandex spans (map.h). */
#include "lib/api/egp/map.h"

#include <stdio.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/time.h"
#include "lib/ingest/ingest.h"
#include "lib/json/jsonw.h"
#include "lib/model/crosswalk.h"
#include "lib/model/vschema.h"

/* The table. Each SGP field, the hook that puts it into the span, whether a PATCH may change
 * it (§4.2), and the Span members it fills (docs/attributes.md's Scale GP table is made from this
 * column, and t/check_egp applies each field to check it). */
/* Scale GP's span types (otel-egp.md §4.4): 25 plus OUTPUT_GUARDRAIL, each stored as a kind;
 * the first of a kind is what a span of that kind from elsewhere reads back as. */
static const struct crosswalk_row egp_types[] = {
    {KIND_LLM, "COMPLETION"},
    {KIND_LLM, "COMPLETION_INPUT"},
    {KIND_LLM, "PROMPT_ENGINEERING"},
    {KIND_LLM, "DOCUMENT_PROMPT"},
    {KIND_RETRIEVER, "KB_RETRIEVAL"},
    {KIND_RETRIEVER, "KB_INPUT"},
    {KIND_RETRIEVER, "DOCUMENT_SEARCH"},
    {KIND_RETRIEVER, "FILE_RETRIEVAL"},
    {KIND_RERANKER, "RERANKING"},
    {KIND_TOOL, "CODE_EXECUTION"},
    {KIND_TOOL, "EXTERNAL_ENDPOINT"},
    {KIND_TOOL, "KB_ADD_CHUNK"},
    {KIND_TOOL, "KB_MANAGEMENT"},
    {KIND_EVALUATOR, "EVALUATION"},
    {KIND_GUARDRAIL, "GUARDRAIL"},
    {KIND_GUARDRAIL, "OUTPUT_GUARDRAIL"},
    {KIND_AGENT, "AGENT_TRACER"},
    {KIND_AGENT, "AGENT_WORKFLOW"},
    {KIND_CHAIN, "TRACER"},
    {KIND_CHAIN, "MAP_REDUCE"},
    {KIND_CHAIN, "TEXT_INPUT"},
    {KIND_CHAIN, "TEXT_OUTPUT"},
    {KIND_CHAIN, "DOCUMENT_INPUT"},
    {KIND_CHAIN, "DATA_MANIPULATION"},
    {KIND_CHAIN, "CUSTOM"},
    {KIND_UNKNOWN, "STANDALONE"},
    {KIND_EMBEDDING, "STANDALONE"},
};
/* In the order of SGP's SpanType enum (its 422 lists them so). */
static const char *const egp_type_names[] = {
    "TEXT_INPUT",
    "TEXT_OUTPUT",
    "COMPLETION_INPUT",
    "COMPLETION",
    "KB_RETRIEVAL",
    "KB_INPUT",
    "RERANKING",
    "EXTERNAL_ENDPOINT",
    "PROMPT_ENGINEERING",
    "DOCUMENT_INPUT",
    "MAP_REDUCE",
    "DOCUMENT_SEARCH",
    "DOCUMENT_PROMPT",
    "CUSTOM",
    "CODE_EXECUTION",
    "DATA_MANIPULATION",
    "EVALUATION",
    "FILE_RETRIEVAL",
    "KB_ADD_CHUNK",
    "KB_MANAGEMENT",
    "GUARDRAIL",
    "OUTPUT_GUARDRAIL",
    "TRACER",
    "AGENT_TRACER",
    "AGENT_WORKFLOW",
    "STANDALONE",
    NULL,
};
/* SGP's statuses (otel-egp.md §4.4). A span from a source that said nothing (unknown) reads as
 * SUCCESS, SGP's default, so a filter for SUCCESS finds it too. */
static const struct crosswalk_status egp_statuses[] = {
    {SPST_SUCCESS, "SUCCESS"},
    {SPST_ERROR, "ERROR"},
    {SPST_CANCELLED, "CANCELED"},
    {SPST_UNKNOWN, "SUCCESS"},
};
const struct crosswalk egp_crosswalk = {
    .attr = "sgp.type",
    .rows = egp_types,
    .nrows = sizeof egp_types / sizeof *egp_types,
    .fallback = "STANDALONE",
    .keep_unlisted = true, /* SGP asks servers to take unknown uppercase types */
    .statuses = egp_statuses,
    .nstatuses = sizeof egp_statuses / sizeof *egp_statuses,
    .types = egp_type_names,
};

/* Where Scale GP's Span shows the line's fields (egp_render puts them there). */
const char *const egp_field_names[SF__COUNT] = {
    [SF_SPAN_ID] = "id",
    [SF_PARENT_SPAN_ID] = "parent_id",
    [SF_KIND] = "type",
    [SF_NAME] = "name",
    [SF_TRACE_ID] = "trace_id",
    [SF_STARTED_AT] = "start_timestamp",
    [SF_ENDED_AT] = "end_timestamp",
    [SF_STATUS] = "status",
    [SF_INPUT_TOKENS] = "input_tokens",
    [SF_OUTPUT_TOKENS] = "output_tokens",
    [SF_INPUT] = "input",
    [SF_OUTPUT] = "output",
};

struct field;
typedef void put_fn(const struct field *f, const struct ingest_put *p, json_t *x, bool null);
static put_fn put_id, put_trace, put_parent, put_name, put_time, put_object, put_status, put_type,
    put_keep;

static const struct field {
	const char *name;
	put_fn *put;
	int arg; /* put_object: 0 input, 1 output; put_keep: 1 must be an object (else a string) */
	bool patch;
	const char *span;
} fields[] = {
    {"id", put_id, 0, false, "span_id"},
    {"trace_id", put_trace, 0, false, "trace_id, session_id"},
    {"parent_id", put_parent, 0, false, "parent_span_id"},
    {"name", put_name, 0, true, "name"},
    {"start_timestamp", put_time, 0, false, "started_at"},
    {"end_timestamp", put_time, 1, true, "ended_at"},
    {"input", put_object, 0, false, "input (the object's JSON text)"},
    {"output", put_object, 1, true, "output (the object's JSON text)"},
    {"status", put_status, 0, true, "status (lib/model/crosswalk)"},
    {"type", put_type, 0, false, "kind (lib/model/crosswalk)"},
    /* Kept in raw_attributes as "sgp.<name>"; the metadata's error_type and error_message
     * (the tracing SDK's raised exception, §4.7) are the span's too. */
    {"metadata", put_keep, 1, true, "raw sgp.metadata, error_type, error_message"},
    {"expected", put_keep, 1, false, "raw sgp.expected"},
    {"group_id", put_keep, 0, false, "raw sgp.group_id"},
    {"application_interaction_id", put_keep, 0, false, "raw sgp.application_interaction_id"},
    {"application_variant_id", put_keep, 0, false, "raw sgp.application_variant_id"},
};
#define NFIELDS (sizeof fields / sizeof *fields)

bool egp_map_row(size_t i, const char **name, bool *patch, const char **span)
{
	if (i >= NFIELDS)
		return false;
	*name = fields[i].name;
	*patch = fields[i].patch;
	*span = fields[i].span;
	return true;
}

/* An id: the rule of every ingest format (vs_id), and at most max characters. */
static const char *id_value(struct verrs *v, json_t *loc, const char *name, json_t *x, size_t max)
{
	json_t *l = vs_loc(loc, name);
	bool ok = vs_id(v, l, x) && vs_str_len(v, l, x, 1, max);
	json_decref(l);
	return ok ? json_string_value(x) : NULL;
}

/* ---- the fields' hooks ---- */

static void put_id(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (!null && (sv = id_value(p->v, p->loc, f->name, x, SPAN_MAX_ID)))
		p->s->span_id = sv;
}

static void put_trace(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (null) /* required, and a string (pydantic's str) */
		verrs_add_field(p->v, p->loc, f->name, "string_type",
				"Input should be a valid string", x);
	else if ((sv = id_value(p->v, p->loc, f->name, x, EGP_MAX_TRACE_ID)))
		p->s->trace_id = p->s->session_id = sv;
}

static void put_parent(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *sv;
	if (!null && (sv = id_value(p->v, p->loc, f->name, x, SPAN_MAX_ID)))
		p->s->parent_span_id = sv;
}

static void put_name(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	(void)null;
	if (json_is_string(x))
		p->s->name = arena_strdup(p->a, json_string_value(x));
	else
		verrs_add_field(p->v, p->loc, f->name, "string_type",
				"Input should be a valid string", x);
}

static void put_time(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	int64_t us;
	if (null && f->arg) {
		p->s->ended_at = SPAN_NONE_I64;
		return;
	}
	if (!vs_datetime(x, &us)) {
		verrs_add_field(p->v, p->loc, f->name, "datetime_from_date_parsing",
				"Input should be a valid datetime", x);
		return;
	}
	*(f->arg ? &p->s->ended_at : &p->s->started_at) = us;
}

static void put_object(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char **slot = f->arg ? &p->s->output : &p->s->input;
	if (null) {
		*slot = NULL;
	} else if (json_is_object(x)) {
		struct buf *b = arena_buf(p->a);
		jsonw_value(b, x);
		*slot = arena_strndup(p->a, b->p, b->len);
	} else {
		verrs_add_field(p->v, p->loc, f->name, "dict_type",
				"Input should be a valid dictionary", x);
	}
}

static void put_status(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	int k = null ? SPST_SUCCESS : crosswalk_status(&egp_crosswalk, json_string_value(x));
	if (k < 0)
		verrs_add_field(p->v, p->loc, f->name, "enum",
				"Input should be 'SUCCESS', 'ERROR' or 'CANCELED'", x);
	else
		p->s->status = (enum span_status)k;
}

/* SGP asks servers to take unknown uppercase types (otel-egp.md §4.4). */
static void put_type(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	if (!null && !json_is_string(x)) {
		verrs_add_field(p->v, p->loc, f->name, "enum", "Input should be a valid SpanType",
				x);
		return;
	}
	p->s->kind =
	    (enum span_kind)crosswalk_kind(&egp_crosswalk, null ? NULL : json_string_value(x));
	crosswalk_set_type(&egp_crosswalk, p->s, null ? NULL : x);
}

static void put_keep(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	const char *key = arena_printf(p->a, "sgp.%s", f->name);
	if (null) {
		if (p->s->raw_attributes)
			json_object_del(p->s->raw_attributes, key);
	} else if (f->arg ? json_is_object(x) : json_is_string(x)) {
		span_raw_set(p->s, key, json_deep_copy(x));
	} else {
		verrs_add_field(p->v, p->loc, f->name, f->arg ? "dict_type" : "string_type",
				f->arg ? "Input should be a valid dictionary"
				       : "Input should be a valid string",
				x);
	}
}

void egp_apply(struct arena *a, const char *ws, json_t *obj, bool create, struct span *s,
	       struct verrs *v, json_t *loc)
{
	if (!json_is_object(obj)) {
		verrs_add(v, loc, "model_attributes_type",
			  "Input should be a valid dictionary or object to extract fields from",
			  json_incref(obj));
		return;
	}
	if (create) {
		s->workspace = ws;
		s->source = EGP_SOURCE;
		s->kind = KIND_UNKNOWN; /* STANDALONE, SGP's default type */
		s->status = SPST_SUCCESS;
	}
	const struct ingest_put p = {a, s, v, loc, create};
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *x = json_object_get(obj, f->name);
		if (!x || (!create && !f->patch))
			continue;
		f->put(f, &p, x, json_is_null(x));
	}
	/* The tracing SDK writes a raised exception into the metadata (otel-egp.md §4.7): the
	 * span's error fields, so the other APIs show it as their own. */
	json_t *md = json_object_get(obj, "metadata");
	if (json_is_object(md)) {
		static const struct {
			const char *key;
			enum span_str field;
		} errs[] = {{"error_type", SS_ERROR_TYPE}, {"error_message", SS_ERROR_MESSAGE}};
		for (size_t i = 0; i < 2; i++) {
			const char *t = json_string_value(json_object_get(md, errs[i].key));
			s->str[errs[i].field] = t ? arena_strdup(a, t) : NULL;
		}
	}
	if (create) {
		static const char *const required[] = {"name", "trace_id", "start_timestamp"};
		for (size_t i = 0; i < 3; i++)
			if (!json_object_get(obj, required[i]))
				verrs_add_field(v, loc, required[i], "missing", "Field required",
						obj);
		/* An id not sent, or null (both APIs' id is optional), is made here. */
		json_t *id = json_object_get(obj, "id");
		if (!s->span_id && (!id || json_is_null(id)))
			s->span_id = hash_uuid(a, 4);
		if (!s->session_id)
			s->session_id = s->trace_id ? s->trace_id : s->span_id;
	}
	/* §4.2: 422 when the end precedes the start. */
	if (s->ended_at != SPAN_NONE_I64 && s->started_at != SPAN_NONE_I64 &&
	    s->ended_at < s->started_at)
		verrs_add_field(v, loc, "end_timestamp", "value_error",
				"Value error, end_timestamp must not precede start_timestamp",
				json_object_get(obj, "end_timestamp"));
	json_decref(loc);
}

bool egp_completed(const struct span *s)
{
	return s->ended_at != SPAN_NONE_I64;
}

json_t *egp_metadata(const struct span *s)
{
	/* SGP's own, or for a span from another API its typed fields of note. */
	json_t *md = span_raw(s, "sgp.metadata");
	if (md)
		return json_incref(md);
	md = json_object();
	for (int i = 0; i < SS__COUNT; i++)
		if (s->str[i])
			json_object_set_new(md, span_str_names[i], json_string(s->str[i]));
	return md;
}

static void time_out(struct buf *b, int64_t us)
{
	char ts[40];
	time_format(us, ts);
	jsonw_string(b, ts, strlen(ts));
}

/* input and output are objects in SGP: stored JSON text of an object is that object; other
 * text (a span from another API) reads as {"value": <it>}, a message list as {"messages"}. */
static void object_out(struct buf *b, const char *text)
{
	json_t *j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (json_is_object(j)) {
		jsonw_value(b, j);
	} else if (json_is_array(j)) {
		buf_adds(b, "{\"messages\":");
		jsonw_value(b, j);
		buf_addc(b, '}');
	} else if (text) {
		buf_adds(b, "{\"value\":");
		if (json_is_string(j))
			jsonw_value(b, j);
		else
			jsonw_string(b, text, strlen(text));
		buf_addc(b, '}');
	} else {
		buf_adds(b, "{}");
	}
	json_decref(j);
}

void egp_render(struct buf *out, struct arena *a, const struct span *s, const char *account)
{
	(void)a;
	buf_adds(out, "{\"id\":");
	jsonw_string(out, s->span_id, strlen(s->span_id));
	buf_adds(out, ",\"object\":\"span\",\"name\":");
	const char *name = s->name ? s->name : "";
	jsonw_string(out, name, strlen(name));
	buf_adds(out, ",\"trace_id\":");
	const char *trace = s->trace_id ? s->trace_id : s->span_id;
	jsonw_string(out, trace, strlen(trace));
	if (s->parent_span_id && *s->parent_span_id) {
		buf_adds(out, ",\"parent_id\":");
		jsonw_string(out, s->parent_span_id, strlen(s->parent_span_id));
	}
	buf_adds(out, ",\"start_timestamp\":");
	time_out(out, s->started_at);
	if (s->ended_at != SPAN_NONE_I64) {
		buf_adds(out, ",\"end_timestamp\":");
		time_out(out, s->ended_at);
	}
	buf_adds(out, ",\"input\":");
	object_out(out, s->input);
	buf_adds(out, ",\"output\":");
	object_out(out, s->output);
	json_t *md = egp_metadata(s);
	buf_adds(out, ",\"metadata\":");
	jsonw_value(out, md);
	json_decref(md);
	static const char *const kept[] = {"expected", "group_id", "application_interaction_id",
					   "application_variant_id"};
	for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
		char key[64];
		snprintf(key, sizeof key, "sgp.%s", kept[i]);
		json_t *x = span_raw(s, key);
		if (x) {
			buf_printf(out, ",\"%s\":", kept[i]);
			jsonw_value(out, x);
		}
	}
	buf_printf(
	    out, ",\"status\":\"%s\",\"type\":", crosswalk_status_name(&egp_crosswalk, s->status));
	const char *type = crosswalk_type(&egp_crosswalk, s);
	jsonw_string(out, type, strlen(type));
	buf_adds(out, ",\"account_id\":");
	jsonw_string(out, account, strlen(account));
	buf_adds(out, ",\"created_by\":{\"id\":\"spandex\",\"object\":\"identity\",\"type\":"
		      "\"service_account\"}");
	if (s->input_tokens != SPAN_NONE_I64)
		buf_printf(out, ",\"input_tokens\":%lld", (long long)s->input_tokens);
	if (s->output_tokens != SPAN_NONE_I64)
		buf_printf(out, ",\"output_tokens\":%lld", (long long)s->output_tokens);
	buf_addc(out, '}');
}
