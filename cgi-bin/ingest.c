/* ingest: POST .../ingest/spans (and the other ingest formats): validate, store, reply. */
#include "cgi-bin/common.h"
#include "cgi-bin/ingest.h"
#include "lib/ingest/direct.h"

#include <stdio.h>

static const char *const json_types[] = {"application/json", NULL};

enum status ingest_spans(struct http_req *req, const char *ws)
{
	json_t *body = NULL;
	struct span *spans = NULL;
	struct verrs v;
	struct store st;
	struct err e = {ST_OK, ""};
	verrs_init(&v);
	enum status rc = http_require_type(req, json_types);
	if (rc == ST_OK)
		rc = http_json_body(req, &body);
	if (rc != ST_OK)
		goto out;
	size_t n = direct_parse(req->arena, ws, body, &spans, &v);
	if (!n) {
		http_reply_verrs(req, &v);
		goto out;
	}
	cgi_store(req, &st);
	rc = store_append(&st, ws, spans, n, &e);
	for (size_t i = 0; i < n; i++)
		span_clear(&spans[i]);
	if (rc != ST_OK) {
		http_errorf(req, rc, "Spans not stored (%s); retry later", err_text(&e));
		rc = ST_OK;
		goto out;
	}
	http_reply(req, 201, NULL, "", 0);
out:
	verrs_free(&v);
	json_decref(body);
	return rc;
}

static enum status handle(struct http_req *req)
{
	const char *ws;
	enum status rc = http_allow(req, "POST");
	if (rc != ST_OK)
		return rc;
	/* The standard OTLP path (otel-egp.md 1.1), outside the intake prefix. */
	if (cgi_route_is(req, 0, "v1", "traces", NULL))
		return ingest_otlp_v1(req);
	int i = cgi_intake_route(req, &ws);
	if (i < 0)
		return ST_OK;
	if (cgi_route_is(req, i, "ingest", "spans", NULL))
		return ingest_spans(req, ws);
	if (cgi_route_is(req, i, "ingest", "otlp", "v1", "traces", NULL))
		return ingest_otlp(req, ws);
	if (cgi_route_is(req, i, "ingest", "chat-completions", NULL))
		return ingest_chat(req, ws);
	if (cgi_route_is(req, i, "ingest", "atif", NULL))
		return ingest_atif(req, ws);
	http_error(req, ST_NOT_FOUND, "Not Found");
	return ST_OK;
}

int main(void)
{
	return http_main(handle);
}
