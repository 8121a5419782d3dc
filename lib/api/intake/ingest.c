/* ingest: the Intake ingest endpoints (reference nemo-intake.md section 4): a format in,
 * spans out (lib/ingest), stored whole or not at all. */
#include "lib/api/intake/intake.h"

#include <string.h>
#include <strings.h>
#include "lib/base/time.h"
#include "lib/base/utf8.h"
#include "lib/api/intake/judgements.h"
#include "lib/ingest/atif.h"
#include "lib/ingest/chat.h"
#include "lib/ingest/direct.h"
#include "lib/ingest/ingest.h"
#include "lib/ingest/otlp.h"
#include "lib/ingest/otlp_logs.h"
#include "lib/json/jsonw.h"

/* Stores a batch; a refusal of the store is the client's to retry (503, Retry-After). The
 * reason reads "<what> not stored (<why>); retry later", or is the store's own without what.
 * With a merge (OTLP spans, which meet the log content stored before them), the batch is
 * written by store_update, each span merged with its stored version under the lock. */
static enum status store_with(struct http_req *req, struct span *spans, size_t n, const char *what,
			      store_merge_fn merge, void *ctx)
{
	struct err e = {0};
	struct ingest_to to = api_ingest_to(req);
	/* Moves media out, redacts, prices, then appends, or merges over what is stored
	 * (ingest_store). */
	struct ingest_merge m = {.nids = n, .fn = merge, .ctx = ctx};
	if (merge) {
		const char **ids = arena_alloc(req->arena, n * sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			ids[i] = spans[i].span_id;
		m.ids = ids;
	}
	enum status st = ingest_store(&to, spans, n, merge ? &m : NULL, &e);

	if (st == ST_OK)
		return ST_OK;
	if (!what || st == ST_TOO_LARGE)
		return http_fail_err(req, &e);
	return http_fail(req, st, "%s not stored (%s); retry later", what, err_text(&e));
}

static enum status store(struct http_req *req, struct span *spans, size_t n, const char *what)
{
	return store_with(req, spans, n, what, NULL, NULL);
}

/* POST ingest/spans: DirectSpansIngestRequest (section 4.4); 201, empty body. */
enum status intake_ingest_spans(struct http_req *req)
{
	json_t *body;
	struct span *spans;
	struct verrs v;
	enum status st = http_fastapi_type(req);

	if (st != ST_OK)
		return st;
	/* A batch that passes is read from the text; any other is parsed for its errors. */
	size_t n = direct_parse_text(req->arena, req->ws, req->body, req->body_len, &spans);
	if (!n) {
		if ((st = http_fastapi_body(req, &body)) != ST_OK)
			return st;
		verrs_init(&v);
		n = direct_parse(req->arena, req->ws, body, &spans, &v);
		if (!n)
			return http_fail_invalid(req, &v);
	}
	if ((st = store(req, spans, n, "Spans")) != ST_OK)
		return st;
	http_reply(req, 201, NULL, "", 0);
	return ST_OK;
}

/* POST ingest/chat-completions (section 4.2): one captured call; 201
 * ChatCompletionsIngestResponse {"session_id","span_id"}. */
enum status intake_ingest_chat(struct http_req *req)
{
	json_t *body;
	struct verrs v;
	struct span sp;
	enum status st = http_fastapi_body(req, &body);

	if (st != ST_OK)
		return st;
	verrs_init(&v);
	span_init(&sp);
	if (chat_map(req->arena, req->ws, body, time_now(), &sp, &v) != ST_OK)
		return http_fail_invalid(req, &v);
	if ((st = store(req, &sp, 1, "Span")) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	buf_adds(out, "{\"session_id\":");
	jsonw_string(out, sp.session_id, strlen(sp.session_id));
	buf_adds(out, ",\"span_id\":");
	jsonw_string(out, sp.span_id, strlen(sp.span_id));
	buf_addc(out, '}');
	http_reply_json(req, 201, out->p, out->len);
	return ST_OK;
}

/* POST ingest/atif (section 4.3): one ATIF trajectory; the reference's 201, empty body. Its
 * verifier's rewards become evaluator results (item 5), stored after the spans: a failure
 * there is a 503 whose retry stores both again, as the same ids. */
enum status intake_ingest_atif(struct http_req *req)
{
	json_t *body;
	struct span *spans;
	struct judgement *js;
	size_t n = 0, nj;
	struct verrs v;
	int64_t now = time_now();
	enum status st = http_fastapi_body(req, &body);

	if (st != ST_OK)
		return st;
	verrs_init(&v);
	if (atif_map(req->arena, req->ws, body, now, &spans, &n, &v) != ST_OK)
		return http_fail_invalid(req, &v);
	atif_judgements(req->arena, INTAKE_API, spans, n, now, &js, &nj);
	if ((st = store(req, spans, n, "Spans")) != ST_OK)
		return st;
	if (nj) {
		struct err e = {0};
		struct ingest_to to = api_ingest_to(req);
		if ((st = ingest_judgements(&to, js, nj, &e)) != ST_OK)
			return http_fail(req, st, "Evaluator results not stored (%s); retry later",
					 err_text(&e));
	}
	http_reply(req, 201, NULL, "", 0);
	return ST_OK;
}

/* OTLP 1.1: the decoder follows the Content-Type; lib/http has already undone gzip and
 * applied the body cap after decompression (413). */
static const char *const otlp_types[] = {"application/x-protobuf", "application/json", NULL};

/* The encoding the Content-Type names (OTLP 1.1); *st is the 415 of any other. */
static enum otlp_encoding otlp_encoding_of(struct http_req *req, enum status *st)
{
	*st = http_require_type(req, otlp_types);
	if (*st != ST_OK)
		return OTLP_PROTOBUF;
	const char *ct = req->content_type + strspn(req->content_type, " \t");
	return strncasecmp(ct, "application/json", 16) ? OTLP_PROTOBUF : OTLP_JSON;
}

static void otlp_reply(struct http_req *req, enum otlp_encoding enc, struct buf *out)
{
	http_reply(req, 200, enc == OTLP_JSON ? "application/json" : "application/x-protobuf",
		   out->p ? out->p : "", out->len);
}

/* A trace export in encoding enc stored: its spans, then the evaluations it carries; res
 * what it decoded to (its errors the spans it left out). */
static enum status otlp_store(struct http_req *req, enum otlp_encoding enc, struct otlp_result *res)
{
	struct err e;
	enum status st =
	    otlp_decode(req->arena, req->ws, enc, req->body, req->body_len, time_now(), res, &e);
	/* Undecodable data is permanent: 400, which exporters do not retry. */
	if (st != ST_OK)
		return http_fail(req, st, "Invalid OTLP %s: %s",
				 enc == OTLP_JSON ? "JSON" : "protobuf", e.msg);
	/* Opik's OTLP set-up names the project in a header (projectName); spans that name none
	 * are put there, as Opik does. */
	const char *project = http_header(req, "projectName");
	if (project && (strlen(project) > SPAN_MAX_ID || !utf8_valid(project, strlen(project))))
		return http_fail(req, ST_BAD_REQUEST,
				 "projectName must be UTF-8 text of at most %d characters",
				 SPAN_MAX_ID);
	for (size_t i = 0; project && *project && i < res->nspans; i++)
		if (!res->spans[i].str[SS_PROJECT])
			res->spans[i].str[SS_PROJECT] = project;
	/* What the evaluations that came before these spans learn of them (the batch's spans are
	 * moved into the store: their strings stay the arena's). */
	const char **ids = arena_alloc(req->arena, (res->nspans + 1) * 3 * sizeof *ids);
	const char **sessions = ids + res->nspans + 1, **projects = sessions + res->nspans + 1;
	for (size_t i = 0; i < res->nspans; i++) {
		ids[i] = res->spans[i].span_id;
		sessions[i] = res->spans[i].session_id;
		projects[i] = res->spans[i].str[SS_PROJECT];
	}
	/* 503 + Retry-After: every OTLP exporter retries it. Each span meets its stored version:
	 * log content that came first (a stand-in) or was attached before stays on it. */
	struct otlp_span_batch batch = {res->spans, res->nspans, 0};
	if (res->nspans && (st = store_with(req, res->spans, res->nspans, NULL,
					    otlp_logs_span_merge, &batch)) != ST_OK)
		return st;
	/* Their evaluation results after them, so each finds its span stored (a failure: the same
	 * 503, and a retry writes both again, under the same ids). */
	if ((st = intake_otlp_evals(req, &res->evals)) != ST_OK ||
	    (st = intake_otlp_adopt(req, ids, sessions, projects, res->nspans)) != ST_OK)
		return st;
	return ST_OK;
}

/* NeMo's IngestResponse (section 4.1) for res: {"errors": [one per span left out]}, with
 * OTLP's partialSuccess beside it when a span was left out, for an OTLP/JSON exporter sent to
 * the NeMo path (an OTLP/protobuf one takes any 200 as success, as it does from NeMo). */
static void ingest_response(struct http_req *req, const struct otlp_result *res, struct buf *out)
{
	buf_adds(out, "{\"errors\":[");
	for (size_t i = 0; i < res->nerrors; i++) {
		if (i)
			buf_addc(out, ',');
		jsonw_string(out, res->errors[i], strlen(res->errors[i]));
	}
	buf_addc(out, ']');
	if (res->nerrors) { /* otlp_response's object is {"partialSuccess":...}: its member here */
		struct buf *ps = arena_buf(req->arena);
		otlp_response(res, OTLP_JSON, ps);
		buf_addc(out, ',');
		buf_add(out, ps->p + 1, ps->len - 1);
	} else {
		buf_addc(out, '}');
	}
}

/* A trace export stored and answered: on the NeMo path (nemo) with NeMo's IngestResponse, JSON
 * whatever the request's encoding; elsewhere with OTLP's ExportTraceServiceResponse in the
 * request's encoding (otel-egp.md 1.5). */
static enum status otlp_traces(struct http_req *req, bool nemo)
{
	struct otlp_result res;
	enum status st;
	enum otlp_encoding enc = otlp_encoding_of(req, &st);

	if (st != ST_OK || (st = otlp_store(req, enc, &res)) != ST_OK)
		return st;
	struct buf *out = arena_buf(req->arena);
	if (nemo)
		ingest_response(req, &res, out);
	else
		otlp_response(&res, enc, out);
	otlp_reply(req, nemo ? OTLP_JSON : enc, out);
	return ST_OK;
}

/* The standard /v1/traces, and Langfuse's and Opik's OTLP paths. */
enum status intake_ingest_otlp(struct http_req *req)
{
	return otlp_traces(req, false);
}

/* POST ingest/otlp/v1/traces. */
enum status intake_ingest_otlp_nemo(struct http_req *req)
{
	return otlp_traces(req, true);
}

/* POST ingest/otlp/v1/logs and the standard /v1/logs (OTLP 1.1 as for traces): the GenAI
 * content events attached to their spans (lib/ingest/otlp_logs.h), all of one request in one
 * store_update, so the request is stored whole or not at all; then its evaluation events, as
 * judgements of their spans (a failure: the same 503, and a retry stores both again). */
enum status intake_ingest_otlp_logs(struct http_req *req)
{
	struct otlp_logs logs;
	struct err e = {0};
	enum status st;
	enum otlp_encoding enc = otlp_encoding_of(req, &st);

	if (st != ST_OK)
		return st;
	st = otlp_logs_decode(req->arena, req->ws, enc, req->body, req->body_len, time_now(), &logs,
			      &e);
	if (st != ST_OK)
		return http_fail(req, st, "Invalid OTLP %s: %s",
				 enc == OTLP_JSON ? "JSON" : "protobuf", e.msg);
	struct ingest_to to = api_ingest_to(req);
	if (logs.n)
		st = ingest_update(&to, logs.ids, logs.n, otlp_logs_merge, &logs, &e);
	if (st != ST_OK)
		return http_fail_err(req, &e);
	intake_otlp_resolve(req, &logs);
	if ((st = intake_otlp_evals(req, &logs.evals)) != ST_OK)
		return st;
	otlp_logs_free(&logs);
	struct buf *out = arena_buf(req->arena);
	otlp_logs_response(&logs, enc, out);
	otlp_reply(req, enc, out);
	return ST_OK;
}
