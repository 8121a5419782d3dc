/* tailphrase: the pairs and triples of words of a day's tail, built by an idle worker and
 * appended to the day's <day>.tpx (tailphrase.h, tailpart.h). The same words, pairs and triples
 * as `spandex index` makes of the same lines (words_add_line, words_render_compact), numbered
 * from the first record of each part. */
#include "lib/store/tailphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/mem.h"
#include "lib/store/layout.h"
#include "lib/store/tailpart.h"
#include "lib/store/words.h"

/* A record as a .tix is trusted by (dayindex.c): its span id's hash and ingestion time. */
struct tp_mark {
	uint64_t span_h;
	int64_t ingested_us;
};

static struct tp_mark mark_of(const struct shard *sh, size_t i)
{
	return (struct tp_mark){sh->recs[i].span_h, sh->recs[i].ingested_us};
}

static bool mark_same(const struct shard *sh, size_t i, struct tp_mark m)
{
	return i < sh->nrecs && sh->recs[i].span_h == m.span_h &&
	       sh->recs[i].ingested_us == m.ingested_us;
}

/* The days this worker knows: a store's (its root and kind), workspace and day; from: the
 * records its .tix covers, as the last search or scan saw; f: the parts of its file as read last;
 * asked: the search that asked last (a count), the least recent let go first past
 * TAILPHRASE_KEEP_BYTES; wanted: an idle step has work there; broken: its file cannot be made
 * or written (the lines decide, as before the pairs). While this worker holds the file's lock
 * (fd), it builds, while the day's index is still the file (idev, iino) it was when it began:
 * records [bfrom, next) tokenised into b (their lines blines bytes, the first and last bfirst and
 * blast), the next part written at byte at. */
struct tp_day {
	struct store st; /* its root its own */
	char *ws;
	int32_t day;
	uint64_t asked;
	bool wanted, broken;
	size_t from;
	struct tailpart_file f;
	int fd;
	uint64_t at;
	dev_t idev; /* the day's index the build began with (a reindex renames a new one in) */
	ino_t iino;
	size_t bfrom, next, blines, bbytes;
	struct tp_mark bfirst, blast;
	struct words_build b;
};
static struct tp_day *tp_days;
static size_t tp_ndays, tp_capdays;
static uint64_t tp_asked;

bool tailphrase_wanted(const char *const *terms, size_t nterms)
{
	for (size_t k = 0; k < nterms; k++) {
		size_t at = 0, a, len = strlen(terms[k]), runs = 0;
		while (runs < 2 && words_next(terms[k], len, &at, &a))
			runs++;
		if (runs == 2)
			return true;
	}
	return false;
}

size_t tailphrase_env_bytes(const char *name, size_t dflt)
{
	const char *e = getenv(name);
	long long v = e ? strtoll(e, NULL, 10) : 0;
	return v > 0 ? (size_t)v : dflt;
}

/* TAILPHRASE_STEP_BYTES, TAILPHRASE_PART_BYTES and TAILPHRASE_AUTO_BYTES, or (tests, so that a
 * tail is built a few records a step, in parts of a few records, and a small tail without a
 * search) the bytes SPANDEX_TEST_TAIL_PHRASE_BYTES, SPANDEX_TEST_TAIL_PART_BYTES and
 * SPANDEX_TEST_TAIL_AUTO_BYTES name (read each step: a getenv a step). */
static size_t step_bytes(void)
{
	return tailphrase_env_bytes("SPANDEX_TEST_TAIL_PHRASE_BYTES", TAILPHRASE_STEP_BYTES);
}

static size_t part_bytes(void)
{
	return tailphrase_env_bytes("SPANDEX_TEST_TAIL_PART_BYTES", TAILPHRASE_PART_BYTES);
}

static bool tp_path(char *p, const struct tp_day *d)
{
	return layout_shard_path(p, &d->st, d->ws, d->day, LAYOUT_TAILPAIRS);
}

/* Whether the day's index is the file the build began with: a reindex (an erasure's pass) renames
 * a new one in, and a build that read any line of the day before it writes nothing. */
static bool same_index(const struct tp_day *d)
{
	char p[PATH_MAX];
	struct stat sb;
	return layout_shard_path(p, &d->st, d->ws, d->day, LAYOUT_IDX) && stat(p, &sb) == 0 &&
	       sb.st_dev == d->idev && sb.st_ino == d->iino;
}

/* The records a build of d begins at: past the parts and the .tix. */
static size_t start_of(const struct tp_day *d)
{
	size_t c = tailpart_covered(&d->f);
	return c > d->from ? c : d->from;
}

/* Whether the records past the parts of d are due to be built, the day holding n records: none
 * built yet, or 1/TAILPHRASE_PART_SHARE of those built (so the records past the parts, which the
 * lines decide, stay under 3% of the tail, and a tail grown from one record to n keeps at most
 * 32 ln(n) parts beside its full ones). */
static bool due_start(const struct tp_day *d, size_t n)
{
	size_t s = start_of(d);
	return !d->broken && n > s &&
	       (s == d->from || (n - s) * TAILPHRASE_PART_SHARE >= s - d->from);
}

/* Whether the records tokenised are due to be rendered as a part, the day holding n records:
 * their lines reached TAILPHRASE_PART_BYTES, or they reach the tail's end and are a share of
 * those before. */
static bool due(const struct tp_day *d, size_t n)
{
	size_t done = d->bfrom - d->from;
	return d->next > d->bfrom &&
	       (d->blines >= part_bytes() ||
		(d->next == n && (!done || (d->next - d->bfrom) * TAILPHRASE_PART_SHARE >= done)));
}

/* The build begun again at record at. */
static void build_reset(struct tp_day *d, size_t at)
{
	words_free(&d->b);
	words_init(&d->b, true);
	d->bfrom = d->next = at;
	d->blines = 0;
	d->bbytes = words_build_bytes(&d->b);
}

/* The build let go and the file's lock released. */
static void build_end(struct tp_day *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	build_reset(d, 0);
}

/* The file's lock taken without waiting, on the file its path names (made when there is none),
 * and its parts read: true when this worker now builds d (at the end of the parts, when those
 * past them are due). A part the file holds that is not sh's records as they are (not reached:
 * reindex, seal and the erasure pass remove the file under the shard lock) has the file made
 * again. No line is read in the step that opens the file: every line a build holds is read
 * after it, so a file removed by an erasure's pass after the lines were read is one no reader
 * opens again. */
static bool build_begin(struct tp_day *d, const struct shard *sh)
{
	char p[PATH_MAX];
	struct stat a, b;
	int fd = tp_path(p, d) ? open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0640) : -1;
	if (fd < 0) {
		d->broken = errno != ENOENT; /* ENOENT: the day went (retention) */
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &a) < 0 || stat(p, &b) < 0 ||
	    a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd); /* another worker builds it; or it was removed meanwhile */
		return false;
	}
	/* read through a descriptor of its own: a mapping holds the one it was made from, and
	 * with it the lock, past close */
	tailpart_read_path(&d->f, p);
	if (d->f.ino != a.st_ino || d->f.dev != a.st_dev) {
		close(fd);
		return false;
	}
	for (size_t k = 0; k < d->f.np; k++)
		if (!tailpart_current(&d->f, &d->f.p[k], sh)) {
			unlink(p);
			close(fd);
			tailpart_free(&d->f);
			return false;
		}
	char ip[PATH_MAX];
	struct stat is;
	if (!layout_shard_path(ip, &d->st, d->ws, d->day, LAYOUT_IDX) || stat(ip, &is) < 0) {
		close(fd);
		return false;
	}
	d->idev = is.st_dev;
	d->iino = is.st_ino;
	d->fd = fd;
	d->at = d->f.end;
	build_reset(d, start_of(d));
	if (!due_start(d, sh->nrecs)) { /* another worker built them meanwhile */
		build_end(d);
		return false;
	}
	return true;
}

/* The records tokenised rendered as the next part and written to the file, the build begun
 * again past them. A file that cannot be written leaves the day to its lines; one removed
 * meanwhile (a reindex: its parts may be of the records before) ends the build. */
static void render(struct tp_day *d, const struct shard *sh)
{
	char p[PATH_MAX];
	struct buf sec;
	struct stat a, b;
	buf_init(&sec);
	words_render_compact(&d->b, d->next - d->bfrom, true, &sec);
	if (!same_index(d)) {
		buf_free(&sec);
		build_end(d);
		return;
	}
	if (tailpart_write(d->fd, &d->at, sh, d->bfrom, d->next, &sec, d->b.nw, d->b.blob.len) <
	    0) {
		d->broken = true;
		buf_free(&sec);
		build_end(d);
		return;
	}
	buf_free(&sec);
	bool ours = tp_path(p, d) && fstat(d->fd, &a) == 0 && stat(p, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
	if (ours && !same_index(d)) /* a reindex between the look and the write: the file goes */
		unlink(p);
	if (!ours || !same_index(d)) {
		build_end(d);
		return;
	}
	tailpart_read_path(&d->f, p);
	build_reset(d, d->next);
}

/* A step of d's build: the file opened and locked, or a part rendered when due, or the lines of
 * sh's records past those built, TAILPHRASE_STEP_BYTES at most (and no further than a part's). */
static void day_step(struct tp_day *d, struct shard *sh)
{
	size_t n = sh->nrecs, took = 0, limit = step_bytes(), part = part_bytes(), had;
	if (d->fd < 0) {
		build_begin(d, sh);
		return;
	}
	/* records rewritten under the build (a reindex, an erasure's pass: a new index), or a .tix
	 * past it */
	if (!same_index(d) ||
	    (d->next > d->bfrom &&
	     (!mark_same(sh, d->bfrom, d->bfirst) || !mark_same(sh, d->next - 1, d->blast))) ||
	    d->bfrom < d->from) {
		build_end(d);
		return;
	}
	if (due(d, n)) {
		render(d, sh);
		return;
	}
	for (had = d->next; d->next < n && took < limit && d->blines < part; d->next++) {
		const char *line;
		size_t len;
		uint32_t rec = (uint32_t)(d->next - d->bfrom);
		if (d->next == d->bfrom)
			d->bfirst = mark_of(sh, d->next);
		d->blast = mark_of(sh, d->next);
		if (!shard_view(sh, d->next, &line, &len)) {
			words_add_any(&d->b, rec); /* unreadable: never ruled out */
			continue;
		}
		words_add_line(&d->b, line, len, rec);
		took += len;
		d->blines += len;
	}
	if (d->next > had)
		shard_forget_lines(sh); /* the lines stay in the page cache, not in this worker */
	d->bbytes = words_build_bytes(&d->b);
	if (d->next == n && !due(d, n)) /* the rest waits to be due: read by its lines */
		build_end(d);
}

size_t tailphrase_reach(const struct tailpart_file *f, const struct shard *sh, size_t from)
{
	size_t reach = from;
	for (size_t k = 0; k < f->np; k++) {
		const struct tailpart *t = &f->p[k];
		if (t->to <= reach)
			continue;
		if (t->from > reach || t->to > sh->nrecs || !tailpart_current(f, t, sh))
			break;
		reach = t->to;
	}
	return reach;
}

void tailphrase_answer(const struct tailpart_file *f, const char *const *terms, size_t nterms,
		       uint64_t *all, uint64_t **yes, size_t from, size_t reach, size_t n)
{
	for (size_t k = 0; k < f->np; k++) {
		const struct tailpart *t = &f->p[k];
		uint64_t *a = NULL, *y = NULL;
		size_t lo = t->from > from ? t->from : from, hi = t->to < reach ? t->to : reach;
		if (lo >= hi)
			continue;
		if (words_terms(&t->v, terms, nterms, t->to - t->from, &a, &y) != ST_OK) {
			for (size_t i = lo; i < hi; i++) /* candidates, none sure */
				bits_set(all, i);
			if (*yes)
				bits_copy(*yes, lo, hi, NULL, 0);
			continue;
		}
		if (y && !*yes)
			*yes = xcalloc((n + 63) / 64, sizeof **yes);
		bits_copy(all, lo, hi, a, t->from);
		if (*yes)
			bits_copy(*yes, lo, hi, y, t->from);
		free(a);
		free(y);
	}
}

static void day_drop(size_t i)
{
	struct tp_day *d = &tp_days[i];
	build_end(d);
	words_free(&d->b);
	tailpart_free(&d->f);
	free((char *)d->st.root);
	free(d->ws);
	*d = tp_days[--tp_ndays];
}

/* The days searched longest ago let go while their builds hold more than
 * TAILPHRASE_KEEP_BYTES, but the last one. */
static void keep_bound(void)
{
	for (;;) {
		size_t total = 0, old = 0;
		for (size_t i = 0; i < tp_ndays; i++) {
			total += sizeof tp_days[i] + tp_days[i].bbytes +
				 tp_days[i].f.cap * sizeof *tp_days[i].f.p;
			if (tp_days[i].asked < tp_days[old].asked)
				old = i;
		}
		if (total <= TAILPHRASE_KEEP_BYTES || tp_ndays < 2)
			return;
		day_drop(old);
	}
}

/* The day of st's ws this worker knows, or NULL. */
static struct tp_day *day_find(const struct store *st, const char *ws, int32_t day)
{
	for (size_t i = 0; i < tp_ndays; i++)
		if (tp_days[i].day == day && tp_days[i].st.kind == st->kind &&
		    !strcmp(tp_days[i].ws, ws) && !strcmp(tp_days[i].st.root, st->root))
			return &tp_days[i];
	return NULL;
}

/* A new day of st's ws this worker knows from now on (day_find found none). */
static struct tp_day *day_new(const struct store *st, const char *ws, int32_t day)
{
	struct tp_day *d;
	if (tp_ndays == tp_capdays) {
		tp_capdays = tp_capdays ? 2 * tp_capdays : 8;
		tp_days = xrealloc(tp_days, tp_capdays * sizeof *tp_days);
	}
	d = &tp_days[tp_ndays++];
	memset(d, 0, sizeof *d);
	store_init(&d->st, xstrdup(st->root), false);
	d->st.kind = st->kind;
	d->ws = xstrdup(ws);
	d->day = day;
	d->fd = -1;
	tailpart_init(&d->f);
	words_init(&d->b, true);
	return d;
}

/* The day of st's ws this worker knows, made when it knows none. */
static struct tp_day *day_of(const struct store *st, const char *ws, int32_t day)
{
	struct tp_day *d = day_find(st, ws, day);
	return d ? d : day_new(st, ws, day);
}

/* d's parts read again from its file and, with want, d marked wanted when this worker builds
 * it or the records past its parts are due, sh's records of which the .tix covers from. */
static void day_look(struct tp_day *d, const struct shard *sh, size_t from, bool want)
{
	char p[PATH_MAX];
	d->from = from;
	if (d->fd < 0 && tp_path(p, d))
		tailpart_read_path(&d->f, p);
	if (want && (d->fd >= 0 || due_start(d, sh->nrecs)))
		d->wanted = true;
}

/* Whether st's ws/day has a file of parts: a search without a phrase makes no day this worker
 * does not know unless there is one (a word search of many small days keeps nothing of them). */
static bool has_file(const struct store *st, const char *ws, int32_t day)
{
	char p[PATH_MAX];
	return layout_shard_path(p, st, ws, day, LAYOUT_TAILPAIRS) && access(p, F_OK) == 0;
}

const struct tailpart_file *tailphrase_kept(const struct store *st, const char *ws,
					    const struct shard *sh, size_t from, bool want)
{
	struct tp_day *d = day_find(st, ws, sh->day);
	if (!d && !want && !has_file(st, ws, sh->day))
		return NULL;
	if (!d)
		d = day_new(st, ws, sh->day);
	d->asked = ++tp_asked;
	day_look(d, sh, from, want);
	return d->f.np && tailpart_covered(&d->f) > from ? &d->f : NULL;
}

void tailphrase_look(const struct store *st, const char *ws, const struct shard *sh, size_t from)
{
	day_look(day_of(st, ws, sh->day), sh, from, true);
}

void tailphrase_let_gone(void)
{
	for (size_t i = 0; i < tp_ndays; i++) {
		struct tp_day *d = &tp_days[i];
		char p[PATH_MAX];
		struct stat sb;
		if (d->fd < 0 && d->f.map &&
		    (!tp_path(p, d) || stat(p, &sb) < 0 || sb.st_ino != d->f.ino ||
		     sb.st_dev != d->f.dev))
			tailpart_free(&d->f);
	}
}

bool tailphrase_wanted_any(void)
{
	for (size_t i = 0; i < tp_ndays; i++)
		if (tp_days[i].wanted)
			return true;
	return false;
}

bool tailphrase_step(void)
{
	struct tp_day *d = NULL;
	for (size_t i = 0; i < tp_ndays; i++)
		if (tp_days[i].wanted && (!d || tp_days[i].asked > d->asked))
			d = &tp_days[i];
	if (!d)
		return false;
	struct shard sh;
	if (shard_open(&d->st, d->ws, d->day, &sh) != ST_OK) {
		day_drop((size_t)(d - tp_days)); /* gone (retention, a workspace removed) */
		return true;
	}
	day_step(d, &sh);
	d->wanted = d->fd >= 0;
	shard_close(&sh);
	keep_bound();
	return tailphrase_wanted_any();
}
