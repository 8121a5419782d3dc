/* storecase: the fixture of the store suites' cases (t/check_store.c: writes and reads, with
 * t/check_store_ops.c: seal, backup and retention rules; t/check_store_recovery.c,
 * t/check_store_verify.c, t/check_store_update.c), in t/storecase.c: a store under a fresh root
 * per test, on workspace ws1. */
#ifndef SPANDEX_T_STORECASE_H
#define SPANDEX_T_STORECASE_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/store/store.h"

#define DAY 86400000000ll
#define T0 1700000000000000ll /* 2023-11-14T22:13:20Z */

extern char root[256];
extern struct store st;
extern struct arena *A;

void setup(void);
void teardown(void);
/* A span with id and start time (us); everything else fixed: storefix_span's, with a model,
 * a cost and an input that needs escaping. */
struct span mk(const char *id, int64_t start);
/* store_verify of ws1: its problems, each also said on stderr and kept, one a line, in
 * problems_seen. */
size_t verify(void);
extern char problems_seen[4096];
/* The line GET by id answers (the caller frees it), or NULL. */
char *get(const char *id);
/* Appends s[0..n) to ws1, failing the test when the store refuses. */
void append(struct span *s, size_t n);
/* The size of ws1's file name, or -1. */
off_t fsize(const char *name);
/* Plain file I/O on the documented format (store.h, "The file format"): what a test that
 * damages a file, or plays a crashed writer, needs. ws1's file name opened read-write; 8
 * bytes read or written at offset at. */
int open_file(const char *name);
uint64_t get_u64(const char *name, off_t at);
void put_u64(const char *name, off_t at, uint64_t v);

/* t/check_store_ops.c's case. */
TCase *check_store_ops_tcase(void);

#endif
