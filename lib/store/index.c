/* index: a day's indexes asked as one (store_index_* in store.h). Each question is put to the
 * .tix for the records it covers, then to the tail's segments for the records past it, and
 * answered once with the coverage of both, so that a reader tracks one and not two. */
#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"
#include "lib/store/dayindex.h"
#include "lib/store/store.h"
#include "lib/store/tailread.h"

void store_index_init(struct store_index *x, struct store *st, const char *ws,
		      const struct shard *sh)
{
	memset(x, 0, sizeof *x);
	x->st = st;
	x->ws = ws;
	x->sh = sh;
}

void store_index_free(struct store_index *x)
{
	store_dayindex_close(x->day);
	store_tailindex_cols_free(&x->cols);
	for (int k = 0; k < STORE_LIST_NKEYS; k++)
		store_tailvals_put(x->vals[k]);
	free(x->roots.r);
	memset(x, 0, sizeof *x);
}

/* The .tix, when the day has one to trust (opened on first need). */
static struct store_dayindex *ix_day(struct store_index *x)
{
	if (!x->day_tried) {
		x->day_tried = true;
		x->day = store_dayindex_open(x->st, x->ws, x->sh);
		x->day_covered = x->day ? store_dayindex_covered(x->day) : 0;
	}
	return x->day;
}

/* The tail's columns of the records past the .tix's; NULL when no segment has them. */
static const struct store_tailindex_cols *ix_cols(struct store_index *x)
{
	if (!x->cols_tried) {
		x->cols_tried = true;
		ix_day(x);
		store_tailindex_cols(x->st, x->ws, x->sh, x->day_covered, &x->cols);
	}
	return x->cols.nrun ? &x->cols : NULL;
}

size_t store_index_text(struct store_index *x, const char *const *terms, size_t nterms,
			uint64_t **bits, uint64_t **sure)
{
	size_t covered = 0;
	*bits = *sure = NULL;
	if (ix_day(x) && store_dayindex_text(x->day, terms, nterms, bits, sure) == ST_OK)
		covered = x->day_covered;
	return store_tailindex_text(x->st, x->ws, x->sh, covered, terms, nterms, bits, sure);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Appends r[0..n) to (*to)[0..*nto) and frees r. */
static void recs_take(uint32_t **to, size_t *nto, uint32_t *r, size_t n)
{
	if (n && !*to) {
		*to = r;
		*nto = n;
		return;
	}
	if (n) {
		*to = xrealloc(*to, (*nto + n) * sizeof **to);
		memcpy(*to + *nto, r, n * sizeof *r);
		*nto += n;
	}
	free(r);
}

/* The .tix's records of hs[0..nh) into *recs, *n (none without a .tix); false when a map cannot
 * be read (none then). */
static bool day_keyed(struct store_index *x, enum store_key which, const uint64_t *hs, size_t nh,
		      uint32_t **recs, size_t *n)
{
	*recs = NULL;
	*n = 0;
	for (size_t j = 0; ix_day(x) && j < nh; j++) {
		uint32_t *r;
		size_t m;
		if (store_dayindex_keyed(x->day, which, hs[j], &r, &m) != ST_OK) {
			free(*recs);
			*recs = NULL;
			*n = 0;
			return false;
		}
		recs_take(recs, n, r, m);
	}
	if (nh > 1 && *n) /* distinct hashes: disjoint lists, merged into storage order */
		qsort(*recs, *n, sizeof **recs, cmp_u32);
	return true;
}

size_t store_index_keyed_tix(struct store_index *x, enum store_key which, const uint64_t *hs,
			     size_t nh, uint32_t **recs, size_t *n)
{
	return day_keyed(x, which, hs, nh, recs, n) && x->day ? x->day_covered : 0;
}

size_t store_index_keyed(struct store_index *x, enum store_key which, const uint64_t *hs, size_t nh,
			 uint32_t **recs, size_t *n)
{
	if (!day_keyed(x, which, hs, nh, recs, n))
		return 0; /* a map it cannot read: every record */
	uint32_t *r;
	size_t m,
	    to = store_tailindex_keyed(x->st, x->ws, x->sh, x->day_covered, which, hs, nh, &r, &m);
	recs_take(recs, n, r, m);
	return to;
}

size_t store_index_roots(struct store_index *x, const struct store_index_roots **out)
{
	struct store_index_roots *o = &x->roots;
	*out = o;
	if (x->roots_tried)
		return o->covered;
	x->roots_tried = true;
	if (ix_day(x) && store_dayindex_roots(x->day, x->sh, &o->e, &o->ne, &o->held))
		o->covered = x->day_covered;
	else
		o->e = NULL, o->ne = 0;
	size_t to = store_tailindex_roots(x->st, x->ws, x->sh, o->covered, &o->r, &o->nr);
	if (to > o->covered)
		o->covered = to;
	return o->covered;
}

bool store_index_id(struct store_index *x, enum store_key which, size_t ri, const char **p,
		    size_t *n)
{
	return ix_day(x) && ri < x->day_covered &&
	       store_dayindex_id(x->day, x->sh, which, ri, p, n);
}

uint64_t store_index_col(struct store_index *x, int k, size_t ri)
{
	const uint64_t *col;
	if (ix_day(x) && ri < x->day_covered)
		return (col = store_dayindex_col(x->day, k)) ? col[ri] : DAYINDEX_UNKNOWN;
	const struct store_tailindex_cols *c = ix_cols(x);
	if (!c || ri < c->run[0].first)
		return DAYINDEX_UNKNOWN;
	size_t at = x->col_at < c->nrun ? x->col_at : 0;
	if (c->run[at].first > ri || (at + 1 < c->nrun && c->run[at + 1].first <= ri)) {
		size_t a = 0,
		       b = c->nrun; /* out of order: the last run that starts at or before ri */
		while (b - a > 1) {
			size_t m = a + (b - a) / 2;
			if (c->run[m].first <= ri)
				a = m;
			else
				b = m;
		}
		at = a;
	}
	while (at < c->nrun && ri >= c->run[at].first + c->run[at].n)
		at++;
	if (at == c->nrun)
		return DAYINDEX_UNKNOWN;
	x->col_at = at;
	const struct store_tailindex_run *r = &c->run[at];
	return r->v ? r->v[(size_t)k * r->stride + (ri - r->first)] : DAYINDEX_UNKNOWN;
}

/* The records [from, to) whose value in column col[0..to - from) may match one of want[0..nw)
 * (or is DAYINDEX_UNKNOWN), appended to own[*m..]; every one of them when col is NULL. */
static void col_pick(const uint64_t *col, size_t from, size_t to, const uint64_t *want, size_t nw,
		     uint32_t *own, size_t *m)
{
	for (size_t i = from; i < to; i++) {
		uint64_t x = col ? col[i - from] : DAYINDEX_UNKNOWN;
		/* Most values match none: a compare and a branch rarely taken. */
		if (x != want[0] && x != DAYINDEX_UNKNOWN) {
			size_t j = 1;
			while (j < nw && x != want[j])
				j++;
			if (j == nw)
				continue;
		}
		own[(*m)++] = (uint32_t)i;
	}
}

size_t store_index_pick(struct store_index *x, int k, const uint64_t *want, size_t nw, size_t from,
			uint32_t **recs, size_t *n)
{
	*recs = NULL;
	*n = 0;
	const uint64_t *col =
	    ix_day(x) && from < x->day_covered ? store_dayindex_col(x->day, k) : NULL;
	const struct store_tailindex_cols *tail = ix_cols(x);
	size_t covered = col			 ? x->day_covered
			 : from > x->day_covered ? from
						 : x->day_covered,
	       to = tail ? x->sh->nrecs : covered, m = 0;
	if ((!col && from < x->day_covered) || to <= from || !nw)
		return 0; /* a .tix whose column is damaged: its records are read */
	uint32_t *own = xmalloc((to - from) * sizeof *own);
	if (col)
		col_pick(col + from, from, covered, want, nw, own, &m);
	for (size_t r = 0; tail && r < tail->nrun; r++) {
		const struct store_tailindex_run *t = &tail->run[r];
		col_pick(t->v ? t->v + (size_t)k * t->stride : NULL, t->first, t->first + t->n,
			 want, nw, own, &m);
	}
	*recs = own;
	*n = m;
	return to;
}

size_t store_index_lists(struct store_index *x, int k, uint64_t v, struct store_list *out)
{
	size_t covered = 0;
	memset(out, 0, sizeof *out);
	if (k < 0 || k >= STORE_LIST_NKEYS || (v == DAYINDEX_ABSENT && k < DAYINDEX_NCOLS))
		return 0;
	if (ix_day(x)) {
		if (!store_dayindex_list(x->day, k, v, &out->r[0], &out->n[0]))
			return 0;
		covered = x->day_covered;
	}
	if (covered >= x->sh->nrecs)
		return covered;
	if (!(x->vals_tried >> k & 1)) {
		x->vals_tried |= 1ull << k;
		x->vals_to[k] = store_tailindex_vals(x->st, x->ws, x->sh, covered, k, &x->vals[k]);
	}
	if (!x->vals[k])
		return covered;
	store_tailvals_find(x->vals[k], v, &out->r[1], &out->n[1]);
	out->loose = store_tailvals_loose(x->vals[k], &out->nloose);
	out->tail = true;
	return x->vals_to[k];
}

size_t store_index_count(struct store_index *x, const struct store_dayindex_q *q, uint64_t *n)
{
	size_t covered = 0, nrecs = x->sh->nrecs;
	*n = 0;
	if (ix_day(x)) {
		if (!store_dayindex_count(x->day, x->sh, q, n)) {
			*n = 0;
			return 0;
		}
		covered = x->day_covered;
	}
	uint64_t m = 0;
	if (covered < nrecs && store_tailindex_count(x->st, x->ws, x->sh, covered, q, &m)) {
		*n += m;
		covered = nrecs;
	}
	return covered;
}
