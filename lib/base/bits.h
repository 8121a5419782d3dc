/* bits: bitmaps in arrays of uint64_t, bit i in word i / 64 (the text indexes' candidate and
 * match sets, a check's records seen), and sets of small values in one word. Each is a shift
 * and a mask, here; but the count of set bits (bits.c). */
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

/* Bits [a, z) of dst set to bits [a - off, z - off) of src (off <= a; NULL: all clear), a
 * word of dst at a time where dst's words are whole: a part's bits copied to the day's. */
static inline void bits_copy(uint64_t *dst, size_t a, size_t z, const uint64_t *src, size_t off)
{
	for (; a < z && (a & 63); a++)
		bits_put(dst, a, src && bits_get(src, a - off));
	for (; a + 64 <= z; a += 64) {
		size_t j = a - off, w = j >> 6, sh = j & 63;
		/* the word after w is read only when bits of it are wanted: j + 63 < z - off */
		dst[a >> 6] = !src ? 0 : sh ? src[w] >> sh | src[w + 1] << (64 - sh) : src[w];
	}
	for (; a < z; a++)
		bits_put(dst, a, src && bits_get(src, a - off));
}

/* The set bits of p[0..n) counted, 8 bytes a step: with the CPU's popcnt instruction where it
 * has one (x86-64, asked once: the build targets x86-64's baseline, which lacks it, and there
 * __builtin_popcount is a call to libgcc's __popcountdi2 a word), else the compiler's portable
 * count. One copy of the code, compiled for both (bits.c). A posting list of a bit per record is
 * counted by it (a new worker's first phrase at 5M spans called __popcountdi2 25M times). */
size_t bits_count(const void *p, size_t n);
/* bits_count by the path hw says (true: popcnt; taken only where the CPU has it, else the
 * portable one): the two paths compared by a test. */
size_t bits_count_path(const void *p, size_t n, bool hw);
/* Whether bits_count uses popcnt on this CPU. */
bool bits_count_hw(void);

/* Whether v is in a set of up to 32 small values, one bit each (a kind or status set of a
 * query); the empty set stands for all of them. */
static inline bool bits_in_set(uint32_t set, unsigned v)
{
	return !set || (v < 32 && (set >> v & 1));
}

#endif
