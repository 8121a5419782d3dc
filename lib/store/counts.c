/* counts: live counts per column value, kind, status and root (counts.h). */
#include "lib/store/counts.h"

#include <stdlib.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"

_Static_assert(sizeof(struct tix_count) == 16, "a count is 16 bytes");

static int count_cmp(const void *x, const void *y)
{
	const struct tix_count *a = x, *b = y;
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

uint32_t counts_render(const struct idx_rec *recs, size_t n, const uint64_t *cols, struct buf *out)
{
	size_t total = 0;
	struct tix_count *e = xmalloc((n ? n : 1) * sizeof *e);
	for (int k = 0; k <= TIX_NCOLS; k++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			const struct idx_rec *r = &recs[i];
			if (store_rec_live(r))
				e[m++] =
				    (struct tix_count){k < TIX_NCOLS ? cols[(size_t)k * n + i] : 0,
						       (uint8_t)(k < TIX_NCOLS ? k : TIX_COUNT_ALL),
						       r->kind,
						       r->status,
						       store_rec_root(r),
						       1};
		}
		qsort(e, m, sizeof *e, count_cmp);
		for (size_t a = 0, z; a < m; a = z) {
			struct tix_count c = e[a];
			for (z = a + 1; z < m && !count_cmp(&e[z], &c); z++)
				c.n++;
			buf_add(out, &c, sizeof c);
			total++;
		}
	}
	free(e);
	return (uint32_t)total;
}

bool counts_sorted(const struct tix_count *c, size_t nc)
{
	for (size_t i = 1; i < nc; i++)
		if (count_cmp(&c[i - 1], &c[i]) >= 0)
			return false;
	return true;
}

bool counts_sum(const struct tix_count *c, size_t nc, const struct store_tix_q *q, uint64_t *n)
{
	size_t a = 0, b = nc;
	unsigned col = q->col >= 0 ? (unsigned)q->col : TIX_COUNT_ALL;
	while (a < b) { /* the first entry of the column */
		size_t m = a + (b - a) / 2;
		if (c[m].col < col)
			a = m + 1;
		else
			b = m;
	}
	uint64_t sum = 0;
	for (; a < nc && c[a].col == col; a++) {
		if (col != TIX_COUNT_ALL) {
			if (c[a].h == TIX_UNKNOWN)
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
