/* map: Opik traces and spans -> spandex spans (map.h): the field table and its put hooks,
 * opik_apply; reading them back as Opik shows them is render.c. */
#include "lib/api/opik/map.h"
#include "lib/api/opik/map_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/ingest/ingest.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"
#include "lib/model/catalog_value.h"
#include "lib/model/crosswalk.h"
#include "lib/model/price.h"

/* The table. Each Opik field, the hook that puts it into the span (create or PATCH; null
 * clears an optional field, the ids and start_time are not optional), for which entity (both
 * unless said), and the Span members it fills (docs/attributes.md's Opik table is made from this
 * column, and t/check_opik applies each field to check it). */
struct field;
/* The JSON a kept field takes (Opik's types): any, a list of strings, a number, a string,
 * one of Opik's sources (its Source enum, which the SDK checks each item of a search for), a
 * payload as input's (an object, an array or a string, §8.1). */
enum kept { K_ANY, K_TAGS, K_NUMBER, K_STRING, K_SOURCE, K_PAYLOAD };
typedef void put_fn(const struct field *f, const struct ingest_put *p, json_t *x, bool null);
static put_fn put_id, put_trace, put_parent, put_project, put_name, put_type, put_start, put_end,
    put_text, put_str, put_usage, put_cost, put_error, put_thread, put_keep;

/* The rows opik_apply reads again after the walk, by their place in the table (a row put
 * before one of them makes -Wextra's override-init warning). */
enum { M_ID, M_TRACE, M_PARENT, M_START = 6, M_INPUT = 8, M_OUTPUT };
/* A row of a field kept verbatim in raw_attributes as "opik.<name>": the name written once. */
#define KEPT(name, kind, only)                                                                     \
	{                                                                                          \
		name, put_keep, kind, only, "raw opik." name, "opik." name                         \
	}
static const struct field {
	const char *name;
	put_fn *put;
	int arg;  /* put_str: enum span_str; put_text: 0 input, 1 output; put_keep: enum kept */
	int only; /* -1 both, else the one enum opik_entity it belongs to */
	const char *span;
	/* put_keep's raw_attributes key, "opik.<name>": a literal (made by arena_printf for each
	 * value it was 1.3M instructions of a batch of 1,000 Opik spans; callgrind) */
	const char *raw;
} fields[] = {
    [M_ID] = {"id", put_id, 0, -1, "span_id", NULL},
    /* A trace's id is its trace id; a span without a parent is a child of its trace's row. */
    [M_TRACE] = {"trace_id", put_trace, 0, OPIK_SPAN, "trace_id, session_id, parent_span_id", NULL},
    [M_PARENT] = {"parent_span_id", put_parent, 0, OPIK_SPAN, "parent_span_id", NULL},
    {"project_name", put_project, 0, -1, "project", NULL},
    {"name", put_name, 0, -1, "name", NULL},
    {"type", put_type, 0, OPIK_SPAN, "kind (lib/model/crosswalk)", NULL},
    [M_START] = {"start_time", put_start, 0, -1, "started_at", NULL},
    {"end_time", put_end, 0, -1, "ended_at", NULL},
    [M_INPUT] = {"input", put_text, 0, -1, "input (its JSON text)", NULL},
    [M_OUTPUT] = {"output", put_text, 1, -1, "output (its JSON text)", NULL},
    {"model", put_str, SS_MODEL, OPIK_SPAN, "model", NULL},
    {"provider", put_str, SS_PROVIDER, OPIK_SPAN, "provider", NULL},
    {"usage", put_usage, 0, OPIK_SPAN,
     "input_tokens, output_tokens, total_tokens (as sent), usage_details (a "
     "usage replaces every count: one it does not name, `cached_tokens` too, is cleared)",
     NULL},
    {"total_estimated_cost", put_cost, 0, OPIK_SPAN,
     "cost_total_usd (to 6 decimals; `cost_input_usd`, `cost_output_usd` and `cost_details` "
     "cleared)",
     NULL},
    {"error_info", put_error, 0, -1, "status, error_type, error_message, raw opik.error_info",
     NULL},
    {"thread_id", put_thread, 0, OPIK_TRACE, "session_id, raw opik.thread_id", NULL},
    /* Kept verbatim in raw_attributes as "opik.<name>". */
    KEPT("metadata", K_PAYLOAD, -1),
    KEPT("tags", K_TAGS, -1),
    KEPT("ttft", K_NUMBER, -1),
    KEPT("environment", K_STRING, -1),
    KEPT("source", K_SOURCE, -1),
    KEPT("total_estimated_cost_version", K_STRING, OPIK_SPAN),
    KEPT("last_updated_at", K_STRING, -1),
#undef KEPT
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

bool opik_kept_row(size_t i, const char **name, const char **raw, int *only)
{
	if (i >= NFIELDS)
		return false;
	*name = fields[i].put == put_keep ? fields[i].name : NULL;
	*raw = fields[i].raw;
	*only = fields[i].only;
	return true;
}

/* The ids made so far, by name: a list by project id (the Opik UI's) then finds the name it
 * stands for (opik_project_named) and takes the name's index condition and counts instead of
 * testing every root's project (issue 57: 323 ms a page at 1M spans against 4 ms by name), and
 * each id is a SHA-256 once a name. An id is the name's alone (120 bits of SHA-256), so the name
 * found is the only one a span could match it by. At most OPIK_PROJECT_IDS_KEPT names of at most
 * OPIK_PROJECT_NAME_KEPT bytes (docs/limits.md): past them an id is made each time and a list by
 * an id not kept tests each root's project, as before. */
struct made_id {
	uint64_t h;
	char *name;
	char id[40];
};
static struct made_id made[OPIK_PROJECT_IDS_KEPT];
static uint16_t made_slot[2 * OPIK_PROJECT_IDS_KEPT]; /* 1 + the index in made; 0: empty */
static size_t nmade;

const char *opik_project_id(struct arena *a, const char *name)
{
	size_t len = strlen(name);
	uint64_t h = hash_bytes(name, len);
	size_t mask = 2 * OPIK_PROJECT_IDS_KEPT - 1, i = h & mask;
	for (; made_slot[i]; i = (i + 1) & mask) {
		const struct made_id *m = &made[made_slot[i] - 1];
		if (m->h == h && !strcmp(m->name, name))
			return m->id;
	}
	const char *parts[] = {"opik-project", name};
	const char *x = hash_stable_id(a, "", parts, 2);
	/* The shape of a UUID version 8 (custom), so clients that check the format take it. */
	const char *id =
	    arena_printf(a, "%.8s-%.4s-8%.3s-a%.3s-%.12s", x, x + 8, x + 13, x + 17, x + 20);
	if (nmade < OPIK_PROJECT_IDS_KEPT && len <= OPIK_PROJECT_NAME_KEPT) {
		struct made_id *m = &made[nmade];
		m->h = h;
		m->name = xstrdup(name);
		snprintf(m->id, sizeof m->id, "%s", id);
		made_slot[i] = (uint16_t)++nmade;
	}
	return id;
}

const char *opik_project_named(const char *id)
{
	for (size_t i = 0; i < nmade; i++)
		if (!strcmp(made[i].id, id))
			return made[i].name;
	return NULL;
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

/* text_value's buffer, kept from value to value: a buffer of the arena's each was its
 * allocation, two or three reallocations as it grew and its release, 1.1M instructions of a
 * batch of 1,000 spans (callgrind). Let go past TEXT_SCRATCH_KEEP, so a worker does not hold
 * the largest text it ever wrote. */
#define TEXT_SCRATCH_KEEP (64 * 1024)
static struct buf text_scratch;

/* input, output: an object, an array or a string (§8.1), stored as its JSON text. */
static const char *text_value(struct arena *a, struct verrs *v, json_t *loc, const char *name,
			      json_t *x)
{
	if (!json_is_object(x) && !json_is_array(x) && !json_is_string(x)) {
		verrs_add_field(v, loc, name, "value_error",
				"must be an object, an array or a string", x);
		return NULL;
	}
	struct buf *b = &text_scratch;
	jsonw_value(b, x);
	const char *t = arena_strndup(a, b->p, b->len);
	buf_scratch_done(b, TEXT_SCRATCH_KEEP);
	return t;
}

_Static_assert(NFIELDS == OPIK_FIELDS, "map.h's count of the rows");

int opik_field_of(const char *k, size_t kl, size_t *at)
{
	size_t i = jsonx_name_of(&fields[0].name, sizeof *fields, NFIELDS, k, kl, at);
	return i < NFIELDS ? (int)i : -1;
}

int opik_text_row(int row)
{
	return row >= 0 && fields[row].put == put_text ? fields[row].arg : -1;
}

static void usage_value(struct span *s, struct verrs *v, json_t *loc, json_t *x, bool create)
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
	bool ints = true;
	if (!json_is_object(x)) {
		verrs_add_field(v, loc, "usage", "dict_type", "must be an object of integers", x);
		return;
	}
	json_object_foreach(x, k, n)
	{
		ints = ints && json_is_integer(n);
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
	/* A create's usage of integers is the item's own object, shared as put_keep shares a
	 * value (nothing reads a created item again): the copy was 0.6M instructions of a batch of
	 * 1,000 Opik spans. Else (a PATCH's, applied to many versions; a count as a real, rounded)
	 * a new object. */
	bool shared = create && ints;
	json_decref(s->usage_details);
	s->usage_details = shared ? json_incref(x) : json_object();
	s->input_tokens = s->output_tokens = s->total_tokens = s->cached_tokens = SPAN_NONE_I64;
	json_object_foreach(x, k, n)
	{
		json_int_t i = json_is_integer(n) ? json_integer_value(n)
						  : (json_int_t)llround(json_real_value(n));
		/* k is a name of a JSON object's: its UTF-8 checked when it was made */
		if (!shared)
			json_object_set_new_nocheck(s->usage_details, k, json_integer(i));
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
	/* Opik's ErrorInfo: exception_type and traceback required, message optional, all
	 * strings (opik.md 8.1); the SDK drops a searched item whose error_info lacks one. */
	static const char *const parts[] = {"exception_type", "traceback", "message"};
	bool ok = true;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		json_t *part = json_object_get(x, parts[i]);
		if (json_is_string(part) || (i == 2 && (!part || json_is_null(part))))
			continue;
		json_t *at = json_deep_copy(loc);
		json_array_append_new(at, json_string("error_info"));
		if (part && !json_is_null(part))
			verrs_add_field(v, at, parts[i], "string_type", "must be a string", part);
		else
			verrs_add_field(v, at, parts[i], "missing", "must not be blank", NULL);
		json_decref(at);
		ok = false;
	}
	if (!ok)
		return;
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

/* Opik's span types (opik.md §2): four, "general" for every kind without its own. */
static const struct crosswalk_row opik_types[] = {
    {KIND_LLM, "llm"},		 {KIND_TOOL, "tool"},	     {KIND_GUARDRAIL, "guardrail"},
    {KIND_CHAIN, "general"},	 {KIND_AGENT, "general"},    {KIND_RETRIEVER, "general"},
    {KIND_EMBEDDING, "general"}, {KIND_RERANKER, "general"}, {KIND_EVALUATOR, "general"},
    {KIND_UNKNOWN, "general"},
};
static const char *const opik_type_names[] = {"general", "tool", "llm", "guardrail", NULL};
const struct crosswalk opik_crosswalk = {
    .attr = "opik.type",
    .rows = opik_types,
    .nrows = sizeof opik_types / sizeof *opik_types,
    .fallback = "general",
    .types = opik_type_names,
};

static void put_type(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	int k = null ? KIND_CHAIN : crosswalk_kind(&opik_crosswalk, json_string_value(x));
	if (k < 0) {
		verrs_add_field(p->v, p->loc, f->name, "enum",
				"Input should be 'general', 'tool', 'llm' or 'guardrail'", x);
		return;
	}
	p->s->kind = (enum span_kind)k;
	crosswalk_set_type(&opik_crosswalk, p->s, null ? NULL : x);
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
		usage_value(p->s, p->v, p->loc, x, p->create);
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

static const char *const opik_sources[] = {"sdk", "experiment", "playground", "optimization"};

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
	case K_SOURCE:
		for (size_t j = 0; j < sizeof opik_sources / sizeof *opik_sources; j++)
			if (json_is_string(x) && !strcmp(json_string_value(x), opik_sources[j]))
				return true;
		return false;
	case K_PAYLOAD:
		return json_is_object(x) || json_is_array(x) || json_is_string(x);
	default:
		return true;
	}
}

static void put_keep(const struct field *f, const struct ingest_put *p, json_t *x, bool null)
{
	static const char *const want[] = {
	    "",
	    "must be a list of strings",
	    "must be a number",
	    "must be a string",
	    "Input should be 'sdk', 'experiment', 'playground' or 'optimization'",
	    "must be an object, an array or a string"};
	if (!null && !kept_ok((enum kept)f->arg, x)) {
		verrs_add_field(p->v, p->loc, f->name, "type_error", want[f->arg], x);
		return;
	}
	/* A create's value is the item's own, shared, not copied: nothing reads a created item
	 * again but its id (spans/write.c's create moves the whole item into its version), and
	 * the copy of each metadata object was 3.5M of a batch of 1,000 spans' 74M instructions
	 * (callgrind). A PATCH's body may be applied to many versions, each then redacted in
	 * place: each takes a copy. */
	if (null && p->s->raw_attributes)
		json_object_del(p->s->raw_attributes, f->raw);
	else if (!null)
		span_raw_set(p->s, f->raw, p->create ? json_incref(x) : json_deep_copy(x));
}

/* opik_apply of an object whose members are vals[i] by the row of their field. */
static void apply_vals(struct arena *a, const char *ws, enum opik_entity ent, json_t *const *vals,
		       bool create, struct span *s, struct verrs *v, json_t *loc)
{
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
		/* time_format's ASCII: no UTF-8 check (jansson's was 0.3M a batch of 1,000) */
		span_raw_set(s, "opik.created_at", json_string_nocheck(ts));
	}
	const struct ingest_put p = {a, s, v, loc, create};
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *x = vals[i];
		/* A PATCH's null is a field not sent: Opik's update sets only what is not null. */
		if (!x || (f->only >= 0 && f->only != (int)ent) || (!create && json_is_null(x)))
			continue;
		f->put(f, &p, x, json_is_null(x));
	}
	/* The members read again are the walk's (a lookup by name each was 0.9M instructions a
	 * batch of 1,000). */
	if (create) {
		/* An id not sent, or null (both APIs' id is optional), is made here. */
		json_t *id = vals[M_ID];
		if (!s->span_id && (!id || json_is_null(id)))
			s->span_id = hash_uuid(a, 7);
		if (!vals[M_START] || json_is_null(vals[M_START]))
			verrs_add_field(v, loc, "start_time", "missing", "Field required", NULL);
		if (ent == OPIK_TRACE) {
			s->trace_id = s->span_id;
			s->parent_span_id = NULL;
		} else if (!s->trace_id && (!vals[M_TRACE] || json_is_null(vals[M_TRACE]))) {
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
	json_t *parent = vals[M_PARENT];
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

void opik_apply(struct arena *a, const char *ws, enum opik_entity ent, json_t *obj, bool create,
		struct span *s, struct verrs *v, json_t *loc)
{
	if (!json_is_object(obj)) {
		verrs_add(v, loc, "dict_type", "must be an object", json_incref(obj));
		return;
	}
	/* Every field's value in one walk over obj's members: by name, 23 lookups a span, most of
	 * them of a field not sent (4.8M instructions a batch of 1,000). */
	json_t *vals[NFIELDS];
	jsonx_members(obj, &fields[0].name, sizeof *fields, NFIELDS, vals);
	apply_vals(a, ws, ent, vals, create, s, v, loc);
}

void opik_apply_item(struct arena *a, const char *ws, enum opik_entity ent,
		     const struct opik_item *it, struct span *s, struct verrs *v, json_t *loc)
{
	if (it->obj) {
		opik_apply(a, ws, ent, it->obj, true, s, v, loc);
		return;
	}
	s->input = it->text[fields[M_INPUT].arg];
	s->output = it->text[fields[M_OUTPUT].arg];
	apply_vals(a, ws, ent, it->vals, true, s, v, loc);
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
