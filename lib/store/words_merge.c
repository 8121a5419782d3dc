/* words_merge: the text sections of a day's tail segments merged into one dictionary being built
 * (words.h), which tailtext.c keeps, and a view of it that words_terms reads as a section. */
#include "lib/store/words.h"

#include "lib/store/postings.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/mem.h"

bool words_merge(struct words_build *b, const struct words_view *v, size_t nrecs, uint32_t first,
		 uint32_t lo, size_t *bytes)
{
	if (v->compact || v->npairs || !v->nwords || v->ow != 8)
		return false;
	/* Every list read and checked before any is added, so that a malformed one adds none. */
	uint32_t *r = xmalloc((v->post_len ? v->post_len : 1) * sizeof *r);
	size_t *at = xmalloc((v->nwords + 1) * sizeof *at);
	struct postings_sink s = {r, 0, NULL, NULL};
	bool ok = words_blob_ok(v);
	for (size_t k = 0; ok && k < v->nwords; k++) {
		at[k] = s.n;
		ok = postings_leb(v->post, v->post_len, words_off_at(v, v->poffs, k),
				  words_off_at(v, v->poffs, k + 1), nrecs, &s);
	}
	at[v->nwords] = s.n;
	for (size_t i = 0; ok && i < s.n; i++)
		r[i] += first;
	for (size_t k = 0; ok && k < v->nwords; k++) {
		size_t i = at[k];
		while (i < at[k + 1] && r[i] < lo)
			i++;
		if (i < at[k + 1])
			*bytes += words_add_folded(b, v->blob + v->starts[k],
						   v->starts[k + 1] - v->starts[k] - 1, !k, r + i,
						   at[k + 1] - i);
	}
	free(r);
	free(at);
	return ok;
}

void words_view_built(struct words_view *v, const struct words_build *b, const uint32_t *starts)
{
	memset(v, 0, sizeof *v);
	v->ow = v->kw = 8;
	v->blob = b->blob.p;
	v->blob_len = b->blob.len;
	v->nwords = b->nw;
	v->starts = starts;
	v->built = b->w;
}
