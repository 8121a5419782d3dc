/* judgements: NeMo Intake's annotations and evaluator results (judgement.md section 1) over the
 * one judgement record (lib/model/judgement.h): their create bodies checked into judgements, any
 * judgement the API shows written back in their read shapes, their list filters, and the
 * evaluator_scores rollup of traces and sessions. What these allocate lives in the caller's
 * arena. */
#ifndef SPANDEX_API_INTAKE_JUDGEMENTS_H
#define SPANDEX_API_INTAKE_JUDGEMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/base/arena.h"
#include "lib/base/buf.h"
#include "lib/base/status.h"
#include "lib/model/judgement.h"
#include "lib/model/verr.h"
#include "lib/query/judgements.h"

/* Limits (docs/limits.md): a note's text and a numeric label's name are NeMo's own bounds
 * (AnnotationInput); an evaluator result's name, comment and string_value and an annotation's
 * metadata are the judgement's (JUDGEMENT_MAX_*). GET spans/{id}/evaluator-results answers
 * at most INTAKE_SPAN_RESULTS_MAX results (the oldest), where NeMo sends them all. */
#define INTAKE_NOTE_MAX 10000
#define INTAKE_LABEL_NAME_MAX 256
#define INTAKE_SPAN_RESULTS_MAX 10000

/* This surface's name in a judgement's "api" (judgement_api_valid). */
#define INTAKE_API "intake"
/* Its views (views.c): annotations (its own, and every comment as a note) and evaluator
 * results (a named value on a span, whoever wrote it). */
extern const struct judgement_view intake_view_annotation, intake_view_evaluator;
/* Whether j is one of NeMo's own annotations (written through POST annotations: subtype
 * "annotation.<kind>"), which NeMo never shows as an evaluator result. */
bool intake_is_annotation(const struct judgement *j);

/* Checks body as an AnnotationInput (discriminated on kind: feedback, note, metadata, label)
 * and fills j: id "ann-" + 32 random hex, workspace ws, author (NULL: none), created at now.
 * ST_INVALID with FastAPI's items in v otherwise. */
enum status intake_annotation_parse(struct arena *a, const char *ws, json_t *body,
				    const char *author, int64_t now, struct judgement *j,
				    struct verrs *v);
/* Appends j as an Annotation (NeMo's own, or another API's comment as a note). */
void intake_annotation_render(const struct judgement *j, struct buf *out);

/* Checks body as an EvaluatorResultInput and fills j: id "eval-" + stable_id(ws, session_id,
 * span_id, name), so a second POST for the same target replaces the first. */
enum status intake_evaluator_parse(struct arena *a, const char *ws, json_t *body,
				   const char *author, int64_t now, struct judgement *j,
				   struct verrs *v);
/* Appends j (any judgement &intake_view_evaluator shows) as an EvaluatorResult: data_type from
 * its kind, value and string_value (its label) as it has them, FAILED when it has an error. */
void intake_evaluator_render(const struct judgement *j, struct buf *out);

/* The two lists and their filters (AnnotationFilter, EvaluatorResultFilter). */
enum intake_jlist { INTAKE_ANNOTATIONS, INTAKE_EVALUATOR_RESULTS };
/* Parses the filter of a list request (raw filter= or filter[...] keys, as
 * intake_filter_tree) into f, which then holds the list's view too; *echo gets the tree (NULL
 * when none). ST_BAD_REQUEST with NeMo's message in err otherwise. */
enum status intake_jfilter_parse(struct arena *a, enum intake_jlist list, const char *raw,
				 const char *const *keys, const char *const *vals, size_t n,
				 struct jfilter *f, json_t **echo, struct err *err);

/* The per-name means of the NUMERIC and BOOLEAN evaluator results of targets ids[0..n) (trace
 * or session ids, by), for the page of traces or the session that shows them. */
struct intake_score {
	const char *name;
	struct judgement_mean mean;
};
struct intake_scores {
	struct intake_score *s; /* by name */
	size_t n;
};
/* The judgements evaluator_scores is the mean of: NeMo's evaluator results (no annotation)
 * of kind NUMERIC or BOOLEAN on a span, not FAILED. The score filters and sorts below count
 * the same ones, from the index records alone (lib/query/judgements.c honours each of these
 * conditions on a record). */
extern const struct jfilter intake_scored;
/* A trace's: those, and the scored NUMERIC and BOOLEAN judgements of the trace itself (any
 * API's: Opik's trace feedback scores, Langfuse's and the MCP server's scores of a trace). */
extern const struct jfilter intake_trace_scored;
/* What the evaluator_scores of a target of kind by is the mean of: one of the two above. */
const struct jfilter *intake_scored_by(enum judgement_target by);
/* out[0..n) gets each target's scores, read in one pass (query_judgements_of). */
enum status intake_scores_of(struct jquery *q, enum judgement_target by, const char *const *ids,
			     size_t n, struct intake_scores *out);
/* Appends ,"evaluator_scores":{"<name>":<mean>,...} (names in byte order; {} when none), the
 * shape of NeMo's EvaluationSessionResponse.evaluator_scores. */
void intake_scores_render(const struct intake_scores *s, struct buf *out);

/* *state gets the label of the newest state judgement (JK_STATE: "active" or "inactive") of
 * session id, the Session's `state` (spandex's own; lib/api/intake/state.c); NULL when it
 * has none. */
enum status intake_session_state(struct jquery *q, const char *id, const char **state);

/* spandex's extension of GET traces and GET spans (lib/api/intake/byscore.c): the filter
 * field evaluator_scores.<name> and the sorts [-]evaluator_scores.<name>, by the number
 * evaluator_scores shows (of a span: the same mean over its own results). */
#define INTAKE_SCORE_PREFIX "evaluator_scores."
/* Each condition is a pass over the judgements' records (query_judged) per name: a filter of
 * a few scores is a query, more is abuse. */
#define INTAKE_SCORE_MAX_CONDS 8
enum intake_score_op { ISO_EQ, ISO_GTE, ISO_LTE, ISO_GT, ISO_LT };
struct intake_score_cond {
	const char *name; /* after the prefix, not empty */
	enum intake_score_op op;
	double v;
};
struct intake_score_conds {
	struct intake_score_cond *c; /* in the arena */
	size_t n;
	/* GET traces' error_count comparisons (spandex's own: the failed spans of the trace's
	 * rollup, "has errors" being error_count >= 1), name NULL; counted in the same bound. */
	struct intake_score_cond *e;
	size_t ne;
};
#define INTAKE_ERROR_COUNT "error_count"
/* Takes the evaluator_scores.<name> comparisons out of a filter tree (intake_filter_tree;
 * NULL: none) into *out, checked (a number, one of the five operators: else ST_BAD_REQUEST
 * with the message in err, naming a trace or a span filter as traces says); *rest gets the
 * tree the other fields are parsed from: tree itself when it holds none, else a copy
 * without them (the arena's). */
enum status intake_score_split(struct arena *a, bool traces, json_t *tree, json_t **rest,
			       struct intake_score_conds *out, struct err *err);
/* Narrows q (q->keys, which it sets) to the traces or spans (by) whose score of each name
 * meets every condition on that name; those without a score of the name do not. q->err is
 * untouched: a failure's reason is in jq->err. jq->f is set. */
enum status intake_score_narrow(struct jquery *jq, enum judgement_target by,
				const struct intake_score_conds *sc, struct query *q);
/* With a sort of [-]evaluator_scores.<name>, orders q by that score (QO_KEYS; its direction is
 * q->sort's), those without one last either way; any other sort leaves q as it is. */
/* With error_count conditions in sc, q keeps the traces whose rollup's failed spans meet them
 * all (q->rollup_pred). */
void intake_error_count_narrow(const struct intake_score_conds *sc, struct query *q);
enum status intake_score_order(struct jquery *jq, enum judgement_target by, const char *sort,
			       struct query *q);

#endif
