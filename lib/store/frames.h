/* frames: the frames of sealed files a process has decompressed, kept from one query to the
 * next. A row of a sealed day costs the decompression of its 64 KiB frame (about 24 us on this
 * project's VM, 0.24 of the 0.30 ms a page of ten sparse rows took at 1M spans); a worker
 * answers the same pages, spans and traces again and again (a user's reloads, a dashboard's
 * polling), as a database keeps decoded pages in its buffer pool. Frames are kept with the
 * mapping of their file (sealed.c's view, mapcache_aux), so a file replaced since (a re-seal,
 * an erasure pass, a reindex: each renames a new file over it) is another mapping whose frames
 * start empty, and a frame is freed no later than its mapping. Single-threaded, like every
 * spandex process. Private to lib/store. */
#ifndef SPANDEX_STORE_FRAMES_H
#define SPANDEX_STORE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

/* The decompressed bytes a process keeps of frames no reader holds, least recently used
 * first out: 128 frames of 64 KiB, the rows of a dozen pages of ten sparse rows (each in its
 * own frame), and at most 8 MiB a worker (the shipped programs run 20 workers). Frames a reader
 * holds (a sealed file's last SEAL_CACHE, sealed.h) are counted but never given up. */
#define FRAMES_KEEP_BYTES (8u << 20)

struct frame_set;
/* One decompressed frame: p[0, len) the bytes of block i of its file. */
struct frame {
	char *p;
	size_t len, cap, i;
	uint32_t zcrc;		     /* crc32c of the compressed frame it was decompressed from */
	unsigned pins;		     /* readers holding it */
	struct frame_set *set;	     /* the set that keeps it; NULL once lost (frames_lose) */
	struct frame *older, *newer; /* in the list of frames no reader holds */
};

/* The frames kept of one file of n blocks (none at first); frames_set_free frees it and every
 * frame it keeps (none may be held). */
struct frame_set *frames_set_new(size_t n);
void frames_set_free(struct frame_set *s);
/* Bytes of s itself (its table of n blocks), for its mapping's count. */
size_t frames_set_bytes(size_t n);
/* The frame kept for block i of s, held (frames_unpin gives it back); NULL when none. */
struct frame *frames_find(struct frame_set *s, size_t i);
/* A frame for block i of s of room for len bytes, held and kept (in place of any kept before),
 * for the caller to fill; its other fields are the caller's to set. Frames no reader holds are
 * given up, least recently used first, while the process would keep more than
 * FRAMES_KEEP_BYTES. */
struct frame *frames_new(struct frame_set *s, size_t i, size_t len);
/* f is no longer kept (its bytes are not the file's: its decompression failed or its frame
 * changed): freed when its last holder gives it back. */
void frames_lose(struct frame *f);
void frames_unpin(struct frame *f);

#endif
