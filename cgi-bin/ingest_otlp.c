/* ingest_otlp: OTLP/HTTP trace export (reference/nemo-intake.md 4.1, otel-egp.md 1). */
#include <string.h>
#include <strings.h>

#include "cgi-bin/common.h"
#include "cgi-bin/ingest.h"
#include "lib/ingest/otlp.h"
#include "lib/store/store.h"
#include "lib/base/buf.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

/* OTLP 1.1: the decoder follows the Content-Type; lib/http has already undone gzip and
 * applied the body cap after decompression (413). */
static const char *const otlp_types[] = {"application/x-protobuf", "application/json", NULL};

enum status ingest_otlp(struct http_req *req, const char *ws)
{
	const char *ct;
	enum otlp_encoding enc;
	struct otlp_result res;
	struct store st;
	struct buf out;
	char msg[256] = "";
	struct err e = {ST_OK, ""};
	enum status s;

	s = http_require_type(req, otlp_types);
	if (s != ST_OK)
		return s;
	ct = req->content_type + strspn(req->content_type, " \t");
	enc = strncasecmp(ct, "application/json", 16) ? OTLP_PROTOBUF : OTLP_JSON;
	s = otlp_decode(req->arena, ws, enc, req->body, req->body_len, time_now(), &res, msg,
			sizeof msg);
	if (s != ST_OK) {
		/* Undecodable data is permanent: 400, which exporters do not retry. */
		http_errorf(req, s, "Invalid OTLP %s: %s", enc == OTLP_JSON ? "JSON" : "protobuf",
			    msg);
		return s;
	}
	cgi_store(req, &st);
	if (res.nspans)
		s = store_append(&st, ws, res.spans, res.nspans, &e);
	if (s != ST_OK) {
		/* 503 + Retry-After (lib/http): every OTLP exporter retries it. */
		http_error(req, s, err_text(&e));
		goto out;
	}
	buf_init(&out);
	otlp_response(&res, enc, &out);
	http_reply(req, 200, enc == OTLP_JSON ? "application/json" : "application/x-protobuf",
		   out.p ? out.p : "", out.len);
	buf_free(&out);
out:
	otlp_result_free(&res);
	return s;
}

enum status ingest_otlp_v1(struct http_req *req)
{
	const char *ws = http_header(req, "X-Workspace");

	if (!ws || !*ws)
		ws = "default";
	if (!workspace_valid(ws)) {
		http_errorf(req, ST_BAD_REQUEST, "Invalid workspace name in X-Workspace: '%.64s'",
			    ws);
		return ST_BAD_REQUEST;
	}
	return ingest_otlp(req, ws);
}
