/* journal: the shards of a batch in progress, one entry per shard with its committed count
 * when the batch began; empty when no batch is. Written before a batch's first byte and
 * emptied after its last id table entry, so the next writer can finish a batch whose writer
 * died (docs/ARCHITECTURE.md, "Crash rules"). Private to lib/store. */
#ifndef SPANDEX_STORE_JOURNAL_H
#define SPANDEX_STORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"
#include "lib/store/tab.h"

struct jent {
	int32_t day;
	uint32_t start;
};
/* Opens (creating) the journal of ws: its fd, or -1 with errno. */
int journal_open(struct store *st, const char *ws);
/* Names the n shards of a batch: 0, or -1 with errno. */
int journal_write(int jfd, const struct jent *j, size_t n);
/* Empties it: the batch is complete (or rolled back). 0, or -1 with errno. */
int journal_clear(int jfd);
/* Under the workspace lock: finishes an interrupted batch. Its complete records are
 * committed and entered in the tables (roll forward); torn bytes after them are dropped. */
enum status journal_recover(struct store *st, const char *ws, int jfd, struct tab_set *t);

#endif
