/* util: memory (arena, growable buffer), hashing, time and JSON string helpers.
 * The arena owns everything allocated from it; arena_reset frees it all at once.
 * Allocation failure aborts the process (the spawner restarts it), so no NULL checks. */
#ifndef SPANDEX_UTIL_H
#define SPANDEX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Memory. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Frees every block except the first, which is kept for the next request. */
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Formats an error message into out (when out is not NULL) and returns rc: for functions that
 * report a status and a reason. */
int msgf(int rc, char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A growable byte buffer, always NUL-terminated after len. Owned by the caller (buf_free). */
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
/* Appends s as a JSON string literal with quotes (RFC 8259 section 7). */
void buf_json_str(struct buf *b, const char *s, size_t n);
/* Appends a double the way Python's json would (shortest round-trip form, ints without .0). */
void buf_json_num(struct buf *b, double v);

/* 64-bit hash of a byte string; never returns 0 (0 marks an empty slot). */
uint64_t hash64(const void *p, size_t n);
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* Time: microseconds since the Unix epoch, UTC. */
int64_t now_us(void);
/* Parses an RFC 3339 / ISO 8601 datetime. need_offset: refuse a value without Z or +hh:mm.
 * A value without an offset is taken as UTC. Returns false on any syntax or range error. */
bool time_parse(const char *s, bool need_offset, int64_t *us);
/* Formats as 2024-01-15T09:30:00Z, or ...:00.123456Z when there are microseconds. out >= 32. */
void time_format(int64_t us, char *out);
/* Days since the epoch of the UTC day holding us (floor division). */
int32_t time_day(int64_t us);
/* "YYYY-MM-DD" for a day number; out >= 11. */
void day_format(int32_t day, char *out);
bool day_parse(const char *s, int32_t *day);

/* Lower-case hex of n bytes; out holds 2n+1. */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* stable_id of the NeMo service: SHA-256 over each part as an 8-byte big-endian length and its
 * bytes, the first 32 hex characters, behind prefix ("" for none). Returns an arena string. */
char *stable_id(struct arena *a, const char *prefix, const char *const *parts, size_t nparts);
void sha256(const void *p, size_t n, uint8_t out[32]);

/* True when s[0..n) is valid UTF-8 (RFC 3629: no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);

#endif
