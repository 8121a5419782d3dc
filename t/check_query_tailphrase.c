/* check_query_tailphrase: the pairs and triples of words of a day's tail, which a worker builds
 * from the tail's lines a step per phrase search (lib/store/tailphrase.h): each phrase's
 * candidates and sure records against the spans' own text (every line read) after each batch,
 * with the pairs partly built, the tail grown past them, the kept state dropped and a reader of
 * an older state; the totals and pages of each search against reading every line; the
 * candidates once built against the .tix `spandex index` makes of the same records; and a tail
 * past that .tix. */
#include "t/check_query.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "lib/base/bits.h"

enum { TP_N = 400, TP_MORE = 40 };

/* The text of each record as the search sees it: its id, input and output. */
static char tp_text[TP_N + TP_MORE][400];

static const char *const tp_terms[] = {"Agent calls a tool",
				       "calls a to",
				       "with the wo",
				       "the world",
				       "account order pa",
				       "weather flights",
				       "a tool",
				       "order pay the",
				       "tool with",
				       "zebra nothing",
				       "flights account order pay with",
				       "agent calls a tool with the world",
				       "s a t",
				       "world",
				       "zebra world quokka"};
/* The phrase of a rare word (TP_RARE: "quokka", a record in forty): the parts answer for it as
 * for the others (their words and pairs), where a rare word's pairs stand for it. */
enum { TP_RARE = 14 };
enum { TP_NTERMS = sizeof tp_terms / sizeof *tp_terms };

/* That the day's index of sh answers each phrase with every record of [from, sh->nrecs) that
 * holds it a candidate and only those sure, records before from as tix[k] and xsure[k] had them
 * (NULL: as the spans' text says), the .tix's sure ones sure whatever the tail can say of its
 * own; the candidates and sure records of the phrases into got[k] and gsure[k] (NULL: not
 * kept). 1 when it does. */
static int tp_right_of(struct shard *sh, size_t from, uint64_t **tix, uint64_t **xsure,
		       uint64_t **got, uint64_t **gsure)
{
	for (size_t k = 0; k < TP_NTERMS; k++) {
		struct store_index x;
		uint64_t *bits = NULL, *sure = NULL;
		const char *t[] = {tp_terms[k]};
		store_index_init(&x, &fx_st, "ws", sh);
		ck_assert_uint_eq(store_index_text(&x, t, 1, &bits, &sure), sh->nrecs);
		ck_assert_uint_eq(x.day_covered, from);
		store_index_free(&x);
		for (size_t i = 0; i < sh->nrecs; i++) {
			bool holds = strcasestr(tp_text[i], tp_terms[k]) != NULL;
			bool b = bits_get(bits, i), s = sure && bits_get(sure, i);
			if (i < from && tix) {
				ck_assert_int_eq(b, bits_get(tix[k], i));
				ck_assert_int_eq(s, xsure[k] && bits_get(xsure[k], i));
			} else if ((holds && !b) || (s && !holds)) {
				fprintf(stderr, "%s: record %zu: %d %d, holds %d\n", tp_terms[k], i,
					b, s, holds);
				return 0;
			}
		}
		if (got) {
			got[k] = bits;
			gsure[k] = sure;
		} else {
			free(bits);
			free(sure);
		}
	}
	return 1;
}

static int tp_right(const char *d, size_t from, uint64_t **tix, uint64_t **xsure)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	int r = tp_right_of(&sh, from, tix, xsure, NULL, NULL);
	shard_close(&sh);
	return r;
}

/* What a search of each term finds: its total, and its second page of five, newest first. */
static char *tp_found(void)
{
	struct buf b;
	buf_init(&b);
	for (size_t k = 0; k < TP_NTERMS; k++) {
		struct query_rows r;
		q_init("-started_at", 1, 5, NULL, FILTER_SPANS);
		Q.search = &tp_terms[k];
		Q.nsearch = 1;
		ck_assert_int_eq(query_span_rows(&Q, &r), ST_OK);
		buf_printf(&b, "|%s %zu: %s|", tp_terms[k], (size_t)r.total, row_ids(&r));
	}
	return b.p;
}

/* Whether record i holds each word of t (space-separated) somewhere. */
static bool tp_words(size_t i, const char *t)
{
	char w[64];
	for (const char *p = t; *p;) {
		size_t n = strcspn(p, " ");
		snprintf(w, sizeof w, "%.*s", (int)n, p);
		if (!strcasestr(tp_text[i], w))
			return false;
		p += n + (p[n] == ' ');
	}
	return true;
}

/* Whether record i holds each word of t (space-separated) as a word of its own, the last one as
 * a word's start: a record the words of a search leave a candidate. */
static bool tp_has(size_t i, const char *t)
{
	for (const char *p = t; *p;) {
		size_t n = strcspn(p, " ");
		bool last = !p[n], found = false;
		for (const char *q = tp_text[i]; *q && !found;) {
			size_t m = strspn(q, "abcdefghijklmnopqrstuvwxyz0123456789");
			found = m && (last ? m >= n : m == n) && !strncasecmp(q, p, n);
			q += m ? m : 1;
		}
		if (!found)
			return false;
		p += n + (p[n] == ' ');
	}
	return true;
}

/* The records of the .tix or the tail of day d for the terms, each in all[k] and sure[k]. */
static void tp_bits(const char *d, size_t from, uint64_t **all, uint64_t **sure)
{
	struct shard sh;
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	ck_assert_int_eq(tp_right_of(&sh, from, NULL, NULL, all, sure), 1);
	shard_close(&sh);
}

/* The parts of day d's file of the tail's pairs (<day>.tpx; docs/FORMAT.md: an 80-byte header,
 * magic, first record, records, ..., the body's bytes at 32, then the body padded to 8), each
 * [first, end) into parts (NULL: not kept, at most 16): how many whole ones follow each other
 * from the file's start, their records each after the last; -1 when there is no file. */
static int tp_parts(const char *d, size_t (*parts)[2])
{
	char p[PATH_MAX];
	long size;
	snprintf(p, sizeof p, "%s/ws/%s.tpx", fx_root, d);
	if (access(p, F_OK) != 0)
		return -1;
	char *b = file_read(p, &size);
	int n = 0;
	size_t end = 0;
	for (long at = 0; at + 80 <= size && !memcmp(b + at, "SPXTPX1\n", 8); n++) {
		uint32_t first, nrecs;
		uint64_t len;
		memcpy(&first, b + at + 8, 4);
		memcpy(&nrecs, b + at + 12, 4);
		memcpy(&len, b + at + 32, 8);
		if (at + 80 + (long)len > size)
			break;
		ck_assert_uint_ge(first, end);
		end = first + nrecs;
		if (parts && n < 16) {
			parts[n][0] = first;
			parts[n][1] = end;
		}
		at += 80 + (long)((len + 7) / 8 * 8);
	}
	free(b);
	return n;
}

/* Idle steps (store_tail_idle) until none is left or k taken (k 0: no bound), each day's
 * candidates right after each (tp_right of day d, its .tix covering from, as tix and xsure had
 * them). */
static void tp_steps(const char *d, size_t from, uint64_t **tix, uint64_t **xsure, int k)
{
	for (int i = 0; (!k || i < k) && store_tail_idle(NULL); i++)
		ck_assert_int_eq(tp_right(d, from, tix, xsure), 1);
}

/* The spans of the test: 440 records of a vocabulary, "agent calls a tool" in a run a third of
 * the time; those of day 1 from 2024-03-20, of day 2 from 2024-03-21 (ids q...), of day 3 from
 * 2024-03-22 (ids r...). */
enum { TP_DAYS = 3 };
static struct span tp_s[TP_DAYS][TP_N + TP_MORE];

static void tp_make(void)
{
	static const char *const vocab[] = {"agent",   "calls", "a",	 "tool",    "with",
					    "the",     "world", "would", "weather", "flights",
					    "account", "order", "pay",	 "payment", "zebra"};
	enum { NV = sizeof vocab / sizeof *vocab };
	static char ids[TP_DAYS][TP_N + TP_MORE][12], tr[TP_DAYS][TP_N + TP_MORE][12],
	    starts[TP_DAYS][TP_N + TP_MORE][32], input[TP_N + TP_MORE][300];
	uint32_t r = 12345;
	for (int i = 0; i < TP_N + TP_MORE; i++) {
		size_t o = 0;
		for (int w = 0, n = 6 + i % 9; w < n; w++) {
			r = r * 1103515245u + 12345u;
			const char *word = (r >> 16) % 3 == 0 && w + 4 < n ? "agent calls a tool"
									   : vocab[(r >> 8) % NV];
			o += (size_t)snprintf(input[i] + o, sizeof input[i] - o, "%s%s",
					      w ? " " : "", word);
		}
		if (i % 40 == 3)
			snprintf(input[i] + o, sizeof input[i] - o, " quokka");
		for (int d = 0; d < TP_DAYS; d++) {
			snprintf(ids[d][i], sizeof ids[d][i], "%c%03d", "pqr"[d], i);
			snprintf(tr[d][i], sizeof tr[d][i], "%ct%d", "pqr"[d], i / 4);
			snprintf(starts[d][i], sizeof starts[d][i], "2024-03-2%dT%02d:%02d:%02dZ",
				 d, i / 3600, i / 60 % 60, i % 60);
			tp_s[d][i] = mk_text(ids[d][i], tr[d][i], "", "sess-p", starts[d][i],
					     input[i], NULL);
		}
		/* the id ("p" or "q" and digits) holds none of the terms */
		snprintf(tp_text[i], sizeof tp_text[i], "%s %.300s some output", ids[0][i],
			 input[i]);
	}
}

/* Issue 57: a phrase of words common in a day's fresh spans read the line of every span holding
 * its words (a tail segment keeps no pairs). The worker builds the tail's pairs and triples
 * from its lines while no request waits (store_tail_idle, a bounded step at a time), once a
 * phrase search asked the day, with the rules of `spandex index`, and keeps them apart from the
 * tail's mapping; a search never builds: it asks the parts built so far for the records they
 * cover, the segments' words and lines for the rest. */
START_TEST(tail_phrase)
{
	const char *d = "2024-03-20", *d2 = "2024-03-21";
	static const char *const days[] = {"2024-03-20", "2024-03-21"};
	static const size_t batches[] = {1, 7, 60, 100, 2, 130, 100};
	tp_make();
	/* Records merged and tokenised a few at a time, in parts of a few dozen records: searches
	 * meet the pairs partly built. */
	setenv("SPANDEX_TEST_TAIL_MERGE_BYTES", "1", 1);
	setenv("SPANDEX_TEST_TAIL_PHRASE_BYTES", "3000", 1);
	setenv("SPANDEX_TEST_TAIL_PART_BYTES", "20000", 1);
	while (store_tail_idle(NULL)) /* what tests before this one asked (CK_FORK=no) */
		;
	struct shard old;
	size_t at = 0;
	for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
		append(tp_s[0] + at, batches[b]);
		at += batches[b];
		ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1); /* asks: the steps build it */
		if (at == 68)
			ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &old), ST_OK);
		tp_steps(d, 0, NULL, NULL, 3);
		char *plain = unindexed(days, 1, tp_found);
		answers_as(tp_found, plain);
		free(plain);
	}
	ck_assert_uint_eq(at, TP_N);
	tp_steps(d, 0, NULL, NULL, 0);
	/* A reader of the state of 68 records, after the pairs took more. */
	ck_assert_uint_eq(old.nrecs, 68);
	ck_assert_int_eq(tp_right_of(&old, 0, NULL, NULL, NULL, NULL), 1);
	shard_close(&old);
	/* The mappings dropped (as idle, MAPC_IDLE_MS, or past MAPC_MAX_BYTES), the tail's words
	 * with them: the pairs stay, and with no step taken narrow as before. */
	uint64_t *tail[TP_NTERMS], *tsure[TP_NTERMS], *tix[TP_NTERMS], *xsure[TP_NTERMS];
	tp_bits(d, 0, tail, tsure);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	ck_assert(!store_tail_idle(NULL));
	uint64_t *again[TP_NTERMS], *asure[TP_NTERMS];
	tp_bits(d, 0, again, asure);
	for (size_t k = 0; k < TP_NTERMS; k++) {
		size_t ntail = 0, nwords = 0;
		for (size_t i = 0; i < TP_N; i++) {
			ck_assert_int_eq(bits_get(tail[k], i), bits_get(again[k], i));
			ntail += bits_get(tail[k], i);
			nwords += tp_words(i, tp_terms[k]);
		}
		ck_assert_uint_le(ntail, nwords);
		if (!strcmp(tp_terms[k], "the world")) /* parts of ~40 records: 71 of 105 */
			ck_assert_uint_lt(ntail, nwords);
		free(tail[k]);
		free(tsure[k]);
		free(again[k]);
		free(asure[k]);
	}
	/* New lines past the pairs: the lines decide them until the steps take them. */
	append(tp_s[0] + TP_N, TP_MORE / 2);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	char *plain = unindexed(days, 1, tp_found);
	answers_as(tp_found, plain);
	free(plain);
	/* The day indexed: the .tix's bits, then the tail's past it, built again from there. */
	ck_assert(index_day(d));
	ck_assert_uint_eq(count_problems(), 0);
	size_t n1 = TP_N + TP_MORE / 2;
	tp_bits(d, n1, tix, xsure);
	/* The .tix knows some records hold a phrase (two common words): they stay sure with a
	 * tail past it whose pairs are not built (a search of the new lines reads theirs), as
	 * they are built, and after. */
	size_t known = 0;
	for (size_t k = 0; k < TP_NTERMS; k++)
		known += xsure[k] && bits_any(xsure[k], 0, n1);
	ck_assert_uint_gt(known, 0);
	append(tp_s[0] + n1, TP_MORE / 2);
	ck_assert_int_eq(tp_right(d, n1, tix, xsure), 1);
	tp_steps(d, n1, tix, xsure, 0);
	ck_assert_int_eq(tp_right(d, n1, tix, xsure), 1);
	plain = unindexed(days, 1, tp_found);
	answers_as(tp_found, plain);
	free(plain);
	for (size_t k = 0; k < TP_NTERMS; k++) {
		free(tix[k]);
		free(xsure[k]);
	}
	/* The day sealed (the .tix as it was): the same records, nothing left to build. */
	seal_day(d);
	ck_assert_int_eq(tp_right(d, n1, NULL, NULL), 1);
	ck_assert(!store_tail_idle(NULL));
	/* Day 2, every record before a step, built to its end in one part: the same candidates and
	 * sure records as the .tix of the same records, for every phrase: the part answers for
	 * every record it reaches, its words as its pairs (a rare word's phrase too: its pairs
	 * narrow it below its words', which the tail's segments alone left). */
	unsetenv("SPANDEX_TEST_TAIL_PART_BYTES");
	append(tp_s[1], TP_N);
	ck_assert_int_eq(tp_right(d2, 0, NULL, NULL), 1);
	tp_steps(d2, 0, NULL, NULL, 0);
	tp_bits(d2, 0, tail, tsure);
	plain = unindexed(days + 1, 1, tp_found);
	answers_as(tp_found, plain);
	free(plain);
	ck_assert(index_day(d2));
	ck_assert_uint_eq(count_problems(), 0);
	tp_bits(d2, TP_N, tix, xsure);
	for (size_t k = 0; k < TP_NTERMS; k++) {
		size_t ntail = 0, nhas = 0;
		for (size_t i = 0; i < TP_N; i++) {
			ck_assert_msg(bits_get(tail[k], i) == bits_get(tix[k], i), "%s: record %zu",
				      tp_terms[k], i);
			ck_assert_int_eq(tsure[k] && bits_get(tsure[k], i),
					 xsure[k] && bits_get(xsure[k], i));
			nhas += tp_has(i, tp_terms[k]);
			ntail += bits_get(tail[k], i);
		}
		if (k == TP_RARE)
			ck_assert_uint_lt(ntail, nhas);
		free(tail[k]);
		free(tsure[k]);
		free(tix[k]);
		free(xsure[k]);
	}
	/* Day 2's tail again past its .tix, and 16 spans sent again with other text, built; then
	 * two traces erased and the pass (store_erase_pending: the day written again without them
	 * nor the versions replaced, its .tix built again): the records renumbered under pairs
	 * built of the old ones, and new ones where the old pairs spoke of others. */
	append(tp_s[1] + TP_N, TP_MORE / 2);
	ck_assert_int_eq(tp_right(d2, TP_N, NULL, NULL), 1);
	tp_steps(d2, TP_N, NULL, NULL, 0);
	static struct span edits[16];
	for (size_t i = 0; i < 16; i++) {
		edits[i] = tp_s[1][i];
		edits[i].input = "zebra nothing but the world";
	}
	append(edits, 16);
	plain = unindexed(days + 1, 1, tp_found);
	do /* the first search asks the new records; the steps build them */
		answers_as(tp_found, plain);
	while (store_tail_idle(NULL));
	free(plain);
	const char *gone[] = {"qt1", "qt2"};
	struct store_erase_what w = {.by = STORE_ERASE_TRACE, .values = gone, .n = 2};
	struct store_erase_ack ack;
	struct store_erase_done done;
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_erase(&fx_st, "ws", &w, "check", &ack, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert(tp_parts(d2, NULL) > 0); /* the pairs of the erased records' words, in a file */
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	ck_assert_int_eq(tp_parts(d2, NULL), -1); /* removed by the pass, under the shard lock */
	plain = unindexed(days + 1, 1, tp_found);
	answers_as(tp_found, plain);
	free(plain);
	append(tp_s[1] + TP_N + TP_MORE / 2, TP_MORE / 2);
	plain = unindexed(days + 1, 1, tp_found);
	answers_as(tp_found, plain);
	while (store_tail_idle(NULL))
		answers_as(tp_found, plain);
	free(plain);
}
END_TEST

/* The bytes of day d's file of the tail's pairs (-1: none). */
static long tp_size(const char *d)
{
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof p, "%s/ws/%s.tpx", fx_root, d);
	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Whether this process maps day d's file of pairs removed from its directory. */
static bool tp_mapped_gone(const char *d)
{
	char want[64], line[PATH_MAX + 256];
	snprintf(want, sizeof want, "/ws/%s.tpx (deleted)", d);
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;
	while (f && !found && fgets(line, sizeof line, f))
		found = strstr(line, want) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* The parts go to a file beside the day that every process reads (<day>.tpx): a worker that
 * finds its lock held (another builds it) builds nothing; one that takes it appends each part
 * once, after the last, every answer equal to the spans' text at each step; a part cut short
 * (a writer killed in its append) or damaged is let go, named by `spandex verify` and written
 * again over; `spandex index` (the tail folded) and a reindex remove the file under the shard
 * lock, and a worker's mapping of it goes at its next idle step. */
START_TEST(tail_file)
{
	const char *d = "2024-03-22";
	static const char *const days[] = {"2024-03-22"};
	size_t parts[16][2];
	tp_make();
	setenv("SPANDEX_TEST_TAIL_PHRASE_BYTES", "3000", 1);
	setenv("SPANDEX_TEST_TAIL_PART_BYTES", "1000000", 1);
	while (store_tail_idle(NULL))
		;
	append(tp_s[2], 200);
	/* Another process holds the file's lock until told: asked, this one builds nothing. */
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ws/%s.tpx", fx_root, d);
	int ready[2], go[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	if (!pid) {
		char c = 0;
		int fd = open(p, O_RDWR | O_CREAT, 0640);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(ready[1], &c, 1) != 1)
			_exit(1);
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1); /* until the parent closes go */
	}
	char c;
	close(go[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1); /* asks */
	ck_assert(!store_tail_idle(NULL));
	ck_assert_int_eq(tp_size(d), 0);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	close(go[1]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Released: asked again, built, in one part (nothing built before it). */
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	ck_assert_int_eq(tp_parts(d, parts), 1);
	ck_assert_uint_eq(parts[0][0], 0);
	ck_assert_uint_eq(parts[0][1], 200);
	/* A batch of a fifth more: due, the next part; then five more: read from their lines. */
	append(tp_s[2] + 200, 40);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	append(tp_s[2] + 240, 5);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	ck_assert_int_eq(tp_parts(d, parts), 2);
	ck_assert_uint_eq(parts[1][0], 200);
	ck_assert_uint_eq(parts[1][1], 240);
	char *plain = unindexed(days, 1, tp_found);
	answers_as(tp_found, plain);
	/* The last part cut short: let go (the answers as the lines say), named by `spandex
	 * verify` (no builder holds the file's lock), written again over. */
	long size = tp_size(d);
	ck_assert_uint_eq(count_problems(), 0);
	ck_assert_int_eq(truncate(p, size - 24), 0);
	ck_assert_int_eq(tp_parts(d, NULL), 1);
	ck_assert_uint_eq(count_problems(), 1);
	answers_as(tp_found, plain);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	ck_assert_int_eq(tp_parts(d, parts), 2);
	ck_assert_uint_eq(parts[1][1], 245); /* from the cut part to the tail's end */
	ck_assert_uint_eq(count_problems(), 0);
	/* A byte of the first part's body changed, and the file cut (so a worker reads it all
	 * again): its checksum fails, the parts end before it (the lines answer), verify names
	 * it; the next build writes the day again in one part from the file's start, over more
	 * bytes than it takes: 8 zero bytes after it end the parts, which verify does not name. */
	int fd = open(p, O_RDWR);
	char byte;
	ck_assert_int_eq(pread(fd, &byte, 1, 80 + 40), 1);
	byte ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &byte, 1, 80 + 40), 1);
	close(fd);
	ck_assert_int_eq(truncate(p, tp_size(d) - 24), 0);
	ck_assert_uint_eq(count_problems(), 1);
	answers_as(tp_found, plain);
	ck_assert_int_eq(tp_right(d, 0, NULL, NULL), 1);
	tp_steps(d, 0, NULL, NULL, 0);
	ck_assert_int_eq(tp_parts(d, parts), 1);
	ck_assert_uint_eq(parts[0][0], 0);
	ck_assert_uint_eq(parts[0][1], 245);
	long n;
	char *b = file_read(p, &n), zeros[8] = {0};
	uint64_t len;
	memcpy(&len, b + 32, 8);
	long end = 80 + (long)((len + 7) / 8 * 8);
	ck_assert_int_gt(n, end);
	ck_assert_int_eq(memcmp(b + end, zeros, 8), 0);
	free(b);
	ck_assert_uint_eq(count_problems(), 0);
	answers_as(tp_found, plain);
	free(plain);
	/* Folded by `spandex index`: the .tix holds the pairs; then a tail past it, built from its
	 * first record, and the day written again by reindex: the file goes. */
	ck_assert(index_day(d));
	ck_assert_int_eq(tp_size(d), -1);
	/* This worker's mapping of the removed file let go at its next idle step (not kept until
	 * its next search of the day, holding the file's blocks). */
	ck_assert(tp_mapped_gone(d));
	setenv("SPANDEX_TEST_TAIL_SCAN_MS", "0", 1);
	ck_assert(!store_tail_idle(NULL));
	unsetenv("SPANDEX_TEST_TAIL_SCAN_MS");
	ck_assert(!tp_mapped_gone(d));
	append(tp_s[2] + 245, 100);
	ck_assert_int_eq(tp_right(d, 245, NULL, NULL), 1);
	tp_steps(d, 245, NULL, NULL, 0);
	ck_assert_int_eq(tp_parts(d, parts), 1);
	ck_assert_uint_eq(parts[0][0], 245);
	struct err e = {ST_OK, ""};
	ck_assert_msg(store_reindex(&fx_st, "ws", NULL, NULL, NULL, NULL, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_int_eq(tp_size(d), -1);
	plain = unindexed(days, 1, tp_found);
	answers_as(tp_found, plain);
	free(plain);
	/* A build under way (a span's words read, not yet written) when an erasure's pass writes
	 * the day again without it: none of its words reaches a file, the old one or a new one
	 * (the builder checks the day's index is still the one it began with). */
	static struct span canary[40];
	for (size_t i = 0; i < 40; i++)
		canary[i] = tp_s[2][345 + i];
	canary[0].trace_id = "rzz";
	canary[0].input = "zzcanaryword agent calls a tool";
	append(canary, 40);
	setenv("SPANDEX_TEST_TAIL_PHRASE_BYTES", "100000000", 1);
	struct shard sh;
	struct store_index x;
	uint64_t *bits = NULL, *sure = NULL;
	const char *t[] = {"agent calls"};
	ck_assert_int_eq(shard_open(&fx_st, "ws", fx_day_of(d), &sh), ST_OK);
	store_index_init(&x, &fx_st, "ws", &sh);
	store_index_text(&x, t, 1, &bits, &sure); /* asks the day */
	store_index_free(&x);
	shard_close(&sh);
	free(bits);
	free(sure);
	ck_assert(store_tail_idle(NULL)); /* the file opened and locked */
	ck_assert(store_tail_idle(NULL)); /* every line tokenised, the canary's among them */
	const char *gone[] = {"rzz"};
	struct store_erase_what w = {.by = STORE_ERASE_TRACE, .values = gone, .n = 1};
	struct store_erase_ack ack;
	struct store_erase_done done;
	ck_assert_msg(store_erase(&fx_st, "ws", &w, "check", &ack, &e) == ST_OK, "%s",
		      err_text(&e));
	ck_assert_msg(store_erase_pending(&fx_st, &done, &e) == ST_OK, "%s", err_text(&e));
	while (store_tail_idle(NULL))
		;
	if (tp_size(d) > 0) {
		long n;
		char *b = file_read(p, &n);
		ck_assert_ptr_null(memmem(b, (size_t)n, "zzcanaryword", 12));
		free(b);
	}
	ck_assert_int_eq(tp_parts(d, NULL) <= 0, 1); /* and nothing of the build written */
	unsetenv("SPANDEX_TEST_TAIL_PHRASE_BYTES");
}
END_TEST

/* The bytes of this process's mapping of the file whose path ends with name that are in its page
 * tables (smaps' Rss: the pages it touched, with the kernel's fault-around); -1: not mapped. */
static long tp_rss_kb(const char *name)
{
	char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/smaps", "r");
	long kb = -1;
	bool in = false;
	while (f && fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\n");
		line[n] = 0;
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in = n >= strlen(name) && !strcmp(line + n - strlen(name), name);
		else if (in && !strncmp(line, "Rss:", 4))
			kb = strtol(line + 4, NULL, 10);
	}
	if (f)
		fclose(f);
	return kb;
}

/* The byte of each segment header of day d's tail (<day>.tdx: 64 bytes, its body's bytes at
 * 32), at most max into at; how many. */
static size_t tp_segs(const char *d, long *at, size_t max)
{
	long size;
	char *b = file_read(tailindex_of(d), &size);
	size_t n = 0;
	for (long x = 0; x + 64 <= size && n < max; n++) {
		uint64_t len;
		memcpy(&len, b + x + 32, 8);
		at[n] = x;
		x += 64 + (long)len;
	}
	free(b);
	return n;
}

/* Writes the 64 bytes of h at byte at of day d's tail. */
static void tp_put_header(const char *d, long at, const char *h)
{
	int fd = open(tailindex_of(d), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, h, 64, at), 64);
	close(fd);
}

/* A new worker's first search of a day whose parts reach all but the last records of a tail of
 * thousands of small segments (a trace a batch) starts the tail's walk where the parts end: a
 * binary search of the segments' headers, not a walk of every one from the file's start (33%
 * of a first phrase's page faults at 1M spans, BENCHMARKS-HISTORY.md, "The tail's walk from
 * where the parts end"), so it touches a few of the tail's pages; the answers as the lines
 * say, with a header damaged or one of another segment written over one (a stale header after
 * a lost page), wherever they lie. */
START_TEST(tail_seek)
{
	const char *d = "2024-03-23";
	static const char *const days[] = {"2024-03-23"};
	enum { NS = 3000, MORE = 20 };
	static struct span sk[NS + MORE];
	static char ids[NS + MORE][12], starts[NS + MORE][32];
	tp_make();
	while (store_tail_idle(NULL))
		;
	for (int i = 0; i < NS + MORE; i++) {
		snprintf(ids[i], sizeof ids[i], "k%04d", i);
		snprintf(starts[i], sizeof starts[i], "2024-03-23T%02d:%02d:%02dZ", i / 3600,
			 i / 60 % 60, i % 60);
		sk[i] = mk_text(ids[i], ids[i], "", "sess-k", starts[i],
				tp_s[0][i % (TP_N + TP_MORE)].input, NULL);
	}
	for (int i = 0; i < NS; i++) /* a batch a trace: a segment each */
		append(sk + i, 1);
	free(tp_found()); /* asks the day */
	while (store_tail_idle(NULL))
		;
	size_t parts[16][2];
	int np = tp_parts(d, parts);
	ck_assert(np >= 1 && np <= 16);
	ck_assert_uint_eq(parts[np - 1][1], NS);
	for (int i = NS; i < NS + MORE; i++) /* past the part, not due: from the segments */
		append(sk + i, 1);
	ck_assert(!store_tail_idle(NULL));
	char *plain = unindexed(days, 1, tp_found);
	static long at[NS + MORE + 1];
	ck_assert_uint_eq(tp_segs(d, at, NS + MORE + 1), NS + MORE);
	struct stat sb;
	ck_assert_int_eq(stat(tailindex_of(d), &sb), 0);
	long size = (long)sb.st_size, kb;
	ck_assert_int_gt(size, 1 << 20);
	/* A new worker's first search: a few pages of the tail touched (the whole file before). */
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	answers_as(tp_found, plain);
	char name[64];
	snprintf(name, sizeof name, "/ws/%s.tdx", d);
	kb = tp_rss_kb(name);
	ck_assert_int_gt(kb, 0);
	ck_assert_msg(kb * 1024 < size / 4, "%ld KiB of a tail of %ld touched", kb, size);
	/* Damage at each eighth of the tail and among its last segments: a header's byte, or
	 * the header of the first segment (records before the part's end) or of the last (past
	 * it) written over another's. The answers as the lines say. */
	char first[64], last[64], was[64];
	int fd = open(tailindex_of(d), O_RDONLY);
	ck_assert_int_eq(pread(fd, first, 64, at[0]), 64);
	ck_assert_int_eq(pread(fd, last, 64, at[NS + MORE - 1]), 64);
	for (int k = 1; k <= 9; k++) {
		long x = at[k < 9 ? k * NS / 8 : NS + MORE / 2];
		ck_assert_int_eq(pread(fd, was, 64, x), 64);
		for (int how = 0; how < 3; how++) {
			char h[64];
			memcpy(h, how == 0 ? was : how == 1 ? first : last, 64);
			h[how == 0 ? 12 : 0] ^= (char)(how == 0 ? 0x01 : 0);
			tp_put_header(d, x, h);
			store_forget_day(&fx_st, "ws", fx_day_of(d));
			answers_as(tp_found, plain);
			tp_put_header(d, x, was);
		}
	}
	close(fd);
	store_forget_day(&fx_st, "ws", fx_day_of(d));
	answers_as(tp_found, plain);
	ck_assert_uint_eq(count_problems(), 0);
	free(plain);
}
END_TEST

void check_query_tailphrase(TCase *store)
{
	tcase_add_test(store, tail_phrase);
	tcase_add_test(store, tail_file);
	tcase_add_test(store, tail_seek);
}
