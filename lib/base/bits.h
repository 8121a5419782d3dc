/* bits: bitmaps in arrays of uint64_t, bit i in word i / 64 (the text indexes' candidate and
 * match sets, a check's records seen), and sets of small values in one word. Header only:
 * each is a shift and a mask. */
#ifndef SPANDEX_BASE_BITS_H
#define SPANDEX_BASE_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool bits_get(const uint64_t *b, size_t i)
{
	return b[i >> 6] >> (i & 63) & 1;
}

static inline void bits_set(uint64_t *b, size_t i)
{
	b[i >> 6] |= 1ull << (i & 63);
}

/* Sets bit i to on. */
static inline void bits_put(uint64_t *b, size_t i, bool on)
{
	if (on)
		bits_set(b, i);
	else
		b[i >> 6] &= ~(1ull << (i & 63));
}

/* Whether any bit of [a, z) is set: a word at a time. */
static inline bool bits_any(const uint64_t *b, size_t a, size_t z)
{
	for (; a < z && (a & 63); a++)
		if (bits_get(b, a))
			return true;
	for (; a + 64 <= z; a += 64)
		if (b[a >> 6])
			return true;
	for (; a < z; a++)
		if (bits_get(b, a))
			return true;
	return false;
}

/* Whether more than k bits of [a, z) are set: a word at a time, stopping once past k. */
static inline bool bits_more(const uint64_t *b, size_t a, size_t z, size_t k)
{
	size_t n = 0;
	for (; a < z && (a & 63); a++)
		n += bits_get(b, a);
	for (; a + 64 <= z && n <= k; a += 64)
		n += (size_t)__builtin_popcountll(b[a >> 6]);
	for (; a < z && n <= k; a++)
		n += bits_get(b, a);
	return n > k;
}

/* Whether v is in a set of up to 32 small values, one bit each (a kind or status set of a
 * query); the empty set stands for all of them. */
static inline bool bits_in_set(uint32_t set, unsigned v)
{
	return !set || (v < 32 && (set >> v & 1));
}

#endif
