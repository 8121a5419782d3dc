/* mapcache: mappings of index files kept across queries (see mapcache.h). A small table, searched
 * linearly: a query holds a few hundred at most, and a lookup costs far less than the stat
 * before it. */
#include "lib/store/mapcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"

#define MAPC_SLACK (1u << 20) /* a growing file's mapping passes its end by up to this */

struct mapcache_ent {
	dev_t dev;
	ino_t ino;
	bool fixed, gone; /* gone: replaced by a larger mapping; unmapped when no one holds it */
	off_t size;
	struct timespec ctime;
	void *map;
	size_t len;
	unsigned refs;
	int64_t used_ms;
	uint32_t bits;
	void *aux; /* mapcache_aux's, freed by aux_free; aux_bytes its size */
	void (*aux_free)(void *);
	size_t aux_bytes;
	/* The path a stat last found to name this file (its hash; 0 none), and when. For a
	 * file written in place, the look it was found under (0 none) and the bytes it held. */
	uint64_t path_h;
	int64_t path_ms;
	uint64_t path_look;
	size_t path_len;
};

static struct mapcache_ent **ents;
static size_t nents, capents;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ent_free(size_t i)
{
	struct mapcache_ent *e = ents[i];
	if (e->aux)
		e->aux_free(e->aux);
	munmap(e->map, e->len);
	free(e);
	ents[i] = ents[--nents];
}

/* Unmaps what no one holds and is gone or idle, then the least recently used unheld ones
 * while the table holds too much. */
static void sweep(int64_t now)
{
	size_t bytes = 0, unheld = 0;
	for (size_t i = 0; i < nents;) {
		struct mapcache_ent *e = ents[i];
		if (!e->refs && (e->gone || now - e->used_ms > MAPC_IDLE_MS)) {
			ent_free(i);
			continue;
		}
		if (!e->refs) {
			bytes += e->len + e->aux_bytes;
			unheld++;
		}
		i++;
	}
	while (unheld > MAPC_MAX_FILES || bytes > MAPC_MAX_BYTES) {
		size_t old = SIZE_MAX;
		for (size_t i = 0; i < nents; i++)
			if (!ents[i]->refs &&
			    (old == SIZE_MAX || ents[i]->used_ms < ents[old]->used_ms))
				old = i;
		if (old == SIZE_MAX)
			break;
		bytes -= ents[old]->len + ents[old]->aux_bytes;
		unheld--;
		ent_free(old);
	}
}

/* The entry of sb's file that serves need bytes, held; NULL when there is none (a mapping
 * of that file too small or of other content is marked gone). */
static struct mapcache_ent *lookup(const struct stat *sb, size_t need, bool fixed, int64_t now)
{
	static int64_t swept;
	if (now - swept >= 1000) {
		sweep(now);
		swept = now;
	}
	for (size_t i = 0; i < nents; i++) {
		struct mapcache_ent *e = ents[i];
		if (e->gone || e->dev != sb->st_dev || e->ino != sb->st_ino || e->fixed != fixed)
			continue;
		if (e->len >= need &&
		    (!fixed || (e->size == sb->st_size && e->ctime.tv_sec == sb->st_ctim.tv_sec &&
				e->ctime.tv_nsec == sb->st_ctim.tv_nsec))) {
			e->refs++;
			e->used_ms = now;
			return e;
		}
		e->gone = true; /* too small, or another content: a new mapping below */
		/* A file written in place that grew stays mapped until mapcache_get maps it
		 * anew: while it is, no other file can have its inode, so the new mapping
		 * knows it for the same file and takes over its bits (inherit). */
		if (!e->refs && fixed)
			ent_free(i);
		break;
	}
	return NULL;
}

/* e, a new mapping of a file written in place, takes over the bits and aux of an unheld older
 * mapping of the same file that was too small (lookup): what they say of the bytes that one
 * held stays true. */
static void inherit(struct mapcache_ent *e)
{
	for (size_t i = 0; i < nents; i++) {
		struct mapcache_ent *o = ents[i];
		if (o == e || !o->gone || o->refs || o->fixed || o->dev != e->dev ||
		    o->ino != e->ino)
			continue;
		e->bits = o->bits;
		e->aux = o->aux;
		e->aux_free = o->aux_free;
		e->aux_bytes = o->aux_bytes;
		o->aux = NULL;
		ent_free(i);
		return;
	}
}

const void *mapcache_get(int fd, const struct stat *sb, size_t need, bool fixed,
			 struct mapcache_ent **out)
{
	int64_t now = now_ms();
	if ((*out = lookup(sb, need, fixed, now)))
		return (*out)->map;
	size_t len = need;
	if (!fixed) /* room to grow: the next queries of a growing day need not map it again */
		len = (need + MAPC_SLACK - 1) / MAPC_SLACK * MAPC_SLACK;
	if (!len) {
		errno = EINVAL;
		return NULL;
	}
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	struct mapcache_ent *e = xmalloc(sizeof *e);
	*e = (struct mapcache_ent){.dev = sb->st_dev,
				   .ino = sb->st_ino,
				   .fixed = fixed,
				   .size = sb->st_size,
				   .ctime = sb->st_ctim,
				   .map = m,
				   .len = len,
				   .refs = 1,
				   .used_ms = now};
	if (!fixed)
		inherit(e);
	if (nents == capents) {
		capents = capents ? 2 * capents : 64;
		ents = xrealloc(ents, capents * sizeof *ents);
	}
	ents[nents++] = e;
	*out = e;
	return m;
}

const void *mapcache_find(const struct stat *sb, size_t need, bool fixed, struct mapcache_ent **out)
{
	*out = lookup(sb, need, fixed, now_ms());
	return *out ? (*out)->map : NULL;
}

/* Whether sb's file holds need bytes (0: any size); EIO when it does not, as for a short read. */
static bool holds(const struct stat *sb, size_t need)
{
	if ((size_t)sb->st_size >= need)
		return true;
	errno = EIO;
	return false;
}

/* No entry is known to be the file of the path of hash ph any more. */
static void path_forget(uint64_t ph)
{
	for (size_t i = 0; i < nents; i++)
		if (ents[i]->path_h == ph)
			ents[i]->path_h = 0;
}

/* Records that a stat found path (hash ph) to name e's file, of size bytes, now (and under
 * look, for a file written in place), and that it names no other entry's. */
static void path_found(struct mapcache_ent *e, uint64_t ph, int64_t now, uint64_t look, off_t size)
{
	path_forget(ph);
	e->path_h = ph;
	e->path_ms = now;
	e->path_look = e->fixed ? 0 : look;
	e->path_len = (size_t)size < e->len ? (size_t)size : e->len;
}

static uint64_t path_hash(const char *path)
{
	return hash_bytes(path, strlen(path)) | 1;
}

/* The entry a stat found path (hash ph) to name, held, when that still stands and it held
 * need bytes then: a fixed file found less than MAPC_PATH_MS ago (mapcache_get_recent), or a file
 * written in place found under look (mapcache_looked; never with look 0). NULL when there is none.
 */
static struct mapcache_ent *path_held(uint64_t ph, bool fixed, uint64_t look, size_t need,
				      int64_t now)
{
	for (size_t i = 0; i < nents; i++) {
		struct mapcache_ent *e = ents[i];
		if (e->path_h != ph || e->fixed != fixed || e->gone || e->path_len < need ||
		    (fixed ? now - e->path_ms >= MAPC_PATH_MS : !look || e->path_look != look))
			continue;
		e->refs++;
		e->used_ms = now;
		return e;
	}
	return NULL;
}

/* The mapping of e (path_held's), its bytes in *len; NULL for none. */
static const void *held_map(const struct mapcache_ent *e, size_t *len)
{
	if (!e)
		return NULL;
	*len = e->path_len;
	return e->map;
}

const void *mapcache_looked(const char *path, uint64_t look, size_t need, size_t *len,
			    struct mapcache_ent **out)
{
	return held_map(*out = path_held(path_hash(path), false, look, need, now_ms()), len);
}

const void *mapcache_get_path(const char *path, size_t need, bool fixed, uint64_t look, size_t *len,
			      struct mapcache_ent **out)
{
	struct stat sb;
	int64_t now = now_ms();
	uint64_t ph = path_hash(path);
	if (!fixed && (*out = path_held(ph, false, look, need, now)))
		return held_map(*out, len);
	if (stat(path, &sb) < 0 || !holds(&sb, need))
		return NULL;
	if ((*out = lookup(&sb, need ? need : (size_t)sb.st_size, fixed, now))) {
		*len = (size_t)sb.st_size;
		path_found(*out, ph, now, look, sb.st_size);
		return (*out)->map;
	}
	/* Not mapped yet: the file's own fstat, since path may name another file by now. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	const void *m = NULL;
	if (fstat(fd, &sb) == 0 && holds(&sb, need) &&
	    (m = mapcache_get(fd, &sb, need ? need : (size_t)sb.st_size, fixed, out))) {
		*len = (size_t)sb.st_size;
		path_found(*out, ph, now, look, sb.st_size);
	}
	int e = errno;
	close(fd);
	errno = e;
	return m;
}

void mapcache_found(struct mapcache_ent *e, const char *path, uint64_t look, off_t size)
{
	path_found(e, path_hash(path), now_ms(), look, size);
}

const void *mapcache_get_recent(const char *path, size_t need, size_t *len,
				struct mapcache_ent **out)
{
	if ((*out = path_held(path_hash(path), true, 0, need, now_ms())))
		return held_map(*out, len);
	return mapcache_get_path(path, need, true, 0, len, out);
}

void mapcache_forget_path(const char *path)
{
	path_forget(path_hash(path));
}

void mapcache_drop_path(const char *path)
{
	uint64_t ph = path_hash(path);
	for (size_t i = 0; i < nents;) {
		struct mapcache_ent *e = ents[i];
		if (e->path_h != ph) {
			i++;
			continue;
		}
		e->path_h = 0;
		e->gone = true; /* freed by its last mapcache_put, and never inherited from */
		if (e->refs)
			i++;
		else
			ent_free(i);
	}
}

void mapcache_put(struct mapcache_ent *e)
{
	if (!e)
		return;
	e->refs--;
	e->used_ms = now_ms();
	if (!e->refs && e->gone)
		for (size_t i = 0; i < nents; i++)
			if (ents[i] == e) {
				ent_free(i);
				break;
			}
}

uint32_t *mapcache_bits(struct mapcache_ent *e)
{
	return &e->bits;
}

void **mapcache_aux(struct mapcache_ent *e, void (*aux_free)(void *))
{
	e->aux_free = aux_free;
	return &e->aux;
}

void mapcache_aux_size(struct mapcache_ent *e, size_t bytes)
{
	e->aux_bytes = bytes;
}
