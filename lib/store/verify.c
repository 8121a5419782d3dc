/* verify: spandex verify: every index of a workspace against its lines, sealed files
 * against their footers, which version of each span is live, and the id and range tables
 * against the records. It first does what the next writer would (finish an interrupted
 * batch), and reports what it finds instead of repairing it. */
#include "lib/store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/base/time.h"
#include "lib/json/jline.h"
#include "lib/store/layout.h"
#include "lib/store/media.h"
#include "lib/store/rebuild.h"
#include "lib/store/record.h"
#include "lib/store/lines.h"
#include "lib/store/sealed.h"
#include "lib/store/sup.h"
#include "lib/store/tailindex.h"
#include "lib/store/tailpart.h"
#include "lib/store/dayindex.h"
#include "lib/store/keytable.h"
#include "lib/store/settle.h"

/* A media file a line references (store.h, "Media files"), and the first line that does. */
struct vref {
	char hex[STORE_MEDIA_HEX + 1];
	int32_t day;
	size_t rec;
};

struct vctx {
	enum store_kind kind;
	const char *name; /* the workspace in messages: ws, or ws/judgements */
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	size_t problems;
	/* The references of the lines read (spans only), and where the one being read is. */
	struct vref *refs;
	size_t nrefs, caprefs;
	int32_t day;
	size_t rec;
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

/* Compares a stored record a of kind with the one its line gives, b; "" when equal, else the
 * field. */
static const char *rec_diff(enum store_kind kind, const struct idx_rec *a, const struct idx_rec *b)
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
	/* A judgement's record written before issue 53 holds its API's number there. */
	if (kind != STORE_JUDGEMENTS || a->source_h >= STORE_J_API_NUMBERS)
		SAME(source_h);
#undef SAME
	/* A record written before REC_SESSION_DEFAULT (or a judgement's before REC_J_ANNOTATION
	 * and REC_J_FAILED) lacks it, and is read as it was then. */
	uint16_t ign = REC_SUPERSEDED;
	for (uint16_t late = REC_SESSION_DEFAULT; late <= REC_J_FAILED; late <<= 1)
		ign |= a->flags & late ? 0 : late;
	if ((a->flags & ~ign) != (b->flags & ~ign))
		return "flags";
	if (memcmp(&a->cost_total, &b->cost_total, 3 * sizeof(double)))
		return "costs";
	return "";
}

/* Each line of why a problem of dname's file f; why emptied. */
static void problems(struct vctx *v, struct buf *why, const char *dname, enum layout_file f)
{
	for (char *s = why->p, *e; s && s < why->p + why->len; s = e + 1) {
		e = strchr(s, '\n');
		*e = 0;
		problem(v, "%s/%s.%s: %s", v->name, dname, layout_name(f), s);
	}
	why->len = 0;
}

/* The id on a line (its first member), for a message; "?" when none can be read. */
static const char *line_id(const char *line, size_t n, char *out, size_t size)
{
	size_t at = rec_line_id_at(line, n), end = at ? jline_skip(line, n, at) : 0, k;
	const char *v = line + at;
	size_t vn = end > at ? end - at : 0;
	if (!vn || (k = jline_unquote(v, vn, out, size - 1)) == (size_t)-1)
		return "?";
	out[k] = 0;
	return out;
}

static void ref_seen(void *ctx, const char *hex)
{
	struct vctx *v = ctx;
	/* A tag is the client's text: Langfuse's SDKs leave it whether or not their upload came
	 * (docs/media.md, "Uploads"), so only a reference must have its file. */
	if (strlen(hex) != STORE_MEDIA_HEX)
		return;
	if (v->nrefs == v->caprefs) {
		v->caprefs = v->caprefs ? v->caprefs * 2 : 64;
		v->refs = xrealloc(v->refs, v->caprefs * sizeof *v->refs);
	}
	struct vref *r = &v->refs[v->nrefs++];
	memcpy(r->hex, hex, sizeof r->hex);
	r->day = v->day;
	r->rec = v->rec;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct vref *x = a, *y = b;
	int c = strcmp(x->hex, y->hex);
	return c		  ? c
	       : x->day != y->day ? (x->day > y->day) - (x->day < y->day)
				  : (x->rec > y->rec) - (x->rec < y->rec);
}

/* A media file whose bytes do not hash to its name is damage; other files there (a put's
 * leftover) are harmless, and a sweep removes them. */
static bool verify_media_file(void *ctx, const struct media_file *f)
{
	struct vctx *v = ctx;
	char hex[STORE_MEDIA_HEX + 1];
	if (!f->media)
		return true;
	if (media_hash_file(f->path, hex) < 0)
		problem(v, "%s/%s/%.2s/%s: cannot be read (%s)", v->name, STORE_MEDIA_DIR, f->name,
			f->name, strerror(errno));
	else if (strcmp(hex, f->name))
		problem(v, "%s/%s/%.2s/%s: damaged: its bytes hash to %s", v->name, STORE_MEDIA_DIR,
			f->name, f->name, hex);
	return true;
}

/* Every media file a line references is there (sorted, each named once, by its first line),
 * and every file holds the bytes its name says. */
static void verify_media(struct store *st, const char *ws, struct vctx *v)
{
	if (v->nrefs)
		qsort(v->refs, v->nrefs, sizeof *v->refs, cmp_ref);
	for (size_t i = 0; i < v->nrefs; i++) {
		if (i && !strcmp(v->refs[i].hex, v->refs[i - 1].hex))
			continue;
		char d[11];
		int fd;
		uint64_t size;
		if (store_media_open(st, ws, v->refs[i].hex, &fd, &size) == ST_OK) {
			close(fd);
			continue;
		}
		time_day_format(v->refs[i].day, d);
		problem(v, "%s/%s: record %zu references media %s, which has no file", v->name, d,
			v->refs[i].rec, v->refs[i].hex);
	}
	if (media_each(st, ws, verify_media_file, v) < 0)
		problem(v, "%s/%s: cannot be read (%s)", v->name, STORE_MEDIA_DIR, strerror(errno));
}

/* Record k of a day against its line: where it is, its newline, and every field the line
 * gives it (rec_from_line). The caller checked that the line lies within the data. */
static void verify_rec(struct vctx *v, struct shard *sh, size_t k, const char *dname,
		       struct buf *scratch)
{
	const struct idx_rec *r = &sh->recs[k];
	const char *line, *nl;
	if (!lines_view(&sh->d, r->off, r->len, &line)) {
		problem(v, "%s/%s.idx record %zu: its line cannot be read (%s)", v->name, dname, k,
			strerror(errno ? errno : EIO));
		return;
	}
	/* A sealed view holds until SEAL_CACHE - 1 more blocks are read: the newline is in
	 * the line's block, or at most one more. */
	if (v->kind == STORE_SPANS) {
		v->day = sh->day;
		v->rec = k;
		store_media_refs(line, r->len, ref_seen, v);
	}
	if (!lines_view(&sh->d, r->off + r->len, 1, &nl) || *nl != '\n')
		problem(v, "%s/%s.idx record %zu: line not terminated", v->name, dname, k);
	struct idx_rec want;
	if (!rec_line_record(v->kind, line, r->len, scratch, &want)) {
		problem(v, "%s/%s at %llu: not a canonical %s", v->name, dname,
			(unsigned long long)r->off, rec_kind_of(v->kind)->noun);
		return;
	}
	const char *d = rec_diff(v->kind, r, &want);
	char id[SPAN_MAX_ID * 4 + 1];
	if (*d)
		problem(v, "%s/%s.idx record %zu (%s %s): %s differs from the data", v->name, dname,
			k, rec_kind_of(v->kind)->noun, line_id(line, r->len, id, sizeof id), d);
	if (time_day(want.started_us) != sh->day)
		problem(v, "%s/%s: %s %s starts on another day", v->name, dname,
			rec_kind_of(v->kind)->noun, line_id(line, r->len, id, sizeof id));
}

/* The frames of a sealed day up to the one holding stream offset upto, each decompressed
 * once here (the lines in it are then read from the cache); *next: the first not yet. */
static void verify_frames(struct vctx *v, struct sealed *z, uint64_t upto, uint64_t *next,
			  const char *dname)
{
	for (; *next < z->h->nblocks && z->blk[*next].raw_off <= upto; ++*next)
		if (!sealed_block(z, (size_t)*next))
			problem(v, "%s/%s.%s: block %llu does not decompress", v->name, dname,
				layout_name(LAYOUT_ZST), (unsigned long long)*next);
}

static void verify_day(struct store *st, const char *ws, int32_t day, struct vctx *v)
{
	char dname[11], p[PATH_MAX];
	time_day_format(day, dname);
	struct stat is;
	if (!layout_shard_path(p, st, ws, day, LAYOUT_IDX) || stat(p, &is) < 0) {
		problem(v, "%s/%s: data without index", v->name, dname);
		return;
	}
	/* What a refused first batch of the day left holds nothing (layout_day_unborn). */
	if (is.st_size < STORE_IDX_HDR) {
		if (!layout_day_unborn(st, ws, day))
			problem(v, "%s/%s: data without index (its index has no header)", v->name,
				dname);
		return;
	}
	struct shard sh;
	if (shard_open(st, ws, day, &sh) != ST_OK) {
		problem(v, "%s/%s: index unreadable, bad header, or its data missing", v->name,
			dname);
		return;
	}
	if ((uint64_t)is.st_size != STORE_IDX_HDR + sh.nrecs * sizeof(struct idx_rec))
		problem(v, "%s/%s.idx: %lld bytes past the committed records", v->name, dname,
			(long long)(is.st_size - STORE_IDX_HDR -
				    (off_t)(sh.nrecs * sizeof(struct idx_rec))));
	uint64_t size;
	if (lines_end(&sh.d, &size) < 0) {
		problem(v, "%s/%s: its data missing or unreadable", v->name, dname);
		shard_close(&sh);
		return;
	}
	const char *file = layout_name(sh.d.z ? LAYOUT_LATE : LAYOUT_JSONL);
	struct buf why;
	buf_init(&why);
	if (sh.d.z) {
		sealed_check(sh.d.z, sh.recs, sh.nrecs, &why);
		problems(v, &why, dname, LAYOUT_ZST);
	}
	store_dayindex_check(st, ws, &sh, &why);
	problems(v, &why, dname, LAYOUT_DAYINDEX);
	tailindex_check(st, ws, &sh, &why);
	problems(v, &why, dname, LAYOUT_TAILINDEX);
	tailpart_check(st, ws, &sh, &why);
	problems(v, &why, dname, LAYOUT_TAILPAIRS);
	sup_check(st, ws, &sh, &why);
	problems(v, &why, dname, LAYOUT_SUP);
	buf_free(&why);
	struct buf scratch;
	buf_init(&scratch);
	uint64_t end = 0, frame = 0;
	for (size_t k = 0; k < sh.nrecs; k++) {
		const struct idx_rec *r = &sh.recs[k];
		if (rec_crc(r) != r->crc) {
			problem(v, "%s/%s.idx record %zu: checksum mismatch", v->name, dname, k);
			continue;
		}
		if (r->off != end)
			problem(v, "%s/%s.idx record %zu: offset %llu, expected %llu", v->name,
				dname, k, (unsigned long long)r->off, (unsigned long long)end);
		end = r->off + r->len + 1;
		bool sealed = k < sh.nsealed;
		if (sealed ? end > sh.d.base : (end > size || r->off < sh.d.base)) {
			problem(v, "%s/%s.idx record %zu: points past the end of the data", v->name,
				dname, k);
			continue;
		}
		if (sealed)
			verify_frames(v, sh.d.z, r->off, &frame, dname);
		errno = 0;
		verify_rec(v, &sh, k, dname, &scratch);
	}
	if (sh.d.z)
		verify_frames(v, sh.d.z, UINT64_MAX, &frame, dname);
	/* A late file no record uses yet is left from a seal that stopped just before removing
	 * it; the next writer or seal of the day drops it. */
	if (size > end && !(sh.d.z && sh.nrecs == sh.nsealed))
		problem(v, "%s/%s.%s: %llu bytes not covered by the index", v->name, dname, file,
			(unsigned long long)(size - end));
	else if (size < end)
		problem(
		    v,
		    "%s/%s.%s: %llu bytes the index names are missing from the data (it is "
		    "shorter than its records say; reindex rebuilds the index from what is there)",
		    v->name, dname, file, (unsigned long long)(end - size));
	buf_free(&scratch);
	shard_close(&sh);
}

size_t store_verify(struct store *st, const char *ws, void (*report)(void *ctx, const char *msg),
		    void *ctx, store_progress_fn fn, void *pctx)
{
	char name[80];
	snprintf(name, sizeof name, "%s%s", ws,
		 st->kind == STORE_JUDGEMENTS ? "/" STORE_JUDGEMENTS_DIR : "");
	struct vctx v = {.kind = st->kind, .name = name, .report = report, .ctx = ctx};
	int32_t *dd = NULL;
	size_t ndd = 0;
	struct version *vs = NULL;
	size_t nv = 0;
	int64_t last;
	struct keytable_set t = TAB_SET_CLOSED;
	int jfd = -1;
	int lockfd = layout_ws_lock(st, ws, true);
	if (lockfd < 0) {
		problem(&v, "%s: cannot take the workspace lock: %s", v.name, strerror(errno));
		return v.problems;
	}
	/* What the next writer would do first: finish an interrupted batch. */
	struct err e = {ST_OK, ""};
	if (settle_prepare(st, ws, &t, &jfd, &e) != ST_OK) {
		problem(&v, "%s: cannot settle the workspace: %s", v.name, err_text(&e));
		goto out;
	}
	layout_shard_days(st, ws, &dd, &ndd);
	struct store_progress pr = {0, ndd, 0, 0};
	uint64_t *bytes = xmalloc((ndd ? ndd : 1) * sizeof *bytes);
	for (size_t i = 0; i < ndd; i++)
		pr.bytes_total += bytes[i] = rebuild_day_bytes(st, ws, dd[i]);
	for (size_t i = 0; i < ndd; i++) {
		verify_day(st, ws, dd[i], &v);
		pr.done = i + 1;
		pr.bytes += bytes[i];
		if (fn)
			fn(pctx, &pr);
	}
	free(bytes);
	if (st->kind == STORE_SPANS)
		verify_media(st, ws, &v);
	if (rebuild_versions(st, ws, &vs, &nv, &last, NULL) != ST_OK ||
	    rebuild_resolve(st, ws, vs, nv) != ST_OK) {
		problem(&v, "%s: cannot read the versions of its spans", v.name);
		goto out;
	}
	size_t nlive = 0;
	for (size_t i = 0; i < nv; i++) {
		char dname[11];
		time_day_format(LOC_DAY(vs[i].loc), dname);
		uint64_t day = (uint32_t)LOC_DAY(vs[i].loc);
		if ((vs[i].flags & REC_HAS_TRACE) &&
		    !keytable_holds(t.tr.hdr, t.tr.slots, vs[i].trace_h, day, true))
			problem(&v,
				"%s/traces.tab: the trace of %s record %u is not in its day range",
				v.name, dname, LOC_REC(vs[i].loc));
		if (vs[i].session_h &&
		    !keytable_holds(t.se.hdr, t.se.slots, vs[i].session_h, day, true))
			problem(&v,
				"%s/sessions.tab: the session of %s record %u is not in its day "
				"range",
				v.name, dname, LOC_REC(vs[i].loc));
		if (t.judged && vs[i].parent_h &&
		    !keytable_holds(t.se.hdr, t.se.slots, vs[i].parent_h, day, true))
			problem(&v,
				"%s/sessions.tab: the span judged by %s record %u is not in its "
				"day range",
				v.name, dname, LOC_REC(vs[i].loc));
		bool stored_live = !(vs[i].flags & REC_SUPERSEDED);
		if (stored_live != vs[i].live)
			problem(&v, "%s/%s.idx record %u: marked %s but is %s", v.name, dname,
				LOC_REC(vs[i].loc), stored_live ? "live" : "superseded",
				vs[i].live ? "the newest version" : "an older version");
		if (!vs[i].live)
			continue;
		nlive++;
		if (!keytable_holds(t.id.hdr, t.id.slots, vs[i].h, vs[i].loc, false))
			problem(&v, "%s/ids.tab: no entry for the newest version at %s record %u",
				v.name, dname, LOC_REC(vs[i].loc));
	}
	if (t.id.hdr->count < nlive)
		problem(&v, "%s/ids.tab: %llu entries for %zu spans", v.name,
			(unsigned long long)t.id.hdr->count, nlive);
	if (last > t.id.hdr->last_ingested)
		problem(&v, "%s/ids.tab: last ingested time is behind the data", v.name);
out:
	keytable_close_all(&t);
	if (jfd >= 0)
		close(jfd);
	close(lockfd);
	free(dd);
	free(vs);
	free(v.refs);
	return v.problems;
}
