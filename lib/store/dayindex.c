/* dayindex: the text and field index of a day (<day>.tix): for every word of the name, input and
 * output of its records, the records that hold it; per record a hash of each field of
 * the fields with a column (lib/model/fields.h); the records of each trace and session (the key
 * maps); the day's live counts; and its root spans. A free-text term then reads only the lines of
 * the records whose words contain the term's letters and digits (none when the term is one word),
 * an equality on a column reads no line, a trace or session lookup reads only its own records, a
 * list's total is summed from the counts while the flags they were taken from hold, and a page of
 * traces reads the roots' entries. It is derived data: built aside and renamed into place (by
 * `spandex index`, seal and reindex), covering the records committed when it was built; readers
 * read the lines of the records after those, and trust the file only while its last covered record
 * is still the one it was built from and the checksum of each section they read holds.
 * docs/FORMAT.md ("The text and field index") has the format and the reasons; dayindex_file.h the
 * header and mapping, which dayindex_check.c (verify's check of the file) shares. */
#include "lib/store/dayindex.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/base/bits.h"
#include "lib/base/buf.h"
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/base/utf8.h"
#include "lib/json/jline.h"
#include "lib/store/counts.h"
#include "lib/store/dayindex_file.h"
#include "lib/store/idstr.h"
#include "lib/store/io.h"
#include "lib/store/keymap.h"
#include "lib/store/layout.h"
#include "lib/store/lists.h"
#include "lib/store/mapcache.h"
#include "lib/store/record.h"
#include "lib/store/tailindex.h"
#include "lib/store/words.h"

#define DAYINDEX_MAGIC "SPXTIX1\n"
/* 12 keeps the words around each rare word, 11 wrote every list in its shortest form (Elias-Fano,
 * relative to a pair's rarer word or a triple's rarer pair) and offsets of 4 bytes, 10 kept the
 * pairs of a common word then a rare one, 9 added the triples of words, 8 the value lists, 7 the id
 * strings, 6 left out the pairs of a rare word, 5 added the pairs of words, 4 the roots, 3 the
 * counts, 2 the key maps; older files are read without them (a version 5 file with every pair). */
#define DAYINDEX_VERSION 12
#define DAYINDEX_VERSION_NOCTX 11
#define DAYINDEX_VERSION_LONGFORMS 10
#define DAYINDEX_VERSION_NORAREPAIRS 9
#define DAYINDEX_VERSION_NOTRIPLES 8
#define DAYINDEX_VERSION_NOLISTS 7
#define DAYINDEX_VERSION_NOIDS 6
#define DAYINDEX_VERSION_EVERYPAIR 5
#define DAYINDEX_VERSION_NOPAIRS 4
#define DAYINDEX_VERSION_NOROOTS 3
#define DAYINDEX_VERSION_NOCOUNTS 2
#define DAYINDEX_VERSION_NOKEYS 1
#define DAYINDEX_ORDER 0x01020304u

_Static_assert(sizeof(struct dayindex_hdr) == 128, "the text index header is 128 bytes");
_Static_assert(DAYINDEX_VERSION != 12 || DAYINDEX_NCOLS == 9,
	       "version 12 has 9 columns: a new column is a new version (docs/FORMAT.md)");

/* Test hook (t/check_query_*.c): SPANDEX_TEST_TIX_VERSION=10 makes the builder write version
 * 10's layout (every list LEB128 or a bit per record, offsets of 8 bytes), so that the tests of
 * older versions can make them from it and a reader of version 10 files is tested; =11 version
 * 11's (no words around the rare words). Unset in every real deployment. */
#define TEST_TIX_VERSION "SPANDEX_TEST_TIX_VERSION"

/* The version the builder writes: DAYINDEX_VERSION, or 10 or 11 under the test hook. */
static uint32_t build_version(void)
{
	const char *e = getenv(TEST_TIX_VERSION);
	return e && !strcmp(e, "10")   ? DAYINDEX_VERSION_LONGFORMS
	       : e && !strcmp(e, "11") ? DAYINDEX_VERSION_NOCTX
				       : DAYINDEX_VERSION;
}

int store_dayindex_col_of(const char *key, const char *sub)
{
	int f = sub ? -1 : span_field_find(key, strlen(key));
	return f < 0 ? -1 : span_fields[f].col;
}

/* ---- building ---- */

struct tbuild {
	struct words_build w;
	uint64_t *cols; /* column k of record i at k * nrecs + i */
	size_t nrecs;
	struct idstr_build ids;
};

/* The key of enum store_key k in a line. */
static const char *const id_keys[DAYINDEX_NKEYS] = {"trace_id", "session_id"};

/* The words of the name, input and output, the columns, and the trace and session ids of record
 * rec's line (r): one walk over the members (the first of a key counts, as for jline_get). */
static void add_line(struct tbuild *b, const char *p, size_t n, uint32_t rec,
		     const struct idx_rec *r)
{
	size_t pos = 0;
	struct jline_member f;
	unsigned seen = 0;
	const char *id[DAYINDEX_NKEYS] = {NULL, NULL};
	size_t idn[DAYINDEX_NKEYS] = {0, 0};
	while (jline_next(p, n, &pos, &f)) {
		if (words_field(f.k, f.kn))
			words_add(&b->w, f.v, f.vn, rec);
		int k = span_col_key(f.k, f.kn);
		if (k >= 0 && !(seen >> k & 1)) {
			b->cols[(size_t)k * b->nrecs + rec] = store_dayindex_hash(f.v, f.vn);
			seen |= 1u << k;
		}
		for (int j = 0; j < DAYINDEX_NKEYS; j++)
			if (!id[j] && f.kn == strlen(id_keys[j]) &&
			    !memcmp(f.k, id_keys[j], f.kn)) {
				id[j] = f.v;
				idn[j] = f.vn;
			}
	}
	idstr_build_add(&b->ids, STORE_KEY_TRACE, rec, r->trace_h, id[0], idn[0]);
	idstr_build_add(&b->ids, STORE_KEY_SESSION, rec, r->session_h, id[1], idn[1]);
}

static void tbuild_free(struct tbuild *b)
{
	words_free(&b->w);
	free(b->cols);
	idstr_build_free(&b->ids);
}

_Static_assert(sizeof(struct store_dayindex_root) == 24, "a root entry is 24 bytes");

/* The root records among sh's first n, ascending, appended to out; their number. */
uint32_t dayindex_render_roots(const struct shard *sh, size_t n, struct buf *out)
{
	uint32_t nroots = 0;
	for (size_t i = 0; i < n; i++) {
		const struct idx_rec *r = &sh->recs[i];
		if (!store_rec_root(r))
			continue;
		struct store_dayindex_root e;
		memset(&e, 0, sizeof e);
		e.trace_h = r->trace_h;
		e.started_us = r->started_us;
		e.rec = (uint32_t)i;
		e.flags = r->flags;
		e.kind = r->kind;
		e.status = r->status;
		buf_add(out, &e, sizeof e);
		nroots++;
	}
	return nroots;
}

/* The whole file in out: header and body. */
static void tbuild_render(struct tbuild *b, const struct shard *sh, struct buf *out)
{
	struct dayindex_hdr h;
	memset(&h, 0, sizeof h);
	memcpy(h.magic, DAYINDEX_MAGIC, 8);
	h.version = build_version();
	h.order = DAYINDEX_ORDER;
	h.day = sh->day;
	h.nwords = (uint32_t)b->w.nw;
	h.nrecs = sh->nrecs;
	h.last_span_h = sh->recs[sh->nrecs - 1].span_h;
	h.last_ingested_us = sh->recs[sh->nrecs - 1].ingested_us;
	h.blob_len = b->w.blob.len;
	buf_add(out, &h, sizeof h);
	if (h.version > DAYINDEX_VERSION_LONGFORMS)
		words_render_compact(&b->w, sh->nrecs, h.version > DAYINDEX_VERSION_NOCTX, out);
	else
		words_render(&b->w, sh->nrecs, out);
	size_t text = out->len - sizeof h;
	for (int k = 0; k < DAYINDEX_NKEYS; k++)
		keymap_render(sh->recs, sh->nrecs, k, out);
	size_t colbytes = b->nrecs * sizeof *b->cols, cols = out->len;
	buf_add(out, b->cols, (size_t)DAYINDEX_NCOLS * b->nrecs * sizeof *b->cols);
	/* The counts hold for the flags as they were between two readings of the header's
	 * generation (sh->flag_gen was read when the shard was opened): a flag written in
	 * between, or under way (odd), leaves them unusable until the next build. */
	size_t counts = out->len;
	uint32_t nc = counts_render(sh->recs, b->nrecs, b->cols, out);
	size_t roots = out->len;
	uint32_t nr = dayindex_render_roots(sh, b->nrecs, out);
	size_t ids = out->len;
	idstr_build_render(&b->ids, out);
	size_t lists = out->len;
	lists_render(sh->recs, b->nrecs, b->cols, out);
	uint64_t gen = ((const struct idx_hdr *)sh->map)->flag_gen;
	struct dayindex_hdr *hp = (struct dayindex_hdr *)out->p;
	hp->ncounts = nc;
	hp->counts_gen = gen == sh->flag_gen && !(gen & 1) ? gen : 1;
	hp->counts_crc = hash_crc32c(0, out->p + counts, roots - counts);
	hp->nroots = nr;
	hp->roots_crc = hash_crc32c(0, out->p + roots, ids - roots);
	hp->ids_crc = hash_crc32c(0, out->p + ids, lists - ids);
	hp->text_crc = hash_crc32c(0, out->p + sizeof h, text);
	for (int k = 0; k < DAYINDEX_NCOLS; k++)
		hp->col_crc[k] = hash_crc32c(0, out->p + cols + k * colbytes, colbytes);
	hp->crc = hash_crc32c(0, hp, offsetof(struct dayindex_hdr, crc));
}

/* ---- reading ---- */

void dayindex_close(struct dayindex *t)
{
	mapcache_put(t->mc);
	memset(t, 0, sizeof *t);
}

/* Maps ws/day's index (with recent, as a query does: mapcache_get_recent); false (errno set) when
 * it is missing or malformed. */
bool dayindex_open(struct store *st, const char *ws, int32_t day, bool recent, struct dayindex *t)
{
	char p[PATH_MAX];
	memset(t, 0, sizeof *t);
	if (!layout_shard_path(p, st, ws, day, LAYOUT_DAYINDEX) ||
	    !(t->map = recent ? mapcache_get_recent(p, 0, &t->len, &t->mc)
			      : mapcache_get_path(p, 0, true, 0, &t->len, &t->mc)))
		return false;
	bool ok = false;
	errno = EINVAL;
	if (t->len < sizeof(struct dayindex_hdr))
		goto out;
	t->good = mapcache_bits(t->mc);
	const struct dayindex_hdr *h = t->h = t->map;
	if (memcmp(h->magic, DAYINDEX_MAGIC, 8) || h->version < DAYINDEX_VERSION_NOKEYS ||
	    h->version > DAYINDEX_VERSION || h->order != DAYINDEX_ORDER || h->day != day ||
	    h->crc != hash_crc32c(0, h, offsetof(struct dayindex_hdr, crc)) || h->nwords < 1 ||
	    h->blob_len > t->len)
		goto out;
	enum words_pairs pairs = h->version > DAYINDEX_VERSION_NOCTX	     ? WORDS_PAIRS_CTX
				 : h->version > DAYINDEX_VERSION_LONGFORMS   ? WORDS_PAIRS_COMPACT
				 : h->version > DAYINDEX_VERSION_NORAREPAIRS ? WORDS_PAIRS_RARE
				 : h->version > DAYINDEX_VERSION_NOTRIPLES   ? WORDS_PAIRS_TRIPLES
				 : h->version == DAYINDEX_VERSION_EVERYPAIR  ? WORDS_PAIRS_EVERY
				 : h->version > DAYINDEX_VERSION_EVERYPAIR   ? WORDS_PAIRS_COMMON
									     : WORDS_PAIRS_NONE;
	if (!words_open(&t->text, h + 1, t->len - sizeof *h, h->nwords, h->blob_len, pairs))
		goto out;
	size_t need = sizeof *h + t->text.len;
	/* Per record: a value per column, and (version 2) 12 bytes per key map. */
	bool keys = h->version != DAYINDEX_VERSION_NOKEYS;
	size_t cols = (size_t)DAYINDEX_NCOLS * 8, per = cols + (keys ? DAYINDEX_NKEYS * 12 : 0);
	if (h->nrecs > (t->len - need) / per)
		goto out;
	size_t kat = need, kb = keys ? keymap_bytes(h->nrecs) : 0;
	size_t cat = kat + DAYINDEX_NKEYS * kb + h->nrecs * cols;
	size_t nc = h->version >= DAYINDEX_VERSION_NOROOTS ? h->ncounts : 0;
	size_t nr = h->version >= DAYINDEX_VERSION_NOPAIRS ? h->nroots : 0,
	       rat = cat + nc * sizeof *t->counts, iat = rat + nr * sizeof *t->roots;
	if (nr > h->nrecs || iat > t->len)
		goto out;
	/* Version 8: the value lists end the file, their bytes its last 8. */
	size_t end = t->len;
	if (h->version > DAYINDEX_VERSION_NOLISTS) {
		uint64_t lb;
		memcpy(&lb, (const char *)t->map + t->len - 8, 8);
		if (lb > t->len - iat || (lb & 7) ||
		    !lists_at((const char *)t->map + t->len - lb, (size_t)lb, &t->lists))
			goto out;
		t->has_lists = true;
		end -= (size_t)lb;
	}
	if (h->version > DAYINDEX_VERSION_NOIDS) {
		t->ids_at = (const char *)t->map + iat;
		t->ids_len = end - iat;
		if (!idstr_at(t->ids_at, t->ids_len, &t->ids))
			goto out;
	} else if (iat != end) {
		goto out;
	}
	if (h->version >= DAYINDEX_VERSION_NOROOTS)
		t->counts = (const struct dayindex_count *)((const char *)t->map + cat);
	if (h->version >= DAYINDEX_VERSION_NOPAIRS)
		t->roots = (const struct store_dayindex_root *)((const char *)t->map + rat);
	for (int k = 0; keys && k < DAYINDEX_NKEYS; k++)
		t->keys[k] = keymap_at((const char *)t->map + kat + k * kb, h->nrecs);
	t->cols = (const uint64_t *)((const char *)t->map + kat + DAYINDEX_NKEYS * kb);
	ok = true;
out:
	if (!ok)
		dayindex_close(t);
	return ok;
}

/* Whether section bit of t (see struct dayindex) holds its checksum want over p[0..n): checked
 * once per mapping of the file, a good answer kept for the process's next queries. A damaged
 * section would rule out records that hold a term, or match or count the wrong ones. */
static bool section_good(struct dayindex *t, unsigned bit, uint32_t want, const void *p, size_t n)
{
	if (*t->good >> bit & 1)
		return true;
	if (t->bad >> bit & 1)
		return false;
	if (hash_crc32c(0, p, n) != want) {
		t->bad |= 1u << bit;
		return false;
	}
	*t->good |= 1u << bit;
	return true;
}

bool dayindex_text_good(struct dayindex *t)
{
	return section_good(t, 0, t->h->text_crc, t->h + 1, t->text.len);
}

bool dayindex_col_good(struct dayindex *t, int k)
{
	return section_good(t, 1 + (unsigned)k, t->h->col_crc[k], t->cols + (size_t)k * t->h->nrecs,
			    t->h->nrecs * sizeof *t->cols);
}

bool dayindex_counts_good(struct dayindex *t)
{
	return section_good(t, DAYINDEX_NCOLS + 1, t->h->counts_crc, t->counts,
			    t->h->ncounts * sizeof *t->counts);
}

/* The roots' checksum, and their order: ascending covered records, as a scan visits them. */
bool dayindex_roots_good(struct dayindex *t)
{
	const unsigned bit = DAYINDEX_NCOLS + 2;
	const struct store_dayindex_root *r = t->roots;
	size_t n = t->h->nroots;
	if (!(*t->good >> bit & 1) && !(t->bad >> bit & 1))
		for (size_t i = 0; i < n; i++)
			if (r[i].rec >= t->h->nrecs || (i && r[i - 1].rec >= r[i].rec)) {
				t->bad |= 1u << bit;
				break;
			}
	return section_good(t, bit, t->h->roots_crc, r, n * sizeof *r);
}

/* The id strings' checksum, and their order and bounds. */
bool dayindex_ids_good(struct dayindex *t)
{
	const unsigned bit = DAYINDEX_NCOLS + 3;
	if (!(*t->good >> bit & 1) && !(t->bad >> bit & 1) && !idstr_sound(&t->ids))
		t->bad |= 1u << bit;
	return section_good(t, bit, t->h->ids_crc, t->ids_at, t->ids_len);
}

/* The value lists' checksum, their order and bounds. */
bool dayindex_lists_good(struct dayindex *t)
{
	const unsigned bit = DAYINDEX_NCOLS + 4;
	if (*t->good >> bit & 1)
		return true;
	if (t->bad >> bit & 1)
		return false;
	if (!lists_sound(&t->lists, t->h->nrecs)) {
		t->bad |= 1u << bit;
		return false;
	}
	*t->good |= 1u << bit;
	return true;
}

/* Whether the flags of sh's records are those the counts and the roots' entries were taken
 * at: no flag written since the build. */
bool dayindex_flags_held(const struct dayindex *t, const struct shard *sh)
{
	return t->h->counts_gen == sh->flag_gen;
}

bool dayindex_current(const struct dayindex *t, const struct shard *sh)
{
	const struct dayindex_hdr *h = t->h;
	return h->nrecs && h->nrecs <= sh->nrecs &&
	       sh->recs[h->nrecs - 1].span_h == h->last_span_h &&
	       sh->recs[h->nrecs - 1].ingested_us == h->last_ingested_us;
}

struct store_dayindex {
	struct dayindex t;
};

struct store_dayindex *store_dayindex_open(struct store *st, const char *ws, const struct shard *sh)
{
	struct dayindex t;
	if (!sh->nrecs || layout_lacks(sh->d.look, LAYOUT_DAYINDEX, sh->day) ||
	    !dayindex_open(st, ws, sh->day, true, &t))
		return NULL;
	if (!dayindex_current(&t, sh)) {
		dayindex_close(&t);
		return NULL;
	}
	struct store_dayindex *x = xmalloc(sizeof *x);
	x->t = t;
	return x;
}

void store_dayindex_close(struct store_dayindex *x)
{
	if (!x)
		return;
	dayindex_close(&x->t);
	free(x);
}

bool store_dayindex_count(struct store_dayindex *x, const struct shard *sh,
			  const struct store_dayindex_q *q, uint64_t *n)
{
	struct dayindex *t = &x->t;
	if (!t->counts || !dayindex_flags_held(t, sh) || !dayindex_counts_good(t))
		return false;
	*n = 0;
	return counts_sum(t->counts, t->h->ncounts, q, n);
}

size_t store_dayindex_covered(const struct store_dayindex *x)
{
	return x->t.h->nrecs;
}

bool store_dayindex_roots(struct store_dayindex *x, const struct shard *sh,
			  const struct store_dayindex_root **roots, size_t *n, bool *flags_hold)
{
	if (!x->t.roots || !dayindex_roots_good(&x->t))
		return false;
	*roots = x->t.roots;
	*n = x->t.h->nroots;
	*flags_hold = dayindex_flags_held(&x->t, sh);
	return true;
}

const uint64_t *store_dayindex_col(struct store_dayindex *x, int col)
{
	return dayindex_col_good(&x->t, col) ? x->t.cols + (size_t)col * x->t.h->nrecs : NULL;
}

bool store_dayindex_list(struct store_dayindex *x, int k, uint64_t v, const uint32_t **recs,
			 size_t *n)
{
	*recs = NULL;
	*n = 0;
	return x->t.has_lists && dayindex_lists_good(&x->t) &&
	       lists_find(&x->t.lists, k, v, recs, n);
}

_Static_assert(STORE_KEY_TRACE == 0 && STORE_KEY_SESSION == 1 && IDSTR_NKEYS == DAYINDEX_NKEYS,
	       "the key maps' order");

/* What a process keeps with a .tix's mapping (mapcache_aux): per key map, a bit per block found
 * good, so that a worker's lookups check each block once (12 KiB of crc32c a lookup before). */
struct dayindex_kept {
	uint64_t *good[DAYINDEX_NKEYS];
};

static void kept_free(void *p)
{
	struct dayindex_kept *k = p;
	for (int i = 0; k && i < DAYINDEX_NKEYS; i++)
		free(k->good[i]);
	free(k);
}

/* The bits of the blocks of t's key map `which` found good, kept with t's mapping. */
static uint64_t *keys_good(struct dayindex *t, enum store_key which)
{
	struct dayindex_kept **k = (struct dayindex_kept **)mapcache_aux(t->mc, kept_free);
	size_t words = keymap_good_words(&t->keys[which]);
	if (!*k)
		*k = xcalloc(1, sizeof **k);
	if (!(*k)->good[which]) {
		(*k)->good[which] = xcalloc(words ? words : 1, sizeof *(*k)->good[which]);
		mapcache_aux_size(t->mc, sizeof **k + DAYINDEX_NKEYS * 8 * (words ? words : 1));
	}
	return (*k)->good[which];
}

enum status store_dayindex_keyed(struct store_dayindex *x, enum store_key which, uint64_t h,
				 uint32_t **recs, size_t *n)
{
	const struct keymap *m = &x->t.keys[which];
	size_t cap = 0;
	*recs = NULL;
	*n = 0;
	enum status rc =
	    m->h ? keymap_find(m, h, keys_good(&x->t, which), 0, recs, n, &cap) : ST_NOT_FOUND;
	if (rc != ST_OK || !*n) {
		free(*recs);
		*recs = NULL;
	}
	return rc;
}

bool store_dayindex_id(struct store_dayindex *x, const struct shard *sh, enum store_key which,
		       size_t ri, const char **p, size_t *n)
{
	struct dayindex *t = &x->t;
	if (!t->ids_at || ri >= t->h->nrecs || !dayindex_ids_good(t))
		return false;
	const struct idx_rec *r = &sh->recs[ri];
	return idstr_find(&t->ids, which, which == STORE_KEY_TRACE ? r->trace_h : r->session_h, p,
			  n);
}

enum status store_dayindex_text(struct store_dayindex *x, const char *const *terms, size_t nterms,
				uint64_t **out, uint64_t **sure)
{
	*out = *sure = NULL;
	if (!dayindex_text_good(&x->t))
		return ST_NOT_FOUND;
	return words_terms(&x->t.text, terms, nterms, x->t.h->nrecs, out, sure);
}

/* ---- a day's build ---- */

/* Test hook (t/integration/search_index.test.mjs): SPANDEX_TEST_KILL_IN_INDEX set kills the
 * builder with SIGKILL once half of its temporary is written, before the rename: the crash
 * readers, verify and the next build must shrug off. Unset in every real deployment. */
#define TEST_KILL_IN_INDEX "SPANDEX_TEST_KILL_IN_INDEX"

enum status store_text_index(struct store *st, const char *ws, int32_t day, bool *built,
			     size_t *covered)
{
	char p[PATH_MAX], tp[PATH_MAX];
	struct shard sh;
	struct dayindex t;
	*built = false;
	*covered = 0;
	enum status rc = shard_open(st, ws, day, &sh);
	if (rc != ST_OK)
		return rc;
	if (!sh.nrecs) {
		shard_close(&sh);
		return ST_OK;
	}
	if (dayindex_open(st, ws, day, false, &t)) {
		/* An index of an older version is built again (it lacks the key maps or the
		 * counts), and so is one whose counts a flag written since has made stale. */
		bool cur = t.h->version == build_version() && dayindex_current(&t, &sh) &&
			   t.h->nrecs == sh.nrecs && dayindex_flags_held(&t, &sh) &&
			   dayindex_text_good(&t) && dayindex_counts_good(&t) &&
			   dayindex_roots_good(&t) && dayindex_ids_good(&t) &&
			   dayindex_lists_good(&t);
		for (int k = 0; cur && k < DAYINDEX_NCOLS; k++)
			cur = dayindex_col_good(&t, k);
		for (int k = 0; cur && k < DAYINDEX_NKEYS; k++)
			cur = keymap_good(&t.keys[k]);
		dayindex_close(&t);
		if (cur) {
			*covered = sh.nrecs;
			if (sh.text_end)
				tailindex_fold(st, ws, day, sh.nrecs);
			shard_close(&sh);
			return ST_OK;
		}
	}
	struct tbuild b;
	memset(&b, 0, sizeof b);
	words_init(&b.w, true);
	b.nrecs = sh.nrecs;
	b.cols = xcalloc((size_t)DAYINDEX_NCOLS * sh.nrecs, sizeof *b.cols);
	idstr_build_init(&b.ids, sh.nrecs);
	rc = ST_OK;
	for (size_t i = 0; i < sh.nrecs && rc == ST_OK; i++) {
		const char *line;
		size_t n;
		if (!shard_view(&sh, i, &line, &n)) {
			words_add_any(&b.w, (uint32_t)i); /* unreadable: never ruled out */
			for (int k = 0; k < DAYINDEX_NCOLS; k++)
				b.cols[(size_t)k * b.nrecs + i] = DAYINDEX_UNKNOWN;
			idstr_build_add(&b.ids, STORE_KEY_TRACE, (uint32_t)i, sh.recs[i].trace_h,
					NULL, 0);
			idstr_build_add(&b.ids, STORE_KEY_SESSION, (uint32_t)i,
					sh.recs[i].session_h, NULL, 0);
			continue;
		}
		add_line(&b, line, n, (uint32_t)i, &sh.recs[i]);
	}
	struct buf out;
	buf_init(&out);
	tbuild_render(&b, &sh, &out);
	tbuild_free(&b);
	rc = ST_UNAVAILABLE;
	int fd = -1;
	/* Two builders of one day take turns on the temporary's lock (io_lock_open re-opens one
	 * renamed away meanwhile), so neither renames the other's half-written file. */
	if (layout_shard_path(p, st, ws, day, LAYOUT_DAYINDEX) &&
	    layout_shard_path(tp, st, ws, day, LAYOUT_DAYINDEX_TMP) &&
	    (fd = io_lock_open(tp, true)) >= 0 && ftruncate(fd, 0) == 0 &&
	    io_write_all(fd, out.p, out.len / 2) == 0 && io_test_kill(TEST_KILL_IN_INDEX) &&
	    io_write_all(fd, out.p + out.len / 2, out.len - out.len / 2) == 0 &&
	    fdatasync(fd) == 0 && rename(tp, p) == 0) {
		mapcache_forget_path(p);
		layout_sync_dir(st, ws);
		*built = true;
		*covered = sh.nrecs;
		rc = ST_OK;
		/* The day's text is all in the .tix now: its tail segments go. */
		if (sh.text_end)
			tailindex_fold(st, ws, day, sh.nrecs);
	}
	if (rc != ST_OK && fd >= 0)
		unlink(tp);
	if (fd >= 0)
		close(fd);
	buf_free(&out);
	shard_close(&sh);
	return rc;
}
