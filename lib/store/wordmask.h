/* wordmask: the word bytes of a block of text as a mask, for the word dictionary's cutter
 * (words.c). Header only, private to lib/store: words_next tests a byte, add_words a block. */
#ifndef SPANDEX_STORE_WORDMASK_H
#define SPANDEX_STORE_WORDMASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WORDS_AVX2 1
#endif

/* A word byte: an ASCII letter or digit, or any byte of 0x80 or more. */
static inline bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Bit i set when byte i of p[0..n) is a word byte (word_byte), n at most 64. With SSE2 (every
 * x86-64) 16 bytes a step: a byte of 0x80 or more, or one whose distance from 'a' (once bit
 * 0x20 is set) or from '0' is below 26 or 10: the distance moved by 0x80, so that those are the
 * 26 or 10 lowest signed bytes, one signed comparison each, and the three tests' high bits taken
 * by one movemask (it was a minimum and an equality a test, and two movemasks: 2 instructions
 * of 18 a step fewer). A block shorter than 64 bytes is copied into zeros, which are no word
 * bytes. */
static inline uint64_t word_mask64(const unsigned char *p, size_t n)
{
#ifdef __SSE2__
	unsigned char pad[64];
	if (n < 64) {
		memset(pad, 0, sizeof pad);
		memcpy(pad, p, n);
		p = pad;
	}
	const __m128i lower = _mm_set1_epi8(0x20), a = _mm_set1_epi8(0x80 - 'a'),
		      z = _mm_set1_epi8(-128 + 26), d0 = _mm_set1_epi8(0x80 - '0'),
		      d9 = _mm_set1_epi8(-128 + 10);
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		__m128i l = _mm_add_epi8(_mm_or_si128(x, lower), a), d = _mm_add_epi8(x, d0);
		__m128i w =
		    _mm_or_si128(_mm_or_si128(_mm_cmpgt_epi8(z, l), _mm_cmpgt_epi8(d9, d)), x);
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(w) << (16 * k);
	}
	return m;
#else
	uint64_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= (uint64_t)word_byte(p[i]) << i;
	return m;
#endif
}

#ifdef WORDS_AVX2
/* word_mask64 of a whole block (64 bytes to read at p), 32 bytes a step with the same tests, for
 * a CPU with AVX2 (words.c, add_words_avx2): 2 steps of 9 instructions, where SSE2's 4 take
 * 11 each and keep their constants on the stack. */
__attribute__((target("avx2"))) static inline uint64_t word_mask64_avx2(const unsigned char *p)
{
	const __m256i lower = _mm256_set1_epi8(0x20), a = _mm256_set1_epi8((char)(0x80 - 'a')),
		      z = _mm256_set1_epi8(-128 + 26), d0 = _mm256_set1_epi8((char)(0x80 - '0')),
		      d9 = _mm256_set1_epi8(-128 + 10);
	uint64_t m = 0;
	for (int k = 0; k < 2; k++) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * k));
		__m256i l = _mm256_add_epi8(_mm256_or_si256(x, lower), a),
			d = _mm256_add_epi8(x, d0);
		__m256i w = _mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpgt_epi8(z, l), _mm256_cmpgt_epi8(d9, d)), x);
		m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(w) << (32 * k);
	}
	return m;
}
#endif

#endif
