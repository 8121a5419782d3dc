/* check_query_phrase: phrases in lib/query over a day's pairs of adjacent words (issue 57): a
 * phrase its user is still typing, fresh, indexed and sealed under a budget; the rare words whose
 * pairs a .tix leaves out (but, version 10, after a common word), and a version 5 file that kept
 * them all; the triples of words of two pairs, one common (version 9), and a version 8 file
 * without them. Single words, the tail and
 * the rest of free text are in check_query_text.c. */
#include "t/check_query.h"
#include "lib/base/bits.h"
#include "lib/base/hash.h"

/* How many spans of "ws" hold phrase t. */
static size_t phrase_total(const char *t)
{
	struct query_rows r;
	q_init("started_at", 0, 0, NULL, FILTER_SPANS);
	Q.limit = 1;
	Q.search = &t;
	Q.nsearch = 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	return r.total;
}

/* Issue 57: a phrase of words every span holds, its last word cut short as a user types it:
 * the first word may end a longer word, the middle one is whole, the last is a prefix; another
 * gap between the words, another word in the middle, or a last word that does not start with
 * the prefix is no match. Fresh (the tail's segments, which have no pairs) its candidates' lines
 * decide; indexed and sealed it is answered from the pairs of words under a budget of bytes
 * that reading every span holding its words would overrun (so it was refused). */
START_TEST(phrase_prefix_pairs)
{
	enum { N = 300 };
	static char ids[N][8], ins[N][1120];
	static const char *const part[] = {"account order payment", "account order, payment",
					   "account order spa", "account orders pay",
					   "myaccount ORDER pay"};
	struct span s[N];
	char filler[1000];
	size_t fn = 0;
	while (fn + 80 < sizeof filler)
		fn += (size_t)snprintf(filler + fn, sizeof filler - fn, "%s",
				       "pay the order of the account then order a new account and "
				       "pay order account ");
	one_trace(s, N, ids, 'p', "2024-03-07");
	for (int k = 0; k < N; k++) {
		snprintf(ins[k], sizeof ins[k], "%s %s%s%s", k % 50 < 5 ? part[k % 50] : "",
			 k % 3 ? "" : "zebra crossing ", k % 4 ? "quiet harbor " : "harbor quiet ",
			 filler);
		s[k].input = ins[k];
	}
	for (int k = 0; k < N; k += 50)
		append(s + k, 50); /* six batches: six segments of the tail */
	const char *want = "p000,p004,p050,p054,p100,p104,p150,p154,p200,p204,p250,p254";
	/* Each span's line is about 1.1 KB and holds every word of the phrase: reading them all
	 * would cost 300 KB. */
	const char *terms[] = {"Account order pa"};
	for (int age = 0; age < 3; age++) {
		if (age == 1)
			ck_assert(index_day("2024-03-07"));
		if (age == 2)
			seal_day("2024-03-07");
		struct query_rows r;
		q_init("started_at", 0, 0, NULL, FILTER_SPANS);
		Q.limit = 100;
		Q.search = terms;
		Q.nsearch = 1;
		if (age)
			Q.budget_bytes = 64 << 10;
		ck_assert_msg(query_span_rows(&Q, &r) == ST_OK, "age %d: %s", age, Q.err.msg);
		ck_assert_str_eq(row_ids(&r), want);
		ck_assert_uint_eq(r.total, 12);
		/* A pair in a third of the records (its postings a bit per record), and pairs in
		 * all of them (no postings): "zebra crossing" in 100, "new account" in every one.
		 */
		ck_assert_uint_eq(phrase_total("Zebra crossing"), 100);
		ck_assert_uint_eq(phrase_total("a new account and pay"), N);
		/* In three records of four, its words the other way round in the fourth: a pair
		 * with no list, whose candidates are not all sure to hold it (two words apart by a
		 * space are known only from a list). */
		ck_assert_uint_eq(phrase_total("quiet harbor"), 225);
	}
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* The records of "ws"'s day d the .tix names for phrase t: their number, and *sure those it
 * knows hold it (0 when it knows none). */
static size_t phrase_candidates(const char *d, const char *t, size_t *sure)
{
	struct shard sh;
	uint64_t *bits, *known;
	const char *one[] = {t};
	size_t n = 0;
	*sure = 0;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	struct store_index ix;
	store_index_init(&ix, &fx_st, "ws", &sh);
	size_t covered = store_index_text(&ix, one, 1, &bits, &known);
	ck_assert_uint_eq(covered, sh.nrecs);
	for (size_t i = 0; i < covered; i++) {
		n += bits_get(bits, i);
		*sure += known && bits_get(known, i);
	}
	free(bits);
	free(known);
	store_index_free(&ix);
	shard_close(&sh);
	return n;
}

/* Day d's .tix labelled version v (its header's checksum made again): a version 10 file read as
 * version 9, whose bytes are laid out alike, reads no pair of a rare word. */
static void dayindex_set_version(const char *d, uint32_t v)
{
	long size;
	const char *path = dayindex_of(fx_root, d);
	char *f = file_read(path, &size);
	memcpy(f + 8, &v, 4);
	uint32_t crc = hash_crc32c(0, f, 124);
	memcpy(f + 124, &crc, 4);
	file_write_new(path, f, size);
	free(f);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

/* Day d's .tix of version 10 written as version 5 wrote it: no value lists or id strings
 * (dayindex_drop_ids), every pair kept, no rare bound after the pairs' number (docs/FORMAT.md,
 * "Pairs of words"), the text's and header's checksums made again. Right only for a day with no
 * rare word, whose file keeps every pair. */
static void dayindex_as_version5(const char *d)
{
	long size;
	const char *path = dayindex_of(fx_root, d);
	char *f = file_read(path, &size);
	uint32_t nw, five = 5, crc;
	size = dayindex_drop_ids(f, size);
	uint64_t blob, post, np, ppost;
	memcpy(&nw, f + 20, 4);
	memcpy(&blob, f + 48, 8);
	size_t offs = (blob + 7) / 8 * 8 + (4 * (nw + 1) + 7) / 8 * 8; /* the words' postings' */
	memcpy(&post, f + 128 + offs + 8 * nw, 8);
	size_t pairs = 128 + offs + 8 * (nw + 1) + (post + 7) / 8 * 8;
	memcpy(&np, f + pairs, 8);
	memcpy(&ppost, f + pairs + 16 + 16 * np, 8);
	memmove(f + pairs + 8, f + pairs + 16, (size_t)size - pairs - 16); /* the rare bound */
	size -= 8;
	memcpy(f + 8, &five, 4);
	crc = hash_crc32c(0, f + 128, pairs - 128 + 16 + 16 * np + (ppost + 7) / 8 * 8);
	memcpy(f + 56, &crc, 4);
	crc = hash_crc32c(0, f, 124);
	memcpy(f + 124, &crc, 4);
	file_write_new(path, f, size);
	free(f);
	/* A query takes the file it mapped, as it was checked, until told (store_forget_day), as
	 * for MAPC_PATH_MS after it looked. */
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

/* The records of "ws"'s day d the .tix names for term t and those it knows hold it, as a string
 * of 'c' (a candidate), 'k' (known) and '.' a record. */
static char *term_map(const char *d, const char *t)
{
	struct shard sh;
	uint64_t *bits, *known;
	const char *one[] = {t};
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	struct store_index ix;
	store_index_init(&ix, &fx_st, "ws", &sh);
	size_t covered = store_index_text(&ix, one, 1, &bits, &known);
	ck_assert_uint_eq(covered, sh.nrecs);
	char *m = malloc(covered + 1);
	for (size_t i = 0; i < covered; i++)
		m[i] = known && bits_get(known, i) ? 'k' : bits_get(bits, i) ? 'c' : '.';
	m[covered] = 0;
	free(bits);
	free(known);
	store_index_free(&ix);
	shard_close(&sh);
	return m;
}

static uint64_t get8(const char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t get4(const char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* A list's form byte in a .tix of version 11 (docs/FORMAT.md, "Every list in its shortest form"):
 * its form in the low 5 bits; 4 an Elias-Fano sequence, 5 one of indexes among its base's. */
enum { FORM_MASK = 0x1f, FORM_EF = 4, FORM_SUBEF = 5 };

/* Where a version 11 .tix f holds its lists: the words' offsets and postings, the pairs' keys (6
 * bytes each), offsets (4) and postings, and the text section's end. */
struct v11_at {
	size_t nw, woffs, wpost, np, pkeys, poffs, ppost, end;
};

static struct v11_at v11_parts(const char *f)
{
	struct v11_at a;
	a.nw = get4(f + 20);
	ck_assert_uint_eq(get4(f + 8), 11);
	ck_assert_uint_eq(get4(f + 128), 4); /* offsets of 4 bytes */
	a.woffs = 136 + (get8(f + 48) + 7) / 8 * 8 + (4 * (a.nw + 1) + 7) / 8 * 8;
	a.wpost = a.woffs + (4 * (a.nw + 1) + 7) / 8 * 8;
	size_t pairs = a.wpost + (get4(f + a.woffs + 4 * a.nw) + 7) / 8 * 8;
	a.np = get8(f + pairs);
	a.pkeys = pairs + 16;
	a.poffs = a.pkeys + (6 * a.np + 7) / 8 * 8; /* keys of 6 bytes */
	a.ppost = a.poffs + (4 * (a.np + 1) + 7) / 8 * 8;
	size_t tri = a.ppost + (get4(f + a.poffs + 4 * a.np) + 7) / 8 * 8, nt = get8(f + tri);
	size_t toffs = tri + 16 + (6 * nt + 7) / 8 * 8;
	a.end = toffs + (4 * (nt + 1) + 7) / 8 * 8 + (get4(f + toffs + 4 * nt) + 7) / 8 * 8;
	return a;
}

/* file f of size bytes, its byte at damaged to x, its text's and header's checksums made again,
 * written over day d's .tix; f as it was. */
static void v11_damage(const char *d, char *f, long size, size_t at, int x)
{
	struct v11_at a = v11_parts(f);
	char old = f[at];
	for (int i = 0; i < 2; i++) { /* damaged and written, then put back in f */
		f[at] = i ? old : (char)x;
		uint32_t crc = hash_crc32c(0, f + 128, a.end - 128);
		memcpy(f + 56, &crc, 4);
		crc = hash_crc32c(0, f, 124);
		memcpy(f + 124, &crc, 4);
		if (!i)
			file_write_new(dayindex_of(fx_root, d), f, size);
	}
	store_forget_day(&fx_st, "ws", fx_day_of(d));
}

/* Issue 57, goal 4: a .tix of version 11 writes each list of words, pairs and triples in its
 * shortest form (Elias-Fano, a bit per record, LEB128; a pair's relative to its rarer word, a
 * triple's to its rarer pair) with offsets of 4 bytes. Words in every record, one in 2, 3, 7,
 * 40, 150 and 601 (the last record), pairs in a few records of a common word's, and triples:
 * every term's candidates and known records are those of version 10's layout (the old version
 * read), their totals those of the lines, and a damaged list (a count of an Elias-Fano sequence,
 * a form byte) is never used: verify names it. */
START_TEST(compact_forms)
{
	enum { N = 601 };
	static char ids[N][8], ins[N][200];
	static const char *const terms[] = {"every",	    "half",
					    "third",	    "seventh",
					    "fortieth",	    "rarest",
					    "last",	    "every half",
					    "half every",   "every third",
					    "every half t", "seventh fox",
					    "fox seventh",  "every half third",
					    "blue sky",	    "every seventh fox",
					    "half third",   "the red fox",
					    "red fox ran",  "zzz"};
	struct span s[N];
	one_trace(s, N, ids, 'c', "2024-03-14");
	for (int k = 0; k < N; k++) {
		snprintf(ins[k], sizeof ins[k], "every %s%s%s%s%s%s %s blue sky the red fox ran %d",
			 k % 2 ? "" : "half ", k % 3 ? "" : "third ", k % 7 ? "" : "seventh ",
			 k % 40 ? "" : "fortieth ", k % 150 == 7 ? "rarest " : "",
			 k == N - 1 ? "last " : "", k % 5 == 1 ? "seventh fox" : "fox", k);
		s[k].input = ins[k];
	}
	append(s, 300);
	append(s + 300, N - 300);
	size_t nt = sizeof terms / sizeof *terms;
	char *want[sizeof terms / sizeof *terms];
	size_t total[sizeof terms / sizeof *terms];
	dayindex_v10("2024-03-14");
	for (size_t i = 0; i < nt; i++) {
		want[i] = term_map("2024-03-14", terms[i]);
		total[i] = phrase_total(terms[i]);
	}
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day("2024-03-14")); /* version 10 is out of date */
	ck_assert(!index_day("2024-03-14"));
	/* Version 12 (no phrase here has a rare word in it to anchor), then version 11's layout,
	 * whose forms are looked at below. */
	for (int v = 12; v >= 11; v--) {
		if (v == 11)
			dayindex_at("2024-03-14", "11");
		for (size_t i = 0; i < nt; i++) {
			char *m = term_map("2024-03-14", terms[i]);
			ck_assert_msg(!strcmp(m, want[i]), "%s: %s, version 10 %s", terms[i], m,
				      want[i]);
			ck_assert_uint_eq(phrase_total(terms[i]), total[i]);
			free(m);
		}
	}
	ck_assert_uint_eq(total[0], N);
	size_t seventh = 0; /* "seventh" alone, or before "fox" */
	for (int k = 0; k < N; k++)
		seventh += k % 7 == 0 || k % 5 == 1;
	ck_assert_uint_eq(total[3], seventh);
	ck_assert_uint_eq(total[6], 1);
	ck_assert_uint_eq(count_problems(), 0);
	/* The forms the builder chose: an Elias-Fano word, and a pair relative to its word. */
	long size;
	char *f = file_read(dayindex_of(fx_root, "2024-03-14"), &size);
	struct v11_at a = v11_parts(f);
	size_t ef = 0, rel = 0;
	for (size_t k = 0; k < a.nw && !ef; k++) {
		size_t o = a.wpost + get4(f + a.woffs + 4 * k);
		if ((f[o] & FORM_MASK) == FORM_EF && (unsigned char)f[o + 1] < 0x7f)
			ef = o;
	}
	for (size_t j = 1; j < a.np && !rel; j++) {
		size_t o = a.ppost + get4(f + a.poffs + 4 * j);
		if ((f[o] & FORM_MASK) == FORM_SUBEF && (unsigned char)f[o + 1] < 0x7f)
			rel = o;
	}
	ck_assert_uint_gt(ef, 0);
	ck_assert_uint_gt(rel, 0);
	/* A count one more than its values, a form byte no version has (under checksums made
	 * again): each a problem verify names, and never read (the phrase's candidates are then
	 * its lines'). */
	const size_t at[] = {ef + 1, rel + 1, rel};
	for (size_t i = 0; i < 3; i++) {
		v11_damage("2024-03-14", f, size, at[i], i == 2 ? 0x1e : f[at[i]] + 1);
		ck_assert_uint_eq(count_problems(), 1);
		ck_assert_uint_eq(phrase_total("seventh fox"), total[11]);
		file_write_new(dayindex_of(fx_root, "2024-03-14"), f, size);
		store_forget_day(&fx_st, "ws", fx_day_of("2024-03-14"));
		ck_assert_uint_eq(count_problems(), 0);
	}
	free(f);
	for (size_t i = 0; i < nt; i++)
		free(want[i]);
}
END_TEST

/* Issue 57: a .tix (version 6) keeps no pair of a word in DAYINDEX_RARE_WORD records of the day
 * or fewer; that word's records stand for its pairs. A phrase with such a word is answered
 * exactly at every age, its candidates the records holding its words, none sure; a word in one
 * record more keeps its pairs, whose records are its candidates, sure. */
START_TEST(rare_word_pairs)
{
	enum { N = 300, R = DAYINDEX_RARE_WORD };
	static char ids[N][8], ins[N][160];
	struct span s[N];
	one_trace(s, N, ids, 'r', "2024-03-08");
	/* "edge" in R records, in "sharp edge" in half of them and "edge sharp" in the others;
	 * "ridge" in R + 1, "steep ridge" in the first R / 2; "ridges" in the last span, which
	 * "steep ridge" may begin. "sharp" and "steep" in every span. */
	for (int k = 0; k < N; k++) {
		const char *e = k >= R ? "" : k % 2 ? "edge sharp" : "sharp edge";
		const char *g = k == N - 1   ? "ridges"
				: k >= R + 1 ? ""
				: k < R / 2  ? "steep ridge"
					     : "ridge steep";
		snprintf(ins[k], sizeof ins[k], "%s, %s; the sharp steep road %d", e, g, k);
		s[k].input = ins[k];
	}
	for (int k = 0; k < N; k += 100)
		append(s + k, 100);
	ck_assert(index_day("2024-03-08"));
	size_t sure;
	/* The common "sharp" then the rare "edge": a pair kept (version 10), its records known; the
	 * rare "edge" then "sharp": no pair, its records stand for it. */
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "sharp edge", &sure), R / 2);
	ck_assert_uint_eq(sure, R / 2);
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "edge sharp", &sure), R);
	ck_assert_uint_eq(sure, 0);
	/* The records of the pair are known to hold the phrase; the rare "ridges" follows no word.
	 */
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "steep ridge", &sure), R / 2);
	ck_assert_uint_eq(sure, R / 2);
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "ridge steep", &sure), R / 2 + 1);
	/* Read as version 9 (the same bytes): no pair of a rare word, its records stand for them.
	 */
	dayindex_v10("2024-03-08");
	dayindex_set_version("2024-03-08", 9);
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "sharp edge", &sure), R);
	ck_assert_uint_eq(sure, 0);
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "steep ridge", &sure), R / 2 + 1);
	ck_assert_uint_eq(sure, R / 2);
	ck_assert_uint_eq(phrase_total("sharp edge"), R / 2);
	/* A version 5 file keeps every pair and has no rare bound: read so (this one, made from
	 * the version 10 file, lacks the pairs of a rare word after a word not common, so it names
	 * no record for them), and the next build writes version 10 in its place. */
	ck_assert(index_day("2024-03-08"));
	dayindex_v10("2024-03-08");
	dayindex_as_version5("2024-03-08");
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "steep ridge", &sure), R / 2);
	ck_assert_uint_eq(sure, R / 2);
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "edge sharp", &sure), 0);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert(index_day("2024-03-08"));
	ck_assert_uint_eq(phrase_candidates("2024-03-08", "edge sharp", &sure), R);
	for (int age = 1; age < 3; age++) {
		if (age == 2)
			seal_day("2024-03-08");
		ck_assert_uint_eq(phrase_total("sharp edge"), R / 2);
		ck_assert_uint_eq(phrase_total("edge sharp"), R / 2);
		ck_assert_uint_eq(phrase_total("the sharp edge"), 0);
		ck_assert_uint_eq(phrase_total("Sharp ed"), R / 2);
		ck_assert_uint_eq(phrase_total("steep ridge"), R / 2);
		ck_assert_uint_eq(phrase_total("ridge steep"), R / 2 + 1);
	}
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* How many of texts[0..n) hold t, its letters in either case: the reference the index answers as.
 */
static size_t holding(char (*texts)[128], int n, const char *t)
{
	size_t c = 0;
	for (int k = 0; k < n; k++)
		c += strcasestr(texts[k], t) != NULL;
	return c;
}

/* Issue 57: "with the wo" on prose: its two pairs are in nearly every record (as here: "with the"
 * and "the work" in all of them), so the pairs leave every record a candidate. A .tix of version
 * 9 keeps the triples of two pairs of which one is in more than the bound's records
 * (DAYINDEX_TRIPLE_SHARE): a phrase of three words is known from them, the last one a prefix; a
 * rare first word's records stand for its triples (not known), the records of two pairs that are
 * not common for theirs. Version 10 keeps the pairs of a common word then a rare one, and lists
 * their triples: the rare last word typed ("world") is known too. Every phrase's total against
 * strcasestr fresh, indexed, read as version 9, as version 8 (no triples), with a tail past the
 * index, with its text section damaged and sealed. */
START_TEST(phrase_triples)
{
	enum { N = 300, T = 40 };
	static char ids[N][8], tids[T][8], ins[N + T][128];
	static const char *const part[] = {
	    "with the work",	"with the world", "with  the work", "notwith the works",
	    "the with the cat", "blue fox ran",	  "blue fox",	    "fox ran the world"};
	static const char *const phrases[] = {
	    "With the wo",     "with the work",	 "with the w",
	    "notwith the wo",  "with the cat",	 "the cat and",
	    "and the work is", "with  the work", "cat and the work is done",
	    "th the wor",      "with the worl",	 "the world",
	    "the wor",	       "world",		 "ran the world",
	    "fox ran the wo"};
	struct span s[N], t[T];
	one_trace(s, N, ids, 't', "2024-03-13");
	one_trace(t, T, tids, 'u', "2024-03-13");
	for (int k = 0; k < N + T; k++) {
		snprintf(ins[k], sizeof ins[k],
			 "%s; with the cat and the work is done, blue sky, red fox, ran %d",
			 k % 10 < 8 ? part[k % 10] : "", k);
		(k < N ? s + k : t + k - N)->input = ins[k];
	}
	for (int k = 0; k < N; k += 100)
		append(s + k, 100);
	size_t sure, n = N;
	for (int age = 0; age < 7; age++) {
		if (age == 1) {
			ck_assert(index_day("2024-03-13"));
			/* "with the work" in 30 records and "with the world" in 30 known (the
			 * rare "world" after the common "the"), and 30 of the rare "notwith"
			 * (which "with" may end) not. */
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "With the wo", &sure),
					  90);
			ck_assert_uint_eq(sure, 60);
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "with the work", &sure),
					  60);
			ck_assert_uint_eq(sure, 30);
			/* "the world" in 60 records, "with the world" in half of them (a bit
			 * each of the pair's records, WORDS_PAIR_SUB) */
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "the world", &sure), 60);
			ck_assert_uint_eq(sure, 60);
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "with the world", &sure),
					  30);
			ck_assert_uint_eq(sure, 30);
			/* "blue fox" and "fox ran" each in 60 records (not common), both in 30 */
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "blue fox ran", &sure),
					  30);
			ck_assert_uint_eq(sure, 0);
		}
		if (age == 2) { /* as version 9 reads it: "world"'s records stand for it */
			dayindex_v10("2024-03-13");
			dayindex_set_version("2024-03-13", 9);
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "With the wo", &sure),
					  120);
			ck_assert_uint_eq(sure, 30);
		}
		if (age == 3) { /* as version 8 wrote it: the pairs alone, every record */
			long size;
			dayindex_v10("2024-03-13");
			char *f = file_read(dayindex_of(fx_root, "2024-03-13"), &size);
			file_write_new(dayindex_of(fx_root, "2024-03-13"), f,
				       dayindex_drop_triples(f, size));
			free(f);
			store_forget_day(&fx_st, "ws", fx_day_of("2024-03-13"));
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "With the wo", &sure), N);
			ck_assert_uint_eq(count_problems(), 0);
		}
		if (age == 4) { /* built again, then a tail past it */
			ck_assert(index_day("2024-03-13"));
			ck_assert_uint_eq(phrase_candidates("2024-03-13", "With the wo", &sure),
					  90);
			append(t, T);
			n = N + T;
		}
		if (age == 5) { /* a byte of the text section damaged: its lines answer */
			file_damage(dayindex_of(fx_root, "2024-03-13"), 128 + 8, 0x20);
			store_forget_day(&fx_st, "ws", fx_day_of("2024-03-13"));
		}
		if (age == 6) {
			ck_assert(index_day("2024-03-13"));
			ck_assert_uint_eq(count_problems(), 0);
			seal_day("2024-03-13");
		}
		for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
			ck_assert_msg(phrase_total(phrases[i]) == holding(ins, (int)n, phrases[i]),
				      "age %d: %s: %zu, not %zu", age, phrases[i],
				      phrase_total(phrases[i]), holding(ins, (int)n, phrases[i]));
	}
	ck_assert_uint_eq(holding(ins, N, "With the wo"), 90);
	ck_assert_uint_eq(holding(ins, N, "the world"), 60);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* The ids of page `page` (10 rows, newest first) of the spans holding phrase t, and its total. */
static char *phrase_page(const char *t, long long page, size_t *total)
{
	struct query_rows r;
	q_init("-started_at", page, 10, NULL, FILTER_SPANS);
	Q.search = &t;
	Q.nsearch = 1;
	ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
	*total = r.total;
	return strdup(row_ids(&r));
}

/* Issue 57, goal 2: a phrase of four words with a rare one ("in accordance with the") was known
 * from no list (a rare word keeps no pairs of its own), so every record of the rare word was read,
 * on a sealed day a frame each. A .tix of version 12 keeps the two words before and after a rare
 * word in the records where every occurrence of it has the same ones: a phrase of up to five
 * words within two of it is known there. Here "accordance" (in 40 records) is in "be in accordance
 * with the" in 30, "be in accordance with these" in 4 (the last word a prefix of "these"), "see
 * accordance with the" in 3, and in 3 records twice, with the 30's words and others (not known).
 * Totals and pages against every line read (fresh), indexed as versions 12 and 11, and sealed. */
START_TEST(rare_word_context)
{
	enum { N = 300 };
	static char ids[N][8], ins[N][128];
	static const char *const phrases[] = {
	    "in accordance with the",	"accordance with the",
	    "n accordance with th",	"be in accordance with the terms",
	    "in accordance with these", "Accordance with",
	    "shall be in accordance",	"be in accordance",
	    "see accordance with the",	"in accordance with the rules"};
	/* sure as version 12 knows them: the 30 records, but past two words of the rare one, or
	 * another word than the 30's */
	static const size_t known[] = {30, 30, 30, 0, 0, 30, 0, 30, 0, 0};
	struct span s[N];
	one_trace(s, N, ids, 'a', "2024-03-15");
	for (int k = 0; k < N; k++) {
		const char *a = k < 30	 ? "it shall be in accordance with the terms of use; "
				: k < 34 ? "it shall be in accordance with these rules; "
				: k < 37 ? "see accordance with the terms; "
				: k < 40
				    ? "it shall be in accordance with the terms; by accordance, "
				    : "";
		snprintf(ins[k], sizeof ins[k],
			 "%sthe rules shall be kept with the terms in force %d", a, k);
		s[k].input = ins[k];
	}
	for (int k = 0; k < N; k += 100)
		append(s + k, 100);
	size_t np = sizeof phrases / sizeof *phrases, total, sure;
	char *page[2][sizeof phrases / sizeof *phrases];
	for (int age = 0; age < 4; age++) {
		if (age == 1)
			ck_assert(index_day("2024-03-15"));
		if (age == 2)
			dayindex_at("2024-03-15", "11");
		if (age == 3) {
			ck_assert(index_day("2024-03-15"));
			ck_assert_uint_eq(count_problems(), 0);
			seal_day("2024-03-15");
		}
		for (size_t i = 0; i < np; i++) {
			size_t want = holding(ins, N, phrases[i]);
			if (age == 1 || age == 2) {
				size_t c = phrase_candidates("2024-03-15", phrases[i], &sure);
				ck_assert_msg(sure == (age == 1 ? known[i] : 0) && c >= want,
					      "age %d: %s: %zu candidates, %zu known", age,
					      phrases[i], c, sure);
			}
			for (int p = 0; p < 2; p++) {
				char *ids_p = phrase_page(phrases[i], p + 1, &total);
				ck_assert_msg(total == want, "age %d: %s: %zu, not %zu", age,
					      phrases[i], total, want);
				if (!age) {
					page[p][i] = ids_p;
					continue;
				}
				ck_assert_msg(!strcmp(ids_p, page[p][i]),
					      "age %d: %s page %d: %s, not %s", age, phrases[i],
					      p + 1, ids_p, page[p][i]);
				free(ids_p);
			}
		}
	}
	ck_assert_uint_eq(holding(ins, N, "in accordance with the"), 37);
	ck_assert_uint_eq(holding(ins, N, "accordance with the"), 40);
	ck_assert_uint_eq(count_problems(), 0);
	for (size_t i = 0; i < np; i++)
		for (int p = 0; p < 2; p++)
			free(page[p][i]);
}
END_TEST

void check_query_phrase(TCase *index)
{
	tcase_add_test(index, rare_word_context);
	tcase_add_test(index, phrase_prefix_pairs);
	tcase_add_test(index, rare_word_pairs);
	tcase_add_test(index, phrase_triples);
	tcase_add_test(index, compact_forms);
}
