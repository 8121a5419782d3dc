/* read: a span by id and the days of a trace or session, through the workspace's tables
 * (mapped: readers take no lock), and the figures of spandex stats. Every hit is
 * confirmed on the record (hash, checksum) and on the line (the id itself). */
#include "lib/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jsonw.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/sealed.h"
#include "lib/store/keytable.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t store_batches(struct store *st, const char *ws, uint64_t look)
{
	struct mapcache_ent *mc;
	const struct jrn_hdr *j = lines_journal(st, ws, look, &mc);
	if (!j)
		return 0;
	uint64_t seq = 0, open = 0, n = 0, boot = io_boot_id();
	for (int64_t until = 0;;) {
		/* The writer stores open, then n (journal_publish, journal_clear), so a
		 * published batch never reads as one in between. */
		n = __atomic_load_n(&j->n, __ATOMIC_ACQUIRE);
		open = __atomic_load_n(&j->open, __ATOMIC_ACQUIRE);
		seq = __atomic_load_n(&j->seq, __ATOMIC_ACQUIRE);
		if (open || !n || j->boot != boot)
			break;
		int64_t t = now_us();
		if (!until)
			until = t + STORE_PUBLISH_WAIT_US;
		else if (t > until)
			break;
		sched_yield();
	}
	mapcache_put(mc);
	return seq << 2 | (open ? 2 : 0) | (n ? 1 : 0);
}

/* The lock shared, waiting at most wait_ms for it. */
static int hold(struct store *st, const char *ws, int64_t wait_ms)
{
	char p[PATH_MAX];
	int fd;
	if (!layout_path(p, st, ws, LAYOUT_LOCK) || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	for (int64_t until = now_us() + wait_ms * 1000;;) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			return fd;
		if ((errno != EWOULDBLOCK && errno != EINTR) || now_us() >= until)
			break;
		struct timespec nap = {0, 50000};
		nanosleep(&nap, NULL);
	}
	close(fd);
	return -1;
}

int store_hold(struct store *st, const char *ws)
{
	/* A batch holds the lock for milliseconds; reindex or verify may hold it for minutes. */
	return hold(st, ws, STORE_HOLD_WAIT_MS);
}

int store_hold_now(struct store *st, const char *ws)
{
	return hold(st, ws, 0);
}

void store_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Reads record rec of ws/day and its line if it holds span lit (hash h): through the
 * process's mappings of the day's index and lines, a stat of each once mapped, and none when
 * a stat under look found them. *damaged: the slot names no committed record, or one that
 * fails its checksum or holds another span (a byte of the index or of the table flipped on
 * disk: a reader only sees slots of published batches, each naming a record of its hash). */
static enum status read_version(struct store *st, const char *ws, uint64_t look, int32_t day,
				uint32_t rec, uint64_t h, const struct buf *lit, struct buf *out,
				bool *damaged)
{
	char p[PATH_MAX];
	size_t len;
	struct mapcache_ent *mc = NULL;
	struct shard_lines d = {.fd = -1};
	enum status rc = ST_NOT_FOUND;
	struct idx_rec r;
	struct idx_hdr hdr;
	bool sound = false;
	/* The id table names a record only after its batch was published, and the checksum, the
	 * hash and the id in the line prove the rest; the record must still be one a reader
	 * sees (not cut by an undo since). The header says where the lines are (open or
	 * sealed). */
	const char *m;
	if (!layout_shard_path(p, st, ws, day, LAYOUT_IDX) ||
	    !(m = mapcache_get_path(p, STORE_IDX_HDR + ((size_t)rec + 1) * sizeof(r), false, look,
				    &len, &mc)) ||
	    rec >= lines_visible(st, ws, look, (const struct idx_hdr *)m, m))
		goto out;
	memcpy(&r, m + STORE_IDX_HDR + (size_t)rec * sizeof(r), sizeof(r));
	if (!(sound = r.span_h == h && rec_crc(&r) == r.crc) || (r.flags & REC_DELETED))
		goto out;
	if (lines_open_idx(st, ws, day, -1, m, LINES_MAP, &hdr, &d) != ST_OK)
		goto out;
	d.look = look;
	size_t start = out->len;
	buf_reserve(out, r.len);
	if (lines_read(&d, r.off, out->p + start, r.len) < 0) {
		rc = ST_UNAVAILABLE;
		goto out;
	}
	if (!rec_line_has_id(out->p + start, r.len, lit) ||
	    !rec_line_sound(st->kind, out->p + start, r.len, &r))
		goto out;
	out->len += r.len;
	out->p[out->len] = 0;
	rc = ST_OK;
out:
	*damaged |= !sound;
	mapcache_put(mc);
	lines_close(&d);
	return rc;
}

/* Record k of sh fails its checksum (a byte of the index damaged on disk): the version of
 * span lit (hash h) its line holds, read where its neighbours say the line lies rather than
 * where its own fields do. The line's record in *w; false when the line is not lit's. */
static bool damaged_version(enum store_kind kind, struct shard *sh, size_t k, const struct buf *lit,
			    uint64_t h, struct buf *line, struct idx_rec *w)
{
	const struct idx_rec *r = &sh->recs[k], *p = k ? r - 1 : NULL,
			     *n = k + 1 < sh->nrecs ? r + 1 : NULL;
	bool p_ok = p && rec_crc(p) == p->crc, n_ok = n && rec_crc(n) == n->crc;
	/* Lines are contiguous: each starts after the one before and ends before the next. */
	uint64_t off = !p ? 0 : p_ok ? p->off + p->len + 1 : n_ok ? n->off - r->len - 1 : r->off;
	uint64_t end = n_ok ? n->off - 1 : off + r->len;
	struct buf scratch;
	if (end <= off || end - off > STORE_MAX_LINE)
		return false;
	line->len = 0;
	buf_reserve(line, end - off);
	if (lines_read(&sh->d, off, line->p, end - off) < 0 ||
	    !rec_line_has_id(line->p, end - off, lit))
		return false;
	buf_init(&scratch);
	bool ok = rec_line_record(kind, line->p, end - off, &scratch, w) && w->span_h == h;
	buf_free(&scratch);
	line->len = end - off;
	return ok;
}

/* The slow path, used while the id table may be stale (first read after a reboot that
 * followed a crash, before any writer rebuilt it) or, damaged, when the slot of h is damage
 * (read_version): newest day first, newest record first. When damaged, a record that fails
 * its checksum is confirmed on its line alone; its version is taken when no sound live one is
 * found (their superseded flags are right), the newest such by its line's ingest time. */
static enum status get_by_scan(struct store *st, const char *ws, uint64_t h, const struct buf *lit,
			       bool damaged, struct buf *out)
{
	int32_t *days;
	size_t nd;
	enum status rc = store_days(st, ws, &days, &nd);
	if (rc != ST_OK)
		return rc;
	struct buf line, best;
	struct idx_rec w;
	int64_t best_at = INT64_MIN;
	bool best_gone = false;
	buf_init(&line);
	buf_init(&best);
	rc = ST_NOT_FOUND;
	for (size_t i = nd; i-- > 0 && rc == ST_NOT_FOUND;) {
		struct shard sh;
		if (shard_open(st, ws, days[i], &sh) != ST_OK)
			continue;
		/* Newest record first: the late ones, then (sealed) those the id table names for
		 * h, else every record. */
		const struct seal_id *ids = NULL;
		size_t nids = 0, from = 0;
		if (sh.d.z && sh.d.z->h->nrecs == sh.nsealed && sealed_tables(sh.d.z)) {
			nids = sealed_find(sh.d.z, h, &ids);
			from = sh.nsealed;
		}
		for (size_t j = sh.nrecs - from + nids; j-- > 0;) {
			size_t k = j >= nids ? from + (j - nids) : (size_t)ids[j].rec;
			if (k >= sh.nrecs) /* the footer's entries are checked by its checksum */
				continue;
			const struct idx_rec *r = &sh.recs[k];
			if (damaged && rec_crc(r) != r->crc) {
				if (damaged_version(st->kind, &sh, k, lit, h, &line, &w) &&
				    w.ingested_us > best_at) {
					best_at = w.ingested_us;
					best_gone = w.flags & REC_DELETED;
					best.len = 0;
					buf_add(&best, line.p, line.len);
				}
				continue;
			}
			if (r->span_h != h || !store_rec_live(r))
				continue;
			size_t start = out->len;
			if (shard_line(&sh, k, out) == ST_OK &&
			    rec_line_has_id(out->p + start, r->len, lit) &&
			    rec_line_sound(st->kind, out->p + start, r->len, r)) {
				rc = ST_OK;
				break;
			}
			out->len = start;
		}
		shard_close(&sh);
	}
	if (rc == ST_NOT_FOUND && best_at != INT64_MIN && !best_gone) {
		buf_add(out, best.p, best.len);
		rc = ST_OK;
	}
	buf_free(&line);
	buf_free(&best);
	free(days);
	return rc;
}

enum status store_get(struct store *st, const char *ws, const char *span_id, struct buf *out)
{
	struct mapcache_ent *mc = NULL;
	const struct keytable_hdr *t;
	if (!workspace_valid(ws))
		return ST_NOT_FOUND;
	uint64_t look = store_look(st, ws);
	/* Tables of another boot are rebuilt first, unless a writer holds the lock (and will):
	 * then the table is viewed as it is now, not as the look found it. */
	if (store_settle_boot(st, ws, look))
		look = 0;
	/* No id table (removed, or a workspace copied in without it, until the next writer
	 * rebuilds it): the days are looked at, as while it is stale. */
	if (!(t = keytable_view(st, ws, LAYOUT_IDS, look, &mc)) && errno != ENOENT)
		return ST_UNAVAILABLE;
	struct buf lit;
	buf_init(&lit);
	jsonw_string(&lit, span_id, strlen(span_id));
	uint64_t h = hash_bytes(span_id, strlen(span_id));
	enum status rc = ST_NOT_FOUND;
	struct keytable_slot slot;
	bool damaged = false;
	if (!t || t->boot != io_boot_id())
		rc = get_by_scan(st, ws, h, &lit, false, out);
	else
		for (uint64_t i = h & (t->nslots - 1), n = 0;
		     rc == ST_NOT_FOUND && keytable_probe(t, h, &i, &n, &slot);)
			rc = read_version(st, ws, look, LOC_DAY(slot.loc), LOC_REC(slot.loc), h,
					  &lit, out, &damaged);
	/* The slot named a record that fails its checksum: the days are looked at (verify names
	 * the record, reindex writes it again). */
	if (rc == ST_NOT_FOUND && damaged)
		rc = get_by_scan(st, ws, h, &lit, true, out);
	buf_free(&lit);
	mapcache_put(mc);
	return rc;
}

enum status store_locate(struct store *st, const char *ws, uint64_t look, const uint64_t *hs,
			 size_t n, uint64_t **locs, size_t *nlocs)
{
	struct mapcache_ent *mc;
	const struct keytable_hdr *t;
	*locs = NULL;
	*nlocs = 0;
	if (!workspace_valid(ws) || !(t = keytable_view(st, ws, LAYOUT_IDS, look, &mc)))
		return ST_UNAVAILABLE;
	if (t->boot != io_boot_id()) {
		mapcache_put(mc);
		return ST_UNAVAILABLE;
	}
	size_t cap = n + 16;
	*locs = xmalloc(cap * sizeof **locs);
	struct keytable_slot slot;
	for (size_t k = 0; k < n; k++)
		for (uint64_t i = hs[k] & (t->nslots - 1), probes = 0;
		     keytable_probe(t, hs[k], &i, &probes, &slot);) {
			if (*nlocs == cap)
				*locs = xrealloc(*locs, (cap *= 2) * sizeof **locs);
			(*locs)[(*nlocs)++] = slot.loc;
		}
	mapcache_put(mc);
	return ST_OK;
}

enum status store_key_days(struct store *st, const char *ws, uint64_t look, enum store_key which,
			   uint64_t h, int32_t *first, int32_t *last)
{
	struct mapcache_ent *mc;
	const struct keytable_hdr *t;
	if (!workspace_valid(ws) ||
	    !(t = keytable_view(st, ws, which == STORE_KEY_TRACE ? LAYOUT_TRACES : LAYOUT_SESSIONS,
				look, &mc)))
		return ST_UNAVAILABLE;
	enum status rc = ST_UNAVAILABLE;
	struct keytable_slot slot;
	uint64_t i = h & (t->nslots - 1), n = 0;
	if (t->boot == io_boot_id()) {
		rc = keytable_probe(t, h, &i, &n, &slot) ? ST_OK : ST_NOT_FOUND;
		if (rc == ST_OK) {
			/* A 64-bit hash shared by two ids only widens the range: a superset. */
			*first = RANGE_LO(slot.loc);
			*last = RANGE_HI(slot.loc);
		}
	}
	mapcache_put(mc);
	return rc;
}

/* The size of the file at p (when ok: the path was built), 0 when it is absent. */
static uint64_t path_bytes(bool ok, const char *p)
{
	struct stat sb;
	return ok && stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static uint64_t shard_bytes(struct store *st, const char *ws, int32_t day, enum layout_file f)
{
	char p[PATH_MAX];
	return path_bytes(layout_shard_path(p, st, ws, day, f), p);
}

enum status store_stats(struct store *st, const char *ws, struct store_stats *out)
{
	int32_t *days;
	size_t nd;
	memset(out, 0, sizeof(*out));
	enum status rc = store_days(st, ws, &days, &nd);
	if (rc != ST_OK)
		return rc;
	out->days = nd;
	for (size_t d = 0; d < nd; d++) {
		struct shard sh;
		if (shard_open(st, ws, days[d], &sh) == ST_OK) {
			for (size_t k = 0; k < sh.nrecs; k++)
				out->spans += store_rec_live(&sh.recs[k]);
			out->versions += sh.nrecs;
			shard_close(&sh);
		}
		out->data_bytes += shard_bytes(st, ws, days[d], LAYOUT_JSONL) +
				   shard_bytes(st, ws, days[d], LAYOUT_ZST) +
				   shard_bytes(st, ws, days[d], LAYOUT_LATE);
		out->index_bytes += shard_bytes(st, ws, days[d], LAYOUT_IDX);
	}
	char p[PATH_MAX];
	out->index_bytes += path_bytes(layout_path(p, st, ws, LAYOUT_IDS), p);
	free(days);
	return ST_OK;
}
