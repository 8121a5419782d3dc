/* backup: ops_backup (ops.h), a consistent snapshot of every workspace written as a
 * generation of hard links and copies; docs/operations.md says how cron runs it. */
#include "lib/store/ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/store/io.h"
#include "lib/store/lines.h"
#include "lib/store/media.h"
#include "lib/store/sealed.h"
#include "lib/store/settle.h"
#include "lib/store/opsfs.h"

#define REC_CHUNK 4096 /* index records read at a time (512 KiB) */

/* ---- backup ---- */

/* One shard as the snapshot saw it: descriptors opened under the workspace lock, so that a
 * later retention, reindex or seal cannot change what is copied, its header and its
 * committed extent (stream bytes the committed records cover). */
struct snap_day {
	int32_t day;
	int idx_fd;
	struct shard_lines d;
	struct idx_hdr h;
	uint64_t committed, data_end;
};

/* The keyed tables of a workspace, as they were under the lock: the id table (which also
 * gives the superseded flags of the snapshot) and the trace and session day ranges. */
enum { SNAP_IDS, SNAP_TRACES, SNAP_SESSIONS, SNAP__TABLES };

struct snap {
	struct snap_day *days;
	size_t n;
	struct buf tab[SNAP__TABLES];
	enum layout_file tab_file[SNAP__TABLES];
};

static void snap_free(struct snap *sn)
{
	for (size_t i = 0; i < sn->n; i++) {
		close(sn->days[i].idx_fd);
		lines_close(&sn->days[i].d);
	}
	free(sn->days);
	for (int k = 0; k < SNAP__TABLES; k++)
		buf_free(&sn->tab[k]);
	memset(sn, 0, sizeof(*sn));
}

/* Opens one shard and finds its committed extent: the records the header commits that the
 * data fully holds (the same walk-back a writer does after a machine crash). */
static enum status snap_day_open(struct store *st, const char *ws, int32_t day, struct snap_day *sd)
{
	char p[PATH_MAX];
	struct stat is;
	sd->day = day;
	/* Closed whatever fails below: lines_open_idx may fail before it sets any of it. */
	sd->d = (struct shard_lines){.fd = -1};
	if (!layout_shard_path(p, st, ws, day, LAYOUT_IDX) ||
	    (sd->idx_fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return status_from_errno(errno);
	uint64_t size;
	/* No header: no record committed (layout_day_unborn), or data without its index. */
	if (fstat(sd->idx_fd, &is) == 0 && is.st_size < STORE_IDX_HDR) {
		close(sd->idx_fd);
		sd->idx_fd = -1;
		errno = ENOENT;
		return ST_NOT_FOUND;
	}
	if (lines_open_idx(st, ws, day, sd->idx_fd, NULL, LINES_FD, &sd->h, &sd->d) != ST_OK ||
	    fstat(sd->idx_fd, &is) < 0 || lines_end(&sd->d, &size) < 0)
		goto fail;
	/* A sealed file that holds less than the extent its header names (cut short) would make
	 * the generation one restore refuses (it checks each day's bytes): left out until
	 * reindex mends the day. */
	if (sd->d.z && sd->d.z->h->bytes < sd->h.sealed_bytes) {
		errno = EUCLEAN;
		goto fail;
	}
	uint64_t have = (uint64_t)(is.st_size - STORE_IDX_HDR) / sizeof(struct idx_rec);
	sd->committed = sd->h.committed < have ? sd->h.committed : have;
	if (rec_walk_back(sd->idx_fd, sd->h.sealed_recs, sd->d.base, size, &sd->committed,
			  &sd->data_end) < 0)
		goto fail;
	return ST_OK;
fail:
	close(sd->idx_fd);
	lines_close(&sd->d);
	sd->idx_fd = -1;
	return ST_UNAVAILABLE;
}

/* The snapshot of ws. The workspace lock is held only here: for settling an interrupted
 * batch, copying the keyed tables and reading each shard's committed extent. Every batch
 * acknowledged before this point was committed under the same lock, so it is inside. A day
 * that cannot be read is left out (said in skipped, and in the manifest). */
static enum status snap_take(struct store *st, const char *ws, struct snap *sn,
			     struct ops_skipped *skipped, struct buf *manifest, struct err *e)
{
	int32_t *days = NULL;
	size_t nd = 0;
	struct keytable_set t = TAB_SET_CLOSED;
	int jfd = -1;
	memset(sn, 0, sizeof(*sn));
	for (int k = 0; k < SNAP__TABLES; k++)
		buf_init(&sn->tab[k]);
	int lockfd = layout_ws_lock(st, ws, true);
	if (lockfd < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: workspace lock: %s", ws, strerror(errno));
	struct err se = {ST_OK, ""};
	enum status rc = settle_prepare(st, ws, &t, &jfd, &se);
	if (rc != ST_OK) {
		rc = err_set(e, rc, "%s: %s", ws, err_text(&se));
		goto out;
	}
	const struct tab *tabs[SNAP__TABLES] = {&t.id, &t.tr, &t.se};
	for (int k = 0; k < SNAP__TABLES; k++) {
		buf_add(&sn->tab[k], tabs[k]->hdr, tabs[k]->maplen);
		sn->tab_file[k] = tabs[k]->file;
	}
	if ((rc = store_days(st, ws, &days, &nd)) != ST_OK) {
		rc = err_set(e, rc, "%s: cannot list its days: %s", ws, strerror(errno));
		goto out;
	}
	sn->days = xmalloc((nd + 1) * sizeof(*sn->days));
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		enum status s = snap_day_open(st, ws, days[i], &sn->days[sn->n]);
		if (s == ST_OK) {
			sn->n++;
			continue;
		}
		/* No index and no line: nothing to back up (a day gone, or one a refused first
		 * batch left: layout_day_unborn). */
		if (s == ST_NOT_FOUND && !layout_day_lines(st, ws, days[i]))
			continue;
		char d[11];
		time_day_format(days[i], d);
		rc = ops_skip(skipped, ST_UNAVAILABLE, e,
			      "%s%s/%s: unreadable day left out of the backup (%s); see spandex "
			      "verify",
			      ws, st->kind == STORE_JUDGEMENTS ? "/" STORE_JUDGEMENTS_DIR : "", d,
			      s == ST_NOT_FOUND	 ? "data without an index"
			      : errno == EUCLEAN ? "its sealed file is cut short"
						 : strerror(errno));
		buf_printf(manifest, "# left out %s%s %s\n", ws,
			   st->kind == STORE_JUDGEMENTS ? "/" STORE_JUDGEMENTS_DIR : "", d);
	}
out:
	keytable_close_all(&t);
	if (jfd >= 0)
		close(jfd);
	close(lockfd);
	free(days);
	if (rc != ST_OK)
		snap_free(sn);
	return rc;
}

/* Whether the snapshot's id table names loc as the newest version of h: the superseded flag
 * as it was at the snapshot (a later batch may have set it in the live file since). */
static bool snap_live(const struct snap *sn, uint64_t h, uint64_t loc)
{
	const char *t = sn->tab[SNAP_IDS].p;
	return keytable_holds((const struct keytable_hdr *)t,
			      (const struct keytable_slot *)(t + STORE_TAB_HDR), h, loc, false);
}

/* Where one day of one workspace goes, and where it was in the previous generation. */
struct day_paths {
	char idx[PATH_MAX], data[PATH_MAX], zst[PATH_MAX], late[PATH_MAX];
	char prev_idx[PATH_MAX], prev_data[PATH_MAX], prev_zst[PATH_MAX];
	bool prev;
};

/* The paths of day in the generation gdir and the previous one pdir (NULL when none): each
 * generation is laid out as a data directory. */
static bool day_paths_make(struct day_paths *p, enum store_kind kind, const char *gdir,
			   const char *pdir, const char *ws, int32_t day)
{
	struct store g, pg;
	store_init(&g, gdir, false);
	store_init(&pg, pdir ? pdir : "", false);
	g.kind = pg.kind = kind;
	p->prev = pdir != NULL;
	return layout_shard_path(p->idx, &g, ws, day, LAYOUT_IDX) &&
	       layout_shard_path(p->data, &g, ws, day, LAYOUT_JSONL) &&
	       layout_shard_path(p->zst, &g, ws, day, LAYOUT_ZST) &&
	       layout_shard_path(p->late, &g, ws, day, LAYOUT_LATE) &&
	       layout_shard_path(p->prev_idx, &pg, ws, day, LAYOUT_IDX) &&
	       layout_shard_path(p->prev_data, &pg, ws, day, LAYOUT_JSONL) &&
	       layout_shard_path(p->prev_zst, &pg, ws, day, LAYOUT_ZST);
}

/* Writes the day's index as of the snapshot to p->idx. *same_recs: the previous generation
 * holds the same records (flags aside); *same_bytes: byte for byte the same file. */
static int write_index(const struct snap *sn, const struct snap_day *sd, const struct day_paths *p,
		       bool *same_recs, bool *same_bytes)
{
	struct idx_hdr h;
	struct stat sb;
	size_t cap = REC_CHUNK * sizeof(struct idx_rec);
	struct idx_rec *recs = xmalloc(cap), *prev = xmalloc(cap);
	int pfd = p->prev ? open(p->prev_idx, O_RDONLY | O_CLOEXEC) : -1;
	int fd = open(p->idx, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int rc = -1;
	*same_recs = pfd >= 0 && fstat(pfd, &sb) == 0 &&
		     (uint64_t)sb.st_size == STORE_IDX_HDR + sd->committed * sizeof(struct idx_rec);
	*same_bytes = *same_recs;
	if (fd < 0)
		goto out;
	h = sd->h; /* as the snapshot saw it: a seal since then changes nothing here */
	h.committed = sd->committed;
	h.text_end = 0; /* the text tail is derived: not in the backup */
	if (*same_recs) {
		/* The flag generation moves with the flags, which may differ (below). */
		struct idx_hdr ph;
		if (io_pread_all(pfd, &ph, sizeof(ph), 0) < 0)
			goto out;
		*same_bytes = ph.flag_gen == h.flag_gen;
		ph.flag_gen = h.flag_gen;
		*same_recs = !memcmp(&ph, &h, sizeof(h));
		*same_bytes &= *same_recs;
	}
	if (io_write_all(fd, &h, sizeof(h)) < 0)
		goto out;
	for (uint64_t at = 0; at < sd->committed;) {
		size_t n =
		    sd->committed - at > REC_CHUNK ? REC_CHUNK : (size_t)(sd->committed - at);
		off_t off = STORE_IDX_HDR + (off_t)(at * sizeof(struct idx_rec));
		if (io_pread_all(sd->idx_fd, recs, n * sizeof(*recs), off) < 0)
			goto out;
		for (size_t k = 0; k < n; k++) {
			bool live = snap_live(sn, recs[k].span_h, LOC(sd->day, at + k));
			recs[k].flags = live ? (uint16_t)(recs[k].flags & ~REC_SUPERSEDED)
					     : (uint16_t)(recs[k].flags | REC_SUPERSEDED);
		}
		if (*same_recs && io_pread_all(pfd, prev, n * sizeof(*prev), off) < 0)
			goto out;
		for (size_t k = 0; k < n && *same_recs; k++) {
			struct idx_rec a = recs[k], b = prev[k];
			*same_bytes &= a.flags == b.flags;
			a.flags &= (uint16_t)~REC_SUPERSEDED;
			b.flags &= (uint16_t)~REC_SUPERSEDED;
			*same_recs = !memcmp(&a, &b, sizeof(a));
			*same_bytes &= *same_recs;
		}
		if (io_write_all(fd, recs, n * sizeof(*recs)) < 0)
			goto out;
		at += n;
	}
	rc = fsync(fd);
out:
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (pfd >= 0)
		close(pfd);
	free(recs);
	free(prev);
	return rc;
}

/* Replaces dst by a hard link to src (both in DEST: one file system). */
static int relink(const char *src, const char *dst)
{
	return unlink(dst) < 0 && errno != ENOENT ? -1 : link(src, dst);
}

/* The lines of one day in the generation. An open shard's plain lines are append-only, so
 * the previous generation's file is hard-linked when it has the same records and length;
 * a sealed file never changes once written, so it is linked when the previous generation
 * holds the same one (same footer); late lines and anything else are copied. */
static int backup_lines(const struct snap_day *sd, const struct day_paths *p, bool same_recs,
			bool *linked, uint64_t *bytes)
{
	struct stat sb;
	if (!sd->d.z) {
		*bytes = sd->data_end;
		*linked = same_recs && stat(p->prev_data, &sb) == 0 &&
			  (uint64_t)sb.st_size == sd->data_end && link(p->prev_data, p->data) == 0;
		return *linked ? 0 : ops_copy_to(sd->d.fd, sd->data_end, p->data);
	}
	const struct sealed *z = sd->d.z;
	struct sealed *pz = NULL;
	*bytes = z->maplen;
	*linked = p->prev && sealed_open(p->prev_zst, &pz) == ST_OK && pz->maplen == z->maplen &&
		  !memcmp(pz->h, z->h, sizeof(*z->h)) && link(p->prev_zst, p->zst) == 0;
	sealed_close(pz);
	if (!*linked && ops_copy_to(z->fd, z->maplen, p->zst) < 0)
		return -1;
	uint64_t late = sd->data_end - sd->d.base;
	*bytes += late;
	return late ? ops_copy_to(sd->d.fd, late, p->late) : 0;
}

/* Writes one day into the generation: the index always (small, and its superseded flags may
 * have changed), then its lines (backup_lines). */
static enum status backup_day(const struct store *st, const char *ws, const struct snap *sn,
			      const struct snap_day *sd, const char *gdir, const char *pdir,
			      struct ops_backup_stats *stats, struct buf *manifest, struct err *e)
{
	char d[11];
	struct day_paths p;
	bool same_recs, same_bytes, linked;
	uint64_t bytes;
	time_day_format(sd->day, d);
	if (!day_paths_make(&p, st->kind, gdir, pdir, ws, sd->day))
		return err_set(e, ST_BAD_REQUEST, "%s/%s: path too long", ws, d);
	if (write_index(sn, sd, &p, &same_recs, &same_bytes) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", p.idx, strerror(errno));
	if (same_bytes && relink(p.prev_idx, p.idx) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", p.idx, strerror(errno));
	if (backup_lines(sd, &p, same_recs, &linked, &bytes) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s/%s/%s: %s", gdir, ws, d, strerror(errno));
	if (linked) {
		stats->days_linked++;
		stats->bytes_linked += bytes;
	} else {
		stats->days_copied++;
		stats->bytes_copied += bytes;
	}
	/* A judgements' day is named by its directory, <ws>/judgements. */
	buf_printf(manifest, "%s%s %s %llu %llu %s%s\n", ws,
		   st->kind == STORE_JUDGEMENTS ? "/" STORE_JUDGEMENTS_DIR : "", d,
		   (unsigned long long)sd->committed, (unsigned long long)sd->data_end,
		   linked ? "linked" : "copied", sd->d.z ? " sealed" : "");
	return ST_OK;
}

static int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (io_write_all(fd, p, n) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* The workspace's retention rules (rules.c), copied into the generation g beside its days and
 * recorded in the MANIFEST as "# rules WS BYTES" (a comment to older restores): a restore
 * without them would let the next `retain --days` drop the days they keep. The rules are
 * written aside and renamed, so a copy is one whole version. */
static enum status backup_rules(struct store *st, const char *ws, const struct store *g,
				struct buf *manifest, struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX];
	uint64_t len;
	if (st->kind != STORE_SPANS)
		return ST_OK;
	if (!layout_path(from, st, ws, LAYOUT_RULES) || !layout_path(to, g, ws, LAYOUT_RULES))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", ws);
	if (ops_copy_path(from, to, &len) < 0)
		return errno == ENOENT
			   ? ST_OK
			   : err_set(e, ST_UNAVAILABLE, "%s: %s", from, strerror(errno));
	buf_printf(manifest, "# rules %s %llu\n", ws, (unsigned long long)len);
	return ST_OK;
}

/* The media files of a workspace, into the generation g (pg: the previous one, or NULL). */
struct media_copy {
	const struct store *g, *pg;
	const char *ws;
	struct ops_backup_stats *stats;
	size_t files;
	uint64_t bytes;
	int rc;
};

/* One file: a link to the previous generation's of that name (the same bytes: a name is its
 * content), else a copy, synced. A <hex>.sweep that a killed sweep left counts as <hex>. */
static bool media_copy_one(void *ctx, const struct media_file *f)
{
	struct media_copy *c = ctx;
	char hex[STORE_MEDIA_HEX + 1], to[PATH_MAX], prev[PATH_MAX], dir[PATH_MAX], sub[PATH_MAX];
	struct stat sb;
	if (!f->media && strcmp(f->name + strnlen(f->name, STORE_MEDIA_HEX), MEDIA_SWEEP))
		return true;
	snprintf(hex, sizeof hex, "%.*s", STORE_MEDIA_HEX, f->name);
	if (!store_media_name(hex, strlen(hex)) || !media_path(to, c->g, c->ws, hex) ||
	    !media_dir(dir, c->g, c->ws) || io_mkdir(dir) < 0 ||
	    !ops_pathf(sub, "%s/%.2s", dir, hex) || io_mkdir(sub) < 0) {
		c->rc = -1;
		return false;
	}
	if (access(to, F_OK) == 0)
		return true; /* the file and its .sweep both: one is enough */
	bool linked = c->pg && media_path(prev, c->pg, c->ws, hex) && stat(prev, &sb) == 0 &&
		      (uint64_t)sb.st_size == f->size && link(prev, to) == 0;
	if (!linked && ops_copy_path(f->path, to, NULL) < 0) {
		c->rc = -1;
		return false;
	}
	linked ? c->stats->media_linked++ : c->stats->media_copied++;
	c->stats->media_bytes += f->size;
	c->files++;
	c->bytes += f->size;
	return true;
}

/* Every media file of ws, recorded in the MANIFEST as "# media WS FILES BYTES" (a comment to
 * older restores). All that are there, not only those the snapshot references: a file is
 * renamed into place before any batch that references it starts, so this holds every one the
 * snapshot's lines reference, and no sweep runs meanwhile (both take the admin lock). */
static enum status backup_media(struct store *st, const char *ws, const struct store *g,
				const char *pdir, struct ops_backup_stats *stats,
				struct buf *manifest, struct err *e)
{
	struct store pg;
	store_init(&pg, pdir ? pdir : "", false);
	struct media_copy c = {g, pdir ? &pg : NULL, ws, stats, 0, 0, 0};
	if (st->kind != STORE_SPANS)
		return ST_OK;
	if (media_each(st, ws, media_copy_one, &c) < 0 || c.rc < 0)
		return err_set(e, ST_UNAVAILABLE, "%s/%s: %s", ws, STORE_MEDIA_DIR,
			       strerror(errno));
	if (c.files) {
		char dir[PATH_MAX];
		buf_printf(manifest, "# media %s %zu %llu\n", ws, c.files,
			   (unsigned long long)c.bytes);
		if (media_dir(dir, g, ws))
			io_sync_dir(dir);
	}
	return ST_OK;
}

static enum status backup_ws(struct store *st, const char *ws, const char *gdir, const char *pdir,
			     struct ops_backup_stats *stats, struct ops_skipped *skipped,
			     struct buf *manifest, struct err *e)
{
	char p[PATH_MAX];
	struct snap sn;
	struct store g;
	store_init(&g, gdir, false);
	g.kind = st->kind;
	if (!layout_dir(p, &g, ws) || layout_mkdir(&g, ws) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s/%s: %s", gdir, ws, strerror(errno));
	struct err se = {ST_OK, ""};
	enum status rc = snap_take(st, ws, &sn, skipped, manifest, &se);
	/* A workspace that cannot be read at all (its lock, its journal) is left out whole. */
	if (rc != ST_OK)
		return skipped
			   ? ops_skip(skipped, rc, e, "%s%s: left out of the backup: %s", ws,
				      st->kind == STORE_JUDGEMENTS ? "/" STORE_JUDGEMENTS_DIR : "",
				      err_text(&se))
			   : err_set(e, rc, "%s", err_text(&se));
	for (int k = 0; rc == ST_OK && k < SNAP__TABLES; k++)
		if (!layout_path(p, &g, ws, sn.tab_file[k]) ||
		    write_file(p, sn.tab[k].p, sn.tab[k].len) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
	for (size_t i = 0; rc == ST_OK && i < sn.n; i++)
		rc = backup_day(st, ws, &sn, &sn.days[i], gdir, pdir, stats, manifest, e);
	if (rc == ST_OK)
		rc = backup_rules(st, ws, &g, manifest, e);
	if (rc == ST_OK)
		rc = backup_media(st, ws, &g, pdir, stats, manifest, e);
	if (rc == ST_OK && layout_dir(p, &g, ws))
		io_sync_dir(p);
	snap_free(&sn);
	return rc;
}

/* Removes generations a crashed run left half-written (.tmp-*). */
static void gen_clean(const char *dest)
{
	DIR *d = opendir(dest);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		if (!strncmp(e->d_name, ".tmp-", 5) && ops_pathf(p, "%s/%s", dest, e->d_name))
			ops_rm_rf(p);
	}
	closedir(d);
}

/* Copies the files extra names from DATA into the generation tmp, mode 0600, each recorded
 * in the MANIFEST as "# file NAME BYTES" (a comment to older restores). */
static enum status backup_extra(const char *root, const char *tmp, const char *const *extra,
				struct ops_backup_stats *stats, struct buf *manifest, struct err *e)
{
	for (unsigned i = 0; extra && extra[i]; i++) {
		char from[PATH_MAX], to[PATH_MAX];
		uint64_t len;
		if (i >= OPS_MAX_EXTRA || !ops_pathf(from, "%s/%s", root, extra[i]) ||
		    !ops_pathf(to, "%s/%s", tmp, extra[i]))
			return err_set(e, ST_BAD_REQUEST, "%s: path too long", extra[i]);
		/* Written aside and renamed by its writer: a copy is one whole version. */
		if (ops_copy_path_mode(from, to, 0600, &len) < 0) {
			if (errno == ENOENT)
				continue;
			return err_set(e, ST_UNAVAILABLE, "%s: %s", from, strerror(errno));
		}
		stats->extra |= 1u << i;
		buf_printf(manifest, "# file %s %llu\n", extra[i], (unsigned long long)len);
	}
	return ST_OK;
}

/* The erasures' directory (STORE_ERASE_DIR: the audit log, which must outlive the data as the
 * data outlives its host, and the requests still pending) copied into the generation tmp, each
 * file whole (a request is renamed into place, the log appended only by a pass, which the
 * admin lock keeps out), recorded in the MANIFEST as "# erasures FILES BYTES" (a comment to
 * older restores). The leftovers of a killed request (.tmp) stay behind. */
static enum status backup_erasures(const char *root, const char *tmp, struct buf *manifest,
				   struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX], p[PATH_MAX], q[PATH_MAX];
	if (!ops_pathf(from, "%s/%s", root, STORE_ERASE_DIR))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", root);
	DIR *d = opendir(from);
	if (!d)
		return errno == ENOENT
			   ? ST_OK
			   : err_set(e, ST_UNAVAILABLE, "%s: %s", from, strerror(errno));
	size_t files = 0;
	uint64_t bytes = 0, len;
	enum status rc = ST_OK;
	if (!ops_pathf(to, "%s/%s", tmp, STORE_ERASE_DIR))
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(ENAMETOOLONG));
	else if (io_mkdir(to) < 0)
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", to, strerror(errno));
	for (struct dirent *de; rc == ST_OK && (de = readdir(d));) {
		size_t n = strlen(de->d_name);
		if (strcmp(de->d_name, STORE_ERASE_AUDIT) &&
		    (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json")))
			continue;
		if (!ops_pathf(p, "%s/%s", from, de->d_name) ||
		    !ops_pathf(q, "%s/%s", to, de->d_name))
			rc = err_set(e, ST_BAD_REQUEST, "%s: path too long", de->d_name);
		else if (ops_copy_path(p, q, &len) == 0)
			files++, bytes += len;
		else if (errno != ENOENT) /* gone since the listing */
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
	}
	closedir(d);
	if (rc == ST_OK) {
		io_sync_dir(to);
		buf_printf(manifest, "# erasures %zu %llu\n", files, (unsigned long long)bytes);
	}
	return rc;
}

enum status ops_backup(struct store *st, const char *dest, const char *const *extra,
		       struct ops_backup_stats *stats, struct ops_skipped *skipped, struct err *e)
{
	char prev[64], gen[64], tmp[PATH_MAX], final[PATH_MAX], pdir[PATH_MAX], p[PATH_MAX];
	char **ws = NULL;
	size_t nws = 0;
	struct buf manifest;
	buf_init(&manifest);
	memset(stats, 0, sizeof(*stats));
	if (io_mkdir(dest) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", dest, strerror(errno));
	gen_clean(dest);
	bool have_prev = ops_gen_latest(dest, prev);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(gen, sizeof(gen), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned n = 2; ops_pathf(final, "%s/%s", dest, gen) && access(final, F_OK) == 0; n++)
		snprintf(gen + 16, sizeof(gen) - 16, "-%u", n);
	if (!ops_pathf(tmp, "%s/.tmp-%s", dest, gen) || !ops_pathf(final, "%s/%s", dest, gen) ||
	    (have_prev && !ops_pathf(pdir, "%s/%s", dest, prev)))
		return err_set(e, ST_BAD_REQUEST, "%s: path too long", dest);
	if (io_mkdir(tmp) < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: %s", tmp, strerror(errno));
	io_more_files(); /* a workspace's snapshot keeps two descriptors a day open */
	enum status rc = store_workspaces(st, &ws, &nws);
	if (rc != ST_OK)
		rc = err_set(e, rc, "%s: %s", st->root, strerror(errno));
	char taken[32];
	time_format(time_now(), taken);
	buf_printf(&manifest,
		   "# spandex backup %s, taken %s, previous generation %s\n"
		   "# workspace day records data_bytes (copied, or linked from the previous)\n",
		   gen, taken, have_prev ? prev : "none");
	if (rc == ST_OK)
		rc = backup_extra(st->root, tmp, extra, stats, &manifest, e);
	if (rc == ST_OK)
		rc = backup_erasures(st->root, tmp, &manifest, e);
	/* Each workspace with its judgements beside it. */
	struct store jst;
	store_judgements(&jst, st);
	for (size_t i = 0; rc == ST_OK && i < nws; i++) {
		rc = backup_ws(st, ws[i], tmp, have_prev ? pdir : NULL, stats, skipped, &manifest,
			       e);
		if (rc == ST_OK && store_has_judgements(st, ws[i]))
			rc = backup_ws(&jst, ws[i], tmp, have_prev ? pdir : NULL, stats, skipped,
				       &manifest, e);
	}
	/* The MANIFEST marks a complete generation; the rename publishes it. */
	if (rc == ST_OK &&
	    (!ops_pathf(p, "%s/MANIFEST", tmp) || write_file(p, manifest.p, manifest.len) < 0))
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", p, strerror(errno));
	if (rc == ST_OK) {
		io_sync_dir(tmp);
		if (rename(tmp, final) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s: %s", final, strerror(errno));
		io_sync_dir(dest);
	}
	if (rc != ST_OK)
		ops_rm_rf(tmp);
	else
		snprintf(stats->gen, sizeof(stats->gen), "%s", gen);
	for (size_t i = 0; i < nws; i++)
		free(ws[i]);
	free(ws);
	buf_free(&manifest);
	return rc;
}
