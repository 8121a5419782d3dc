/* catalog_kind: the kind row of the conventions table (docs/attributes.md): which
 * attribute and value make a span's kind in each convention spandex reads, and whose usage
 * each kind's is; catalog_kind applies it. lib/ingest/otlp_map.c and t/check_catalog walk
 * the rows (catalog_kind_rows), as they walk catalog_rows.c's field rows. */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include "lib/model/catalog.h"
#include "lib/model/span.h"
#include "lib/json/jeach.h"

/* ---- the kind table ----
 * The kind row of the conventions (otel-egp.md 3.4, instrumentation.md 0 and 8), and whose
 * work each kind's usage is. OpenInference's own kinds first (as the NeMo service), then
 * LangSmith's run type (before gen_ai.operation.name: its exporter names a retriever's
 * operation "embeddings"), the AI SDK 6 operation ids (before gen_ai.operation.name: Traceloop
 * renames those roots to "chat" but keeps ai.operationId), the GenAI operation names, OpenLLMetry,
 * Langfuse, and last the pydantic-ai spans older than its 1.76 (no gen_ai.operation.name), told by
 * a key only they carry. CHILDREN marks the conventions' parents that repeat the usage of the model
 * calls under them: AI SDK 6 roots (ai.usage.* summed over steps), AI SDK 7's and pydantic-ai's
 * invoke_agent and agent_step, OpenInference AGENT and CHAIN spans (usage belongs on LLM
 * spans; the Vercel bridge copies the root's sum onto its AGENT span), OpenLLMetry
 * workflow/task/agent spans, Langfuse agent and chain observations, pydantic-ai's agent run.
 * Kinds the conventions give no name for are the nearest member: plan -> AGENT
 * (openinference-genai), agent_step -> CHAIN and rerank -> RERANKER (openinference-vercel),
 * search_memory -> RETRIEVER, the memory writes -> TOOL (a datastore call, gen_ai.tool.type
 * "datastore"), and AI SDK 7's speech and transcription calls (a CLIENT span of a model, its
 * raw operation id as the name) -> LLM. */
#define CK(key, value, kind, usage, note)                                                          \
	{                                                                                          \
		key, value, KIND_##kind, CATALOG_##usage, note                                     \
	}
static const struct catalog_kind_row cat_kinds[] = {
    CK("openinference.span.kind", "LLM", LLM, OWN, "OpenInference"),
    CK("openinference.span.kind", "CHAIN", CHAIN, CHILDREN, "OpenInference"),
    CK("openinference.span.kind", "TOOL", TOOL, OWN, "OpenInference"),
    CK("openinference.span.kind", "RETRIEVER", RETRIEVER, OWN, "OpenInference"),
    CK("openinference.span.kind", "EMBEDDING", EMBEDDING, OWN, "OpenInference"),
    CK("openinference.span.kind", "AGENT", AGENT, CHILDREN, "OpenInference"),
    CK("openinference.span.kind", "RERANKER", RERANKER, OWN, "OpenInference"),
    CK("openinference.span.kind", "EVALUATOR", EVALUATOR, OWN, "OpenInference"),
    CK("openinference.span.kind", "GUARDRAIL", GUARDRAIL, OWN, "OpenInference"),
    CK("openinference.span.kind", "UNKNOWN", UNKNOWN, OWN, "OpenInference"),
    CK("openinference.span.kind", "PROMPT", CHAIN, CHILDREN, "OpenInference"),
    CK("langsmith.span.kind", "llm", LLM, OWN, "LangSmith"),
    CK("langsmith.span.kind", "chain", CHAIN, CHILDREN, "LangSmith"),
    CK("langsmith.span.kind", "tool", TOOL, OWN, "LangSmith"),
    CK("langsmith.span.kind", "retriever", RETRIEVER, OWN, "LangSmith"),
    CK("langsmith.span.kind", "embedding", EMBEDDING, OWN, "LangSmith"),
    CK("ai.operationId", "ai.generateText", AGENT, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.streamText", AGENT, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.generateObject", AGENT, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.streamObject", AGENT, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.generateText.doGenerate", LLM, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.streamText.doStream", LLM, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.generateObject.doGenerate", LLM, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.streamObject.doStream", LLM, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.embed", CHAIN, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.embedMany", CHAIN, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.embed.doEmbed", EMBEDDING, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.embedMany.doEmbed", EMBEDDING, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.rerank", CHAIN, CHILDREN, "AI SDK 6, the whole call"),
    CK("ai.operationId", "ai.rerank.doRerank", RERANKER, OWN, "AI SDK 6, one model call"),
    CK("ai.operationId", "ai.toolCall", TOOL, OWN, "AI SDK 6"),
    CK("gen_ai.operation.name", "chat", LLM, OWN, "GenAI"),
    CK("gen_ai.operation.name", "text_completion", LLM, OWN, "GenAI"),
    CK("gen_ai.operation.name", "generate_content", LLM, OWN, "GenAI"),
    CK("gen_ai.operation.name", "fetch_response", LLM, OWN, "GenAI (reports no tokens)"),
    CK("gen_ai.operation.name", "realtime_inference", LLM, OWN, "GenAI, a realtime session's call"),
    CK("gen_ai.operation.name", "decide", LLM, OWN, "AI SDK 7"),
    CK("gen_ai.operation.name", "ai.generateSpeech", LLM, OWN, "AI SDK 7, a speech model call"),
    CK("gen_ai.operation.name", "ai.transcribe", LLM, OWN, "AI SDK 7, a transcription model call"),
    CK("gen_ai.operation.name", "ai.streamTranscribe", LLM, OWN,
       "AI SDK 7, a transcription model call"),
    CK("gen_ai.operation.name", "embeddings", EMBEDDING, OWN, "GenAI"),
    CK("gen_ai.operation.name", "retrieval", RETRIEVER, OWN, "GenAI"),
    CK("gen_ai.operation.name", "search_memory", RETRIEVER, OWN, "GenAI memory; no kind named"),
    CK("gen_ai.operation.name", "rerank", RERANKER, OWN, "AI SDK 7 (openinference-vercel)"),
    CK("gen_ai.operation.name", "execute_tool", TOOL, OWN, "GenAI"),
    CK("gen_ai.operation.name", "create_memory", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "update_memory", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "upsert_memory", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "delete_memory", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "create_memory_store", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "delete_memory_store", TOOL, OWN, "GenAI memory, a datastore call"),
    CK("gen_ai.operation.name", "invoke_agent", AGENT, CHILDREN_LOCAL,
       "GenAI, AI SDK 7, pydantic-ai 1.76 on: a local agent repeats its calls' usage"),
    CK("gen_ai.operation.name", "create_agent", AGENT, OWN, "GenAI"),
    CK("gen_ai.operation.name", "plan", AGENT, OWN, "GenAI (openinference-genai)"),
    CK("gen_ai.operation.name", "agent_step", CHAIN, CHILDREN, "AI SDK 7 (openinference-vercel)"),
    CK("gen_ai.operation.name", "invoke_workflow", CHAIN, CHILDREN, "GenAI"),
    CK("gen_ai.operation.name", "handle_conversation_turn", CHAIN, CHILDREN,
       "GenAI, one turn: the usage of the calls under it"),
    CK("gen_ai.operation.name", "guardrail.run", GUARDRAIL, OWN, "OpenLLMetry"),
    CK("gen_ai.operation.name", "guard", GUARDRAIL, OWN, "OpenLLMetry, one guard of a run"),
    CK("traceloop.span.kind", "workflow", CHAIN, CHILDREN, "OpenLLMetry"),
    CK("traceloop.span.kind", "task", CHAIN, CHILDREN, "OpenLLMetry"),
    CK("traceloop.span.kind", "session", CHAIN, CHILDREN, "OpenLLMetry"),
    CK("traceloop.span.kind", "agent", AGENT, CHILDREN, "OpenLLMetry"),
    CK("traceloop.span.kind", "tool", TOOL, OWN, "OpenLLMetry"),
    CK("llm.request.type", "chat", LLM, OWN, "OpenLLMetry (older)"),
    CK("llm.request.type", "completion", LLM, OWN, "OpenLLMetry (older)"),
    CK("llm.request.type", "embedding", EMBEDDING, OWN, "OpenLLMetry (older)"),
    CK("llm.request.type", "rerank", RERANKER, OWN, "OpenLLMetry (older)"),
    CK("langfuse.observation.type", "generation", LLM, OWN, "Langfuse"),
    CK("langfuse.observation.type", "embedding", EMBEDDING, OWN, "Langfuse"),
    CK("langfuse.observation.type", "agent", AGENT, CHILDREN, "Langfuse"),
    CK("langfuse.observation.type", "chain", CHAIN, CHILDREN, "Langfuse"),
    CK("langfuse.observation.type", "tool", TOOL, OWN, "Langfuse"),
    CK("langfuse.observation.type", "retriever", RETRIEVER, OWN, "Langfuse"),
    CK("langfuse.observation.type", "evaluator", EVALUATOR, OWN, "Langfuse"),
    CK("langfuse.observation.type", "guardrail", GUARDRAIL, OWN, "Langfuse"),
    /* pydantic-ai before 1.76: its agent run span ("agent run", or "invoke_agent <name>") has
     * agent_name, and the run's summed gen_ai.usage.* before 2.0 made them
     * gen_ai.aggregated_usage.*; its tool spans ("running tool") have only gen_ai.tool.name. */
    CK("agent_name", NULL, AGENT, CHILDREN, "pydantic-ai's agent run before 1.76: its run's sum"),
    CK("gen_ai.tool.name", NULL, TOOL, OWN, "pydantic-ai's tool call before 1.76"),
};
#undef CK
#define CAT_NKINDS (sizeof cat_kinds / sizeof cat_kinds[0])
#define CAT_EVAL_PREFIX "gen_ai.evaluation." /* any such attribute: an EVALUATOR span */

const struct catalog_kind_row *catalog_kind_rows(size_t *n)
{
	*n = CAT_NKINDS;
	return cat_kinds;
}

/* The first row that matches, in table order (see catalog.h). */
enum span_kind catalog_kind(json_t *attrs, bool client, bool *children)
{
	const char *k;
	json_t *v;

	if (children)
		*children = false;
	v = NULL;
	for (size_t i = 0; i < CAT_NKINDS; i++) {
		const struct catalog_kind_row *r = &cat_kinds[i];
		/* Rows of one key sit together: one lookup per key. */
		if (!i || strcmp(r->key, cat_kinds[i - 1].key))
			v = json_object_get(attrs, r->key);
		if (!json_is_string(v) || (r->value ? strcasecmp(json_string_value(v), r->value)
						    : !json_string_length(v)))
			continue;
		if (children)
			*children = r->usage == CATALOG_CHILDREN ||
				    (r->usage == CATALOG_CHILDREN_LOCAL && !client);
		return r->kind;
	}
	JSON_EACH(attrs, it, k, v)
	{
		if (!strncmp(k, CAT_EVAL_PREFIX, strlen(CAT_EVAL_PREFIX)) && !json_is_null(v))
			return KIND_EVALUATOR;
	}
	return KIND_UNKNOWN;
}
