/* tailphrase: the pairs and triples of words of a day's tail, built by a worker while no request
 * waits (tailphrase.h). The same words, pairs and triples as `spandex index` makes of the same
 * lines (words_add_line, words_render_compact), numbered from the first record of each part. */
#include "lib/store/tailphrase.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/store/words.h"

/* A record as a .tix is trusted by (dayindex.c): its span id's hash and ingestion time. */
struct tp_mark {
	uint64_t span_h;
	int64_t ingested_us;
};

static struct tp_mark mark_of(const struct shard *sh, size_t i)
{
	return (struct tp_mark){sh->recs[i].span_h, sh->recs[i].ingested_us};
}

static bool mark_same(const struct shard *sh, size_t i, struct tp_mark m)
{
	return sh->recs[i].span_h == m.span_h && sh->recs[i].ingested_us == m.ingested_us;
}

/* A part of the tail's pairs rendered (as a .tix's text section of version 12) for records
 * [from, to), record from its 0, and its view; first and last: records from and to - 1. */
struct tp_part {
	size_t from, to;
	struct tp_mark first, last;
	struct buf sec;
	struct words_view v;
};

/* The parts answer for records [from, covered) in turn; records [bfrom, next) are tokenised into
 * b (their lines blines bytes; the first and last of them bfirst and blast), rendered as the
 * next part when due (tailphrase_step). Only the parts are kept at length (a day of 48,894 spans
 * of bench/gen's text: a build of 64 MB, a part of 2.4 MB). */
struct tailphrase {
	size_t from, bfrom, next, blines;
	struct tp_mark bfirst, blast;
	struct words_build b;
	size_t bbytes; /* words_build_bytes(&b) after the last step */
	struct tp_part *p;
	size_t np, capp;
};

static struct tailphrase *tailphrase_new(size_t from)
{
	struct tailphrase *p = xcalloc(1, sizeof *p);
	p->from = p->bfrom = p->next = from;
	words_init(&p->b, true);
	p->bbytes = words_build_bytes(&p->b);
	return p;
}

static void tailphrase_free(struct tailphrase *p)
{
	if (!p)
		return;
	words_free(&p->b);
	for (size_t k = 0; k < p->np; k++)
		buf_free(&p->p[k].sec);
	free(p->p);
	free(p);
}

static size_t tailphrase_bytes(const struct tailphrase *p)
{
	size_t n = sizeof *p + p->bbytes + p->capp * sizeof *p->p;
	for (size_t k = 0; k < p->np; k++)
		n += p->p[k].sec.cap;
	return n;
}

static size_t covered(const struct tailphrase *p)
{
	return p->np ? p->p[p->np - 1].to : p->from;
}

/* The build begun again at record at (the parts' end). */
static void build_reset(struct tailphrase *p, size_t at)
{
	words_free(&p->b);
	words_init(&p->b, true);
	p->bfrom = p->next = at;
	p->blines = 0;
	p->bbytes = words_build_bytes(&p->b);
}

/* Parts k on, and the build, let go: the pairs end at part k's first record. */
static void cut_parts(struct tailphrase *p, size_t k)
{
	for (size_t j = k; j < p->np; j++)
		buf_free(&p->p[j].sec);
	if (k < p->np)
		p->np = k;
	build_reset(p, covered(p));
}

/* What of p still holds sh's records: a part or the build whose first or last record is not
 * sh's (a reindex or an erasure's pass rewrote the day), or that passes sh's records when sh
 * is the day as it is now (now: the idle step's; a search's may be an older state), is let go
 * with every one after it. */
static void check(struct tailphrase *p, const struct shard *sh, bool now)
{
	for (size_t k = 0; k < p->np; k++) {
		const struct tp_part *t = &p->p[k];
		if (t->to > sh->nrecs
			? now
			: !mark_same(sh, t->from, t->first) || !mark_same(sh, t->to - 1, t->last)) {
			cut_parts(p, k);
			return;
		}
	}
	if (p->next > p->bfrom && (p->next > sh->nrecs ? now
						       : !mark_same(sh, p->bfrom, p->bfirst) ||
							     !mark_same(sh, p->next - 1, p->blast)))
		build_reset(p, covered(p));
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

/* TAILPHRASE_STEP_BYTES and TAILPHRASE_PART_BYTES, or (tests, so that a tail is built a few
 * records a step, in parts of a few records) the bytes SPANDEX_TEST_TAIL_PHRASE_BYTES and
 * SPANDEX_TEST_TAIL_PART_BYTES name (read each step: a getenv a step). */
static size_t step_bytes(void)
{
	return tailphrase_env_bytes("SPANDEX_TEST_TAIL_PHRASE_BYTES", TAILPHRASE_STEP_BYTES);
}

static size_t part_bytes(void)
{
	return tailphrase_env_bytes("SPANDEX_TEST_TAIL_PART_BYTES", TAILPHRASE_PART_BYTES);
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
	t->first = p->bfirst;
	t->last = p->blast;
	buf_init(&t->sec);
	words_render_compact(&p->b, t->to - t->from, true, &t->sec);
	if (words_open(&t->v, t->sec.p, t->sec.len, p->b.nw, p->b.blob.len, WORDS_PAIRS_CTX))
		p->np++;
	else /* not reached: its own bytes; the records' lines decide */
		buf_free(&t->sec);
	build_reset(p, p->next);
}

/* Whether the records tokenised are due to be rendered as a part, the day holding n records:
 * their lines reached TAILPHRASE_PART_BYTES, or they reach the tail's end and are a share of
 * those before (TAILPHRASE_PART_SHARE). */
static bool due(const struct tailphrase *p, size_t n)
{
	size_t done = p->bfrom - p->from;
	return p->next > p->bfrom &&
	       (p->blines >= part_bytes() ||
		(p->next == n && (!done || (p->next - p->bfrom) * TAILPHRASE_PART_SHARE >= done)));
}

/* A step of the build: a part rendered when due, else the lines of sh's records past those
 * built, TAILPHRASE_STEP_BYTES at most (and no further than a part's). */
static void tailphrase_step(struct tailphrase *p, struct shard *sh)
{
	size_t n = sh->nrecs, took = 0, limit = step_bytes(), part = part_bytes(), had = p->next;
	if (due(p, n)) {
		render(p);
		return;
	}
	for (; p->next < n && took < limit && p->blines < part; p->next++) {
		const char *line;
		size_t len;
		uint32_t rec = (uint32_t)(p->next - p->bfrom);
		if (p->next == p->bfrom)
			p->bfirst = mark_of(sh, p->next);
		p->blast = mark_of(sh, p->next);
		if (!shard_view(sh, p->next, &line, &len)) {
			words_add_any(&p->b, rec); /* unreadable: never ruled out */
			continue;
		}
		words_add_line(&p->b, line, len, rec);
		took += len;
		p->blines += len;
	}
	if (p->next > had)
		shard_forget_lines(sh); /* the lines stay in the page cache, not in this worker */
	p->bbytes = words_build_bytes(&p->b);
}

void tailphrase_narrow(const struct tailphrase *p, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t from, size_t n)
{
	for (size_t k = 0; k < p->np; k++) {
		const struct tp_part *t = &p->p[k];
		uint64_t *a, *y;
		size_t lo = t->from > from ? t->from : from;
		/* a part is asked only when more than 1/TAILPHRASE_ASK_SHARE of its records are
		 * candidates: a phrase of a rare word (its candidates few, in a few parts) reads
		 * their lines for less than the part's look-up, which decodes its common words'
		 * and pairs' lists, a bit per record */
		if (t->to <= from || t->to > n ||
		    !bits_more(all, lo, t->to, (t->to - lo) / TAILPHRASE_ASK_SHARE) ||
		    words_terms(&t->v, terms, nterms, t->to - t->from, &a, &y) != ST_OK)
			continue;
		if (y && !*yes)
			*yes = xcalloc((n + 63) / 64, sizeof **yes);
		for (size_t i = lo; i < t->to; i++) {
			if (!bits_get(a, i - t->from))
				bits_put(all, i, false);
			if (y && bits_get(y, i - t->from))
				bits_set(*yes, i);
		}
		free(a);
		free(y);
	}
}

/* The days this worker keeps pairs of: a store's (its root and kind), workspace and day; asked:
 * the search that asked last (a count), the least recent let go first past
 * TAILPHRASE_KEEP_BYTES; wanted: an idle step has work there (records past the build when a
 * search asked, or parts to check). */
struct tp_day {
	struct store st; /* its root its own */
	char *ws;
	int32_t day;
	uint64_t asked;
	bool wanted;
	struct tailphrase *p;
};
static struct tp_day *tp_days;
static size_t tp_ndays, tp_capdays;
static uint64_t tp_asked;

static void day_drop(size_t i)
{
	free((char *)tp_days[i].st.root);
	free(tp_days[i].ws);
	tailphrase_free(tp_days[i].p);
	tp_days[i] = tp_days[--tp_ndays];
}

/* The days searched longest ago let go while all of them hold more than TAILPHRASE_KEEP_BYTES,
 * but the last one. */
static void keep_bound(void)
{
	for (;;) {
		size_t total = 0, old = 0;
		for (size_t i = 0; i < tp_ndays; i++) {
			total += tailphrase_bytes(tp_days[i].p);
			if (tp_days[i].asked < tp_days[old].asked)
				old = i;
		}
		if (total <= TAILPHRASE_KEEP_BYTES || tp_ndays < 2)
			return;
		day_drop(old);
	}
}

const struct tailphrase *tailphrase_kept(const struct store *st, const char *ws,
					 const struct shard *sh, size_t from)
{
	struct tp_day *d = NULL;
	for (size_t i = 0; i < tp_ndays && !d; i++)
		if (tp_days[i].day == sh->day && tp_days[i].st.kind == st->kind &&
		    !strcmp(tp_days[i].ws, ws) && !strcmp(tp_days[i].st.root, st->root))
			d = &tp_days[i];
	if (!d) {
		if (tp_ndays == tp_capdays) {
			tp_capdays = tp_capdays ? 2 * tp_capdays : 8;
			tp_days = xrealloc(tp_days, tp_capdays * sizeof *tp_days);
		}
		d = &tp_days[tp_ndays++];
		memset(d, 0, sizeof *d);
		store_init(&d->st, xstrdup(st->root), false);
		d->st.kind = st->kind;
		d->ws = xstrdup(ws);
		d->day = sh->day;
		d->p = tailphrase_new(from);
	}
	d->asked = ++tp_asked;
	struct tailphrase *p = d->p;
	check(p, sh, false);
	if (from >= p->next && from > p->from) { /* a .tix covers what they do: begun past it */
		tailphrase_free(p);
		p = d->p = tailphrase_new(from);
	}
	if (p->next < sh->nrecs || due(p, sh->nrecs) || covered(p) > sh->nrecs)
		d->wanted = true;
	return p->np && covered(p) > from && p->p[0].to <= sh->nrecs ? p : NULL;
}

bool store_tail_idle(void)
{
	struct tp_day *d = NULL;
	for (size_t i = 0; i < tp_ndays; i++)
		if (tp_days[i].wanted && (!d || tp_days[i].asked > d->asked))
			d = &tp_days[i];
	if (!d)
		return false;
	struct shard sh;
	if (shard_open(&d->st, d->ws, d->day, &sh) != ST_OK) {
		day_drop((size_t)(d - tp_days)); /* gone (retention, a workspace removed) */
		return true;
	}
	check(d->p, &sh, true);
	tailphrase_step(d->p, &sh);
	d->wanted = d->p->next < sh.nrecs || due(d->p, sh.nrecs);
	shard_close(&sh);
	keep_bound();
	for (size_t i = 0; i < tp_ndays; i++)
		if (tp_days[i].wanted)
			return true;
	return false;
}
