/* mem: allocation that cannot fail. Out of memory aborts the process (STYLE.md 6: the
 * spawner restarts it), so callers never check for NULL. The caller frees what it gets.
 * The names break the rule that a module's symbols carry its prefix (t/layers.sh lets them):
 * xmalloc and its kin are the names C programmers know for exactly this (git, OpenSSH, GNU),
 * they stand in for malloc and friends in every file, and mem_malloc would say less. */
#ifndef SPANDEX_BASE_MEM_H
#define SPANDEX_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Zeroed memory for n objects of size each. */
void *xcalloc(size_t n, size_t size);
/* qsort of n objects, where base may be NULL when n is 0 (an empty workspace's versions):
 * qsort's base is declared nonnull, and UBSan stops a test at such a call. */
void xqsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* A number and what it stands for (an index, say), sorted by the number (mem_sort_keyed). */
struct mem_keyed {
	uint64_t key;
	uint64_t val;
};
/* p[0..n) by key, those of one key in the order they came: a batch's records, made in order,
 * come out by hash and then by record, as a comparison of both would sort them. */
void mem_sort_keyed(struct mem_keyed *p, size_t n);

/* A process that answers one query after another (a FastCGI worker) keeps the memory of one
 * query for the next: allocations up to MEM_KEEP_ALLOC come from the heap, and up to
 * MEM_KEEP_FREE of free heap stays mapped. glibc's defaults (128 KiB for both, the first
 * rising only as large blocks are freed) hand a query's tables back to the kernel when it
 * ends, and the next query faults every page of them in again: a page of traces at a
 * million spans took 6x as long that way (BENCHMARKS.md). */
#define MEM_KEEP_ALLOC (32u << 20)
#define MEM_KEEP_FREE (64u << 20)
void mem_keep_for_reuse(void);

#endif
