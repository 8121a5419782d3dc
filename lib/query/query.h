/* query: the read side of every API over the store: spans, span groups, traces with token
 * and cost rollups, sessions, as rows. It knows no API's JSON: each surface writes its own
 * pages from the rows (lib/api/intake/pages.c). Rows and scratch memory come from the
 * caller's arena. */
#ifndef SPANDEX_QUERY_H
#define SPANDEX_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/query/cond.h"
#include "lib/base/status.h"
#include "lib/store/store.h"
#include "lib/base/arena.h"
#include "lib/model/span.h"

/* Limits (reference §2): page_size 1..1000; page is bounded only by the data. */
#define QUERY_MAX_PAGE_SIZE 1000
#define QUERY_DEFAULT_PAGE_SIZE 10

/* What one query may spend before it is refused (400, "narrow it"): time, and bytes of
 * index records and span lines read. Operators set SPANDEX_QUERY_MS and SPANDEX_QUERY_BYTES.
 * Measured on bench/gen's 1M spans with the text index (BENCHMARKS-HISTORY.md, "Query
 * budget"): the heaviest query of bench/query_http.mjs reads 130 MiB (all the index records,
 * 122 MiB) and the slowest took 1.3 s; these defaults are 16 and 4 times that, and stop a
 * query that reads every line of more than 2 GiB of spans (a text search of a workspace never
 * indexed, a filter on Opik metadata over a large project) before it occupies a worker for
 * long. */
#define QUERY_BUDGET_MS 5000LL
#define QUERY_BUDGET_BYTES (2ULL << 30)
/* And memory: what the request's arena may hold (arena_size) while the query runs and with
 * the rows it copies out; over it the query is refused with the same 400, which names
 * SPANDEX_QUERY_MEM. A worker otherwise grew to the size of what it read (2.37 GB after an
 * Opik stats over 200k spans) or to many times a large page (1.2 GB for a 47 MB search).
 * 256 MiB holds a page of 10,000 spans of 25 KiB each, the largest page any API asks for. */
#define QUERY_BUDGET_MEM (256ULL << 20)
/* Records and lines a query reads before it gives their mapped pages back
 * (shard_forget_lines, shard_forget_records): a scan of a large project kept every line it had
 * read resident in the worker, up to the byte budget (an Opik worker at 2.37 GB after a refused
 * stats), and an export of a million spans its 122 MiB of records. Large enough that a page of
 * rows is rarely read twice from the page cache. */
#define QUERY_LINES_RESIDENT (64u << 20)
/* What a query reads before it counts as expensive and asks its surface's admission
 * (query.admit): more than any lookup by id reads (4.2 MiB for a trace at 1M spans), far less
 * than a whole-workspace list at 1M (122 MiB). A small search is never held to the
 * expensive-request slots; a scan of a large project is, after this much of it. */
#define QUERY_HEAVY_BYTES (16u << 20)
/* And the CPU its request may spend (the parse of its body included) before it asks the
 * same: a query that reads few bytes but tests each of them against many conditions (a
 * search with dozens of `contains` on a small project) holds a worker as long as one that
 * reads many, and four of them once held every Opik worker (issue 55, item 4). A get by id
 * spends well under 1 ms; a scan of QUERY_HEAVY_BYTES of records about as much as this. */
#define QUERY_HEAVY_CPU_MS 20
/* ... and a query that tests this many conditions on each candidate's line asks it before it
 * reads anything: what it costs is the candidates times the conditions, which the CPU
 * threshold would only learn after every such query of a flood had spent it, on the worker
 * kept for cheap requests (four clients repeating 64 `not_contains` on a project of 2,000
 * spans made a get by id of another workspace 73 times slower than idle, and 10 times with a
 * threshold of 2 ms). A search box's terms and a filter of a few conditions stay under it. */
#define QUERY_HEAVY_TESTS 16
/* A query that a batch's commit overlapped is run again, to answer from one state of the
 * workspace (db_snapshot): QUERY_TRIES runs at most, the last under the workspace lock held
 * shared (if no writer holds it then: else the run before stands, as of its snapshot), and
 * only while a run takes less than QUERY_RETRY_MS, so a retried query costs at
 * most a few times a cheap one (a longer query answers from what it read, and may show a
 * batch committed during it in part). Two: under bench/soak.mjs's load a third, optimistic
 * run was overlapped as often as the first and halved the queries answered (BENCHMARKS-HISTORY.md,
 * "One state per answer"). */
#define QUERY_TRIES 2
#define QUERY_RETRY_MS 100

struct query_rollup;

/* One request of a surface: where (store, arena, workspace), what (the conditions), which part
 * (the page) and how much it may cost (the budget). Every entry point below takes one. */
struct query {
	struct store *st;
	struct arena *a;
	const char *ws;
	struct err err; /* why, for a non-OK status */
	/* Out: the days the answer leaves out because they could not be read (an index that
	 * does not open for another reason than its absence: damage, a file it may not read),
	 * how many and the first; set by each run. `spandex export` names them (issue 55). */
	size_t unread;
	int32_t unread_day;
	/* query_span_visit and query_trace_visit: sets back what their fn gathered in ctx, so
	 * that a visit a batch's commit overlapped can run again, from one state of the
	 * workspace, as every answer of rows does (db_snapshot). NULL: the visit runs once, and
	 * may hand on a batch committed meanwhile in part. */
	void (*visit_reset)(void *ctx);

	/* What: the conditions. A span must pass all of them. */
	struct {
		const struct filter *f;		/* cond.h's AND list; may be NULL: none */
		const struct query_pred *preds; /* the surface's own conditions, on the line */
		size_t npreds;
		const char *const *search; /* free-text terms and phrases (search.h), ANDed,
					      each matched case-blind (utf8_fold: Latin, Greek,
					      Cyrillic) in the span's name, input or output as
					      stored (JSON text: a term is matched as written) */
		size_t nsearch;
		/* The last nsearch_hints of search narrow by the text index alone: a candidate's
		 * line is not tested with them, as a predicate that holds only where they do
		 * decides (Opik's conditions on a name: opik_filter_terms). */
		size_t nsearch_hints;
		bool roots_only; /* spans with no parent */
		/* Sets of ids a span must be in, each by its span, trace or session id (an AND):
		 * what a surface's score filter found (lib/query/judgements.h, query_judged). */
		const struct query_keys *keys;
		size_t nkeys;
		/* query_trace_rows and query_trace_visit: a condition on a trace's rollup over all
		 * its spans (Opik's usage and cost of a trace); with one, every matching root's
		 * rollup is summed before the page is chosen, and total counts the traces that
		 * pass. */
		bool (*rollup_pred)(void *ctx, const struct query_rollup *u);
		void *rollup_ctx;
	};

	/* Which part: the order and the page. */
	struct {
		const char *sort; /* the echoed sort text ("-started_at", "span_count" ...) */
		/* query_span_rows: what sort orders by (QO_START unless set); ties by storage
		 * order, or with ties_by_ids by trace_id and then span_id, bytewise (SGP's order),
		 * so that an upsert that keeps the key keeps its place in a cursor walk;
		 * query_trace_rows and query_trace_visit: with ties_by_ids, ties by trace id in
		 * the sort's direction (else ascending). */
		enum query_order {
			QO_START,
			QO_DURATION,
			QO_END,	 /* the end time; an open span counts 0 */
			QO_COST, /* the total cost; none counts 0 */
			QO_INPUT_TOKENS,
			QO_OUTPUT_TOKENS,
			QO_KEYS /* the values of order_keys (a score); spans without one last */
		} order;
		/* QO_KEYS, of query_span_rows (by span or trace id) and query_trace_rows (by trace
		 * id): the value of each span or trace; one without a value comes after every one
		 * with a value, in either direction. */
		const struct query_keys *order_keys;
		bool ties_by_ids;
		/* with ties_by_ids, query_span_rows: the ids are read from the lines only when two
		 * rows tie (an order with few ties), not from every row the page may keep */
		bool ties_lazy;
		long long page, page_size;
		/* query_span_rows: offset and limit instead of page and page_size, or a keyset
		 * cursor: the span id of a row of the same listing; rows strictly after (or
		 * before) it in the sort order come back, in the sort order. */
		long long offset, limit;
		const char *after_id, *before_id;
		bool summary; /* mode=summary: traces come without rollups */
		/* query_span_rows: the caller needs the rows, not the total (an Opik search
		 * stream): ordered by start, the days past the last row are not read, and total
		 * counts only the days read. */
		bool no_total;
	};

	/* How much: the budget; 0 takes the default. */
	struct {
		/* The time counts from start_ns (mono_ns, lib/query/engine.h) when set: the
		 * request's start, so that the parse of its body is inside the budget, and every
		 * query of one request shares it; 0: from the query's start. */
		long long budget_ms;
		int64_t start_ns;
		unsigned long long budget_bytes, budget_mem;
		/* bytes of records and lines kept mapped before their pages are given back
		 * (0: QUERY_LINES_RESIDENT); an export, which reads everything once, keeps few */
		unsigned long long budget_resident;
		/* Called once, when the query has read heavy_bytes (0: QUERY_HEAVY_BYTES): the
		 * surface's admission of an expensive query (lib/http's slots). A status other than
		 * ST_OK stops the query with that status and the reason the call put in *e
		 * (q->err). NULL: none. */
		enum status (*admit)(void *ctx, struct err *e);
		void *admit_ctx;
		unsigned long long heavy_bytes;
		/* ... or once the CPU clock of the thread (CLOCK_THREAD_CPUTIME_ID) has moved
		 * heavy_cpu_ms (0: QUERY_HEAVY_CPU_MS) past start_cpu_ns (0: the query's start). */
		unsigned long long heavy_cpu_ms;
		int64_t start_cpu_ns;
	};
};

/* A set of ids: the hashes (hash_bytes) of span, trace or session ids, ascending, and with v
 * (NULL: none) a value for each, which a listing may order by (QO_KEYS). */
enum query_key_by { QK_SPAN, QK_TRACE, QK_SESSION };
struct query_keys {
	enum query_key_by by;
	const uint64_t *h;
	const double *v;
	size_t n;
};

/* A condition of a surface's own (Opik's operators, SGP's body filters): true when the span
 * whose canonical line (lib/model/span.h) is line[0..n) matches. It runs after the index and
 * f have narrowed the candidates. */
struct query_pred {
	bool (*fn)(void *ctx, const char *line, size_t n);
	void *ctx;
	/* Optional: the answer for a span with no raw_attributes from its kind alone (1 or 0),
	 * so its line is not read; -1 when the line is needed all the same. */
	int (*bare)(void *ctx, int kind);
	/* true: what fn allocates in q->a is garbage once it answers, and the engine gives it back
	 * after each call (arena_mark), so a scan that parses every candidate holds the memory of
	 * one candidate, not of all of them. false for a predicate that keeps what it makes. */
	bool transient;
	/* How many conditions fn tests on each line (0 counts as 1): a query whose line tests
	 * (these, and its free-text terms) number QUERY_HEAVY_TESTS or more is expensive from
	 * its start. */
	size_t tests;
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

/* Spans as rows for any surface: q->sort is "started_at" (oldest first; also NULL) or
 * "-started_at"; ties by storage order, so pages never overlap. The page is q->page and
 * q->page_size when q->page > 0, else q->limit >= 1 rows after q->offset, or after/before a
 * cursor span (ST_NOT_FOUND when the cursor is not in the listing; ST_BAD_REQUEST for both
 * cursors or a bad limit; message in q->err). */
enum status query_span_rows(struct query *q, struct query_rows *out);

/* The stored span of id in workspace ws, parsed into *s (its strings in *root, the line in
 * arena a); false when there is none or its line does not parse. The one read of a span by id
 * that every surface's GET and PATCH share. */
bool query_span_get(struct store *st, const char *ws, struct arena *a, const char *id,
		    struct span *s, json_t **root);

/* Aggregation: every span q's conditions match (q's page, cursor and total aside), day by
 * day in the direction of q->sort, in storage order within a day (no sort). A visit hands each to
 * fn, its line as read, valid during the call only (what fn allocates in q->a stays: a callback
 * that needs memory only during its call gives it back itself, arena_mark). A count only counts
 * (from the days' counts where it can). */
typedef void (*query_span_fn)(void *ctx, const struct query_row *row);
/* (A visit with q->visit_reset is a snapshot like the rows: fn's state is set back before a
 * second run.) */
enum status query_span_visit(struct query *q, query_span_fn fn, void *ctx);
enum status query_span_count(struct query *q, size_t *n);

/* Token and cost sums over a set of spans; a sum counts only where at least one span has
 * the value (has_*). */
enum { QT_INPUT, QT_OUTPUT, QT_CACHED, QT_TOTAL };
enum { QC_TOTAL, QC_INPUT, QC_OUTPUT };
struct query_rollup {
	int64_t tok[4];
	double cost[3];
	bool has_tok[4], has_cost[3];
	int64_t spans, errors;
	/* Spans of kind LLM, of kind TOOL (Opik's llm_span_count, has_tool_spans). */
	int64_t llm, tools;
};

/* A trace: its root span (the earliest root; ties by span id) and, unless q->summary, the
 * rollup over every live span of the trace, on any day. */
struct query_trace {
	struct query_row root;
	int64_t ended_us; /* the root's; SPAN_NONE_I64 when open */
	struct query_rollup u;
	/* Unless q->summary (query_trace_rows, query_trace_find): the JSON literal of the trace's
	 * session when its root names none and another of its spans does (query_session); NULL:
	 * the root's session_id. */
	const char *session;
};
struct query_traces {
	struct query_trace *rows; /* in q->a */
	size_t n, total;
	bool more;
};
/* Traces of the root spans q matches; sort [-]started_at, ties by trace id ascending (§7.2;
 * in the sort's direction with q->ties_by_ids);
 * paged like query_span_rows, or after the trace q->after_id (ST_NOT_FOUND when that trace
 * is not in the listing). */
enum status query_trace_rows(struct query *q, struct query_traces *out);
/* Aggregation: every trace of the listing q gives (its page and cursor aside), in the
 * listing's order, in one scan of the days for all their rollups (unless q->summary). fn
 * has each as query_span_visit has a span: its root's line as read, valid during the call. */
typedef void (*query_trace_fn)(void *ctx, const struct query_trace *t);
enum status query_trace_visit(struct query *q, query_trace_fn fn, void *ctx);
/* One trace by id; ST_NOT_FOUND when the workspace holds no root of it (q->err left empty:
 * each surface words its own 404; a reason there is the workspace's). */
enum status query_trace_find(struct query *q, const char *id, struct query_trace *out);

/* Group-by fields of span groups (§7.5). */
enum query_group_by { QG_TRACE_ID, QG_SESSION_ID };
struct query_group {
	const char *key[2]; /* JSON literals of the by fields, in order ("" when absent) */
	int64_t count;
};
struct query_groups {
	struct query_group *rows; /* in q->a */
	size_t n, total;
	bool more;
};
/* Groups of the spans q matches by 1 or 2 fields; spans whose key is empty are left out.
 * By session_id, a span that names no session of its own counts in the session another
 * matched span of its trace names (query_session). sort [-]span_count, ties by key; paged
 * like query_trace_rows. */
enum status query_group_rows(struct query *q, const enum query_group_by *by, size_t nby,
			     struct query_groups *out);

/* A session (§7.3, docs/api-intake.md, "Sessions"): the traces any of whose spans name the session
 * id, and every live span of those traces on any day, whatever session id the span carries (an
 * instrumentation that sets it on the root alone); a span that names no session of its own
 * (REC_SESSION_DEFAULT) makes its trace the session's only when no span of the trace names
 * one. Spans with no trace count by themselves. A trace listing filtered by session_id lists
 * the same traces. */
struct query_session {
	int64_t started_us, ended_us; /* ended_us INT64_MIN when a span is still open */
	enum span_status status;      /* error beats cancelled beats unknown beats success */
	size_t traces;		      /* distinct trace ids, whatever the sources of their spans */
	struct query_rollup u;
	bool open_end;
};
/* ST_NOT_FOUND when it has no spans (q->err left empty, as for query_trace_find). */
enum status query_session_find(struct query *q, const char *id, struct query_session *out);
/* The days (shards) this process's queries have opened so far: a query opens each day it reads
 * once (a get session's traces are read from the days opened for its own records); for tests
 * and benchmarks to count. */
uint64_t query_days_opened(void);
/* The session span s counts in, by the rule above: its own when it names one, else its trace's
 * (the root's, or when the root names none another span's: query_trace_find), else its own
 * default. What a judgement of s records as its session. In q->a, or s's own string. */
const char *query_span_session(struct query *q, const struct span *s);

/* Activity over time, all from the index (no line is read unless a condition needs it):
 * buckets of bucket_us from from_us up to to_us (at most QUERY_MAX_BUCKETS), each with the
 * rollup of the spans that started in it and the traces whose root did; the start-to-end
 * times of those roots at p50 and p95; the slowest traces and the most expensive ones
 * (by the cost of their spans in the window), each with its rollup over all its spans. q's
 * conditions apply; its page does not. */
#define QUERY_MAX_BUCKETS 1000
#define QUERY_STATS_TOP 10
struct query_bucket {
	int64_t t0_us;
	struct query_rollup u;
	int64_t traces;
};
struct query_stats {
	struct query_bucket *buckets; /* in q->a */
	size_t n;
	struct query_rollup total;
	int64_t traces;
	int64_t dur_p50_us, dur_p95_us; /* -1 when no root has an end */
	struct query_trace slowest[QUERY_STATS_TOP], costliest[QUERY_STATS_TOP];
	size_t nslowest, ncostliest;
};
enum status query_stats(struct query *q, int64_t from_us, int64_t to_us, int64_t bucket_us,
			struct query_stats *out);

/* Activity by the value of one field (the MCP server's stats by model, name, kind or status):
 * the spans q's conditions match (its page aside), a row per distinct value of field f, each
 * with the rollup of its spans, how many of them are roots, and the p50 and p95 of the
 * durations of those with an end; most spans first (ties by the value's text), at most max
 * rows into *rows (q->a), *n of them, every value's spans summed in *other when there are more
 * (other->u.spans 0: none). f is a field the index holds: kind or status (the record's), or
 * one with a column of the day's index (lib/model/fields.h: model, name, provider, ...);
 * ST_BAD_REQUEST for any other. From the index records and columns: a value's text is read off
 * one line of its spans, and a span's line only where no column covers its record. Past
 * QUERY_BREAKDOWN_MAX_VALUES distinct values (a name that holds an id), a span of a new value
 * counts in *other alone. */
#define QUERY_BREAKDOWN_MAX_VALUES 10000
struct query_breakdown {
	const char *value; /* the value's JSON literal as a line holds it; NULL: the field absent */
	struct query_rollup u;
	int64_t roots;
	int64_t dur_p50_us, dur_p95_us; /* -1 when none of its spans has an end */
};
enum status query_breakdown(struct query *q, enum span_field f, size_t max,
			    struct query_breakdown **rows, size_t *n, size_t *values,
			    struct query_breakdown *other);

#endif
