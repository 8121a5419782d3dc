/* jscan: the bytes of a JSON string that need no attention, found 16 at a time. Header only:
 * jsonw's writer and jsonx's reader call it once per run of such bytes. */
#ifndef SPANDEX_JSON_JSCAN_H
#define SPANDEX_JSON_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The length of the run at the start of p[0..n) that a JSON string holds as it is: no '"', no
 * '\\', no control (below 0x20) and, with ascii, no byte of 0x80 or more (which the reader
 * checks as UTF-8). With SSE2 (every x86-64) 16 bytes a step; else, and for the rest, 8 bytes a
 * step with the "haszero" and "hasless" tests of Sean Anderson's Bit Twiddling Hacks (exact as
 * a test of the whole word), then byte by byte to the one that stopped it. */
static inline size_t jscan_plain(const char *p, size_t n, bool ascii)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      ctl = _mm_set1_epi8(0x1f);
	for (; n - i >= 16; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* a control: the unsigned minimum of it and 0x1f is itself */
		__m128i bad =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
				 _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
		unsigned m =
		    (unsigned)_mm_movemask_epi8(bad) | (ascii ? (unsigned)_mm_movemask_epi8(x) : 0);
		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	for (uint64_t x, q, b; n - i >= 8; i += 8) {
		memcpy(&x, p + i, 8);
		q = x ^ ones * '"';
		b = x ^ ones * '\\';
		if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((x - ones * 0x20) & ~x) |
		     (ascii ? x : 0)) &
		    high)
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\' || c < 0x20 || (ascii && c >= 0x80))
			break;
	}
	return i;
}

#endif
