/* rpc: the Model Context Protocol's messages as this server reads and writes them: one JSON-RPC
 * 2.0 message a POST (no batches: the protocol dropped them in 2025-06-18), the version a client
 * and this server agree on, and what an Accept header allows. Pure functions over bytes and
 * jansson values, with no request behind them, so t/check_mcp.c drives them directly. What a
 * parse returns lives in the caller's jansson value (the request's arena while arena_json is
 * set); what a writer writes goes to the caller's buf. */
#ifndef SPANDEX_API_MCP_RPC_H
#define SPANDEX_API_MCP_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"

/* The protocol versions this server speaks, newest first: the one the current
 * @modelcontextprotocol/sdk client asks for (1.32.2: LATEST_PROTOCOL_VERSION), and the one
 * before it. Their messages differ in nothing this server sends. */
#define MCP_VERSION_LATEST "2025-11-25"
#define MCP_VERSION_PREVIOUS "2025-06-18"
extern const char *const mcp_versions[];

/* JSON-RPC 2.0's error codes (section 5.1), and one of the range it leaves to servers for a
 * request refused before it is read as a message (a key, a size, a media type). */
enum mcp_code {
	MCP_PARSE_ERROR = -32700,
	MCP_INVALID_REQUEST = -32600,
	MCP_METHOD_NOT_FOUND = -32601,
	MCP_INVALID_PARAMS = -32602,
	MCP_REFUSED = -32000,
};

/* One message of the client. */
enum mcp_kind {
	MCP_MSG_REQUEST,      /* method and id: answered with a result or an error */
	MCP_MSG_NOTIFICATION, /* method without an id: 202, nothing to answer */
	MCP_MSG_RESPONSE,     /* a result or an error of the client's: 202, nothing to answer */
};
struct mcp_msg {
	enum mcp_kind kind;
	json_t *id;	    /* a request's id (a string or an integer), else NULL */
	const char *method; /* a request's or a notification's */
	json_t *params;	    /* an object, or NULL when absent */
	json_t *root;	    /* the document read, refused or not (NULL: no JSON); the caller's */
};

/* Why a body is no message: the JSON-RPC code, the id when one could be read (NULL: the error
 * names none, as the transport allows), and the sentence. */
struct mcp_refusal {
	int code;
	int http; /* the reply's HTTP status when not 200 (a write the store could not take: 503) */
	json_t *id;
	char msg[ERR_MSG + 64]; /* a store's reason (ERR_MSG) and the words around it */
};

/* Reads body[0..len) as one message of the protocol: a JSON object with "jsonrpc": "2.0" and a
 * request's, a notification's or a response's members. False with *r filled for what is not
 * JSON (MCP_PARSE_ERROR), an array (a batch) or an object that is no message
 * (MCP_INVALID_REQUEST): an id that is neither a string nor an integer (the protocol forbids
 * null), a method that is not a string, params that are not an object. */
bool mcp_rpc_parse(const char *body, size_t len, struct mcp_msg *m, struct mcp_refusal *r);

/* Appends the response to request id whose result is the JSON text result[0..n). */
void mcp_rpc_result(struct buf *out, const json_t *id, const char *result, size_t n);
/* Appends an error response: id NULL leaves the id out (an error about no request the server
 * could read, as the Streamable HTTP transport allows); data, when not NULL, is its "data". */
void mcp_rpc_error(struct buf *out, const json_t *id, int code, const char *msg,
		   const json_t *data);

/* The version to answer an initialize that asks for requested: that one when this server
 * speaks it, else the newest it speaks (the lifecycle's version negotiation). */
const char *mcp_version_pick(const char *requested);
/* Whether v is a version this server speaks (the MCP-Protocol-Version header). */
bool mcp_version_known(const char *v);

/* Whether an Accept header allows an application/json reply: absent (RFC 9110 section 12.5.1:
 * any type), or naming application/json or a wildcard that covers it, with a q above 0. */
bool mcp_accepts_json(const char *accept);

#endif
