/* check_otlp_map: one decoded OTLP span mapped onto struct span (lib/ingest/otlp_map.c,
 * otlp_flat.c): the reference's rules (session, kind, status, error, input and output, the
 * catalog's fields), then the other conventions (otel-egp.md 3.1-3.4: Langfuse, Traceloop,
 * OpenLLMetry, the GenAI events). */
#include <stdarg.h>
#include <string.h>

#include "t/check_otlp.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/json/jsonw.h"

/* ---- mapping rules ---- */

START_TEST(session_id_rule)
{
	struct otlp_result r;
	struct span *s;
	const char *parts[2] = {WS, TRACE};

	s = one(IDS ",\"attributes\":[{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s1\"}},"
		    "{\"key\":\"gen_ai.conversation.id\",\"value\":{\"stringValue\":\"conv\"}}]",
		&r);
	ck_assert_str_eq(s->session_id, "conv");
	ck_assert_ptr_null(raw(s, "session.id"));
	ck_assert_ptr_null(raw(s, "gen_ai.conversation.id"));
	otlp_result_free(&r);

	s = one(IDS ",\"attributes\":[{\"key\":\"session.id\",\"value\":{\"stringValue\":\"s1\"}},"
		    "{\"key\":\"gen_ai.conversation.id\",\"value\":{\"stringValue\":\"\"}}]",
		&r);
	ck_assert_str_eq(s->session_id, "s1");
	otlp_result_free(&r);

	s = one(IDS, &r);
	ck_assert_str_eq(s->session_id, hash_stable_id(ta, "session", parts, 2));
	ck_assert_int_eq(strlen(s->session_id), 8 + 32);
	otlp_result_free(&r);
}
END_TEST

static enum span_kind kind_for(const char *attrs)
{
	struct otlp_result r;
	enum span_kind k;

	k = one(arena_printf(ta, IDS ",\"attributes\":[%s]", attrs), &r)->kind;
	otlp_result_free(&r);
	return k;
}

START_TEST(kind_rules)
{
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "llm")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "RETRIEVER")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "PROMPT")), KIND_CHAIN);
	/* OpenInference wins over GenAI. */
	ck_assert_int_eq(
	    kind_for(A("gen_ai.operation.name", "chat") "," A("openinference.span.kind", "TOOL")),
	    KIND_TOOL);
	/* Beyond NeMo: GenAI-only spans are not UNKNOWN (otel-egp.md 3.4). */
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "chat")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "text_completion")), KIND_LLM);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "embeddings")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "retrieval")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "execute_tool")), KIND_TOOL);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "invoke_agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "create_agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "invoke_workflow")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("traceloop.span.kind", "workflow")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("traceloop.span.kind", "agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("llm.request.type", "rerank")), KIND_RERANKER);
	ck_assert_int_eq(kind_for(A("llm.request.type", "embedding")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "generation")), KIND_LLM);
	/* Langfuse's other observation types that name a SpanKind; span and event do not. */
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "agent")), KIND_AGENT);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "tool")), KIND_TOOL);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "chain")), KIND_CHAIN);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "retriever")), KIND_RETRIEVER);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "embedding")), KIND_EMBEDDING);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "evaluator")), KIND_EVALUATOR);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "guardrail")), KIND_GUARDRAIL);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "span")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(A("langfuse.observation.type", "event")), KIND_UNKNOWN);
	ck_assert_int_eq(
	    kind_for(A("traceloop.span.kind", "tool") "," A("langfuse.observation.type", "agent")),
	    KIND_TOOL);
	ck_assert_int_eq(kind_for(A("gen_ai.evaluation.name", "relevance")), KIND_EVALUATOR);
	ck_assert_int_eq(kind_for(A("openinference.span.kind", "nonsense")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(A("gen_ai.operation.name", "dance")), KIND_UNKNOWN);
	ck_assert_int_eq(kind_for(""), KIND_UNKNOWN);
}
END_TEST

static struct span *status_span(const char *fields, struct otlp_result *r)
{
	return one(arena_printf(ta, IDS ",%s", fields), r);
}

START_TEST(status_rules)
{
	struct otlp_result r;
	struct span *s;

	ck_assert_int_eq(status_span("\"status\":{\"code\":2}", &r)->status, SPST_ERROR);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{\"code\":\"STATUS_CODE_ERROR\"}", &r)->status,
			 SPST_ERROR);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{\"code\":1}", &r)->status, SPST_SUCCESS);
	otlp_result_free(&r);
	ck_assert_int_eq(status_span("\"status\":{}", &r)->status, SPST_SUCCESS);
	otlp_result_free(&r);
	s = status_span("\"attributes\":[" A("status", "ERROR") "]", &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_ptr_null(raw(s, "status"));
	otlp_result_free(&r);
	s = status_span("\"attributes\":[" A("otel.status_code", "STATUS_CODE_ERROR") "]", &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_ptr_null(raw(s, "otel.status_code"));
	otlp_result_free(&r);
	ck_assert_int_eq(
	    status_span("\"attributes\":[" A("status", "canceled") "],\"status\":{\"code\":2}", &r)
		->status,
	    SPST_CANCELLED);
	otlp_result_free(&r);
	ck_assert_int_eq(
	    status_span("\"attributes\":[" A("otel.status_code", "cancelled") "]", &r)->status,
	    SPST_CANCELLED);
	otlp_result_free(&r);
}
END_TEST

START_TEST(error_fields)
{
	struct otlp_result r;
	struct span *s;
	json_t *ev;

	/* status.message is the error message when nothing better exists. */
	s = status_span("\"status\":{\"code\":2,\"message\":\"boom\"}", &r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "boom");
	otlp_result_free(&r);

	/* An exception event names the error; the event itself is kept in otel.events. */
	s = status_span(
	    "\"status\":{\"code\":2,\"message\":\"upstream timeout\"},"
	    "\"events\":[{\"name\":\"exception\",\"timeUnixNano\":\"17\",\"attributes\":[" A(
		"exception.type", "TimeoutError") "," A("exception.message", "took 30s") "]}]",
	    &r);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "TimeoutError");
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "took 30s");
	ck_assert(json_is_string(raw(s, "otel.events")));
	ev = json_loads(json_string_value(raw(s, "otel.events")), 0, NULL);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ev, 0), "name")),
			 "exception");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_array_get(ev, 0), "time_unix_nano")), 17);
	json_decref(ev);
	otlp_result_free(&r);

	/* The span's own exception.message attribute wins over event and status. */
	s = status_span("\"status\":{\"code\":2,\"message\":\"status text\"},"
			"\"attributes\":[" A(
			    "exception.message",
			    "attr text") "],"
					 "\"events\":[{\"name\":\"exception\",\"attributes\":[" A(
					     "exception.message", "event text") "]}]",
			&r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "attr text");
	otlp_result_free(&r);
}
END_TEST

START_TEST(input_output_rebuilt)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    "\"attributes\":[" A("openinference.span.kind", "LLM") "," A(
		"llm.input_messages.10.message.role",
		"user") "," A("llm.input_messages.10.message.content",
			      "later") "," A("llm.input_messages.2.message.content",
					     "You are helpful") "," A("llm.input_messages.2."
								      "message.role",
								      "system") "," A("llm."
										      "output_"
										      "messages"
										      ".0."
										      "message."
										      "role",
										      "assistan"
										      "t") "," A("l"
												 "l"
												 "m"
												 "."
												 "o"
												 "u"
												 "t"
												 "p"
												 "u"
												 "t"
												 "_"
												 "m"
												 "e"
												 "s"
												 "s"
												 "a"
												 "g"
												 "e"
												 "s"
												 "."
												 "0"
												 "."
												 "m"
												 "e"
												 "s"
												 "s"
												 "a"
												 "g"
												 "e"
												 "."
												 "t"
												 "o"
												 "o"
												 "l"
												 "_"
												 "c"
												 "a"
												 "l"
												 "l"
												 "s"
												 "."
												 "1"
												 "."
												 "t"
												 "o"
												 "o"
												 "l"
												 "_"
												 "c"
												 "a"
												 "l"
												 "l"
												 "."
												 "f"
												 "u"
												 "n"
												 "c"
												 "t"
												 "i"
												 "o"
												 "n"
												 "."
												 "n"
												 "a"
												 "m"
												 "e",
												 "b") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.id",
													    "call_1") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
															    "a") "," A("llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
																       "{}") "," A("llm.tools.0.tool.json_schema",
																		   "{}") "," A("input.value",
																			       "ignored for LLM when messages exist") "]",
	    &r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->input,
			 "{\"messages\":[{\"role\":\"system\",\"content\":"
			 "\"You are helpful\"},{\"role\":\"user\",\"content\":\"later\"}]}");
	ck_assert_str_eq(
	    s->output, "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_1\","
		       "\"type\":\"function\",\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}},"
		       "{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]}]}");
	/* The flattened keys and input.value do not reach raw_attributes. */
	ck_assert_ptr_null(raw(s, "llm.input_messages.2.message.role"));
	ck_assert_ptr_null(raw(s, "llm.tools.0.tool.json_schema"));
	ck_assert_ptr_null(raw(s, "input.value"));
	ck_assert_ptr_nonnull(raw(s, "openinference.span.kind"));
	otlp_result_free(&r);

	/* Not an LLM span: input.value verbatim, output from a structured value as JSON. */
	s = status_span("\"attributes\":[" A("llm.input_messages.0.message.role", "user") "," A(
			    "input.value", "plain text") ","
							 "{\"key\":\"gen_ai.output.messages\","
							 "\"value\":{\"arrayValue\":{\"values\":["
							 "{\"kvlistValue\":{\"values\":[{\"key\":"
							 "\"role\",\"value\":{\"stringValue\":"
							 "\"assistant\"}}]}}]}}}]",
			&r);
	ck_assert_str_eq(s->input, "plain text");
	ck_assert_str_eq(s->output, "[{\"role\":\"assistant\"}]");
	otlp_result_free(&r);

	/* Tool spans: arguments and result. */
	s = status_span(
	    "\"attributes\":[" A("gen_ai.tool.call.arguments",
				 "{\\\"city\\\":\\\"Paris\\\"}") "," A("gen_ai.tool.call.result",
								       "sunny") "]",
	    &r);
	ck_assert_str_eq(s->input, "{\"city\":\"Paris\"}");
	ck_assert_str_eq(s->output, "sunny");
	otlp_result_free(&r);
}
END_TEST

START_TEST(catalog_applied)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    "\"attributes\":[" A("gen_ai.request.model", "gpt-4o") "," A(
		"gen_ai.system",
		"openai") ","
			  "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":97}},"
			  "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":\"52\"}}"
			  "," A("gen_ai.agent.name", "weather_bot") "," A(
			      "gen_ai.tool.name", "get_weather") "," A("custom.key", "kept") "]",
	    &r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(s->str[SS_PROVIDER], "openai");
	ck_assert_str_eq(s->str[SS_AGENT_NAME], "weather_bot");
	ck_assert_str_eq(s->str[SS_TOOL_NAME], "get_weather");
	ck_assert_int_eq(s->input_tokens, 97);
	ck_assert_int_eq(s->output_tokens, 52);
	ck_assert_str_eq(json_string_value(raw(s, "custom.key")), "kept");
	otlp_result_free(&r);
}
END_TEST

/* ---- the other conventions (otel-egp.md 3.1-3.4) ---- */

/* {"key":k,"value":{"stringValue":v}} with v escaped, so tests can hold JSON text as values. */
static const char *sa(const char *k, const char *v)
{
	struct buf b;
	char *out;

	buf_init(&b);
	jsonw_string(&b, v, strlen(v));
	out = arena_printf(ta, "{\"key\":\"%s\",\"value\":{\"stringValue\":%s}}", k, b.p);
	buf_free(&b);
	return out;
}

static const char *ia(const char *k, long long v)
{
	return arena_printf(ta, "{\"key\":\"%s\",\"value\":{\"intValue\":%lld}}", k, v);
}

/* "attributes":[...] of the n attribute texts that follow. */
static const char *attrs(size_t n, ...)
{
	struct buf b;
	va_list ap;
	char *out;

	buf_init(&b);
	buf_adds(&b, "\"attributes\":[");
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_adds(&b, ",");
		buf_adds(&b, va_arg(ap, const char *));
	}
	va_end(ap);
	buf_adds(&b, "]");
	out = arena_strdup(ta, b.p);
	buf_free(&b);
	return out;
}

static enum span_status status_for(const char *fields)
{
	struct otlp_result r;
	enum span_status st = status_span(fields, &r)->status;

	otlp_result_free(&r);
	return st;
}

#define EXC(type)                                                                                  \
	"\"events\":[{\"name\":\"exception\",\"attributes\":[" A("exception.type", type) "]}]"

START_TEST(status_error_type_rules)
{
	struct otlp_result r;
	struct span *s;

	/* nemo-intake.md 6: UNSET and OK are success whatever error.type or an exception event
	 * say (the NeMo service answers so); error.type still fills error_type. */
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":0}", attrs(1, sa("error.type", "timeout"))),
	    &r);
	ck_assert_int_eq(s->status, SPST_SUCCESS);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "timeout");
	ck_assert_ptr_null(raw(s, "error.type"));
	otlp_result_free(&r);
	ck_assert_int_eq(status_for(arena_printf(ta, "%s,\"status\":{\"code\":1}",
						 attrs(1, sa("error.type", "timeout")))),
			 SPST_SUCCESS);
	ck_assert_int_eq(status_for("\"status\":{\"code\":1}," EXC("Error")), SPST_SUCCESS);
	ck_assert_int_eq(status_for(EXC("Error")), SPST_SUCCESS);
	ck_assert_int_eq(status_for(attrs(1, sa("exception.type", "ValueError"))), SPST_SUCCESS);
	/* ERROR is error, whatever its message or type reads like: only the status attribute
	 * names a cancellation. */
	ck_assert_int_eq(status_for("\"status\":{\"code\":2,\"message\":\"context canceled\"}"),
			 SPST_ERROR);
	ck_assert_int_eq(status_for("\"status\":{\"code\":2}," EXC("AbortError")), SPST_ERROR);
	ck_assert_int_eq(status_for(attrs(1, sa("error.type", "asyncio.CancelledError"))),
			 SPST_SUCCESS);
	ck_assert_int_eq(status_for(attrs(1, A("status", "canceled"))), SPST_CANCELLED);
	ck_assert_int_eq(status_for(attrs(1, A("otel.status_code", "STATUS_CODE_ERROR"))),
			 SPST_ERROR);
	/* The reference's status attribute is explicit and wins. */
	ck_assert_int_eq(
	    status_for(attrs(2, A("status", "error"), sa("error.type", "asyncio.CancelledError"))),
	    SPST_ERROR);
	/* An exception's own type wins over error.type for error_type. */
	s = status_span(
	    arena_printf(ta, "%s," EXC("TimeoutError"), attrs(1, sa("error.type", "timeout"))), &r);
	ck_assert_str_eq(s->str[SS_ERROR_TYPE], "TimeoutError");
	ck_assert_str_eq(json_string_value(raw(s, "error.type")), "timeout");
	otlp_result_free(&r);
}
END_TEST

START_TEST(langfuse_level)
{
	struct otlp_result r;
	struct span *s;

	/* Langfuse's level ERROR is the SDK's verdict, even over OK; its status message is the
	 * error message when nothing better exists, and stays raw too. */
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":1}",
			 attrs(2, A("langfuse.observation.level", "ERROR"),
			       sa("langfuse.observation.status_message", "rate limited"))),
	    &r);
	ck_assert_int_eq(s->status, SPST_ERROR);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "rate limited");
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.observation.level")), "ERROR");
	ck_assert_ptr_nonnull(raw(s, "langfuse.observation.status_message"));
	otlp_result_free(&r);
	s = status_span(
	    arena_printf(ta, "%s,\"status\":{\"code\":2,\"message\":\"otel text\"}",
			 attrs(2, A("langfuse.observation.level", "ERROR"),
			       sa("langfuse.observation.status_message", "langfuse text"))),
	    &r);
	ck_assert_str_eq(s->str[SS_ERROR_MESSAGE], "otel text");
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.observation.level", "WARNING"),
			      sa("langfuse.observation.status_message", "slow")),
			&r);
	ck_assert_int_eq(s->status, SPST_SUCCESS);
	ck_assert_ptr_null(s->str[SS_ERROR_MESSAGE]);
	otlp_result_free(&r);
	ck_assert_int_eq(status_for(attrs(2, A("langfuse.observation.level", "ERROR"),
					  sa("langfuse.observation.status_message",
					     "Request cancelled by user"))),
			 SPST_ERROR);
}
END_TEST

START_TEST(langfuse_session)
{
	struct otlp_result r;
	struct span *s;
	char msg[256];

	/* Third after gen_ai.conversation.id and session.id; consumed when it gave the session
	 * or repeats it, kept when it differs. */
	s = status_span(attrs(1, A("langfuse.session.id", "lf-1")), &r);
	ck_assert_str_eq(s->session_id, "lf-1");
	ck_assert_ptr_null(s->raw_attributes ? raw(s, "langfuse.session.id") : NULL);
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.session.id", "lf-1"), A("session.id", "oi-1")), &r);
	ck_assert_str_eq(s->session_id, "oi-1");
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.session.id")), "lf-1");
	otlp_result_free(&r);
	s = status_span(attrs(2, A("langfuse.session.id", "c"), A("gen_ai.conversation.id", "c")),
			&r);
	ck_assert_str_eq(s->session_id, "c");
	ck_assert_ptr_null(raw(s, "langfuse.session.id"));
	otlp_result_free(&r);
	/* The one id rule holds for it too. */
	ck_assert_int_eq(decode_json(json_req(arena_printf(
					 ta, IDS ",%s", attrs(1, A("langfuse.session.id", "..")))),
				     &r, msg),
			 ST_OK);
	ck_assert_uint_eq(r.nspans, 0);
	ck_assert_uint_eq(r.nerrors, 1);
	ck_assert_ptr_nonnull(strstr(r.errors[0], "session id"));
	otlp_result_free(&r);
}
END_TEST

/* A Langfuse generation and an OpenLLMetry tool, as their SDKs send them. */
START_TEST(langfuse_traceloop_fields)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(attrs(7, A("langfuse.observation.type", "generation"),
			      A("langfuse.observation.model.name", "claude-3-5-sonnet"),
			      A("langfuse.observation.prompt.name", "support"),
			      ia("langfuse.observation.prompt.version", 3),
			      sa("langfuse.observation.input", "{\"q\":\"hi\"}"),
			      sa("langfuse.observation.output", "hello"),
			      A("langfuse.user.id", "u-9")),
			&r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->str[SS_MODEL], "claude-3-5-sonnet");
	ck_assert_str_eq(s->str[SS_PROMPT_NAME], "support");
	ck_assert_str_eq(s->str[SS_PROMPT_VERSION], "3");
	ck_assert_str_eq(s->input, "{\"q\":\"hi\"}");
	ck_assert_str_eq(s->output, "hello");
	ck_assert_ptr_null(raw(s, "langfuse.observation.model.name"));
	ck_assert_ptr_null(raw(s, "langfuse.observation.prompt.version"));
	/* Input and output keys stay raw, as the reference keeps gen_ai.input.messages; the user
	 * has no Span field. */
	ck_assert_ptr_nonnull(raw(s, "langfuse.observation.input"));
	ck_assert_str_eq(json_string_value(raw(s, "langfuse.user.id")), "u-9");
	otlp_result_free(&r);

	s = status_span(attrs(5, A("traceloop.span.kind", "tool"),
			      A("traceloop.entity.name", "get_weather"),
			      A("traceloop.workflow.name", "trip"),
			      sa("traceloop.entity.input", "{\"args\":[\"Paris\"],\"kwargs\":{}}"),
			      sa("traceloop.entity.output", "sunny")),
			&r);
	ck_assert_int_eq(s->kind, KIND_TOOL);
	ck_assert_str_eq(s->str[SS_TOOL_NAME], "get_weather");
	ck_assert_ptr_null(s->str[SS_AGENT_NAME]);
	ck_assert_str_eq(s->input, "{\"args\":[\"Paris\"],\"kwargs\":{}}");
	ck_assert_str_eq(s->output, "sunny");
	ck_assert_ptr_null(raw(s, "traceloop.entity.name"));
	ck_assert_str_eq(json_string_value(raw(s, "traceloop.workflow.name")), "trip");
	otlp_result_free(&r);

	s = status_span(
	    attrs(2, A("traceloop.span.kind", "agent"), A("traceloop.entity.name", "planner")), &r);
	ck_assert_int_eq(s->kind, KIND_AGENT);
	ck_assert_str_eq(s->str[SS_AGENT_NAME], "planner");
	ck_assert_ptr_null(s->str[SS_TOOL_NAME]);
	otlp_result_free(&r);

	s = status_span(
	    attrs(2, A("traceloop.span.kind", "workflow"), A("traceloop.entity.name", "trip")), &r);
	ck_assert_ptr_null(s->str[SS_AGENT_NAME]);
	ck_assert_str_eq(json_string_value(raw(s, "traceloop.entity.name")), "trip");
	otlp_result_free(&r);
}
END_TEST

/* The input (or output) of the span with fields, "" when it has none. */
static const char *text_for(const char *fields, bool output)
{
	struct otlp_result r;
	struct span *s = status_span(fields, &r);
	const char *t = output ? s->output : s->input;

	t = arena_strdup(ta, t ? t : "");
	otlp_result_free(&r);
	return t;
}

#define input_for(f) text_for(f, false)
#define output_for(f) text_for(f, true)

START_TEST(input_output_order)
{
	/* The reference's keys first, then Traceloop, Langfuse, the deprecated gen_ai.prompt. */
	ck_assert_str_eq(
	    input_for(attrs(4, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"),
			    A("traceloop.entity.input", "t"),
			    A("gen_ai.tool.call.arguments", "g"))),
	    "g");
	ck_assert_str_eq(
	    input_for(attrs(3, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"),
			    A("traceloop.entity.input", "t"))),
	    "t");
	ck_assert_str_eq(
	    input_for(attrs(2, A("gen_ai.prompt", "p"), A("langfuse.observation.input", "l"))),
	    "l");
	ck_assert_str_eq(input_for(attrs(1, A("gen_ai.prompt", "p"))), "p");
	ck_assert_str_eq(
	    output_for(attrs(4, A("gen_ai.completion", "c"), A("langfuse.observation.output", "l"),
			     A("traceloop.entity.output", "t"), A("gen_ai.tool.call.result", "g"))),
	    "g");
	ck_assert_str_eq(
	    output_for(attrs(3, A("gen_ai.completion", "c"), A("langfuse.observation.output", "l"),
			     A("traceloop.entity.output", "t"))),
	    "t");
	ck_assert_str_eq(output_for(attrs(2, A("gen_ai.completion", "c"),
					  A("langfuse.observation.output", "l"))),
			 "l");
	ck_assert_str_eq(output_for(attrs(1, A("gen_ai.completion", "c"))), "c");
}
END_TEST

START_TEST(system_instructions)
{
	struct otlp_result r;
	struct span *s;
	const char *msgs =
	    "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]}]";
	const char *si = "[{\"type\":\"text\",\"content\":\"Be brief.\"}]";

	/* Put in front as the system message; both attributes stay raw. */
	s = status_span(
	    attrs(2, sa("gen_ai.input.messages", msgs), sa("gen_ai.system_instructions", si)), &r);
	ck_assert_str_eq(s->input,
			 "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Be "
			 "brief.\"}]},{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
			 "\"Hi\"}]}]");
	ck_assert_ptr_nonnull(raw(s, "gen_ai.system_instructions"));
	ck_assert_ptr_nonnull(raw(s, "gen_ai.input.messages"));
	otlp_result_free(&r);
	/* Structured values (arrayValue / kvlistValue) too; plain text is one text part. */
	ck_assert_str_eq(
	    input_for(attrs(1,
			    "{\"key\":\"gen_ai.system_instructions\",\"value\":{\"arrayValue\":"
			    "{\"values\":[{\"kvlistValue\":{\"values\":[{\"key\":\"type\",\"value\""
			    ":{\"stringValue\":\"text\"}},{\"key\":\"content\",\"value\":{"
			    "\"stringValue\":\"S\"}}]}}]}}}")),
	    "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"S\"}]}]");
	ck_assert_str_eq(
	    input_for(attrs(2, sa("gen_ai.system_instructions", "Be brief."),
			    sa("gen_ai.input.messages", "[]"))),
	    "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"Be brief.\"}]}]");
	/* Structured messages: the attribute itself is left as it came. */
	s = status_span(
	    attrs(2, sa("gen_ai.system_instructions", "S"),
		  "{\"key\":\"gen_ai.input.messages\",\"value\":{\"arrayValue\":{"
		  "\"values\":[{\"kvlistValue\":{\"values\":[" A("role", "user") "]}}]}}}"),
	    &r);
	ck_assert_str_eq(s->input,
			 "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":"
			 "\"S\"}]},{\"role\":\"user\"}]");
	ck_assert_uint_eq(json_array_size(raw(s, "gen_ai.input.messages")), 1);
	otlp_result_free(&r);
	/* Messages that are no JSON array are kept as they came. */
	ck_assert_str_eq(input_for(attrs(2, sa("gen_ai.system_instructions", si),
					 sa("gen_ai.input.messages", "Hi there"))),
			 "Hi there");
	/* input.value still comes first; without system instructions nothing changes. */
	ck_assert_str_eq(
	    input_for(attrs(2, sa("gen_ai.system_instructions", si), A("input.value", "plain"))),
	    "plain");
	ck_assert_str_eq(
	    input_for(attrs(1, sa("gen_ai.input.messages", "[ {\"role\": \"user\"} ]"))),
	    "[ {\"role\": \"user\"} ]");
}
END_TEST

/* OpenLLMetry's flattened gen_ai.prompt.<i>.* / gen_ai.completion.<i>.*, rebuilt like the
 * OpenInference lists, on any kind of span. */
START_TEST(openllmetry_messages)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(
	    attrs(9, A("llm.request.type", "chat"), A("gen_ai.prompt.1.role", "user"),
		  A("gen_ai.prompt.1.content", "Weather?"), A("gen_ai.prompt.0.role", "system"),
		  A("gen_ai.prompt.0.content", "Be brief."),
		  A("gen_ai.completion.0.role", "assistant"),
		  A("gen_ai.completion.0.finish_reason", "tool_calls"),
		  A("gen_ai.completion.0.tool_calls.0.name", "get_weather"),
		  sa("gen_ai.completion.0.tool_calls.0.arguments", "{\"city\":\"Paris\"}")),
	    &r);
	ck_assert_int_eq(s->kind, KIND_LLM);
	ck_assert_str_eq(s->input, "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
				   "{\"role\":\"user\",\"content\":\"Weather?\"}]}");
	ck_assert_str_eq(s->output,
			 "{\"messages\":[{\"role\":\"assistant\",\"finish_reason\":\"tool_calls\","
			 "\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":"
			 "\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}]}");
	/* Kept raw: the rebuild does not carry every field. */
	ck_assert_ptr_nonnull(raw(s, "gen_ai.prompt.0.content"));
	otlp_result_free(&r);
	/* The other names of gen_ai.prompt.* are no messages. */
	s = status_span(attrs(1, A("gen_ai.prompt.name", "p")), &r);
	ck_assert_ptr_null(s->input);
	ck_assert_str_eq(s->str[SS_PROMPT_NAME], "p");
	otlp_result_free(&r);
}
END_TEST

/* The deprecated GenAI span events, last (otel-egp.md 3.1 and the capture in 2). */
START_TEST(deprecated_events)
{
	struct otlp_result r;
	struct span *s;
	const char *sys = sa("content", "Be brief."), *user = sa("content", "Weather in Paris?");
	const char *choice = arena_printf(
	    ta, "%s,%s,{\"key\":\"message\",\"value\":{\"kvlistValue\":{\"values\":[%s]}}}",
	    ia("index", 0), sa("finish_reason", "stop"), sa("content", "Sunny"));

	s = status_span(
	    arena_printf(ta,
			 "\"events\":[{\"name\":\"gen_ai.system.message\",\"attributes\":"
			 "[%s,%s]},{\"name\":\"gen_ai.user.message\",\"attributes\":[%s]},"
			 "{\"name\":\"gen_ai.choice\",\"attributes\":[%s]}]",
			 sa("gen_ai.system", "openai"), sys, user, choice),
	    &r);
	ck_assert_str_eq(s->input, "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
				   "{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}");
	ck_assert_str_eq(s->output, "{\"messages\":[{\"role\":\"assistant\",\"index\":0,"
				    "\"finish_reason\":\"stop\",\"content\":\"Sunny\"}]}");
	ck_assert(json_is_string(raw(s, "otel.events")));
	otlp_result_free(&r);
	/* A choice's message as the JSON text of one is the same message. */
	s = status_span(
	    arena_printf(ta, "\"events\":[{\"name\":\"gen_ai.choice\",\"attributes\":[%s,%s]}]",
			 ia("index", 0),
			 sa("message", "{\"role\":\"assistant\",\"content\":\"Sunny\"}")),
	    &r);
	ck_assert_str_eq(s->output, "{\"messages\":[{\"role\":\"assistant\",\"index\":0,"
				    "\"content\":\"Sunny\"}]}");
	otlp_result_free(&r);
	/* Any attribute wins over them. */
	ck_assert_str_eq(
	    input_for(arena_printf(
		ta, "%s,\"events\":[{\"name\":\"gen_ai.user.message\",\"attributes\":[%s]}]",
		attrs(1, sa("gen_ai.prompt", "attr")), user)),
	    "attr");
}
END_TEST

/* The answering model is kept raw when it differs from the requested one (NeMo order). */
START_TEST(response_model_kept)
{
	struct otlp_result r;
	struct span *s;

	s = status_span(attrs(2, A("gen_ai.request.model", "gpt-4o"),
			      A("gen_ai.response.model", "gpt-4o-2024-08-06")),
			&r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o");
	ck_assert_str_eq(json_string_value(raw(s, "gen_ai.response.model")), "gpt-4o-2024-08-06");
	otlp_result_free(&r);
	s = status_span(attrs(1, A("gen_ai.response.model", "gpt-4o-2024-08-06")), &r);
	ck_assert_str_eq(s->str[SS_MODEL], "gpt-4o-2024-08-06");
	ck_assert_ptr_null(s->raw_attributes ? raw(s, "gen_ai.response.model") : NULL);
	otlp_result_free(&r);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("otlp_map");
	TCase *m = tcase_create("mapping");

	tcase_add_checked_fixture(m, setup, teardown);
	tcase_add_test(m, session_id_rule);
	tcase_add_test(m, kind_rules);
	tcase_add_test(m, status_rules);
	tcase_add_test(m, error_fields);
	tcase_add_test(m, input_output_rebuilt);
	tcase_add_test(m, catalog_applied);
	tcase_add_test(m, status_error_type_rules);
	tcase_add_test(m, langfuse_level);
	tcase_add_test(m, langfuse_session);
	tcase_add_test(m, langfuse_traceloop_fields);
	tcase_add_test(m, input_output_order);
	tcase_add_test(m, system_instructions);
	tcase_add_test(m, openllmetry_messages);
	tcase_add_test(m, deprecated_events);
	tcase_add_test(m, response_model_kept);
	suite_add_tcase(s, m);
	return s;
}
