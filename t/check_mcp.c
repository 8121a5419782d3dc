/* check_mcp: lib/api/mcp's JSON-RPC layer and its tools' table: messages read and refused
 * (rpc.c), responses written, the versions agreed and the Accept header read, the tools' JSON
 * Schemas against their argument checks (tools.c), the texts cut at a character and the turns
 * read out of chat messages (answer.c, brief.c); then POST /mcp as plain CGI through http_main
 * (t/check_http_fixture.c), for what the transport answers before and after a message. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/api/mcp/rpc.h"
#include "lib/api/mcp/tool.h"
#include "lib/base/arena.h"
#include "lib/json/jsonx.h"
#include "lib/store/store.h"
#include "t/check_http_fixture.h"

/* ---- messages ---- */

/* A body, and what reading it gives: its kind, or the refusal's code, and whether the refusal
 * names an id. */
struct parse_case {
	const char *body;
	int ok_kind; /* enum mcp_kind, or -1 for a refusal */
	int code;
	bool has_id;
};

START_TEST(test_parse)
{
	static const struct parse_case cases[] = {
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", MCP_MSG_REQUEST, 0, true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/list\",\"params\":{}}",
	     MCP_MSG_REQUEST, 0, true},
	    {"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", MCP_MSG_NOTIFICATION,
	     0, false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}", MCP_MSG_RESPONSE, 0, true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,\"message\":\"x\"}}",
	     MCP_MSG_RESPONSE, 0, true},
	    /* not JSON; a batch; no object */
	    {"{\"jsonrpc\":", -1, MCP_PARSE_ERROR, false},
	    {"", -1, MCP_PARSE_ERROR, false},
	    {"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -1, MCP_INVALID_REQUEST,
	     false},
	    {"[]", -1, MCP_INVALID_REQUEST, false},
	    {"\"ping\"", -1, MCP_INVALID_REQUEST, false},
	    /* no or another jsonrpc, a null or fractional id, no method, a method not a string,
	     * params not an object: the id kept where it could be read */
	    {"{\"id\":1,\"method\":\"ping\"}", -1, MCP_INVALID_REQUEST, true},
	    {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", -1, MCP_INVALID_REQUEST, true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", -1, MCP_INVALID_REQUEST,
	     false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", -1, MCP_INVALID_REQUEST,
	     false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", -1, MCP_INVALID_REQUEST, false},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1}", -1, MCP_INVALID_REQUEST, true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", -1, MCP_INVALID_REQUEST, true},
	    {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}", -1,
	     MCP_INVALID_PARAMS, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct parse_case *c = &cases[i];
		struct mcp_msg m;
		struct mcp_refusal r = {0};
		bool ok = mcp_rpc_parse(c->body, strlen(c->body), &m, &r);
		ck_assert_msg(ok == (c->ok_kind >= 0), "%s", c->body);
		if (ok) {
			ck_assert_int_eq(m.kind, c->ok_kind);
			ck_assert_int_eq(m.id != NULL, c->has_id);
			ck_assert_int_eq(m.method != NULL, m.kind != MCP_MSG_RESPONSE);
		} else {
			ck_assert_msg(r.code == c->code, "%s: %d", c->body, r.code);
			ck_assert_msg((r.id != NULL) == c->has_id, "%s", c->body);
			ck_assert(r.msg[0]);
		}
		json_decref(m.root);
	}
}
END_TEST

START_TEST(test_write)
{
	struct buf b;
	buf_init(&b);
	json_t *id = json_integer(3), *sid = json_string("x\"y"),
	       *data = json_pack("{s:i}", "a", 1);
	mcp_rpc_result(&b, id, "{}", 2);
	ck_assert_str_eq(b.p, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}");
	b.len = 0;
	mcp_rpc_error(&b, sid, MCP_METHOD_NOT_FOUND, "no \"such\"", data);
	ck_assert_str_eq(b.p, "{\"jsonrpc\":\"2.0\",\"id\":\"x\\\"y\",\"error\":{\"code\":-32601,"
			      "\"message\":\"no \\\"such\\\"\",\"data\":{\"a\":1}}}");
	b.len = 0;
	mcp_rpc_error(&b, NULL, MCP_PARSE_ERROR, "bad", NULL);
	ck_assert_str_eq(b.p,
			 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32700,\"message\":\"bad\"}}");
	json_decref(id);
	json_decref(sid);
	json_decref(data);
	buf_free(&b);
}
END_TEST

START_TEST(test_versions)
{
	ck_assert_str_eq(mcp_version_pick("2025-11-25"), "2025-11-25");
	ck_assert_str_eq(mcp_version_pick("2025-06-18"), "2025-06-18");
	ck_assert_str_eq(mcp_version_pick("2025-03-26"), MCP_VERSION_LATEST);
	ck_assert_str_eq(mcp_version_pick("2099-01-01"), MCP_VERSION_LATEST);
	ck_assert_str_eq(mcp_version_pick(NULL), MCP_VERSION_LATEST);
	ck_assert(mcp_version_known("2025-06-18"));
	ck_assert(!mcp_version_known("2024-11-05"));
	ck_assert(!mcp_version_known(NULL));
}
END_TEST

START_TEST(test_accept)
{
	static const char *const yes[] = {NULL,
					  "",
					  "application/json, text/event-stream",
					  "text/event-stream, application/json",
					  "APPLICATION/JSON",
					  "application/*",
					  "*/*",
					  "text/html;q=0.9, application/json;q=0.5",
					  "application/json ; charset=utf-8"};
	static const char *const no[] = {"text/event-stream", "text/html", "application/json;q=0",
					 "application/jsonx", "application/json;q=0.0, text/*"};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		ck_assert_msg(mcp_accepts_json(yes[i]), "%s", yes[i] ? yes[i] : "(none)");
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ck_assert_msg(!mcp_accepts_json(no[i]), "%s", no[i]);
}
END_TEST

/* ---- the tools ---- */

/* tools/list's result: every tool with a name, a title, a description and an input schema of
 * an object whose properties are exactly its arguments, none other allowed. */
START_TEST(test_tools_list)
{
	struct buf b;
	size_t pos;
	buf_init(&b);
	mcp_tools_list(&b);
	json_t *o = jsonx_parse(b.p, b.len, &pos, NULL), *tools = json_object_get(o, "tools");
	ck_assert_uint_eq(json_array_size(tools), mcp_ntools);
	ck_assert_uint_eq(mcp_ntools, 8);
	for (size_t i = 0; i < mcp_ntools; i++) {
		const struct mcp_tool *t = &mcp_tools[i];
		json_t *x = json_array_get(tools, i), *schema = json_object_get(x, "inputSchema");
		json_t *props = json_object_get(schema, "properties");
		ck_assert_str_eq(json_string_value(json_object_get(x, "name")), t->name);
		ck_assert_uint_eq(strspn(t->name, "abcdefghijklmnopqrstuvwxyz_"), strlen(t->name));
		ck_assert_ptr_eq(mcp_tool_find(t->name), t);
		ck_assert_uint_gt(strlen(json_string_value(json_object_get(x, "description"))),
				  100);
		ck_assert_str_eq(json_string_value(json_object_get(schema, "type")), "object");
		ck_assert(json_is_false(json_object_get(schema, "additionalProperties")));
		ck_assert_uint_eq(json_object_size(props), t->nargs);
		size_t required = 0;
		for (size_t k = 0; k < t->nargs; k++) {
			json_t *p = json_object_get(props, t->args[k].name);
			ck_assert_ptr_nonnull(p);
			ck_assert(json_is_string(json_object_get(p, "type")));
			ck_assert(json_string_length(json_object_get(p, "description")) > 10);
			required += t->args[k].required;
		}
		ck_assert_uint_eq(json_array_size(json_object_get(schema, "required")), required);
		json_t *ann = json_object_get(x, "annotations");
		ck_assert(json_boolean_value(json_object_get(ann, "readOnlyHint")) == !t->write);
	}
	ck_assert_ptr_null(mcp_tool_find("nope"));
	ck_assert_ptr_null(mcp_tool_find(NULL));
	json_decref(o);
	buf_free(&b);
}
END_TEST

/* A call's arguments against its tool's table: true, or the sentence that says what is wrong
 * holds want. */
static void check_args(const char *tool, const char *args, const char *want)
{
	struct buf why;
	size_t pos;
	buf_init(&why);
	json_t *a = jsonx_parse(args, strlen(args), &pos, NULL);
	ck_assert_ptr_nonnull(a);
	bool ok = mcp_tool_check(mcp_tool_find(tool), a, &why);
	if (!want)
		ck_assert_msg(ok, "%s %s: %s", tool, args, why.p);
	else
		ck_assert_msg(!ok && strstr(why.p, want), "%s %s: %s", tool, args,
			      why.p ? why.p : "(passed)");
	json_decref(a);
	buf_free(&why);
}

START_TEST(test_tool_check)
{
	check_args("get_trace", "{\"trace_id\":\"t1\"}", NULL);
	check_args("get_trace", "{\"trace_id\":\"t1\",\"workspace\":null}", NULL);
	check_args("get_trace", "{}", "Missing required argument 'trace_id'");
	check_args("get_trace", "{\"trace_id\":null}", "Missing required argument 'trace_id'");
	check_args("get_trace", "{\"trace_id\":5}", "'trace_id' must be a non-empty string");
	check_args("get_trace", "{\"trace_id\":\"\"}", "'trace_id' must be a non-empty string");
	check_args("get_trace", "{\"trace_id\":\"t\",\"depth\":1}",
		   "Unknown argument 'depth'. get_trace takes: workspace, trace_id");
	check_args("get_trace", "{\"trace_id\":\"t\",\"field_chars\":20001}",
		   "'field_chars' must be an integer from 0 to 20000");
	check_args("get_trace", "{\"trace_id\":\"t\",\"field_chars\":2.5}", "must be an integer");
	check_args("get_trace", "{\"trace_id\":\"t\",\"field_chars\":20.0}", NULL);
	check_args("get_trace", "{\"trace_id\":\"t\",\"max_bytes\":100}",
		   "'max_bytes' must be an integer from 4096 to 400000");
	check_args("search_traces", "{\"status\":\"failed\"}",
		   "'status' must be one of: success, error, cancelled, unknown");
	check_args("search_traces", "{\"last\":\"24h\",\"order\":\"slowest\",\"limit\":100}", NULL);
	check_args("search_traces", "{\"last\":\"24 hours\"}", "'last' must be a number and m, h");
	check_args("search_traces", "{\"last\":\"0h\"}", "'last' must be a number");
	check_args("search_traces", "{\"last\":\"3661d\"}", "at most 3660 days");
	check_args("search_traces", "{\"from\":\"2026-01-31T09:00:00Z\"}", NULL);
	check_args("search_traces", "{\"from\":\"yesterday\"}", "'from' must be an RFC 3339 time");
	check_args("search_traces", "{\"limit\":0}", "'limit' must be an integer from 1 to 100");
	check_args("search_traces", "{\"score_min\":\"high\"}", "'score_min' must be a number");
	check_args("add_score", "{\"span_id\":\"s\",\"name\":\"q\",\"value\":1}", NULL);
	check_args("add_score", "{\"span_id\":\"s\",\"value\":1}",
		   "Missing required argument 'name'");
	check_args("add_comment", "{\"trace_id\":\"t\",\"text\":\"ok\"}", NULL);
	/* a workspace name is longer than any workspace may be */
	char ws[128];
	snprintf(ws, sizeof ws, "{\"workspace\":\"%070d\"}", 0);
	check_args("list_sessions", ws, "'workspace' must be at most 63 bytes");
}
END_TEST

START_TEST(test_duration)
{
	int64_t us = 0;
	ck_assert(mcp_duration("30m", &us) && us == 1800LL * 1000000);
	ck_assert(mcp_duration("24h", &us) && us == 86400LL * 1000000);
	ck_assert(mcp_duration("7d", &us) && us == 7 * 86400LL * 1000000);
	ck_assert(mcp_duration("3660d", &us));
	ck_assert(!mcp_duration("3661d", &us));
	ck_assert(!mcp_duration("0m", &us));
	ck_assert(!mcp_duration("h", &us));
	ck_assert(!mcp_duration("5", &us));
	ck_assert(!mcp_duration("5hh", &us));
	ck_assert(!mcp_duration("-5h", &us));
	ck_assert(!mcp_duration("99999999999h", &us));
	ck_assert(!mcp_duration(NULL, &us));
}
END_TEST

/* ---- texts ---- */

START_TEST(test_cut)
{
	/* "é" is two bytes, "😀" four: characters, not bytes, are counted and cut */
	const char *s = "a\xc3\xa9\xf0\x9f\x98\x80z";
	ck_assert_uint_eq(mcp_chars(s, strlen(s)), 4);
	ck_assert_uint_eq(mcp_char_at(s, strlen(s), 2), 3);
	ck_assert_uint_eq(mcp_char_at(s, strlen(s), 3), 7);
	ck_assert_uint_eq(mcp_char_at(s, strlen(s), 9), strlen(s));
	struct buf b;
	buf_init(&b);
	buf_addc(&b, '{');
	mcp_put_cut(&b, "input", s, 3, "sp-1");
	buf_addc(&b, '}');
	ck_assert_str_eq(b.p,
			 "{\"input\":\"a\xc3\xa9\xf0\x9f\x98\x80\",\"input_cut\":\"shown 3 of 4 "
			 "characters; the rest: get_span with span_id sp-1, field input, "
			 "offset 3\"}");
	b.len = 0;
	buf_addc(&b, '{');
	mcp_put_cut(&b, "output", s, 4, "sp-1");
	mcp_put_cut(&b, "none", NULL, 4, "sp-1");
	mcp_put_cut(&b, "text", "abcdef", 2, NULL);
	buf_addc(&b, '}');
	ck_assert_str_eq(b.p, "{\"output\":\"a\xc3\xa9\xf0\x9f\x98\x80z\",\"text\":\"ab\","
			      "\"text_cut\":\"shown 2 of 6 characters\"}");
	buf_free(&b);
}
END_TEST

/* Characters of a string member read off a line without decoding it: an escape is one, a
 * surrogate pair of escapes one, a UTF-8 sequence one. */
START_TEST(test_line_chars)
{
	const char *line = "{\"span_id\":\"s\",\"name\":\"a\\\"b\\n\\u00e9\\ud83d\\ude00\xc3\xa9"
			   "\",\"input\":\"\",\"output\":\"xyz\"}";
	struct mcp_line m;
	mcp_line_scan(line, strlen(line), ~(uint64_t)0, &m);
	ck_assert_uint_eq(mcp_line_chars(&m, SF_NAME), 7);
	ck_assert_uint_eq(mcp_line_chars(&m, SF_INPUT), 0);
	ck_assert_uint_eq(mcp_line_chars(&m, SF_OUTPUT), 3);
	ck_assert_uint_eq(mcp_line_chars(&m, SF_MODEL), 0);
	ck_assert_int_eq(mcp_line_int(&m, SF_INPUT_TOKENS), SPAN_NONE_I64);
	ck_assert(isnan(mcp_line_num(&m, SF_COST_TOTAL_USD)));
	/* the walk stops once it has what it wants */
	mcp_line_scan(line, strlen(line), (uint64_t)1 << SF_SPAN_ID, &m);
	ck_assert_ptr_nonnull(m.v[SF_SPAN_ID]);
	ck_assert_ptr_null(m.v[SF_NAME]);
}
END_TEST

START_TEST(test_turn_text)
{
	struct arena *a = arena_new();
	bool picked;
	arena_json(a);
	const char *chat = "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
			   "{\"role\":\"user\",\"content\":\"first\"},{\"role\":\"assistant\","
			   "\"content\":\"ok\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\","
			   "\"text\":\"second\"},{\"type\":\"text\",\"text\":\"part\"}]}]}";
	ck_assert_str_eq(mcp_turn_text(a, chat, true, &picked), "second\n\npart");
	ck_assert(picked);
	const char *list = "[{\"role\":\"user\",\"content\":\"only\"}]";
	ck_assert_str_eq(mcp_turn_text(a, list, true, &picked), "only");
	const char *done =
	    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}";
	ck_assert_str_eq(mcp_turn_text(a, done, false, &picked), "hi");
	ck_assert(picked);
	const char *msg = "{\"role\":\"assistant\",\"content\":\"there\"}";
	ck_assert_str_eq(mcp_turn_text(a, msg, false, &picked), "there");
	/* what is no conversation is itself */
	ck_assert_str_eq(mcp_turn_text(a, "plain words", true, &picked), "plain words");
	ck_assert(!picked);
	ck_assert_str_eq(mcp_turn_text(a, "{\"q\":1}", true, &picked), "{\"q\":1}");
	ck_assert(!picked);
	ck_assert_str_eq(mcp_turn_text(a, "[1,2", true, &picked), "[1,2");
	ck_assert_ptr_null(mcp_turn_text(a, NULL, true, &picked));
	arena_json(NULL);
	arena_free(a);
}
END_TEST

/* ---- POST /mcp as plain CGI ---- */

/* A request to /mcp with method m and body, Content-Type application/json unless ctype says
 * otherwise; Accept, Origin and MCP-Protocol-Version are set (or not) by the caller. */
static struct resp call(const char *m, const char *body, const char *ctype)
{
	struct reqspec rq = {.method = m,
			     .uri = "/mcp",
			     .ctype = ctype ? ctype : "application/json",
			     .body = body,
			     .len = body ? strlen(body) : 0};
	t_use = &mcp_dialect;
	return run_route(&rq, &mcp_surface.routes[0]);
}

static struct resp post_json(const char *body)
{
	return call("POST", body, NULL);
}

START_TEST(test_cgi_messages)
{
	struct resp r = post_json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	ck_reply(r, 200, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}");
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: application/json"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	ck_reply(r, 202, "");
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}");
	ck_reply(r, 202, "");
	r = post_json("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
	ck_assert_int_eq(r.code, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32600"));
	ck_assert_ptr_null(strstr(r.body, "\"id\""));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":1,");
	ck_assert_int_eq(r.code, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32700"));
	/* a refusal that can name its request answers it */
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\",\"params\":7}");
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"id\":4,\"error\":{\"code\":-32602"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/list\"}");
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"id\":2,\"error\":{\"code\":-32601"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"drop_table\",\"arguments\":{}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"id\":3,\"error\":{\"code\":-32602,"
					     "\"message\":\"Unknown tool: drop_table."));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":[]}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32602"));
}
END_TEST

START_TEST(test_cgi_initialize)
{
	struct resp r =
	    post_json("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
		      "{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
		      "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"result\":{\"protocolVersion\":\"2025-06-18\","
					     "\"capabilities\":{\"tools\":{"));
	/* no session for the server to keep */
	ck_assert_ptr_null(strcasestr(r.head, "Mcp-Session-Id"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
		      "{\"protocolVersion\":\"2024-11-05\"}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"protocolVersion\":\"" MCP_VERSION_LATEST "\""));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"error\":{\"code\":-32602"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"result\":{\"tools\":[{\"name\":\"search_traces\""));
}
END_TEST

/* What the transport refuses before the message: another method, an Accept without JSON, a
 * body not JSON, a version it does not speak, a foreign Origin, a body too large. */
START_TEST(test_cgi_transport)
{
	struct resp r = call("GET", NULL, NULL);
	ck_assert_int_eq(r.code, 405);
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: POST"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32000"));
	r = call("DELETE", NULL, NULL);
	ck_assert_int_eq(r.code, 405);
	const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
	r = call("POST", ping, "text/plain");
	ck_assert_int_eq(r.code, 415);
	setenv("HTTP_ACCEPT", "text/event-stream", 1);
	r = post_json(ping);
	ck_assert_int_eq(r.code, 406);
	ck_assert_ptr_nonnull(strstr(r.head, "Status: 406 Not Acceptable"));
	setenv("HTTP_ACCEPT", "application/json, text/event-stream", 1);
	setenv("HTTP_MCP_PROTOCOL_VERSION", "2024-11-05", 1);
	r = post_json(ping);
	ck_assert_int_eq(r.code, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "unsupported MCP-Protocol-Version"));
	setenv("HTTP_MCP_PROTOCOL_VERSION", MCP_VERSION_PREVIOUS, 1);
	ck_assert_int_eq(post_json(ping).code, 200);
	setenv("HTTP_HOST", "traces.example:8080", 1);
	setenv("HTTP_ORIGIN", "http://evil.example", 1);
	ck_assert_int_eq(post_json(ping).code, 403);
	setenv("HTTP_ORIGIN", "https://traces.example:8080", 1);
	ck_assert_int_eq(post_json(ping).code, 200);
	setenv("HTTP_ORIGIN", "http://ide.example", 1);
	setenv("SPANDEX_MCP_ORIGINS", "http://other.example, http://ide.example", 1);
	ck_assert_int_eq(post_json(ping).code, 200);
	unsetenv("HTTP_ORIGIN");
	size_t n = MCP_MAX_REQUEST + 100;
	char *big = malloc(n + 1);
	memset(big, ' ', n);
	memcpy(big, ping, strlen(ping));
	big[n] = '\0';
	r = post_json(big);
	ck_assert_int_eq(r.code, 413);
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32600"));
	free(big);
}
END_TEST

/* A tool's failures are results with isError, which the agent reads: an argument off its
 * schema, a workspace that is no name, a trace the store does not hold. */
START_TEST(test_cgi_tool_errors)
{
	struct resp r =
	    post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":{\"trace\":\"t\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"text\":\"Unknown argument 'trace'."));
	ck_assert_ptr_nonnull(strstr(r.body, "\"isError\":true}"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":{\"trace_id\":\"t\","
		      "\"workspace\":\"Bad Name\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "Invalid workspace name"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":{\"trace_id\":\"t\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "No trace 't' in workspace 'default'"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"isError\":true}"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"search_traces\",\"arguments\":{\"last\":\"1h\",\"from\":"
		      "\"2026-01-01T00:00:00Z\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "Give either last or from and to"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"search_traces\",\"arguments\":{\"text\":\"\\\"open\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"isError\":true}"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"search_traces\",\"arguments\":{}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "\"total\\\":0"));
	ck_assert_ptr_nonnull(strstr(r.body, "\"isError\":false}"));
	/* A connection's X-Workspace is its calls' default, and the only workspace they name. */
	setenv("HTTP_X_WORKSPACE", "team-a", 1);
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":{\"trace_id\":\"t\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "No trace 't' in workspace 'team-a'"));
	r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":"
		      "{\"name\":\"get_trace\",\"arguments\":{\"trace_id\":\"t\","
		      "\"workspace\":\"team-b\"}}}");
	ck_assert_ptr_nonnull(strstr(r.body, "This connection is for workspace 'team-a'"));
	unsetenv("HTTP_X_WORKSPACE");
}
END_TEST

/* A store failure names no file of the data directory in a tool's answer (issue 55, item 8):
 * a workspace whose judgements/ is a file takes no score, and the client is told so in words
 * (server.c logs any reason that would name one, and answers without it): a write the store
 * cannot take answers 503 with Retry-After and a JSON-RPC error, as every API's write does. */
START_TEST(test_cgi_no_path)
{
	const char *data = getenv("SPANDEX_DATA");
	struct store st;
	struct span s;
	struct err e = {0};
	char p[256];
	span_init(&s);
	s.span_id = "s1";
	s.trace_id = "t1";
	s.session_id = "t1";
	s.workspace = "ws1";
	s.source = "check";
	s.kind = KIND_LLM;
	s.status = SPST_SUCCESS;
	s.started_at = 1700000000000000LL;
	store_init(&st, data, false);
	ck_assert_int_eq(store_append(&st, "ws1", &s, 1, &e), ST_OK);
	snprintf(p, sizeof p, "%s/ws1/judgements", data);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	struct resp r = post_json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
				  "\"params\":{\"name\":\"add_score\",\"arguments\":{\"workspace\":"
				  "\"ws1\",\"span_id\":\"s1\",\"name\":\"q\",\"value\":1}}}");
	ck_assert_int_eq(r.code, 503);
	ck_assert_ptr_nonnull(strstr(r.head, "Retry-After: "));
	ck_assert_ptr_nonnull(strstr(r.body, "\"error\":{\"code\":-32000"));
	ck_assert_msg(!strstr(r.body, data), "%s", r.body);
	unlink(p);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s/ws1", data);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *check_suite(void)
{
	Suite *s = suite_create("mcp");
	TCase *tc = tcase_create("rpc");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_accept);
	suite_add_tcase(s, tc);
	tc = tcase_create("tools");
	tcase_add_test(tc, test_tools_list);
	tcase_add_test(tc, test_tool_check);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_line_chars);
	tcase_add_test(tc, test_turn_text);
	suite_add_tcase(s, tc);
	tc = tcase_create("cgi"); /* each request runs the program's whole path: CHECK_TIMEOUT_S */
	tcase_add_checked_fixture(tc, data_setup, data_teardown);
	tcase_add_test(tc, test_cgi_messages);
	tcase_add_test(tc, test_cgi_initialize);
	tcase_add_test(tc, test_cgi_transport);
	tcase_add_test(tc, test_cgi_tool_errors);
	tcase_add_test(tc, test_cgi_no_path);
	suite_add_tcase(s, tc);
	return s;
}
