/* reindex: store_reindex, every index of a workspace written again from its lines alone
 * (docs/ARCHITECTURE.md, "Admin commands"): each day's index built aside, the superseded
 * flags set in them, each renamed into place, then the tables (rebuild.c). Damage inside a
 * day's lines is cut into its quarantine, and the rest indexed. Runs under the workspace lock,
 * and writes each shard under that shard's lock; each step can be run again after a crash. */
#include "lib/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/journal.h"
#include "lib/store/layout.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/quarantine.h"
#include "lib/store/sealed.h"
#include "lib/store/keytable.h"
#include "lib/store/rebuild.h"

/* What a reindex cuts from the middle of a day's lines (issue 17: damage costs only the
 * damaged part): each complete line that is no canonical record, and each sealed frame that no
 * longer decompresses, kept for the quarantine. When out >= 0 the day is being written again
 * as plain lines without them: every line kept goes there and its record points at it. */
struct cuts {
	struct buf kept; /* the bytes cut, in the quarantine's order */
	size_t lines, blocks;
	int out;		   /* <day>.lines.tmp, or -1 */
	uint64_t written;	   /* bytes written to out */
	struct rebuild_drop *drop; /* lines left out, kept nowhere (NULL: none) */
	size_t dropped;
};

/* p[from, to) of the lines kept, written to c->out when the day is written again. */
static enum status cuts_keep(struct cuts *c, const char *p, size_t from, size_t to,
			     const char *dname, struct err *e)
{
	if (!c || c->out < 0 || to == from)
		return ST_OK;
	if (io_write_all(c->out, p + from, to - from) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s.%s: %s", dname, layout_name(LAYOUT_LINES_TMP),
			       strerror(errno));
	c->written += to - from;
	return ST_OK;
}

/* Appends the records of the complete lines in p[0, n) of day, which start at stream offset
 * base; *used gets the bytes they cover (an unterminated last line is left out). A line that
 * is no canonical record, or one of another day (a damaged byte in its start that left valid
 * JSON: no writer puts it there), fails the day, or with c is cut (kept in c) and the rest
 * indexed. */
static enum status index_lines(enum store_kind kind, int32_t day, const char *p, size_t n,
			       uint64_t base, struct buf *recs, size_t *used, const char *dname,
			       const char *file, struct cuts *c, struct err *e)
{
	struct buf scratch;
	enum status rc = ST_OK;
	buf_init(&scratch);
	*used = 0;
	size_t run = 0; /* where the kept lines not yet written start */
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(p + off, '\n', n - off);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (p + off));
		struct idx_rec r;
		if (!rec_line_record(kind, p + off, len, &scratch, &r) ||
		    time_day(r.started_us) != day) {
			if (!c) {
				rc = err_set(e, ST_INVALID,
					     "%s.%s at byte %llu: not a canonical %s of the day",
					     dname, file, (unsigned long long)(base + off),
					     rec_kind_of(kind)->noun);
				break;
			}
			if ((rc = cuts_keep(c, p, run, off, dname, e)) != ST_OK)
				break;
			buf_add(&c->kept, p + off, len + 1);
			c->lines++;
			off = *used = run = off + len + 1;
			continue;
		}
		if (c && c->drop && c->drop->fn(c->drop->ctx, p + off, len, &r)) {
			if ((rc = cuts_keep(c, p, run, off, dname, e)) != ST_OK)
				break;
			c->dropped++;
			off = *used = run = off + len + 1;
			continue;
		}
		r.off = c && c->out >= 0 ? c->written + (off - run) : base + off;
		r.len = (uint32_t)len;
		r.crc = rec_crc(&r);
		buf_add(recs, &r, sizeof(r));
		off = *used = off + len + 1;
	}
	if (rc == ST_OK)
		rc = cuts_keep(c, p, run, *used, dname, e);
	buf_free(&scratch);
	return rc;
}

/* Indexes the lines of a sealed file up to stream offset upto, and none past it. upto is the
 * old header's extent when a re-seal stopped between renaming its file into place and its
 * commit: that file holds the late lines too, and the block the extent ends in goes on with
 * them; they stay the late file's records, indexed from it. A frame that does not decompress
 * fails the day, or with c is cut whole (its compressed bytes kept in c). */
static enum status index_sealed(enum store_kind kind, int32_t day, struct sealed *z, uint64_t upto,
				struct buf *recs, const char *dname, struct cuts *c, struct err *e)
{
	struct shard_lines d = {.fd = -1, .base = upto, .z = z};
	struct buf raw;
	buf_init(&raw);
	enum status rc = ST_OK;
	for (uint64_t i = 0; rc == ST_OK && i < z->h->nblocks && z->blk[i].raw_off < upto; i++) {
		const struct seal_blk *b = &z->blk[i];
		size_t used,
		    want = upto - b->raw_off < b->rawlen ? (size_t)(upto - b->raw_off) : b->rawlen;
		raw.len = 0;
		buf_reserve(&raw, b->rawlen);
		if (lines_read(&d, b->raw_off, raw.p, b->rawlen) < 0) {
			if (!c || b->zoff + b->zlen > z->maplen) {
				rc = err_set(e, ST_UNAVAILABLE, "%s.jsonl.zst block %llu: %s",
					     dname, (unsigned long long)i, strerror(errno));
				break;
			}
			buf_add(&c->kept, z->map + b->zoff, b->zlen);
			c->blocks++;
		} else if ((rc = index_lines(kind, day, raw.p, want, b->raw_off, recs, &used, dname,
					     layout_name(LAYOUT_ZST), c, e)) == ST_OK &&
			   used != want)
			rc = err_set(e, ST_INVALID, "%s.jsonl.zst block %llu: a line crosses %s",
				     dname, (unsigned long long)i,
				     want < b->rawlen ? "the sealed extent" : "its end");
	}
	buf_free(&raw);
	return rc;
}

/* A day of a reindex between its two passes: the new index written aside, and the torn end
 * of its lines still to cut once it is in place. */
struct rday {
	int32_t day;
	bool plain;	    /* the lines are <day>.jsonl (else the late file of a sealed day) */
	uint64_t end, size; /* the bytes of the lines the new index covers, and the file's */
	/* Damage inside the lines: they were written again, without it, to <day>.lines.tmp
	 * (plain, whatever the day was), and what was cut waits for the quarantine. */
	bool rewritten, was_sealed;
	size_t lines, blocks;
	struct buf cut;
	bool gone; /* the day had no line (layout_day_lines): its files were removed */
	/* A sealed day: its footer written again from its frames (<day>.footer.tmp, renamed
	 * over the sealed file before the index), or the bytes of lines its sealed file lacks
	 * (cut short: the day is written again, without them). */
	bool refoot;
	uint64_t missing;
	/* The new records differ from the old index's: the text index built from those goes. */
	bool records_moved;
};

/* Pass 1 of a damaged day, once the first reading found damage in c: the day's lines read
 * again, every line kept written to <day>.lines.tmp and indexed there, the damaged lines, the
 * frames that do not decompress and a torn end kept in rd->cut. The new header (*h) is a
 * plain day's. */
static enum status reindex_rewrite(struct store *st, const char *ws, struct rday *rd,
				   struct sealed *z, const char *map, size_t size,
				   struct idx_hdr *h, struct buf *recs, struct cuts *c,
				   const char *dname, struct err *e)
{
	char lp[PATH_MAX];
	if (!layout_shard_path(lp, st, ws, rd->day, LAYOUT_LINES_TMP))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	c->kept.len = c->lines = c->blocks = c->written = c->dropped = 0;
	recs->len = 0;
	if ((c->out = open(lp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", lp, strerror(errno));
	size_t end = 0;
	enum status rc =
	    z ? index_sealed(st->kind, rd->day, z, h->sealed_bytes, recs, dname, c, e) : ST_OK;
	if (rc == ST_OK && map)
		rc = index_lines(st->kind, rd->day, map, size, 0, recs, &end, dname,
				 layout_name(z ? LAYOUT_LATE : LAYOUT_JSONL), c, e);
	if (rc == ST_OK && end < size)
		buf_add(&c->kept, map + end, size - end);
	if (rc == ST_OK && fdatasync(c->out) < 0)
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", lp, strerror(errno));
	close(c->out);
	c->out = -1;
	if (rc != ST_OK) {
		unlink(lp);
		return rc;
	}
	h->version = IDX_VERSION;
	h->sealed_bytes = h->sealed_recs = 0;
	if (rd->refoot && layout_shard_path(lp, st, ws, rd->day, LAYOUT_FOOTER_TMP))
		unlink(lp);
	rd->refoot = false;
	rd->rewritten = true;
	rd->was_sealed = z != NULL;
	rd->plain = true;
	rd->end = rd->size = c->written;
	rd->lines = c->lines;
	rd->blocks = c->blocks;
	rd->cut = c->kept;
	buf_init(&c->kept);
	return ST_OK;
}

/* Whether the index lfd (the day's, as it was) holds exactly the records recs, the superseded
 * flag aside (reindex sets it later, and no text index holds it): the day's text index, built
 * from those records, then holds for the new index too. */
static bool records_same(int lfd, const struct buf *recs)
{
	struct idx_hdr h;
	struct stat sb;
	size_t n = recs->len / sizeof(struct idx_rec);
	if (fstat(lfd, &sb) < 0 || (uint64_t)sb.st_size < STORE_IDX_HDR + recs->len ||
	    io_pread_all(lfd, &h, sizeof(h), 0) < 0 || !rec_hdr_ok(&h) || h.committed != n)
		return false;
	const struct idx_rec *want = (const struct idx_rec *)recs->p;
	struct idx_rec old[64];
	for (size_t at = 0; at < n;) {
		size_t k = n - at < 64 ? n - at : 64;
		if (io_pread_all(lfd, old, k * sizeof(*old),
				 (off_t)(STORE_IDX_HDR + at * sizeof(*old))) < 0)
			return false;
		for (size_t i = 0; i < k; i++, at++) {
			struct idx_rec a = old[i], b = want[at];
			a.flags &= (uint16_t)~REC_SUPERSEDED;
			b.flags &= (uint16_t)~REC_SUPERSEDED;
			if (memcmp(&a, &b, sizeof(a)))
				return false;
		}
	}
	return true;
}

/* The sealed file of a day whose footer or trailer does not check (sealed_open walked its
 * frames), all of which decompress and hold exactly the header's extent: its frames copied to
 * <day>.footer.tmp and a footer and trailer for the n records recs after them, synced. */
static enum status refoot_write(struct store *st, const char *ws, int32_t day,
				const struct sealed *z, const struct idx_rec *recs, size_t n,
				const char *dname, struct err *e)
{
	char fp[PATH_MAX];
	if (!layout_shard_path(fp, st, ws, day, LAYOUT_FOOTER_TMP))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	int fd = open(fp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || sealed_rewrite(fd, z, recs, n, day) < 0 || fdatasync(fd) < 0) {
		enum status rc = err_set(e, ST_UNAVAILABLE, "%s.%s: %s", dname,
					 layout_name(LAYOUT_FOOTER_TMP), strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(fp);
		return rc;
	}
	close(fd);
	return ST_OK;
}

/* Pass 1 of a sealed day's sealed part: the lines of its frames indexed into recs (h's extent
 * set), what does not decompress kept in c. A sealed file that holds less than the extent
 * (cut short) has the day written again, the bytes it lacks said; one whose footer does not
 * check gets it written again (refoot_write) when its frames decompress and hold exactly the
 * extent, else the day is written again too (*rewrite). */
static enum status build_sealed(struct store *st, const char *ws, struct rday *rd, struct sealed *z,
				struct idx_hdr *h, struct buf *recs, struct cuts *c, bool *rewrite,
				const char *dname, struct err *e)
{
	bool whole = z->footer && z->trailer;
	/* No seal commits an extent past its file: a header that says so is damaged, and the
	 * file's own (checked) extent is taken. */
	if (whole && h->sealed_bytes > z->h->bytes)
		h->sealed_bytes = z->h->bytes;
	size_t at = recs->len;
	enum status rc = index_sealed(st->kind, rd->day, z, h->sealed_bytes, recs, dname, c, e);
	/* Nor one inside a line: the same. */
	if (rc == ST_INVALID && whole && h->sealed_bytes != z->h->bytes) {
		recs->len = at;
		c->kept.len = c->lines = c->blocks = 0;
		h->sealed_bytes = z->h->bytes;
		rc = index_sealed(st->kind, rd->day, z, h->sealed_bytes, recs, dname, c, e);
	}
	if (rc != ST_OK)
		return rc;
	h->sealed_recs = recs->len / sizeof(struct idx_rec);
	if (z->h->bytes < h->sealed_bytes) {
		rd->missing = h->sealed_bytes - z->h->bytes;
		*rewrite = true;
		return ST_OK;
	}
	/* Damage in the frames has the day written again. A footer that checks, found through
	 * the trailer, stays while its tables are those of the records (sealed_holds): a seal that
	 * ran over damaged records (before its check of them) made them from those. One whose file
	 * holds more than the extent (a re-seal stopped before its commit) stays as it is. */
	if (c->lines || c->blocks)
		return ST_OK;
	const struct idx_rec *r = (const struct idx_rec *)recs->p;
	if (whole && (z->h->bytes != h->sealed_bytes || sealed_holds(z, r, h->sealed_recs)))
		return ST_OK;
	if (z->h->bytes != h->sealed_bytes || !sealed_contiguous(z)) {
		*rewrite = true;
		return ST_OK;
	}
	if ((rc = refoot_write(st, ws, rd->day, z, r, h->sealed_recs, dname, e)) == ST_OK)
		rd->refoot = true;
	return rc;
}

/* Before pass 1 of a day, under its lock: what a killed reindex left goes (the day's lines
 * are written again only if damaged, its sealed file's footer only if damaged), and a day
 * with no line, which has no record to index (what a refused or killed first batch of it
 * left, layout_day_unborn, or an index whose lines are gone), goes whole, index last: true.
 * No writer waits for its lock (they hold the workspace lock first) and the journal names no
 * day of it now, settled or damaged. */
static bool day_tidy(struct store *st, const char *ws, int32_t day)
{
	static const enum layout_file aside[] = {LAYOUT_LINES_TMP, LAYOUT_FOOTER_TMP};
	static const enum layout_file files[] = {
	    LAYOUT_JSONL,    LAYOUT_LATE, LAYOUT_TAILINDEX, LAYOUT_TAILPAIRS,
	    LAYOUT_DAYINDEX, LAYOUT_SUP,  LAYOUT_IDX};
	char p[PATH_MAX];
	for (size_t k = 0; k < sizeof aside / sizeof aside[0]; k++)
		if (layout_shard_path(p, st, ws, day, aside[k]))
			unlink(p);
	if (layout_day_lines(st, ws, day))
		return false;
	for (size_t k = 0; k < sizeof files / sizeof files[0]; k++)
		if (layout_shard_path(p, st, ws, day, files[k]))
			unlink(p);
	return true;
}

/* The day's plain (or late) lines dp opened read-write (*dfd) and mapped (*map, *size; NULL
 * when empty). A file that is not there is none (no late line yet), unless must. */
static enum status lines_map(const char *dp, bool must, int *dfd, char **map, size_t *size,
			     struct err *e)
{
	struct stat sb;
	*map = NULL;
	*size = 0;
	if ((*dfd = open(dp, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT && !must
			   ? ST_OK
			   : err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
	if (fstat(*dfd, &sb) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
	if (!(*size = (size_t)sb.st_size))
		return ST_OK;
	void *m = mmap(NULL, *size, PROT_READ, MAP_SHARED, *dfd, 0);
	if (m == MAP_FAILED)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
	*map = m;
	return ST_OK;
}

/* Pass 1 of a day: rebuilds its index from its lines alone (the plain JSONL of an open
 * shard, or the sealed file and the late lines of a sealed one). Parses every complete line and
 * writes the new index to <day>.idx.tmp, synced, with every record live; its versions are added to
 * *v. Nothing a reader or writer uses changes. */
static enum status reindex_build(struct store *st, const char *ws, struct rday *rd,
				 struct rebuild_drop *drop, struct version **v, size_t *nv,
				 size_t *cap, struct err *e)
{
	int32_t day = rd->day;
	char dp[PATH_MAX], ip[PATH_MAX], tp[PATH_MAX], zp[PATH_MAX], dname[11];
	time_day_format(day, dname);
	if (!layout_shard_path(ip, st, ws, day, LAYOUT_IDX) ||
	    !layout_shard_path(tp, st, ws, day, LAYOUT_IDX_TMP) ||
	    !layout_shard_path(zp, st, ws, day, LAYOUT_ZST))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	int lfd = open(ip, O_RDWR | O_CREAT | O_CLOEXEC, 0640); /* the shard lock */
	int dfd = -1, tfd = -1;
	char *map = NULL;
	struct sealed *z = NULL;
	struct idx_hdr old, h;
	struct buf recs;
	struct cuts c = {.out = -1, .drop = drop};
	bool rewrite = false;
	buf_init(&recs);
	buf_init(&c.kept);
	rec_hdr_init(&h, day);
	enum status rc = ST_UNAVAILABLE;
	if (lfd < 0 || io_lock_fd(lfd) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", dname, strerror(errno));
		goto out;
	}
	if ((rd->gone = day_tidy(st, ws, day))) {
		rc = ST_OK;
		goto out;
	}
	/* Sealed when the old header says so, or when only the sealed file is left. The old
	 * header's extent wins over a larger sealed file (a seal that stopped before its
	 * commit): the late lines continue from it. */
	bool hdr_ok = io_pread_all(lfd, &old, sizeof(old), 0) == 0 && rec_hdr_ok(&old);
	/* A header that names a sealed file where there is none but the plain lines is damaged:
	 * the plain lines are the day. */
	bool plain = (!(hdr_ok && old.sealed_bytes) || access(zp, F_OK) < 0) &&
		     layout_shard_path(dp, st, ws, day, LAYOUT_JSONL) && access(dp, F_OK) == 0;
	rd->plain = plain;
	if (!plain) {
		if ((rc = sealed_open(zp, &z)) != ST_OK) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: no data file (%s)", dname,
				     strerror(errno));
			goto out;
		}
		h.version = IDX_VERSION_SEALED;
		h.sealed_bytes = hdr_ok && old.sealed_bytes ? old.sealed_bytes : z->h->bytes;
		if ((rc = build_sealed(st, ws, rd, z, &h, &recs, &c, &rewrite, dname, e)) != ST_OK)
			goto out;
		if (!layout_shard_path(dp, st, ws, day, LAYOUT_LATE))
			goto out;
		rc = ST_UNAVAILABLE;
	}
	size_t size = 0, end = 0;
	if ((rc = lines_map(dp, plain, &dfd, &map, &size, e)) != ST_OK ||
	    (map &&
	     (rc = index_lines(st->kind, day, map, size, h.sealed_bytes, &recs, &end, dname,
			       layout_name(plain ? LAYOUT_JSONL : LAYOUT_LATE), &c, e)) != ST_OK))
		goto out;
	rc = ST_UNAVAILABLE;
	rd->end = end;
	rd->size = size;
	if ((c.lines || c.blocks || c.dropped || rewrite) &&
	    (rc = reindex_rewrite(st, ws, rd, z, map, size, &h, &recs, &c, dname, e)) != ST_OK)
		goto out;
	if (c.dropped)
		drop->day(drop->ctx, day, rd->was_sealed, c.dropped);
	rc = ST_UNAVAILABLE;
	h.committed = recs.len / sizeof(struct idx_rec);
	rd->records_moved = !rd->rewritten && !records_same(lfd, &recs);
	/* Every record and line is on disk once this index is (the lines synced here): after a
	 * power cut none is checked again. Without syncs none is ever durable (as writers). */
	h.durable = st->sync ? h.committed : 0;
	if ((dfd >= 0 && st->sync && fdatasync(dfd) < 0) ||
	    (tfd = open(tp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
	    io_write_all(tfd, &h, sizeof(h)) < 0 || io_write_all(tfd, recs.p, recs.len) < 0 ||
	    fdatasync(tfd) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s.idx: %s", dname, strerror(errno));
		goto out;
	}
	(void)rebuild_versions_add(v, nv, cap, (const struct idx_rec *)recs.p, h.committed, day);
	rc = ST_OK;
out:
	if (map)
		munmap(map, size);
	sealed_close(z);
	if (tfd >= 0)
		close(tfd);
	if (rc != ST_OK)
		unlink(tp);
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	buf_free(&recs);
	buf_free(&c.kept);
	return rc;
}

/* Before the new index of a day whose lines were written again goes in place: what was cut
 * kept in the quarantine, the text index (of the old record numbers) removed and the lines
 * renamed over <day>.jsonl. A sealed day's header still names its sealed file until the
 * index is renamed, so until then that <day>.jsonl is a leftover no reader takes; a plain
 * day's old index names the old offsets of this file until then (a reindex run again after a
 * kill here indexes the lines written, and finds no damage left). */
static enum status publish_lines(struct store *st, const char *ws, const struct rday *rd,
				 const char *dname, const struct quarantine_notes *nt,
				 struct err *e)
{
	char lp[PATH_MAX], dp[PATH_MAX], xp[PATH_MAX], what[160];
	if (!layout_shard_path(lp, st, ws, rd->day, LAYOUT_LINES_TMP) ||
	    !layout_shard_path(dp, st, ws, rd->day, LAYOUT_JSONL) ||
	    !layout_shard_path(xp, st, ws, rd->day, LAYOUT_DAYINDEX))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	int k = rd->lines ? snprintf(what, sizeof what, "%zu damaged line%s%s", rd->lines,
				     rd->lines == 1 ? "" : "s", rd->blocks ? " and " : "")
			  : 0;
	if (rd->blocks)
		snprintf(what + k, sizeof what - (size_t)k,
			 "%zu sealed block%s that cannot be decompressed", rd->blocks,
			 rd->blocks == 1 ? "" : "s");
	enum status rc = rd->cut.len ? quarantine_keep(st, ws, rd->day, dname, rd->cut.p,
						       rd->cut.len, what, nt, e)
				     : ST_OK;
	if (rc != ST_OK)
		return rc;
	if (rd->missing && nt && nt->fn) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "%s/%s: its sealed file ends %llu bytes of lines before the extent its "
			 "index named (cut short): the spans there are lost; the rest is written "
			 "again as plain lines",
			 ws, dname, (unsigned long long)rd->missing);
		nt->fn(nt->ctx, msg);
	}
	unlink(xp);
	if (rename(lp, dp) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
	return ST_OK;
}

/* A sealed file's footer written again (refoot_write) renamed over it. */
static enum status publish_footer(struct store *st, const char *ws, int32_t day, const char *dname,
				  const struct quarantine_notes *nt, struct err *e)
{
	char fp[PATH_MAX], zp[PATH_MAX];
	if (!layout_shard_path(fp, st, ws, day, LAYOUT_FOOTER_TMP) ||
	    !layout_shard_path(zp, st, ws, day, LAYOUT_ZST))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	if (rename(fp, zp) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", zp, strerror(errno));
	layout_sync_dir(st, ws);
	if (nt && nt->fn) {
		char msg[160];
		snprintf(msg, sizeof msg,
			 "%s/%s: the footer of its sealed file (or its trailer) was damaged or "
			 "missing: written again from its frames",
			 ws, dname);
		nt->fn(nt->ctx, msg);
	}
	return ST_OK;
}

/* Pass 2 of a day, under its shard lock: the new index (its superseded flags already right)
 * renamed into place, then the torn end of the lines kept in the quarantine and cut. */
static enum status reindex_publish(struct store *st, const char *ws, const struct rday *rd,
				   const struct quarantine_notes *nt, struct err *e)
{
	char dp[PATH_MAX], ip[PATH_MAX], tp[PATH_MAX], xp[PATH_MAX], dname[11];
	time_day_format(rd->day, dname);
	if (!layout_shard_path(ip, st, ws, rd->day, LAYOUT_IDX) ||
	    !layout_shard_path(tp, st, ws, rd->day, LAYOUT_IDX_TMP) ||
	    !layout_shard_path(xp, st, ws, rd->day, LAYOUT_TAILINDEX) ||
	    !layout_shard_path(dp, st, ws, rd->day, rd->plain ? LAYOUT_JSONL : LAYOUT_LATE))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	if (rd->gone)
		return ST_OK;
	int lfd = open(ip, O_RDWR | O_CREAT | O_CLOEXEC, 0640), dfd = -1;
	char *cut = NULL;
	enum status rc = ST_UNAVAILABLE;
	if (lfd < 0 || io_lock_fd(lfd) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", dname, strerror(errno));
		goto out;
	}
	if (rd->rewritten && (rc = publish_lines(st, ws, rd, dname, nt, e)) != ST_OK)
		goto out;
	/* The same frames under a footer that checks: readers of the old index read the same
	 * stream from it. */
	if (rd->refoot && (rc = publish_footer(st, ws, rd->day, dname, nt, e)) != ST_OK)
		goto out;
	/* The new header has no text tail (text_end 0): the old one's segments go first, so no
	 * reader of the new index ever reads them; so does the side file of the old one's flags
	 * (lib/store/sup.h: the new ones were set before any query now running began). A text
	 * index built from other records goes too: one built over a damaged record would pass its
	 * own check (its last record is whole) and answer for the damaged one (spandex index
	 * builds it again). */
	unlink(xp);
	if (layout_shard_path(xp, st, ws, rd->day, LAYOUT_SUP))
		unlink(xp);
	if (rd->records_moved && layout_shard_path(xp, st, ws, rd->day, LAYOUT_DAYINDEX))
		unlink(xp);
	/* Publish with a rename: readers see the old index or the new one, never half. */
	if (rename(tp, ip) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s.idx: %s", dname, strerror(errno));
		goto out;
	}
	/* The tail's pairs (derived from the lines, built by an idle worker without the shard
	 * lock) go after the new index is in place: a worker that opens the file again after
	 * this reads only lines of the new index (tailphrase.c, build_begin), so no word of a
	 * line written again without it (an erasure's pass) survives in it. */
	if (layout_shard_path(xp, st, ws, rd->day, LAYOUT_TAILPAIRS))
		unlink(xp);
	/* A sealed day written again is plain now: its sealed and late files are leftovers. */
	static const enum layout_file sealed_files[] = {LAYOUT_ZST, LAYOUT_LATE};
	for (size_t k = 0; rd->was_sealed && k < 2; k++)
		if (layout_shard_path(xp, st, ws, rd->day, sealed_files[k]))
			unlink(xp);
	if (rd->rewritten)
		layout_sync_dir(st, ws);
	if (rd->end < rd->size) {
		size_t n = (size_t)(rd->size - rd->end);
		cut = xmalloc(n);
		if ((dfd = open(dp, O_RDWR | O_CLOEXEC)) < 0 ||
		    io_pread_all(dfd, cut, n, (off_t)rd->end) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
			goto out;
		}
		if ((rc = quarantine_keep(st, ws, rd->day, dname, cut, n,
					  "an incomplete or damaged end", nt, e)) != ST_OK)
			goto out;
		if (ftruncate(dfd, (off_t)rd->end) < 0) {
			rc = err_set(e, ST_UNAVAILABLE, "%s", strerror(errno));
			goto out;
		}
	}
	rc = ST_OK;
out:
	free(cut);
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Test hook (t/check_crash.c, test_reindex_killed): SPANDEX_TEST_KILL_IN_REINDEX=N kills
 * reindex with SIGKILL once it renamed N new indexes into place. Unset in every real
 * deployment. */
#define TEST_KILL_IN_REINDEX "SPANDEX_TEST_KILL_IN_REINDEX"

/* The superseded flags of the new indexes, written into the temporaries before any of them
 * is renamed: a reindex stopped anywhere leaves each day with either its old index or a new
 * one whose flags are already right, never older versions live. */
static enum status reindex_flags(struct store *st, const char *ws, struct version *v, size_t n,
				 const int32_t *at, size_t nat, struct err *e)
{
	enum status rc = rebuild_resolve_at(st, ws, v, n, LAYOUT_IDX_TMP, at, nat);
	if (rc != ST_OK)
		return err_set(e, rc, "resolving versions: %s", strerror(errno));
	xqsort(v, n, sizeof(*v), rebuild_cmp_loc);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		char tp[PATH_MAX];
		for (j = i; j < n && LOC_DAY(v[j].loc) == LOC_DAY(v[i].loc); j++)
			;
		/* A day not built again keeps its index, whose flags are right: what the reindex
		 * leaves out is never a newest version (struct rebuild_drop). */
		if (at && !layout_day_among(at, nat, LOC_DAY(v[i].loc)))
			continue;
		int fd = layout_shard_path(tp, st, ws, LOC_DAY(v[i].loc), LAYOUT_IDX_TMP)
			     ? open(tp, O_RDWR | O_CLOEXEC)
			     : -1;
		bool dirty = false;
		for (size_t k = i; fd >= 0 && k < j; k++)
			if (!v[k].live) {
				if (rec_write_flags(fd, LOC_REC(v[k].loc),
						    (uint16_t)(v[k].flags | REC_SUPERSEDED)) < 0)
					break;
				v[k].flags |= REC_SUPERSEDED;
				dirty = true;
			}
		if (fd < 0 || (dirty && fdatasync(fd) < 0))
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tp, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

/* The tables are about to name records of indexes that change: until rebuild_ids writes them
 * again, they say they are stale (the boot id of no machine), so readers scan the days and
 * the next writer, or verify, rebuilds them if this reindex stops first. A reindex of some
 * days (ids_only) changes only the id table's: the day ranges still hold for their lines. */
static void tables_stale(struct store *st, const char *ws, bool ids_only)
{
	struct keytable_set t = TAB_SET_CLOSED;
	if (keytable_open_all(st, ws, &t) == ST_OK) {
		t.id.hdr->boot = 0;
		if (!ids_only)
			t.tr.hdr->boot = t.se.hdr->boot = 0;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	keytable_close_all(&t);
}

enum status store_reindex(struct store *st, const char *ws, store_progress_fn fn, void *ctx,
			  void (*note)(void *nctx, const char *msg), void *nctx, struct err *e)
{
	return reindex_without(st, ws, NULL, fn, ctx, note, nctx, e);
}

/* The days of ws a reindex builds again (*days, caller frees): those of drop->days that have a
 * shard (*part), or every day when drop names none or the journal did not settle. */
static enum status reindex_days(struct store *st, const char *ws, const struct rebuild_drop *drop,
				bool settled, int32_t **days, size_t *nd, bool *part)
{
	enum status rc = layout_shard_days(st, ws, days, nd);
	*part = rc == ST_OK && settled && drop && drop->days;
	size_t k = 0;
	for (size_t i = 0; *part && i < *nd; i++)
		if (layout_day_among(drop->days, drop->ndays, (*days)[i]))
			(*days)[k++] = (*days)[i];
	if (*part)
		*nd = k;
	return rc;
}

/* After a reindex published: the tables mended for the days it built again (part: v holds
 * their versions and those of other days that share an id, resolved), or, after one of every
 * day, written from the indexes, as after a reboot (rebuild_ids). */
static enum status reindex_tables(struct store *st, const char *ws, bool part, const int32_t *days,
				  size_t nd, const struct version *v, size_t nv, struct err *e)
{
	enum status rc =
	    part ? rebuild_tables_mend(st, ws, v, nv, days, nd) : rebuild_ids(st, ws, NULL);
	return rc == ST_OK ? ST_OK : err_set(e, rc, "%s", strerror(errno));
}

enum status reindex_without(struct store *st, const char *ws, struct rebuild_drop *drop,
			    store_progress_fn fn, void *ctx,
			    void (*note)(void *nctx, const char *msg), void *nctx, struct err *e)
{
	struct quarantine_notes nt = {note, nctx};
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	int32_t *days = NULL;
	size_t nd = 0, nv = 0, cap = 0;
	struct version *v = NULL;
	struct rday *rd = NULL;
	bool part, settled = false;
	int lockfd = layout_ws_lock(st, ws, true);
	if (lockfd < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: workspace lock: %s", ws, strerror(errno));
	/* An interrupted batch is settled first, as the next writer would (a batch never
	 * published is undone, not indexed); on a store too damaged for that, reindex goes on
	 * and indexes every complete line. */
	struct keytable_set t = TAB_SET_CLOSED;
	int jfd = journal_open(st, ws);
	if (jfd >= 0 && keytable_open_all(st, ws, &t) == ST_OK &&
	    !(settled = journal_settle(st, ws, jfd, &t) == ST_OK) && errno == JOURNAL_DAMAGED &&
	    note) {
		char msg[256];
		snprintf(
		    msg, sizeof msg,
		    "%s: the journal is damaged (it names days that hold no shard): no batch is "
		    "settled from it, and it starts again once every line is indexed",
		    ws);
		note(nctx, msg);
	}
	keytable_close_all(&t);
	enum status rc = reindex_days(st, ws, drop, settled, &days, &nd, &part);
	if (rc != ST_OK)
		err_set(e, rc, "%s", strerror(errno));
	rd = xmalloc((nd ? nd : 1) * sizeof(*rd));
	/* Pass 1: every day's index written aside; pass 2: every superseded flag set in them;
	 * pass 3: each renamed into place. Readers and writers see none of it before pass 3,
	 * and each index they see then is complete, flags and all. */
	struct store_progress pr = {0, nd, 0, 0};
	uint64_t *bytes = xmalloc((nd ? nd : 1) * sizeof *bytes);
	for (size_t i = 0; i < nd; i++)
		pr.bytes_total += bytes[i] = rebuild_day_bytes(st, ws, days[i]);
	size_t built = 0;
	for (size_t i = 0; rc == ST_OK && i < nd; i++, built++) {
		rd[i] = (struct rday){.day = days[i]};
		rc = reindex_build(st, ws, &rd[i], drop, &v, &nv, &cap, e);
		pr.done = i + 1;
		pr.bytes += bytes[i];
		if (fn)
			fn(ctx, &pr);
	}
	free(bytes);
	/* The versions of the other days that share an id with them, for the newest of each. */
	if (rc == ST_OK && part &&
	    (rc = rebuild_versions_but(st, ws, days, nd, &v, &nv, &cap)) != ST_OK)
		err_set(e, rc, "%s", strerror(errno));
	if (rc == ST_OK)
		rc = reindex_flags(st, ws, v, nv, part ? days : NULL, nd, e);
	if (rc == ST_OK)
		tables_stale(st, ws, part);
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		rc = reindex_publish(st, ws, &rd[i], &nt, e);
		if (rc == ST_OK && getenv(TEST_KILL_IN_REINDEX) &&
		    strtoul(getenv(TEST_KILL_IN_REINDEX), NULL, 10) == i + 1)
			io_test_kill(TEST_KILL_IN_REINDEX);
	}
	if (rc == ST_OK)
		rc = reindex_tables(st, ws, part, days, nd, v, nv, e);
	/* The indexes now cover every complete line, so no interrupted batch is left. */
	if (rc == ST_OK && jfd >= 0)
		(void)journal_clear(jfd);
	if (jfd >= 0)
		close(jfd);
	free(v);
	for (size_t i = 0; i < built; i++) {
		/* Stopped by a failure: what it wrote aside for the days not published goes. */
		static const enum layout_file aside[] = {LAYOUT_IDX_TMP, LAYOUT_LINES_TMP,
							 LAYOUT_FOOTER_TMP};
		char tp[PATH_MAX];
		for (size_t k = 0; rc != ST_OK && k < 3; k++)
			if (layout_shard_path(tp, st, ws, rd[i].day, aside[k]))
				unlink(tp);
		buf_free(&rd[i].cut);
	}
	free(rd);
	free(days);
	close(lockfd);
	return rc;
}
