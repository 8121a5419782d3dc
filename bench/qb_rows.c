/* qb_rows: bench/query_bench's timed rows (the query set) and what a row changes before a run;
 * split from query_bench.c (805 lines), which keeps the timing, the tables and the modes. */
#include "bench/qb_rows.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench/qb_load.h"
#include "lib/api/intake/filter.h"
#include "lib/api/intake/pages.h"
#include "lib/query/query.h"
#include "lib/store/ops.h"
#include "lib/base/time.h"

static const char *const qb_event_word[] = {"", "dropped", "changed", "pass", "sealed"};

static char trace_id[64], session_id[64], span_id[80], win_lo[40], win_hi[40];
static int64_t win_lo_us, win_hi_us;

/* Rows leave out the fields they do not use (search, the third SQL statement). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* Groups by trace of every span, and their count (three rows). */
#define GROUPS_SQL                                                                                 \
	{                                                                                          \
		"SELECT trace_id, count(*) c FROM spans WHERE ws=?1 AND trace_id IS NOT NULL "     \
		"GROUP BY "                                                                        \
		"trace_id ORDER BY c DESC, trace_id LIMIT 10",                                     \
		    "SELECT count(DISTINCT trace_id) FROM spans WHERE ws=?1"                       \
	}
struct bq qb_queries[] = {
    {"spans p1",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 ORDER BY started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1"}},
    {"spans trace_id",
     Q_SPANS,
     "{\"trace_id\":\"%T\"}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND trace_id=?2 ORDER BY started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND trace_id=?2"}},
    {"spans model+status",
     Q_SPANS,
     "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND model='gpt-4o' AND status='error' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND model='gpt-4o' AND status='error'"}},
    {"spans window",
     Q_SPANS,
     "{\"started_at\":{\"$gte\":\"%L\",\"$lte\":\"%H\"}}",
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND started_at BETWEEN ?3 AND ?4 ORDER BY started_at "
      "DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND started_at BETWEEN ?3 AND ?4"}},
    {"groups trace_id", Q_GROUPS, NULL, 1, false, GROUPS_SQL},
    {"groups kind=LLM",
     Q_GROUPS,
     "{\"kind\":\"LLM\"}",
     1,
     false,
     {"SELECT trace_id, count(*) c FROM spans WHERE ws=?1 AND kind='LLM' AND trace_id IS NOT NULL "
      "GROUP BY trace_id ORDER BY c DESC, trace_id LIMIT 10",
      "SELECT count(DISTINCT trace_id) FROM spans WHERE ws=?1 AND kind='LLM'"}},
    {"groups replaced", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, true},
#define ROOTS                                                                                      \
	"SELECT body, trace_id FROM spans WHERE ws=?1 AND parent_span_id IS NULL ORDER BY "        \
	"started_at DESC, trace_id LIMIT 10 OFFSET ?5"
#define NROOTS "SELECT count(*) FROM spans WHERE ws=?1 AND parent_span_id IS NULL"
#define ROLLUP                                                                                     \
	"SELECT "                                                                                  \
	"sum(in_tok),sum(out_tok),sum(cached_tok),sum(total_tok),sum(cost),sum(cost_in),sum(cost_" \
	"out),count(*),sum(status='error') FROM spans WHERE ws=?1 AND trace_id=?2"
    {"traces p1 summary", Q_TRACES, NULL, 1, true, {ROOTS, NROOTS}},
    {"traces p1 detailed", Q_TRACES, NULL, 1, false, {ROOTS, NROOTS, ROLLUP}},
    {"traces p100 summary", Q_TRACES, NULL, 100, true, {ROOTS, NROOTS}},
    {"traces p100 detailed", Q_TRACES, NULL, 100, false, {ROOTS, NROOTS, ROLLUP}},
    {"get trace",
     Q_TRACE,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND trace_id=?2 AND parent_span_id IS NULL ORDER BY "
      "started_at LIMIT 1",
      NULL, ROLLUP}},
    {"get session",
     Q_SESSION,
     NULL,
     1,
     false,
     {"SELECT min(started_at), max(ended_at), count(*), count(DISTINCT trace_id), "
      "sum(in_tok),sum(out_tok),"
      "sum(cached_tok),sum(total_tok),sum(cost),sum(cost_in),sum(cost_out),sum(status='error') "
      "FROM spans WHERE ws=?1 AND session_id=?6"}},
    /* one line: on a sealed shard, the id table's lookup and one block decompressed */
    {"get span", Q_GET, NULL, 1, false, {"SELECT body FROM spans WHERE ws=?1 AND span_id=?7"}},
    /* Free text (the generated words are in nearly every span): a term no span has, one in
     * 1% of spans, one in 30%, and one most spans have (bench/gen plants the middle two). */
    {"search none",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%zqxjv%' ORDER BY started_at DESC, id "
      "LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%zqxjv%'"},
     "zqxjv"},
    {"search rare (1%)",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%zanzibar%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%zanzibar%'"},
     "ZANZIBAR"},
    {"search 30%",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%lisbon%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%lisbon%'"},
     "Lisbon"},
    {"search common",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%weather%' ORDER BY started_at DESC, "
      "id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%weather%'"},
     "WEATHER"},
    /* Phrases (issue 35): words every span has, together in that order in few spans and in
     * many. The word index cannot narrow them, so each is confirmed on the line: the worst
     * case of a phrase, against LIKE and rg -F over the same text. */
    {"phrase rare",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%agent calls a tool%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%agent calls a tool%'"},
     "Agent calls a tool"},
    {"phrase common",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%weather flights%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%weather flights%'"},
     "weather flights"},
    /* Issue 57: common words of prose with the last one cut short, as a user types it. With
     * QB_TEXT=/usr/share/common-licenses cat into one file, about 1.4% of spans hold it;
     * bench/gen's pool has none of its words. */
    {"phrase prefix",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%with the wo%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%with the wo%'"},
     "With the wo"},
    /* Issue 57: a phrase with a rare word among common ones ("accordance" is once in the
     * licences: about 1.4% of spans), whose pairs a .tix of version 6 leaves out: the rare
     * word's own records stand for them. */
    {"phrase rare word",
     Q_SPANS,
     NULL,
     1,
     false,
     {"SELECT body FROM spans WHERE ws=?1 AND body LIKE '%in accordance with the%' ORDER BY "
      "started_at DESC, id LIMIT 10",
      "SELECT count(*) FROM spans WHERE ws=?1 AND body LIKE '%in accordance with the%'"},
     "in accordance with the"},
    /* Issue 57: groups by trace after retention dropped a day (the last row: it takes days
     * from the store, so only with QB_ONLY naming "dropped"). */
    {"groups day dropped", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_DROP},
    /* ... after a process's first change, after the nightly erasure pass wrote a day again,
     * after `spandex seal` wrote one (each a full read of every record before issue 57's
     * groups4). */
    {"groups first changed", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_CHANGE},
    {"groups erase pass", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_PASS},
    {"groups day sealed", Q_GROUPS, NULL, 1, false, GROUPS_SQL, NULL, false, QE_SEAL}};
#pragma GCC diagnostic pop
_Static_assert(sizeof qb_queries / sizeof qb_queries[0] == QB_NQ,
	       "QB_NQ in bench/qb_rows.h counts the rows");

void qb_pick(sqlite3 *db)
{
	sqlite3_stmt *pick;
	sqlite3_prepare_v2(db,
			   "SELECT trace_id, session_id, started_at, span_id FROM spans WHERE "
			   "ws='bench-0' AND parent_span_id IS NULL"
			   " ORDER BY started_at LIMIT 1 OFFSET (SELECT count(*)/2 FROM spans "
			   "WHERE ws='bench-0' AND parent_span_id IS NULL)",
			   -1, &pick, NULL);
	if (sqlite3_step(pick) != SQLITE_ROW)
		qb_die_sql(db, "pick");
	snprintf(trace_id, sizeof trace_id, "%s", sqlite3_column_text(pick, 0));
	snprintf(session_id, sizeof session_id, "%s", sqlite3_column_text(pick, 1));
	snprintf(span_id, sizeof span_id, "%s", sqlite3_column_text(pick, 3));
	win_lo_us = sqlite3_column_int64(pick, 2) / 86400000000LL * 86400000000LL;
	win_hi_us = win_lo_us + 86400000000LL - 1;
	time_format(win_lo_us, win_lo);
	time_format(win_hi_us, win_hi);
	sqlite3_finalize(pick);
}

void qb_ids_print(FILE *out)
{
	fprintf(out, "ids %s %s %s %lld %lld\n", trace_id, session_id, span_id,
		(long long)win_lo_us, (long long)win_hi_us);
}

/* The filter text with %T, %L, %H replaced by the trace id and window bounds. */
static const char *fill(const char *f, char *out, size_t len)
{
	if (!f)
		return NULL;
	size_t o = 0;
	for (; *f && o + 64 < len; f++) {
		const char *r = NULL;
		if (*f == '%' && f[1] == 'T')
			r = trace_id;
		else if (*f == '%' && f[1] == 'L')
			r = win_lo;
		else if (*f == '%' && f[1] == 'H')
			r = win_hi;
		if (r) {
			o += snprintf(out + o, len - o, "%s", r);
			f++;
		} else {
			out[o++] = *f;
		}
	}
	out[o] = 0;
	return out;
}

size_t qb_run_spandex(struct store *st, struct arena *a, const struct bq *b, struct buf *out)
{
	static const enum query_group_by by = QG_TRACE_ID;
	char ftext[512];
	struct filter f;
	struct query q = {.st = st,
			  .a = a,
			  .ws = "bench-0",
			  .page = b->page,
			  .page_size = 10,
			  .summary = b->summary,
			  .sort = b->kind == Q_GROUPS ? "-span_count" : "-started_at"};
	intake_filter_parse(a, b->kind == Q_TRACES ? FILTER_TRACES : FILTER_SPANS,
			    fill(b->filter, ftext, sizeof ftext), NULL, NULL, 0, &f, NULL);
	q.f = &f;
	q.search = &b->search;
	q.nsearch = b->search ? 1 : 0;
	out->len = 0;
	enum status s = b->kind == Q_SPANS    ? intake_pages_spans(&q, out)
			: b->kind == Q_GROUPS ? intake_pages_groups(&q, &by, 1, out)
			: b->kind == Q_TRACES ? intake_pages_traces(&q, out)
			: b->kind == Q_TRACE  ? intake_pages_trace(&q, trace_id, out)
			: b->kind == Q_GET    ? store_get(st, q.ws, span_id, out)
					      : intake_pages_session(&q, session_id, out);
	if (s != ST_OK)
		fprintf(stderr, "%s: status %d %s\n", b->name, s, q.err.msg);
	return out->len;
}

/* The span of "get span" sent again with another name (its n-th): a version superseded in
 * place, so the day's flag generation moves (the SQLite side is left as it was: its index is
 * kept by every UPDATE anyway). */
void qb_replace_one(struct store *st, int n)
{
	struct buf line;
	struct span s;
	json_t *root = NULL;
	char name[32];
	struct err e = {ST_OK, ""};
	buf_init(&line);
	if (store_get(st, "bench-0", span_id, &line) != ST_OK ||
	    !span_parse(line.p, line.len, &s, &root)) {
		fprintf(stderr, "replace: no span %s\n", span_id);
		exit(1);
	}
	snprintf(name, sizeof name, "replaced-%d", n);
	s.name = name;
	if (store_append(st, "bench-0", &s, 1, &e) != ST_OK) {
		fprintf(stderr, "replace: %s\n", err_text(&e));
		exit(1);
	}
	span_clear(&s);
	json_decref(root);
	buf_free(&line);
}

/* bench-0's oldest day dropped, as `spandex retain` drops a day past its cutoff, or with
 * QB_DROP_MIDDLE=1 its middle day's index removed, as an operator removes a day (no reader
 * lists a day without it; the SQLite side keeps its rows: its groups are timed over every
 * day, a little more than spandex's). */
static void drop_oldest(struct store *st)
{
	char p[PATH_MAX];
	int32_t *days;
	size_t nd;
	struct ops_retained kept;
	struct err e = {ST_OK, ""};
	if (store_days(st, "bench-0", &days, &nd) != ST_OK || nd < 2) {
		fprintf(stderr, "drop: bench-0 has no day to drop\n");
		exit(1);
	}
	if (getenv("QB_DROP_MIDDLE")) {
		/* <day>.idx beside <day>.jsonl (docs/FORMAT.md, "Files") */
		size_t n =
		    ops_day_path(p, st, "bench-0", days[nd / 2], OPS_DAY_PLAIN) ? strlen(p) : 0;
		if (n < 6 || strcmp(p + n - 6, ".jsonl") ||
		    (strcpy(p + n - 6, ".idx"), unlink(p))) {
			perror("drop: the middle day's index");
			exit(1);
		}
		store_forget_day(st, "bench-0", days[nd / 2]);
		free(days);
		return;
	}
	struct ops_retention r = {.cutoff_day = days[0] + 1, .recent_us = INT64_MAX};
	free(days);
	if (ops_retain(st, "bench-0", &r, &kept, &e) != ST_OK || kept.removed != 1) {
		fprintf(stderr, "drop: %s\n", err_text(&e));
		exit(1);
	}
}

/* bench-0 changed before run i of a row of event ev (QE_NONE: not). */
void qb_change(struct store *st, enum qb_event ev, int i)
{
	struct store_erase_done done;
	int32_t *days;
	size_t nd;
	uint64_t in, out;
	struct err e = {ST_OK, ""};
	if (ev == QE_DROP)
		drop_oldest(st);
	if (ev == QE_CHANGE || ev == QE_PASS)
		qb_replace_one(st, 100 + i);
	if (ev == QE_PASS && store_erase_pending(st, &done, &e) != ST_OK) {
		fprintf(stderr, "erase pass: %s\n", err_text(&e));
		exit(1);
	}
	if (ev == QE_PASS)
		fprintf(stderr, "erase pass: %zu days written again\n", done.days);
	if (ev != QE_SEAL || store_days(st, "bench-0", &days, &nd) != ST_OK)
		return;
	for (size_t k = 0; k < nd; k++) /* the first day not sealed yet */
		if (store_seal(st, "bench-0", days[k], &in, &out, &e) == ST_OK && in) {
			fprintf(stderr, "sealed day %zu: %.1f MB\n", k, in / 1e6);
			break;
		}
	free(days);
}

static void bind_all(sqlite3_stmt *s, const struct bq *b)
{
	for (int i = 1; i <= sqlite3_bind_parameter_count(s); i++) {
		const char *n = sqlite3_bind_parameter_name(s, i);
		if (!n)
			continue;
		if (!strcmp(n, "?1"))
			sqlite3_bind_text(s, i, "bench-0", -1, SQLITE_STATIC);
		else if (!strcmp(n, "?2") || !strcmp(n, "?6"))
			sqlite3_bind_text(s, i, n[1] == '2' ? trace_id : session_id, -1,
					  SQLITE_STATIC);
		else if (!strcmp(n, "?3") || !strcmp(n, "?4"))
			sqlite3_bind_int64(s, i, n[1] == '3' ? win_lo_us : win_hi_us);
		else if (!strcmp(n, "?5"))
			sqlite3_bind_int64(s, i, (b->page - 1) * 10);
		else if (!strcmp(n, "?7"))
			sqlite3_bind_text(s, i, span_id, -1, SQLITE_STATIC);
	}
}

/* Runs the SQL of b, copying every returned body into out like a server would. */
size_t qb_run_sqlite(sqlite3_stmt **st, const struct bq *b, struct buf *out)
{
	out->len = 0;
	char traces[10][64];
	int nt = 0;
	for (int k = 0; k < 2; k++) {
		if (!st[k])
			continue;
		bind_all(st[k], b);
		while (sqlite3_step(st[k]) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st[k]); c++) {
				const unsigned char *t = sqlite3_column_text(st[k], c);
				if (t)
					buf_add(out, t, sqlite3_column_bytes(st[k], c));
			}
			if (k == 0 && (b->kind == Q_TRACES || b->kind == Q_TRACE) && nt < 10) {
				const unsigned char *t =
				    sqlite3_column_text(st[k], b->kind == Q_TRACES ? 1 : 0);
				snprintf(traces[nt++], 64, "%s",
					 b->kind == Q_TRACES && t ? (const char *)t : trace_id);
			}
		}
		sqlite3_reset(st[k]);
	}
	for (int i = 0; st[2] && i < nt; i++) {
		bind_all(st[2], b);
		sqlite3_bind_text(st[2], 2, traces[i], -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st[2]) == SQLITE_ROW)
			buf_printf(out, "%lld", (long long)sqlite3_column_int64(st[2], 7));
		sqlite3_reset(st[2]);
	}
	return out->len;
}

/* Whether query qi is timed: QB_ONLY is not set, or one of its comma-separated parts is part
 * of the query's name; a row that changes the store only when QB_ONLY holds its word. */
bool qb_chosen(size_t qi)
{
	const char *only = getenv("QB_ONLY");
	char part[64];
	if (qb_queries[qi].ev)
		return only && strstr(only, qb_event_word[qb_queries[qi].ev]);
	if (!only)
		return true;
	for (const char *p = only; *p;) {
		size_t n = strcspn(p, ",");
		snprintf(part, sizeof part, "%.*s", (int)n, p);
		if (n && strstr(qb_queries[qi].name, part))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}
