/* rpc: JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as the Model Context Protocol uses
 * it (specification 2025-11-25, "Base Protocol" and "Transports"): messages read, responses
 * written, versions agreed, Accept read. */
#include "lib/api/mcp/rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "lib/json/jsonw.h"
#include "lib/json/jsonx.h"

const char *const mcp_versions[] = {MCP_VERSION_LATEST, MCP_VERSION_PREVIOUS, NULL};

static bool refuse(struct mcp_refusal *r, int code, json_t *id, const char *msg)
{
	r->code = code;
	r->id = id;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
	return false;
}

/* The protocol's RequestId: a string or an integer, never null (2025-11-25 schema). */
static bool id_ok(const json_t *id)
{
	return json_is_string(id) || json_is_integer(id);
}

bool mcp_rpc_parse(const char *body, size_t len, struct mcp_msg *m, struct mcp_refusal *r)
{
	struct err e;
	size_t pos = 0;
	memset(m, 0, sizeof *m);
	json_t *o = m->root = jsonx_parse(body, len, &pos, &e);
	if (!o) {
		char msg[200];
		snprintf(msg, sizeof msg, "Parse error at byte %zu: %.150s", pos, e.msg);
		return refuse(r, MCP_PARSE_ERROR, NULL, msg);
	}
	if (json_is_array(o))
		return refuse(r, MCP_INVALID_REQUEST, NULL,
			      "Invalid Request: a JSON-RPC batch is not part of the protocol since "
			      "2025-06-18; send one message a request");
	if (!json_is_object(o))
		return refuse(r, MCP_INVALID_REQUEST, NULL,
			      "Invalid Request: a message is a JSON object");
	json_t *id = json_object_get(o, "id"), *method = json_object_get(o, "method");
	json_t *params = json_object_get(o, "params");
	const char *v = json_string_value(json_object_get(o, "jsonrpc"));
	json_t *known = id_ok(id) ? id : NULL;
	if (!v || strcmp(v, "2.0"))
		return refuse(r, MCP_INVALID_REQUEST, known,
			      "Invalid Request: \"jsonrpc\" must be \"2.0\"");
	if (id && !known)
		return refuse(r, MCP_INVALID_REQUEST, NULL,
			      "Invalid Request: \"id\" must be a string or an integer");
	if (!method) {
		if (known && (json_object_get(o, "result") || json_object_get(o, "error"))) {
			m->kind = MCP_MSG_RESPONSE;
			m->id = known;
			return true;
		}
		return refuse(r, MCP_INVALID_REQUEST, known,
			      "Invalid Request: a request needs \"method\"");
	}
	if (!json_is_string(method))
		return refuse(r, MCP_INVALID_REQUEST, known,
			      "Invalid Request: \"method\" must be a string");
	if (params && !json_is_object(params))
		return refuse(r, MCP_INVALID_PARAMS, known,
			      "Invalid params: \"params\" must be an object");
	m->kind = known ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
	m->id = known;
	m->method = json_string_value(method);
	m->params = params;
	return true;
}

static void head(struct buf *out, const json_t *id)
{
	buf_adds(out, "{\"jsonrpc\":\"2.0\"");
	if (id) {
		buf_adds(out, ",\"id\":");
		jsonw_value(out, id);
	}
}

void mcp_rpc_result(struct buf *out, const json_t *id, const char *result, size_t n)
{
	head(out, id);
	buf_adds(out, ",\"result\":");
	buf_add(out, result, n);
	buf_addc(out, '}');
}

void mcp_rpc_error(struct buf *out, const json_t *id, int code, const char *msg, const json_t *data)
{
	head(out, id);
	buf_printf(out, ",\"error\":{\"code\":%d,\"message\":", code);
	jsonw_string(out, msg, strlen(msg));
	if (data) {
		buf_adds(out, ",\"data\":");
		jsonw_value(out, data);
	}
	buf_adds(out, "}}");
}

bool mcp_version_known(const char *v)
{
	for (size_t i = 0; v && mcp_versions[i]; i++)
		if (!strcmp(v, mcp_versions[i]))
			return true;
	return false;
}

const char *mcp_version_pick(const char *requested)
{
	return mcp_version_known(requested) ? requested : MCP_VERSION_LATEST;
}

/* Whether the media range p[0..n) (parameters included) covers application/json with a q above
 * 0 (RFC 9110 sections 12.4.2, 12.5.1). */
static bool range_json(const char *p, size_t n)
{
	size_t tn = strcspn(p, ";");
	if (tn > n)
		tn = n;
	while (tn && (p[tn - 1] == ' ' || p[tn - 1] == '\t'))
		tn--;
	static const char *const ok[] = {"application/json", "application/*", "*/*"};
	bool covers = false;
	for (size_t i = 0; i < 3 && !covers; i++)
		covers = tn == strlen(ok[i]) && !strncasecmp(p, ok[i], tn);
	if (!covers)
		return false;
	for (const char *q = p; (q = memchr(q, ';', (size_t)(p + n - q))); q++) {
		const char *k = q + 1 + strspn(q + 1, " \t");
		if ((*k == 'q' || *k == 'Q') && k[1] == '=')
			return strtod(k + 2, NULL) > 0;
	}
	return true;
}

bool mcp_accepts_json(const char *accept)
{
	if (!accept || !accept[strspn(accept, " \t")])
		return true;
	for (const char *p = accept; *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		if (n && range_json(p, n))
			return true;
		p += n;
	}
	return false;
}
