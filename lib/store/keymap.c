/* keymap: a trace or session hash to its records (keymap.h). */
#include "lib/store/keymap.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static size_t blocks(size_t n)
{
	return (n + KEYMAP_BLOCK - 1) / KEYMAP_BLOCK;
}

size_t keymap_bytes(size_t n)
{
	return 8 * n + pad8(4 * n) + pad8(4 * blocks(n));
}

/* The checksum of block b of a map of n entries. */
static uint32_t block_crc(const uint64_t *hs, const uint32_t *rs, size_t n, size_t b)
{
	size_t a = b * KEYMAP_BLOCK, z = a + KEYMAP_BLOCK < n ? a + KEYMAP_BLOCK : n;
	return hash_crc32c(hash_crc32c(0, hs + a, 8 * (z - a)), rs + a, 4 * (z - a));
}

static uint64_t key_of(const struct idx_rec *r, enum store_key k)
{
	return k == STORE_KEY_TRACE ? r->trace_h : r->session_h;
}

void keymap_render(const struct idx_rec *recs, size_t n, enum store_key k, struct buf *out)
{
	size_t nb = blocks(n);
	struct mem_keyed *e = xmalloc((n ? n : 1) * sizeof *e);
	for (size_t i = 0; i < n; i++)
		e[i] = (struct mem_keyed){key_of(&recs[i], k), i};
	mem_sort_keyed(e, n); /* by hash, then by record */
	uint64_t *hs = xmalloc((n ? n : 1) * sizeof *hs);
	uint32_t *rs = xcalloc(pad8(4 * n) / 4 + 2, sizeof *rs);
	uint32_t *crc = xcalloc(nb + 2, sizeof *crc);
	for (size_t i = 0; i < n; i++) {
		hs[i] = e[i].key;
		rs[i] = (uint32_t)e[i].val;
	}
	for (size_t b = 0; b < nb; b++)
		crc[b] = block_crc(hs, rs, n, b);
	buf_add(out, hs, 8 * n);
	buf_add(out, rs, pad8(4 * n));
	buf_add(out, crc, pad8(4 * nb));
	free(e);
	free(hs);
	free(rs);
	free(crc);
}

struct keymap keymap_at(const void *p, size_t n)
{
	const char *m = p;
	return (struct keymap){(const uint64_t *)m, (const uint32_t *)(m + 8 * n),
			       (const uint32_t *)(m + 8 * n + pad8(4 * n)), n};
}

/* The blocks this process has checked (store_keymap_checks). */
static uint64_t checks;

uint64_t store_keymap_checks(void)
{
	return checks;
}

bool keymap_block_good(const struct keymap *m, size_t b)
{
	checks++;
	return m->crc[b] == block_crc(m->h, m->rec, m->n, b);
}

size_t keymap_good_words(const struct keymap *m)
{
	return (blocks(m->n) + 63) / 64;
}

/* Whether block b of m holds its checksum: known from good (a bit per block, NULL none), or
 * checked and then kept there. */
static bool block_ok(const struct keymap *m, uint64_t *good, size_t b)
{
	if (good && bits_get(good, b))
		return true;
	if (!keymap_block_good(m, b))
		return false;
	if (good)
		bits_set(good, b);
	return true;
}

bool keymap_good(const struct keymap *m)
{
	for (size_t b = 0; b < blocks(m->n); b++)
		if (!keymap_block_good(m, b))
			return false;
	return true;
}

enum status keymap_find(const struct keymap *m, uint64_t h, uint64_t *good, uint32_t base,
			uint32_t **recs, size_t *n, size_t *cap)
{
	const uint64_t *hs = m->h;
	const uint32_t *rs = m->rec;
	const size_t nrecs = m->n, B = KEYMAP_BLOCK, had = *n;
	if (!nrecs)
		return ST_OK;
	/* The last block whose first hash is below h (or block 0). Its checksum, checked next,
	 * vouches for that first hash, so no block before it holds h; each block the walk
	 * enters after it is checked on entry. */
	size_t lo = 0, hi = blocks(nrecs);
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (hs[mid * B] < h)
			lo = mid;
		else
			hi = mid;
	}
	if (!block_ok(m, good, lo))
		return ST_NOT_FOUND;
	size_t a = lo * B, z = a + B < nrecs ? a + B : nrecs;
	while (a < z) {
		size_t mid = (a + z) / 2;
		if (hs[mid] < h)
			a = mid + 1;
		else
			z = mid;
	}
	for (size_t i = a; i < nrecs; i++) {
		if ((i % B == 0 && i != lo * B && !block_ok(m, good, i / B)) ||
		    (hs[i] == h && rs[i] >= nrecs)) {
			*n = had;
			return ST_NOT_FOUND;
		}
		if (hs[i] != h)
			break;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*recs = xrealloc(*recs, *cap * sizeof **recs);
		}
		(*recs)[(*n)++] = base + rs[i];
	}
	return ST_OK;
}

size_t keymap_check(const struct keymap *m, const struct idx_rec *recs, enum store_key k)
{
	size_t n = m->n, bad = SIZE_MAX;
	for (size_t b = 0; b < blocks(n) && bad == SIZE_MAX; b++)
		if (!keymap_block_good(m, b))
			bad = b * KEYMAP_BLOCK;
	uint64_t *seen = xcalloc((n + 63) / 64 + 1, sizeof *seen);
	for (size_t i = 0; i < n && bad == SIZE_MAX; i++) {
		uint32_t r = m->rec[i];
		if (r >= n || bits_get(seen, r) ||
		    (i &&
		     (m->h[i - 1] > m->h[i] || (m->h[i - 1] == m->h[i] && m->rec[i - 1] > r))) ||
		    (recs && m->h[i] != key_of(&recs[r], k)))
			bad = i;
		else
			bits_set(seen, r);
	}
	free(seen);
	return bad;
}
