/* kept: what a worker keeps of a workspace across its queries (twins.c, gcount.c): which
 * workspace it is of, the least recently asked let go for another, its days in order, how far
 * each was taken, and the records taken by span. */
#include "lib/query/engine.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

size_t kept_pick(void *base, size_t n, size_t stride, const struct query *q, uint64_t asked)
{
	size_t old = 0;
	for (size_t i = 0; i < n; i++) {
		struct kept_of *k = (struct kept_of *)((char *)base + i * stride);
		const struct kept_of *o = (const struct kept_of *)((char *)base + old * stride);
		if (k->ws && k->kind == q->st->kind && !strcmp(k->ws, q->ws) &&
		    !strcmp(k->root, q->st->root)) {
			k->used = asked;
			return i;
		}
		if (k->used < o->used)
			old = i;
	}
	return n + old;
}

void kept_set(struct kept_of *k, const struct query *q, uint64_t asked)
{
	kept_free(k);
	k->root = xstrdup(q->st->root);
	k->ws = xstrdup(q->ws);
	k->kind = q->st->kind;
	k->used = asked;
}

void kept_free(struct kept_of *k)
{
	free(k->root);
	free(k->ws);
	memset(k, 0, sizeof *k);
}

void *kept_day(void **days, size_t *n, size_t *cap, size_t size, int32_t day)
{
	char *d = *days;
	size_t at = 0;
	while (at < *n && *(const int32_t *)(d + at * size) < day)
		at++;
	if (at < *n && *(const int32_t *)(d + at * size) == day)
		return d + at * size;
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		*days = d = xrealloc(d, *cap * size);
	}
	memmove(d + (at + 1) * size, d + at * size, (*n - at) * size);
	(*n)++;
	memset(d + at * size, 0, size);
	*(int32_t *)(d + at * size) = day;
	return d + at * size;
}

bool kept_mark_same(const struct kept_mark *m, const struct scan_day *s)
{
	const struct idx_rec *r = m->done ? &s->sh.recs[m->done - 1] : NULL;
	return m->done <= s->sh.nrecs &&
	       (!r || (r->span_h == m->last_span_h && r->ingested_us == m->last_ingested_us));
}

void kept_mark_set(struct kept_mark *m, const struct scan_day *s, size_t done)
{
	m->done = done;
	if (done) {
		m->last_span_h = s->sh.recs[done - 1].span_h;
		m->last_ingested_us = s->sh.recs[done - 1].ingested_us;
	}
}

void kept_spans_room(struct kept_spans *m, size_t n)
{
	size_t ns = m->nslot ? m->nslot : 4096;
	while (n * 4 > ns * 3)
		ns *= 2;
	if (ns == m->nslot)
		return;
	uint64_t *old = m->slot, *slot = xcalloc(ns, sizeof *slot);
	for (size_t k = 0; k < m->nslot; k++)
		if (old[k]) {
			size_t j = KS_HB(old[k]) & (ns - 1);
			while (slot[j])
				j = (j + 1) & (ns - 1);
			slot[j] = old[k];
		}
	free(old);
	m->slot = slot;
	m->nslot = ns;
}

void kept_spans_add(struct kept_spans *m, uint64_t h, uint32_t id, size_t ri)
{
	if ((m->n + 1) * 4 > m->nslot * 3)
		kept_spans_room(m, m->n + 1);
	size_t mask = m->nslot - 1, j = KS_HB(h) & mask;
	while (m->slot[j])
		j = (j + 1) & mask;
	m->slot[j] = (KS_HB(h) << (KS_RBITS + KS_DBITS)) | (uint64_t)id << KS_RBITS | ri;
	m->n++;
}

void kept_spans_del(struct kept_spans *m, size_t i)
{
	size_t mask = m->nslot - 1;
	for (size_t j = (i + 1) & mask; m->slot[j]; j = (j + 1) & mask) {
		size_t home = KS_HB(m->slot[j]) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i] = 0;
	m->n--;
}
