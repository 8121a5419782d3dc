/* check_query_groups: a page of span groups by trace from the counts a process keeps
 * (lib/query/gcount.c) against the groups every span's trace gives (query_span_visit, counted
 * here by the trace_id literal of each line): every page shape, with filters of kinds and
 * statuses and others, on fresh days, indexed days, a tail past the index, versions moved between
 * traces and deleted, an erased trace, sealed days, and after the process let the workspace go;
 * after each change in place (a version replaced, moved, deleted, a trace erased, a day dropped
 * by retention) a page within a budget of a sixth of the records, so from the counts adjusted,
 * not taken again, or of half of them after a day's first change (that day counted again, not
 * every day); and after a day written again (the erasure pass, of an open and of a sealed day,
 * reindex) or retention dropping a span's newest version, the same pages, within half of the
 * records when one day of three was. */
#include "t/check_query.h"

#include <limits.h>
#include <stdio.h>

#include "lib/store/ops.h"
#include "lib/store/store.h"

static const char *const gdays[] = {"2024-04-01", "2024-04-02", "2024-04-03"};
#define GDAYS 3

/* A group as gathered: its key literal and its count. */
struct ggroup {
	char *key;
	long long count;
};

struct gathered {
	struct ggroup *g;
	size_t n, cap;
};

/* The span's trace_id literal kept (those naming none, or "", left out); counted once all are. */
static void gather_span(void *ctx, const struct query_row *row)
{
	struct gathered *a = ctx;
	const char *v;
	size_t vn;
	if (!jline_get(row->line, row->len, "trace_id", &v, &vn) || *v != '"' || vn <= 2)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 256;
		a->g = realloc(a->g, a->cap * sizeof *a->g);
	}
	a->g[a->n++] = (struct ggroup){strndup(v, vn), 1};
}

static void gather_reset(void *ctx)
{
	struct gathered *a = ctx;
	for (size_t i = 0; i < a->n; i++)
		free(a->g[i].key);
	a->n = 0;
}

static int by_key(const void *x, const void *y)
{
	return strcmp(((const struct ggroup *)x)->key, ((const struct ggroup *)y)->key);
}

/* The spans' literals into one group a literal, with its count. */
static void gather_count(struct gathered *a)
{
	qsort(a->g, a->n, sizeof *a->g, by_key);
	size_t m = 0;
	for (size_t i = 0; i < a->n; i++)
		if (m && !strcmp(a->g[m - 1].key, a->g[i].key)) {
			a->g[m - 1].count++;
			free(a->g[i].key);
		} else {
			a->g[m++] = a->g[i];
		}
	a->n = m;
}

static bool sort_up;
static int by_count(const void *x, const void *y)
{
	const struct ggroup *a = x, *b = y;
	if (a->count != b->count)
		return (a->count < b->count) == sort_up ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* The page Q asks for from every span's trace: its rows, total and whether more. */
static char *page_gathered(void)
{
	struct gathered a = {0};
	struct query q = Q;
	q.visit_reset = gather_reset;
	q.sort = NULL;
	q.page = 0;
	q.limit = 1;
	ck_assert_int_eq(query_span_visit(&q, gather_span, &a), ST_OK);
	gather_count(&a);
	sort_up = Q.sort[0] != '-';
	qsort(a.g, a.n, sizeof *a.g, by_count);
	long long size = Q.page > 0 ? Q.page_size : Q.limit;
	size_t from = (size_t)(Q.page > 0 ? (Q.page - 1) * Q.page_size : Q.offset);
	struct buf b;
	buf_init(&b);
	for (size_t i = from; i < a.n && i < from + (size_t)size; i++)
		buf_printf(&b, "%s %lld\n", a.g[i].key, a.g[i].count);
	buf_printf(&b, "total %zu more %d\n", a.n, from + (size_t)size < a.n);
	gather_reset(&a);
	free(a.g);
	return b.p ? b.p : strdup("");
}

/* The same page from query_group_rows. */
static char *page_grouped(void)
{
	static const enum query_group_by by = QG_TRACE_ID;
	struct query_groups g;
	ck_assert_int_eq(query_group_rows(&Q, &by, 1, &g), ST_OK);
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < g.n; i++)
		buf_printf(&b, "%s %lld\n", g.rows[i].key[0], (long long)g.rows[i].count);
	buf_printf(&b, "total %zu more %d\n", g.total, g.more);
	return b.p ? b.p : strdup("");
}

static const char *const gfilters[] = {
    NULL,
    "{\"kind\":\"LLM\"}",
    "{\"status\":\"error\"}",
    "{\"kind\":\"TOOL\",\"status\":\"success\"}",
    "{\"name\":\"plan\"}", /* not counted: every span gathered */
    "{\"started_at\":{\"$gte\":\"2024-04-02T00:00:00Z\"}}",
};
#define GFILTERS (sizeof gfilters / sizeof *gfilters)

/* "same" when every page shape answers as every span's trace does; else where they part. */
static char *shapes_same(void)
{
	static const long long pages[][2] = {{1, 10}, {2, 10}, {3, 25}, {1, 5000}, {90, 30}};
	static const char *const sorts[] = {"-span_count", "span_count"};
	struct buf got, want;
	buf_init(&got);
	buf_init(&want);
	for (int round = 0; round < 2; round++) /* the second from what the first kept */
		for (size_t f = 0; f < GFILTERS; f++)
			for (size_t o = 0; o < 2; o++)
				for (size_t p = 0; p < 6; p++) {
					q_init(sorts[o], p < 5 ? pages[p][0] : 0,
					       p < 5 ? pages[p][1] : 0, gfilters[f], FILTER_SPANS);
					if (p == 5)
						Q.offset = 37, Q.limit = 12;
					char *g = page_grouped(), *w = page_gathered();
					buf_printf(&got, "%d %zu %zu %zu\n%s", round, f, o, p, g);
					buf_printf(&want, "%d %zu %zu %zu\n%s", round, f, o, p, w);
					free(g);
					free(w);
				}
	char *r = parted(got.p, want.p);
	buf_free(&got);
	buf_free(&want);
	return r;
}

static struct span gspan(const char *id, const char *trace, const char *start, int i)
{
	static const char *const names[] = {"plan", "act", "answer"};
	static const int kinds[] = {KIND_LLM, KIND_TOOL, KIND_AGENT, KIND_LLM, KIND_CHAIN};
	struct span s = mk(id, trace, i % 6 ? "p" : "", "sess-1", start, i % 50, kinds[i % 5],
			   i % 7 == 3 ? SPST_ERROR : SPST_SUCCESS, NULL, 0, NAN);
	s.name = names[i % 3];
	return s;
}

/* Per day NG traces of 1 to 9 spans (so that most counts tie), in batches; trace "g-span" has
 * spans on every day, and spans naming no trace or an empty one on each. */
enum { NG = 400, GBATCH = 300 };
static void groups_load(int from_day, int to_day)
{
	static char ids[GDAYS][NG * 10][24], tr[GDAYS][NG][16], at[GDAYS][NG * 10][32];
	static struct span s[NG * 10];
	for (int d = from_day; d < to_day; d++) {
		size_t n = 0;
		for (int t = 0; t < NG; t++) {
			snprintf(tr[d][t], sizeof tr[d][t], "g%d-%04d", d, (t * 7919) % 10000);
			int spans = 1 + (t * 31 + d) % 9;
			for (int k = 0; k < spans; k++, n++) {
				snprintf(ids[d][n], sizeof ids[d][n], "s%d-%04d-%d", d, t, k);
				snprintf(at[d][n], sizeof at[d][n], "%sT%02d:%02d:%02dZ", gdays[d],
					 t * 200 / 3600 % 24, t * 200 / 60 % 60, k);
				s[n] = gspan(ids[d][n], t % 50 == 7 ? "g-span" : tr[d][t], at[d][n],
					     t + k);
				if (t % 97 == 5 && k == 1)
					s[n].trace_id = NULL;
				if (t % 89 == 3 && k == 2)
					s[n].trace_id = "";
			}
		}
		for (size_t i = 0; i < n; i += GBATCH)
			append(s + i, n - i < GBATCH ? n - i : GBATCH);
	}
}

/* Versions: a span moved to another trace on another day, one sent again unchanged, one
 * deleted, one moved off a trace of 9 spans (that count's ties change), a new span of an old
 * day's trace. */
static void versions_load(void)
{
	struct span s[5];
	s[0] = gspan("s0-0001-0", "g2-7919", "2024-04-03T05:00:00Z", 1);
	s[1] = gspan("s1-0002-0", "g1-5838", "2024-04-02T00:10:00Z", 2);
	s[2] = gspan("s0-0003-1", "g0-3757", "2024-04-01T00:10:01Z", 4);
	span_raw_set(&s[2], SPAN_DELETED, json_true());
	s[3] = gspan("s2-0010-0", "g9-moved", "2024-04-03T00:33:20Z", 10);
	s[4] = gspan("late-1", "g0-0000", "2024-04-01T23:00:00Z", 0);
	for (int i = 0; i < 5; i++)
		append(&s[i], 1);
	json_decref(s[2].raw_attributes);
}

/* A page of groups of another workspace (others_asked: what the process kept of "ws" is let
 * go). */
static void grouped(const char *ws)
{
	static const enum query_group_by by = QG_TRACE_ID;
	struct query_groups g;
	q_init("-span_count", 1, 10, NULL, FILTER_SPANS);
	Q.ws = ws;
	ck_assert_int_eq(query_group_rows(&Q, &by, 1, &g), ST_OK);
	ck_assert_uint_eq(g.total, 1);
}

START_TEST(groups_counted)
{
	groups_load(0, 2);
	same_right(shapes_same, "fresh");
	groups_load(2, 3); /* a day more, and a trace spanning three */
	same_right(shapes_same, "a day more");
	for (int d = 0; d < GDAYS; d++)
		ck_assert(index_day(gdays[d]));
	same_right(shapes_same, "indexed");
	others_asked(grouped);
	same_right(shapes_same, "indexed, a first look");
	versions_load();
	same_right(shapes_same, "versions since the index");
	const char *gone[] = {"g1-7919"};
	struct store_erase_what w = {.by = STORE_ERASE_TRACE, .values = gone, .n = 1};
	struct store_erase_ack ack;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_erase(&fx_st, "ws", &w, "check", &ack, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_uint_gt(ack.spans, 0);
	same_right(shapes_same, "a trace erased");
	for (int d = 0; d < GDAYS; d++)
		index_day(gdays[d]);
	same_right(shapes_same, "indexed again");
	for (int d = 0; d < 2; d++)
		seal_day(gdays[d]);
	same_right(shapes_same, "sealed");
	others_asked(grouped);
	same_right(shapes_same, "sealed, a first look");
	same_unindexed(gdays, GDAYS, shapes_same);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* A page of groups by trace within a budget of 1/part of the workspace's records (every record
 * taken again would pass it): with 6, the counts kept adjusted by the records a change touched;
 * with 2, one day of three counted again. */
static void within(const char *when, int part)
{
	static const enum query_group_by by = QG_TRACE_ID;
	struct query_groups g;
	q_init("-span_count", 1, 10, NULL, FILTER_SPANS);
	Q.budget_bytes = NG * 5 * GDAYS * 128 / part;
	enum status rc = query_group_rows(&Q, &by, 1, &g);
	ck_assert_msg(rc == ST_OK, "%s: %d %s", when, rc, err_text(&Q.err));
}

static void adjusted(const char *when)
{
	within(when, 6);
}

/* Span id sent again (as gspan makes version i) on trace at start, with kind k (-1: as gspan
 * makes it), deleted when del. */
static void again(const char *id, const char *trace, const char *start, int i, int k, bool del)
{
	static const int kinds[] = {KIND_LLM, KIND_TOOL, KIND_AGENT, KIND_LLM, KIND_CHAIN};
	struct span s = gspan(id, trace, start, i);
	if (k >= 0)
		s.kind = kinds[k];
	if (del)
		span_raw_set(&s, SPAN_DELETED, json_true());
	append(&s, 1);
	if (del)
		json_decref(s.raw_attributes);
}

START_TEST(groups_changed)
{
	groups_load(0, GDAYS);
	same_right(shapes_same, "loaded");
	/* One sent again as it was: the first change the process sees in the workspace counts its
	 * day again, not every day, and keeps the day's records by span from then on. */
	again("s0-0010-0", "g0-9190", "2024-04-01T00:33:20Z", 10, -1, false);
	within("a first change", 2);
	same_right(shapes_same, "a first change");
	/* A trace's first span replaced (another kind: it leaves the view of LLM spans), one moved
	 * to another trace on another day (the second day's first change). */
	again("s0-0005-0", "g0-9595", "2024-04-01T00:16:40Z", 5, 1, false);
	again("s1-0006-1", "g2-7919", "2024-04-03T09:00:00Z", 7, -1, false);
	within("replaced, moved", 2);
	same_right(shapes_same, "replaced, moved");
	/* Deleted (the third day's first change); then deleted and sent again (its deletion
	 * superseded). */
	again("s2-0008-0", "g2-3352", "2024-04-03T00:26:40Z", 8, -1, true);
	within("deleted on the third day", 2);
	same_right(shapes_same, "deleted on the third day");
	again("s0-0012-0", "g0-5028", "2024-04-01T00:40:00Z", 12, -1, true);
	adjusted("deleted");
	same_right(shapes_same, "deleted");
	again("s0-0012-0", "g0-5028", "2024-04-02T10:00:00Z", 12, 2, false);
	adjusted("sent again after its deletion");
	same_right(shapes_same, "sent again after its deletion");
	/* A trace erased: its versions superseded by erasures, on two days. */
	const char *gone[] = {"g1-5838", "g-span"};
	struct store_erase_what w = {.by = STORE_ERASE_TRACE, .values = gone, .n = 2};
	struct store_erase_ack ack;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_erase(&fx_st, "ws", &w, "check", &ack, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_uint_gt(ack.spans, 0);
	adjusted("erased");
	same_right(shapes_same, "erased");
	/* Indexed, then sealed: a change after each is still adjusted. */
	for (int d = 0; d < GDAYS; d++)
		ck_assert(index_day(gdays[d]));
	same_right(shapes_same, "indexed");
	again("s1-0020-0", "g1-8380", "2024-04-02T01:06:40Z", 20, 4, false);
	adjusted("replaced, indexed");
	same_right(shapes_same, "replaced, indexed");
	seal_day(gdays[1]);
	same_right(shapes_same, "sealed");
	again("s1-0021-1", "g0-9595", "2024-04-01T11:00:00Z", 22, -1, false);
	adjusted("moved off a sealed day");
	same_right(shapes_same, "moved off a sealed day");
	/* Traces of the first two days with spans on the next (a new span, one moved there). */
	again("x-cross", "g0-0007", "2024-04-02T12:00:00Z", 3, -1, false);
	again("x-cross2", "g1-0000", "2024-04-03T13:00:00Z", 4, -1, false);
	again("s1-0002-1", "g0-7919", "2024-04-03T12:00:00Z", 3, 2, false);
	adjusted("traces across days");
	same_right(shapes_same, "traces across days");
	/* Retention drops the first day, then the second. The first held the newest version of
	 * s1-0021-1 (moved there from the second): retention sets the flags of the version left
	 * again, which no record accounts for, so that day's records are compared with their
	 * flags, not every record taken again. The second's traces are let go, or counted again
	 * from their other days' records (g1-0000). */
	for (int d = 1; d < GDAYS; d++) {
		struct ops_retention r = {.cutoff_day = fx_day_of(gdays[d]),
					  .recent_us = INT64_MAX};
		struct ops_retained kept;
		ck_assert_int_eq(ops_retain(&fx_st, "ws", &r, &kept, &e), ST_OK);
		ck_assert_uint_ge(kept.removed, 1); /* the fixture's days too */
		if (d == 1)
			within("a day dropped, a version live again", 2);
		if (d == 2) { /* and a span of the day dropped sent again on the next */
			again("s1-0040-0", "g2-7570", "2024-04-03T02:00:00Z", 40, -1, false);
			adjusted("a day dropped");
		}
		same_right(shapes_same, "a day dropped");
		again("s2-0030-0", "g2-7570", "2024-04-03T01:40:00Z", 30 + d, 3, false);
		adjusted("replaced after the drop");
		same_right(shapes_same, "replaced after the drop");
	}
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* Every day loaded and indexed, every page shape checked. */
static void groups_indexed(void)
{
	groups_load(0, GDAYS);
	for (int d = 0; d < GDAYS; d++)
		ck_assert(index_day(gdays[d]));
	same_right(shapes_same, "indexed");
}

/* The nightly erasure pass (store_erase_pending) writes again each day holding a version older
 * than its span's newest or an erased span's, its records renumbered (a sealed day's read in
 * start order); so does reindex (seal keeps the records, their lines moved). The day written
 * again is counted again, not every day: a page within half of the records, answering as every
 * span's trace does. */
START_TEST(groups_rewritten)
{
	struct err e = {ST_OK, ""};
	struct store_erase_done done;
	groups_indexed();
	/* Edits on the second day (one moved to a trace of the third), the pass writing it again
	 * without their older versions. */
	again("s1-0003-0", "g1-3757", "2024-04-02T00:10:00Z", 3, 2, false);
	again("s1-0004-1", "g2-7919", "2024-04-02T00:13:21Z", 5, -1, false);
	within("edited", 2);
	same_right(shapes_same, "edited");
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_uint_ge(done.days, 1); /* the fixture's too */
	within("the erasure pass", 2);
	same_right(shapes_same, "the erasure pass");
	/* A trace of the first day erased, then the pass. */
	const char *gone[] = {"g0-0000"};
	struct store_erase_what w = {.by = STORE_ERASE_TRACE, .values = gone, .n = 1};
	struct store_erase_ack ack;
	ck_assert_msg(store_erase(&fx_st, "ws", &w, "check", &ack, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_uint_gt(ack.spans, 0);
	within("a trace erased", 2);
	same_right(shapes_same, "a trace erased");
	again("s2-0001-0", "g2-7919", "2024-04-03T00:03:20Z", 1, 3, false);
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_uint_ge(done.days, 1);
	same_right(shapes_same, "the erasure pass of an erasure");
	/* Sealed (its records kept, their lines in start order), then a change on it kept by
	 * span. */
	seal_day(gdays[1]);
	within("sealed", 2);
	same_right(shapes_same, "sealed");
	again("s1-0007-0", "g1-5838", "2024-04-02T00:23:20Z", 7, 4, false);
	adjusted("replaced, sealed");
	same_right(shapes_same, "replaced, sealed");
	/* The pass writes the sealed day again: its records read in start order, renumbered
	 * (the late spans sent above move), its last record maybe still the one taken. */
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	within("the erasure pass of a sealed day", 2);
	same_right(shapes_same, "the erasure pass of a sealed day");
	/* Again, its last record taken still last once renumbered: a span of an early start, one
	 * of the latest (taken), then a later one sent twice (only a version past the records
	 * taken left out); the generation drawn anew says the day was written again. */
	again("x-early", "g1-5838", "2024-04-02T00:00:01Z", 2, -1, false);
	again("x-last", "g1-5838", "2024-04-02T23:59:58Z", 3, -1, false);
	adjusted("an early span and a late one");
	again("x-later", "g1-9999", "2024-04-02T23:59:59Z", 4, -1, false);
	again("x-later", "g1-9999", "2024-04-02T23:59:59Z", 5, -1, false);
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	within("the pass, the last record taken still last", 2);
	same_right(shapes_same, "the pass, the last record taken still last");
	/* A span deleted (its older version, among the records taken, left out by the pass), one
	 * of the latest start taken last, one sent after the take, the day sealed again: the pass
	 * reads a sealed day in its records' order (the start-time order is a table beside the
	 * lines), so the records' numbers move only where versions are left out, and a last
	 * record taken still at its place means none before it was (the generation is then a
	 * second witness, not the only one: tried, no store operation renumbers otherwise). */
	again("s1-0011-0", "g1-7109", "2024-04-02T00:00:00Z", 11, -1, true);
	again("y-last", "g1-9999", "2024-04-02T23:59:59.500Z", 8, -1, false);
	adjusted("a span deleted, a later one");
	again("y-mid", "g1-7777", "2024-04-02T12:00:00Z", 9, -1, false);
	seal_day(gdays[1]);
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	within("the pass of a deletion on a day sealed again", 2);
	same_right(shapes_same, "the pass of a deletion on a day sealed again");
	/* Every day reindexed, then a change. */
	ck_assert_msg(store_reindex(&fx_st, "ws", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	same_right(shapes_same, "reindexed");
	again("s0-0009-0", "g0-1889", "2024-04-01T00:30:00Z", 9, 1, false);
	adjusted("replaced, reindexed");
	same_right(shapes_same, "replaced, reindexed");
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* A page refused for its budget (its take cut short, what it took kept), then the erasure pass
 * writing a day again: that day taken again and its traces counted again, with the records
 * the refused page left, not every record (a page within half of them); the same pages as
 * every span's trace gives. */
START_TEST(groups_rewritten_after_refused)
{
	static const enum query_group_by by = QG_TRACE_ID;
	static char ids[1200][24], tr[1200][16];
	static struct span s[1200];
	struct query_groups g;
	struct err e = {ST_OK, ""};
	struct store_erase_done done;
	groups_indexed();
	for (int i = 0; i < 1200; i++) { /* a fifth of the records more, on the third day */
		snprintf(ids[i], sizeof ids[i], "r-%04d", i);
		snprintf(tr[i], sizeof tr[i], "r-%03d", i % 300);
		s[i] = gspan(ids[i], tr[i], "2024-04-03T20:00:00Z", i);
	}
	for (int i = 0; i < 1200; i += GBATCH)
		append(s + i, GBATCH);
	ck_assert(index_day(gdays[2])); /* else the recount reads the day's tail whole */
	q_init("-span_count", 1, 10, NULL, FILTER_SPANS);
	Q.budget_bytes = NG * 5 * GDAYS * 128 / 6;
	ck_assert_int_ne(query_group_rows(&Q, &by, 1, &g), ST_OK);
	again("s1-0003-0", "g1-3757", "2024-04-02T00:10:00Z", 3, 2, false);
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	within("the pass after a page refused", 2);
	same_right(shapes_same, "the pass after a page refused");
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* Day d's index (<day>.idx beside its <day>.jsonl, docs/FORMAT.md) moved aside (to) or back
 * (from), as an operator removes a day (retention's first step: no reader lists a day without
 * its index) or a restore puts one back. */
static void day_away(const char *d, bool back)
{
	char p[PATH_MAX], aside[PATH_MAX + 8];
	ck_assert(ops_day_path(p, &fx_st, "ws", fx_day_of(d), OPS_DAY_PLAIN));
	ck_assert(strlen(p) > 6 && !strcmp(p + strlen(p) - 6, ".jsonl"));
	strcpy(p + strlen(p) - 6, ".idx");
	snprintf(aside, sizeof aside, "%s.away", p);
	ck_assert_int_eq(back ? rename(aside, p) : rename(p, aside), 0);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

/* A middle day gone (an operator's, a restore's that left it out) and come back: the traces
 * with a span on it counted again from their other days' key maps, not every record (a page
 * within a sixth of them), the day come back taken as a new one; the same pages as every
 * span's trace gives, then after a change. */
START_TEST(groups_day_gone)
{
	groups_indexed();
	/* Traces of the first day with spans on the second, and the second's with spans on the
	 * third. */
	again("x-cross", "g0-0007", "2024-04-02T12:00:00Z", 3, -1, false);
	again("x-cross2", "g1-0000", "2024-04-03T13:00:00Z", 4, -1, false);
	same_right(shapes_same, "traces across days");
	day_away(gdays[1], false);
	adjusted("a middle day gone");
	same_right(shapes_same, "a middle day gone");
	/* The process's first change in the workspace: its day counted again (half the records). */
	again("s2-0030-0", "g2-7570", "2024-04-03T01:40:00Z", 31, 3, false);
	within("replaced after a middle day gone", 2);
	same_right(shapes_same, "replaced after a middle day gone");
	day_away(gdays[1], true);
	within("a middle day come back", 2);
	same_right(shapes_same, "a middle day come back");
	again("s1-0003-0", "g1-3757", "2024-04-02T00:10:00Z", 3, 2, false);
	adjusted("replaced on the day come back");
	same_right(shapes_same, "replaced on the day come back");
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

void check_query_groups(TCase *store)
{
	tcase_add_test(store, groups_counted);
	tcase_add_test(store, groups_changed);
	tcase_add_test(store, groups_rewritten);
	tcase_add_test(store, groups_day_gone);
	tcase_add_test(store, groups_rewritten_after_refused);
}
