/* map: Langfuse's ingestion events -> spandex spans (map.h): the apply of a create or an
 * update onto the version being written, and what is read back off a stored span. The event
 * types and the checks of their bodies are check.c; rendering is render.c. */
#include "lib/api/langfuse/map.h"
#include "lib/api/langfuse/surface.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/catalog.h"
#include "lib/model/price.h"

/* ---- apply ---- */

static const char *str(struct arena *a, json_t *body, const char *key)
{
	json_t *x = json_object_get(body, key);
	return json_is_string(x) ? arena_strdup(a, json_string_value(x)) : NULL;
}

static bool time_of(json_t *body, const char *key, int64_t *us)
{
	json_t *x = json_object_get(body, key);
	return json_is_string(x) && time_parse(json_string_value(x), true, us);
}

/* Input and output as Langfuse stores them: a string as it is, any other value its JSON. */
static const char *text(struct arena *a, json_t *x)
{
	if (json_is_string(x))
		return arena_strdup(a, json_string_value(x));
	struct buf *b = arena_buf(a);
	jsonw_value(b, x);
	return arena_strndup(a, b->p, b->len);
}

static json_t *raw_object(struct span *s)
{
	if (!s->raw_attributes)
		s->raw_attributes = json_object();
	return s->raw_attributes;
}

/* lodash's merge, which Langfuse merges metadata with: objects member by member, the rest
 * replaced. */
static void merge_into(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v)
	{
		json_t *d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v))
			merge_into(d, v);
		else if (!json_is_null(v))
			json_object_set_new(dst, k, json_deep_copy(v));
	}
}

static void put_metadata(struct span *s, const char *key, json_t *x)
{
	json_t *cur = span_raw(s, key);
	if (!json_is_object(x) || !json_is_object(cur)) {
		/* Metadata that is no object is kept as it came (Langfuse wraps it). */
		span_raw_set(s, key, json_deep_copy(x));
		return;
	}
	cur = json_deep_copy(cur);
	merge_into(cur, x);
	span_raw_set(s, key, cur);
}

/* Tags join the stored ones, sorted and once each (overwriteObject in Langfuse's worker). */
static void put_tags(struct arena *a, struct span *s, json_t *x)
{
	json_t *all = json_array(), *cur = span_raw(s, LF_TAGS), *t;
	size_t i;
	json_array_extend(all, json_is_array(cur) ? cur : json_array());
	json_array_extend(all, x);
	const char **v = arena_alloc(a, (json_array_size(all) + 1) * sizeof *v);
	size_t n = 0;
	json_array_foreach(all, i, t)
	{
		size_t j = 0;
		while (j < n && strcmp(v[j], json_string_value(t)) < 0)
			j++;
		if (j < n && !strcmp(v[j], json_string_value(t)))
			continue;
		memmove(v + j + 1, v + j, (n - j) * sizeof *v);
		v[j] = json_string_value(t);
		n++;
	}
	json_t *out = json_array();
	for (size_t j = 0; j < n; j++)
		json_array_append_new(out, json_string(v[j]));
	span_raw_set(s, LF_TAGS, out);
	json_decref(all);
}

static void put_raw_str(struct arena *a, struct span *s, json_t *body, const char *member,
			const char *key)
{
	const char *v = str(a, body, member);
	if (v)
		span_raw_set(s, key, json_string(v));
}

/* Langfuse's environment (PublicEnvironmentName): lowercase, without a leading "langfuse"
 * prefix, at most 40 of [a-z0-9-_], else "default"; set once, as its worker keeps the first. */
static void put_env(struct span *s, json_t *body)
{
	json_t *x = json_object_get(body, "environment");
	char v[41];
	size_t n = 0;
	if (!json_is_string(x) || span_raw(s, LF_ENV))
		return;
	const char *p = json_string_value(x);
	while (!strncasecmp(p, "langfuse", 8)) {
		p += 8;
		if (*p == '-' || *p == '_')
			p++;
	}
	for (; *p && n < 40; p++) {
		char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			n = 0;
			break;
		}
		v[n++] = c;
	}
	v[n] = 0;
	span_raw_set(s, LF_ENV, json_string(n ? v : "default"));
}

static void apply_trace(struct arena *a, const struct langfuse_apply *e, bool fresh,
			struct span *out)
{
	json_t *b = e->body, *x;
	int64_t us;
	if (fresh) {
		out->span_id = out->trace_id = str(a, b, "id");
		out->parent_span_id = NULL;
		out->kind = KIND_CHAIN;
		out->started_at = time_of(b, "timestamp", &us) ? us : e->ts;
		span_raw_set(out, LF_ENTITY, json_string("trace"));
	}
	const char *v;
	if ((v = str(a, b, "name")))
		out->name = v;
	if ((v = str(a, b, "sessionId")) && *v && !span_id_problem(v))
		out->session_id = v;
	if ((x = json_object_get(b, "input")) && !json_is_null(x))
		out->input = text(a, x);
	if ((x = json_object_get(b, "output")) && !json_is_null(x))
		out->output = text(a, x);
	if ((x = json_object_get(b, "metadata")) && !json_is_null(x))
		put_metadata(out, LF_TRACE_META, x);
	if (json_is_array(x = json_object_get(b, "tags")))
		put_tags(a, out, x);
	if (json_is_boolean(x = json_object_get(b, "public")))
		span_raw_set(out, LF_PUBLIC, json_incref(x));
	put_raw_str(a, out, b, "userId", LF_USER);
	put_raw_str(a, out, b, "release", LF_RELEASE);
	put_raw_str(a, out, b, "version", LF_VERSION);
	put_env(out, b);
}

/* ---- usage and cost (the worker's mapObservationEventsToRecords) ---- */

#define LF_MAX_USAGE_KEY 128 /* an OpenAI usage detail's name: "cached_tokens", "audio_tokens" */

static void add_int(json_t *o, const char *k, json_t *v)
{
	if (langfuse_json_int(v) && json_number_value(v) >= 0)
		json_object_set_new(o, k, json_integer((json_int_t)json_number_value(v)));
}

/* The details of one side of an OpenAI usage as Langfuse's parts: each as <side>_<name>, the
 * side's count less them (OpenAICompletionUsageSchema and OpenAIResponseUsageSchema). */
static json_int_t openai_side(json_t *details, const char *side, json_int_t count, json_t *out)
{
	const char *k;
	json_t *v;
	json_object_foreach(details, k, v)
	{
		char key[LF_MAX_USAGE_KEY];
		if (!langfuse_json_int(v) || json_number_value(v) < 0 ||
		    (size_t)snprintf(key, sizeof key, "%s_%s", side, k) >= sizeof key)
			continue;
		json_int_t n = (json_int_t)json_number_value(v);
		json_object_set_new(out, key, json_integer(n));
		count = count > n ? count - n : 0;
	}
	return count;
}

static bool openai_usage(json_t *d, json_t *out)
{
	static const char *const shapes[2][5] = {{"prompt_tokens", "completion_tokens",
						  "total_tokens", "prompt_tokens_details",
						  "completion_tokens_details"},
						 {"input_tokens", "output_tokens", "total_tokens",
						  "input_tokens_details", "output_tokens_details"}};
	for (int s = 0; s < 2; s++) {
		json_t *in = json_object_get(d, shapes[s][0]),
		       *o = json_object_get(d, shapes[s][1]);
		json_t *t = json_object_get(d, shapes[s][2]);
		if (!langfuse_json_int(in) || !langfuse_json_int(o) || !langfuse_json_int(t))
			continue;
		json_int_t i = openai_side(json_object_get(d, shapes[s][3]), "input",
					   (json_int_t)json_number_value(in), out);
		json_int_t u = openai_side(json_object_get(d, shapes[s][4]), "output",
					   (json_int_t)json_number_value(o), out);
		json_object_set_new(out, "input", json_integer(i));
		json_object_set_new(out, "output", json_integer(u));
		add_int(out, "total", t);
		return true;
	}
	return false;
}

/* The usage of a body in Langfuse's parts (usage, then usageDetails over it), a new object. */
static json_t *usage_of(json_t *b)
{
	json_t *o = json_object(), *u = json_object_get(b, "usage"),
	       *d = json_object_get(b, "usageDetails");
	bool details = json_is_object(d) && json_object_size(d);
	if (json_is_object(u)) {
		/* The OpenAI shape of usage (promptTokens ...) is read as input, output, total. */
		bool oai = json_object_get(u, "promptTokens") ||
			   json_object_get(u, "completionTokens") ||
			   json_object_get(u, "totalTokens");
		json_t *in = json_object_get(u, oai ? "promptTokens" : "input");
		json_t *out = json_object_get(u, oai ? "completionTokens" : "output");
		json_t *tot = json_object_get(u, oai ? "totalTokens" : "total");
		add_int(o, "input", in);
		add_int(o, "output", out);
		if (langfuse_json_int(tot) && json_number_value(tot) > 0)
			add_int(o, "total", tot);
		else if (!details && (langfuse_json_int(in) || langfuse_json_int(out)))
			json_object_set_new(
			    o, "total",
			    json_integer(
				(langfuse_json_int(in) ? (json_int_t)json_number_value(in) : 0) +
				(langfuse_json_int(out) ? (json_int_t)json_number_value(out) : 0)));
	}
	if (details && !openai_usage(d, o)) {
		const char *k;
		json_t *v;
		json_object_foreach(d, k, v)
		{
			if (json_is_string(v) && json_string_value(v)[0] >= '0' &&
			    json_string_value(v)[0] <= '9')
				json_object_set_new(
				    o, k, json_integer(strtoll(json_string_value(v), NULL, 10)));
			else
				add_int(o, k, v);
		}
	}
	return o;
}

/* The costs of a body: usage's inputCost, outputCost, totalCost, then costDetails. */
static json_t *cost_of(json_t *b)
{
	static const char *const names[3][2] = {
	    {"inputCost", "input"}, {"outputCost", "output"}, {"totalCost", "total"}};
	json_t *o = json_object(), *u = json_object_get(b, "usage"),
	       *d = json_object_get(b, "costDetails");
	const char *k;
	json_t *v;
	for (int i = 0; json_is_object(u) && i < 3; i++)
		if (json_is_number(v = json_object_get(u, names[i][0])) &&
		    json_number_value(v) >= 0)
			json_object_set_new(o, names[i][1], json_real(json_number_value(v)));
	json_object_foreach(d, k, v) if (json_is_number(v) && json_number_value(v) >= 0)
	    json_object_set_new(o, k, json_real(json_number_value(v)));
	return o;
}

/* The generation's members through the catalog, as the OTLP route reads the attributes
 * Langfuse's OTel SDK sends for them, onto out: what the body names replaces what is stored
 * (a usage replaces every count, a cost every cost: Langfuse replaces its details whole). */
static void apply_generation(struct arena *a, json_t *b, bool children, struct span *out)
{
	json_t *attrs = json_object(), *usage = usage_of(b), *cost = cost_of(b), *x;
	struct span u;
	const char *v;
	if ((v = str(a, b, "model")))
		json_object_set_new(attrs, "langfuse.observation.model.name", json_string(v));
	if ((v = str(a, b, "promptName")))
		json_object_set_new(attrs, "langfuse.observation.prompt.name", json_string(v));
	if (langfuse_json_int(x = json_object_get(b, "promptVersion")))
		json_object_set_new(attrs, "langfuse.observation.prompt.version",
				    json_integer((json_int_t)json_number_value(x)));
	if (json_object_size(usage))
		json_object_set(attrs, CATALOG_LF_USAGE, usage);
	if (json_object_size(cost))
		json_object_set(attrs, CATALOG_LF_COST, cost);
	span_init(&u);
	u.kind = out->kind;
	catalog_apply_span(a, &u, attrs, out->name, children);
	for (int f = SS_MODEL; f <= SS_PROMPT_VERSION; f++)
		if (u.str[f])
			out->str[f] = u.str[f];
	if (u.str[SS_TOOL_NAME])
		out->str[SS_TOOL_NAME] = u.str[SS_TOOL_NAME];
	if (json_object_size(usage)) {
		out->input_tokens = u.input_tokens;
		out->output_tokens = u.output_tokens;
		out->cached_tokens = u.cached_tokens;
		out->total_tokens = u.total_tokens;
		json_decref(out->usage_details);
		out->usage_details = json_incref(u.usage_details);
	}
	if (json_object_size(cost)) {
		out->cost_total_usd = u.cost_total_usd;
		out->cost_input_usd = u.cost_input_usd;
		out->cost_output_usd = u.cost_output_usd;
		json_decref(out->cost_details);
		out->cost_details = json_incref(u.cost_details);
		if (out->raw_attributes) {
			json_object_del(out->raw_attributes, PRICE_COMPUTED_KEY);
			json_object_del(out->raw_attributes, PRICE_TABLE_KEY);
		}
	}
	/* What the catalog kept: a usage held as its children's, the prompt as sent. */
	if (u.raw_attributes)
		json_object_update(raw_object(out), u.raw_attributes);
	if (json_is_object(x = json_object_get(b, "modelParameters")))
		span_raw_set(out, LF_MODEL_PARAMS, json_deep_copy(x));
	span_clear(&u);
	json_decref(attrs);
	json_decref(usage);
	json_decref(cost);
}

/* The observation type an event writes, lowercase as the OTel SDK sends it. */
static const char *obs_type(struct arena *a, const struct langfuse_apply *e)
{
	if (e->t->type)
		return e->t->type;
	const char *t = str(a, e->body, "type");
	char *l = arena_strdup(a, t ? t : "SPAN");
	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return l;
}

/* The status its level gives: ERROR is an error, with the status message as its message. */
static void apply_level(struct arena *a, json_t *b, struct span *out)
{
	const char *level = str(a, b, "level"), *msg = str(a, b, "statusMessage");
	if (level)
		span_raw_set(out, LF_LEVEL, json_string(level));
	if (msg)
		span_raw_set(out, LF_STATUS_MSG, json_string(msg));
	const char *now = langfuse_raw_str(out, LF_LEVEL);
	if (level || msg) {
		bool error = now && !strcmp(now, "ERROR");
		out->status = error ? SPST_ERROR : SPST_SUCCESS;
		out->str[SS_ERROR_MESSAGE] = error ? langfuse_raw_str(out, LF_STATUS_MSG) : NULL;
	}
}

static void apply_obs(struct arena *a, const struct langfuse_apply *e, bool fresh, struct span *out)
{
	json_t *b = e->body, *x;
	int64_t us;
	bool placed = fresh; /* the row's trace and start are this event's to set */
	const char *v;
	if (fresh) {
		out->span_id = str(a, b, "id");
		if (e->t->update)
			span_raw_set(out, LF_PENDING, json_true());
	} else if (span_raw(out, LF_PENDING) && !e->t->update) {
		/* The create an update came before (Opik's PATCH before its create, here too). */
		placed = true;
		json_object_del(out->raw_attributes, LF_PENDING);
	}
	if (placed) {
		const char *trace = str(a, b, "traceId");
		/* An observation without a trace is its own (Langfuse's wrapper trace of old SDKs).
		 */
		if (trace || fresh)
			out->trace_id = trace ? trace : out->span_id;
		out->started_at = time_of(b, "startTime", &us) ? us : e->ts;
	}
	const char *type = obs_type(a, e);
	json_t *tattrs = json_pack("{s:s}", LF_TYPE, type);
	bool children = false;
	out->kind = catalog_kind(tattrs, false, &children);
	json_decref(tattrs);
	span_raw_set(out, LF_TYPE, json_string(type));
	if ((v = str(a, b, "name")))
		out->name = v;
	if (time_of(b, "endTime", &us))
		out->ended_at = us;
	if ((v = str(a, b, "completionStartTime")))
		span_raw_set(out, LF_COMPLETION_START, json_string(v));
	if ((x = json_object_get(b, "input")) && !json_is_null(x))
		out->input = text(a, x);
	if ((x = json_object_get(b, "output")) && !json_is_null(x))
		out->output = text(a, x);
	if ((x = json_object_get(b, "metadata")) && !json_is_null(x))
		put_metadata(out, LF_OBS_META, x);
	if ((v = str(a, b, "parentObservationId")) && *v && strcmp(v, out->span_id))
		out->parent_span_id = v;
	/* Without a parent, under its trace's row (map.h). */
	if (placed && (!out->parent_span_id || !*out->parent_span_id) &&
	    strcmp(out->trace_id, out->span_id))
		out->parent_span_id = out->trace_id;
	put_raw_str(a, out, b, "version", LF_VERSION);
	put_env(out, b);
	apply_level(a, b, out);
	if (e->t->generation)
		apply_generation(a, b, children, out);
	else if (out->kind == KIND_TOOL && !out->str[SS_TOOL_NAME] && out->name)
		out->str[SS_TOOL_NAME] = out->name; /* as catalog_apply_span names a tool */
}

void langfuse_apply(struct arena *a, const struct langfuse_apply *e, bool fresh, struct span *out)
{
	if (e->t->ent == LF_TRACE)
		apply_trace(a, e, fresh, out);
	else
		apply_obs(a, e, fresh, out);
}

void langfuse_finish(struct arena *a, const char *ws, struct span *out)
{
	(void)a;
	out->workspace = ws;
	if (!out->source)
		out->source = LF_API;
	if (out->status == SPST_UNKNOWN)
		out->status = SPST_SUCCESS;
	/* A trace that names no session is its own, as Opik's and the direct spans' are. */
	if (!out->session_id)
		out->session_id = out->trace_id;
}

/* ---- reading what is stored ---- */

const char *langfuse_raw_str(const struct span *s, const char *key)
{
	return json_string_value(span_raw(s, key));
}

/* The rows that stand for a trace and are no observation: Langfuse's, and Opik's (map.h). */
static const char *const trace_markers[] = {LF_ENTITY, "opik.entity"};

bool langfuse_is_trace_row(const struct span *s)
{
	for (size_t i = 0; i < sizeof trace_markers / sizeof *trace_markers; i++) {
		const char *e = langfuse_raw_str(s, trace_markers[i]);
		if (e && !strcmp(e, "trace"))
			return true;
	}
	return false;
}

int langfuse_line_is_trace_row(const struct span_line *m)
{
	int verdict = -1;
	for (size_t i = 0; i < sizeof trace_markers / sizeof *trace_markers; i++) {
		const char *v;
		size_t vn;
		int has = span_line_attr(m, trace_markers[i], &v, &vn);
		if (has > 0 && vn == 7 && !memcmp(v, "\"trace\"", 7))
			return 1;
		if (has == 0)
			verdict = 0;
	}
	return verdict;
}

const char *langfuse_user_of(const struct span *s)
{
	size_t n;
	const struct catalog_source *src = catalog_sources(&n);
	for (size_t i = 0; i < n; i++)
		if (src[i].field == CATALOG_USER && langfuse_raw_str(s, src[i].key))
			return langfuse_raw_str(s, src[i].key);
	return NULL;
}

const char *langfuse_env_of(const struct span *s)
{
	const char *e = langfuse_raw_str(s, LF_ENV);
	return e ? e : "default";
}

/* The type a kind reads back as when no Langfuse type was sent with it. */
static const char *const kind_types[KIND__COUNT] = {
    [KIND_LLM] = "GENERATION",	    [KIND_CHAIN] = "CHAIN",	    [KIND_TOOL] = "TOOL",
    [KIND_RETRIEVER] = "RETRIEVER", [KIND_EMBEDDING] = "EMBEDDING", [KIND_AGENT] = "AGENT",
    [KIND_RERANKER] = "RETRIEVER",  [KIND_EVALUATOR] = "EVALUATOR", [KIND_GUARDRAIL] = "GUARDRAIL",
    [KIND_UNKNOWN] = "SPAN",
};

const char *langfuse_obs_type(const struct span *s)
{
	static const char *const types[] = {"SPAN",	 "GENERATION", "EVENT",	    "AGENT",
					    "TOOL",	 "CHAIN",      "RETRIEVER", "EVALUATOR",
					    "EMBEDDING", "GUARDRAIL"};
	const char *t = langfuse_raw_str(s, LF_TYPE);
	for (size_t i = 0; t && i < sizeof types / sizeof *types; i++)
		if (!strcasecmp(types[i], t))
			return types[i];
	return kind_types[s->kind < KIND__COUNT ? s->kind : KIND_UNKNOWN];
}
