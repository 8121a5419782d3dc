/* ingest_chat: POST .../ingest/chat-completions (reference nemo-intake.md section 4.2). */
#include <string.h>
#include "cgi-bin/common.h"
#include "cgi-bin/ingest.h"
#include "lib/ingest/chat.h"
#include "lib/json/jsonw.h"
#include "lib/base/time.h"

static const char *const chat_types[] = {"application/json", NULL};

enum status ingest_chat(struct http_req *req, const char *ws)
{
	json_t *body = NULL, *reply;
	struct verrs v;
	struct span sp;
	struct store st;
	struct err e = {ST_OK, ""};
	const char *text;
	enum status rc;

	verrs_init(&v);
	span_init(&sp);
	rc = http_require_type(req, chat_types);
	if (rc == ST_OK)
		rc = http_json_body(req, &body);
	if (rc != ST_OK)
		goto out;
	if (chat_map(req->arena, ws, body, time_now(), &sp, &v) != ST_OK) {
		http_reply_verrs(req, &v);
		goto out;
	}
	cgi_store(req, &st);
	rc = store_append(&st, ws, &sp, 1, &e);
	if (rc != ST_OK) {
		http_errorf(req, rc, "Span not stored (%s); retry later", err_text(&e));
		rc = ST_OK;
		goto out;
	}
	/* ChatCompletionsIngestResponse. */
	reply = json_pack("{s:s,s:s}", "session_id", sp.session_id, "span_id", sp.span_id);
	text = jsonw_astr(req->arena, reply, 0);
	json_decref(reply);
	http_reply_json(req, 201, text, strlen(text));
out:
	span_clear(&sp);
	verrs_free(&v);
	json_decref(body);
	return rc;
}
