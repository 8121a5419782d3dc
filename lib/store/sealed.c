/* sealed: reading a sealed file (the format is in sealed.h, the reasons in
 * docs/FORMAT.md, "Sealed shards"). Every offset, length and count the footer gives is checked
 * at open, with its checksum, so that a reader never follows one out of the mapping; a footer
 * that does not check is not used at all, and the frames are found by walking the file. */
#include "lib/store/sealed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/store/frames.h"
#include "lib/store/io.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"

_Static_assert(sizeof(struct seal_hdr) == 64, "seal header is 64 bytes");
_Static_assert(sizeof(struct seal_blk) == 24, "seal block entry is 24 bytes");
_Static_assert(sizeof(struct seal_dict) == 16, "seal dictionary header is 16 bytes");

static uint32_t le32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void put_le32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

/* Sizes of the footer's sections after the header. */
static size_t order_bytes(uint64_t nrecs)
{
	return ((size_t)nrecs * sizeof(uint32_t) + 7) & ~(size_t)7;
}

static size_t footer_bytes(uint64_t nrecs, uint64_t nblocks)
{
	return sizeof(struct seal_hdr) + (size_t)nblocks * sizeof(struct seal_blk) +
	       order_bytes(nrecs) + (size_t)nrecs * sizeof(struct seal_id);
}

/* Zero bytes at the start of the footer frame's payload, so that the footer (at a file
 * offset of 8 + pad past the frame start foot) is 8-byte aligned in the mapping. */
static size_t footer_pad(uint64_t foot)
{
	return (size_t)((8 - foot % 8) % 8);
}

/* What a process makes of a sealed file once per mapping of it (mapcache_aux): the footer's
 * header and tables when it checks, else the frames a walk found. */
struct sealed_view {
	struct seal_hdr h;
	const struct seal_blk *blk;
	const uint32_t *order;
	const struct seal_id *ids;
	bool footer, trailer;
	int tables; /* the footer's checksum: 0 not computed yet, 1 holds, -1 does not */
	/* The dictionary (version 2): its frame's bytes (0: none), its bytes in the mapping when
	 * its checksum holds, and the process's digested form of it, made at its first use. */
	uint64_t dbytes;
	const char *dict;
	size_t dictlen;
	ZSTD_DDict *dd;
	bool dict_lost; /* a version 2 footer names a dictionary frame the file's start is not */
	struct frame_set *frames; /* the blocks the process keeps decompressed, made at the first */
	size_t bytes;		  /* what the view holds, for its mapping's count */
	struct seal_blk walked[]; /* the walk's block table */
};

/* The dictionary frame at the start of the file m[0, len), when there is one: its bytes into
 * v->dbytes (0: none), and the dictionary into v->dict when its structure and checksum hold
 * (else no frame of the file can be read, and verify says why). */
static void dict_at(const char *m, size_t len, struct sealed_view *v)
{
	v->dbytes = 0;
	v->dict = NULL;
	if (len < 8 + sizeof(struct seal_dict) || le32(m) != ZSKIP_DICT || le32(m + 4) > len - 8 ||
	    le32(m + 4) < sizeof(struct seal_dict))
		return;
	v->dbytes = 8 + (uint64_t)le32(m + 4);
	struct seal_dict d;
	memcpy(&d, m + 8, sizeof(d));
	const char *p = m + 8 + sizeof(d);
	if (!memcmp(d.magic, SEAL_DICT_MAGIC, 8) && d.len == v->dbytes - 8 - sizeof(d) &&
	    hash_crc32c(0, p, d.len) == d.crc) {
		v->dict = p;
		v->dictlen = d.len;
	}
}

/* Whether blocks blk[0, n) are contiguous from the file's and the stream's start, each within
 * SEAL_BLOCK_MAX, and end at bytes and zbytes, which lie within a file of len bytes. */
static bool blocks_sound(const struct seal_blk *blk, uint64_t n, uint64_t bytes, uint64_t zbytes,
			 uint64_t dbytes, size_t len)
{
	uint64_t pos = 0, zpos = dbytes;
	for (uint64_t i = 0; i < n; i++) {
		if (blk[i].raw_off != pos || blk[i].zoff != zpos ||
		    blk[i].rawlen > SEAL_BLOCK_MAX || !blk[i].rawlen || !blk[i].zlen)
			return false;
		pos += blk[i].rawlen;
		zpos += blk[i].zlen;
	}
	return pos == bytes && zpos == zbytes && zbytes <= len;
}

/* The footer frame at file offset foot of the file m[0, len), when its structure checks (its
 * frame, header, sizes and block table; the checksum of the tables is sealed_tables'): into v
 * (its tables in the mapping). A block table that checks is one no single damaged byte can
 * make: each entry is tied to the one before and the header's sums. */
static bool footer_at(const char *m, size_t len, uint64_t foot, struct sealed_view *v)
{
	if (foot > len || len - foot < 8 + sizeof(struct seal_hdr))
		return false;
	const char *f = m + foot;
	size_t fsize = le32(f + 4), pad = footer_pad(foot);
	if (le32(f) != ZSKIP_FOOTER || fsize > len - foot - 8 ||
	    fsize < pad + sizeof(struct seal_hdr))
		return false;
	const struct seal_hdr *h = (const struct seal_hdr *)(f + 8 + pad);
	/* A version 1 footer holds no dictionary size (those bytes were padding). */
	uint64_t dbytes = h->version == SEAL_VERSION_DICT ? h->dbytes : 0;
	if (!memcmp(h->magic, SEAL_MAGIC, 8) && dbytes != v->dbytes)
		v->dict_lost = true;
	if (memcmp(h->magic, SEAL_MAGIC, 8) ||
	    (h->version != SEAL_VERSION && h->version != SEAL_VERSION_DICT) ||
	    dbytes != v->dbytes || (h->version == SEAL_VERSION_DICT && !dbytes) ||
	    h->endian != ENDIAN_TAG || h->zbytes != foot || h->nrecs > UINT32_MAX ||
	    h->nblocks > len / sizeof(struct seal_blk) ||
	    fsize != pad + footer_bytes(h->nrecs, h->nblocks))
		return false;
	const struct seal_blk *blk = (const struct seal_blk *)(h + 1);
	if (!blocks_sound(blk, h->nblocks, h->bytes, h->zbytes, dbytes, len))
		return false;
	v->h = *h;
	v->h.dbytes = dbytes;
	v->blk = blk;
	v->order = (const uint32_t *)(blk + h->nblocks);
	v->ids = (const struct seal_id *)((const char *)v->order + order_bytes(h->nrecs));
	v->footer = true;
	return true;
}

/* Where the next frame (zstd or skippable) may start after p, for a frame whose own sizes
 * cannot be read: the next position holding a frame magic, or len. */
static size_t next_frame(const char *m, size_t len, size_t p)
{
	for (size_t q = p + 1; q + 4 <= len; q++) {
		uint32_t magic = le32(m + q);
		if (magic == ZSTD_MAGICNUMBER ||
		    (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START)
			return q;
	}
	return len;
}

/* The frames of m[0, len) walked from its start, when the trailer does not lead to a footer
 * that checks: each zstd frame a block (its sizes from its own header; one whose compressed
 * size cannot be read runs to the next frame magic, and fails when read), until the footer
 * frame (used if it checks: a file cut after it), any other skippable frame passed over, or
 * bytes that are no frame, or a frame whose content size is unknown (the stream offsets of
 * what follows could not be told). */
static struct sealed_view *walk(const char *m, size_t len)
{
	size_t cap = 16, n = 0;
	struct sealed_view *v = xcalloc(1, sizeof(*v) + cap * sizeof(struct seal_blk));
	uint64_t raw = 0;
	dict_at(m, len, v);
	size_t p = (size_t)v->dbytes;
	while (p + 8 <= len) {
		uint32_t magic = le32(m + p);
		if ((magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START) {
			if (magic == ZSKIP_FOOTER && footer_at(m, len, p, v) && v->h.bytes == raw)
				return v;
			if (magic == ZSKIP_FOOTER || magic == ZSKIP_TRAILER ||
			    le32(m + p + 4) > len - p - 8)
				break;
			p += 8 + le32(m + p + 4);
			continue;
		}
		unsigned long long cs = ZSTD_getFrameContentSize(m + p, len - p);
		if (magic != ZSTD_MAGICNUMBER || cs == ZSTD_CONTENTSIZE_UNKNOWN ||
		    cs == ZSTD_CONTENTSIZE_ERROR || !cs || cs > SEAL_BLOCK_MAX)
			break;
		size_t zl = ZSTD_findFrameCompressedSize(m + p, len - p);
		if (ZSTD_isError(zl) || !zl)
			zl = next_frame(m, len, p) - p;
		if (n == cap) {
			cap *= 2;
			v = xrealloc(v, sizeof(*v) + cap * sizeof(struct seal_blk));
		}
		v->walked[n++] = (struct seal_blk){raw, p, (uint32_t)zl, (uint32_t)cs};
		raw += cs;
		p += zl;
	}
	v->footer = false;
	memset(&v->h, 0, sizeof(v->h));
	memcpy(v->h.magic, SEAL_MAGIC, 8);
	v->h.version = v->dbytes ? SEAL_VERSION_DICT : SEAL_VERSION;
	v->h.endian = ENDIAN_TAG;
	v->h.bytes = raw;
	v->h.nblocks = n;
	v->h.dbytes = v->dbytes;
	v->h.zbytes = n ? v->walked[n - 1].zoff + v->walked[n - 1].zlen : v->dbytes;
	v->blk = v->walked;
	return v;
}

/* The view of the file m[0, len): its footer through the trailer, else a walk. */
static struct sealed_view *view_make(const char *m, size_t len)
{
	struct sealed_view *v = xcalloc(1, sizeof(*v));
	uint64_t foot;
	dict_at(m, len, v);
	if (len >= SEAL_TRAILER) {
		const char *t = m + len - SEAL_TRAILER;
		memcpy(&foot, t + 8, 8);
		if (le32(t) == ZSKIP_TRAILER && le32(t + 4) == 8 &&
		    footer_at(m, len - SEAL_TRAILER, foot, v) &&
		    footer_bytes(v->h.nrecs, v->h.nblocks) + footer_pad(foot) + 8 ==
			len - SEAL_TRAILER - foot) {
			v->trailer = true;
			return v;
		}
	}
	bool lost = v->dict_lost;
	free(v);
	v = walk(m, len);
	v->dict_lost |= lost;
	return v;
}

static void view_free(void *p)
{
	struct sealed_view *v = p;
	if (v) {
		ZSTD_freeDDict(v->dd);
		frames_set_free(v->frames);
	}
	free(v);
}

/* z, whose file is mapped (z->map, z->maplen; none for an empty file: every line of it is
 * lost, reindex says so), with the view its mapping keeps (made now for a new mapping). */
static struct sealed *sealed_take(struct sealed *z)
{
	static const struct sealed_view none = {.blk = NULL};
	const struct sealed_view *v = &none;
	if (z->map) {
		void **aux = mapcache_aux(z->mc, view_free);
		if (!*aux) {
			struct sealed_view *made = view_make(z->map, z->maplen);
			*aux = made;
			made->bytes =
			    sizeof(*made) +
			    (made->footer ? 0 : made->h.nblocks * sizeof(struct seal_blk)) +
			    made->dictlen; /* its digested form, made at the first read */
			mapcache_aux_size(z->mc, made->bytes);
		}
		v = *aux;
	}
	z->view = (struct sealed_view *)v;
	z->h = &v->h;
	z->blk = v->blk;
	z->footer = v->footer;
	z->trailer = v->trailer;
	z->order = v->footer ? v->order : NULL;
	z->dbytes = v->dbytes;
	z->dict_ok = v->dict != NULL && !v->dict_lost;
	z->ids = v->footer ? v->ids : NULL;
	return z;
}

enum status sealed_open(const char *path, struct sealed **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ST_NOT_FOUND : status_from_errno(errno);
	struct stat sb;
	struct sealed *z = xcalloc(1, sizeof(*z));
	z->fd = fd;
	if (fstat(fd, &sb) < 0)
		goto bad;
	if (sb.st_size > 0) {
		if (!(z->map = mapcache_get(fd, &sb, (size_t)sb.st_size, true, &z->mc)))
			goto bad;
		z->maplen = (size_t)sb.st_size;
	}
	*out = sealed_take(z);
	return ST_OK;
bad:;
	int e = errno;
	sealed_close(z);
	errno = e;
	return ST_UNAVAILABLE;
}

enum status sealed_map(const char *path, struct sealed **out)
{
	size_t len;
	struct sealed *z = xcalloc(1, sizeof(*z));
	z->fd = -1;
	*out = NULL;
	if (!(z->map = mapcache_get_path(path, 0, true, 0, &len, &z->mc)) && errno != EINVAL) {
		int e = errno;
		free(z);
		return e == ENOENT ? ST_NOT_FOUND : ST_UNAVAILABLE;
	}
	z->maplen = z->map ? len : 0; /* EINVAL: an empty file, nothing to map */
	*out = sealed_take(z);
	return ST_OK;
}

void sealed_close(struct sealed *z)
{
	if (!z)
		return;
	for (int k = 0; k < SEAL_CACHE; k++)
		frames_unpin(z->held[k]);
	mapcache_put(z->mc);
	if (z->fd >= 0)
		close(z->fd);
	free(z);
}

/* The frames decompressed by this process (store_sealed_frames). */
static uint64_t frames_inflated;

uint64_t store_sealed_frames(void)
{
	return frames_inflated;
}

/* Decompresses block b of z into out (room for b->rawlen); -1 (errno EIO) when the frame is
 * damaged. One context per process: the programs are single-threaded. */
static int block_inflate(const struct sealed *z, const struct seal_blk *b, struct frame *out)
{
	static ZSTD_DCtx *dctx;
	if (!dctx && !(dctx = ZSTD_createDCtx()))
		return -1;
	frames_inflated++;
	struct sealed_view *v = z->view;
	if (v->dbytes && v->dict && !v->dd)
		v->dd = ZSTD_createDDict(v->dict, v->dictlen);
	if (v->dbytes && !v->dd) {
		errno = EIO; /* its dictionary is damaged: no frame can be read */
		return -1;
	}
	size_t got = v->dd
			 ? ZSTD_decompress_usingDDict(dctx, out->p, b->rawlen, z->map + b->zoff,
						      b->zlen, v->dd)
			 : ZSTD_decompressDCtx(dctx, out->p, b->rawlen, z->map + b->zoff, b->zlen);
	if (got != b->rawlen) {
		errno = EIO;
		return -1;
	}
	out->len = b->rawlen;
	return 0;
}

/* Block i of z decompressed: the frame the process keeps of it (frames.h) when that was made
 * from the very bytes the file holds now (their checksum, a microsecond or two against the
 * tens a decompression takes: a frame written over in place, as damage is, is never served
 * from before), else decompressed now and kept. Held; NULL (errno EIO) when it is damaged. */
static struct frame *block_frame(struct sealed *z, size_t i)
{
	struct sealed_view *v = z->view;
	const struct seal_blk *b = &z->blk[i];
	/* The table was checked at open (blocks_sound); the frame's bytes are the file's. */
	if (b->rawlen > SEAL_BLOCK_MAX || b->zoff > z->maplen || b->zlen > z->maplen - b->zoff) {
		errno = EIO;
		return NULL;
	}
	if (!v->frames) {
		v->frames = frames_set_new((size_t)z->h->nblocks);
		mapcache_aux_size(z->mc, v->bytes += frames_set_bytes((size_t)z->h->nblocks));
	}
	uint32_t zcrc = hash_crc32c(0, z->map + b->zoff, b->zlen);
	struct frame *f = frames_find(v->frames, i);
	if (f && f->zcrc == zcrc)
		return f;
	if (f) {
		frames_lose(f);
		frames_unpin(f);
	}
	f = frames_new(v->frames, i, b->rawlen);
	if (block_inflate(z, b, f) < 0) {
		int e = errno;
		frames_lose(f);
		frames_unpin(f);
		errno = e;
		return NULL;
	}
	f->zcrc = zcrc;
	return f;
}

/* The block holding stream offset off: its number, or SIZE_MAX. */
static size_t block_find(const struct sealed *z, uint64_t off)
{
	size_t lo = 0, hi = (size_t)z->h->nblocks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->blk[mid].raw_off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off - z->blk[lo - 1].raw_off >= z->blk[lo - 1].rawlen)
		return SIZE_MAX;
	return lo - 1;
}

const char *sealed_block(struct sealed *z, size_t i)
{
	if (i >= z->h->nblocks) {
		errno = EIO;
		return NULL;
	}
	for (int k = 0; k < SEAL_CACHE; k++)
		if (z->held[k] && z->held[k]->i == i)
			return z->held[k]->p;
	struct frame *f = block_frame(z, i);
	if (!f)
		return NULL;
	frames_unpin(z->held[z->next]);
	z->held[z->next] = f;
	z->next = (z->next + 1) % SEAL_CACHE;
	return f->p;
}

/* Lines never cross blocks. A reader holds the blocks it read last round-robin, so that its
 * views stay valid and lines read again soon (a page after its scan, records taken in
 * start-time order) cost no second look; the process keeps more for the next queries. */
const char *sealed_bytes(struct sealed *z, uint64_t off, size_t n)
{
	size_t i = block_find(z, off);
	if (i == SIZE_MAX || n > z->blk[i].rawlen - (off - z->blk[i].raw_off)) {
		errno = EIO;
		return NULL;
	}
	const char *p = sealed_block(z, i);
	return p ? p + (off - z->blk[i].raw_off) : NULL;
}

bool sealed_tables(struct sealed *z)
{
	struct sealed_view *v = z->view;
	if (!z->footer || !z->order || !v->footer)
		return false;
	if (!v->tables) {
		const char *from = (const char *)v->blk, *to = (const char *)(v->ids + v->h.nrecs);
		v->tables = hash_crc32c(0, from, (size_t)(to - from)) == v->h.crc ? 1 : -1;
	}
	return v->tables > 0;
}

size_t sealed_find(struct sealed *z, uint64_t h, const struct seal_id **first)
{
	bool tables = sealed_tables(z);
	size_t lo = 0, hi = tables ? (size_t)z->h->nrecs : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->ids[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (tables && lo + n < z->h->nrecs && z->ids[lo + n].h == h)
		n++;
	*first = tables ? z->ids + lo : NULL;
	return n;
}

int sealed_id_cmp(const void *a, const void *b)
{
	const struct seal_id *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->rec > y->rec) - (x->rec < y->rec);
}

/* ---- writing the footer ---- */

static const struct idx_rec *sort_recs;
static int cmp_start(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int64_t sx = sort_recs[x].started_us, sy = sort_recs[y].started_us;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return (x > y) - (x < y);
}

int sealed_write_dict(int fd, const void *d, size_t len)
{
	struct seal_dict h = {.len = (uint32_t)len, .crc = hash_crc32c(0, d, len)};
	char f[8];
	memcpy(h.magic, SEAL_DICT_MAGIC, 8);
	put_le32(f, ZSKIP_DICT);
	put_le32(f + 4, (uint32_t)(sizeof(h) + len));
	return io_write_all(fd, f, sizeof(f)) < 0 || io_write_all(fd, &h, sizeof(h)) < 0 ||
		       io_write_all(fd, d, len) < 0
		   ? -1
		   : 0;
}

const void *sealed_dict(const struct sealed *z, size_t *len)
{
	*len = z->view->dictlen;
	return z->view->dict;
}

int sealed_write_footer(int fd, const struct seal_blk *blk, size_t nblocks, uint64_t bytes,
			uint64_t zbytes, uint64_t dbytes, const struct idx_rec *recs, size_t n,
			int32_t day)
{
	size_t pad = footer_pad(zbytes), fsize = pad + footer_bytes(n, nblocks);
	if (fsize > UINT32_MAX || n > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	/* Built 8-aligned in memory; written from f + 8 - pad, so that it lands aligned. */
	char *mem = xcalloc(1, 16 + fsize), *f = mem + 8 - pad;
	put_le32(f, ZSKIP_FOOTER);
	put_le32(f + 4, (uint32_t)fsize);
	struct seal_hdr *h = (struct seal_hdr *)(mem + 16);
	memcpy(h->magic, SEAL_MAGIC, 8);
	h->version = dbytes ? SEAL_VERSION_DICT : SEAL_VERSION;
	h->endian = ENDIAN_TAG;
	h->dbytes = dbytes;
	h->day = day;
	h->nrecs = n;
	h->bytes = bytes;
	h->nblocks = nblocks;
	h->zbytes = zbytes;
	char *b = (char *)(h + 1);
	if (nblocks)
		memcpy(b, blk, nblocks * sizeof(*blk));
	uint32_t *order = (uint32_t *)(b + nblocks * sizeof(*blk));
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_recs = recs;
	xqsort(order, n, sizeof(*order), cmp_start);
	struct seal_id *ids = (struct seal_id *)((char *)order + order_bytes(n));
	for (size_t i = 0; i < n; i++)
		ids[i] = (struct seal_id){recs[i].span_h, i};
	xqsort(ids, n, sizeof(*ids), sealed_id_cmp);
	h->crc = hash_crc32c(0, h + 1, fsize - pad - sizeof(*h));
	char t[SEAL_TRAILER];
	put_le32(t, ZSKIP_TRAILER);
	put_le32(t + 4, 8);
	memcpy(t + 8, &zbytes, 8);
	int rc = io_write_all(fd, f, 8 + fsize) < 0 || io_write_all(fd, t, sizeof(t)) < 0 ? -1 : 0;
	free(mem);
	return rc;
}

bool sealed_contiguous(const struct sealed *z)
{
	uint64_t zpos = z->h->dbytes;
	for (uint64_t i = 0; i < z->h->nblocks; i++) {
		if (z->blk[i].zoff != zpos)
			return false;
		zpos += z->blk[i].zlen;
	}
	return true;
}

int sealed_rewrite(int fd, const struct sealed *z, const struct idx_rec *recs, size_t n,
		   int32_t day)
{
	if (z->h->zbytes > z->maplen) {
		errno = EINVAL;
		return -1;
	}
	if (io_write_all(fd, z->map, (size_t)z->h->zbytes) < 0)
		return -1;
	return sealed_write_footer(fd, z->blk, (size_t)z->h->nblocks, z->h->bytes, z->h->zbytes,
				   z->h->dbytes, recs, n, day);
}

bool sealed_holds(struct sealed *z, const struct idx_rec *recs, size_t n)
{
	struct buf why;
	buf_init(&why);
	if (z->h->nrecs == n)
		sealed_check(z, recs, n, &why);
	bool same = z->h->nrecs == n && !why.len;
	buf_free(&why);
	return same;
}

/* ---- verification ---- */

void sealed_check(struct sealed *z, const struct idx_rec *recs, size_t nrecs, struct buf *why)
{
	const struct seal_hdr *h = z->h;
	if ((z->dbytes && !z->dict_ok) || z->view->dict_lost)
		buf_printf(why,
			   "its dictionary is damaged: none of its frames can be read (reindex "
			   "keeps the day's other lines)\n");
	if (!z->footer) {
		buf_printf(why,
			   "its footer is damaged or missing (its %llu frames are read without "
			   "it; reindex writes it again)\n",
			   (unsigned long long)h->nblocks);
		return;
	}
	if (!z->trailer)
		buf_printf(why, "its trailer is damaged or missing (reindex writes it again)\n");
	if (!sealed_tables(z)) {
		buf_printf(why, "footer checksum mismatch (its tables are not used; reindex writes "
				"them again)\n");
		return;
	}
	if (h->nrecs > nrecs) {
		buf_printf(why, "holds %llu records, the index %zu\n", (unsigned long long)h->nrecs,
			   nrecs);
		return;
	}
	/* Each entry is checked before it is used, and the order compared with the last good
	 * one. */
	size_t prev = SIZE_MAX;
	for (uint64_t i = 0; i < h->nrecs; i++) {
		uint32_t o = z->order[i];
		if (o >= h->nrecs ||
		    (prev != SIZE_MAX && recs[prev].started_us > recs[o].started_us))
			buf_printf(why, "start-time order broken at %llu\n", (unsigned long long)i);
		else
			prev = o;
		const struct seal_id *e = &z->ids[i];
		if (e->rec >= h->nrecs || recs[e->rec].span_h != e->h ||
		    (i && sealed_id_cmp(&z->ids[i - 1], e) >= 0))
			buf_printf(why, "id table broken at %llu\n", (unsigned long long)i);
		if (why->len > 4096)
			return;
	}
}
