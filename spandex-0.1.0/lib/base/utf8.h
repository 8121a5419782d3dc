/* utf8: UTF-8 checks. */
#ifndef SPANDEX_BASE_UTF8_H
#define SPANDEX_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
