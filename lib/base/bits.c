/* bits: the count of set bits, with popcnt where the CPU has it (bits.h). */
#include "lib/base/bits.h"

#include <string.h>

/* The count itself, inlined into each path below: the one copy of the code. */
static inline __attribute__((always_inline)) size_t count(const unsigned char *p, size_t n)
{
	size_t c = 0, i = 0;
	uint64_t w;
	for (; n - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		c += (size_t)__builtin_popcountll(w);
	}
	if (i < n) { /* the last bytes, zero-padded */
		w = 0;
		memcpy(&w, p + i, n - i);
		c += (size_t)__builtin_popcountll(w);
	}
	return c;
}

static size_t count_portable(const unsigned char *p, size_t n)
{
	return count(p, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("popcnt"))) static size_t count_popcnt(const unsigned char *p, size_t n)
{
	return count(p, n);
}

bool bits_count_hw(void)
{
	return __builtin_cpu_supports("popcnt");
}
#else
bool bits_count_hw(void)
{
	return false;
}
#endif

size_t bits_count_path(const void *p, size_t n, bool hw)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (hw && bits_count_hw())
		return count_popcnt(p, n);
#endif
	(void)hw;
	return count_portable(p, n);
}

size_t bits_count(const void *p, size_t n)
{
	return bits_count_path(p, n, true);
}
