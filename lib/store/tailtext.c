/* tailtext: the candidates of a search past a day's .tix, from its tail (store_tailindex_text):
 * the words of the tail's segments merged into one dictionary a worker keeps with the tail's
 * mapping (docs/FORMAT.md, "The text of the tail": the tail's words), and the segments past it
 * asked one by one. A day written a trace per request has thousands of segments; asking each
 * cost more than the answer (search none 21 ms against 0.06 on 66,000 fresh spans, issue 57). */
#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"
#include "lib/store/mapcache.h"
#include "lib/store/store.h"
#include "lib/store/tailphrase.h"
#include "lib/store/tailread.h"
#include "lib/store/tailseg.h"
#include "lib/store/words.h"

/* The words of a tail's segments merged into one dictionary (words_merge), kept like the maps:
 * the words of records [from, next), of the segments that end before byte at, numbered as the
 * day's records; the records of no segment, and of one whose words do not read, in word 0 (so a
 * candidate for every term, as a segment that cannot answer leaves its records). starts: each
 * word's start in the blob, then the blob's length (words_view_built); nsegs: the segments
 * merged; bytes: what the words' lists hold. Like the maps, they do not depend on flags. So a
 * search of a day written a trace per request (thousands of small segments) looks up its words
 * once, not once a segment; the lines still decide every record that is not sure. Changed in
 * place as segments come: a search takes its bits from it within one call. */
struct tailindex_words {
	uint64_t at;
	size_t from, next, nsegs, bytes;
	struct words_build b;
	uint32_t *starts;
	size_t nstarts, capstarts;
};

/* New kept words of the records from from on, none merged yet. */
static struct tailindex_words *tailwords_new(size_t from)
{
	struct tailindex_words *w = xcalloc(1, sizeof *w);
	w->from = w->next = from;
	words_init(&w->b, false);
	return w;
}

static void tailwords_free(void *p)
{
	struct tailindex_words *w = p;
	if (!w)
		return;
	words_free(&w->b);
	free(w->starts);
	free(w);
}

static size_t tailwords_bytes(const struct tailindex_words *w)
{
	if (!w)
		return 0;
	/* the blob, the words, their table and starts, their lists */
	return sizeof *w + w->b.blob.cap + w->b.capw * sizeof *w->b.w +
	       w->b.nslots * sizeof *w->b.slots + w->b.pt.cap * sizeof *w->b.pt.p +
	       w->b.pt.nslots * sizeof *w->b.pt.slots + w->capstarts * sizeof *w->starts + w->bytes;
}

/* A search merges into the kept words at most this many bytes of the segments' lists (about a
 * record a byte) a day, then asks the segments past them one by one as before: a merge costs
 * about 85 ns a record listed against a segment's search of a few microseconds, so the first
 * search of a day of 66,000 fresh spans of 5 KB of prose (20 MB of lists) merging all of them
 * took 1.2-2.3 s against 0.3-0.6 s, and at 1M spans would pass the query's time budget. This
 * step (about 90 ms) spreads the merge over a day's first searches. */
#define TAILINDEX_MERGE_BYTES (1u << 20)

/* TAILINDEX_MERGE_BYTES, or (tests, so that a small tail is merged a segment at a time) the
 * bytes SPANDEX_TEST_TAIL_MERGE_BYTES names, read once. */
static size_t merge_step(void)
{
	static size_t step;
	if (!step)
		step = tailphrase_env_bytes("SPANDEX_TEST_TAIL_MERGE_BYTES", TAILINDEX_MERGE_BYTES);
	return step;
}

/* Adds to w the words of the segments of sh's tail m after w->at, until their lists pass
 * limit bytes. */
static void tailwords_more(const struct shard *sh, const char *m, uint32_t *wm,
			   struct tailindex_words *w, size_t limit)
{
	const struct tailindex_seg *s;
	struct words_view v;
	size_t took = 0;
	for (uint64_t at = w->at; took < limit && tailseg_next_good(sh, m, wm, &at, &s, &v);
	     w->at = at) {
		size_t a = s->first, z = a + s->nrecs; /* z <= nrecs: tailseg_current */
		if (z <= w->next)
			continue;
		for (; w->next < a; w->next++) /* of no segment */
			words_add_any(&w->b, (uint32_t)w->next);
		if (words_merge(&w->b, &v, s->nrecs, (uint32_t)a, (uint32_t)w->next, &w->bytes))
			w->nsegs++;
		else
			for (; w->next < z; w->next++)
				words_add_any(&w->b, (uint32_t)w->next);
		w->next = z;
		took += v.post_len;
	}
	if (w->capstarts < w->b.nw + 1) {
		w->capstarts = 2 * (w->b.nw + 1);
		w->starts = xrealloc(w->starts, w->capstarts * sizeof *w->starts);
	}
	for (size_t k = w->b.nw ? w->nstarts : 0; k < w->b.nw; k++) /* the new words' */
		w->starts[k] = w->b.w[k].off;
	w->nstarts = w->b.nw;
	w->starts[w->b.nw] = (uint32_t)w->b.blob.len;
}

/* *all and *yes (each NULL: made here, every record from from on a candidate, none sure) with
 * the records before from as the caller had them, bits and sure (NULL: none sure; the bits of
 * both past from are 0). A record is sure where the index that covers it knows it: the .tix's
 * sure records stay sure whatever the tail's words can say of the tail's (a phrase of two common
 * words: the tail's words know none of theirs, and dropping the .tix's too read the line of
 * every candidate of the day, 87,500 of 112,500 on the soak's store). */
static void text_start(uint64_t **all, uint64_t **yes, size_t from, size_t n, const uint64_t *bits,
		       const uint64_t *sure)
{
	size_t words = (n + 63) / 64, had = from / 64;
	if (!*all) {
		*all = xcalloc(words ? words : 1, sizeof **all);
		for (size_t i = from; i < n; i++)
			bits_set(*all, i);
	}
	if (!*yes)
		*yes = xcalloc(words ? words : 1, sizeof **yes);
	if (had) {
		memcpy(*all, bits, had * sizeof **all);
		if (sure)
			memcpy(*yes, sure, had * sizeof **yes);
		else
			memset(*yes, 0, had * sizeof **yes);
	}
	for (size_t i = had * 64; i < from; i++) {
		bits_put(*all, i, bits_get(bits, i));
		bits_put(*yes, i, sure && bits_get(sure, i));
	}
}

size_t store_tailindex_text(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    const char *const *terms, size_t nterms, uint64_t **bits,
			    uint64_t **sure)
{
	size_t n = sh->nrecs;
	bool word = false; /* some term has a letter or digit: else every line is read */
	for (size_t k = 0; k < nterms && !word; k++) {
		size_t at = 0, a;
		word = words_next(terms[k], strlen(terms[k]), &at, &a);
	}
	struct mapcache_ent *mc;
	const char *m;
	if (!word || from >= n || !(m = tailseg_map(st, ws, sh, &mc)))
		return from;
	/* The parts of the day's file (<day>.tpx) answer for the records they reach, their words as
	 * their pairs; a phrase marks the day for the idle steps to build past them. The tail's
	 * words answer for the records past them: kept from reach on. */
	const struct tailpart_file *ph =
	    tailphrase_kept(st, ws, sh, from, tailphrase_wanted(terms, nterms));
	size_t reach = ph ? tailphrase_reach(ph, sh, from) : from;
	struct tailindex_words **kw = (struct tailindex_words **)tailread_kept_text(mc,
										    tailwords_free),
			       *tw = *kw, *mine = NULL;
	if (tw && (tw->at > sh->text_end || tw->next > n))
		tw = mine = tailwords_new(reach); /* a reader of an older state: on its own */
	else if (!tw || tw->from < from || tw->from > reach) {
		tailwords_free(tw);
		tw = *kw = tailwords_new(reach);
	}
	if (tw->at == 0 && tw->next == tw->from && tw->from > from)
		tw->at = tailseg_seek(m, sh->text_end, (uint64_t)*mapcache_bits(mc) * 8, tw->from);
	tailwords_more(sh, m, mapcache_bits(mc), tw, merge_step());
	uint64_t *all = NULL, *yes = NULL;
	bool whole = true; /* the tail's words know every record of theirs that holds the terms */
	struct words_view v;
	words_view_built(&v, &tw->b, tw->starts);
	if (tw->nsegs && words_terms(&v, terms, nterms, n, &all, &yes) == ST_OK) {
		whole = yes;
		text_start(&all, &yes, from, n, *bits, *sure);
		for (size_t i = tw->next; i < n; i++) { /* past the kept words: candidates */
			bits_set(all, i);
			bits_put(yes, i, false);
		}
	}
	/* The segments past the kept words and the parts, each asked for its records'
	 * candidates. */
	const struct tailindex_seg *s;
	size_t past = tw->next > reach ? tw->next : reach;
	for (uint64_t at = tw->at; tailseg_next_good(sh, m, mapcache_bits(mc), &at, &s, &v);) {
		uint64_t *a, *y;
		if ((size_t)s->first + s->nrecs <= past || !words_blob_ok(&v) ||
		    words_terms(&v, terms, nterms, s->nrecs, &a, &y) != ST_OK)
			continue;
		if (!all)
			text_start(&all, &yes, from, n, *bits, *sure);
		whole = whole && y;
		for (size_t i = s->first > past ? s->first : past; i < (size_t)s->first + s->nrecs;
		     i++) {
			bits_put(all, i, bits_get(a, i - s->first));
			bits_put(yes, i, y && bits_get(y, i - s->first));
		}
		free(a);
		free(y);
	}
	tailwords_free(mine);
	if (!all && reach > from)
		text_start(&all, &yes, from, n, *bits, *sure);
	if (all && !whole && !(from && *sure)) { /* none known: NULL says so */
		free(yes);
		yes = NULL;
	}
	if (reach > from)
		tailphrase_answer(ph, terms, nterms, all, &yes, from, reach, n);
	tailread_kept_counted(mc, tailwords_bytes(*kw));
	mapcache_put(mc);
	if (!all)
		return from;
	free(*bits);
	free(*sure);
	*bits = all;
	*sure = yes;
	return n;
}
