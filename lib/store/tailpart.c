/* tailpart: the parts of a day's <day>.tpx, written and read in place (tailpart.h). */
#include "lib/store/tailpart.h"

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"

void tailpart_init(struct tailpart_file *f)
{
	memset(f, 0, sizeof *f);
}

/* The mapping and the parts let go, the file's identity kept. */
static void unmap(struct tailpart_file *f)
{
	if (f->map)
		munmap(f->map, f->maplen);
	f->map = NULL;
	f->maplen = 0;
	f->end = 0;
	f->np = 0;
}

void tailpart_free(struct tailpart_file *f)
{
	unmap(f);
	free(f->p);
	tailpart_init(f);
}

static const struct tailpart_hdr *hdr_at(const struct tailpart_file *f, uint64_t off)
{
	return (const struct tailpart_hdr *)(f->map + off);
}

static uint64_t pad8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Whether the part at f->end checks (its header, its body's bounds and checksum, its records
 * after those of the part before), into *t. The body's checksum stays on each worker's first
 * read although `spandex verify` and the builder check too: the file is never synced, so after a
 * power cut a part's header may be on disk without its body, which nothing else tells, and a
 * part's records it calls sure are not read again (a wrong part is a wrong answer, not a slow
 * one). It costs 0.25 instructions a byte (hash_crc32c's three streams). */
static bool part_at(const struct tailpart_file *f, struct tailpart *t)
{
	uint64_t at = f->end, room = f->maplen;
	if (at + sizeof(struct tailpart_hdr) > room)
		return false;
	const struct tailpart_hdr *h = hdr_at(f, at);
	const char *body = (const char *)(h + 1);
	size_t before = f->np ? f->p[f->np - 1].to : 0;
	if (memcmp(h->magic, TAILPART_MAGIC, 8) || h->order != TAILPART_ORDER ||
	    h->crc != hash_crc32c(0, h, offsetof(struct tailpart_hdr, crc)) || !h->nrecs ||
	    h->first < before || h->body_len > room - at - sizeof *h ||
	    pad8(h->body_len) > room - at - sizeof *h ||
	    h->body_crc != hash_crc32c(0, body, h->body_len) ||
	    !words_open(&t->v, body, h->body_len, h->nwords, h->blob_len, WORDS_PAIRS_CTX))
		return false;
	t->from = h->first;
	t->to = (size_t)h->first + h->nrecs;
	t->off = at;
	return true;
}

/* The parts past f->end read. */
static void walk(struct tailpart_file *f)
{
	struct tailpart t;
	while (part_at(f, &t)) {
		if (f->np == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 16;
			f->p = xrealloc(f->p, f->cap * sizeof *f->p);
		}
		f->p[f->np++] = t;
		f->end = t.off + sizeof(struct tailpart_hdr) + pad8(hdr_at(f, t.off)->body_len);
	}
}

static void tailpart_read(struct tailpart_file *f, int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		unmap(f);
		return;
	}
	int64_t mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	bool same = f->map && sb.st_dev == f->dev && sb.st_ino == f->ino;
	if (same && (uint64_t)sb.st_size == f->maplen) {
		/* the same bytes mapped: looked at again past the parts while bytes there did not
		 * check (a part being written when last looked at may be whole now, at the same
		 * size and time) or the file was written since */
		if (mt != f->mtime_ns || f->end < f->maplen) {
			f->mtime_ns = mt;
			walk(f);
		}
		return;
	}
	/* Another file, or one shorter than mapped (cut by hand: no writer shortens it): all of
	 * it read again. Else the parts read so far are kept (their bytes never change: a writer
	 * writes only past them) and looked at again from the first that did not check. */
	size_t keep = same && (uint64_t)sb.st_size >= f->maplen ? f->np : 0;
	uint64_t end = keep ? f->end : 0;
	unmap(f);
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->mtime_ns = mt;
	if (!sb.st_size)
		return;
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return;
	f->map = m;
	f->maplen = (size_t)sb.st_size;
	/* the views of the parts kept, in the new mapping (their bytes checked before) */
	for (size_t k = 0; k < keep; k++) {
		const struct tailpart_hdr *h = hdr_at(f, f->p[k].off);
		if (!words_open(&f->p[k].v, h + 1, h->body_len, h->nwords, h->blob_len,
				WORDS_PAIRS_CTX)) {
			keep = k;
			end = f->p[k].off;
		}
	}
	f->np = keep;
	f->end = end;
	walk(f);
}

void tailpart_read_path(struct tailpart_file *f, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tailpart_free(f);
		return;
	}
	tailpart_read(f, fd);
	close(fd);
}

bool tailpart_current(const struct tailpart_file *f, const struct tailpart *t,
		      const struct shard *sh)
{
	const struct tailpart_hdr *h = hdr_at(f, t->off);
	return t->to <= sh->nrecs && sh->recs[t->from].span_h == h->first_span_h &&
	       sh->recs[t->from].ingested_us == h->first_ingested_us &&
	       sh->recs[t->to - 1].span_h == h->last_span_h &&
	       sh->recs[t->to - 1].ingested_us == h->last_ingested_us;
}

size_t tailpart_covered(const struct tailpart_file *f)
{
	return f->np ? f->p[f->np - 1].to : 0;
}

int tailpart_check(const struct store *st, const char *ws, const struct shard *sh, struct buf *why)
{
	char p[PATH_MAX];
	int fd;
	if (!layout_shard_path(p, st, ws, sh->day, LAYOUT_TAILPAIRS) ||
	    (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	/* a builder holds the lock across its steps: the bytes past its parts may be the one it
	 * is writing, not a torn one */
	bool building = flock(fd, LOCK_SH | LOCK_NB) < 0;
	struct tailpart_file f;
	tailpart_init(&f);
	tailpart_read_path(&f, p);
	int bad = 0;
	for (size_t k = 0; k < f.np; k++) {
		const struct tailpart *t = &f.p[k];
		if (!tailpart_current(&f, t, sh)) {
			buf_printf(
			    why,
			    "the part of records %zu-%zu names records the day does not have "
			    "(the next build removes the file)\n",
			    t->from, t->to - 1);
			bad++;
		} else if (words_check(&t->v, t->to - t->from) != SIZE_MAX) {
			buf_printf(why, "the part of records %zu-%zu is damaged\n", t->from,
				   t->to - 1);
			bad++;
		}
	}
	static const char zero[8];
	size_t left = f.maplen - f.end;
	if (!building && left && memcmp(f.map + f.end, zero, left < 8 ? left : 8)) {
		buf_printf(why,
			   "the part at byte %llu does not check (the next build writes over it)\n",
			   (unsigned long long)f.end);
		bad++;
	}
	tailpart_free(&f);
	close(fd);
	return bad;
}

int tailpart_write(int fd, uint64_t *at, const struct shard *sh, size_t from, size_t to,
		   const struct buf *sec, size_t nwords, size_t blob_len)
{
	struct tailpart_hdr h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, TAILPART_MAGIC, 8);
	h.first = (uint32_t)from;
	h.nrecs = (uint32_t)(to - from);
	h.nwords = (uint32_t)nwords;
	h.order = TAILPART_ORDER;
	h.blob_len = blob_len;
	h.body_len = sec->len;
	h.first_span_h = sh->recs[from].span_h;
	h.first_ingested_us = sh->recs[from].ingested_us;
	h.last_span_h = sh->recs[to - 1].span_h;
	h.last_ingested_us = sh->recs[to - 1].ingested_us;
	h.body_crc = hash_crc32c(0, sec->p, sec->len);
	h.crc = hash_crc32c(0, &h, offsetof(struct tailpart_hdr, crc));
	size_t n = sizeof h + pad8(sec->len);
	/* written over older bytes that go on past it (a part that failed its checks): 8 zero
	 * bytes after it, the end of the parts, so the bytes past it are not taken for a torn
	 * part (tailpart_check) */
	struct stat sb;
	size_t end_mark = fstat(fd, &sb) == 0 && (uint64_t)sb.st_size > *at + n ? 8 : 0;
	char *out = xcalloc(1, n + end_mark);
	memcpy(out, &h, sizeof h);
	memcpy(out + sizeof h, sec->p, sec->len);
	int rc = io_pwrite_all(fd, out, n + end_mark, (off_t)*at);
	free(out);
	if (rc == 0)
		*at += n;
	return rc;
}
