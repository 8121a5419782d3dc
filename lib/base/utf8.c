/* utf8: validation (RFC 3629), case folding and the case-blind search. */
#include "lib/base/utf8.h"
#include "lib/base/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		uint64_t x;
		/* ASCII 8 bytes at a time: most text is. */
		if (n - i >= 8 && (memcpy(&x, s + i, 8), !(x & 0x8080808080808080ull))) {
			i += 8;
			continue;
		}
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

uint32_t utf8_fold(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c < 0x100) /* Latin-1: À..Þ but ×; µ is Greek mu */
		return c == 0xb5 ? 0x3bc : c >= 0xc0 && c <= 0xde && c != 0xd7 ? c + 32 : c;
	if (c < 0x180) { /* Latin Extended-A: pairs, upper case first */
		if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17f)
			return c;
		if (c == 0x178)
			return 0xff;
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return c & 1 ? c + 1 : c;
		return c & 1 ? c : c + 1;
	}
	if (c >= 0x386 && c <= 0x3ab) { /* Greek capitals, with and without tonos */
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		return c >= 0x391 && c != 0x3a2 ? c + 32 : c;
	}
	if (c == 0x3c2) /* final sigma */
		return 0x3c3;
	if (c >= 0x400 && c <= 0x52f) { /* Cyrillic and its supplement */
		if (c < 0x410)
			return c + 80;
		if (c < 0x430)
			return c + 32;
		if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) || c >= 0x4d0)
			return c & 1 ? c : c + 1;
		if (c == 0x4c0)
			return 0x4cf;
		if (c >= 0x4c1 && c <= 0x4ce)
			return c & 1 ? c + 1 : c;
	}
	return c;
}

/* Folds the two-byte character at s (which utf8_fold maps to another two-byte one) into d;
 * any other byte is copied. Returns the bytes consumed: 2 for such a character, else 1. */
static inline size_t fold_at(const unsigned char *s, size_t avail, unsigned char *d)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		d[0] = c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf && avail >= 2 && (s[1] & 0xc0) == 0x80) {
		uint32_t f = utf8_fold((uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f));
		d[0] = (unsigned char)(0xc0 | f >> 6);
		d[1] = (unsigned char)(0x80 | (f & 0x3f));
		return 2;
	}
	d[0] = c;
	return 1;
}

/* True when the folded needle f[0..m) matches at h (at least m bytes there). */
static inline bool match_at(const unsigned char *h, const unsigned char *f, size_t m, bool ascii)
{
	size_t j = 0;
	if (ascii) {
		for (; j < m; j++)
			if ((h[j] >= 'A' && h[j] <= 'Z' ? h[j] + 32 : h[j]) != f[j])
				return false;
		return true;
	}
	while (j < m) {
		unsigned char d[2];
		size_t k = fold_at(h + j, m - j, d);
		if (d[0] != f[j] || (k == 2 && d[1] != f[j + 1]))
			return false;
		j += k;
	}
	return true;
}

/* How common a byte is in span lines (JSON punctuation, English text): lower is rarer. The
 * rarest bytes of a term make the fewest false starts. */
static int byte_rank(unsigned char c)
{
	static const char common[] = " \"etaoinsrhldcu:,mfpgwybv.{}0123456789_kx-jqz";
	const char *p = memchr(common, c, sizeof common - 1);
	return p ? (int)(sizeof common - (size_t)(p - common)) : 0;
}

void utf8_needle_init(struct utf8_needle *nd, const char *needle, size_t m, char *fold)
{
	const unsigned char *s = (const unsigned char *)needle;
	unsigned char *f = (unsigned char *)fold;
	memset(nd, 0, sizeof *nd);
	nd->ascii = true;
	for (size_t j = 0; j < m;) {
		if (s[j] >= 0x80)
			nd->ascii = false;
		j += fold_at(s + j, m - j, f + j);
	}
	nd->f = f;
	nd->m = m;
	/* Anchors: the two rarest ASCII bytes at different offsets (a folded letter matches
	 * both its cases; bytes of multi-byte characters may differ between the cases). */
	for (size_t j = 0; j < m; j++) {
		if (f[j] >= 0x80)
			continue;
		if (nd->na < 2)
			nd->at[nd->na++] = j;
		else if (byte_rank(f[j]) < byte_rank(f[nd->at[1]]))
			nd->at[1] = j;
		if (nd->na == 2 && byte_rank(f[nd->at[1]]) < byte_rank(f[nd->at[0]])) {
			size_t t = nd->at[0];
			nd->at[0] = nd->at[1];
			nd->at[1] = t;
		}
	}
}

/* Byte c at an anchor: equal to the folded anchor byte a, either case of a letter. */
static inline bool anchor_ok(unsigned char c, unsigned char a)
{
	return (a >= 'a' && a <= 'z' ? (c | 0x20) : c) == a;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
/* The vector loop of utf8_needle_pos 32 starts at a time, on machines with AVX2: from *sp
 * while a whole vector of starts fits. True with *sp the match; else *sp is where it
 * stopped. */
__attribute__((target("avx2"))) static bool
find_avx2(const struct utf8_needle *nd, const unsigned char *h, size_t starts, size_t *sp)
{
	const size_t i1 = nd->at[0], i2 = nd->na > 1 ? nd->at[1] : nd->at[0];
	const unsigned char a1 = nd->f[i1], a2 = nd->f[i2];
	const __m256i v1 = _mm256_set1_epi8((char)a1), v2 = _mm256_set1_epi8((char)a2);
	const __m256i m1 = _mm256_set1_epi8(a1 >= 'a' && a1 <= 'z' ? 0x20 : 0);
	const __m256i m2 = _mm256_set1_epi8(a2 >= 'a' && a2 <= 'z' ? 0x20 : 0);
	size_t s = *sp;
	for (; s + 32 <= starts; s += 32) {
		__m256i x = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + s + i1)), m1);
		__m256i y = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(h + s + i2)), m2);
		unsigned bits = (unsigned)_mm256_movemask_epi8(
		    _mm256_and_si256(_mm256_cmpeq_epi8(x, v1), _mm256_cmpeq_epi8(y, v2)));
		while (bits) {
			size_t k = (size_t)__builtin_ctz(bits);
			if (match_at(h + s + k, nd->f, nd->m, nd->ascii)) {
				*sp = s + k;
				return true;
			}
			bits &= bits - 1;
		}
	}
	*sp = s;
	return false;
}
#endif

void utf8_fold_text(const char *s, size_t n, char *out)
{
	for (size_t j = 0; j < n;)
		j += fold_at((const unsigned char *)s + j, n - j, (unsigned char *)out + j);
}

size_t utf8_needle_pos(const struct utf8_needle *nd, const char *hay, size_t n)
{
	const unsigned char *h = (const unsigned char *)hay, *f = nd->f;
	const size_t m = nd->m;
	if (!m)
		return 0;
	if (m > n)
		return SIZE_MAX;
	const size_t starts = n - m + 1; /* match positions 0 .. starts-1 */
	size_t s = 0;
	if (!nd->na) { /* no ASCII byte: each character start in turn */
		for (; s < starts; s++)
			if ((h[s] & 0xc0) != 0x80 && match_at(h + s, f, m, false))
				return s;
		return SIZE_MAX;
	}
	const size_t i1 = nd->at[0], i2 = nd->na > 1 ? nd->at[1] : nd->at[0];
	const unsigned char a1 = f[i1], a2 = f[i2];
#ifdef HAVE_AVX2_PATH
	if (__builtin_cpu_supports("avx2") && find_avx2(nd, h, starts, &s))
		return s;
#endif
#ifdef __SSE2__
	/* 16 starts at a time (what AVX2 left): both anchors' bytes compared in one vector each (a
	 * letter with the 0x20 bit forced, so both cases compare equal); the starts where both
	 * agree are checked in full. The loads stay inside hay: start s+15 <= starts-1 reads up to
	 * s+15+i < n. */
	const __m128i v1 = _mm_set1_epi8((char)a1), v2 = _mm_set1_epi8((char)a2);
	const __m128i m1 = _mm_set1_epi8(a1 >= 'a' && a1 <= 'z' ? 0x20 : 0);
	const __m128i m2 = _mm_set1_epi8(a2 >= 'a' && a2 <= 'z' ? 0x20 : 0);
	for (; s + 16 <= starts; s += 16) {
		__m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + s + i1)), m1);
		__m128i y = _mm_or_si128(_mm_loadu_si128((const __m128i *)(h + s + i2)), m2);
		unsigned bits = (unsigned)_mm_movemask_epi8(
		    _mm_and_si128(_mm_cmpeq_epi8(x, v1), _mm_cmpeq_epi8(y, v2)));
		while (bits) {
			size_t k = (size_t)__builtin_ctz(bits);
			if (match_at(h + s + k, f, m, nd->ascii))
				return s + k;
			bits &= bits - 1;
		}
	}
#endif
	for (; s < starts; s++)
		if (anchor_ok(h[s + i1], a1) && anchor_ok(h[s + i2], a2) &&
		    match_at(h + s, f, m, nd->ascii))
			return s;
	return SIZE_MAX;
}

bool utf8_needle_find(const struct utf8_needle *nd, const char *hay, size_t n)
{
	return utf8_needle_pos(nd, hay, n) != SIZE_MAX;
}

bool utf8_casefind(const char *hay, size_t n, const char *needle, size_t m)
{
	char small[256], *fold = m <= sizeof small ? small : xmalloc(m);
	struct utf8_needle nd;
	utf8_needle_init(&nd, needle, m, fold);
	bool r = utf8_needle_find(&nd, hay, n);
	if (fold != small)
		free(fold);
	return r;
}
