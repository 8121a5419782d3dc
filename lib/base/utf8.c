/* utf8: validation (RFC 3629). */
#include "lib/base/utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
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

static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

bool utf8_casefind(const char *hay, size_t n, const char *needle, size_t m)
{
	const unsigned char *h = (const unsigned char *)hay, *nd = (const unsigned char *)needle;
	if (!m)
		return true;
	if (m > n)
		return false;
	/* memchr finds the candidates for the first byte, in both cases, at memory speed; each
	 * case's next hit is kept until the scan passes it, so no byte is searched twice. */
	unsigned char lo = fold(nd[0]), up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - 32) : lo;
	const size_t lim = n - m + 1;
	const unsigned char *a = memchr(h, lo, lim), *b = up != lo ? memchr(h, up, lim) : NULL;
	while (a || b) {
		const unsigned char *p = !a ? b : !b ? a : a < b ? a : b;
		size_t j = 1;
		while (j < m && fold(p[j]) == fold(nd[j]))
			j++;
		if (j == m)
			return true;
		size_t next = (size_t)(p - h) + 1;
		if (p == a)
			a = next < lim ? memchr(h + next, lo, lim - next) : NULL;
		else
			b = next < lim ? memchr(h + next, up, lim - next) : NULL;
	}
	return false;
}
