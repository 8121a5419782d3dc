/* check_query_index: the day's text and field index (.tix) a query narrows by, each part against
 * reading every record: its key maps, live counts and roots; then the looks kept across queries.
 * The tail's index is in check_query_tail.c, answers from one state under a writer in
 * check_query_snap.c. */
#include <limits.h>
#include <sys/stat.h>

#include "t/check_query.h"

/* Every lookup by trace or session id, and a page of traces with rollups, as one string. */
static char *lookups(void)
{
	static const char *const traces[] = {"t1", "t2", "t3", "big", "tk", "nope"};
	static const char *const sessions[] = {"sess-a", "sess-b", "sess-big", "sess-k", "nope"};
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < sizeof traces / sizeof *traces; i++) {
		char f[64];
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		buf_printf(&b, "|%d|", intake_pages_trace(&Q, traces[i], &b));
		snprintf(f, sizeof f, "{\"trace_id\":\"%s\"}", traces[i]);
		q_init("-started_at", 2, 7, f, FILTER_SPANS);
		buf_printf(&b, "|%d|", intake_pages_spans(&Q, &b));
	}
	for (size_t i = 0; i < sizeof sessions / sizeof *sessions; i++) {
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		buf_printf(&b, "|%d|", intake_pages_session(&Q, sessions[i], &b));
	}
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	buf_printf(&b, "|%d|", intake_pages_traces(&Q, &b));
	return b.p;
}

static const char *const kdays[] = {"2024-03-01", "2024-03-02", "2024-03-06"};

/* The lookups with no text index at all (every record of the range tables' days read). */
static char *lookups_unindexed(void)
{
	return unindexed(kdays, 3, lookups);
}

/* What the day's index (store_index_keyed) answers for every trace and session hash of day d,
 * against the records themselves: 1 all right, 0 a wrong list, -1 no map (it answers for no
 * record). */
static int keyed_right(const char *d)
{
	struct shard sh;
	struct store_index x;
	int ok = 1;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	store_index_init(&x, &fx_st, "ws", &sh);
	for (size_t i = 0; i < sh.nrecs && ok > 0; i++)
		for (int k = 0; k < 2 && ok > 0; k++) {
			uint64_t h = k ? sh.recs[i].session_h : sh.recs[i].trace_h;
			uint32_t *r;
			size_t n, j = 0;
			size_t cov = store_index_keyed(&x, k ? STORE_KEY_SESSION : STORE_KEY_TRACE,
						       &h, 1, &r, &n);
			if (!cov) {
				ok = -1;
				break;
			}
			for (size_t y = 0; y < cov; y++)
				if ((k ? sh.recs[y].session_h : sh.recs[y].trace_h) == h)
					ok = ok > 0 && j < n && r[j++] == y;
			ok = ok > 0 && j == n;
			free(r);
		}
	store_index_free(&x);
	shard_close(&sh);
	return ok;
}

/* The byte offset of the key maps in the index file of day d (docs/FORMAT.md, "The
 * text and field index": before the nine columns and the counts) and their length; *counts:
 * the bytes of the counts, at the end. */
/* Where the roots of day d's .tix begin and their bytes; the counts' bytes too. */
static long roots_at(const char *d, long *len, long *counts)
{
	FILE *f = fopen(dayindex_of(fx_root, d), "r");
	uint32_t nc, nr;
	uint64_t ids;
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 96, SEEK_SET), 0);
	ck_assert_uint_eq(fread(&nc, 4, 1, f), 1);
	ck_assert_int_eq(fseek(f, 112, SEEK_SET), 0);
	ck_assert_uint_eq(fread(&nr, 4, 1, f), 1);
	/* The value lists (version 8) end the file, their bytes its last 8; the id strings
	 * (version 7) are before them, their bytes the 8 before the lists. */
	uint64_t lists;
	ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
	ck_assert_uint_eq(fread(&lists, 8, 1, f), 1);
	long size = ftell(f);
	ck_assert_int_eq(fseek(f, size - (long)lists - 8, SEEK_SET), 0);
	ck_assert_uint_eq(fread(&ids, 8, 1, f), 1);
	fclose(f);
	*len = (long)(nr * sizeof(struct store_dayindex_root));
	if (counts)
		*counts = 16 * (long)nc;
	return size - (long)lists - (long)ids - *len;
}

static uint64_t at8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* file[0..size), a .tix of version 8, as a version 4 file wrote its text section: without the
 * pairs of words at its end (docs/FORMAT.md, "Pairs of words": their number, the rare bound,
 * the keys, offsets and postings) and the triples after them, the text's and the header's
 * checksums made again, the header's version kept. Its new size. */
static long drop_pairs(char *file, long size)
{
	uint32_t nw, crc, version;
	memcpy(&version, file + 8, 4);
	size = dayindex_drop_triples(file, size);
	memcpy(file + 8, &version, 4);
	memcpy(&nw, file + 20, 4);
	size_t pad = 7, blob = (at8(file + 48) + pad) & ~pad, starts = (4 * (nw + 1) + pad) & ~pad;
	size_t poffs = 128 + blob + starts, words = blob + starts + 8 * (nw + 1);
	words += (at8(file + poffs + 8 * nw) + pad) & ~pad;
	const char *p = file + 128 + words;
	uint64_t np = at8(p), pairs = 24 + 16 * np + ((at8(p + 16 + 16 * np) + pad) & ~pad);
	memmove(file + 128 + words, file + 128 + words + pairs, (size_t)size - 128 - words - pairs);
	crc = hash_crc32c(0, file + 128, words);
	memcpy(file + 56, &crc, 4);
	crc = hash_crc32c(0, file, 124);
	memcpy(file + 124, &crc, 4);
	return size - (long)pairs;
}

/* Where the key maps of day d's .tix begin and their bytes; the bytes after the columns (the
 * counts, the roots, the id strings and the value lists). */
static void key_maps_at(const char *d, long *at, long *len, long *tail)
{
	FILE *f = fopen(dayindex_of(fx_root, d), "r");
	uint64_t n;
	long rlen, counts, r = roots_at(d, &rlen, &counts);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 24, SEEK_SET), 0);
	ck_assert_uint_eq(fread(&n, 8, 1, f), 1);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	fclose(f);
	size_t blocks = (n + 1023) / 1024;
	*tail = size - r + counts;
	*len = (long)(2 * (8 * n + (4 * n + 7) / 8 * 8 + (4 * blocks + 7) / 8 * 8));
	*at = r - counts - 72 * (long)n - *len;
}

START_TEST(key_maps)
{
	/* A day with a trace of 1,300 spans (its map entries cross a block of 1,024) among
	 * others of one span each. */
	enum { N = 2000 };
	static char ids[N][12], tr[N][12], starts[N][32];
	struct span *big = calloc(N, sizeof *big);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "b%04d", i);
		snprintf(tr[i], sizeof tr[i], "o%04d", i);
		snprintf(starts[i], sizeof starts[i], "2024-03-06T%02d:%02d:%02dZ", i / 3600,
			 i / 60 % 60, i % 60);
		bool in = i % 3 != 1 || i < 100;
		big[i] = mk(ids[i], in ? "big" : tr[i], in && i ? "b0000" : "",
			    in ? "sess-big" : "sess-o", starts[i], 1, KIND_LLM, SPST_SUCCESS, "m",
			    i, 0.5);
	}
	append(big, 1000);
	append(big + 1000, N - 1000);
	char *plain = lookups_unindexed();
	answers_as(lookups, plain); /* the tail's key maps (tail_keys) */
	index_days(kdays, 3, keyed_right);
	answers_as(lookups, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* A tail after the build, with a new trace and session and a new version of a span of
	 * "big" on another day: the map's records, then the tail. */
	struct span t[3] = {
	    mk("k1", "tk", "", "sess-k", "2024-03-06T20:00:00Z", 1, KIND_LLM, SPST_ERROR, NULL, 3,
	       NAN),
	    mk("k2", "big", "b0000", "sess-big", "2024-03-06T20:00:01Z", 1, KIND_TOOL, SPST_SUCCESS,
	       NULL, 4, 0.25),
	    mk("b0005", "big", "b0000", "sess-a", "2024-03-02T20:00:00Z", 1, KIND_TOOL,
	       SPST_SUCCESS, NULL, 9, 1.5),
	};
	append(t, 3);
	free(plain);
	plain = lookups_unindexed();
	answers_as(lookups, plain);
	ck_assert(index_day("2024-03-06"));
	ck_assert(index_day("2024-03-02"));
	answers_as(lookups, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* Each block a lookup reads is checked once for the mapping: looked up again, none. */
	ck_assert_int_eq(keyed_right("2024-03-06"), 1);
	ck_assert_int_eq(keyed_right("2024-03-02"), 1);
	uint64_t checked = store_keymap_checks();
	ck_assert_uint_gt(checked, 0);
	ck_assert_int_eq(keyed_right("2024-03-06"), 1);
	ck_assert_int_eq(keyed_right("2024-03-02"), 1);
	ck_assert_uint_eq(store_keymap_checks(), checked);
	/* A damaged block of a map: that lookup reads the records, verify names the map. A .tix
	 * is never written in place: a query takes the map as it checked it until told
	 * (store_forget_day), as for MAPC_PATH_MS after it looked. */
	long at, len, tail;
	key_maps_at("2024-03-06", &at, &len, &tail);
	FILE *f = fopen(dayindex_of(fx_root, "2024-03-06"), "r+");
	ck_assert_int_eq(fseek(f, at + 8 * 1030, SEEK_SET), 0);
	int c = fgetc(f);
	fseek(f, at + 8 * 1030, SEEK_SET);
	fputc(c ^ 0x5a, f);
	fclose(f);
	store_forget_day(&fx_st, "ws", fx_day_of("2024-03-06"));
	ck_assert_int_eq(keyed_right("2024-03-06"), -1);
	answers_as(lookups, plain);
	ck_assert_uint_eq(count_problems(), 1);
	/* An index written before the key maps (version 1: the same file without them, the
	 * counts and the roots) is read, the lookups scan its records, verify finds nothing
	 * wrong, and the next build upgrades it. */
	ck_assert(index_day("2024-03-06"));
	dayindex_v10("2024-03-06");
	key_maps_at("2024-03-06", &at, &len, &tail);
	f = fopen(dayindex_of(fx_root, "2024-03-06"), "r");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	char *file = malloc((size_t)size);
	fseek(f, 0, SEEK_SET);
	ck_assert_uint_eq(fread(file, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	uint32_t one = 1;
	memcpy(file + 8, &one, 4);
	long cut = size - drop_pairs(file, size);
	size -= tail + cut;
	at -= cut;
	memmove(file + at, file + at + len, (size_t)(size - at - len));
	f = fopen(dayindex_of(fx_root, "2024-03-06"), "w");
	ck_assert_uint_eq(fwrite(file, 1, (size_t)(size - len), f), (size_t)(size - len));
	fclose(f);
	free(file);
	ck_assert_int_eq(keyed_right("2024-03-06"), -1);
	answers_as(lookups, plain);
	ck_assert_str_eq(found("B0005", NULL), "b0005"); /* its words and columns still answer */
	ck_assert_str_eq(filtered("{\"name\":\"b1999\"}"), "b1999");
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day("2024-03-06"));
	ck_assert_int_eq(keyed_right("2024-03-06"), 1);
	free(plain);
	free(big);
}
END_TEST

/* Pages of span listings, each a filter the day counts can total, in both orders, with a
 * window that holds some days whole and cuts one, as one string. */
static char *counted_pages(void)
{
	static const char *const filters[] = {
	    NULL,
	    "{\"model\":\"gpt-4o\"}",
	    "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
	    "{\"kind\":\"LLM\",\"status\":\"success\"}",
	    "{\"model\":\"\"}",
	    "{\"name\":\"c0007\"}",
	    "{\"project\":\"nope\"}",
	    "{\"started_at\":{\"$gte\":\"2024-03-05T00:00:00Z\","
	    "\"$lte\":\"2024-03-07T12:00:00Z\"},\"status\":\"error\"}",
	};
	static const long long pages[][2] = {{1, 10}, {3, 7}, {1, 500}, {40, 10}};
	return span_pages(filters, sizeof filters / sizeof *filters, pages, 4);
}

static const char *const cdays[] = {"2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"};

/* The counted pages with no text index (every record of every day visited). */
static char *counted_unindexed(void)
{
	return unindexed(cdays, 4, counted_pages);
}

/* What the index of day d counts of the live records with model gpt-4o and status error
 * (-1: it cannot say), and the same count from the records. */
static long long counted(const char *d, long long *truth)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	struct store_index x;
	store_index_init(&x, &fx_st, "ws", &sh);
	uint64_t h = store_dayindex_hash("\"gpt-4o\"", 8), n;
	struct store_dayindex_q q = {
	    0, 1u << SPST_ERROR, false, store_dayindex_col_of("model", NULL), &h, 1};
	size_t covered = store_index_count(&x, &q, &n);
	long long r = covered ? (long long)n : -1;
	*truth = 0;
	for (size_t i = 0; i < covered; i++) {
		const struct idx_rec *y = &sh.recs[i];
		const char *p, *v;
		size_t len, vn;
		*truth += store_rec_live(y) && y->status == SPST_ERROR &&
			  shard_view(&sh, i, &p, &len) &&
			  jline_get2(p, len, "model", NULL, &v, &vn) && vn == 8 &&
			  !memcmp(v, "\"gpt-4o\"", 8);
	}
	store_index_free(&x);
	shard_close(&sh);
	return r;
}

START_TEST(live_counts)
{
	/* 1,200 spans over four days: traces of a root and five children, three models and
	 * none, two statuses, four kinds; then a few new versions. */
	enum { N = 1200 };
	static char ids[N][12], tr[N][12], par[N][12], starts[N][32];
	static const char *const models[] = {"gpt-4o", "claude", NULL, "gpt-4o", ""};
	static const int kinds[] = {KIND_LLM, KIND_TOOL, KIND_CHAIN, KIND_LLM};
	struct span *s = calloc(N, sizeof *s);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "c%04d", i);
		snprintf(tr[i], sizeof tr[i], "ct%03d", i / 6);
		snprintf(par[i], sizeof par[i], "c%04d", i / 6 * 6);
		snprintf(starts[i], sizeof starts[i], "2024-03-%02dT%02d:%02d:%02dZ", 4 + i / 300,
			 i % 300 / 13, i % 60, i % 47);
		s[i] = mk(ids[i], tr[i], i % 6 ? par[i] : "", "sess-c", starts[i], 1, kinds[i % 4],
			  i % 7 == 3 ? SPST_ERROR : SPST_SUCCESS, models[i % 5], i, 0.5);
	}
	append(s, N / 2);
	append(s + N / 2, N - N / 2);
	for (int i = 0; i < 40; i++) { /* new versions, on the same day: some turn to errors */
		s[i * 29].status = i % 2 ? SPST_ERROR : SPST_SUCCESS;
		append(&s[i * 29], 1);
	}
	char *plain = counted_unindexed();
	for (int d = 0; d < 4; d++)
		ck_assert(index_day(cdays[d]));
	char *got = counted_pages();
	ck_assert_str_eq(got, plain);
	free(got);
	long long truth;
	for (int d = 0; d < 4; d++)
		ck_assert_int_eq(counted(cdays[d], &truth), truth);
	ck_assert_uint_eq(count_problems(), 0);
	/* A tail after the build (new spans and a new version of an indexed span on another
	 * day): the counts cover the rest, the tail is visited. */
	struct span t[2] = {
	    mk("c9000", "ct900", "", "sess-c", "2024-03-06T23:00:00Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 3, NAN),
	    mk("c0010", "ct001", "c0006", "sess-c", "2024-03-07T01:00:00Z", 1, KIND_LLM, SPST_ERROR,
	       "gpt-4o", 4, NAN),
	};
	append(t, 2);
	/* c0010 was indexed on 2024-03-04: its old version is superseded there, so that day's
	 * counts no longer say (its flags moved), the other days' still do. */
	ck_assert_int_eq(counted("2024-03-04", &truth), -1);
	ck_assert_int_eq(counted("2024-03-05", &truth), truth);
	free(plain);
	plain = counted_unindexed();
	got = counted_pages();
	ck_assert_str_eq(got, plain);
	free(got);
	ck_assert_uint_eq(count_problems(), 0);
	/* The next build counts again, tail and flags included. */
	ck_assert(index_day("2024-03-04"));
	ck_assert(index_day("2024-03-06"));
	ck_assert(!index_day("2024-03-05"));
	for (int d = 0; d < 4; d++)
		ck_assert_int_eq(counted(cdays[d], &truth), truth);
	got = counted_pages();
	ck_assert_str_eq(got, plain);
	free(got);
	/* Damaged counts: never used, named by verify, rebuilt by the next build. */
	long rlen, at = roots_at("2024-03-05", &rlen, NULL) - 5;
	FILE *f = fopen(dayindex_of(fx_root, "2024-03-05"), "r+");
	ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
	int c = fgetc(f);
	fseek(f, at, SEEK_SET);
	fputc(c ^ 0x21, f);
	fclose(f);
	/* A .tix is never written in place: a query takes the file it mapped as it was checked
	 * until told (store_forget_day), as for MAPC_PATH_MS after it looked. */
	store_forget_day(&fx_st, "ws", fx_day_of("2024-03-05"));
	ck_assert_int_eq(counted("2024-03-05", &truth), -1);
	got = counted_pages();
	ck_assert_str_eq(got, plain);
	free(got);
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(index_day("2024-03-05"));
	ck_assert_uint_eq(count_problems(), 0);
	free(plain);
	free(s);
}
END_TEST

/* ---- Roots: a listing of traces visits the root records the .tix names ---- */

static const char *const rdays[] = {"2024-03-04", "2024-03-05", "2024-03-06"};

/* Pages of traces (filters, both orders, rollups or not) and of root spans (as SGP's
 * parents_only asks), as one string. */
static char *root_pages(void)
{
	static const char *const filters[] = {
	    NULL,
	    "{\"status\":\"error\"}",
	    "{\"session_id\":\"sess-r1\"}",
	    "{\"started_at\":{\"$gte\":\"2024-03-05T00:00:00Z\"}}",
	};
	static const char *const sorts[] = {"-started_at", "started_at"};
	static const long long pages[][2] = {{1, 10}, {4, 9}, {1, 1000}};
	struct buf b;
	buf_init(&b);
	for (int summary = 0; summary < 2; summary++)
		each_page(&b, filters, sizeof filters / sizeof *filters, pages, 3, FILTER_TRACES,
			  summary, intake_pages_traces);
	for (size_t s = 0; s < 2; s++) {
		struct query_rows r;
		q_init(sorts[s], 0, 0, NULL, FILTER_SPANS);
		Q.offset = 15;
		Q.limit = 20;
		Q.roots_only = true;
		ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
		buf_printf(&b, "|%zu %d %s|", r.total, r.more, row_ids(&r));
	}
	return b.p;
}

static char *root_pages_unindexed(void)
{
	return unindexed(rdays, 3, root_pages);
}

/* Whether the index of day d holds exactly the root records it covers, as they are (their
 * flags too while it says they hold): 1 yes, 0 no, -1 it holds none (an older file, or
 * damaged). */
static int roots_right(const char *d)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	struct store_index x;
	const struct store_index_roots *o;
	size_t k = 0;
	int ok = -1;
	store_index_init(&x, &fx_st, "ws", &sh);
	store_index_roots(&x, &o);
	if (o->e) {
		ok = 1;
		for (size_t i = 0; i < x.day_covered; i++) {
			const struct idx_rec *r = &sh.recs[i];
			if (!store_rec_root(r))
				continue;
			if (k == o->ne || o->e[k].rec != i || o->e[k].trace_h != r->trace_h ||
			    o->e[k].started_us != r->started_us || o->e[k].kind != r->kind ||
			    o->e[k].status != r->status || (o->held && o->e[k].flags != r->flags))
				ok = 0;
			k++;
		}
		ok &= k == o->ne;
	}
	store_index_free(&x);
	shard_close(&sh);
	return ok;
}

/* Day d's .tix, read whole into *size bytes (caller frees). */
static char *dayindex_read(const char *d, long *size)
{
	return file_read(dayindex_of(fx_root, d), size);
}

static void dayindex_write(const char *d, const char *p, long size)
{
	FILE *f = fopen(dayindex_of(fx_root, d), "w");
	ck_assert_uint_eq(fwrite(p, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	/* A .tix is never written in place: a query takes the file it mapped as it was checked
	 * until told (store_forget_day), as for MAPC_PATH_MS after it looked. */
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

static void dayindex_header_crc(char *file)
{
	uint32_t crc = hash_crc32c(0, file, 124);
	memcpy(file + 124, &crc, 4);
}

/* Writes file[0..size) as day d's .tix: its roots are not used, the pages answer as plain,
 * and verify finds problems problems. */
static void roots_ignored(const char *d, const char *file, long size, const char *plain,
			  size_t problems)
{
	dayindex_write(d, file, size);
	ck_assert_int_eq(roots_right(d), -1);
	answers_as(root_pages, plain);
	ck_assert_uint_eq(count_problems(), problems);
}

START_TEST(root_lists)
{
	/* 900 spans over three days: traces of a root and four children, some with a second
	 * root (on the same day, or the day before with an earlier start, which then leads the
	 * trace), two sessions, some errors. */
	enum { N = 900 };
	static char ids[N][12], tr[N][12], par[N][12], starts[N][32];
	struct span *s = calloc(N, sizeof *s);
	for (int i = 0; i < N; i++) {
		int t = i / 5, second = i % 5 == 4 && t % 7 == 0;
		snprintf(ids[i], sizeof ids[i], "r%04d", i);
		snprintf(tr[i], sizeof tr[i], "rt%03d", t);
		snprintf(par[i], sizeof par[i], "r%04d", t * 5);
		int day = second && t % 2 && t >= 60 ? i / 300 - 1 : i / 300;
		snprintf(starts[i], sizeof starts[i], "2024-03-%02dT%02d:%02d:%02dZ", 4 + day,
			 i % 300 / 13, i % 60, i % 47);
		s[i] =
		    mk(ids[i], tr[i], i % 5 && !second ? par[i] : "", t % 3 ? "sess-r1" : "sess-r2",
		       starts[i], 1, i % 5 ? KIND_LLM : KIND_AGENT,
		       i % 11 == 0 ? SPST_ERROR : SPST_SUCCESS, "gpt-4o", i, 0.25);
	}
	append(s, N / 2);
	append(s + N / 2, N - N / 2);
	char *plain = root_pages_unindexed();
	answers_as(root_pages, plain); /* the tail's roots */
	index_days(rdays, 3, roots_right);
	answers_as(root_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* A tail after the build: a new trace, a root that joins an indexed trace, and a new
	 * version of an indexed root that turns it into a child (its old version superseded). */
	struct span t[3] = {
	    mk("r9000", "rt900", "", "sess-r1", "2024-03-05T22:00:00Z", 1, KIND_AGENT, SPST_ERROR,
	       NULL, 3, NAN),
	    mk("r9001", "rt010", "", "sess-r1", "2024-03-04T00:00:01Z", 1, KIND_AGENT, SPST_SUCCESS,
	       NULL, 4, NAN),
	    mk("r0300", "rt060", "r0301", "sess-r2", starts[300], 1, KIND_LLM, SPST_SUCCESS, NULL,
	       5, NAN),
	};
	append(t, 3);
	free(plain);
	plain = root_pages_unindexed();
	answers_as(root_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	for (int d = 0; d < 3; d++)
		index_day(rdays[d]);
	dayindex_v10("2024-03-05");
	answers_as(root_pages, plain);
	/* Damaged roots: never used, named by verify, rebuilt by the next build. */
	long size, len, at = roots_at("2024-03-05", &len, NULL);
	char *file = dayindex_read("2024-03-05", &size);
	ck_assert_int_ge(len, 48);
	file[at + 1] ^= 0x40;
	roots_ignored("2024-03-05", file, size, plain, 1);
	/* Roots out of order, under a checksum that holds: the same. */
	file[at + 1] ^= 0x40;
	struct store_dayindex_root r0, r1;
	memcpy(&r0, file + at, sizeof r0);
	memcpy(&r1, file + at + sizeof r0, sizeof r1);
	memcpy(file + at, &r1, sizeof r1);
	memcpy(file + at + sizeof r0, &r0, sizeof r0);
	uint32_t crc = hash_crc32c(0, file + at, (size_t)len);
	memcpy(file + 116, &crc, 4);
	dayindex_header_crc(file);
	roots_ignored("2024-03-05", file, size, plain, 1);
	/* A version 3 file (before the roots: the same without them) is read, every record of
	 * its day visited, verify finds nothing wrong, and the next build upgrades it. */
	uint32_t three = 3, zero[2] = {0, 0};
	memcpy(file + 8, &three, 4);
	memcpy(file + 112, zero, 8);
	roots_ignored("2024-03-05", file, drop_pairs(file, at), plain, 0);
	ck_assert(index_day("2024-03-05"));
	ck_assert_int_eq(roots_right("2024-03-05"), 1);
	ck_assert_uint_eq(count_problems(), 0);
	free(file);
	free(plain);
	free(s);
}
END_TEST

/* ---- Looks: a settled workspace directory, its listing and files taken with no stat ---- */

static const char *const look_ws[] = {"grows", "newday", "reindexed", "retained"};
enum { LOOK_WS = sizeof look_ws / sizeof *look_ws };

/* Span <ws>-<n> of trace <ws>-t, a child of <ws>-1, started at start. */
static void look_append(const char *ws, int n, const char *start)
{
	char id[32], trace[32], parent[32];
	snprintf(id, sizeof id, "%s-%d", ws, n);
	snprintf(trace, sizeof trace, "%s-t", ws);
	snprintf(parent, sizeof parent, "%s-1", ws);
	struct span s =
	    mk(arena_strdup(A, id), arena_strdup(A, trace), n == 1 ? "" : arena_strdup(A, parent),
	       "sess-look", start, 1, KIND_LLM, SPST_SUCCESS, "gpt-4o", n, NAN);
	s.workspace = ws;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_append(&fx_st, ws, &s, 1, &e) == ST_OK, "append: %s", err_text(&e));
}

/* ws's spans newest first ("<total>:<id>,<id>..."), its trace's span count, and whether
 * span <ws>-<get> can be read by id. */
static const char *look_state(const char *ws, int get)
{
	static char out[256];
	char id[32], trace[32];
	q_init("-started_at", 1, 10, NULL, FILTER_SPANS);
	Q.ws = ws;
	json_t *j = run(intake_pages_spans);
	int at = snprintf(out, sizeof out, "%lld:", pg(j, "total_results"));
	json_t *data = json_object_get(j, "data");
	for (size_t i = 0; i < json_array_size(data); i++)
		at += snprintf(out + at, sizeof out - (size_t)at, "%s%s", i ? "," : "",
			       str_at(j, i, "span_id"));
	json_decref(j);
	struct buf b;
	buf_init(&b);
	snprintf(trace, sizeof trace, "%s-t", ws);
	q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
	Q.ws = ws;
	long long spans = -1;
	if (intake_pages_trace(&Q, trace, &b) == ST_OK) {
		j = json_loads(b.p, 0, NULL);
		spans = json_integer_value(json_object_get(j, "span_count"));
		json_decref(j);
	}
	snprintf(id, sizeof id, "%s-%d", ws, get);
	b.len = 0;
	enum status s = store_get(&fx_st, ws, id, &b);
	buf_free(&b);
	snprintf(out + at, sizeof out - (size_t)at, " trace:%lld get:%s", spans,
		 s == ST_OK ? "yes" : "no");
	return out;
}

/* How long ago workspace ws's directory changed (its mtime or ctime, the later): as the store
 * judges a look settled (STORE_LOOK_SETTLE_MS). */
static int64_t dir_age_ms(const char *ws)
{
	char p[PATH_MAX];
	struct stat sb;
	struct timespec now;
	snprintf(p, sizeof p, "%s/%s", fx_root, ws);
	ck_assert_int_eq(stat(p, &sb), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t m = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
	int64_t c = (int64_t)sb.st_ctim.tv_sec * 1000 + sb.st_ctim.tv_nsec / 1000000;
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - (m > c ? m : c);
}

START_TEST(looks_kept)
{
	uint64_t look[LOOK_WS];
	char want[64];
	for (size_t w = 0; w < LOOK_WS; w++) {
		look_append(look_ws[w], 1, "2024-03-01T10:00:00Z");
		look_append(look_ws[w], 2, "2024-03-01T11:00:00Z");
		look_append(look_ws[w], 3, "2024-03-02T10:00:00Z");
	}
	/* Nothing is taken from a directory changed less than the settle time ago: as measured
	 * after the look, as the appends above may take longer than that on a busy machine. */
	uint64_t young = store_look(&fx_st, "grows");
	ck_assert_msg(young == 0 || dir_age_ms("grows") >= STORE_LOOK_SETTLE_MS,
		      "a look of a directory changed %lld ms ago", (long long)dir_age_ms("grows"));
	/* Each look settles once its directory has stood unchanged for that time: waited for as a
	 * condition (the one Check bound, CHECK_TIMEOUT_S, bounds a hang). */
	for (size_t w = 0; w < LOOK_WS; w++)
		while (!store_look(&fx_st, look_ws[w]))
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	for (size_t w = 0; w < LOOK_WS; w++) {
		look[w] = store_look(&fx_st, look_ws[w]);
		ck_assert_uint_ne(look[w], 0);
		ck_assert_uint_eq(store_look(&fx_st, look_ws[w]), look[w]);
		/* Twice: the first lists and stats, the second takes what the first found. */
		for (int k = 0; k < 2; k++) {
			snprintf(want, sizeof want, "3:%s-3,%s-2,%s-1 trace:3 get:yes", look_ws[w],
				 look_ws[w], look_ws[w]);
			ck_assert_str_eq(look_state(look_ws[w], 1), want);
		}
	}
	/* A span appended to a day already there renames nothing: the same look, and the
	 * query reads its record and line past what the look's stats found. */
	look_append("grows", 4, "2024-03-02T12:00:00Z");
	ck_assert_uint_eq(store_look(&fx_st, "grows"), look[0]);
	ck_assert_str_eq(look_state("grows", 4),
			 "4:grows-4,grows-3,grows-2,grows-1 trace:4 get:yes");
	/* A new day is a new name: a new look, and the day listed. */
	look_append("newday", 4, "2024-03-05T10:00:00Z");
	ck_assert_uint_ne(store_look(&fx_st, "newday"), look[1]);
	ck_assert_str_eq(look_state("newday", 4),
			 "4:newday-4,newday-3,newday-2,newday-1 trace:4 get:yes");
	/* reindex renames new indexes and tables into place; a span written after is seen. */
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_reindex(&fx_st, "reindexed", NULL, NULL, NULL, NULL, &e), ST_OK);
	look_append("reindexed", 4, "2024-03-02T12:00:00Z");
	ck_assert_str_eq(look_state("reindexed", 4),
			 "4:reindexed-4,reindexed-3,reindexed-2,reindexed-1 trace:4 get:yes");
	/* Retention removes a day: its spans are gone at once (the trace with its root). */
	struct ops_retention r = {.cutoff_day = fx_day_of("2024-03-02"), .recent_us = INT64_MAX};
	struct ops_retained out;
	ck_assert_int_eq(ops_retain(&fx_st, "retained", &r, &out, &e), ST_OK);
	ck_assert_uint_eq(out.removed, 1);
	ck_assert_str_eq(look_state("retained", 1), "1:retained-3 trace:-1 get:no");
}
END_TEST

void check_query_index(TCase *index)
{
	tcase_add_test(index, key_maps);
	tcase_add_test(index, live_counts);
	tcase_add_test(index, root_lists);
	tcase_add_test(index, looks_kept);
}
