/* query: the read side of the Intake API over the store (list spans, span groups, traces,
 * sessions; reference nemo-intake.md §2, §7 and the seed pages). Each call writes a complete
 * response body into a caller-owned buf; scratch memory comes from the caller's arena. */
#ifndef SPANDEX_QUERY_H
#define SPANDEX_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/query/cond.h"
#include "lib/base/status.h"
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/base/buf.h"

/* Limits (reference §2): page_size 1..1000; page is bounded only by the data. */
#define QUERY_MAX_PAGE_SIZE 1000
#define QUERY_DEFAULT_PAGE_SIZE 10

/* One list request. sort is the echoed sort text ("-started_at", "span_count" ...). */
struct query {
	struct store *st;
	struct arena *a;
	const char *ws;
	const struct filter *f; /* may be NULL: no filter */
	long long page, page_size;
	const char *sort;
	bool summary;  /* mode=summary */
	char err[512]; /* message for a non-OK status */

	/* Conditions beyond f, for every surface (query_span_rows; query_spans honours them
	 * too). A span must pass all of them. */
	const struct query_pred *preds; /* the surface's own conditions, on the line */
	size_t npreds;
	const char *const *search; /* free-text terms, ANDed, each matched case-blind (ASCII
				      letters) in the span's name, input or output as stored
				      (JSON text: a term is matched as written) */
	size_t nsearch;
	bool roots_only; /* spans with no parent */

	/* query_span_rows: offset and limit instead of page and page_size, or a keyset cursor:
	 * the span id of a row of the same listing; rows strictly after (or before) it in the
	 * sort order come back, in the sort order. */
	long long offset, limit;
	const char *after_id, *before_id;
};

/* A condition of a surface's own (Opik's operators, SGP's body filters): true when the span
 * whose canonical line (lib/model/span.h) is line[0..n) matches. It runs after the index and
 * f have narrowed the candidates. */
struct query_pred {
	bool (*fn)(void *ctx, const char *line, size_t n);
	void *ctx;
};

/* One span of a listing: its canonical line (copied into q->a) and start time. */
struct query_row {
	const char *line;
	size_t len;
	int64_t started_us;
};

struct query_rows {
	struct query_row *rows; /* in q->a */
	size_t n;
	size_t total; /* every span the conditions match, cursor aside */
	bool more;    /* rows remain beyond this page (past the cursor's side) */
};

/* GET spans: SpansPage. sort is started_at or -started_at. */
enum status query_spans(struct query *q, struct buf *out);

/* Spans as rows for any surface: q->sort is "started_at" (oldest first; also NULL) or
 * "-started_at"; ties by storage order, so pages never overlap. q->limit >= 1 rows after
 * q->offset, or after/before a cursor span (ST_NOT_FOUND when the cursor is not in the
 * listing; ST_BAD_REQUEST for both cursors or a bad limit; message in q->err). */
enum status query_span_rows(struct query *q, struct query_rows *out);

/* Group-by fields of GET spans/groups (§7.5). */
enum query_group_by { QG_TRACE_ID, QG_SESSION_ID };
/* Parses `by` (comma-separated, no duplicates); ST_BAD_REQUEST with the §7.5 message. */
enum status query_group_by_parse(const char *by, enum query_group_by *fields, size_t *n, char *err,
				 size_t errlen);
/* GET spans/groups: SpanGroupsPage. sort is span_count or -span_count; ties by key. */
enum status query_groups(struct query *q, const enum query_group_by *by, size_t nby,
			 struct buf *out);

/* GET traces: TracesPage over root spans (TraceFilter); sort [-]started_at, ties by id. */
enum status query_traces(struct query *q, struct buf *out);
/* GET traces/{id}: one Trace; ST_NOT_FOUND with "Trace <ws>/<id> not found" in q->err. */
enum status query_trace_get(struct query *q, const char *id, struct buf *out);
/* GET sessions/{id}: the Session aggregate of §7.3; ST_NOT_FOUND when it has no spans. */
enum status query_session_get(struct query *q, const char *id, struct buf *out);

#endif
