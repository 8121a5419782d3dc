/* check_query_traces: a page of traces by start time from the counts and the roots a process
 * keeps by start (lib/query/tpage.c, twins.c) against the listing that gathers every root of its
 * window (query_trace_visit): every page shape, on fresh days, indexed days, a tail past the
 * index, sealed days and superseded versions, with traces of several roots; and on days whose
 * starts lie in no order among their records, a page within a quarter of a day's records. */
#include "t/check_query.h"

#include "lib/store/store.h"

/* The days of the traces: records of each in ingest order, starts mostly rising. */
static const char *const tdays[] = {"2024-03-10", "2024-03-11", "2024-03-12"};
#define TDAYS 3

/* A trace of the listing as a string: its root's line, start and end, rollup and session. */
static void trace_put(struct buf *b, const struct query_trace *t)
{
	const struct query_rollup *u = &t->u;
	buf_printf(b, "%.*s|%lld|%lld|%lld,%lld,%lld,%lld", (int)t->root.len, t->root.line,
		   (long long)t->root.started_us, (long long)t->ended_us, (long long)u->spans,
		   (long long)u->errors, (long long)u->llm, (long long)u->tools);
	for (int i = 0; i < 4; i++)
		buf_printf(b, ",%d:%lld", u->has_tok[i], (long long)u->tok[i]);
	for (int i = 0; i < 3; i++)
		buf_printf(b, ",%d:%.6f", u->has_cost[i], u->cost[i]);
	buf_printf(b, "|%s\n", t->session ? t->session : "-");
}

/* Every trace of a listing, in its order, as query_trace_visit hands them. */
struct all_traces {
	struct buf *rows; /* one per trace */
	size_t n, cap;
};

static void all_add(void *ctx, const struct query_trace *t)
{
	struct all_traces *a = ctx;
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->rows = realloc(a->rows, a->cap * sizeof *a->rows);
	}
	buf_init(&a->rows[a->n]);
	trace_put(&a->rows[a->n++], t);
}

static void all_reset(void *ctx)
{
	struct all_traces *a = ctx;
	for (size_t i = 0; i < a->n; i++)
		buf_free(&a->rows[i]);
	a->n = 0;
}

/* The page Q asks for, as gathering every root gives it: the rows, the total, whether more. */
static char *page_gathered(void)
{
	struct all_traces a = {0};
	struct query q = Q;
	q.visit_reset = all_reset;
	ck_assert_int_eq(query_trace_visit(&q, all_add, &a), ST_OK);
	long long size = Q.page > 0 ? Q.page_size : Q.limit;
	size_t from = (size_t)(Q.page > 0 ? (Q.page - 1) * Q.page_size : Q.offset);
	struct buf b;
	buf_init(&b);
	size_t to = from + (size_t)size < a.n ? from + (size_t)size : a.n;
	for (size_t i = from; i < to; i++)
		buf_add(&b, a.rows[i].p, a.rows[i].len);
	buf_printf(&b, "total %zu more %d\n", a.n, from + (size_t)size < a.n);
	all_reset(&a);
	free(a.rows);
	return b.p ? b.p : strdup("");
}

/* The same page from query_trace_rows. */
static char *page_listed(void)
{
	struct query_traces t;
	ck_assert_int_eq(query_trace_rows(&Q, &t), ST_OK);
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < t.n; i++)
		trace_put(&b, &t.rows[i]);
	buf_printf(&b, "total %zu more %d\n", t.total, t.more);
	return b.p ? b.p : strdup("");
}

static const char *const tfilters[] = {
    NULL,
    "{\"status\":\"error\"}",
    "{\"name\":\"plan\"}",
    "{\"started_at\":{\"$gte\":\"2024-03-11T05:00:00Z\",\"$lte\":\"2024-03-11T09:00:00Z\"}}",
    "{\"started_at\":{\"$gte\":\"2024-03-10T20:00:00Z\",\"$lte\":\"2024-03-11T03:00:00Z\"}}",
    "{\"status\":\"error\",\"started_at\":{\"$gte\":\"2024-03-11T00:00:00Z\"}}",
    "{\"started_at\":{\"$gte\":\"2024-03-12T00:00:00Z\",\"$lte\":\"2024-03-12T23:59:59.999999Z\"}}",
    "{\"session_id\":\"sess-1\"}",
};
#define TFILTERS (sizeof tfilters / sizeof *tfilters)

/* Every page shape of the traces list, newest and oldest first, summary and detailed, by page or
 * offset, each as page_listed gives it and as page_gathered does: the two into one string each,
 * *gathered and the return value. */
static char *each_shape(char **gathered)
{
	static const long long pages[][2] = {{1, 10}, {3, 25}, {1, 700}, {2, 1}, {90, 30}};
	static const char *const sorts[] = {"-started_at", "started_at"};
	struct buf got, want;
	buf_init(&got);
	buf_init(&want);
	for (size_t f = 0; f < TFILTERS; f++)
		for (size_t o = 0; o < 2; o++)
			for (size_t p = 0; p < 6; p++)
				for (int summary = 0; summary < 2; summary++) {
					q_init(sorts[o], p < 5 ? pages[p][0] : 0,
					       p < 5 ? pages[p][1] : 0, tfilters[f], FILTER_TRACES);
					if (p == 5)
						Q.offset = 37, Q.limit = 12;
					Q.summary = summary;
					char *g = page_listed(), *w = page_gathered();
					buf_printf(&got, "%zu %zu %zu %d\n%s", f, o, p, summary, g);
					buf_printf(&want, "%zu %zu %zu %d\n%s", f, o, p, summary,
						   w);
					free(g);
					free(w);
				}
	*gathered = want.p;
	return got.p;
}

/* "same" when every page shape answers as gathering every root does; else where they part. */
static char *shapes_same(void)
{
	char *want, *got = each_shape(&want);
	char *r = parted(got, want);
	free(got);
	free(want);
	return r;
}

/* Span s (of day d, hh:mm:ss) named and kinded for these traces. */
static struct span tspan(const char *id, const char *trace, const char *parent, const char *sess,
			 const char *start, int i)
{
	static const char *const names[] = {"plan", "act", "answer"};
	struct span s = mk(id, trace, parent, sess, start, i % 5, *parent ? KIND_LLM : KIND_AGENT,
			   i % 7 == 3 ? SPST_ERROR : SPST_SUCCESS, i % 2 ? "gpt-4o" : NULL, i % 9,
			   i % 4 ? 0.001 * i : NAN);
	s.name = names[i % 3];
	return s;
}

/* The traces of tdays: per day NT traces of a root and two children, a second or so apart, in
 * batches (ingest order), their starts tied every 13th trace and far off every 97th; roots
 * naming no session every 11th (its trace's default, session_id the trace id; its children name
 * one). */
enum { NT = 1100, TBATCH = 250 };
static void traces_load(void)
{
	static char ids[TDAYS][NT][3][16], tr[TDAYS][NT][12], at[TDAYS][NT][3][40];
	static struct span s[TDAYS * NT * 3];
	size_t n = 0;
	for (int d = 0; d < TDAYS; d++)
		for (int t = 0; t < NT; t++) {
			int sec = t * 70 + 30;
			if (t % 13 == 5)
				sec = (t - 1) * 70 + 30; /* the start of the trace before */
			if (t % 97 == 11)
				sec = (t * 7919) % 86000;
			snprintf(tr[d][t], sizeof tr[d][t], "t%d-%04d", d, t);
			for (int k = 0; k < 3; k++) {
				int ks = sec + k;
				snprintf(ids[d][t][k], sizeof ids[d][t][k], "s%d-%04d-%d", d, t, k);
				snprintf(at[d][t][k], sizeof at[d][t][k], "%sT%02d:%02d:%02dZ",
					 tdays[d], ks / 3600, ks / 60 % 60, ks % 60);
				s[n] = tspan(ids[d][t][k], tr[d][t], k ? ids[d][t][0] : "",
					     !k && t % 11 == 4 ? tr[d][t]
					     : t % 3	       ? "sess-1"
							       : "sess-2",
					     at[d][t][k], t + k);
				n++;
			}
		}
	for (size_t i = 0; i < n; i += TBATCH)
		append(s + i, n - i < TBATCH ? n - i : TBATCH);
}

/* Traces of more than one root: two roots a day apart, two on a day in different blocks, a
 * root that came late with an earlier start, a root that names no trace, and versions. */
static void twins_load(int round)
{
	static char id[16][24];
	struct span s[16];
	int n = 0;
#define TW(trace, parent, start)                                                                   \
	do {                                                                                       \
		snprintf(id[n], sizeof id[n], "w%d-%d", round, n);                                 \
		s[n] = tspan(id[n], trace, parent, "sess-1", start, n + round);                    \
		n++;                                                                               \
	} while (0)
	if (round == 0) {
		TW("tw-a", "", "2024-03-10T23:00:00Z");
		TW("tw-a", "", "2024-03-12T01:00:00Z");
		TW("tw-b", "", "2024-03-11T06:00:00Z");
		TW("tw-b", "", "2024-03-11T20:00:00Z");
		TW("tw-b", "w0-2", "2024-03-11T06:00:01Z");
		TW(NULL, "", "2024-03-11T07:00:00Z"); /* no trace */
		TW(NULL, "", "2024-03-12T23:30:00Z");
	} else {
		/* a late root of tw-c (a trace of the 11th) starting before its first */
		TW("t1-0500", "", "2024-03-11T02:00:00Z");
		TW("tw-b", "", "2024-03-11T06:00:00Z"); /* a tie with tw-b's first */
		TW(NULL, "", "2024-03-11T08:00:00Z");
	}
#undef TW
	append(s, (size_t)n);
}

/* Versions: a root sent again with another start (the same day, and another day), a root sent
 * again as a child, a root deleted, a root sent again unchanged. */
static void versions_load(void)
{
	struct span s[5];
	s[0] = tspan("s1-0100-0", "t1-0100", "", "sess-1", "2024-03-11T23:50:00Z", 1);
	s[1] = tspan("s0-0200-0", "t0-0200", "", "sess-1", "2024-03-12T12:00:00Z", 2);
	s[2] = tspan("s1-0300-0", "t1-0300", "s1-0300-1", "sess-1", "2024-03-11T05:50:00Z", 3);
	s[3] = tspan("s2-0400-0", "t2-0400", "", "sess-1", "2024-03-12T07:46:00Z", 4);
	span_raw_set(&s[3], SPAN_DELETED, json_true());
	s[4] = tspan("s1-0600-0", "t1-0600", "", "sess-2", "2024-03-11T11:40:30Z", 600);
	for (int i = 0; i < 5; i++)
		append(&s[i], 1);
	json_decref(s[3].raw_attributes);
}

/* A page of traces of another workspace (others_asked: what the process kept of "ws" is let go,
 * and the next page of "ws" takes its days from the indexes' lists of roots). */
static void paged(const char *ws)
{
	struct query_traces t;
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	Q.ws = ws;
	ck_assert_int_eq(query_trace_rows(&Q, &t), ST_OK);
	ck_assert_uint_eq(t.total, 1);
}

/* The days of the traces: fresh, indexed, a tail past the index, versions since the index
 * (the counts then set aside), the older days sealed; every page shape as gathering every root
 * gives it at each step, and with the indexes set aside. */
START_TEST(traces_counted)
{
	traces_load();
	twins_load(0);
	same_right(shapes_same, "fresh");
	for (int d = 0; d < TDAYS; d++)
		ck_assert(index_day(tdays[d]));
	same_right(shapes_same, "indexed");
	others_asked(paged);
	same_right(shapes_same, "indexed, a first look");
	twins_load(1);
	same_right(shapes_same, "a tail past the index");
	versions_load();
	same_right(shapes_same, "versions since the index");
	for (int d = 0; d < TDAYS; d++)
		index_day(tdays[d]);
	same_right(shapes_same, "indexed again");
	for (int d = 0; d < 2; d++)
		seal_day(tdays[d]);
	same_right(shapes_same, "sealed");
	same_unindexed(tdays, TDAYS, shapes_same);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* Days of traces whose starts lie in no order among their records (ingest of late or replayed
 * traces; bench/query_bench's load): NS traces a day of a root and two children, the t-th at a
 * second of the day that a step prime to NS spreads over it, so every block of records reaches
 * from near the day's start to near its end. */
enum { NS = 2000 };
static void scattered_load(int round)
{
	static char ids[2][NS][3][20], tr[2][NS][16], at[2][NS][3][40];
	static struct span s[2 * NS * 3];
	size_t n = 0;
	for (int d = 0; d < 2; d++)
		for (int t = 0; t < NS; t++) {
			int sec = (int)((t * 7919L + round * 31) % NS) * 43 + 7;
			snprintf(tr[d][t], sizeof tr[d][t], "x%d%d-%04d", round, d, t);
			for (int k = 0; k < 3; k++) {
				int ks = sec + k;
				snprintf(ids[d][t][k], sizeof ids[d][t][k], "x%d%d-%04d-%d", round,
					 d, t, k);
				snprintf(at[d][t][k], sizeof at[d][t][k], "%sT%02d:%02d:%02dZ",
					 tdays[d + 1], ks / 3600, ks / 60 % 60, ks % 60);
				s[n] = tspan(ids[d][t][k], tr[d][t], k ? ids[d][t][0] : "",
					     t % 3 ? "sess-1" : "sess-2", at[d][t][k], t + k);
				n++;
			}
		}
	for (size_t i = 0; i < n; i += TBATCH)
		append(s + i, (n - i < TBATCH ? n - i : TBATCH) / (round ? 30 : 1));
}

/* The newest and the oldest page of 10 within a budget of a quarter of a day's records, after a
 * first page without one (the process's look at the days): reading the newest day's blocks
 * would pass it. */
static void within_quarter(const char *when)
{
	static const char *const sorts[] = {"-started_at", "started_at"};
	struct query_traces t;
	for (int o = 0; o < 2; o++) {
		q_init(sorts[o], 1, 10, NULL, FILTER_TRACES);
		ck_assert_int_eq(query_trace_rows(&Q, &t), ST_OK);
		q_init(sorts[o], 1, 10, NULL, FILTER_TRACES);
		Q.budget_bytes = NS * 3 * 128 / 4;
		enum status rc = query_trace_rows(&Q, &t);
		ck_assert_msg(rc == ST_OK, "%s, %s: %d %s", when, sorts[o], rc, err_text(&Q.err));
		ck_assert_uint_eq(t.n, 10);
	}
}

/* Days in no order of start: every page shape as gathering every root gives it, fresh, with
 * roots taken since the page before (few, then more than an eighth of the day's), indexed and
 * sealed; each page of 10 within a quarter of a day's records. */
START_TEST(traces_scattered)
{
	scattered_load(0);
	twins_load(0);
	same_right(shapes_same, "fresh, starts in no order");
	within_quarter("fresh");
	scattered_load(1);
	same_right(shapes_same, "a few roots since");
	within_quarter("a few roots since");
	for (int r = 2; r < 32; r++)
		scattered_load(r);
	same_right(shapes_same, "more roots since than an eighth");
	within_quarter("more roots since than an eighth");
	for (int d = 1; d < TDAYS; d++)
		ck_assert(index_day(tdays[d]));
	same_right(shapes_same, "indexed");
	within_quarter("indexed");
	seal_day(tdays[1]);
	same_right(shapes_same, "sealed");
	within_quarter("sealed");
	same_unindexed(tdays, TDAYS, shapes_same);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

void check_query_traces(TCase *store)
{
	tcase_add_test(store, traces_counted);
	tcase_add_test(store, traces_scattered);
}
