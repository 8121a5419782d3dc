/* storefix: the store helpers the store, crash and power-loss suites share (t/check_store*.c
 * through t/storecase.c, t/check_crash.c, t/check_power.c), on their workspace "ws1". */
#ifndef SPANDEX_T_STOREFIX_H
#define SPANDEX_T_STOREFIX_H

#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"

/* A span of ws1's trace-1 and session-1 with id, start time (us) and name (copied into a);
 * everything else fixed: an LLM call of 1.5 ms, 10 tokens in and 5 out. */
struct arena;
struct span storefix_span(struct arena *a, const char *id, int64_t start, const char *name);
/* A store's notes (verify's problems, reindex's progress) on stderr. */
void storefix_note(void *ctx, const char *msg);
/* Appends s[0..n) to ws1, failing the test when the store refuses. */
void storefix_append(struct store *st, struct span *s, size_t n);
/* The line GET by id answers (the caller frees it), or NULL. */
char *storefix_get(struct store *st, const char *id);
/* The live spans of ws1, as lists count them. */
uint64_t storefix_live(struct store *st);

#endif
