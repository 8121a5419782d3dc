/* ingest: price, then store; the merge of a PATCH (ingest.h). */
#include "lib/ingest/ingest.h"

#include <stdio.h>
#include "lib/model/catalog.h"
#include "lib/model/price.h"

enum status ingest_store(struct store *st, const char *ws, const char *prices, struct span *spans,
			 size_t n, const struct ingest_merge *m, struct err *e)
{
	struct err pe = {0};
	const struct prices *table = prices_load(prices, &pe);

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
	for (size_t i = 0; i < n; i++) {
		catalog_check_cost(&spans[i]);
		if (table)
			prices_apply(table, &spans[i], false);
	}
	if (!m)
		return store_append(st, ws, spans, n, e);
	return store_update(st, ws, m->a, m->ids, m->nids, m->fn, m->ctx, e);
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
