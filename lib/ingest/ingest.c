/* ingest: media out, redact, price, then store; the merge of a PATCH (ingest.h). */
#include "lib/ingest/ingest.h"

#include <stdio.h>
#include "lib/ingest/media.h"
#include "lib/model/catalog.h"
#include "lib/model/price.h"
#include "lib/redact/redact.h"

/* ---- every version stored: its payloads moved out (media.h), then redacted ---- */

/* Where to's payloads go: its threshold read once (a setting that is no threshold is said on
 * stderr, and the default taken). */
static struct media_to media_of(const struct ingest_to *to)
{
	bool bad;
	size_t min = media_min(to->media, &bad);
	if (bad)
		fprintf(stderr, "spandex: %s=%s is neither a byte count nor %s; %u taken\n",
			MEDIA_SETTING, to->media, MEDIA_OFF, MEDIA_MIN_DEFAULT);
	return (struct media_to){.st = to->st, .ws = to->ws, .a = to->a, .min = min};
}

/* A merge of store_update whose versions have their payloads moved out and are redacted:
 * fn's, then media_span's, then the rules (loaded before the lock; their failure counts only
 * for a version that is not a deletion, which has neither payloads nor text). */
struct redacting {
	const struct ingest_to *to;
	struct media_to media;
	const struct redact_rules *rules;
	struct err why; /* why there are no rules to apply (why.st ST_OK: there are) */
	store_merge_fn fn;
	store_jmerge_fn jfn;
	void *ctx;
	/* A version of an id nothing is stored under is a batch's span, moved and redacted
	 * before the lock (ingest_store's merge): only a version over a stored one is here. */
	bool fresh_redacted;
};

static void redacting_init(struct redacting *r, const struct ingest_to *to, void *ctx)
{
	*r = (struct redacting){.to = to, .ctx = ctx};
	redact_load(to->rules, to->key, &r->rules, &r->why);
}

/* The rules' failure for a version to be stored, into e. */
static enum status unredactable(const struct redacting *r, struct err *e)
{
	if (e)
		*e = r->why;
	return r->why.st;
}

static enum status redact_merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
				struct span *out, struct err *e)
{
	struct redacting *r = ctx;
	enum status st = r->fn(r->ctx, a, id, cur, out, e);
	/* The batch's own span first: span_is_deleted is a lookup in its raw attributes. */
	if (st != ST_OK || !out->span_id || (!cur && r->fresh_redacted) || span_is_deleted(out))
		return st;
	if (r->why.st != ST_OK)
		return unredactable(r, e);
	r->media.a = a;
	if ((st = media_span(&r->media, out, e)) != ST_OK)
		return st;
	redact_span(r->rules, a, r->to->ws, out);
	return ST_OK;
}

static enum status redact_jmerge(void *ctx, struct arena *a, const char *id,
				 const struct judgement *cur, struct judgement *out, struct err *e)
{
	struct redacting *r = ctx;
	enum status st = r->jfn(r->ctx, a, id, cur, out, e);
	if (st != ST_OK || !out->id || out->deleted)
		return st;
	if (r->why.st != ST_OK)
		return unredactable(r, e);
	redact_judgement(r->rules, a, r->to->ws, out);
	return ST_OK;
}

/* store_update with fn's versions moved out and redacted; fresh: see struct redacting. */
static enum status update(const struct ingest_to *to, struct media_to media, const char *const *ids,
			  size_t n, store_merge_fn fn, void *ctx, bool fresh, struct err *e)
{
	struct redacting r;
	redacting_init(&r, to, ctx);
	r.media = media;
	r.fn = fn;
	r.fresh_redacted = fresh;
	return store_update(to->st, to->ws, to->a, ids, n, redact_merge, &r, e);
}

enum status ingest_update(const struct ingest_to *to, const char *const *ids, size_t n,
			  store_merge_fn fn, void *ctx, struct err *e)
{
	return update(to, media_of(to), ids, n, fn, ctx, false, e);
}

enum status ingest_update_judgements(const struct ingest_to *to, const char *const *ids, size_t n,
				     store_jmerge_fn fn, void *ctx, struct err *e)
{
	struct redacting r;
	struct store jst;
	redacting_init(&r, to, ctx);
	r.jfn = fn;
	store_judgements(&jst, to->st);
	return store_update_judgements(&jst, to->ws, to->a, ids, n, redact_jmerge, &r, e);
}

enum status ingest_judgements(const struct ingest_to *to, struct judgement *js, size_t n,
			      struct err *e)
{
	struct redacting r;
	struct store jst;
	redacting_init(&r, to, NULL);
	for (size_t i = 0; i < n; i++) {
		if (js[i].deleted)
			continue;
		if (r.why.st != ST_OK)
			return unredactable(&r, e);
		redact_judgement(r.rules, to->a, to->ws, &js[i]);
	}
	store_judgements(&jst, to->st);
	return store_put_judgements(&jst, to->ws, js, n, e);
}

/* ---- spans ---- */

enum status ingest_store(const struct ingest_to *to, struct span *spans, size_t n,
			 const struct ingest_merge *m, struct err *e)
{
	struct err pe = {0};
	const struct prices *table = prices_load(to->prices, &pe);

	if (pe.st)
		fprintf(stderr, "spandex: %s; spans stored without computed costs\n", pe.msg);
	/* Every surface's costs are checked here, so the table prices a span whose client wrote
	 * token counts into its cost fields (OTLP, direct spans, chat completions, Opik). */
	/* Each surface makes or refuses a missing id; one that got past it is refused here, not
	 * a worker's crash in the store. */
	for (size_t i = 0; i < n; i++)
		if (!spans[i].span_id || !*spans[i].span_id || !spans[i].trace_id)
			return err_set(e, ST_INTERNAL, "span %zu of the batch has no id or trace",
				       i);
	for (size_t i = 0; m && i < m->nids; i++)
		if (!m->ids[i] || !*m->ids[i])
			return err_set(e, ST_INTERNAL, "span %zu of the batch has no id", i);
	/* Rules that cannot be applied refuse the batch before a media file is written. */
	const struct redact_rules *rules = NULL;
	enum status st = n ? redact_load(to->rules, to->key, &rules, e) : ST_OK;
	if (st != ST_OK)
		return st;
	/* Before the lock: a merge then finds the payloads of these spans moved already, and
	 * the rules read the references, not the payloads. */
	struct media_to media = media_of(to);
	for (size_t i = 0; i < n && st == ST_OK; i++)
		st = media_span(&media, &spans[i], e);
	if (st != ST_OK)
		return st;
	for (size_t i = 0; i < n; i++) {
		catalog_check_cost(&spans[i]);
		if (table)
			prices_apply(table, &spans[i], false);
	}
	/* Redacted before the lock; a merge's version over a stored span again, under it. */
	for (size_t i = 0; i < n; i++)
		redact_span(rules, to->a, to->ws, &spans[i]);
	if (m)
		return update(to, media, m->ids, m->nids, m->fn, m->ctx, true, e);
	return store_append(to->st, to->ws, spans, n, e);
}

enum status ingest_patch_merge(void *ctx, struct arena *a, const char *id, const struct span *cur,
			       struct span *out, struct err *e)
{
	struct ingest_patch *p = ctx;
	struct verrs v;

	(void)e;
	if (!cur) {
		if (p->absent)
			p->absent(p, a, id, out);
		return ST_OK;
	}
	p->found = true;
	span_copy(out, cur);
	verrs_init(&v);
	p->apply(p->how, a, p->body, false, out, &v);
	verrs_free(&v);
	/* A PATCH may bring a cost (Opik's total_estimated_cost) or the counts it is checked by,
	 * and counts a computed cost was worked out from. */
	catalog_check_cost(out);
	if (p->price) {
		struct err pe = {0};
		const struct prices *table = prices_load(p->prices, &pe);
		if (pe.st)
			fprintf(stderr, "spandex: %s; span stored without computed costs\n",
				pe.msg);
		if (table)
			prices_apply(table, out, true);
	}
	if (p->patched)
		p->patched(p, cur, out);
	return ST_OK;
}
