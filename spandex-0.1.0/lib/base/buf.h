/* buf: a growable byte buffer, always NUL-terminated after len. The owner frees it with
 * buf_free (or gets it from arena_buf, which frees it at the reset). */
#ifndef SPANDEX_BASE_BUF_H
#define SPANDEX_BASE_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
