/* tailread: what the readers ask of a day's tail (store_tailindex_* in store.h): the candidates of
 * a search, the records of a trace or session key and the roots, the column runs, the value
 * lists and the counts, each found from the segments (tailseg.h) through what a worker keeps
 * with the tail's mapping (its words, maps, runs, lists and counts merged). */
#include <stdlib.h>
#include <string.h>
#include "lib/base/bits.h"
#include "lib/base/mem.h"
#include "lib/store/counts.h"
#include "lib/store/keymap.h"
#include "lib/store/lists.h"
#include "lib/store/mapcache.h"
#include "lib/store/store.h"
#include "lib/store/tailread.h"
#include "lib/store/tailseg.h"

/* A growing list of record numbers. */
struct recs {
	uint32_t *p;
	size_t n, cap;
};

static void recs_add(struct recs *r, size_t i)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->p = xrealloc(r->p, r->cap * sizeof *r->p);
	}
	r->p[r->n++] = (uint32_t)i;
}

/* The counts of a tail's segments from record from on, summed (sorted, equal entries one): a
 * FastCGI worker keeps them with the tail's mapping (mapcache_aux), so that a day written a
 * trace per request, hundreds of small segments, is counted by one look at the sum and the
 * segments written since. They hold for records [from, next), of segments that end before
 * byte at, and for the day's flags at generation gen. Those segments' records are committed,
 * so their bytes and records never change while the file lives but for the flags, which move
 * gen (docs/FORMAT.md, "What a reader sees"). */
struct tailindex_sum {
	uint64_t gen, at;
	size_t from, next;
	struct dayindex_count *c;
	size_t nc, cap;
};

/* Adds to sum the counts of the segments of sh's tail m after sum->at, while each answers for
 * the next records with counts of the day's flags as they are: false at one that cannot. */
static bool tailindex_sum_more(const struct shard *sh, const char *m, uint32_t *wm,
			       struct tailindex_sum *sum)
{
	const struct tailindex_seg *s;
	struct dayindex_count *add = NULL;
	size_t nadd = 0, capadd = 0;
	bool said = true;
	for (uint64_t at = sum->at; tailseg_next_good(sh, m, wm, &at, &s, NULL);) {
		size_t a = s->first, z = a + s->nrecs, nc;
		if (z <= sum->next)
			continue;
		if (!(said = a == sum->next && tailseg_version(s) >= 4 &&
			     tailseg_end(s)->gen == sum->gen))
			break;
		const struct dayindex_count *c = tailseg_counts(s, &nc);
		if (nadd + nc > capadd) {
			capadd = 2 * (nadd + nc);
			add = xrealloc(add, capadd * sizeof *add);
		}
		memcpy(add + nadd, c, nc * sizeof *c);
		nadd += nc;
		sum->next = z;
		sum->at = at;
	}
	counts_merge(&sum->c, &sum->nc, &sum->cap, add, nadd);
	free(add);
	return said;
}

/* A key's maps of a tail's segments merged, kept like the sum: the records of [from, next) that
 * the segments' maps name, by hash then record (e), and those no map answers for (loose,
 * ascending: of no segment, of an older spandex, or named past its records), of the segments
 * that end before byte at; nmaps: the maps merged. The roots likewise, as a key whose hash is 0
 * (TAILINDEX_ROOTS). Neither depends on flags: a reader checks each record it takes. */
struct tailindex_key {
	uint64_t h;
	uint32_t rec;
};

struct tailindex_keys {
	uint64_t at;
	size_t from, next, nmaps;
	struct tailindex_key *e;
	size_t ne, cap;
	struct recs loose;
};

#define TAILINDEX_ROOTS 2 /* keys[TAILINDEX_ROOTS]: the roots */

/* The column runs of a tail's segments (store_tailindex_cols), kept like the sum: those of
 * records [from, next), of the segments that end before byte at, each run's columns as an
 * offset into the file (0: no segment with columns answers for it), since a mapping made again
 * for a grown file takes the kept runs over at another address. Like the maps, they do not
 * depend on flags. So a column equality on a day written a trace per request (thousands of
 * small segments) walks none of the segments seen before. */
struct tailindex_colrun {
	size_t first, n, stride;
	uint64_t off;
};

struct tailindex_runs {
	uint64_t at;
	size_t from, next;
	struct tailindex_colrun *r;
	size_t nr, cap;
};

/* One list key's value lists of a tail's records (store_tailindex_vals), as a .tix's (lists.h):
 * per value (e, sorted by value), its records at r[e->at..e->at + e->n) by start, then record
 * (s: their starts, which the next merge compares without reading the records), and loose, the
 * records of the segments that no list answers for (a segment without columns, a value its
 * writer could not read), ascending. Never changed once made: segments written since make a
 * new one, and a reader holds the one it took (refs) until store_tailvals_put. */
struct store_tailvals {
	unsigned refs;
	int k;
	struct lists_ent *e;
	size_t ne;
	uint32_t *r;
	int64_t *s;
	size_t nr;
	struct recs loose;
};

/* A key's lists kept like the maps: cur answers for records [from, next), of the segments that
 * end before byte at; NULL until asked. */
struct tailindex_valkeep {
	uint64_t at;
	size_t from, next;
	struct store_tailvals *cur;
};

/* What a worker keeps with a tail's mapping (mapcache_aux). */
struct tailindex_kept {
	struct tailindex_sum sum;
	struct tailindex_keys keys[3]; /* by enum store_key, then the roots */
	struct tailindex_runs runs;
	struct tailindex_valkeep vals[STORE_LIST_NKEYS];
	void *text; /* tailtext.c's (tailread_kept_text), freed by text_free */
	void (*text_free)(void *);
	size_t text_bytes;
};

void store_tailvals_put(struct store_tailvals *t)
{
	if (!t || --t->refs)
		return;
	free(t->e);
	free(t->r);
	free(t->s);
	free(t->loose.p);
	free(t);
}

static void tailindex_kept_free(void *p)
{
	struct tailindex_kept *k = p;
	if (!k)
		return;
	free(k->sum.c);
	free(k->runs.r);
	for (int i = 0; i < 3; i++) {
		free(k->keys[i].e);
		free(k->keys[i].loose.p);
	}
	for (int i = 0; i < STORE_LIST_NKEYS; i++)
		store_tailvals_put(k->vals[i].cur);
	if (k->text)
		k->text_free(k->text);
	free(k);
}

/* The bytes of t: 12 a record listed, 24 a value, 4 a loose record. */
static size_t tailvals_bytes(const struct store_tailvals *t)
{
	return t ? sizeof *t + t->ne * sizeof *t->e + t->nr * (sizeof *t->r + sizeof *t->s) +
		       t->loose.cap * sizeof *t->loose.p
		 : 0;
}

/* The bytes k holds, for the mapping's share of the cache (mapcache_aux_size). */
static size_t tailindex_kept_bytes(const struct tailindex_kept *k)
{
	size_t n = sizeof *k + k->sum.cap * sizeof *k->sum.c + k->runs.cap * sizeof *k->runs.r;
	for (int i = 0; i < 3; i++)
		n +=
		    k->keys[i].cap * sizeof *k->keys[i].e + k->keys[i].loose.cap * sizeof(uint32_t);
	for (int i = 0; i < STORE_LIST_NKEYS; i++)
		n += tailvals_bytes(k->vals[i].cur);
	n += k->text_bytes;
	return n;
}

/* The tail's mapping's kept sums, made on first use. */
static struct tailindex_kept *tailindex_kept_of(struct mapcache_ent *mc)
{
	struct tailindex_kept **k = (struct tailindex_kept **)mapcache_aux(mc, tailindex_kept_free);
	if (!*k)
		*k = xcalloc(1, sizeof **k);
	return *k;
}

static int tailindex_key_cmp(const void *x, const void *y)
{
	const struct tailindex_key *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* The entries of segment s (found whole, seg_good) for keys: its records from keys->next on
 * that its map of key k names, or (TAILINDEX_ROOTS) its roots, appended to add; false (add as it
 * was) when the map or roots name a record it does not have. */
static bool seg_keys_add(const struct tailindex_seg *s, int k, const struct tailindex_keys *keys,
			 struct tailindex_key **add, size_t *nadd, size_t *cap)
{
	size_t a = s->first, had = *nadd;
	if (*nadd + s->nrecs > *cap) {
		*cap = 2 * (*nadd + s->nrecs);
		*add = xrealloc(*add, *cap * sizeof **add);
	}
	if (k == TAILINDEX_ROOTS) {
		const uint64_t *roots = tailseg_roots(s);
		for (size_t w = 0; w < tailseg_roots_bytes(s->nrecs) / 8; w++)
			for (uint64_t b = roots[w]; b; b &= b - 1) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(b);
				if (i >= s->nrecs) { /* a bit past its records: none is set */
					*nadd = had;
					return false;
				}
				if (a + i >= keys->next)
					(*add)[(*nadd)++] =
					    (struct tailindex_key){0, (uint32_t)(a + i)};
			}
		return true;
	}
	struct keymap km = tailseg_keymap(s, (enum store_key)k); /* km.n == s->nrecs */
	for (size_t i = 0; i < km.n; i++) {
		if (km.rec[i] >= s->nrecs) {
			*nadd = had;
			return false;
		}
		if (a + km.rec[i] >= keys->next)
			(*add)[(*nadd)++] =
			    (struct tailindex_key){km.h[i], (uint32_t)(a + km.rec[i])};
	}
	return true;
}

/* Adds to keys the maps of key k (or TAILINDEX_ROOTS) of the segments of sh's tail m after
 * keys->at. */
static void tailindex_keys_more(const struct shard *sh, const char *m, uint32_t *wm, int k,
				struct tailindex_keys *keys)
{
	const struct tailindex_seg *s;
	struct tailindex_key *add = NULL;
	size_t nadd = 0, capadd = 0;
	for (uint64_t at = keys->at; tailseg_next_good(sh, m, wm, &at, &s, NULL);) {
		size_t a = s->first, z = a + s->nrecs;
		if (z <= keys->next)
			continue;
		for (; keys->next < a; keys->next++)
			recs_add(&keys->loose, keys->next);
		bool ok = tailseg_keyed(s) && seg_keys_add(s, k, keys, &add, &nadd, &capadd);
		if (ok)
			keys->nmaps++;
		else
			for (size_t i = keys->next; i < z; i++)
				recs_add(&keys->loose, i);
		keys->next = z;
		keys->at = at;
	}
	if (nadd) { /* sorted, then merged into e from the ends down */
		qsort(add, nadd, sizeof *add, tailindex_key_cmp);
		if (keys->ne + nadd > keys->cap) {
			keys->cap = 2 * (keys->ne + nadd);
			keys->e = xrealloc(keys->e, keys->cap * sizeof *keys->e);
		}
		size_t i = keys->ne, j = nadd, o = keys->ne + nadd;
		while (j)
			keys->e[--o] = i && tailindex_key_cmp(&keys->e[i - 1], &add[j - 1]) > 0
					   ? keys->e[--i]
					   : add[--j];
		keys->ne += nadd;
	}
	free(add);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* The records of sh from from on that answer for key which (hashes hs[0..nh)) or TAILINDEX_ROOTS:
 * those the segments' maps or roots name, and every record no segment answers for, ascending,
 * into *recs and *n, from what the tail's mapping keeps (struct tailindex_kept) and the segments
 * written since. Returns sh->nrecs, or from itself (*recs NULL) when no segment answered. */
static size_t tailindex_ask(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    int which, const uint64_t *hs, size_t nh, uint32_t **recs, size_t *n)
{
	struct mapcache_ent *mc;
	const char *m;
	*recs = NULL;
	*n = 0;
	if (from >= sh->nrecs || !(m = tailseg_map(st, ws, sh, &mc)))
		return from;
	struct tailindex_kept *kept = tailindex_kept_of(mc);
	struct tailindex_keys *keys = &kept->keys[which], mine = {0};
	if (keys->at > sh->text_end || keys->next > sh->nrecs)
		keys = &mine; /* a reader of an older state than the kept maps': on its own */
	if (keys->from != from || !keys->next) {
		free(keys->e);
		free(keys->loose.p);
		*keys = (struct tailindex_keys){.from = from, .next = from};
	}
	tailindex_keys_more(sh, m, mapcache_bits(mc), which, keys);
	size_t to = from;
	if (keys->nmaps) {
		struct recs r = {0};
		if (which == TAILINDEX_ROOTS)
			for (size_t i = 0; i < keys->ne; i++)
				recs_add(&r, keys->e[i].rec);
		for (size_t j = 0; j < nh; j++) {
			size_t a = 0, z = keys->ne;
			while (a < z) {
				size_t mid = a + (z - a) / 2;
				if (keys->e[mid].h < hs[j])
					a = mid + 1;
				else
					z = mid;
			}
			for (; a < keys->ne && keys->e[a].h == hs[j]; a++)
				recs_add(&r, keys->e[a].rec);
		}
		for (size_t i = 0; i < keys->loose.n; i++)
			recs_add(&r, keys->loose.p[i]);
		for (size_t i = keys->next; i < sh->nrecs; i++) /* past every segment */
			recs_add(&r, i);
		if ((nh > 1 || keys->loose.n) && r.n > 1) /* into storage order */
			qsort(r.p, r.n, sizeof *r.p, cmp_u32);
		*recs = r.p;
		*n = r.n;
		to = sh->nrecs;
	}
	free(mine.e);
	free(mine.loose.p);
	mapcache_aux_size(mc, tailindex_kept_bytes(kept));
	mapcache_put(mc);
	return to;
}

size_t store_tailindex_keyed(struct store *st, const char *ws, const struct shard *sh, size_t from,
			     enum store_key which, const uint64_t *hs, size_t nh, uint32_t **recs,
			     size_t *n)
{
	return tailindex_ask(st, ws, sh, from, (int)which, hs, nh, recs, n);
}

size_t store_tailindex_roots(struct store *st, const char *ws, const struct shard *sh, size_t from,
			     uint32_t **recs, size_t *n)
{
	return tailindex_ask(st, ws, sh, from, TAILINDEX_ROOTS, NULL, 0, recs, n);
}

/* Appends the run [first, first + n) to r (off 0: no segment answers for it). */
static void run_add(struct tailindex_runs *r, size_t first, size_t n, size_t stride, uint64_t off)
{
	if (r->nr == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->r = xrealloc(r->r, r->cap * sizeof *r->r);
	}
	r->r[r->nr++] = (struct tailindex_colrun){first, n, stride, off};
}

/* Adds to r the runs of the segments of sh's tail m after r->at. */
static void tailindex_runs_more(const struct shard *sh, const char *m, uint32_t *wm,
				struct tailindex_runs *r)
{
	const struct tailindex_seg *s;
	for (uint64_t at = r->at; tailseg_next_good(sh, m, wm, &at, &s, NULL); r->at = at) {
		size_t a = s->first, z = a + s->nrecs; /* z <= nrecs: tailseg_current */
		if (z <= r->next || !tailseg_has_cols(s))
			continue;
		if (r->next < a) {
			run_add(r, r->next, a - r->next, 0, 0);
			r->next = a;
		}
		const char *v = (const char *)(tailseg_cols(s) + (r->next - a));
		run_add(r, r->next, z - r->next, s->nrecs, (uint64_t)(v - m));
		r->next = z;
	}
}

size_t store_tailindex_cols(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    struct store_tailindex_cols *c)
{
	const char *m;
	size_t n = sh->nrecs;
	memset(c, 0, sizeof *c);
	if (from >= n || !(m = tailseg_map(st, ws, sh, &c->mc)))
		return from;
	struct tailindex_kept *kept = tailindex_kept_of(c->mc);
	struct tailindex_runs *r = &kept->runs, mine = {0};
	if (r->at > sh->text_end || r->next > n)
		r = &mine; /* a reader of an older state than the kept runs': on its own */
	if (r->from != from || !r->next) {
		free(r->r);
		*r = (struct tailindex_runs){.from = from, .next = from};
	}
	tailindex_runs_more(sh, m, mapcache_bits(c->mc), r);
	size_t next = r->next;
	if (r->nr) {
		c->run = xmalloc((r->nr + 1) * sizeof *c->run);
		for (size_t i = 0; i < r->nr; i++) {
			const struct tailindex_colrun *x = &r->r[i];
			c->run[c->nrun++] = (struct store_tailindex_run){
			    x->first, x->n, x->stride,
			    x->off ? (const uint64_t *)(m + x->off) : NULL};
		}
		if (next < n)
			c->run[c->nrun++] = (struct store_tailindex_run){next, n - next, 0, NULL};
	}
	free(mine.r);
	mapcache_aux_size(c->mc, tailindex_kept_bytes(kept));
	if (!c->nrun) {
		store_tailindex_cols_free(c);
		return from;
	}
	return n;
}

bool store_tailindex_count(struct store *st, const char *ws, const struct shard *sh, size_t from,
			   const struct store_dayindex_q *q, uint64_t *n)
{
	struct mapcache_ent *mc;
	const char *m;
	*n = 0;
	if (from >= sh->nrecs || (sh->flag_gen & 1) || !(m = tailseg_map(st, ws, sh, &mc)))
		return false;
	struct tailindex_kept *kept = tailindex_kept_of(mc);
	struct tailindex_sum *sum = &kept->sum, mine = {0};
	if (sum->at > sh->text_end || sum->next > sh->nrecs)
		sum = &mine; /* a reader of an older state than the sum's: on its own */
	if (sum->gen != sh->flag_gen || sum->from != from) {
		sum->gen = sh->flag_gen;
		sum->at = 0;
		sum->from = sum->next = from;
		sum->nc = 0;
	}
	bool said = tailindex_sum_more(sh, m, mapcache_bits(mc), sum) && sum->next == sh->nrecs &&
		    counts_sum(sum->c, sum->nc, q, n);
	free(mine.c);
	mapcache_aux_size(mc, tailindex_kept_bytes(kept));
	mapcache_put(mc);
	return said;
}

void store_tailindex_cols_free(struct store_tailindex_cols *c)
{
	free(c->run);
	mapcache_put(c->mc);
	memset(c, 0, sizeof *c);
}

/* A growing array of items. */
struct tailvals_items {
	struct lists_item *p;
	size_t n, cap;
};

static void items_add(struct tailvals_items *it, uint64_t v, int64_t start, size_t rec)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? 2 * it->cap : 256;
		it->p = xrealloc(it->p, it->cap * sizeof *it->p);
	}
	it->p[it->n++] = (struct lists_item){v, start, (uint32_t)rec};
}

/* Key k's value of record i of segment s (at first a), DAYINDEX_UNKNOWN when s cannot say: the
 * record's kind or status, or the segment's column. */
static uint64_t seg_value(const struct shard *sh, const struct tailindex_seg *s, size_t a, int k,
			  size_t i)
{
	if (k == STORE_LIST_KIND)
		return sh->recs[i].kind;
	if (k == STORE_LIST_STATUS)
		return sh->recs[i].status;
	return tailseg_has_cols(s) ? tailseg_cols(s)[(size_t)k * s->nrecs + (i - a)]
				   : DAYINDEX_UNKNOWN;
}

/* Old's lists (NULL: none) with the items it[0..ni) (sorted) merged in, and loose records
 * more[0..nm) (past old's) after old's: a new one, of one reference. Each value's records stay
 * by start, then record. */
static struct store_tailvals *tailvals_merge(const struct store_tailvals *old, int k,
					     const struct lists_item *it, size_t ni,
					     const uint32_t *more, size_t nm)
{
	struct store_tailvals *t = xcalloc(1, sizeof *t);
	size_t ono = old ? old->nr : 0, one = old ? old->ne : 0, nv = 0;
	t->refs = 1;
	t->k = k;
	t->nr = ono + ni;
	t->r = xmalloc((t->nr ? t->nr : 1) * sizeof *t->r);
	t->s = xmalloc((t->nr ? t->nr : 1) * sizeof *t->s);
	for (size_t j = 0; j < ni; j++) /* the values the items bring, at most one entry each */
		nv += !j || it[j].v != it[j - 1].v;
	t->e = xmalloc((one + nv ? one + nv : 1) * sizeof *t->e);
	size_t i = 0, j = 0, o = 0; /* old's entry i, item j, record o of t */
	while (i < one || j < ni) {
		uint64_t v = j == ni || (i < one && old->e[i].v <= it[j].v) ? old->e[i].v : it[j].v;
		struct lists_ent *e = &t->e[t->ne++];
		*e = (struct lists_ent){v, (uint32_t)k, 0, o};
		size_t a = 0, an = 0; /* old's records of v */
		if (i < one && old->e[i].v == v) {
			a = (size_t)old->e[i].at;
			an = old->e[i].n;
			i++;
		}
		size_t b = j;
		while (j < ni && it[j].v == v)
			j++;
		for (size_t x = a, y = b; x < a + an || y < j;) {
			bool mine =
			    y == j ||
			    (x < a + an && (old->s[x] < it[y].start ||
					    (old->s[x] == it[y].start && old->r[x] < it[y].rec)));
			if (mine) {
				t->r[o] = old->r[x];
				t->s[o++] = old->s[x++];
			} else {
				t->r[o] = it[y].rec;
				t->s[o++] = it[y++].start;
			}
		}
		e->n = (uint32_t)(o - e->at);
	}
	size_t ol = old ? old->loose.n : 0;
	t->loose.cap = t->loose.n = ol + nm;
	t->loose.p = xmalloc((t->loose.n ? t->loose.n : 1) * sizeof *t->loose.p);
	if (ol)
		memcpy(t->loose.p, old->loose.p, ol * sizeof *t->loose.p);
	if (nm)
		memcpy(t->loose.p + ol, more, nm * sizeof *more);
	return t;
}

/* Adds to kv the records of key k of the segments of sh's tail m after kv->at: a new list set
 * when they bring any. */
static void tailvals_more(const struct shard *sh, const char *m, uint32_t *wm, int k,
			  struct tailindex_valkeep *kv)
{
	const struct tailindex_seg *s;
	struct tailvals_items it = {0};
	struct recs loose = {0};
	for (uint64_t at = kv->at; tailseg_next_good(sh, m, wm, &at, &s, NULL); kv->at = at) {
		size_t a = s->first, z = a + s->nrecs; /* z <= nrecs: tailseg_current */
		if (z <= kv->next)
			continue;
		for (; kv->next < a; kv->next++) /* of no segment */
			recs_add(&loose, kv->next);
		for (; kv->next < z; kv->next++) {
			uint64_t v = seg_value(sh, s, a, k, kv->next);
			if (v == DAYINDEX_UNKNOWN)
				recs_add(&loose, kv->next);
			else if (v != DAYINDEX_ABSENT || k >= DAYINDEX_NCOLS) /* absent: no list */
				items_add(&it, v, sh->recs[kv->next].started_us, kv->next);
		}
	}
	if (it.n || loose.n || !kv->cur) {
		if (it.n > 1)
			qsort(it.p, it.n, sizeof *it.p, lists_item_cmp);
		struct store_tailvals *t = tailvals_merge(kv->cur, k, it.p, it.n, loose.p, loose.n);
		store_tailvals_put(kv->cur);
		kv->cur = t;
	}
	free(it.p);
	free(loose.p);
}

size_t store_tailindex_vals(struct store *st, const char *ws, const struct shard *sh, size_t from,
			    int k, struct store_tailvals **out)
{
	struct mapcache_ent *mc;
	const char *m;
	*out = NULL;
	if (k < 0 || k >= STORE_LIST_NKEYS || from >= sh->nrecs ||
	    !(m = tailseg_map(st, ws, sh, &mc)))
		return from;
	struct tailindex_kept *kept = tailindex_kept_of(mc);
	struct tailindex_valkeep *kv = &kept->vals[k], mine = {0};
	if (kv->at > sh->text_end || kv->next > sh->nrecs)
		kv = &mine; /* a reader of an older state than the kept lists': on its own */
	if (kv->from != from || !kv->next) {
		store_tailvals_put(kv->cur);
		*kv = (struct tailindex_valkeep){.from = from, .next = from};
	}
	tailvals_more(sh, m, mapcache_bits(mc), k, kv);
	size_t to = from;
	if (kv->next > from) { /* some segment answered */
		*out = kv->cur;
		kv->cur->refs++;
		to = kv->next;
	}
	store_tailvals_put(mine.cur);
	mapcache_aux_size(mc, tailindex_kept_bytes(kept));
	mapcache_put(mc);
	return to;
}

void store_tailvals_find(const struct store_tailvals *t, uint64_t v, const uint32_t **r, size_t *n)
{
	struct lists l = {.listed = 1ull << t->k, .e = t->e, .ne = t->ne, .r = t->r, .nr = t->nr};
	lists_find(&l, t->k, v, r, n);
}

const uint32_t *store_tailvals_loose(const struct store_tailvals *t, size_t *n)
{
	*n = t->loose.n;
	return t->loose.p;
}

void **tailread_kept_text(struct mapcache_ent *mc, void (*text_free)(void *))
{
	struct tailindex_kept *k = tailindex_kept_of(mc);
	k->text_free = text_free;
	return &k->text;
}

void tailread_kept_counted(struct mapcache_ent *mc, size_t text_bytes)
{
	struct tailindex_kept *k = tailindex_kept_of(mc);
	k->text_bytes = text_bytes;
	mapcache_aux_size(mc, tailindex_kept_bytes(k));
}
