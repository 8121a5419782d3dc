/* counts: live counts per column value, kind, status and root (counts.h). */
#include "lib/store/counts.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"

_Static_assert(sizeof(struct dayindex_count) == 16, "a count is 16 bytes");

static int count_cmp(const void *x, const void *y)
{
	const struct dayindex_count *a = x, *b = y;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return (a->root > b->root) - (a->root < b->root);
}

static bool count_same(const struct dayindex_count *a, const struct dayindex_count *b)
{
	return a->h == b->h && a->col == b->col && a->kind == b->kind && a->status == b->status &&
	       a->root == b->root;
}

/* Entry c summed into the distinct entries e[0..*m) through the open-addressed table slot of
 * nslot (a power of two; 0 free, else 1 + the entry). c may be e[*m] or past it. */
static void fold_put(uint32_t *slot, size_t nslot, struct dayindex_count *e, size_t *m,
		     const struct dayindex_count *c)
{
	uint64_t hh = (c->h ^ (uint64_t)c->col << 24 ^ (uint64_t)c->kind << 16 ^
		       (uint64_t)c->status << 8 ^ c->root) *
		      0x9e3779b97f4a7c15ull;
	size_t j = (size_t)(hh >> 32) & (nslot - 1);
	while (slot[j] && !count_same(&e[slot[j] - 1], c))
		j = (j + 1) & (nslot - 1);
	if (slot[j]) {
		e[slot[j] - 1].n += c->n;
	} else {
		e[(*m)++] = *c;
		slot[j] = (uint32_t)*m;
	}
}

/* One column at a time: each live record's entry is summed into the distinct entries through
 * an open-addressed table (slot: 0 free, else 1 + the entry), so only the distinct entries are
 * sorted; a batch has a few dozen per column where it has a thousand records. */
uint32_t counts_render(const struct idx_rec *recs, size_t n, const uint64_t *cols, struct buf *out)
{
	size_t total = 0, nslot = 16;
	while (nslot < 2 * n)
		nslot *= 2;
	struct dayindex_count *e = xmalloc((n ? n : 1) * sizeof *e);
	uint32_t *slot = xmalloc(nslot * sizeof *slot);
	for (int k = 0; k <= DAYINDEX_NCOLS; k++) {
		size_t m = 0;
		memset(slot, 0, nslot * sizeof *slot);
		for (size_t i = 0; i < n; i++) {
			const struct idx_rec *r = &recs[i];
			if (!store_rec_live(r))
				continue;
			struct dayindex_count c = {
			    k < DAYINDEX_NCOLS ? cols[(size_t)k * n + i] : 0,
			    (uint8_t)(k < DAYINDEX_NCOLS ? k : DAYINDEX_COUNT_ALL),
			    r->kind,
			    r->status,
			    store_rec_root(r),
			    1};
			fold_put(slot, nslot, e, &m, &c);
		}
		qsort(e, m, sizeof *e, count_cmp);
		buf_add(out, e, m * sizeof *e);
		total += m;
	}
	free(slot);
	free(e);
	return (uint32_t)total;
}

void counts_merge(struct dayindex_count **sum, size_t *n, size_t *cap, struct dayindex_count *add,
		  size_t nadd)
{
	if (!nadd)
		return;
	/* add's equal entries into one through a table, so that only the distinct ones are sorted:
	 * a tail of a segment a trace has some hundred entries a segment and thousands of segments,
	 * most of their entries the same few (a first count of a day's tail sorted them all: 750M
	 * instructions at 1M spans, a trace a batch). */
	size_t nslot = 16, m = 0;
	while (nslot < 2 * nadd)
		nslot *= 2;
	uint32_t *slot = xcalloc(nslot, sizeof *slot);
	for (size_t i = 0; i < nadd; i++)
		fold_put(slot, nslot, add, &m, &add[i]);
	free(slot);
	qsort(add, m, sizeof *add, count_cmp);
	if (*n + m > *cap) {
		*cap = 2 * (*n + m);
		*sum = xrealloc(*sum, *cap * sizeof **sum);
	}
	struct dayindex_count *c = *sum;
	/* From the ends down, so that sum is merged in place. */
	size_t i = *n, j = m, o = *n + m;
	while (j) {
		int d = i ? count_cmp(&c[i - 1], &add[j - 1]) : -1;
		if (d > 0)
			c[--o] = c[--i];
		else if (d < 0)
			c[--o] = add[--j];
		else {
			c[--o] = c[--i];
			c[o].n += add[--j].n;
		}
	}
	/* Equal entries left gaps below o: close them up. */
	if (o > i)
		memmove(c + i, c + o, (*n + m - o) * sizeof *c);
	*n = i + (*n + m - o);
}

bool counts_sorted(const struct dayindex_count *c, size_t nc)
{
	for (size_t i = 1; i < nc; i++)
		if (count_cmp(&c[i - 1], &c[i]) >= 0)
			return false;
	return true;
}

bool counts_sum(const struct dayindex_count *c, size_t nc, const struct store_dayindex_q *q,
		uint64_t *n)
{
	size_t a = 0, b = nc;
	unsigned col = q->col >= 0 ? (unsigned)q->col : DAYINDEX_COUNT_ALL;
	while (a < b) { /* the first entry of the column */
		size_t m = a + (b - a) / 2;
		if (c[m].col < col)
			a = m + 1;
		else
			b = m;
	}
	uint64_t sum = 0;
	for (; a < nc && c[a].col == col; a++) {
		if (col != DAYINDEX_COUNT_ALL) {
			if (c[a].h == DAYINDEX_UNKNOWN)
				return false; /* a line the maker could not read: its value is
						 unknown */
			size_t j = 0;
			while (j < q->nvals && q->vals[j] != c[a].h)
				j++;
			if (j == q->nvals)
				continue;
		}
		if (bits_in_set(q->kinds, c[a].kind) && bits_in_set(q->statuses, c[a].status) &&
		    (!q->roots || c[a].root))
			sum += c[a].n;
	}
	*n += sum;
	return true;
}
