/* media: private to lib/store, what verify, the sweep, backup and restore need of a
 * workspace's media files beyond store.h: their paths and a walk over them. */
#ifndef SPANDEX_STORE_MEDIA_H
#define SPANDEX_STORE_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/store/store.h"

/* A file left by a killed put is named <hex>.tmp-<pid> beside the file it was to become. */
#define MEDIA_TMP ".tmp-"
/* A sweep renames a file it would remove to <hex>.sweep first, and back when a writer took it
 * meanwhile (ops_media_sweep); readers look there too, and the next sweep puts back one that a
 * killed sweep left. */
#define MEDIA_SWEEP ".sweep"

/* <root>/<ws>/media (out: PATH_MAX bytes); false when it would not fit. */
bool media_dir(char *out, const struct store *st, const char *ws);
/* <root>/<ws>/media/<aa>/<hex>; false when it would not fit or hex is no media name. */
bool media_path(char *out, const struct store *st, const char *ws, const char *hex);

/* One entry of a workspace's media directory, as media_each finds it: the name and path of a
 * regular file in <aa>/, its size and time (us), and whether it is a media file (its name a
 * media name in the right <aa>/) or something else (a put's leftover, a stray file). */
struct media_file {
	const char *name, *path;
	uint64_t size;
	int64_t mtime_us;
	bool media;
};
/* Calls fn(ctx, f) for every regular file under ws's media directory, until fn returns
 * false. -1 with errno when the directory exists but cannot be read; 0 otherwise (none:
 * no directory). */
int media_each(const struct store *st, const char *ws,
	       bool (*fn)(void *ctx, const struct media_file *f), void *ctx);
/* The SHA-256 of the file at path, as hex (65 bytes); -1 with errno when it cannot be read. */
int media_hash_file(const char *path, char *hex);

#endif
