/* catalog_rows: the conventions table's field rows and the other fields' sources
 * (docs/attributes.md): where each typed Span field of an OTLP span comes from in every convention
 * spandex reads, as declared rows. catalog.c applies them; lib/ingest/otlp_map.c walks the sources,
 * and t/check_catalog walks every row and generates docs/attributes.md's tables from them. */
#include <stddef.h>
#include <strings.h>
#include "lib/model/catalog.h"
#include "lib/model/span.h"

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
     * traceloop.prompt.version too (otel-egp.md 3.3). The GenAI conventions' own
     * gen_ai.prompt.version (instrumentation.md 6) comes last: the NeMo service's keys keep
     * their order. */
    {"prompt_version",
     CATALOG_VERSION,
     SS_PROMPT_VERSION,
     NULL,
     NULL,
     {"llm.prompt_template.version", "langfuse.observation.prompt.version",
      "traceloop.prompt.version", "gen_ai.prompt.version"},
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
     {"gen_ai.project", "project.name", "project", "openinference.project.name",
      "langsmith.trace.session_name"},
     "OpenInference's resource attribute, then LangSmith's project (its tracer session)"},
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
    /* The Span's evaluation_context (Get Span page: SpanEvaluationContext) has evaluation_id,
     * dataset_id and test_case_id; the F/H names of the evaluation and test case land there,
     * and so does a Langfuse experiment (instrumentation.md 3.2, "experiments"): its id, its
     * dataset and the dataset item a run's spans carry. */
    {"evaluation_context",
     CATALOG_EVAL,
     0,
     "evaluation_id",
     NULL,
     {"nemo.evaluation.name", "nemo.experiment.id", "experiment.id", "langfuse.experiment.id"},
     NULL},
    {"evaluation_context",
     CATALOG_EVAL,
     0,
     "dataset_id",
     NULL,
     {"langfuse.experiment.dataset.id"},
     NULL},
    {"evaluation_context",
     CATALOG_EVAL,
     0,
     "test_case_id",
     NULL,
     {"nemo.test_case.name", "nemo.test_case.id", "langfuse.experiment.item.id"},
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
     {"llm.token_count.prompt_details.cache_write", "gen_ai.usage.cache_write.input_tokens",
      "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens",
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
     {"llm.token_count.prompt_details.audio", "gen_ai.usage.audio.input_tokens",
      "gen_ai.usage.details.input_audio_tokens", "gen_ai.usage.audio_input_tokens"},
     NULL},
    /* The GenAI conventions' tokens by modality (instrumentation.md 6): parts of the input,
     * output and cached counts, as the audio ones are, never added to them. */
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.text",
     NULL,
     {"gen_ai.usage.text.input_tokens"},
     "a part of `input_tokens`"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.image",
     NULL,
     {"gen_ai.usage.image.input_tokens"},
     "a part of `input_tokens`"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.cache_read_text",
     NULL,
     {"gen_ai.usage.text.cache_read.input_tokens"},
     "a part of `cached_tokens`"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.cache_read_image",
     NULL,
     {"gen_ai.usage.image.cache_read.input_tokens"},
     "a part of `cached_tokens`"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "prompt_details.cache_read_audio",
     NULL,
     {"gen_ai.usage.audio.cache_read.input_tokens"},
     "a part of `cached_tokens`"},
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
     {"llm.token_count.completion_details.audio", "gen_ai.usage.audio.output_tokens",
      "gen_ai.usage.details.output_audio_tokens", "gen_ai.usage.audio_output_tokens"},
     NULL},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "completion_details.text",
     NULL,
     {"gen_ai.usage.text.output_tokens"},
     "a part of `output_tokens`"},
    {"usage_details",
     CATALOG_USAGE,
     0,
     "completion_details.image",
     NULL,
     {"gen_ai.usage.image.output_tokens"},
     "a part of `output_tokens`"},
    {"cost_total_usd",
     CATALOG_COST,
     TOK(cost_total_usd),
     NULL,
     NULL,
     {"gen_ai.usage.cost", "llm.cost.total", LF_COST("total"), LF_COST("totalCost"),
      "operation.cost"},
     "else the sum of the input and output costs the attributes gave, as Langfuse sums an "
     "omitted total"},
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
_Static_assert(sizeof cat_rows / sizeof cat_rows[0] == CATALOG_NROWS,
	       "CATALOG_NROWS (catalog.h) counts the field rows");
const struct catalog_row *const catalog_row_table = cat_rows;

/* ---- the other fields' sources ----
 * Session (nemo-intake.md 4.1's keys, then Langfuse's (otel-egp.md 3.4), the AI SDK 6
 * metadata keys Traceloop reads as one, and the OpenLLMetry SDK's association property
 * (instrumentation.md 5.1, 5.2)); input and output (the reference's keys in its order,
 * nemo-intake.md 4.1, then the other conventions': OpenLLMetry's traceloop.entity.*, Langfuse's
 * langfuse.observation.*, the AI SDK 6 ai.*, the deprecated GenAI gen_ai.prompt /
 * gen_ai.completion and their flattened OpenLLMetry form, the deprecated events, pydantic-ai's
 * run messages and Logfire's request and response, Mastra's model steps and inferences); status
 * (nemo-intake.md 6, Langfuse's level being that SDK's status attribute, otel-egp.md 3.3, and
 * LangSmith's failed run, an exception event on a span its exporter may have ended OK: the
 * translator of langsmith-sdk js/src/experimental/otel sets OK when a run is posted and ERROR
 * with the exception when it is patched failed, and OTel keeps an OK status final); the
 * error message after the catalog's
 * exception.message; the keys NeMo drops (nemo-intake.md 4.1); and the user and tool call id,
 * which the Span (the Get Span page), Opik's and SGP's spans have no member for, so they stay
 * in raw_attributes as they came (a field no API shows would only be read there anyway, and
 * the index record has no room for one), nor the time to the first chunk (Opik's ttft reads it,
 * in the unit the source's value names), whether the call streamed, and the GenAI
 * conventions' compacted conversation. */
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
#define SRC_UNIT(key, unit)                                                                        \
	{                                                                                          \
		CATALOG_FIRST_CHUNK, key, CATALOG_RAW, CATALOG_KEEP, -1, NULL, NULL,               \
		    CATALOG_UNIT_##unit, SPST_SUCCESS                                              \
	}
#define CAT_LS_KIND "langsmith.span.kind"
static const struct catalog_source cat_sources[] = {
    SRC(SESSION, "gen_ai.conversation.id", ID, DROP),
    SRC(SESSION, "session.id", ID, DROP),
    SRC(SESSION, "langfuse.session.id", ID, DROP_SAME),
    SRC(SESSION, "ai.telemetry.metadata.sessionId", ID, DROP_SAME),
    SRC(SESSION, "ai.telemetry.metadata.conversationId", ID, DROP_SAME),
    SRC(SESSION, "traceloop.association.properties.session_id", ID, DROP_SAME),
    /* LangSmith's threads: the run's metadata key its UI groups by, in the SDK's order. */
    SRC(SESSION, "langsmith.metadata.thread_id", ID, DROP_SAME),
    SRC(SESSION, "langsmith.metadata.session_id", ID, DROP_SAME),
    SRC(SESSION, "langsmith.metadata.conversation_id", ID, DROP_SAME),
    SRC_ON(INPUT, "llm.input_messages.", OI_LIST, DROP, LLM),
    SRC(INPUT, "input.value", TEXT, DROP),
    /* pydantic-ai's agent run: its messages, before the system instructions it also has. */
    SRC(INPUT, "pydantic_ai.all_messages", TEXT, KEEP),
    SRC(INPUT, "gen_ai.input.messages", MESSAGES, KEEP),
    SRC(INPUT, "gen_ai.tool.call.arguments", TEXT, KEEP),
    /* A GenAI retrieval's query and a memory search's (instrumentation.md 6). */
    SRC(INPUT, "gen_ai.retrieval.query.text", TEXT, KEEP),
    SRC(INPUT, "gen_ai.memory.query.text", TEXT, KEEP),
    /* What an OpenLLMetry guard checked, and what its check answered. */
    SRC(INPUT, "gen_ai.guardrail.input", TEXT, KEEP),
    SRC(INPUT, "tool_arguments", TEXT, KEEP),
    SRC(INPUT, "traceloop.entity.input", TEXT, KEEP),
    SRC(INPUT, "langfuse.observation.input", TEXT, KEEP),
    /* Langfuse's trace input (setTraceIO, deprecated there), on the span that set it: the
     * root, most often, whose observation has none (instrumentation.md 3). */
    SRC(INPUT, "langfuse.trace.input", TEXT, KEEP),
    /* Mastra's model calls: a step (one API call) and the provider call inside it carry their
     * messages as mastra.<span type>.input (@mastra/otel-exporter gen-ai-semantics.ts). */
    SRC(INPUT, "mastra.model_step.input", TEXT, KEEP),
    SRC(INPUT, "mastra.model_inference.input", TEXT, KEEP),
    SRC(INPUT, "ai.prompt.messages", TEXT, KEEP),
    SRC(INPUT, "ai.prompt", TEXT, KEEP),
    SRC(INPUT, "ai.toolCall.args", TEXT, KEEP),
    SRC(INPUT, "ai.values", JSON_LIST, KEEP),
    SRC(INPUT, "ai.value", TEXT, KEEP),
    /* The AI SDK's rerank: the documents it ranks (the query is sent to no span). */
    SRC(INPUT, "ai.documents", JSON_LIST, KEEP),
    /* OpenInference's embedded texts, when no input.value came with them. */
    SRC(INPUT, "embedding.embeddings.", TEXT_LIST, KEEP),
    /* OpenInference's reranker: the documents it ranks, as the AI SDK's. */
    SRC(INPUT, "reranker.input_documents.", DOC_LIST, KEEP),
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
    /* What they found: the documents, the memory records (JSON, or structured values). */
    SRC(OUTPUT, "gen_ai.retrieval.documents", TEXT, KEEP),
    SRC(OUTPUT, "gen_ai.memory.records", TEXT, KEEP),
    /* OpenInference's: a retriever's documents, a reranker's ranked ones. */
    SRC(OUTPUT, "retrieval.documents.", DOC_LIST, KEEP),
    SRC(OUTPUT, "reranker.output_documents.", DOC_LIST, KEEP),
    SRC(OUTPUT, "gen_ai.guardrail.output", TEXT, KEEP),
    SRC(OUTPUT, "tool_response", TEXT, KEEP),
    SRC(OUTPUT, "traceloop.entity.output", TEXT, KEEP),
    SRC(OUTPUT, "langfuse.observation.output", TEXT, KEEP),
    SRC(OUTPUT, "langfuse.trace.output", TEXT, KEEP),
    SRC(OUTPUT, "mastra.model_step.output", TEXT, KEEP),
    SRC(OUTPUT, "mastra.model_inference.output", TEXT, KEEP),
    SRC(OUTPUT, "ai.response.object", TEXT, KEEP),
    SRC(OUTPUT, "ai.toolCall.result", TEXT, KEEP),
    SRC(OUTPUT, "ai.ranking", JSON_LIST, KEEP),
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
    {CATALOG_STATUS, "exception", CATALOG_STATUS_EVENT, CATALOG_KEEP, -1, CAT_LS_KIND, NULL, NULL,
     SPST_ERROR},
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
    SRC_UNIT("gen_ai.response.time_to_first_chunk", S),
    SRC_UNIT("ai.response.msToFirstChunk", MS),
    SRC_UNIT("ai.stream.msToFirstChunk", MS),
    SRC_UNIT("gen_ai.client.operation.time_to_first_chunk", S),
    SRC_UNIT("langfuse.observation.completion_start_time", AT),
    SRC_UNIT("mastra.completion_start_time", AT),
    SRC(STREAMED, "gen_ai.request.stream", RAW, KEEP),
    SRC(STREAMED, "langsmith.request.streaming", RAW, KEEP),
    SRC(COMPACTED, "gen_ai.conversation.compacted", RAW, KEEP),
};
#undef SRC
#undef SRC_ON
#undef SRC_EVENT
#undef SRC_STATUS
#undef SRC_UNIT
#define CAT_NSOURCES (sizeof cat_sources / sizeof cat_sources[0])

const char *const catalog_field_names[CATALOG__FIELDS] = {"session_id",
							  "input",
							  "output",
							  "status",
							  "error_message",
							  "dropped",
							  "user (raw_attributes)",
							  "tool call id (raw_attributes)",
							  "time to first chunk (raw_attributes)",
							  "streamed (raw_attributes)",
							  "compacted (raw_attributes)"};

const struct catalog_row *catalog_rows(size_t *n)
{
	*n = CATALOG_NROWS;
	return cat_rows;
}

const struct catalog_source *catalog_sources(size_t *n)
{
	*n = CAT_NSOURCES;
	return cat_sources;
}

bool catalog_source_when(const struct catalog_source *src, json_t *attrs)
{
	json_t *v;

	if (!src->when)
		return true;
	v = json_object_get(attrs, src->when);
	if (!json_is_string(v) || !json_string_length(v))
		return false;
	return !src->when_value || !strcasecmp(json_string_value(v), src->when_value);
}
