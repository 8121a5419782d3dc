/* catalog_out: a stored span as an OTLP span (catalog_out.h): the attributes each typed field
 * goes out in, and the checks that the catalog reads them back to the same field. */
#include "lib/model/catalog_out.h"

#include <math.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/json/jsonx.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"

/* ---- the table ----
 * Each typed field a stored span holds goes out in the attribute of the OpenTelemetry GenAI
 * conventions (docs/attributes.md names them), or, for a field they have no name for,
 * the first attribute of its row in the conventions table (catalog_rows.c), which every
 * receiver that reads the NeMo catalog reads first. When the span's own raw_attributes hold a
 * key of the row ahead of it (a value of the wrong type, kept as it came), the first key of the
 * row not among them is used instead, so the receiver's catalog picks this one (out_key). */
static const struct catalog_out_row out_rows[] = {
    {"model", NULL, "gen_ai.request.model", NULL},
    {"provider", NULL, "gen_ai.provider.name", NULL},
    {"prompt_id", NULL, "gen_ai.prompt.id", NULL},
    {"prompt_name", NULL, "gen_ai.prompt.name", NULL},
    {"prompt_version", NULL, "gen_ai.prompt.version", NULL},
    {"agent_id", NULL, "gen_ai.agent.id", NULL},
    {"agent_name", NULL, "gen_ai.agent.name", NULL},
    {"tool_name", NULL, "gen_ai.tool.name", NULL},
    {"project", NULL, "gen_ai.project", NULL},
    {"error_type", NULL, "error.type", NULL},
    /* An error's message is the OTLP status message; another span's goes here. */
    {"error_message", NULL, "exception.message", "unless the status is an error: its message"},
    {"evaluation_context", "evaluation_id", "nemo.evaluation.name", NULL},
    {"evaluation_context", "dataset_id", "langfuse.experiment.dataset.id", NULL},
    {"evaluation_context", "test_case_id", "nemo.test_case.name", NULL},
    {"input_tokens", NULL, "gen_ai.usage.input_tokens", NULL},
    {"output_tokens", NULL, "gen_ai.usage.output_tokens", NULL},
    {"cached_tokens", NULL, "gen_ai.usage.cache_read.input_tokens", NULL},
    {"total_tokens", NULL, "gen_ai.usage.total_tokens", NULL},
    {"usage_details", "prompt_details.cache_write", "gen_ai.usage.cache_creation.input_tokens",
     NULL},
    {"usage_details", "prompt_details.cache_input", "llm.token_count.prompt_details.cache_input",
     NULL},
    {"usage_details", "prompt_details.audio", "llm.token_count.prompt_details.audio", NULL},
    {"usage_details", "prompt_details.text", "gen_ai.usage.text.input_tokens", NULL},
    {"usage_details", "prompt_details.image", "gen_ai.usage.image.input_tokens", NULL},
    {"usage_details", "prompt_details.cache_read_text", "gen_ai.usage.text.cache_read.input_tokens",
     NULL},
    {"usage_details", "prompt_details.cache_read_image",
     "gen_ai.usage.image.cache_read.input_tokens", NULL},
    {"usage_details", "prompt_details.cache_read_audio",
     "gen_ai.usage.audio.cache_read.input_tokens", NULL},
    {"usage_details", "completion_details.reasoning", "gen_ai.usage.reasoning.output_tokens", NULL},
    {"usage_details", "completion_details.audio", "llm.token_count.completion_details.audio", NULL},
    {"usage_details", "completion_details.text", "gen_ai.usage.text.output_tokens", NULL},
    {"usage_details", "completion_details.image", "gen_ai.usage.image.output_tokens", NULL},
    {"cost_total_usd", NULL, "gen_ai.usage.cost", NULL},
    {"cost_input_usd", NULL, "llm.cost.prompt", NULL},
    {"cost_output_usd", NULL, "llm.cost.completion", NULL},
};
#define OUT_NROWS (sizeof out_rows / sizeof out_rows[0])
/* The fields that are no row of the catalog: the session (GenAI's conversation), the input
 * and output (OpenInference's input.value and output.value, which every reader of spans takes
 * first; GenAI's messages for a span of another API whose text is a list of them), the status
 * (the OTLP status; a cancelled span says so as NeMo's status attribute), the kind (GenAI's
 * operation, else OpenInference's span kind: out_kind), and the members of usage_details and
 * cost_details no row names (Langfuse's usage object, OpenInference's llm.cost.<name>). */
#define OUT_SESSION "gen_ai.conversation.id"
#define OUT_INPUT "input.value"
#define OUT_OUTPUT "output.value"
#define OUT_INPUT_MESSAGES "gen_ai.input.messages"
#define OUT_OUTPUT_MESSAGES "gen_ai.output.messages"
#define OUT_STATUS "status"
#define OUT_OPERATION "gen_ai.operation.name"
#define OUT_OI_KIND "openinference.span.kind"
#define OUT_COST_PREFIX "llm.cost."
#define OUT_USAGE_REST "spandex.usage_details" /* when Langfuse's object would not read back */
static const struct catalog_out_row out_extra[] = {
    {"session_id", NULL, OUT_SESSION, "unless it is its trace's default"},
    {"input", NULL, OUT_INPUT,
     "unless the attributes give it; another API's GenAI messages: `" OUT_INPUT_MESSAGES "`"},
    {"output", NULL, OUT_OUTPUT,
     "unless the attributes give it; another API's GenAI messages: `" OUT_OUTPUT_MESSAGES "`"},
    {"status", "cancelled", OUT_STATUS, "(error: the OTLP status ERROR and its message)"},
    {"kind", NULL, OUT_OPERATION, "unless the attributes give it; else `" OUT_OI_KIND "`"},
    {"usage_details", "*", CATALOG_LF_USAGE, "the members no row above names"},
    {"cost_details", "*", OUT_COST_PREFIX "<name>", "the members no row above names"},
};
/* GenAI's operation name of each kind (catalog_kind.c's rows, own usage where there is one);
 * NULL: OpenInference's kind names it. */
static const char *const kind_ops[KIND__COUNT] = {
    [KIND_LLM] = "chat",
    [KIND_CHAIN] = "invoke_workflow",
    [KIND_TOOL] = "execute_tool",
    [KIND_RETRIEVER] = "retrieval",
    [KIND_EMBEDDING] = "embeddings",
    [KIND_AGENT] = "invoke_agent",
    [KIND_RERANKER] = "rerank",
};
/* Attributes OTLP carries on the resource (OTel's resource conventions), and OpenInference's
 * project, which it puts there. */
static const char *const resource_prefixes[] = {
    "service.", "telemetry.", "host.",	     "os.",	"process.", "container.",
    "k8s.",	"cloud.",     "deployment.", "device.", "faas.",    NULL,
};

const struct catalog_out_row *catalog_out_rows(size_t *n)
{
	static struct catalog_out_row all[OUT_NROWS + sizeof out_extra / sizeof out_extra[0]];
	if (!all[0].field) {
		memcpy(all, out_rows, sizeof out_rows);
		memcpy(all + OUT_NROWS, out_extra, sizeof out_extra);
	}
	*n = sizeof all / sizeof all[0];
	return all;
}

bool catalog_out_resource(const char *key)
{
	for (const char *const *p = resource_prefixes; *p; p++)
		if (!strncmp(key, *p, strlen(*p)))
			return true;
	return !strcmp(key, "openinference.project.name");
}

/* ---- ids ---- */
static bool is_hex(const char *s, size_t n)
{
	bool nonzero = false;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
		nonzero |= s[i] != '0';
	}
	return nonzero && !s[n];
}

bool catalog_out_id(const char *id, size_t n, char *hex)
{
	uint8_t d[32];
	size_t len = strlen(id);
	/* A UUID (8-4-4-4-12), as Opik's traces are, is a trace id with dashes. */
	if (n == 16 && len == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' &&
	    id[23] == '-') {
		size_t k = 0;
		for (size_t i = 0; i < len; i++)
			if (id[i] != '-')
				hex[k++] = id[i];
		hex[k] = '\0';
		if (is_hex(hex, 32))
			return false;
	}
	if (len == 2 * n && is_hex(id, 2 * n)) {
		memcpy(hex, id, 2 * n + 1);
		return false;
	}
	hash_sha256(id, len, d);
	d[0] |= !d[0]; /* never all zero: OTLP's "no id" */
	hash_hex(d, n, hex);
	return true;
}

/* ---- reading a field back ---- */
static json_t *take_text(json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	size_t pos;
	return jsonx_parse(json_string_value(v), json_string_length(v), &pos, NULL);
}

/* The catalog's row of field (and sub) that applies to every kind. */
static const struct catalog_row *cat_row(const char *field, const char *sub)
{
	for (size_t i = 0; i < CATALOG_NROWS; i++) {
		const struct catalog_row *r = &catalog_row_table[i];
		if (!r->kind && !strcmp(r->name, field) &&
		    (!sub || (r->sub && !strcmp(r->sub, sub))))
			return r;
	}
	return NULL;
}

/* The catalog row of each row of the table, looked up once. */
static const struct catalog_row *out_cat_row(size_t i)
{
	static const struct catalog_row *rows[OUT_NROWS];
	static bool done;
	if (!done) {
		for (size_t k = 0; k < OUT_NROWS; k++)
			rows[k] = cat_row(out_rows[k].field, out_rows[k].sub);
		done = true;
	}
	return rows[i];
}

/* The value s holds for row r as the attribute would carry it (a new reference), or NULL. */
static json_t *row_value(const struct span *s, const struct catalog_row *r)
{
	double d;
	int64_t n;
	json_t *v;
	switch (r->type) {
	case CATALOG_STR:
	case CATALOG_VERSION:
		return s->str[r->field] ? json_string(s->str[r->field]) : NULL;
	case CATALOG_EVAL:
		v = json_object_get(s->evaluation_context, r->sub);
		return json_is_string(v) ? json_incref(v) : NULL;
	case CATALOG_TOKENS:
		n = *(const int64_t *)((const char *)s + r->field);
		return n == SPAN_NONE_I64 ? NULL : json_integer(n);
	case CATALOG_USAGE:
		v = json_object_get(s->usage_details, r->sub);
		return json_is_integer(v) ? json_incref(v) : NULL;
	case CATALOG_COST:
		d = *(const double *)((const char *)s + r->field);
		return isnan(d) ? NULL : json_real(d);
	}
	return NULL;
}

/* Whether key is one the kind table reads whatever its value (pydantic-ai's agent_name, GenAI's
 * gen_ai.tool.name) for a kind other than kind: sending it would change the span's kind. Those
 * rows are gathered once (a handful of the table's). */
static bool other_kind_key(const char *key, enum span_kind kind)
{
	static const struct catalog_kind_row *any[8];
	static size_t nany;
	static bool done;
	if (!done) {
		size_t n;
		const struct catalog_kind_row *k = catalog_kind_rows(&n);
		for (size_t i = 0; i < n && nany < sizeof any / sizeof *any; i++)
			if (!k[i].value)
				any[nany++] = &k[i];
		done = true;
	}
	for (size_t i = 0; i < nany; i++)
		if (!strcmp(any[i]->key, key))
			return any[i]->kind != kind;
	return false;
}

/* The key a value of row r goes out in, for a span of kind kind: pref, unless attrs hold a
 * key of r ahead of it (or pref itself), then the first key of r they do not hold; keys[0]
 * when they hold them all. A key that would give the span another kind is passed over. */
static const char *out_key(const struct catalog_row *r, const char *pref, json_t *attrs,
			   enum span_kind kind)
{
	bool clear = !json_object_get(attrs, pref) && !other_kind_key(pref, kind);
	for (size_t i = 0; clear && r->keys[i] && strcmp(r->keys[i], pref); i++)
		clear = !json_object_get(attrs, r->keys[i]);
	if (clear)
		return pref;
	for (size_t i = 0; r->keys[i]; i++)
		if (!strchr(r->keys[i], '{') && !json_object_get(attrs, r->keys[i]) &&
		    !other_kind_key(r->keys[i], kind))
			return r->keys[i];
	return r->keys[0];
}

/* What the catalog of a receiver makes of attrs (and the exception event's names, which
 * lib/ingest's OTLP mapping adds) for a span of s's kind. */
static void read_back(struct arena *a, const struct span *s, json_t *attrs, json_t *events,
		      bool children, struct span *got)
{
	static const char *const exc[] = {"exception.type", "exception.message"};
	json_t *work = json_copy(attrs), *ev;
	size_t i;
	json_array_foreach(events, i, ev)
	{
		if (!json_is_string(json_object_get(ev, "name")) ||
		    strcmp(json_string_value(json_object_get(ev, "name")), "exception"))
			continue;
		for (size_t k = 0; k < 2; k++) {
			json_t *v = json_object_get(json_object_get(ev, "attributes"), exc[k]);
			if (json_is_string(v) && !json_object_get(work, exc[k]))
				json_object_set(work, exc[k], v);
		}
		break;
	}
	span_init(got);
	got->kind = s->kind;
	catalog_apply_span(a, got, work, s->name, children);
	json_decref(work);
}

/* Whether got holds what s holds for row r. An error's message that no row gives is the
 * status message's. */
static bool row_same(const struct span *s, const struct span *got, const struct catalog_row *r)
{
	json_t *want = row_value(s, r), *have = row_value(got, r);
	bool same = (!want && !have) || (want && have && json_equal(want, have));
	if (!same && !have && r->type == CATALOG_STR && r->field == SS_ERROR_MESSAGE)
		same = s->status == SPST_ERROR;
	json_decref(want);
	json_decref(have);
	return same;
}

/* Members of o (usage_details, cost_details) no row names: a new object, or NULL. */
static json_t *rest_of(json_t *o, const char *name)
{
	json_t *rest = NULL, *v;
	const char *k;
	json_object_foreach(o, k, v)
	{
		bool named = false;
		for (size_t i = 0; i < CATALOG_NROWS && !named; i++)
			named = catalog_row_table[i].sub &&
				!strcmp(catalog_row_table[i].name, name) &&
				!strcmp(catalog_row_table[i].sub, k);
		if (named)
			continue;
		if (!rest)
			rest = json_object();
		json_object_set(rest, k, v);
	}
	return rest;
}

/* Whether a and b, objects or NULL, hold the same members (NULL and {} alike). */
static bool same_object(json_t *a, json_t *b)
{
	if (!json_object_size(a) || !json_object_size(b))
		return !json_object_size(a) && !json_object_size(b);
	return json_equal(a, b);
}

/* The members of usage_details (cost_details) no row names: in Langfuse's usage (cost) object,
 * whose members a receiver takes under their own names, when its catalog reads them back so
 * (a member named as one a row reads, "input" or "total", is read as that row's); else as the
 * plain attribute fallback (spandex.usage_details), or one llm.cost.<name> per cost. */
static void add_rest(struct arena *a, const struct span *s, json_t *attrs, json_t *events,
		     bool children, bool cost)
{
	json_t *have = cost ? s->cost_details : s->usage_details, *v;
	json_t *rest = rest_of(have, cost ? "cost_details" : "usage_details");
	const char *obj = cost ? CATALOG_LF_COST : CATALOG_LF_USAGE, *k;
	struct span got;
	if (!rest)
		return;
	json_object_set(attrs, obj, rest);
	read_back(a, s, attrs, events, children, &got);
	bool same = same_object(cost ? got.cost_details : got.usage_details, have);
	span_clear(&got);
	if (!same) {
		json_object_del(attrs, obj);
		if (!cost)
			json_object_set(attrs, OUT_USAGE_REST, rest);
		json_object_foreach(cost ? rest : NULL, k, v)
		{
			char *key = arena_printf(a, OUT_COST_PREFIX "%s", k);
			if (!json_object_get(attrs, key))
				json_object_set(attrs, key, v);
		}
	}
	json_decref(rest);
}

/* Every row of the table whose field s holds and the attributes do not give it: its key, then
 * once more what still does not read back (keys[0], which precedes every other). */
static void add_fields(struct arena *a, const struct span *s, json_t *attrs, json_t *events,
		       bool children)
{
	for (int pass = 0; pass < 2; pass++) {
		struct span got;
		bool changed = false;
		read_back(a, s, attrs, events, children, &got);
		for (size_t i = 0; i < OUT_NROWS; i++) {
			const struct catalog_row *r = out_cat_row(i);
			if (!r || row_same(s, &got, r))
				continue;
			json_t *v = row_value(s, r);
			if (!v)
				continue; /* the attributes give what s lacks: nothing to add */
			const char *key =
			    pass ? r->keys[0] : out_key(r, out_rows[i].key, attrs, s->kind);
			json_object_set_new(attrs, key, v);
			changed = true;
		}
		span_clear(&got);
		if (!changed)
			break;
	}
	add_rest(a, s, attrs, events, children, false);
	add_rest(a, s, attrs, events, children, true);
}

static bool has_usage(const struct span *s)
{
	return s->input_tokens != SPAN_NONE_I64 || s->output_tokens != SPAN_NONE_I64 ||
	       s->cached_tokens != SPAN_NONE_I64 || s->total_tokens != SPAN_NONE_I64 ||
	       !isnan(s->cost_total_usd) || !isnan(s->cost_input_usd) ||
	       !isnan(s->cost_output_usd) || json_object_size(s->usage_details) ||
	       json_object_size(s->cost_details);
}

/* A kind the table reads off a key whatever its value (pydantic-ai's agent_name: AGENT) is
 * given so when s holds that key's field (agent_name) and went out under another of its row's
 * keys that the span did not bring: the key it came with goes instead (unless the row counts
 * the usage s has as its children's). */
static bool kind_by_field(const struct span *s, json_t *attrs, bool usage)
{
	size_t n;
	const struct catalog_kind_row *k = catalog_kind_rows(&n);
	for (size_t i = 0; i < n; i++) {
		if (k[i].value || k[i].kind != s->kind || json_object_get(attrs, k[i].key) ||
		    (usage && k[i].usage != CATALOG_OWN))
			continue;
		for (size_t j = 0; j < OUT_NROWS; j++) {
			const struct catalog_row *r = out_rows[j].sub ? NULL : out_cat_row(j);
			json_t *v = r && r->type == CATALOG_STR && s->str[r->field]
					? json_string(s->str[r->field])
					: NULL;
			size_t at = 0;
			bool clear = v != NULL;
			while (clear && r->keys[at] && strcmp(r->keys[at], k[i].key)) {
				json_t *x = json_object_get(attrs, r->keys[at]);
				/* Only a key sent in its place, which raw_attributes lack. */
				clear = !x || (json_equal(x, v) && !span_raw(s, r->keys[at]));
				at++;
			}
			if (clear && r->keys[at]) {
				for (size_t d = 0; d < at; d++)
					json_object_del(attrs, r->keys[d]);
				json_object_set(attrs, k[i].key, v);
			}
			json_decref(v);
			if (clear && r->keys[at])
				return true;
		}
	}
	return false;
}

/* The kind: the attributes' own when the kind table gives s's kind from them (and counts its
 * usage as its own when it has any); else GenAI's operation name, else OpenInference's span
 * kind, which the table reads first. An agent that did its own model work is a CLIENT span:
 * the GenAI conventions count an invoke_agent's usage as its own only then. *children: whether
 * a receiver counts the span's usage as its children's. */
static void out_kind(const struct span *s, json_t *attrs, int *otlp_kind, bool *children)
{
	bool usage = has_usage(s), tried = false;
	for (int step = 0; step < 5; step++) {
		enum span_kind k = catalog_kind(attrs, *otlp_kind == CATALOG_OTLP_CLIENT, children);
		if (k == s->kind && !(*children && usage))
			return;
		if (k == s->kind) {
			if (s->kind != KIND_AGENT || *otlp_kind == CATALOG_OTLP_CLIENT)
				return; /* a chain with usage of its own: no convention counts it so
					 */
			*otlp_kind = CATALOG_OTLP_CLIENT;
			continue;
		}
		bool moved = !tried && kind_by_field(s, attrs, usage);
		tried = true;
		if (moved)
			continue;
		if (kind_ops[s->kind] && !json_object_get(attrs, OUT_OPERATION))
			json_object_set_new(attrs, OUT_OPERATION, json_string(kind_ops[s->kind]));
		else
			json_object_set_new(attrs, OUT_OI_KIND,
					    json_string(span_kind_names[s->kind]));
	}
}

/* Whether text is GenAI's messages: a list of objects with a role and parts. */
static bool genai_messages(const char *text)
{
	size_t pos, i;
	json_t *v = jsonx_parse(text, strlen(text), &pos, NULL), *m;
	bool ok = json_is_array(v) && json_array_size(v);
	json_array_foreach(v, i, m)
	{
		ok &= json_is_string(json_object_get(m, "role")) &&
		      json_is_array(json_object_get(m, "parts"));
	}
	json_decref(v);
	return ok;
}

/* Whether attrs and events already give text as s's input (output): the first of the field's
 * sources they hold is an attribute read as it is (catalog.h, CATALOG_TEXT) that holds it. One
 * read otherwise (a list rebuilt from flattened keys, the events, messages with system
 * instructions put in front) is not worked out here: the text goes out all the same. */
static bool text_given(json_t *attrs, json_t *events, enum catalog_field f, enum span_kind kind,
		       const char *text)
{
	size_t n, i;
	const struct catalog_source *src = catalog_sources(&n);
	for (i = 0; i < n; i++) {
		const struct catalog_source *r = &src[i];
		if (r->field != f || (r->kind >= 0 && r->kind != (int)kind))
			continue;
		if (r->how == CATALOG_EVENT) {
			size_t j;
			json_t *ev;
			json_array_foreach(events, j, ev)
			{
				json_t *name = json_object_get(ev, "name");
				if (json_is_string(name) &&
				    !strcmp(json_string_value(name), r->key))
					return false;
			}
			continue;
		}
		if (r->how != CATALOG_TEXT && r->how != CATALOG_NONEMPTY &&
		    r->how != CATALOG_MESSAGES && r->how != CATALOG_JSON_LIST) {
			const char *k;
			json_t *v;
			json_object_foreach(attrs, k, v)
			{
				if (!strncmp(k, r->key, strlen(r->key)))
					return false;
			}
			continue;
		}
		json_t *v = json_object_get(attrs, r->key);
		if (!v || json_is_null(v) ||
		    (r->how == CATALOG_NONEMPTY && json_is_string(v) && !json_string_length(v)))
			continue;
		if (r->how == CATALOG_JSON_LIST ||
		    (r->how == CATALOG_MESSAGES &&
		     json_object_get(attrs, "gen_ai.system_instructions")))
			return false;
		if (json_is_string(v))
			return !strcmp(json_string_value(v), text);
		struct buf b;
		buf_init(&b);
		jsonw_value(&b, v);
		bool same = !strcmp(b.p, text);
		buf_free(&b);
		return same;
	}
	return false;
}

/* The input or output, unless the attributes give it already: as OpenInference's value, which
 * precedes every source a receiver keeps; GenAI's messages for a span of another API whose
 * text is a list of them and whose attributes name no source at all. */
static void add_text(const struct span *s, json_t *attrs, json_t *events, bool output)
{
	const char *text = output ? s->output : s->input;
	enum catalog_field f = output ? CATALOG_OUTPUT : CATALOG_INPUT;
	if (!text || text_given(attrs, events, f, s->kind, text))
		return;
	const char *key = output ? OUT_OUTPUT : OUT_INPUT;
	if (strcmp(s->source, "otel") && genai_messages(text)) {
		size_t n, i;
		const struct catalog_source *src = catalog_sources(&n);
		bool none = true;
		for (i = 0; i < n && none; i++)
			none =
			    src[i].field != f || !src[i].key || !json_object_get(attrs, src[i].key);
		if (none)
			key = output ? OUT_OUTPUT_MESSAGES : OUT_INPUT_MESSAGES;
	}
	json_object_set_new(attrs, key, json_string(text));
}

/* The stored span's otel.* members that are the OTLP span's own parts: taken out of attrs. */
static json_t *take_part(json_t *attrs, const char *key, bool text)
{
	json_t *v = json_object_get(attrs, key), *out;
	if (!v)
		return NULL;
	out = text ? take_text(v) : json_incref(v);
	if (text && !json_is_array(out)) {
		json_decref(out);
		return NULL; /* not the form ingest writes: it stays an attribute */
	}
	json_object_del(attrs, key);
	return out;
}

static void out_ids(const struct span *s, struct catalog_otlp *o)
{
	if (catalog_out_id(s->trace_id ? s->trace_id : s->span_id, 16, o->trace_id))
		json_object_set_new(o->attrs, CATALOG_OUT_TRACE_ID,
				    json_string(s->trace_id ? s->trace_id : s->span_id));
	if (catalog_out_id(s->span_id, 8, o->span_id))
		json_object_set_new(o->attrs, CATALOG_OUT_SPAN_ID, json_string(s->span_id));
	o->parent_id[0] = '\0';
	if (s->parent_span_id && *s->parent_span_id &&
	    catalog_out_id(s->parent_span_id, 8, o->parent_id))
		json_object_set_new(o->attrs, CATALOG_OUT_PARENT_ID,
				    json_string(s->parent_span_id));
}

/* evaluation_context members the table has no row for. */
static void out_eval_rest(const struct span *s, json_t *attrs)
{
	json_t *rest = NULL, *v;
	const char *k;
	json_object_foreach(s->evaluation_context, k, v)
	{
		if (cat_row("evaluation_context", k))
			continue;
		if (!rest)
			rest = json_object();
		json_object_set(rest, k, v);
	}
	if (rest)
		json_object_set_new(attrs, CATALOG_OUT_EVAL_REST, rest);
}

void catalog_out_span(struct arena *a, const struct span *s, struct catalog_otlp *o)
{
	bool children = false;
	memset(o, 0, sizeof *o);
	o->attrs = json_is_object(s->raw_attributes) ? json_copy(s->raw_attributes) : json_object();
	o->events = take_part(o->attrs, "otel.events", true);
	o->links = take_part(o->attrs, "otel.links", true);
	o->scope = json_is_object(json_object_get(o->attrs, "otel.scope"))
		       ? take_part(o->attrs, "otel.scope", false)
		       : NULL;
	o->name = s->name ? s->name : "";
	o->start_ns = (uint64_t)s->started_at * 1000;
	o->end_ns = s->ended_at == SPAN_NONE_I64 ? 0 : (uint64_t)s->ended_at * 1000;
	o->kind = s->kind == KIND_LLM || s->kind == KIND_EMBEDDING || s->kind == KIND_RETRIEVER ||
			  s->kind == KIND_RERANKER
		      ? CATALOG_OTLP_CLIENT
		      : CATALOG_OTLP_INTERNAL;
	if (s->status == SPST_ERROR) {
		o->status = CATALOG_OTLP_ERROR;
		o->status_message = s->str[SS_ERROR_MESSAGE];
	} else if (s->status == SPST_CANCELLED) {
		json_object_set_new(o->attrs, OUT_STATUS, json_string("cancelled"));
	}
	if (s->session_id && !span_session_default(s))
		json_object_set_new(o->attrs, OUT_SESSION, json_string(s->session_id));
	add_text(s, o->attrs, o->events, false);
	add_text(s, o->attrs, o->events, true);
	/* The fields first, under the kind the attributes give (a key such as gen_ai.tool.name
	 * gives a kind too), then the kind; its usage rule may ask for the fields again. */
	catalog_kind(o->attrs, false, &children);
	add_fields(a, s, o->attrs, o->events, children);
	bool before = children;
	out_kind(s, o->attrs, &o->kind, &children);
	if (children != before)
		add_fields(a, s, o->attrs, o->events, children);
	out_eval_rest(s, o->attrs);
	out_ids(s, o);
}

void catalog_out_clear(struct catalog_otlp *o)
{
	json_decref(o->attrs);
	json_decref(o->events);
	json_decref(o->links);
	json_decref(o->scope);
	memset(o, 0, sizeof *o);
}
