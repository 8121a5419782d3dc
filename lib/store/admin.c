/* store_admin: rebuilding indexes from the JSONL alone, rebuilding the id table and the
 * superseded flags, and verifying all of it. Each runs under the workspace lock. */
#include "lib/store/store.h"
#include "lib/store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/status.h"
#include "lib/base/time.h"
#include "lib/model/workspace.h"

/* One version of one span: what deciding "newest wins" needs. */
struct version {
	uint64_t h;
	int64_t ingested;
	uint64_t loc;
	uint64_t trace_h, session_h;
	uint16_t flags; /* as stored */
	bool live;	/* as it should be */
};

static int cmp_version(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	if (x->ingested != y->ingested)
		return x->ingested < y->ingested ? -1 : 1;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

static int cmp_version_loc(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

/* Every committed record of ws, read through read-only shard views. */
static enum status versions_collect(struct store *st, const char *ws, struct version **out,
				    size_t *nout, int64_t *last)
{
	int32_t *days;
	size_t nd, n = 0, cap = 0;
	struct version *v = NULL;
	enum status rc = store_days(st, ws, &days, &nd);
	*last = 0;
	for (size_t d = 0; rc == ST_OK && d < nd; d++) {
		struct shard sh;
		if ((rc = shard_open(st, ws, days[d], &sh)) != ST_OK)
			break;
		for (size_t k = 0; k < sh.nrecs; k++) {
			const struct idx_rec *r = &sh.recs[k];
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = (struct version){r->span_h,  r->ingested_us, LOC(days[d], k),
						  r->trace_h, r->session_h,   r->flags,
						  false};
			if (r->ingested_us > *last)
				*last = r->ingested_us;
		}
		shard_close(&sh);
	}
	free(days);
	*out = v;
	*nout = n;
	return rc;
}

/* The span id literal of the version at loc. */
static enum status version_id(struct store *st, const char *ws, uint64_t loc, struct buf *lit)
{
	struct shard sh;
	enum status rc = shard_open(st, ws, LOC_DAY(loc), &sh);
	if (rc != ST_OK)
		return rc;
	rc = LOC_REC(loc) < sh.nrecs ? rec_id_lit(&sh.d, &sh.recs[LOC_REC(loc)], lit)
				     : ST_UNAVAILABLE;
	shard_close(&sh);
	return rc;
}

/* Marks the newest version of each span id live. Equal 64-bit hashes of different ids are
 * told apart by reading the ids, which only runs of equal hashes need. */
static enum status versions_resolve(struct store *st, const char *ws, struct version *v, size_t n)
{
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	enum status rc = ST_OK;
	qsort(v, n, sizeof(*v), cmp_version);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		for (j = i; j < n && v[j].h == v[i].h; j++)
			v[j].live = false;
		if (j - i == 1) {
			v[i].live = true;
			continue;
		}
		for (size_t k = j; k-- > i && rc == ST_OK;) {
			bool newest = true;
			if ((rc = version_id(st, ws, v[k].loc, &a)) != ST_OK)
				break;
			for (size_t m = k + 1; m < j && newest; m++) {
				if (!v[m].live)
					continue;
				if ((rc = version_id(st, ws, v[m].loc, &b)) != ST_OK)
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

static int cmp_slot(const void *a, const void *b)
{
	const struct ids_slot *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->loc > y->loc) - (x->loc < y->loc);
}

/* The day range of each trace (trace: true) or session over every version: (h, RANGE). */
static size_t ranges_collect(const struct version *v, size_t n, bool trace, struct ids_slot *out)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (trace && !(v[i].flags & REC_HAS_TRACE))
			continue;
		int32_t day = LOC_DAY(v[i].loc);
		out[m++] =
		    (struct ids_slot){trace ? v[i].trace_h : v[i].session_h, RANGE(day, day)};
	}
	qsort(out, m, sizeof(*out), cmp_slot);
	size_t k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && out[k - 1].h == out[i].h)
			out[k - 1].loc = RANGE(RANGE_LO(out[k - 1].loc), RANGE_HI(out[i].loc));
		else
			out[k++] = out[i];
	}
	return k;
}

/* Writes table name afresh from entries (synced: a rebuild is the recovery path). */
static enum status table_write(struct store *st, const char *ws, const char *name,
			       const struct ids_slot *e, size_t n, int64_t last)
{
	uint64_t nslots = IDS_MIN_SLOTS;
	while ((uint64_t)n * 100 > nslots * IDS_LOAD_PCT)
		nslots *= 2;
	struct ids t = {.fd = -1, .name = name};
	enum status rc = ids_replace(st, ws, &t, nslots, e, n, last);
	if (rc == ST_OK && msync(t.hdr, t.maplen, MS_SYNC) < 0)
		rc = ST_UNAVAILABLE;
	ids_close(&t);
	return rc;
}

enum status ids_rebuild(struct store *st, const char *ws)
{
	struct version *v = NULL;
	size_t n = 0;
	int64_t last;
	enum status rc = versions_collect(st, ws, &v, &n, &last);
	if (rc == ST_OK)
		rc = versions_resolve(st, ws, v, n);
	if (rc != ST_OK)
		goto out;
	struct ids_slot *live = xmalloc((n ? n : 1) * sizeof(*live));
	size_t nlive = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].live)
			live[nlive++] = (struct ids_slot){v[i].h, v[i].loc};
	/* Write the superseded flags that differ, one shard at a time, under its lock. */
	qsort(v, n, sizeof(*v), cmp_version_loc);
	for (size_t i = 0, j; i < n && rc == ST_OK; i = j) {
		struct wshard w;
		for (j = i; j < n && LOC_DAY(v[j].loc) == LOC_DAY(v[i].loc); j++)
			;
		if ((rc = wshard_open(st, ws, LOC_DAY(v[i].loc), false, &w)) != ST_OK)
			break;
		for (size_t k = i; k < j; k++) {
			uint16_t want = v[k].live ? (uint16_t)(v[k].flags & ~REC_SUPERSEDED)
						  : (uint16_t)(v[k].flags | REC_SUPERSEDED);
			off_t at = IDX_HDR + (off_t)(LOC_REC(v[k].loc) * sizeof(struct idx_rec)) +
				   (off_t)offsetof(struct idx_rec, flags);
			if (want != v[k].flags && pwrite_all(w.idx_fd, &want, sizeof(want), at) < 0)
				rc = ST_UNAVAILABLE;
		}
		if (rc == ST_OK && fdatasync(w.idx_fd) < 0)
			rc = ST_UNAVAILABLE;
		wshard_close(&w);
	}
	if (rc == ST_OK)
		rc = table_write(st, ws, "ids.tab", live, nlive, last);
	if (rc == ST_OK)
		rc =
		    table_write(st, ws, "traces.tab", live, ranges_collect(v, n, true, live), last);
	if (rc == ST_OK)
		rc = table_write(st, ws, "sessions.tab", live, ranges_collect(v, n, false, live),
				 last);
	sync_dir(st, ws);
	free(live);
out:
	free(v);
	return rc;
}

/* Appends the records of the complete lines in p[0, n), which start at stream offset base;
 * *used gets the bytes they cover (an unterminated last line is left out). */
static enum status index_lines(const char *p, size_t n, uint64_t base, struct buf *recs,
			       size_t *used, const char *dname, const char *file, struct err *e)
{
	*used = 0;
	for (size_t off = 0; off < n;) {
		const char *nl = memchr(p + off, '\n', n - off);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (p + off));
		struct span s;
		json_t *root;
		if (!span_parse(p + off, len, &s, &root))
			return err_set(e, ST_INVALID, "%s.%s at byte %llu: not a canonical span",
				       dname, file, (unsigned long long)(base + off));
		struct idx_rec r;
		idx_rec_from_span(&s, &r);
		r.off = base + off;
		r.len = (uint32_t)len;
		r.crc = idx_rec_crc(&r);
		buf_add(recs, &r, sizeof(r));
		span_clear(&s);
		json_decref(root);
		off = *used = off + len + 1;
	}
	return ST_OK;
}

/* Indexes the lines of a sealed file up to stream offset upto (every block before it). */
static enum status index_sealed(struct sealed *z, uint64_t upto, struct buf *recs,
				const char *dname, struct err *e)
{
	struct sdata d = {.fd = -1, .base = upto, .z = z};
	struct buf raw;
	buf_init(&raw);
	enum status rc = ST_OK;
	for (uint64_t i = 0; rc == ST_OK && i < z->h->nblocks && z->blk[i].raw_off < upto; i++) {
		const struct seal_blk *b = &z->blk[i];
		size_t used;
		raw.len = 0;
		buf_reserve(&raw, b->rawlen);
		if (sdata_read(&d, b->raw_off, raw.p, b->rawlen) < 0)
			rc = err_set(e, ST_UNAVAILABLE, "%s.jsonl.zst block %llu: %s", dname,
				     (unsigned long long)i, strerror(errno));
		else if ((rc = index_lines(raw.p, b->rawlen, b->raw_off, recs, &used, dname,
					   "jsonl.zst", e)) == ST_OK &&
			 used != b->rawlen)
			rc = err_set(e, ST_INVALID,
				     "%s.jsonl.zst block %llu: a line crosses its end", dname,
				     (unsigned long long)i);
	}
	buf_free(&raw);
	return rc;
}

/* Rebuilds one shard's index from its lines alone: the plain JSONL of an open shard, or the
 * sealed file and the late lines of a sealed one. Every complete line must be a canonical
 * span; an unterminated last line (a torn write) is cut off. */
static enum status reindex_day(struct store *st, const char *ws, int32_t day, struct err *e)
{
	char dp[PATH_MAX], ip[PATH_MAX], tp[PATH_MAX], zp[PATH_MAX], dname[11];
	time_day_format(day, dname);
	if (!shard_path(ip, st, ws, day, "idx") || !shard_path(tp, st, ws, day, "idx.tmp") ||
	    !shard_path(zp, st, ws, day, "jsonl.zst"))
		return err_set(e, ST_BAD_REQUEST, "%s", strerror(ENAMETOOLONG));
	int lfd = open(ip, O_RDWR | O_CREAT | O_CLOEXEC, 0640); /* the shard lock */
	int dfd = -1, tfd = -1;
	char *map = NULL;
	struct sealed *z = NULL;
	struct stat sb;
	struct idx_hdr old, h;
	struct buf recs;
	buf_init(&recs);
	idx_hdr_init(&h, day);
	enum status rc = ST_UNAVAILABLE;
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", dname, strerror(errno));
		goto out;
	}
	/* Sealed when the old header says so, or when only the sealed file is left. The old
	 * header's extent wins over a larger sealed file (a seal that stopped before its
	 * commit): the late lines continue from it. */
	bool hdr_ok = pread_all(lfd, &old, sizeof(old), 0) == 0 && idx_hdr_ok(&old);
	bool plain = !(hdr_ok && old.sealed_bytes) && shard_path(dp, st, ws, day, "jsonl") &&
		     access(dp, F_OK) == 0;
	if (!plain) {
		if ((rc = sealed_open(zp, &z)) != ST_OK) {
			rc = err_set(e, ST_UNAVAILABLE, "%s: no data file (%s)", dname,
				     strerror(errno));
			goto out;
		}
		h.version = IDX_VERSION_SEALED;
		h.sealed_bytes = hdr_ok && old.sealed_bytes ? old.sealed_bytes : z->h->bytes;
		if ((rc = index_sealed(z, h.sealed_bytes, &recs, dname, e)) != ST_OK)
			goto out;
		h.sealed_recs = recs.len / sizeof(struct idx_rec);
		if (!shard_path(dp, st, ws, day, "late.jsonl"))
			goto out;
		rc = ST_UNAVAILABLE;
	}
	dfd = open(dp, O_RDWR | O_CLOEXEC);
	if (dfd < 0 && !(errno == ENOENT && !plain)) {
		rc = err_set(e, ST_UNAVAILABLE, "%s: %s", dp, strerror(errno));
		goto out;
	}
	size_t size = 0, end = 0;
	if (dfd >= 0 && fstat(dfd, &sb) == 0 && (size = (size_t)sb.st_size) > 0) {
		map = mmap(NULL, size, PROT_READ, MAP_SHARED, dfd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			rc = err_set(e, ST_UNAVAILABLE, "%s", strerror(errno));
			goto out;
		}
		if ((rc = index_lines(map, size, h.sealed_bytes, &recs, &end, dname,
				      plain ? "jsonl" : "late.jsonl", e)) != ST_OK)
			goto out;
		rc = ST_UNAVAILABLE;
	}
	h.committed = recs.len / sizeof(struct idx_rec);
	/* Publish with a rename: readers see the old index or the new one, never half. */
	if ((tfd = open(tp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0 ||
	    write_all(tfd, &h, sizeof(h)) < 0 || write_all(tfd, recs.p, recs.len) < 0 ||
	    fdatasync(tfd) < 0 || rename(tp, ip) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s.idx: %s", dname, strerror(errno));
		goto out;
	}
	if (end < size && ftruncate(dfd, (off_t)end) < 0) {
		rc = err_set(e, ST_UNAVAILABLE, "%s", strerror(errno));
		goto out;
	}
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
	return rc;
}

enum status store_reindex(struct store *st, const char *ws, store_progress_fn fn, void *ctx,
			  struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	int32_t *days = NULL;
	size_t nd = 0;
	char jp[PATH_MAX];
	int lockfd = ws_lock(st, ws, true);
	if (lockfd < 0)
		return err_set(e, ST_UNAVAILABLE, "%s: workspace lock: %s", ws, strerror(errno));
	enum status rc = shard_days(st, ws, &days, &nd);
	if (rc != ST_OK)
		err_set(e, rc, "%s", strerror(errno));
	for (size_t i = 0; rc == ST_OK && i < nd; i++) {
		rc = reindex_day(st, ws, days[i], e);
		if (fn)
			fn(ctx, i + 1, nd);
	}
	if (rc == ST_OK && (rc = ids_rebuild(st, ws)) != ST_OK)
		err_set(e, rc, "%s", strerror(errno));
	/* The indexes now cover every complete line, so no interrupted batch is left. */
	if (rc == ST_OK && store_path(jp, st, ws, "journal"))
		truncate(jp, 0);
	free(days);
	close(lockfd);
	return rc;
}

/* ---- verify ---- */

struct vctx {
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	size_t problems;
};

static void problem(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct vctx *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->problems++;
	if (v->report)
		v->report(v->ctx, msg);
}

/* Compares a stored record with the one its line gives; "" when equal, else the field. */
static const char *rec_diff(const struct idx_rec *a, const struct idx_rec *b)
{
#define SAME(f)                                                                                    \
	if (a->f != b->f)                                                                          \
	return #f
	SAME(span_h);
	SAME(trace_h);
	SAME(session_h);
	SAME(parent_h);
	SAME(started_us);
	SAME(ended_us);
	SAME(ingested_us);
	SAME(kind);
	SAME(status);
	SAME(in_tok);
	SAME(out_tok);
	SAME(cached_tok);
	SAME(total_tok);
	SAME(sig);
	SAME(source_h);
#undef SAME
	if ((a->flags & ~REC_SUPERSEDED) != (b->flags & ~REC_SUPERSEDED))
		return "flags";
	if (memcmp(&a->cost_total, &b->cost_total, 3 * sizeof(double)))
		return "costs";
	return "";
}

static void verify_day(struct store *st, const char *ws, int32_t day, struct vctx *v)
{
	char dname[11], p[PATH_MAX];
	time_day_format(day, dname);
	struct stat ds, is;
	if (!shard_path(p, st, ws, day, "idx") || stat(p, &is) < 0) {
		problem(v, "%s/%s: data without index", ws, dname);
		return;
	}
	struct shard sh;
	if (shard_open(st, ws, day, &sh) != ST_OK) {
		problem(v, "%s/%s: index unreadable, bad header, or its data missing", ws, dname);
		return;
	}
	if ((uint64_t)is.st_size != IDX_HDR + sh.nrecs * sizeof(struct idx_rec))
		problem(
		    v, "%s/%s.idx: %lld bytes past the committed records", ws, dname,
		    (long long)(is.st_size - IDX_HDR - (off_t)(sh.nrecs * sizeof(struct idx_rec))));
	const char *file = sh.d.z ? "late.jsonl" : "jsonl";
	uint64_t size = sh.d.base;
	if (sh.d.fd >= 0 && fstat(sh.d.fd, &ds) == 0)
		size += (uint64_t)ds.st_size;
	if (sh.d.z) {
		struct buf why;
		buf_init(&why);
		sealed_check(sh.d.z, sh.recs, sh.nrecs, &why);
		for (char *s = why.p, *e; s && s < why.p + why.len; s = e + 1) {
			e = strchr(s, '\n');
			*e = 0;
			problem(v, "%s/%s.jsonl.zst: %s", ws, dname, s);
		}
		buf_free(&why);
	}
	struct buf line;
	buf_init(&line);
	uint64_t end = 0;
	for (size_t k = 0; k < sh.nrecs; k++) {
		const struct idx_rec *r = &sh.recs[k];
		if (idx_rec_crc(r) != r->crc) {
			problem(v, "%s/%s.idx record %zu: checksum mismatch", ws, dname, k);
			continue;
		}
		if (r->off != end)
			problem(v, "%s/%s.idx record %zu: offset %llu, expected %llu", ws, dname, k,
				(unsigned long long)r->off, (unsigned long long)end);
		end = r->off + r->len + 1;
		line.len = 0;
		bool sealed = k < sh.nsealed;
		if (sealed ? end > sh.d.base : (end > size || r->off < sh.d.base)) {
			problem(v, "%s/%s.idx record %zu: points past the end of the data", ws,
				dname, k);
			continue;
		}
		if (shard_line(&sh, k, &line) != ST_OK) {
			problem(v, "%s/%s.idx record %zu: its line cannot be read (%s)", ws, dname,
				k, strerror(errno));
			continue;
		}
		char nl = 0;
		if (sdata_read(&sh.d, r->off + r->len, &nl, 1) < 0 || nl != '\n')
			problem(v, "%s/%s.idx record %zu: line not terminated", ws, dname, k);
		struct span s;
		json_t *root;
		if (!span_parse(line.p, line.len, &s, &root)) {
			problem(v, "%s/%s at %llu: not a canonical span", ws, dname,
				(unsigned long long)r->off);
			continue;
		}
		struct idx_rec want;
		idx_rec_from_span(&s, &want);
		const char *d = rec_diff(r, &want);
		if (*d)
			problem(v, "%s/%s.idx record %zu (span %s): %s differs from the data", ws,
				dname, k, s.span_id, d);
		if (time_day(s.started_at) != day)
			problem(v, "%s/%s: span %s starts on another day", ws, dname, s.span_id);
		span_clear(&s);
		json_decref(root);
	}
	/* A late file no record uses yet is left from a seal that stopped just before removing
	 * it; the next writer or seal of the day drops it. */
	if (size != end && !(sh.d.z && sh.nrecs == sh.nsealed))
		problem(v, "%s/%s.%s: %lld bytes not covered by the index", ws, dname, file,
			(long long)size - (long long)end);
	buf_free(&line);
	shard_close(&sh);
}

/* Looks h up in the table the way readers do: true when a slot of h holds loc, or (range
 * tables, loc a day) a range covering it. */
static bool tab_has(const struct ids *t, uint64_t h, uint64_t loc, bool range)
{
	uint64_t mask = t->hdr->nslots - 1;
	for (uint64_t i = h & mask, k = 0; k < t->hdr->nslots; i = (i + 1) & mask, k++) {
		const struct ids_slot *s = &t->slots[i];
		if (!s->h)
			return false;
		if (s->h != h)
			continue;
		if (!range && s->loc == loc)
			return true;
		if (range)
			return (int32_t)loc >= RANGE_LO(s->loc) && (int32_t)loc <= RANGE_HI(s->loc);
	}
	return false;
}

size_t store_verify(struct store *st, const char *ws, void (*report)(void *ctx, const char *msg),
		    void *ctx, store_progress_fn fn, void *pctx)
{
	struct vctx v = {report, ctx, 0};
	int32_t *dd = NULL;
	size_t ndd = 0;
	struct version *vs = NULL;
	size_t nv = 0;
	int64_t last;
	struct tabs t = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
	int jfd = -1;
	int lockfd = ws_lock(st, ws, true);
	if (lockfd < 0) {
		problem(&v, "%s: cannot take the workspace lock: %s", ws, strerror(errno));
		return v.problems;
	}
	/* What the next writer would do first: finish an interrupted batch. */
	if (ws_prepare(st, ws, &t, &jfd) != ST_OK) {
		problem(&v, "%s: cannot open the id table or finish the journal: %s", ws,
			strerror(errno));
		goto out;
	}
	shard_days(st, ws, &dd, &ndd);
	for (size_t i = 0; i < ndd; i++) {
		verify_day(st, ws, dd[i], &v);
		if (fn)
			fn(pctx, i + 1, ndd);
	}
	if (versions_collect(st, ws, &vs, &nv, &last) != ST_OK ||
	    versions_resolve(st, ws, vs, nv) != ST_OK) {
		problem(&v, "%s: cannot read the versions of its spans", ws);
		goto out;
	}
	size_t nlive = 0;
	for (size_t i = 0; i < nv; i++) {
		char dname[11];
		time_day_format(LOC_DAY(vs[i].loc), dname);
		uint64_t day = (uint32_t)LOC_DAY(vs[i].loc);
		if ((vs[i].flags & REC_HAS_TRACE) && !tab_has(&t.tr, vs[i].trace_h, day, true))
			problem(&v,
				"%s/traces.tab: the trace of %s record %u is not in its day range",
				ws, dname, LOC_REC(vs[i].loc));
		if (!tab_has(&t.se, vs[i].session_h, day, true))
			problem(&v,
				"%s/sessions.tab: the session of %s record %u is not in its day "
				"range",
				ws, dname, LOC_REC(vs[i].loc));
		bool stored_live = !(vs[i].flags & REC_SUPERSEDED);
		if (stored_live != vs[i].live)
			problem(&v, "%s/%s.idx record %u: marked %s but is %s", ws, dname,
				LOC_REC(vs[i].loc), stored_live ? "live" : "superseded",
				vs[i].live ? "the newest version" : "an older version");
		if (!vs[i].live)
			continue;
		nlive++;
		if (!tab_has(&t.id, vs[i].h, vs[i].loc, false))
			problem(&v, "%s/ids.tab: no entry for the newest version at %s record %u",
				ws, dname, LOC_REC(vs[i].loc));
	}
	if (t.id.hdr->count < nlive)
		problem(&v, "%s/ids.tab: %llu entries for %zu spans", ws,
			(unsigned long long)t.id.hdr->count, nlive);
	if (last > t.id.hdr->last_ingested)
		problem(&v, "%s/ids.tab: last ingested time is behind the data", ws);
out:
	tabs_close(&t);
	if (jfd >= 0)
		close(jfd);
	close(lockfd);
	free(dd);
	free(vs);
	return v.problems;
}
