/* otlp_eval: the evaluation results an OTLP request brings, as judgements (issue 34; reference
 * judgement.md 4.1, 4.2): the OTel GenAI gen_ai.evaluation.result event, as a log record or a
 * span event, and OpenInference's annotations and evaluations, flattened into a span's
 * attributes. The decoders gather them (otlp_decode, otlp_logs_decode); the caller stores them
 * after the request's spans or logs (otlp_eval_put). Strings live in the caller's arena;
 * otlp_eval_free drops the payloads. */
#ifndef SPANDEX_OTLP_EVAL_H
#define SPANDEX_OTLP_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/judgement.h"
#include "lib/ingest/ingest.h"
#include "lib/store/store.h"

#define OTLP_EVAL_EVENT "gen_ai.evaluation.result" /* the event's name, and its subtype */
/* The "api" of the judgements these events give (judgement_api_valid; lib/model names none). */
#define OTLP_EVAL_API "otlp"

/* One evaluation result of a request. */
struct otlp_eval {
	/* The judgement: api otlp, its target, name, value, label, reason (text), error. */
	struct judgement j;
	/* An OTel event's time_unix_nano as a decimal: otlp_eval_put makes its id from the trace,
	 * the span, the name and this (the brief's rule, so an exporter's retry replaces). NULL:
	 * j.id is set already (OpenInference's). */
	const char *id_time;
	/* A log record that names no span: its gen_ai.response.id, for the caller to resolve into
	 * j.span_id and j.trace_id (lib/ingest reads no listing); NULL otherwise. */
	const char *response_id;
	/* The span it came with (a log record's, or the span whose attributes or event it was):
	 * its stored version names j's session and project. */
	const char *from_span;
	size_t record; /* a log record's position in its request */
	bool refused;  /* left out: not stored (otlp_logs_refuse says why) */
};

struct otlp_evals {
	struct otlp_eval *v;
	size_t n, cap;
	/* The session a judgement of stored span s records (NULL: s's session_id); the API's
	 * rule that a span naming none counts in its trace's (lib/query's query_span_session),
	 * which lib/ingest cannot ask itself. */
	const char *(*session_of)(void *ctx, const struct span *s);
	void *session_ctx;
};

/* Stores the evaluations of ev that are not refused and name their span (to: the spans' store
 * and workspace; the judgements go beside it): each records the session and the project of the
 * span it came from when that span is stored, author (NULL: none) as its author, and its id.
 * One batch, whole or not at all (ingest_judgements); e gets the reason of a failure. */
enum status otlp_eval_put(const struct ingest_to *to, const struct otlp_evals *ev,
			  const char *author, struct err *e);

/* Releases the payloads the evaluations hold. */
void otlp_eval_free(struct otlp_evals *ev);

#endif
