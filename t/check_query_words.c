/* check_query_words: the words of a text index against a reference cutter (the word rules of
 * ref_word_byte and ref_holds_run, which check_query_tailwords.c shares),
 * in a batch's tail segment and then in the day's .tix: random texts, and a dictionary's table of
 * short words. */
#include "t/check_query.h"

#include <ctype.h>
#include "lib/base/bits.h"

/* The words of a text index against a reference cutter (issue 35: words_add reads 8 bytes at
 * a time). Random texts whose words end on both sides of each 8-byte step and of DAYINDEX_MAX_WORD,
 * half of them ASCII, the others with non-ASCII letters; every word of every span (name, input,
 * output) is a term: its candidates in the batch's tail segment, and then in the day's .tix, must
 * be the records where a folded word of at most DAYINDEX_MAX_WORD bytes holds it, plus those with a
 * longer word (word 0); its sure records the first without the second. */
bool ref_word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

bool ref_holds_run(const char *s, const char *t, size_t tn, bool left, bool right, bool *lng)
{
	size_t n = s ? strlen(s) : 0;
	char w[4096];
	bool hit = false;
	for (size_t i = 0; i < n;) {
		if (!ref_word_byte((unsigned char)s[i])) {
			i++;
			continue;
		}
		size_t a = i, wn;
		while (i < n && ref_word_byte((unsigned char)s[i]))
			i++;
		if ((wn = i - a) > DAYINDEX_MAX_WORD) {
			*lng = true;
			continue;
		}
		utf8_fold_text(s + a, wn, w);
		if (left || right)
			hit = hit || (wn >= tn && (!left || !right || wn == tn) &&
				      !memcmp(left ? w : w + wn - tn, t, tn));
		else
			hit = hit || memmem(w, wn, t, tn);
	}
	return hit;
}

/* Whether text s holds folded term t in one of its words of at most DAYINDEX_MAX_WORD bytes (*lng:
 * it has a longer word). */
static bool ref_holds(const char *s, const char *t, bool *lng)
{
	return ref_holds_run(s, t, strlen(t), false, false, lng);
}

static void random_text(char *out, size_t cap, unsigned *seed)
{
	static const char *const letters[] = {"a", "B", "z", "Q", "7", "0", "é", "Ω", "中", "😀"};
	static const char *const gaps[] = {" ", ", ", ".", "-", "_", ":", "!", "(", " / "};
	static const size_t lens[] = {1, 2, 5, 7, 8, 9, 15, 16, 17, 24, 31, 63, 64, 65, 70};
	size_t o = 0;
	int words = 1 + rand_r(seed) % 12;
	if (rand_r(seed) % 3 == 0)
		o += (size_t)snprintf(out, cap, "%s", gaps[rand_r(seed) % 9]);
	for (int k = 0; k < words; k++) {
		size_t len = lens[rand_r(seed) % 15], at = o;
		bool ascii = rand_r(seed) % 2;
		while (o - at < len && o + 8 < cap) {
			const char *l =
			    letters[rand_r(seed) % (!ascii && o - at + 4 <= len ? 10 : 6)];
			o += (size_t)snprintf(out + o, cap - o, "%s", l);
		}
		if (k + 1 < words || rand_r(seed) % 2)
			o += (size_t)snprintf(out + o, cap - o, "%s", gaps[rand_r(seed) % 9]);
	}
	out[o] = 0;
}

static void check_words(const char *day, struct span *x, size_t n, bool tail)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	size_t tix;
	char *terms[3 * 64 * 16];
	size_t nt = 0;
	for (size_t i = 0; i < n; i++) {
		const char *f[3] = {x[i].name, x[i].input, x[i].output};
		for (int j = 0; j < 3; j++)
			for (const char *s = f[j]; s && *s;) {
				while (*s && !ref_word_byte((unsigned char)*s))
					s++;
				const char *a = s;
				while (*s && ref_word_byte((unsigned char)*s))
					s++;
				if (s > a && s - a <= DAYINDEX_MAX_WORD &&
				    nt < sizeof terms / sizeof *terms) {
					terms[nt] = strndup(a, (size_t)(s - a));
					utf8_fold_text(a, (size_t)(s - a), terms[nt++]);
				}
			}
	}
	for (size_t k = 0; k < nt; k++) {
		uint64_t *bits = NULL, *sure = NULL;
		const char *t[] = {terms[k]};
		ck_assert_uint_eq(day_text_of(&sh, t, &bits, &sure, &tix), n);
		ck_assert_uint_eq(tix, tail ? 0 : n); /* the tail's answer, or the .tix's */
		ck_assert_ptr_nonnull(sure);
		for (size_t i = 0; i < n; i++) {
			bool lng = false, hit = ref_holds(x[i].name, terms[k], &lng);
			hit = ref_holds(x[i].input, terms[k], &lng) || hit;
			hit = ref_holds(x[i].output, terms[k], &lng) || hit;
			if (bits_get(bits, i) != (hit || lng) || bits_get(sure, i) != (hit && !lng))
				ck_abort_msg("term \"%s\", span %zu (\"%s\" / \"%s\"): %d %d",
					     terms[k], i, x[i].input, x[i].output,
					     bits_get(bits, i), bits_get(sure, i));
		}
		free(bits);
		free(sure);
		free(terms[k]);
	}
	shard_close(&sh);
}

/* Spans x[0..n) of day appended, their words checked in the tail segment, then in the .tix. */
static void words_tail_then_tix(const char *day, struct span *x, size_t n)
{
	append(x, n);
	check_words(day, x, n, true);
	ck_assert(index_day(day));
	check_words(day, x, n, false);
}

static void words_reference_case(void)
{
	enum { N = 48 };
	static char in[N][640], out[N][640], id[N][16], at[N][32];
	struct span x[N];
	unsigned seed = 20261126;
	for (size_t i = 0; i < N; i++) {
		random_text(in[i], sizeof in[i], &seed);
		random_text(out[i], sizeof out[i], &seed);
		snprintf(id[i], sizeof id[i], "r%zu", i);
		snprintf(at[i], sizeof at[i], "2024-03-09T10:%02zu:00Z", i);
		x[i] = mk_text(id[i], "tr", "", "sess-r", at[i], in[i], out[i]);
	}
	words_tail_then_tix("2024-03-09", x, N);
}

START_TEST(text_words_reference)
{
	words_reference_case();
}
END_TEST

/* Words of at most 8 bytes have their own table while a dictionary is built (words.c, slots8):
 * thousands of distinct ones, so that it doubles several times in one batch, each also written
 * in capitals and with a non-ASCII letter (which take add_one's fold into the same table), and
 * words of 9 to 16 bytes beside them; every word found in its records, in the tail segment and in
 * the .tix. */
static void words_short_table_case(void)
{
	enum { N = 40, W = 60 };
	static char in[N][W * 10], out[N][W * 10], id[N][16], at[N][32];
	struct span x[N];
	unsigned seed = 20261129;
	for (size_t i = 0; i < N; i++) {
		size_t o = 0, p = 0;
		for (int k = 0; k < W; k++) {
			size_t len = 1 + (size_t)rand_r(&seed) % (k % 10 ? 8 : 16);
			for (size_t j = 0; j < len; j++)
				in[i][o++] =
				    "abcdefghijklmnopqrstuvwxyz0123456789"[rand_r(&seed) % 36];
			in[i][o++] = ' ';
		}
		in[i][o] = 0;
		/* The output: the first ten words of the input in capitals, then with an "é" (two
		 * bytes) for their first letter when they have at most 6 bytes. */
		for (size_t a = 0, k = 0; k < 10; k++) {
			size_t z = a;
			while (in[i][z] != ' ')
				z++;
			for (size_t j = a; j < z; j++)
				out[i][p++] = (char)toupper((unsigned char)in[i][j]);
			out[i][p++] = ' ';
			if (z - a <= 6) {
				p += (size_t)snprintf(out[i] + p, sizeof out[i] - p, "\xc3\x89");
				memcpy(out[i] + p, in[i] + a + 1, z - a - 1);
				p += z - a - 1;
				out[i][p++] = ',';
			}
			a = z + 1;
		}
		out[i][p] = 0;
		snprintf(id[i], sizeof id[i], "s%zu", i);
		snprintf(at[i], sizeof at[i], "2024-03-10T10:%02zu:00Z", i);
		x[i] = mk_text(id[i], "ts", "", "sess-s", at[i], in[i], out[i]);
	}
	words_tail_then_tix("2024-03-10", x, N);
}

START_TEST(text_words_short_table)
{
	words_short_table_case();
}
END_TEST

/* words_add's two paths (words.c: a block's mask 32 bytes a step with AVX2 and BMI where the
 * CPU has them, else 16) cut the same words: the two tests above again with the test hook
 * SPANDEX_TEST_WORDS_NARROW set, so that the 16-byte path is checked against the reference on a
 * CPU with AVX2 too (where the tests above check the 32-byte one). */
START_TEST(text_words_narrow)
{
	ck_assert_int_eq(setenv("SPANDEX_TEST_WORDS_NARROW", "1", 1), 0);
	words_reference_case();
	words_short_table_case();
	unsetenv("SPANDEX_TEST_WORDS_NARROW");
}
END_TEST

void check_query_words(TCase *store)
{
	tcase_add_test(store, text_words_narrow);
	tcase_add_test(store, text_words_reference);
	tcase_add_test(store, text_words_short_table);
}
