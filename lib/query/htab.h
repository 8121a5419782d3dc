/* htab: a hash table of 64-bit keys with a second hash (htab.c), its slots in the order they
 * were made: the groups, traces and sessions a query gathers. */
#ifndef SPANDEX_QUERY_HTAB_H
#define SPANDEX_QUERY_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "lib/base/mem.h"

struct hslot {
	uint64_t key, h2;
	int64_t count, started;
	uint32_t di, ri;
	const char *s1, *s2; /* lazily read key strings (JSON literals) */
	void *ext;
};

/* The slots s[0..n) in the order they were made (a slot keeps its number as the table
 * grows), found through ix: per index slot, a tag of (key, h2) and 1 + the slot's number (0:
 * empty). A lookup probes ix alone, 16 bytes an entry, until a tag matches; the slots, five
 * times larger, are read only then. */
struct htab {
	struct hslot *s;
	size_t n, scap;
	struct hix {
		uint64_t tag;
		uint32_t at;
	} * ix;
	size_t cap; /* index slots: a power of two, at least twice n */
};

static inline uint64_t htab_tag(uint64_t key, uint64_t h2)
{
	return key ^ (h2 * 0x9e3779b97f4a7c15ull);
}

static inline size_t htab_home(const struct htab *t, uint64_t tag)
{
	return (tag ^ (tag >> 29)) & (t->cap - 1);
}

void htab_init(struct htab *t, size_t n);
void htab_free(struct htab *t);
void htab_grow(struct htab *t);

/* The index slot of (key, h2): its own, or the empty one where it would go. */
static inline size_t htab_slot(const struct htab *t, uint64_t key, uint64_t h2, uint64_t tag)
{
	size_t i = htab_home(t, tag);
	while (t->ix[i].at) {
		const struct hslot *h = &t->s[t->ix[i].at - 1];
		if (t->ix[i].tag == tag && h->key == key && h->h2 == h2)
			break;
		i = (i + 1) & (t->cap - 1);
	}
	return i;
}

/* The slot of (key, h2), created when absent (*fresh true). */
static inline struct hslot *htab_find(struct htab *t, uint64_t key, uint64_t h2, bool *fresh)
{
	if ((t->n + 1) * 2 > t->cap)
		htab_grow(t);
	uint64_t tag = htab_tag(key, h2);
	size_t i = htab_slot(t, key, h2, tag);
	*fresh = !t->ix[i].at;
	if (*fresh) {
		if (t->n == t->scap) {
			t->scap *= 2;
			t->s = xrealloc(t->s, t->scap * sizeof *t->s);
		}
		memset(&t->s[t->n], 0, sizeof *t->s);
		t->s[t->n].key = key;
		t->s[t->n].h2 = h2;
		t->ix[i] = (struct hix){tag, (uint32_t)++t->n};
	}
	return &t->s[t->ix[i].at - 1];
}

static inline struct hslot *htab_get(const struct htab *t, uint64_t key, uint64_t h2)
{
	size_t i = htab_slot(t, key, h2, htab_tag(key, h2));
	return t->ix[i].at ? &t->s[t->ix[i].at - 1] : NULL;
}

#endif
