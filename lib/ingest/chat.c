/* chat: captured chat-completion calls to LLM spans (reference nemo-intake.md section 4.2;
 * ChatCompletionsIngestRequest of the F openapi.yaml). */
#include <math.h>
#include <string.h>
#include "lib/model/catalog.h"
#include "lib/ingest/chat.h"
#include "lib/json/jsonw.h"
#include "lib/model/vschema.h"
#include "lib/base/arena.h"
#include "lib/base/hash.h"

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))
#define US_PER_S 1000000

/* ChatCompletionsIngestRequest: additionalProperties false. */
static const struct vs_field chat_body[] = {
    {"request", VS_MODEL, true, false},
    {"response", VS_MODEL, true, false},
    {"experiment_context", VS_MODEL, false, false},
    {"evaluation_context", VS_MODEL, false, false},
    {"session_id", VS_STR, false, false},
    {"trace_id", VS_STR, false, false},
    {"provider", VS_STR, false, false},
    {"cost_usd", VS_NUM, false, true},
    {"cost_input_usd", VS_NUM, false, true},
    {"cost_output_usd", VS_NUM, false, true},
    {"cost_details", VS_DICT, false, false},
};
/* CapturedChatCompletionsRequest: extra keys allowed. */
static const struct vs_field chat_request[] = {
    {"messages", VS_LIST, true, false},
    {"model", VS_STR, true, false},
};
/* CapturedChatMessage: extra keys allowed. */
static const struct vs_field chat_message[] = {
    {"role", VS_STR, true, false},
};
static const char *const chat_roles[] = {"user", "system",   "assistant", "developer",
					 "tool", "function", NULL};
/* CapturedChatCompletionsResponse: extra keys allowed. */
static const struct vs_field chat_response[] = {
    {"choices", VS_LIST, false, false},
    {"error", VS_DICT, false, false},
};

static void chat_check_request(struct verrs *v, json_t *loc, json_t *req)
{
	json_t *msgs, *l, *li;
	vs_model(v, loc, req, chat_request, NELEM(chat_request), false);
	msgs = json_object_get(req, "messages");
	l = vs_loc(loc, "messages");
	for (size_t i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);
		li = vs_loci(l, i);
		if (vs_model(v, li, m, chat_message, NELEM(chat_message), false)) {
			json_t *lr = vs_loc(li, "role");
			vs_choice(v, lr, json_object_get(m, "role"), chat_roles, "enum");
			json_decref(lr);
		}
		json_decref(li);
	}
	json_decref(l);
}

static void chat_check_response(struct verrs *v, json_t *loc, json_t *resp)
{
	json_t *choices, *err, *l;
	size_t before = verrs_count(v);
	vs_model(v, loc, resp, chat_response, NELEM(chat_response), false);
	choices = json_object_get(resp, "choices");
	err = json_object_get(resp, "error");
	if (json_is_null(choices))
		choices = NULL;
	if (json_is_null(err))
		err = NULL;
	l = vs_loc(loc, "choices");
	for (size_t i = 0; i < json_array_size(choices); i++) {
		json_t *li = vs_loci(l, i);
		vs_check(v, li, json_array_get(choices, i), VS_DICT, false);
		json_decref(li);
	}
	json_decref(l);
	/* The model validator of the reference (exactly one of choices / error) runs only on
	 * fields that passed, as pydantic's "after" validators do. */
	if (verrs_count(v) == before && !choices == !err)
		vs_error(v, loc, NULL, "value_error",
			 choices
			     ? "Value error, response must not contain both 'choices' and 'error'"
			     : "Value error, response must contain either 'choices' or 'error'",
			 resp);
}

/* The costs of the body, each at most CATALOG_MAX_USD, as any cost an ingest takes. */
static const char *const chat_cost_keys[] = {"cost_usd", "cost_input_usd", "cost_output_usd"};

static void chat_check(struct verrs *v, json_t *body)
{
	json_t *loc = json_pack("[s]", "body"), *l, *details;
	const char *key;
	json_t *val;

	if (!vs_model(v, loc, body, chat_body, NELEM(chat_body), true)) {
		/* Type errors of the top level are reported; the nested models still get checked
		 * when they are objects, as pydantic does. */
		if (!json_is_object(body))
			goto out;
	}
	if (json_is_object(json_object_get(body, "request"))) {
		l = vs_loc(loc, "request");
		chat_check_request(v, l, json_object_get(body, "request"));
		json_decref(l);
	}
	if (json_is_object(json_object_get(body, "response"))) {
		l = vs_loc(loc, "response");
		chat_check_response(v, l, json_object_get(body, "response"));
		json_decref(l);
	}
	/* One id rule for every format (span_id_problem): the span, trace and session ids. An
	 * empty one is none, as the service's `or` takes it (chat_map's next id). */
	static const char *const ids[][2] = {
	    {"response", "id"}, {NULL, "trace_id"}, {NULL, "session_id"}};
	for (size_t i = 0; i < NELEM(ids); i++) {
		json_t *o = ids[i][0] ? json_object_get(body, ids[i][0]) : body;
		json_t *x = json_is_object(o) ? json_object_get(o, ids[i][1]) : NULL;
		if (!json_is_string(x) || !json_string_length(x))
			continue;
		json_t *lo = ids[i][0] ? vs_loc(loc, ids[i][0]) : json_incref(loc);
		l = vs_loc(lo, ids[i][1]);
		vs_id(v, l, x);
		json_decref(l);
		json_decref(lo);
	}
	catalog_context_check(v, loc, body);
	for (size_t i = 0; i < NELEM(chat_cost_keys); i++)
		vs_check_le(v, loc, chat_cost_keys[i], json_object_get(body, chat_cost_keys[i]),
			    CATALOG_MAX_USD);
	details = json_object_get(body, "cost_details");
	if (json_is_object(details)) {
		l = vs_loc(loc, "cost_details");
		json_object_foreach(details, key, val)
		{
			json_t *lk = vs_loc(l, key);
			if (vs_check(v, lk, val, VS_NUM, true))
				vs_check_le(v, lk, NULL, val, CATALOG_MAX_USD);
			json_decref(lk);
		}
		json_decref(l);
	}
out:
	json_decref(loc);
}

/* A non-empty string member of o, or NULL. */
static const char *chat_str(json_t *o, const char *key)
{
	json_t *x = json_object_get(o, key);
	return json_is_string(x) && json_string_length(x) ? json_string_value(x) : NULL;
}

/* The first member of o among keys (NULL-terminated) that is a token count. */
static bool chat_count(json_t *o, const char *const *keys, int64_t *out)
{
	for (; *keys; keys++)
		if (catalog_count(json_object_get(o, *keys), out))
			return true;
	return false;
}

static void chat_usage_detail(struct span *s, const char *name, json_t *o, const char *key)
{
	int64_t n;
	if (!catalog_count(json_object_get(o, key), &n) ||
	    (s->usage_details && json_object_get(s->usage_details, name)))
		return;
	if (!s->usage_details)
		s->usage_details = json_object();
	json_object_set_new(s->usage_details, name, json_integer(n));
}

/* Tokens from response.usage: OpenAI chat names first, then the F alternatives (Responses API
 * and Anthropic names). Only non-negative integers count. */
static void chat_tokens(struct span *s, json_t *usage)
{
	static const char *const in[] = {"prompt_tokens", "input_tokens", NULL};
	static const char *const out[] = {"completion_tokens", "output_tokens", NULL};
	static const char *const total[] = {"total_tokens", NULL};
	static const char *const cached[] = {"cached_tokens", NULL};
	static const char *const cache_read[] = {"cache_read_input_tokens", NULL};
	json_t *pd = json_object_get(usage, "prompt_tokens_details");
	json_t *id = json_object_get(usage, "input_tokens_details");
	json_t *cd = json_object_get(usage, "completion_tokens_details");
	json_t *od = json_object_get(usage, "output_tokens_details");
	int64_t n;

	if (!json_is_object(usage))
		return;
	if (chat_count(usage, in, &n))
		s->input_tokens = n;
	if (chat_count(usage, out, &n))
		s->output_tokens = n;
	/* F: usage.total_tokens, else the sum when both parts are known. */
	if (chat_count(usage, total, &n))
		s->total_tokens = n;
	else if (s->input_tokens != SPAN_NONE_I64 && s->output_tokens != SPAN_NONE_I64 &&
		 catalog_count_sum(s->input_tokens, s->output_tokens, &n))
		s->total_tokens = n;
	if (chat_count(pd, cached, &n) || chat_count(id, cached, &n) ||
	    chat_count(usage, cache_read, &n))
		s->cached_tokens = n;
	chat_usage_detail(s, "prompt_details.cache_write", usage, "cache_creation_tokens");
	chat_usage_detail(s, "prompt_details.cache_write", usage, "cache_creation_input_tokens");
	chat_usage_detail(s, "prompt_details.audio", pd, "audio_tokens");
	chat_usage_detail(s, "completion_details.reasoning", cd, "reasoning_tokens");
	chat_usage_detail(s, "completion_details.reasoning", od, "reasoning_tokens");
	chat_usage_detail(s, "completion_details.audio", cd, "audio_tokens");
}

/* One typed cost: the body field, else the first cost_details fallback key. The detail key
 * that supplied (or equals) the value is consumed; *used marks it. */
static double chat_cost(json_t *body, const char *field, json_t *details,
			const char *const *fallback, const char **used)
{
	double d = NAN, x;
	if (catalog_cost(json_object_get(body, field), &d)) {
		for (; *fallback; fallback++)
			if (catalog_cost(json_object_get(details, *fallback), &x) && x == d)
				*used++ = *fallback;
		return d;
	}
	for (; *fallback; fallback++)
		if (catalog_cost(json_object_get(details, *fallback), &d)) {
			*used = *fallback;
			return d;
		}
	return NAN;
}

/* Costs (F): body fields, falling back to cost_details keys; every other cost_details key is
 * returned in the Span's cost_details. */
static void chat_costs(struct span *s, json_t *body)
{
	static const char *const total[] = {"total_cost", "total", NULL};
	static const char *const input[] = {"input_cost", "input", "prompt", NULL};
	static const char *const output[] = {"output_cost", "output", "completion", NULL};
	json_t *details = json_object_get(body, "cost_details"), *val;
	const char *used[NELEM(total) + NELEM(input) + NELEM(output)] = {0};
	const char *key;
	double d;

	s->cost_total_usd = chat_cost(body, "cost_usd", details, total, used);
	s->cost_input_usd = chat_cost(body, "cost_input_usd", details, input, used + NELEM(total));
	s->cost_output_usd =
	    chat_cost(body, "cost_output_usd", details, output, used + NELEM(total) + NELEM(input));
	json_object_foreach(details, key, val)
	{
		size_t i;
		for (i = 0; i < NELEM(used) && !(used[i] && !strcmp(used[i], key)); i++)
			;
		if (i < NELEM(used) || !catalog_cost(val, &d))
			continue;
		if (!s->cost_details)
			s->cost_details = json_object();
		json_object_set_new(s->cost_details, key, json_real(d));
	}
}

/* started_at: response.created (unix seconds) when valid and not in the future. */
static int64_t chat_started(json_t *resp, int64_t now)
{
	json_t *c = json_object_get(resp, "created");
	double sec;
	if (!json_is_number(c))
		return now;
	sec = json_number_value(c);
	if (!isfinite(sec) || sec <= 0 || sec * US_PER_S > (double)now)
		return now;
	return (int64_t)llround(sec * US_PER_S);
}

static void chat_error(struct arena *a, struct span *s, json_t *err)
{
	json_t *code = json_object_get(err, "code");
	const char *type = chat_str(err, "type");
	s->status = SPST_ERROR;
	if (type)
		s->str[SS_ERROR_TYPE] = arena_strdup(a, type);
	else if (json_is_string(code) && json_string_length(code))
		s->str[SS_ERROR_TYPE] = arena_strdup(a, json_string_value(code));
	else if (json_is_integer(code)) /* some providers send HTTP-like numeric codes */
		s->str[SS_ERROR_TYPE] =
		    arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(code));
	if (json_is_string(json_object_get(err, "message")))
		s->str[SS_ERROR_MESSAGE] =
		    arena_strdup(a, json_string_value(json_object_get(err, "message")));
}

/* Checks and maps one chat-completions body (see chat.h). */
enum status chat_map(struct arena *a, const char *ws, json_t *body, int64_t now, struct span *s,
		     struct verrs *v)
{
	json_t *req, *resp, *err;
	const char *id, *x;

	chat_check(v, body);
	if (verrs_count(v))
		return ST_INVALID;
	req = json_object_get(body, "request");
	resp = json_object_get(body, "response");

	id = chat_str(resp, "id");
	if (id) {
		s->span_id = arena_strdup(a, id);
	} else {
		/* Retries of the same call get the same id, so they replace, not duplicate. */
		const char *parts[2] = {jsonw_astr(a, req, JSONW_SORT_KEYS),
					jsonw_astr(a, resp, JSONW_SORT_KEYS)};
		s->span_id = hash_stable_id(a, CHAT_HASH_PREFIX, parts, 2);
	}
	x = chat_str(body, "trace_id");
	s->trace_id = x ? arena_strdup(a, x) : s->span_id;
	x = chat_str(body, "session_id");
	s->session_id = x ? arena_strdup(a, x) : s->trace_id;
	s->parent_span_id = NULL;
	s->workspace = ws;
	s->source = CHAT_SOURCE;
	s->kind = KIND_LLM;
	x = chat_str(resp, "model");
	if (!x)
		x = chat_str(req, "model");
	s->name = x ? arena_strdup(a, x) : NULL;
	s->str[SS_MODEL] = s->name;
	s->started_at = chat_started(resp, now);
	/* A capture holds no end time, and the ingest time is not one: a capture sent late
	 * would last as long as it waited (the NeMo service's ended_at = ingest time). The
	 * span's end, and so its duration, stay unknown. */
	s->ended_at = SPAN_NONE_I64;
	s->input = jsonw_astr(a, req, 0);
	s->output = jsonw_astr(a, resp, 0);

	err = json_object_get(resp, "error");
	if (json_is_object(err))
		chat_error(a, s, err);
	else
		s->status = SPST_SUCCESS;

	x = chat_str(body, "provider");
	if (x)
		s->str[SS_PROVIDER] = arena_strdup(a, x);
	else if (id && !strncmp(id, "chatcmpl-", strlen("chatcmpl-")))
		s->str[SS_PROVIDER] = "openai"; /* F infers it from OpenAI's id prefix */

	chat_tokens(s, json_object_get(resp, "usage"));
	chat_costs(s, body);
	s->evaluation_context = catalog_context(body);
	return ST_OK;
}
