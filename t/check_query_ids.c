/* check_query_ids: the trace and session id strings of a day's .tix (version 7, issue 57). On a
 * sealed day a line costs a 64 KiB frame decompressed; the answers that need an id's text and no
 * line (groups by trace or session and their ties, a session's sums, a count under an equality
 * on trace_id or session_id) now read no frame, and answer as the lines do. A version 6 file
 * (none) is still read, from the lines; a damaged section is never used (the lines tell), verify
 * names it and the next build mends it. */
#include "t/check_query.h"

enum {
	SEAL_FRAME_BYTES = 64 << 10, /* the lines of a frame of a sealed file (SEAL_BLOCK) */
	IDS_SPANS = 240,	     /* about 190 KB of lines: three frames or more once sealed */
	IDS_TRACES = 40,	     /* of 6 spans each: every group ties with every other */
	IDS_SESSIONS = 8
};

/* Day d's spans, their ids tagged with tag: IDS_TRACES traces interleaved (span i of trace i %
 * IDS_TRACES), so each trace has spans in every frame, their ids not in the order of their first
 * spans; a session per five traces. The children of trace 0 name its id as their session (the
 * default: docs/api-intake.md, "Sessions"), so a group by session takes them in through the
 * root, whose session is of its own. */
static void day_spans(char tag, const char *d)
{
	static char filler[600];
	for (size_t n = 0; n + 8 < sizeof filler;)
		n += (size_t)snprintf(filler + n, sizeof filler - n, "%s", "pad wax ");
	struct span *s = calloc(IDS_SPANS, sizeof *s);
	for (int i = 0; i < IDS_SPANS; i++) {
		int t = i % IDS_TRACES;
		const char *trace = arena_printf(A, "%c-tr-%02d", tag, t * 7 % IDS_TRACES);
		const char *sess = i >= IDS_TRACES && !t
				       ? trace
				       : arena_printf(A, "%c-ss-%d", tag, t % IDS_SESSIONS);
		s[i] = mk(arena_printf(A, "%c%03d", tag, i), trace,
			  i < IDS_TRACES ? "" : arena_printf(A, "%c%03d", tag, t), sess,
			  arena_printf(A, "%sT%02d:%02d:%02dZ", d, i / 60, i % 60, i % 37), 1,
			  i % 3 ? KIND_LLM : KIND_TOOL, SPST_SUCCESS, "gpt-4o", i, 0.5);
		s[i].input = filler;
	}
	append(s, IDS_SPANS / 2);
	append(s + IDS_SPANS / 2, IDS_SPANS - IDS_SPANS / 2);
	free(s);
}

static enum query_group_by group_by[2];
static size_t group_nby;

static enum status groups_page(struct query *q, struct buf *b)
{
	return intake_pages_groups(q, group_by, group_nby, b);
}

/* Groups of day d's window by the keys by[0..nby), in both orders, pages 1 and 2 of 10, with
 * and without kind LLM, appended to all. */
static void day_groups(const char *d, const enum query_group_by *by, size_t nby, struct buf *all)
{
	static const char *const sorts[] = {"-span_count", "span_count"};
	memcpy(group_by, by, nby * sizeof *by);
	group_nby = nby;
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < 2; s++)
			for (long long p = 1; p < 3; p++) {
				q_init(sorts[s], p, 10,
				       arena_printf(A,
						    "{%s\"started_at\":{\"$gte\":\"%sT00:00:00Z\","
						    "\"$lte\":\"%sT23:59:59Z\"}}",
						    k ? "\"kind\":\"LLM\"," : "", d, d),
				       FILTER_SPANS);
				ck_assert_int_eq(groups_page(&Q, all), ST_OK);
			}
}

/* Every answer of day d (its spans tagged tag) that needs ids and no line, as one string (the
 * caller frees): groups by trace, session and both; each session; the spans counted under an
 * equality on each session and on some traces. */
static char *day_answers(char tag, const char *d)
{
	static const enum query_group_by trace[] = {QG_TRACE_ID}, sess[] = {QG_SESSION_ID},
					 both[] = {QG_SESSION_ID, QG_TRACE_ID};
	struct buf all;
	buf_init(&all);
	day_groups(d, trace, 1, &all);
	day_groups(d, sess, 1, &all);
	day_groups(d, both, 2, &all);
	for (int k = 0; k < IDS_SESSIONS; k++) {
		const char *id = arena_printf(A, "%c-ss-%d", tag, k);
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		ck_assert_int_eq(intake_pages_session(&Q, id, &all), ST_OK);
		size_t n;
		q_init("-started_at", 1, 10, arena_printf(A, "{\"session_id\":\"%s\"}", id),
		       FILTER_SPANS);
		ck_assert_int_eq(query_span_count(&Q, &n), ST_OK);
		q_init("-started_at", 1, 10,
		       arena_printf(A, "{\"trace_id\":\"%c-tr-%02d\"}", tag, k * 3), FILTER_SPANS);
		size_t m;
		ck_assert_int_eq(query_span_count(&Q, &m), ST_OK);
		buf_printf(&all, " %s: %zu spans, trace %d: %zu\n", id, n, k * 3, m);
	}
	return all.p;
}

/* The frames of sealed files decompressed while day d's answers are taken, which must be those
 * of plain. */
static uint64_t frames_answering(char tag, const char *d, const char *plain)
{
	uint64_t f0 = store_sealed_frames();
	char *got = day_answers(tag, d);
	uint64_t f = store_sealed_frames() - f0;
	ck_assert_str_eq(got, plain);
	free(got);
	return f;
}

static char answers_tag;
static const char *answers_day;

static char *answers_now(void)
{
	return day_answers(answers_tag, answers_day);
}

/* Day d's spans (tagged tag) stored, indexed and sealed, its answers taken from the lines alone
 * first (the caller frees them); with the index open, when ask (a query then holds the .tix
 * mapped: a file put in its place is noticed only after MAPC_PATH_MS), the same. */
static char *sealed_day(char tag, const char *d, bool ask)
{
	answers_tag = tag;
	answers_day = d;
	day_spans(tag, d);
	char *plain = unindexed(&d, 1, answers_now);
	ck_assert(index_day(d));
	if (ask)
		answers_as(answers_now, plain);
	uint64_t in = seal_day(d);
	ck_assert_uint_gt(in, 2 * SEAL_FRAME_BYTES);
	return plain;
}

/* How far from the end of day d's .tix its id strings begin: their bytes (the 8 before the
 * value lists) and the value lists' (the file's last 8 bytes, version 8); and its size. */
static long ids_bytes(const char *d, long *size)
{
	char *f = file_read(dayindex_of(fx_root, d), size);
	uint64_t n, lists;
	memcpy(&lists, f + *size - 8, 8);
	ck_assert_uint_lt(lists, (uint64_t)*size);
	memcpy(&n, f + *size - lists - 8, 8);
	free(f);
	ck_assert_uint_lt(n + lists, (uint64_t)*size);
	return (long)(n + lists);
}

/* Issue 57: on a sealed day a group's key, a tie between two groups, a session's traces and a
 * count under an equality on trace_id or session_id are answered from the .tix's id strings,
 * with no frame decompressed (main: 76 frames for a page of groups at 200k spans, bench/
 * query_bench), and as the lines answer them. A version 6 file is read as before (the lines
 * tell) and rebuilt; a damaged section is passed over, named by verify and rebuilt. */
START_TEST(sealed_ids)
{
	char *plain = sealed_day('a', "2024-03-09", true);
	ck_assert_uint_eq(frames_answering('a', "2024-03-09", plain), 0);
	for (int k = 0; k < IDS_TRACES; k += 13) { /* get trace: its root's line alone */
		struct buf b;
		buf_init(&b);
		q_init("-started_at", 1, 10, NULL, FILTER_TRACES);
		uint64_t f0 = store_sealed_frames();
		ck_assert_int_eq(intake_pages_trace(&Q, arena_printf(A, "a-tr-%02d", k), &b),
				 ST_OK);
		ck_assert_uint_le(store_sealed_frames() - f0, 1);
		ck_assert_ptr_nonnull(strstr(b.p, "\"span_count\":6"));
		buf_free(&b);
	}
	ck_assert_uint_eq(count_problems(), 0);
	free(plain);
	/* Version 6: the same file without the id strings. */
	plain = sealed_day('b', "2024-03-10", false);
	dayindex_v10("2024-03-10");
	long size, ids = ids_bytes("2024-03-10", &size);
	char *f = file_read(dayindex_of(fx_root, "2024-03-10"), &size);
	file_write_new(dayindex_of(fx_root, "2024-03-10"), f, dayindex_drop_ids(f, size));
	free(f);
	ck_assert_uint_gt(frames_answering('b', "2024-03-10", plain), 0);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day("2024-03-10"));
	ck_assert_uint_eq(frames_answering('b', "2024-03-10", plain), 0);
	free(plain);
	/* A byte of the first trace hash of the id strings damaged. */
	plain = sealed_day('c', "2024-03-11", false);
	ids = ids_bytes("2024-03-11", &size);
	file_damage(dayindex_of(fx_root, "2024-03-11"), size - ids + 16 + 3, 0x10);
	ck_assert_uint_gt(frames_answering('c', "2024-03-11", plain), 0);
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(index_day("2024-03-11"));
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert_uint_eq(frames_answering('c', "2024-03-11", plain), 0);
	free(plain);
}
END_TEST

void check_query_ids(TCase *index)
{
	tcase_add_test(index, sealed_ids);
}
