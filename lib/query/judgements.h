/* judgements: the read side of judgements (lib/model/judgement.h) for every API: lists with
 * filters, sorts and pages, one by id, and what score filters and rollups need of them (the
 * targets whose judgement of a name has a value in a range; every judgement of a set of
 * targets). Judgements are read from the workspace's judgement store (store_judgements); rows,
 * their strings and their payloads live in the caller's arena (never judgement_clear them).
 * Writes no JSON. */
#ifndef SPANDEX_QUERY_JUDGEMENTS_H
#define SPANDEX_QUERY_JUDGEMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/model/judgement.h"
#include "lib/query/query.h"
#include "lib/store/store.h"

/* Which judgements: every condition set must hold (an AND). */
struct jfilter {
	const char *id;				     /* NULL: any */
	const char *span_id, *trace_id, *session_id; /* the target's ids; NULL: any */
	uint32_t targets;			     /* bits of enum judgement_target; 0: any */
	uint32_t kinds;				     /* bits of enum judgement_kind; 0: any */
	const char *name, *project, *author, *subtype, *label, *error; /* equal; NULL: any */
	const char *api; /* written through the API of this name (judgement_api_is); NULL: any */
	bool project_or_none; /* project matches a judgement that names none too (a NeMo one) */
	const char *subtype_prefix; /* subtype starts with it; NULL: any */
	/* Only those with (failed) or without (scored) an error; only those view shows
	 * (judgement_shows; NULL: any), a surface's. scored, and what the record can tell of the
	 * view (its kinds, targets, ...: NeMo's evaluator results are no label), are decided on
	 * the index record too (REC_J_*), so that query_judged, which reads records alone, honours
	 * them. */
	bool failed, scored;
	const struct judgement_view *view;
	/* With view: a judgement of a trace itself (JT_TRACE, in targets) counts whatever view
	 * says (a trace's evaluator_scores take its own scores: lib/api/intake/scores.c). */
	bool trace_too;
	bool has_vmin, has_vmax; /* value >= vmin, value <= vmax (no value: no match) */
	double vmin, vmax;
	int64_t cmin, cmax; /* created_at window; 0 both: none */
};

/* The order of a list: created_at or value, then id (ascending) for ties; judgements without a
 * value come last in either direction of a value order. */
enum jorder { JQ_CREATED, JQ_VALUE };

struct jquery {
	struct store *st; /* the workspace's spans' store; its judgements are read beside it */
	struct arena *a;
	const char *ws;
	const struct jfilter *f; /* NULL: every judgement */
	enum jorder order;
	bool desc;
	/* query_judged and query_judged_roots match the name ignoring ASCII case (Opik's
	 * feedback_scores filter, opik.md 7.2, as its threads'); the record holds the exact name's
	 * hash, so a line of each distinct name is read to decide. */
	bool name_nocase;
	long long offset, limit; /* rows [offset, offset + limit); limit 0: every row */
	struct err err;		 /* why, for a non-OK status */
};

struct jrows {
	struct judgement *rows; /* in q->a, parsed (payloads released with the arena) */
	size_t n, total;	/* total: every judgement the filter matches */
};

/* A page of the judgements q->f matches, in q's order. */
enum status query_judgements(struct jquery *q, struct jrows *out);
/* The newest version of id when it is not deleted; ST_NOT_FOUND otherwise. */
enum status query_judgement_get(struct jquery *q, const char *id, struct judgement *out);

/* Every live judgement whose target id of kind `by` (a span, trace or session id) is one of
 * ids[0..n), with f's conditions too (NULL: none), handed to fn with the index of its id in
 * ids, in no particular order. Rollups and the judgements beside a page of spans use it. */
typedef void (*query_judgement_fn)(void *ctx, size_t which, const struct judgement *j);
enum status query_judgements_of(struct jquery *q, enum judgement_target by, const char *const *ids,
				size_t n, query_judgement_fn fn, void *ctx);

/* A score filter or order: *out gets the ids (hashes) of the spans, traces or sessions (by)
 * that have a live judgement of their own named name whose value lies in [vmin, vmax]
 * (has_*: which bounds apply; none: any value), each with the mean of those values, in q->a;
 * q->f (NULL: none) adds its conditions, and with targets set takes the judgements of those
 * targets that name the id (a trace's own and its spans': a trace's score as NeMo rolls it up);
 * its own name and value bounds are replaced;
 * read off the judgements' index records alone. As a query's keys it narrows a listing of
 * spans or traces to them; as its order_keys (QO_KEYS) it orders them by the score. */
enum status query_judged(struct jquery *q, enum judgement_target by, const char *name,
			 bool has_vmin, double vmin, bool has_vmax, double vmax,
			 struct query_keys *out);
/* query_judged of traces as Opik shows a trace's scores (lib/api/opik/judgements/judged.c,
 * marks_read): by trace, the mean of its own judgements named name and those of its root spans, the
 * span of the trace's id (an Opik trace's row) and a root span of it (a trace another API wrote);
 * a judgement of a span that recorded no trace counts for the trace the span is a root of. */
enum status query_judged_roots(struct jquery *q, const char *name, struct query_keys *out);

#endif
