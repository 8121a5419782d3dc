/* mapcache: the read-only mappings of a process's store files (a day's .idx records, its .tix and
 * the lines of an open day), kept from one query to the next. A FastCGI worker answers many
 * queries over the same days; mapping a file, faulting its pages in and unmapping it again
 * cost more than reading the few records most queries need, and as much as a scan of the
 * lines themselves (on a virtual machine a page fault and the TLB flush of an munmap cost
 * microseconds each). Single-threaded, like every spandex process. Private to lib/store. */
#ifndef SPANDEX_STORE_MAPC_H
#define SPANDEX_STORE_MAPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Mappings left unused this long are unmapped by a later mapcache_get, so a file removed since
 * (retention, reindex) stops holding its disk space once the process answers again; a process
 * keeps at most MAPC_MAX_FILES unused files and MAPC_MAX_BYTES of unused mappings (least
 * recently used go first). The table is swept at most once a second. */
#define MAPC_IDLE_MS 30000
#define MAPC_MAX_FILES 512
#define MAPC_MAX_BYTES (2ull << 30)
/* How long mapcache_get_recent takes a path to name the fixed file it named, with no stat. */
#define MAPC_PATH_MS 1000

struct mapcache_ent;

/* The first need bytes (at least) of the open file fd, whose fstat is *sb, mapped read-only and
 * shared, and *e, to give back with mapcache_put. A file that grows is mapped again when a caller
 * needs more than its mapping holds; a mapping may pass the file's end (with slack for
 * growth), and a caller reads only what the file holds. With fixed, the file's content never
 * changes in place (it is written aside and renamed): a file of the same inode but another
 * size or change time is mapped anew, with its mapcache_bits at 0. NULL, errno set, when it cannot
 * be mapped. */
const void *mapcache_get(int fd, const struct stat *sb, size_t need, bool fixed,
			 struct mapcache_ent **e);
/* The mapping of sb's file already made that holds need bytes, with *e; NULL when there is
 * none (then map it with mapcache_get). */
const void *mapcache_find(const struct stat *sb, size_t need, bool fixed, struct mapcache_ent **e);
/* The file at path mapped (fixed as for mapcache_get), *len its size: at least its first need
 * bytes, or with need 0 the whole of it. A stat, and no open at all when the file is the one
 * already mapped. NULL, errno set, when it is missing, shorter than need or cannot be mapped.
 * With a look (store_look: a stat of the directory that found no name in it changed since the
 * look's first stat), a file written in place that a stat under the same look found at path,
 * holding need bytes then, is taken with no stat: *len the bytes it held then. */
const void *mapcache_get_path(const char *path, size_t need, bool fixed, uint64_t look, size_t *len,
			      struct mapcache_ent **e);
/* The mapping of the file written in place that a stat under look found path to name, when it
 * held need bytes then (*len: the bytes it held), with no system call; NULL when there is none
 * (then mapcache_get_path looks at the file). */
const void *mapcache_looked(const char *path, uint64_t look, size_t need, size_t *len,
			    struct mapcache_ent **e);
/* Records that path names e's file, of size bytes, as an open and fstat found just now under
 * look (for mapcache_get_path's later calls). */
void mapcache_found(struct mapcache_ent *e, const char *path, uint64_t look, off_t size);
/* mapcache_get_path of a fixed file, with no stat at all when a stat found path to name a file
 * mapped here less than MAPC_PATH_MS ago: that file is taken, although the path may name a
 * newer one (renamed over it) or the file may have been written in place meanwhile. Only for
 * readers that check what they map against what it indexes (a day's .tix against its
 * records), for whom an older file is as good; a builder or a check uses mapcache_get_path. */
const void *mapcache_get_recent(const char *path, size_t need, size_t *len,
				struct mapcache_ent **e);
/* Called by a process that has just renamed a new file to path: its next mapcache_get_recent
 * looks at the path again. */
void mapcache_forget_path(const char *path);
/* Called when the file at path was replaced or changed in place by another hand
 * (store_forget_day): the mappings a stat found path to name go (unmapped now, or when their
 * holders put them back), with what readers kept with them, so the next mapcache_*_path of it
 * maps what path names then, even a file of the same inode, size and change time. */
void mapcache_drop_path(const char *path);
void mapcache_put(struct mapcache_ent *e);
/* Bits a reader keeps with a file's mapping, 0 at first: what it has checked of it (a .tix's
 * sections; how far a .tdx's segments, lib/store/tailseg.c). */
uint32_t *mapcache_bits(struct mapcache_ent *e);
/* What a reader derives from a file's mapping and keeps with it (a .tdx's counts summed and key
 * maps merged, lib/store/tailread.c), NULL at first; freed with aux_free when the mapping goes.
 * Like the bits, a file written in place that grew past its mapping hands both on to its larger
 * one: they may say only what stays true of the bytes the mapping held. */
void **mapcache_aux(struct mapcache_ent *e, void (*aux_free)(void *));
/* The bytes e's aux holds, counted with its mapping's against MAPC_MAX_BYTES. */
void mapcache_aux_size(struct mapcache_ent *e, size_t bytes);

#endif
