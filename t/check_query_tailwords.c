/* check_query_tailwords: the words of a day's tail (.tdx) as a worker keeps them merged
 * (lib/store/tailread.c, struct tailindex_words): each search's candidates and sure records
 * against a reference of the word rules read from the spans' own text, after each batch, for a
 * reader of an older state, with the kept words dropped, a segment of an older spandex, a
 * damaged one, and a tail past a new .tix; and the spans found against reading every line. */
#include "t/check_query.h"
#include "lib/base/bits.h"

enum { TW_N = 150, TW_MORE = 3 };

/* The text of each record of the day, in record order: its name (the span's id), input and
 * output, as the writer takes their words. */
static char tw_text[TW_N + TW_MORE][400];

static const char *const tw_terms[] = {"with the wo",
				       "the",
				       "wo",
				       "ord",
				       "with the work",
				       "lisbon tram",
				       "in accordance with the",
				       "nothingthere",
				       "TRAM",
				       "café",
				       "th wo",
				       "sword,",
				       "out",
				       "aaaa",
				       "Wobble"};
enum { TW_NTERMS = sizeof tw_terms / sizeof *tw_terms };

/* Whether record i may hold term t by its words (every run in a word, anchored as the search
 * anchors it), *any when it is a candidate of every term; *whole whether t is one run. */
static bool tw_may(size_t i, const char *t, bool *any, bool *whole)
{
	size_t len = strlen(t), runs = 0;
	bool all = true;
	*any = false;
	for (size_t at = 0; at < len;) {
		char run[64];
		if (!ref_word_byte((unsigned char)t[at])) {
			at++;
			continue;
		}
		size_t a = at;
		while (at < len && ref_word_byte((unsigned char)t[at]))
			at++;
		runs++;
		*whole = a == 0 && at == len;
		utf8_fold_text(t + a, at - a, run);
		all = ref_holds_run(tw_text[i], run, at - a, a > 0, at < len, any) && all;
	}
	*whole = *whole && runs == 1;
	return all || *any;
}

/* That the day's index of sh answers each term with the records of [from, sh->nrecs) as the
 * reference says, records [lo, hi) (a damaged segment's) candidates and never sure; and for
 * records before from, as *tix had them (NULL: no .tix). 1 when it does. */
static int tw_right_of(struct shard *sh, size_t from, size_t lo, size_t hi, uint64_t **tix)
{
	for (size_t k = 0; k < TW_NTERMS; k++) {
		struct store_index x;
		uint64_t *bits = NULL, *sure = NULL;
		const char *t[] = {tw_terms[k]};
		store_index_init(&x, &fx_st, "ws", sh);
		ck_assert_uint_eq(store_index_text(&x, t, 1, &bits, &sure), sh->nrecs);
		ck_assert_uint_eq(x.day_covered, from);
		store_index_free(&x);
		bool whole = false, any;
		for (size_t i = 0; i < sh->nrecs; i++) {
			bool may = tw_may(i, tw_terms[k], &any, &whole), b = bits_get(bits, i);
			bool s = sure && bits_get(sure, i), loose = i >= lo && i < hi;
			if (i < from)
				ck_assert_int_eq(b, bits_get(tix[k], i));
			else if (b != (may || loose) || (s && (any || loose || !may))) {
				fprintf(stderr, "%s: record %zu: %d %d, reference %d %d\n",
					tw_terms[k], i, b, s, may, whole && !any && !loose && may);
				return 0;
			}
		}
		/* sure only of a term of one run with no .tix's phrase beside it, and then of
		 * every record that holds it past from */
		if (!from || whole)
			ck_assert_int_eq(sure != NULL, whole);
		for (size_t i = from; sure && i < sh->nrecs; i++) {
			bool may = tw_may(i, tw_terms[k], &any, &whole);
			ck_assert_int_eq(bits_get(sure, i), may && !any && !(i >= lo && i < hi));
		}
		free(bits);
		free(sure);
	}
	return 1;
}

static int tw_right(const char *d, size_t from, size_t lo, size_t hi, uint64_t **tix)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	int r = tw_right_of(&sh, from, lo, hi, tix);
	shard_close(&sh);
	return r;
}

/* What a search of each term finds. */
static char *tw_found(void)
{
	struct buf b;
	buf_init(&b);
	for (size_t k = 0; k < TW_NTERMS; k++)
		buf_printf(&b, "|%s|", found(tw_terms[k], NULL));
	return b.p;
}

/* The words of the tail (issue 57): a worker merges the segments' word dictionaries into one
 * and extends it with the segments written since, so a search looks its words up once a day,
 * not once a segment (a day written a trace per request has thousands). The candidates are
 * those of the segments' own dictionaries: a record holding a word that holds each run of the
 * term, a partial last word as a prefix; the lines decide the rest. */
START_TEST(tail_words)
{
	const char *d = "2024-03-15";
	static const char *const days[] = {"2024-03-15"};
	static const char *const vocab[] = {
	    "with",
	    "the",
	    "work",
	    "world",
	    "would",
	    "sword",
	    "Lisbon",
	    "tram",
	    "accordance",
	    "in",
	    "of",
	    "Wobble",
	    "café",
	    "THE",
	    "works,",
	    "in  accordance",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaazed"};
	static const size_t batches[] = {1, 3, 17, 40, 1, 1, 7, 40, 40};
	static char ids[TW_N + TW_MORE][12], tr[TW_N + TW_MORE][12], starts[TW_N + TW_MORE][32],
	    input[TW_N + TW_MORE][300];
	static struct span s[TW_N + TW_MORE];
	uint64_t *tix[TW_NTERMS] = {0};
	/* A segment merged a search (lib/store/tailread.c, merge_step): searches meet the kept
	 * words with segments past them, asked one by one. */
	setenv("SPANDEX_TEST_TAIL_MERGE_BYTES", "1", 1);
	for (int i = 0; i < TW_N + TW_MORE; i++) {
		size_t o = 0;
		for (int w = 0, n = 3 + i % 6; w < n; w++) {
			unsigned r = (unsigned)(i * 31 + w * 17 + i * w * 7);
			o += (size_t)snprintf(input[i] + o, sizeof input[i] - o, "%s%s",
					      w ? " " : "",
					      vocab[r % (sizeof vocab / sizeof *vocab)]);
		}
		snprintf(ids[i], sizeof ids[i], "q%03d", i);
		snprintf(tr[i], sizeof tr[i], "qw%d", i / 4);
		snprintf(starts[i], sizeof starts[i], "2024-03-15T%02d:%02d:%02dZ", i / 3600,
			 i / 60 % 60, i % 60);
		s[i] = mk_text(ids[i], tr[i], "", "sess-w", starts[i], input[i], NULL);
		snprintf(tw_text[i], sizeof tw_text[i], "%s %s some output", ids[i], input[i]);
	}
	struct shard old;
	size_t at = 0;
	for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
		append(s + at, batches[b]);
		at += batches[b];
		ck_assert_int_eq(tw_right(d, 0, 0, 0, NULL), 1);
		if (at == 21)
			ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &old), ST_OK);
	}
	ck_assert_uint_eq(at, TW_N);
	char *plain = unindexed(days, 1, tw_found);
	answers_as(tw_found, plain);
	/* A reader of the state of 21 records, after the kept words took all of them. */
	ck_assert_uint_eq(old.nrecs, 21);
	ck_assert_int_eq(tw_right_of(&old, 0, 0, 0, NULL), 1);
	shard_close(&old);
	/* Dropped (as past MAPC_MAX_BYTES, or a file changed behind the worker's back): made
	 * again from the segments, the same answers. */
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tw_right(d, 0, 0, 0, NULL), 1);
	/* The fourth segment (records 21 to 60) as the spandex before columns wrote it (SPXTDX2):
	 * its words as they were. */
	long size;
	char *file = file_read(tailindex_of(d), &size), *seg = file;
	for (int k = 0; k < 3; k++) {
		uint64_t body;
		memcpy(&body, seg + 32, 8);
		seg += 64 + body;
	}
	char *orig = malloc((size_t)size);
	memcpy(orig, file, (size_t)size);
	seg_as_keys_only(seg, 40);
	file_write_new(tailindex_of(d), file, size);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tw_right(d, 0, 0, 0, NULL), 1);
	answers_as(tw_found, plain);
	/* A damaged byte in that segment's body: it does not check, its records are candidates of
	 * every term and never sure, as a segment that cannot answer leaves them. */
	file_write_new(tailindex_of(d), orig, size);
	file_damage(tailindex_of(d), (long)(seg - file) + 64 + 16, 0x55);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tw_right(d, 0, 21, 61, NULL), 1);
	answers_as(tw_found, plain);
	ck_assert_uint_eq(count_problems(), 1);
	/* Its words' first byte, word 0's end, wrong, its checksums made again: the segment is
	 * whole but its words do not read, and its records are candidates as before. */
	memcpy(file, orig, (size_t)size);
	uint64_t body;
	memcpy(&body, seg + 32, 8);
	seg[64] = 'x';
	uint32_t crc = hash_crc32c(0, seg + 64, body);
	memcpy(seg + 56, &crc, 4);
	crc = hash_crc32c(0, seg, 60);
	memcpy(seg + 60, &crc, 4);
	file_write_new(tailindex_of(d), file, size);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert_int_eq(tw_right(d, 0, 21, 61, NULL), 1);
	answers_as(tw_found, plain);
	free(file);
	free(orig);
	free(plain);
	/* Indexed, then a tail again past the .tix: the .tix's bits, then the tail's. */
	ck_assert(index_day(d));
	ck_assert_uint_eq(count_problems(), 0);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	for (size_t k = 0; k < TW_NTERMS; k++) { /* the .tix's own, to compare with */
		struct shard sh;
		struct store_index x;
		uint64_t *sure = NULL;
		const char *t[] = {tw_terms[k]};
		ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
		store_index_init(&x, &fx_st, "ws", &sh);
		ck_assert_uint_eq(store_index_text(&x, t, 1, &tix[k], &sure), TW_N);
		store_index_free(&x);
		shard_close(&sh);
		free(sure);
	}
	append(s + TW_N, 1);
	append(s + TW_N + 1, TW_MORE - 1);
	ck_assert_int_eq(tw_right(d, TW_N, 0, 0, tix), 1);
	plain = unindexed(days, 1, tw_found);
	answers_as(tw_found, plain);
	free(plain);
	for (size_t k = 0; k < TW_NTERMS; k++)
		free(tix[k]);
}
END_TEST

void check_query_tailwords(TCase *store)
{
	tcase_add_test(store, tail_words);
}
