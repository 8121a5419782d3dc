/* utf8: UTF-8 checks and a case-blind search. */
#ifndef SPANDEX_BASE_UTF8_H
#define SPANDEX_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

/* True when needle occurs in hay, ASCII letters compared without case (other bytes, so
 * every multi-byte character, exactly). An empty needle occurs everywhere. */
bool utf8_casefind(const char *hay, size_t n, const char *needle, size_t m);

#endif
