/* shard: read-only views of one shard (struct shard, in store.h): its committed records,
 * mapped, and its lines; what every query reads. Takes no lock: it trusts only the records
 * the header commits and the bytes they cover. */
#include "lib/store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/sealed.h"

/* The committed records of h that a file of size bytes holds (readers trust only those), less
 * those of a batch not yet published (lines_visible; map: the index mapped, or NULL). */
static void shard_set(struct shard *sh, const struct idx_hdr *h, off_t size, struct store *st,
		      const char *ws, uint64_t look, const void *map)
{
	size_t have = ((size_t)size - STORE_IDX_HDR) / sizeof(struct idx_rec);
	uint64_t vis = lines_visible(st, ws, look, h, map);
	sh->nrecs = vis < have ? vis : have;
	sh->nsealed = h->sealed_recs < sh->nrecs ? h->sealed_recs : sh->nrecs;
	sh->flag_gen = h->flag_gen;
	sh->text_end = h->text_end;
}

/* A day whose index this process holds mapped already, and that committed no record past the
 * size a stat of it gave: the header read through the mapping, so no open, read or close of
 * the index, and no stat when one under look found the file. False, sh untouched, when the
 * ordinary open must answer. */
static bool shard_open_mapped(struct store *st, const char *ws, const char *p, uint64_t look,
			      struct shard *sh)
{
	struct stat sb;
	struct idx_hdr h;
	struct mapcache_ent *mc;
	size_t size;
	const void *m = mapcache_looked(p, look, STORE_IDX_HDR, &size, &mc);
	if (!m) {
		if (stat(p, &sb) < 0 || (size_t)sb.st_size < STORE_IDX_HDR ||
		    !(m = mapcache_find(&sb, (size_t)sb.st_size, false, &mc)))
			return false;
		size = (size_t)sb.st_size;
		mapcache_found(mc, p, look, sb.st_size);
	}
	/* The header is read after the size was taken: a day that grew since takes the
	 * ordinary path, which sizes the file after reading its header. */
	size_t have = (size - STORE_IDX_HDR) / sizeof(struct idx_rec);
	if (lines_open_idx(st, ws, sh->day, -1, m, LINES_MAP, &h, &sh->d) != ST_OK ||
	    h.committed > have) {
		lines_close(&sh->d);
		mapcache_put(mc);
		return false;
	}
	sh->d.look = look;
	shard_set(sh, &h, (off_t)size, st, ws, look, m);
	if (!sh->nrecs) {
		mapcache_put(mc);
		return true;
	}
	sh->map = m;
	sh->mc = mc;
	sh->recs = (const struct idx_rec *)((const char *)m + STORE_IDX_HDR);
	return true;
}

enum status shard_open(struct store *st, const char *ws, int32_t day, struct shard *sh)
{
	return shard_open_at(st, ws, day, 0, sh);
}

enum status shard_open_at(struct store *st, const char *ws, int32_t day, uint64_t look,
			  struct shard *sh)
{
	char p[PATH_MAX];
	memset(sh, 0, sizeof(*sh));
	sh->day = day;
	sh->d.fd = -1;
	if (!layout_shard_path(p, st, ws, day, LAYOUT_IDX))
		return ST_NOT_FOUND;
	if (shard_open_mapped(st, ws, p, look, sh))
		return ST_OK;
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return status_from_errno(errno);
	struct idx_hdr h;
	struct stat sb;
	enum status rc = lines_open_idx(st, ws, day, fd, NULL, LINES_MAP, &h, &sh->d);
	/* No header yet: a writer is creating the day, or was refused or killed while it did
	 * (layout_day_unborn). No record is committed there: no index. */
	if (rc != ST_OK && fstat(fd, &sb) == 0 && sb.st_size < STORE_IDX_HDR)
		rc = ST_NOT_FOUND;
	if (rc != ST_OK)
		goto out;
	sh->d.look = look;
	rc = ST_UNAVAILABLE;
	if (fstat(fd, &sb) < 0)
		goto out;
	shard_set(sh, &h, sb.st_size, st, ws, look, NULL);
	if (sh->nrecs) {
		sh->map = mapcache_get(fd, &sb, STORE_IDX_HDR + sh->nrecs * sizeof(struct idx_rec),
				       false, &sh->mc);
		if (!sh->map)
			goto out;
		mapcache_found(sh->mc, p, look, sb.st_size);
		sh->recs = (const struct idx_rec *)((const char *)sh->map + STORE_IDX_HDR);
	}
	rc = ST_OK;
out:
	close(fd);
	if (rc != ST_OK)
		shard_close(sh);
	return rc;
}

void shard_close(struct shard *sh)
{
	mapcache_put(sh->sup_mc);
	sh->sup_mc = NULL;
	sh->sup = NULL;
	sh->sup_tried = false;
	mapcache_put(sh->mc);
	lines_close(&sh->d);
	sh->map = NULL;
	sh->mc = NULL;
	sh->recs = NULL;
	sh->nrecs = sh->nsealed = 0;
}

enum status shard_line(struct shard *sh, size_t i, struct buf *out)
{
	const struct idx_rec *r = &sh->recs[i];
	buf_reserve(out, r->len);
	if (lines_read(&sh->d, r->off, out->p + out->len, r->len) < 0)
		return ST_UNAVAILABLE;
	out->len += r->len;
	out->p[out->len] = 0;
	return ST_OK;
}

bool shard_view(struct shard *sh, size_t i, const char **p, size_t *n)
{
	const struct idx_rec *r = &sh->recs[i];
	*n = r->len;
	return lines_view(&sh->d, r->off, r->len, p);
}

void shard_forget_lines(struct shard *sh)
{
	/* MADV_DONTNEED on a shared file mapping drops this process's page table entries only;
	 * the file's contents are read again on the next access (madvise(2)). */
	if (sh->d.map && sh->d.maplen)
		madvise((void *)sh->d.map, sh->d.maplen, MADV_DONTNEED);
	/* A sealed day's compressed blocks (its few decompressed ones are the reader's cache). */
	if (sh->d.z && sh->d.z->map && sh->d.z->maplen)
		madvise((void *)sh->d.z->map, sh->d.z->maplen, MADV_DONTNEED);
}

void shard_forget_records(struct shard *sh)
{
	/* The mapping starts at the header, a page boundary of the file; the records follow. */
	size_t len = STORE_IDX_HDR + sh->nrecs * sizeof(struct idx_rec);
	if (sh->map && sh->nrecs)
		madvise((void *)sh->map, len, MADV_DONTNEED);
}

bool shard_by_start(struct shard *sh, int64_t smin, int64_t smax, const uint32_t **order,
		    size_t *lo, size_t *hi)
{
	struct sealed *z = sh->d.z;
	/* The order covers the records sealed then; nsealed may be fewer (an older header). A
	 * footer that does not check, or whose checksum does not hold, has none (sealed_tables);
	 * each entry read is checked too. */
	if (!z || z->h->nrecs != sh->nsealed || !sealed_tables(z))
		return false;
	const uint32_t *o = z->order;
	size_t n = sh->nsealed, a = 0, b = n;
	while (a < b) { /* first with started_us >= smin */
		size_t m = a + (b - a) / 2;
		if (o[m] >= n)
			return false;
		if (sh->recs[o[m]].started_us < smin)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	b = n;
	while (a < b) { /* first with started_us > smax */
		size_t m = a + (b - a) / 2;
		if (o[m] >= n)
			return false;
		if (sh->recs[o[m]].started_us <= smax)
			a = m + 1;
		else
			b = m;
	}
	*hi = a;
	*order = o;
	return true;
}

/* What a process keeps of a day's records with their mapping (shard_blocks): per whole block, its
 * start-time bounds and the span hash and ingest time of its last record, which say whether the
 * block is still the one they were taken from. */
struct shard_kept {
	size_t n, cap;
	struct shard_block *b;
	struct shard_last {
		uint64_t span_h;
		int64_t ingested_us;
	} * last;
};

static void shard_kept_free(void *p)
{
	struct shard_kept *k = p;
	if (!k)
		return;
	free(k->b);
	free(k->last);
	free(k);
}

/* Block j of sh's records into k. */
static void block_take(struct shard_kept *k, const struct shard *sh, size_t j)
{
	const struct idx_rec *r = sh->recs + j * SHARD_BLOCK;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (size_t i = 0; i < SHARD_BLOCK; i++) {
		lo = r[i].started_us < lo ? r[i].started_us : lo;
		hi = r[i].started_us > hi ? r[i].started_us : hi;
	}
	k->b[j] = (struct shard_block){lo, hi};
	k->last[j] = (struct shard_last){r[SHARD_BLOCK - 1].span_h, r[SHARD_BLOCK - 1].ingested_us};
}

size_t shard_blocks(struct shard *sh, const struct shard_block **b)
{
	size_t n = sh->nrecs / SHARD_BLOCK;
	*b = NULL;
	if (!n || !sh->mc)
		return 0;
	struct shard_kept **kp = (struct shard_kept **)mapcache_aux(sh->mc, shard_kept_free);
	if (!*kp)
		*kp = xcalloc(1, sizeof **kp);
	struct shard_kept *k = *kp;
	if (n > k->cap) {
		k->cap = 2 * n;
		k->b = xrealloc(k->b, k->cap * sizeof *k->b);
		k->last = xrealloc(k->last, k->cap * sizeof *k->last);
		mapcache_aux_size(sh->mc, sizeof *k + k->cap * (sizeof *k->b + sizeof *k->last));
	}
	for (size_t j = 0; j < n; j++) {
		const struct idx_rec *e = &sh->recs[(j + 1) * SHARD_BLOCK - 1];
		if (j >= k->n || k->last[j].span_h != e->span_h ||
		    k->last[j].ingested_us != e->ingested_us)
			block_take(k, sh, j);
	}
	if (n > k->n)
		k->n = n;
	*b = k->b;
	return n;
}
