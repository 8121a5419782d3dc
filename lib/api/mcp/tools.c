/* tools: the table of the tools (specification 2025-11-25, "Tools"): each tool's name, what it
 * does in words an agent can act on, and its arguments, from which both its input JSON Schema
 * (tools/list) and the check of a call's arguments are made, so the two never disagree. */
#include "lib/api/mcp/tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/time.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* Bytes of a free-text or id argument: an id is at most SPAN_MAX_ID characters of up to four
 * bytes; a search's text at most its terms (lib/query/search.h) and their spaces. */
#define ID_BYTES (4 * SPAN_MAX_ID)
#define TEXT_BYTES 4096

static const char *const statuses[] = {"success", "error", "cancelled", "unknown", NULL};
static const char *const trace_orders[] = {"newest",	    "oldest",	    "slowest", "costliest",
					   "highest_score", "lowest_score", NULL};
static const char *const text_in[] = {"root", "any_span", NULL};
static const char *const long_fields[] = {"input", "output", "raw_attributes", "error_message",
					  NULL};
static const char *const stats_groups[] = {"model", "name", "kind", "status", NULL};

#define ARG_WS                                                                                     \
	{                                                                                          \
		.name = "workspace", .type = MA_STRING, .max = 63,                                 \
		.desc = "The workspace (default: the one your key belongs to, else \"default\")."  \
	}
#define ARG_BUDGET                                                                                 \
	{                                                                                          \
		.name = "max_bytes", .type = MA_INTEGER, .min = MCP_BUDGET_MIN,                    \
		.max = MCP_BUDGET_MAX,                                                             \
		.desc =                                                                            \
		    "The most bytes this answer may take (default 80000, about 20,000 tokens). A " \
		    "longer answer is cut, and says what was cut and how to read the rest."        \
	}
#define ARG_WINDOW(what)                                                                           \
	{.name = "last",                                                                           \
	 .type = MA_DURATION,                                                                      \
	 .desc = "Only " what " that started this long ago or since: a number and m, h or d "      \
		 "(\"30m\", \"24h\", \"7d\")."},                                                   \
	    {.name = "from",                                                                       \
	     .type = MA_TIME,                                                                      \
	     .desc = "Only " what " that started at or after this instant (RFC 3339, "             \
		     "2026-01-31T09:00:00Z)."},                                                    \
	{                                                                                          \
		.name = "to", .type = MA_TIME,                                                     \
		.desc = "Only " what " that started at or before this instant (RFC 3339)."         \
	}
#define ARG_LIMIT(what)                                                                            \
	{                                                                                          \
		.name = "limit", .type = MA_INTEGER, .min = 1, .max = MCP_PAGE_MAX,                \
		.desc = "How many " what " (default 20, at most 100)."                             \
	}
#define ARG_CURSOR                                                                                 \
	{                                                                                          \
		.name = "cursor", .type = MA_STRING, .max = ID_BYTES + 32,                         \
		.desc = "The next_cursor of the answer before, to read the next page."             \
	}
#define ARG_FIELD(def)                                                                             \
	{                                                                                          \
		.name = "field_chars", .type = MA_INTEGER, .min = 0, .max = MCP_FIELD_MAX,         \
		.desc =                                                                            \
		    "Characters of each input and output to show (default " def "); what is cut "  \
		    "says how long it was and the get_span call that reads the rest."              \
	}
#define ARG_TARGETS(verb)                                                                          \
	{.name = "span_id",                                                                        \
	 .type = MA_STRING,                                                                        \
	 .max = ID_BYTES,                                                                          \
	 .desc = "The span to " verb " (give exactly one of span_id, trace_id, session_id)."},     \
	    {.name = "trace_id",                                                                   \
	     .type = MA_STRING,                                                                    \
	     .max = ID_BYTES,                                                                      \
	     .desc = "The trace to " verb "."},                                                    \
	{                                                                                          \
		.name = "session_id", .type = MA_STRING, .max = ID_BYTES,                          \
		.desc = "The session to " verb "."                                                 \
	}

static const struct mcp_arg search_args[] = {
    ARG_WS,
    ARG_WINDOW("traces"),
    {.name = "status",
     .type = MA_ENUM,
     .choices = statuses,
     .desc = "Only traces whose root span has this status (\"error\": the failed runs)."},
    {.name = "name", .type = MA_STRING, .max = ID_BYTES, .desc = "Only traces of this name."},
    {.name = "session_id",
     .type = MA_STRING,
     .max = ID_BYTES,
     .desc = "Only the traces of this session (conversation, thread)."},
    {.name = "user_id",
     .type = MA_STRING,
     .max = ID_BYTES,
     .desc = "Only traces whose root span names this user (user.id, langfuse.user.id, "
	     "traceloop user_id, the AI SDK's userId)."},
    {.name = "model",
     .type = MA_STRING,
     .max = ID_BYTES,
     .desc = "Only traces with a span that called this model (\"gpt-4o\")."},
    {.name = "score_name",
     .type = MA_STRING,
     .max = JUDGEMENT_MAX_NAME,
     .desc = "Only traces scored under this name (their own score or their spans'; the mean "
	     "when several); with score_min and score_max, within them."},
    {.name = "score_min", .type = MA_NUMBER, .desc = "The least score_name score, inclusive."},
    {.name = "score_max", .type = MA_NUMBER, .desc = "The greatest score_name score, inclusive."},
    {.name = "text",
     .type = MA_STRING,
     .max = TEXT_BYTES,
     .desc = "Words and \"quoted phrases\" that must all appear, case-insensitive, in the "
	     "name, input or output of the trace's root span (at most 10)."},
    {.name = "text_in",
     .type = MA_ENUM,
     .choices = text_in,
     .desc = "Where text must appear: \"root\" (default) or \"any_span\" of the trace."},
    {.name = "order",
     .type = MA_ENUM,
     .choices = trace_orders,
     .desc = "newest (default), oldest, slowest, costliest, or by score_name: highest_score, "
	     "lowest_score."},
    ARG_LIMIT("traces"),
    ARG_CURSOR,
    ARG_BUDGET,
};

static const struct mcp_arg trace_args[] = {
    ARG_WS,
    {.name = "trace_id",
     .type = MA_STRING,
     .required = true,
     .max = ID_BYTES,
     .desc = "The trace id (a trace_id of search_traces, get_session or get_stats)."},
    {.name = "under_span_id",
     .type = MA_STRING,
     .max = ID_BYTES,
     .desc = "Show only this span and what is under it: to open a part an answer before said "
	     "was hidden."},
    ARG_FIELD("300"),
    ARG_BUDGET,
};

static const struct mcp_arg span_args[] = {
    ARG_WS,
    {.name = "span_id",
     .type = MA_STRING,
     .required = true,
     .max = ID_BYTES,
     .desc = "The span id (a span_id of get_trace)."},
    {.name = "field",
     .type = MA_ENUM,
     .choices = long_fields,
     .desc = "Read only this long field, from offset on, as much as max_bytes allows."},
    {.name = "offset",
     .type = MA_INTEGER,
     .min = 0,
     .max = (long long)1 << 40,
     .desc = "With field: the character to start at (the offset a cut note names)."},
    ARG_BUDGET,
};

static const struct mcp_arg sessions_args[] = {
    ARG_WS,
    ARG_WINDOW("sessions with a trace"),
    {.name = "user_id",
     .type = MA_STRING,
     .max = ID_BYTES,
     .desc = "Only sessions with a trace whose root span names this user."},
    ARG_LIMIT("sessions"),
    ARG_CURSOR,
    ARG_BUDGET,
};

static const struct mcp_arg session_args[] = {
    ARG_WS,
    {.name = "session_id",
     .type = MA_STRING,
     .required = true,
     .max = ID_BYTES,
     .desc = "The session id (a session_id of list_sessions or search_traces)."},
    ARG_FIELD("300"),
    ARG_CURSOR,
    ARG_BUDGET,
};

static const struct mcp_arg stats_args[] = {
    ARG_WS,
    ARG_WINDOW("spans"),
    {.name = "group_by",
     .type = MA_ENUM,
     .choices = stats_groups,
     .desc = "Also the same figures per model, span name, span kind or status, largest groups "
	     "first."},
    {.name = "status", .type = MA_ENUM, .choices = statuses, .desc = "Only spans of this status."},
    {.name = "name", .type = MA_STRING, .max = ID_BYTES, .desc = "Only spans of this name."},
    {.name = "model", .type = MA_STRING, .max = ID_BYTES, .desc = "Only spans of this model."},
    ARG_LIMIT("groups"),
    ARG_BUDGET,
};

static const struct mcp_arg score_args[] = {
    ARG_WS,
    ARG_TARGETS("score"),
    {.name = "name",
     .type = MA_STRING,
     .required = true,
     .max = JUDGEMENT_MAX_NAME,
     .desc = "What is scored (\"correctness\", \"helpfulness\"). Scoring the same target under "
	     "the same name again replaces your score."},
    {.name = "value",
     .type = MA_NUMBER,
     .desc = "The score, a number (give value, label or both)."},
    {.name = "label",
     .type = MA_STRING,
     .max = JUDGEMENT_MAX_NAME,
     .desc = "A category instead of, or beside, a number (\"correct\", \"off-topic\")."},
    {.name = "reason",
     .type = MA_STRING,
     .max = JUDGEMENT_MAX_TEXT,
     .desc = "Why: what in the span, trace or session earned the score."},
};

static const struct mcp_arg comment_args[] = {
    ARG_WS,
    ARG_TARGETS("comment on"),
    {.name = "text",
     .type = MA_STRING,
     .required = true,
     .max = JUDGEMENT_MAX_TEXT,
     .desc = "The comment, in plain words."},
};

#define TOOL(n, t, a, w, f, d)                                                                     \
	{                                                                                          \
		.name = n, .title = t, .args = a, .nargs = N(a), .write = w, .fn = f, .desc = d    \
	}

const struct mcp_tool mcp_tools[] = {
    TOOL("search_traces", "Search traces", search_args, false, mcp_search_traces,
	 "Find traces (one agent run or request each: a root span and every span under it) of a "
	 "workspace, newest first unless order says otherwise. Each row: trace id, name, start, "
	 "duration, status, span and error counts, tokens, cost, session, and a preview of its "
	 "input and output (of a chat, its last user message and its answer). Narrow by a time "
	 "window (last, or from and to), status, name, "
	 "session, user, model, a score (score_name with score_min, score_max) and text (words and "
	 "\"quoted phrases\"). Page with cursor. Then read one with get_trace."),
    TOOL("get_trace", "Get a trace", trace_args, false, mcp_get_trace,
	 "One trace as the tree of its spans (tree: each span after its parent (depth 0 at the "
	 "top), siblings by "
	 "start: kind, name, status, start, duration, model, tokens, cost, error, its scores and "
	 "comments, and its input and output cut to field_chars (what is cut says how to read the "
	 "rest). A trace too large for one answer shows its upper levels and every failed span "
	 "first; a span with descendants not shown says how many (hidden): call again with "
	 "under_span_id set to it to open that part."),
    TOOL("get_span", "Get a span", span_args, false, mcp_get_span,
	 "One span whole: ids, kind, name, status, times, model, provider, tokens and their "
	 "details, costs, error, evaluation context, its scores and comments, and its long fields "
	 "(input, output, raw_attributes) in pages: each says its length in characters and, when "
	 "cut, the field and offset to ask for next."),
    TOOL("list_sessions", "List sessions", sessions_args, false, mcp_list_sessions,
	 "Sessions (conversations, threads: the traces that share a session id), the most "
	 "recently active first, among those with a trace in the window (default the last 7 "
	 "days): session id, traces, first and last activity, status, errors, tokens, cost, user, "
	 "and its first input in brief (of a chat, the user's message). Filter by user_id; page "
	 "with cursor. Sessions that only stand for one trace sent without one are left out."),
    TOOL("get_session", "Get a session", session_args, false, mcp_get_session,
	 "One session as a conversation: its totals (traces, spans, errors, tokens, cost, start, "
	 "end, status), its scores and comments, and its turns (its traces, oldest first), each "
	 "with trace id, name, status, duration, tokens, cost and its input and output cut to "
	 "field_chars. Read further turns with cursor; open a turn with get_trace."),
    TOOL("get_stats", "Get statistics", stats_args, false, mcp_get_stats,
	 "Figures over a time window (default the last 24 hours), as the trace viewer's overview "
	 "shows them: traces, spans, failed spans and the error rate, tokens, cost in USD, "
	 "trace latency p50 and p95, and the slowest and most expensive traces. With group_by "
	 "(model, name, kind or status) the same per group, largest first (latency there is of "
	 "the group's spans). Narrow by status, name and model."),
    TOOL("add_score", "Score a span, trace or session", score_args, true, mcp_add_score,
	 "Record a score on a span, a trace or a session: a number (value), a category (label) "
	 "or both, under a name, with a reason. Stored as the judgements every API of this server "
	 "reads: NeMo evaluator results, Opik feedback scores, Scale GP assessments and the "
	 "viewer show it. Needs a key with the write role."),
    TOOL("add_comment", "Comment on a span, trace or session", comment_args, true, mcp_add_comment,
	 "Leave a comment on a span, a trace or a session, shown as an Opik comment, a NeMo note "
	 "and a Scale GP comment. Needs a key with the write role."),
};
const size_t mcp_ntools = N(mcp_tools);

const struct mcp_tool *mcp_tool_find(const char *name)
{
	for (size_t i = 0; name && i < mcp_ntools; i++)
		if (!strcmp(mcp_tools[i].name, name))
			return &mcp_tools[i];
	return NULL;
}

/* ---- the schema ---- */

static void schema_arg(struct buf *b, const struct mcp_arg *a)
{
	jsonw_string(b, a->name, strlen(a->name));
	buf_adds(b, ":{");
	switch (a->type) {
	case MA_STRING:
		buf_printf(b, "\"type\":\"string\",\"minLength\":1,\"maxLength\":%lld", a->max);
		break;
	case MA_INTEGER:
		buf_printf(b, "\"type\":\"integer\",\"minimum\":%lld,\"maximum\":%lld", a->min,
			   a->max);
		break;
	case MA_NUMBER:
		buf_adds(b, "\"type\":\"number\"");
		break;
	case MA_ENUM:
		buf_adds(b, "\"type\":\"string\",\"enum\":[");
		for (size_t i = 0; a->choices[i]; i++) {
			if (i)
				buf_addc(b, ',');
			jsonw_string(b, a->choices[i], strlen(a->choices[i]));
		}
		buf_addc(b, ']');
		break;
	case MA_TIME:
		buf_adds(b, "\"type\":\"string\",\"format\":\"date-time\"");
		break;
	case MA_DURATION:
		buf_adds(b, "\"type\":\"string\",\"pattern\":\"^[0-9]+[mhd]$\"");
		break;
	}
	buf_adds(b, ",\"description\":");
	jsonw_string(b, a->desc, strlen(a->desc));
	buf_addc(b, '}');
}

/* The Tool object: its inputSchema takes no argument it does not name, and its annotations
 * say that only the two writes change anything (and that a score sent again replaces
 * itself). */
static void schema_tool(struct buf *b, const struct mcp_tool *t)
{
	buf_adds(b, "{\"name\":");
	jsonw_string(b, t->name, strlen(t->name));
	buf_adds(b, ",\"title\":");
	jsonw_string(b, t->title, strlen(t->title));
	buf_adds(b, ",\"description\":");
	jsonw_string(b, t->desc, strlen(t->desc));
	buf_adds(b, ",\"inputSchema\":{\"type\":\"object\",\"properties\":{");
	for (size_t i = 0; i < t->nargs; i++) {
		if (i)
			buf_addc(b, ',');
		schema_arg(b, &t->args[i]);
	}
	buf_adds(b, "},\"required\":[");
	for (size_t i = 0, k = 0; i < t->nargs; i++)
		if (t->args[i].required) {
			if (k++)
				buf_addc(b, ',');
			jsonw_string(b, t->args[i].name, strlen(t->args[i].name));
		}
	bool idem = !t->write || t->fn == mcp_add_score;
	buf_printf(b, "],\"additionalProperties\":false},\"annotations\":{\"title\":");
	jsonw_string(b, t->title, strlen(t->title));
	buf_printf(b,
		   ",\"readOnlyHint\":%s,\"destructiveHint\":false,\"idempotentHint\":%s,"
		   "\"openWorldHint\":false}}",
		   t->write ? "false" : "true", idem ? "true" : "false");
}

void mcp_tools_list(struct buf *out)
{
	buf_adds(out, "{\"tools\":[");
	for (size_t i = 0; i < mcp_ntools; i++) {
		if (i)
			buf_addc(out, ',');
		schema_tool(out, &mcp_tools[i]);
	}
	buf_adds(out, "]}");
}

/* ---- the check ---- */

bool mcp_duration(const char *text, int64_t *us)
{
	static const int64_t unit_s[] = {['m'] = 60, ['h'] = 3600, ['d'] = 86400};
	size_t n = text ? strspn(text, "0123456789") : 0;
	if (!n || n > 7 || !text[n] || text[n + 1] || !strchr("mhd", text[n]))
		return false;
	int64_t v = strtoll(text, NULL, 10) * unit_s[(unsigned char)text[n]];
	if (v <= 0 || v > (int64_t)MCP_MAX_DURATION_DAYS * 86400)
		return false;
	*us = v * 1000000;
	return true;
}

/* Why v is no value of argument a (NULL when it is one). */
static const char *arg_problem(struct buf *why, const struct mcp_arg *a, json_t *v)
{
	double d = json_number_value(v);
	int64_t us;
	switch (a->type) {
	case MA_STRING:
		if (!json_is_string(v) || !json_string_length(v))
			return "must be a non-empty string";
		if ((long long)json_string_length(v) > a->max) {
			buf_printf(why, "must be at most %lld bytes", a->max);
			return "";
		}
		return NULL;
	case MA_INTEGER:
		if (!json_is_number(v) || d != floor(d) || d < (double)a->min ||
		    d > (double)a->max) {
			buf_printf(why, "must be an integer from %lld to %lld", a->min, a->max);
			return "";
		}
		return NULL;
	case MA_NUMBER:
		return json_is_number(v) && isfinite(d) ? NULL : "must be a number";
	case MA_ENUM:
		for (size_t i = 0; json_is_string(v) && a->choices[i]; i++)
			if (!strcmp(a->choices[i], json_string_value(v)))
				return NULL;
		buf_adds(why, "must be one of:");
		for (size_t i = 0; a->choices[i]; i++)
			buf_printf(why, "%s %s", i ? "," : "", a->choices[i]);
		return "";
	case MA_TIME:
		return json_is_string(v) && time_parse(json_string_value(v), false, &us)
			   ? NULL
			   : "must be an RFC 3339 time, such as 2026-01-31T09:00:00Z";
	case MA_DURATION:
		return json_is_string(v) && mcp_duration(json_string_value(v), &us)
			   ? NULL
			   : "must be a number and m, h or d (\"30m\", \"24h\", \"7d\"), at most "
			     "3660 days";
	}
	return NULL;
}

static const struct mcp_arg *arg_of(const struct mcp_tool *t, const char *name)
{
	for (size_t i = 0; i < t->nargs; i++)
		if (!strcmp(t->args[i].name, name))
			return &t->args[i];
	return NULL;
}

bool mcp_tool_check(const struct mcp_tool *t, json_t *args, struct buf *why)
{
	const char *k;
	json_t *v;
	json_object_foreach(args, k, v)
	{
		const struct mcp_arg *a = arg_of(t, k);
		if (!a) {
			buf_printf(why, "Unknown argument '%.100s'. %s takes:", k, t->name);
			for (size_t i = 0; i < t->nargs; i++)
				buf_printf(why, "%s %s", i ? "," : "", t->args[i].name);
			buf_addc(why, '.');
			return false;
		}
		if (json_is_null(v)) /* as absent: some clients send null for what they omit */
			continue;
		size_t at = why->len;
		buf_printf(why, "Argument '%s' ", a->name);
		const char *p = arg_problem(why, a, v);
		if (p) {
			buf_printf(why, "%s.", p);
			return false;
		}
		why->len = at;
		why->p[at] = '\0';
	}
	for (size_t i = 0; i < t->nargs; i++) {
		v = json_object_get(args, t->args[i].name);
		if (t->args[i].required && (!v || json_is_null(v))) {
			buf_printf(why, "Missing required argument '%s': %s", t->args[i].name,
				   t->args[i].desc);
			return false;
		}
	}
	return true;
}

/* ---- the arguments, as checked ---- */

const char *mcp_str(const struct mcp_call *c, const char *name)
{
	return json_string_value(json_object_get(c->args, name));
}

long long mcp_int(const struct mcp_call *c, const char *name, long long def)
{
	json_t *v = json_object_get(c->args, name);
	return json_is_number(v) ? (long long)json_number_value(v) : def;
}

bool mcp_num(const struct mcp_call *c, const char *name, double *v)
{
	json_t *x = json_object_get(c->args, name);
	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return true;
}
