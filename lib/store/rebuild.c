/* rebuild: the derived data of a workspace made again from its lines (see rebuild.h);
 * reindex.c, store_reindex, writes every index again with it.
 * Everything here runs under the workspace lock, and each shard it writes under that
 * shard's lock; each step can be run again after a crash. */
#include "lib/store/rebuild.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/store/io.h"
#include "lib/store/layout.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/sealed.h"
#include "lib/store/keytable.h"
#include "lib/store/writeset.h"

static int cmp_version(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->ingested != y->ingested)
		return x->ingested < y->ingested ? -1 : 1;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

int rebuild_cmp_loc(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

int64_t rebuild_versions_add(struct version **v, size_t *nv, size_t *cap, const struct idx_rec *r,
			     size_t n, int32_t day)
{
	int64_t last = 0;
	for (size_t k = 0; k < n; k++) {
		if (*nv == *cap) {
			*cap = *cap ? *cap * 2 : 4096;
			*v = xrealloc(*v, *cap * sizeof(**v));
		}
		(*v)[(*nv)++] = (struct version){.h = r[k].span_h,
						 .ingested = r[k].ingested_us,
						 .loc = LOC(day, k),
						 .trace_h = r[k].trace_h,
						 .session_h = r[k].session_h,
						 .parent_h = r[k].parent_h,
						 .flags = r[k].flags};
		if (r[k].ingested_us > last)
			last = r[k].ingested_us;
	}
	return last;
}

/* Every committed record of ws, read through read-only shard views. */
enum status rebuild_versions(struct store *st, const char *ws, struct version **out, size_t *nout,
			     int64_t *last, size_t *passed)
{
	int32_t *days;
	size_t nd, n = 0, cap = 0;
	struct version *v = NULL;
	enum status rc = store_days(st, ws, &days, &nd);
	*last = 0;
	for (size_t d = 0; rc == ST_OK && d < nd; d++) {
		struct shard sh;
		/* A day with no header yet holds no record (layout_day_unborn). */
		if ((rc = shard_open(st, ws, days[d], &sh)) == ST_NOT_FOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK && passed) {
			++*passed;
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK)
			break;
		int64_t l = rebuild_versions_add(&v, &n, &cap, sh.recs, sh.nrecs, days[d]);
		if (l > *last)
			*last = l;
		shard_close(&sh);
	}
	free(days);
	*out = v;
	*nout = n;
	return rc;
}

/* The span id literal of the version at loc, in the index file f (LAYOUT_IDX, or the
 * temporary a reindex writes). */
static enum status version_id(struct store *st, const char *ws, uint64_t loc, enum layout_file f,
			      struct buf *lit)
{
	if (f != LAYOUT_IDX) {
		char p[PATH_MAX];
		struct idx_hdr h;
		struct idx_rec r;
		struct shard_lines d = {.fd = -1};
		int fd = layout_shard_path(p, st, ws, LOC_DAY(loc), f)
			     ? open(p, O_RDONLY | O_CLOEXEC)
			     : -1;
		enum status rc = ST_UNAVAILABLE;
		/* A day whose lines reindex wrote again has them in <day>.lines.tmp until then. */
		if (fd >= 0 && io_pread_all(fd, &h, sizeof(h), 0) == 0 &&
		    LOC_REC(loc) < h.committed && rec_read(fd, LOC_REC(loc), &r) == 0 &&
		    ((layout_shard_path(p, st, ws, LOC_DAY(loc), LAYOUT_LINES_TMP) &&
		      (d.fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0) ||
		     lines_open(st, ws, LOC_DAY(loc), &h, LINES_FD, &d) == ST_OK))
			rc = lines_id_lit(&d, &r, lit);
		lines_close(&d);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	struct shard sh;
	enum status rc = shard_open(st, ws, LOC_DAY(loc), &sh);
	if (rc != ST_OK)
		return rc;
	rc = LOC_REC(loc) < sh.nrecs ? lines_id_lit(&sh.d, &sh.recs[LOC_REC(loc)], lit)
				     : ST_UNAVAILABLE;
	shard_close(&sh);
	return rc;
}

/* Marks the newest version of each span id live. Equal 64-bit hashes of different ids are
 * told apart by reading the ids, which only runs of equal hashes need. */
enum status rebuild_resolve(struct store *st, const char *ws, struct version *v, size_t n)
{
	return rebuild_resolve_at(st, ws, v, n, LAYOUT_IDX);
}

enum status rebuild_resolve_at(struct store *st, const char *ws, struct version *v, size_t n,
			       enum layout_file f)
{
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	enum status rc = ST_OK;
	xqsort(v, n, sizeof(*v), cmp_version);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		for (j = i; j < n && v[j].h == v[i].h; j++)
			v[j].live = false;
		if (j - i == 1) {
			v[i].live = true;
			continue;
		}
		for (size_t k = j; k-- > i && rc == ST_OK;) {
			bool newest = true;
			if ((rc = version_id(st, ws, v[k].loc, f, &a)) != ST_OK)
				break;
			for (size_t m = k + 1; m < j && newest; m++) {
				if (!v[m].live)
					continue;
				if ((rc = version_id(st, ws, v[m].loc, f, &b)) != ST_OK)
					break;
				newest = a.len != b.len || memcmp(a.p, b.p, a.len);
			}
			v[k].live = newest;
		}
	}
	buf_free(&a);
	buf_free(&b);
	return rc;
}

/* By key, then by first day as a signed day: RANGE puts the day in the high bits as unsigned,
 * where a day before 1970-01-01 sorts after every later one. */
static int cmp_slot(const void *a, const void *b)
{
	const struct keytable_slot *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	int32_t dx = RANGE_LO(x->loc), dy = RANGE_LO(y->loc);
	return (dx > dy) - (dx < dy);
}

/* The day range of each trace (trace: true) or session over every version: (h, RANGE); with
 * judged (a judgement store), of each span judged too, in the sessions' table (keytable.h).
 * out has room for 2n. */
static size_t ranges_collect(const struct version *v, size_t n, bool trace, bool judged,
			     struct keytable_slot *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		int32_t day = LOC_DAY(v[i].loc);
		if (!trace && judged && v[i].parent_h)
			out[m++] = (struct keytable_slot){v[i].parent_h, RANGE(day, day)};
		if (trace ? !(v[i].flags & REC_HAS_TRACE) : !v[i].session_h)
			continue;
		out[m++] =
		    (struct keytable_slot){trace ? v[i].trace_h : v[i].session_h, RANGE(day, day)};
	}
	xqsort(out, m, sizeof(*out), cmp_slot);
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && out[k - 1].h == out[i].h) {
			/* Sorted by signed day, so lo is the least; hi the greatest, signed, as
			 * keytable_widen keeps it for the writers. */
			int32_t lo = RANGE_LO(out[k - 1].loc), hi = RANGE_HI(out[k - 1].loc),
				d = RANGE_HI(out[i].loc);
			out[k - 1].loc = RANGE(lo, d > hi ? d : hi);
		} else {
			out[k++] = out[i];
		}
	}
	return k;
}

enum status rebuild_ids(struct store *st, const char *ws, size_t *passed)
{
	struct version *v = NULL;
	size_t n = 0;
	int64_t last;
	enum status rc = rebuild_versions(st, ws, &v, &n, &last, passed);
	if (rc == ST_OK)
		rc = rebuild_resolve(st, ws, v, n);
	if (rc != ST_OK)
		goto out;
	/* A day passed over may hold the version that superseded one of another day. */
	for (size_t i = 0; passed && *passed && i < n; i++)
		if (v[i].flags & REC_SUPERSEDED)
			v[i].live = false;
	struct keytable_slot *live = xmalloc((n ? 2 * n : 1) * sizeof(*live));
	bool judged = st->kind == STORE_JUDGEMENTS;
	size_t nlive = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].live)
			live[nlive++] = (struct keytable_slot){v[i].h, v[i].loc};
	/* Write the superseded flags that differ, one shard at a time, under its lock. */
	xqsort(v, n, sizeof(*v), rebuild_cmp_loc);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		struct writeset_shard w;
		for (j = i; j < n && LOC_DAY(v[j].loc) == LOC_DAY(v[i].loc); j++)
			;
		if ((rc = writeset_open(st, ws, LOC_DAY(v[i].loc), &(struct wopen){0}, &w)) !=
		    ST_OK)
			break;
		for (size_t k = i; k < j; k++) {
			uint16_t want = v[k].live ? (uint16_t)(v[k].flags & ~REC_SUPERSEDED)
						  : (uint16_t)(v[k].flags | REC_SUPERSEDED);
			if (want != v[k].flags &&
			    rec_write_flags(w.idx_fd, LOC_REC(v[k].loc), want) < 0)
				rc = ST_UNAVAILABLE;
		}
		if (rc == ST_OK && fdatasync(w.idx_fd) < 0)
			rc = ST_UNAVAILABLE;
		writeset_close(&w);
	}
	if (rc == ST_OK)
		rc = keytable_write(st, ws, LAYOUT_IDS, live, nlive, last);
	if (rc == ST_OK)
		rc = keytable_write(st, ws, LAYOUT_TRACES, live,
				    ranges_collect(v, n, true, judged, live), last);
	if (rc == ST_OK)
		rc = keytable_write(st, ws, LAYOUT_SESSIONS, live,
				    ranges_collect(v, n, false, judged, live), last);
	layout_sync_dir(st, ws);
	free(live);
out:
	free(v);
	return rc;
}

uint64_t rebuild_day_bytes(struct store *st, const char *ws, int32_t day)
{
	char p[PATH_MAX];
	struct stat sb;
	struct sealed *z;
	uint64_t n = 0;
	if (layout_shard_path(p, st, ws, day, LAYOUT_JSONL) && stat(p, &sb) == 0)
		return (uint64_t)sb.st_size;
	if (layout_shard_path(p, st, ws, day, LAYOUT_ZST) && sealed_open(p, &z) == ST_OK) {
		n = z->h->bytes;
		sealed_close(z);
	}
	if (layout_shard_path(p, st, ws, day, LAYOUT_LATE) && stat(p, &sb) == 0)
		n += (uint64_t)sb.st_size;
	return n;
}
