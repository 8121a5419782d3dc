/* lists: the value lists of a day's .tix (lists.h). */
#include "lib/store/lists.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"

_Static_assert(sizeof(struct lists_ent) == 24, "a list's entry is 24 bytes");
_Static_assert(LISTS_NKEYS <= 64, "the keys listed are bits of a uint64");

int lists_item_cmp(const void *x, const void *y)
{
	const struct lists_item *a = x, *b = y;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* Key k's value of record i (DAYINDEX_ABSENT: none, no list). */
static uint64_t key_value(const struct idx_rec *recs, size_t n, const uint64_t *cols, int k,
			  size_t i)
{
	if (k == STORE_LIST_KIND)
		return recs[i].kind;
	if (k == STORE_LIST_STATUS)
		return recs[i].status;
	return cols[(size_t)k * n + i];
}

/* Key k's records with a value, sorted (into it, n of room); SIZE_MAX when one of them is a
 * value the builder could not read. */
static size_t key_items(const struct idx_rec *recs, size_t n, const uint64_t *cols, int k,
			struct lists_item *it)
{
	size_t m = 0;
	bool col = k < DAYINDEX_NCOLS;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = key_value(recs, n, cols, k, i);
		if (col && v == DAYINDEX_UNKNOWN)
			return SIZE_MAX;
		if (col && v == DAYINDEX_ABSENT)
			continue;
		it[m++] = (struct lists_item){v, recs[i].started_us, (uint32_t)i};
	}
	qsort(it, m, sizeof *it, lists_item_cmp);
	return m;
}

static void add_u64(struct buf *out, uint64_t v)
{
	buf_add(out, &v, sizeof v);
}

void lists_render(const struct idx_rec *recs, size_t n, const uint64_t *cols, struct buf *out)
{
	struct lists_item *it = xmalloc((n ? n : 1) * sizeof *it);
	struct buf ents, rs;
	buf_init(&ents);
	buf_init(&rs);
	uint64_t listed = 0, nl = 0, nr = 0;
	for (int k = 0; k < LISTS_NKEYS; k++) {
		size_t m = key_items(recs, n, cols, k, it);
		if (m == SIZE_MAX)
			continue;
		listed |= 1ull << k;
		for (size_t i = 0; i < m; i++) {
			if (!i || it[i].v != it[i - 1].v) {
				struct lists_ent e = {it[i].v, (uint32_t)k, 0, nr};
				buf_add(&ents, &e, sizeof e);
				nl++;
			}
			((struct lists_ent *)(void *)ents.p)[nl - 1].n++;
			buf_add(&rs, &it[i].rec, sizeof it[i].rec);
			nr++;
		}
	}
	free(it);
	size_t start = out->len;
	add_u64(out, listed);
	add_u64(out, nl);
	buf_add(out, ents.p, ents.len);
	buf_add(out, rs.p, rs.len);
	static const char zero[8];
	buf_add(out, zero, (8 - rs.len % 8) % 8);
	uint32_t crc[2] = {hash_crc32c(0, out->p + start, out->len - start), 0};
	buf_add(out, crc, sizeof crc);
	add_u64(out, out->len - start + 8);
	buf_free(&ents);
	buf_free(&rs);
}

bool lists_at(const void *p, size_t len, struct lists *v)
{
	const char *s = p;
	uint64_t h[2], bytes;
	memset(v, 0, sizeof *v);
	if (len < 32)
		return false;
	memcpy(&bytes, s + len - 8, 8);
	memcpy(h, s, sizeof h);
	if (bytes != len || h[1] > (len - 32) / sizeof *v->e)
		return false;
	size_t rbytes = len - 32 - (size_t)h[1] * sizeof *v->e;
	v->listed = h[0];
	v->e = (const struct lists_ent *)(const void *)(s + 16);
	v->ne = (size_t)h[1];
	v->r = (const uint32_t *)(const void *)(v->e + v->ne);
	v->nr = rbytes / sizeof *v->r;
	v->p = p;
	v->len = len - 16;
	memcpy(&v->crc, s + len - 16, 4);
	/* The records' padding is less than 8 bytes, so their number is within one of nr. */
	return (v->listed >> LISTS_NKEYS) == 0;
}

bool lists_sound(const struct lists *v, size_t nrecs)
{
	if (hash_crc32c(0, v->p, v->len) != v->crc)
		return false;
	uint64_t nr = 0;
	for (size_t i = 0; i < v->ne; i++) {
		const struct lists_ent *e = &v->e[i];
		if (e->k >= LISTS_NKEYS || !(v->listed >> e->k & 1) || e->at != nr || !e->n ||
		    (i &&
		     (v->e[i - 1].k > e->k || (v->e[i - 1].k == e->k && v->e[i - 1].v >= e->v))))
			return false;
		nr += e->n;
		if (nr > v->nr)
			return false;
	}
	for (uint64_t j = 0; j < nr; j++)
		if (v->r[j] >= nrecs)
			return false;
	return v->nr - nr <= 1; /* and the rest is the padding */
}

bool lists_find(const struct lists *v, int k, uint64_t val, const uint32_t **r, size_t *n)
{
	*r = NULL;
	*n = 0;
	if (k < 0 || k >= LISTS_NKEYS || !(v->listed >> k & 1))
		return false;
	size_t lo = 0, hi = v->ne;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		const struct lists_ent *e = &v->e[m];
		if (e->k < (uint32_t)k || (e->k == (uint32_t)k && e->v < val))
			lo = m + 1;
		else
			hi = m;
	}
	if (lo < v->ne && v->e[lo].k == (uint32_t)k && v->e[lo].v == val) {
		*r = v->r + v->e[lo].at;
		*n = v->e[lo].n;
	}
	return true;
}
