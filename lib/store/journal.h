/* journal: the shards of a batch in progress, one entry per shard with its committed count
 * when the batch began and the count the batch brings it to; empty when no batch is. Written
 * before a batch's first byte and emptied after its last id table entry, so the next writer
 * can settle a batch whose writer died: finish it when every shard of it is complete, else
 * undo it, so a batch is stored whole or not at all (docs/FORMAT.md, "Crash rules").
 * Private to lib/store. */
#ifndef SPANDEX_STORE_JOURNAL_H
#define SPANDEX_STORE_JOURNAL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/store/store.h"
#include "lib/store/keytable.h"
#include "lib/store/record.h"

/* Opens (creating) the journal of ws: its fd, or -1 with errno. */
int journal_open(struct store *st, const char *ws);
/* Names the n shards of a batch of count spans whose ingest times start at base, and opens it
 * (*seq: its number, which each shard's header names while the batch is pending): 0, or -1
 * with errno. */
int journal_write(int jfd, const struct jent *j, size_t n, uint32_t count, int64_t base,
		  uint64_t *seq);
/* Records that the workspace was settled during this boot: 0, or -1 with errno. */
int journal_mark_boot(int jfd);
/* The batch's commit point: it is no longer open, so readers see every record it committed.
 * 0; -1 with errno when the record still reads open (any bytes but 0: readers take the batch
 * as open); 1 with errno when the write failed but the record reads 0 (a torn write that
 * moved every byte that was not 0 already): the batch is published, and its writer finishes
 * it. */
int journal_publish(int jfd);
/* Empties it: the batch is complete (or rolled back). 0, or -1 with errno. */
int journal_clear(int jfd);
/* Under the workspace lock: settles an interrupted batch. A batch still open and written
 * during this boot never reached its commit point: every shard goes back to where the batch
 * found it (roll back). Otherwise (published, or left by a machine that rebooted since), when
 * every shard holds all of its records they are committed and entered in the tables (roll
 * forward), else rolled back, durably. Torn bytes are dropped either way. settle: the first
 * settle after a power cut (struct wopen). */
enum status journal_recover(struct store *st, const char *ws, int jfd, struct keytable_set *t,
			    bool settle);
/* errno after a journal_recover or journal_settle that found the journal damaged (it names
 * days that hold no shard of ws): nothing was settled, and only reindex starts it again. */
#define JOURNAL_DAMAGED EBADMSG
/* Under the workspace lock, what every writer, admin command and verify does first: settles
 * an interrupted batch (journal_recover) and, the first time in a boot (the journal names
 * another), every day after a power cut (struct wopen's settle, and the text of each tail).
 * Then the journal names this boot. */
enum status journal_settle(struct store *st, const char *ws, int jfd, struct keytable_set *t);

#endif
