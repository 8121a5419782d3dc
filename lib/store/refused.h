/* refused: what a refused write leaves behind goes, so that a batch the store refused leaves
 * nothing (issue 55): the days it was the first of, and a workspace whose first write it was.
 * Both run under the workspace lock, after the batch was rolled back. Private to lib/store. */
#ifndef SPANDEX_STORE_REFUSED_H
#define SPANDEX_STORE_REFUSED_H

#include <stdbool.h>
#include "lib/store/keytable.h"
#include "lib/store/writeset.h"

/* The shards of set that held nothing before the batch (no record, no line) removed, each
 * under its lock (writeset_forget). Only once no journal can name the batch: the next writer
 * would call a journal naming a removed day damaged. */
void refused_days(struct store *st, const char *ws, struct writeset_set *set);
/* When ws holds no span at all (no committed record, no byte of any line), its files and its
 * directory removed: set and t are closed first. Only spandex's own files go; a directory that
 * holds anything else stays. A writer waiting for the lock (lockfd held) opens it again. */
void refused_workspace(struct store *st, const char *ws, struct writeset_set *set,
		       struct keytable_set *t);

#endif
