/* tailpart: the file of a day's tail's pairs of words, <day>.tpx (docs/FORMAT.md, "The tail's
 * pairs of words"): parts appended one after another by the one worker that holds the file's
 * flock (tailphrase.c), each the pairs and triples of a run of the tail's records rendered as a
 * .tix's text section, read in place by every worker from its mapping. Derived: never synced,
 * removed under the shard lock with the tail (tailindex_fold, reindex, retention); a part whose
 * checksums fail ends the parts read (a writer killed in its append), and the next writer writes
 * over it. Private to lib/store. */
#ifndef SPANDEX_STORE_TAILPART_H
#define SPANDEX_STORE_TAILPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/base/buf.h"
#include "lib/store/store.h"
#include "lib/store/words.h"

#define TAILPART_MAGIC "SPXTPX1\n"
#define TAILPART_ORDER 0x01020304u

/* A part: this header, then its body, the text section of records [first, first + nrecs)
 * numbered from first (words_render_compact, version 12's: pairs, triples and the words around
 * the rare ones), body_len bytes, then zeros to the next multiple of 8. The marks of its first
 * and last records (span_h, ingested_us: what a .tix is trusted by) say which records it was
 * built from. */
struct tailpart_hdr {
	char magic[8];
	uint32_t first, nrecs;
	uint32_t nwords, order;
	uint64_t blob_len, body_len;
	uint64_t first_span_h;
	int64_t first_ingested_us;
	uint64_t last_span_h;
	int64_t last_ingested_us;
	uint32_t body_crc; /* crc32c of the body_len bytes of the body */
	uint32_t crc;	   /* crc32c of the 72 bytes before it */
};
_Static_assert(sizeof(struct tailpart_hdr) == 80, "a part's header is 80 bytes");

/* A part read: records [from, to), its header at off, its section's view. */
struct tailpart {
	size_t from, to;
	uint64_t off;
	struct words_view v;
};

/* The parts of a day's file as a worker read them last: the file (dev, ino) mapped (map,
 * maplen: its size then; mtime_ns its time), parts p[0..np) whole and in order, ending at byte
 * end; a part past end did not check when last looked at (and is looked at again each time). */
struct tailpart_file {
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	char *map;
	size_t maplen;
	uint64_t end;
	struct tailpart *p;
	size_t np, cap;
};

void tailpart_init(struct tailpart_file *f);
void tailpart_free(struct tailpart_file *f);
/* f brought to the file at path (none there: no part): another file than f's is read from its
 * start, the same one grown or written since from f->end. Each new part checked by its bytes
 * (both checksums, its section's bounds) and by following the one before; the first that fails
 * ends the parts. The file is mapped through a descriptor of its own (a mapping keeps the
 * descriptor it was made from open, and a flock on it held). */
void tailpart_read_path(struct tailpart_file *f, const char *path);
/* Whether part t holds sh's records as they are: its first and last records' marks. */
bool tailpart_current(const struct tailpart_file *f, const struct tailpart *t,
		      const struct shard *sh);
/* The records the parts reach (0 with none). */
size_t tailpart_covered(const struct tailpart_file *f);
/* Checks the parts of st's ws/sh->day's file (spandex verify): each part's header and body
 * (both checksums, its section's bounds and words, words_check), its first and last records'
 * marks against sh's records, and, when no builder holds the file's lock, that no bytes past the
 * last whole part fail to check (a builder killed in its append); each problem a line appended
 * to why. The file is derived: the next build writes over a part that fails, and the fold of
 * `spandex index` removes it. Returns the problems. */
int tailpart_check(const struct store *st, const char *ws, const struct shard *sh, struct buf *why);
/* Writes the part of sh's records [from, to), its text section sec of nwords words and blob_len
 * bytes of them, at byte at of fd (over whatever a killed writer left there), *at moved past it:
 * 0, or -1 with errno. */
int tailpart_write(int fd, uint64_t *at, const struct shard *sh, size_t from, size_t to,
		   const struct buf *sec, size_t nwords, size_t blob_len);

#endif
