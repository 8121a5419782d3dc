/* render: spans as Langfuse shows traces and observations (commons.yml's Trace,
 * ObservationsView and ObservationV2), whichever API wrote them (map.h). */
#include "lib/api/langfuse/map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

static void key(struct buf *out, bool *first, const char *k)
{
	buf_printf(out, "%s\"%s\":", *first ? "" : ",", k);
	*first = false;
}

static void put_str(struct buf *out, bool *first, const char *k, const char *v)
{
	key(out, first, k);
	if (v)
		jsonw_string(out, v, strlen(v));
	else
		buf_adds(out, "null");
}

static void put_time(struct buf *out, bool *first, const char *k, int64_t us)
{
	char t[40];
	key(out, first, k);
	if (us == SPAN_NONE_I64) {
		buf_adds(out, "null");
		return;
	}
	time_format(us, t);
	buf_printf(out, "\"%s\"", t);
}

static void put_num(struct buf *out, bool *first, const char *k, double v)
{
	key(out, first, k);
	if (isnan(v))
		buf_adds(out, "null");
	else
		jsonw_number(out, v);
}

static void put_json(struct buf *out, bool *first, const char *k, json_t *v)
{
	key(out, first, k);
	jsonw_value(out, v ? v : json_null());
}

void langfuse_text_out(struct buf *b, const char *text)
{
	size_t pos;
	json_t *v = text ? jsonx_parse(text, strlen(text), &pos, NULL) : NULL;
	if (!text)
		buf_adds(b, "null");
	else if (v)
		jsonw_value(b, v);
	else
		jsonw_string(b, text, strlen(text));
	json_decref(v);
}

static void put_text(struct buf *out, bool *first, const char *k, const char *text)
{
	key(out, first, k);
	langfuse_text_out(out, text);
}

/* Metadata as Langfuse shows it: what its SDKs sent (whole, or as the OTel SDK's flattened
 * <prefix>.<key> attributes); of a span another API wrote, its attributes, as Langfuse's OTel
 * ingest shows a span's (metadata.attributes). A new object. */
static json_t *metadata_of(const struct span *s, const char *whole)
{
	json_t *m = span_raw(s, whole), *out = json_object(), *v;
	const char *k;
	size_t n = strlen(whole);
	if (m)
		return json_is_object(m) ? json_deep_copy(m) : json_pack("{s:O}", "metadata", m);
	json_object_foreach(s->raw_attributes, k, v) if (!strncmp(k, whole, n) && k[n] == '.')
	    json_object_set(out, k + n + 1, v);
	if (!json_object_size(out) && s->raw_attributes && json_object_size(s->raw_attributes) &&
	    !span_raw(s, LF_TYPE) && !langfuse_is_trace_row(s))
		json_object_set(out, "attributes", s->raw_attributes);
	return out;
}

/* ---- usage and cost, as Langfuse's parts ---- */

/* Where a usage detail of the store reads back in Langfuse's names (the catalog's names for
 * them, so that the same read again is the same counts), and which side it is part of. */
static const struct {
	const char *stored, *lf;
} usage_names[] = {
    {"prompt_details.cache_write", "cache_creation_input_tokens"},
    {"prompt_details.cache_input", "input_cache_input_tokens"},
    {"prompt_details.audio", "input_audio_tokens"},
    {"completion_details.reasoning", "output_reasoning_tokens"},
    {"completion_details.audio", "output_audio_tokens"},
};

static const char *usage_name(const char *stored)
{
	for (size_t i = 0; i < sizeof usage_names / sizeof *usage_names; i++)
		if (!strcmp(usage_names[i].stored, stored))
			return usage_names[i].lf;
	return stored;
}

struct usage {
	json_t *details; /* the usage parts */
	json_t *costs;
	int64_t in, out, total; /* SPAN_NONE_I64 when absent */
};

static void usage_parts(const struct span *s, struct usage *u)
{
	const char *k;
	json_t *v;
	int64_t in_parts = 0, out_parts = 0;
	u->details = json_object();
	u->costs = json_object();
	if (s->cached_tokens != SPAN_NONE_I64) {
		json_object_set_new(u->details, "input_cached_tokens",
				    json_integer(s->cached_tokens));
		in_parts += s->cached_tokens;
	}
	json_object_foreach(s->usage_details, k, v)
	{
		const char *name = usage_name(k);
		if (!json_is_integer(v))
			continue;
		json_object_set(u->details, name, v);
		if (strstr(name, "input"))
			in_parts += json_integer_value(v);
		else if (strstr(name, "output"))
			out_parts += json_integer_value(v);
	}
	u->in = s->input_tokens == SPAN_NONE_I64 ? SPAN_NONE_I64
		: s->input_tokens > in_parts	 ? s->input_tokens - in_parts
						 : 0;
	u->out = s->output_tokens == SPAN_NONE_I64 ? SPAN_NONE_I64
		 : s->output_tokens > out_parts	   ? s->output_tokens - out_parts
						   : 0;
	u->total = s->total_tokens != SPAN_NONE_I64 ? s->total_tokens
		   : s->input_tokens != SPAN_NONE_I64 || s->output_tokens != SPAN_NONE_I64
		       ? (s->input_tokens != SPAN_NONE_I64 ? s->input_tokens : 0) +
			     (s->output_tokens != SPAN_NONE_I64 ? s->output_tokens : 0)
		       : SPAN_NONE_I64;
	if (u->in != SPAN_NONE_I64)
		json_object_set_new(u->details, "input", json_integer(u->in));
	if (u->out != SPAN_NONE_I64)
		json_object_set_new(u->details, "output", json_integer(u->out));
	if (u->total != SPAN_NONE_I64)
		json_object_set_new(u->details, "total", json_integer(u->total));
	double cin = 0, cout = 0;
	json_object_foreach(s->cost_details, k, v) if (json_is_number(v))
	{
		json_object_set(u->costs, k, v);
		if (strstr(k, "input"))
			cin += json_number_value(v);
		else if (strstr(k, "output"))
			cout += json_number_value(v);
	}
	if (!isnan(s->cost_input_usd))
		json_object_set_new(u->costs, "input", json_real(fmax(s->cost_input_usd - cin, 0)));
	if (!isnan(s->cost_output_usd))
		json_object_set_new(u->costs, "output",
				    json_real(fmax(s->cost_output_usd - cout, 0)));
	if (!isnan(s->cost_total_usd))
		json_object_set_new(u->costs, "total", json_real(s->cost_total_usd));
}

void langfuse_render_usage(struct buf *out, const struct span *s)
{
	struct usage u;
	usage_parts(s, &u);
	buf_adds(out, "\"usageDetails\":");
	jsonw_value(out, u.details);
	buf_adds(out, ",\"costDetails\":");
	jsonw_value(out, u.costs);
	json_decref(u.details);
	json_decref(u.costs);
}

/* usage (deprecated in Langfuse: commons.yml's Usage): the input and output parts, the total,
 * the unit, the costs. */
static void put_usage(struct buf *out, bool *first, const struct span *s, const struct usage *u)
{
	bool f = true;
	key(out, first, "usage");
	buf_addc(out, '{');
	buf_printf(out, "\"input\":%lld,\"output\":%lld,\"total\":%lld",
		   (long long)(u->in != SPAN_NONE_I64 ? u->in : 0),
		   (long long)(u->out != SPAN_NONE_I64 ? u->out : 0),
		   (long long)(u->total != SPAN_NONE_I64 ? u->total : 0));
	f = false;
	put_str(out, &f, "unit", u->total != SPAN_NONE_I64 ? "TOKENS" : NULL);
	if (!isnan(s->cost_input_usd))
		put_num(out, &f, "inputCost", s->cost_input_usd);
	if (!isnan(s->cost_output_usd))
		put_num(out, &f, "outputCost", s->cost_output_usd);
	if (!isnan(s->cost_total_usd))
		put_num(out, &f, "totalCost", s->cost_total_usd);
	buf_addc(out, '}');
}

/* ---- observations ---- */

/* The parent Langfuse shows: none for a child of its trace's row (map.h). */
static const char *parent_of(const struct span *s)
{
	if (!s->parent_span_id || !*s->parent_span_id ||
	    (s->trace_id && !strcmp(s->parent_span_id, s->trace_id)))
		return NULL;
	return s->parent_span_id;
}

static const char *level_of(const struct span *s)
{
	const char *l = langfuse_raw_str(s, LF_LEVEL);
	return l ? l : s->status == SPST_ERROR ? "ERROR" : "DEFAULT";
}

static const char *status_message_of(const struct span *s)
{
	const char *m = langfuse_raw_str(s, LF_STATUS_MSG);
	return m ? m : s->status == SPST_ERROR ? s->str[SS_ERROR_MESSAGE] : NULL;
}

/* When the first token came (the SDK's completionStartTime), or SPAN_NONE_I64. */
static int64_t completion_start(const struct span *s)
{
	int64_t us;
	const char *t = langfuse_raw_str(s, LF_COMPLETION_START);
	return t && time_parse(t, false, &us) ? us : SPAN_NONE_I64;
}

static double seconds(int64_t from, int64_t to)
{
	return from == SPAN_NONE_I64 || to == SPAN_NONE_I64 ? NAN : (double)(to - from) / 1e6;
}

static void put_prompt_version(struct buf *out, bool *first, const struct span *s)
{
	const char *v = s->str[SS_PROMPT_VERSION];
	char *end;
	long long n = v ? strtoll(v, &end, 10) : 0;
	key(out, first, "promptVersion");
	if (v && *v && !*end)
		buf_printf(out, "%lld", n);
	else
		buf_adds(out, "null");
}

void langfuse_render_observation(struct buf *out, struct arena *a, const struct span *s)
{
	struct usage u;
	bool first = true;
	json_t *meta = metadata_of(s, LF_OBS_META);
	int64_t cst = completion_start(s);
	(void)a;
	usage_parts(s, &u);
	buf_addc(out, '{');
	put_str(out, &first, "id", s->span_id);
	put_str(out, &first, "traceId", s->trace_id);
	put_str(out, &first, "type", langfuse_obs_type(s));
	put_str(out, &first, "name", s->name);
	put_time(out, &first, "startTime", s->started_at);
	put_time(out, &first, "endTime", s->ended_at);
	put_time(out, &first, "completionStartTime", cst);
	put_str(out, &first, "model", s->str[SS_MODEL]);
	put_json(out, &first, "modelParameters", span_raw(s, LF_MODEL_PARAMS));
	put_text(out, &first, "input", s->input);
	put_str(out, &first, "version", langfuse_raw_str(s, LF_VERSION));
	put_json(out, &first, "metadata", meta);
	put_text(out, &first, "output", s->output);
	put_usage(out, &first, s, &u);
	put_str(out, &first, "level", level_of(s));
	put_str(out, &first, "statusMessage", status_message_of(s));
	put_str(out, &first, "parentObservationId", parent_of(s));
	put_str(out, &first, "promptId", s->str[SS_PROMPT_ID]);
	put_json(out, &first, "usageDetails", u.details);
	put_json(out, &first, "costDetails", u.costs);
	put_str(out, &first, "environment", langfuse_env_of(s));
	put_str(out, &first, "promptName", s->str[SS_PROMPT_NAME]);
	put_prompt_version(out, &first, s);
	put_str(out, &first, "modelId", NULL);
	put_num(out, &first, "inputPrice", NAN);
	put_num(out, &first, "outputPrice", NAN);
	put_num(out, &first, "totalPrice", NAN);
	put_num(out, &first, "calculatedInputCost", s->cost_input_usd);
	put_num(out, &first, "calculatedOutputCost", s->cost_output_usd);
	put_num(out, &first, "calculatedTotalCost", s->cost_total_usd);
	put_num(out, &first, "latency", seconds(s->started_at, s->ended_at));
	put_num(out, &first, "timeToFirstToken", seconds(s->started_at, cst));
	buf_addc(out, '}');
	json_decref(meta);
	json_decref(u.details);
	json_decref(u.costs);
}

/* ObservationV2: the core members, then each field group asked for, then the model's prices
 * (always present, null here: spandex keeps no model record). */
void langfuse_render_observation_v2(struct buf *out, struct arena *a, const char *ws,
				    const struct span *s, unsigned groups)
{
	bool first = true;
	int64_t cst = completion_start(s);
	buf_addc(out, '{');
	put_str(out, &first, "id", s->span_id);
	put_str(out, &first, "traceId", s->trace_id);
	put_time(out, &first, "startTime", s->started_at);
	put_time(out, &first, "endTime", s->ended_at);
	put_str(out, &first, "projectId", ws);
	put_str(out, &first, "parentObservationId", parent_of(s));
	put_str(out, &first, "type", langfuse_obs_type(s));
	if (groups & LG_BASIC) {
		put_str(out, &first, "name", s->name);
		put_str(out, &first, "level", level_of(s));
		put_str(out, &first, "statusMessage", status_message_of(s));
		put_str(out, &first, "version", langfuse_raw_str(s, LF_VERSION));
		put_str(out, &first, "environment", langfuse_env_of(s));
		key(out, &first, "bookmarked");
		buf_adds(out, "false,\"public\":false");
		put_str(out, &first, "userId", langfuse_user_of(s));
		put_str(out, &first, "sessionId",
			s->session_id && !span_session_default(s) ? s->session_id : NULL);
		key(out, &first, "isRootObservation");
		buf_adds(out, parent_of(s) ? "false" : "true");
	}
	if (groups & LG_TIME) {
		put_time(out, &first, "completionStartTime", cst);
		put_time(out, &first, "createdAt", s->ingested_at);
		put_time(out, &first, "updatedAt", s->ingested_at);
	}
	if (groups & LG_IO) {
		/* v2 returns input and output as the raw strings they are stored as. */
		put_str(out, &first, "input", s->input);
		put_str(out, &first, "output", s->output);
	}
	if (groups & LG_METADATA) {
		json_t *meta = metadata_of(s, LF_OBS_META);
		put_json(out, &first, "metadata", meta);
		json_decref(meta);
	}
	if (groups & LG_MODEL) {
		put_str(out, &first, "providedModelName", s->str[SS_MODEL]);
		put_str(out, &first, "internalModelId", NULL);
		put_json(out, &first, "modelParameters", span_raw(s, LF_MODEL_PARAMS));
	}
	if (groups & LG_USAGE) {
		buf_adds(out, ",");
		langfuse_render_usage(out, s);
		put_num(out, &first, "totalCost", s->cost_total_usd);
		put_str(out, &first, "usagePricingTierName", NULL);
	}
	if (groups & LG_PROMPT) {
		put_str(out, &first, "promptId", s->str[SS_PROMPT_ID]);
		put_str(out, &first, "promptName", s->str[SS_PROMPT_NAME]);
		put_prompt_version(out, &first, s);
	}
	if (groups & LG_METRICS) {
		put_num(out, &first, "latency", seconds(s->started_at, s->ended_at));
		put_num(out, &first, "timeToFirstToken", seconds(s->started_at, cst));
	}
	(void)a;
	put_str(out, &first, "modelId", NULL);
	put_str(out, &first, "inputPrice", NULL);
	put_str(out, &first, "outputPrice", NULL);
	put_str(out, &first, "totalPrice", NULL);
	buf_addc(out, '}');
}

/* ---- traces ---- */

/* A trace's tags: Langfuse's, or those another API kept for the trace (Opik's). */
json_t *langfuse_tags_of(const struct span *s)
{
	json_t *t = span_raw(s, LF_TAGS);
	if (!json_is_array(t))
		t = span_raw(s, "opik.tags");
	return json_is_array(t) ? t : NULL;
}

void langfuse_render_trace_head(struct buf *out, struct arena *a, const char *ws,
				const struct span *s, const char *session, bool io)
{
	bool first = true;
	json_t *tags = langfuse_tags_of(s), *pub = span_raw(s, LF_PUBLIC);
	(void)ws;
	buf_addc(out, '{');
	put_str(out, &first, "id", s->trace_id ? s->trace_id : s->span_id);
	put_time(out, &first, "timestamp", s->started_at);
	put_str(out, &first, "name", s->name);
	if (io) {
		put_text(out, &first, "input", s->input);
		put_text(out, &first, "output", s->output);
	}
	put_str(out, &first, "sessionId", session);
	put_str(out, &first, "release", langfuse_raw_str(s, LF_RELEASE));
	put_str(out, &first, "version", langfuse_raw_str(s, LF_VERSION));
	put_str(out, &first, "userId", langfuse_user_of(s));
	if (io) {
		json_t *meta = metadata_of(s, LF_TRACE_META);
		put_json(out, &first, "metadata", meta);
		json_decref(meta);
	} else {
		key(out, &first, "metadata");
		buf_adds(out, "{}");
	}
	key(out, &first, "tags");
	if (tags)
		jsonw_value(out, tags);
	else
		buf_adds(out, "[]");
	key(out, &first, "public");
	buf_adds(out, json_is_true(pub) ? "true" : "false");
	put_str(out, &first, "environment", langfuse_env_of(s));
	put_str(out, &first, "externalId", NULL);
	(void)a;
}
