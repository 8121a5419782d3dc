/* gview: one view of the groups by trace a process keeps (gview.h): its entries by trace in
 * an open-addressed table, its buckets by count, its keys' literals in a pool, and its page. */
#include "lib/query/gview.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

static size_t traces; /* the entries of every view kept */

void gview_clear(struct gc_view *v)
{
	traces -= v->n;
	for (size_t c = 0; c < v->nb; c++)
		free(v->b[c].e);
	free(v->b);
	free(v->e);
	free(v->slot);
	free(v->pool);
	uint32_t kinds = v->kinds, statuses = v->statuses;
	uint64_t used = v->used;
	memset(v, 0, sizeof *v);
	v->kinds = kinds;
	v->statuses = statuses;
	v->used = used;
}

static void slots_grow(struct gc_view *v)
{
	free(v->slot);
	v->nslot = v->nslot ? 2 * v->nslot : 1024;
	v->slot = xcalloc(v->nslot, sizeof *v->slot);
	for (size_t i = 0; i < v->n; i++)
		*gview_slot(v, v->e[i].h) = (uint32_t)i + 1;
}

void gview_bucket_put(struct gc_view *v, uint32_t ei)
{
	struct gc_ent *e = &v->e[ei];
	if (e->count >= v->nb) {
		size_t nb = v->nb ? v->nb : 64;
		while (nb <= e->count)
			nb *= 2;
		v->b = xrealloc(v->b, nb * sizeof *v->b);
		memset(v->b + v->nb, 0, (nb - v->nb) * sizeof *v->b);
		v->nb = nb;
	}
	struct gc_bucket *b = &v->b[e->count];
	v->top = e->count > v->top ? e->count : v->top;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->e = xrealloc(b->e, b->cap * sizeof *b->e);
	}
	e->pos = b->n;
	b->e[b->n++] = ei;
	b->sorted = b->n == 1;
}

void gview_bucket_drop(struct gc_view *v, uint32_t ei)
{
	struct gc_bucket *b = &v->b[v->e[ei].count];
	uint32_t last = b->e[--b->n];
	if (last != ei) {
		b->e[v->e[ei].pos] = last;
		v->e[last].pos = v->e[ei].pos;
		b->sorted = false;
	}
}

void gview_lit_dead(struct gc_view *v, const struct gc_ent *e)
{
	if (e->lit)
		v->dead += strlen(v->pool + e->lit - 1) + 1;
}

bool gview_take(struct gc_view *v, uint64_t h, int32_t day, uint32_t ri)
{
	if ((v->n + 1) * 2 > v->nslot)
		slots_grow(v);
	uint32_t *s = gview_slot(v, h);
	if (!*s) {
		if (traces >= GC_TRACES_MAX)
			return false;
		traces++;
		if (v->n == v->cap) {
			v->cap = v->cap ? 2 * v->cap : 1024;
			v->e = xrealloc(v->e, v->cap * sizeof *v->e);
		}
		v->e[v->n] =
		    (struct gc_ent){.h = h, .count = 1, .rec = ri, .day = day, .last = day};
		*s = (uint32_t)++v->n;
		gview_bucket_put(v, *s - 1);
		return true;
	}
	uint32_t ei = *s - 1;
	struct gc_ent *e = &v->e[ei];
	e->last = day > e->last ? day : e->last;
	if (day < e->day || (day == e->day && ri < e->rec)) { /* an older day's new record */
		e->day = day;
		e->rec = ri;
		gview_lit_dead(v, e);
		e->lit = 0;
	}
	gview_bucket_drop(v, ei);
	e->count++;
	gview_bucket_put(v, ei);
	return true;
}

/* The key of entry ei as its first span's line holds it, read once (gview.h). */
const char *gview_lit(struct gc_view *v, struct scan *db, uint32_t ei)
{
	struct gc_ent *e = &v->e[ei];
	if (e->lit)
		return v->pool + e->lit - 1;
	const char *p = "\"\"";
	size_t n = 2;
	struct scan_day *s = db_day(db, e->day);
	const char *iv;
	size_t ivn;
	if (s && db_id(s, e->rec, STORE_KEY_TRACE, true, &iv, &ivn))
		p = iv, n = ivn;
	if (v->npool + n + 2 > v->cappool) {
		v->cappool = (v->npool + n + 2) * 2;
		v->pool = xrealloc(v->pool, v->cappool);
	}
	if (!v->npool)
		v->npool = 1; /* offset 0 is none: lit holds 1 + the offset */
	memcpy(v->pool + v->npool, p, n);
	v->pool[v->npool + n] = 0;
	e->lit = (uint32_t)v->npool + 1;
	v->npool += n + 1;
	return v->pool + e->lit - 1;
}

void gview_drop(struct gc_view *v, uint32_t ei)
{
	size_t mask = v->nslot - 1, i = (size_t)(gview_slot(v, v->e[ei].h) - v->slot);
	/* Its slot emptied, the ones after it moved back where their probe finds them. */
	for (size_t j = (i + 1) & mask; v->slot[j]; j = (j + 1) & mask) {
		size_t home = gview_slot_home(v, v->e[v->slot[j] - 1].h);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			v->slot[i] = v->slot[j];
			i = j;
		}
	}
	v->slot[i] = 0;
	gview_lit_dead(v, &v->e[ei]);
	uint32_t last = (uint32_t)--v->n;
	traces--;
	if (last == ei)
		return;
	v->e[ei] = v->e[last];
	*gview_slot(v, v->e[ei].h) = ei + 1;
	v->b[v->e[ei].count].e[v->e[ei].pos] = ei;
}

bool gview_untake(struct gc_view *v, struct scan *db, uint64_t h, int32_t day, uint32_t ri)
{
	uint32_t *s = v->nslot ? gview_slot(v, h) : NULL;
	if (!s || !*s)
		return false;
	uint32_t ei = *s - 1;
	struct gc_ent *e = &v->e[ei];
	if (e->count > 1 && e->day == day && e->rec == ri)
		gview_lit(v, db, ei);
	gview_bucket_drop(v, ei);
	if (--e->count)
		gview_bucket_put(v, ei);
	else
		gview_drop(v, ei);
	while (v->top && !v->b[v->top].n)
		v->top--;
	return true;
}

static struct gc_view *sort_v;
static int by_lit(const void *x, const void *y)
{
	const struct gc_ent *a = &sort_v->e[*(const uint32_t *)x],
			    *b = &sort_v->e[*(const uint32_t *)y];
	return strcmp(sort_v->pool + a->lit - 1, sort_v->pool + b->lit - 1);
}

/* Bucket c in key order (its keys read). */
static void bucket_sort(struct gc_view *v, struct scan *db, size_t c)
{
	struct gc_bucket *b = &v->b[c];
	if (b->sorted)
		return;
	for (uint32_t k = 0; k < b->n; k++)
		gview_lit(v, db, b->e[k]);
	sort_v = v;
	qsort(b->e, b->n, sizeof *b->e, by_lit);
	sort_v = NULL;
	for (uint32_t k = 0; k < b->n; k++)
		v->e[b->e[k]].pos = k;
	b->sorted = true;
}

void gview_page(struct gc_view *v, struct scan *db, struct query_groups *out)
{
	struct query *q = db->q;
	size_t offset, keep = page_keep(q, v->n, false, &offset), at = 0;
	bool asc = sort_asc(q);
	out->total = v->n;
	out->rows = arena_alloc(q->a, (keep > offset ? keep - offset : 1) * sizeof *out->rows);
	/* The buckets from the end the page starts at, until the page is full: a bucket reached
	 * is sorted by key, once. */
	for (size_t j = 1; j <= v->top && at < keep; j++) {
		size_t cnt = asc ? j : v->top + 1 - j;
		struct gc_bucket *b = &v->b[cnt];
		if (!b->n)
			continue;
		if (at + b->n <= offset) {
			at += b->n;
			continue;
		}
		bucket_sort(v, db, cnt);
		for (uint32_t k = 0; k < b->n && at < keep; k++, at++) {
			if (at < offset)
				continue;
			struct query_group *r = &out->rows[out->n++];
			const char *lit = gview_lit(v, db, b->e[k]);
			r->key[0] = arena_strndup(q->a, lit, strlen(lit));
			r->key[1] = NULL;
			r->count = cnt;
		}
	}
	out->more = offset + out->n < out->total;
}
