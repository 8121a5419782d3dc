/* server: POST /mcp, the Streamable HTTP transport (specification 2025-11-25, "Transports")
 * without sessions or streams: the request's origin, protocol version, media types and size are
 * checked, its one message read (rpc.c), and a request answered with one application/json
 * reply (a notification or a response with a 202 and no body). The methods: initialize, ping,
 * tools/list and tools/call; a call's tool runs with its arguments checked (tools.c) and its
 * workspace checked against the caller's key, and every failure of a tool is a result with
 * isError, which the agent reads and can act on. */
#include "lib/api/mcp/surface.h"
#include "lib/api/mcp/rpc.h"
#include "lib/api/mcp/tool.h"

#include <string.h>
#include <strings.h>
#include "lib/auth/auth.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* The version serverInfo gives: configure's (AC_INIT); a build without it (t/fuzz/run's) says
 * so. */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* An HTTP error whose body is the JSON-RPC error (no id unless one was read); a 503 says when
 * to try again, as every API's does. */
static enum status reply_error(struct http_req *req, int http, const json_t *id, int code,
			       const char *msg)
{
	struct buf *b = arena_buf(req->arena);
	mcp_rpc_error(b, id, code, msg, NULL);
	if (http == 503)
		http_reply_with(req, http, "application/json", "Retry-After: 1\r\n", b->p, b->len);
	else
		http_reply_json(req, http, b->p, b->len);
	return ST_OK;
}

/* The transport's guard against DNS rebinding: a browser's request must come from this
 * server's own origin (its Host) or one SPANDEX_MCP_ORIGINS lists (separated by spaces or
 * commas; "*" is any); a request without Origin (every client that is not a browser) passes. */
static bool origin_ok(struct http_req *req)
{
	const char *o = http_header(req, "Origin"), *host = http_header(req, "Host");
	const char *list = http_env(req, "SPANDEX_MCP_ORIGINS");
	if (!o)
		return true;
	for (const char *p = list; p && *p;) {
		p += strspn(p, " ,");
		size_t n = strcspn(p, " ,");
		if (n && ((n == 1 && *p == '*') || (strlen(o) == n && !strncasecmp(o, p, n))))
			return true;
		p += n;
	}
	const char *auth = strstr(o, "://");
	return auth && host && !strcasecmp(auth + 3, host);
}

/* What the transport asks of a POST before its body is read as a message; the error reply
 * written (false) when one fails. */
static bool transport_ok(struct http_req *req)
{
	static const char *const json[] = {"application/json", NULL};
	const char *v = http_header(req, "MCP-Protocol-Version");
	if (!origin_ok(req)) {
		reply_error(req, 403, NULL, MCP_REFUSED,
			    "Forbidden: this Origin may not use this server (SPANDEX_MCP_ORIGINS)");
		return false;
	}
	if (v && !mcp_version_known(v)) {
		char msg[200];
		snprintf(
		    msg, sizeof msg,
		    "Bad Request: unsupported MCP-Protocol-Version '%.40s'; this server speaks "
		    "%s and %s",
		    v, MCP_VERSION_LATEST, MCP_VERSION_PREVIOUS);
		reply_error(req, 400, NULL, MCP_INVALID_REQUEST, msg);
		return false;
	}
	if (http_require_type(req, json) != ST_OK) {
		reply_error(req, 415, NULL, MCP_REFUSED, req->err.msg);
		return false;
	}
	if (!mcp_accepts_json(http_header(req, "Accept"))) {
		reply_error(req, 406, NULL, MCP_REFUSED,
			    "Not Acceptable: this server answers application/json; accept it "
			    "(Accept: application/json, text/event-stream)");
		return false;
	}
	if (req->body_len > MCP_MAX_REQUEST) {
		char msg[160];
		snprintf(
		    msg, sizeof msg,
		    "Request too large: %zu bytes; a message of this server is at most %u bytes",
		    req->body_len, MCP_MAX_REQUEST);
		reply_error(req, 413, NULL, MCP_INVALID_REQUEST, msg);
		return false;
	}
	return true;
}

static const char instructions[] =
    "spandex stores the traces of LLM applications and agents: a trace is one run or request, a "
    "tree of spans (LLM calls, tool calls, retrievals, agent steps); a session is a "
    "conversation of traces. Find what to look at with search_traces, list_sessions or "
    "get_stats; read one run with get_trace and a span's whole input and output with get_span; "
    "read a conversation with get_session. Every answer fits max_bytes and says what it cut "
    "and how to read the rest. add_score and add_comment record a judgement that every API of "
    "the server shows (a key with the write role). Times are UTC (RFC 3339), durations "
    "milliseconds, costs USD. Each tool takes a workspace; the key's own is the default.";

static void initialize(const struct mcp_msg *m, struct buf *r)
{
	const char *asked = json_string_value(json_object_get(m->params, "protocolVersion"));
	const char *v = mcp_version_pick(asked);
	buf_adds(r, "{\"protocolVersion\":");
	jsonw_string(r, v, strlen(v));
	buf_adds(r, ",\"capabilities\":{\"tools\":{\"listChanged\":false}},"
		    "\"serverInfo\":{\"name\":\"spandex\",\"title\":\"spandex traces\","
		    "\"version\":\"" PACKAGE_VERSION "\"},\"instructions\":");
	jsonw_string(r, instructions, sizeof instructions - 1);
	buf_addc(r, '}');
}

/* The result of a tool: its text, or with isError the reason. */
static void tool_result(struct buf *r, const char *text, size_t n, bool error)
{
	buf_adds(r, "{\"content\":[{\"type\":\"text\",\"text\":");
	jsonw_string(r, text, n);
	buf_printf(r, "}],\"isError\":%s}", error ? "true" : "false");
}

/* The workspace of call c: its argument, else the X-Workspace header's, else the key's own,
 * else "default"; and whether the caller's key may use the tool on it: false with the reason in
 * c->err. A connection that names its workspace in X-Workspace (docs/scaling.md's front places
 * a request by it) keeps to it: a call naming another would reach a host without its data. */
static bool call_allowed(struct mcp_call *c)
{
	struct http_req *req = c->req;
	struct auth_grant g;
	struct err e = {0};
	const char *hdr = http_header(req, mcp_dialect.ws_header);
	enum status st = auth_resolve(req->root, http_env(req, "SPANDEX_TOKEN"),
				      http_key_bearer.get(req), &g, &e);
	if (st != ST_OK) {
		mcp_fail(c, st, "%s", err_text(&e));
		return false;
	}
	if (hdr && !*hdr)
		hdr = NULL;
	c->ws = mcp_str(c, "workspace");
	if (c->ws && hdr && strcmp(c->ws, hdr)) {
		mcp_fail(c, ST_BAD_REQUEST,
			 "This connection is for workspace '%.64s' (its X-Workspace header): leave "
			 "workspace out, or connect with the header of '%.64s'.",
			 hdr, c->ws);
		return false;
	}
	if (!c->ws)
		c->ws = hdr ? hdr
			: !g.open && strcmp(g.workspace, AUTH_ALL_WORKSPACES)
			    ? arena_strdup(c->a, g.workspace)
			    : "default";
	if (!workspace_valid(c->ws)) {
		mcp_fail(c, ST_BAD_REQUEST, "Invalid workspace name '%.64s': %s", c->ws,
			 WORKSPACE_RULES);
		return false;
	}
	st = auth_allow(req->root, &g, c->ws, c->tool->write ? AUTH_WRITE : AUTH_READ, &e);
	if (st != ST_OK) {
		mcp_fail(c, st, "%s", err_text(&e));
		return false;
	}
	return true;
}

/* What a tool's failure st (msg: its reason, or "") tells the client. No answer names a file of
 * the data directory (issue 55, item 8): such a reason of the store's goes to the programs'
 * log, the client gets the gist. */
static const char *told(struct http_req *req, enum status st, const char *msg)
{
	const char *why = msg[0] ? msg : status_message(st);
	if (req->root && req->root[0] == '/' && strstr(why, req->root)) {
		struct err e = {st, ""};
		snprintf(e.msg, sizeof e.msg, "%s", why);
		http_fail_logged(req, &e,
				 "The store could not answer (the programs' log says why); try "
				 "again in a moment.");
		why = req->err.msg;
	}
	return why;
}

/* tools/call: a JSON-RPC error for a call that names no tool of this server, else the tool's
 * result (isError for arguments off its schema, a workspace the key may not use, and
 * whatever the tool refuses). */
static bool tools_call(struct http_req *req, const struct mcp_msg *m, struct buf *r,
		       struct mcp_refusal *bad)
{
	const char *name = json_string_value(json_object_get(m->params, "name"));
	json_t *args = json_object_get(m->params, "arguments");
	struct mcp_call c = {.req = req, .a = req->arena, .tool = mcp_tool_find(name)};
	if (!c.tool) {
		struct buf *msg = arena_buf(req->arena);
		buf_printf(msg, "Unknown tool: %.100s. The tools:", name ? name : "(no name)");
		for (size_t i = 0; i < mcp_ntools; i++)
			buf_printf(msg, "%s %s", i ? "," : "", mcp_tools[i].name);
		bad->code = MCP_INVALID_PARAMS;
		snprintf(bad->msg, sizeof bad->msg, "%s", msg->p);
		return false;
	}
	if (args && !json_is_object(args)) {
		bad->code = MCP_INVALID_PARAMS;
		snprintf(bad->msg, sizeof bad->msg, "Invalid params: arguments must be an object");
		return false;
	}
	c.args = args ? args : json_object();
	struct buf *off = arena_buf(req->arena);
	if (!mcp_tool_check(c.tool, c.args, off)) {
		tool_result(r, off->p, off->len, true);
		return true;
	}
	if (!call_allowed(&c)) {
		tool_result(r, c.err.msg, strlen(c.err.msg), true);
		return true;
	}
	c.budget = (size_t)mcp_int(&c, "max_bytes", MCP_BUDGET_DEFAULT);
	c.out = arena_buf(req->arena);
	enum status st = c.tool->fn(&c);
	if (st == ST_OK && c.out->len > c.budget) /* never sent: each tool keeps to it */
		st = mcp_fail(&c, ST_BAD_REQUEST,
			      "The answer does not fit max_bytes=%zu (its ids and names alone are "
			      "longer): raise max_bytes.",
			      c.budget);
	if (st == ST_OK) {
		tool_result(r, c.out->p ? c.out->p : "", c.out->len, false);
		return true;
	}
	const char *why = told(req, st, c.err.msg);
	if (st == ST_UNAVAILABLE && c.tool->write) {
		/* A write the store could not take now (a restore under way, or in the bucket's
		 * sync mode a bucket out of reach): the transport's 503 with Retry-After, as every
		 * API answers it, so a client retries rather than an agent reading a refusal. */
		bad->code = MCP_REFUSED;
		bad->http = 503;
		snprintf(bad->msg, sizeof bad->msg, "%s", why);
		return false;
	}
	tool_result(r, why, strlen(why), true);
	return true;
}

/* Answers request m: its result into r, or false with the JSON-RPC error in bad. */
static bool answer(struct http_req *req, const struct mcp_msg *m, struct buf *r,
		   struct mcp_refusal *bad)
{
	bad->id = m->id;
	if (!strcmp(m->method, "initialize")) {
		if (!json_is_string(json_object_get(m->params, "protocolVersion"))) {
			bad->code = MCP_INVALID_PARAMS;
			snprintf(bad->msg, sizeof bad->msg,
				 "Invalid params: initialize needs params.protocolVersion");
			return false;
		}
		initialize(m, r);
		return true;
	}
	if (!strcmp(m->method, "ping")) {
		buf_adds(r, "{}");
		return true;
	}
	if (!strcmp(m->method, "tools/list")) {
		mcp_tools_list(r);
		return true;
	}
	if (!strcmp(m->method, "tools/call"))
		return tools_call(req, m, r, bad);
	bad->code = MCP_METHOD_NOT_FOUND;
	snprintf(bad->msg, sizeof bad->msg,
		 "Method not found: %.100s (this server has initialize, ping, tools/list and "
		 "tools/call)",
		 m->method);
	return false;
}

enum status mcp_post(struct http_req *req)
{
	struct mcp_msg m;
	struct mcp_refusal bad = {0};
	if (!transport_ok(req))
		return ST_OK;
	if (!mcp_rpc_parse(req->body, req->body_len, &m, &bad))
		/* An error the client can match to its request is an answer to it; one about no
		 * request it can tell is the transport's 400. */
		return reply_error(req, bad.id ? 200 : 400, bad.id, bad.code, bad.msg);
	if (m.kind != MCP_MSG_REQUEST) {
		http_reply(req, 202, NULL, NULL, 0);
		return ST_OK;
	}
	struct buf *r = arena_buf(req->arena), *out = arena_buf(req->arena);
	if (!answer(req, &m, r, &bad))
		return reply_error(req, bad.http ? bad.http : 200, m.id, bad.code, bad.msg);
	mcp_rpc_result(out, m.id, r->p, r->len);
	http_reply_json(req, 200, out->p, out->len);
	return ST_OK;
}
