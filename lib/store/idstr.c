/* idstr: the id strings of a day's .tix (idstr.h). */
#include "lib/store/idstr.h"

#include <stdlib.h>
#include <string.h>
#include "lib/base/hash.h"
#include "lib/base/mem.h"
#include "lib/json/jline.h"
#include "lib/model/span.h"

_Static_assert(sizeof(struct idstr_ent) == 16, "an id string's entry is 16 bytes");
_Static_assert(STORE_KEY_TRACE == 0 && STORE_KEY_SESSION == 1, "the keys' order");

/* A record's literal was not read (none in its line, or the line unreadable). */
#define IDSTR_NONE UINT32_MAX
/* The longest literal of an id the store writes: SPAN_MAX_ID characters, each escaped in at
 * most 6 bytes, and the quotes. A longer value is no id of a span line: its records read it. */
#define IDSTR_MAX_LIT (6 * SPAN_MAX_ID + 2)

struct idstr_rec {
	uint64_t h;
	uint32_t rec, len;
	size_t off; /* in the builder's lits */
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void idstr_build_init(struct idstr_build *b, size_t n)
{
	memset(b, 0, sizeof *b);
	b->n = n;
	for (int k = 0; k < IDSTR_NKEYS; k++)
		b->r[k] = xcalloc(n ? n : 1, sizeof *b->r[k]);
	buf_init(&b->lits);
}

void idstr_build_add(struct idstr_build *b, enum store_key k, uint32_t rec, uint64_t h,
		     const char *v, size_t vn)
{
	struct idstr_rec *r = &b->r[k][rec];
	r->h = h;
	r->rec = rec;
	r->len = IDSTR_NONE;
	if (!v || vn < 2 || v[0] != '"' || vn > IDSTR_MAX_LIT)
		return;
	/* The spans of a trace mostly come together: the literal of the record before is
	 * kept once. */
	const struct idstr_rec *p = rec ? &b->r[k][rec - 1] : NULL;
	if (p && p->len == vn && !memcmp(b->lits.p + p->off, v, vn)) {
		r->off = p->off;
	} else {
		r->off = b->lits.len;
		buf_add(&b->lits, v, vn);
	}
	r->len = (uint32_t)vn;
}

static int rec_cmp(const void *x, const void *y)
{
	const struct idstr_rec *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

/* Key k's section into out. */
static void render_key(struct idstr_build *b, int k, struct buf *out)
{
	struct idstr_rec *r = b->r[k];
	qsort(r, b->n, sizeof *r, rec_cmp);
	struct buf ents, lits;
	buf_init(&ents);
	buf_init(&lits);
	for (size_t i = 0, j; i < b->n; i = j) {
		bool same = r[i].len != IDSTR_NONE;
		for (j = i + 1; j < b->n && r[j].h == r[i].h; j++)
			same = same && r[j].len == r[i].len &&
			       !memcmp(b->lits.p + r[j].off, b->lits.p + r[i].off, r[i].len);
		/* Offsets are 32-bit: a day's distinct ids past 4 GiB read their lines. */
		if (!same || lits.len + r[i].len > UINT32_MAX)
			continue;
		struct idstr_ent e = {r[i].h, (uint32_t)lits.len, r[i].len};
		buf_add(&ents, &e, sizeof e);
		buf_add(&lits, b->lits.p + r[i].off, r[i].len);
	}
	uint64_t sz[2] = {ents.len / sizeof(struct idstr_ent), lits.len};
	buf_add(out, sz, sizeof sz);
	buf_add(out, ents.p, ents.len);
	buf_add(out, lits.p, lits.len);
	static const char zero[8];
	buf_add(out, zero, pad8(lits.len) - lits.len);
	buf_free(&ents);
	buf_free(&lits);
}

void idstr_build_render(struct idstr_build *b, struct buf *out)
{
	size_t at = out->len;
	for (int k = 0; k < IDSTR_NKEYS; k++)
		render_key(b, k, out);
	uint64_t len = out->len - at + 8;
	buf_add(out, &len, sizeof len);
}

void idstr_build_free(struct idstr_build *b)
{
	for (int k = 0; k < IDSTR_NKEYS; k++)
		free(b->r[k]);
	buf_free(&b->lits);
	memset(b, 0, sizeof *b);
}

bool idstr_at(const void *p, size_t len, struct idstr *v)
{
	const char *m = p;
	size_t at = 0;
	uint64_t whole;
	memset(v, 0, sizeof *v);
	if (len < sizeof whole || (memcpy(&whole, m + len - 8, 8), whole != len))
		return false;
	len -= sizeof whole;
	for (int k = 0; k < IDSTR_NKEYS; k++) {
		uint64_t sz[2];
		if (len - at < sizeof sz)
			return false;
		memcpy(sz, m + at, sizeof sz);
		at += sizeof sz;
		if (sz[0] > (len - at) / sizeof(struct idstr_ent))
			return false;
		v->k[k].e = (const struct idstr_ent *)(m + at);
		v->k[k].n = (size_t)sz[0];
		at += v->k[k].n * sizeof(struct idstr_ent);
		if (sz[1] > len - at || pad8((size_t)sz[1]) > len - at)
			return false;
		v->k[k].lits = m + at;
		v->k[k].nlits = (size_t)sz[1];
		at += pad8(v->k[k].nlits);
	}
	return at == len;
}

bool idstr_sound(const struct idstr *v)
{
	for (int k = 0; k < IDSTR_NKEYS; k++) {
		const struct idstr_key *x = &v->k[k];
		for (size_t i = 0; i < x->n; i++)
			if ((i && x->e[i - 1].h >= x->e[i].h) || x->e[i].off > x->nlits ||
			    x->e[i].len > x->nlits - x->e[i].off)
				return false;
	}
	return true;
}

static int ent_cmp(const void *key, const void *ent)
{
	uint64_t h = *(const uint64_t *)key, e = ((const struct idstr_ent *)ent)->h;
	return (h > e) - (h < e);
}

bool idstr_find(const struct idstr *v, enum store_key k, uint64_t h, const char **p, size_t *n)
{
	const struct idstr_key *x = &v->k[k];
	/* Hashes are distinct (idstr_sound): one entry at most. */
	const struct idstr_ent *e = x->n ? bsearch(&h, x->e, x->n, sizeof *x->e, ent_cmp) : NULL;
	if (!e)
		return false;
	*p = x->lits + e->off;
	*n = e->len;
	return true;
}

size_t idstr_check(const struct idstr *v)
{
	char text[IDSTR_MAX_LIT];
	size_t at = 0;
	for (int k = 0; k < IDSTR_NKEYS; k++)
		for (size_t i = 0; i < v->k[k].n; i++, at++) {
			const struct idstr_ent *e = &v->k[k].e[i];
			const char *p = v->k[k].lits + e->off;
			bool esc;
			if (e->len < 2 || e->len > IDSTR_MAX_LIT ||
			    jline_check_string(p, e->len, 0, &esc) != e->len)
				return at;
			size_t n = esc ? jline_unquote(p, e->len, text, sizeof text)
				       : (memcpy(text, p + 1, e->len - 2), e->len - 2);
			if (n != (size_t)-1 && hash_bytes(text, n) != e->h)
				return at;
		}
	return SIZE_MAX;
}
