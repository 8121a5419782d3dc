/* mem: allocation that cannot fail. Out of memory aborts the process (STYLE.md 6: the
 * spawner restarts it), so callers never check for NULL. The caller frees what it gets.
 * The names break the rule that a module's symbols carry its prefix (t/layers.sh lets them):
 * xmalloc and its kin are the names C programmers know for exactly this (git, OpenSSH, GNU),
 * they stand in for malloc and friends in every file, and mem_malloc would say less. */
#ifndef SPANDEX_BASE_MEM_H
#define SPANDEX_BASE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Zeroed memory for n objects of size each. */
void *xcalloc(size_t n, size_t size);

#endif
