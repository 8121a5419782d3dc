/* mediagc: private to lib/store, what retention and export ask of a workspace's media files
 * beyond ops.h: the files lines reference, placed beside them (an archived day, an export). */
#ifndef SPANDEX_STORE_MEDIAGC_H
#define SPANDEX_STORE_MEDIAGC_H

#include "lib/store/store.h"

/* Puts every media file the lines of ws/day reference (store_media_refs: a tag's too) into
 * arch's ws (laid out as a data directory), by a hard link where it can, else a copy: an
 * archived day keeps its media. 0, or -1 with errno. */
int mediagc_archive_day(struct store *st, const char *ws, int32_t day, struct store *arch);
/* Puts every media file line (of ws) references into dir (made), as dir/<hex>: an export's
 * media beside its lines. 0, or -1 with errno. */
int mediagc_export_line(struct store *st, const char *ws, const char *line, size_t n,
			const char *dir);

#endif
