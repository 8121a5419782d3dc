/* tailseg: a segment of a day's tail, read in place (tailseg.h). */
#include "lib/store/tailseg.h"

#include <limits.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/store/layout.h"

const char tailseg_magic[TAILINDEX_VERSION][9] = {"SPXTDX1\n", "SPXTDX2\n", "SPXTDX3\n",
						  "SPXTDX4\n"};

const char *tailseg_map(struct store *st, const char *ws, const struct shard *sh,
			struct mapcache_ent **mc)
{
	char p[PATH_MAX];
	size_t len;
	if (!sh->text_end || !layout_shard_path(p, st, ws, sh->day, LAYOUT_TAILINDEX))
		return NULL;
	return mapcache_get_path(p, sh->text_end, false, sh->d.look, &len, mc);
}

int tailseg_version(const struct tailindex_seg *s)
{
	for (int v = TAILINDEX_VERSION; v > 0; v--)
		if (!memcmp(s->magic, tailseg_magic[v - 1], 8))
			return v;
	return 0;
}

bool tailseg_next(const char *m, uint64_t end, uint64_t trusted, uint64_t *at,
		  const struct tailindex_seg **s, bool *good)
{
	*good = false;
	if (*at + sizeof **s > end)
		return false;
	const struct tailindex_seg *x = (const struct tailindex_seg *)(m + *at);
	if ((*at >= trusted &&
	     (!tailseg_version(x) || x->order != TAILINDEX_ORDER ||
	      x->crc != hash_crc32c(0, x, offsetof(struct tailindex_seg, crc)))) ||
	    x->body_len % 8 || x->body_len > end - *at - sizeof *x) {
		*at += 8;
		return true;
	}
	*s = x;
	*at += sizeof *x + x->body_len;
	*good = true;
	return true;
}

/* The first header of m[0..end) at or after byte at and before stop whose checksum holds (those
 * below a watermark too), its byte in *hdr; NULL when none. */
static const struct tailindex_seg *seg_probe(const char *m, uint64_t end, uint64_t at,
					     uint64_t stop, uint64_t *hdr)
{
	const struct tailindex_seg *s;
	bool good;
	for (uint64_t x = at; x < stop; at = x)
		if (end - x >= sizeof *s && memcmp(m + x, tailseg_magic[0], 6)) /* no "SPXTDX" */
			x += 8;
		else if (!tailseg_next(m, end, 0, &x, &s, &good))
			break;
		else if (good) {
			*hdr = at;
			return s;
		}
	return NULL;
}

/* The byte of the first good segment from byte at (a segment's) on that holds a record from
 * reach on, its headers walked (those below trusted unchecked); where the walk ends if none. */
static uint64_t seg_walk(const char *m, uint64_t end, uint64_t trusted, uint64_t at, size_t reach)
{
	const struct tailindex_seg *s;
	bool good;
	for (uint64_t next = at; tailseg_next(m, end, trusted, &next, &s, &good); at = next)
		if (good && (size_t)s->first + s->nrecs > reach)
			break;
	return at;
}

uint64_t tailseg_seek(const char *m, uint64_t end, uint64_t trusted, size_t reach)
{
	uint64_t lo = trusted, hi = end, x;
	const struct tailindex_seg *s;
	if (lo && (!(s = seg_probe(m, end, lo, end - lo > 8 ? lo + 8 : end, &x)) ||
		   (size_t)s->first + s->nrecs > reach))
		return seg_walk(m, end, trusted, 0, reach); /* reach may be below the watermark */
	while (lo < hi && hi - lo > TAILSEG_PROBE_BYTES) {
		uint64_t mid = (lo + (hi - lo) / 2) & ~(uint64_t)7;
		uint64_t stop = hi - mid > TAILSEG_PROBE_BYTES ? mid + TAILSEG_PROBE_BYTES : hi;
		if (!(s = seg_probe(m, end, mid, stop, &x)))
			hi = mid; /* in a long segment: the walk from lo passes it */
		else if ((size_t)s->first + s->nrecs <= reach)
			lo = x + sizeof *s + s->body_len;
		else
			hi = x;
	}
	return seg_walk(m, end, trusted, lo, reach);
}

const struct tailseg_end *tailseg_end(const struct tailindex_seg *s)
{
	return s->body_len < sizeof(struct tailseg_end)
		   ? NULL
		   : (const struct tailseg_end *)((const char *)(s + 1) + s->body_len -
						  sizeof(struct tailseg_end));
}

/* The bytes its version says follow s's text section: its keys (SPXTDX2 on), its columns
 * (SPXTDX3 on), its counts and their tail (SPXTDX4); SIZE_MAX when its tail names more counts
 * than its records can make. */
static size_t seg_extra(const struct tailindex_seg *s)
{
	int v = tailseg_version(s);
	size_t n = (v >= 2 ? tailseg_keys_bytes(s->nrecs) : 0) +
		   (v >= 3 ? tailseg_cols_bytes(s->nrecs) : 0);
	if (v < 4)
		return n;
	const struct tailseg_end *t = tailseg_end(s);
	if (!t || t->ncounts > (uint64_t)(DAYINDEX_NCOLS + 1) * s->nrecs)
		return SIZE_MAX;
	return n + (size_t)t->ncounts * sizeof(struct dayindex_count) + sizeof *t;
}

/* Whether s's body has room for what its version says follows its text. */
static bool seg_fits(const struct tailindex_seg *s)
{
	return s->body_len >= seg_extra(s);
}

bool tailseg_keyed(const struct tailindex_seg *s)
{
	return tailseg_version(s) >= 2 && seg_fits(s);
}

bool tailseg_has_cols(const struct tailindex_seg *s)
{
	return tailseg_version(s) >= 3 && seg_fits(s);
}

/* The bytes of s's text section and what may follow it but its keys and columns. */
static size_t seg_text_len(const struct tailindex_seg *s)
{
	return s->body_len - (seg_fits(s) ? seg_extra(s) : 0);
}

/* Whether segment s's parts are in bounds: what its version says follows its text, and its
 * text section, in v (v NULL: a caller of its keys or columns, which has no use for it). */
static bool seg_layout(const struct tailindex_seg *s, struct words_view *v)
{
	return seg_fits(s) && (!v || words_open(v, s + 1, seg_text_len(s), s->nwords, s->blob_len,
						WORDS_PAIRS_NONE));
}

bool tailseg_body(const struct tailindex_seg *s, struct words_view *v)
{
	return s->body_crc == hash_crc32c(0, s + 1, s->body_len) && seg_layout(s, v);
}

bool tailseg_current(const struct shard *sh, const struct tailindex_seg *s)
{
	size_t z = (size_t)s->first + s->nrecs;
	return s->nrecs && z <= sh->nrecs && sh->recs[z - 1].span_h == s->last_span_h &&
	       sh->recs[z - 1].ingested_us == s->last_ingested_us;
}

/* Whether segment s, which ends at byte end of its tail, is current for sh and whole
 * (tailseg_body), v its text section; *wm the watermark of tailseg_next_good. */
static bool seg_good(const struct shard *sh, const struct tailindex_seg *s, uint64_t end,
		     uint32_t *wm, struct words_view *v)
{
	if (!tailseg_current(sh, s))
		return false;
	if (end <= (uint64_t)*wm * 8)
		return seg_layout(s, v);
	if (!tailseg_body(s, v))
		return false;
	if (end - sizeof *s - s->body_len == (uint64_t)*wm * 8 && end / 8 <= UINT32_MAX)
		*wm = (uint32_t)(end / 8);
	return true;
}

bool tailseg_next_good(const struct shard *sh, const char *m, uint32_t *wm, uint64_t *at,
		       const struct tailindex_seg **s, struct words_view *v)
{
	bool good;
	while (tailseg_next(m, sh->text_end, (uint64_t)*wm * 8, at, s, &good))
		if (good && seg_good(sh, *s, *at, wm, v))
			return true;
	return false;
}

struct keymap tailseg_keymap(const struct tailindex_seg *s, enum store_key k)
{
	const char *keys = (const char *)(s + 1) + seg_text_len(s);
	return keymap_at(keys + (size_t)k * keymap_bytes(s->nrecs), s->nrecs);
}

const uint64_t *tailseg_roots(const struct tailindex_seg *s)
{
	return (const uint64_t *)((const char *)(s + 1) + seg_text_len(s) +
				  2 * keymap_bytes(s->nrecs));
}

const uint64_t *tailseg_cols(const struct tailindex_seg *s)
{
	return (const uint64_t *)((const char *)(s + 1) + seg_text_len(s) +
				  tailseg_keys_bytes(s->nrecs));
}

const struct dayindex_count *tailseg_counts(const struct tailindex_seg *s, size_t *n)
{
	*n = tailseg_end(s)->ncounts;
	return (const struct dayindex_count *)(tailseg_cols(s) + DAYINDEX_NCOLS * (size_t)s->nrecs);
}
