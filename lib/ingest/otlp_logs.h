/* otlp_logs: OTLP log export requests (protobuf or OTLP/JSON) whose records are the GenAI
 * content events, gathered per span, and the two merges (lib/store's store_update) that attach
 * them to their span whichever arrives first; and the GenAI evaluation events, gathered as
 * judgements (otlp_eval.h). No HTTP here. Everything lives in the caller's
 * arena; otlp_logs_free drops the JSON values the attachments hold. Contract: otel-egp.md 3.1,
 * instrumentation.md 6, docs/api-intake.md, "OTLP logs". */
#ifndef SPANDEX_OTLP_LOGS_H
#define SPANDEX_OTLP_LOGS_H

#include "lib/ingest/otlp_result.h"
#include "lib/store/store.h"

/* Limits on what one span keeps of its log events (raw attribute otel.logs): past either, a
 * record for that span is refused (partial success) instead of growing the span's line without
 * bound over many requests. An inference call sends one details event, or one event per
 * message; 1024 messages and 4 MiB (half the line cap, STORE_MAX_LINE) leave room for the rest
 * of the span. */
#define OTLP_MAX_LOG_EVENTS 1024
#define OTLP_MAX_LOG_BYTES (4u << 20)

/* The attribute on a span stored before its span arrived, so a listing can tell it apart. */
#define OTLP_AWAITING_SPAN "spandex.awaiting_span"

/* The content events of one span, in request order. */
struct otlp_attach {
	const char *span_id, *trace_id; /* lower-case hex */
	int64_t time_us;		/* the first record's time (a stand-in's start) */
	json_t *events;			/* [{name, time_unix_nano, attributes[, body]}] */
	size_t records;			/* the log records they came in */
};

struct otlp_logs {
	const char *ws;
	int64_t now_us;
	struct otlp_attach *items; /* one per span id */
	size_t n, cap;
	const char **ids;    /* the items' span ids, for store_update */
	const char **errors; /* "log record <i>: <message>", one per rejected record */
	size_t nerrors, err_cap;
	size_t rejected; /* records refused (a refused span refuses all of its records) */
	size_t records;	 /* records seen */
	size_t *slots;	 /* the items by span id: index + 1, 0 for a free slot */
	size_t slot_cap;
	size_t next; /* otlp_logs_merge: the item of the next merge */
	/* The gen_ai.evaluation.result records, as judgements of their span: stored after the
	 * content (otlp_eval_put); one that names its span by gen_ai.response.id alone is the
	 * caller's to resolve, or to refuse (otlp_logs_refuse). */
	struct otlp_evals evals;
};

/* Decodes an ExportLogsServiceRequest body and gathers its GenAI content events (by
 * event_name, else the event.name attribute) per span for workspace ws, and its evaluation
 * events into out->evals. A record that names no valid trace and span id (an evaluation: nor
 * a gen_ai.response.id), that is no content or evaluation event, or an evaluation without its
 * name, is left out and described in out->errors. ST_BAD_REQUEST, with the reason in e, when the
 * body is undecodable or over a limit (then out holds nothing). */
enum status otlp_logs_decode(struct arena *a, const char *ws, enum otlp_encoding enc,
			     const void *body, size_t len, int64_t now_us, struct otlp_logs *out,
			     struct err *e);

/* Releases the JSON values the attachments and evaluations hold. */
void otlp_logs_free(struct otlp_logs *l);

/* Refuses evaluation e of l (one that cannot be stored: its gen_ai.response.id names no stored
 * span): left out, counted in rejectedLogRecords with why. */
void otlp_logs_refuse(struct otlp_logs *l, struct arena *a, struct otlp_eval *e, const char *why);

/* The store_merge_fn of a logs request (ctx: the struct otlp_logs; ids: its ids, in order):
 * the stored span with the events added to its otel.logs and the content they carry as its
 * input and output (newest wins); with no span stored yet, a stand-in that holds them
 * (OTLP_AWAITING_SPAN) until otlp_logs_span_merge meets it. Events already there are not
 * added twice (an exporter's retry); an item over the limits is refused into errors. */
enum status otlp_logs_merge(void *ctx, struct arena *a, const char *span_id, const struct span *cur,
			    struct span *out, struct err *e);

/* What otlp_logs_span_merge reads: the spans of a traces request, merged in their order. */
struct otlp_span_batch {
	struct span *spans;
	size_t n, next;
};

/* The store_merge_fn of a traces request (ctx: struct otlp_span_batch): the span as it came,
 * with the log events and content of the stored version (a stand-in, or the span attached
 * before) carried over. The batch's span is moved into out. */
enum status otlp_logs_span_merge(void *ctx, struct arena *a, const char *span_id,
				 const struct span *cur, struct span *out, struct err *e);

/* Appends the ExportLogsServiceResponse for l in encoding enc: empty (protobuf) or {} (JSON)
 * when nothing was rejected, else partialSuccess {rejectedLogRecords, errorMessage}. */
void otlp_logs_response(const struct otlp_logs *l, enum otlp_encoding enc, struct buf *out);

#endif
