/* mem: allocation that cannot fail. Out of memory aborts the process (STYLE.md 6: the
 * spawner restarts it), so callers never check for NULL. The caller frees what it gets. */
#ifndef SPANDEX_BASE_MEM_H
#define SPANDEX_BASE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Zeroed memory for n objects of size each. */
void *xcalloc(size_t n, size_t size);

#endif
