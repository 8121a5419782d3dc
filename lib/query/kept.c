/* kept: what a worker keeps of a workspace across its queries (twins.c, gcount.c): which
 * workspace it is of, the least recently asked let go for another, its days in order, and how far
 * each was taken. */
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
