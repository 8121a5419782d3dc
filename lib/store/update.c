/* update: read, merge and write under one lock (store_update, store_update_judgements): each
 * id's newest version read through the id table the lock holds, merged by the caller, and every
 * changed version written as one batch of the write path (write.h) before the lock goes. */
#include "lib/store/write.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "lib/base/buf.h"
#include "lib/base/hash.h"

/* A merge of either kind: cur and out are objects of the batch's kind. */
typedef enum status (*merge_fn)(void *ctx, struct arena *a, const char *id, const void *cur,
				void *out, struct err *e);

/* A stored version, parsed: its strings point into root. obj is of the batch's kind. */
struct parsed {
	const struct rec_kind *k;
	json_t *root;
	max_align_t obj[];
};

static void parsed_release(void *p)
{
	struct parsed *v = p;
	v->k->clear(v->obj);
	json_decref(v->root);
}

/* The newest stored version of id, parsed, into *cur (NULL when there is none). It lives
 * until the arena's next reset. */
static enum status read_current(struct batch *b, struct arena *a, const char *id, const void **cur,
				struct err *e)
{
	*cur = NULL;
	/* The id table the lock holds is current (settle_prepare rebuilt a stale one): no slot
	 * under the id's hash, no version, and no look at the files (store_get's stat per id cost
	 * an OTLP batch of new spans more than its render). */
	uint64_t h = hash_bytes(id, strlen(id)), i = h & (b->t.id.hdr->nslots - 1), n = 0;
	struct keytable_slot slot;
	if (!keytable_probe(b->t.id.hdr, h, &i, &n, &slot))
		return ST_OK;
	struct buf line;
	buf_init(&line);
	enum status rc = store_get(b->st, b->ws, id, &line);
	if (rc == ST_NOT_FOUND) {
		rc = ST_OK;
	} else if (rc != ST_OK) {
		err_set(e, rc, "%s: %s", id, strerror(errno));
	} else {
		struct parsed *v = arena_alloc(a, sizeof(*v) + b->k->size);
		v->k = b->k;
		if (b->k->parse(line.p, line.len, v->obj, &v->root)) {
			arena_defer(a, parsed_release, v);
			*cur = v->obj;
		} else {
			rc = err_set(e, ST_UNAVAILABLE, "%s: its stored line is not canonical", id);
		}
	}
	buf_free(&line);
	return rc;
}

/* The versions an update writes: outs[0, n) (of the batch's kind), where gone[k] marks one
 * that a later merge of the same id replaced (kept alive: that merge may point into it). */
struct merged {
	char *outs;
	bool *gone;
	uint64_t *h; /* hash_bytes of each out's id, compared before the id itself */
	size_t n;
	/* By the hash of an id, the index + 1 of its newest version in outs (0: empty), open
	 * addressing over mask + 1 slots, at least twice n: a batch of distinct ids finds each in
	 * one probe (a scan of outs made an OTLP batch of 500 cost 125,000 compares). */
	uint32_t *slot;
	size_t mask;
};

static void *out_at(const struct batch *b, const struct merged *m, size_t k)
{
	return m->outs + k * b->k->size;
}

/* The slot that holds id's newest version, or the empty one it would take. */
static size_t merged_slot(const struct batch *b, const struct merged *m, uint64_t h, const char *id)
{
	size_t i = h & m->mask;

	while (m->slot[i]) {
		size_t k = m->slot[i] - 1;

		if (m->h[k] == h && !strcmp(b->k->id(out_at(b, m, k)), id))
			return i;
		i = (i + 1) & m->mask;
	}
	return i;
}

/* Merges id: fn gets the newest version (the one an earlier merge of this update gave, else
 * the stored one) and may add a new one. */
static enum status merge_one(struct batch *b, struct arena *a, const char *id, merge_fn fn,
			     void *ctx, struct merged *m, struct err *e)
{
	const void *cur = NULL;
	uint64_t h = hash_bytes(id, strlen(id));
	size_t at = merged_slot(b, m, h, id), prev = m->slot[at] ? m->slot[at] - 1 : SIZE_MAX;
	enum status rc = ST_OK;
	if (prev != SIZE_MAX)
		cur = out_at(b, m, prev);
	else
		rc = read_current(b, a, id, &cur, e);
	void *out = out_at(b, m, m->n);
	b->k->init(out);
	if (rc == ST_OK)
		rc = fn(ctx, a, id, cur, out, e);
	const char *oid = b->k->id(out);
	if (rc == ST_OK && oid && strcmp(oid, id))
		rc = err_set(e, ST_INTERNAL, "the merge of %s gave %s", id, oid);
	if (rc != ST_OK || !oid) {
		b->k->clear(out); /* an error, or no change */
		return rc;
	}
	if (prev != SIZE_MAX)
		m->gone[prev] = true;
	m->slot[at] = (uint32_t)(m->n + 1);
	m->h[m->n++] = h;
	return ST_OK;
}

static enum status update_objs(struct store *st, const char *ws, struct arena *a,
			       const char *const *ids, size_t n, merge_fn fn, void *ctx,
			       struct err *e)
{
	if (!workspace_valid(ws))
		return err_set(e, ST_BAD_REQUEST, "invalid workspace name '%s'", ws);
	if (!n)
		return ST_OK;
	struct batch b;
	write_batch_init(&b, st, ws);
	size_t size = b.k->size;
	struct merged m = {arena_alloc(a, n * size),
			   arena_alloc(a, n * sizeof(bool)),
			   arena_alloc(a, n * sizeof(uint64_t)),
			   0,
			   NULL,
			   1};
	while (m.mask + 1 < 2 * n)
		m.mask = 2 * m.mask + 1;
	m.slot = arena_alloc(a, (m.mask + 1) * sizeof(*m.slot));
	memset(m.slot, 0, (m.mask + 1) * sizeof(*m.slot));
	memset(m.gone, 0, n * sizeof(bool));
	enum status rc = write_batch_lock(&b, e);
	for (size_t i = 0; rc == ST_OK && i < n; i++)
		rc = merge_one(&b, a, ids[i], fn, ctx, &m, e);
	char *w = arena_alloc(a, (m.n ? m.n : 1) * size);
	size_t nw = 0;
	for (size_t i = 0; i < m.n; i++)
		if (!m.gone[i])
			memcpy(w + nw++ * size, out_at(&b, &m, i), size);
	if (rc == ST_OK && nw)
		rc = write_days_ok(b.k, w, nw, e);
	if (rc == ST_OK && nw) {
		write_batch_render(&b, w, nw);
		rc = write_batch_write(&b, e);
	}
	if (rc != ST_OK)
		write_batch_forget(&b);
	write_batch_free(&b);
	for (size_t i = 0; i < m.n; i++)
		b.k->clear(out_at(&b, &m, i));
	return rc == ST_OK && nw ? store_hook_after(st, ws, e) : rc;
}

/* The typed merges, called through merge_fn. */
struct typed_merge {
	store_merge_fn span;
	store_jmerge_fn judgement;
	void *ctx;
};

static enum status span_merge(void *ctx, struct arena *a, const char *id, const void *cur,
			      void *out, struct err *e)
{
	struct typed_merge *t = ctx;
	return t->span(t->ctx, a, id, cur, out, e);
}

static enum status judgement_merge(void *ctx, struct arena *a, const char *id, const void *cur,
				   void *out, struct err *e)
{
	struct typed_merge *t = ctx;
	return t->judgement(t->ctx, a, id, cur, out, e);
}

enum status store_update(struct store *st, const char *ws, struct arena *a,
			 const char *const *span_ids, size_t n, store_merge_fn fn, void *ctx,
			 struct err *e)
{
	if (st->kind != STORE_SPANS)
		return err_set(e, ST_INTERNAL, "spans written to a store of judgements");
	struct typed_merge t = {.span = fn, .ctx = ctx};
	return update_objs(st, ws, a, span_ids, n, span_merge, &t, e);
}

enum status store_update_judgements(struct store *st, const char *ws, struct arena *a,
				    const char *const *ids, size_t n, store_jmerge_fn fn, void *ctx,
				    struct err *e)
{
	if (st->kind != STORE_JUDGEMENTS)
		return err_set(e, ST_INTERNAL, "judgements written to a store of spans");
	struct typed_merge t = {.judgement = fn, .ctx = ctx};
	return update_objs(st, ws, a, ids, n, judgement_merge, &t, e);
}
