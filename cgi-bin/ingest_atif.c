/* ingest_atif: POST .../ingest/atif (reference nemo-intake.md section 4.3). */
#include "cgi-bin/common.h"
#include "cgi-bin/ingest.h"
#include "lib/ingest/atif.h"
#include "lib/base/time.h"

static const char *const atif_types[] = {"application/json", NULL};

enum status ingest_atif(struct http_req *req, const char *ws)
{
	json_t *body = NULL;
	struct span *spans = NULL;
	size_t n = 0;
	struct verrs v;
	struct store st;
	struct err e = {ST_OK, ""};
	enum status rc;

	verrs_init(&v);
	rc = http_require_type(req, atif_types);
	if (rc == ST_OK)
		rc = http_json_body(req, &body);
	if (rc != ST_OK)
		goto out;
	if (atif_map(req->arena, ws, body, time_now(), &spans, &n, &v) != ST_OK) {
		http_reply_verrs(req, &v);
		goto out;
	}
	cgi_store(req, &st);
	rc = store_append(&st, ws, spans, n, &e);
	if (rc != ST_OK) {
		http_errorf(req, rc, "Spans not stored (%s); retry later", err_text(&e));
		rc = ST_OK;
		goto out;
	}
	http_reply(req, 201, NULL, "", 0); /* the reference's 201 with an empty body */
out:
	for (size_t i = 0; i < n; i++)
		span_clear(&spans[i]);
	verrs_free(&v);
	json_decref(body);
	return rc;
}
