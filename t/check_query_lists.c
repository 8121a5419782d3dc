/* check_query_lists: the value lists of a day's .tix (version 8, issue 57): per value of each
 * column, kind and status, the records that hold it by start. A page by start time with an
 * equality on one of them walks its value's records from the best and stops once none left can
 * make the page; any other listing visits the records the lists name in storage order. Each
 * list against the records, then the pages against reading every record: after a build, with a
 * tail past it, with versions superseded since (the day is not counted: the whole list is
 * walked), from a version 7 file (no lists) and from damaged lists. */
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
int lists_right_of(struct shard *sh, size_t *loose)
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
	store_index_init(&x, &st, "ws", sh);
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
	ck_assert_int_eq(shard_open(&st, "ws", day_of(d), &sh), ST_OK);
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
	struct buf b;
	buf_init(&b);
	each_page(&b, filters, sizeof filters / sizeof *filters, pages, 4, FILTER_SPANS, false,
		  intake_pages_spans);
	return b.p;
}

static char *listed_unindexed(void)
{
	return unindexed(ldays, 3, listed_pages);
}

/* Where the value lists of day d's .tix begin, from its end (their bytes: its last 8). */
static long lists_bytes(const char *d, long *size)
{
	char *f = file_read(dayindex_of(root, d), size);
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
	char *f = file_read(dayindex_of(root, ldays[0]), &size);
	file_write_new(dayindex_of(root, ldays[0]), f, dayindex_drop_lists(f, size));
	free(f);
	/* A .tix is never written in place: a process takes the file it mapped until told. */
	store_forget_day(&st, "ws", day_of(ldays[0]));
	ck_assert_int_eq(lists_right(ldays[0]), -1);
	answers_as(listed_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day(ldays[0]));
	ck_assert_int_eq(lists_right(ldays[0]), 1);
	/* A damaged byte of the lists: never used, named by verify, rebuilt by the next build. */
	long at = lists_bytes(ldays[1], &size);
	file_damage(dayindex_of(root, ldays[1]), size - at + 16 + 3, 0x10);
	store_forget_day(&st, "ws", day_of(ldays[1]));
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

void check_query_lists(TCase *index)
{
	tcase_add_test(index, value_lists);
}
