/* check_query_lists: the value lists of a day's .tix (version 8, issue 57): per value of each
 * column, kind and status, the records that hold it by start. A page by start time with an
 * equality on one of them walks its value's records from the best and stops once none left can
 * make the page; any other listing visits the records the lists name in storage order. Each
 * list against the records, then the pages against reading every record: after a build, with a
 * tail past it, with versions superseded since (the day is not counted: the whole list is
 * walked), from a version 7 file (no lists) and from damaged lists. And the tail's value lists
 * (tail_lists): the lists a worker keeps of the records past the .tix, against the same pages. */
#include "t/check_query.h"

static const char *const ldays[] = {"2024-04-01", "2024-04-02", "2024-04-03"};

/* Key k's value of record i of sh (a column's hash of the value its line holds, DAYINDEX_ABSENT
 * for none; the kind; the status). */
static uint64_t value_of(struct shard *sh, int k, size_t i, const char *key)
{
	const char *p, *v;
	size_t n, vn;
	if (k == STORE_LIST_KIND)
		return sh->recs[i].kind;
	if (k == STORE_LIST_STATUS)
		return sh->recs[i].status;
	ck_assert(shard_view(sh, i, &p, &n));
	return jline_get(p, n, key, &v, &vn) ? store_dayindex_hash(v, vn) : DAYINDEX_ABSENT;
}

/* Whether the value lists of sh (a state of its day: store_index_lists, the .tix's then the
 * tail's) name, for each value of the model, name and provider columns, the kind and the status,
 * exactly the records that hold it among those no list leaves loose, each list by start, then by
 * record: 1, or -1 when they do not answer for every record (no list to trust, records past
 * every segment). *loose: the most records one key leaves loose (their lines decide), which are
 * the same for every value of the key. */
static int lists_right_of(struct shard *sh, size_t *loose)
{
	static const char *const keys[] = {"model", "name", "provider", NULL, NULL};
	const int k5[] = {store_dayindex_col_of("model", NULL), store_dayindex_col_of("name", NULL),
			  store_dayindex_col_of("provider", NULL), STORE_LIST_KIND,
			  STORE_LIST_STATUS};
	struct store_index x;
	int ok = 1;
	char *mark = calloc(sh->nrecs + 1, 1);
	size_t kl[5] = {0}; /* per key, 1 + its loose records */
	*loose = 0;
	store_index_init(&x, &fx_st, "ws", sh);
	for (int j = 0; j < 5 && ok > 0; j++)
		for (size_t i = 0; i < sh->nrecs && ok > 0; i++) {
			uint64_t v = value_of(sh, k5[j], i, keys[j]);
			struct store_list l;
			size_t held = 0, named = 0, in = 0;
			size_t cov = store_index_lists(&x, k5[j], v, &l);
			if (v == DAYINDEX_ABSENT && j < 3) {
				ck_assert_uint_eq(cov, 0); /* an absent value has no list */
				continue;
			}
			if (cov != sh->nrecs) {
				ok = -1;
				break;
			}
			memset(mark, 0, sh->nrecs);
			for (size_t e = 0; e < l.nloose; e++) {
				ck_assert_uint_lt(l.loose[e], sh->nrecs);
				ck_assert(!e || l.loose[e - 1] < l.loose[e]);
				mark[l.loose[e]] = 1;
			}
			if (!kl[j])
				kl[j] = l.nloose + 1;
			ck_assert_uint_eq(l.nloose + 1, kl[j]); /* the same for every value of k */
			if (l.nloose > *loose)
				*loose = l.nloose;
			for (size_t y = 0; y < sh->nrecs; y++)
				held += !mark[y] && value_of(sh, k5[j], y, keys[j]) == v;
			for (int h = 0; h < 2; h++)
				for (size_t e = 0; e < l.n[h]; e++) {
					const uint32_t *r = l.r[h];
					ck_assert_uint_lt(r[e], sh->nrecs);
					ck_assert(!mark[r[e]]);
					ck_assert(value_of(sh, k5[j], r[e], keys[j]) == v);
					mark[r[e]] = 2;
					named++;
					in += r[e] == i;
					if (e) {
						const struct idx_rec *a = &sh->recs[r[e - 1]],
								     *b = &sh->recs[r[e]];
						ck_assert(a->started_us < b->started_us ||
							  (a->started_us == b->started_us &&
							   r[e - 1] < r[e]));
					}
				}
			ok = named == held && (in == 1 || mark[i] == 1);
		}
	store_index_free(&x);
	free(mark);
	return ok;
}

/* The same of day d as it is now, with no record left loose. */
static int lists_right(const char *d)
{
	struct shard sh;
	size_t loose;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	int ok = lists_right_of(&sh, &loose);
	shard_close(&sh);
	ck_assert_uint_eq(loose, 0);
	return ok;
}

/* Pages of span listings with equalities the lists hold, in both orders, some with a window
 * that cuts a day, as one string. */
static char *listed_pages(void)
{
	static const char *const filters[] = {
	    "{\"model\":\"gpt-4o\"}",
	    "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
	    "{\"status\":\"error\"}",
	    "{\"kind\":\"TOOL\"}",
	    "{\"kind\":\"LLM\",\"status\":\"success\"}",
	    "{\"name\":\"l0421\"}",
	    "{\"model\":\"claude\",\"kind\":\"LLM\"}",
	    "{\"model\":\"nope\"}",
	    "{\"started_at\":{\"$gte\":\"2024-04-01T00:00:40Z\","
	    "\"$lte\":\"2024-04-02T00:01:10Z\"},\"model\":\"gpt-4o\"}",
	    "{\"started_at\":{\"$gte\":\"2024-04-02T00:00:20Z\"},\"status\":\"error\"}",
	};
	static const long long pages[][2] = {{1, 10}, {2, 7}, {1, 500}, {30, 10}};
	return span_pages(filters, sizeof filters / sizeof *filters, pages, 4);
}

static char *listed_unindexed(void)
{
	return unindexed(ldays, 3, listed_pages);
}

/* Where the value lists of day d's .tix begin, from its end (their bytes: its last 8). */
static long lists_bytes(const char *d, long *size)
{
	char *f = file_read(dayindex_of(fx_root, d), size);
	uint64_t n;
	memcpy(&n, f + *size - 8, 8);
	free(f);
	ck_assert_uint_lt(n, (uint64_t)*size);
	return (long)n;
}

START_TEST(value_lists)
{
	/* 900 spans over three days, their starts out of storage order and many tied (97
	 * distinct seconds a day), three models and none, four kinds, two statuses. */
	enum { N = 900 };
	static char ids[N][12], tr[N][12], starts[N][32];
	static const char *const models[] = {"gpt-4o", "claude", NULL, "gpt-4o", "mini"};
	static const int kinds[] = {KIND_LLM, KIND_TOOL, KIND_CHAIN, KIND_LLM};
	struct span *s = calloc(N + 40, sizeof *s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "l%04d", i);
		snprintf(tr[i], sizeof tr[i], "lt%03d", i / 5);
		snprintf(starts[i], sizeof starts[i], "2024-04-%02dT00:%02d:%02dZ", 1 + i / 300,
			 i * 31 % 97 / 60, i * 31 % 97 % 60);
		s[i] = mk(ids[i], tr[i], "", "sess-l", starts[i], 1, kinds[i % 4],
			  i % 7 == 3 ? SPST_ERROR : SPST_SUCCESS, models[i % 5], i, 0.5);
	}
	for (int d = 0; d < 3; d++) {
		append(s + 300 * d, 150);
		append(s + 300 * d + 150, 150);
	}
	char *plain = listed_unindexed();
	index_days(ldays, 3, lists_right);
	answers_as(listed_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* A tail past the build on the second day: the .tix's lists, then the tail's. */
	struct span t[3] = {
	    mk("l9000", "lt900", "", "sess-l", "2024-04-02T00:01:30Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 3, NAN),
	    mk("l9001", "lt900", "", "sess-l", "2024-04-02T00:00:05Z", 1, KIND_TOOL, SPST_ERROR,
	       "claude", 3, NAN),
	    mk("l9002", "lt901", "", "sess-l", "2024-04-02T00:00:50Z", 1, KIND_LLM, SPST_SUCCESS,
	       "gpt-4o", 3, NAN),
	};
	append(t, 3);
	ck_assert_int_eq(lists_right(ldays[1]), 1);
	free(plain);
	plain = listed_unindexed();
	answers_as(listed_pages, plain);
	/* New versions of indexed spans (some turn to errors, some change model): the days'
	 * counts no longer hold, so each day's whole list is walked, its superseded records
	 * passed over by their flags. */
	for (int i = 0; i < 40; i++) {
		s[N + i] = s[i * 22];
		s[N + i].status = i % 2 ? SPST_ERROR : SPST_SUCCESS;
		s[N + i].str[SS_MODEL] = i % 3 ? "gpt-4o" : "claude";
	}
	append(s + N, 40);
	free(plain);
	plain = listed_unindexed();
	answers_as(listed_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	index_days(ldays, 3, lists_right);
	answers_as(listed_pages, plain);
	/* A version 7 file (no lists) is read as before, verify finds nothing wrong, and the
	 * next build writes the current version in its place. */
	long size;
	dayindex_v10(ldays[0]);
	char *f = file_read(dayindex_of(fx_root, ldays[0]), &size);
	file_write_new(dayindex_of(fx_root, ldays[0]), f, dayindex_drop_lists(f, size));
	free(f);
	/* A .tix is never written in place: a process takes the file it mapped until told. */
	store_forget_day(&fx_st, "ws", fx_day_of(ldays[0]));
	ck_assert_int_eq(lists_right(ldays[0]), -1);
	answers_as(listed_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day(ldays[0]));
	ck_assert_int_eq(lists_right(ldays[0]), 1);
	/* A damaged byte of the lists: never used, named by verify, rebuilt by the next build. */
	long at = lists_bytes(ldays[1], &size);
	file_damage(dayindex_of(fx_root, ldays[1]), size - at + 16 + 3, 0x10);
	store_forget_day(&fx_st, "ws", fx_day_of(ldays[1]));
	ck_assert_int_eq(lists_right(ldays[1]), -1);
	answers_as(listed_pages, plain);
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(index_day(ldays[1]));
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert_int_eq(lists_right(ldays[1]), 1);
	answers_as(listed_pages, plain);
	free(plain);
	free(s);
}
END_TEST

/* Pages of span listings of day 2024-03-14 (tail_lists): equalities the tail's lists answer,
 * alone and together, with windows that cut the day. */
static char *tail_list_pages(void)
{
	static const char *const filters[] = {
	    "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
	    "{\"model\":\"gpt-4o\"}",
	    "{\"status\":\"error\"}",
	    "{\"kind\":\"TOOL\",\"status\":\"success\"}",
	    "{\"model\":\"claude\",\"kind\":\"LLM\"}",
	    "{\"model\":\"nope\"}",
	    "{\"started_at\":{\"$gte\":\"2024-03-14T03:00:00Z\","
	    "\"$lte\":\"2024-03-14T09:00:00Z\"},\"model\":\"gpt-4o\"}",
	};
	static const long long pages[][2] = {{1, 10}, {3, 7}, {1, 500}};
	return span_pages(filters, sizeof filters / sizeof *filters, pages, 3);
}

/* The same filters' first 30 rows and totals, as a stream (no total) would have them too. */
static char *tail_list_rows(void)
{
	static const char *const sorts[] = {"-started_at", "started_at"};
	static const char *const filters[] = {"{\"model\":\"gpt-4o\",\"status\":\"error\"}",
					      "{\"status\":\"error\"}"};
	struct buf b;
	buf_init(&b);
	for (size_t f = 0; f < 2; f++)
		for (size_t o = 0; o < 2; o++)
			for (int nt = 0; nt < 2; nt++) {
				struct query_rows r;
				q_init(sorts[o], 0, 0, filters[f], FILTER_SPANS);
				Q.limit = 30;
				Q.no_total = nt;
				ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
				buf_printf(&b, "|%s|%zu|", row_ids(&r), nt ? 0 : r.total);
			}
	return b.p;
}

/* Whether day d's lists (lists_right_of) hold for every record, *loose of them left loose. */
static int tail_lists_right(const char *d, size_t *loose)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	int ok = lists_right_of(&sh, loose);
	shard_close(&sh);
	return ok;
}

/* Both answers of day d (tail_list_pages, tail_list_rows) are those of reading every record. */
static void tail_lists_as_read(const char *const *days)
{
	char *plain = unindexed(days, 1, tail_list_pages),
	     *rows = unindexed(days, 1, tail_list_rows);
	answers_as(tail_list_pages, plain);
	answers_as(tail_list_rows, rows);
	free(plain);
	free(rows);
}

/* The value lists of the tail (issue 57): a worker keeps, with the tail's mapping, per column,
 * kind and status asked, the records of each value by start, as a .tix's lists, merged as
 * segments are added, so that a page with an equality on a day never indexed walks its value's
 * records from the best, as on an indexed day. Each list against the records and every page
 * against reading every record: after each batch (the starts out of storage order), for a reader
 * of an older state, after a version superseded, with a segment that does not check and one
 * without columns (their records loose: their lines decide), after the kept lists are dropped
 * (as the worker's limit on mappings drops them), and past a .tix built meanwhile. */
START_TEST(tail_lists)
{
	const char *d = "2024-03-14";
	static const char *const days[] = {"2024-03-14"};
	enum { N = 240, BATCH = 40 };
	static const char *const models[] = {"gpt-4o", "claude", NULL, "gpt-4o", ""};
	static char ids[N][12], tr[N][12], starts[N][32];
	static struct span s[N];
	size_t loose;
	for (int i = 0; i < N; i++) {
		int sec = i * 7919 % 86000; /* out of storage order, some tied */
		if (i % 11 == 4)
			sec = (i - 1) * 7919 % 86000;
		snprintf(ids[i], sizeof ids[i], "v%03d", i);
		snprintf(tr[i], sizeof tr[i], "vt%d", i / 4);
		snprintf(starts[i], sizeof starts[i], "2024-03-14T%02d:%02d:%02dZ", sec / 3600,
			 sec / 60 % 60, sec % 60);
		s[i] = mk(ids[i], tr[i], "", "sess-v", starts[i], 1, i % 3 ? KIND_LLM : KIND_TOOL,
			  i % 5 == 2 ? SPST_ERROR : SPST_SUCCESS, models[i % 5], i, NAN);
	}
	struct shard old;
	for (int i = 0; i < N; i += BATCH) {
		append(s + i, BATCH);
		ck_assert_int_eq(tail_lists_right(d, &loose), 1);
		ck_assert_uint_eq(loose, 0);
		tail_lists_as_read(days);
		if (i == 2 * BATCH)
			ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &old), ST_OK);
	}
	/* A reader of the state of 120 records, after the lists took all 240. */
	ck_assert_uint_eq(old.nrecs, 3 * BATCH);
	ck_assert_int_eq(lists_right_of(&old, &loose), 1);
	ck_assert_uint_eq(loose, 0);
	shard_close(&old);
	/* Dropped (as past MAPC_MAX_BYTES, or a file changed behind the worker's back): made
	 * again from the segments, the same answers. */
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tail_lists_right(d, &loose), 1);
	tail_lists_as_read(days);
	/* New versions of some spans (an error now, another model): counted from the records,
	 * the superseded ones passed over by their flags. */
	struct span v2[3] = {s[2], s[7], s[30]};
	v2[0].status = SPST_SUCCESS;
	v2[1].str[SS_MODEL] = "gpt-4o";
	v2[1].status = SPST_ERROR;
	v2[2].status = SPST_ERROR;
	append(v2, 3);
	ck_assert_int_eq(tail_lists_right(d, &loose), 1);
	tail_lists_as_read(days);
	/* The second segment as the spandex before columns wrote it (SPXTDX2), in a new copy of
	 * the file: its records are loose for a column, listed by kind and status. */
	long size;
	char *file = file_read(tailindex_of(d), &size);
	char *old_file = malloc((size_t)size);
	memcpy(old_file, file, (size_t)size);
	uint64_t body;
	memcpy(&body, file + 32, 8);
	seg_as_keys_only(file + 64 + body, BATCH);
	file_write_new(tailindex_of(d), file, size);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tail_lists_right(d, &loose), 1);
	ck_assert_uint_eq(loose, BATCH);
	tail_lists_as_read(days);
	/* A damaged byte in the first segment's body: it does not check, its records are loose
	 * for every key (of no segment), the others answer for their own. */
	file_write_new(tailindex_of(d), old_file, size);
	file_damage(tailindex_of(d), 64 + 16, 0x55);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tail_lists_right(d, &loose), 1);
	ck_assert_uint_eq(loose, BATCH);
	tail_lists_as_read(days);
	ck_assert_uint_eq(count_problems(), 1);
	free(file);
	free(old_file);
	/* Indexed, then a tail again past the .tix: its lists, then the tail's. */
	ck_assert(index_day(d));
	ck_assert_uint_eq(count_problems(), 0);
	struct span more[2] = {
	    mk("v900", "vt900", "", "sess-v", "2024-03-14T00:00:09Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 3, NAN),
	    mk("v901", "vt900", "", "sess-v", "2024-03-14T23:00:09Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 3, NAN),
	};
	append(more, 2);
	ck_assert_int_eq(tail_lists_right(d, &loose), 1);
	ck_assert_uint_eq(loose, 0);
	tail_lists_as_read(days);
}
END_TEST

void check_query_lists(TCase *store, TCase *index)
{
	tcase_add_test(store, tail_lists);
	tcase_add_test(index, value_lists);
}
