/* tailphrase: the pairs and triples of words of a day's tail, built by a worker a step per search
 * (tailphrase.h). The same words, pairs and triples as `spandex index` makes of the same lines
 * (words_add_line, words_render_compact), numbered from the first record of the tail. */
#include "lib/store/tailphrase.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/store/words.h"

/* A part of the tail's pairs rendered (as a .tix's text section of version 12) for records
 * [from, to), record from its 0, and its view. */
struct tp_part {
	size_t from, to;
	struct buf sec;
	struct words_view v;
};

/* The parts answer for records [from, covered) in turn; records [bfrom, next) are tokenised into
 * b, rendered as the next part once built to the tail's end (tailphrase_step). Only the parts
 * are kept at length: a build holds every pair and triple, which the rendering then leaves out
 * but for the common words' (a day of 48,894 spans of bench/gen's text: a build of 64 MB, a part
 * of 2.4 MB). */
struct tailphrase {
	size_t from, bfrom, next;
	struct words_build b;
	size_t bbytes; /* words_build_bytes(&b) after the last step */
	struct tp_part *p;
	size_t np, capp;
};

struct tailphrase *tailphrase_new(size_t from)
{
	struct tailphrase *p = xcalloc(1, sizeof *p);
	p->from = p->bfrom = p->next = from;
	words_init(&p->b, true);
	p->bbytes = words_build_bytes(&p->b);
	return p;
}

void tailphrase_free(struct tailphrase *p)
{
	if (!p)
		return;
	words_free(&p->b);
	for (size_t k = 0; k < p->np; k++)
		buf_free(&p->p[k].sec);
	free(p->p);
	free(p);
}

size_t tailphrase_bytes(const struct tailphrase *p)
{
	if (!p)
		return 0;
	size_t n = sizeof *p + p->bbytes + p->capp * sizeof *p->p;
	for (size_t k = 0; k < p->np; k++)
		n += p->p[k].sec.cap;
	return n;
}

bool tailphrase_wanted(const char *const *terms, size_t nterms)
{
	for (size_t k = 0; k < nterms; k++) {
		size_t at = 0, a, len = strlen(terms[k]), runs = 0;
		while (runs < 2 && words_next(terms[k], len, &at, &a))
			runs++;
		if (runs == 2)
			return true;
	}
	return false;
}

size_t tailphrase_env_bytes(const char *name, size_t dflt)
{
	const char *e = getenv(name);
	long long v = e ? strtoll(e, NULL, 10) : 0;
	return v > 0 ? (size_t)v : dflt;
}

/* TAILPHRASE_STEP_BYTES, or (tests, so that a tail is built a few records a search) the bytes
 * SPANDEX_TEST_TAIL_PHRASE_BYTES names, read once. */
static size_t step_bytes(void)
{
	static size_t step;
	if (!step)
		step =
		    tailphrase_env_bytes("SPANDEX_TEST_TAIL_PHRASE_BYTES", TAILPHRASE_STEP_BYTES);
	return step;
}

/* b rendered as the next part, records [bfrom, next), and b begun again past them. */
static void render(struct tailphrase *p)
{
	if (p->np == p->capp) {
		p->capp = p->capp ? 2 * p->capp : 4;
		p->p = xrealloc(p->p, p->capp * sizeof *p->p);
	}
	struct tp_part *t = &p->p[p->np];
	t->from = p->bfrom;
	t->to = p->next;
	buf_init(&t->sec);
	words_render_compact(&p->b, t->to - t->from, true, &t->sec);
	if (words_open(&t->v, t->sec.p, t->sec.len, p->b.nw, p->b.blob.len, WORDS_PAIRS_CTX))
		p->np++;
	else /* not reached: its own bytes; the records' lines decide */
		buf_free(&t->sec);
	words_free(&p->b);
	words_init(&p->b, true);
	p->bfrom = p->next;
}

void tailphrase_step(struct tailphrase *p, struct shard *sh, size_t n, size_t *left)
{
	size_t mine = SIZE_MAX;
	if (!left)
		left = &mine;
	if (*left == SIZE_MAX)
		*left = step_bytes();
	size_t took = 0, limit = *left, had = p->next;
	for (; p->next < n && took < limit; p->next++) {
		const char *line;
		size_t len;
		uint32_t rec = (uint32_t)(p->next - p->bfrom);
		if (!shard_view(sh, p->next, &line, &len)) {
			words_add_any(&p->b, rec); /* unreadable: never ruled out */
			continue;
		}
		words_add_line(&p->b, line, len, rec);
		took += len;
	}
	*left -= took < limit ? took : limit;
	if (p->next > had)
		shard_forget_lines(sh); /* the lines stay in the page cache, not in this worker */
	size_t done = p->bfrom - p->from;
	if (p->next == n && p->next > p->bfrom &&
	    (!done || (p->next - p->bfrom) * TAILPHRASE_PART_SHARE >= done))
		render(p);
	p->bbytes = words_build_bytes(&p->b);
}

size_t tailphrase_covered(const struct tailphrase *p)
{
	return p->np ? p->p[p->np - 1].to : p->from;
}

bool tailphrase_narrow(const struct tailphrase *p, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t n)
{
	bool any = false;
	for (size_t k = 0; k < p->np; k++) {
		const struct tp_part *t = &p->p[k];
		size_t to = t->to < n ? t->to : n;
		uint64_t *a, *y;
		if (to <= t->from ||
		    words_terms(&t->v, terms, nterms, t->to - t->from, &a, &y) != ST_OK)
			continue;
		if (y && !*yes)
			*yes = xcalloc((n + 63) / 64, sizeof **yes);
		for (size_t i = t->from; i < to; i++) {
			if (!bits_get(a, i - t->from))
				bits_put(all, i, false);
			if (y && bits_get(y, i - t->from))
				bits_set(*yes, i);
		}
		free(a);
		free(y);
		any = true;
	}
	return any;
}
