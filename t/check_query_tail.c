/* check_query_tail: the index the writer keeps of a day's tail (.tdx), for the records past what
 * the day's .tix covers: each batch's segment's keys, columns and counts, each against reading
 * every record, with segments of an older spandex, damaged ones and superseded versions. */
#include <sys/stat.h>
#include "t/check_query.h"

/* Lookups of day 2024-03-09 (tail_keys): every trace and session, and a page of traces. */
static char *tail_lookups(void)
{
	struct buf b;
	buf_init(&b);
	for (int t = 0; t < 10; t++) {
		char id[8], f[64];
		snprintf(id, sizeof id, "qt%d", t);
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		buf_printf(&b, "|%d|", intake_pages_trace(&Q, id, &b));
		snprintf(f, sizeof f, "{\"trace_id\":\"%s\"}", id);
		q_init("-started_at", 1, 7, f, FILTER_SPANS);
		buf_printf(&b, "|%d|", intake_pages_spans(&Q, &b));
	}
	static const char *const sessions[] = {"sess-q1", "sess-q2", "sess-q9"};
	for (size_t i = 0; i < 3; i++) {
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		buf_printf(&b, "|%d|", intake_pages_session(&Q, sessions[i], &b));
	}
	q_init("-started_at", 1, 3, NULL, FILTER_TRACES);
	buf_printf(&b, "|%d|", intake_pages_traces(&Q, &b));
	return b.p;
}

/* The day's index (store_index_keyed, or store_index_roots with roots) of sh (a state of day d,
 * no .tix: its tail), as "to:r,r,...", the records from record from on. */
static const char *tail_answer_of(struct shard *sh, size_t from, bool roots, enum store_key k,
				  const char *id)
{
	static char out[1024];
	struct store_index x;
	const struct store_index_roots *o;
	uint32_t *r = NULL;
	size_t n = 0, len = 0, to;
	uint64_t h = id ? hash_bytes(id, strlen(id)) : 0;
	store_index_init(&x, &fx_st, "ws", sh);
	if (roots) {
		to = store_index_roots(&x, &o);
		ck_assert_ptr_null(o->e);
	} else {
		to = store_index_keyed(&x, k, &h, 1, &r, &n);
	}
	len = (size_t)snprintf(out, sizeof out, "%zu:", to);
	for (size_t i = 0, first = 1; i < (roots ? o->nr : n) && len < sizeof out - 8; i++) {
		uint32_t rec = roots ? o->r[i] : r[i];
		if (rec < from)
			continue;
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%u", first ? "" : ",", rec);
		first = 0;
	}
	free(r);
	store_index_free(&x);
	return out;
}

/* The same of day d as it is now. */
static const char *tail_answer(const char *d, size_t from, bool roots, enum store_key k,
			       const char *id)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	const char *out = tail_answer_of(&sh, from, roots, k, id);
	shard_close(&sh);
	return out;
}

/* The keys of the tail (issue 35): each batch's segment holds the trace and session key maps
 * and the roots of its records, so that a trace, a session or a page of traces on a day never
 * indexed reads only its own records. A segment of an older spandex (no keys), one that does
 * not check, and the records before from are answered for by every record (their records
 * decide); verify names a damaged key map; the answers are those of reading every record. */
START_TEST(tail_keys)
{
	const char *d = "2024-03-09";
	enum { N = 40 };
	static char ids[N][12], tr[N][12], par[N][12], starts[N][32];
	struct span s[N + 3];
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "q%02d", i);
		snprintf(tr[i], sizeof tr[i], "qt%d", i / 10);
		snprintf(par[i], sizeof par[i], "q%02d", i / 10 * 10);
		snprintf(starts[i], sizeof starts[i], "2024-03-09T10:%02d:00Z", i);
		s[i] = mk(ids[i], tr[i], i % 10 ? par[i] : "", i < 20 ? "sess-q1" : "sess-q2",
			  starts[i], 1, KIND_LLM, SPST_SUCCESS, "m", i, 0.5);
	}
	s[N] = mk("q40", "qt1", "q10", "sess-q1", "2024-03-09T11:00:00Z", 1, KIND_TOOL,
		  SPST_SUCCESS, NULL, 1, NAN);
	s[N + 1] = mk("q41", "qt9", "", "sess-q9", "2024-03-09T11:00:01Z", 1, KIND_AGENT,
		      SPST_SUCCESS, NULL, 1, NAN);
	s[N + 2] = mk("q42", "qt9", "q41", "sess-q9", "2024-03-09T11:00:02Z", 1, KIND_LLM,
		      SPST_SUCCESS, NULL, 1, NAN);
	append(s, N);
	ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, "qt1"),
			 "40:10,11,12,13,14,15,16,17,18,19");
	ck_assert_str_eq(tail_answer(d, 25, false, STORE_KEY_SESSION, "sess-q2"),
			 "40:25,26,27,28,29,30,31,32,33,34,35,36,37,38,39");
	ck_assert_str_eq(tail_answer(d, 0, true, 0, NULL), "40:0,10,20,30");
	ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, "nope"), "40:");
	append(s + N, 3);
	ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, "qt9"), "43:41,42");
	ck_assert_str_eq(tail_answer(d, 0, true, 0, NULL), "43:0,10,20,30,41");
	ck_assert_str_eq(tail_answer(d, 41, true, 0, NULL), "43:41");
	static const char *const days[] = {"2024-03-09"};
	char *plain = unindexed(days, 1, tail_lookups);
	answers_as(tail_lookups, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* The second segment as an older spandex wrote it (SPXTDX1, no keys): its records are
	 * read. */
	long size;
	char *file = file_read(tailindex_of(d), &size);
	uint64_t body;
	memcpy(&body, file + 32, 8);
	char *old = malloc((size_t)size);
	memcpy(old, file, (size_t)size);
	char *seg2 = file + 64 + body;
	seg2[6] = '1';
	uint32_t crc = hash_crc32c(0, seg2, 60);
	memcpy(seg2 + 60, &crc, 4);
	file_write_new(tailindex_of(d), file, size);
	ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, "qt9"), "43:40,41,42");
	ck_assert_str_eq(tail_answer(d, 0, true, 0, NULL), "43:0,10,20,30,40,41,42");
	answers_as(tail_lookups, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* A damaged byte in the trace map of the first segment, in a new copy of the file (a
	 * process checks a segment's body once per mapping): its records are read, the second
	 * segment still answers for its own; verify names the first. */
	file_write_new(tailindex_of(d), old, size);
	file_damage(
	    tailindex_of(d),
	    64 + (long)body - DAYINDEX_NCOLS * 8 * N - (2 * (8 * N + 4 * N + 8) + 8) + 8 * 3, 0x55);
	ck_assert_str_eq(tail_answer(d, 38, false, STORE_KEY_TRACE, "qt1"), "43:38,39,40");
	ck_assert_str_eq(tail_answer(d, 38, false, STORE_KEY_SESSION, "sess-q9"), "43:38,39,41,42");
	ck_assert_str_eq(tail_answer(d, 38, true, 0, NULL), "43:38,39,41");
	free(file);
	free(old);
	answers_as(tail_lookups, plain);
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(index_day(d));
	ck_assert_uint_eq(count_problems(), 0);
	answers_as(tail_lookups, plain);
	free(plain);
}
END_TEST

/* Pages of span listings of day 2024-03-10 (tail_cols), each with an equality on a column. */
static char *tail_col_pages(void)
{
	static const char *const filters[] = {
	    "{\"model\":\"gpt-4o\"}", "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
	    "{\"model\":\"\"}",	      "{\"model\":\"claude\",\"kind\":\"LLM\"}",
	    "{\"name\":\"c07\"}",     "{\"project\":\"nope\"}",
	};
	static const long long pages[][2] = {{1, 10}, {2, 7}, {1, 500}};
	return span_pages(filters, sizeof filters / sizeof *filters, pages, 3);
}

/* How many of day d's records column col of its index (store_index_col; no .tix: the tail) holds
 * as their lines do; -1 when it answers for none (store_index_pick). Those it does not hold
 * (DAYINDEX_UNKNOWN: their lines decide) are counted apart in *unknown. */
static int tail_cols_right_of(struct shard *shp, int col, const char *key, int *unknown)
{
	struct shard sh = *shp;
	struct store_index x;
	struct buf line;
	uint32_t *recs;
	size_t nrecs;
	uint64_t none = DAYINDEX_ABSENT;
	buf_init(&line);
	store_index_init(&x, &fx_st, "ws", &sh);
	size_t to = store_index_pick(&x, col, &none, 1, 0, &recs, &nrecs);
	free(recs);
	int right = to ? 0 : -1;
	*unknown = 0;
	ck_assert_uint_eq(to, to ? sh.nrecs : 0);
	for (size_t i = 0; to && i < sh.nrecs; i++) {
		const char *p;
		size_t n;
		line.len = 0;
		ck_assert_int_eq(shard_line(&sh, i, &line), ST_OK);
		uint64_t want = jline_get(line.p, line.len, key, &p, &n) ? store_dayindex_hash(p, n)
									 : DAYINDEX_ABSENT;
		uint64_t v = store_index_col(&x, col, i);
		*unknown += v == DAYINDEX_UNKNOWN;
		right += v == want;
	}
	store_index_free(&x);
	buf_free(&line);
	return right;
}

static int tail_cols_right(const char *d, int col, const char *key, int *unknown)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	int right = tail_cols_right_of(&sh, col, key, unknown);
	shard_close(&sh);
	return right;
}

/* Segment seg of n records (SPXTDX4) as the spandex before columns wrote it (SPXTDX2: its body
 * ends with its keys), its checksums made again. */
void seg_as_keys_only(char *seg, size_t n)
{
	uint64_t body;
	uint32_t nc;
	memcpy(&body, seg + 32, 8);
	memcpy(&nc, seg + 64 + body - 8, 4);
	body -= 16 * (uint64_t)nc + 16 + DAYINDEX_NCOLS * 8 * n;
	memcpy(seg + 32, &body, 8);
	uint32_t crc = hash_crc32c(0, seg + 64, body);
	memcpy(seg + 56, &crc, 4);
	seg[6] = '2';
	crc = hash_crc32c(0, seg, 60);
	memcpy(seg + 60, &crc, 4);
}

/* The columns of the tail (issue 35): each batch's segment holds its records' column values as
 * a .tix does, so that an equality on model (or name, project, agent, tool, prompt) on a day
 * never indexed reads 8 bytes a record and no line. Each value is the line's; a segment of an
 * older spandex (keys, no columns) and one whose body does not check leave their records to
 * their lines; verify names the damage; the pages are those of reading every record. */
START_TEST(tail_cols)
{
	const char *d = "2024-03-10";
	enum { N = 60 };
	static const char *const models[] = {"gpt-4o", "claude", NULL, ""};
	static char ids[N][12], tr[N][12], starts[N][32];
	struct span s[N];
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "c%02d", i);
		snprintf(tr[i], sizeof tr[i], "ct%d", i / 6);
		snprintf(starts[i], sizeof starts[i], "2024-03-10T09:%02d:00Z", i);
		s[i] = mk(ids[i], tr[i], "", "sess-c", starts[i], 1, i % 5 ? KIND_LLM : KIND_TOOL,
			  i % 3 ? SPST_SUCCESS : SPST_ERROR, models[i % 4], i, NAN);
	}
	append(s, 40);
	append(s + 40, N - 40);
	int unknown;
	ck_assert_int_eq(
	    tail_cols_right(d, store_dayindex_col_of("model", NULL), "model", &unknown), N);
	ck_assert_int_eq(unknown, 0);
	ck_assert_int_eq(tail_cols_right(d, store_dayindex_col_of("name", NULL), "name", &unknown),
			 N);
	ck_assert_int_eq(
	    tail_cols_right(d, store_dayindex_col_of("agent_id", NULL), "agent_id", &unknown), N);
	static const char *const days[] = {"2024-03-10"};
	char *plain = unindexed(days, 1, tail_col_pages);
	answers_as(tail_col_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* The second segment as the spandex before columns wrote it (SPXTDX2: its body ends
	 * with its keys): its records are left to their lines. */
	long size;
	char *file = file_read(tailindex_of(d), &size);
	uint64_t body;
	memcpy(&body, file + 32, 8);
	char *old = malloc((size_t)size);
	memcpy(old, file, (size_t)size);
	seg_as_keys_only(file + 64 + body, N - 40);
	file_write_new(tailindex_of(d), file, size);
	ck_assert_int_eq(
	    tail_cols_right(d, store_dayindex_col_of("model", NULL), "model", &unknown), 40);
	ck_assert_int_eq(unknown, N - 40);
	answers_as(tail_col_pages, plain);
	/* A damaged byte in the first segment's model column, in a new copy of the file: its
	 * records are left to their lines, the second segment answers for its own; verify names
	 * the first. */
	file_write_new(tailindex_of(d), old, size);
	file_damage(tailindex_of(d), 64 + (long)body - DAYINDEX_NCOLS * 8 * 40 + 8 * 40 + 8 * 5,
		    0x55);
	ck_assert_int_eq(
	    tail_cols_right(d, store_dayindex_col_of("model", NULL), "model", &unknown), N - 40);
	ck_assert_int_eq(unknown, 40);
	answers_as(tail_col_pages, plain);
	ck_assert_uint_eq(count_problems(), 1);
	free(file);
	free(old);
	ck_assert(index_day(d));
	ck_assert_uint_eq(count_problems(), 0);
	/* Folded: the tail is gone, the .tix answers for every record. */
	ck_assert_int_eq(access(tailindex_of(d), F_OK), -1);
	ck_assert_int_eq(
	    tail_cols_right(d, store_dayindex_col_of("model", NULL), "model", &unknown), N);
	ck_assert_int_eq(unknown, 0);
	answers_as(tail_col_pages, plain);
	free(plain);
}
END_TEST

/* The count of sh (a state of day d, no .tix: its tail) by its index (store_index_count) of the
 * live records of kind, status and model (-1 or NULL: any), or -1 when it cannot say for all. */
static long long tail_count_of(struct shard *sh, int kind, int status, const char *model)
{
	char lit[64];
	uint64_t h = 0, n;
	if (model) {
		snprintf(lit, sizeof lit, "\"%s\"", model);
		h = store_dayindex_hash(lit, strlen(lit));
	}
	struct store_dayindex_q q = {kind < 0 ? 0 : 1u << kind,
				     status < 0 ? 0 : 1u << status,
				     false,
				     model ? store_dayindex_col_of("model", NULL) : -1,
				     &h,
				     model ? 1 : 0};
	struct store_index x;
	store_index_init(&x, &fx_st, "ws", sh);
	long long r = store_index_count(&x, &q, &n) == sh->nrecs ? (long long)n : -1;
	store_index_free(&x);
	return r;
}

/* The same of day d as it is now. */
static long long tail_count(const char *d, int kind, int status, const char *model)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	long long n = tail_count_of(&sh, kind, status, model);
	shard_close(&sh);
	return n;
}

/* The counts of the tail (issue 35): each batch's segment holds the live counts of its records
 * per column value, kind, status and root, as a .tix does, and the day's flag generation they
 * hold for; a listing's total on a day never indexed comes from them while no flag of the day
 * was written since (a version superseded), and from its records otherwise. A segment of an
 * older spandex (no counts) leaves the day to its records; verify recomputes current counts;
 * every page is that of reading every record. */
START_TEST(tail_counts)
{
	const char *d = "2024-03-11";
	enum { N = 45 };
	static const char *const models[] = {"gpt-4o", "claude", NULL};
	static char ids[N][12], tr[N][12], par[N][12], starts[N][32];
	struct span s[N];
	long long want[4] = {0};
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "k%02d", i);
		snprintf(tr[i], sizeof tr[i], "kt%d", i / 9);
		snprintf(par[i], sizeof par[i], "k%02d", i / 9 * 9);
		snprintf(starts[i], sizeof starts[i], "2024-03-11T08:%02d:00Z", i);
		int kind = i % 9 ? KIND_LLM : KIND_AGENT,
		    status = i % 4 ? SPST_SUCCESS : SPST_ERROR;
		s[i] = mk(ids[i], tr[i], i % 9 ? par[i] : "", "sess-k", starts[i], 1, kind, status,
			  models[i % 3], i, NAN);
		want[0]++;
		want[1] += kind == KIND_LLM && status == SPST_ERROR;
		want[2] += i % 3 == 0;
		want[3] += i % 3 == 0 && status == SPST_ERROR;
	}
	append(s, 20);
	append(s + 20, 20);
	append(s + 40, N - 40);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), want[0]);
	ck_assert_int_eq(tail_count(d, KIND_LLM, SPST_ERROR, NULL), want[1]);
	ck_assert_int_eq(tail_count(d, -1, -1, "gpt-4o"), want[2]);
	ck_assert_int_eq(tail_count(d, -1, SPST_ERROR, "gpt-4o"), want[3]);
	ck_assert_int_eq(tail_count(d, -1, -1, "nope"), 0);
	static const char *const days[] = {"2024-03-11"};
	char *plain = unindexed(days, 1, tail_col_pages);
	answers_as(tail_col_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	/* A count that does not hold for its records, under checksums that do: verify names it. */
	long size;
	char *file = file_read(tailindex_of(d), &size);
	char *old = malloc((size_t)size);
	memcpy(old, file, (size_t)size);
	uint64_t body;
	memcpy(&body, file + 32, 8);
	uint32_t nc, crc;
	memcpy(&nc, file + 64 + body - 8, 4);
	ck_assert_uint_gt(nc, 0);
	file[64 + body - 16 - 16 * (long)nc + 12]++; /* the first count's n */
	crc = hash_crc32c(0, file + 64, body);
	memcpy(file + 56, &crc, 4);
	crc = hash_crc32c(0, file, 60);
	memcpy(file + 60, &crc, 4);
	file_write_new(tailindex_of(d), file, size);
	ck_assert_uint_eq(count_problems(), 1);
	/* The second segment as the spandex before counts wrote it (SPXTDX3): the day's total
	 * comes from its records. */
	file_write_new(tailindex_of(d), old, size);
	memcpy(file, old, (size_t)size);
	char *seg2 = file + 64 + body;
	uint64_t body2;
	memcpy(&body2, seg2 + 32, 8);
	memcpy(&nc, seg2 + 64 + body2 - 8, 4);
	body2 -= 16 * (uint64_t)nc + 16;
	memcpy(seg2 + 32, &body2, 8);
	crc = hash_crc32c(0, seg2 + 64, body2);
	memcpy(seg2 + 56, &crc, 4);
	seg2[6] = '3';
	crc = hash_crc32c(0, seg2, 60);
	memcpy(seg2 + 60, &crc, 4);
	file_write_new(tailindex_of(d), file, size);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), -1);
	answers_as(tail_col_pages, plain);
	file_write_new(tailindex_of(d), old, size);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), want[0]);
	free(file);
	free(old);
	free(plain);
	/* A newer version of k03 (gpt-4o, now an error): the day's flags moved, so its counts no
	 * longer say; the pages count it once, as an error. */
	struct span v2 = s[3];
	v2.status = SPST_ERROR;
	append(&v2, 1);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), -1);
	plain = unindexed(days, 1, tail_col_pages);
	answers_as(tail_col_pages, plain);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day(d));
	answers_as(tail_col_pages, plain);
	free(plain);
}
END_TEST

/* A worker keeps the tail's counts summed and its key maps merged with its mapping (struct
 * tailindex_kept): a day written a batch at a time is counted and looked up right after each batch,
 * from what it kept and the segments since; a reader of an older state than those counts and
 * looks up its own; a superseded version stops the counts
 * for good (of this tail: `spandex index` folds it into a .tix that counts again). */
START_TEST(tail_counts_kept)
{
	const char *d = "2024-03-12";
	enum { N = 60 };
	static const char *const models[] = {"gpt-4o", "claude", "llama"};
	static char ids[N][12], tr[N][12], starts[N][32];
	struct span s[N];
	long long all = 0, gpt = 0, gpt_err = 0;
	int model = store_dayindex_col_of("model", NULL), unknown;
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "c%02d", i);
		snprintf(tr[i], sizeof tr[i], "ct%d", i / 3);
		snprintf(starts[i], sizeof starts[i], "2024-03-12T09:%02d:00Z", i);
		s[i] = mk(ids[i], tr[i], "", "sess-c", starts[i], 1, KIND_LLM,
			  i % 5 ? SPST_SUCCESS : SPST_ERROR, models[i % 3], i, NAN);
	}
	struct shard old;
	for (int i = 0; i < N; i += 3) { /* a trace per batch, counted after each */
		append(s + i, 3);
		for (int k = i; k < i + 3; k++) {
			all++;
			gpt += k % 3 == 0;
			gpt_err += k % 3 == 0 && k % 5 == 0;
		}
		ck_assert_int_eq(tail_count(d, -1, -1, NULL), all);
		ck_assert_int_eq(tail_count(d, -1, -1, "gpt-4o"), gpt);
		ck_assert_int_eq(tail_count(d, -1, SPST_ERROR, "gpt-4o"), gpt_err);
		/* The key maps merged likewise: the trace's three, the session's every one. */
		char want[512], trace[12];
		snprintf(want, sizeof want, "%d:%d,%d,%d", i + 3, i, i + 1, i + 2);
		snprintf(trace, sizeof trace, "ct%d", i / 3);
		ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, trace), want);
		int len = snprintf(want, sizeof want, "%d:", i + 3);
		for (int k = 0; k < i + 3; k++)
			len += snprintf(want + len, sizeof want - (size_t)len, "%s%d", k ? "," : "",
					k);
		ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_SESSION, "sess-c"), want);
		ck_assert_str_eq(tail_answer(d, 0, true, 0, NULL), want); /* every span a root */
		/* The column runs kept likewise (issue 57): each record's value the line's. */
		ck_assert_int_eq(tail_cols_right(d, model, "model", &unknown), i + 3);
		ck_assert_int_eq(unknown, 0);
		if (i == 30)
			ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &old), ST_OK);
	}
	/* The state of 33 records, after the sum took all 60. */
	ck_assert_uint_eq(old.nrecs, 33);
	ck_assert_int_eq(tail_count_of(&old, -1, -1, NULL), 33);
	ck_assert_int_eq(tail_count_of(&old, -1, -1, "gpt-4o"), 11);
	ck_assert_str_eq(tail_answer_of(&old, 0, false, STORE_KEY_TRACE, "ct19"), "33:");
	ck_assert_str_eq(tail_answer_of(&old, 0, false, STORE_KEY_TRACE, "ct10"), "33:30,31,32");
	ck_assert_str_eq(tail_answer_of(&old, 30, true, 0, NULL), "33:30,31,32");
	ck_assert_int_eq(tail_cols_right_of(&old, model, "model", &unknown), 33);
	shard_close(&old);
	ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, "ct19"), "60:57,58,59");
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), N);
	/* The tail grown past its mapping's slack (1 MiB): mapped again, the sum handed on with it
	 * (FORMAT.md, "Mappings kept across queries"), the counts still right. */
	enum { BIG = 3000 };
	struct span *big = calloc(BIG, sizeof *big);
	char(*bid)[12] = calloc(BIG, sizeof *bid);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < BIG; i++) {
			snprintf(bid[i], sizeof bid[i], "g%d-%04d", round, i);
			big[i] = mk(bid[i], bid[i], "", "sess-g", "2024-03-12T11:00:00Z", 1,
				    KIND_TOOL, SPST_SUCCESS, models[i % 3], 1, NAN);
		}
		append(big, BIG);
		all += BIG;
		gpt += BIG / 3;
		ck_assert_int_eq(tail_count(d, -1, -1, NULL), all);
		ck_assert_int_eq(tail_count(d, KIND_TOOL, -1, "gpt-4o"), (round + 1) * BIG / 3);
		char want[64];
		snprintf(want, sizeof want, "%lld:%lld", all, all - BIG + 7);
		ck_assert_str_eq(tail_answer(d, 0, false, STORE_KEY_TRACE, bid[7]), want);
		ck_assert_int_eq(tail_cols_right(d, model, "model", &unknown), all);
	}
	struct stat sb;
	ck_assert_int_eq(stat(tailindex_of(d), &sb), 0);
	ck_assert_int_gt(sb.st_size, 1 << 20);
	free(big);
	free(bid);
	/* A newer version of c00 (gpt-4o, an error, now a success): the counts stop. */
	struct span v2 = s[0];
	v2.status = SPST_SUCCESS;
	append(&v2, 1);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), -1);
	/* A batch after it, whose segment names the new flag generation: the earlier segments
	 * still name the old one, so the sum is not taken up again. */
	struct span more = mk("c99", "ct99", "", "sess-c", "2024-03-12T10:00:00Z", 1, KIND_LLM,
			      SPST_SUCCESS, "gpt-4o", 1, NAN);
	append(&more, 1);
	ck_assert_int_eq(tail_count(d, -1, -1, NULL), -1);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* The filters of tail_blocks' pages. */
static const char *const block_filters[] = {
    NULL,
    "{\"model\":\"gpt-4o\"}",
    "{\"model\":\"gpt-4o\",\"status\":\"error\"}",
    "{\"status\":\"error\",\"kind\":\"TOOL\"}",
    "{\"started_at\":{\"$gte\":\"2024-03-13T05:00:00Z\",\"$lte\":\"2024-03-13T09:00:00Z\"}}",
};
#define BLOCK_FILTERS (sizeof block_filters / sizeof *block_filters)

/* Pages of span listings of day 2024-03-13 (tail_blocks), newest and oldest first. */
static char *block_pages(void)
{
	static const long long pages[][2] = {{1, 10}, {3, 25}, {1, 700}};
	return span_pages(block_filters, BLOCK_FILTERS, pages, 3);
}

/* The rows of the first 30 of each of those listings, newest and oldest first, with a total or
 * (a stream's) without. */
static char *block_rows(bool no_total)
{
	static const char *const sorts[] = {"-started_at", "started_at"};
	struct buf b;
	buf_init(&b);
	for (size_t f = 0; f < BLOCK_FILTERS; f++)
		for (size_t o = 0; o < 2; o++) {
			struct query_rows r;
			q_init(sorts[o], 0, 0, block_filters[f], FILTER_SPANS);
			Q.limit = 30;
			Q.no_total = no_total;
			ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
			buf_printf(&b, "|%s|", row_ids(&r));
		}
	return b.p;
}

static char *block_rows_total(void)
{
	return block_rows(false);
}

static char *block_rows_stream(void)
{
	return block_rows(true);
}

/* A page by start time over a day of several blocks of records (shard_blocks) reads only the
 * blocks that can hold its rows: the records of a day in ingest order, their start times
 * mostly rising, with some far from their neighbours (late and early spans, ties across
 * blocks); every page, newest and oldest first, with and without a filter, a window or a total,
 * as reading every record gives it, on the tail, the indexed day and the sealed day (whose
 * windows its start-time order answers). */
START_TEST(tail_blocks)
{
	const char *d = "2024-03-13";
	enum { N = 2 * SHARD_BLOCK + 500, BATCH = 300 };
	static const char *const models[] = {"gpt-4o", "claude", NULL};
	static char ids[N][12], tr[N][12], starts[N][32];
	static struct span s[N];
	for (int i = 0; i < N; i++) {
		/* about 30 s apart; every 97th far off, every 250th tied with its neighbour's
		 * start in the next block */
		int sec = i * 30;
		if (i % 97 == 5)
			sec = (i * 7919) % 86000;
		if (i % 250 == 3 && i >= (int)SHARD_BLOCK)
			sec = (i - (int)SHARD_BLOCK) * 30;
		snprintf(ids[i], sizeof ids[i], "b%04d", i);
		snprintf(tr[i], sizeof tr[i], "bt%d", i / 10);
		snprintf(starts[i], sizeof starts[i], "2024-03-13T%02d:%02d:%02dZ", sec / 3600,
			 sec / 60 % 60, sec % 60);
		s[i] = mk(ids[i], tr[i], "", "sess-b", starts[i], 1, i % 4 ? KIND_LLM : KIND_TOOL,
			  i % 7 ? SPST_SUCCESS : SPST_ERROR, models[i % 3], i, NAN);
	}
	for (int i = 0; i < N; i += BATCH)
		append(s + i, N - i < BATCH ? (size_t)(N - i) : BATCH);
	struct shard sh;
	const struct shard_block *bl;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	ck_assert_uint_eq(shard_blocks(&sh, &bl), 2);
	ck_assert_int_le(bl[0].lo, bl[0].hi);
	ck_assert_int_lt(bl[1].lo, sh.recs[SHARD_BLOCK].started_us); /* an early one */
	shard_close(&sh);
	static const char *const days[] = {"2024-03-13"};
	/* With the indexes set aside no day is counted, and every record is read. */
	char *plain = unindexed(days, 1, block_pages);
	char *rows = unindexed(days, 1, block_rows_total);
	for (int pass = 0; pass < 4; pass++) {
		answers_as(block_pages, plain);
		answers_as(block_rows_total, rows);
		answers_as(block_rows_stream, rows);
		if (pass == 0) {
			ck_assert(index_day(d));
		} else if (pass == 1) { /* past the index, a tail again */
			struct span more =
			    mk("b9999", "bt9999", "", "sess-b", "2024-03-13T00:00:01Z", 1, KIND_LLM,
			       SPST_ERROR, "gpt-4o", 1, NAN);
			append(&more, 1);
			free(plain);
			free(rows);
			plain = unindexed(days, 1, block_pages);
			rows = unindexed(days, 1, block_rows_total);
		} else if (pass == 2) { /* sealed: a window read in the day's start order */
			seal_day(d);
		}
	}
	ck_assert_uint_eq(count_problems(), 0);
	free(plain);
	free(rows);
}
END_TEST

void check_query_tail(TCase *store)
{
	tcase_add_test(store, tail_keys);
	tcase_add_test(store, tail_cols);
	tcase_add_test(store, tail_counts);
	tcase_add_test(store, tail_counts_kept);
	tcase_add_test(store, tail_blocks);
}
