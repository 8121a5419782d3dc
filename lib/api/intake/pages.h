/* pages: the Intake response bodies of the read endpoints (the seed pages; reference
 * nemo-intake.md §7), written from lib/query's rows: SpansPage, SpanGroupsPage, TracesPage,
 * Trace and Session; and the `by` parameter of span groups. Each page is appended, whole,
 * to a caller-owned buf. */
#ifndef SPANDEX_API_INTAKE_PAGES_H
#define SPANDEX_API_INTAKE_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include <jansson.h>
#include "lib/query/query.h"

/* Closes a list page begun with {"data":[ and its items: ],"pagination":{...},"sort":...
 * and "filter" (the echo, when there is one; NeMo leaves it out without a filter). */
void intake_pages_tail(struct buf *b, long long page, long long page_size, size_t cur, size_t total,
		       const char *sort, const json_t *echo);

/* Parses `by` (comma-separated, no duplicates) into at most two fields; ST_BAD_REQUEST with
 * the §7.5 message in why. */
enum status intake_pages_group_by(const char *by, enum query_group_by *fields, size_t *n,
				  struct err *why);

/* Each runs q (lib/query) and writes the page: SpansPage, SpanGroupsPage, TracesPage, one
 * Trace, one Session. q's page, page_size, sort, filter echo and mode are honoured and
 * echoed. On a non-OK status nothing is written and q->err says why. */
enum status intake_pages_spans(struct query *q, struct buf *out);
/* The SpansPage of mode=preview (NeMo Helix's, reference §7.1): input and output cut to their
 * first INTAKE_PREVIEW_CHARS characters, no raw_attributes; q->summary unset. */
#define INTAKE_PREVIEW_CHARS 300
/* A span's error_message in the SpansPage of mode=summary and mode=preview: its first 1000
 * characters (SPAN_SUMMARY_ERROR_MESSAGE_CHAR_LIMIT of the service's spans_schemas.py). */
#define INTAKE_SUMMARY_ERROR_CHARS 1000
enum status intake_pages_span_previews(struct query *q, struct buf *out);
enum status intake_pages_groups(struct query *q, const enum query_group_by *by, size_t nby,
				struct buf *out);
enum status intake_pages_traces(struct query *q, struct buf *out);
/* The Trace of the list and of the get, and the Session, carry evaluator_scores (the means of
 * their spans' NUMERIC and BOOLEAN evaluator results, lib/api/intake/scores.c) unless
 * q->summary. One trace or session; ST_NOT_FOUND with Intake's 404 text in q->err ("Trace <ws>/<id>
 * not found", "Session <ws>/<id> not found") unless the engine gave a reason (the workspace's). */
enum status intake_pages_trace(struct query *q, const char *id, struct buf *out);
enum status intake_pages_session(struct query *q, const char *id, struct buf *out);
/* spandex's own: activity over [from_us, to_us) in buckets (query_stats): totals, p50/p95 of
 * the traces' durations, one object per bucket, the slowest and the costliest traces. */
enum status intake_pages_stats(struct query *q, int64_t from_us, int64_t to_us, int64_t bucket_us,
			       struct buf *out);

#endif
