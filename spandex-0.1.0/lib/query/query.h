/* query: the read side of the Intake API over the store (list spans, span groups, traces,
 * sessions; reference nemo-intake.md §2, §7 and the seed pages). Each call writes a complete
 * response body into a caller-owned buf; scratch memory comes from the caller's arena. */
#ifndef SPANDEX_QUERY_H
#define SPANDEX_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/api/intake/filter.h"
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
};

/* GET spans: SpansPage. sort is started_at or -started_at. */
enum status query_spans(struct query *q, struct buf *out);

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
