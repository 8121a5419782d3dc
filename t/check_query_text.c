/* check_query_text: free text in lib/query: the needle against a reference, the text and field
 * index of a day (.tix) and the writer's text of its tail (.tdx), sealed days, a replaced or
 * undone index, and a search box's phrases and words (the words of an index against a
 * reference cutter are in check_query_words.c). Phrases over a day's pairs of words are in
 * check_query_phrase.c. */
#include "t/check_query.h"

#include "lib/base/bits.h"

/* The reference for utf8_needle_find: decode both texts, fold every code point, compare
 * at each character start. */
static size_t decode(const char *s, size_t n, uint32_t *cp)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			cp[k++] = c;
			i++;
		} else if ((c & 0xe0) == 0xc0) {
			cp[k++] = (uint32_t)(c & 0x1f) << 6 | ((unsigned char)s[i + 1] & 0x3f);
			i += 2;
		} else {
			cp[k++] = (uint32_t)(c & 0x0f) << 12 |
				  ((unsigned char)s[i + 1] & 0x3f) << 6 |
				  ((unsigned char)s[i + 2] & 0x3f);
			i += 3;
		}
	}
	return k;
}

static bool naive_find(const char *h, const char *nd)
{
	uint32_t a[600], b[64];
	size_t na = decode(h, strlen(h), a), nb = decode(nd, strlen(nd), b);
	for (size_t i = 0; i + nb <= na; i++) {
		size_t j = 0;
		while (j < nb && utf8_fold(a[i + j]) == utf8_fold(b[j]))
			j++;
		if (j == nb)
			return true;
	}
	return false;
}

static bool cfind(const char *h, const char *nd)
{
	return utf8_casefind(h, strlen(h), nd, strlen(nd));
}

START_TEST(text_search)
{
	/* Folding: Latin-1 and Extended-A, Greek with tonos and final sigma, Cyrillic. */
	ck_assert(cfind("Crème BRÛLÉE", "brûlée"));
	ck_assert(cfind("ŁÓDŹ", "łódź"));
	ck_assert(cfind("ΟΔΥΣΣΕΥΣ", "οδυσσευς"));
	ck_assert(cfind("Άλφα", "άλφα"));
	ck_assert(cfind("ΠΡΙΒΕΤ МИР", "приВЕТ мир") == false);
	ck_assert(cfind("ПРИВЕТ мир", "приВЕТ МИР"));
	ck_assert(cfind("ЁЛКА", "ёлка"));
	ck_assert(cfind("say WEATHER", "weather"));
	ck_assert(!cfind("weathe", "weather"));
	ck_assert(cfind("x", ""));
	/* CRC-32C (the text index's checksum): the check value, and the same at every length
	 * and alignment as the bitwise definition. */
	ck_assert_uint_eq(hash_crc32c(0, "123456789", 9), 0xe3069283u);
	unsigned char data[300];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (size_t off = 0; off < 9; off++)
		for (size_t n = 0; n + off <= sizeof data; n += 37) {
			uint32_t c = ~0u;
			for (size_t i = 0; i < n; i++) {
				c ^= data[off + i];
				for (int k = 0; k < 8; k++)
					c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			}
			ck_assert_uint_eq(hash_crc32c(0, data + off, n), ~c);
		}
	ck_assert_uint_eq(utf8_fold(0x17f), 0x17f); /* long s: its folding would shrink it */
	ck_assert_uint_eq(utf8_fold(0xd7), 0xd7);   /* the multiplication sign has no case */
	/* Against the reference, on random texts of letters that fold and bytes that do not,
	 * long enough for the vector loop and its tail, with the term planted or not. */
	static const char *const alpha[] = {"a", "B", "z", "Q", " ", "\"", ":", "7",
					    "é", "É", "ß", "σ", "Σ", "ς",  "д", "Д",
					    "я", "Я", "ё", "Ё", "€", "ĳ",  "Ĳ", "\\"};
	const size_t na = sizeof alpha / sizeof *alpha;
	uint64_t seed = 42;
	for (int round = 0; round < 20000; round++) {
		char h[700], nd[64];
		size_t hn = 0, nn = 0, hl, nl;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		hl = (seed >> 33) % 200;
		nl = 1 + (seed >> 20) % 5;
		for (size_t i = 0; i < nl; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *c = alpha[(seed >> 33) % na];
			memcpy(nd + nn, c, strlen(c));
			nn += strlen(c);
		}
		nd[nn] = 0;
		for (size_t i = 0; i < hl; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			const char *c = alpha[(seed >> 33) % (round % 3 ? na : 6)];
			if ((seed >> 50) % 97 == 0 && hn + nn < 600) { /* the term, cases swapped */
				for (size_t k = 0; k < nn; k++)
					h[hn + k] = nd[k] >= 'a' && nd[k] <= 'z'
							? (char)(nd[k] - 32)
							: nd[k];
				hn += nn;
				continue;
			}
			memcpy(h + hn, c, strlen(c));
			hn += strlen(c);
		}
		h[hn] = 0;
		ck_assert_msg(utf8_casefind(h, hn, nd, nn) == naive_find(h, nd), "%s in %s", nd, h);
	}
}
END_TEST

/* The rule a free-text term answers by, as first written: the term within the value, as the
 * line holds it, of a member name, input or output. */
static bool text_rule(const char *p, size_t n, const char *term)
{
	size_t pos = 0;
	struct jline_member f;
	while (jline_next(p, n, &pos, &f))
		if (((f.kn == 4 && !memcmp(f.k, "name", 4)) ||
		     (f.kn == 5 && !memcmp(f.k, "input", 5)) ||
		     (f.kn == 6 && !memcmp(f.k, "output", 6))) &&
		    utf8_casefind(f.v, f.vn, term, strlen(term)))
			return true;
	return false;
}

START_TEST(text_fields)
{
	/* 600 spans of one day whose name, agent name (a member before the input), input and
	 * output are cut from pieces that hold parts of the terms, quotes, backslashes, keys and
	 * folding letters; then each term's spans, by the query and by the rule over the lines. */
	static const char *const bits[] = {"we",    "ather", "WEATHER", "\"", "\\", "input",
					   "\":\"", "name",  "Σ",	"ς",  "x",  " ",
					   "}",	    "\"}",   "a\"",	"ΟΔ", "οδ"};
	static const char *const terms[] = {"weather", "input", "r\"", "e\":",	  "\"}", "ς",
					    "οδ",      "\\",	"x ",  "ather\"", "r\","};
	enum { N = 600, NB = sizeof bits / sizeof *bits };
	static char ids[N][12], txt[N][4][64];
	struct span *sp = calloc(N, sizeof *sp);
	uint64_t seed = 7;
	for (int i = 0; i < N; i++) {
		for (int f = 0; f < 4; f++) {
			size_t at = 0;
			for (int k = 0; k < 1 + i % 7; k++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				at += (size_t)snprintf(txt[i][f] + at, sizeof txt[i][f] - at, "%s",
						       bits[(seed >> 33) % NB]);
			}
		}
		snprintf(ids[i], sizeof ids[i], "tf%03d", i);
		sp[i] = mk(ids[i], "tf", "", "sess-tf", "2024-03-09T10:00:00Z", 1, KIND_LLM,
			   SPST_SUCCESS, NULL, -1, NAN);
		sp[i].name = txt[i][0];
		sp[i].str[SS_AGENT_NAME] = txt[i][1];
		sp[i].input = txt[i][2];
		sp[i].output = txt[i][3];
	}
	append(sp, N);
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of("2024-03-09"), &sh), ST_OK);
	size_t some = 0; /* terms some span has (e": is in keys only: none) */
	for (size_t t = 0; t < sizeof terms / sizeof *terms; t++) {
		/* The rule's spans, in start order (all start together: ties by id). */
		char want[N * 8] = "";
		size_t at = 0, hits = 0;
		for (size_t r = 0; r < sh.nrecs; r++) {
			const char *p, *v;
			size_t n, vn;
			ck_assert(shard_view(&sh, r, &p, &n));
			ck_assert(jline_get(p, n, "span_id", &v, &vn));
			if (text_rule(p, n, terms[t])) {
				at += (size_t)snprintf(want + at, sizeof want - at, "%s%.*s",
						       hits++ ? "," : "", (int)vn - 2, v + 1);
			}
		}
		const char *one[] = {terms[t]};
		struct query_rows rows;
		q_init("started_at", 0, 0, "{\"trace_id\":\"tf\"}", FILTER_SPANS);
		Q.limit = N;
		Q.search = one;
		Q.nsearch = 1;
		ck_assert_int_eq(query_span_rows(&Q, &rows), ST_OK);
		ck_assert_msg(hits < N, "term %s: %zu of the spans", terms[t], hits);
		some += hits > 0;
		ck_assert_str_eq(row_ids(&rows), want);
	}
	ck_assert_uint_ge(some, 8);
	shard_close(&sh);
	free(sp);
}
END_TEST

START_TEST(text_index)
{
	/* x2: a word past DAYINDEX_MAX_WORD: its record is a candidate for every term */
	struct span x[3] = {
	    mk_text("x1", "t9", "", "sess-x", "2024-03-02T12:00:00Z", "Take tram 28 through Lisbon",
		    "Ο Οδυσσεύς και ο ΟΔΥΣΣΕΥΣ"),
	    mk_text("x2", "t9", "x1", "sess-x", "2024-03-02T12:00:01Z",
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaazebra!",
		    NULL),
	    mk_text("x3", "t9", "x1", "sess-x", "2024-03-02T12:00:02Z", NULL,
		    "{\"city\":\"LISBON\"}"),
	};
	append(x, 3);
	static const char *const cases[][3] = {
	    {"lisbon", NULL, "x1,x3"}, {"TRAM 28", NULL, "x1"}, {"οδυσσευς", NULL, "x1"},
	    {"ebra", NULL, "x2"},      {"some", "S5", "s5"},	{"nothing", NULL, ""},
	    {"!", NULL, "x2"},	       {"28", "lisbon", "x1"},	{"city\\\":\\\"lis", NULL, "x3"},
	    {"tram", "ΟΔΥΣ", "x1"},    {"zzz", "lisbon", ""},
	};
	const size_t nc = sizeof cases / sizeof *cases;
	for (size_t k = 0; k < nc; k++)
		ck_assert_str_eq(found(cases[k][0], cases[k][1]), cases[k][2]);
	static const char *const filters[][2] = {
	    {"{\"model\":\"gpt-4o\"}", "s2,s3,s5"},
	    {"{\"model\":\"claude\"}", ""},
	    {"{\"model\":\"gpt-4o\",\"status\":\"error\"}", "s3"},
	    {"{\"name\":\"x3\"}", "x3"},
	};
	const size_t nf = sizeof filters / sizeof *filters;
	for (size_t k = 0; k < nf; k++)
		ck_assert_str_eq(filtered(filters[k][0]), filters[k][1]);
	/* Indexed: the same answers; a second build has nothing to do. */
	ck_assert(index_day("2024-03-01"));
	ck_assert(index_day("2024-03-02"));
	ck_assert(!index_day("2024-03-02"));
	for (size_t k = 0; k < nc; k++)
		ck_assert_str_eq(found(cases[k][0], cases[k][1]), cases[k][2]);
	for (size_t k = 0; k < nf; k++)
		ck_assert_str_eq(filtered(filters[k][0]), filters[k][1]);
	/* The index narrows: of day 2's records only x1 and x3 hold "lisbon" (x2 every term). */
	/* A single word is known to match where an indexed word holds it (x1, x3), so those
	 * lines are not read; x2's over-long word leaves it a candidate only. Two words apart by
	 * one space are known from the pairs of words (docs/FORMAT.md, "Pairs of words"), but
	 * only of words past DAYINDEX_RARE_WORD records: here each is rare, its pairs left out. */
	struct shard sh;
	uint64_t *bits, *sure;
	size_t covered, nset = 0, nsure = 0;
	const char *lisbon[] = {"lisbon"}, *phrase[] = {"through lisbon"};
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of("2024-03-02"), &sh), ST_OK);
	struct store_index ix;
	store_index_init(&ix, &fx_st, "ws", &sh);
	covered = store_index_text(&ix, lisbon, 1, &bits, &sure);
	ck_assert_uint_eq(covered, sh.nrecs);
	ck_assert_ptr_nonnull(sure);
	for (size_t i = 0; i < covered; i++) {
		nset += bits[i >> 6] >> (i & 63) & 1;
		nsure += sure[i >> 6] >> (i & 63) & 1;
	}
	ck_assert_uint_eq(nset, 3);
	ck_assert_uint_eq(nsure, 2);
	free(bits);
	free(sure);
	/* Two words apart by a space, each rare: their pair is not kept, so the candidates are
	 * the records holding both words (x1, and x2 for its over-long word), none sure. */
	ck_assert_uint_eq(store_index_text(&ix, phrase, 1, &bits, &sure), covered);
	nset = nsure = 0;
	for (size_t i = 0; i < covered; i++) {
		nset += bits_get(bits, i);
		nsure += sure && bits_get(sure, i);
	}
	ck_assert_uint_eq(nset, 2);
	ck_assert_uint_eq(nsure, 0);
	free(bits);
	free(sure);
	/* The field columns: each record's model as its line holds it ("gpt-4o" with quotes),
	 * absent where it has none. */
	int model = store_dayindex_col_of("model", NULL);
	size_t with_model = 0, absent = 0;
	for (size_t i = 0; i < covered; i++) {
		with_model +=
		    store_index_col(&ix, model, i) == store_dayindex_hash("\"gpt-4o\"", 8);
		absent += store_index_col(&ix, model, i) == DAYINDEX_ABSENT;
	}
	ck_assert_uint_eq(with_model, 2);		     /* s3 and the second version of s5 */
	ck_assert_uint_eq(with_model + absent, covered - 1); /* and the first s5: claude */
	ck_assert_int_eq(store_dayindex_col_of("evaluation_context", "evaluation_id"), -1);
	store_index_free(&ix);
	shard_close(&sh);
	/* Spans stored after the build are read line by line; a new version that lost the term
	 * is no match, before the next build and after it. */
	struct span y =
	    mk_text("y1", "t9", "x1", "sess-x", "2024-03-02T12:00:03Z", "back to lisbon", NULL);
	append(&y, 1);
	struct span x1b = x[0];
	x1b.input = "Take the train to Porto";
	append(&x1b, 1);
	ck_assert_str_eq(found("lisbon", NULL), "x3,y1");
	ck_assert(index_day("2024-03-02"));
	ck_assert_str_eq(found("lisbon", NULL), "x3,y1");
	ck_assert_str_eq(found("porto", NULL), "x1");
	ck_assert_uint_eq(count_problems(), 0);
	/* An index of other records (another store's same day, as if the day's last records were
	 * undone and written again) is not trusted: the answers stay those of the lines. */
	char other[64], cmd[320];
	snprintf(other, sizeof other, "/tmp/check_query_o.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(other));
	struct store st2;
	store_init(&st2, other, false);
	struct span z = mk_text("z1", "t8", "", "sess-z", "2024-03-02T01:00:00Z",
				"nothing about portugal", NULL);
	struct err e = {ST_OK, ""};
	ck_assert_int_eq(store_append(&st2, "ws", &z, 1, &e), ST_OK);
	bool built;
	ck_assert_int_eq(store_text_index(&st2, "ws", fx_day_of("2024-03-02"), &built, &covered),
			 ST_OK);
	char from[128];
	snprintf(from, sizeof from, "%s", dayindex_of(other, "2024-03-02"));
	snprintf(cmd, sizeof cmd, "cp %s %s", from, dayindex_of(fx_root, "2024-03-02"));
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_str_eq(found("lisbon", NULL), "x3,y1");
	ck_assert_str_eq(found("porto", NULL), "x1");
	ck_assert_uint_eq(count_problems(), 0); /* stale, not damaged */
	snprintf(cmd, sizeof cmd, "rm -rf %s", other);
	ck_assert_int_eq(system(cmd), 0);
	/* A damaged index is not trusted either, and verify says so. */
	ck_assert(index_day("2024-03-02"));
	FILE *f = fopen(dayindex_of(fx_root, "2024-03-02"), "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, -1, SEEK_END);
	fputc(0x7f, f);
	fclose(f);
	ck_assert_str_eq(found("lisbon", NULL), "x3,y1");
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(truncate(dayindex_of(fx_root, "2024-03-02"), 70) == 0);
	ck_assert_str_eq(found("porto", NULL), "x1");
	ck_assert_uint_eq(count_problems(), 1);
}
END_TEST

/* A sealed day of several zstd frames (about 64 KiB of lines each): a word at the start and
 * one at the end of every span's text are found, so the last line of each frame and the first
 * of the next are; a phrase made of the end of one span's text and the start of the next's
 * (neighbours in the stream, and across a frame at one pair) is not, with the lines read
 * (no index) and with the index. */
START_TEST(sealed_frames)
{
	enum { N = 240 };
	static char ids[N][8], ins[N][640], outs[N][32];
	struct span s[N];
	char filler[600];
	size_t fn = 0;
	while (fn + 8 < sizeof filler)
		fn += (size_t)snprintf(filler + fn, sizeof filler - fn, "%s", "pad wax ");
	one_trace(s, N, ids, 'f', "2024-03-05");
	for (int k = 0; k < N; k++) {
		snprintf(ins[k], sizeof ins[k], "head%03d %s", k, filler);
		snprintf(outs[k], sizeof outs[k], "%s tail%03d", k % 2 ? "ok" : "done", k);
		s[k].input = ins[k];
		s[k].output = outs[k];
	}
	append(s, N);
	uint64_t in = seal_day("2024-03-05");
	ck_assert_uint_gt(in, 3 * (64u << 10)); /* at least four frames */
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			ck_assert(index_day("2024-03-05"));
		for (int k = 0; k < N; k++) {
			char t[64], u[64];
			snprintf(t, sizeof t, "HEAD%03d", k);
			snprintf(u, sizeof u, "tail%03d", k);
			ck_assert_str_eq(found(t, u), ids[k]);
			if (k + 1 == N)
				continue;
			snprintf(t, sizeof t, "tail%03d head%03d", k, k + 1);
			ck_assert_str_eq(found(t, NULL), "");
		}
	}
	ck_assert_str_eq(found("\"}", NULL), ""); /* the end of a line is no text */
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* The day's index (store_index_text) of sh for terms: the records it answers for, the bits in
 * *bits and *sure (NULL: none); *tix the records of those the .tix covers. */
size_t day_text_of(struct shard *sh, const char *const *terms, uint64_t **bits, uint64_t **sure,
		   size_t *tix)
{
	struct store_index x;
	store_index_init(&x, &fx_st, "ws", sh);
	size_t covered = store_index_text(&x, terms, 1, bits, sure);
	*tix = x.day_covered;
	store_index_free(&x);
	return covered;
}

/* The writer's text tail (<day>.tdx, issue 10): with no .tix, each batch's segment answers for
 * its records, so a term's candidates are the records holding it and a one-word term needs no
 * line; `spandex index` folds the tail into the .tix and removes it, and the next batch starts
 * a new tail past what the .tix covers; a damaged segment is passed over (its records' lines
 * decide) and verify names it; a writer killed between its segment and its commit leaves
 * nothing a reader trusts. */
START_TEST(text_tail)
{
	const char *day = "2024-03-06";
	struct span x[3] = {
	    mk_text("w1", "tw", "", "sess-w", "2024-03-06T12:00:00Z", "Take tram 28 through Lisbon",
		    NULL),
	    mk_text("w2", "tw", "w1", "sess-w", "2024-03-06T12:00:01Z", "Porto by train", NULL),
	    mk_text("w3", "tw", "w1", "sess-w", "2024-03-06T12:00:02Z", NULL,
		    "{\"city\":\"LISBON\"}"),
	};
	append(x, 2); /* one segment of two records, then one of one */
	append(x + 2, 1);
	struct shard sh;
	uint64_t *bits = NULL, *sure = NULL;
	const char *lisbon[] = {"lisbon"}, *phrase[] = {"through lisbon"}, *bang[] = {"!"};
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	ck_assert_uint_gt(sh.text_end, 0);
	size_t tix;
	ck_assert_uint_eq(day_text_of(&sh, lisbon, &bits, &sure, &tix), 3);
	ck_assert_uint_eq(tix, 0); /* no .tix: the tail answers for all */
	ck_assert_str_eq(bitstr(bits, 3), "101");
	ck_assert_str_eq(bitstr(sure, 3), "101");
	free(bits);
	free(sure);
	bits = sure = NULL;
	ck_assert_uint_eq(day_text_of(&sh, phrase, &bits, &sure, &tix), 3);
	/* "through" then "lisbon": a segment has no pairs of words, so the line decides */
	ck_assert_str_eq(bitstr(bits, 3), "100");
	ck_assert_ptr_null(sure);
	free(bits);
	bits = NULL;
	ck_assert_uint_eq(day_text_of(&sh, bang, &bits, &sure, &tix), 0);
	ck_assert_ptr_null(bits);
	shard_close(&sh);
	ck_assert_str_eq(found("lisbon", NULL), "w1,w3");
	ck_assert_str_eq(found("through lisbon", NULL), "w1");
	ck_assert_str_eq(found("TRAIN", NULL), "w2");
	ck_assert_uint_eq(count_problems(), 0);
	/* Folded: the .tix covers every record, the tail is gone. */
	ck_assert(index_day(day));
	ck_assert_int_ne(access(tailindex_of(day), F_OK), 0);
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	ck_assert_uint_eq(sh.text_end, 0);
	shard_close(&sh);
	/* A new tail past the .tix: the bits of both, one array. */
	struct span y =
	    mk_text("y1", "tw", "w1", "sess-w", "2024-03-06T12:00:03Z", "back to lisbon", NULL);
	append(&y, 1);
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	ck_assert_uint_eq(day_text_of(&sh, lisbon, &bits, &sure, &tix), 4);
	ck_assert_uint_eq(tix, 3);
	ck_assert_str_eq(bitstr(bits, 4), "1011");
	ck_assert_str_eq(bitstr(sure, 4), "1011");
	free(bits);
	free(sure);
	shard_close(&sh);
	ck_assert_str_eq(found("lisbon", NULL), "w1,w3,y1");
	/* A damaged segment is passed over: the answer is the .tix's, y1 is a candidate again, its
	 * line decides. */
	file_damage(tailindex_of(day), -9, 0x7f);
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	ck_assert_uint_eq(day_text_of(&sh, lisbon, &bits, &sure, &tix), 3);
	ck_assert_str_eq(bitstr(bits, 3), "101");
	free(bits);
	free(sure);
	shard_close(&sh);
	ck_assert_str_eq(found("lisbon", NULL), "w1,w3,y1");
	ck_assert_str_eq(found("back", NULL), "y1");
	ck_assert_uint_eq(count_problems(), 1);
	ck_assert(index_day(day));
	ck_assert_uint_eq(count_problems(), 0);
	/* Killed between its segment and its commit: the batch never reached its commit point
	 * (the journal has it open), so the next writer undoes it, and its batch's segment is
	 * written over the dead one. */
	struct span k =
	    mk_text("k1", "tk", "", "sess-k", "2024-03-06T13:00:00Z", "a killedword", NULL);
	append_killed_by("SPANDEX_TEST_KILL_IN_TEXT", &k, 1);
	struct span z =
	    mk_text("z1", "tz", "", "sess-z", "2024-03-06T14:00:00Z", "a keptword", NULL);
	append(&z, 1);
	ck_assert_str_eq(found("killedword", NULL), "");
	ck_assert_str_eq(found("keptword", NULL), "z1");
	ck_assert_str_eq(found("a", NULL), "w1,w2,y1,z1");
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(day), &sh), ST_OK);
	const char *killed[] = {"killedword"};
	ck_assert_uint_eq(day_text_of(&sh, killed, &bits, &sure, &tix), 5);
	ck_assert_uint_eq(tix, 4); /* folded; no segment but z1's, which holds no killedword */
	ck_assert_str_eq(bitstr(bits, 5), "00000");
	free(bits);
	free(sure);
	shard_close(&sh);
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* Builds day d's text index in another process, as `spandex index` does: this one is not told
 * of the new file. */
static void index_day_elsewhere(const char *d)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(index_day(d) ? 0 : 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A process takes a day's .tix to be the file it mapped last, with no stat, for up to a second
 * (MAPC_PATH_MS, lib/store/mapcache.h). A search right after `spandex index` (another process)
 * replaced it and folded the tail away reads the spans the old file does not cover line by
 * line; one after the process is told (store_forget_day, as after that second) reads the new
 * file. Both find every span. */
START_TEST(dayindex_replaced)
{
	const char *day = "2024-03-07";
	struct span a =
	    mk_text("r1", "tr", "", "sess-r", "2024-03-07T12:00:00Z", "first harbour", NULL);
	append(&a, 1);
	ck_assert(index_day(day));
	ck_assert_str_eq(found("harbour", NULL), "r1");
	struct span b =
	    mk_text("r2", "tr", "r1", "sess-r", "2024-03-07T12:00:01Z", "second harbour", NULL);
	append(&b, 1);
	index_day_elsewhere(day);
	ck_assert_int_ne(access(tailindex_of(day), F_OK), 0);
	ck_assert_str_eq(found("harbour", NULL), "r1,r2");
	ck_assert_str_eq(found("second", NULL), "r2");
	store_forget_day(&fx_st, "ws", fx_day_of(day));
	ck_assert_str_eq(found("harbour", NULL), "r1,r2");
	ck_assert_str_eq(found("second", NULL), "r2");
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* A batch the journal undoes, with the text index built while it was committed in one shard
 * (a writer killed between two days of it): once undone, no search returns its span, before
 * and after the next build, and when the batch is sent again and the day's last record is
 * again a version of the same span. */
START_TEST(undone_batch_not_searched)
{
	struct span b[3];
	static const char *const days[] = {"2024-03-03T09:00:00Z", "2024-03-04T09:00:00Z",
					   "2024-03-05T09:00:00Z"};
	static const char *const bid[] = {"u1", "u2", "u3"};
	for (int k = 0; k < 3; k++) {
		b[k] = mk(bid[k], "tu", "", "sess-u", days[k], 1, KIND_LLM, SPST_SUCCESS, NULL, -1,
			  NAN);
		b[k].input = "an undoneword here";
	}
	append_killed(b, 3);
	/* The index is built over what readers see of the first day: the batch is open in the
	 * journal, so not u1, although its record is committed there. */
	index_day("2024-03-03");
	ck_assert_str_eq(found("undoneword", NULL), "");
	/* The next writer undoes the batch and adds a span of its own on that day. */
	struct span z =
	    mk_text("z1", "tz", "", "sess-z", "2024-03-03T10:00:00Z", "a keptword here", NULL);
	append(&z, 1);
	ck_assert_str_eq(found("undoneword", NULL), "");
	ck_assert_str_eq(found("keptword", NULL), "z1");
	ck_assert_str_eq(found("here", NULL), "z1");
	ck_assert(index_day("2024-03-03"));
	ck_assert_str_eq(found("undoneword", NULL), "");
	ck_assert_str_eq(found("here", NULL), "z1");
	/* Killed again, indexed, undone; the retry then stores the batch whole: its spans, once
	 * each (the undone record of u1 is gone, the new one is the day's last again). */
	append_killed(b, 3);
	index_day("2024-03-03");
	ck_assert_str_eq(found("undoneword", NULL), "");
	b[0].input = "a retried text";
	append(b, 3);
	ck_assert_str_eq(found("undoneword", NULL), "u2,u3");
	ck_assert_str_eq(found("retried", NULL), "u1");
	ck_assert_str_eq(found("here", NULL), "z1,u2,u3");
	ck_assert(index_day("2024-03-03"));
	ck_assert_str_eq(found("undoneword", NULL), "u2,u3");
	ck_assert_str_eq(found("here", NULL), "z1,u2,u3");
	ck_assert_uint_eq(count_problems(), 0);
}
END_TEST

/* A search box's text: words, and "quoted phrases" kept whole (issue 35). */
START_TEST(search_phrases_and_words)
{
	struct arena *a = arena_new();
	const char **t;
	size_t n;
	ck_assert_int_eq(
	    search_terms_parse(a, " \"Connection  refused\" upstream \"  by x \" don\"t \"\" ", 10,
			       256, &t, &n),
	    SEARCH_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(t[0], "Connection  refused");
	ck_assert_str_eq(t[1], "upstream");
	ck_assert_str_eq(t[2], "by x");
	ck_assert_str_eq(t[3], "don\"t");
	ck_assert_int_eq(search_terms_parse(a, "a \"b c", 10, 256, &t, &n), SEARCH_UNCLOSED);
	ck_assert_int_eq(search_terms_parse(a, "a b c", 2, 256, &t, &n), SEARCH_TOO_MANY);
	ck_assert_int_eq(search_terms_parse(a, "\"abc def\"", 10, 6, &t, &n), SEARCH_TOO_LONG);
	ck_assert_int_eq(search_terms_parse(a, "", 10, 6, &t, &n), SEARCH_OK);
	ck_assert_uint_eq(n, 0);
	/* A text its API takes as one phrase stays whole unless it holds a quote. */
	ck_assert_int_eq(search_phrase_terms(a, "connection refused", &t, &n), SEARCH_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0], "connection refused");
	ck_assert_int_eq(search_phrase_terms(a, "\"connection refused\" retry", &t, &n), SEARCH_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[0], "connection refused");
	ck_assert_str_eq(t[1], "retry");
	ck_assert_int_eq(search_phrase_terms(a, "", &t, &n), SEARCH_OK);
	ck_assert_uint_eq(n, 0);
	arena_free(a);
}
END_TEST

void check_query_text(TCase *store, TCase *index, TCase *text)
{
	tcase_add_test(store, text_index);
	tcase_add_test(store, text_tail);
	tcase_add_test(index, sealed_frames);
	tcase_add_test(index, undone_batch_not_searched);
	tcase_add_test(index, dayindex_replaced);
	tcase_add_test(index, text_fields);
	tcase_add_test(text, search_phrases_and_words);
	tcase_add_test(text, text_search);
}
