/* lines: the lines of one shard, open or sealed (struct shard_lines, in store.h): opening the files
 * an index header names, reading a line's bytes or viewing them in place, and reading the
 * span id at the start of a record's line. Private to lib/store. */
#ifndef SPANDEX_STORE_LINES_H
#define SPANDEX_STORE_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/record.h"
#include "lib/store/store.h"

/* How a shard's lines are opened:
 * - LINES_MAP, a query's: an open shard's <day>.jsonl is mapped when a line is first read,
 *   through the process's mappings (lib/store/mapcache.h), so a day whose lines a query never
 *   reads costs no system call for them, and one it reads costs a stat once mapped. ws must
 *   outlive d. If a seal replaced the file by then, the sealed one is read: the same stream.
 * - LINES_FD, a snapshot's: descriptors opened now, which keep the files they name.
 * - LINES_WRITE, a writer's: appending, the file of plain lines created if absent. */
enum lines_mode { LINES_MAP, LINES_FD, LINES_WRITE };
/* Opens the data of ws/day as header h describes it. ST_NOT_FOUND when a file h names is
 * missing (a seal ran meanwhile: re-read the header and retry). */
enum status lines_open(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h,
		       enum lines_mode mode, struct shard_lines *d);
/* Reads the header of the index idx_fd (or, when idx_map is not NULL, of the index it maps,
 * shared) into *h and opens the data it names (LINES_MAP or LINES_FD), consistent with each
 * other although a seal may commit meanwhile. */
enum status lines_open_idx(struct store *st, const char *ws, int32_t day, int idx_fd,
			   const void *idx_map, enum lines_mode mode, struct idx_hdr *h,
			   struct shard_lines *d);
void lines_close(struct shard_lines *d);
/* The records of the day whose header is h (read through idx_map when not NULL, the index
 * mapped from its start) that a reader may see: its committed count, or the count before a
 * batch that moved it when the workspace's journal still has that batch open (a batch is
 * seen whole or not at all; docs/FORMAT.md, "Crash rules"), which its entry in the journal
 * gives. Looks at the journal only when the header names a pending batch. */
/* The workspace's journal header (format 3; older ones, or none: NULL) through the process's
 * mapping, under look (store_look; 0 none); the caller gives it back with mapcache_put(*mc).
 * Readers map it: lines_visible, store_batches. */
struct mapcache_ent;
const struct jrn_hdr *lines_journal(struct store *st, const char *ws, uint64_t look,
				    struct mapcache_ent **mc);
uint64_t lines_visible(struct store *st, const char *ws, uint64_t look, const struct idx_hdr *h,
		       const void *idx_map);
/* The end of the stream as the files hold it now (the sealed bytes and the size of the plain
 * or late file): 0, or -1 with errno when the lines cannot be read. */
int lines_end(struct shard_lines *d, uint64_t *end);
/* Copies n bytes of the stream at off (within one line) to p. -1 with errno on failure. */
int lines_read(struct shard_lines *d, uint64_t off, void *p, size_t n);
/* A pointer to the n bytes of the line at off, valid until the shard is closed or (sealed)
 * until the next read or view of it: use the line before reading another. */
bool lines_view(struct shard_lines *d, uint64_t off, size_t n, const char **p);
/* The span id literal ("...", as rendered) at the start of record r's line, into lit. */
enum status lines_id_lit(struct shard_lines *d, const struct idx_rec *r, struct buf *lit);
/* Whether record r's line holds the span of id literal lit: 1, 0, or -1 on I/O failure. */
int lines_has_id(struct shard_lines *d, const struct idx_rec *r, const struct buf *lit);

#endif
