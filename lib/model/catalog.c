/* catalog: the conventions table (README "Attribute mapping"): where each typed Span field of
 * an OTLP span comes from in every convention spandex reads, as declared rows, and the
 * semantic attribute catalog (reference nemo-intake.md section 5) that applies the field rows
 * to OTLP and direct-span attribute objects. The kind table, the field rows and the sources
 * below are the whole mapping: lib/ingest/otlp_map.c walks them, t/check_catalog walks every
 * row through it and generates README's tables from them. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lib/model/catalog.h"
#include "lib/model/catalog_object.h"
#include "lib/model/span.h"
#include "lib/base/arena.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"

/* Choices this file makes where the reference is silent (documented in span.h too):
 * - A value of the wrong type (a string token count, a negative token count, a number as a
 *   model name) is not a value for the field: the next source key is tried, and the
 *   attribute stays in raw_attributes untouched.
 * - A lower-priority key whose value equals the winner's is consumed too (it says nothing
 *   new); one with a different value stays in raw_attributes, so nothing is lost.
 * - null values count as absent for the catalog and are kept verbatim like any other
 *   unconsumed attribute. Key exclusions that belong to one ingest format (OTLP's
 *   input.value, session.id ...) are the caller's business: it leaves them out of attrs.
 * - Fields set from attributes overwrite what the span already held; JSON objects the span
 *   already holds (evaluation_context, usage_details, cost_details, raw_attributes) are
 *   extended, their existing keys kept.
 * - A row limited to one span kind (traceloop.entity.name names the tool of a TOOL span and
 *   the agent of an AGENT span) reads s->kind, so the caller sets the kind first; such a row
 *   only fills a field no earlier row filled.
 * - The Span has no field for a prompt version that is a number, so integer versions
 *   (Langfuse, Traceloop) are written in decimal. */

#define CAT_COST_PREFIX "llm.cost."
#define CAT_LF_LEVEL "langfuse.observation.level"

/* ---- the field rows ----
 * Reference section 5 first (its keys and order are the NeMo service's); after them, in the
 * same row, the further GenAI / OpenInference / OpenLLMetry / Langfuse names of otel-egp.md
 * section 3.4, the AI SDK 6 ai.* dialect and pydantic-ai's and Logfire's (instrumentation.md;
 * pydantic-ai's usage.py and Logfire's llm_providers), which only apply when none of the
 * reference's keys is present. Where 3.4 orders the reference's own keys differently (it puts
 * gen_ai.response.model before gen_ai.request.model, gen_ai.provider.name before
 * gen_ai.system), the reference's order stands so that spandex answers as the NeMo service
 * does; a loser that differs stays in raw_attributes. */
#define TOK(f) offsetof(struct span, f)
#define LF_USAGE(m) CATALOG_LF_USAGE "{" m "}"
#define LF_COST(m) CATALOG_LF_COST "{" m "}"
#define LOGFIRE_USAGE(m) CATALOG_LOGFIRE_USAGE "{" m "}"
#define STR(f) #f, CATALOG_STR, SS_##f
static const struct catalog_row cat_rows[] = {
    {"model",
     CATALOG_STR,
     SS_MODEL,
     NULL,
     NULL,
     {"gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "llm.response.model_name",
      "llm.request.model_name", "embedding.model_name", "reranker.model_name",
      "langfuse.observation.model.name", "ai.model.id", "model_name"},
     NULL},
    {"provider",
     CATALOG_STR,
     SS_PROVIDER,
     NULL,
     NULL,
     {"gen_ai.system", "gen_ai.provider.name", "llm.provider", "llm.system", "ai.model.provider"},
     NULL},
    {"prompt_id", CATALOG_STR, SS_PROMPT_ID, NULL, NULL, {"gen_ai.prompt.id", "prompt.id"}, NULL},
    /* prompt_name / prompt_version: the reference found no source keys; otel-egp.md 3.4. */
    {"prompt_name",
     CATALOG_STR,
     SS_PROMPT_NAME,
     NULL,
     NULL,
     {"gen_ai.prompt.name", "langfuse.observation.prompt.name", "traceloop.prompt.key"},
     NULL},
    /* Langfuse sends langfuse.observation.prompt.version as an int, Traceloop's SDK its
     * traceloop.prompt.version too (otel-egp.md 3.3). */
    {"prompt_version",
     CATALOG_VERSION,
     SS_PROMPT_VERSION,
     NULL,
     NULL,
     {"llm.prompt_template.version", "langfuse.observation.prompt.version",
      "traceloop.prompt.version"},
     "integers are written in decimal"},
    {"agent_id", CATALOG_STR, SS_AGENT_ID, NULL, NULL, {"gen_ai.agent.id", "agent.id"}, NULL},
    {"agent_name",
     CATALOG_STR,
     SS_AGENT_NAME,
     NULL,
     NULL,
     {"gen_ai.agent.name", "llm.agent.name", "agent.name", "agent_name"},
     NULL},
    /* OpenLLMetry names every span by traceloop.entity.name; it is the agent's name only on
     * an AGENT span, the tool's only on a TOOL span (otel-egp.md 3.4). */
    {"agent_name",
     CATALOG_STR,
     SS_AGENT_NAME,
     NULL,
     "AGENT",
     {"traceloop.entity.name", "ai.telemetry.functionId"},
     NULL},
    {"tool_name",
     CATALOG_STR,
     SS_TOOL_NAME,
     NULL,
     NULL,
     {"gen_ai.tool.name", "tool.name", "ai.toolCall.name"},
     NULL},
    {"tool_name",
     CATALOG_STR,
     SS_TOOL_NAME,
     NULL,
     "TOOL",
     {"traceloop.entity.name"},
     "then the span name, less an `execute_tool ` prefix: Langfuse names a tool observation "
     "only so"},
    {"project",
     CATALOG_STR,
     SS_PROJECT,
     NULL,
     NULL,
     {"gen_ai.project", "project.name", "project"},
     NULL},
    /* OTel's error.type ("recording errors") when there is no exception.type. */
    {"error_type",
     CATALOG_STR,
     SS_ERROR_TYPE,
     NULL,
     NULL,
     {"exception.type", "error.type"},
     "`exception.type` is the attribute, then the `exception` event's"},
    {"error_message",
     CATALOG_STR,
     SS_ERROR_MESSAGE,
     NULL,
     NULL,
     {"exception.message"},
     "the attribute, then the `exception` event's"},
    /* The Span's evaluation_context (Get Span page: SpanEvaluationContext) has evaluation_id
     * and test_case_id; the F/H names of the evaluation and test case land there. */
    {"evaluation_context",
     CATALOG_EVAL,
     0,
     "evaluation_id",
     NULL,
     {"nemo.evaluation.name", "nemo.experiment.id", "experiment.id"},
     NULL},
    {"evaluation_context",
     CATALOG_EVAL,
     0,
     "test_case_id",
     NULL,
     {"nemo.test_case.name", "nemo.test_case.id"},
     NULL},
    {"input_tokens",
     CATALOG_TOKENS,
     TOK(input_tokens),
     NULL,
     NULL,
     {"gen_ai.usage.input_tokens", "llm.token_count.prompt", "gen_ai.usage.prompt_tokens",
      "ai.usage.inputTokens", "ai.usage.promptTokens", "ai.usage.tokens", LF_USAGE("input"),
      LF_USAGE("promptTokens"), LF_USAGE("prompt_tokens")},
     "`ai.usage.tokens` is an embedding's"},
    {"output_tokens",
     CATALOG_TOKENS,
     TOK(output_tokens),
     NULL,
     NULL,
     {"gen_ai.usage.output_tokens", "llm.token_count.completion", "gen_ai.usage.completion_tokens",
      "ai.usage.outputTokens", "ai.usage.completionTokens", LF_USAGE("output"),
      LF_USAGE("completionTokens"), LF_USAGE("completion_tokens")},
     NULL},
    {"cached_tokens",
     CATALOG_TOKENS,
     TOK(cached_tokens),
     NULL,
     NULL,
     {"gen_ai.usage.cached_tokens", "gen_ai.usage.input_cache_tokens",
      "llm.token_count.prompt_details.cache_read", "llm.token_count.cached",
      "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
      "ai.usage.cachedInputTokens", "ai.usage.inputTokenDetails.cacheReadTokens",
      LF_USAGE("cache_read_input_tokens"), LF_USAGE("input_cached_tokens"),
      "gen_ai.usage.details.cache_read_tokens",
      LOGFIRE_USAGE("prompt_tokens_details.cached_tokens")},
     "a part of `input_tokens`, never added to it"},
    /* Not derived from input + output when absent (reference section 5). */
    {"total_tokens",
     CATALOG_TOKENS,
     TOK(total_tokens),
     NULL,
     NULL,
     {"gen_ai.usage.total_tokens", "llm.token_count.total", "llm.usage.total_tokens",
      "ai.usage.totalTokens", LF_USAGE("total"), LF_USAGE("totalTokens"), LF_USAGE("total_tokens")},
     "not derived, as the NeMo service does not"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.cache_write",
     NULL,
     {"llm.token_count.prompt_details.cache_write", "gen_ai.usage.cache_creation.input_tokens",
      "gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.cache_write.input_tokens",
      "ai.usage.inputTokenDetails.cacheWriteTokens", LF_USAGE("cache_creation_input_tokens"),
      "gen_ai.usage.details.cache_write_tokens"},
     NULL},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.cache_input",
     NULL,
     {"llm.token_count.prompt_details.cache_input"},
     NULL},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.audio",
     NULL,
     {"llm.token_count.prompt_details.audio", "gen_ai.usage.details.input_audio_tokens"},
     NULL},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "completion_details.reasoning",
     NULL,
     {"llm.token_count.completion_details.reasoning", "gen_ai.usage.reasoning.output_tokens",
      "gen_ai.usage.reasoning_tokens", "ai.usage.reasoningTokens",
      "ai.usage.outputTokenDetails.reasoningTokens", LF_USAGE("output_reasoning_tokens"),
      LF_USAGE("reasoning_tokens"), "gen_ai.usage.details.reasoning_tokens",
      LOGFIRE_USAGE("completion_tokens_details.reasoning_tokens")},
     NULL},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "completion_details.audio",
     NULL,
     {"llm.token_count.completion_details.audio", "gen_ai.usage.details.output_audio_tokens"},
     NULL},
    {"cost_total_usd",
     CATALOG_COST,
     TOK(cost_total_usd),
     NULL,
     NULL,
     {"gen_ai.usage.cost", "llm.cost.total", LF_COST("total"), LF_COST("totalCost"),
      "operation.cost"},
     "not derived"},
    /* Without these two, the sums of cat_sums below. */
    {"cost_input_usd",
     CATALOG_COST,
     TOK(cost_input_usd),
     NULL,
     NULL,
     {"llm.cost.prompt", LF_COST("input")},
     "the sum of the `llm.cost.prompt_details.*`"},
    {"cost_output_usd",
     CATALOG_COST,
     TOK(cost_output_usd),
     NULL,
     NULL,
     {"llm.cost.completion", LF_COST("output")},
     "the sum of the `llm.cost.completion_details.*`"},
};
#undef STR
#define CAT_NROWS (sizeof cat_rows / sizeof cat_rows[0])

/* otel-egp.md 3.4: without llm.cost.prompt, cost_input_usd is the sum of the
 * llm.cost.prompt_details.* costs. OpenInference's own example (semantic_conventions.md:
 * prompt 0.0021 = input + cache_write + cache_read + cache_input + audio, completion 0.0045 =
 * output + reasoning + audio) shows both detail sets are parts of their whole, so the output
 * cost is summed the same way. The details stay in cost_details (reference section 5); the
 * total is not derived, as the reference does not derive total_tokens. */
static const struct {
	const char *detail; /* prefix of the cost_details name */
	size_t field;	    /* offsetof(struct span, x), a CATALOG_COST row's field */
} cat_sums[] = {
    {"prompt_details.", TOK(cost_input_usd)},
    {"completion_details.", TOK(cost_output_usd)},
};
#define CAT_NSUMS (sizeof cat_sums / sizeof cat_sums[0])

/* ---- the other fields' sources ----
 * Session (nemo-intake.md 4.1's keys, then Langfuse's (otel-egp.md 3.4), the AI SDK 6
 * metadata keys Traceloop reads as one, and the OpenLLMetry SDK's association property
 * (instrumentation.md 5.1, 5.2)); input and output (the reference's keys in its order,
 * nemo-intake.md 4.1, then the other conventions': OpenLLMetry's traceloop.entity.*, Langfuse's
 * langfuse.observation.*, the AI SDK 6 ai.*, the deprecated GenAI gen_ai.prompt /
 * gen_ai.completion and their flattened OpenLLMetry form, the deprecated events, pydantic-ai's
 * run messages and Logfire's request and response); status (nemo-intake.md 6, Langfuse's level
 * being that SDK's status attribute, otel-egp.md 3.3); the error message after the catalog's
 * exception.message; the keys NeMo drops (nemo-intake.md 4.1); and the user and tool call id,
 * which the Span (the Get Span page), Opik's and SGP's spans have no member for, so they stay
 * in raw_attributes as they came (a field no API shows would only be read there anyway, and
 * the index record has no room for one). */
#define SRC(f, key, how, drop)                                                                     \
	{                                                                                          \
		CATALOG_##f, key, CATALOG_##how, CATALOG_##drop, -1, NULL, NULL, NULL,             \
		    SPST_SUCCESS                                                                   \
	}
#define SRC_ON(f, key, how, drop, kind)                                                            \
	{                                                                                          \
		CATALOG_##f, key, CATALOG_##how, CATALOG_##drop, KIND_##kind, NULL, NULL, NULL,    \
		    SPST_SUCCESS                                                                   \
	}
#define SRC_EVENT(f, name, role)                                                                   \
	{                                                                                          \
		CATALOG_##f, name, CATALOG_EVENT, CATALOG_KEEP, -1, NULL, NULL, role, SPST_SUCCESS \
	}
#define SRC_STATUS(how, key, drop, value, status)                                                  \
	{                                                                                          \
		CATALOG_STATUS, key, CATALOG_##how, CATALOG_##drop, -1, NULL, NULL, value,         \
		    SPST_##status                                                                  \
	}
static const struct catalog_source cat_sources[] = {
    SRC(SESSION, "gen_ai.conversation.id", ID, DROP),
    SRC(SESSION, "session.id", ID, DROP),
    SRC(SESSION, "langfuse.session.id", ID, DROP_SAME),
    SRC(SESSION, "ai.telemetry.metadata.sessionId", ID, DROP_SAME),
    SRC(SESSION, "ai.telemetry.metadata.conversationId", ID, DROP_SAME),
    SRC(SESSION, "traceloop.association.properties.session_id", ID, DROP_SAME),
    SRC_ON(INPUT, "llm.input_messages.", OI_LIST, DROP, LLM),
    SRC(INPUT, "input.value", TEXT, DROP),
    /* pydantic-ai's agent run: its messages, before the system instructions it also has. */
    SRC(INPUT, "pydantic_ai.all_messages", TEXT, KEEP),
    SRC(INPUT, "gen_ai.input.messages", MESSAGES, KEEP),
    SRC(INPUT, "gen_ai.tool.call.arguments", TEXT, KEEP),
    SRC(INPUT, "tool_arguments", TEXT, KEEP),
    SRC(INPUT, "traceloop.entity.input", TEXT, KEEP),
    SRC(INPUT, "langfuse.observation.input", TEXT, KEEP),
    SRC(INPUT, "ai.prompt.messages", TEXT, KEEP),
    SRC(INPUT, "ai.prompt", TEXT, KEEP),
    SRC(INPUT, "ai.toolCall.args", TEXT, KEEP),
    SRC(INPUT, "ai.values", JSON_LIST, KEEP),
    SRC(INPUT, "ai.value", TEXT, KEEP),
    SRC(INPUT, "gen_ai.prompt", TEXT, KEEP),
    SRC(INPUT, "gen_ai.prompt.", FLAT_LIST, KEEP),
    SRC_EVENT(INPUT, "gen_ai.system.message", "system"),
    SRC_EVENT(INPUT, "gen_ai.user.message", "user"),
    SRC_EVENT(INPUT, "gen_ai.assistant.message", "assistant"),
    SRC_EVENT(INPUT, "gen_ai.tool.message", "tool"),
    SRC(INPUT, "request_data", TEXT, KEEP),
    SRC_ON(OUTPUT, "llm.output_messages.", OI_LIST, DROP, LLM),
    SRC(OUTPUT, "output.value", TEXT, DROP),
    SRC(OUTPUT, "gen_ai.output.messages", TEXT, KEEP),
    SRC(OUTPUT, "final_result", TEXT, KEEP),
    SRC(OUTPUT, "gen_ai.tool.call.result", TEXT, KEEP),
    SRC(OUTPUT, "tool_response", TEXT, KEEP),
    SRC(OUTPUT, "traceloop.entity.output", TEXT, KEEP),
    SRC(OUTPUT, "langfuse.observation.output", TEXT, KEEP),
    SRC(OUTPUT, "ai.response.object", TEXT, KEEP),
    SRC(OUTPUT, "ai.toolCall.result", TEXT, KEEP),
    SRC(OUTPUT, "gen_ai.completion", TEXT, KEEP),
    /* The AI SDK 6 answer of a text call: its text, or the tool calls when it has no text (a
     * step that only calls tools sends no ai.response.text, or an empty one). */
    SRC(OUTPUT, "ai.response.text", NONEMPTY, KEEP),
    SRC(OUTPUT, "ai.response.toolCalls", NONEMPTY, KEEP),
    SRC(OUTPUT, "gen_ai.completion.", FLAT_LIST, KEEP),
    SRC_EVENT(OUTPUT, "gen_ai.choice", "assistant"),
    SRC(OUTPUT, "response_data", TEXT, KEEP),
    SRC_STATUS(STATUS_ATTR, "status", DROP, "error", ERROR),
    SRC_STATUS(STATUS_ATTR, "status", DROP, "status_code_error", ERROR),
    SRC_STATUS(STATUS_ATTR, "status", DROP, "cancelled", CANCELLED),
    SRC_STATUS(STATUS_ATTR, "status", DROP, "canceled", CANCELLED),
    SRC_STATUS(STATUS_ATTR, "otel.status_code", DROP, "error", ERROR),
    SRC_STATUS(STATUS_ATTR, "otel.status_code", DROP, "status_code_error", ERROR),
    SRC_STATUS(STATUS_ATTR, "otel.status_code", DROP, "cancelled", CANCELLED),
    SRC_STATUS(STATUS_ATTR, "otel.status_code", DROP, "canceled", CANCELLED),
    SRC_STATUS(LEVEL, CAT_LF_LEVEL, KEEP, "ERROR", ERROR),
    SRC_STATUS(STATUS_CODE, NULL, KEEP, NULL, ERROR),
    SRC(ERROR_MESSAGE, NULL, STATUS_TEXT, KEEP),
    {CATALOG_ERROR_MESSAGE, "langfuse.observation.status_message", CATALOG_ID, CATALOG_KEEP, -1,
     CAT_LF_LEVEL, "ERROR", NULL, SPST_SUCCESS},
    SRC(DROPPED, "llm.tools.", PREFIX, DROP),
    SRC(USER, "user.id", RAW, KEEP),
    SRC(USER, "langfuse.user.id", RAW, KEEP),
    SRC(USER, "traceloop.association.properties.user_id", RAW, KEEP),
    SRC(USER, "ai.telemetry.metadata.userId", RAW, KEEP),
    SRC(TOOL_CALL_ID, "gen_ai.tool.call.id", RAW, KEEP),
    SRC(TOOL_CALL_ID, "tool.id", RAW, KEEP),
    SRC(TOOL_CALL_ID, "ai.toolCall.id", RAW, KEEP),
};
#undef SRC
#undef SRC_ON
#undef SRC_EVENT
#undef SRC_STATUS
#define CAT_NSOURCES (sizeof cat_sources / sizeof cat_sources[0])

const char *const catalog_field_names[CATALOG__FIELDS] = {"session_id",
							  "input",
							  "output",
							  "status",
							  "error_message",
							  "dropped",
							  "user (raw_attributes)",
							  "tool call id (raw_attributes)"};

const struct catalog_row *catalog_rows(size_t *n)
{
	*n = CAT_NROWS;
	return cat_rows;
}

const struct catalog_source *catalog_sources(size_t *n)
{
	*n = CAT_NSOURCES;
	return cat_sources;
}

/* True when v is a value the row's field can take. */
static bool cat_usable(const struct catalog_row *r, json_t *v)
{
	int64_t n;
	double d;
	switch (r->type) {
	case CATALOG_STR:
	case CATALOG_EVAL:
		return json_is_string(v);
	case CATALOG_VERSION:
		return json_is_string(v) || catalog_whole(v, &n);
	case CATALOG_TOKENS:
	case CATALOG_USAGE:
		return catalog_count(v, &n);
	case CATALOG_COST:
		return catalog_cost(v, &d);
	}
	return false;
}

/* Returns *slot, creating an empty object there first when it is NULL. */
static json_t *cat_object(json_t **slot)
{
	if (!*slot)
		*slot = json_object();
	return *slot;
}

static void cat_set(struct arena *a, struct span *s, const struct catalog_row *r, json_t *v)
{
	int64_t n = 0;
	double d = 0;
	switch (r->type) {
	case CATALOG_STR:
		s->str[r->field] = arena_strndup(a, json_string_value(v), json_string_length(v));
		break;
	case CATALOG_VERSION:
		if (json_is_string(v))
			s->str[r->field] =
			    arena_strndup(a, json_string_value(v), json_string_length(v));
		else if (catalog_whole(v, &n))
			s->str[r->field] = arena_printf(a, "%lld", (long long)n);
		break;
	case CATALOG_EVAL:
		if (!json_object_get(cat_object(&s->evaluation_context), r->sub))
			json_object_set(s->evaluation_context, r->sub, v);
		break;
	case CATALOG_TOKENS:
		catalog_count(v, &n);
		*(int64_t *)((char *)s + r->field) = n;
		break;
	case CATALOG_USAGE:
		catalog_count(v, &n);
		if (!json_object_get(cat_object(&s->usage_details), r->sub))
			json_object_set_new(s->usage_details, r->sub, json_integer(n));
		break;
	case CATALOG_COST:
		catalog_cost(v, &d);
		*(double *)((char *)s + r->field) = d;
		break;
	}
}

/* The table's keys by hash, built once per process: every attribute of every span is looked
 * up, so a scan of the whole table per key would cost more than the rest of the mapping. A
 * key may sit in more than one row (traceloop.entity.name). */
struct cat_key {
	uint64_t h;
	uint16_t row, k;
};
static struct cat_key cat_keys[CAT_NROWS * CATALOG_MAX_KEYS];
static size_t cat_nkeys;

static int cmp_cat_key(const void *a, const void *b)
{
	const struct cat_key *x = a, *y = b;
	return (x->h > y->h) - (x->h < y->h);
}

/* The entries of the index whose hash is key's (*n of them; the caller confirms the string),
 * or NULL. */
static const struct cat_key *cat_lookup(const char *key, size_t *n)
{
	if (!cat_nkeys) {
		for (size_t i = 0; i < CAT_NROWS; i++)
			for (size_t j = 0; j < CATALOG_MAX_KEYS && cat_rows[i].keys[j]; j++)
				cat_keys[cat_nkeys++] = (struct cat_key){
				    hash_bytes(cat_rows[i].keys[j], strlen(cat_rows[i].keys[j])),
				    (uint16_t)i, (uint16_t)j};
		qsort(cat_keys, cat_nkeys, sizeof(*cat_keys), cmp_cat_key);
	}
	struct cat_key want = {hash_bytes(key, strlen(key)), 0, 0};
	const struct cat_key *e =
	    bsearch(&want, cat_keys, cat_nkeys, sizeof(*cat_keys), cmp_cat_key);
	const struct cat_key *end = e;

	/* Equal hashes sit side by side. */
	while (e && e > cat_keys && e[-1].h == want.h)
		e--;
	while (end && end < cat_keys + cat_nkeys && end->h == want.h)
		end++;
	*n = e ? (size_t)(end - e) : 0;
	return e;
}

/* Whether the table names key; with winner, whether a row naming key chose v or a value
 * equal to it (then v says nothing new and is consumed). */
static bool cat_names(const char *key, json_t *v, json_t *const *winner)
{
	size_t n;
	const struct cat_key *e = cat_lookup(key, &n);

	for (size_t i = 0; i < n; i++) {
		json_t *w = winner ? winner[e[i].row] : NULL;
		if (strcmp(cat_rows[e[i].row].keys[e[i].k], key))
			continue;
		if (!winner || (w && (w == v || json_equal(w, v))))
			return true;
	}
	return false;
}

/* For each row, the usable non-null value of its first source key present in attrs (NULL
 * for none): one index lookup per attribute instead of one per row and key, as most keys
 * of the table are absent from any one span. */
static void cat_candidates(json_t *attrs, json_t **cand)
{
	unsigned char best[CAT_NROWS];
	const char *key;
	json_t *v;

	for (size_t i = 0; i < CAT_NROWS; i++) {
		cand[i] = NULL;
		best[i] = CATALOG_MAX_KEYS;
	}
	json_object_foreach(attrs, key, v)
	{
		size_t n;
		const struct cat_key *e;

		if (json_is_null(v))
			continue;
		e = cat_lookup(key, &n);
		for (size_t i = 0; i < n; i++)
			if (e[i].k < best[e[i].row] &&
			    !strcmp(cat_rows[e[i].row].keys[e[i].k], key) &&
			    cat_usable(&cat_rows[e[i].row], v)) {
				best[e[i].row] = (unsigned char)e[i].k;
				cand[e[i].row] = v;
			}
	}
}

/* The cost_details name of a dynamic llm.cost.<x> key, or NULL when key is not one. The
 * keys the table maps to typed cost fields are not dynamic. */
static const char *cat_cost_detail(const char *key)
{
	if (strncmp(key, CAT_COST_PREFIX, strlen(CAT_COST_PREFIX)) || !key[strlen(CAT_COST_PREFIX)])
		return NULL;
	if (cat_names(key, NULL, NULL))
		return NULL;
	return key + strlen(CAT_COST_PREFIX);
}

/* The value an earlier row chose for row i's field, or NULL. */
static json_t *cat_earlier(size_t i, json_t *const *winner)
{
	for (size_t j = 0; j < i; j++)
		if (winner[j] && cat_rows[j].type == cat_rows[i].type &&
		    cat_rows[j].field == cat_rows[i].field)
			return winner[j];
	return NULL;
}

/* The sums of cat_sums into fields no row filled. */
static void cat_sum_costs(struct span *s, json_t *const *winner, const double *sum,
			  const bool *seen)
{
	for (size_t k = 0; k < CAT_NSUMS; k++) {
		bool filled = false;
		if (!seen[k])
			continue;
		for (size_t i = 0; i < CAT_NROWS; i++)
			if (cat_rows[i].type == CATALOG_COST &&
			    cat_rows[i].field == cat_sums[k].field)
				filled = filled || winner[i];
		/* A sum past CATALOG_MAX_USD is no cost, as a sent one would not be. */
		if (!filled && sum[k] <= CATALOG_MAX_USD)
			*(double *)((char *)s + cat_sums[k].field) = catalog_round_cost(sum[k]);
	}
}

/* A spread member no row took: into usage_details / cost_details (a count, an amount) under
 * its own name; a KEEP object's is dropped (the attribute is kept whole). False when key is
 * no spread member, or its value is no count (amount): then it is kept as it is. */
static bool cat_spread_rest(struct span *s, const char *key, json_t *v)
{
	const char *member;
	const struct catalog_object *o = catalog_object_member(key, &member);
	char *name;
	int64_t c;
	double d;
	bool done = false;

	if (!o)
		return false;
	if (o->rest == CATALOG_REST_KEEP)
		return true;
	name = xmalloc(strlen(member));
	memcpy(name, member, strlen(member) - 1);
	name[strlen(member) - 1] = '\0';
	if (o->rest == CATALOG_REST_USAGE && catalog_count(v, &c)) {
		if (!json_object_get(cat_object(&s->usage_details), name))
			json_object_set_new(s->usage_details, name, json_integer(c));
		done = true;
	} else if (o->rest == CATALOG_REST_COST && catalog_cost(v, &d)) {
		if (!json_object_get(cat_object(&s->cost_details), name))
			json_object_set_new(s->cost_details, name, json_real(d));
		done = true;
	}
	free(name);
	return done;
}

static bool cat_is_usage(const struct catalog_row *r)
{
	return r->type == CATALOG_TOKENS || r->type == CATALOG_USAGE || r->type == CATALOG_COST;
}

/* A client's cost that cannot be one (catalog.h). */
void catalog_check_cost(struct span *s)
{
	static const struct {
		const char *name;
		size_t field;
	} costs[] = {{"total", TOK(cost_total_usd)},
		     {"input", TOK(cost_input_usd)},
		     {"output", TOK(cost_output_usd)}};
	/* In double: a stored version (a PATCH's) may hold counts from before CATALOG_MAX_TOKENS,
	 * whose sum would not fit an int64_t. */
	double tok = (double)s->total_tokens;
	json_t *refused;
	bool bad = false;
	double cap;

	if (s->total_tokens == SPAN_NONE_I64) {
		if (s->input_tokens == SPAN_NONE_I64 && s->output_tokens == SPAN_NONE_I64)
			return;
		tok = (s->input_tokens == SPAN_NONE_I64 ? 0 : (double)s->input_tokens) +
		      (s->output_tokens == SPAN_NONE_I64 ? 0 : (double)s->output_tokens);
	}
	/* Half a micro-USD of slack for the rounding to 6 decimals. */
	cap = tok * CATALOG_MAX_USD_PER_TOKEN + 0.5 / CATALOG_COST_DECIMALS;
	for (size_t i = 0; i < 3; i++)
		bad = bad || *(double *)((char *)s + costs[i].field) > cap;
	if (!bad)
		return;
	refused = json_object();
	for (size_t i = 0; i < 3; i++) {
		double *d = (double *)((char *)s + costs[i].field);
		if (!isnan(*d))
			json_object_set_new(refused, costs[i].name, json_real(*d));
		*d = NAN;
	}
	json_object_set_new(cat_object(&s->raw_attributes), CATALOG_REFUSED_KEY, refused);
}

/* The catalog itself (see span.h and catalog.h for the contracts, the top of this file for
 * the choices where the reference is silent). */
/* The GenAI provider name of an AI SDK provider id ("openai.chat", "google.vertex.chat",
 * "amazon-bedrock"): the mapping the SDK's own OpenTelemetry integration (@ai-sdk/otel) applies,
 * so one provider reads the same from ai@6's raw ids and ai@7's names (instrumentation.md 1.2,
 * 2.2). Longer prefixes first; an id none matches stays as it is. */
static const char *cat_ai_sdk_provider(const char *id)
{
	static const char *const map[][2] = {
	    {"google.vertex", "gcp.vertex_ai"},
	    {"google.generative-ai", "gcp.gemini"},
	    {"google-vertex", "gcp.vertex_ai"},
	    {"amazon-bedrock", "aws.bedrock"},
	    {"azure-openai", "azure.ai.openai"},
	    {"anthropic", "anthropic"},
	    {"openai", "openai"},
	    {"azure", "azure.ai.inference"},
	    {"google", "gcp.gemini"},
	    {"mistral", "mistral_ai"},
	    {"cohere", "cohere"},
	    {"bedrock", "aws.bedrock"},
	    {"groq", "groq"},
	    {"deepseek", "deepseek"},
	    {"perplexity", "perplexity"},
	    {"xai", "x_ai"},
	};
	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		size_t n = strlen(map[i][0]);
		if (!strncasecmp(id, map[i][0], n) && (!id[n] || id[n] == '.' || id[n] == '-'))
			return map[i][1];
	}
	return id;
}

static void cat_apply(struct arena *a, struct span *s, json_t *attrs, bool children)
{
	json_t *winner[CAT_NROWS], *cand[CAT_NROWS];
	double sum[CAT_NSUMS] = {0};
	bool seen[CAT_NSUMS] = {false}, held = false;
	json_t *spread = catalog_object_spread(attrs), *look = spread ? spread : attrs;
	const char *key;
	json_t *v;

	/* The children's usage is looked for in the spread members too, but stays in
	 * raw_attributes as it came. */
	if (!children)
		attrs = look;
	/* First usable non-null source key of each row, in priority order. */
	cat_candidates(look, cand);
	for (size_t i = 0; i < CAT_NROWS; i++) {
		winner[i] = NULL;
		if (cat_rows[i].kind) {
			if (strcmp(cat_rows[i].kind, span_kind_names[s->kind]))
				continue;
			/* A row limited to a kind only fills what no earlier row filled; the
			 * earlier value counts as its own, so an equal value is consumed too. */
			if ((winner[i] = cat_earlier(i, winner)))
				continue;
		}
		if (!(v = cand[i]))
			continue;
		/* The children's usage: left where it is, said so below. */
		if (children && cat_is_usage(&cat_rows[i])) {
			held = true;
			continue;
		}
		winner[i] = v;
		cat_set(a, s, &cat_rows[i], v);
	}
	json_object_foreach(attrs, key, v)
	{
		const char *detail;
		double d;
		if (cat_names(key, v, winner))
			continue;
		detail = children ? NULL : cat_cost_detail(key);
		if (detail && catalog_cost(v, &d)) {
			for (size_t k = 0; k < CAT_NSUMS; k++)
				if (!strncmp(detail, cat_sums[k].detail,
					     strlen(cat_sums[k].detail))) {
					sum[k] += d;
					seen[k] = true;
				}
			if (!json_object_get(cat_object(&s->cost_details), detail))
				json_object_set_new(s->cost_details, detail, json_real(d));
			continue;
		}
		if (spread && !children && cat_spread_rest(s, key, v))
			continue;
		if (!json_object_get(cat_object(&s->raw_attributes), key))
			json_object_set(s->raw_attributes, key, v);
	}
	cat_sum_costs(s, winner, sum, seen);
	/* An AI SDK span's provider is its provider id: read as the SDK's integration names it,
	 * the id kept in raw_attributes. */
	const char *id = json_string_value(json_object_get(look, "ai.model.provider"));
	if (id && s->str[SS_PROVIDER] && !strcmp(s->str[SS_PROVIDER], id) &&
	    strcmp(cat_ai_sdk_provider(id), id)) {
		s->str[SS_PROVIDER] = cat_ai_sdk_provider(id);
		json_object_set_new(cat_object(&s->raw_attributes), "ai.model.provider",
				    json_string(id));
	}
	if (held)
		json_object_set_new(cat_object(&s->raw_attributes), CATALOG_USAGE_KEY,
				    json_string("children"));
	json_decref(spread);
}

/* Applies the catalog of reference section 5 to attrs (span.h). */
void catalog_apply(struct arena *a, struct span *s, json_t *attrs)
{
	if (json_is_object(attrs))
		cat_apply(a, s, attrs, false);
}

#define CAT_TOOL_PREFIX "execute_tool " /* the GenAI tool span name: execute_tool {tool.name} */

/* The catalog for one OTLP span (catalog.h). */
void catalog_apply_span(struct arena *a, struct span *s, json_t *attrs, const char *name,
			bool children)
{
	if (!json_is_object(attrs))
		return;
	cat_apply(a, s, attrs, children);
	if (s->kind == KIND_TOOL && !s->str[SS_TOOL_NAME] && name && *name) {
		if (!strncmp(name, CAT_TOOL_PREFIX, strlen(CAT_TOOL_PREFIX)) &&
		    name[strlen(CAT_TOOL_PREFIX)])
			name += strlen(CAT_TOOL_PREFIX);
		s->str[SS_TOOL_NAME] = arena_strdup(a, name);
	}
}
