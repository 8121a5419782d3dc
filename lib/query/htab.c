/* htab: a hash table of 64-bit keys (with a second hash), its slots in the order they were
 * made. */
#include "lib/query/htab.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/json/jsonw.h"
#include "lib/model/workspace.h"

/* An empty table with room for n keys before it grows. */
void htab_init(struct htab *t, size_t n)
{
	t->cap = 64;
	while (t->cap < n * 2)
		t->cap *= 2;
	t->ix = xcalloc(t->cap, sizeof *t->ix);
	t->scap = n ? n : 1;
	t->s = xmalloc(t->scap * sizeof *t->s);
	t->n = 0;
}

void htab_free(struct htab *t)
{
	free(t->s);
	free(t->ix);
}

void htab_grow(struct htab *t)
{
	free(t->ix);
	t->cap *= 2;
	t->ix = xcalloc(t->cap, sizeof *t->ix);
	for (size_t k = 0; k < t->n; k++) {
		uint64_t tag = htab_tag(t->s[k].key, t->s[k].h2);
		size_t i = htab_home(t, tag);
		while (t->ix[i].at)
			i = (i + 1) & (t->cap - 1);
		t->ix[i] = (struct hix){tag, (uint32_t)(k + 1)};
	}
}
