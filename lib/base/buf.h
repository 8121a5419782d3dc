/* buf: a growable byte buffer, always NUL-terminated after len. The owner frees it with
 * buf_free (or gets it from arena_buf, which frees it at the reset). */
#ifndef SPANDEX_BASE_BUF_H
#define SPANDEX_BASE_BUF_H

#include <stddef.h>
#include <string.h>

struct buf {
	char *p;
	size_t len, cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends p[0..n) and c, inline: a span's line is about 22 of them, each a call (the room's
 * test, memcpy of a length the caller often knows at compile time) of about 45 instructions
 * (callgrind, a batch of 1,000 Opik spans: 0.85M of 54.8M). */
static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
}

/* A buffer kept from one use to the next (a worker's scratch) after a use: emptied, or let go
 * once its room passed keep, so a worker does not hold the largest text it ever wrote. */
static inline void buf_scratch_done(struct buf *b, size_t keep)
{
	if (b->cap > keep)
		buf_free(b);
	b->len = 0;
}

static inline void buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = 0;
}

#endif
