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

int rebuild_cmp_version(const void *a, const void *b)
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

static void version_push(struct version **v, size_t *nv, size_t *cap, const struct idx_rec *r,
			 int32_t day, uint32_t rec)
{
	if (*nv == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*nv)++] = (struct version){.h = r->span_h,
					 .ingested = r->ingested_us,
					 .loc = LOC(day, rec),
					 .trace_h = r->trace_h,
					 .session_h = r->session_h,
					 .parent_h = r->parent_h,
					 .flags = r->flags};
}

int64_t rebuild_versions_add(struct version **v, size_t *nv, size_t *cap, const struct idx_rec *r,
			     size_t n, int32_t day)
{
	int64_t last = 0;
	for (size_t k = 0; k < n; k++) {
		version_push(v, nv, cap, &r[k], day, (uint32_t)k);
		if (r[k].ingested_us > last)
			last = r[k].ingested_us;
	}
	return last;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The committed records of ws's days but skip's, read through read-only shard views, appended
 * to *v; with hs, only those of the nhs sorted hashes hs. A day whose index does not open is
 * counted in *passed, or fails it (passed NULL). */
static enum status versions_of(struct store *st, const char *ws, const int32_t *skip, size_t nskip,
			       const uint64_t *hs, size_t nhs, struct version **v, size_t *nv,
			       size_t *cap, int64_t *last, size_t *passed)
{
	int32_t *days;
	size_t nd;
	enum status rc = store_days(st, ws, &days, &nd);
	*last = 0;
	for (size_t d = 0; rc == ST_OK && d < nd; d++) {
		struct shard sh;
		if (layout_day_among(skip, nskip, days[d]))
			continue;
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
		int64_t l = 0;
		if (!hs)
			l = rebuild_versions_add(v, nv, cap, sh.recs, sh.nrecs, days[d]);
		for (size_t k = 0; hs && k < sh.nrecs; k++)
			if (nhs && bsearch(&sh.recs[k].span_h, hs, nhs, sizeof *hs, cmp_u64))
				version_push(v, nv, cap, &sh.recs[k], days[d], (uint32_t)k);
		if (l > *last)
			*last = l;
		shard_close(&sh);
	}
	free(days);
	return rc;
}

enum status rebuild_versions(struct store *st, const char *ws, struct version **out, size_t *nout,
			     int64_t *last, size_t *passed)
{
	size_t cap = 0;
	*out = NULL;
	*nout = 0;
	return versions_of(st, ws, NULL, 0, NULL, 0, out, nout, &cap, last, passed);
}

enum status rebuild_versions_but(struct store *st, const char *ws, const int32_t *skip,
				 size_t nskip, struct version **v, size_t *nv, size_t *cap)
{
	uint64_t *hs = xmalloc((*nv ? *nv : 1) * sizeof *hs);
	size_t nhs = 0;
	int64_t last;
	for (size_t i = 0; i < *nv; i++)
		hs[nhs++] = (*v)[i].h;
	xqsort(hs, nhs, sizeof *hs, cmp_u64);
	enum status rc = versions_of(st, ws, skip, nskip, hs, nhs, v, nv, cap, &last, NULL);
	free(hs);
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
	return rebuild_resolve_at(st, ws, v, n, LAYOUT_IDX, NULL, 0);
}

enum status rebuild_resolve_at(struct store *st, const char *ws, struct version *v, size_t n,
			       enum layout_file f, const int32_t *at, size_t nat)
{
#define FILE_OF(x) (!at || layout_day_among(at, nat, LOC_DAY((x).loc)) ? f : LAYOUT_IDX)
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	enum status rc = ST_OK;
	xqsort(v, n, sizeof(*v), rebuild_cmp_version);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		for (j = i; j < n && v[j].h == v[i].h; j++)
			v[j].live = false;
		if (j - i == 1) {
			v[i].live = true;
			continue;
		}
		for (size_t k = j; k-- > i && rc == ST_OK;) {
			bool newest = true;
			if ((rc = version_id(st, ws, v[k].loc, FILE_OF(v[k]), &a)) != ST_OK)
				break;
			for (size_t m = k + 1; m < j && newest; m++) {
				if (!v[m].live)
					continue;
				if ((rc = version_id(st, ws, v[m].loc, FILE_OF(v[m]), &b)) != ST_OK)
					break;
				newest = a.len != b.len || memcmp(a.p, b.p, a.len);
			}
			v[k].live = newest;
		}
	}
	buf_free(&a);
	buf_free(&b);
	return rc;
#undef FILE_OF
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

/* The id and range tables of ws written afresh from every version v of it, its newest ones
 * marked live, whose superseded flags are already right; last: the newest ingested_at. */
static enum status rebuild_tables(struct store *st, const char *ws, struct version *v, size_t n,
				  int64_t last)
{
	struct keytable_slot *live = xmalloc((n ? 2 * n : 1) * sizeof(*live));
	bool judged = st->kind == STORE_JUDGEMENTS;
	size_t nlive = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].live)
			live[nlive++] = (struct keytable_slot){v[i].h, v[i].loc};
	enum status rc = keytable_write(st, ws, LAYOUT_IDS, live, nlive, last);
	if (rc == ST_OK)
		rc = keytable_write(st, ws, LAYOUT_TRACES, live,
				    ranges_collect(v, n, true, judged, live), last);
	if (rc == ST_OK)
		rc = keytable_write(st, ws, LAYOUT_SESSIONS, live,
				    ranges_collect(v, n, false, judged, live), last);
	layout_sync_dir(st, ws);
	free(live);
	return rc;
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
		rc = rebuild_tables(st, ws, v, n, last);
out:
	free(v);
	return rc;
}

enum status rebuild_tables_mend(struct store *st, const char *ws, const struct version *v, size_t n,
				const int32_t *days, size_t nd)
{
	struct keytable_set t = TAB_SET_CLOSED;
	enum status rc = keytable_open_all(st, ws, &t);
	if (rc == ST_OK)
		rc = keytable_reserve_all(st, ws, &t, n);
	if (rc != ST_OK) {
		keytable_close_all(&t);
		return rc;
	}
	size_t m = 0, cap = n + 1024;
	struct keytable_slot *e = xmalloc(cap * sizeof *e);
	for (uint64_t i = 0; i < t.id.hdr->nslots; i++) {
		if (!t.id.slots[i].h || layout_day_among(days, nd, LOC_DAY(t.id.slots[i].loc)))
			continue;
		if (m == cap)
			e = xrealloc(e, (cap *= 2) * sizeof *e);
		e[m++] = t.id.slots[i];
	}
	int64_t last = t.id.hdr->last_ingested;
	for (size_t i = 0; i < n; i++) {
		if (!layout_day_among(days, nd, LOC_DAY(v[i].loc)))
			continue;
		struct idx_rec r = {.trace_h = v[i].trace_h,
				    .session_h = v[i].session_h,
				    .parent_h = v[i].parent_h,
				    .flags = v[i].flags};
		keytable_add_ranges(&t, &r, LOC_DAY(v[i].loc));
		if (!v[i].live)
			continue;
		if (m == cap)
			e = xrealloc(e, (cap *= 2) * sizeof *e);
		e[m++] = (struct keytable_slot){v[i].h, v[i].loc};
	}
	keytable_close_all(&t);
	rc = keytable_write(st, ws, LAYOUT_IDS, e, m, last);
	layout_sync_dir(st, ws);
	free(e);
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
