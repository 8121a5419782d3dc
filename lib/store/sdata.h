/* sdata: the lines of one shard, open or sealed (struct sdata, in store.h): opening the files
 * an index header names, reading a line's bytes or viewing them in place, and reading the
 * span id at the start of a record's line. Private to lib/store. */
#ifndef SPANDEX_STORE_SDATA_H
#define SPANDEX_STORE_SDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/buf.h"
#include "lib/store/record.h"
#include "lib/store/store.h"

/* Opens the data of ws/day as header h describes it (writable: for appending, creating the
 * file of plain lines). ST_NOT_FOUND when a file h names is missing (a seal ran meanwhile:
 * re-read the header and retry). */
enum status sdata_open(struct store *st, const char *ws, int32_t day, const struct idx_hdr *h,
		       bool writable, struct sdata *d);
/* Reads the header of the index idx_fd (or, when idx_map is not NULL, of the index it maps,
 * shared) into *h and opens the data it names, consistent with each other although a seal
 * may commit meanwhile. */
enum status sdata_open_idx(struct store *st, const char *ws, int32_t day, int idx_fd,
			   const void *idx_map, struct idx_hdr *h, struct sdata *d);
void sdata_close(struct sdata *d);
/* Copies n bytes of the stream at off (within one line) to p. -1 with errno on failure. */
int sdata_read(struct sdata *d, uint64_t off, void *p, size_t n);
/* A pointer to the n bytes of the line at off, valid until the shard is closed or (sealed)
 * until the next read or view of it: use the line before reading another. */
bool sdata_view(struct sdata *d, uint64_t off, size_t n, const char **p);
/* The span id literal ("...", as rendered) at the start of record r's line, into lit. */
enum status sdata_id_lit(struct sdata *d, const struct idx_rec *r, struct buf *lit);
/* Whether record r's line holds the span of id literal lit: 1, 0, or -1 on I/O failure. */
int sdata_has_id(struct sdata *d, const struct idx_rec *r, const struct buf *lit);

#endif
