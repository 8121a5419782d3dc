/* arena: everything a request allocates. arena_reset runs the deferred calls (newest first),
 * then frees every block but the first, which is kept for the next request. Allocation never
 * fails (lib/base/mem.h). One ownership rule per request: what comes from the arena, or is
 * handed to it with arena_defer, is never freed by hand. */
#ifndef SPANDEX_BASE_ARENA_H
#define SPANDEX_BASE_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/base/buf.h"

struct arena;
struct arena *arena_new(void);
void arena_free(struct arena *a);
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes of the blocks a holds now (what it asked malloc for, less what it gave back): the
 * measure of a request's memory that SPANDEX_QUERY_MEM bounds (lib/query). */
size_t arena_size(const struct arena *a);

/* Runs fn(p) at the next arena_reset (or arena_free): for what holds more than memory (a
 * file descriptor, a mapping, malloc'd memory of a library). */
void arena_defer(struct arena *a, void (*fn)(void *), void *p);
/* A growable buffer freed at the next reset. */
struct buf *arena_buf(struct arena *a);

/* A point in an arena to come back to. Between arena_mark and arena_release a caller may
 * allocate freely (JSON too, while arena_json points at a); the release runs the calls deferred
 * since the mark and frees every byte allocated since, so work done once per candidate of a
 * query (parse a line, test it) costs the memory of one candidate, not of all of them.
 * Nothing allocated after the mark may be used after the release: what must outlive it is
 * allocated before the mark or copied out after the release. Marks nest (release the inner
 * first); arena_reset forgets them all. */
struct ablock;
struct adefer;
struct arena_mark {
	struct ablock *head, *next;
	size_t used;
	struct adefer *defers;
};
struct arena_mark arena_mark(struct arena *a);
void arena_release(struct arena *a, struct arena_mark m);

/* Makes jansson allocate from a (NULL: from malloc again). While it is set, json_decref frees
 * nothing and the values live until the reset: the HTTP programs set it around each request,
 * so their handlers never release JSON. Values made with one setting must not be released
 * with the other. */
void arena_json(struct arena *a);
/* Whether json_decref frees nothing now (arena_json set, and not the fuzz build, which poisons
 * what jansson frees): a caller done with a large tree may then leave it to the reset instead
 * of a json_decref that walks every value of it (a 1.7 MB OTLP/JSON body: 22M instructions). */
bool arena_json_frees_nothing(void);

#endif
